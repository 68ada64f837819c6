//! Exact streaming moments, bit for bit as `normkit/core/moments.py` computes them.
//!
//! Per column: count, missing count, a *shift* (the first finite value seen), the mean relative to
//! the shift (`mean_offset`), the sums of squared, cubed and fourth-power deviations from the mean
//! (M2, M3, M4), min and max, and with sample weights the sum of the weights `W`.
//!
//! # Algorithms
//!
//! - Within a batch, each column uses the **corrected two-pass algorithm** (the one
//!   scikit-learn's `_incremental_mean_and_var` uses): `mean = sum(x) / n`, then
//!   `M2 = sum((x - mean)^2) - sum(x - mean)^2 / n`, whose correction term removes most of the
//!   rounding left in `mean`; M3 and M4 are sums of `(x - mean)^3` and `(x - mean)^4`. With
//!   frequency weights the same algorithm is weighted (`mean = sum(w x) / W`, ...).
//! - Batches are combined with the pairwise update of **Chan, Golub and LeVeque** (1979) for the
//!   mean and M2, and **Pebay's** (2008) formulas for M3 and M4; both sides are first
//!   *rebased* to one shift.
//! - A batch longer than [`SLICE_ROWS`] rows is cut into slices of that many rows, each
//!   summarized and merged, in order, into the previous ones.
//!
//! # Why the order of operations matters
//!
//! Floating-point addition is not associative: the same numbers summed in another order give
//! other bits. normkit promises that a fit whose parsing and moments run here gives the statistics
//! of its Python path *identically*, so every sum here is taken in numpy's own order:
//!
//! - `np.sum` of a contiguous float64 array is numpy's **pairwise summation**: blocks of at most
//!   128 values summed with 8 interleaved accumulators (combined as
//!   `((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))`, then the remainder added one by one),
//!   larger ranges split in two at a multiple of 8 near the middle; the result is added to the
//!   reduction's initial `0.0` ([`pairwise_sum`]).
//! - `np.einsum("i,i", a, b)` (M3 and M4) is numpy's `sum_of_products_contig_contig_outstride0_two`
//!   for the x86-64 baseline (SSE2: two float64 lanes, multiply then add, no fused multiply-add),
//!   fed by numpy's iterator in buffers of 8192 elements whose partial sums are added to the
//!   output in turn ([`einsum_dot`]).
//! - `float ** 2` in Python is the C library's `pow(x, 2.0)`, which is not always the correctly
//!   rounded `x * x` (glibc's differs in about 1 case in 1200): it is called here too.
//! - Every element-wise numpy expression is evaluated with the same association as Python's
//!   left-to-right operators (`a * b * c / d` is `((a * b) * c) / d`).
//!
//! This was established by experiment against numpy 2.4 on x86-64 (see
//! `tests/data/make_moments_fixture.py` and `tests/moments_fixture.rs`, which check every field of
//! many cases bit for bit). It assumes numpy's x86-64 build with its usual baseline (einsum
//! without fused multiply-add; on aarch64 numpy's einsum fuses them, which is not reproduced
//! here) and the same C library `pow` in both (glibc's, when this crate runs inside Python).
//!
//! One known difference: when the smallest (or largest) value of a column is zero and both `0.0`
//! and `-0.0` occur, numpy's SIMD `min`/`max` return one or the other depending on their
//! positions and on the SIMD instructions numpy picks for the processor; so may this module. The
//! values compare equal; only that zero's sign bit may differ.

use std::fmt;

/// Rows of a column summarized at once by [`batch_moments`] (128 KiB of float64), as
/// `normkit.core.moments.SLICE_ROWS`: a longer batch is summarized in slices of this many rows,
/// merged in order, and that order is part of the result's bits.
pub const SLICE_ROWS: usize = 16_384;

/// Elements per buffer of numpy's iterator, which feeds `np.einsum` its operands in pieces of
/// this size (numpy's default `bufsize`).
const EINSUM_BUFFER: usize = 8192;

/// numpy's pairwise-summation block: ranges of at most this many values are summed directly.
const PAIRWISE_BLOCK: usize = 128;

/// Why moments could not be computed or a stream refused rows.
#[derive(Clone, Debug, PartialEq)]
pub enum MomentsError {
    /// Moments over different numbers of columns (merge, stream, shift).
    ColumnCount {
        /// Columns expected.
        expected: usize,
        /// Columns given.
        found: usize,
    },
    /// A column is not as long as the first one.
    RowCount {
        /// The column (0-based).
        column: usize,
        /// Rows of the first column.
        expected: usize,
        /// Rows of this column.
        found: usize,
    },
    /// Not as many weights as rows (Python's `OptionError` on `sample_weight`).
    WeightCount {
        /// Weights given.
        weights: usize,
        /// Rows given.
        rows: usize,
    },
    /// An infinite value (Python's `DataError`): the first column (0-based) with one, and its
    /// first infinite value's data row (1-based, counted from the start of the part).
    Infinite {
        /// The column (0-based).
        column: usize,
        /// The data row (1-based within the part).
        row: u64,
    },
    /// A weight that is negative, infinite, missing (NaN) or subnormal, with its data row
    /// (1-based within the part).
    BadWeight {
        /// The data row (1-based within the part).
        row: u64,
        /// The weight.
        value: f64,
    },
    /// The sum of the weights overflows float64 by this data row (1-based within the part).
    WeightOverflow {
        /// The last data row of the batch that overflowed.
        row: u64,
    },
}

impl fmt::Display for MomentsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MomentsError::ColumnCount { expected, found } => {
                write!(f, "moments of {expected} columns, but {found} given")
            }
            MomentsError::RowCount {
                column,
                expected,
                found,
            } => write!(
                f,
                "column {column} has {found} rows, but the first column has {expected}"
            ),
            MomentsError::WeightCount { weights, rows } => {
                write!(f, "sample_weight: {weights} weights for {rows} rows")
            }
            MomentsError::Infinite { column, row } => write!(
                f,
                "column {column} at data row {row}: infinite value (out of float64 range or 'inf')"
            ),
            MomentsError::BadWeight { row, value } => {
                let problem = if value.is_nan() {
                    "is missing (null or NaN)".to_string()
                } else if value.is_infinite() {
                    format!("is {value} (infinite)")
                } else if *value < 0.0 {
                    format!("is {value} (negative)")
                } else {
                    format!("is {value:e}, too small for float64 to keep its digits (subnormal)")
                };
                write!(
                    f,
                    "sample_weight at data row {row}: the weight {problem}; weights must be \
                     finite numbers >= 0 (a row of weight w counts as w rows)"
                )
            }
            MomentsError::WeightOverflow { row } => write!(
                f,
                "sample_weight: the sum of the weights overflows float64 by data row {row}"
            ),
        }
    }
}

impl std::error::Error for MomentsError {}

/// Per-column moments of a set of rows, as Python's `Moments` dataclass: every vector has one
/// entry per column.
///
/// The mean is kept as `shift + mean_offset` (see [`Moments::mean`]): `x - shift` is exact for
/// values within a factor of two of the shift (Sterbenz's lemma), so data with a large offset
/// (mean 1e9, std 1) keeps every digit of its deviations through Chan-Golub-LeVeque merges.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    /// Number of non-missing values (with weights: of positive weight).
    pub count: Vec<i64>,
    /// Number of missing values (NaN; with weights: of positive weight).
    pub n_missing: Vec<i64>,
    /// The reference point of `mean_offset`; 0 where unknown.
    pub shift: Vec<f64>,
    /// `mean - shift` (NaN where `count == 0`).
    pub mean_offset: Vec<f64>,
    /// Sum of squared deviations from the mean (0 where `count == 0`).
    pub m2: Vec<f64>,
    /// Smallest non-missing value (NaN where `count == 0`).
    pub min: Vec<f64>,
    /// Largest non-missing value (NaN where `count == 0`).
    pub max: Vec<f64>,
    /// Sum of cubed deviations from the mean (0 where `count == 0`; NaN where unknown).
    pub m3: Vec<f64>,
    /// Sum of fourth-power deviations from the mean (0 where `count == 0`; NaN where unknown).
    pub m4: Vec<f64>,
    /// With sample weights: the sum `W` of the weights of the values counted. None: no weights
    /// (each value weighs 1).
    pub weight: Option<Vec<f64>>,
}

