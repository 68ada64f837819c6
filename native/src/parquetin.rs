//! Parquet files read as Arrow record batches by arrow-rs' reader, where it reads them as
//! pyarrow's does.
//!
//! A [`ParquetIn`] holds a file's footer, read once, and the Arrow schema arrow-rs decodes from
//! it; [`ParquetIn::batches`] reads some of its top-level columns, in batches of a given number
//! of rows. It reads only files it decodes as pyarrow's reader does ([`ParquetIn::open`] says
//! which): the codecs this crate is built with (snappy, zstd, LZ4 raw and gzip; not the Hadoop
//! framing of the older LZ4, nor brotli), no INT96 timestamps (whose unit and range readers
//! treat differently), no text column too long for a batch of 32-bit offsets. Whether its Arrow
//! schema is pyarrow's is for the caller to decide. A damaged file is an error, never a panic.
use std::cell::Cell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Once};

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use bytes::Bytes;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::basic::{Compression, Encoding, Type as PhysicalType};
use parquet::errors::{ParquetError, Result};
use parquet::file::reader::{ChunkReader, Length};

/// Bytes of text (or bytes) a column may hold, uncompressed, in a file this reader reads: a
/// batch of a `string` or `binary` column holds at most 2 GiB (32-bit offsets), which pyarrow's
/// reader keeps to by cutting batches short, and this one does not.
const MAX_TEXT_BYTES: i64 = 1 << 30;

/// A Parquet file whose footer has been read.
pub struct ParquetIn {
    file: Positioned,
    metadata: ArrowReaderMetadata,
}

impl ParquetIn {
    /// The file at `path`, if this reader decodes all of it as pyarrow's does: `Ok(None)` where
    /// a column chunk is compressed by a codec not built in or encoded as `DELTA_BYTE_ARRAY`
    /// (whose damage this reader can miss), a column holds INT96 values, or a column of text or
    /// bytes holds [`MAX_TEXT_BYTES`] or more. A damaged footer is an error (a panic of the
    /// Parquet crate's included).
    pub fn open(path: &Path) -> Result<Option<Self>> {
        let file = Positioned::open(path)?;
        let metadata = contained(|| ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()))?;
        let parquet = metadata.metadata();
        let columns = parquet.file_metadata().schema_descr().columns();
        let int96 = columns
            .iter()
            .any(|c| c.physical_type() == PhysicalType::INT96);
        let mut text = vec![0i64; columns.len()];
        let mut decodable = true;
        for group in parquet.row_groups() {
            for (i, chunk) in group.columns().iter().enumerate() {
                decodable &= matches!(
                    chunk.compression(),
                    Compression::UNCOMPRESSED
                        | Compression::SNAPPY
                        | Compression::ZSTD(_)
                        | Compression::LZ4_RAW
                        | Compression::GZIP(_)
                ) && !chunk.encodings().any(|e| e == Encoding::DELTA_BYTE_ARRAY);
                if chunk.column_type() == PhysicalType::BYTE_ARRAY {
                    text[i] = text[i].saturating_add(chunk.uncompressed_size().max(0));
                }
            }
        }
        let short = text.iter().all(|&bytes| bytes < MAX_TEXT_BYTES);
        Ok((decodable && short && !int96).then_some(Self { file, metadata }))
    }

    /// The Arrow schema of the whole file, its metadata included.
    pub fn schema(&self) -> &SchemaRef {
        self.metadata.schema()
    }

    /// The rows of the top-level columns `columns` (indices into [`Self::schema`], in any order;
    /// the batches hold them in the file's order), `batch_size` rows at a time. Batches read
    /// the file at their own offsets: several may be read at once.
    pub fn batches(&self, columns: &[usize], batch_size: usize) -> Result<Batches> {
        let mask = ProjectionMask::roots(self.metadata.parquet_schema(), columns.iter().copied());
        let reader = contained(|| {
            ParquetRecordBatchReaderBuilder::new_with_metadata(
                self.file.clone(),
                self.metadata.clone(),
            )
            .with_projection(mask)
            .with_batch_size(batch_size.max(1))
            .build()
        })?;
        Ok(Batches {
            reader,
            metadata: self.schema().metadata().clone(),
        })
    }
}

/// The record batches of [`ParquetIn::batches`], each with the file's schema metadata (as
/// pyarrow's are; arrow-rs' reader gives its batches none).
pub struct Batches {
    reader: ParquetRecordBatchReader,
    metadata: HashMap<String, String>,
}

impl Iterator for Batches {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let reader = &mut self.reader;
        let batch = match contained(|| Ok(reader.next())) {
            Ok(batch) => batch?,
            Err(e) => return Some(Err(ArrowError::ExternalError(Box::new(e)))),
        };
        if self.metadata.is_empty() {
            return Some(batch);
        }
        Some(batch.and_then(|batch| {
            let schema = batch.schema_ref().as_ref().clone();
            batch.with_schema(Arc::new(schema.with_metadata(self.metadata.clone())))
        }))
    }
}

