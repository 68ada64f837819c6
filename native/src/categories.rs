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

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

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

/// A value held by a [`Table`], with its hash.
#[derive(Debug)]
struct Held {
    value: Box<[u8]>,
    hash: u64,
    count: Count,
}

/// A value new to a [`Table`] in the arrays being added: where it is in them, not a copy.
#[derive(Clone, Copy, Debug)]
struct Fresh {
    chunk: usize,
    start: usize,
    end: usize,
    hash: u64,
    count: Count,
}

impl Fresh {
    fn value<'a>(&self, chunks: &[(&[i32], &'a [u8])]) -> &'a [u8] {
        &chunks[self.chunk].1[self.start..self.end]
    }
}

/// The counts of one text column's values, added batch by batch (see the module's notes).
///
/// Each value is hashed once per row. Values new to the table are counted where they are in
/// the arrays being added, in tables kept from one batch to the next, and only those the table
/// keeps are copied: a column of identifiers would otherwise allocate, and free, every value
/// (and grow a fresh hash table every batch, its pages cleared by the kernel).
#[derive(Debug)]
pub struct Table {
    cap: Option<usize>,
    missing_values: Vec<Vec<u8>>,
    keep: HashSet<Box<[u8]>, RandomState>,
    hasher: RandomState,
    /// The values held, in the order of their first appearance, and their positions by hash.
    values: Vec<Held>,
    index: HashTable<usize>,
    /// The values new to the table in the arrays being added, and their positions by hash.
    fresh: Vec<Fresh>,
    fresh_index: HashTable<usize>,
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
            hasher: RandomState::default(),
            values: Vec::new(),
            index: HashTable::new(),
            fresh: Vec::new(),
            fresh_index: HashTable::new(),
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
        self.fresh.clear();
        self.fresh_index.clear();
        for (chunk, &(offsets, data)) in chunks.iter().enumerate() {
            for pair in offsets.windows(2) {
                let (start, end) = (pair[0] as usize, pair[1] as usize);
                let value = &data[start..end];
                let hash = self.hasher.hash_one(value);
                let values = &self.values;
                if let Some(&i) = self.index.find(hash, |&i| *values[i].value == *value) {
                    self.values[i].count.n += 1;
                    continue;
                }
                let fresh = &self.fresh;
                let same = |&i: &usize| fresh[i].value(chunks) == value;
                if let Some(&i) = self.fresh_index.find(hash, same) {
                    self.fresh[i].count.n += 1;
                } else if self.missing_values.iter().any(|m| m.as_slice() == value) {
                    self.missing += 1;
                } else {
                    let pinned = self.keep.contains(value);
                    let count = Count { n: 1, pinned };
                    let i = self.fresh.len();
                    self.fresh.push(Fresh {
                        chunk,
                        start,
                        end,
                        hash,
                        count,
                    });
                    let fresh = &self.fresh;
                    self.fresh_index.insert_unique(hash, i, |&j| fresh[j].hash);
                }
            }
        }
        let held = self.values.len() + self.fresh.len();
        match self.cap.filter(|&cap| held > cap.saturating_mul(2)) {
            Some(cap) => self.keep_top(cap, chunks),
            None => {
                let fresh = std::mem::take(&mut self.fresh);
                for f in &fresh {
                    self.hold(f.value(chunks).into(), f.hash, f.count);
                }
                self.fresh = fresh;
            }
        }
    }

    /// Keeps the values to keep, then the most frequent (ties: the first in byte order), `cap`
    /// in all (more if more are to be kept); the rows of the others go to `other`. The values
    /// kept stay in the order of their first appearance.
    pub fn cut(&mut self, cap: usize) {
        if self.values.len() > cap {
            self.fresh.clear();
            self.keep_top(cap, &[]);
        }
    }

    fn hold(&mut self, value: Box<[u8]>, hash: u64, count: Count) {
        let i = self.values.len();
        self.values.push(Held { value, hash, count });
        let values = &self.values;
        self.index.insert_unique(hash, i, |&j| values[j].hash);
    }

    /// [`Table::cut`] of the values held followed by those of `self.fresh` (in `chunks`).
    fn keep_top(&mut self, cap: usize, chunks: &[(&[i32], &[u8])]) {
        let fresh = std::mem::take(&mut self.fresh);
        let held = || {
            let values = self.values.iter().map(|h| (&h.value[..], h.count));
            values.chain(fresh.iter().map(|f| (f.value(chunks), f.count)))
        };
        let pinned = held().filter(|(_, c)| c.pinned).count();
        let room = cap.saturating_sub(pinned);
        let mut free: Vec<(&[u8], i64)> = held()
            .filter(|(_, c)| !c.pinned)
            .map(|(v, c)| (v, c.n))
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
        let kept = |value: &[u8], count: Count| {
            count.pinned
                || last
                    .as_ref()
                    .is_some_and(|(v, n)| rank(&(value, count.n), &(v, *n)) != Ordering::Greater)
        };
        let mut folded = 0;
        self.values.retain(|h| {
            let keep = kept(&h.value, h.count);
            if !keep {
                folded += h.count.n;
            }
            keep
        });
        for f in &fresh {
            let value = f.value(chunks);
            if kept(value, f.count) {
                self.values.push(Held {
                    value: value.into(),
                    hash: f.hash,
                    count: f.count,
                });
            } else {
                folded += f.count.n;
            }
        }
        self.other += folded;
        self.fresh = fresh;
        self.index.clear();
        let values = &self.values;
        for (i, h) in values.iter().enumerate() {
            self.index.insert_unique(h.hash, i, |&j| values[j].hash);
        }
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
        for held in &self.values {
            out.data.extend_from_slice(&held.value);
            out.offsets.push(out.data.len() as i64);
            out.counts.push(held.count.n);
            out.pinned.push(held.count.pinned);
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

    /// The rule of [`Table`] as written: every value of a batch added, then a cut of the whole
    /// to `cap` (pinned, then most frequent, then first in byte order) if it holds more than
    /// twice `cap`.
    fn by_the_rule(batches: &[Vec<String>], cap: usize, keep: &str) -> (Vec<(String, i64)>, i64) {
        let mut held: Vec<(String, i64)> = Vec::new();
        let mut other = 0;
        let cut = |held: &mut Vec<(String, i64)>, other: &mut i64| {
            let mut ranked: Vec<(String, i64)> =
                held.iter().filter(|(v, _)| v != keep).cloned().collect();
            ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let room = cap - usize::from(held.iter().any(|(v, _)| v == keep));
            let top: Vec<String> = ranked.iter().take(room).map(|(v, _)| v.clone()).collect();
            *other += ranked.iter().skip(room).map(|(_, n)| n).sum::<i64>();
            held.retain(|(v, _)| v == keep || top.contains(v));
        };
        for batch in batches {
            for value in batch {
                match held.iter_mut().find(|(v, _)| v == value) {
                    Some((_, n)) => *n += 1,
                    None => held.push((value.clone(), 1)),
                }
            }
            if held.len() > 2 * cap {
                cut(&mut held, &mut other);
            }
        }
        cut(&mut held, &mut other);
        (held, other)
    }

    #[test]
    fn a_capped_table_follows_its_rule_batch_after_batch() {
        // Values drawn with repeats within and across batches (a linear congruential sequence,
        // skewed to small numbers so that some values recur often).
        let mut state: u64 = 7;
        let batches: Vec<Vec<String>> = (0..40)
            .map(|_| {
                (0..37)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let r = (state >> 33) % 1000;
                        format!("v{}", r * r / 4000)
                    })
                    .collect()
            })
            .collect();
        for cap in [1, 3, 10, 40] {
            let mut table = Table::new(Some(cap), vec![], vec![b"v7".to_vec()]);
            for batch in &batches {
                let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
                let (o, d) = arrow(&refs);
                table.add(&[(&o, &d)]);
            }
            table.cut(cap);
            let found = table.counted();
            let (expected, other) = by_the_rule(&batches, cap, "v7");
            let pairs: Vec<(String, i64)> = names(&found)
                .into_iter()
                .zip(found.counts.iter().copied())
                .collect();
            assert_eq!(pairs, expected, "cap {cap}");
            assert_eq!(found.other, other, "cap {cap}");
        }
    }
}
