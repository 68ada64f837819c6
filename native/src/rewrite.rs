//! CSV records written again by a frozen transform, field by field: `normkit transform` from
//! CSV to CSV.
//!
//! A block of records is first parsed by [`crate::parse`]'s rules, with its errors: the
//! normalized columns as float64, every other column checked to be UTF-8 as a text column is.
//! Then each record is written again from the block's bytes:
//!
//! - a normalized field as the shortest text of its mapped value ([`crate::csvout`]'s floats),
//!   the map being numpy's operations in numpy's order (`normkit.core.kernels`): subtract the
//!   center, divide by the scale, then multiply by gamma and add beta where they are not 1 and
//!   0 (the inverse: subtract beta, divide by gamma, multiply by the scale, add the center), so
//!   the bits are those of `(x - mean) / scale`; a missing value as the missing value's text;
//! - every other field as its text (quotes undone), written as [`crate::csvout`] writes a text
//!   column: quoted only where it must be, an empty one as the missing value's text.
//!
//! The output is thus byte for byte what parsing the records into columns and writing the
//! columns back gives, without the columns. A record ends in the style's line end. Where an output is infinite
//! (from an infinite input, or beyond float64's range), or a field cannot be written without
//! quotes where nothing is quoted, the block's text is not to be used: [`first_stop`] says which
//! of them comes first, as the batch path finds it ([`Stop`]). So too where a column the fit
//! found no value in (passed through: it has no statistics) holds one ([`Plan::with_vacant`]):
//! its values would go out unnormalized. And where a field passed through holds a NUL
//! character, which CSV readers take for binary data: the output would not read back.

use crate::csvout::{push_float, push_text, Style, WriteError};
use crate::dialect::Dialect;
use crate::parse::{
    in_blocks, parse_into, ColumnKind, MissingValues, NullNumbers, ParseError, Records,
};

/// One normalized column's frozen transform.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Map {
    /// Subtracted first.
    pub center: f64,
    /// Then divided by.
    pub scale: f64,
    /// Then multiplied by, where it is not 1.
    pub gamma: f64,
    /// Then added, where it is not 0.
    pub beta: f64,
}

impl Map {
    /// `gamma * (x - center) / scale + beta`, in numpy's order of operations.
    #[inline]
    pub fn forward(&self, x: f64) -> f64 {
        let mut y = (x - self.center) / self.scale;
        if self.gamma != 1.0 {
            y *= self.gamma;
        }
        if self.beta != 0.0 {
            y += self.beta;
        }
        y
    }

    /// `(y - beta) / gamma * scale + center`, the inverse of [`Map::forward`].
    #[inline]
    pub fn inverse(&self, y: f64) -> f64 {
        let mut x = y;
        if self.beta != 0.0 {
            x -= self.beta;
        }
        if self.gamma != 1.0 {
            x /= self.gamma;
        }
        x *= self.scale;
        x + self.center
    }

    /// [`Map::forward`] (or, `inverse`, [`Map::inverse`]) of each of `values`, pushed on
    /// `out`; whether a value came out infinite. Whether gamma and beta apply does not change
    /// within the loop, which the compiler takes out of it: the loop vectorizes, and the values
    /// are written once (not zeroed first).
    pub fn extend(&self, values: &[f64], out: &mut Vec<f64>, inverse: bool) -> bool {
        let start = out.len();
        if inverse {
            out.extend(values.iter().map(|&v| self.inverse(v)));
        } else {
            out.extend(values.iter().map(|&v| self.forward(v)));
        }
        any_infinite(&out[start..])
    }
}

/// Whether any of `values` is infinite (one pass, no array of flags).
pub fn any_infinite(values: &[f64]) -> bool {
    values.iter().fold(false, |any, v| any | v.is_infinite())
}

