//! Selected columns of a block of CSV records, as float64 or as text, exactly as normkit's
//! pyarrow-based reader reads them (`newlines_in_values=True`, `strings_can_be_null=False`,
//! `quoted_strings_can_be_null=True`, the missing-value strings as `null_values`).
//!
//! Records and fields are found by [`crate::scan`]'s rules (pyarrow's). Then, per column:
//!
//! - a **float** column: a field whose text (quotes taken away) is one of the missing-value
//!   strings is missing, quoted or not (`""` and `"NA"` too). The comparison is exact: ` NA`
//!   is not `NA`. Any other field is trimmed of spaces and tabs (only those) and parsed by
//!   [`parse_float`]; a field that is not a number is an error ([`ErrorKind::NotANumber`]);
//! - a **text** column keeps every field's text as written (no missing values: `NA` and the
//!   empty field are strings), checked to be UTF-8;
//! - a **skip** column is scanned (a quoted field may hold delimiters and line ends) but not
//!   converted nor checked.
//!
//! Every record must have as many fields as there are columns. Errors carry the data row, the
//! line, the column and the value ([`ParseError`]); the first error in file order is reported,
//! and within one record an error of its structure (field count, unclosed quote) comes before
//! one of its values, as in pyarrow, which splits a block into fields before converting them.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::dialect::Dialect;
use crate::infer::{ColumnType, TypedColumn};
use crate::scan::{count_lines, field_text, next_field, opening_quote, terminator, Field, Term};
use crate::structural::FieldEnds;

/// The strings that mean a missing value in a float column, with a fast membership test.
///
/// Most fields of a float column are numbers, so the test first rules a field out by its length
/// and its first byte, with two small tables, before comparing it with the strings.
#[derive(Clone, Debug)]
pub struct MissingValues {
    values: Vec<Vec<u8>>,
    /// Bit `n` set: some string is `n` bytes long (`n` < 64).
    lengths: u64,
    /// Some string is 64 bytes long or longer.
    long: bool,
    /// Bit `b` set: some string starts with byte `b`.
    first: [u64; 4],
}

/// The numbers that are missing values in a float column ([`MissingValues::numbers`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NullNumbers {
    /// Finite values, matched by value.
    pub values: Vec<f64>,
    /// Whether NaN is one: every field that reads as NaN is missing.
    pub nan: bool,
}

impl NullNumbers {
    /// Whether `v` is missing.
    #[inline]
    pub fn contains(&self, v: &f64) -> bool {
        if v.is_nan() {
            self.nan
        } else {
            !self.values.is_empty() && self.values.contains(v)
        }
    }
}

impl MissingValues {
    /// The set of `values` (duplicates are harmless). Pass the empty string to make empty
    /// fields missing: pyarrow does not otherwise, and neither does this.
    pub fn new<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut set = MissingValues {
            values: Vec::new(),
            lengths: 0,
            long: false,
            first: [0; 4],
        };
        for v in values {
            let v = v.as_ref();
            if set.values.iter().any(|known| known == v) {
                continue;
            }
            if v.len() < 64 {
                set.lengths |= 1 << v.len();
            } else {
                set.long = true;
            }
            if let Some(&b) = v.first() {
                set.first[usize::from(b >> 6)] |= 1 << (b & 63);
            }
            set.values.push(v.to_vec());
        }
        set
    }

    /// No missing values at all.
    pub fn none() -> Self {
        Self::new(std::iter::empty::<&[u8]>())
    }

    /// Whether `field` (quotes taken away) of a column of numbers is no value, as its
    /// statistics count it: one of the strings, a number `numbers` holds however spelled
    /// ([`MissingValues::numbers`]), NaN, or with `infinite_missing` an infinity. Text that is
    /// no number is a value.
    pub fn no_value(
        &self,
        field: &[u8],
        numbers: &NullNumbers,
        decimal_point: u8,
        infinite_missing: bool,
    ) -> bool {
        self.contains(field)
            || parse_float(field, decimal_point).is_some_and(|v| {
                v.is_nan() || numbers.contains(&v) || (infinite_missing && v.is_infinite())
            })
    }

    /// Whether `field` (the text of a field, quotes taken away) is one of the strings.
    #[inline]
    pub fn contains(&self, field: &[u8]) -> bool {
        let n = field.len();
        let maybe_length = if n < 64 {
            self.lengths >> n & 1 != 0
        } else {
            self.long
        };
        if !maybe_length {
            return false;
        }
        if let Some(&b) = field.first() {
            if self.first[usize::from(b >> 6)] >> (b & 63) & 1 == 0 {
                return false;
            }
        }
        self.values.iter().any(|v| v == field)
    }

    /// The numbers among the strings (read with `decimal_point`, else with `.`, as a
    /// program writes them): in a float column, a field of the same value is missing however
    /// it is spelled (`-999.0` or `-999,0` where `-999` is a missing value; `-nan` or `NaN `
    /// where `nan` is), as pandas reads its numeric `na_values`.
    pub fn numbers(&self, decimal_point: u8) -> NullNumbers {
        let mut numbers = NullNumbers::default();
        for v in &self.values {
            match parse_float(v, decimal_point).or_else(|| parse_float(v, b'.')) {
                Some(x) if x.is_nan() => numbers.nan = true,
                // inf: a value too large for float64 is refused, not missing.
                Some(x) if x.is_finite() => numbers.values.push(x),
                _ => {}
            }
        }
        numbers
    }

    /// The strings, in the order first given.
    pub fn values(&self) -> impl Iterator<Item = &[u8]> {
        self.values.iter().map(Vec::as_slice)
    }
}

/// Parses a field of a float column as pyarrow does (its C++ `fast_float` with a leading `+`
/// allowed), or `None` if it is not a number. The result is correctly rounded: it equals
/// `str::parse::<f64>` bit for bit wherever both accept the text.
///
/// Accepted: spaces and tabs around (only those: not other white space); then an optional sign,
/// and digits with an optional `decimal_point` and fraction (`1`, `1.5`, `.5`, `5.`), with an
/// optional exponent (`e`/`E`, optional sign, digits: `1e5`, `1E-05`); or `inf`, `infinity`,
/// `nan` in any case with an optional sign; or `nan(...)` with letters, digits and `_` inside
/// the parentheses (which `str::parse` refuses), as NaN. Refused: the empty text, hexadecimal,
/// `_` or other digit separators, a `.` when the decimal point is something else, `e5`, `1e`.
pub fn parse_float(field: &[u8], decimal_point: u8) -> Option<f64> {
    let text = trim_spaces(field);
    if text.is_empty() {
        return None;
    }
    if decimal_point == b'.' {
        return parse_dot(text);
    }
    // Another decimal point: the text with it as '.', where '.' itself is no number's.
    if memchr::memchr(b'.', text).is_some() {
        return None;
    }
    let mut small = [0u8; 64];
    let mut large;
    let copy: &mut [u8] = match small.get_mut(..text.len()) {
        Some(s) => s,
        None => {
            large = vec![0u8; text.len()];
            &mut large
        }
    };
    for (to, &from) in copy.iter_mut().zip(text) {
        *to = if from == decimal_point { b'.' } else { from };
    }
    parse_dot(copy)
}

#[inline]
fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[inline]
fn parse_dot(text: &[u8]) -> Option<f64> {
    match fast_float2::parse::<f64, _>(text) {
        Ok(v) => Some(v),
        Err(_) => parse_nan_payload(text),
    }
}

/// `nan(chars)`, optionally signed, with letters, digits and `_` as chars: NaN, as C's
/// `strtod` and `fast_float` read it (pyarrow accepts it).
#[cold]
fn parse_nan_payload(text: &[u8]) -> Option<f64> {
    let (negative, rest) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    let (head, rest) = rest.split_at_checked(4)?;
    let inner = rest.strip_suffix(b")")?;
    let ok = head.eq_ignore_ascii_case(b"nan(")
        && inner
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some(if negative { -f64::NAN } else { f64::NAN })
}

/// Exact powers of ten: `10^e` is an `f64` without rounding up to `e` = 22.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `10^k` for the digit counts of one 8-byte word.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The value of 8 decimal digits, one per byte (0 to 9, not ASCII), the first byte (the
/// lowest, little-endian) the most significant; as in fast_float.
#[inline(always)]
fn eight_digits(v: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 0x000F_4240_0000_0064;
    const MUL2: u64 = 0x0000_2710_0000_0001;
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let v1 = (v & MASK).wrapping_mul(MUL1);
    let v2 = ((v >> 16) & MASK).wrapping_mul(MUL2);
    u64::from((v1.wrapping_add(v2) >> 32) as u32)
}

/// The digits from `i` on, accumulated into `m` (wrapping: the caller counts them and
/// refuses more than 19); returns where they end.
///
/// Eight bytes at a time: which of them are digits is found with a few word operations, and
/// their value with two multiplications, so a run of digits costs no branch per digit (the
/// branch that ends a byte loop at a run's end is mispredicted once per run, and a number has
/// up to three runs).
#[inline(always)]
fn digits(buf: &[u8], mut i: usize, m: &mut u64) -> usize {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const PLUS_118: u64 = 0x7676_7676_7676_7676;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = buf.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        // Per byte: a = b ^ '0' is 0..9 for a digit; (a & 0x7f) + 118 has its high bit set for
        // a >= 10 (without carrying into the next byte), and a itself for a >= 128.
        let a = u64::from_le_bytes(word) ^ ZEROS;
        let not_digit = (((a & LOW7) + PLUS_118) | a) & HIGH;
        let k = if not_digit == 0 {
            8
        } else {
            (not_digit.trailing_zeros() / 8) as usize
        };
        if k == 0 {
            return i;
        }
        // The k digits moved to the top bytes, zeros (leading zero digits) below them.
        let value = eight_digits(a << (8 * (8 - k)));
        *m = m
            .wrapping_mul(*POW10_U64.get(k).unwrap_or(&1))
            .wrapping_add(value);
        i += k;
        if k < 8 {
            return i;
        }
    }
    // The last bytes of the buffer, one at a time.
    while let Some(&b) = buf.get(i) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        *m = m.wrapping_mul(10).wrapping_add(u64::from(digit));
        i += 1;
    }
    i
}