impl Moments {
    /// The moments of zero rows: the identity of [`merge_moments`] (with a weight of 0 per
    /// column if `weighted`), as Python's `Moments.empty`.
    pub fn empty(n_columns: usize, weighted: bool) -> Moments {
        Moments {
            count: vec![0; n_columns],
            n_missing: vec![0; n_columns],
            shift: vec![0.0; n_columns],
            mean_offset: vec![f64::NAN; n_columns],
            m2: vec![0.0; n_columns],
            min: vec![f64::NAN; n_columns],
            max: vec![f64::NAN; n_columns],
            m3: vec![0.0; n_columns],
            m4: vec![0.0; n_columns],
            weight: weighted.then(|| vec![0.0; n_columns]),
        }
    }

    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.count.len()
    }

    /// `W` per column: the sum of the weights, or the count (as float64) without weights.
    pub fn total_weight(&self) -> Vec<f64> {
        match &self.weight {
            Some(w) => w.clone(),
            None => self.count.iter().map(|&c| c as f64).collect(),
        }
    }

    /// Mean of the non-missing values, `shift + mean_offset` (NaN where `count == 0`).
    pub fn mean(&self) -> Vec<f64> {
        self.shift
            .iter()
            .zip(&self.mean_offset)
            .map(|(&s, &o)| s + o)
            .collect()
    }

    /// What rounding `shift + mean_offset` to [`Moments::mean`] lost (Knuth's TwoSum; 0 where
    /// not finite), as Python's `Moments.mean_error`.
    pub fn mean_error(&self) -> Vec<f64> {
        self.shift
            .iter()
            .zip(&self.mean_offset)
            .map(|(&s, &o)| {
                let total = s + o;
                let part = total - s;
                let error = (s - (total - part)) + (o - part);
                if error.is_finite() {
                    error
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Variance `M2 / (count - ddof)` (with weights `M2 / (W - ddof)`); NaN where that divisor
    /// is not above 0.
    pub fn var(&self, ddof: u32) -> Vec<f64> {
        let ddof_f = f64::from(ddof);
        match &self.weight {
            Some(w) => self
                .m2
                .iter()
                .zip(w)
                .map(|(&m2, &w)| {
                    let denom = w - ddof_f;
                    if denom > 0.0 {
                        m2 / denom
                    } else {
                        f64::NAN
                    }
                })
                .collect(),
            None => self
                .m2
                .iter()
                .zip(&self.count)
                .map(|(&m2, &c)| {
                    let denom = c - i64::from(ddof);
                    if denom > 0 {
                        m2 / denom as f64
                    } else {
                        f64::NAN
                    }
                })
                .collect(),
        }
    }

    /// Appends `other`'s columns after these (both weighted, or neither).
    pub fn extend(&mut self, other: Moments) {
        self.count.extend(other.count);
        self.n_missing.extend(other.n_missing);
        self.shift.extend(other.shift);
        self.mean_offset.extend(other.mean_offset);
        self.m2.extend(other.m2);
        self.min.extend(other.min);
        self.max.extend(other.max);
        self.m3.extend(other.m3);
        self.m4.extend(other.m4);
        match (&mut self.weight, other.weight) {
            (Some(w), Some(v)) => w.extend(v),
            (None, None) => {}
            _ => panic!("weighted and unweighted moments joined"),
        }
    }

    /// The same moments relative to another shift (where this one has values), as Python's
    /// `Moments.rebased`: `mean_offset' = (shift - shift') + mean_offset`, computed even where
    /// the shift does not change (which turns a `-0.0` offset into `0.0`, as numpy does).
    pub fn rebased(&self, shift: &[f64]) -> Moments {
        let mut out = self.clone();
        for (((s, o), &count), &target) in out
            .shift
            .iter_mut()
            .zip(out.mean_offset.iter_mut())
            .zip(&self.count)
            .zip(shift)
        {
            let new = if count > 0 { target } else { *s };
            // Python's operand order (`(self.shift - shift) + self.mean_offset`).
            #[allow(clippy::assign_op_pattern)]
            {
                *o = (*s - new) + *o;
            }
            *s = new;
        }
        out
    }
}

/// numpy's pairwise summation (what `np.sum` does on a contiguous float64 array) of `K` sums at
/// once, of the terms `f(a[i], b[i])`, without the reduction's initial value (see
/// [`pairwise_sum`]). Several sums share one traversal, each in its own order.
#[inline]
fn pairwise<const K: usize>(
    a: &[f64],
    b: &[f64],
    f: impl Fn(f64, f64) -> [f64; K] + Copy,
) -> [f64; K] {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    if n < 8 {
        let mut res = [0.0; K];
        for (&u, &v) in a.iter().zip(b) {
            let t = f(u, v);
            for k in 0..K {
                res[k] += t[k];
            }
        }
        res
    } else if n <= PAIRWISE_BLOCK {
        let mut r = [[0.0; 8]; K];
        for j in 0..8 {
            let t = f(a[j], b[j]);
            for k in 0..K {
                r[k][j] = t[k];
            }
        }
        let full = n - n % 8;
        for (x, y) in a[8..full].chunks_exact(8).zip(b[8..full].chunks_exact(8)) {
            for j in 0..8 {
                let t = f(x[j], y[j]);
                for k in 0..K {
                    r[k][j] += t[k];
                }
            }
        }
        let mut res = [0.0; K];
        for k in 0..K {
            let r = &r[k];
            res[k] = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        }
        for (&u, &v) in a[full..].iter().zip(&b[full..]) {
            let t = f(u, v);
            for k in 0..K {
                res[k] += t[k];
            }
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        let left = pairwise(&a[..n2], &b[..n2], f);
        let right = pairwise(&a[n2..], &b[n2..], f);
        let mut res = [0.0; K];
        for k in 0..K {
            res[k] = left[k] + right[k];
        }
        res
    }
}

/// `np.sum(a)` for a contiguous float64 array, bit for bit: numpy's pairwise summation (8
/// interleaved accumulators over blocks of at most 128 values, ranges split in two at a multiple
/// of 8), added to the reduction's initial `0.0`.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    0.0 + pairwise(a, a, |v, _| [v])[0]
}

/// Count, mean and M2 of consecutive batches of `size` rows of one column, relative to `shift`,
/// bit for bit as `normkit.core.running.batch_statistics` computes them with numpy on the
/// shifted values (`x - shift`, an array of shape `(n_batches, size)`): PyTorch's two passes,
/// `mean = sum(x) / n`, then `M2 = sum((x - mean)^2)`, each sum numpy's pairwise summation along
/// the batch; a missing value (NaN) is left out of both (its place summed as 0) and of the count.
/// A batch of missing values only has a NaN mean and an M2 of 0.
///
/// `column` holds the batches' rows, `n_batches * size` of them; `complete` says that none is
/// missing (known from the column's moments: the batches are then not searched for NaN, which
/// would find none). The results are pushed onto
/// `count`, `mean` and `m2`, one per batch. Returns whether a batch of finite values has a
/// mean that is not finite (its sum overflowed): numpy's path, which averages values divided
/// by the count instead, is then to be taken for all of them.
pub fn batch_statistics(
    column: &[f64],
    shift: f64,
    size: usize,
    complete: bool,
    count: &mut Vec<i64>,
    mean: &mut Vec<f64>,
    m2: &mut Vec<f64>,
) -> bool {
    let size = size.max(1);
    let batches = column.len() / size;
    let mut overflow = false;
    let mut at = 0;
    while at + LANES <= batches {
        let lanes: [&[f64]; LANES] =
            std::array::from_fn(|l| &column[(at + l) * size..(at + l + 1) * size]);
        overflow |= batch_lanes(lanes, shift, complete, count, mean, m2);
        at += LANES;
    }
    for batch in column[at * size..batches * size].chunks_exact(size) {
        overflow |= batch_lanes([batch], shift, complete, count, mean, m2);
    }
    overflow
}

/// The batches summed side by side ([`batch_statistics`], [`moments_and_batches`]): two sums in
/// lockstep keep the adder busy where one waits on its last addition (more measured no faster).
const LANES: usize = 2;

/// [`batch_statistics`] of `L` batches of one size, their sums taken side by side.
#[inline(always)]
fn batch_lanes<const L: usize>(
    lanes: [&[f64]; L],
    shift: f64,
    complete: bool,
    count: &mut Vec<i64>,
    mean: &mut Vec<f64>,
    m2: &mut Vec<f64>,
) -> bool {
    let size = lanes[0].len();
    let missing: [usize; L] = if complete {
        [0; L]
    } else {
        lanes.map(|batch| batch.iter().filter(|v| v.is_nan()).count())
    };
    let n: [usize; L] = std::array::from_fn(|l| size - missing[l]);
    let mut m = [0.0; L];
    let mut sq = [0.0; L];
    if missing.iter().all(|&k| k == 0) {
        let total = pairwise_lanes(lanes, |_, v| v - shift);
        for l in 0..L {
            m[l] = (0.0 + total[l]) / size as f64;
        }
        sq = squared_deviations(lanes, shift, m);
    } else {
        // A missing value's place summed as 0; a value's term as in the complete batch (the
        // same bits), so the batches with and without missing values go side by side.
        let total = pairwise_lanes(lanes, |_, v| if v.is_nan() { 0.0 } else { v - shift });
        for l in 0..L {
            m[l] = (0.0 + total[l]) / n[l] as f64;
        }
        let squares = pairwise_lanes(lanes, |l, v| {
            let d = if v.is_nan() { 0.0 } else { (v - shift) - m[l] };
            d * d
        });
        for l in 0..L {
            sq[l] = 0.0 + squares[l];
        }
    }
    let mut overflow = false;
    for l in 0..L {
        if !m[l].is_finite() && n[l] == size && lanes[l].iter().all(|v| (v - shift).is_finite()) {
            overflow = true;
        }
        count.push(n[l] as i64);
        mean.push(m[l]);
        m2.push(sq[l]);
    }
    overflow
}

/// Each batch's sum of squared deviations from its mean `m[l]` (of `x - shift`), none missing:
/// PyTorch's second pass, numpy's pairwise sum added to the reduction's `0.0`.
#[inline(always)]
fn squared_deviations<const L: usize>(lanes: [&[f64]; L], shift: f64, m: [f64; L]) -> [f64; L] {
    let squares = pairwise_lanes(lanes, |l, v| {
        let d = (v - shift) - m[l];
        d * d
    });
    squares.map(|q| 0.0 + q)
}

/// [`pairwise`] of the terms `f(l, x[l][i])` of `L` slices of one length at once, side by side:
/// sum `l` is the one [`pairwise`] takes of slice `l` alone, bit for bit (the same additions in
/// the same order), and the `L` sums keep the adder busy where one would wait on its last
/// addition.
#[inline]
fn pairwise_lanes<const L: usize>(
    x: [&[f64]; L],
    f: impl Fn(usize, f64) -> f64 + Copy,
) -> [f64; L] {
    let n = x[0].len();
    debug_assert!(x.iter().all(|s| s.len() == n));
    if n < 8 {
        let mut res = [0.0; L];
        for l in 0..L {
            for &v in x[l] {
                res[l] += f(l, v);
            }
        }
        res
    } else if n <= PAIRWISE_BLOCK {
        let mut r = [[0.0; 8]; L];
        for l in 0..L {
            for j in 0..8 {
                r[l][j] = f(l, x[l][j]);
            }
        }
        let full = n - n % 8;
        let mut i = 8;
        while i < full {
            for l in 0..L {
                let block = &x[l][i..i + 8];
                for j in 0..8 {
                    r[l][j] += f(l, block[j]);
                }
            }
            i += 8;
        }
        let mut res = [0.0; L];
        for l in 0..L {
            let r = &r[l];
            res[l] = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for &v in &x[l][full..n] {
                res[l] += f(l, v);
            }
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        let left = pairwise_lanes(x.map(|s| &s[..n2]), f);
        let right = pairwise_lanes(x.map(|s| &s[n2..]), f);
        std::array::from_fn(|l| left[l] + right[l])
    }
}

/// Two lanes of numpy's einsum accumulation, for `K` sums.
type Lanes<const K: usize> = [[f64; 2]; K];

/// One block of 8 elements of numpy's `sum_of_products_contig_contig_outstride0_two` (x86-64
/// baseline, SSE2): lane 0 takes the even elements, lane 1 the odd ones, in the order 6, 4, 2, 0.
#[inline(always)]
fn einsum_block<const K: usize>(
    acc: &mut Lanes<K>,
    x: &[f64],
    y: &[f64],
    p: impl Fn(f64, f64) -> [f64; K],
) {
    for off in [6, 4, 2, 0] {
        let t0 = p(x[off], y[off]);
        let t1 = p(x[off + 1], y[off + 1]);
        for k in 0..K {
            acc[k][0] = mul_add(t0[k], acc[k][0]);
            acc[k][1] = mul_add(t1[k], acc[k][1]);
        }
    }
}

/// The last elements (fewer than 8) of a buffer, two by two (numpy's partial loads).
#[inline(always)]
fn einsum_tail<const K: usize>(
    acc: &mut Lanes<K>,
    x: &[f64],
    y: &[f64],
    p: impl Fn(f64, f64) -> [f64; K],
) {
    for (i, (&u, &v)) in x.iter().zip(y).enumerate() {
        let t = p(u, v);
        for k in 0..K {
            acc[k][i % 2] = mul_add(t[k], acc[k][i % 2]);
        }
    }
}

/// `K` sums of products `p(a[i], b[i])` in the order of numpy's `np.einsum("i,i", x, y)` on two
/// contiguous float64 arrays whose products are those: buffers of 8192 elements (numpy's
/// iterator's), each summed in two lanes (even and odd elements) over blocks of 8 taken in the
/// order 6, 4, 2, 0 (products rounded, then added: no fused multiply-add in numpy's x86-64
/// baseline build), the lanes added, and each buffer's sum added to the output in turn.
///
/// Each lane is a chain of dependent additions; two buffers are summed side by side (their
/// chains are independent) so that the processor overlaps them.
#[inline]
fn einsum<const K: usize>(
    a: &[f64],
    b: &[f64],
    p: impl Fn(f64, f64) -> [f64; K] + Copy,
) -> [f64; K] {
    let n = a.len().min(b.len());
    let mut out = [0.0; K];
    let mut start = 0;
    while start < n {
        let mid = (start + EINSUM_BUFFER).min(n);
        let end = (mid + EINSUM_BUFFER).min(n);
        let (x0, y0) = (&a[start..mid], &b[start..mid]);
        let (x1, y1) = (&a[mid..end], &b[mid..end]);
        let mut acc0: Lanes<K> = [[0.0; 2]; K];
        let mut acc1: Lanes<K> = [[0.0; 2]; K];
        let full0 = x0.len() - x0.len() % 8;
        let full1 = x1.len() - x1.len() % 8;
        let common = full0.min(full1);
        for (((u0, v0), u1), v1) in x0[..common]
            .chunks_exact(8)
            .zip(y0[..common].chunks_exact(8))
            .zip(x1[..common].chunks_exact(8))
            .zip(y1[..common].chunks_exact(8))
        {
            einsum_block(&mut acc0, u0, v0, p);
            einsum_block(&mut acc1, u1, v1, p);
        }
        for (u, v) in x0[common..full0]
            .chunks_exact(8)
            .zip(y0[common..full0].chunks_exact(8))
        {
            einsum_block(&mut acc0, u, v, p);
        }
        for (u, v) in x1[common..full1]
            .chunks_exact(8)
            .zip(y1[common..full1].chunks_exact(8))
        {
            einsum_block(&mut acc1, u, v, p);
        }
        einsum_tail(&mut acc0, &x0[full0..], &y0[full0..], p);
        einsum_tail(&mut acc1, &x1[full1..], &y1[full1..], p);
        for k in 0..K {
            out[k] += acc0[k][0] + acc0[k][1];
            if end > mid {
                out[k] += acc1[k][0] + acc1[k][1];
            }
        }
        start = end;
    }
    out
}

/// `np.einsum("i,i", x, y)` of two contiguous float64 arrays, bit for bit: numpy's
/// `sum_of_products_contig_contig_outstride0_two` for the x86-64 baseline (two lanes, blocks of
/// 8 in the order 6, 4, 2, 0, products rounded then added), over the 8192-element buffers of
/// numpy's iterator, each buffer's sum added to the output in turn.
pub fn einsum_dot(x: &[f64], y: &[f64]) -> f64 {
    einsum(x, y, |u, v| [u * v])[0]
}

/// One step of numpy's einsum accumulation: the product (already rounded) added to a lane.
#[inline(always)]
fn mul_add(product: f64, acc: f64) -> f64 {
    product + acc
}

/// Python's `x ** 2` for a float: the C library's `pow(x, 2.0)` (not always `x * x`). The
/// exponent is hidden from the optimizer, which would otherwise turn the call into `x * x`.
#[inline]
fn py_square(x: f64) -> f64 {
    x.powf(std::hint::black_box(2.0))
}

/// Python's `max(m2, 0.0)`: `m2` unless `0.0 > m2` (NaN and `-0.0` stay).
#[inline]
fn py_max0(m2: f64) -> f64 {
    if 0.0 > m2 {
        0.0
    } else {
        m2
    }
}

/// `np.fmin` of two float64: the one that is not NaN, else the smaller, the second if equal.
#[inline]
fn np_fmin(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        if a.is_nan() {
            b
        } else {
            a
        }
    } else if a < b {
        a
    } else {
        b
    }
}

/// `np.fmax` of two float64: the one that is not NaN, else the larger, the second if equal.
#[inline]
fn np_fmax(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        if a.is_nan() {
            b
        } else {
            a
        }
    } else if a > b {
        a
    } else {
        b
    }
}

/// C's `frexp` exponent (as numpy's `np.frexp(x)[1]`): `x = m * 2^e` with `0.5 <= |m| < 1`; 0
/// for 0, infinities and NaN.
fn frexp_exponent(x: f64) -> i32 {
    if x == 0.0 || !x.is_finite() {
        return 0;
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: normalize by 2^64 (exact) first.
        return frexp_exponent(x * f64::from_bits(0x43f0_0000_0000_0000)) - 64;
    }
    biased - 1022
}

/// `np.ldexp(1.0, e)`: `2^e`, exact, infinite above the float64 range and 0 below it.
fn power_of_two(e: i32) -> f64 {
    if e > 1023 {
        f64::INFINITY
    } else if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else if e >= -1074 {
        f64::from_bits(1u64 << (e + 1074))
    } else {
        0.0
    }
}

/// The first finite value of each column (NaN for a column with none), as Python's
/// `first_values`: the first non-missing value if it is finite (an infinite first value gives
/// NaN).
pub fn first_values(columns: &[&[f64]]) -> Vec<f64> {
    columns
        .iter()
        .map(|x| match x.iter().find(|v| !v.is_nan()) {
            Some(&v) if v.is_finite() => v,
            _ => f64::NAN,
        })
        .collect()
}

/// [`first_values`] of the rows of positive weight (`weights > 0`).
fn first_values_weighted(columns: &[&[f64]], weights: &[f64]) -> Vec<f64> {
    columns
        .iter()
        .map(
            |x| match x.iter().zip(weights).find(|(v, &w)| w > 0.0 && !v.is_nan()) {
                Some((&v, _)) if v.is_finite() => v,
                _ => f64::NAN,
            },
        )
        .collect()
}

/// Missing count, min and max of one column (NaN ignored; min/max NaN if no value), as
/// Python's `column_extremes`, in one pass (8 lanes, which the compiler vectorizes).
fn extremes(x: &[f64]) -> (i64, f64, f64) {
    // Counted in float64 (exact below 2^53), which vectorizes with the comparisons.
    let mut missing = [0.0f64; 8];
    let mut lo = [f64::INFINITY; 8];
    let mut hi = [f64::NEG_INFINITY; 8];
    let mut blocks = x.chunks_exact(8);
    for block in &mut blocks {
        for j in 0..8 {
            let v = block[j];
            missing[j] += if v.is_nan() { 1.0 } else { 0.0 };
            lo[j] = if v < lo[j] { v } else { lo[j] };
            hi[j] = if v > hi[j] { v } else { hi[j] };
        }
    }
    for (j, &v) in blocks.remainder().iter().enumerate() {
        missing[j] += if v.is_nan() { 1.0 } else { 0.0 };
        lo[j] = if v < lo[j] { v } else { lo[j] };
        hi[j] = if v > hi[j] { v } else { hi[j] };
    }
    let missing = missing.iter().sum::<f64>() as u64;
    if missing as usize == x.len() {
        return (missing as i64, f64::NAN, f64::NAN);
    }
    let low = lo
        .iter()
        .copied()
        .fold(f64::INFINITY, |m, v| if v < m { v } else { m });
    let high = hi
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, |m, v| if v > m { v } else { m });
    (missing as i64, low, high)
}

/// Missing count, min and max of each column (NaN ignored; min/max NaN if no value), as
/// Python's `column_extremes`.
pub fn column_extremes(columns: &[&[f64]]) -> (Vec<i64>, Vec<f64>, Vec<f64>) {
    let mut missing = Vec::with_capacity(columns.len());
    let mut lo = Vec::with_capacity(columns.len());
    let mut hi = Vec::with_capacity(columns.len());
    for x in columns {
        let (m, l, h) = extremes(x);
        missing.push(m);
        lo.push(l);
        hi.push(h);
    }
    (missing, lo, hi)
}

/// `out` = the `x[i]` for which `keep(by[i])`, in order, without branches: every value is
/// written, and the next one overwrites it unless it is kept.
fn compact(out: &mut Vec<f64>, x: &[f64], by: &[f64], keep: impl Fn(f64) -> bool) {
    out.clear();
    out.resize(x.len() + 1, 0.0);
    let mut k = 0;
    for (&v, &b) in x.iter().zip(by) {
        out[k] = v;
        k += usize::from(keep(b));
    }
    out.truncate(k);
}

/// Reusable buffers for one slice's column.
#[derive(Default)]
struct Scratch {
    values: Vec<f64>,
    weights: Vec<f64>,
    columns: Vec<Vec<f64>>,
    positive_weights: Vec<f64>,
}

/// Per-column results of one slice, before assembly (as Python's `_assembled`).
struct Row {
    count: i64,
    mean_offset: f64,
    m2: f64,
    m3: f64,
    m4: f64,
    weight: f64,
}

const EMPTY_ROW: Row = Row {
    count: 0,
    mean_offset: f64::NAN,
    m2: 0.0,
    m3: 0.0,
    m4: 0.0,
    weight: 0.0,
};

/// Count, mean (relative to `shift`), M2, M3 and M4 of one column of at most [`SLICE_ROWS`]
/// rows, as Python's `_column_moments`: the corrected two-pass algorithm, `mean = sum(x) / n`,
/// `M2 = sum(dev^2) - sum(dev)^2 / n` with `dev = x - mean`, `M3 = einsum(dev^2, dev)`,
/// `M4 = einsum(dev^2, dev^2)`, each sum in numpy's order. The deviations are recomputed where
/// they are needed rather than stored (the same operations give the same bits).
fn column_moments(
    x: &[f64],
    shift: f64,
    has_missing: bool,
    scratch: &mut Scratch,
    batches: Option<(Grid, usize, &mut [Option<f64>])>,
) -> Row {
    // Python subtracts only a shift that is not 0 (`x - (-0.0)` would turn -0.0 into 0.0);
    // `x - 0.0` is `x`, bit for bit.
    let batch_shift = shift;
    let shift = if shift != 0.0 { shift } else { 0.0 };
    let (values, shift): (&[f64], f64) = if has_missing {
        // Compaction without branches: every value is written, the next one overwrites a NaN.
        scratch.values.clear();
        scratch.values.resize(x.len() + 1, 0.0);
        let mut k = 0;
        for &v in x {
            scratch.values[k] = v - shift;
            k += usize::from(!v.is_nan());
        }
        scratch.values.truncate(k);
        (&scratch.values, 0.0)
    } else {
        (x, shift)
    };
    let n = values.len();
    if n == 0 {
        return EMPTY_ROW;
    }
    let nf = n as f64;
    // The logical batches (`batches`: where they lie, the column's row at `x[0]`, their sums)
    // that are nodes of this column's summation trees take their sums from them: only where the
    // values are the column's own (none left out) and the batches' terms are the moments' (the
    // same shift, bit for bit).
    let batches = batches.filter(|_| !has_missing && batch_shift.to_bits() == shift.to_bits());
    let term = |v: f64, _| [v - shift];
    let total = match batches {
        Some((grid, at, sums)) => {
            pairwise_batched(values, at, &grid, &|x| pairwise(x, x, term), &mut |i, x| {
                let total = pairwise(x, x, term);
                sums[i] = Some(total[0]);
                total
            })
        }
        None => pairwise(values, values, term),
    };
    let mean = (0.0 + total[0]) / nf;
    let dev = |v: f64| (v - shift) - mean;
    let [sum_dev, sum_squares] = pairwise(values, values, |v, _| {
        let d = dev(v);
        [d, d * d]
    });
    let m2 = (0.0 + sum_squares) - py_square(0.0 + sum_dev) / nf;
    let [m3, m4] = einsum(values, values, |v, _| {
        let d = dev(v);
        let s = d * d;
        [s * d, s * s]
    });
    Row {
        count: n as i64,
        mean_offset: mean,
        m2: py_max0(m2),
        m3,
        m4,
        weight: nf,
    }
}

/// Where a column's logical batches lie: `n` batches of `size` rows from row `start`. A batch
/// that is a node of a slice's summation tree (numpy's pairwise recursion) has the sum that
/// [`batch_statistics`] takes of it alone: [`column_moments`] finds it as it sums the column, and
/// it is summed once, not twice.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grid {
    start: usize,
    size: usize,
    n: usize,
}

