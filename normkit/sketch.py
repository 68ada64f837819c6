"""A uniform sample of rows, taken in one streaming pass, and what is computed from it: quantiles
(kept in stat files as each column's distribution sketch) and drift scores against them.

Sampling: every row gets a pseudo-random key from its position, ``splitmix64`` of (file index,
row index in the file), and the sample is the rows with the smallest keys, at most ``size`` of
them (a bottom-k sample: uniform, without replacement). Keys depend only on where a row is, so
samples of separate files or workers merge exactly (keep the smallest keys of both) and every
engine and chunking gives the same sample. Memory is ``size`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "QUANTILE_PROBABILITIES",
    "RowSample",
    "Sketch",
    "bin_counts",
    "drift_scores",
    "row_keys",
    "sample_size",
]

#: The quantiles a stat file keeps per column: 5%, 10%, ..., 95% (19 cut points, 20 bins of 5%).
QUANTILE_PROBABILITIES = np.round(np.arange(1, 20) / 20, 2)

#: Rows sampled at most; fewer for wide data (see :func:`sample_size`).
MAX_SAMPLE_ROWS = 20_000
_SAMPLE_CELLS = 2_000_000
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def sample_size(n_columns: int) -> int:
    """Rows to sample: 20,000, or fewer so that the sample holds at most 2 million values (16 MB),
    but never fewer than 1,000."""
    return int(min(MAX_SAMPLE_ROWS, max(1_000, _SAMPLE_CELLS // max(n_columns, 1))))


def row_keys(file_index: int, first_row: int, n_rows: int) -> np.ndarray:
    """The sampling keys of rows ``first_row .. first_row + n_rows - 1`` of file ``file_index``:
    ``splitmix64`` of (file index << 40) + row index, as uint64."""
    with np.errstate(over="ignore"):
        z = np.arange(first_row, first_row + n_rows, dtype=np.uint64)
        z += np.uint64(file_index) << np.uint64(40)
        z += np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


@dataclass
class RowSample:
    """The rows with the smallest keys seen so far (see the module's notes).

    Rows offered are buffered and the sample is cut back to ``size`` rows only when the buffer
    is as large as the sample, so that the cost per batch is a comparison of its keys.

    Attributes
    ----------
    size : int
    keys : ndarray of uint64, shape (n,)
    values : ndarray of float64, shape (n, n_columns)
        NaN marks a missing value.
    """

    size: int
    _keys: list[np.ndarray]
    _values: list[np.ndarray]
    _threshold: np.uint64 | None = None  # keys at or above it cannot enter
    _buffered: int = 0

    @classmethod
    def empty(cls, n_columns: int, size: int | None = None) -> RowSample:
        size = sample_size(n_columns) if size is None else size
        return cls(size, [np.empty(0, dtype=np.uint64)], [np.empty((0, n_columns))])

    @property
    def keys(self) -> np.ndarray:
        self._compact()
        return self._keys[0]

    @property
    def values(self) -> np.ndarray:
        self._compact()
        return self._values[0]

    def candidates(self, keys: np.ndarray) -> np.ndarray:
        """Indices of the rows with these keys that may enter the sample."""
        if self._threshold is None:
            return np.arange(len(keys))
        return np.flatnonzero(keys < self._threshold)

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Offer rows (their keys, and their values as an array of shape (n, n_columns))."""
        if not len(keys):
            return
        self._keys.append(keys)
        self._values.append(values)
        self._buffered += len(keys)
        if self._buffered >= self.size:
            self._compact()

    def _compact(self) -> None:
        if len(self._keys) == 1:
            return
        keys, values = np.concatenate(self._keys), np.vstack(self._values)
        if len(keys) > self.size:
            keep = np.argpartition(keys, self.size - 1)[: self.size]
            keys, values = keys[keep], values[keep]
        if len(keys) >= self.size:
            self._threshold = keys.max()
        self._keys, self._values, self._buffered = [keys], [values], 0

    def merge(self, other: RowSample) -> RowSample:
        """The sample of the rows of both (exact: the same as one pass over all of them)."""
        merged = RowSample(self.size, [self.keys], [self.values])
        merged._threshold = self._threshold
        merged.add(other.keys, other.values)
        merged._compact()
        return merged

    def sketch(self, probabilities: Sequence[float] = QUANTILE_PROBABILITIES) -> Sketch:
        """Per column, the quantiles of the sampled non-missing values (linear interpolation,
        numpy's default) and the fraction of them at or below each (NaN for a column with no
        sampled value)."""
        n_columns = self.values.shape[1]
        edges = np.full((n_columns, len(probabilities)), np.nan)
        cdf = np.full_like(edges, np.nan)
        for j in range(n_columns):
            column = np.sort(self.values[:, j][~np.isnan(self.values[:, j])])
            if len(column):
                edges[j] = np.quantile(column, probabilities)
                cdf[j] = np.searchsorted(column, edges[j], side="right") / len(column)
        return Sketch(edges, cdf, len(self.keys))


@dataclass(frozen=True)
class Sketch:
    """Each column's distribution, as a stat file keeps it: the 5%, 10%, ..., 95% quantiles of a
    sample (``edges``) and the sample's fraction at or below each (``cdf``: the quantile's
    probability for continuous data, more where values repeat, such as 1 at every edge of a
    constant column).

    Attributes
    ----------
    edges, cdf : ndarray of float64, shape (n_columns, 19)
    rows : int
        Rows sampled.
    """

    edges: np.ndarray
    cdf: np.ndarray
    rows: int

    def merge(self, other: Sketch, weight: np.ndarray, other_weight: np.ndarray) -> Sketch:
        """An approximate sketch of the union of two data sets (their samples are gone): each
        column's CDF is taken as piecewise linear through its points, and the mixture's CDF
        (weights: the non-missing counts) is inverted at the same probabilities."""
        edges = np.full_like(self.edges, np.nan)
        cdf = np.full_like(self.cdf, np.nan)
        for j in range(len(edges)):
            sides = (
                (self.edges[j], self.cdf[j], weight[j]),
                (other.edges[j], other.cdf[j], other_weight[j]),
            )
            parts = [(e, c, w) for e, c, w in sides if w > 0 and np.isfinite(e).all()]
            if not parts:
                continue
            grid = np.unique(np.concatenate([e for e, _, _ in parts]))
            total = sum(w for _, _, w in parts)
            mixed = sum(w * np.interp(grid, e, c, left=0.0, right=1.0) for e, c, w in parts)
            mixed = np.maximum.accumulate(mixed / total)
            edges[j] = np.interp(QUANTILE_PROBABILITIES, mixed, grid)
            cdf[j] = np.interp(edges[j], grid, mixed)
        return Sketch(edges, cdf, self.rows + other.rows)


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of the non-missing ``values`` in the bins cut at ``edges`` (sorted): bin 0 is
    ``x <= edges[0]``, bin k is ``edges[k-1] < x <= edges[k]``, the last is ``x > edges[-1]``."""
    values = values[~np.isnan(values)]
    return np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)


def drift_scores(counts: np.ndarray, edges: np.ndarray, cdf: np.ndarray) -> tuple[float, float]:
    """Population stability index and Kolmogorov-Smirnov distance of new data against a
    reference column's sketch (``edges``, ``cdf``; see :class:`Sketch`), the new data given as
    its :func:`bin_counts` in the bins cut at ``edges``.

    Bins cut at equal edges (repeated values) are merged. PSI is ``sum((p - q) * ln(p / q))``
    over the bins, ``q`` the reference's share of a bin and ``p`` the new data's, both floored
    at 1e-4 so that an empty bin counts as a large but finite difference; KS is the largest
    ``|F_new - F_ref|`` at the edges.
    """
    n = counts.sum()
    if n == 0 or not np.isfinite(edges).all():
        return float("nan"), float("nan")
    new_cdf = np.cumsum(counts)[:-1] / n
    keep = np.append(edges[1:] != edges[:-1], True)
    ref_cdf, new_cdf = cdf[keep], new_cdf[keep]
    ks = float(np.max(np.abs(new_cdf - ref_cdf)))
    q = np.maximum(np.diff(np.concatenate([[0.0], ref_cdf, [1.0]])), 1e-4)
    p = np.maximum(np.diff(np.concatenate([[0.0], new_cdf, [1.0]])), 1e-4)
    return float(np.sum((p - q) * np.log(p / q))), ks
