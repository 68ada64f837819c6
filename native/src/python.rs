//! The Python module `normkit._native`: a narrow, typed boundary.
//!
//! Python hands over bytes and options; Rust returns numpy arrays (moved, not copied) and
//! plain numbers, with the GIL released while it works. Errors are `CsvError`, a `ValueError`
//! whose attributes (`kind`, `row`, `line`, `column`, `value`, `expected`, `got`) let the
//! Python side name the file, column, row and value in its own words.
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use arrow_pyarrow::PyArrowType;
use arrow_schema::{ArrowError, Schema};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyReadwriteArray1, PyUntypedArrayMethods,
};
use parquet::errors::ParquetError;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;
use rayon::prelude::*;

use crate::arrays;
use crate::categories;
use crate::csvout;
use crate::dialect::Dialect;
use crate::infer::{first_block_end, typed_values, ColumnType, TypeScan, TypedColumn};
use crate::jsondump;
use crate::jsonload;
use crate::moments::{self, Moments, MomentsError};
use crate::parquetin;
use crate::parquetout;
use crate::parse::{
    in_blocks, parse_blocks_numbers, parse_into, ColumnKind, ErrorKind, FloatColumn, MissingValues,
    ParseError, ParsedBlock, TextColumn,
};
use crate::pool;
use crate::rewrite;
use crate::running;
use crate::sample;
use crate::scan::{block_ends, count_lines, parse_header, whole_records_end};

pyo3::create_exception!(
    _native,
    CsvError,
    PyValueError,
    "A CSV record the engine cannot read (attributes: kind, row, line, column, value, \
     expected, got)."
);

pyo3::create_exception!(
    _native,
    UnquotableError,
    PyValueError,
    "A value that holds the delimiter, in a CSV output written without quoting (args: the \
     column's index, the value's text)."
);

/// The smallest block one thread parses: smaller ones cost more in threads than they save.
const MIN_BLOCK_BYTES: usize = 64 << 10;

/// Kinds of columns from this number on are [`ColumnKind::Typed`], of type `kind - TYPED`
/// (`normkit.io.csv.kinds.typed_kind`).
const TYPED: u8 = 16;

/// Blocks per thread in a chunk (see `CsvEngine::parse`).
const BLOCKS_PER_THREAD: usize = 4;

fn one_byte(name: &str, text: &str) -> PyResult<u8> {
    match text.as_bytes() {
        [b] => Ok(*b),
        _ => Err(PyValueError::new_err(format!(
            "{name} must be one ASCII character, not {text:?}"
        ))),
    }
}

fn kind_name(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotANumber => "not_a_number",
        ErrorKind::FieldCount { .. } => "field_count",
        ErrorKind::UnterminatedQuote => "unterminated_quote",
        ErrorKind::InvalidUtf8 => "invalid_utf8",
        ErrorKind::StrayQuote => "stray_quote",
        ErrorKind::EscapedQuote => "escaped_quote",
        ErrorKind::QuotedBreak => "quoted_break",
        ErrorKind::CommentOrRow => "comment_or_row",
        ErrorKind::Incomplete => "incomplete",
        ErrorKind::NoHeader => "no_header",
    }
}

