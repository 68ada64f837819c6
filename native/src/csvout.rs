//! CSV text of Arrow columns: the records `normkit transform` writes.
//!
//! Each column arrives as its Arrow buffers (little-endian values, a validity bitmap, 32- or
//! 64-bit text offsets) with the array's offset, and each row becomes one record ending in
//! the style's line end (`\n`, or the input's `\r\n` or `\r`):
//!
//! - floats in the shortest text that reads back to the same value (ryu's digits and layout,
//!   written by zmij: `0.1`, `1000000000000000.0`, `1e16`, `1.25e-7`), with the decimal
//!   separator asked for; `NaN`, `inf` and `-inf` as such;
//! - integers in decimal, booleans as `true` / `false` (a number whose text holds the delimiter,
//!   `-` as the delimiter or a decimal comma between commas, is quoted);
//! - text as it is, quoted (its quotes doubled) only where it holds the delimiter, the quote
//!   or a line break, and not at all without a quote character;
//! - a missing value as the `missing` text, an empty text as the `empty` one (empty, or `""` where the record
//!   has one field, since an empty line would be skipped by a reader).
//!
//! The buffers are checked against the rows before anything is written: a short buffer, or text
//! offsets that run backwards or past the data, is an error, not a panic.

use std::fmt;

use rayon::prelude::*;

/// The values of one column, as Arrow lays them out (little-endian).
#[derive(Clone, Copy, Debug)]
pub enum Values<'a> {
    /// Arrow's null type: every value is missing.
    Null,
    /// float64 values.
    Float64(&'a [u8]),
    /// float32 values.
    Float32(&'a [u8]),
    /// Integers of `width` bytes (1, 2, 4 or 8), signed or not.
    Int {
        /// The values.
        bytes: &'a [u8],
        /// Bytes per value.
        width: usize,
        /// Two's complement, or unsigned.
        signed: bool,
    },
    /// Booleans as a bitmap (least significant bit first).
    Bool(&'a [u8]),
    /// Text: offsets (`i32`, or `i64` when `large`) into `data`.
    Text {
        /// `rows + 1` offsets from the array's offset on.
        offsets: &'a [u8],
        /// 64-bit offsets (Arrow's large string).
        large: bool,
        /// The characters (UTF-8).
        data: &'a [u8],
    },
}

/// One column: its values, its validity bitmap (None: no value is missing) and the array's
/// offset (the index of its first row in the buffers).
#[derive(Clone, Copy, Debug)]
pub struct Column<'a> {
    /// The values.
    pub values: Values<'a>,
    /// Arrow's validity bitmap; None when no value is missing.
    pub validity: Option<&'a [u8]>,
    /// The array's offset, in values.
    pub offset: usize,
}

/// How the records are written.
#[derive(Clone, Debug)]
pub struct Style {
    /// Between fields.
    pub delimiter: u8,
    /// Around fields that need it; None: never quoted.
    pub quote: Option<u8>,
    /// The decimal separator of floats (`.` or `,`).
    pub decimal_point: u8,
    /// The text of a missing value.
    pub missing: Vec<u8>,
    /// The text of an empty text (an empty field, or `""` in a record of one field), which is
    /// no missing value where `missing` is a string of the input's, such as `\N`.
    pub empty: Vec<u8>,
    /// The end of a record: `\n`, or the input's `\r\n` or `\r`.
    pub line_end: &'static [u8],
    /// The character that starts a comment where the output will be read (a line that starts
    /// with it, or what follows it after values): a field holding it is quoted, as one holding
    /// the delimiter is, so that no reader takes it, or the rest of its record, for a comment.
    /// Where nothing is quoted, a field that starts with it is refused (it could start a line);
    /// one holding it further on is written as it is (normkit reads comments after values only
    /// where a file's comment lines show them).
    pub comment: Option<u8>,
}

/// Why records could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// Buffers that do not hold the rows they are said to.
    Buffer {
        /// The column (0-based).
        column: usize,
        /// What is wrong.
        problem: String,
    },
    /// A value whose text holds the delimiter, in an output written without quoting: it would
    /// not read back.
    Unquotable {
        /// The column (0-based).
        column: usize,
        /// The value's text.
        text: String,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Buffer { column, problem } => write!(f, "column {column}: {problem}"),
            WriteError::Unquotable { column, text } => write!(
                f,
                "column {column}: the value {text:?} holds the delimiter, and nothing is quoted"
            ),
        }
    }
}