/// What a rewrite does to each column of the header, and how the records are written.
#[derive(Clone, Debug)]
pub struct Plan {
    /// One per column of the header: the index of its map, or `None` (its text is kept).
    columns: Vec<Option<usize>>,
    maps: Vec<Map>,
    inverse: bool,
    style: Style,
    /// What [`crate::parse`] makes of each column.
    kinds: Vec<ColumnKind>,
    /// The float columns in file order: their map and their column in the header.
    floats: Vec<(usize, usize)>,
    /// The text columns in file order: their column in the header.
    texts: Vec<usize>,
    /// Infinite values read as missing.
    infinite_missing: bool,
    /// One per column of the header: whether it must hold no value ([`Plan::with_vacant`]).
    vacant: Vec<bool>,
}

impl Plan {
    /// A plan: `columns` (one per column of the header) gives the index in `maps` of each
    /// normalized column, and `None` for the others; `inverse` applies the maps' inverses.
    ///
    /// # Errors
    ///
    /// An index out of range, or given twice.
    pub fn new(
        columns: Vec<Option<usize>>,
        maps: Vec<Map>,
        inverse: bool,
        style: Style,
    ) -> Result<Plan, String> {
        let mut seen = vec![false; maps.len()];
        for &j in columns.iter().flatten() {
            match seen.get_mut(j) {
                Some(s) if !*s => *s = true,
                Some(_) => return Err(format!("map {j} is given to two columns")),
                None => return Err(format!("map {j} of {}", maps.len())),
            }
        }
        let kinds = columns
            .iter()
            .map(|c| match c {
                Some(_) => ColumnKind::Float,
                None => ColumnKind::Text,
            })
            .collect();
        let numbered = columns.iter().enumerate();
        let floats = numbered
            .clone()
            .filter_map(|(i, c)| c.map(|j| (j, i)))
            .collect();
        let texts = numbered
            .filter(|(_, c)| c.is_none())
            .map(|(i, _)| i)
            .collect();
        Ok(Plan {
            columns,
            maps,
            inverse,
            style,
            kinds,
            floats,
            texts,
            infinite_missing: false,
            vacant: Vec::new(),
        })
    }

    /// The plan, with the columns `vacant` (of the header, kept as text) to hold no value, as
    /// a column of numbers reads none ([`MissingValues::no_value`]). The first value found in
    /// one stops the rewrite ([`Stop::Valued`]).
    ///
    /// # Errors
    ///
    /// A column out of range, or normalized.
    pub fn with_vacant(self, vacant: &[usize]) -> Result<Plan, String> {
        let mut flags = vec![false; self.columns.len()];
        for &i in vacant {
            match self.columns.get(i) {
                Some(None) => flags[i] = true,
                Some(Some(_)) => return Err(format!("column {i} is normalized")),
                None => return Err(format!("column {i} of {}", self.columns.len())),
            }
        }
        Ok(Plan {
            vacant: flags,
            ..self
        })
    }

    /// The plan, reading infinite values as missing where `yes`.
    pub fn with_infinite_missing(self, yes: bool) -> Plan {
        Plan {
            infinite_missing: yes,
            ..self
        }
    }

    /// The number of columns of the header.
    pub fn columns(&self) -> usize {
        self.columns.len()
    }

    /// The number of normalized columns (of maps).
    pub fn normalized(&self) -> usize {
        self.maps.len()
    }

    #[inline]
    fn apply(&self, map: &Map, x: f64) -> f64 {
        if self.inverse {
            map.inverse(x)
        } else {
            map.forward(x)
        }
    }
}

/// Why the records of a block were not all written.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// An output that is infinite (where the input is, or beyond float64's range).
    Infinite {
        /// The record (0-based, in the block; in the chunk from [`first_stop`]).
        row: usize,
        /// The normalized column (the index of its map).
        column: usize,
        /// The value read.
        value: f64,
        /// The value it maps to.
        output: f64,
    },
    /// A field that holds the delimiter or a line break where nothing is quoted
    /// ([`WriteError::Unquotable`]; the column of the header).
    Unquotable(WriteError),
    /// A value in a column that must hold none ([`Plan::with_vacant`]).
    Valued {
        /// The record (0-based, in the block; in the chunk from [`first_stop`]).
        row: usize,
        /// The column of the header.
        column: usize,
        /// The field's text (quotes undone; bytes that are not UTF-8 replaced).
        text: String,
    },
    /// A field passed through that holds a NUL character (`\0`).
    Nul {
        /// The record (0-based, in the block; in the chunk from [`first_stop`]).
        row: usize,
        /// The column of the header.
        column: usize,
    },
}