fn to_py_error(py: Python<'_>, error: &ParseError) -> PyErr {
    let err = CsvError::new_err(error.to_string());
    let value = err.value(py);
    let (expected, got) = match error.kind {
        ErrorKind::FieldCount { expected, got } => (Some(expected), Some(got)),
        _ => (None, None),
    };
    let set = || -> PyResult<()> {
        value.setattr("kind", kind_name(&error.kind))?;
        value.setattr("row", error.row)?;
        value.setattr("line", error.line)?;
        value.setattr("column", error.column)?;
        value.setattr("value", error.value.as_str())?;
        value.setattr("expected", expected)?;
        value.setattr("got", got)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// A CSV reader's settings (shared with the threads that parse in the background).
#[pyclass(frozen, module = "normkit._native")]
struct CsvEngine {
    setup: Arc<Setup>,
}

/// `(consumed, rows, lines, batch)`: the bytes, records and lines read, their columns as a
/// pyarrow record batch.
type Parsed = (usize, usize, u64, PyArrowType<RecordBatch>);

#[pymethods]
impl CsvEngine {
    #[new]
    #[pyo3(signature = (*, delimiter, quote, decimal_point, nulls, kinds, threads, comment=None, escape=None, refuse_comment_rows=false, refuse_escaped_quotes=false, refuse_quoted_breaks=false, numeric=None, names=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        delimiter: &str,
        quote: Option<&str>,
        decimal_point: &str,
        nulls: Vec<String>,
        kinds: Vec<u8>,
        threads: usize,
        comment: Option<&str>,
        escape: Option<&str>,
        refuse_comment_rows: bool,
        refuse_escaped_quotes: bool,
        refuse_quoted_breaks: bool,
        numeric: Option<Vec<bool>>,
        names: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let quote = quote.map(|q| one_byte("quote", q)).transpose()?;
        let comment = comment.map(|c| one_byte("comment", c)).transpose()?;
        let escape = escape.map(|e| one_byte("escape", e)).transpose()?;
        let dialect = Dialect::new(
            one_byte("delimiter", delimiter)?,
            quote,
            one_byte("decimal_point", decimal_point)?,
        )
        .and_then(|d| d.with_comment(comment))
        .and_then(|d| d.with_escape(escape))
        .map(|d| d.refusing_comment_rows(refuse_comment_rows))
        .map(|d| d.refusing_escaped_quotes(refuse_escaped_quotes))
        .map(|d| d.refusing_quoted_breaks(refuse_quoted_breaks))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let kinds = kinds
            .into_iter()
            .map(|k| match k {
                0 => Ok(ColumnKind::Skip),
                1 => Ok(ColumnKind::Float),
                2 => Ok(ColumnKind::Text),
                3 => Ok(ColumnKind::Bytes),
                _ => k
                    .checked_sub(TYPED)
                    .and_then(ColumnType::from_code)
                    .map(ColumnKind::Typed)
                    .ok_or_else(|| PyValueError::new_err(format!("unknown column kind {k}"))),
            })
            .collect::<PyResult<Vec<_>>>()?;
        let names = names.unwrap_or_else(|| (0..kinds.len()).map(|i| format!("{i}")).collect());
        if names.len() != kinds.len() {
            return Err(PyValueError::new_err(
                "a name for each column's kind is needed",
            ));
        }
        // The names of the columns read, in order.
        let names = names
            .into_iter()
            .zip(&kinds)
            .filter(|(_, k)| **k != ColumnKind::Skip)
            .map(|(name, _)| name)
            .collect();
        Ok(Self {
            setup: Arc::new(Setup {
                dialect,
                missing: MissingValues::new(nulls.iter().map(|s| s.as_bytes())),
                kinds,
                numeric,
                names,
                threads: threads.max(1),
            }),
        })
    }

    /// The header at the start of `buf`: `(names, end, lines)`, or None if `buf` ends before
    /// it does (read more); `at_eof`: `buf` is the whole input.
    fn header(
        &self,
        py: Python<'_>,
        buf: &[u8],
        at_eof: bool,
    ) -> PyResult<Option<(Vec<String>, usize, u64)>> {
        match parse_header(buf, &self.setup.dialect, at_eof) {
            Ok((names, end)) => Ok(Some((names, end, count_lines(&buf[..end])))),
            Err(e) if matches!(e.kind, ErrorKind::Incomplete) => Ok(None),
            Err(e) => Err(to_py_error(py, &e)),
        }
    }

    /// Parses the whole records at the start of `buf` (all of it with `at_eof`):
    /// `(consumed, rows, lines, batch)`, the batch of the columns read (all but the skipped
    /// ones, named as the engine's `names`): float64 for Float, string for Text, binary for
    /// Bytes, and a Typed column's type (missing values null). `first_row` and `first_line`
    /// number the first record for errors.
    fn parse(
        &self,
        py: Python<'_>,
        buf: &[u8],
        at_eof: bool,
        first_row: u64,
        first_line: u64,
    ) -> PyResult<Parsed> {
        let work = || {
            self.setup
                .parse(buf, at_eof, first_row, first_line)
                .map(|(consumed, blocks)| self.setup.chunk(consumed, blocks))
        };
        let chunk = py.detach(work).map_err(|e| to_py_error(py, &e))?;
        chunk.out()
    }

    /// Where the whole records at the start of `buf` end (all of it with `at_eof`; 0: no
    /// record ends in it), and, if asked, the lines before that (else 0): `(consumed, lines)`.
    /// What [`CsvEngine::submit`] is then given.
    fn cut(&self, py: Python<'_>, buf: &[u8], at_eof: bool, lines: bool) -> (usize, u64) {
        py.detach(|| {
            let consumed = whole_records_end(buf, &self.setup.dialect, at_eof);
            (
                consumed,
                if lines {
                    count_lines(&buf[..consumed])
                } else {
                    0
                },
            )
        })
    }

    /// Starts parsing `buf[..end]` (whole records, as [`CsvEngine::cut`] ends them) on the
    /// engine's threads, and returns at once: the [`ParseJob`] gives the result. The caller
    /// reads and cuts the next records meanwhile.
    fn submit(&self, buf: PyBackedBytes, end: usize) -> PyResult<ParseJob> {
        if end > buf.len() {
            return Err(PyValueError::new_err("end beyond the buffer"));
        }
        let setup = Arc::clone(&self.setup);
        // The task holds the bytes object (not a copy) until it is done with it.
        let handle = start(move || {
            setup
                .parse(&buf[..end], true, 1, 1)
                .map(|(consumed, blocks)| setup.chunk(consumed, blocks))
        });
        Ok(ParseJob {
            handle: Mutex::new(Some(handle)),
        })
    }

    /// Starts writing `buf[..end]` (whole records, as [`CsvEngine::cut`] ends them) again by
    /// `plan` on the engine's threads, reading the values of its first `look` records, and
    /// returns at once: the [`RewriteJob`] gives the result.
    fn rewrite(
        &self,
        buf: PyBackedBytes,
        end: usize,
        plan: &CsvRewrite,
        look: usize,
    ) -> PyResult<RewriteJob> {
        if end > buf.len() {
            return Err(PyValueError::new_err("end beyond the buffer"));
        }
        let setup = Arc::clone(&self.setup);
        let plan = Arc::clone(&plan.plan);
        if plan.columns() != setup.kinds.len() {
            return Err(PyValueError::new_err(
                "a plan for another number of columns",
            ));
        }
        let handle = start(move || setup.rewrite(&buf[..end], &plan, look));
        Ok(RewriteJob {
            handle: Mutex::new(Some(handle)),
        })
    }

    /// The records of `buf` (whole records, the end of the input after them) that pyarrow's
    /// CSV reader puts in its first batch when it reads `block_size` bytes at a time, typed
    /// as it infers (`normkit_native::infer`), the columns named as the engine's `names`,
    /// which must name them all; `first_line` numbers the first record for errors. Returns
    /// `(rows, batch, beyond)`: the batch holds every column, or with `float_values` false
    /// every column but those of float64 (their values are not made), and `beyond` lists the
    /// float64 columns (by index) with a value of magnitude 2**63 or more.
    #[allow(clippy::type_complexity)]
    fn infer(
        &self,
        py: Python<'_>,
        buf: &[u8],
        block_size: usize,
        first_line: u64,
        float_values: bool,
    ) -> PyResult<(usize, PyArrowType<RecordBatch>, Vec<usize>)> {
        let columns = self.setup.kinds.len();
        if self.setup.names.len() != columns {
            return Err(PyValueError::new_err(
                "infer needs the names of all the columns",
            ));
        }
        let setup = &self.setup;
        // First the types, from every field, without keeping the text (on the threads, in
        // blocks: a wide file's first block is all of a few hundred rows of tens of thousands
        // of columns); then the values of the columns asked for, typed a column at a time.
        let work = || -> Result<_, ParseError> {
            let end = first_block_end(buf, &setup.dialect, block_size);
            let head = buf.get(..end).unwrap_or_default();
            let (d, missing, point) = (&setup.dialect, &setup.missing, setup.dialect.decimal_point);
            let ends = setup.block_ends(head, true);
            let ends = if ends.last() == Some(&head.len()) {
                ends
            } else {
                vec![head.len()]
            };
            let bytes = vec![ColumnKind::Bytes; columns];
            let scans = in_blocks(
                head,
                &ends,
                (1, first_line),
                setup.threads,
                |block| {
                    let mut scan = TypeScan::new(columns, missing, point);
                    scan.rows = parse_into(block, d, missing, &bytes, None, (1, 1), &mut scan)?.0;
                    Ok(scan)
                },
                |scan| scan.rows,
            )?;
            let mut scans = scans.into_iter();
            let first = scans
                .next()
                .unwrap_or_else(|| TypeScan::new(columns, missing, point));
            let scan = scans.fold(first, |all, later| all.merge(&later));
            let types = scan.types();
            let valued = |c: &usize| float_values || types[*c] != ColumnType::Float64;
            let kept: Vec<usize> = (0..columns).filter(valued).collect();
            let beyond: Vec<usize> = (0..columns)
                .filter(|&c| types[c] == ColumnType::Float64 && scan.reach()[c] >= 2f64.powi(63))
                .collect();
            let kinds: Vec<ColumnKind> = (0..columns)
                .map(|c| match valued(&c) {
                    true => ColumnKind::Bytes,
                    false => ColumnKind::Skip,
                })
                .collect();
            let blocks = if kept.is_empty() {
                Vec::new()
            } else {
                parse_blocks_numbers(
                    head,
                    d,
                    missing,
                    &kinds,
                    None,
                    &ends,
                    1,
                    first_line,
                    setup.threads,
                )?
            };
            let typed: Result<Vec<_>, ArrowError> = pool::install(|| {
                (0..kept.len())
                    .into_par_iter()
                    .map(|k| {
                        // Typed as the scan found: the fields are read once more, for their
                        // values only.
                        let parts: Vec<&TextColumn> = blocks.iter().map(|b| &b.texts[k]).collect();
                        arrays::typed_array(typed_values(&parts, types[kept[k]], missing, point))
                    })
                    .collect()
            });
            let names: Vec<String> = kept.iter().map(|&c| setup.names[c].clone()).collect();
            let batch = typed.and_then(|typed| arrays::record_batch(&names, typed, scan.rows));
            Ok((scan.rows, batch, beyond))
        };
        let (rows, batch, beyond) = py.detach(work).map_err(|e| to_py_error(py, &e))?;
        let batch = batch.map_err(|e| PyValueError::new_err(format!("the first block: {e}")))?;
        Ok((rows, PyArrowType(batch), beyond))
    }
}

/// Blocks joined into one: rows in order.
struct Joined {
    rows: usize,
    floats: Vec<FloatColumn>,
    texts: Vec<TextColumn>,
    typed: Vec<TypedColumn>,
}

/// A chunk of records parsed (its blocks joined), its columns an Arrow record batch (or why
/// none could be made).
struct Chunk {
    consumed: usize,
    rows: usize,
    lines: u64,
    batch: Result<RecordBatch, ArrowError>,
}

impl Chunk {
    /// `(consumed, rows, lines, batch)`, the batch handed over through the Arrow C data
    /// interface.
    fn out(self) -> PyResult<Parsed> {
        let batch = self
            .batch
            .map_err(|e| PyValueError::new_err(format!("the records' columns: {e}")))?;
        Ok((self.consumed, self.rows, self.lines, PyArrowType(batch)))
    }
}

/// A CSV reader's settings: the dialect, the missing-value strings, what to do with each
/// column, the threads.
struct Setup {
    dialect: Dialect,
    missing: MissingValues,
    kinds: Vec<ColumnKind>,
    /// The columns of numbers, for comment lines that may read as rows (`None`: the float
    /// columns).
    numeric: Option<Vec<bool>>,
    /// The names of the columns read (not skipped), in order.
    names: Vec<String>,
    threads: usize,
}

impl Setup {
    /// The blocks of a chunk joined, and the record batch of their columns.
    fn chunk(&self, consumed: usize, blocks: Vec<ParsedBlock>) -> Chunk {
        let lines = blocks.iter().map(|b| b.lines).sum::<u64>();
        let joined = concat(blocks);
        let rows = joined.rows;
        Chunk {
            consumed,
            rows,
            lines,
            batch: self.batch(joined),
        }
    }

    /// The record batch of the columns read, in the order of the columns.
    fn batch(&self, joined: Joined) -> Result<RecordBatch, ArrowError> {
        let mut floats = joined.floats.into_iter();
        let mut texts = joined.texts.into_iter();
        let mut typed = joined.typed.into_iter();
        let missing = || ArrowError::InvalidArgumentError("fewer columns than kinds".into());
        let mut columns = Vec::with_capacity(self.names.len());
        for kind in &self.kinds {
            columns.push(match kind {
                ColumnKind::Skip => continue,
                ColumnKind::Float => arrays::float_array(floats.next().ok_or_else(missing)?),
                ColumnKind::Text | ColumnKind::Bytes => {
                    let text = texts.next().ok_or_else(missing)?;
                    let offsets = arrays::offsets32(&text.offsets)?;
                    arrays::text_array(offsets, text.data, None, *kind == ColumnKind::Text)?
                }
                ColumnKind::Typed(_) => arrays::typed_array(typed.next().ok_or_else(missing)?)?,
            });
        }
        arrays::record_batch(&self.names, columns, joined.rows)
    }

    /// The whole records at the start of `buf` (all of it with `at_eof`), parsed in blocks on
    /// the threads: `(consumed, blocks)`.
    fn parse(
        &self,
        buf: &[u8],
        at_eof: bool,
        first_row: u64,
        first_line: u64,
    ) -> Result<(usize, Vec<ParsedBlock>), ParseError> {
        let ends = self.block_ends(buf, at_eof);
        let consumed = ends.last().copied().unwrap_or(0);
        let blocks = parse_blocks_numbers(
            buf,
            &self.dialect,
            &self.missing,
            &self.kinds,
            self.numeric.as_deref(),
            &ends,
            first_row,
            first_line,
            self.threads,
        )?;
        Ok((consumed, blocks))
    }

    /// Where the blocks of the whole records at the start of `buf` end: blocks taken in turn
    /// by the threads, a few per thread, so that a thread slowed down (its core lent to the
    /// caller's work on the previous batch) works on fewer of them.
    fn block_ends(&self, buf: &[u8], at_eof: bool) -> Vec<usize> {
        let target = (buf.len() / (BLOCKS_PER_THREAD * self.threads)).max(MIN_BLOCK_BYTES);
        block_ends(buf, &self.dialect, target, at_eof)
    }

    /// The whole records of `buf` (the end of the input after them) written again by `plan`
    /// in blocks on the threads, with the first `look` records' values read.
    fn rewrite(&self, buf: &[u8], plan: &rewrite::Plan, look: usize) -> RewriteResult {
        let ends = self.block_ends(buf, true);
        let (d, missing, numeric) = (&self.dialect, &self.missing, self.numeric.as_deref());
        let at = (1, 1);
        let threads = self.threads;
        let blocks =
            rewrite::rewrite_blocks(buf, d, missing, numeric, plan, &ends, at, threads, look)?;
        Ok(Rewrote {
            consumed: ends.last().copied().unwrap_or(0),
            rows: blocks.iter().map(|b| b.rows).sum(),
            lines: blocks.iter().map(|b| b.lines).sum(),
            look: rewrite::first_rows(&blocks, look, plan),
            width: plan.normalized(),
            stop: rewrite::first_stop(&blocks),
            texts: blocks.into_iter().map(|b| b.text).collect(),
        })
    }
}

/// Records written again ([`Setup::rewrite`]).
struct Rewrote {
    consumed: usize,
    rows: usize,
    lines: u64,
    texts: Vec<Vec<u8>>,
    /// The first records read: `(rows, values row after row)`, `width` values a row.
    look: (usize, Vec<f64>),
    width: usize,
    stop: Option<rewrite::Stop>,
}

type RewriteResult = Result<Rewrote, ParseError>;

type JobResult = Result<Chunk, ParseError>;

/// Records being parsed on the engine's threads (see [`CsvEngine::submit`]).
#[pyclass(module = "normkit._native")]
struct ParseJob {
    handle: Mutex<Option<Started<JobResult>>>,
}

#[pymethods]
impl ParseJob {
    /// Waits for the records, with the GIL released: `(consumed, rows, lines, batch)` as
    /// [`CsvEngine::parse`] gives them; an error names its row and line counted from
    /// `first_row` and `first_line`, those of the first record. Once only.
    fn result(&self, py: Python<'_>, first_row: u64, first_line: u64) -> PyResult<Parsed> {
        parsed(py, &self.handle, first_row, first_line)?.out()
    }
}

/// A job started on the engine's threads: what it returns (a panic's payload as an error),
/// and the process that started it.
struct Started<T> {
    result: std::sync::mpsc::Receiver<std::thread::Result<T>>,
    process: u32,
}

/// `work` started on the engine's threads ([`pool`]), returning at once.
fn start<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Started<T> {
    let (sender, result) = std::sync::mpsc::sync_channel(1);
    pool::spawn(move || {
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        // The receiver gone: the job was abandoned, and its result is not wanted.
        let _ = sender.send(done);
    });
    Started {
        result,
        process: std::process::id(),
    }
}

/// What a job's thread returned, waited for with the GIL released; its error moved to the row
/// and line of the file (`first_row` and `first_line`: those of the job's first record).
/// Once only.
fn parsed<T: Send>(
    py: Python<'_>,
    handle: &Mutex<Option<Started<Result<T, ParseError>>>>,
    first_row: u64,
    first_line: u64,
) -> PyResult<T> {
    let handle = handle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .ok_or_else(|| PyValueError::new_err("the result was already taken"))?;
    if handle.process != std::process::id() {
        // Forked while the job ran: its thread is the parent's, and no result would come.
        return Err(PyRuntimeError::new_err(
            "the records were being read by the process this one was forked from; \
             read the input again in this process",
        ));
    }
    let found = py
        .detach(move || handle.result.recv())
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| PyValueError::new_err("the engine's thread failed"))?;
    found.map_err(|mut e| {
        e.row += first_row - 1;
        e.line += first_line - 1;
        to_py_error(py, &e)
    })
}

