"""The batch moments in numpy: the reference the native engine's are checked against, bit for
bit (``normkit.core.moments`` computes them natively, in numpy's orders of summation).

The same operations as the native code's, written with numpy's reductions: ``np.sum`` of a
contiguous array (pairwise summation), ``np.einsum("i,i", ...)`` for M3 and M4, and Python's
``float ** 2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from normkit.core.moments import Moments, first_values, merge_moments


def column_extremes(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Missing count, min and max of each column (NaN ignored; min/max NaN if no value).

    Shared by :func:`batch_moments` and the EMA's pass (whose batch statistics give count, mean
    and M2). ``min`` propagates NaN, so a column without any costs no NaN count (two passes);
    only a column with missing values is counted and reduced with the NaN-skipping ``fmin``.
    """
    n = len(columns)
    n_missing = np.zeros(n, dtype=np.int64)
    lo, hi = np.full(n, np.nan), np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        for j, x in enumerate(columns):
            if not len(x):
                continue
            lo[j], hi[j] = x.min(), x.max()
            if np.isnan(lo[j]) or np.isnan(hi[j]):
                n_missing[j] = np.count_nonzero(np.isnan(x))
                lo[j], hi[j] = np.fmin.reduce(x), np.fmax.reduce(x)
    return n_missing, lo, hi


#: Rows of a column summarized at once by :func:`batch_moments` (128 KiB of float64).
SLICE_ROWS = 16_384


def _column_moments(
    x: np.ndarray, shift: float, has_missing: bool
) -> tuple[int, float, float, float, float]:
    """Count, mean (relative to ``shift``), M2, M3 and M4 of one column; NaN marks a missing
    value."""
    if has_missing:
        x = x[~np.isnan(x)]
    n = x.shape[0]
    if n == 0:
        return 0, np.nan, 0.0, 0.0, 0.0
    if shift != 0.0:
        with np.errstate(over="ignore"):  # overflow shows as a non-finite moment, reported
            x = x - shift

    # np.sum on a contiguous 1-d array is pairwise: O(log n) rounding growth rather than O(n).
    # An infinite value makes the moments NaN; the caller reports it (see Accumulator).
    with np.errstate(invalid="ignore", over="ignore"):
        mean = float(np.sum(x)) / n
        dev = x - mean
        squares = dev * dev
        m2 = float(np.sum(squares)) - float(np.sum(dev)) ** 2 / n
        # Products summed by einsum (one pass, no temporary), not np.dot: BLAS threads a dot
        # this long, and a thread waiting for a busy core made the whole fit 3 to 4 times slower.
        m3 = float(np.einsum("i,i", squares, dev))
        m4 = float(np.einsum("i,i", squares, squares))
    return n, mean, max(m2, 0.0), m3, m4


def batch_moments(columns: Sequence[np.ndarray], shift: np.ndarray | None = None) -> Moments:
    """Moments of one batch, column by column.

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

    Examples
    --------
    >>> import numpy as np
    >>> m = batch_moments([np.array([1.0, 2.0, np.nan, 3.0])])
    >>> int(m.count[0]), int(m.n_missing[0]), float(m.mean[0]), float(m.m2[0])
    (3, 1, 2.0, 2.0)
    """
    if shift is None:
        shift = np.nan_to_num(first_values(columns), nan=0.0)
    length = len(columns[0]) if columns else 0
    if length > SLICE_ROWS:
        # Temporaries of a long column are large enough for malloc to map and unmap them each
        # time (page faults): slices of SLICE_ROWS rows, merged exactly, are 3x faster.
        merged = None
        for start in range(0, length, SLICE_ROWS):
            part = batch_moments([x[start : start + SLICE_ROWS] for x in columns], shift)
            merged = part if merged is None else merge_moments(merged, part)
        return merged

    if not columns:
        return Moments.empty(0)
    columns = [np.asarray(x, dtype=np.float64) for x in columns]
    n_missing, lo, hi = column_extremes(columns)
    rows = [
        _column_moments(x, float(k), bool(missing))
        for x, k, missing in zip(columns, shift, n_missing, strict=True)
    ]
    return _assembled(rows, n_missing, shift, lo, hi)


