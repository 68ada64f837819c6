//! The type of each column of a block of CSV records, as pyarrow's CSV reader infers it, and
//! the column's values as that type (the first batch of a reading).
//!
//! pyarrow converts the first block of a file (`ConvertOptions` with the missing-value strings
//! as `null_values`, the decimal point, the default true and false values and timestamp
//! parsers, `strings_can_be_null=False`) to the first of these types that reads every field of
//! the column, missing values aside:
//!
//! | type | a field it reads |
//! |---|---|
//! | null | a missing-value string (every field is one) |
//! | int64 | `[-]digits` (leading zeros allowed) within int64, or `0x`/`0X` and 1 to 16 hex digits (the 64 bits as int64, no sign); spaces and tabs around |
//! | bool | `true`, `True`, `TRUE`, `1`, `false`, `False`, `FALSE`, `0`, exactly (no spaces) |
//! | date32 | `YYYY-MM-DD`, a real day (leap years kept); spaces and tabs around |
//! | time32\[s\] | `HH:MM` or `HH:MM:SS` (00:00 to 23:59:59); spaces and tabs around |
//! | timestamp\[s\] | `YYYY-MM-DD`, optionally `T` or a space and `HH`, `HH:MM` or `HH:MM:SS`; nothing around |
//! | timestamp\[ns\] | the same, seconds with a fraction of 1 to 9 digits allowed, within int64 nanoseconds |
//! | timestamp\[s, UTC\] | a timestamp\[s\] with a time and a zone: `Z`, `+HH`, `+HHMM`, `+HH:MM` (or `-`) |
//! | timestamp\[ns, UTC\] | the same with a fraction |
//! | double | a number as [`parse_float`] reads it (`+5`, `.5`, `5.`, `1e5`, `inf`, `nan`) |
//! | string | valid UTF-8 (a missing-value string is text here) |
//! | binary | anything |
//!
//! Where two types read the same field the order decides: `1` and `0` make an int64, a date
//! alone a date32, a whole second a timestamp\[s\]; the other types read disjoint fields. A
//! missing value is read by every type; a field is missing when its text, quotes taken away,
//! is one of the missing-value strings (`"NA"` quoted too), compared before any trimming.

use crate::dialect::Dialect;
use crate::parse::{parse_float, MissingValues, Records, TextColumn};
use crate::scan::{block_ends, last_record_end};

/// Where pyarrow's streaming reader ends the first block of `buf` (whole records after the
/// header, the end of the input after them) when it reads `block_size` bytes at a time: at the
/// end of `buf` if it fits, else at the last record end within its first `block_size` bytes,
/// where a CR that is their last byte counts as one (pyarrow's chunker does not wait for the
/// LF of a CRLF, which then makes an empty line of the next block); at the end of the first
/// record if none ends within them.
pub fn first_block_end(buf: &[u8], d: &Dialect, block_size: usize) -> usize {
    let Some(head) = buf.get(..block_size).filter(|_| buf.len() > block_size) else {
        return buf.len();
    };
    if head.last() == Some(&b'\r') {
        // One byte more shows whether that CR (if outside quotes) ends a record: the end found
        // is then at or past it.
        let end = buf
            .get(..=block_size)
            .and_then(|b| last_record_end(b, d))
            .filter(|&end| end >= block_size);
        if let Some(end) = end {
            return end;
        }
    }
    // No record ends within the block: the block is the first record, however long (pyarrow
    // refused such a record; the reading that follows takes records of up to four blocks).
    last_record_end(head, d)
        .or_else(|| block_ends(buf, d, 1, true).first().copied())
        .unwrap_or(0)
}

/// A column's type, in the order the types are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ColumnType {
    /// Every value is missing.
    Null = 0,
    /// 64-bit integers.
    Int64 = 1,
    /// Booleans.
    Boolean = 2,
    /// Days since 1970-01-01.
    Date32 = 3,
    /// Seconds since midnight.
    Time32 = 4,
    /// Seconds since 1970-01-01T00:00:00, no time zone.
    Timestamp = 5,
    /// Nanoseconds since 1970-01-01T00:00:00, no time zone.
    TimestampNs = 6,
    /// Seconds since 1970-01-01T00:00:00Z, each value written with its zone.
    TimestampUtc = 7,
    /// Nanoseconds since 1970-01-01T00:00:00Z, each value written with its zone.
    TimestampNsUtc = 8,
    /// float64.
    Float64 = 9,
    /// UTF-8 text.
    Text = 10,
    /// Bytes.
    Binary = 11,
    /// 64-bit integers written without a leading zero nor in hexadecimal (`05` and `0x1F` are
    /// no values of it): a column whose first rows have none, where a later one would lose how
    /// it is written (a code, not a number). Never inferred; asked for.
    Int64Plain = 12,
}