/// The fast path of a float column: the field at `pos`, if it is a plain decimal number (sign,
/// digits, decimal point, digits, exponent; no quote, no space), and where it ends (at its
/// terminator); `None` for anything else, which the general path reads.
///
/// Its value is `m * 10^e` with `m` the digits as an integer. With at most 19 digits, `m` <=
/// 2^53 and |e| <= 22, both `m` and `10^e` are exact `f64`s and one multiplication or
/// division rounds their product correctly (Clinger's fast path, the one `str::parse` and
/// fast_float take first), so the value is the same, bit for bit, as [`parse_float`]'s.
/// Other plain numbers (17 significant digits, as most software writes doubles, are above
/// 2^53) go to fast_float's full algorithm, on the field already delimited. The caller still
/// compares the field with the missing-value strings.
///
/// Reading the digits while looking for the field's end crosses its bytes once instead of
/// twice (once to split, once to parse), which is most of the parser's time.
#[inline(always)]
fn fast_number(buf: &[u8], pos: usize, d: &Dialect) -> Option<(f64, usize)> {
    if d.decimal_point == b'.' {
        return fast_decimal(buf, pos, d);
    }
    let mut i = pos;
    let negative = buf.get(i) == Some(&b'-');
    if negative || buf.get(i) == Some(&b'+') {
        i += 1;
    }
    let mut m: u64 = 0;
    let int_start = i;
    i = digits(buf, i, &mut m);
    let mut count = i - int_start;
    let mut exponent: i64 = 0;
    // A decimal point that is also the delimiter ends an unquoted field (`1,5` is two).
    if buf.get(i) == Some(&d.decimal_point) && d.decimal_point != d.delimiter {
        let frac_start = i + 1;
        i = digits(buf, frac_start, &mut m);
        count += i - frac_start;
        exponent = -((i - frac_start) as i64);
    }
    if count == 0 {
        return None;
    }
    // 19 digits cannot overflow a u64 (more wrap around); the fast path needs m <= 2^53.
    let mut exact = count <= 19 && m <= 1 << 53;
    if let Some(b'e' | b'E') = buf.get(i) {
        i += 1;
        let negative_exponent = buf.get(i) == Some(&b'-');
        if negative_exponent || buf.get(i) == Some(&b'+') {
            i += 1;
        }
        let exp_start = i;
        let mut e: u64 = 0;
        i = digits(buf, i, &mut e);
        if i == exp_start {
            return None; // "1e" is no number: the general path says so
        }
        exact &= i - exp_start <= 3; // longer exponents may have wrapped around
        let e = e as i64;
        exponent += if negative_exponent { -e } else { e };
    }
    match buf.get(i) {
        None => {}
        Some(&b) if b == d.delimiter || b == b'\n' || b == b'\r' => {}
        Some(_) => return None,
    }
    if !exact || exponent.unsigned_abs() > 22 {
        if d.decimal_point != b'.' {
            return None; // the general path swaps the decimal point first
        }
        let text = buf.get(pos..i)?;
        return fast_float2::parse::<f64, _>(text).ok().map(|v| (v, i));
    }
    let value = m as f64;
    let value = if exponent >= 0 {
        value * *POW10.get(exponent as usize)?
    } else {
        value / *POW10.get(exponent.unsigned_abs() as usize)?
    };
    Some((if negative { -value } else { value }, i))
}

/// [`fast_number`] with `.` as the decimal point: fast_float reads the number where it starts
/// with a digit or a point (after a sign), and it is the field if a terminator follows. So
/// `inf`, `nan`, spaces, quotes and anything fast_float does not take whole (`1e`, `1.5.3`,
/// `0x10`) are left to the general path. fast_float rounds correctly, as [`parse_float`] does:
/// the same bits. One pass over the digits (fast_float's, eight at a time), not two.
#[inline(always)]
fn fast_decimal(buf: &[u8], pos: usize, d: &Dialect) -> Option<(f64, usize)> {
    let rest = buf.get(pos..)?;
    let body = match rest.first()? {
        b'-' | b'+' => rest.get(1)?,
        b => b,
    };
    if !(body.is_ascii_digit() || *body == b'.') {
        return None;
    }
    let (value, n) = fast_float2::parse_partial::<f64, _>(rest).ok()?;
    match rest.get(n) {
        None => {}
        Some(&b) if b == d.delimiter || b == b'\n' || b == b'\r' => {}
        Some(_) => return None,
    }
    Some((value, pos + n))
}

/// How a column is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// Scanned (for the structure of the records) but not converted nor checked.
    Skip,
    /// Parsed as float64, missing-value strings as missing.
    Float,
    /// Kept as its UTF-8 text.
    Text,
    /// Kept as its bytes, not checked to be UTF-8 (a column whose type is still to be learned:
    /// a column of other bytes is binary, not an error).
    Bytes,
    /// Read as this type, as [`crate::infer`] reads a first block's column of it, missing-value
    /// strings as missing (text ones too); a field it does not read is an error
    /// ([`ErrorKind::NotANumber`]).
    Typed(ColumnType),
}

/// A float column of a block: one value per row.
///
/// A missing value is NaN in `values`, and its bit is 0 in `validity`. `validity` is an Arrow
/// validity bitmap (bit `i % 8` of byte `i / 8` for row `i`, least significant bit first),
/// present only when some value is missing (`None`: all are present, as Arrow allows).
///
/// Two columns are equal when their values are identical bit for bit (NaN equals the same NaN,
/// and 0.0 differs from -0.0) and the same rows are missing.
#[derive(Clone, Debug, Default)]
pub struct FloatColumn {
    /// The values, NaN where missing.
    pub values: Vec<f64>,
    /// Arrow validity bitmap, `None` if no value is missing; `rows.div_ceil(8)` bytes.
    pub validity: Option<Vec<u8>>,
    /// The number of missing values (0 bits in `validity`).
    pub null_count: usize,
}

impl PartialEq for FloatColumn {
    fn eq(&self, other: &Self) -> bool {
        self.values.len() == other.values.len()
            && self.null_count == other.null_count
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|(a, b)| a.to_bits() == b.to_bits())
            && (0..self.values.len()).all(|i| self.is_valid(i) == other.is_valid(i))
    }
}

impl FloatColumn {
    /// The number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether row `i` holds a value (not missing). Rows past the end are not valid.
    pub fn is_valid(&self, i: usize) -> bool {
        match &self.validity {
            _ if i >= self.values.len() => false,
            None => true,
            Some(bits) => bits.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 == 1),
        }
    }

    /// Row `i`: `Some(value)`, or `None` if missing (or past the end).
    pub fn get(&self, i: usize) -> Option<f64> {
        if self.is_valid(i) {
            self.values.get(i).copied()
        } else {
            None
        }
    }

    #[inline]
    fn push(&mut self, v: f64) {
        let i = self.values.len();
        self.values.push(v);
        if let Some(bits) = &mut self.validity {
            set_bit(bits, i);
        }
    }

    #[cold]
    fn push_missing(&mut self) {
        let i = self.values.len();
        self.values.push(f64::NAN);
        self.null_count += 1;
        let bits = self.validity.get_or_insert_with(|| {
            // Every row before this one holds a value.
            let mut bits = vec![0xff; i / 8];
            if !i.is_multiple_of(8) {
                bits.push((1u8 << (i % 8)) - 1);
            }
            bits
        });
        if i.is_multiple_of(8) {
            bits.push(0);
        }
    }
}

#[inline]
fn set_bit(bits: &mut Vec<u8>, i: usize) {
    if i.is_multiple_of(8) {
        bits.push(1);
    } else if let Some(last) = bits.last_mut() {
        *last |= 1 << (i % 8);
    }
}

/// A text column of a block, in Arrow's `large_string` layout: row `i` is
/// `data[offsets[i]..offsets[i + 1]]`, so there are rows + 1 offsets, the first 0. The text is
/// the field's with its quotes taken away (doubled quotes undoubled), valid UTF-8 (any bytes for
/// a [`ColumnKind::Bytes`] column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextColumn {
    /// rows + 1 offsets into `data`, non-decreasing, from 0.
    pub offsets: Vec<i64>,
    /// The texts of all rows, one after the other; valid UTF-8 (for a text column).
    pub data: Vec<u8>,
}

impl Default for TextColumn {
    fn default() -> Self {
        TextColumn {
            offsets: vec![0],
            data: Vec::new(),
        }
    }
}

