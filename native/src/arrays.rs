//! Arrow arrays of parsed columns: a chunk of records as one Arrow record batch, its buffers
//! the parser's own (moved, not copied), handed to Python through the Arrow C data interface.

use std::sync::Arc;

use arrow_array::types::{
    Date32Type, Float64Type, Int64Type, Time32SecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::ArrowPrimitiveType;
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, NullArray, PrimitiveArray, RecordBatch,
    RecordBatchOptions, StringArray,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, Field, Schema};

use crate::infer::{ColumnType, TypedColumn, Values};
use crate::parse::FloatColumn;

/// The validity bitmap of `rows` values as Arrow's (None: every value present).
fn nulls(validity: Option<Vec<u8>>, rows: usize) -> Option<NullBuffer> {
    let bits = validity?;
    let nulls = NullBuffer::new(BooleanBuffer::new(Buffer::from_vec(bits), 0, rows));
    (nulls.null_count() > 0).then_some(nulls)
}

/// A float64 array of a float column.
pub fn float_array(column: FloatColumn) -> ArrayRef {
    let rows = column.values.len();
    let validity = nulls(column.validity, rows);
    Arc::new(PrimitiveArray::<Float64Type>::new(
        ScalarBuffer::from(column.values),
        validity,
    ))
}

/// A string array (`utf8`) or a binary one of texts laid out as Arrow's: `offsets` (rows + 1,
/// from 0) into `data`; an error where the text is not UTF-8 or the offsets are not in order.
pub fn text_array(
    offsets: Vec<i32>,
    data: Vec<u8>,
    validity: Option<NullBuffer>,
    utf8: bool,
) -> Result<ArrayRef, ArrowError> {
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    let data = Buffer::from_vec(data);
    Ok(if utf8 {
        Arc::new(StringArray::try_new(offsets, data, validity)?)
    } else {
        Arc::new(BinaryArray::try_new(offsets, data, validity)?)
    })
}

/// 32-bit offsets of 64-bit ones: an error past 2 GiB of text in one column of a chunk.
pub fn offsets32(offsets: &[i64]) -> Result<Vec<i32>, ArrowError> {
    offsets
        .iter()
        .map(|&o| i32::try_from(o))
        .collect::<Result<_, _>>()
        .map_err(|_| ArrowError::ComputeError("over 2 GiB of text in a column".into()))
}

fn primitive<T: ArrowPrimitiveType>(
    values: Vec<T::Native>,
    validity: Option<NullBuffer>,
) -> ArrayRef {
    Arc::new(PrimitiveArray::<T>::new(
        ScalarBuffer::from(values),
        validity,
    ))
}

/// The Arrow array of a typed column, of the type pyarrow gives it (`normkit.io.csv.native`'s
/// table of types).
pub fn typed_array(column: TypedColumn) -> Result<ArrayRef, ArrowError> {
    let rows = column.rows;
    let validity = nulls(column.validity, rows);
    let utc = Some(Arc::from("UTC"));
    Ok(match (column.column_type, column.values) {
        (ColumnType::Null, _) => Arc::new(NullArray::new(rows)),
        (ColumnType::Timestamp, Values::Int64(v)) => primitive::<TimestampSecondType>(v, validity),
        (ColumnType::TimestampNs, Values::Int64(v)) => {
            primitive::<TimestampNanosecondType>(v, validity)
        }
        (ColumnType::TimestampUtc, Values::Int64(v)) => Arc::new(
            PrimitiveArray::<TimestampSecondType>::new(ScalarBuffer::from(v), validity)
                .with_timezone_opt(utc),
        ),
        (ColumnType::TimestampNsUtc, Values::Int64(v)) => Arc::new(
            PrimitiveArray::<TimestampNanosecondType>::new(ScalarBuffer::from(v), validity)
                .with_timezone_opt(utc),
        ),
        (ColumnType::Int64 | ColumnType::Int64Plain, Values::Int64(v)) => {
            primitive::<Int64Type>(v, validity)
        }
        (ColumnType::Date32, Values::Int32(v)) => primitive::<Date32Type>(v, validity),
        (ColumnType::Time32, Values::Int32(v)) => primitive::<Time32SecondType>(v, validity),
        (ColumnType::Float64, Values::Float64(v)) => primitive::<Float64Type>(v, validity),
        (ColumnType::Boolean, Values::Bits(bits)) => {
            let mut bits = bits;
            bits.resize(rows.div_ceil(8), 0);
            let values = BooleanBuffer::new(Buffer::from_vec(bits), 0, rows);
            Arc::new(BooleanArray::new(values, validity))
        }
        (t @ (ColumnType::Text | ColumnType::Binary), Values::Text(text)) => text_array(
            offsets32(&text.offsets)?,
            text.data,
            validity,
            t == ColumnType::Text,
        )?,
        (t, _) => {
            return Err(ArrowError::InvalidArgumentError(format!(
                "the values of a {t:?} column of another type"
            )))
        }
    })
}

