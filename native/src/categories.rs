//! The categories of text columns: each distinct value and how often it occurs, counted batch
//! after batch in bounded memory.
//!
//! A [`Table`] keeps its values in the order of their first appearance (as
//! `pyarrow.compute.value_counts` lists them). With a cap, it never holds much more than the cap:
//! once it holds more than twice the cap, it is cut back to the cap by the rule of normkit's
//! category counter (`normkit.core.categories`): the values to keep whatever their count, then
//! the most frequent, ties broken by the first in byte order (which is code-point order for
//! UTF-8); the rows of the others are counted in `other`. A column of identifiers thus costs no
//! more than the cap's values, and no Python string per row.

use std::cmp::Ordering;
use std::collections::HashSet;

use foldhash::fast::RandomState;
use indexmap::IndexMap;

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
    /// Rows of the values left out by a cut (see [`Table`]).
    pub other: i64,
}

#[derive(Clone, Copy, Debug)]
struct Count {
    n: i64,
    pinned: bool,
}

/// The counts of one text column's values, added batch by batch (see the module's notes).
#[derive(Debug)]
pub struct Table {
    cap: Option<usize>,
    missing_values: Vec<Vec<u8>>,
    keep: HashSet<Box<[u8]>, RandomState>,
    values: IndexMap<Box<[u8]>, Count, RandomState>,
    missing: i64,
    other: i64,
}

impl Table {
    /// A table that cuts itself back to `cap` values (None: never), counting values equal to one
    /// of `missing_values` as missing, and keeping those in `keep` whatever their count.
    pub fn new(cap: Option<usize>, missing_values: Vec<Vec<u8>>, keep: Vec<Vec<u8>>) -> Self {
        Table {
            cap,
            missing_values,
            keep: keep.into_iter().map(Vec::into_boxed_slice).collect(),
            values: IndexMap::default(),
            missing: 0,
            other: 0,
        }
    }

    /// Distinct values held now.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds the values of Arrow string arrays, each given as its offsets (one more than its
    /// values, relative to its `data`) and its data; then cuts the table back to its cap if it
    /// holds more than twice the cap.
    pub fn add(&mut self, chunks: &[(&[i32], &[u8])]) {
        for &(offsets, data) in chunks {
            for pair in offsets.windows(2) {
                let value = &data[pair[0] as usize..pair[1] as usize];
                if let Some(count) = self.values.get_mut(value) {
                    count.n += 1;
                } else if self.missing_values.iter().any(|m| m.as_slice() == value) {
                    self.missing += 1;
                } else {
                    let pinned = self.keep.contains(value);
                    self.values.insert(value.into(), Count { n: 1, pinned });
                }
            }
        }
        if let Some(cap) = self.cap {
            if self.values.len() > cap.saturating_mul(2) {
                self.cut(cap);
            }
        }
    }

    /// Keeps the values to keep, then the most frequent (ties: the first in byte order), `cap`
    /// in all (more if more are to be kept); the rows of the others go to `other`. The values
    /// kept stay in the order of their first appearance.
    pub fn cut(&mut self, cap: usize) {
        if self.values.len() <= cap {
            return;
        }
        let pinned = self.values.values().filter(|c| c.pinned).count();
        let room = cap.saturating_sub(pinned);
        let mut free: Vec<(&[u8], i64)> = self
            .values
            .iter()
            .filter(|(_, c)| !c.pinned)
            .map(|(v, c)| (&v[..], c.n))
            .collect();
        // Most frequent first, then by name: the value at `room - 1` is the last one kept.
        let rank = |a: &(&[u8], i64), b: &(&[u8], i64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
        let last: Option<(Box<[u8]>, i64)> = if room == 0 || free.is_empty() {
            None
        } else {
            let at = (room - 1).min(free.len() - 1);
            let (_, found, _) = free.select_nth_unstable_by(at, rank);
            Some((found.0.into(), found.1))
        };
        let mut folded = 0;
        self.values.retain(|value, count| {
            let kept = count.pinned
                || last
                    .as_ref()
                    .is_some_and(|(v, n)| rank(&(value, count.n), &(v, *n)) != Ordering::Greater);
            if !kept {
                folded += count.n;
            }
            kept
        });
        self.other += folded;
    }

    /// The values held, in the order of their first appearance, and the missing and other rows.
    pub fn counted(&self) -> Counted {
        let mut out = Counted {
            offsets: Vec::with_capacity(self.values.len() + 1),
            counts: Vec::with_capacity(self.values.len()),
            pinned: Vec::with_capacity(self.values.len()),
            missing: self.missing,
            other: self.other,
            ..Counted::default()
        };
        out.offsets.push(0);
        for (value, count) in &self.values {
            out.data.extend_from_slice(value);
            out.offsets.push(out.data.len() as i64);
            out.counts.push(count.n);
            out.pinned.push(count.pinned);
        }
        out
    }
}

/// Counts the values of Arrow string arrays (see [`Table::add`]) with no cap.
pub fn count_values(chunks: &[(&[i32], &[u8])], missing: &[&[u8]], keep: &[&[u8]]) -> Counted {
    let owned = |values: &[&[u8]]| values.iter().map(|v| v.to_vec()).collect();
    let mut table = Table::new(None, owned(missing), owned(keep));
    table.add(chunks);
    table.counted()
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

    fn names(found: &Counted) -> Vec<String> {
        found
            .offsets
            .windows(2)
            .map(|p| String::from_utf8(found.data[p[0] as usize..p[1] as usize].to_vec()).unwrap())
            .collect()
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
        assert_eq!(found.other, 0);
    }

    #[test]
    fn nothing_counted_gives_no_values() {
        let (o, d) = arrow(&[]);
        let found = count_values(&[(&o, &d)], &[], &[]);
        assert_eq!(found.offsets, [0]);
        assert!(found.counts.is_empty());
    }

    #[test]
    fn a_cut_keeps_the_pinned_then_the_most_frequent_then_the_first_names() {
        let (o, d) = arrow(&["d", "c", "b", "a", "e", "e", "z", "b"]);
        let mut table = Table::new(None, vec![], vec![b"z".to_vec()]);
        table.add(&[(&o, &d)]);
        table.cut(3);
        let found = table.counted();
        // z pinned; e and b counted twice; of the ties at one (d, c, a) none has room.
        assert_eq!(names(&found), ["b", "e", "z"]);
        assert_eq!(found.counts, [2, 2, 1]);
        assert_eq!(found.other, 3);
        table.cut(4); // holds 3: nothing to cut
        assert_eq!(table.len(), 3);
        let mut ties = Table::new(None, vec![], vec![]);
        ties.add(&[(&o, &d)]);
        ties.cut(4);
        assert_eq!(names(&ties.counted()), ["c", "b", "a", "e"]);
    }

    #[test]
    fn a_capped_table_stays_within_twice_its_cap_and_counts_every_row() {
        let ids: Vec<String> = (0..1000).map(|i| format!("row{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut table = Table::new(Some(10), vec![b"NA".to_vec()], vec![b"row999".to_vec()]);
        for batch in refs.chunks(7) {
            let (o, d) = arrow(batch);
            table.add(&[(&o, &d)]);
            assert!(table.len() <= 20);
        }
        table.cut(10);
        let found = table.counted();
        assert_eq!(found.counts.len(), 10);
        assert!(names(&found).contains(&"row999".to_string()));
        assert_eq!(found.counts.iter().sum::<i64>() + found.other, 1000);
    }
}