/// A frozen transform of CSV records and how they are written ([`rewrite::Plan`]), for
/// [`CsvEngine::rewrite`].
#[pyclass(frozen, module = "normkit._native")]
struct CsvRewrite {
    plan: Arc<rewrite::Plan>,
}

#[pymethods]
impl CsvRewrite {
    /// `columns`: one per column of the header, the index of its map in `center`, `scale`,
    /// `gamma` and `beta`, or None (its text is kept); `inverse`: the maps' inverses;
    /// `infinite_missing`: infinite values read as missing; `vacant`: the columns of the header
    /// (passed through) that must hold no value ([`rewrite::Plan::with_vacant`]); the records
    /// written as `csv_records` writes them.
    #[new]
    #[pyo3(signature = (columns, center, scale, gamma, beta, *, inverse, infinite_missing, delimiter, quote, decimal_point, missing, empty = "", line_end = "\n", comment = None, vacant = Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        columns: Vec<Option<usize>>,
        center: Vec<f64>,
        scale: Vec<f64>,
        gamma: Vec<f64>,
        beta: Vec<f64>,
        inverse: bool,
        infinite_missing: bool,
        delimiter: &str,
        quote: Option<&str>,
        decimal_point: &str,
        missing: &str,
        empty: &str,
        line_end: &str,
        comment: Option<&str>,
        vacant: Vec<usize>,
    ) -> PyResult<Self> {
        let n = center.len();
        if [scale.len(), gamma.len(), beta.len()] != [n; 3] {
            return Err(PyValueError::new_err(
                "center, scale, gamma and beta of different lengths",
            ));
        }
        let maps = (0..n)
            .map(|j| rewrite::Map {
                center: center[j],
                scale: scale[j],
                gamma: gamma[j],
                beta: beta[j],
            })
            .collect();
        let style = csv_style(
            delimiter,
            quote,
            decimal_point,
            (missing, empty),
            line_end,
            comment,
        )?;
        let plan =
            rewrite::Plan::new(columns, maps, inverse, style).map_err(PyValueError::new_err)?;
        let plan = plan
            .with_infinite_missing(infinite_missing)
            .with_vacant(&vacant)
            .map_err(PyValueError::new_err)?;
        Ok(Self {
            plan: Arc::new(plan),
        })
    }
}