impl Grid {
    /// The batch that rows `at .. at + len` of the column are, if they are one.
    fn batch(&self, at: usize, len: usize) -> Option<usize> {
        if len != self.size || at < self.start || !(at - self.start).is_multiple_of(self.size) {
            return None;
        }
        let i = (at - self.start) / self.size;
        (i < self.n).then_some(i)
    }

    /// The batches that rows `at .. at + len` of the column hold whole.
    fn within(&self, at: usize, len: usize) -> std::ops::Range<usize> {
        let first = at.saturating_sub(self.start).div_ceil(self.size);
        let end = ((at + len).saturating_sub(self.start) / self.size).min(self.n);
        first.min(end)..end
    }
}

/// [`pairwise`]'s recursion over `x` (rows `at ..` of the column) with `plain` for a node that
/// holds no batch of `batches` and `batch` for one that is a batch: the same sums as `plain(x)`
/// where `batch` returns what `plain` would.
fn pairwise_batched<const K: usize>(
    x: &[f64],
    at: usize,
    batches: &Grid,
    plain: &impl Fn(&[f64]) -> [f64; K],
    batch: &mut impl FnMut(usize, &[f64]) -> [f64; K],
) -> [f64; K] {
    let n = x.len();
    if let Some(i) = batches.batch(at, n) {
        return batch(i, x);
    }
    if n <= PAIRWISE_BLOCK || batches.within(at, n).is_empty() {
        return plain(x);
    }
    let mut n2 = n / 2;
    n2 -= n2 % 8;
    let left = pairwise_batched(&x[..n2], at, batches, plain, batch);
    let right = pairwise_batched(&x[n2..], at + n2, batches, plain, batch);
    std::array::from_fn(|k| left[k] + right[k])
}

