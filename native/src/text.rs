//! Numbers as text: float64 written as Python's `repr(float)` writes it, which is what
//! `json.dumps` writes for a float, so that a stat file laid out here is byte for byte the one
//! Python's encoder lays out.
//!
//! Python's `repr` (CPython's `float_repr_style` "short") writes the shortest digits that read
//! back to the same float64, the one nearest the value where several are as short, and of two as
//! near the even one. ryu finds the same digits (Rust's own `{:e}` rounds such a tie up:
//! `1162175328316381.25` is `...381.3` to it, `...381.2` to Python); only the layout differs, and
//! is redone here by Python's rule: with `decpt` the place of the decimal point after the first
//! digit's (`1.5` has decpt 1), the exponent form (`1e-05`, `1.5e+16`: signed, at least two
//! digits) where `decpt <= -4` or `decpt > 16`, else the plain form with at least one digit after
//! the point (`1e15` is `1000000000000000.0`).

use std::fmt::Write;

/// Appends the text Python's `repr` gives the finite float `x` to `out`; `buffer` is zmij's
/// (ryu's digits, twice as fast), reused between calls. Infinities and NaN have no JSON text:
/// the caller keeps them out.
pub fn push_float_repr(out: &mut String, buffer: &mut zmij::Buffer, x: f64) {
    debug_assert!(x.is_finite());
    let text = buffer.format_finite(x);
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // zmij writes `12.5`, `0.00125`, `1.25e-7` or `1e+16`: the digits and the exponent of the
    // first, whatever the layout.
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (
            m,
            e.parse::<i32>().expect("zmij writes an integer exponent"),
        ),
        None => (text, 0),
    };
    let point = mantissa.find('.').unwrap_or(mantissa.len()) as i32;
    // The digits without the point, leading and trailing zeros (at most 17 significant digits,
    // the rest zeros: `0.00125`, `1000000000000000.0`).
    let mut held = [0u8; 32];
    let mut n = 0;
    for b in mantissa.bytes().filter(|&b| b != b'.') {
        if let Some(slot) = held.get_mut(n) {
            *slot = b;
            n += 1;
        }
    }
    let all = &held[..n];
    let leading = all.iter().take_while(|&&b| b == b'0').count();
    let kept = all[leading..]
        .iter()
        .rposition(|&b| b != b'0')
        .map_or(0, |i| i + 1);
    let digits = match &all[leading..leading + kept] {
        [] => "0", // zero: "0.0"
        d => std::str::from_utf8(d).expect("ASCII digits"),
    };
    let decpt = if digits == "0" {
        1
    } else {
        point + exponent - leading as i32
    };
    if negative {
        out.push('-');
    }
    let n_digits = digits.len() as i32;
    if decpt <= -4 || decpt > 16 {
        out.push_str(&digits[..1]);
        if n_digits > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let exponent = decpt - 1;
        write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        )
        .expect("a String takes any text");
    } else if decpt <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-decpt) as usize));
        out.push_str(digits);
    } else if decpt >= n_digits {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', (decpt - n_digits) as usize));
        out.push_str(".0");
    } else {
        out.push_str(&digits[..decpt as usize]);
        out.push('.');
        out.push_str(&digits[decpt as usize..]);
    }
}

/// Whether JSON text holds a number that serde_json reads otherwise than Python's `json`: an
/// integer beyond 64 bits (below `i64::MIN` or above `u64::MAX`, which serde_json reads as a
/// float and `json` as an exact `int`), or a negative zero written as an integer (`-0`, a float to serde_json,
/// the `int` 0 to `json`). Text inside strings is not told apart: such digits there make a
/// false alarm, which costs only speed.
pub fn json_numbers_differ(text: &[u8]) -> bool {
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if !(c.is_ascii_digit() || c == b'-') {
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && matches!(text[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
            i += 1;
        }
        let token = &text[start..i];
        if token.iter().any(|&b| matches!(b, b'.' | b'e' | b'E')) {
            continue; // a float to both
        }
        let negative = token.first() == Some(&b'-');
        let digits = &token[usize::from(negative)..];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            continue; // not a number: JSON's verdict, either way
        }
        if negative && digits.iter().all(|&b| b == b'0') {
            return true;
        }
        // Beyond i64 below zero, beyond u64 above: a float to serde_json.
        let fits = match std::str::from_utf8(token)
            .ok()
            .and_then(|t| t.parse::<i128>().ok())
        {
            Some(v) => v >= i128::from(i64::MIN) && v <= i128::from(u64::MAX),
            None => false,
        };
        if !fits {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(x: f64) -> String {
        let mut out = String::new();
        push_float_repr(&mut out, &mut zmij::Buffer::new(), x);
        out
    }

    #[test]
    fn floats_are_laid_out_as_python_lays_them_out() {
        // What CPython 3.11's repr() prints for each.
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (0.0000123, "1.23e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (9007199254740993.0, "9007199254740992.0"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (0.30000000000000004, "0.30000000000000004"),
            (-3.469446951953614e-18, "-3.469446951953614e-18"),
            (301.1275800039068, "301.1275800039068"),
            (1234.5, "1234.5"),
            (1162175328316381.0 + 0.25, "1162175328316381.2"),
            (1417370865764593.0 + 0.25, "1417370865764593.2"),
        ];
        for &(x, want) in cases {
            assert_eq!(repr(x), want, "{x:e}");
        }
    }

    #[test]
    fn json_numbers_read_otherwise_by_serde_json() {
        for text in [
            "[-0]",
            "[1, -0 ]",
            "{\"a\": -00}",
            "[123456789012345678901]",
            "[-99999999999999999999]",
        ] {
            assert!(json_numbers_differ(text.as_bytes()), "{text}");
        }
        for text in [
            "[-0.0]",
            "[0]",
            "[-1]",
            "[18446744073709551615]",
            "[-9223372036854775808]",
            "[1e400]",
            "[1.0540600443210797e+19]",
            "[12345678901234567890.5]",
            "\"a-b\"",
            "[]",
        ] {
            assert!(!json_numbers_differ(text.as_bytes()), "{text}");
        }
    }
}