impl TextColumn {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`'s text, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&str> {
        let start = usize::try_from(*self.offsets.get(i)?).ok()?;
        let end = usize::try_from(*self.offsets.get(i + 1)?).ok()?;
        std::str::from_utf8(self.data.get(start..end)?).ok()
    }

    /// Row `i`'s bytes, or `None` past the end.
    pub fn bytes(&self, i: usize) -> Option<&[u8]> {
        let start = usize::try_from(*self.offsets.get(i)?).ok()?;
        let end = usize::try_from(*self.offsets.get(i + 1)?).ok()?;
        self.data.get(start..end)
    }

    /// The rows' bytes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + Clone + '_ {
        self.offsets.windows(2).map(|w| {
            let start = usize::try_from(w[0]).unwrap_or(0);
            let end = usize::try_from(w[1]).unwrap_or(0);
            self.data.get(start..end).unwrap_or_default()
        })
    }

    #[inline]
    pub(crate) fn push(&mut self, text: &[u8]) {
        self.data.extend_from_slice(text);
        self.offsets.push(self.data.len() as i64);
    }

    /// Appends the texts of `other`.
    pub(crate) fn extend(&mut self, other: &TextColumn) {
        let base = self.data.len() as i64;
        self.offsets
            .extend(other.offsets.iter().skip(1).map(|&o| base + o));
        self.data.extend_from_slice(&other.data);
    }
}

/// The columns read from a block of records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedBlock {
    /// The number of data records (empty lines are none, but in a file of one column).
    pub rows: usize,
    /// The float columns, in the order of the columns of that kind; each has `rows` values.
    pub floats: Vec<FloatColumn>,
    /// The text columns, in the order of the columns of that kind; each has `rows` texts.
    pub texts: Vec<TextColumn>,
    /// The typed columns, in the order of the columns of that kind; each has `rows` values.
    pub typed: Vec<TypedColumn>,
    /// The line ends in the block (see [`count_lines`]), counted on the core that parsed it.
    pub lines: u64,
    /// The bytes of the block (for the room its columns reserve).
    bytes: usize,
}

/// What is wrong, in a [`ParseError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A field of a float column is neither a number nor a missing-value string.
    NotANumber,
    /// A record has `got` fields where the header has `expected` (`value`: the record).
    FieldCount {
        /// The number of columns.
        expected: usize,
        /// The record's number of fields.
        got: usize,
    },
    /// A quoted field is never closed: the input ends inside it (`value`: from its quote on).
    /// pyarrow reads it as one field running to the end of the file, swallowing the records
    /// after it; this is an error here.
    UnterminatedQuote,
    /// A field of a text column (or a column name) is not UTF-8.
    InvalidUtf8,
    /// A quoted field holding a line break goes on after its closing quote (`"a\nb"c`):
    /// most likely a quote left open, closed only by a stray quote records later, the records
    /// between read into one field. pyarrow reads it so; this is an error here.
    StrayQuote,
    /// A quoted field goes on after a closing quote that a backslash stands before
    /// (`"O\"Brien"`), where [`Dialect::refuse_escaped_quotes`] says so: a quote escaped by a
    /// backslash, in a file read without an escape.
    EscapedQuote,
    /// A quoted field holds line breaks and reads as the rest of its record, records and the
    /// start of another, where [`Dialect::refuse_quoted_breaks`] says so (`value`: the field
    /// from its quote on): most likely a quote opened by mistake and closed by another one
    /// records later, the records between read into one field.
    QuotedBreak,
    /// A comment line that splits as a record of the table (as many fields, and a number or
    /// a missing value in every float column), where [`Dialect::refuse_comment_rows`] says so
    /// (`value`: the line).
    CommentOrRow,
    /// [`crate::scan::parse_header`]: the buffer ends before the header does; read more.
    Incomplete,
    /// [`crate::scan::parse_header`]: the input holds no header (it is empty, or only empty
    /// lines).
    NoHeader,
}

