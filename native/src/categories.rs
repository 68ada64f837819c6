//! The categories of text columns: each distinct value and how often it occurs, as
//! `pyarrow.compute.value_counts` counts them (distinct values in the order of their first
//! appearance), without importing pyarrow's compute module (a third of a small fit's start-up).

use std::collections::HashMap;

/// The distinct values of some text, in the order of their first appearance, with their counts.
#[derive(Debug, Default, PartialEq)]
pub struct Counted {
    /// Arrow string offsets of the distinct values in `data` (one more than the values).
    pub offsets: Vec<i64>,
    pub data: Vec<u8>,
    pub counts: Vec<i64>,
    /// Whether each distinct value is one of those to keep.
    pub pinned: Vec<bool>,
    /// Values that were one of the missing-value strings (not among the distinct values).
    pub missing: i64,
}

/// Counts the values of Arrow string arrays, each given as its offsets (one more than its
/// values, relative to its `data`) and its data. A value equal to one of `missing` is counted
/// as missing; `pinned` tells which distinct values are in `keep`.
pub fn count_values(chunks: &[(&[i32], &[u8])], missing: &[&[u8]], keep: &[&[u8]]) -> Counted {
    let mut index: HashMap<&[u8], usize> = HashMap::new();
    let mut order: Vec<&[u8]> = Vec::new();
    let mut counts: Vec<i64> = Vec::new();
    let mut n_missing = 0;
    for &(offsets, data) in chunks {
        for pair in offsets.windows(2) {
            let value = &data[pair[0] as usize..pair[1] as usize];
            if missing.contains(&value) {
                n_missing += 1;
                continue;
            }
            match index.get(value) {
                Some(&i) => counts[i] += 1,
                None => {
                    index.insert(value, order.len());
                    order.push(value);
                    counts.push(1);
                }
            }
        }
    }
    let mut out = Counted {
        offsets: Vec::with_capacity(order.len() + 1),
        counts,
        missing: n_missing,
        ..Counted::default()
    };
    out.offsets.push(0);
    for value in &order {
        out.data.extend_from_slice(value);
        out.offsets.push(out.data.len() as i64);
        out.pinned.push(keep.contains(value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrow(values: &[&str]) -> (Vec<i32>, Vec<u8>) {
        let mut offsets = vec![0];
        let mut data = Vec::new();
        for v in values {
            data.extend_from_slice(v.as_bytes());
            offsets.push(data.len() as i32);
        }
        (offsets, data)
    }

    #[test]
    fn values_are_counted_in_order_of_first_appearance_across_chunks() {
        let (o1, d1) = arrow(&["b", "a", "", "b", "NA"]);
        let (o2, d2) = arrow(&["c", "a", "b"]);
        let found = count_values(&[(&o1, &d1), (&o2, &d2)], &[b"NA", b""], &[b"c", b"zz"]);
        assert_eq!(found.offsets, [0, 1, 2, 3]);
        assert_eq!(found.data, b"bac");
        assert_eq!(found.counts, [3, 2, 1]);
        assert_eq!(found.pinned, [false, false, true]);
        assert_eq!(found.missing, 2);
    }

    #[test]
    fn nothing_counted_gives_no_values() {
        let (o, d) = arrow(&[]);
        let found = count_values(&[(&o, &d)], &[], &[]);
        assert_eq!(found.offsets, [0]);
        assert!(found.counts.is_empty());
    }
}