/// The records of `(consumed, rows, lines, texts, look, infinite, valued, nul)`; see
/// [`RewriteJob::result`].
type RewriteOut<'py> = (
    usize,
    usize,
    u64,
    Vec<Bound<'py, PyArray1<u8>>>,
    Bound<'py, PyArray2<f64>>,
    Option<(usize, usize, f64, f64)>,
    Option<(usize, usize, String)>,
    Option<(usize, usize)>,
);

/// Records being written again on the engine's threads (see [`CsvEngine::rewrite`]).
#[pyclass(module = "normkit._native")]
struct RewriteJob {
    handle: Mutex<Option<Started<RewriteResult>>>,
}

#[pymethods]
impl RewriteJob {
    /// Waits for the records, with the GIL released: `(consumed, rows, lines, texts, look,
    /// infinite, valued, nul)`: the UTF-8 texts to write in order (moved, not copied), the
    /// first records' values of the normalized columns (a row per record, NaN where missing),
    /// and, where an output is infinite, `(row, column, value, output)` (the record, 0-based in
    /// these, the normalized column, the value read and its output), or where a vacant column
    /// holds a value, `(row, column, text)` (the column of the header), or where a field passed
    /// through holds a NUL character, `(row, column)`: the texts are then not to be written. As [`rewrite::first_stop`] tells it. Errors as [`ParseJob::result`]'s, before
    /// any infinite output; a value that cannot be written without quotes is
    /// `UnquotableError`. Once only.
    fn result<'py>(
        &self,
        py: Python<'py>,
        first_row: u64,
        first_line: u64,
    ) -> PyResult<RewriteOut<'py>> {
        let done = parsed(py, &self.handle, first_row, first_line)?;
        let (infinite, valued, nul) = match done.stop {
            None => (None, None, None),
            Some(rewrite::Stop::Infinite {
                row,
                column,
                value,
                output,
            }) => (Some((row, column, value, output)), None, None),
            Some(rewrite::Stop::Valued { row, column, text }) => {
                (None, Some((row, column, text)), None)
            }
            Some(rewrite::Stop::Nul { row, column }) => (None, None, Some((row, column))),
            Some(rewrite::Stop::Unquotable(e)) => return Err(unquotable_error(e)),
        };
        let (rows, values) = done.look;
        let width = done.width;
        let look = values.into_pyarray(py).reshape([rows, width])?;
        let texts = done.texts.into_iter().map(|t| t.into_pyarray(py)).collect();
        Ok((
            done.consumed,
            done.rows,
            done.lines,
            texts,
            look,
            infinite,
            valued,
            nul,
        ))
    }
}

fn concat(blocks: Vec<ParsedBlock>) -> Joined {
    let rows: usize = blocks.iter().map(|b| b.rows).sum();
    let n_floats = blocks.first().map_or(0, |b| b.floats.len());
    let n_texts = blocks.first().map_or(0, |b| b.texts.len());
    let mut floats = Vec::with_capacity(n_floats);
    for c in 0..n_floats {
        let parts: Vec<&FloatColumn> = blocks.iter().map(|b| &b.floats[c]).collect();
        let mut values = Vec::with_capacity(rows);
        for part in &parts {
            values.extend_from_slice(&part.values);
        }
        let null_count: usize = parts.iter().map(|p| p.null_count).sum();
        let validity = (null_count > 0).then(|| {
            let mut bits = vec![0u8; rows.div_ceil(8)];
            let mut i = 0;
            for part in &parts {
                for j in 0..part.values.len() {
                    if part.is_valid(j) {
                        bits[i / 8] |= 1 << (i % 8);
                    }
                    i += 1;
                }
            }
            bits
        });
        floats.push(FloatColumn {
            values,
            validity,
            null_count,
        });
    }
    let texts = (0..n_texts)
        .map(|c| {
            let mut column = TextColumn::default();
            column.offsets.reserve(rows);
            column
                .data
                .reserve(blocks.iter().map(|b| b.texts[c].data.len()).sum());
            blocks.iter().for_each(|b| column.extend(&b.texts[c]));
            column
        })
        .collect();
    let n_typed = blocks.first().map_or(0, |b| b.typed.len());
    let typed = (0..n_typed)
        .filter_map(|c| {
            let mut parts = blocks.iter().map(|b| &b.typed[c]);
            let mut column = parts.next()?.clone();
            parts.for_each(|part| column.append(part));
            Some(column)
        })
        .collect();
    Joined {
        rows,
        floats,
        texts,
        typed,
    }
}

/// Values of one column per thread at least, for the moments to be split among threads: fewer
/// cost more in threads than they save.
const MIN_VALUES_PER_THREAD: usize = 1 << 16;

/// The values of float64 arrays as slices: borrowed where contiguous, copied where not.
fn float_slices<'a>(arrays: &'a [PyReadonlyArray1<'_, f64>]) -> Vec<Cow<'a, [f64]>> {
    arrays
        .iter()
        .map(|a| match a.as_slice() {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(a.as_array().to_vec()),
        })
        .collect()
}

/// `f(columns[group], shift[group])` on contiguous groups of columns, one group per thread
/// (`threads`, 0: [`pool::threads`]; fewer where there are too few values to share), the
/// results in column order. Each column's results depend on that column alone, so the bits are
/// the same whatever the number of threads.
fn in_column_groups<T: Send>(
    columns: &[&[f64]],
    shift: &[f64],
    threads: usize,
    f: impl Fn(&[&[f64]], &[f64]) -> T + Sync,
) -> Vec<T> {
    let values: usize = columns.iter().map(|c| c.len()).sum();
    let threads = if threads == 0 {
        pool::threads()
    } else {
        threads
    };
    let threads = threads
        .min(columns.len())
        .min(values / MIN_VALUES_PER_THREAD)
        .max(1);
    if threads == 1 || shift.len() != columns.len() {
        return vec![f(columns, shift)];
    }
    let size = columns.len().div_ceil(threads);
    pool::install(|| {
        columns
            .par_chunks(size)
            .zip(shift.par_chunks(size))
            .map(|(group, k)| f(group, k))
            .collect()
    })
}

/// The moments of every column, from `f` of groups of columns ([`in_column_groups`]).
fn by_column_groups(
    columns: &[&[f64]],
    shift: &[f64],
    threads: usize,
    f: impl Fn(&[&[f64]], &[f64]) -> Result<Moments, MomentsError> + Sync,
) -> Result<Moments, MomentsError> {
    let mut out: Option<Moments> = None;
    for part in in_column_groups(columns, shift, threads, f) {
        let part = part?;
        out = Some(match out {
            None => part,
            Some(mut m) => {
                m.extend(part);
                m
            }
        });
    }
    Ok(out.unwrap_or_else(|| Moments::empty(0, false)))
}

/// A `Moments` as a tuple of numpy arrays, in the order of the Python dataclass's fields.
type MomentsOut<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Option<Bound<'py, PyArray1<f64>>>,
);