/// Weighted count, mean, M2, M3, M4 and `W` of one column of at most [`SLICE_ROWS`] rows, all
/// of positive weight, as Python's `_weighted_column_moments`: the weighted corrected two-pass
/// algorithm, with weights divided by a power of two near the largest.
fn weighted_column_moments(
    x: &[f64],
    w: &[f64],
    shift: f64,
    has_missing: bool,
    scratch: &mut Scratch,
) -> Row {
    let (values, weights): (&[f64], &[f64]) = if has_missing {
        compact(&mut scratch.values, x, x, |v| !v.is_nan());
        compact(&mut scratch.weights, w, x, |v| !v.is_nan());
        (&scratch.values, &scratch.weights)
    } else {
        (x, w)
    };
    let n = values.len();
    if n == 0 {
        return EMPTY_ROW;
    }
    // Weights divided by a power of two near the largest (exactly), sums multiplied back. The
    // division is a multiplication by the inverse power of two: both are the correctly rounded
    // value of the same real number (also where it is subnormal), so they give the same bits.
    let largest = weights.iter().copied().fold(f64::NAN, |m, v| {
        if m.is_nan() || v > m || v.is_nan() {
            v
        } else {
            m
        }
    });
    // Not beyond 2^1023, the largest power of two (a weight of 1e308 is 0.56 * 2^1024).
    let e = frexp_exponent(largest).min(1023);
    let scale = power_of_two(e);
    let inverse = power_of_two(-e);
    let shift = if shift != 0.0 { shift } else { 0.0 };
    let [total, weighted_sum] = pairwise(weights, values, |u, v| {
        let u = u * inverse;
        [u, u * (v - shift)]
    });
    let total = 0.0 + total;
    let mean = (0.0 + weighted_sum) / total;
    let terms = |u: f64, v: f64| {
        let u = u * inverse;
        let d = (v - shift) - mean;
        let weighted = u * d;
        (d, weighted, weighted * d)
    };
    let [sum_squares, sum_weighted] = pairwise(weights, values, |u, v| {
        let (_, weighted, squares) = terms(u, v);
        [squares, weighted]
    });
    let m2 = (0.0 + sum_squares) - py_square(0.0 + sum_weighted) / total;
    let [m3, m4] = einsum(weights, values, |u, v| {
        let (d, _, squares) = terms(u, v);
        [squares * d, squares * (d * d)]
    });
    Row {
        count: n as i64,
        mean_offset: mean,
        m2: py_max0(m2) * scale,
        m3: m3 * scale,
        m4: m4 * scale,
        weight: total * scale,
    }
}

