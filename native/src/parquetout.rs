//! Parquet files of Arrow record batches, each row group's columns encoded on several threads.
//!
//! A [`ParquetOut`] writes into memory and hands back the bytes of each row group as soon as it
//! is complete ([`ParquetOut::row_group`]), then the footer ([`ParquetOut::finish`]); the caller
//! writes them where the file goes (in normkit, an atomic file or standard output). The columns
//! of one row group are encoded and compressed in parallel (the work is per column, so the bytes
//! are the same whatever the number of threads) and appended to the file in schema order.
//!
//! The file is what `ArrowWriter` would write with the same [`Settings`]: the Arrow schema is
//! stored under `ARROW:schema`, and the schema's own metadata as the file's key-value metadata
//! too (as pyarrow does), so that readers that know nothing of Arrow find it there.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::{add_encoded_arrow_schema_to_metadata, ArrowSchemaConverter};
use parquet::basic::Compression;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;

/// How the columns are stored: compression and dictionary encoding, by top-level column name
/// (columns of one name share them; nested columns take the defaults).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Names of the columns stored uncompressed (every other column is compressed with snappy).
    pub uncompressed: Vec<String>,
    /// Names of the columns dictionary-encoded; `None`: every column.
    pub dictionary: Option<Vec<String>>,
}

impl Settings {
    fn properties(&self, schema: &SchemaRef) -> WriterProperties {
        let mut builder = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_coerce_types(true)
            // Whole values in the statistics, as pyarrow writes them (not cut at 64 bytes).
            .set_statistics_truncate_length(None)
            // Statistics per column chunk and no page index (pyarrow writes none by default):
            // arrow-rs keeps every row group's page index in memory until the footer, so a
            // file's peak memory grew with its length (16 million rows: 333 MiB against 269
            // for 1 million).
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_offset_index_disabled(true)
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(self.dictionary.is_none());
        for name in &self.uncompressed {
            builder = builder
                .set_column_compression(ColumnPath::from(name.as_str()), Compression::UNCOMPRESSED);
        }
        for name in self.dictionary.iter().flatten() {
            builder = builder.set_column_dictionary_enabled(ColumnPath::from(name.as_str()), true);
        }
        // In the order of their keys: the schema holds them in a hash map, whose order changes
        // from run to run, and so would the file's bytes.
        let mut metadata: Vec<KeyValue> = schema
            .metadata()
            .iter()
            .map(|(key, value)| KeyValue::new(key.clone(), value.clone()))
            .collect();
        metadata.sort_by(|a, b| a.key.cmp(&b.key));
        if !metadata.is_empty() {
            builder = builder.set_key_value_metadata(Some(metadata));
        }
        let mut properties = builder.build();
        add_encoded_arrow_schema_to_metadata(schema, &mut properties);
        properties
    }
}

/// A Parquet file being written, row group after row group.
pub struct ParquetOut {
    schema: SchemaRef,
    file: SerializedFileWriter<Vec<u8>>,
    factory: ArrowRowGroupWriterFactory,
    row_groups: usize,
    threads: usize,
    /// Whether the buffer holds bytes already handed back by [`ParquetOut::row_group`].
    handed: bool,
}

impl ParquetOut {
    /// A file of `schema`; an error if Parquet cannot store one of its types.
    pub fn new(schema: SchemaRef, settings: &Settings, threads: usize) -> Result<Self> {
        for field in schema.fields() {
            if holds_union(field.data_type()) {
                // The schema converter panics on unions (not an error it returns).
                return Err(ParquetError::NYI(format!(
                    "column {:?}: Parquet cannot store unions ({})",
                    field.name(),
                    field.data_type()
                )));
            }
        }
        let properties = settings.properties(&schema);
        let parquet_schema = ArrowSchemaConverter::new()
            .with_coerce_types(properties.coerce_types())
            .convert(&schema)?;
        let file = SerializedFileWriter::new(
            Vec::new(),
            parquet_schema.root_schema_ptr(),
            Arc::new(properties),
        )?;
        let factory = ArrowRowGroupWriterFactory::new(&file, Arc::clone(&schema));
        Ok(Self {
            schema,
            file,
            factory,
            row_groups: 0,
            threads: threads.max(1),
            handed: false,
        })
    }

