//! Properties of the type inference on random input: integers as `str::parse` reads them, hex
//! as their 64 bits, a column of any bytes typed without a panic, and bytes columns cut as text
//! columns are.

use normkit_native::dialect::Dialect;
use normkit_native::infer::{column_type, infer_column, parse_int64, ColumnType, Values};
use normkit_native::parse::{parse_block, ColumnKind, ErrorKind, MissingValues, TextColumn};
use proptest::prelude::*;

fn nulls() -> MissingValues {
    MissingValues::new(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"])
}

fn column(values: &[Vec<u8>]) -> TextColumn {
    let mut c = TextColumn::default();
    for v in values {
        c.data.extend_from_slice(v);
        c.offsets.push(c.data.len() as i64);
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn integers_as_str_parse(v: i64, before in "[ \t]{0,2}", after in "[ \t]{0,2}") {
        let text = format!("{before}{v}{after}");
        prop_assert_eq!(parse_int64(text.as_bytes()), Some(v));
        let padded = format!("{before}{}{}", if v < 0 { "-000" } else { "000" }, v.unsigned_abs());
        prop_assert_eq!(parse_int64(padded.as_bytes()), Some(v));
    }

    #[test]
    fn hex_as_its_bits(v: u64, upper: bool) {
        let text = if upper { format!("0X{v:X}") } else { format!("0x{v:x}") };
        prop_assert_eq!(parse_int64(text.as_bytes()), Some(i64::from_ne_bytes(v.to_ne_bytes())));
    }

    #[test]
    fn any_bytes_get_a_type_whose_values_read_them(
        values in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 1..8)
    ) {
        let c = column(&values);
        let typed = infer_column(&c, &nulls(), b'.');
        prop_assert_eq!(typed.column_type, column_type(&c, &nulls(), b'.'));
        if let Values::Int64(ints) = &typed.values {
            if typed.column_type == ColumnType::Int64 {
                for (v, text) in ints.iter().zip(&values) {
                    if !nulls().contains(text) {
                        prop_assert_eq!(Some(*v), parse_int64(text));
                    }
                }
            }
        }
        let utf8 = values.iter().all(|v| std::str::from_utf8(v).is_ok());
        prop_assert_eq!(typed.column_type == ColumnType::Binary, !utf8);
    }

    #[test]
    fn bytes_columns_are_cut_as_text_columns(
        bytes in prop::collection::vec(
            prop::sample::select(vec![b'a', b'1', b',', b'"', b'\r', b'\n', b' ', 0xe9, 0xff]),
            0..40,
        )
    ) {
        let d = Dialect::CSV;
        let as_bytes = parse_block(&bytes, &d, &nulls(), &[ColumnKind::Bytes; 2], 1, 1);
        match parse_block(&bytes, &d, &nulls(), &[ColumnKind::Text; 2], 1, 1) {
            Ok(text) => prop_assert_eq!(as_bytes, Ok(text)),
            Err(e) if e.kind == ErrorKind::InvalidUtf8 => {
                // Not an error of a bytes column (an error of the records' structure may
                // come later).
                prop_assert!(as_bytes.map_or_else(|e| e.kind != ErrorKind::InvalidUtf8, |_| true));
            }
            Err(e) => prop_assert_eq!(as_bytes, Err(e)),
        }
    }
}