/// A block of records written again.
#[derive(Clone, Debug, Default)]
pub struct Rewritten {
    /// The records of the block.
    pub rows: usize,
    /// The line ends of the block.
    pub lines: u64,
    /// The records written (not to be used where a value could not be written).
    pub text: Vec<u8>,
    /// The values read of the normalized columns (in the order of the maps) of the block's
    /// first records, as many as asked, row after row, NaN where missing (see [`first_rows`]).
    pub look: Vec<f64>,
    /// The first infinite output of each normalized column that has one: `(row, value,
    /// output)` (None where no column has one).
    pub infinite: Option<Vec<Option<(usize, f64, f64)>>>,
    /// The first value that could not be written without quotes.
    pub unquotable: Option<WriteError>,
    /// The first value in a column that must hold none: `(row, column, text)`.
    pub valued: Option<(usize, usize, String)>,
    /// The first field passed through that holds a NUL character: `(row, column)`.
    pub nul: Option<(usize, usize)>,
}

/// The records of a block written as [`parse_into`] reads them, field after field.
struct Writer<'a> {
    plan: &'a Plan,
    missing: &'a MissingValues,
    /// The numbers that are missing however spelled, and the decimal point: what no value is
    /// in a vacant column ([`MissingValues::no_value`]).
    numbers: NullNumbers,
    decimal_point: u8,
    out: Rewritten,
    /// The records whose values go to `out.look`.
    look: usize,
    /// The record being read (0-based).
    row: usize,
    /// Whether the next field is the first of its record.
    first: bool,
    floats: zmij::Buffer,
    field: Vec<u8>,
}

impl Writer<'_> {
    /// Before a field: the delimiter, but before a record's first; and, for the records looked
    /// at, their row of values (NaN until read).
    #[inline]
    fn field(&mut self) {
        if self.first {
            self.first = false;
            if self.row < self.look {
                let width = self.plan.maps.len();
                self.out.look.resize((self.row + 1) * width, f64::NAN);
            }
        } else {
            self.out.text.push(self.plan.style.delimiter);
        }
    }

    /// A value that cannot be written without quotes (column `column` of the header), from
    /// `at` in the text on: the first is kept.
    #[cold]
    fn unquotable(&mut self, column: usize, at: usize) {
        if self.out.unquotable.is_none() {
            let shown = String::from_utf8_lossy(self.out.text.get(at..).unwrap_or_default());
            self.out.unquotable = Some(WriteError::Unquotable {
                column,
                text: shown.into_owned(),
            });
        }
    }

    /// Whether `text` in a vacant column is a value (not missing as its fit read it).
    fn valued_text(&self, text: &[u8]) -> bool {
        let infinite = self.plan.infinite_missing;
        !self
            .missing
            .no_value(text, &self.numbers, self.decimal_point, infinite)
    }

    /// A value in column `column` of the header, which must hold none: the first is kept.
    #[cold]
    fn valued(&mut self, column: usize, text: &[u8]) {
        if self.out.valued.is_none() {
            let text = String::from_utf8_lossy(text).into_owned();
            self.out.valued = Some((self.row, column, text));
        }
    }

    /// A NUL character in column `column` of the header: the first is kept.
    #[cold]
    fn nul(&mut self, column: usize) {
        if self.out.nul.is_none() {
            self.out.nul = Some((self.row, column));
        }
    }

    /// An infinite output of normalized column `j`: the first of the column is kept.
    #[cold]
    fn infinite(&mut self, j: usize, value: f64, output: f64) {
        let width = self.plan.maps.len();
        let columns = self.out.infinite.get_or_insert_with(|| vec![None; width]);
        if let Some(first @ None) = columns.get_mut(j) {
            *first = Some((self.row, value, output));
        }
    }

    #[inline]
    fn missing_value(&mut self) {
        self.out.text.extend_from_slice(&self.plan.style.missing);
    }
}