fn moments_out(py: Python<'_>, m: Moments) -> MomentsOut<'_> {
    (
        m.count.into_pyarray(py),
        m.n_missing.into_pyarray(py),
        m.shift.into_pyarray(py),
        m.mean_offset.into_pyarray(py),
        m.m2.into_pyarray(py),
        m.min.into_pyarray(py),
        m.max.into_pyarray(py),
        m.m3.into_pyarray(py),
        m.m4.into_pyarray(py),
        m.weight.map(|w| w.into_pyarray(py)),
    )
}

fn moments_error(error: &MomentsError) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// The moments of one batch (`normkit.core.moments.batch_moments`): `(count, n_missing, shift,
/// mean_offset, m2, min, max, m3, m4, weight)`, computed with the GIL released, the columns
/// shared among `threads` threads (0: [`pool::threads`]). With `weights`, the weighted moments
/// (`weighted_batch_moments`; every weight finite and at least 0).
#[pyfunction]
#[pyo3(signature = (columns, shift, weights=None, threads=1))]
fn batch_moments<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    shift: PyReadonlyArray1<'py, f64>,
    weights: Option<PyReadonlyArray1<'py, f64>>,
    threads: usize,
) -> PyResult<MomentsOut<'py>> {
    let owned = float_slices(&columns);
    let columns: Vec<&[f64]> = owned.iter().map(|c| c.as_ref()).collect();
    let shift = shift.as_array().to_vec();
    let weights = weights.map(|w| w.as_array().to_vec());
    let result = py.detach(|| match &weights {
        None => by_column_groups(&columns, &shift, threads, |c, k| {
            moments::batch_moments(c, Some(k))
        }),
        Some(w) => by_column_groups(&columns, &shift, threads, |c, k| {
            moments::weighted_batch_moments(c, w, Some(k))
        }),
    });
    result
        .map(|m| moments_out(py, m))
        .map_err(|e| moments_error(&e))
}

/// Per-batch count, mean and M2 as `(n_columns, n_batches)` arrays.
type BatchStats<'py> = (
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    bool,
);

/// The statistics of `n_batches` consecutive batches of `size` rows of each column, from row
/// `start`, relative to `shift` (`normkit.core.running.batch_statistics`, bit for bit):
/// `(count, mean, m2, overflow)`, arrays of shape `(n_columns, n_batches)`; `overflow`: a
/// batch's sum overflowed (numpy's rescaling path is to be taken instead). The columns are
/// shared among `threads` threads (0: [`pool::threads`]), with the GIL released.
#[pyfunction]
#[pyo3(signature = (columns, shift, start, n_batches, size, threads=0))]
fn batch_statistics<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    shift: PyReadonlyArray1<'py, f64>,
    start: usize,
    n_batches: usize,
    size: usize,
    threads: usize,
) -> PyResult<BatchStats<'py>> {
    let owned = float_slices(&columns);
    let shift = shift.as_array().to_vec();
    let slices = batch_rows(&owned, &shift, start, n_batches, size)?;
    let n_columns = slices.len();
    let work = |group: &[&[f64]], k: &[f64]| -> Vec<moments::BatchStats> {
        group
            .iter()
            .zip(k)
            .map(|(x, &k)| column_batches(x, k, size, n_batches))
            .collect()
    };
    let per_column: Vec<moments::BatchStats> = py
        .detach(|| in_column_groups(&slices, &shift, threads, work))
        .into_iter()
        .flatten()
        .collect();
    batch_stats_out(py, per_column, n_columns, n_batches)
}

/// One column's batches (`x`: theirs rows): count, mean and M2 of each, and whether a sum
/// overflowed.
fn column_batches(x: &[f64], shift: f64, size: usize, n_batches: usize) -> moments::BatchStats {
    let mut b = moments::BatchStats {
        count: Vec::with_capacity(n_batches),
        mean: Vec::with_capacity(n_batches),
        m2: Vec::with_capacity(n_batches),
        overflow: false,
    };
    b.overflow =
        moments::batch_statistics(x, shift, size, false, &mut b.count, &mut b.mean, &mut b.m2);
    b
}

/// The columns' batches as `(n_columns, n_batches)` arrays (Python takes the transpose, as
/// numpy's reduction left them).
fn batch_stats_out(
    py: Python<'_>,
    per_column: Vec<moments::BatchStats>,
    n_columns: usize,
    n_batches: usize,
) -> PyResult<BatchStats<'_>> {
    let mut count = Vec::with_capacity(n_batches * n_columns);
    let mut mean = Vec::with_capacity(n_batches * n_columns);
    let mut m2 = Vec::with_capacity(n_batches * n_columns);
    let mut overflow = false;
    for b in per_column {
        overflow |= b.overflow;
        count.extend(b.count);
        mean.extend(b.mean);
        m2.extend(b.m2);
    }
    let shape = [n_columns, n_batches];
    Ok((
        count.into_pyarray(py).reshape(shape)?,
        mean.into_pyarray(py).reshape(shape)?,
        m2.into_pyarray(py).reshape(shape)?,
        overflow,
    ))
}

/// The rows `start .. start + n_batches * size` of every column, checked to be there, with
/// one shift per column.
fn batch_rows<'a>(
    columns: &'a [Cow<'a, [f64]>],
    shift: &[f64],
    start: usize,
    n_batches: usize,
    size: usize,
) -> PyResult<Vec<&'a [f64]>> {
    if shift.len() != columns.len() {
        return Err(PyValueError::new_err("one shift per column"));
    }
    if size == 0 {
        return Err(PyValueError::new_err("batches of no rows"));
    }
    let stop = start + n_batches * size;
    columns
        .iter()
        .map(|c| {
            c.get(start..stop).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "a column of {} rows has no rows {start}..{stop}",
                    c.len()
                ))
            })
        })
        .collect()
}

/// [`batch_moments`] and [`batch_statistics`] of the same columns in one call: each column's
/// moments, then its batches of rows `start ..`, while it is in the core's cache. The bits are
/// those of the two calls.
#[pyfunction]
#[pyo3(signature = (columns, shift, start, n_batches, size, threads=0))]
fn moments_and_batches<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    shift: PyReadonlyArray1<'py, f64>,
    start: usize,
    n_batches: usize,
    size: usize,
    threads: usize,
) -> PyResult<(MomentsOut<'py>, BatchStats<'py>)> {
    let owned = float_slices(&columns);
    let whole: Vec<&[f64]> = owned.iter().map(|c| c.as_ref()).collect();
    let shift = shift.as_array().to_vec();
    batch_rows(&owned, &shift, start, n_batches, size)?;
    let n_columns = whole.len();
    type Part = (Moments, Vec<moments::BatchStats>);
    let work = |group: &[&[f64]], k: &[f64]| -> Part {
        let mut found = Moments::empty(0, false);
        let mut batches = Vec::with_capacity(group.len());
        for (x, &k) in group.iter().zip(k) {
            let (m, b) = moments::moments_and_batches(x, k, start, n_batches, size);
            found.extend(m);
            batches.push(b);
        }
        (found, batches)
    };
    let parts = py.detach(|| in_column_groups(&whole, &shift, threads, work));
    let mut found = Moments::empty(0, false);
    let mut per_column = Vec::with_capacity(n_columns);
    for (m, b) in parts {
        found.extend(m);
        per_column.extend(b);
    }
    Ok((
        moments_out(py, found),
        batch_stats_out(py, per_column, n_columns, n_batches)?,
    ))
}