impl std::error::Error for WriteError {}

impl Style {
    /// RFC 4180: comma, double quote, decimal point, missing values as empty fields.
    pub const CSV: Style = Style {
        delimiter: b',',
        quote: Some(b'"'),
        decimal_point: b'.',
        missing: Vec::new(),
        empty: Vec::new(),
        line_end: b"\n",
        comment: None,
    };
}

/// Checks that `column`'s buffers hold `rows` values from its offset.
fn check(index: usize, column: &Column<'_>, rows: usize) -> Result<(), WriteError> {
    let error = |problem: String| WriteError::Buffer {
        column: index,
        problem,
    };
    let end = column
        .offset
        .checked_add(rows)
        .ok_or_else(|| error("offset out of range".into()))?;
    let bits = |bytes: &[u8], what: &str| {
        if bytes.len().saturating_mul(8) < end {
            Err(error(format!(
                "{what} of {} bytes for {end} values",
                bytes.len()
            )))
        } else {
            Ok(())
        }
    };
    if let Some(validity) = column.validity {
        bits(validity, "validity bitmap")?;
    }
    let fixed = |bytes: &[u8], width: usize| {
        if end
            .checked_mul(width)
            .is_none_or(|needed| bytes.len() < needed)
        {
            Err(error(format!(
                "{} bytes of values for {end} values of {width} bytes",
                bytes.len()
            )))
        } else {
            Ok(())
        }
    };
    match column.values {
        Values::Null => Ok(()),
        Values::Float64(b) => fixed(b, 8),
        Values::Float32(b) => fixed(b, 4),
        Values::Int { bytes, width, .. } => {
            if ![1, 2, 4, 8].contains(&width) {
                return Err(error(format!("integers of {width} bytes")));
            }
            fixed(bytes, width)
        }
        Values::Bool(b) => bits(b, "boolean bitmap"),
        Values::Text {
            offsets,
            large,
            data,
        } => {
            let width = if large { 8 } else { 4 };
            let needed = end.checked_add(1).and_then(|n| n.checked_mul(width));
            if needed.is_none_or(|needed| offsets.len() < needed) {
                return Err(error(format!(
                    "{} bytes of offsets for {end} texts",
                    offsets.len()
                )));
            }
            let mut previous = text_offset(offsets, large, column.offset);
            for i in column.offset + 1..=end {
                let next = text_offset(offsets, large, i);
                if next < previous || next > data.len() {
                    return Err(error(format!("text offset {i} out of order or range")));
                }
                previous = next;
            }
            if text_offset(offsets, large, column.offset) > data.len() {
                return Err(error("text offset out of range".into()));
            }
            Ok(())
        }
    }
}

/// The `i`-th text offset (negative ones, which [`check`] refuses, read as beyond any data).
fn text_offset(offsets: &[u8], large: bool, i: usize) -> usize {
    if large {
        let v = i64::from_le_bytes(word(offsets, i));
        usize::try_from(v).unwrap_or(usize::MAX)
    } else {
        let v = i32::from_le_bytes(word(offsets, i));
        usize::try_from(v).unwrap_or(usize::MAX)
    }
}

/// The `i`-th `N`-byte value of `bytes` (in range: checked before).
fn word<const N: usize>(bytes: &[u8], i: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[i * N..(i + 1) * N]);
    out
}

fn bit(bitmap: &[u8], i: usize) -> bool {
    bitmap[i / 8] & (1 << (i % 8)) != 0
}