thread_local! {
    /// Whether a panic on this thread is being turned into an error ([`contained`]).
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// `f()`, a panic in it an error: the Parquet crate panics on some damaged files (slices out of
/// bounds), where a reader must say the file is damaged. Its message is not printed.
fn contained<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(Cell::get) {
                hook(info);
            }
        }));
    });
    let outer = CONTAINED.with(|c| c.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(outer));
    result.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(ParquetError::General(format!("damaged data ({what})")))
    })
}

/// A file read at offsets (`pread`), never through a shared position: readers of one file do
/// not move each other's.
#[derive(Clone)]
struct Positioned {
    file: Arc<File>,
    len: u64,
}

impl Positioned {
    fn open(path: &Path) -> Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Self {
            file: Arc::new(file),
            len,
        })
    }
}

/// The bytes of a [`Positioned`] file from an offset on.
struct At {
    file: Arc<File>,
    offset: u64,
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = read_at(&self.file, buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

impl Length for Positioned {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for Positioned {
    type T = BufReader<At>;

    fn get_read(&self, start: u64) -> Result<Self::T> {
        Ok(BufReader::new(At {
            file: Arc::clone(&self.file),
            offset: start,
        }))
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        let mut buffer = Vec::with_capacity(length);
        let read = At {
            file: Arc::clone(&self.file),
            offset: start,
        }
        .take(length as u64)
        .read_to_end(&mut buffer)?;
        if read != length {
            return Err(ParquetError::EOF(format!(
                "expected to read {length} bytes at offset {start}, read only {read}"
            )));
        }
        Ok(buffer.into())
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::{ArrayRef, Float64Array, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    use super::*;

    /// A new directory of this test's own.
    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Every batch of `columns` of `file`, `size` rows at a time.
    fn read_all(file: &ParquetIn, columns: &[usize], size: usize) -> Vec<RecordBatch> {
        file.batches(columns, size)
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn written(path: &Path, compression: Compression, rows: usize) -> RecordBatch {
        let x: ArrayRef = Arc::new(Float64Array::from_iter(
            (0..rows).map(|i| (i % 7 != 3).then_some(i as f64 * 0.25)),
        ));
        let s: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..rows).map(|i| format!("r{i}")),
        ));
        let batch = RecordBatch::try_from_iter([("x", x), ("s", s)]).unwrap();
        let metadata = HashMap::from([("origin".to_string(), "test".to_string())]);
        let schema = batch.schema_ref().as_ref().clone().with_metadata(metadata);
        let batch = batch.with_schema(Arc::new(schema)).unwrap();
        let properties = WriterProperties::builder()
            .set_compression(compression)
            .set_max_row_group_row_count(Some(1000))
            .build();
        let mut writer = ArrowWriter::try_new(
            File::create(path).unwrap(),
            batch.schema(),
            Some(properties),
        )
        .unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        batch
    }

    #[test]
    fn reads_every_row_of_the_columns_asked_for() {
        let dir = scratch("parquetin");
        let path = dir.join("a.parquet");
        let batch = written(&path, Compression::SNAPPY, 2500);
        let file = ParquetIn::open(&path).unwrap().expect("snappy is built in");
        assert_eq!(file.schema().fields().len(), 2);
        for size in [1, 999, 1000, 4096] {
            let read = read_all(&file, &[1, 0], size);
            assert!(read.iter().all(|b| b.num_rows() <= size));
            let all = arrow_select::concat::concat_batches(&read[0].schema(), &read).unwrap();
            assert_eq!(all, batch, "batches of {size}");
        }
        let only = read_all(&file, &[1], 4096);
        let names: Vec<&String> = only[0]
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name())
            .collect();
        assert_eq!(names, ["s"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reads_uncompressed_files_and_refuses_others() {
        let dir = scratch("parquetin-plain");
        let path = dir.join("a.parquet");
        let batch = written(&path, Compression::UNCOMPRESSED, 10);
        let file = ParquetIn::open(&path).unwrap().expect("read uncompressed");
        assert_eq!(read_all(&file, &[0, 1], 64), [batch]);
        std::fs::write(&path, b"not parquet").unwrap();
        assert!(ParquetIn::open(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_panic_of_the_parquet_crate_is_an_error_and_later_ones_still_panic() {
        let error = contained(|| -> Result<()> { panic!("slice index starts at 841") })
            .expect_err("a panic is an error");
        assert_eq!(
            error.to_string(),
            "Parquet error: damaged data (slice index starts at 841)"
        );
        assert_eq!(contained(|| Ok(7)).unwrap(), 7);
        // Outside `contained`, a panic is one still.
        assert!(std::panic::catch_unwind(|| panic!("outside")).is_err());
    }

    #[test]
    fn batches_of_one_file_read_at_once_on_threads_are_its_rows() {
        let dir = scratch("parquetin-threads");
        let path = dir.join("a.parquet");
        let batch = written(&path, Compression::SNAPPY, 20_000);
        let file = ParquetIn::open(&path).unwrap().unwrap();
        std::thread::scope(|scope| {
            let readers: Vec<_> = (0..4)
                .map(|k| {
                    let file = &file;
                    scope.spawn(move || {
                        let read = read_all(file, &[0, 1], 100 + k);
                        arrow_select::concat::concat_batches(&read[0].schema(), &read).unwrap()
                    })
                })
                .collect();
            for reader in readers {
                assert_eq!(reader.join().unwrap(), batch);
            }
        });
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