/// The rows of every column, checked to be as long as the first.
fn checked_length(columns: &[&[f64]]) -> Result<usize, MomentsError> {
    let length = columns.first().map_or(0, |x| x.len());
    for (j, x) in columns.iter().enumerate() {
        if x.len() != length {
            return Err(MomentsError::RowCount {
                column: j,
                expected: length,
                found: x.len(),
            });
        }
    }
    Ok(length)
}

fn checked_shift(shift: &[f64], n_columns: usize) -> Result<(), MomentsError> {
    if shift.len() != n_columns {
        return Err(MomentsError::ColumnCount {
            expected: n_columns,
            found: shift.len(),
        });
    }
    Ok(())
}

/// Moments from each column's results, as Python's `_assembled`.
fn assembled(
    rows: Vec<Row>,
    n_missing: Vec<i64>,
    shift: &[f64],
    lo: Vec<f64>,
    hi: Vec<f64>,
    weighted: bool,
) -> Moments {
    Moments {
        count: rows.iter().map(|r| r.count).collect(),
        n_missing,
        shift: shift.to_vec(),
        mean_offset: rows.iter().map(|r| r.mean_offset).collect(),
        m2: rows.iter().map(|r| r.m2).collect(),
        min: lo,
        max: hi,
        m3: rows.iter().map(|r| r.m3).collect(),
        m4: rows.iter().map(|r| r.m4).collect(),
        weight: weighted.then(|| rows.iter().map(|r| r.weight).collect()),
    }
}

/// Moments of one slice (at most [`SLICE_ROWS`] rows) without weights.
fn slice_moments(columns: &[&[f64]], shift: &[f64], scratch: &mut Scratch) -> Moments {
    let (n_missing, lo, hi) = column_extremes(columns);
    let rows = columns
        .iter()
        .zip(shift)
        .zip(&n_missing)
        .map(|((x, &k), &missing)| column_moments(x, k, missing > 0, scratch, None))
        .collect();
    assembled(rows, n_missing, shift, lo, hi, false)
}

/// Moments of one batch, column by column, bit for bit as Python's `batch_moments`.
///
/// `columns`: one slice per column, all of the same length, NaN for a missing value.
/// `shift`: the reference point per column (pass the same one for every batch of a stream so
/// that merges need no rebasing); None: each column's first finite value (0 if none).
///
/// Each column of at most [`SLICE_ROWS`] rows is summarized by the corrected two-pass
/// algorithm with numpy's summation orders (see the module's notes); a longer batch is cut
/// into slices of [`SLICE_ROWS`] rows merged in order by [`merge_moments`]
/// (Chan-Golub-LeVeque, Pebay 2008). An infinite value is not refused here: it makes the
/// column's moments NaN or infinite (a [`MomentsStream`] refuses it).
pub fn batch_moments(columns: &[&[f64]], shift: Option<&[f64]>) -> Result<Moments, MomentsError> {
    let length = checked_length(columns)?;
    let shift: Vec<f64> = match shift {
        Some(s) => {
            checked_shift(s, columns.len())?;
            s.to_vec()
        }
        None => first_values(columns)
            .into_iter()
            .map(|v| if v.is_nan() { 0.0 } else { v })
            .collect(),
    };
    if columns.is_empty() {
        return Ok(Moments::empty(0, false));
    }
    let mut scratch = Scratch::default();
    if length <= SLICE_ROWS {
        return Ok(slice_moments(columns, &shift, &mut scratch));
    }
    let mut merged: Option<Moments> = None;
    let mut parts: Vec<&[f64]> = Vec::with_capacity(columns.len());
    for start in (0..length).step_by(SLICE_ROWS) {
        let end = (start + SLICE_ROWS).min(length);
        parts.clear();
        parts.extend(columns.iter().map(|x| &x[start..end]));
        let part = slice_moments(&parts, &shift, &mut scratch);
        merged = Some(match merged {
            None => part,
            Some(m) => merge_unchecked(&m, &part),
        });
    }
    Ok(merged.unwrap_or_else(|| Moments::empty(columns.len(), false)))
}

/// The statistics of a column's logical batches ([`batch_statistics`]'s `count`, `mean` and
/// `m2`, one per batch, and whether a batch's sum overflowed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchStats {
    pub count: Vec<i64>,
    pub mean: Vec<f64>,
    pub m2: Vec<f64>,
    pub overflow: bool,
}