const ORDER: [ColumnType; 12] = [
    ColumnType::Null,
    ColumnType::Int64,
    ColumnType::Boolean,
    ColumnType::Date32,
    ColumnType::Time32,
    ColumnType::Timestamp,
    ColumnType::TimestampNs,
    ColumnType::TimestampUtc,
    ColumnType::TimestampNsUtc,
    ColumnType::Float64,
    ColumnType::Text,
    ColumnType::Binary,
];

impl ColumnType {
    /// The type of number `code` (`ColumnType::X as u8`).
    pub fn from_code(code: u8) -> Option<Self> {
        let asked = [ColumnType::Int64Plain];
        ORDER.into_iter().chain(asked).find(|&t| t as u8 == code)
    }

    fn bit(self) -> u16 {
        1 << self as u8
    }
}

/// A column's values in its type, as Arrow buffers.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// A null column: no buffer.
    Null,
    /// int64 values, or timestamps in their unit.
    Int64(Vec<i64>),
    /// int32 values: days (date32) or seconds (time32).
    Int32(Vec<i32>),
    /// float64 values.
    Float64(Vec<f64>),
    /// Booleans as an Arrow bitmap (least significant bit first).
    Bits(Vec<u8>),
    /// Text or bytes.
    Text(TextColumn),
}

/// A column of one type, built a field at a time: its values, and which are missing.
///
/// A missing value is 0 (or false, NaN, the empty text) with its bit 0 in `validity`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedColumn {
    /// The column's type.
    pub column_type: ColumnType,
    /// The decimal point of its numbers (for float64).
    decimal_point: u8,
    /// The number of values.
    pub rows: usize,
    /// Arrow validity bitmap, `None` while no value is missing.
    pub validity: Option<Vec<u8>>,
    /// The values.
    pub values: Values,
}

/// One field read as a type ([`read_as`]).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    Int64(i64),
    Int32(i32),
    Float64(f64),
    Bool(bool),
    /// The field's own text (text or binary).
    Text,
}

/// A field (not a missing value) read as type `t` by the rules of the table at the top, or
/// None where `t` does not read it (a null column reads no value).
fn read_as(text: &[u8], t: ColumnType, decimal_point: u8) -> Option<Value> {
    match t {
        ColumnType::Null => None,
        ColumnType::Int64 => parse_int64(text).map(Value::Int64),
        ColumnType::Int64Plain => parse_int64(text)
            .filter(|_| !zero_padded(text) && !hexadecimal(text))
            .map(Value::Int64),
        ColumnType::Boolean => parse_bool(text).map(Value::Bool),
        ColumnType::Date32 => parse_date(trim(text)).map(Value::Int32),
        ColumnType::Time32 => parse_time(text).map(Value::Int32),
        ColumnType::Timestamp
        | ColumnType::TimestampNs
        | ColumnType::TimestampUtc
        | ColumnType::TimestampNsUtc => timestamp_as(text, t).map(Value::Int64),
        ColumnType::Float64 => parse_float(text, decimal_point).map(Value::Float64),
        ColumnType::Text => {
            (text.is_ascii() || std::str::from_utf8(text).is_ok()).then_some(Value::Text)
        }
        ColumnType::Binary => Some(Value::Text),
    }
}

/// Sets bit `i` of an Arrow bitmap to `value`, growing it to hold the bit.
fn set_bit(bits: &mut Vec<u8>, i: usize, value: bool) {
    if bits.len() <= i / 8 {
        bits.resize(i / 8 + 1, 0);
    }
    if let Some(byte) = bits.get_mut(i / 8) {
        if value {
            *byte |= 1 << (i % 8);
        } else {
            *byte &= !(1 << (i % 8));
        }
    }
}