impl Records for Writer<'_> {
    #[inline]
    fn number(&mut self, i: usize, x: f64) {
        self.field();
        let plan = self.plan;
        let Some(&(j, column)) = plan.floats.get(i) else {
            return;
        };
        if plan.infinite_missing && x.is_infinite() {
            return self.missing_value();
        }
        if self.row < self.look {
            self.out.look[self.row * plan.maps.len() + j] = x;
        }
        let y = plan.apply(&plan.maps[j], x);
        if y.is_infinite() {
            return self.infinite(j, x, y);
        }
        let at = self.out.text.len();
        let style = &plan.style;
        if !push_float(
            &mut self.out.text,
            &mut self.field,
            &mut self.floats,
            style,
            y,
        ) {
            self.unquotable(column, at);
        }
    }

    #[inline]
    fn missing(&mut self, _: usize) {
        self.field();
        self.missing_value();
    }

    #[inline]
    fn text(&mut self, i: usize, text: &[u8]) {
        self.field();
        let at = self.out.text.len();
        let column = self.plan.texts.get(i).copied().unwrap_or_default();
        if self.plan.vacant.get(column) == Some(&true) && self.valued_text(text) {
            self.valued(column, text);
        }
        if memchr::memchr(0, text).is_some() {
            self.nul(column);
        }
        if !push_text(&mut self.out.text, &self.plan.style, text) {
            self.unquotable(column, at);
        }
    }

    fn typed(&mut self, _: usize, _: Option<&[u8]>) -> bool {
        true // a plan reads no column as a type (its kinds are float and text)
    }

    #[inline]
    fn record(&mut self, rows: usize, _: usize) {
        self.out.text.extend_from_slice(self.plan.style.line_end);
        self.row = rows + 1;
        self.first = true;
    }
}

/// The records of `buf` (whole records: the last may lack its line end) written again by
/// `plan`, the values of the first `look` read; `numeric` as
/// [`crate::parse::parse_block_numbers`] takes it.
///
/// # Errors
///
/// The first record in `buf` that cannot be read, as [`crate::parse::parse_block`] finds it
/// (its row and line counted from 1), whatever [`Stop`] comes before it: the block is read
/// whole, as it would be into columns before they are written.
pub fn rewrite_block(
    buf: &[u8],
    d: &Dialect,
    missing: &MissingValues,
    numeric: Option<&[bool]>,
    plan: &Plan,
    look: usize,
) -> Result<Rewritten, ParseError> {
    let mut writer = Writer {
        plan,
        missing,
        numbers: missing.numbers(d.decimal_point),
        decimal_point: d.decimal_point,
        // Room for records a quarter longer than those read: few grow more.
        out: Rewritten {
            text: Vec::with_capacity(buf.len() + buf.len() / 4 + 64),
            ..Rewritten::default()
        },
        look,
        row: 0,
        first: true,
        floats: zmij::Buffer::new(),
        field: Vec::new(),
    };
    let (rows, lines) = parse_into(buf, d, missing, &plan.kinds, numeric, (1, 1), &mut writer)?;
    let mut out = writer.out;
    out.rows = rows;
    out.lines = lines;
    Ok(out)
}

/// [`rewrite_block`] of the blocks `buf[0..block_ends[0]]`, `buf[block_ends[0]..block_ends[1]]`,
/// ... on up to `threads` threads, in file order; `at`: the row and line of `buf`'s first
/// record.
///
/// # Errors
///
/// The first record that cannot be read, in file order, at its row and line in the file, as
/// [`crate::parse::parse_blocks_parallel`] reports it: it comes before any [`Stop`] of the
/// blocks, as parsing a chunk into columns comes before writing them.
#[allow(clippy::too_many_arguments)]
pub fn rewrite_blocks(
    buf: &[u8],
    d: &Dialect,
    missing: &MissingValues,
    numeric: Option<&[bool]>,
    plan: &Plan,
    block_ends: &[usize],
    at: (u64, u64),
    threads: usize,
    look: usize,
) -> Result<Vec<Rewritten>, ParseError> {
    let work = |block: &[u8]| rewrite_block(block, d, missing, numeric, plan, look);
    in_blocks(buf, block_ends, at, threads, work, |b| b.rows)
}