    /// Append `batches` (of this file's schema) as one row group; the bytes written since the
    /// last call (the first time, the file's magic number too), valid until the next call.
    ///
    /// They are written into one buffer, kept from row group to row group: a fresh one for each
    /// row group cost a page fault per 4 KiB written, more than the copy itself.
    pub fn row_group(&mut self, batches: &[RecordBatch]) -> Result<&[u8]> {
        // The types must match; names and metadata of fields are the file's (as pyarrow's
        // writer, which compares schemas without their metadata).
        for batch in batches {
            let schema = batch.schema();
            let same = schema.fields().len() == self.schema.fields().len()
                && schema
                    .fields()
                    .iter()
                    .zip(self.schema.fields())
                    .all(|(a, b)| a.data_type().equals_datatype(b.data_type()));
            if !same {
                return Err(ParquetError::General(
                    "a batch's column types differ from the file's".to_string(),
                ));
            }
        }
        let writers = self.factory.create_column_writers(self.row_groups)?;
        let chunks = self.encode(writers, batches)?;
        self.forget_handed();
        let size: u64 = chunks.iter().map(|c| c.close().bytes_written).sum();
        self.file
            .inner_mut()
            .reserve(usize::try_from(size).unwrap_or(0) + 8);
        let mut row_group = self.file.next_row_group()?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut row_group)?;
        }
        row_group.close()?;
        self.row_groups += 1;
        self.file.flush()?;
        self.handed = true;
        Ok(self.file.inner())
    }

    /// The bytes [`ParquetOut::row_group`] handed back last (empty once other bytes follow).
    pub fn last_row_group(&self) -> &[u8] {
        if self.handed {
            self.file.inner()
        } else {
            &[]
        }
    }

    /// Drop the bytes the last call handed back (they are written by now): the buffer starts
    /// afresh, its room kept. Bytes not yet handed back (the magic number) stay.
    fn forget_handed(&mut self) {
        if std::mem::take(&mut self.handed) {
            self.file.inner_mut().clear();
        }
    }

    /// Write the footer; its bytes, with any not yet taken.
    pub fn finish(mut self) -> Result<Vec<u8>> {
        self.forget_handed();
        self.file.finish()?;
        self.file.flush()?;
        Ok(std::mem::take(self.file.inner_mut()))
    }

    /// The column chunks of `batches`, in the order of the writers (the schema's leaves).
    ///
    /// Work is shared by top-level column: a column's leaves are one job, taken in turn by
    /// `threads` threads.
    fn encode(
        &self,
        writers: Vec<ArrowColumnWriter>,
        batches: &[RecordBatch],
    ) -> Result<Vec<ArrowColumnChunk>> {
        let fields = self.schema.fields();
        // Each field's writers: its leaves, which come in schema order.
        let mut grouped: Vec<Vec<ArrowColumnWriter>> =
            (0..fields.len()).map(|_| Vec::new()).collect();
        let descriptor = self.file.schema_descr();
        for (leaf, writer) in writers.into_iter().enumerate() {
            grouped[descriptor.get_column_root_idx(leaf)].push(writer);
        }
        let jobs: Vec<Mutex<Option<Vec<ArrowColumnWriter>>>> =
            grouped.into_iter().map(|w| Mutex::new(Some(w))).collect();
        let results: Vec<Mutex<Option<Result<Vec<ArrowColumnChunk>>>>> =
            (0..fields.len()).map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let work = || loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= jobs.len() {
                return;
            }
            let Some(mut column_writers) = lock(&jobs[i]).take() else {
                return;
            };
            // A panic inside arrow-rs (a type it cannot write) is this column's error, not the
            // process's.
            let encoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                encode_column(&fields[i], i, &mut column_writers, batches)
                    .and_then(|()| column_writers.into_iter().map(|w| w.close()).collect())
            }))
            .unwrap_or_else(|panic| {
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(ParquetError::NYI(format!(
                    "column {:?} of type {}: {text}",
                    fields[i].name(),
                    fields[i].data_type()
                )))
            });
            *lock(&results[i]) = Some(encoded);
        };
        let threads = self.threads.min(fields.len()).max(1);
        crate::pool::install(|| {
            rayon::scope(|scope| {
                for _ in 1..threads {
                    scope.spawn(|_| work());
                }
                work();
            });
        });
        let mut chunks = Vec::new();
        for result in results {
            let encoded = result.into_inner().unwrap_or_else(|e| e.into_inner());
            let encoded = encoded.ok_or_else(|| {
                ParquetError::General("a column of the row group was not encoded".to_string())
            })?;
            chunks.extend(encoded?);
        }
        Ok(chunks)
    }
}