def _weighted_column_moments(
    x: np.ndarray, w: np.ndarray, shift: float, has_missing: bool
) -> tuple[int, float, float, float, float, float]:
    """Count, weighted mean (relative to ``shift``), M2, M3, M4 and weight ``W`` of one column
    whose rows all have a positive weight; NaN marks a missing value."""
    if has_missing:
        keep = ~np.isnan(x)
        x, w = x[keep], w[keep]
    n = x.shape[0]
    if n == 0:
        return 0, np.nan, 0.0, 0.0, 0.0, 0.0
    # Weights are divided by a power of two near the largest (exactly), and the sums multiplied
    # back, so that neither tiny nor huge weights underflow or overflow in the products.
    scale = float(np.ldexp(1.0, min(int(np.frexp(w.max())[1]), 1023)))
    w = w / scale
    if shift != 0.0:
        with np.errstate(over="ignore"):
            x = x - shift
    with np.errstate(invalid="ignore", over="ignore"):
        total = float(np.sum(w))
        mean = float(np.sum(w * x)) / total
        dev = x - mean
        weighted = w * dev
        squares = weighted * dev
        # The corrected two-pass algorithm, weighted (as scikit-learn's): the second term takes
        # out most of the rounding left in the mean.
        m2 = float(np.sum(squares)) - float(np.sum(weighted)) ** 2 / total
        m3 = float(np.einsum("i,i", squares, dev))
        m4 = float(np.einsum("i,i", squares, dev * dev))
    return n, mean, max(m2, 0.0) * scale, m3 * scale, m4 * scale, total * scale


def weighted_batch_moments(
    columns: Sequence[np.ndarray], weights: np.ndarray, shift: np.ndarray | None = None
) -> Moments:
    """Weighted moments of one batch, column by column (see the module's notes).

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
        With ``weight``.

    Examples
    --------
    >>> import numpy as np
    >>> m = weighted_batch_moments([np.array([1.0, 2.0, np.nan, 5.0])], np.array([2.0, 1, 1, 0]))
    >>> int(m.count[0]), int(m.n_missing[0]), float(m.weight[0]), float(m.mean[0])
    (2, 1, 3.0, 1.3333333333333333)
    """
    weights = np.asarray(weights, dtype=np.float64)
    if shift is None:
        positive = weights > 0
        shift = np.nan_to_num(first_values([np.asarray(x)[positive] for x in columns]), nan=0.0)
    if len(weights) > SLICE_ROWS:
        merged = None
        for start in range(0, len(weights), SLICE_ROWS):
            part = weighted_batch_moments(
                [x[start : start + SLICE_ROWS] for x in columns],
                weights[start : start + SLICE_ROWS],
                shift,
            )
            merged = part if merged is None else merge_moments(merged, part)
        return merged
    if not columns:
        return Moments.empty(0, weighted=True)
    columns = [np.asarray(x, dtype=np.float64) for x in columns]
    positive = weights > 0
    if not positive.all():
        columns = [x[positive] for x in columns]
        weights = weights[positive]
    n_missing, lo, hi = column_extremes(columns)
    rows = [
        _weighted_column_moments(x, weights, float(k), bool(missing))
        for x, k, missing in zip(columns, shift, n_missing, strict=True)
    ]
    return _assembled(rows, n_missing, shift, lo, hi)


def _assembled(
    rows: Sequence[tuple], n_missing: np.ndarray, shift: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> Moments:
    """Moments from each column's (count, mean offset, M2, M3, M4[, weight]), as the batch
    functions compute them."""
    count, mean_offset, m2, m3, m4, *weight = zip(*rows, strict=True)
    return Moments(
        np.array(count, dtype=np.int64),
        n_missing,
        np.array(shift, dtype=np.float64),
        np.array(mean_offset, dtype=np.float64),
        np.array(m2, dtype=np.float64),
        lo,
        hi,
        np.array(m3, dtype=np.float64),
        np.array(m4, dtype=np.float64),
        np.array(weight[0], dtype=np.float64) if weight else None,
    )