/// [`batch_moments`] of one column and [`batch_statistics`] of its `n_batches` batches of `size`
/// rows from row `start`, bit for bit as the two apart, in one go: a batch that is a node of a
/// slice's summation tree (a chunk of 65,536 rows in batches of 256 from its first row: every
/// one) is summed with the column, and the others apart while the column is in the cache.
pub fn moments_and_batches(
    x: &[f64],
    shift: f64,
    start: usize,
    n_batches: usize,
    size: usize,
) -> (Moments, BatchStats) {
    assert!(size > 0, "batches of no rows");
    let grid = Grid {
        start,
        size,
        n: n_batches,
    };
    // Each batch's sum of `x - shift` and sum of squared deviations, where found.
    let mut sums: Vec<Option<f64>> = vec![None; n_batches];
    let mut squares: Vec<Option<f64>> = vec![None; n_batches];
    let rows = |i: usize| &x[start + i * size..start + (i + 1) * size];
    let mean = |total: f64| (0.0 + total) / size as f64;
    let mut scratch = Scratch::default();
    let mut merged: Option<Moments> = None;
    for from in (0..x.len().max(1)).step_by(SLICE_ROWS) {
        let part = &x[from..(from + SLICE_ROWS).min(x.len())];
        let (n_missing, lo, hi) = column_extremes(&[part]);
        let found = Some((grid, from, sums.as_mut_slice()));
        let row = column_moments(part, shift, n_missing[0] > 0, &mut scratch, found);
        // The squares of the batches found in the slice, while it is in the cache, side by side.
        let found: Vec<(usize, f64)> = grid
            .within(from, part.len())
            .filter_map(|i| sums[i].map(|total| (i, mean(total))))
            .collect();
        let mut lanes = found.chunks_exact(LANES);
        for group in &mut lanes {
            let batches: [&[f64]; LANES] = std::array::from_fn(|l| rows(group[l].0));
            let q = squared_deviations(batches, shift, std::array::from_fn(|l| group[l].1));
            for l in 0..LANES {
                squares[group[l].0] = Some(q[l]);
            }
        }
        for &(i, m) in lanes.remainder() {
            squares[i] = Some(squared_deviations([rows(i)], shift, [m])[0]);
        }
        let part = assembled(vec![row], n_missing, &[shift], lo, hi, false);
        merged = Some(match merged {
            None => part,
            Some(m) => merge_unchecked(&m, &part),
        });
    }
    let moments = merged.unwrap_or_else(|| Moments::empty(1, false));
    let complete = moments.n_missing[0] == 0;
    let mut out = BatchStats {
        count: Vec::with_capacity(n_batches),
        mean: Vec::with_capacity(n_batches),
        m2: Vec::with_capacity(n_batches),
        overflow: false,
    };
    let mut i = 0;
    while i < n_batches {
        if let (Some(total), Some(q)) = (sums[i], squares[i]) {
            let m = mean(total);
            if !m.is_finite() && rows(i).iter().all(|v| (v - shift).is_finite()) {
                out.overflow = true;
            }
            out.count.push(size as i64);
            out.mean.push(m);
            out.m2.push(q);
            i += 1;
            continue;
        }
        // The batches not found, side by side.
        let mut j = i + 1;
        while j < n_batches && squares[j].is_none() {
            j += 1;
        }
        let stop = start + j * size;
        let (c, m, q) = (&mut out.count, &mut out.mean, &mut out.m2);
        let batches = &x[start + i * size..stop];
        out.overflow |= batch_statistics(batches, shift, size, complete, c, m, q);
        i = j;
    }
    (moments, out)
}

/// Weighted moments of one slice (at most [`SLICE_ROWS`] rows).
fn weighted_slice_moments(
    columns: &[&[f64]],
    weights: &[f64],
    shift: &[f64],
    scratch: &mut Scratch,
) -> Moments {
    let all_positive = weights.iter().all(|&w| w > 0.0);
    let mut columns_kept = std::mem::take(&mut scratch.columns);
    let mut weights_kept = std::mem::take(&mut scratch.positive_weights);
    let (cols, w): (Vec<&[f64]>, &[f64]) = if all_positive {
        (columns.to_vec(), weights)
    } else {
        columns_kept.resize_with(columns.len(), Vec::new);
        for (kept, x) in columns_kept.iter_mut().zip(columns) {
            compact(kept, x, weights, |w| w > 0.0);
        }
        compact(&mut weights_kept, weights, weights, |w| w > 0.0);
        (
            columns_kept[..columns.len()]
                .iter()
                .map(|c| c.as_slice())
                .collect(),
            &weights_kept,
        )
    };
    let (n_missing, lo, hi) = column_extremes(&cols);
    let rows = cols
        .iter()
        .zip(shift)
        .zip(&n_missing)
        .map(|((x, &k), &missing)| weighted_column_moments(x, w, k, missing > 0, scratch))
        .collect();
    let out = assembled(rows, n_missing, shift, lo, hi, true);
    drop(cols);
    scratch.columns = columns_kept;
    scratch.positive_weights = weights_kept;
    out
}

/// Weighted moments of one batch, column by column, bit for bit as Python's
/// `weighted_batch_moments` (frequency weights: a row of weight `w` counts as `w` rows; a row
/// of weight 0, or NaN, is as if absent).
///
/// `weights`: one per row (finite and at least 0; [`MomentsStream`] checks them). `shift`: as
/// for [`batch_moments`]; None: each column's first finite value among rows of positive weight.
///
/// The weighted corrected two-pass algorithm per slice of [`SLICE_ROWS`] rows (weights scaled
/// by a power of two near the largest, exactly, so that products neither underflow nor
/// overflow), slices merged in order with Chan-Golub-LeVeque's and Pebay's (2008) formulas in
/// shares of `W`.
pub fn weighted_batch_moments(
    columns: &[&[f64]],
    weights: &[f64],
    shift: Option<&[f64]>,
) -> Result<Moments, MomentsError> {
    let length = checked_length(columns)?;
    if !columns.is_empty() && weights.len() != length {
        return Err(MomentsError::WeightCount {
            weights: weights.len(),
            rows: length,
        });
    }
    let shift: Vec<f64> = match shift {
        Some(s) => {
            checked_shift(s, columns.len())?;
            s.to_vec()
        }
        None => first_values_weighted(columns, weights)
            .into_iter()
            .map(|v| if v.is_nan() { 0.0 } else { v })
            .collect(),
    };
    if columns.is_empty() {
        return Ok(Moments::empty(0, true));
    }
    let mut scratch = Scratch::default();
    if length <= SLICE_ROWS {
        return Ok(weighted_slice_moments(
            columns,
            weights,
            &shift,
            &mut scratch,
        ));
    }
    let mut merged: Option<Moments> = None;
    let mut parts: Vec<&[f64]> = Vec::with_capacity(columns.len());
    for start in (0..length).step_by(SLICE_ROWS) {
        let end = (start + SLICE_ROWS).min(length);
        parts.clear();
        parts.extend(columns.iter().map(|x| &x[start..end]));
        let part = weighted_slice_moments(&parts, &weights[start..end], &shift, &mut scratch);
        merged = Some(match merged {
            None => part,
            Some(m) => merge_unchecked(&m, &part),
        });
    }
    Ok(merged.unwrap_or_else(|| Moments::empty(columns.len(), true)))
}

/// Combine the moments of two disjoint sets of rows, bit for bit as Python's `merge_moments`.
///
/// The shift is `a`'s where `a` has values, else `b`'s; both sides are rebased to it
/// ([`Moments::rebased`]). Then Chan, Golub and LeVeque's update: `n = n_a + n_b`,
/// `delta = mean_b - mean_a`, `mean = mean_a + delta * (n_b / n)`,
/// `M2 = M2_a + M2_b + delta^2 * (n_a * n_b / n)`, and Pebay's (2008) formulas for M3 and M4;
/// with weights (either side), `W_a` and `W_b` stand for the counts and the formulas are taken
/// in shares `W_a / W`, `W_b / W` (which cannot overflow as `W_a * W_b` can). Where one side is
/// empty the other's moments are taken as they are. Commutative up to a bit; associative up to
/// rounding.
pub fn merge_moments(a: &Moments, b: &Moments) -> Result<Moments, MomentsError> {
    if a.n_columns() != b.n_columns() {
        return Err(MomentsError::ColumnCount {
            expected: a.n_columns(),
            found: b.n_columns(),
        });
    }
    Ok(merge_unchecked(a, b))
}