/// Whether a type is or holds a union.
fn holds_union(data_type: &DataType) -> bool {
    match data_type {
        DataType::Union(..) => true,
        DataType::Struct(fields) => fields.iter().any(|f| holds_union(f.data_type())),
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f)
        | DataType::Map(f, _) => holds_union(f.data_type()),
        DataType::Dictionary(_, value) => holds_union(value),
        DataType::RunEndEncoded(_, values) => holds_union(values.data_type()),
        _ => false,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn encode_column(
    field: &arrow_schema::FieldRef,
    index: usize,
    writers: &mut [ArrowColumnWriter],
    batches: &[RecordBatch],
) -> Result<()> {
    for batch in batches {
        let leaves = compute_leaves(field, batch.column(index))?;
        if leaves.len() != writers.len() {
            return Err(ParquetError::General(format!(
                "column {}: {} leaves, {} writers",
                field.name(),
                leaves.len(),
                writers.len()
            )));
        }
        for (writer, leaf) in writers.iter_mut().zip(&leaves) {
            writer.write(leaf)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Float64Array, Int32Array, StringArray, StructArray};
    use arrow_schema::{Field, Schema};
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::collections::HashMap;

    fn batch(start: i32, n: i32) -> RecordBatch {
        let ints: ArrayRef = Arc::new(Int32Array::from_iter_values(start..start + n));
        let floats: ArrayRef = Arc::new(Float64Array::from_iter(
            (start..start + n).map(|i| Some(f64::from(i) / 7.0)),
        ));
        let text: ArrayRef = Arc::new(StringArray::from_iter_values(
            (start..start + n).map(|i| format!("r{i}")),
        ));
        let nested: ArrayRef = Arc::new(StructArray::from(vec![
            (
                Arc::new(Field::new("a", DataType::Int32, false)),
                Arc::clone(&ints),
            ),
            (
                Arc::new(Field::new("b", DataType::Utf8, false)),
                Arc::clone(&text),
            ),
        ]));
        RecordBatch::try_new(schema(), vec![ints, floats, text, nested]).unwrap()
    }

    fn schema() -> SchemaRef {
        let nested = DataType::Struct(
            vec![
                Field::new("a", DataType::Int32, false),
                Field::new("b", DataType::Utf8, false),
            ]
            .into(),
        );
        let metadata = HashMap::from([("normkit".to_string(), "{\"x\": 1}".to_string())]);
        Arc::new(
            Schema::new(vec![
                Field::new("i", DataType::Int32, false),
                Field::new("f", DataType::Float64, true),
                Field::new("t", DataType::Utf8, false),
                Field::new("s", nested, false),
            ])
            .with_metadata(metadata),
        )
    }

    fn write(threads: usize, groups: &[Vec<RecordBatch>]) -> Vec<u8> {
        let settings = Settings {
            uncompressed: vec!["f".into()],
            dictionary: Some(vec!["t".into()]),
        };
        let mut out = ParquetOut::new(schema(), &settings, threads).unwrap();
        let mut bytes = Vec::new();
        for group in groups {
            bytes.extend_from_slice(out.row_group(group).unwrap());
        }
        bytes.extend(out.finish().unwrap());
        bytes
    }

    #[test]
    fn reads_back_row_group_by_row_group_whatever_the_threads() {
        let groups = vec![vec![batch(0, 100), batch(100, 50)], vec![batch(150, 7)]];
        let bytes = write(3, &groups);
        assert_eq!(bytes, write(1, &groups));
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).unwrap();
        assert_eq!(reader.schema().as_ref(), schema().as_ref());
        let metadata = reader.metadata().clone();
        assert_eq!(metadata.num_row_groups(), 2);
        assert_eq!(metadata.row_group(0).num_rows(), 150);
        let kv = metadata.file_metadata().key_value_metadata().unwrap();
        assert!(kv
            .iter()
            .any(|e| e.key == "normkit" && e.value.as_deref() == Some("{\"x\": 1}")));
        assert!(kv.iter().any(|e| e.key == "ARROW:schema"));
        let f = metadata.row_group(0).column(1);
        assert_eq!(f.compression(), Compression::UNCOMPRESSED);
        assert_eq!(
            metadata.row_group(0).column(0).compression(),
            Compression::SNAPPY
        );
        assert!(f.statistics().is_some());
        let read: Vec<RecordBatch> = reader.build().unwrap().map(|b| b.unwrap()).collect();
        let read = arrow_select::concat::concat_batches(&read[0].schema(), &read).unwrap();
        let all: Vec<RecordBatch> = groups.concat();
        let expected = arrow_select::concat::concat_batches(&schema(), &all).unwrap();
        assert_eq!(read.columns(), expected.columns());
    }

    #[test]
    fn no_rows_is_a_file_of_the_schema() {
        let bytes = write(2, &[]);
        let reader = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes)).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 0);
        assert_eq!(reader.schema().fields(), schema().fields());
    }

    #[test]
    fn fields_metadata_is_the_files() {
        let mut out = ParquetOut::new(schema(), &Settings::default(), 2).unwrap();
        let plain: Vec<_> = schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_metadata(HashMap::new()))
            .collect();
        let tagged: Vec<_> = plain
            .iter()
            .map(|f| {
                f.clone()
                    .with_metadata(HashMap::from([("k".to_string(), "v".to_string())]))
            })
            .collect();
        let batch = batch(0, 3);
        let retagged =
            RecordBatch::try_new(Arc::new(Schema::new(tagged)), batch.columns().to_vec()).unwrap();
        assert!(out.row_group(&[retagged]).is_ok());
    }

    #[test]
    fn a_batch_of_another_schema_is_an_error() {
        let mut out = ParquetOut::new(schema(), &Settings::default(), 2).unwrap();
        let other = RecordBatch::try_from_iter(vec![(
            "x",
            Arc::new(Int32Array::from(vec![1])) as ArrayRef,
        )])
        .unwrap();
        assert!(out.row_group(&[other]).is_err());
    }

    #[test]
    fn a_panic_inside_arrow_rs_is_the_columns_error() {
        // arrow-rs has `unreachable!` for dictionaries of string views.
        let values = arrow_array::StringViewArray::from_iter_values(["a", "b"]);
        let keys = arrow_array::Int32Array::from(vec![0, 1, 0]);
        let dictionary: ArrayRef =
            Arc::new(arrow_array::DictionaryArray::try_new(keys, Arc::new(values)).unwrap());
        let batch = RecordBatch::try_from_iter(vec![("d", dictionary)]).unwrap();
        let mut out = ParquetOut::new(batch.schema(), &Settings::default(), 2).unwrap();
        let error = out.row_group(&[batch]).err().unwrap();
        assert!(error.to_string().contains("column \"d\""), "{error}");
    }

    #[test]
    fn types_parquet_cannot_store_are_an_error_at_once() {
        let union = DataType::Union(
            arrow_schema::UnionFields::try_new(
                vec![0],
                vec![Field::new("a", DataType::Int32, true)],
            )
            .unwrap(),
            arrow_schema::UnionMode::Dense,
        );
        let inner = DataType::List(Arc::new(Field::new("item", union.clone(), true)));
        for data_type in [union, inner] {
            let schema = Arc::new(Schema::new(vec![Field::new("u", data_type, true)]));
            let error = ParquetOut::new(schema, &Settings::default(), 1)
                .err()
                .unwrap();
            assert!(
                error
                    .to_string()
                    .contains("\"u\": Parquet cannot store unions"),
                "{error}"
            );
        }
    }
}