/// Bit `i` of an Arrow bitmap.
fn bit(bits: &[u8], i: usize) -> bool {
    bits.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

impl TypedColumn {
    /// An empty column of type `column_type`; `decimal_point`: that of its numbers.
    pub fn new(column_type: ColumnType, decimal_point: u8) -> Self {
        let values = match column_type {
            ColumnType::Null => Values::Null,
            ColumnType::Int64
            | ColumnType::Int64Plain
            | ColumnType::Timestamp
            | ColumnType::TimestampNs
            | ColumnType::TimestampUtc
            | ColumnType::TimestampNsUtc => Values::Int64(Vec::new()),
            ColumnType::Date32 | ColumnType::Time32 => Values::Int32(Vec::new()),
            ColumnType::Float64 => Values::Float64(Vec::new()),
            ColumnType::Boolean => Values::Bits(Vec::new()),
            ColumnType::Text | ColumnType::Binary => Values::Text(TextColumn::default()),
        };
        TypedColumn {
            column_type,
            decimal_point,
            rows: 0,
            validity: None,
            values,
        }
    }

    /// Appends a field (not a missing value) read as the column's type: false, and nothing
    /// appended, where the type does not read it.
    pub fn push(&mut self, text: &[u8]) -> bool {
        let Some(value) = read_as(text, self.column_type, self.decimal_point) else {
            return false;
        };
        let row = self.rows;
        match (&mut self.values, value) {
            (Values::Int64(v), Value::Int64(x)) => v.push(x),
            (Values::Int32(v), Value::Int32(x)) => v.push(x),
            (Values::Float64(v), Value::Float64(x)) => v.push(x),
            (Values::Bits(bits), Value::Bool(x)) => set_bit(bits, row, x),
            (Values::Text(column), Value::Text) => column.push(text),
            _ => return false, // each type reads values of its own kind only
        }
        if let Some(validity) = &mut self.validity {
            set_bit(validity, row, true);
        }
        self.rows += 1;
        true
    }

    /// Appends a missing value.
    pub fn push_missing(&mut self) {
        let row = self.rows;
        match &mut self.values {
            Values::Null => {}
            Values::Int64(v) => v.push(0),
            Values::Int32(v) => v.push(0),
            Values::Float64(v) => v.push(f64::NAN),
            Values::Bits(bits) => set_bit(bits, row, false),
            Values::Text(column) => column.push(b""),
        }
        let validity = self.validity.get_or_insert_with(|| all_set(row));
        set_bit(validity, row, false);
        self.rows += 1;
    }

    /// Appends the values of `other`, a column of the same type.
    pub fn append(&mut self, other: &TypedColumn) {
        let rows = self.rows;
        match (&mut self.values, &other.values) {
            (Values::Int64(v), Values::Int64(w)) => v.extend_from_slice(w),
            (Values::Int32(v), Values::Int32(w)) => v.extend_from_slice(w),
            (Values::Float64(v), Values::Float64(w)) => v.extend_from_slice(w),
            (Values::Bits(bits), Values::Bits(more)) => {
                for i in 0..other.rows {
                    set_bit(bits, rows + i, bit(more, i));
                }
            }
            (Values::Text(column), Values::Text(more)) => column.extend(more),
            _ => {}
        }
        if self.validity.is_some() || other.validity.is_some() {
            let validity = self.validity.get_or_insert_with(|| all_set(rows));
            for i in 0..other.rows {
                let present = other.validity.as_deref().is_none_or(|v| bit(v, i));
                set_bit(validity, rows + i, present);
            }
        }
        self.rows += other.rows;
    }
}

/// A bitmap of `n` bits, all set (no bit beyond them).
fn all_set(n: usize) -> Vec<u8> {
    let mut bits = vec![0xff; n / 8];
    if !n.is_multiple_of(8) {
        bits.push((1u8 << (n % 8)) - 1);
    }
    bits
}

/// The type pyarrow infers for `column` (one field per row, quotes taken away) and its values.
pub fn infer_column(
    column: &TextColumn,
    missing: &MissingValues,
    decimal_point: u8,
) -> TypedColumn {
    let column_type = column_type(column, missing, decimal_point);
    typed_values(&[column], column_type, missing, decimal_point)
}

/// The values of a column given in parts (each part's rows after the previous part's) as
/// `column_type`, which reads every field (the type [`column_type`] or a [`TypeScan`] found).
/// A missing-value string is text in a text or binary column (pyarrow's `strings_can_be_null`
/// is False), and missing in a column of any other type.
pub fn typed_values(
    parts: &[&TextColumn],
    column_type: ColumnType,
    missing: &MissingValues,
    decimal_point: u8,
) -> TypedColumn {
    let text = matches!(column_type, ColumnType::Text | ColumnType::Binary);
    let mut typed = TypedColumn::new(column_type, decimal_point);
    for field in parts.iter().flat_map(|part| part.iter()) {
        if !text && missing.contains(field) {
            typed.push_missing();
        } else {
            typed.push(field); // read: the type reads every field
        }
    }
    typed
}

/// The first type (of [`ORDER`]) that reads every field of `column`.
pub fn column_type(column: &TextColumn, missing: &MissingValues, decimal_point: u8) -> ColumnType {
    // The types still possible, one bit each: each field takes away those that do not read it.
    let possible = column
        .iter()
        .filter(|text| !missing.contains(text)) // every type reads a missing value
        .fold(ALL_TYPES, |possible, text| {
            narrowed(possible, text, decimal_point).0
        });
    first_type(possible)
}

/// Every type of [`ORDER`], one bit each: what a column may be before a field is read.
const ALL_TYPES: u16 = (1 << ORDER.len()) - 1;

/// The first type of `possible` (bits of [`ORDER`]'s types); binary where none is left.
fn first_type(possible: u16) -> ColumnType {
    ORDER
        .into_iter()
        .find(|&t| possible & t.bit() != 0)
        .unwrap_or(ColumnType::Binary)
}

/// The types of `possible` that read `text` (a field, not a missing value), and its value as
/// float64 where float64 is among them and reads it.
fn narrowed(mut possible: u16, text: &[u8], decimal_point: u8) -> (u16, Option<f64>) {
    let mut float = None;
    for t in ORDER {
        if possible & t.bit() == 0 {
            continue;
        }
        let read = if t == ColumnType::Float64 {
            float = parse_float(text, decimal_point);
            float.is_some()
        } else {
            read_as(text, t, decimal_point).is_some()
        };
        if !read {
            possible &= !t.bit();
        }
    }
    (possible, float)
}

/// The types a block's columns may still be, field after field, and the largest magnitude of
/// their values as float64, without keeping their text: the [`Records`] of a parse whose
/// columns are all [`crate::parse::ColumnKind::Bytes`].
pub struct TypeScan<'a> {
    /// Per column, the types still possible (bits of [`ORDER`]'s).
    possible: Vec<u16>,
    /// Per column, the largest magnitude read as float64 while float64 was possible (NaN
    /// aside; 0 for none).
    reach: Vec<f64>,
    /// The records read.
    pub rows: usize,
    missing: &'a MissingValues,
    decimal_point: u8,
}