/// [`merge_moments`] of moments over the same columns.
fn merge_unchecked(a: &Moments, b: &Moments) -> Moments {
    let k = a.n_columns();
    let shift: Vec<f64> = (0..k)
        .map(|j| {
            if a.count[j] > 0 {
                a.shift[j]
            } else {
                b.shift[j]
            }
        })
        .collect();
    let a = a.rebased(&shift);
    let b = b.rebased(&shift);
    let weighted = a.weight.is_some() || b.weight.is_some();
    let wa = a.total_weight();
    let wb = b.total_weight();
    let mut out = Moments {
        count: Vec::with_capacity(k),
        n_missing: Vec::with_capacity(k),
        shift,
        mean_offset: Vec::with_capacity(k),
        m2: Vec::with_capacity(k),
        min: Vec::with_capacity(k),
        max: Vec::with_capacity(k),
        m3: Vec::with_capacity(k),
        m4: Vec::with_capacity(k),
        weight: None,
    };
    let mut total = Vec::with_capacity(k);
    for j in 0..k {
        let (n_a, n_b) = (wa[j], wb[j]);
        let n = n_a + n_b;
        total.push(n);
        let delta = b.mean_offset[j] - a.mean_offset[j];
        let mut mean_offset = a.mean_offset[j] + delta * (n_b / n);
        let (mut m2, mut m3, mut m4);
        let d2 = delta * delta;
        let (a2, b2, a3, b3) = (a.m2[j], b.m2[j], a.m3[j], b.m3[j]);
        if weighted {
            let f_b = n_b / n;
            let f_a = n_a / n;
            m2 = a2 + b2 + d2 * (n_a * f_b);
            m3 = a3
                + b3
                + d2 * delta * n_a * f_b * (f_a - f_b)
                + 3.0 * delta * (f_a * b2 - f_b * a2);
            m4 = a.m4[j]
                + b.m4[j]
                + d2 * d2 * n_a * f_b * (f_a * f_a - f_a * f_b + f_b * f_b)
                + 6.0 * d2 * (f_a * f_a * b2 + f_b * f_b * a2)
                + 4.0 * delta * (f_a * b3 - f_b * a3);
        } else {
            m2 = a2 + b2 + d2 * (n_a * n_b / n);
            m3 = a3
                + b3
                + d2 * delta * n_a * n_b * (n_a - n_b) / (n * n)
                + 3.0 * delta * (n_a * b2 - n_b * a2) / n;
            m4 = a.m4[j]
                + b.m4[j]
                + d2 * d2 * n_a * n_b * (n_a * n_a - n_a * n_b + n_b * n_b) / (n * n * n)
                + 6.0 * d2 * (n_a * n_a * b2 + n_b * n_b * a2) / (n * n)
                + 4.0 * delta * (n_a * b3 - n_b * a3) / n;
        }
        if b.count[j] == 0 {
            (mean_offset, m2, m3, m4) = (a.mean_offset[j], a2, a3, a.m4[j]);
        } else if a.count[j] == 0 {
            (mean_offset, m2, m3, m4) = (b.mean_offset[j], b2, b3, b.m4[j]);
        }
        out.count.push(a.count[j] + b.count[j]);
        out.n_missing.push(a.n_missing[j] + b.n_missing[j]);
        out.mean_offset.push(mean_offset);
        out.m2.push(m2);
        out.min.push(np_fmin(a.min[j], b.min[j]));
        out.max.push(np_fmax(a.max[j], b.max[j]));
        out.m3.push(m3);
        out.m4.push(m4);
    }
    out.weight = weighted.then_some(total);
    out
}

/// Exact moments of a stream of rows fed in batches of any size, bit for bit as Python's
/// `Accumulator` without running statistics (`running=None`) when fed the same batches.
///
/// Each [`push`](MomentsStream::push) is one `Accumulator.update`: the shift of a column is
/// fixed by the first finite value it sees (of positive weight), the batch is summarized by
/// [`batch_moments`] (or [`weighted_batch_moments`]) relative to that shift, infinite values
/// are refused with their column and row, and the batch is merged into the moments so far with
/// [`merge_moments`] (Chan-Golub-LeVeque, Pebay 2008). The bits depend on how the rows were cut
/// into batches (as in Python): feed the same batches to get the same bits.
#[derive(Clone, Debug)]
pub struct MomentsStream {
    moments: Moments,
    shift_known: Vec<bool>,
    weighted: bool,
    n_rows: u64,
    part_start: u64,
}

impl MomentsStream {
    /// A stream over `n_columns` columns; `weighted`: rows have sample weights (rows pushed
    /// without weigh 1).
    pub fn new(n_columns: usize, weighted: bool) -> MomentsStream {
        MomentsStream::continued(Moments::empty(n_columns, weighted), 0)
    }

    /// A stream continuing from earlier moments (of `n_rows` rows), as `Accumulator(start=...)`;
    /// weighted if they are. Row numbers in errors count from the first of those rows (until
    /// [`start_part`](MomentsStream::start_part)).
    pub fn continued(start: Moments, n_rows: u64) -> MomentsStream {
        MomentsStream {
            shift_known: start.count.iter().map(|&c| c > 0).collect(),
            weighted: start.weight.is_some(),
            moments: start,
            n_rows,
            // As the Accumulator: row numbers count from the first row the statistics saw.
            part_start: 0,
        }
    }

    /// The rows pushed from now on are a new part (a file): row numbers in errors count from its
    /// start.
    pub fn start_part(&mut self) {
        self.part_start = self.n_rows;
    }

    /// The moments of every row pushed.
    pub fn moments(&self) -> &Moments {
        &self.moments
    }

    /// The moments of every row pushed, ending the stream.
    pub fn finish(self) -> Moments {
        self.moments
    }

    /// Rows pushed (missing values included).
    pub fn n_rows(&self) -> u64 {
        self.n_rows
    }

    /// Whether the moments are weighted.
    pub fn is_weighted(&self) -> bool {
        self.weighted
    }

    fn rows_in_part(&self) -> u64 {
        self.n_rows - self.part_start
    }

    /// Feed rows without weights (they weigh 1 if the stream is weighted).
    ///
    /// # Errors
    ///
    /// [`MomentsError::Infinite`] for an infinite value (the moments are left as they were);
    /// [`MomentsError::RowCount`] / [`MomentsError::ColumnCount`] for columns of the wrong shape.
    pub fn push(&mut self, columns: &[&[f64]]) -> Result<(), MomentsError> {
        self.update(columns, None)
    }

    /// Feed rows with their sample weights (frequency weights, finite and at least 0; a row of
    /// weight 0 is as if absent). The stream is weighted from then on: the rows before weigh 1.
    ///
    /// # Errors
    ///
    /// As [`push`](MomentsStream::push), and [`MomentsError::BadWeight`] for a weight that is
    /// negative, infinite, missing or subnormal, [`MomentsError::WeightCount`] if there are not
    /// as many weights as rows, [`MomentsError::WeightOverflow`] if the sum of the weights
    /// overflows float64.
    pub fn push_weighted(
        &mut self,
        columns: &[&[f64]],
        weights: &[f64],
    ) -> Result<(), MomentsError> {
        self.update(columns, Some(weights))
    }

    fn update(&mut self, columns: &[&[f64]], weights: Option<&[f64]>) -> Result<(), MomentsError> {
        let n_columns = self.moments.n_columns();
        if columns.len() != n_columns {
            return Err(MomentsError::ColumnCount {
                expected: n_columns,
                found: columns.len(),
            });
        }
        let n_rows = checked_length(columns)?;
        let ones;
        let weights: Option<&[f64]> = match weights {
            Some(w) => {
                self.check_weights(w, n_rows)?;
                if !self.weighted {
                    let total = self.moments.total_weight();
                    self.moments.weight = Some(total);
                    self.weighted = true;
                }
                Some(w)
            }
            None if self.weighted => {
                ones = vec![1.0; n_rows];
                Some(&ones)
            }
            None => None,
        };
        if !self.shift_known.iter().all(|&k| k) {
            let values = match weights {
                Some(w) if !w.iter().all(|&v| v != 0.0) => first_values_weighted(columns, w),
                _ => first_values(columns),
            };
            for (j, &v) in values.iter().enumerate() {
                if !v.is_nan() && !self.shift_known[j] {
                    self.moments.shift[j] = v;
                    self.shift_known[j] = true;
                }
            }
        }
        let shift = self.moments.shift.clone();
        let batch = match weights {
            Some(w) => weighted_batch_moments(columns, w, Some(&shift))?,
            None => batch_moments(columns, Some(&shift))?,
        };
        self.check_finite(&batch, columns, weights)?;
        // As the Accumulator: the batch is merged before the sum of the weights is checked
        // (an error leaves it merged, and the rows uncounted).
        self.moments = merge_unchecked(&self.moments, &batch);
        if let Some(w) = &self.moments.weight {
            if !w.iter().all(|v| v.is_finite()) {
                return Err(MomentsError::WeightOverflow {
                    row: self.rows_in_part() + n_rows as u64,
                });
            }
        }
        self.n_rows += n_rows as u64;
        Ok(())
    }

    fn check_weights(&self, weights: &[f64], n_rows: usize) -> Result<(), MomentsError> {
        if weights.len() != n_rows {
            return Err(MomentsError::WeightCount {
                weights: weights.len(),
                rows: n_rows,
            });
        }
        let bad = weights.iter().position(|&w| {
            let tiny = w > 0.0 && w < f64::MIN_POSITIVE;
            w.is_nan() || w < 0.0 || w.is_infinite() || tiny
        });
        match bad {
            Some(k) => Err(MomentsError::BadWeight {
                row: self.rows_in_part() + k as u64 + 1,
                value: weights[k],
            }),
            None => Ok(()),
        }
    }

