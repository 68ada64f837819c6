//! Properties of the CSV scanner and parser on random input: records as the `csv` crate reads
//! them, whatever the blocks they are cut into; floats bit for bit as `str::parse`; parallel
//! parsing as sequential; no panic on arbitrary bytes.

use normkit_native::dialect::Dialect;
use normkit_native::parse::{
    parse_block, parse_blocks_parallel, parse_float, ColumnKind, ErrorKind, MissingValues,
    ParsedBlock,
};
use normkit_native::scan::{
    block_ends, count_lines, last_record_end, parse_header, whole_records_end,
};
use proptest::prelude::*;

const D: Dialect = Dialect::CSV;

/// A random CSV: its bytes, its records' fields (an empty line of a file of one column is a
/// record of one empty field), those the `csv` crate reads (which skips every empty line), and
/// the offset just past each line end (records' and empty lines').
#[derive(Debug, Clone)]
struct Csv {
    bytes: Vec<u8>,
    records: Vec<Vec<String>>,
    crate_records: Vec<Vec<String>>,
    ends: Vec<usize>,
}

fn field() -> impl Strategy<Value = (String, bool)> {
    // Text with every byte that matters, and multi-byte characters.
    let text = prop::collection::vec(
        prop::sample::select(vec![
            "a", "1", ",", "\"", "\r", "\n", "\r\n", " ", "\u{e9}", "x", "\\",
        ]),
        0..6,
    )
    .prop_map(|parts| parts.concat());
    (text, any::<bool>())
}

fn csv(max_cols: usize) -> impl Strategy<Value = Csv> {
    csv_escaped(max_cols, false)
}

/// A random CSV; with `escape`, quotes inside quoted fields are escaped by a backslash or
/// doubled, at random, and backslashes there escaped.
fn csv_escaped(max_cols: usize, escape: bool) -> impl Strategy<Value = Csv> {
    (1..max_cols).prop_flat_map(move |ncols| {
        let record = prop::collection::vec(field(), ncols);
        let line = (
            record,
            prop::sample::select(vec!["\n", "\r\n", "\r"]),
            0..3usize,
        );
        (
            prop::collection::vec(line, 0..12),
            any::<bool>(),
            Just(ncols),
        )
            .prop_map(move |(lines, last_terminated, ncols)| {
                build(lines, last_terminated, ncols, escape)
            })
    })
}

/// A record's fields (text, quoted), its line end and the empty lines after it.
type Line<'a> = (Vec<(String, bool)>, &'a str, usize);

fn build(lines: Vec<Line<'_>>, last_terminated: bool, ncols: usize, escape: bool) -> Csv {
    let mut bytes = Vec::new();
    let mut records = Vec::new();
    let mut crate_records = Vec::new();
    let mut ends = Vec::new();
    let n = lines.len();
    for (i, (fields, terminator, blank_lines)) in lines.into_iter().enumerate() {
        let mut texts = Vec::new();
        for (j, (text, quote)) in fields.into_iter().enumerate() {
            if j > 0 {
                bytes.push(b',');
            }
            // A field must be quoted if it holds a special byte; a single empty field would
            // be an empty line.
            let special = text.contains([',', '"', '\r', '\n']);
            if quote || special || (ncols == 1 && text.is_empty()) {
                bytes.push(b'"');
                if escape {
                    // Each quote escaped or doubled, by the parity of its place.
                    for (k, c) in text.chars().enumerate() {
                        match c {
                            '"' if k % 2 == 0 => bytes.extend_from_slice(b"\\\""),
                            '"' => bytes.extend_from_slice(b"\"\""),
                            '\\' => bytes.extend_from_slice(b"\\\\"),
                            _ => bytes.extend_from_slice(c.to_string().as_bytes()),
                        }
                    }
                } else {
                    bytes.extend_from_slice(text.replace('"', "\"\"").as_bytes());
                }
                bytes.push(b'"');
            } else {
                bytes.extend_from_slice(text.as_bytes());
            }
            texts.push(text);
        }
        records.push(texts.clone());
        crate_records.push(texts);
        if i + 1 < n || last_terminated {
            bytes.extend_from_slice(terminator.as_bytes());
            ends.push(bytes.len());
            for _ in 0..blank_lines {
                // An empty line (an LF after a CR would make a CRLF: a CR then).
                bytes.push(if terminator == "\r" { b'\r' } else { b'\n' });
                ends.push(bytes.len());
                if ncols == 1 {
                    records.push(vec![String::new()]);
                }
            }
        }
    }
    Csv {
        bytes,
        records,
        crate_records,
        ends,
    }
}

