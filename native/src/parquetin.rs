//! Parquet files read as Arrow record batches by arrow-rs' reader, where it reads them as
//! pyarrow's does.
//!
//! A [`ParquetIn`] holds a file's footer, read once, and the Arrow schema arrow-rs decodes from
//! it; [`ParquetIn::batches`] reads some of its top-level columns, in batches of a given number
//! of rows. It reads only files whose pages it can decode ([`ParquetIn::open`] says which): the
//! codecs this crate is built with (snappy, zstd, LZ4 raw and gzip; not the Hadoop framing of
//! the older LZ4, nor brotli), and no INT96 timestamps (whose unit and range readers treat
//! differently). Whether its Arrow schema is pyarrow's is for the caller to decide.
use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use parquet::basic::{Compression, Type as PhysicalType};
use parquet::errors::Result;

/// A Parquet file whose footer has been read.
pub struct ParquetIn {
    file: File,
    metadata: ArrowReaderMetadata,
}

impl ParquetIn {
    /// The file at `path`, if this reader decodes all of it: `Ok(None)` where a column chunk is
    /// compressed by a codec not built in, or a column holds INT96 values.
    pub fn open(path: &Path) -> Result<Option<Self>> {
        let file = File::open(path)?;
        let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())?;
        let parquet = metadata.metadata();
        let int96 = parquet
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .any(|c| c.physical_type() == PhysicalType::INT96);
        let decodable = parquet.row_groups().iter().all(|group| {
            group.columns().iter().all(|chunk| {
                matches!(
                    chunk.compression(),
                    Compression::UNCOMPRESSED
                        | Compression::SNAPPY
                        | Compression::ZSTD(_)
                        | Compression::LZ4_RAW
                        | Compression::GZIP(_)
                )
            })
        });
        Ok((decodable && !int96).then_some(Self { file, metadata }))
    }

    /// The Arrow schema of the whole file, its metadata included.
    pub fn schema(&self) -> &SchemaRef {
        self.metadata.schema()
    }

    /// The rows of the top-level columns `columns` (indices into [`Self::schema`], in any order;
    /// the batches hold them in the file's order), `batch_size` rows at a time.
    pub fn batches(&self, columns: &[usize], batch_size: usize) -> Result<Batches> {
        let mask = ProjectionMask::roots(self.metadata.parquet_schema(), columns.iter().copied());
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.file.try_clone()?,
            self.metadata.clone(),
        )
        .with_projection(mask)
        .with_batch_size(batch_size.max(1))
        .build()?;
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
        let batch = self.reader.next()?;
        if self.metadata.is_empty() {
            return Some(batch);
        }
        Some(batch.and_then(|batch| {
            let schema = batch.schema_ref().as_ref().clone();
            batch.with_schema(Arc::new(schema.with_metadata(self.metadata.clone())))
        }))
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::{ArrayRef, Float64Array, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    use super::*;

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
        let dir = std::env::temp_dir().join(format!("parquetin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.parquet");
        let batch = written(&path, Compression::SNAPPY, 2500);
        let file = ParquetIn::open(&path).unwrap().expect("snappy is built in");
        assert_eq!(file.schema().fields().len(), 2);
        for size in [1, 999, 1000, 4096] {
            let read: Vec<RecordBatch> = file
                .batches(&[1, 0], size)
                .unwrap()
                .collect::<std::result::Result<_, _>>()
                .unwrap();
            assert!(read.iter().all(|b| b.num_rows() <= size));
            let all = arrow_select::concat::concat_batches(&read[0].schema(), &read).unwrap();
            assert_eq!(all, batch, "batches of {size}");
        }
        let only: Vec<RecordBatch> = file
            .batches(&[1], 4096)
            .unwrap()
            .map(Result::unwrap)
            .collect();
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
        let dir = std::env::temp_dir().join(format!("parquetin-plain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.parquet");
        let batch = written(&path, Compression::UNCOMPRESSED, 10);
        let file = ParquetIn::open(&path).unwrap().expect("read uncompressed");
        let read: Vec<RecordBatch> = file
            .batches(&[0, 1], 64)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(read, [batch]);
        std::fs::write(&path, b"not parquet").unwrap();
        assert!(ParquetIn::open(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