/// Where and why a CSV input cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The data row (1-based: the first record after the header is row 1; empty lines are no
    /// rows, but in a file of one column); 0 for the header. pyarrow's `invalid_row_handler`
    /// numbers a row `row + 1` (it counts the header, and neither empty lines nor line ends
    /// inside quotes).
    pub row: u64,
    /// The physical line (1-based) that the record starts on: every LF, CRLF and lone CR
    /// before it counts, those of empty lines and those inside quoted fields too, so an editor
    /// shows the record at this line.
    pub line: u64,
    /// The column (0-based), where one field is at fault.
    pub column: Option<usize>,
    /// The field's text (or the record's, for [`ErrorKind::FieldCount`]), quotes taken away,
    /// invalid UTF-8 replaced, cut to its first 100 characters (then ending in `...`).
    pub value: String,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row > 0 {
            write!(f, "data row {} (line {})", self.row, self.line)?;
        } else {
            write!(f, "header (line {})", self.line)?;
        }
        if let Some(c) = self.column {
            write!(f, ", column #{c}")?;
        }
        match self.kind {
            ErrorKind::NotANumber => write!(f, ": {:?} is not a number", self.value),
            ErrorKind::FieldCount { expected, got } => {
                write!(
                    f,
                    ": expected {expected} fields, got {got}: {:?}",
                    self.value
                )
            }
            ErrorKind::UnterminatedQuote => write!(
                f,
                ": a quoted field is never closed (unterminated quote): {:?}",
                self.value
            ),
            ErrorKind::InvalidUtf8 => write!(f, ": invalid UTF-8 text: {:?}", self.value),
            ErrorKind::StrayQuote => write!(
                f,
                ": a quoted field with a line break goes on after its closing quote: {:?}",
                self.value
            ),
            ErrorKind::EscapedQuote => write!(
                f,
                ": a quoted field goes on after a quote with a backslash before it: {:?}",
                self.value
            ),
            ErrorKind::QuotedBreak => write!(
                f,
                ": a quoted field holds line breaks and reads as records: {:?}",
                self.value
            ),
            ErrorKind::CommentOrRow => write!(
                f,
                ": a comment line splits as a row of the table: {:?}",
                self.value
            ),
            ErrorKind::Incomplete => write!(f, ": the header is incomplete"),
            ErrorKind::NoHeader => write!(f, ": no header (the input is empty)"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Characters of a value kept in a [`ParseError`].
const SHOWN_CHARS: usize = 100;

/// `bytes` as text for an error message: lossy, cut to [`SHOWN_CHARS`] characters.
pub(crate) fn shown(bytes: &[u8]) -> String {
    // Enough bytes for the characters kept, however wide they are.
    let head = bytes.get(..SHOWN_CHARS * 4).unwrap_or(bytes);
    let text = String::from_utf8_lossy(head);
    let mut chars = text.char_indices();
    match chars.nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None if head.len() < bytes.len() => format!("{text}..."),
        None => text.into_owned(),
    }
}

/// Where a column's values go.
#[derive(Clone, Copy)]
enum Slot {
    Skip,
    Float(usize),
    /// The text column, and whether its text must be UTF-8.
    Text(usize, bool),
    /// The typed column, and whether its text must be UTF-8 (a text column's).
    Typed(usize, bool),
}

/// A field of a text or typed column handed to `out` (nothing for another slot): the error it
/// is, if any (a typed column's field that its type does not read is
/// [`ErrorKind::NotANumber`]).
#[inline]
fn put_text<R: Records>(
    out: &mut R,
    slot: Slot,
    text: &[u8],
    missing: &MissingValues,
) -> Option<ErrorKind> {
    let (Slot::Text(i, utf8) | Slot::Typed(i, utf8)) = slot else {
        return None;
    };
    if utf8 && !text.is_ascii() && std::str::from_utf8(text).is_err() {
        return Some(ErrorKind::InvalidUtf8);
    }
    match slot {
        Slot::Typed(..) if missing.contains(text) => {
            out.typed(i, None);
        }
        Slot::Typed(..) => {
            if !out.typed(i, Some(text)) {
                return Some(ErrorKind::NotANumber);
            }
        }
        _ => out.text(i, text),
    }
    None
}

/// An error found in a record's values, reported once its structure is known to be sound.
struct Pending {
    column: usize,
    kind: ErrorKind,
    value: String,
}

/// Parses the records of `buf` (whole records: the last may lack its line end, at the end of
/// the input) into the columns that `kinds` (one per column of the header) asks for.
///
/// `first_row` is the data row of `buf`'s first record and `first_line` the line it starts
/// on (1-based both), for the error's position: the first error in `buf`, if any.
pub fn parse_block(
    buf: &[u8],
    d: &Dialect,
    missing: &MissingValues,
    kinds: &[ColumnKind],
    first_row: u64,
    first_line: u64,
) -> Result<ParsedBlock, ParseError> {
    parse_block_numbers(buf, d, missing, kinds, None, first_row, first_line)
}

/// [`parse_block`], with the columns of numbers (`numeric`, one per column) that tell a
/// comment line from a row where [`Dialect::refuse_comment_rows`] says so; `None`: those
/// parsed as float64.
pub fn parse_block_numbers(
    buf: &[u8],
    d: &Dialect,
    missing: &MissingValues,
    kinds: &[ColumnKind],
    numeric: Option<&[bool]>,
    first_row: u64,
    first_line: u64,
) -> Result<ParsedBlock, ParseError> {
    parse_records(buf, d, missing, kinds, numeric, (first_row, first_line))
}

/// Where [`parse_into`] puts the values of a block's records, field after field, in order.
pub(crate) trait Records {
    /// A number of float column `i` (the `i`-th column read as [`ColumnKind::Float`]).
    fn number(&mut self, i: usize, v: f64);
    /// A missing value of float column `i`.
    fn missing(&mut self, i: usize);
    /// The text of text column `i` (the `i`-th column read as text or bytes).
    fn text(&mut self, i: usize, text: &[u8]);
    /// A field of typed column `i` (the `i`-th column read as a type; None: missing): false
    /// where the type does not read it.
    fn typed(&mut self, i: usize, text: Option<&[u8]>) -> bool;
    /// After the fields of the `rows`-th record (0-based) of the block, which ends at `end`.
    fn record(&mut self, rows: usize, end: usize);
}

impl Records for ParsedBlock {
    #[inline]
    fn number(&mut self, i: usize, v: f64) {
        if let Some(column) = self.floats.get_mut(i) {
            column.push(v);
        }
    }

    #[inline]
    fn missing(&mut self, i: usize) {
        if let Some(column) = self.floats.get_mut(i) {
            column.push_missing();
        }
    }

    #[inline]
    fn text(&mut self, i: usize, text: &[u8]) {
        if let Some(column) = self.texts.get_mut(i) {
            column.push(text);
        }
    }

    #[inline]
    fn typed(&mut self, i: usize, text: Option<&[u8]>) -> bool {
        match (self.typed.get_mut(i), text) {
            (Some(column), Some(text)) => column.push(text),
            (Some(column), None) => {
                column.push_missing();
                true
            }
            (None, _) => true,
        }
    }

    #[inline]
    fn record(&mut self, rows: usize, end: usize) {
        let rows = rows + 1;
        if rows == 64 && end < self.bytes / 2 {
            // Room for the rows that the first ones predict, rather than growing each column
            // by doubling (copies and page faults).
            let expected = (self.bytes / end.max(1) + 1) * rows + rows / 8;
            let more = expected.saturating_sub(rows);
            for column in &mut self.floats {
                column.values.reserve(more);
            }
            for column in &mut self.texts {
                column.offsets.reserve(more);
                column.data.reserve(column.data.len() / rows * more);
            }
        }
    }
}

/// [`parse_block_numbers`]; `at`: the first record's row and line.
fn parse_records(
    buf: &[u8],
    d: &Dialect,
    missing: &MissingValues,
    kinds: &[ColumnKind],
    numeric: Option<&[bool]>,
    at: (u64, u64),
) -> Result<ParsedBlock, ParseError> {
    let mut block = ParsedBlock {
        bytes: buf.len(),
        ..ParsedBlock::default()
    };
    // Room in each column of numbers for as many values as records as long as the first line
    // would fill the block with, at most twice the block's bytes in all: no column grows value
    // by value, which for a block of a few wide rows is thousands of small reallocations a
    // row. (Records longer than the first grow the columns once or twice; after 64 records,
    // [`Records::record`] makes room for the rest.)
    let first_line = memchr::memchr2(b'\n', b'\r', buf).map_or(buf.len(), |i| i + 1);
    let room_among = |columns: usize| {
        (buf.len() / first_line.max(1) + 1).min(2 * buf.len() / (8 * columns.max(1)))
    };
    let room = room_among(kinds.iter().filter(|k| **k == ColumnKind::Float).count());
    // Text columns likewise: their offsets, and each a column's share of the block's bytes.
    let text_rows = room_among(
        kinds
            .iter()
            .filter(|k| matches!(k, ColumnKind::Text | ColumnKind::Bytes))
            .count(),
    );
    let text_bytes = buf.len() / kinds.len().max(1);
    for k in kinds {
        match k {
            ColumnKind::Float => block.floats.push(FloatColumn {
                values: Vec::with_capacity(room),
                ..FloatColumn::default()
            }),
            ColumnKind::Text | ColumnKind::Bytes => {
                let mut offsets = Vec::with_capacity(text_rows + 1);
                offsets.push(0);
                block.texts.push(TextColumn {
                    offsets,
                    data: Vec::with_capacity(text_bytes),
                });
            }
            ColumnKind::Typed(t) => block.typed.push(TypedColumn::new(*t, d.decimal_point)),
            ColumnKind::Skip => {}
        }
    }
    (block.rows, block.lines) = parse_into(buf, d, missing, kinds, numeric, at, &mut block)?;
    Ok(block)
}

/// The records of `buf` parsed as [`parse_block_numbers`] parses them, their values given to
/// `out` as they are read, field after field: the number of records, and of line ends
/// ([`count_lines`] of `buf`, counted on the way rather than in another pass over the bytes).
pub(crate) fn parse_into<R: Records>(
    buf: &[u8],
    d: &Dialect,
    missing: &MissingValues,
    kinds: &[ColumnKind],
    numeric: Option<&[bool]>,
    (first_row, first_line): (u64, u64),
    out: &mut R,
) -> Result<(usize, u64), ParseError> {
    let (mut floats, mut texts, mut typed) = (0, 0, 0);
    let slots: Vec<Slot> = kinds
        .iter()
        .map(|k| match k {
            ColumnKind::Skip => Slot::Skip,
            ColumnKind::Float => {
                floats += 1;
                Slot::Float(floats - 1)
            }
            ColumnKind::Text | ColumnKind::Bytes => {
                texts += 1;
                Slot::Text(texts - 1, *k != ColumnKind::Bytes)
            }
            ColumnKind::Typed(t) => {
                typed += 1;
                Slot::Typed(typed - 1, *t == ColumnType::Text)
            }
        })
        .collect();
    let ncols = slots.len();
    // The columns of numbers, for comment lines that may read as rows.
    let numbers: Vec<bool> = match numeric {
        Some(m) => (0..ncols)
            .map(|i| m.get(i).copied().unwrap_or(false))
            .collect(),
        None => slots.iter().map(|s| matches!(s, Slot::Float(_))).collect(),
    };
    let mut scratch = Vec::new();
    let mut pos = 0;
    let mut rows = 0usize;
    let mut lines = 0u64;
    // The error at the record starting at `start`, the `rows`-th of the block.
    let error = |start: usize, rows: usize, column, kind, value| ParseError {
        row: first_row + rows as u64,
        line: first_line + count_lines(buf.get(..start).unwrap_or_default()),
        column,
        value,
        kind,
    };
    // The values that are missing however spelled: rarely any.
    let null_numbers = missing.numbers(d.decimal_point);
    // A field off the fast paths: its value, or the error it is.
    let convert = |f: &Field,
                   slot: Slot,
                   out: &mut R,
                   scratch: &mut Vec<u8>,
                   column: usize|
     -> Option<Pending> {
        match slot {
            Slot::Float(i) => {
                let text = field_text(buf, f, d, scratch);
                if missing.contains(text) {
                    out.missing(i);
                } else if let Some(v) = parse_float(text, d.decimal_point) {
                    if null_numbers.contains(&v) {
                        out.missing(i);
                    } else {
                        out.number(i, v);
                    }
                } else {
                    let value = shown(text);
                    let kind = ErrorKind::NotANumber;
                    return Some(Pending {
                        column,
                        kind,
                        value,
                    });
                }
            }
            Slot::Text(..) | Slot::Typed(..) => {
                let text = field_text(buf, f, d, scratch);
                if let Some(kind) = put_text(out, slot, text, missing) {
                    let value = shown(text);
                    return Some(Pending {
                        column,
                        kind,
                        value,
                    });
                }
            }
            Slot::Skip => {}
        }
        None
    };
    // Where unquoted fields that are not numbers end, 64 bytes at a time.
    let mut field_ends = FieldEnds::new(buf, d.delimiter);
    while let Some(&b) = buf.get(pos) {
        // A comment line is no record: skipped through its line end, quotes and all.
        if Some(b) == d.comment {
            let end = buf
                .get(pos..)
                .and_then(|rest| memchr::memchr2(b'\n', b'\r', rest))
                .map_or(buf.len(), |i| pos + i);
            let line = buf.get(pos..end).unwrap_or_default();
            if d.refuse_comment_rows && ncols > 1 && splits_as_row(line, d, missing, &numbers) {
                return Err(error(pos, rows, None, ErrorKind::CommentOrRow, shown(line)));
            }
            // Its line end too: in a file of one column, an empty line is a record.
            lines += u64::from(end < buf.len());
            pos = match buf.get(end..end + 2) {
                Some(b"\r\n") => end + 2,
                _ => (end + 1).min(buf.len()),
            };
            continue;
        }
        // An empty line is no record, but in a file of one column, where it is the one empty
        // field that its record holds: a missing value, as DuckDB and Polars read it (a row
        // lost there would be lost unseen between the data and its normalized copy).
        if b == b'\n' && ncols != 1 {
            pos += 1;
            lines += 1;
            continue;
        }
        if b == b'\r' && ncols != 1 {
            lines += 1;
            pos += if buf.get(pos + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            continue;
        }
        let start = pos;
        let mut col = 0;
        let mut pending: Option<Pending> = None;
        loop {
            let slot = match slots.get(col) {
                Some(&Slot::Float(_)) if pending.is_some() => Slot::Skip,
                Some(&slot) => slot,
                None => Slot::Skip,
            };
            // Fast paths: a plain number in a float column, an unquoted field in a skipped one.
            let fast_end = match slot {
                Slot::Float(i) => match fast_number(buf, pos, d) {
                    Some((v, end)) => {
                        if null_numbers.contains(&v) {
                            out.missing(i);
                        } else {
                            out.number(i, v);
                        }
                        if buf.get(end) == Some(&d.delimiter) {
                            // The most common case of all: straight to the next field.
                            col += 1;
                            pos = end + 1;
                            continue;
                        }
                        Some(end)
                    }
                    None => None,
                },
                Slot::Skip if opening_quote(buf, pos, d).is_none() => {
                    let end = field_ends.from(pos);
                    if buf.get(end) == Some(&d.delimiter) {
                        col += 1;
                        pos = end + 1;
                        continue;
                    }
                    Some(end)
                }
                Slot::Text(..) | Slot::Typed(..)
                    if pending.is_none() && opening_quote(buf, pos, d).is_none() =>
                {
                    let end = field_ends.from(pos);
                    let text = buf.get(pos..end).unwrap_or_default();
                    if let Some(kind) = put_text(out, slot, text, missing) {
                        let value = shown(text);
                        pending = Some(Pending {
                            column: col,
                            kind,
                            value,
                        });
                    }
                    Some(end)
                }
                _ => None,
            };
            let (term, next) = match fast_end {
                Some(end) => terminator(buf, end),
                None => {
                    let f = next_field(buf, pos, d);
                    if f.term == Term::Unterminated {
                        // At the line the quoted field opens on: its record may start lines
                        // before.
                        let raw = buf.get(f.start..).unwrap_or_default();
                        return Err(error(
                            f.start,
                            rows,
                            Some(col),
                            ErrorKind::UnterminatedQuote,
                            shown(raw),
                        ));
                    }
                    if f.stray_quote || (f.escaped_quote && d.refuse_escaped_quotes) {
                        let raw = buf.get(f.start..f.raw_end).unwrap_or_default();
                        let kind = if f.stray_quote {
                            ErrorKind::StrayQuote
                        } else {
                            ErrorKind::EscapedQuote
                        };
                        // At the line its quote opens on, as an unclosed quote's.
                        return Err(error(f.start, rows, Some(col), kind, shown(raw)));
                    }
                    if pending.is_none() {
                        pending = convert(&f, slot, out, &mut scratch, col);
                    }
                    if f.content != (f.start, f.raw_end) {
                        // Quoted: line breaks inside are line ends too.
                        let raw = buf.get(f.start..f.raw_end).unwrap_or_default();
                        let breaks = count_lines(raw);
                        let text = buf.get(f.content.0..f.content.1).unwrap_or_default();
                        if breaks > 0
                            && d.refuse_quoted_breaks
                            && reads_as_records(text, col, d, missing, &numbers)
                        {
                            let kind = ErrorKind::QuotedBreak;
                            return Err(error(start, rows, Some(col), kind, shown(raw)));
                        }
                        lines += breaks;
                    }
                    (f.term, f.next)
                }
            };
            col += 1;
            pos = next;
            if term != Term::Delimiter {
                lines += u64::from(term == Term::LineEnd);
                break;
            }
        }
        if col != ncols {
            let record = buf.get(start..pos).unwrap_or_default();
            let record = record.strip_suffix(b"\n").unwrap_or(record);
            let record = record.strip_suffix(b"\r").unwrap_or(record);
            let kind = ErrorKind::FieldCount {
                expected: ncols,
                got: col,
            };
            return Err(error(start, rows, None, kind, shown(record)));
        }
        if let Some(p) = pending {
            return Err(error(start, rows, Some(p.column), p.kind, p.value));
        }
        out.record(rows, pos);
        rows += 1;
    }
    Ok((rows, lines))
}

/// Whether a comment `line` (without its line end) reads as a record of the table, as the
/// head's rule has it (`normkit.io.csv.sniff`): as many fields as it has columns (quotes read
/// as in a record), none of a column of numbers text (`#5` is; a number, a missing value, a
/// blank or a placeholder such as `-` or `?` is not).
fn splits_as_row(line: &[u8], d: &Dialect, missing: &MissingValues, numbers: &[bool]) -> bool {
    let mut scratch = Vec::new();
    let mut pos = 0;
    for (i, &number) in numbers.iter().enumerate() {
        let f = next_field(line, pos, d);
        let last = i + 1 == numbers.len();
        match f.term {
            Term::Delimiter if !last => {}
            Term::Eof | Term::LineEnd if last => {}
            _ => return false,
        }
        if number {
            let text = field_text(line, &f, d, &mut scratch);
            if !missing.contains(text) && is_text(text) {
                return false;
            }
        }
        pos = f.next;
    }
    true
}

/// Whether `text`, the text of a quoted field of column `col` holding a line break, reads as
/// the rest of its record, records and the start of another one up to that column, were its
/// opening quote a stray one closed by another ([`Dialect::refuse_quoted_breaks`]): its first
/// line holds the fields after `col`, its last line the fields before it, in the columns of
/// numbers (`numbers`, one per column) numbers or missing values ([`splits_as_row`]'s rule);
/// of the lines between, blank lines aside, at least half are records so, or all but one
/// (rows swallowed may be malformed or blank). The evidence must weigh: at least two delimiters where a record
/// has them, and a number among the fields. So a field of two lines in a table of two columns
/// (`"Flat 3\n12, rue de la Paix"`) is text; lines that are rows of the table are not.
fn reads_as_records(
    text: &[u8],
    col: usize,
    d: &Dialect,
    missing: &MissingValues,
    numbers: &[bool],
) -> bool {
    let ncols = numbers.len();
    if col >= ncols {
        return false;
    }
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while let Some(&b) = text.get(i) {
        if b == b'\n' || b == b'\r' {
            lines.push(text.get(start..i).unwrap_or_default());
            i += if b == b'\r' && text.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            start = i;
        } else {
            i += 1;
        }
    }
    lines.push(text.get(start..).unwrap_or_default());
    let (first, last) = (lines.first().copied(), lines.last().copied());
    let (Some(first), Some(last)) = (first, last) else {
        return false;
    };
    let mut numbers_found = false;
    // Whether `line` holds the fields of columns `from..=to` (the one at `col` being the quoted
    // field's own text where `own`), its numbers read as numbers.
    let mut fields = |line: &[u8], from: usize, to: usize, own: bool| {
        let pieces = line.split(|&b| b == d.delimiter);
        let mut found = false;
        let splits = pieces.clone().count() == to + 1 - from
            && (from..=to).zip(pieces).all(|(j, piece)| {
                if (own && j == col) || !numbers.get(j).copied().unwrap_or(false) {
                    return true;
                }
                if missing.contains(piece) {
                    return true;
                }
                let number = !is_text(piece);
                found |= number && piece.iter().any(u8::is_ascii_digit);
                number
            });
        numbers_found |= splits && found;
        splits
    };
    if !fields(first, col, ncols - 1, true) || !fields(last, 0, col, true) {
        return false;
    }
    let between = lines.get(1..lines.len() - 1).unwrap_or_default();
    let filled: Vec<&&[u8]> = between
        .iter()
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .collect();
    let records = filled
        .iter()
        .filter(|l| fields(l, 0, ncols - 1, false))
        .count();
    let delimiters = (ncols - 1 - col) + col + records * (ncols - 1);
    filled.len() - records <= records.max(1) && delimiters >= 2 && numbers_found
}

/// Whether a value is text to the head's rule (`normkit.io.csv.header`'s `_NUMBER` and
/// `_MISSING`, any case): neither a number (`[+-]` then digits with at most one `.` or `,` in
/// them or before them, and an exponent; or 1 to 3 digits then groups of 3 after `,`, `.`, `'`
/// or a space, and a fraction; or `inf`, `infinity`, `nan`) nor a missing value (`NA`, `n/a`,
/// `#N/A`, `null`, `none`, `nil`, or no letter, digit or `_` at all). Spaces around it aside.
fn is_text(value: &[u8]) -> bool {
    let text = String::from_utf8_lossy(value);
    let t = text.trim().to_lowercase();
    if matches!(t.as_str(), "na" | "n/a" | "#n/a" | "null" | "none" | "nil")
        || !t.chars().any(|c| c.is_alphanumeric() || c == '_')
    {
        return false;
    }
    let body = t.strip_prefix(['+', '-']).unwrap_or(&t);
    !(matches!(body, "inf" | "infinity" | "nan") || is_plain_number(body) || is_grouped(body))
}

/// Python's `\d` (a decimal digit of any script).
fn digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// `(\d+[.,]?\d*|[.,]\d+)([eE][+-]?\d+)?` (lower case: `e`).
fn is_plain_number(s: &str) -> bool {
    let (mantissa, exponent) = match s.split_once('e') {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (s, None),
    };
    let all_digits = |p: &str| p.chars().all(digit);
    let mut parts = mantissa.splitn(2, ['.', ',']);
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    let mantissa_ok = match fraction {
        None => !whole.is_empty() && all_digits(whole),
        Some(f) => all_digits(whole) && all_digits(f) && !(whole.is_empty() && f.is_empty()),
    };
    mantissa_ok && exponent.is_none_or(|e| !e.is_empty() && all_digits(e))
}

/// `\d{1,3}([,.' ]\d{3})+([.,]\d+)?`.
fn is_grouped(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let lead = chars.iter().take_while(|&&c| digit(c)).count();
    if !(1..=3).contains(&lead) {
        return false;
    }
    let mut i = lead;
    let mut groups = 0;
    while i + 4 <= chars.len()
        && matches!(chars[i], ',' | '.' | '\'' | ' ')
        && chars[i + 1..i + 4].iter().all(|&c| digit(c))
        && chars.get(i + 4).is_none_or(|&c| !digit(c))
    {
        i += 4;
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    let rest = &chars[i..];
    rest.is_empty()
        || (matches!(rest[0], '.' | ',') && rest.len() > 1 && rest[1..].iter().all(|&c| digit(c)))
}

/// Parses the blocks `buf[0..block_ends[0]]`, `buf[block_ends[0]..block_ends[1]]`, ... on up
/// to `threads` threads (0 counts as 1), and returns them in file order; bytes after the last
/// end are not read. Each block must hold whole records, as [`crate::scan::block_ends`] cuts
/// them (never between the CR and the LF of a CRLF).
///
/// `first_row` and `first_line` are those of `buf`'s first record. The error returned is the
/// first in file order, whatever the number of threads, with its row and line in the file:
/// each block is parsed with rows and lines counted from its own start, and an error is moved
/// by the rows of the blocks before it (all parsed by then) and the lines before it (counted
/// only then).
#[allow(clippy::too_many_arguments)]
pub fn parse_blocks_parallel(
    buf: &[u8],
    d: &Dialect,
    missing: &MissingValues,
    kinds: &[ColumnKind],
    block_ends: &[usize],
    first_row: u64,
    first_line: u64,
    threads: usize,
) -> Result<Vec<ParsedBlock>, ParseError> {
    let no_numbers = None;
    parse_blocks_numbers(
        buf, d, missing, kinds, no_numbers, block_ends, first_row, first_line, threads,
    )
}

/// [`parse_blocks_parallel`] with the columns of numbers of [`parse_block_numbers`].
#[allow(clippy::too_many_arguments)]
pub fn parse_blocks_numbers(
    buf: &[u8],
    d: &Dialect,
    missing: &MissingValues,
    kinds: &[ColumnKind],
    numeric: Option<&[bool]>,
    block_ends: &[usize],
    first_row: u64,
    first_line: u64,
    threads: usize,
) -> Result<Vec<ParsedBlock>, ParseError> {
    let parse = |block: &[u8]| parse_block_numbers(block, d, missing, kinds, numeric, 1, 1);
    in_blocks(
        buf,
        block_ends,
        (first_row, first_line),
        threads,
        parse,
        |b| b.rows,
    )
}

/// `work` done on the blocks `buf[0..block_ends[0]]`, `buf[block_ends[0]..block_ends[1]]`,
/// ... on up to `threads` threads (0 counts as 1), its results in file order, as
/// [`parse_blocks_parallel`] parses them: `work` numbers rows and lines from 1 in its block,
/// `rows` tells the rows of a result, and the error returned is the first in file order, moved
/// to its row and line in the file (`at`: those of `buf`'s first record); the blocks after a
/// failed one are not worked on.
pub(crate) fn in_blocks<T: Send>(
    buf: &[u8],
    block_ends: &[usize],
    (first_row, first_line): (u64, u64),
    threads: usize,
    work: impl Fn(&[u8]) -> Result<T, ParseError> + Sync,
    rows: impl Fn(&T) -> usize,
) -> Result<Vec<T>, ParseError> {
    let starts = std::iter::once(0).chain(block_ends.iter().copied());
    let ranges: Vec<(usize, usize)> = starts.zip(block_ends.iter().copied()).collect();
    let work_on = |&(start, end): &(usize, usize)| work(buf.get(start..end).unwrap_or_default());
    let threads = threads.clamp(1, ranges.len().max(1));
    let results: Vec<Result<T, ParseError>> = if threads == 1 {
        let mut out = Vec::with_capacity(ranges.len());
        for range in &ranges {
            let r = work_on(range);
            let failed = r.is_err();
            out.push(r);
            if failed {
                break; // the blocks after it cannot hold an earlier error
            }
        }
        out
    } else {
        // Blocks are taken in order from a shared counter; once a block fails, the blocks
        // after it are not worked on (their errors would come later in the file).
        let next = AtomicUsize::new(0);
        let first_failed = AtomicUsize::new(usize::MAX);
        let slots: Mutex<Vec<Option<Result<T, ParseError>>>> =
            Mutex::new((0..ranges.len()).map(|_| None).collect());
        crate::pool::install(|| {
            rayon::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|_| loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(range) = ranges.get(i) else { break };
                        if i > first_failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let r = work_on(range);
                        if r.is_err() {
                            first_failed.fetch_min(i, Ordering::Relaxed);
                        }
                        // A poisoned lock only means another worker panicked; its slot stays None.
                        let mut guard = slots.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(slot) = guard.get_mut(i) {
                            *slot = Some(r);
                        }
                    });
                }
            })
        });
        let slots = slots.into_inner().unwrap_or_else(|e| e.into_inner());
        slots.into_iter().map_while(|s| s).collect()
    };
    // In order: the blocks up to the first error, all worked on.
    let mut blocks = Vec::with_capacity(results.len());
    let mut rows_before = 0u64;
    for (result, &(start, _)) in results.into_iter().zip(&ranges) {
        match result {
            Ok(block) => {
                rows_before += rows(&block) as u64;
                blocks.push(block);
            }
            Err(mut e) => {
                e.row += first_row - 1 + rows_before;
                let lines_before = count_lines(buf.get(..start).unwrap_or_default());
                e.line += first_line - 1 + lines_before;
                return Err(e);
            }
        }
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Dialect = Dialect::CSV;

    fn nulls() -> MissingValues {
        MissingValues::new(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"])
    }

    fn parse(buf: &[u8], kinds: &[ColumnKind]) -> Result<ParsedBlock, ParseError> {
        parse_block(buf, &D, &nulls(), kinds, 1, 2)
    }

    #[test]
    fn missing_values() {
        let m = nulls();
        for s in ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"] {
            assert!(m.contains(s.as_bytes()), "{s}");
        }
        for s in [" NA", "NA ", "na", "1", "12", "1.5", "Nonee", "n", "NaN1"] {
            assert!(!m.contains(s.as_bytes()), "{s}");
        }
        let long = "x".repeat(70);
        let m = MissingValues::new([long.as_str(), "-"]);
        assert!(m.contains(long.as_bytes()) && m.contains(b"-"));
        assert!(!m.contains(b"") && !m.contains("y".repeat(70).as_bytes()));
        assert_eq!(MissingValues::new(["a", "a"]).values().count(), 1);
        assert!(!MissingValues::none().contains(b""));
    }

    /// Spellings checked against pyarrow 26 (`pyarrow.csv.read_csv` with a float64 column).
    #[test]
    fn float_spellings_as_pyarrow() {
        let ok: &[(&str, f64)] = &[
            ("1", 1.0),
            ("+1", 1.0),
            ("-1", -1.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("-.5", -0.5),
            ("+.5", 0.5),
            ("1e5", 1e5),
            ("1E5", 1e5),
            ("1e+5", 1e5),
            ("1e-5", 1e-5),
            ("1.e5", 1e5),
            ("00012", 12.0),
            ("-0", -0.0),
            (" 1", 1.0),
            ("1 ", 1.0),
            ("\t1 \t ", 1.0),
            ("1e400", f64::INFINITY),
            ("-1e400", f64::NEG_INFINITY),
            ("1e-400", 0.0),
            ("1e0000000000000000000000000005", 1e5),
            ("1e-999999999999999999999", 0.0),
            ("1e999999999999999999", f64::INFINITY),
            ("inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("+inf", f64::INFINITY),
            ("Inf", f64::INFINITY),
            ("INF", f64::INFINITY),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("INFINITY", f64::INFINITY),
            ("4.9e-324", 5e-324),
            ("2.4703282292062328e-324", 5e-324),
            ("2.4703282292062327e-324", 0.0),
            ("9007199254740993", 9007199254740992.0),
        ];
        for &(s, v) in ok {
            let got = parse_float(s.as_bytes(), b'.');
            assert_eq!(got.map(f64::to_bits), Some(v.to_bits()), "{s:?}");
        }
        for s in [
            "nan",
            "NaN",
            "NAN",
            "-nan",
            "+nan",
            "nan(123)",
            "nan()",
            "nan(abc_1)",
            "-nan(1)",
        ] {
            assert!(
                parse_float(s.as_bytes(), b'.').is_some_and(f64::is_nan),
                "{s:?}"
            );
        }
        for s in [
            "",
            " ",
            "  ",
            ".",
            "+",
            "-",
            "e",
            ".e5",
            "e5",
            "1e",
            "1e+",
            "infin",
            "infx",
            "infinityx",
            "+-inf",
            "--1",
            "+-1",
            "nanx",
            "nan(",
            "nan(1 2)",
            "snan",
            "0x10",
            "0X1p3",
            "1_000",
            "1,000",
            "1d5",
            "1f",
            "1.5.5",
            "1e5.5",
            "\u{661}",
            "\u{a0}1",
            "1\u{a0}",
            "\x0b1",
            "\x0c1",
            "1\x0b",
            "0x",
            "inf(1)",
        ] {
            assert_eq!(parse_float(s.as_bytes(), b'.'), None, "{s:?}");
        }
    }

    #[test]
    fn float_decimal_comma_as_pyarrow() {
        let ok: &[(&str, f64)] = &[
            ("1,5", 1.5),
            (",5", 0.5),
            ("5,", 5.0),
            ("1,5e3", 1500.0),
            ("1e5", 1e5),
            ("inf", f64::INFINITY),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_float(s.as_bytes(), b','), Some(v), "{s:?}");
        }
        let long = format!("0,{}1", "0".repeat(100));
        assert_eq!(parse_float(long.as_bytes(), b','), Some(1e-101));
        for s in ["1.5", "1,5,5", "1.5,5", ","] {
            assert_eq!(parse_float(s.as_bytes(), b','), None, "{s:?}");
        }
    }

    #[test]
    fn floats_are_correctly_rounded() {
        let cases = [
            format!("0.{}1", "0".repeat(400)),
            "1".repeat(400),
            format!("1.{}e-5", "1".repeat(800)),
            "9007199254740993.000000000000000000000000000001".to_owned(),
            "2.2250738585072011e-308".to_owned(),
            "2.2250738585072012e-308".to_owned(),
            "1.7976931348623157e308".to_owned(),
            "1.7976931348623158e308".to_owned(),
            "1.7976931348623159e308".to_owned(),
            "0.1".to_owned(),
            "123456789012345678901234567890e-20".to_owned(),
        ];
        for s in &cases {
            let want: f64 = s.parse().unwrap();
            assert_eq!(
                parse_float(s.as_bytes(), b'.').map(f64::to_bits),
                Some(want.to_bits())
            );
        }
    }

    #[test]
    fn columns_of_each_kind() {
        use ColumnKind::*;
        let buf = b"1,x,\"2\"\n\"\",\"\",NA\n\n\"NA\",\"a\"\"b\",  3 \r\n-inf,,\"4\"\r";
        let block = parse(buf, &[Float, Text, Float]).unwrap();
        assert_eq!(block.rows, 4);
        let a = &block.floats[0];
        assert_eq!(
            (0..4).map(|i| a.get(i)).collect::<Vec<_>>(),
            [Some(1.0), None, None, Some(f64::NEG_INFINITY)]
        );
        assert_eq!(a.null_count, 2);
        assert_eq!(a.validity.as_deref(), Some(&[0b1001u8][..]));
        assert!(a.values[1].is_nan());
        let c = &block.floats[1];
        assert_eq!(
            (0..4).map(|i| c.get(i)).collect::<Vec<_>>(),
            [Some(2.0), None, Some(3.0), Some(4.0)]
        );
        let b = &block.texts[0];
        assert_eq!(b.offsets, [0, 1, 1, 4, 4]);
        assert_eq!(
            (0..4).map(|i| b.get(i).unwrap()).collect::<Vec<_>>(),
            ["x", "", "a\"b", ""]
        );
        let skipped = parse(buf, &[Skip, Skip, Float]).unwrap();
        assert_eq!(
            (skipped.rows, skipped.floats.len(), skipped.texts.len()),
            (4, 1, 0)
        );
        assert_eq!(skipped.floats[0], block.floats[1]);
    }

    #[test]
    fn decimal_commas_of_a_comma_separated_file_are_quoted() {
        use ColumnKind::*;
        let d = Dialect::new(b',', Some(b'"'), b',').unwrap();
        let buf = b"\"1,5\",2\n3,\"-0,25\"\n1,5\n";
        let block = parse_block(buf, &d, &nulls(), &[Float, Float], 1, 2).unwrap();
        let values = |c: usize| (0..3).map(|i| block.floats[c].get(i)).collect::<Vec<_>>();
        // Unquoted, the comma separates: `1,5` is two fields, not 1.5.
        assert_eq!(values(0), [Some(1.5), Some(3.0), Some(1.0)]);
        assert_eq!(values(1), [Some(2.0), Some(-0.25), Some(5.0)]);
    }

    #[test]
    fn numeric_missing_values_match_every_spelling_of_their_number() {
        let m = MissingValues::new(["-999", ".", "1e5", "nan"]);
        let numbers = m.numbers(b'.');
        assert_eq!(
            (numbers.values.as_slice(), numbers.nan),
            (&[-999.0, 1e5][..], true)
        );
        // The default missing values: NaN alone, so every spelling of it.
        let nan = NullNumbers {
            values: vec![],
            nan: true,
        };
        assert_eq!(nulls().numbers(b'.'), nan);
        // inf as a missing value is the string only: 1e400, too large, is refused still.
        assert_eq!(
            MissingValues::new(["inf", "-Infinity"]).numbers(b'.'),
            NullNumbers::default()
        );
        // Fast path, quoted (general path), other spellings; "." and "-" are strings only.
        let buf = b"-999\n1\n1e5\n-999.0\n\"-9.99e2\"\n100000\n.\n -999 \n-998\n-nan\n+NaN \n";
        let block = parse_block(buf, &D, &m, &[ColumnKind::Float], 1, 1);
        let col = &block.unwrap().floats[0];
        let got: Vec<_> = (0..11).map(|i| col.get(i)).collect();
        let mut want = [None; 11];
        want[1] = Some(1.0);
        want[8] = Some(-998.0);
        assert_eq!(got, want);
        // Without a NaN among the missing values, a NaN is a value.
        let m = MissingValues::new([""]);
        let block = parse_block(b"nan\n-NaN\n", &D, &m, &[ColumnKind::Float], 1, 1);
        let col = &block.unwrap().floats[0];
        assert!((0..2).all(|i| col.get(i).is_some_and(f64::is_nan)));
        // With a decimal comma, the strings are read with it too.
        let comma = Dialect::new(b';', Some(b'"'), b',').unwrap();
        for null in ["-999,5", "-999.5"] {
            let m = MissingValues::new([null]);
            let block = parse_block(b"-999,50\n1,5\n", &comma, &m, &[ColumnKind::Float], 1, 1);
            let got = block.map(|b| (b.floats[0].get(0), b.floats[0].get(1)));
            assert_eq!(got, Ok((None, Some(1.5))), "{null}");
        }
    }

    #[test]
    fn text_as_the_head_tells_it() {
        // normkit.io.csv.sniff's _kind(value) == "text" for each of these, and not for the rest.
        for v in [
            "1.2.3",
            "12.03.2024",
            "1 2",
            "x",
            "#5",
            "c",
            "1e",
            "1e5x",
            "0x10",
            "_",
            "a1",
        ] {
            assert!(is_text(v.as_bytes()), "{v:?}");
        }
        for v in [
            "1 000",
            "1,000.5",
            "1\'000",
            "-2e3",
            "+.5",
            "5.",
            ".",
            "-",
            "?",
            "",
            "  ",
            "NA",
            "n/a",
            "#N/A",
            "nil",
            "None",
            "inf",
            "-Infinity",
            "nan",
            "١٢",
            "12,5",
            "1.000.000,25",
            "1,00",
            "  7  ",
        ] {
            assert!(!is_text(v.as_bytes()), "{v:?}");
        }
    }

    #[test]
    fn comment_lines_that_read_as_rows_refused_where_asked() {
        use ColumnKind::*;
        let kinds = [Text, Float];
        let d = D.with_comment(Some(b'#')).unwrap();
        // Fields of another count, or text in the float column: comments either way.
        let buf = b"a,1\n# note\n#b,x\n# 5,6,7\n#c,NA\nd,2\n";
        let block = parse_block(buf, &d, &nulls(), &kinds, 1, 1).unwrap();
        assert_eq!(block.rows, 2, "#c,NA is skipped unless asked");
        let refusing = d.refusing_comment_rows(true);
        let e = parse_block(buf, &refusing, &nulls(), &kinds, 1, 1).unwrap_err();
        assert_eq!(
            (e.kind, e.line, e.value.as_str()),
            (ErrorKind::CommentOrRow, 5, "#c,NA")
        );
        let fine = b"a,1\n# note\n#b,x\n#5 b\n#c,\"x,1\"\nd,2\n";
        let block = parse_block(fine, &refusing, &nulls(), &kinds, 1, 1).unwrap();
        assert_eq!(block.rows, 2);
        // Rows as the head's rule reads them: quotes, blanks, placeholders, grouped digits.
        for row in [
            "#c,\"5\"", "#c, ", "#c,-", "#c,?", "#c,1 000", "#c,-2e3", "#c,inf",
        ] {
            let buf = format!("a,1\n{row}\nd,2\n");
            let e = parse_block(buf.as_bytes(), &refusing, &nulls(), &kinds, 1, 1);
            assert_eq!(e.map_err(|e| e.kind), Err(ErrorKind::CommentOrRow), "{row}");
        }
        // The columns of numbers given: whatever is parsed, the same lines are rows.
        let numeric = [false, true];
        for kinds in [[Skip, Skip], [Text, Text], [Skip, Float]] {
            let p = |buf: &[u8]| {
                parse_block_numbers(buf, &refusing, &nulls(), &kinds, Some(&numeric), 1, 1)
            };
            assert_eq!(p(b"a,1\n#c,x\n").map(|b| b.rows), Ok(1), "{kinds:?}");
            let e = p(b"a,1\n#c,5\n").unwrap_err();
            assert_eq!(e.kind, ErrorKind::CommentOrRow, "{kinds:?}");
        }
        let three = [Text, Text, Float];
        let buf = b"a,b,1\n#x,\"a,b\",5\n";
        let e = parse_block(buf, &refusing, &nulls(), &three, 1, 1).unwrap_err();
        assert_eq!((e.kind, e.line), (ErrorKind::CommentOrRow, 2));
        // One column: every comment line would split as a row of it; comments they stay,
        // line ends and all (no empty record after them).
        for buf in [
            &b"1\n#x\n2\n"[..],
            b"1\r\n#x\r\n2\r\n",
            b"1\r#x\r2",
            b"1\n#x",
        ] {
            let one = parse_block(buf, &refusing, &nulls(), &[Text], 1, 1).unwrap();
            let got: Vec<_> = (0..one.rows).filter_map(|i| one.texts[0].get(i)).collect();
            let want = if buf.ends_with(b"#x") {
                &["1"][..]
            } else {
                &["1", "2"][..]
            };
            assert_eq!(got, want, "{buf:?}");
        }
    }

    #[test]
    fn validity_bitmap_grows() {
        let mut text = String::new();
        for i in 0..20 {
            text.push_str(if i % 7 == 3 { "NA\n" } else { "1\n" });
        }
        let block = parse(text.as_bytes(), &[ColumnKind::Float]).unwrap();
        let col = &block.floats[0];
        assert_eq!(col.validity.as_ref().map(Vec::len), Some(3));
        for i in 0..20 {
            assert_eq!(col.is_valid(i), i % 7 != 3, "{i}");
        }
        assert!(!col.is_valid(20));
        assert_eq!(col.null_count, 3);
    }

    #[test]
    fn empty_lines_are_missing_values_in_one_column_only() {
        use ColumnKind::*;
        // One column: each empty line (LF, CRLF or CR) is a record of one empty field.
        let block = parse(b"1\n\n3\r\n\r\n5\r\r6\n\n", &[Float]).unwrap();
        assert_eq!(block.rows, 8);
        let valid: Vec<bool> = (0..8).map(|i| block.floats[0].is_valid(i)).collect();
        assert_eq!(valid, [true, false, true, false, true, false, true, false]);
        let block = parse(b"a\n\nb\n", &[Text]).unwrap();
        assert_eq!(block.texts[0].get(1), Some(""));
        // Several columns: an empty line is no record (it has not the fields of one).
        let block = parse(b"1,a\n\n3,b\r\n\r\n", &[Float, Text]).unwrap();
        assert_eq!(block.rows, 2);
        // Rows count them: an error below names the row a reader of the file counts.
        let e = parse(b"1\n\nx\n", &[Float]).unwrap_err();
        assert_eq!((e.row, e.line), (3, 4));
    }

    #[test]
    fn errors_name_row_line_column_value() {
        use ColumnKind::*;
        // Rows count records; lines count every line end (empty lines, quoted line breaks).
        let buf = b"1,2\n\n\"a\nb\",3\r\n4,x5\n";
        let e = parse(buf, &[Text, Float]).unwrap_err();
        assert_eq!(
            e,
            ParseError {
                row: 3,
                line: 6,
                column: Some(1),
                value: "x5".into(),
                kind: ErrorKind::NotANumber
            }
        );
        assert!(e.to_string().contains("\"x5\" is not a number"));
        // The structure of a record comes before its values.
        let e = parse(b"1,2\nx,2,3\r\n", &[Float, Float]).unwrap_err();
        assert_eq!(
            (e.row, e.line, e.column, e.value.as_str()),
            (2, 3, None, "x,2,3")
        );
        assert_eq!(
            e.kind,
            ErrorKind::FieldCount {
                expected: 2,
                got: 3
            }
        );
        let e = parse(b"1,2\n3\n", &[Float, Float]).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::FieldCount {
                expected: 2,
                got: 1
            }
        );
        // A line of spaces is a record of one field.
        let e = parse(b"1,2\n  \n", &[Float, Float]).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::FieldCount {
                expected: 2,
                got: 1
            }
        );
        // A quote never closed, in the last field or another.
        let e = parse(b"1,2\n3,\"4\n5,6\n", &[Float, Text]).unwrap_err();
        assert_eq!(
            (e.kind, e.row, e.column),
            (ErrorKind::UnterminatedQuote, 2, Some(1))
        );
        assert_eq!(e.value, "\"4\n5,6\n");
        let e = parse(b"\"1,2\n", &[Float, Float]).unwrap_err();
        assert_eq!(
            (e.kind, e.row, e.line),
            (ErrorKind::UnterminatedQuote, 1, 2)
        );
        // At the line the quote opens on (line 4: the header is line 1), a line after its
        // record starts.
        let e = parse(b"1,2\n\"x\ny\",\"z\n", &[Text, Text]).unwrap_err();
        assert_eq!(
            (e.kind, e.row, e.line, e.column),
            (ErrorKind::UnterminatedQuote, 2, 4, Some(1))
        );
        // So is a quoted field going on after its closing quote.
        let e = parse(b"1,2\n\"x\ny\",\"z\nw\"v\n", &[Text, Text]).unwrap_err();
        assert_eq!(
            (e.kind, e.row, e.line, e.column),
            (ErrorKind::StrayQuote, 2, 4, Some(1))
        );
        let e = parse(b"1,\xff\xfe\n", &[Float, Text]).unwrap_err();
        assert_eq!((e.kind, e.column), (ErrorKind::InvalidUtf8, Some(1)));
        assert_eq!(e.value, "\u{fffd}\u{fffd}");
        // A quoted line break, then text after the closing quote: a stray quote, refused in
        // any kind of column; without a line break it is pyarrow's reading ("a"b is ab).
        for kind in [Float, Text, Skip] {
            let e = parse(b"1,\"a\n2,b\n4,\"d\"\n", &[Float, kind]).unwrap_err();
            assert_eq!(
                (e.kind, e.row, e.line, e.column),
                (ErrorKind::StrayQuote, 1, 2, Some(1))
            );
        }
        assert!(parse(b"1,\"a\"b\n", &[Float, Text]).is_ok());
        // Text after a closing quote that a backslash stands before ("O\"Brien"): pyarrow's
        // reading (O\Brien"), or refused where the dialect says so, read or skipped; a
        // backslash before a quote that ends a field is text either way.
        let refusing = D.refusing_escaped_quotes(true);
        for kind in [Text, Skip] {
            let text = b"1,\"C:\\\"\n2,\"O\\\"Brien\"\n";
            assert!(parse(text, &[Float, kind]).is_ok());
            let e = parse_block(text, &refusing, &nulls(), &[Float, kind], 1, 2).unwrap_err();
            assert_eq!(
                (e.kind, e.row, e.line, e.column, e.value.as_str()),
                (ErrorKind::EscapedQuote, 2, 3, Some(1), "\"O\\\"Brien\"")
            );
        }
        // A quoted line break: a value; where the dialect says so, refused if the field's lines
        // read as the rest of its record and the start of the next (the comma on the first
        // line, a number and a comma on the last: a stray quote closed by another), in any
        // kind of column, in the record it starts.
        let refusing_breaks = D.refusing_quoted_breaks(true);
        for kind in [Float, Text, Skip] {
            let text = b"1,5\n2,\"6\r\n3,7\n4,8\"\n5,9\n";
            if kind != Float {
                assert_eq!(parse(text, &[Float, kind]).unwrap().rows, 3);
            }
            let e = parse_block(text, &refusing_breaks, &nulls(), &[Float, kind], 1, 2);
            let e = e.unwrap_err();
            assert_eq!(
                (e.kind, e.row, e.line, e.column, e.value.as_str()),
                (ErrorKind::QuotedBreak, 2, 3, Some(1), "\"6\r\n3,7\n4,8\"")
            );
        }
        // Rows swallowed, blank or malformed ones among them; quotes inside.
        for (text, kinds) in [
            (&b"\"stray,1,2\nend\",2,3\n"[..], vec![Text, Float, Float]),
            (
                b"\"stray,1,2\n\n  \nx,3 kg,4\ny,5,6\nz,\"\",7\nend\",2,3\n",
                vec![Text, Float, Float],
            ),
            (b"1,\"a\n2,b\n3,c\"\n", vec![Float, Text]),
            (
                b"\"5 inch,2,1\ndesk,3 kg,2\ntall\",5,4\n",
                vec![Text, Float, Float],
            ),
        ] {
            let e = parse_block(text, &refusing_breaks, &nulls(), &kinds, 1, 2);
            let what = String::from_utf8_lossy(text);
            assert_eq!(
                e.map(|b| b.rows).unwrap_err().kind,
                ErrorKind::QuotedBreak,
                "{what:?}"
            );
        }
        // Text with line breaks, read either way: too few delimiters on a line, text where a
        // number would be, one delimiter in a table of two columns, most lines between no
        // records, no number, no line break.
        for (text, kinds) in [
            (&b"1,\"two\nlines\"\n"[..], vec![Float, Text]),
            (b"\"Hello, world\nbye\",5\n", vec![Text, Float]),
            (b"101,\"Flat 3\n12, rue de la Paix\"\n", vec![Float, Text]),
            (b"\"Gewicht: 2,5\nFarbe: rot\",9\n", vec![Text, Float]),
            (
                b"\"a,1,2\nsome text\nmore text\nx\",2,3\n",
                vec![Text, Float, Float],
            ),
            (b"1,\"\t\n,\"\n", vec![Float, Text]),
            (b"1,\"a,b\"\n", vec![Float, Text]),
        ] {
            let block = parse_block(text, &refusing_breaks, &nulls(), &kinds, 1, 2);
            assert_eq!(
                block.map(|b| b.rows).ok(),
                Some(1),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        let escaping = refusing.with_escape(Some(b'\\')).unwrap();
        let text = b"2,\"O\\\"Brien\"\n";
        assert!(parse_block(text, &escaping, &nulls(), &[Float, Text], 1, 2).is_ok());
        // Comment lines are no records, wherever they stand; without the dialect's comment
        // character they are records like any other.
        let commented = Dialect::CSV.with_comment(Some(b'#')).unwrap();
        let text = b"# a note, \"open\n1,2\n#3\r\n4,5\n# last";
        let block = parse_block(text, &commented, &nulls(), &[Float, Float], 1, 2).unwrap();
        assert_eq!(block.rows, 2);
        assert_eq!(block.floats[1].values, vec![2.0, 5.0]);
        assert!(parse(b"# a note, x\n1,2\n", &[Float, Float]).is_err());
        // Not converted, not checked.
        assert!(parse(b"1,\xff\n", &[Float, Skip]).is_ok());
        // Whitespace alone is not a missing value.
        let e = parse(b"  \n", &[Float]).unwrap_err();
        assert_eq!((e.kind, e.value.as_str()), (ErrorKind::NotANumber, "  "));
    }

    #[test]
    fn escaped_quotes_are_read_in_every_block() {
        // Records cut into blocks of every size read as one block: an escaped quote keeps
        // the line break after it inside its field.
        let d = D.with_escape(Some(b'\\')).unwrap();
        let mut text = String::new();
        for i in 0..300 {
            text.push_str(&format!("{i},\"say \\\"{i}\\\",\n\\\\\"\n"));
        }
        let kinds = [ColumnKind::Float, ColumnKind::Text];
        let whole = parse_block(text.as_bytes(), &d, &nulls(), &kinds, 1, 2).unwrap();
        assert_eq!(whole.rows, 300);
        assert_eq!(whole.texts[0].get(7), Some("say \"7\",\n\\"));
        for target in [1, 7, 100, 4096] {
            let ends = crate::scan::block_ends(text.as_bytes(), &d, target, true);
            let blocks =
                parse_blocks_parallel(text.as_bytes(), &d, &nulls(), &kinds, &ends, 1, 2, 3)
                    .unwrap();
            let values: Vec<f64> = blocks
                .iter()
                .flat_map(|b| b.floats[0].values.clone())
                .collect();
            assert_eq!(values, whole.floats[0].values);
        }
        // Without the escape character the first quote closes the field, which goes on.
        assert!(parse_block(text.as_bytes(), &D, &nulls(), &kinds, 1, 2).is_err());
    }

    #[test]
    fn last_record_without_line_end() {
        let block = parse(b"1,2\n3,4", &[ColumnKind::Float, ColumnKind::Float]).unwrap();
        assert_eq!(block.rows, 2);
        let block = parse(b"1,", &[ColumnKind::Float, ColumnKind::Text]).unwrap();
        assert_eq!(
            (block.floats[0].get(0), block.texts[0].get(0)),
            (Some(1.0), Some(""))
        );
    }

    #[test]
    fn shown_values_are_cut() {
        assert_eq!(shown(b"abc"), "abc");
        let long = "\u{e9}".repeat(150);
        let s = shown(long.as_bytes());
        assert_eq!(s.chars().count(), 103);
        assert!(s.ends_with("..."));
        let s = shown(&[b'x'; 1000]);
        assert_eq!(s.len(), 103);
    }

    #[test]
    fn parallel_matches_sequential() {
        let mut text = String::new();
        for i in 0..500 {
            text.push_str(&format!("{i},\"t{i}\n\"\r\n"));
            if i % 50 == 0 {
                text.push('\n');
            }
        }
        let kinds = [ColumnKind::Float, ColumnKind::Text];
        let ends = crate::scan::block_ends(text.as_bytes(), &D, 100, true);
        let whole = parse_block(text.as_bytes(), &D, &nulls(), &kinds, 1, 2).unwrap();
        for threads in 0..5 {
            let blocks =
                parse_blocks_parallel(text.as_bytes(), &D, &nulls(), &kinds, &ends, 1, 2, threads)
                    .unwrap();
            let values: Vec<f64> = blocks
                .iter()
                .flat_map(|b| b.floats[0].values.clone())
                .collect();
            assert_eq!(values, whole.floats[0].values);
        }
        let bad = text
            .replace("\"t300\n\"", "\"t300\n\",2")
            .replace("\"t400", "\"x");
        let bad = bad.replace("\n7,", "\nseven,");
        let want = parse_block(bad.as_bytes(), &D, &nulls(), &kinds, 1, 2).unwrap_err();
        assert_eq!((want.row, want.kind), (8, ErrorKind::NotANumber));
        let ends = crate::scan::block_ends(bad.as_bytes(), &D, 100, true);
        for threads in 1..5 {
            let got =
                parse_blocks_parallel(bad.as_bytes(), &D, &nulls(), &kinds, &ends, 1, 2, threads)
                    .unwrap_err();
            assert_eq!(got, want);
        }
    }
}