impl<'a> TypeScan<'a> {
    /// A scan of `columns` columns, before any record.
    pub fn new(columns: usize, missing: &'a MissingValues, decimal_point: u8) -> Self {
        TypeScan {
            possible: vec![ALL_TYPES; columns],
            reach: vec![0.0; columns],
            rows: 0,
            missing,
            decimal_point,
        }
    }

    /// The scan of the records of `self` and then those of `later`.
    pub fn merge(mut self, later: &TypeScan<'_>) -> Self {
        for (p, q) in self.possible.iter_mut().zip(&later.possible) {
            *p &= q;
        }
        for (r, s) in self.reach.iter_mut().zip(&later.reach) {
            *r = r.max(*s);
        }
        self.rows += later.rows;
        self
    }

    /// Each column's type, as [`column_type`] finds it from all of its fields.
    pub fn types(&self) -> Vec<ColumnType> {
        self.possible.iter().map(|&p| first_type(p)).collect()
    }

    /// Each column's largest magnitude as float64 (meaningful for a float64 column).
    pub fn reach(&self) -> &[f64] {
        &self.reach
    }
}

impl Records for TypeScan<'_> {
    fn number(&mut self, _: usize, _: f64) {}

    fn missing(&mut self, _: usize) {}

    #[inline]
    fn text(&mut self, i: usize, text: &[u8]) {
        if self.missing.contains(text) {
            return; // every type reads a missing value
        }
        if let (Some(possible), Some(reach)) = (self.possible.get_mut(i), self.reach.get_mut(i)) {
            let value;
            (*possible, value) = narrowed(*possible, text, self.decimal_point);
            if let Some(v) = value {
                *reach = reach.max(v.abs());
            }
        }
    }

    fn typed(&mut self, _: usize, _: Option<&[u8]>) -> bool {
        true
    }

    fn record(&mut self, _: usize, _: usize) {}
}

/// `s` without the spaces and tabs around it (only those), as pyarrow trims numbers, dates and
/// times.
fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Whether `text` (an integer) is written with a leading zero: `007`, ` -05`, not `0` nor
/// `0x1F`.
fn zero_padded(text: &[u8]) -> bool {
    let digits = match trim(text) {
        [b'-' | b'+', rest @ ..] => rest,
        all => all,
    };
    matches!(digits, [b'0', b'0'..=b'9', ..])
}

/// Whether `text` (an integer) is written in hexadecimal: `0x1F`, ` 0xff`.
fn hexadecimal(text: &[u8]) -> bool {
    matches!(trim(text), [b'0', b'x' | b'X', ..])
}