/// Why the records of `blocks` (a chunk's, in order) cannot be written, as the batch path
/// finds it: a value where a column must hold none (the first in order; rows counted from the
/// first block's start), before an infinite output, of the first normalized column that has
/// one anywhere (at its first row), before a NUL character (the first in order), before a
/// value that cannot be written without quotes (the first in order).
pub fn first_stop(blocks: &[Rewritten]) -> Option<Stop> {
    let mut rows_before = 0;
    for block in blocks {
        if let Some((row, column, text)) = &block.valued {
            return Some(Stop::Valued {
                row: rows_before + row,
                column: *column,
                text: text.clone(),
            });
        }
        rows_before += block.rows;
    }
    let width = blocks
        .iter()
        .find_map(|b| b.infinite.as_ref())
        .map(Vec::len);
    for column in 0..width.unwrap_or(0) {
        let mut rows_before = 0;
        for block in blocks {
            let found = block
                .infinite
                .as_ref()
                .and_then(|c| c.get(column).copied().flatten());
            if let Some((row, value, output)) = found {
                return Some(Stop::Infinite {
                    row: rows_before + row,
                    column,
                    value,
                    output,
                });
            }
            rows_before += block.rows;
        }
    }
    let mut rows_before = 0;
    for block in blocks {
        if let Some((row, column)) = block.nul {
            return Some(Stop::Nul {
                row: rows_before + row,
                column,
            });
        }
        rows_before += block.rows;
    }
    let unquotable = blocks.iter().find_map(|b| b.unquotable.clone());
    unquotable.map(Stop::Unquotable)
}