/// The running (EMA) statistics after each batch (`normkit.core.running.RunningState.advance`),
/// one batch after the other as PyTorch updates them (see [`running::Ema::advance`]).
/// `count`, `mean` and `m2` have shape `(n_batches, n_columns)`; `weight` is None for the
/// cumulative average. Returns the path `(mean, var)`, of that shape, and the updates per column.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (count, mean, m2, running_mean, running_var, n_updates, *, weight, init_first, unbiased, of_std))]
fn running_advance<'py>(
    py: Python<'py>,
    count: PyReadonlyArray2<'py, i64>,
    mean: PyReadonlyArray2<'py, f64>,
    m2: PyReadonlyArray2<'py, f64>,
    running_mean: PyReadonlyArray1<'py, f64>,
    running_var: PyReadonlyArray1<'py, f64>,
    n_updates: PyReadonlyArray1<'py, i64>,
    weight: Option<f64>,
    init_first: bool,
    unbiased: bool,
    of_std: bool,
) -> PyResult<RunningPath<'py>> {
    let shape = count.shape().to_vec();
    let n_columns = shape[1];
    if mean.shape() != shape.as_slice()
        || m2.shape() != shape.as_slice()
        || running_mean.len() != n_columns
        || running_var.len() != n_columns
        || n_updates.len() != n_columns
    {
        return Err(PyValueError::new_err(
            "count, mean and m2 of shape (n_batches, n_columns), and a state of n_columns",
        ));
    }
    let count: Vec<i64> = count.as_array().iter().copied().collect();
    let mean: Vec<f64> = mean.as_array().iter().copied().collect();
    let m2: Vec<f64> = m2.as_array().iter().copied().collect();
    let mut state = running::State {
        mean: running_mean.as_array().to_vec(),
        var: running_var.as_array().to_vec(),
        n_updates: n_updates.as_array().to_vec(),
    };
    let ema = running::Ema {
        weight,
        init_first,
        unbiased,
        of_std,
    };
    let steps = running::Steps {
        n_columns,
        count: &count,
        mean: &mean,
        m2: &m2,
    };
    let path = py.detach(|| ema.advance(&mut state, &steps));
    let as_2d = |v: Vec<f64>| {
        numpy::ndarray::Array2::from_shape_vec((shape[0], n_columns), v)
            .expect("one value per batch and column")
            .into_pyarray(py)
    };
    Ok((
        as_2d(path.mean),
        as_2d(path.var),
        state.n_updates.into_pyarray(py),
    ))
}

type RunningPath<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<i64>>,
);

/// Columns mapped by the frozen transform of each (or its inverse, `inverse`): column `j` by
/// `center[j]`, `scale[j]`, `gamma[j]` and `beta[j]` ([`rewrite::Map`], numpy's operations in
/// numpy's order), as the rows of one new array; and whether each came out with an infinite
/// value. The GIL is released.
#[pyfunction]
fn affine_rows<'py>(
    py: Python<'py>,
    columns: Vec<PyReadonlyArray1<'py, f64>>,
    center: PyReadonlyArray1<'py, f64>,
    scale: PyReadonlyArray1<'py, f64>,
    gamma: PyReadonlyArray1<'py, f64>,
    beta: PyReadonlyArray1<'py, f64>,
    inverse: bool,
) -> PyResult<Mapped<'py>> {
    let k = columns.len();
    let n = columns.first().map_or(0, |c| c.len());
    let stats = [&center, &scale, &gamma, &beta];
    if columns.iter().any(|c| c.len() != n) || stats.iter().any(|s| s.len() != k) {
        return Err(PyValueError::new_err(
            "columns of one length, and one center, scale, gamma and beta per column",
        ));
    }
    let maps: Vec<rewrite::Map> = (0..k)
        .map(|j| {
            let at = |a: &PyReadonlyArray1<'py, f64>| a.as_array()[j];
            rewrite::Map {
                center: at(&center),
                scale: at(&scale),
                gamma: at(&gamma),
                beta: at(&beta),
            }
        })
        .collect();
    let slices = float_slices(&columns);
    let (out, infinite) = py.detach(|| {
        let mut out = Vec::with_capacity(k * n);
        let infinite: Vec<bool> = slices
            .iter()
            .zip(&maps)
            .map(|(values, map)| map.extend(values, &mut out, inverse))
            .collect();
        (out, infinite)
    });
    let out = numpy::ndarray::Array2::from_shape_vec((k, n), out)
        .expect("one row of n values per column");
    Ok((out.into_pyarray(py), infinite.into_pyarray(py)))
}

/// The rows of [`affine_rows`], and whether each holds an infinite value.
type Mapped<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<bool>>);

/// The sample's keys of rows `first_row .. first_row + n_rows` of file `file_index`
/// (`normkit.core.sketch.row_keys`), as uint64.
#[pyfunction]
fn row_keys(
    py: Python<'_>,
    file_index: u64,
    first_row: u64,
    n_rows: usize,
) -> Bound<'_, PyArray1<u64>> {
    let mut keys = vec![0u64; n_rows];
    py.detach(|| sample::row_keys(file_index, first_row, &mut keys));
    keys.into_pyarray(py)
}

/// JSON text parsed into Python objects, exactly as `json.loads` parses it; None where `json`
/// must decide: invalid JSON, a key given twice in one object, and the rest listed in
/// [`jsonload`].
#[pyfunction]
fn json_load<'py>(text: &Bound<'py, pyo3::types::PyString>) -> Option<Bound<'py, PyAny>> {
    jsonload::load(text.py(), text.to_str().ok()?)
}

/// `obj` as JSON text, byte for byte as `json.dumps(obj, allow_nan=False, sort_keys=sort_keys)`
/// writes it; None where `json` must decide (see [`jsondump`]).
#[pyfunction]
fn json_text(obj: &Bound<'_, PyAny>, sort_keys: bool) -> Option<String> {
    jsondump::dump(obj, sort_keys)
}

/// Arrow string arrays as `(offsets, data)` pairs (offsets relative to their data), checked.
fn string_slices<'a>(
    chunks: &'a [(PyReadonlyArray1<'_, i32>, PyReadonlyArray1<'_, u8>)],
) -> PyResult<Vec<(&'a [i32], &'a [u8])>> {
    let mut slices = Vec::with_capacity(chunks.len());
    for (offsets, data) in chunks {
        let (offsets, data) = (offsets.as_slice()?, data.as_slice()?);
        let bad = offsets.windows(2).any(|p| p[0] < 0 || p[0] > p[1])
            || offsets.last().is_some_and(|&end| end as usize > data.len());
        if bad {
            return Err(PyValueError::new_err("offsets outside their data"));
        }
        slices.push((offsets, data));
    }
    Ok(slices)
}

type CountedOut<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyBytes>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<bool>>,
    i64,
    i64,
);

fn counted_out(py: Python<'_>, found: categories::Counted) -> CountedOut<'_> {
    (
        found.offsets.into_pyarray(py),
        PyBytes::new(py, &found.data),
        found.counts.into_pyarray(py),
        found.pinned.into_pyarray(py),
        found.missing,
        found.other,
    )
}

/// The distinct values of text given as Arrow string arrays, in the order of their first
/// appearance: `(offsets, data, counts, pinned, missing, other)` (see
/// [`categories::count_values`]; `other` is 0).
#[pyfunction]
fn value_counts<'py>(
    py: Python<'py>,
    chunks: Vec<(PyReadonlyArray1<'py, i32>, PyReadonlyArray1<'py, u8>)>,
    missing: Vec<Vec<u8>>,
    keep: Vec<Vec<u8>>,
) -> PyResult<CountedOut<'py>> {
    let slices = string_slices(&chunks)?;
    let missing: Vec<&[u8]> = missing.iter().map(|v| v.as_slice()).collect();
    let keep: Vec<&[u8]> = keep.iter().map(|v| v.as_slice()).collect();
    let found = py.detach(|| categories::count_values(&slices, &missing, &keep));
    Ok(counted_out(py, found))
}