/// Appends the records of `rows` rows of `columns` to `out`, as [`Style`] says.
///
/// # Errors
///
/// A column whose buffers do not hold the rows (nothing is written then); a value holding the
/// delimiter where nothing is quoted (`out` then holds the records before it).
pub fn write_records(
    columns: &[Column<'_>],
    rows: usize,
    style: &Style,
    out: &mut Vec<u8>,
) -> Result<(), WriteError> {
    for (i, column) in columns.iter().enumerate() {
        check(i, column, rows)?;
    }
    let mut floats = zmij::Buffer::new();
    let mut singles = ryu::Buffer::new();
    let mut integers = itoa::Buffer::new();
    let mut field: Vec<u8> = Vec::with_capacity(64);
    for row in 0..rows {
        for (j, column) in columns.iter().enumerate() {
            if j > 0 {
                out.push(style.delimiter);
            }
            let i = column.offset + row;
            let start = out.len();
            if column.validity.is_some_and(|v| !bit(v, i)) {
                out.extend_from_slice(&style.missing);
                continue;
            }
            let written = match column.values {
                Values::Null => {
                    out.extend_from_slice(&style.missing);
                    true
                }
                Values::Float64(b) => {
                    let x = f64::from_le_bytes(word(b, i));
                    push_float(out, &mut field, &mut floats, style, x)
                }
                Values::Float32(b) => {
                    let x = f32::from_le_bytes(word(b, i));
                    let text = if x.is_finite() {
                        singles.format_finite(x)
                    } else {
                        non_finite(f64::from(x))
                    };
                    push_number(out, &mut field, style, text)
                }
                Values::Int {
                    bytes,
                    width,
                    signed,
                } => {
                    let text = match (width, signed) {
                        (1, true) => integers.format(i8::from_le_bytes(word(bytes, i))),
                        (2, true) => integers.format(i16::from_le_bytes(word(bytes, i))),
                        (4, true) => integers.format(i32::from_le_bytes(word(bytes, i))),
                        (8, true) => integers.format(i64::from_le_bytes(word(bytes, i))),
                        (1, false) => integers.format(bytes[i]),
                        (2, false) => integers.format(u16::from_le_bytes(word(bytes, i))),
                        (4, false) => integers.format(u32::from_le_bytes(word(bytes, i))),
                        _ => integers.format(u64::from_le_bytes(word(bytes, i))),
                    };
                    push_number(out, &mut field, style, text)
                }
                Values::Bool(b) => {
                    let text: &[u8] = if bit(b, i) { b"true" } else { b"false" };
                    push_field(out, style, text)
                }
                Values::Text {
                    offsets,
                    large,
                    data,
                } => {
                    let text =
                        &data[text_offset(offsets, large, i)..text_offset(offsets, large, i + 1)];
                    push_text(out, style, text)
                }
            };
            if !written {
                return Err(WriteError::Unquotable {
                    column: j,
                    text: String::from_utf8_lossy(&out[start..]).into_owned(),
                });
            }
        }
        out.extend_from_slice(style.line_end);
    }
    Ok(())
}

/// Fields in a range of rows worth a thread of its own in [`write_records_on`].
pub const FIELDS_PER_THREAD: usize = 1 << 16;

/// The records of [`write_records`], written on up to `threads` threads, each a range of rows:
/// for a piece of few rows and many columns, which is otherwise formatted on one core. The
/// first range is appended to the last of `texts`, each later one pushed as a text of its own
/// (nothing is copied), so that the texts in order are the records. Errors as
/// [`write_records`]'s, the first in row order (`texts` then hold the records before it).
///
/// # Errors
///
/// As [`write_records`].
pub fn write_records_on(
    columns: &[Column<'_>],
    rows: usize,
    style: &Style,
    threads: usize,
    texts: &mut Vec<Vec<u8>>,
) -> Result<(), WriteError> {
    if texts.is_empty() {
        texts.push(Vec::new());
    }
    let fields = rows.saturating_mul(columns.len().max(1));
    let threads = threads.min(fields / FIELDS_PER_THREAD).min(rows);
    let first = texts.len() - 1;
    if threads < 2 {
        return write_records(columns, rows, style, &mut texts[first]);
    }
    for (i, column) in columns.iter().enumerate() {
        check(i, column, rows)?;
    }
    let per_thread = rows.div_ceil(threads);
    let ranges: Vec<Vec<Column<'_>>> = (0..rows)
        .step_by(per_thread)
        .map(|start| {
            columns
                .iter()
                .map(|c| Column {
                    offset: c.offset + start,
                    ..*c
                })
                .collect()
        })
        .collect();
    texts.resize_with(first + ranges.len(), Vec::new);
    let done: Vec<Result<(), WriteError>> = crate::pool::install(|| {
        ranges
            .par_iter()
            .zip(&mut texts[first..])
            .enumerate()
            .map(|(k, (range, text))| {
                let n = per_thread.min(rows - k * per_thread);
                write_records(range, n, style, text)
            })
            .collect()
    });
    for (k, result) in done.into_iter().enumerate() {
        if result.is_err() {
            texts.truncate(first + k + 1);
            return result;
        }
    }
    Ok(())
}

/// A float64 field: the shortest text of `x` that reads back to it, as [`push_number`] writes
/// a number (`field` and `floats`: scratch space). False as [`push_number`]'s.
#[inline]
pub(crate) fn push_float(
    out: &mut Vec<u8>,
    field: &mut Vec<u8>,
    floats: &mut zmij::Buffer,
    style: &Style,
    x: f64,
) -> bool {
    if !x.is_finite() {
        return push_number(out, field, style, non_finite(x));
    }
    // zmij writes ryu's digits in ryu's layout, twice as fast, but for the `+` of a positive
    // exponent (`1e+16`), which is taken out (`1e16`, as before).
    let text = floats.format_finite(x);
    // (Below 1e16 the layout has no exponent, or a negative one.)
    let plus = if x.abs() < 1e16 {
        None
    } else {
        text.bytes().rposition(|b| b == b'+')
    };
    match plus {
        None => push_number(out, field, style, text),
        Some(plus) => {
            let joined = [&text[..plus], &text[plus + 1..]].concat();
            push_number(out, field, style, &joined)
        }
    }
}

/// A text field: as [`push_field`] writes it, an empty text as [`Style::empty`]. False as
/// [`push_field`]'s.
#[inline]
pub(crate) fn push_text(out: &mut Vec<u8>, style: &Style, text: &[u8]) -> bool {
    if text.is_empty() {
        out.extend_from_slice(&style.empty);
        true
    } else {
        push_field(out, style, text)
    }
}

fn non_finite(x: f64) -> &'static str {
    if x.is_nan() {
        "NaN"
    } else if x > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// A number's text, with the style's decimal separator, quoted where it then holds the
/// delimiter or the quote (`-` as the delimiter, or a decimal comma between commas). False
/// where it would need quotes and nothing is quoted (it is written all the same).
fn push_number(out: &mut Vec<u8>, field: &mut Vec<u8>, style: &Style, text: &str) -> bool {
    // A byte that a number's text may hold (digits, sign, point, exponent, NaN, inf).
    let in_numbers = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.');
    let plain =
        |b: &u8| *b != style.delimiter && Some(*b) != style.quote && Some(*b) != style.comment;
    let never_quoted = !in_numbers(style.delimiter)
        && style.quote.is_none_or(|q| !in_numbers(q))
        && style.comment.is_none_or(|c| !in_numbers(c));
    if style.decimal_point == b'.' && (never_quoted || text.as_bytes().iter().all(plain)) {
        out.extend_from_slice(text.as_bytes());
        return true;
    }
    field.clear();
    field.extend(
        text.bytes()
            .map(|b| if b == b'.' { style.decimal_point } else { b }),
    );
    push_field(out, style, field)
}

/// A field as it is, or quoted with its quotes doubled where it holds the delimiter, the quote,
/// the comment character or a line break. False where it holds the delimiter or a line break,
/// or starts with the comment character, and nothing is quoted (it is written all the same:
/// the caller refuses it).
fn push_field(out: &mut Vec<u8>, style: &Style, text: &[u8]) -> bool {
    let breaks = |b: &u8| *b == style.delimiter || *b == b'\n' || *b == b'\r';
    let special = |b: &u8| breaks(b) || Some(*b) == style.quote || Some(*b) == style.comment;
    out.extend_from_slice(text);
    let Some(quote) = style.quote else {
        let comment_first = style.comment.is_some() && text.first() == style.comment.as_ref();
        return !comment_first && !text.iter().any(breaks);
    };
    if !text.iter().any(special) {
        return true;
    }
    out.truncate(out.len() - text.len());
    out.push(quote);
    for &b in text {
        if b == quote {
            out.push(quote);
        }
        out.push(b);
    }
    out.push(quote);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_ryus_text() {
        let (mut z, mut r, mut field) = (zmij::Buffer::new(), ryu::Buffer::new(), Vec::new());
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let specials = [
            0.0,
            -0.0,
            1e15,
            1e16,
            1e21,
            1.25e-7,
            1e-5,
            5e-324,
            f64::MAX,
            0.1,
        ];
        let random = (0..300_000).map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if i % 2 == 0 {
                f64::from_bits(state)
            } else {
                10f64.powi((state % 640) as i32 - 320) * (state >> 44) as f64
            }
        });
        let edges = [
            9.999_999_999_999_998e15,
            1.000_000_000_000_000_2e16,
            -1e16,
            1e17,
        ];
        let all = specials.into_iter().chain(edges).chain(random);
        for x in all.filter(|x| x.is_finite()) {
            let mut out = Vec::new();
            assert!(push_float(&mut out, &mut field, &mut z, &Style::CSV, x));
            assert_eq!(
                std::str::from_utf8(&out).unwrap(),
                r.format_finite(x),
                "{x:e}"
            );
        }
    }

    fn floats(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn texts(values: &[&str]) -> (Vec<u8>, Vec<u8>) {
        let mut offsets = vec![0u8; 4];
        let mut data = Vec::new();
        for v in values {
            data.extend_from_slice(v.as_bytes());
            offsets.extend_from_slice(&(data.len() as i32).to_le_bytes());
        }
        (offsets, data)
    }

    fn written(columns: &[Column<'_>], rows: usize, style: &Style) -> String {
        let mut out = Vec::new();
        write_records(columns, rows, style, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_are_shortest_and_read_back() {
        let values = [
            0.1,
            1e15,
            1e16,
            1.25e-7,
            -0.0,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            -1.5,
        ];
        let bytes = floats(&values);
        let column = Column {
            values: Values::Float64(&bytes),
            validity: None,
            offset: 0,
        };
        let text = written(&[column], values.len(), &Style::CSV);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "0.1",
                "1000000000000000.0",
                "1e16",
                "1.25e-7",
                "-0.0",
                "5e-324",
                "NaN",
                "inf",
                "-1.5"
            ]
        );
        for (line, x) in lines.iter().zip(values) {
            if x.is_finite() {
                assert_eq!(line.parse::<f64>().unwrap().to_bits(), x.to_bits());
            }
        }
    }

    #[test]
    fn text_is_quoted_only_where_needed_and_missing_is_the_missing_text() {
        let (offsets, data) = texts(&["plain", "a,b", "say \"hi\"", "two\nlines", "", "x"]);
        let text = Column {
            values: Values::Text {
                offsets: &offsets,
                large: false,
                data: &data,
            },
            validity: Some(&[0b0001_1111]), // the last is missing
            offset: 0,
        };
        let style = Style {
            missing: b"\"\"".to_vec(),
            empty: b"\"\"".to_vec(),
            ..Style::CSV
        };
        assert_eq!(
            written(&[text], 6, &style),
            "plain\n\"a,b\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n\"\"\n\"\"\n"
        );
        let crlf = Style {
            line_end: b"\r\n",
            ..style.clone()
        };
        assert_eq!(
            written(&[text], 6, &crlf),
            "plain\r\n\"a,b\"\r\n\"say \"\"hi\"\"\"\r\n\"two\nlines\"\r\n\"\"\r\n\"\"\r\n"
        );
        let never = Style {
            quote: None,
            ..Style::CSV
        };
        assert_eq!(
            written(&[text], 1, &never),
            "plain\n",
            "without a quote character nothing is quoted"
        );
        let mut out = Vec::new();
        assert_eq!(
            write_records(&[text], 2, &never, &mut out),
            Err(WriteError::Unquotable {
                column: 0,
                text: "a,b".into()
            }),
            "a field that would need quotes is refused"
        );
    }

    #[test]
    fn text_holding_the_comment_character_is_quoted() {
        let (offsets, data) = texts(&["#top", "a#b", "plain"]);
        let text = Column {
            values: Values::Text {
                offsets: &offsets,
                large: false,
                data: &data,
            },
            validity: None,
            offset: 0,
        };
        let hash = Style {
            comment: Some(b'#'),
            ..Style::CSV
        };
        assert_eq!(written(&[text], 3, &hash), "\"#top\"\n\"a#b\"\nplain\n");
        assert_eq!(written(&[text], 3, &Style::CSV), "#top\na#b\nplain\n");
        let never = Style {
            quote: None,
            ..hash.clone()
        };
        let mut out = Vec::new();
        assert_eq!(
            write_records(&[text], 3, &never, &mut out),
            Err(WriteError::Unquotable {
                column: 0,
                text: "#top".into()
            }),
        );
        assert_eq!(
            written(&[Column { offset: 1, ..text }], 2, &never),
            "a#b\nplain\n",
            "without quoting, only a field that starts with it could start a comment line"
        );
        // A comment character that numbers hold: numbers holding it are quoted too.
        let bytes = floats(&[-1.5, 2.0]);
        let numbers = Column {
            values: Values::Float64(&bytes),
            validity: None,
            offset: 0,
        };
        let dash = Style {
            comment: Some(b'-'),
            ..Style::CSV
        };
        assert_eq!(written(&[numbers], 2, &dash), "\"-1.5\"\n2.0\n");
    }

    #[test]
    fn offsets_validity_and_decimal_commas_follow_the_array() {
        let bytes = floats(&[9.0, 1.5, 2.25, 3.0]);
        let column = Column {
            values: Values::Float64(&bytes),
            validity: Some(&[0b0000_1011]), // row 2 (index 2) missing
            offset: 1,
        };
        let ints: Vec<u8> = [7i64, -8, 9].iter().flat_map(|x| x.to_le_bytes()).collect();
        let int = Column {
            values: Values::Int {
                bytes: &ints,
                width: 8,
                signed: true,
            },
            validity: None,
            offset: 0,
        };
        let flags = Column {
            values: Values::Bool(&[0b101]),
            validity: None,
            offset: 0,
        };
        let comma = Style {
            delimiter: b';',
            decimal_point: b',',
            ..Style::CSV
        };
        assert_eq!(
            written(&[column, int, flags], 3, &comma),
            "1,5;7;true\n;-8;false\n3,0;9;true\n"
        );
        let same = Style {
            decimal_point: b',',
            ..Style::CSV
        };
        assert_eq!(
            written(&[column], 1, &same),
            "\"1,5\"\n",
            "a decimal comma in a comma-separated record is quoted"
        );
    }

    #[test]
    fn short_buffers_and_bad_offsets_are_errors_not_panics() {
        let bytes = floats(&[1.0, 2.0]);
        let column = Column {
            values: Values::Float64(&bytes),
            validity: None,
            offset: 1,
        };
        let mut out = Vec::new();
        let error = write_records(&[column], 2, &Style::CSV, &mut out).unwrap_err();
        assert!(matches!(error, WriteError::Buffer { column: 0, .. }));
        assert!(out.is_empty());
        let offsets: Vec<u8> = [0i32, 3, 1].iter().flat_map(|x| x.to_le_bytes()).collect();
        let text = Column {
            values: Values::Text {
                offsets: &offsets,
                large: false,
                data: b"abc",
            },
            validity: None,
            offset: 0,
        };
        assert!(write_records(&[text], 2, &Style::CSV, &mut out).is_err());
        let narrow = Column {
            values: Values::Int {
                bytes: &[1, 2, 3],
                width: 3,
                signed: true,
            },
            validity: None,
            offset: 0,
        };
        assert!(write_records(&[narrow], 1, &Style::CSV, &mut out).is_err());
        for offset in [
            usize::MAX,
            usize::MAX / 8,
            (1 << 61) - 1,
            1 << 61,
            (1 << 62) - 1,
        ] {
            let far = Column { offset, ..column };
            assert!(write_records(&[far], 1, &Style::CSV, &mut out).is_err());
            let far_text = Column { offset, ..text };
            assert!(write_records(&[far_text], 1, &Style::CSV, &mut out).is_err());
        }
        assert!(out.is_empty());
    }

    #[test]
    fn numbers_holding_the_delimiter_are_quoted() {
        let bytes = floats(&[-1.5, 2.0]);
        let ints: Vec<u8> = [-7i32, 8].iter().flat_map(|x| x.to_le_bytes()).collect();
        let columns = [
            Column {
                values: Values::Float64(&bytes),
                validity: None,
                offset: 0,
            },
            Column {
                values: Values::Int {
                    bytes: &ints,
                    width: 4,
                    signed: true,
                },
                validity: None,
                offset: 0,
            },
        ];
        let dash = Style {
            delimiter: b'-',
            ..Style::CSV
        };
        assert_eq!(written(&columns, 2, &dash), "\"-1.5\"-\"-7\"\n2.0-8\n");
    }

    #[test]
    fn rows_shared_among_threads_are_the_same_records_and_the_first_error() {
        let rows = 301;
        let width = 1200;
        let values: Vec<f64> = (0..rows * width + 5)
            .map(|k| k as f64 / 7.0 - 90.0)
            .collect();
        let bytes = floats(&values);
        let words: Vec<String> = (0..rows + 3).map(|k| format!("w{k}")).collect();
        let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
        let (offsets, data) = texts(&words);
        let mut columns: Vec<Column<'_>> = (0..width)
            .map(|j| Column {
                values: Values::Float64(&bytes),
                validity: Some(&[0b1011_0110; 64]),
                offset: (j * 13) % 50,
            })
            .collect();
        columns.push(Column {
            values: Values::Text {
                offsets: &offsets,
                large: false,
                data: &data,
            },
            validity: None,
            offset: 2,
        });
        let style = Style::CSV;
        let mut one = Vec::new();
        write_records(&columns, rows, &style, &mut one).unwrap();
        for threads in [2, 3, 4, 16] {
            let mut texts = vec![b"head\n".to_vec()];
            write_records_on(&columns, rows, &style, threads, &mut texts).unwrap();
            assert_eq!(texts.len(), threads.min(5), "{threads} threads");
            assert_eq!(&texts.concat()[5..], &one[..], "{threads} threads");
        }

        // A field that cannot be written unquoted, in two rows: the first is the one named.
        words[150] = "a,b";
        words[280] = "c,d";
        let (offsets, data) = texts(&words);
        columns[width].values = Values::Text {
            offsets: &offsets,
            large: false,
            data: &data,
        };
        let bare = Style {
            quote: None,
            ..style
        };
        let mut texts = Vec::new();
        let error = write_records_on(&columns, rows, &bare, 4, &mut texts).unwrap_err();
        assert_eq!(
            error,
            WriteError::Unquotable {
                column: width,
                text: "a,b".into()
            }
        );
        let mut one = Vec::new();
        assert_eq!(write_records(&columns, rows, &bare, &mut one), Err(error));
        assert_eq!(texts.concat(), one);
    }
}
