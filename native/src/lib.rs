//! normkit's native engine: the bytes and the arithmetic that must be fast.
//!
//! - [`categories`]: the distinct values of text columns and their counts;
//! - [`csvout`]: CSV records of Arrow columns (what a transform writes);
//! - [`dialect`]: how a CSV is written (separator, quote, comment);
//! - [`scan`]: where records end, quote-aware, in blocks;
//! - `structural`: the delimiters and line feeds of 64 bytes at a time, as bitmasks;
//! - [`parse`]: selected columns of a block of records, as float64, text or a type;
//! - [`pool`]: the engine's threads, one pool for the process;
//! - [`arrays`]: the columns of a chunk of records as an Arrow record batch;
//! - [`rewrite`]: records written again by a frozen transform (CSV to CSV);
//! - [`infer`]: the column types pyarrow's CSV reader infers from a first block, and a column's
//!   values read as a type, field by field;
//! - [`parquetin`]: Parquet files read as Arrow batches;
//! - [`parquetout`]: Parquet files of Arrow batches, columns encoded in parallel;
//! - [`moments`]: exact moments with the same operations, in the same order, as
//!   `normkit/core/moments.py`;
//! - [`running`]: BatchNorm's running statistics, advanced batch after batch;
//! - [`sample`]: the sample's row keys;
//! - [`text`]: float64 as text, as Python's `repr` writes it (the stat file's numbers);
//! - `jsondump` and `jsonload` (with Python): the stat file's text written and read as
//!   Python's `json` writes and reads it.
//!
//! Python sees it as `normkit._native` (the `python` feature, built by maturin); the crate
//! itself is plain Rust, so `cargo test` needs no Python.
#![forbid(unsafe_code)]

pub mod arrays;
pub mod categories;
pub mod csvout;
pub mod dialect;
pub mod infer;
pub mod moments;
pub mod parquetin;
pub mod parquetout;
pub mod parse;
pub mod pool;
pub mod rewrite;
pub mod running;
pub mod sample;
pub mod scan;
mod structural;
pub mod text;

#[cfg(feature = "python")]
mod jsondump;
#[cfg(feature = "python")]
mod jsonload;
#[cfg(feature = "python")]
mod python;
