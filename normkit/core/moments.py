"""Exact streaming moments: count, mean, sum of squared deviations (M2), min, max, missing count.

Pure numerics over numpy arrays, accumulated in float64 whatever the input dtype.

Within one batch, each column uses the corrected two-pass algorithm (the one scikit-learn's
``_incremental_mean_and_var`` uses): ``mean = sum(x) / n``, then ``M2 = sum((x - mean)**2) -
sum(x - mean)**2 / n``, whose correction term removes most of the rounding left in ``mean``.
Batches are combined with the pairwise update of Chan, Golub and LeVeque (1979), which is exact in
exact arithmetic and numerically stable, so the result does not depend on how rows are split into
batches, shards or workers beyond rounding.

Data with a large offset (mean 1e9, std 1) needs one more step: a batch mean stored as a float64
near 1e9 carries an absolute error of up to 6e-8, and Chan's update squares differences of such
means, so with many small batches the variance would lose about 1e-8 of its value. The moments are
therefore kept relative to a per-column *shift* (the first value seen, a sample of the data):
``x - shift`` is exact for values within a factor of two of the shift (Sterbenz's lemma), so the
deviations keep every digit and the mean is only rounded once, when ``shift + mean_offset`` is
formed at the end.

The third and fourth central moments (M3, M4: sums of cubed and fourth-power deviations from the
mean) are kept too, for the kurtosis that drift's tests need. They merge with Pebay's (2008)
formulas, exact in exact arithmetic like Chan's for M2; where either side's are unknown (NaN:
statistics of an older stat file, or rows counted without them) the result's are unknown.

Sample weights are frequency weights: a row of weight ``w`` counts as ``w`` rows. Each column then
keeps ``weight``, the sum ``W`` of the weights of its values, and its moments are weighted:
``mean = sum(w x) / W``, ``M2 = sum(w (x - mean)**2)`` (M3, M4 likewise), ``var = M2 / (W -
ddof)``; a batch uses the same corrected two-pass algorithm with weights (scikit-learn's
weighted ``_incremental_mean_and_var``), and merges use Chan's and Pebay's formulas with ``W`` in
place of the count, so weighted moments merge as exactly as counted ones. A row of weight 0 is as
if absent: its values are neither counted (``count`` is the number of values of positive
weight) nor missing, and do not move min or max. ``missing_weight`` is the sum of the weights of
a column's missing values (a missing value of weight 3 is 3 missing rows), so that the missing
rate ``missing_weight / (missing_weight + W)`` is that of the rows the weights stand for. Moments
without weights (``weight`` and ``missing_weight`` None: every row weighs 1, ``W = count``) are
computed and merged exactly as before, bit for bit. The values of rows of weight 0 are counted
apart (``zero_weight_count``), so that a column of no value at all is told from one whose values
all weigh 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from .. import _native
from .values import by_value

__all__ = [
    "SLICE_ROWS",
    "Moments",
    "batch_moments",
    "first_values",
    "merge_moments",
    "moments_and_batches",
    "moments_of",
    "weighted_batch_moments",
]


@by_value
@dataclass(frozen=True, eq=False)
class Moments:
    """Per-column moments of a set of rows; every array has shape ``(n_columns,)``.

    Attributes
    ----------
    count : ndarray of int64
        Number of non-missing values.
    n_missing : ndarray of int64
        Number of missing values (null or NaN).
    shift : ndarray of float64
        The reference point of ``mean_offset`` (see the module's notes); 0 where unknown.
    mean_offset : ndarray of float64
        ``mean - shift`` (NaN where ``count == 0``).
    m2 : ndarray of float64
        Sum of squared deviations from the mean (0 where ``count == 0``).
    min, max : ndarray of float64
        Extremes of the non-missing values (NaN where ``count == 0``).
    m3, m4 : ndarray of float64, optional
        Sums of cubed and fourth-power deviations from the mean (0 where ``count == 0``; NaN
        where unknown, the default).
    weight : ndarray of float64 or None
        With sample weights: the sum of the weights of the values counted (0 where ``count ==
        0``). None, the default: no weights (each value weighs 1).
    missing_weight : ndarray of float64 or None
        With sample weights: the sum of the weights of the missing values (NaN where unknown:
        statistics of a stat file written without it; the default). None without weights.
    zero_weight_count : ndarray of int64 or None
        With sample weights: the number of values (not missing) in rows of weight 0, which the
        fields above leave out. None without weights, or where unknown (the default: a stat
        file does not record it). A fact of the pass, not of the statistics: left out of
        equality.
    """

    count: np.ndarray
    n_missing: np.ndarray
    shift: np.ndarray
    mean_offset: np.ndarray
    m2: np.ndarray
    min: np.ndarray
    max: np.ndarray
    m3: np.ndarray = None  # type: ignore[assignment]
    m4: np.ndarray = None  # type: ignore[assignment]
    weight: np.ndarray | None = None
    missing_weight: np.ndarray | None = None
    zero_weight_count: np.ndarray | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in ("m3", "m4"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.full(len(self.count), np.nan))
        if self.weight is None:
            object.__setattr__(self, "missing_weight", None)
            object.__setattr__(self, "zero_weight_count", None)
        elif self.missing_weight is None:
            object.__setattr__(self, "missing_weight", np.full(len(self.count), np.nan))

    @classmethod
    def empty(cls, n_columns: int, weighted: bool = False) -> Moments:
        """The moments of zero rows: the identity of :func:`merge_moments` (with a weight of 0
        per column if ``weighted``)."""
        nan = np.full(n_columns, np.nan)
        zero = np.zeros(n_columns, dtype=np.int64)
        return cls(
            zero,
            zero.copy(),
            np.zeros(n_columns),
            nan,
            np.zeros(n_columns),
            nan.copy(),
            nan.copy(),
            np.zeros(n_columns),
            np.zeros(n_columns),
            np.zeros(n_columns) if weighted else None,
            np.zeros(n_columns) if weighted else None,
            zero.copy() if weighted else None,
        )

    @classmethod
    def from_mean(
        cls,
        count: np.ndarray,
        n_missing: np.ndarray,
        mean: np.ndarray,
        m2: np.ndarray,
        min: np.ndarray,
        max: np.ndarray,
        mean_error: np.ndarray | None = None,
        m3: np.ndarray | None = None,
        m4: np.ndarray | None = None,
        weight: np.ndarray | None = None,
        missing_weight: np.ndarray | None = None,
    ) -> Moments:
        """Moments from a mean (as a stat file holds them), shifted to that mean; ``mean_error``
        (see :attr:`mean_error`) restores the digits its rounding lost; ``m3`` and ``m4`` NaN
        (unknown) if not given; ``weight`` None: no sample weights; ``missing_weight`` NaN
        (unknown) if not given with weights."""
        mean = np.asarray(mean, dtype=np.float64)
        error = 0.0 if mean_error is None else np.asarray(mean_error, dtype=np.float64)
        shift = np.where(np.isfinite(mean), mean, 0.0)
        # An infinite mean stays infinite (shift 0, offset inf), so that a check names it.
        offset = np.where(np.isfinite(mean), error, mean)
        return cls(
            np.asarray(count, dtype=np.int64),
            np.asarray(n_missing, dtype=np.int64),
            shift,
            offset,
            np.asarray(m2, dtype=np.float64),
            np.asarray(min, dtype=np.float64),
            np.asarray(max, dtype=np.float64),
            None if m3 is None else np.asarray(m3, dtype=np.float64),
            None if m4 is None else np.asarray(m4, dtype=np.float64),
            None if weight is None else np.asarray(weight, dtype=np.float64),
            None if missing_weight is None else np.asarray(missing_weight, dtype=np.float64),
        )

    @property
    def n_columns(self) -> int:
        return len(self.count)

    @property
    def total_weight(self) -> np.ndarray:
        """``W`` per column, as float64: the sum of the weights, or the count without weights."""
        return self.count.astype(np.float64) if self.weight is None else self.weight

    @property
    def total_missing_weight(self) -> np.ndarray:
        """The weight of each column's missing values, as float64: the sum of their weights (0
        where none is missing, known or not), or their number without weights; NaN where
        unknown."""
        if self.missing_weight is None:
            return self.n_missing.astype(np.float64)
        return np.where(self.n_missing == 0, 0.0, self.missing_weight)

    @property
    def weightless_values(self) -> np.ndarray | None:
        """The number of each column's values in rows of weight 0 (int64): 0 without weights,
        where every row weighs 1; None where unknown (see :attr:`zero_weight_count`)."""
        if self.weight is None:
            return np.zeros(len(self.count), dtype=np.int64)
        return self.zero_weight_count

    @cached_property
    def mean(self) -> np.ndarray:
        """Mean of the non-missing values (NaN where ``count == 0``)."""
        return self.shift + self.mean_offset

    @cached_property
    def mean_error(self) -> np.ndarray:
        """What rounding ``shift + mean_offset`` to :attr:`mean` lost (0 where ``count == 0``):
        ``mean + mean_error`` equals ``shift + mean_offset`` exactly (Knuth's TwoSum). Kept in
        stat files so that statistics merged from them lose nothing to that rounding."""
        with np.errstate(invalid="ignore", over="ignore"):
            total = self.shift + self.mean_offset
            part = total - self.shift
            error = (self.shift - (total - part)) + (self.mean_offset - part)
        return np.where(np.isfinite(error), error, 0.0)

    def var(self, ddof: int = 0) -> np.ndarray:
        """Variance ``M2 / (count - ddof)`` (with weights ``M2 / (W - ddof)``, the frequency
        weights' estimate); NaN where that divisor is not above 0."""
        if self.weight is not None:
            denom = self.weight - ddof
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(denom > 0, self.m2 / np.where(denom > 0, denom, 1.0), np.nan)
        denom = self.count - ddof
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denom > 0, self.m2 / np.maximum(denom, 1), np.nan)

    def rebased(self, shift: np.ndarray) -> Moments:
        """The same moments relative to another shift (where this one has values)."""
        shift = np.where(self.count > 0, shift, self.shift)
        return replace(self, shift=shift, mean_offset=(self.shift - shift) + self.mean_offset)


def first_values(columns: Sequence[np.ndarray]) -> np.ndarray:
    """The first non-missing value of each column if it is finite, else NaN (a column with no
    value, or whose first value is infinite): a good shift."""
    shift = np.full(len(columns), np.nan)
    columns = [np.asarray(x, dtype=np.float64) for x in columns]
    head = min((len(x) for x in columns), default=0)
    head = min(head, 64)
    rest = range(len(columns))
    if head:
        # The first rows of every column at once (20,000 columns cost 0.6 s one by one).
        top = np.stack([x[:head] for x in columns])
        valid = ~np.isnan(top)
        found = valid.any(axis=1)
        first = top[np.arange(len(columns)), valid.argmax(axis=1)]
        shift[found] = first[found]
        rest = np.flatnonzero(~found)
    for j in rest:  # columns missing in their first rows
        valid = np.flatnonzero(~np.isnan(columns[j]))
        if valid.size:
            shift[j] = columns[j][valid[0]]
    with np.errstate(invalid="ignore"):
        shift[np.isinf(shift)] = np.nan
    return shift


#: Rows of a column summarized at once by :func:`batch_moments` (128 KiB of float64): a longer
#: batch is summarized in slices of this many rows, merged in order (the native engine's
#: ``SLICE_ROWS``; that order is part of the result's bits).
SLICE_ROWS = 16_384


def _float_columns(columns: Sequence[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(x, dtype=np.float64) for x in columns]


def batch_moments(columns: Sequence[np.ndarray], shift: np.ndarray | None = None) -> Moments:
    """Moments of one batch, column by column.

    Each column is summarized by the corrected two-pass algorithm: ``mean = sum(x) / n`` (numpy's
    pairwise summation), ``M2 = sum(dev**2) - sum(dev)**2 / n`` with ``dev = x - mean``, and
    M3, M4 as sums of ``dev**3`` and ``dev**4``; a batch longer than :data:`SLICE_ROWS` rows is
    summarized in slices merged in order. The native engine computes it (columns shared among
    the cores, the GIL released) with numpy's own orders of summation, so the bits are those of
    the same formulas in numpy, whatever the number of threads.

    Parameters
    ----------
    columns : sequence of 1-d arrays, each of length n_rows
        One array per column; NaN marks a missing value. Any real dtype; computed in float64.
    shift : ndarray of float64, shape (n_columns,), optional
        Reference point per column (see the module's notes); default: each column's first value.
        Pass the same shift for every batch of a stream so that merges need no rebasing.

    Returns
    -------
    Moments
        An infinite value is not refused here: it makes its column's moments NaN or infinite
        (the :class:`~normkit.core.accumulator.Accumulator` refuses it).

    Examples
    --------
    >>> import numpy as np
    >>> m = batch_moments([np.array([1.0, 2.0, np.nan, 3.0])])
    >>> int(m.count[0]), int(m.n_missing[0]), float(m.mean[0]), float(m.m2[0])
    (3, 1, 2.0, 2.0)
    """
    columns = _float_columns(columns)
    _check_lengths(columns)
    if shift is None:
        shift = np.nan_to_num(first_values(columns), nan=0.0)
    shift = np.asarray(shift, dtype=np.float64)
    return Moments(*_native.batch_moments(columns, shift, threads=0))


def weighted_batch_moments(
    columns: Sequence[np.ndarray], weights: np.ndarray, shift: np.ndarray | None = None
) -> Moments:
    """Weighted moments of one batch, column by column (see the module's notes).

    The weighted corrected two-pass algorithm, per slice of :data:`SLICE_ROWS` rows: weights
    are divided by a power of two near the largest (exactly) so that neither tiny nor huge
    weights underflow or overflow in the products; ``mean = sum(w x) / W``, ``M2 = sum(w
    dev**2) - sum(w dev)**2 / W``; rows of weight 0 are left out. Computed natively, as
    :func:`batch_moments`; the weight of each column's missing values (``missing_weight``) is
    summed here.

    Parameters
    ----------
    columns : sequence of 1-d arrays, each of length n_rows
        As for :func:`batch_moments`.
    weights : 1-d array of float64, shape (n_rows,)
        Each row's weight: finite and at least 0 (the caller checks them); a row of weight 0
        is as if absent.
    shift : ndarray of float64, shape (n_columns,), optional

    Returns
    -------
    Moments
        With ``weight`` and ``missing_weight``.

    Examples
    --------
    >>> import numpy as np
    >>> m = weighted_batch_moments([np.array([1.0, 2.0, np.nan, 5.0])], np.array([2.0, 1, 4, 0]))
    >>> int(m.count[0]), int(m.n_missing[0]), float(m.weight[0]), float(m.mean[0])
    (2, 1, 3.0, 1.3333333333333333)
    >>> float(m.missing_weight[0])
    4.0
    """
    columns = _float_columns(columns)
    weights = np.asarray(weights, dtype=np.float64)
    _check_lengths(columns, len(weights))
    if shift is None:
        positive = weights > 0
        shift = np.nan_to_num(first_values([x[positive] for x in columns]), nan=0.0)
    shift = np.asarray(shift, dtype=np.float64)
    moments = Moments(*_native.batch_moments(columns, shift, weights, threads=0))
    missing_weight = np.zeros(len(columns))
    for j in np.flatnonzero(moments.n_missing):
        missing_weight[j] = weights[np.isnan(columns[j])].sum()
    zero_weight_count = np.zeros(len(columns), dtype=np.int64)
    zero = weights == 0
    if zero.any():
        for j, x in enumerate(columns):
            zero_weight_count[j] = np.count_nonzero(~np.isnan(x[zero]))
    return replace(moments, missing_weight=missing_weight, zero_weight_count=zero_weight_count)


def moments_and_batches(
    columns: Sequence[np.ndarray], shift: np.ndarray, start: int, n_batches: int, size: int
) -> tuple[Moments, tuple]:
    """:func:`batch_moments` of the columns, and the statistics of their ``n_batches`` whole
    logical batches of ``size`` rows from row ``start`` (count, mean and M2 relative to
    ``shift``, as :func:`normkit.core.running.batch_statistics` computes them, and whether a
    batch's sum overflowed), in one native pass over each column: the bits of the two apart."""
    columns = _float_columns(columns)
    _check_lengths(columns)
    whole, found = _native.moments_and_batches(columns, shift, start, n_batches, size)
    return Moments(*whole), found


def _check_lengths(columns: Sequence[np.ndarray], rows: int | None = None) -> None:
    lengths = {len(x) for x in columns} | ({rows} if rows is not None else set())
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")


def merge_moments(a: Moments, b: Moments) -> Moments:
    """Combine the moments of two disjoint sets of rows (Chan, Golub and LeVeque's update).

    ``n = n_a + n_b``, ``delta = mean_b - mean_a``, ``mean = mean_a + delta * n_b / n`` and
    ``M2 = M2_a + M2_b + delta**2 * n_a * n_b / n``, with both means taken relative to ``a``'s
    shift (``b`` is rebased first if its shift differs); M3 and M4 by Pebay's formulas (see
    :func:`_merge_higher`). With weights, ``W_a`` and ``W_b`` stand for ``n_a`` and ``n_b`` (a
    side without weights has ``W = count``), and the weights of the missing values add (a side
    without weights has as many as its missing values). Commutative and, up to rounding, associative.

    Parameters
    ----------
    a, b : Moments
        Moments over the same columns.

    Returns
    -------
    Moments

    Examples
    --------
    >>> import numpy as np
    >>> left = batch_moments([np.array([1.0, 2.0])])
    >>> right = batch_moments([np.array([3.0])])
    >>> float(merge_moments(left, right).m2[0])
    2.0
    """
    if a.n_columns != b.n_columns:
        raise ValueError(f"cannot merge moments of {a.n_columns} and {b.n_columns} columns")
    # An empty side has no meaningful shift; keep the other side's.
    shift = np.where(a.count > 0, a.shift, b.shift)
    a, b = a.rebased(shift), b.rebased(shift)
    weighted = a.weight is not None or b.weight is not None
    n_a, n_b = a.total_weight, b.total_weight
    # Overflow (a variance beyond float64, weights summed beyond it) shows as an infinite M2
    # or weight, which fitting and merging report.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        n = n_a + n_b
        delta = b.mean_offset - a.mean_offset
        mean_offset = a.mean_offset + delta * (n_b / n)
        if weighted:  # the same formulas in shares of W, which cannot overflow as W_a * W_b can
            m2 = a.m2 + b.m2 + delta * delta * (n_a * (n_b / n))
            m3, m4 = _merge_higher_weighted(a, b, delta, n_a, n_b / n, n_a / n)
        else:
            m2 = a.m2 + b.m2 + delta * delta * (n_a * n_b / n)
            m3, m4 = _merge_higher(a, b, delta, n_a, n_b, n)
    # Where one side is empty the formulas divide 0 by 0 or see a NaN mean; take the other side.
    n_a, n_b = a.count, b.count
    mean_offset = np.where(n_b == 0, a.mean_offset, np.where(n_a == 0, b.mean_offset, mean_offset))
    m2 = np.where(n_b == 0, a.m2, np.where(n_a == 0, b.m2, m2))
    m3 = np.where(n_b == 0, a.m3, np.where(n_a == 0, b.m3, m3))
    m4 = np.where(n_b == 0, a.m4, np.where(n_a == 0, b.m4, m4))
    zero_a, zero_b = a.weightless_values, b.weightless_values
    return Moments(
        a.count + b.count,
        a.n_missing + b.n_missing,
        shift,
        mean_offset,
        m2,
        np.fmin(a.min, b.min),
        np.fmax(a.max, b.max),
        m3,
        m4,
        n if weighted else None,
        a.total_missing_weight + b.total_missing_weight if weighted else None,
        None if zero_a is None or zero_b is None else zero_a + zero_b,
    )


def _merge_higher_weighted(
    a: Moments, b: Moments, delta: np.ndarray, n_a: np.ndarray, f_b: np.ndarray, f_a: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_merge_higher` with the shares ``f_a = W_a / W`` and ``f_b = W_b / W``."""
    d2 = delta * delta
    m3 = a.m3 + b.m3 + d2 * delta * n_a * f_b * (f_a - f_b) + 3 * delta * (f_a * b.m2 - f_b * a.m2)
    m4 = (
        a.m4
        + b.m4
        + d2 * d2 * n_a * f_b * (f_a * f_a - f_a * f_b + f_b * f_b)
        + 6 * d2 * (f_a * f_a * b.m2 + f_b * f_b * a.m2)
        + 4 * delta * (f_a * b.m3 - f_b * a.m3)
    )
    return m3, m4


def _merge_higher(
    a: Moments, b: Moments, delta: np.ndarray, n_a: np.ndarray, n_b: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """M3 and M4 of two sets of rows together (Pebay, "Formulas for robust, one-pass parallel
    computation of covariances and arbitrary-order statistical moments", 2008)::

        M3 = M3_a + M3_b + d^3 n_a n_b (n_a - n_b) / n^2 + 3 d (n_a M2_b - n_b M2_a) / n
        M4 = M4_a + M4_b + d^4 n_a n_b (n_a^2 - n_a n_b + n_b^2) / n^3
             + 6 d^2 (n_a^2 M2_b + n_b^2 M2_a) / n^2 + 4 d (n_a M3_b - n_b M3_a) / n
    """
    d2 = delta * delta
    m3 = (
        a.m3
        + b.m3
        + d2 * delta * n_a * n_b * (n_a - n_b) / (n * n)
        + 3 * delta * (n_a * b.m2 - n_b * a.m2) / n
    )
    m4 = (
        a.m4
        + b.m4
        + d2 * d2 * n_a * n_b * (n_a * n_a - n_a * n_b + n_b * n_b) / (n * n * n)
        + 6 * d2 * (n_a * n_a * b.m2 + n_b * n_b * a.m2) / (n * n)
        + 4 * delta * (n_a * b.m3 - n_b * a.m3) / n
    )
    return m3, m4


def moments_of(
    count: np.ndarray, mean_offset: np.ndarray, m2: np.ndarray, shift: np.ndarray
) -> Moments:
    """Moments from a count, a mean relative to ``shift`` and an M2 alone: rows whose missing
    values and extremes are counted elsewhere (none here; NaN extremes are ignored by merges)."""
    nan = np.full(len(count), np.nan)
    missing = np.zeros(len(count), dtype=np.int64)
    return Moments(
        np.asarray(count, dtype=np.int64),
        missing,
        np.asarray(shift, dtype=np.float64),
        mean_offset,
        m2,
        nan,
        nan.copy(),
    )