/// The counts of one text column, added batch by batch in bounded memory (see
/// [`categories::Table`]).
#[pyclass(module = "normkit._native")]
struct CategoryTable {
    table: categories::Table,
}

#[pymethods]
impl CategoryTable {
    #[new]
    fn new(cap: usize, missing: Vec<Vec<u8>>, keep: Vec<Vec<u8>>) -> Self {
        CategoryTable {
            table: categories::Table::new(Some(cap), missing, keep),
        }
    }

    /// Adds Arrow string arrays given as `(offsets, data)` pairs, with the GIL released.
    fn add<'py>(
        &mut self,
        py: Python<'py>,
        chunks: Vec<(PyReadonlyArray1<'py, i32>, PyReadonlyArray1<'py, u8>)>,
    ) -> PyResult<()> {
        let slices = string_slices(&chunks)?;
        let table = &mut self.table;
        py.detach(|| table.add(&slices));
        Ok(())
    }

    /// Cut back to `cap` values, `(offsets, data, counts, pinned, missing, other)` of those
    /// kept, in the order of their first appearance.
    fn counted<'py>(&mut self, py: Python<'py>, cap: usize) -> CountedOut<'py> {
        self.table.cut(cap);
        counted_out(py, self.table.counted())
    }

    fn __len__(&self) -> usize {
        self.table.len()
    }
}

/// The bytes of a contiguous uint8 array (as `numpy.frombuffer` makes of an Arrow buffer).
fn contiguous<'a>(array: &'a PyReadonlyArray1<'_, u8>) -> PyResult<&'a [u8]> {
    array
        .as_slice()
        .map_err(|_| PyValueError::new_err("a buffer that is not contiguous"))
}

/// One column for [`csv_records`]: `(kind, validity, buffers, offset)`, the buffers as Arrow's
/// (the values; for text the offsets and the characters) in uint8 arrays.
type ColumnIn<'py> = (
    u8,
    Option<PyReadonlyArray1<'py, u8>>,
    Vec<PyReadonlyArray1<'py, u8>>,
    usize,
);

/// How CSV records are written ([`csvout::Style`]).
fn csv_style(
    delimiter: &str,
    quote: Option<&str>,
    decimal_point: &str,
    (missing, empty): (&str, &str),
    line_end: &str,
    comment: Option<&str>,
) -> PyResult<csvout::Style> {
    let line_end: &'static [u8] = match line_end {
        "\n" => b"\n",
        "\r\n" => b"\r\n",
        "\r" => b"\r",
        _ => {
            return Err(PyValueError::new_err(
                "line_end must be '\\n', '\\r\\n' or '\\r'",
            ))
        }
    };
    Ok(csvout::Style {
        delimiter: one_byte("delimiter", delimiter)?,
        quote: quote.map(|q| one_byte("quote", q)).transpose()?,
        decimal_point: one_byte("decimal_point", decimal_point)?,
        missing: missing.as_bytes().to_vec(),
        empty: empty.as_bytes().to_vec(),
        line_end,
        comment: comment.map(|c| one_byte("comment", c)).transpose()?,
    })
}

fn unquotable_error(e: csvout::WriteError) -> PyErr {
    match e {
        csvout::WriteError::Unquotable { column, text } => UnquotableError::new_err((column, text)),
        csvout::WriteError::Buffer { .. } => PyValueError::new_err(e.to_string()),
    }
}

/// The engine's threads from now on ([`pool::set_threads`]): `normkit.io.threads.csv_workers`
/// says how many.
#[pyfunction]
fn set_threads(threads: usize) {
    pool::set_threads(threads);
}

/// The index of the first of `texts` (fields of a CSV column, quotes taken away; None for a
/// null) that is a value where the fit found none: not a null, nor missing as a column of
/// numbers reads it (the strings of `missing`, NaN, a number they spell, with
/// `infinite_missing` an infinity: [`MissingValues::no_value`]). None where none is.
#[pyfunction]
fn first_value(
    texts: Vec<Option<String>>,
    missing: Vec<String>,
    decimal_point: &str,
    infinite_missing: bool,
) -> PyResult<Option<usize>> {
    let point = one_byte("decimal_point", decimal_point)?;
    let missing = MissingValues::new(missing.iter().map(String::as_bytes));
    let numbers = missing.numbers(point);
    Ok(texts.iter().position(|t| {
        t.as_ref()
            .is_some_and(|t| !missing.no_value(t.as_bytes(), &numbers, point, infinite_missing))
    }))
}

/// The CSV records of record batches (`normkit.io.csv.writer`), each `(rows, columns)`, one
/// after the other (see [`csvout`]). A column's kind: 0 null, 1 float64, 2 float32, 3-6 int8 to
/// int64, 7-10 uint8 to uint64, 11 bool, 12 string, 13 large string. Returns the UTF-8 text in
/// pieces (moved, not copied), to be written in order; the GIL is released while they are
/// written, each batch's rows shared among up to `threads` threads where it is large (a
/// piece per thread, [`csvout::write_records_on`]).
#[pyfunction]
#[pyo3(signature = (batches, *, delimiter, quote, decimal_point, missing, empty = "", threads = 1, line_end = "\n", comment = None))]
#[allow(clippy::too_many_arguments)]
fn csv_records<'py>(
    py: Python<'py>,
    batches: Vec<(usize, Vec<ColumnIn<'py>>)>,
    delimiter: &str,
    quote: Option<&str>,
    decimal_point: &str,
    missing: &str,
    empty: &str,
    threads: usize,
    line_end: &str,
    comment: Option<&str>,
) -> PyResult<Vec<Bound<'py, PyArray1<u8>>>> {
    let style = csv_style(
        delimiter,
        quote,
        decimal_point,
        (missing, empty),
        line_end,
        comment,
    )?;
    let mut parts: Vec<(usize, Vec<csvout::Column<'_>>)> = Vec::with_capacity(batches.len());
    for (rows, columns) in &batches {
        let mut found = Vec::with_capacity(columns.len());
        for (kind, validity, buffers, offset) in columns {
            let buffer = |i: usize| -> PyResult<&[u8]> {
                buffers
                    .get(i)
                    .ok_or_else(|| {
                        PyValueError::new_err(format!("a column of kind {kind} without buffer {i}"))
                    })
                    .and_then(contiguous)
            };
            let int = |width: usize, signed: bool| -> PyResult<csvout::Values<'_>> {
                Ok(csvout::Values::Int {
                    bytes: buffer(0)?,
                    width,
                    signed,
                })
            };
            let values = match kind {
                0 => csvout::Values::Null,
                1 => csvout::Values::Float64(buffer(0)?),
                2 => csvout::Values::Float32(buffer(0)?),
                3 => int(1, true)?,
                4 => int(2, true)?,
                5 => int(4, true)?,
                6 => int(8, true)?,
                7 => int(1, false)?,
                8 => int(2, false)?,
                9 => int(4, false)?,
                10 => int(8, false)?,
                11 => csvout::Values::Bool(buffer(0)?),
                12 | 13 => csvout::Values::Text {
                    offsets: buffer(0)?,
                    large: *kind == 13,
                    data: buffer(1)?,
                },
                _ => return Err(PyValueError::new_err(format!("unknown column kind {kind}"))),
            };
            found.push(csvout::Column {
                values,
                validity: validity.as_ref().map(contiguous).transpose()?,
                offset: *offset,
            });
        }
        parts.push((*rows, found));
    }
    let texts = py
        .detach(|| {
            let mut texts = Vec::new();
            for (rows, columns) in &parts {
                csvout::write_records_on(columns, *rows, &style, threads, &mut texts)?;
            }
            Ok::<_, csvout::WriteError>(texts)
        })
        .map_err(unquotable_error)?;
    Ok(texts.into_iter().map(|t| t.into_pyarray(py)).collect())
}