fn texts(block: &ParsedBlock) -> Vec<Vec<String>> {
    (0..block.rows)
        .map(|r| {
            block
                .texts
                .iter()
                .map(|c| c.get(r).expect("a row").to_owned())
                .collect()
        })
        .collect()
}

/// The records the `csv` crate reads, with `escape` as the escape character inside quotes.
fn csv_crate(bytes: &[u8], escape: Option<u8>) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .escape(escape)
        .from_reader(bytes);
    reader
        .byte_records()
        .map(|r| {
            r.expect("csv reads it")
                .iter()
                .map(|f| String::from_utf8(f.to_vec()).expect("UTF-8"))
                .collect()
        })
        .collect()
}

fn nulls() -> MissingValues {
    MissingValues::new(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn records_as_the_csv_crate_in_any_blocks(c in csv(5), target in 1usize..40, threads in 1usize..5) {
        let ncols = c.records.first().map_or(1, Vec::len);
        let kinds = vec![ColumnKind::Text; ncols];
        let whole = parse_block(&c.bytes, &D, &nulls(), &kinds, 1, 1).expect("parses");
        prop_assert_eq!(&texts(&whole), &c.records);
        prop_assert_eq!(&csv_crate(&c.bytes, None), &c.crate_records);
        // The line ends counted while parsing: those of the bytes, quoted ones and blank
        // lines too.
        prop_assert_eq!(whole.lines, count_lines(&c.bytes));

        let ends = block_ends(&c.bytes, &D, target, true);
        prop_assert_eq!(ends.last().copied(), (!c.bytes.is_empty()).then_some(c.bytes.len()));
        let mut start = 0;
        for &end in &ends {
            prop_assert!(end > start);
            prop_assert!(end == c.bytes.len() || c.ends.contains(&end), "{} is no record end", end);
            // The first record end at least `target` bytes on, or the end.
            let first = c.ends.iter().copied().find(|&e| e >= start + target);
            prop_assert_eq!(end, first.unwrap_or(c.bytes.len()));
            start = end;
        }
        let blocks = parse_blocks_parallel(&c.bytes, &D, &nulls(), &kinds, &ends, 1, 1, threads)
            .expect("parses");
        let rows: Vec<Vec<String>> = blocks.iter().flat_map(texts).collect();
        prop_assert_eq!(&rows, &c.records);
        prop_assert_eq!(blocks.iter().map(|b| b.lines).sum::<u64>(), count_lines(&c.bytes));

        // Not at the end of the input: the blocks stop at the last complete record.
        let partial = block_ends(&c.bytes, &D, target, false);
        prop_assert_eq!(partial.last().copied(), last_record_end(&c.bytes, &D));
    }

    #[test]
    fn escaped_records_as_the_csv_crate_in_any_blocks(c in csv_escaped(5, true), target in 1usize..40, threads in 1usize..5) {
        let d = D.with_escape(Some(b'\\')).expect("valid");
        let ncols = c.records.first().map_or(1, Vec::len);
        let kinds = vec![ColumnKind::Text; ncols];
        let whole = parse_block(&c.bytes, &d, &nulls(), &kinds, 1, 1).expect("parses");
        prop_assert_eq!(&texts(&whole), &c.records);
        prop_assert_eq!(&csv_crate(&c.bytes, Some(b'\\')), &c.crate_records);
        let ends = block_ends(&c.bytes, &d, target, true);
        for &end in &ends {
            prop_assert!(end == c.bytes.len() || c.ends.contains(&end), "{} is no record end", end);
        }
        let blocks = parse_blocks_parallel(&c.bytes, &d, &nulls(), &kinds, &ends, 1, 1, threads)
            .expect("parses");
        let rows: Vec<Vec<String>> = blocks.iter().flat_map(texts).collect();
        prop_assert_eq!(&rows, &c.records);
        prop_assert_eq!(blocks.iter().map(|b| b.lines).sum::<u64>(), count_lines(&c.bytes));
        let partial = block_ends(&c.bytes, &d, target, false);
        prop_assert_eq!(partial.last().copied(), last_record_end(&c.bytes, &d));
        if let Some(first) = c.records.first() {
            let (names, _) = parse_header(&c.bytes, &d, true).expect("a header");
            prop_assert_eq!(&names, first);
        }
    }

    #[test]
    fn last_record_end_of_any_prefix(c in csv(4), cut in 0usize..200) {
        let cut = cut.min(c.bytes.len());
        let prefix = &c.bytes[..cut];
        // The last line end within the prefix, unless it is a CR that ends the prefix.
        let want = c
            .ends
            .iter()
            .copied()
            .filter(|&e| e <= cut && !(e == cut && prefix[e - 1] == b'\r'))
            .max();
        prop_assert_eq!(last_record_end(prefix, &D), want);
        prop_assert_eq!(whole_records_end(prefix, &D, false), want.unwrap_or(0));
        prop_assert_eq!(whole_records_end(prefix, &D, true), prefix.len());
        let ends = block_ends(prefix, &D, 1, false);
        prop_assert_eq!(ends.last().copied(), want);
        let naive = prefix
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && prefix.get(i + 1) != Some(&b'\n')))
            .count();
        prop_assert_eq!(count_lines(prefix), naive as u64);
    }

    #[test]
    fn header_is_the_first_record(c in csv(4)) {
        prop_assume!(!c.records.is_empty());
        let (names, end) = parse_header(&c.bytes, &D, true).expect("a header");
        prop_assert_eq!(&names, &c.records[0]);
        prop_assert_eq!(end, c.ends.first().copied().unwrap_or(c.bytes.len()));
    }

    /// Numbers as most software writes them, and digit strings of any length.
    #[test]
    fn floats_bit_for_bit_as_std(x in any::<f64>(), digits in "[+-]?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][+-]?[0-9]{1,5})?",
                                 precision in 0usize..25) {
        let mut texts = vec![
            format!("{x}"),
            format!("{x:e}"),
            format!("{x:.precision$}"),
            format!("{x:.precision$e}"),
            format!("{:?}", x as f32),
            digits.clone(),
        ];
        texts.retain(|t| !t.contains("NaN"));
        // Each alone, and all in one float column through the block parser's paths.
        let mut column = Vec::new();
        for t in &texts {
            let want = t.parse::<f64>().ok().map(f64::to_bits);
            prop_assert_eq!(parse_float(t.as_bytes(), b'.').map(f64::to_bits), want, "{}", t);
            let comma = t.replace('.', ",");
            prop_assert_eq!(parse_float(comma.as_bytes(), b',').map(f64::to_bits), want, "{}", comma);
            if want.is_some() {
                column.extend_from_slice(t.as_bytes());
                column.extend_from_slice(b",x\n");
            }
        }
        let kinds = [ColumnKind::Float, ColumnKind::Skip];
        let block = parse_block(&column, &D, &MissingValues::none(), &kinds, 1, 1).expect("numbers");
        let got: Vec<u64> = block.floats[0].values.iter().map(|v| v.to_bits()).collect();
        let want: Vec<u64> = texts.iter().filter_map(|t| t.parse::<f64>().ok()).map(f64::to_bits).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn parallel_as_sequential(rows in prop::collection::vec((any::<f64>(), 0u8..20, "[a-z\"]{0,4}"), 1..150),
                              bad in prop::option::of(0usize..150), target in 1usize..200) {
        let mut text = Vec::new();
        for (i, (x, style, s)) in rows.iter().enumerate() {
            let value = match (Some(i) == bad, style) {
                (true, _) => "oops".to_owned(),
                (_, 0) => "NA".to_owned(),
                (_, 1) => String::new(),
                (_, 2) => format!("\"{x:e}\""),
                (_, 3) => format!(" {x} "),
                _ => format!("{x}"),
            };
            let quoted = format!("\"{}\"", s.replace('"', "\"\""));
            text.extend_from_slice(format!("{value},{quoted}\r\n").as_bytes());
            if style % 7 == 6 {
                text.extend_from_slice(b"\n");
            }
        }
        let kinds = [ColumnKind::Float, ColumnKind::Text];
        let whole = parse_block(&text, &D, &nulls(), &kinds, 5, 7);
        let ends = block_ends(&text, &D, target, true);
        for threads in 1..=8 {
            let blocks = parse_blocks_parallel(&text, &D, &nulls(), &kinds, &ends, 5, 7, threads);
            match (&whole, blocks) {
                (Ok(whole), Ok(blocks)) => {
                    let values: Vec<u64> = blocks.iter().flat_map(|b| b.floats[0].values.iter().map(|v| v.to_bits())).collect();
                    let want: Vec<u64> = whole.floats[0].values.iter().map(|v| v.to_bits()).collect();
                    prop_assert_eq!(values, want);
                    let valid: Vec<bool> = blocks.iter().flat_map(|b| (0..b.rows).map(|i| b.floats[0].is_valid(i))).collect();
                    prop_assert_eq!(valid, (0..whole.rows).map(|i| whole.floats[0].is_valid(i)).collect::<Vec<_>>());
                    prop_assert_eq!(blocks.iter().flat_map(texts).collect::<Vec<_>>(), texts(whole));
                }
                (Err(want), Err(got)) => {
                    prop_assert_eq!(&got, want);
                    prop_assert_eq!(want.kind, ErrorKind::NotANumber);
                    prop_assert_eq!(want.row, 5 + bad.unwrap_or(0) as u64);
                }
                (want, got) => prop_assert!(false, "{:?} vs {:?}", want.is_ok(), got.is_ok()),
            }
        }
    }

    #[test]
    fn no_panic_on_any_bytes(bytes in prop::collection::vec(
                                 prop_oneof![Just(b','), Just(b'"'), Just(b'\r'), Just(b'\n'), Just(b'1'), Just(b'.'), Just(b'e'), Just(b'\\'), any::<u8>()], 0..300),
                             kinds in prop::collection::vec(0u8..3, 0..6), target in 0usize..50,
                             at_eof in any::<bool>()) {
        let kinds: Vec<ColumnKind> = kinds
            .iter()
            .map(|k| [ColumnKind::Skip, ColumnKind::Float, ColumnKind::Text][usize::from(*k)])
            .collect();
        let dialects = [
            D,
            Dialect::new(b';', None, b',').expect("valid"),
            D.with_escape(Some(b'\\')).expect("valid"),
        ];
        for d in &dialects {
            let _ = last_record_end(&bytes, d);
            let _ = parse_header(&bytes, d, at_eof);
            let ends = block_ends(&bytes, d, target, at_eof);
            let _ = parse_block(&bytes, d, &nulls(), &kinds, 1, 1);
            let _ = parse_blocks_parallel(&bytes, d, &nulls(), &kinds, &ends, 1, 1, 3);
            // Block ends are not needed to be sound: any increasing offsets, past the end too.
            let odd = [3, 2, 500];
            let _ = parse_blocks_parallel(&bytes, d, &nulls(), &kinds, &odd, 1, 1, 2);
            let _ = parse_float(&bytes, d.decimal_point);
        }
    }
}