/// An int64 as pyarrow reads one: `[-]digits` in range, or `0x` and 1 to 16 hex digits (the 64
/// bits, so `0xFFFFFFFFFFFFFFFF` is -1), with spaces and tabs around; no `+`.
pub fn parse_int64(text: &[u8]) -> Option<i64> {
    let text = trim(text);
    if let [b'0', b'x' | b'X', hex @ ..] = text {
        if hex.is_empty() || hex.len() > 16 {
            return None;
        }
        let mut bits = 0u64;
        for &b in hex {
            bits = bits << 4 | u64::from(char::from(b).to_digit(16)?);
        }
        return Some(i64::from_ne_bytes(bits.to_ne_bytes()));
    }
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulated negatively: i64::MIN has no positive counterpart.
    let mut value = 0i64;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// pyarrow's default true and false values, compared exactly.
pub fn parse_bool(text: &[u8]) -> Option<bool> {
    match text {
        b"1" | b"True" | b"TRUE" | b"true" => Some(true),
        b"0" | b"False" | b"FALSE" | b"false" => Some(false),
        _ => None,
    }
}

fn digits_value(text: &[u8]) -> Option<u32> {
    text.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a day of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`: eras of 400 years, the year starting in March).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `YYYY-MM-DD` (exactly, a real day): days since 1970-01-01.
fn parse_date(text: &[u8]) -> Option<i32> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *text else {
        return None;
    };
    let year = i64::from(digits_value(&[y0, y1, y2, y3])?);
    let month = digits_value(&[m0, m1])?;
    let day = digits_value(&[d0, d1])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    i32::try_from(days_from_civil(year, month, day)).ok()
}

/// `HH`, `HH:MM` or `HH:MM:SS` (as far as `text` goes, which must be one of them): seconds
/// since midnight.
fn clock_seconds(text: &[u8]) -> Option<i64> {
    let (h, m, s) = match *text {
        [h0, h1] => ([h0, h1], None, None),
        [h0, h1, b':', m0, m1] => ([h0, h1], Some([m0, m1]), None),
        [h0, h1, b':', m0, m1, b':', s0, s1] => ([h0, h1], Some([m0, m1]), Some([s0, s1])),
        _ => return None,
    };
    let h = digits_value(&h)?;
    let m = m.map_or(Some(0), |m| digits_value(&m))?;
    let s = s.map_or(Some(0), |s| digits_value(&s))?;
    (h < 24 && m < 60 && s < 60).then(|| i64::from(h * 3600 + m * 60 + s))
}

/// `HH:MM` or `HH:MM:SS`, spaces and tabs around: seconds since midnight.
fn parse_time(text: &[u8]) -> Option<i32> {
    let text = trim(text);
    if text.len() == 2 {
        return None; // an hour alone is no time of day
    }
    clock_seconds(text).and_then(|s| i32::try_from(s).ok())
}

/// A timestamp as its parts: seconds since 1970-01-01T00:00:00 in its zone, the fraction of a
/// second in nanoseconds and its digits, the zone's offset in seconds.
struct Timestamp {
    seconds: i64,
    nanos: i64,
    fraction_digits: usize,
    offset: Option<i64>,
}

/// `YYYY-MM-DD[(T| )HH[:MM[:SS[.fraction]]][zone]]`, nothing around it.
fn parse_timestamp(text: &[u8]) -> Option<Timestamp> {
    let date = parse_date(text.get(..10)?)?;
    let mut timestamp = Timestamp {
        seconds: i64::from(date) * 86_400,
        nanos: 0,
        fraction_digits: 0,
        offset: None,
    };
    let rest = &text[10..];
    let Some((&separator, rest)) = rest.split_first() else {
        return Some(timestamp);
    };
    if separator != b'T' && separator != b' ' {
        return None;
    }
    // The clock runs up to the zone (`Z`, `+`, `-`) or the end.
    let zone_at = rest
        .iter()
        .position(|&b| matches!(b, b'Z' | b'+' | b'-'))
        .unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let (clock, fraction) = match clock.iter().position(|&b| b == b'.') {
        Some(dot) => (&clock[..dot], Some(&clock[dot + 1..])),
        None => (clock, None),
    };
    timestamp.seconds += clock_seconds(clock)?;
    if let Some(fraction) = fraction {
        // Only after the seconds, 1 to 9 digits.
        if clock.len() != 8 || fraction.is_empty() || fraction.len() > 9 {
            return None;
        }
        let value = digits_value(fraction)?;
        timestamp.nanos = i64::from(value) * 10i64.pow(9 - fraction.len() as u32);
        timestamp.fraction_digits = fraction.len();
    }
    timestamp.offset = match *zone {
        [] => None,
        [b'Z'] => Some(0),
        [sign @ (b'+' | b'-'), ref hhmm @ ..] => {
            let (h, m) = match *hhmm {
                [h0, h1] => ([h0, h1], [b'0', b'0']),
                [h0, h1, m0, m1] | [h0, h1, b':', m0, m1] => ([h0, h1], [m0, m1]),
                _ => return None,
            };
            let (h, m) = (digits_value(&h)?, digits_value(&m)?);
            if h >= 24 || m >= 60 {
                return None;
            }
            let offset = i64::from(h * 3600 + m * 60);
            Some(if sign == b'-' { -offset } else { offset })
        }
        _ => return None,
    };
    Some(timestamp)
}

/// `text` as a value of the timestamp type `t`, or None where `t` does not read it: a zone
/// only for the UTC types (and for them always), a fraction only for nanoseconds, which must
/// fit in int64 (the zone's offset applied to the seconds before they become nanoseconds).
fn timestamp_as(text: &[u8], t: ColumnType) -> Option<i64> {
    let ts = parse_timestamp(text)?;
    let (nanos, utc) = match t {
        ColumnType::Timestamp => (false, false),
        ColumnType::TimestampNs => (true, false),
        ColumnType::TimestampUtc => (false, true),
        ColumnType::TimestampNsUtc => (true, true),
        _ => return None,
    };
    if ts.offset.is_some() != utc || (!nanos && ts.fraction_digits > 0) {
        return None;
    }
    let seconds = ts.seconds - ts.offset.unwrap_or(0);
    if nanos {
        seconds.checked_mul(1_000_000_000)?.checked_add(ts.nanos)
    } else {
        Some(seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[&[u8]]) -> TextColumn {
        let mut c = TextColumn::default();
        for v in values {
            c.data.extend_from_slice(v);
            c.offsets.push(c.data.len() as i64);
        }
        c
    }

    fn nulls() -> MissingValues {
        MissingValues::new(["", "NA", "NaN", "nan", "null"])
    }

    fn typed(values: &[&str]) -> ColumnType {
        let bytes: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
        column_type(&column(&bytes), &nulls(), b'.')
    }

    /// A TypeScan fed `values` (fields of one column) in parts cut at `cut`, merged.
    fn scanned(values: &[&str], cut: usize) -> (ColumnType, f64) {
        let missing = nulls();
        let mut parts = [
            TypeScan::new(1, &missing, b'.'),
            TypeScan::new(1, &missing, b'.'),
        ];
        for (i, v) in values.iter().enumerate() {
            parts[usize::from(i >= cut)].text(0, v.as_bytes());
        }
        let [first, later] = parts;
        let scan = first.merge(&later);
        (scan.types()[0], scan.reach()[0])
    }

    #[test]
    fn a_scan_in_parts_types_as_the_whole_column() {
        let columns: [&[&str]; 6] = [
            &["1", "2", "x"],
            &["1", "NA", "2.5"],
            &["true", "0", "2"],
            &["2020-01-31", "2020-01-31 12:00"],
            &["NA", "", "nan"],
            &["-1e300", "5", "NA", "2e19"],
        ];
        for values in columns {
            for cut in 0..=values.len() {
                assert_eq!(
                    scanned(values, cut).0,
                    typed(values),
                    "{values:?} cut at {cut}"
                );
            }
        }
        assert_eq!(scanned(&["-1e300", "5", "NA", "2e19"], 2).1, 1e300);
        assert_eq!(scanned(&["NA", ""], 1).1, 0.0);
    }

    #[test]
    fn nulls_alone_make_a_null_column() {
        assert_eq!(typed(&["", "NA", "nan"]), ColumnType::Null);
        assert_eq!(typed(&["", "1"]), ColumnType::Int64);
    }

    #[test]
    fn integers() {
        assert_eq!(typed(&["1", "-2", " 3 ", "\t4", "007"]), ColumnType::Int64);
        assert_eq!(
            typed(&["9223372036854775807", "-9223372036854775808"]),
            ColumnType::Int64
        );
        assert_eq!(typed(&["9223372036854775808"]), ColumnType::Float64);
        assert_eq!(typed(&["-9223372036854775809"]), ColumnType::Float64);
        assert_eq!(typed(&["+5"]), ColumnType::Float64);
        assert_eq!(typed(&["0x1F", "0XFF"]), ColumnType::Int64);
        let plain = |t: &str| read_as(t.as_bytes(), ColumnType::Int64Plain, b'.');
        assert_eq!(plain(" 12 "), Some(Value::Int64(12)));
        assert_eq!(plain("0"), Some(Value::Int64(0)));
        assert_eq!(plain("-0"), Some(Value::Int64(0)));
        assert_eq!(plain("0x1F"), None); // it would be written 31
        for padded in ["007", " -05", "00"] {
            assert_eq!(plain(padded), None, "{padded}");
            assert!(read_as(padded.as_bytes(), ColumnType::Int64, b'.').is_some());
        }
        assert_eq!(ColumnType::from_code(12), Some(ColumnType::Int64Plain));
        assert_eq!(ColumnType::from_code(13), None);
        assert_eq!(typed(&["-0x1F"]), ColumnType::Text);
        assert_eq!(typed(&["0x1FFFFFFFFFFFFFFFF"]), ColumnType::Text);
        assert_eq!(parse_int64(b"0xFFFFFFFFFFFFFFFF"), Some(-1));
        assert_eq!(parse_int64(b"0x8000000000000000"), Some(i64::MIN));
        assert_eq!(parse_int64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int64(b"1 2"), None);
        assert_eq!(parse_int64(b"\x0b5"), None);
        assert_eq!(parse_int64(b"-"), None);
        assert_eq!(parse_int64(b" "), None);
    }

    #[test]
    fn floats() {
        assert_eq!(typed(&["1", "1.5"]), ColumnType::Float64);
        for v in [
            ".5",
            "5.",
            "1e5",
            "1E-5",
            "inf",
            "-Infinity",
            "NAN",
            "nan(1)",
            "1e400",
        ] {
            assert_eq!(typed(&[v]), ColumnType::Float64, "{v}");
        }
        for v in ["1e", "e5", "0x1p3", "1d5", "."] {
            assert_eq!(typed(&[v]), ColumnType::Text, "{v}");
        }
        let comma = column(&[b"1,5", b",5", b"5,"]);
        assert_eq!(column_type(&comma, &nulls(), b','), ColumnType::Float64);
        let dot = column(&[b"1.5"]);
        assert_eq!(column_type(&dot, &nulls(), b','), ColumnType::Text);
    }

    #[test]
    fn booleans_are_exact_and_lose_to_integers() {
        assert_eq!(typed(&["true", "False", "TRUE", "0"]), ColumnType::Boolean);
        assert_eq!(typed(&["1", "0"]), ColumnType::Int64);
        for v in [" true", "tRUE", "yes", "t"] {
            assert_eq!(typed(&[v]), ColumnType::Text, "{v}");
        }
        assert_eq!(typed(&["1.5", "true"]), ColumnType::Text);
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            typed(&["2020-01-31", " 2020-02-29\t", "0000-02-29"]),
            ColumnType::Date32
        );
        for v in [
            "2020-1-31",
            "2020-02-30",
            "1900-02-29",
            "+2020-01-31",
            "2020/01/31",
        ] {
            assert_eq!(typed(&[v]), ColumnType::Text, "{v}");
        }
        assert_eq!(parse_date(b"1970-01-01"), Some(0));
        assert_eq!(parse_date(b"2020-01-31"), Some(18_292));
        assert_eq!(parse_date(b"0000-01-01"), Some(-719_528));
        assert_eq!(typed(&["12:34:56", " 12:34 "]), ColumnType::Time32);
        for v in ["1:34", "24:00:00", "23:59:60", "12:34:56.5", "12:34:5"] {
            assert_eq!(typed(&[v]), ColumnType::Text, "{v}");
        }
        assert_eq!(parse_time(b"12:34"), Some(45_240));
        assert_eq!(parse_time(b"12"), None);
    }

    #[test]
    fn timestamps() {
        let s = [
            "2020-01-31T12:34:56",
            "2020-01-31 12:34",
            "2020-01-31T12",
            "2020-01-31",
        ];
        assert_eq!(typed(&s), ColumnType::Timestamp);
        assert_eq!(typed(&["2020-01-31T12:34:56.000"]), ColumnType::TimestampNs);
        assert_eq!(
            typed(&["2020-01-31", "2020-01-31T12:34:56.5"]),
            ColumnType::TimestampNs
        );
        let zoned = [
            "2020-01-31T12:34:56Z",
            "2020-01-31 12:34+01",
            "2020-01-31T12-0530",
        ];
        assert_eq!(typed(&zoned), ColumnType::TimestampUtc);
        assert_eq!(
            typed(&["2020-01-31T12:34:56.5+01:00"]),
            ColumnType::TimestampNsUtc
        );
        for mixed in [
            &["2020-01-31T12:34:56Z", "2020-01-31T12:34:56"][..],
            &["2020-01-31", "2020-01-31T12:34:56Z"],
            &["12:34:56", "2020-01-31T12:34:56"],
        ] {
            assert_eq!(typed(mixed), ColumnType::Text, "{mixed:?}");
        }
        for v in [
            " 2020-01-31T12:34:56",
            "2020-01-31T12:34:56 ",
            "2020-01-31t12:34:56",
            "2020-01-31T1234",
            "2020-01-31T12:34:56.",
            "2020-01-31T12:34.5",
            "2020-01-31T12:34:56.1234567891",
            "2020-01-31T12:34:56z",
            "2020-01-31T12:34:56+24:00",
            "2020-01-31T12:34:56+1:00",
            "2020-01-31Z",
            "2020-01-31T24:00:00",
        ] {
            assert_eq!(typed(&[v]), ColumnType::Text, "{v}");
        }
        assert_eq!(
            timestamp_as(b"2020-01-31T12:34:56+01:00", ColumnType::TimestampUtc),
            Some(1_580_470_496)
        );
        assert_eq!(
            timestamp_as(b"1969-12-31T23:59:59.5", ColumnType::TimestampNs),
            Some(-500_000_000)
        );
    }

    #[test]
    fn nanoseconds_must_fit_in_int64() {
        assert_eq!(
            typed(&["2262-04-11T23:47:16.854775807"]),
            ColumnType::TimestampNs
        );
        assert_eq!(typed(&["2262-04-11T23:47:16.854775808"]), ColumnType::Text);
        assert_eq!(typed(&["2300-01-01 00:00:00"]), ColumnType::Timestamp);
        assert_eq!(
            typed(&["2300-01-01 00:00:00", "2020-01-01 00:00:00.5"]),
            ColumnType::Text
        );
        // The offset is applied to the seconds first.
        assert_eq!(
            typed(&["1677-09-21T00:12:43.5-01:00"]),
            ColumnType::TimestampNsUtc
        );
        assert_eq!(typed(&["1677-09-21T00:12:43.5+01:00"]), ColumnType::Text);
    }

    #[test]
    fn missing_values_are_text_in_a_text_column() {
        let c = column(&[b"NA", b"x"]);
        let typed = infer_column(&c, &nulls(), b'.');
        assert_eq!(typed.column_type, ColumnType::Text);
        assert_eq!(typed.validity, None);
    }

    #[test]
    fn values_and_validity() {
        let c = column(&[b" 5", b"NA", b"0x10"]);
        let typed = infer_column(&c, &nulls(), b'.');
        assert_eq!(typed.column_type, ColumnType::Int64);
        assert_eq!(typed.values, Values::Int64(vec![5, 0, 16]));
        assert_eq!(typed.validity, Some(vec![0b101]));
        let c = column(&[b"true", b"0", b"FALSE", b"TRUE"]);
        let typed = infer_column(&c, &nulls(), b'.');
        assert_eq!(typed.values, Values::Bits(vec![0b1001]));
        assert_eq!(typed.validity, None);
    }

    #[test]
    fn the_first_block_ends_at_its_last_record_end() {
        let d = Dialect::default();
        let buf = b"1\n1\n1\nx\n";
        assert_eq!(first_block_end(buf, &d, 8), 8);
        assert_eq!(first_block_end(buf, &d, 7), 6);
        assert_eq!(first_block_end(b"1\r\n1\r\nx\r\n", &d, 8), 9); // its CR ends "x"

        // A first record longer than the block is the block.
        assert_eq!(first_block_end(b"\"a\r\"\nx\n", &d, 4), 5);
        assert_eq!(first_block_end(b"123456\n", &d, 6), 7);
        assert_eq!(first_block_end(b"123456\n1\n", &d, 6), 7);
    }

    #[test]
    fn invalid_utf8_is_binary() {
        let c = column(&[b"\xffa", b"1"]);
        assert_eq!(column_type(&c, &nulls(), b'.'), ColumnType::Binary);
    }

    #[test]
    fn days_from_civil_counts_every_day() {
        // Day by day from 1600-01-01 to 2400-12-31 against a running count.
        let mut expected = days_from_civil(1600, 1, 1);
        for year in 1600..=2400 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), expected);
                    expected += 1;
                }
            }
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }
}