/// A Parquet file written row group after row group, each row group's columns encoded on
/// several threads ([`parquetout::ParquetOut`]); a row group's bytes are copied into a buffer
/// the caller keeps (`take`), the footer's handed back (moved into a numpy array), to be
/// written.
#[pyclass(module = "normkit._native")]
struct ParquetWriter {
    out: Option<parquetout::ParquetOut>,
}

fn parquet_error(error: &ParquetError) -> PyErr {
    PyValueError::new_err(error.to_string())
}

#[pymethods]
impl ParquetWriter {
    /// A file of `schema`: columns named in `uncompressed` stored so, every other compressed
    /// with snappy; those named in `dictionary` (None: all) dictionary-encoded.
    #[new]
    #[pyo3(signature = (schema, *, uncompressed, dictionary, threads=0))]
    fn new(
        schema: PyArrowType<Schema>,
        uncompressed: Vec<String>,
        dictionary: Option<Vec<String>>,
        threads: usize,
    ) -> PyResult<Self> {
        let settings = parquetout::Settings {
            uncompressed,
            dictionary,
        };
        let threads = if threads == 0 {
            pool::threads()
        } else {
            threads
        };
        let out = parquetout::ParquetOut::new(Arc::new(schema.0), &settings, threads)
            .map_err(|e| parquet_error(&e))?;
        Ok(Self { out: Some(out) })
    }

    /// Append `batches` as one row group; how many bytes it adds to the file, which `take`
    /// copies out (before the next row group).
    fn row_group(
        &mut self,
        py: Python<'_>,
        batches: Vec<PyArrowType<RecordBatch>>,
    ) -> PyResult<usize> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("finished"))?;
        let batches: Vec<RecordBatch> = batches.into_iter().map(|b| b.0).collect();
        py.detach(|| out.row_group(&batches).map(<[u8]>::len))
            .map_err(|e| parquet_error(&e))
    }

    /// Copy the bytes of the last row group to the start of `buffer` (a writable uint8 array
    /// at least that long, kept by the caller from row group to row group: fresh memory for
    /// each one cost a page fault per 4 KiB).
    fn take(&self, py: Python<'_>, mut buffer: PyReadwriteArray1<'_, u8>) -> PyResult<()> {
        let out = self
            .out
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("finished"))?;
        let bytes = out.last_row_group();
        let target = buffer
            .as_slice_mut()
            .map_err(|e| PyValueError::new_err(e.to_string()))?
            .get_mut(..bytes.len())
            .ok_or_else(|| PyValueError::new_err("the buffer is shorter than the row group"))?;
        py.detach(|| target.copy_from_slice(bytes));
        Ok(())
    }

    /// Write the footer; the last bytes to write.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u8>>> {
        let out = self
            .out
            .take()
            .ok_or_else(|| PyValueError::new_err("finished"))?;
        let bytes = py.detach(|| out.finish()).map_err(|e| parquet_error(&e))?;
        Ok(bytes.into_pyarray(py))
    }
}

/// A Parquet file read by arrow-rs ([`parquetin::ParquetIn`]), its footer read once.
#[pyclass(frozen, module = "normkit._native")]
struct ParquetFile {
    file: parquetin::ParquetIn,
}

#[pymethods]
impl ParquetFile {
    /// The file at `path`, or None where this reader would not decode all of it (a codec not
    /// built in, INT96 values); an unreadable file or footer is an `OSError`.
    #[staticmethod]
    fn open(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Option<Self>> {
        let file = py
            .detach(|| parquetin::ParquetIn::open(&path))
            .map_err(|e| reading_error(&e.to_string()))?;
        Ok(file.map(|file| Self { file }))
    }

    /// The Arrow schema arrow-rs reads, the file's metadata included.
    #[getter]
    fn schema(&self) -> PyArrowType<Schema> {
        PyArrowType(self.file.schema().as_ref().clone())
    }

    /// The rows of the top-level columns at `columns`, in the file's order, `batch_size` rows
    /// at a time.
    fn batches(&self, columns: Vec<usize>, batch_size: usize) -> PyResult<ParquetBatches> {
        let reader = self
            .file
            .batches(&columns, batch_size)
            .map_err(|e| reading_error(&e.to_string()))?;
        Ok(ParquetBatches {
            reader: Mutex::new(reader),
        })
    }
}

/// An iterator of pyarrow record batches (from [`ParquetFile::batches`]).
#[pyclass(frozen, module = "normkit._native")]
struct ParquetBatches {
    reader: Mutex<parquetin::Batches>,
}

#[pymethods]
impl ParquetBatches {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyArrowType<RecordBatch>>> {
        let next = py.detach(|| {
            let mut reader = self.reader.lock().unwrap_or_else(|e| e.into_inner());
            reader.next()
        });
        match next {
            None => Ok(None),
            Some(Ok(batch)) => Ok(Some(PyArrowType(batch))),
            Some(Err(e)) => Err(reading_error(&e.to_string())),
        }
    }
}

/// An error reading a Parquet file as an `OSError`, in words for its reader: the names of the
/// wrappers of arrow-rs' errors ("Parquet argument error: ", "External: "...) taken off.
fn reading_error(message: &str) -> PyErr {
    const WRAPPERS: [&str; 5] = [
        "Parquet argument error: ",
        "External error: ",
        "External: ",
        "Parquet error: ",
        "General: ",
    ];
    let mut text = message;
    while let Some(rest) = WRAPPERS.iter().find_map(|w| text.strip_prefix(w)) {
        text = rest;
    }
    let text = match text.strip_prefix("EOF: ") {
        Some(rest) => format!("the file ends early: {rest}"),
        None => text.to_string(),
    };
    PyOSError::new_err(text)
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("UnquotableError", m.py().get_type::<UnquotableError>())?;
    m.add("CsvError", m.py().get_type::<CsvError>())?;
    m.add_class::<CsvEngine>()?;
    m.add_class::<CategoryTable>()?;
    m.add_class::<ParseJob>()?;
    m.add_class::<CsvRewrite>()?;
    m.add_class::<RewriteJob>()?;
    m.add_class::<ParquetWriter>()?;
    m.add_class::<ParquetFile>()?;
    m.add_class::<ParquetBatches>()?;
    m.add_function(wrap_pyfunction!(batch_moments, m)?)?;
    m.add_function(wrap_pyfunction!(csv_records, m)?)?;
    m.add_function(wrap_pyfunction!(first_value, m)?)?;
    m.add_function(wrap_pyfunction!(set_threads, m)?)?;
    m.add_function(wrap_pyfunction!(batch_statistics, m)?)?;
    m.add_function(wrap_pyfunction!(moments_and_batches, m)?)?;
    m.add_function(wrap_pyfunction!(running_advance, m)?)?;
    m.add_function(wrap_pyfunction!(row_keys, m)?)?;
    m.add_function(wrap_pyfunction!(affine_rows, m)?)?;
    m.add_function(wrap_pyfunction!(json_load, m)?)?;
    m.add_function(wrap_pyfunction!(json_text, m)?)?;
    m.add_function(wrap_pyfunction!(value_counts, m)?)?;
    // numpy's C API and its borrow checking are set up on their first use, importing numpy: a
    // signal handler that raised there (the command line's, on SIGTERM) made that use panic,
    // mid-job. numpy is imported here, where such an exception is the import's, and both are
    // set up from the imported modules, which runs no Python code.
    m.py().import("numpy")?;
    let warm = PyArray1::<f64>::zeros(m.py(), 0, false);
    drop(warm.try_readonly()?);
    Ok(())
}