/// The values read of the first `n` records of `blocks` (fewer where they hold fewer; each
/// block's first `n` were looked at), row after row: `(rows, values)`.
pub fn first_rows(blocks: &[Rewritten], n: usize, plan: &Plan) -> (usize, Vec<f64>) {
    let width = plan.maps.len();
    let mut out = Vec::new();
    for block in blocks {
        let wanted = (n * width).saturating_sub(out.len());
        out.extend(block.look.iter().take(wanted));
    }
    (out.len() / width.max(1), out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvout::{write_records, Column, Values};
    use crate::parse::{parse_block, ErrorKind};

    fn map(center: f64, scale: f64) -> Map {
        Map {
            center,
            scale,
            gamma: 1.0,
            beta: 0.0,
        }
    }

    fn nulls() -> MissingValues {
        MissingValues::new(["", "NA"].iter().map(|s| s.as_bytes()))
    }

    /// The records as the two steps write them: parsed into columns (floats mapped, texts as
    /// read), then the columns written by `csvout`.
    fn by_columns(buf: &[u8], plan: &Plan) -> Vec<u8> {
        let kinds: Vec<ColumnKind> = plan
            .columns
            .iter()
            .map(|c| match c {
                Some(_) => ColumnKind::Float,
                None => ColumnKind::Text,
            })
            .collect();
        let block = parse_block(buf, &Dialect::CSV, &nulls(), &kinds, 1, 1).unwrap();
        let mapped: Vec<Vec<u8>> = block
            .floats
            .iter()
            .zip(plan.columns.iter().flatten())
            .map(|(c, &j)| {
                c.values
                    .iter()
                    .flat_map(|&x| plan.apply(&plan.maps[j], x).to_le_bytes())
                    .collect()
            })
            .collect();
        let texts: Vec<(Vec<u8>, Vec<u8>)> = block
            .texts
            .iter()
            .map(|t| {
                let offsets = t.offsets.iter().flat_map(|&o| o.to_le_bytes()).collect();
                (offsets, t.data.clone())
            })
            .collect();
        let (mut f, mut t) = (0, 0);
        let columns: Vec<Column<'_>> = plan
            .columns
            .iter()
            .map(|c| match c {
                Some(_) => {
                    f += 1;
                    Column {
                        values: Values::Float64(&mapped[f - 1]),
                        validity: block.floats[f - 1].validity.as_deref(),
                        offset: 0,
                    }
                }
                None => {
                    t += 1;
                    let (offsets, data) = &texts[t - 1];
                    Column {
                        values: Values::Text {
                            offsets,
                            large: true,
                            data,
                        },
                        validity: None,
                        offset: 0,
                    }
                }
            })
            .collect();
        let mut out = Vec::new();
        write_records(&columns, block.rows, &plan.style, &mut out).unwrap();
        out
    }

    #[test]
    fn same_bytes_as_parsing_and_writing_columns() {
        let plan = Plan::new(
            vec![None, Some(1), Some(0), None],
            vec![map(1.0, 3.0), map(-2.5, 0.1)],
            false,
            Style::CSV,
        )
        .unwrap();
        let buf = b"id,0.1,7,\"a, \"\"b\"\"\"\r\n\"x\",NA,1e300,\n\n\"q\",\"2\",  3 ,\"multi\nline\"\ny,-0,nan,z";
        let out = rewrite_block(buf, &Dialect::CSV, &nulls(), None, &plan, 0).unwrap();
        assert_eq!(out.rows, 4);
        assert_eq!(first_stop(std::slice::from_ref(&out)), None);
        assert_eq!(
            String::from_utf8(out.text.clone()).unwrap(),
            String::from_utf8(by_columns(buf, &plan)).unwrap()
        );
        let found = |part: &[u8]| out.text.windows(part.len()).any(|w| w == part);
        assert!(found(
            b"id,26.0,2.0,\"a, \"\"b\"\"\"\nx,,3.3333333333333335e299,\n"
        ));
        assert!(found(
            b"q,45.0,0.6666666666666666,\"multi\nline\"\ny,25.0,NaN,z\n"
        ));
    }

    #[test]
    fn numpy_order_of_operations() {
        let m = Map {
            center: 0.1,
            scale: 3.0,
            gamma: 0.7,
            beta: -0.2,
        };
        let x = 1.234_567_890_123;
        assert_eq!(
            m.forward(x).to_bits(),
            ((x - 0.1) / 3.0 * 0.7 - 0.2).to_bits()
        );
        let y = m.forward(x);
        assert_eq!(
            m.inverse(y).to_bits(),
            ((y + 0.2) / 0.7 * 3.0 + 0.1).to_bits()
        );
    }

    #[test]
    fn the_first_column_with_an_infinite_output_is_told_as_the_batch_path_does() {
        // Column b's infinity comes first in the file, but column a is the first of the maps
        // with one: the batch path checks column after column.
        let maps = vec![map(0.0, 1e-300), map(0.0, 1e-300)];
        let plan = Plan::new(vec![Some(0), Some(1), None], maps, false, Style::CSV).unwrap();
        let first = b"1e-310,1e10,a\n2e-310,3e-310,b\n";
        let second = b"4e-310,1e-310,c\n1e20,1e30,d\n";
        let blocks: Vec<Rewritten> = [&first[..], &second[..]]
            .iter()
            .map(|b| rewrite_block(b, &Dialect::CSV, &nulls(), None, &plan, 0).unwrap())
            .collect();
        match first_stop(&blocks) {
            Some(Stop::Infinite {
                row, column, value, ..
            }) => assert_eq!((row, column, value), (3, 0, 1e20)),
            other => panic!("{other:?}"),
        }
        match first_stop(&blocks[..1]) {
            Some(Stop::Infinite { row, column, .. }) => assert_eq!((row, column), (0, 1)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn infinities_read_as_missing_where_asked() {
        // One column: a missing value is written `""` (an empty line would be skipped).
        let one = Style {
            missing: b"\"\"".to_vec(),
            ..Style::CSV
        };
        let plan = Plan::new(vec![Some(0)], vec![map(0.0, 2.0)], false, one).unwrap();
        let buf = b"inf\nnan\n-inf\n4\n";
        let asked = plan.clone().with_infinite_missing(true);
        let out = rewrite_block(buf, &Dialect::CSV, &nulls(), None, &asked, 4).unwrap();
        assert_eq!(out.text, b"\"\"\nNaN\n\"\"\n2.0\n");
        let (_, look) = first_rows(&[out], 4, &asked);
        assert!(look[..3].iter().all(|x| x.is_nan()) && look[3] == 4.0);
        let out = rewrite_block(buf, &Dialect::CSV, &nulls(), None, &plan, 0).unwrap();
        let stop = first_stop(std::slice::from_ref(&out));
        assert!(matches!(stop, Some(Stop::Infinite { row: 0, .. })));
    }

    #[test]
    fn records_end_as_the_style_says_whatever_they_ended_with() {
        let crlf = Style {
            line_end: b"\r\n",
            ..Style::CSV
        };
        let plan = Plan::new(vec![Some(0), None], vec![map(1.0, 2.0)], false, crlf).unwrap();
        let buf = b"3,a\r\n5,\"b\r\nc\"\r\n7,d\n";
        let out = rewrite_block(buf, &Dialect::CSV, &nulls(), None, &plan, 0).unwrap();
        assert_eq!(out.text, b"1.0,a\r\n2.0,\"b\r\nc\"\r\n3.0,d\r\n");
    }

    #[test]
    fn a_parse_error_comes_first() {
        let plan = Plan::new(
            vec![Some(0), None],
            vec![map(0.0, 1e-300)],
            false,
            Style::CSV,
        )
        .unwrap();
        let buf = b"1e10,a\nx,b\n";
        let e = rewrite_block(buf, &Dialect::CSV, &nulls(), None, &plan, 0).unwrap_err();
        assert_eq!((e.kind, e.row), (ErrorKind::NotANumber, 2));
        let bad_text = b"1,\xff\n";
        let e = rewrite_block(bad_text, &Dialect::CSV, &nulls(), None, &plan, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidUtf8);
    }

    #[test]
    fn unquotable_text_stops_where_nothing_is_quoted() {
        let unquoted = Style {
            delimiter: b'\t',
            quote: None,
            ..Style::CSV
        };
        let plan = Plan::new(vec![Some(0), None], vec![map(0.0, 1.0)], false, unquoted).unwrap();
        let out = rewrite_block(
            b"1,a\n2,\"b\tc\"\n",
            &Dialect::CSV,
            &nulls(),
            None,
            &plan,
            0,
        );
        let out = out.unwrap();
        assert_eq!(
            first_stop(std::slice::from_ref(&out)),
            Some(Stop::Unquotable(WriteError::Unquotable {
                column: 1,
                text: "b\tc".into()
            }))
        );
        assert!(out.text.starts_with(b"1.0\ta\n2.0\t"));
    }

    #[test]
    fn first_rows_across_blocks() {
        let plan = Plan::new(
            vec![Some(0), Some(1)],
            vec![map(0.0, 1.0); 2],
            false,
            Style::CSV,
        );
        let plan = plan.unwrap();
        let buf = b"1,2\n3,NA\n5,6\n";
        let ends = [4, buf.len()];
        let blocks = rewrite_blocks(
            buf,
            &Dialect::CSV,
            &nulls(),
            None,
            &plan,
            &ends,
            (1, 1),
            2,
            2,
        );
        let (rows, values) = first_rows(&blocks.unwrap(), 2, &plan);
        assert_eq!(rows, 2);
        assert_eq!(values[..3], [1.0, 2.0, 3.0]);
        assert!(values[3].is_nan());
    }

    #[test]
    fn a_value_in_a_vacant_column_stops_first_in_file_order() {
        let plan = Plan::new(
            vec![None, Some(0), None, None],
            vec![map(0.0, 1e-300)],
            false,
            Style::CSV,
        )
        .unwrap()
        .with_vacant(&[2, 3])
        .unwrap();
        let read = |b: &[u8]| rewrite_block(b, &Dialect::CSV, &nulls(), None, &plan, 0).unwrap();
        // Missing-value strings, quoted or not, and NaN however spelled are no value; an
        // infinite output comes after.
        let quiet = read(b"a,1e10,,NA\nb,2,\"NA\",\"\"\nc,3,-nan,\" NaN\"\n");
        assert_eq!(
            first_stop(std::slice::from_ref(&quiet)),
            Some(Stop::Infinite {
                row: 0,
                column: 0,
                value: 1e10,
                output: f64::INFINITY
            })
        );
        let blocks = [read(b"a,1,,\n"), read(b"b,1e10,,\nc,1,,NA\nd,2,\" x\",7\n")];
        assert_eq!(
            first_stop(&blocks),
            Some(Stop::Valued {
                row: 3,
                column: 2,
                text: " x".into()
            })
        );
    }

    #[test]
    fn a_nul_character_passed_through_stops_after_infinite_outputs_in_file_order() {
        let plan = Plan::new(
            vec![Some(0), None, None],
            vec![map(0.0, 1e-300)],
            false,
            Style::CSV,
        );
        let plan = plan.unwrap();
        let read = |b: &[u8]| rewrite_block(b, &Dialect::CSV, &nulls(), None, &plan, 0).unwrap();
        let blocks = [read(b"1,a,b\n"), read(b"2,c,\"x\0y\"\n3,\0,d\n")];
        assert_eq!(blocks[1].nul, Some((0, 2)));
        assert_eq!(first_stop(&blocks), Some(Stop::Nul { row: 1, column: 2 }));
        let blocks = [read(b"1,\0,b\n"), read(b"1e10,c,d\n")];
        assert!(matches!(
            first_stop(&blocks),
            Some(Stop::Infinite { row: 1, .. })
        ));
        assert_eq!(read(b"1,a,b\n").nul, None);
    }

    #[test]
    fn vacant_columns_are_kept_as_text() {
        let plan =
            || Plan::new(vec![None, Some(0)], vec![map(0.0, 1.0)], false, Style::CSV).unwrap();
        assert!(plan().with_vacant(&[1]).is_err());
        assert!(plan().with_vacant(&[2]).is_err());
        assert!(plan().with_vacant(&[0]).is_ok());
    }

    #[test]
    fn plans_refuse_bad_indices() {
        assert!(Plan::new(vec![Some(1)], vec![map(0.0, 1.0)], false, Style::CSV).is_err());
        let twice = vec![Some(0), Some(0)];
        assert!(Plan::new(twice, vec![map(0.0, 1.0)], false, Style::CSV).is_err());
    }

    #[test]
    fn a_column_mapped_at_once_has_the_bits_of_each_value_mapped() {
        let values = [
            1.5,
            -0.0,
            0.0,
            f64::NAN,
            f64::INFINITY,
            -1e308,
            5e-324,
            2.2250738585072014e-308,
            123_456.789,
        ];
        for (gamma, beta) in [(1.0, 0.0), (0.7, 0.0), (1.0, -0.2), (0.7, -0.2), (1.0, 0.0)] {
            let m = Map {
                center: 0.1,
                scale: 1e-300,
                gamma,
                beta,
            };
            for inverse in [false, true] {
                let mut out = vec![7.0];
                let infinite = m.extend(&values, &mut out, inverse);
                assert_eq!(out.remove(0), 7.0);
                let one = |v: f64| if inverse { m.inverse(v) } else { m.forward(v) };
                for (o, &v) in out.iter().zip(&values) {
                    assert_eq!(
                        o.to_bits(),
                        one(v).to_bits(),
                        "{v} {gamma} {beta} {inverse}"
                    );
                }
                assert_eq!(infinite, out.iter().any(|o| o.is_infinite()));
            }
        }
        let finite = Map {
            center: 0.0,
            scale: 1.0,
            gamma: 1.0,
            beta: 0.0,
        };
        assert!(!finite.extend(&[1.0, f64::NAN], &mut vec![], false));
        assert!(any_infinite(&[0.0, f64::NEG_INFINITY]));
        assert!(!any_infinite(&[0.0, f64::NAN, f64::MAX]));
        assert!(!any_infinite(&[]));
    }
}
