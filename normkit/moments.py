"""Exact streaming moments: count, mean, sum of squared deviations (M2), min, max, missing count.

Pure numerics over numpy arrays, accumulated in float64 whatever the input dtype.

Within one batch, each column uses the corrected two-pass algorithm (the one scikit-learn's
``_incremental_mean_and_var`` uses): ``mean = sum(x) / n``, then ``M2 = sum((x - mean)**2) -
sum(x - mean)**2 / n``, whose correction term removes most of the rounding left in ``mean``.
Batches are combined with the pairwise update of Chan, Golub and LeVeque (1979), which is exact in
exact arithmetic and numerically stable, so the result does not depend on how rows are split into
batches, shards or workers beyond rounding, and stays accurate for data with a large offset
(mean 1e9, std 1) where the textbook ``sum(x**2) - n * mean**2`` loses every digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Moments", "batch_moments", "merge_moments"]


@dataclass(frozen=True)
class Moments:
    """Per-column moments of a set of rows; every array has shape ``(n_columns,)``.

    Attributes
    ----------
    count : ndarray of int64
        Number of non-missing values.
    n_missing : ndarray of int64
        Number of missing values (null or NaN).
    mean : ndarray of float64
        Mean of the non-missing values (NaN where ``count == 0``).
    m2 : ndarray of float64
        Sum of squared deviations from ``mean`` (0 where ``count == 0``).
    min, max : ndarray of float64
        Extremes of the non-missing values (NaN where ``count == 0``).
    """

    count: np.ndarray
    n_missing: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    min: np.ndarray
    max: np.ndarray

    @classmethod
    def empty(cls, n_columns: int) -> Moments:
        """The moments of zero rows: the identity of :func:`merge_moments`."""
        nan = np.full(n_columns, np.nan)
        zero = np.zeros(n_columns, dtype=np.int64)
        return cls(zero, zero.copy(), nan, np.zeros(n_columns), nan.copy(), nan.copy())

    @property
    def n_columns(self) -> int:
        return len(self.count)

    def var(self, ddof: int = 0) -> np.ndarray:
        """Variance ``M2 / (count - ddof)``; NaN where ``count <= ddof``."""
        denom = self.count - ddof
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denom > 0, self.m2 / np.maximum(denom, 1), np.nan)


def _column_moments(x: np.ndarray) -> tuple[int, int, float, float, float, float]:
    """Moments of one column; NaN marks a missing value."""
    x = np.asarray(x, dtype=np.float64)
    missing = np.isnan(x)
    n_missing = int(np.count_nonzero(missing))
    if n_missing:
        x = x[~missing]
    n = x.shape[0]
    if n == 0:
        return 0, n_missing, np.nan, 0.0, np.nan, np.nan
    # np.sum on a contiguous 1-d array is pairwise: O(log n) rounding growth rather than O(n).
    mean = float(np.sum(x)) / n
    dev = x - mean
    m2 = float(np.dot(dev, dev)) - float(np.sum(dev)) ** 2 / n
    return n, n_missing, mean, max(m2, 0.0), float(np.min(x)), float(np.max(x))


def batch_moments(columns: Sequence[np.ndarray]) -> Moments:
    """Moments of one batch, column by column.

    Parameters
    ----------
    columns : sequence of 1-d arrays, each of length n_rows
        One array per column; NaN marks a missing value. Any real dtype; computed in float64.

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
    rows = [_column_moments(x) for x in columns]
    if not rows:
        return Moments.empty(0)
    count, n_missing, mean, m2, lo, hi = zip(*rows, strict=True)
    return Moments(
        np.array(count, dtype=np.int64),
        np.array(n_missing, dtype=np.int64),
        np.array(mean, dtype=np.float64),
        np.array(m2, dtype=np.float64),
        np.array(lo, dtype=np.float64),
        np.array(hi, dtype=np.float64),
    )


def merge_moments(a: Moments, b: Moments) -> Moments:
    """Combine the moments of two disjoint sets of rows (Chan, Golub and LeVeque's update).

    ``n = n_a + n_b``, ``delta = mean_b - mean_a``, ``mean = mean_a + delta * n_b / n`` and
    ``M2 = M2_a + M2_b + delta**2 * n_a * n_b / n``. Commutative and, up to rounding, associative.

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
    n_a = a.count.astype(np.float64)
    n_b = b.count.astype(np.float64)
    n = n_a + n_b
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = b.mean - a.mean
        mean = a.mean + delta * (n_b / n)
        m2 = a.m2 + b.m2 + delta * delta * (n_a * n_b / n)
    # Where one side is empty the formulas divide 0 by 0 or see a NaN mean; take the other side.
    mean = np.where(n_b == 0, a.mean, np.where(n_a == 0, b.mean, mean))
    m2 = np.where(n_b == 0, a.m2, np.where(n_a == 0, b.m2, m2))
    return Moments(
        a.count + b.count,
        a.n_missing + b.n_missing,
        mean,
        m2,
        np.fmin(a.min, b.min),
        np.fmax(a.max, b.max),
    )