    fn check_finite(
        &self,
        batch: &Moments,
        columns: &[&[f64]],
        weights: Option<&[f64]>,
    ) -> Result<(), MomentsError> {
        let zero_weights = weights.filter(|w| w.contains(&0.0));
        for (j, x) in columns.iter().enumerate() {
            let mut infinite = batch.min[j].is_infinite() || batch.max[j].is_infinite();
            if let Some(w) = zero_weights {
                infinite |= x.iter().zip(w).any(|(v, &u)| u == 0.0 && v.is_infinite());
            }
            if infinite {
                let k = x.iter().position(|v| v.is_infinite()).unwrap_or(0);
                return Err(MomentsError::Infinite {
                    column: j,
                    row: self.rows_in_part() + k as u64 + 1,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn batches_that_are_nodes_of_a_slice_tree_are_found_and_equal_the_ones_apart() {
        let x: Vec<f64> = (0..SLICE_ROWS)
            .map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 11.0)
            .collect();
        // (size, start, batches found): a node of 16,384 rows' tree is 128 * 2^k rows from a
        // multiple of its length.
        for (size, start, found_expected) in
            [(256, 0, 64), (128, 384, 125), (16_384, 0, 1), (96, 0, 0)]
        {
            let n = (x.len() - start) / size;
            let grid = Grid { start, size, n };
            let mut sums = vec![None; n];
            let found = Some((grid, 0, sums.as_mut_slice()));
            let row = column_moments(&x, x[0], false, &mut Scratch::default(), found);
            let plain = column_moments(&x, x[0], false, &mut Scratch::default(), None);
            assert_eq!(row.m2.to_bits(), plain.m2.to_bits());
            let sums = sums.iter().filter(|s| s.is_some()).count();
            assert_eq!(sums, found_expected, "size {size} from {start}");
            let (_, apart) = moments_and_batches(&x, x[0], start, n, size);
            let (mut c, mut m, mut q) = (vec![], vec![], vec![]);
            let rows = &x[start..start + n * size];
            batch_statistics(rows, x[0], size, true, &mut c, &mut m, &mut q);
            assert_eq!((apart.count, bits(&apart.mean)), (c, bits(&m)));
            assert_eq!(bits(&apart.m2), bits(&q));
        }
    }

    #[test]
    fn sums_side_by_side_are_the_sums_alone() {
        let x: Vec<f64> = (0..2_300).map(|i| (i as f64 * 0.731).sin() * 1e3).collect();
        let y: Vec<f64> = x.iter().map(|v| v * 3.7 - 11.0).collect();
        for n in (0..300).chain([1_024, 1_031, 2_300]) {
            let f = |_: usize, v: f64| v * v - 1.5;
            let [a, b] = pairwise_lanes([&x[..n], &y[..n]], f);
            let alone = |s: &[f64]| pairwise(s, s, |v, _| [f(0, v)])[0];
            assert_eq!(
                (a.to_bits(), b.to_bits()),
                (alone(&x[..n]).to_bits(), alone(&y[..n]).to_bits()),
                "{n}"
            );
        }
    }

    #[test]
    fn batches_within_rows_are_those_held_whole() {
        let grid = Grid {
            start: 5,
            size: 10,
            n: 4,
        }; // rows 5..45
        assert_eq!(grid.within(0, 100), 0..4);
        assert_eq!(grid.within(5, 10), 0..1);
        assert_eq!(grid.within(6, 10), 1..1);
        assert_eq!(grid.within(14, 20), 1..2);
        assert_eq!(grid.within(40, 100), 4..4);
        assert_eq!(grid.within(0, 3), 0..0);
    }

    #[test]
    fn doc_examples_of_python() {
        let x = [1.0, 2.0, f64::NAN, 3.0];
        let m = batch_moments(&[&x], None).unwrap();
        assert_eq!((m.count[0], m.n_missing[0]), (3, 1));
        assert_eq!((m.mean()[0], m.m2[0]), (2.0, 2.0));

        let w = [2.0, 1.0, 1.0, 0.0];
        let x = [1.0, 2.0, f64::NAN, 5.0];
        let m = weighted_batch_moments(&[&x], &w, None).unwrap();
        assert_eq!((m.count[0], m.n_missing[0]), (2, 1));
        assert_eq!(m.weight.as_ref().unwrap()[0], 3.0);
        assert_eq!(m.mean()[0], 1.3333333333333333);

        let left = batch_moments(&[&[1.0, 2.0]], None).unwrap();
        let right = batch_moments(&[&[3.0]], None).unwrap();
        assert_eq!(merge_moments(&left, &right).unwrap().m2[0], 2.0);
    }

    #[test]
    fn pairwise_matches_numpy_structure() {
        // Values whose sum depends on the order: 1e16 and 1s.
        let mut a = vec![1.0; 300];
        a[0] = 1e16;
        a[150] = -1e16;
        // Left half [0, 144): 1e16 + 143 ones in 8 lanes; right half [144, 300).
        let s = pairwise_sum(&a);
        assert!(s.is_finite());
        assert_eq!(pairwise_sum(&[]), 0.0);
        assert_eq!(pairwise_sum(&[-0.0]).to_bits(), 0.0f64.to_bits());
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
    }

    #[test]
    fn empty_and_missing_columns() {
        let nan = [f64::NAN; 5];
        let c = [7.0; 5];
        let m = batch_moments(&[&nan, &c], None).unwrap();
        assert_eq!(m.count, vec![0, 5]);
        assert_eq!(m.n_missing, vec![5, 0]);
        assert!(m.mean_offset[0].is_nan() && m.min[0].is_nan());
        assert_eq!(m.shift, vec![0.0, 7.0]);
        assert_eq!(bits(&m.mean_offset[1..]), bits(&[0.0]));
        assert_eq!(m.m2, vec![0.0, 0.0]);
        let none: [&[f64]; 0] = [];
        assert_eq!(
            batch_moments(&none, None).unwrap(),
            Moments::empty(0, false)
        );
    }

    #[test]
    fn shape_errors() {
        let a = [1.0, 2.0];
        let b = [1.0];
        assert!(matches!(
            batch_moments(&[&a, &b], None),
            Err(MomentsError::RowCount { column: 1, .. })
        ));
        assert!(matches!(
            weighted_batch_moments(&[&a], &[1.0], None),
            Err(MomentsError::WeightCount { .. })
        ));
        assert!(merge_moments(&Moments::empty(1, false), &Moments::empty(2, false)).is_err());
    }

    #[test]
    fn stream_refuses_infinity_with_row() {
        let mut s = MomentsStream::new(2, false);
        s.push(&[&[1.0, 2.0], &[1.0, 2.0]]).unwrap();
        let err = s
            .push(&[&[1.0, 2.0, 3.0], &[1.0, f64::NEG_INFINITY, 2.0]])
            .unwrap_err();
        assert_eq!(err, MomentsError::Infinite { column: 1, row: 4 });
        assert_eq!(s.n_rows(), 2);
        // A zero-weight row's infinity is refused too.
        let mut s = MomentsStream::new(1, true);
        let err = s
            .push_weighted(&[&[1.0, f64::INFINITY]], &[1.0, 0.0])
            .unwrap_err();
        assert_eq!(err, MomentsError::Infinite { column: 0, row: 2 });
        let err = s.push_weighted(&[&[1.0, 2.0]], &[1.0, -1.0]).unwrap_err();
        assert!(matches!(err, MomentsError::BadWeight { row: 2, .. }));
        assert!(err.to_string().contains("negative"));
    }

    #[test]
    fn stream_refuses_a_sum_of_weights_beyond_float64() {
        let mut s = MomentsStream::new(1, true);
        s.push_weighted(&[&[1.0, 2.0]], &[1e308, 1e308])
            .unwrap_err();
        let err = s.push_weighted(&[&[1.0]], &[1.0]);
        assert_eq!(err, Err(MomentsError::WeightOverflow { row: 1 }));
        let mut s = MomentsStream::new(1, false);
        s.push(&[&[1.0, 2.0]]).unwrap();
        s.push_weighted(&[&[3.0]], &[2.0]).unwrap();
        let m = s.moments();
        assert_eq!(m.weight.as_deref(), Some(&[4.0][..]));
        assert_eq!(m.count, vec![3]);
        assert_eq!(m.mean()[0], 2.25);
    }

    #[test]
    fn frexp_and_powers_of_two() {
        assert_eq!(frexp_exponent(1.0), 1);
        assert_eq!(frexp_exponent(0.5), 0);
        assert_eq!(frexp_exponent(3.0), 2);
        assert_eq!(frexp_exponent(f64::MAX), 1024);
        assert_eq!(frexp_exponent(5e-324), -1073);
        assert_eq!(frexp_exponent(f64::INFINITY), 0);
        assert_eq!(power_of_two(1024), f64::INFINITY);
        assert_eq!(power_of_two(-1074), 5e-324);
        assert_eq!(power_of_two(3), 8.0);
    }

    #[test]
    fn large_offset_keeps_digits() {
        let x: Vec<f64> = (0..50_000)
            .map(|i| 1e9 + ((i * 7919) % 1000) as f64 / 500.0)
            .collect();
        let m = batch_moments(&[&x], None).unwrap();
        let var = m.var(0)[0];
        // Values k/500 for k uniform over 0..1000: variance (1000^2 - 1) / 12 / 500^2.
        let exact = (1000.0f64 * 1000.0 - 1.0) / 12.0 / 250_000.0;
        assert!((var - exact).abs() < 1e-3 * exact, "{var} vs {exact}");
    }
}