/// A record batch of `rows` rows of `columns`, named `names`.
pub fn record_batch(
    names: &[String],
    columns: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch, ArrowError> {
    if names.len() != columns.len() {
        return Err(ArrowError::InvalidArgumentError(format!(
            "{} names for {} columns",
            names.len(),
            columns.len()
        )));
    }
    let fields: Vec<Field> = names
        .iter()
        .zip(&columns)
        .map(|(name, column)| Field::new(name, column.data_type().clone(), true))
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Array, Int64Array, TimestampSecondArray};
    use arrow_schema::{DataType, TimeUnit};

    fn typed(t: ColumnType, fields: &[Option<&str>]) -> TypedColumn {
        let mut column = TypedColumn::new(t, b'.');
        for field in fields {
            match field {
                Some(text) => assert!(column.push(text.as_bytes()), "{text}"),
                None => column.push_missing(),
            }
        }
        column
    }

    #[test]
    fn typed_columns_make_arrays_of_their_type() {
        let ints = typed_array(typed(ColumnType::Int64, &[Some(" 5"), None, Some("0x10")]));
        let ints = ints.unwrap();
        let ints = ints.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(ints.null_count(), 1);
        assert_eq!((ints.value(0), ints.value(2)), (5, 16));
        assert!(ints.is_null(1));

        let times = typed_array(typed(
            ColumnType::TimestampUtc,
            &[Some("1970-01-01T01:00Z")],
        ));
        let times = times.unwrap();
        assert_eq!(
            times.data_type(),
            &DataType::Timestamp(TimeUnit::Second, Some("UTC".into()))
        );
        let times = times.as_any().downcast_ref::<TimestampSecondArray>();
        assert_eq!(times.unwrap().value(0), 3600);

        let bools = typed_array(typed(
            ColumnType::Boolean,
            &[Some("1"), None, Some("FALSE")],
        ));
        let bools = bools.unwrap();
        let bools = bools.as_any().downcast_ref::<BooleanArray>().unwrap();
        assert_eq!(
            bools.iter().collect::<Vec<_>>(),
            [Some(true), None, Some(false)]
        );

        let texts = typed_array(typed(ColumnType::Text, &[Some("a"), None, Some("é")]));
        let texts = texts.unwrap();
        let texts = texts.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(
            texts.iter().collect::<Vec<_>>(),
            [Some("a"), None, Some("é")]
        );
    }

    #[test]
    fn a_type_refuses_what_it_does_not_read() {
        let mut column = TypedColumn::new(ColumnType::Time32, b'.');
        assert!(column.push(b"03:04:05"));
        assert!(!column.push(b"25:00"));
        assert!(!column.push(b"x"));
        assert_eq!(column.rows, 1);
        let mut column = TypedColumn::new(ColumnType::Text, b'.');
        assert!(!column.push(b"\xff"));
        let mut column = TypedColumn::new(ColumnType::Null, b'.');
        assert!(!column.push(b"1"));
    }

    #[test]
    fn appended_columns_keep_values_and_validity() {
        // Every split of 0 to 19 values, with missing values at every place, joins back into
        // the column made at once.
        let fields: Vec<Option<&str>> = (0..19)
            .map(|i| (i % 3 != 1).then_some(if i % 2 == 0 { "1" } else { "0" }))
            .collect();
        for t in [ColumnType::Boolean, ColumnType::Int64, ColumnType::Text] {
            let whole = typed(t, &fields);
            for cut in 0..=fields.len() {
                let mut joined = typed(t, &fields[..cut]);
                joined.append(&typed(t, &fields[cut..]));
                let (a, b) = (
                    typed_array(joined).unwrap(),
                    typed_array(whole.clone()).unwrap(),
                );
                assert_eq!(a.to_data(), b.to_data(), "{t:?} cut at {cut}");
            }
        }
        let present = typed(ColumnType::Int64, &[Some("1"), Some("2")]);
        assert_eq!(present.validity, None);
        assert_eq!(
            typed(ColumnType::Int64, &[Some("1"), None]).validity,
            Some(vec![0b01])
        );
    }

    #[test]
    fn a_batch_names_its_columns() {
        let column = FloatColumn {
            values: vec![1.0, f64::NAN],
            validity: Some(vec![0b01]),
            null_count: 1,
        };
        let batch = record_batch(&["x".into()], vec![float_array(column)], 2).unwrap();
        assert_eq!(batch.schema().field(0).name(), "x");
        assert_eq!(batch.column(0).null_count(), 1);
        assert!(record_batch(&[], vec![], 3).unwrap().num_rows() == 3);
        assert!(record_batch(&["a".into()], vec![], 0).is_err());
    }
}
