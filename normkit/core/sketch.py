"""A uniform sample of rows, taken in one streaming pass, and what is computed from it: quantiles
(kept in stat files as each column's distribution sketch; :mod:`normkit.core.drift` scores new
data against them).

Sampling: every row gets a pseudo-random key from its position, ``splitmix64`` of (file index,
row index in the file), and the sample is the rows with the smallest keys, at most ``size`` of
them (a bottom-k sample: uniform, without replacement). Keys depend only on where a row is, so
samples of separate files or workers merge exactly (keep the smallest keys of both) and every
engine and chunking gives the same sample. Memory is ``size`` rows.

With sample weights the sample is weighted (Efraimidis and Spirakis' A-Res): a row of weight ``w``
is kept when its key ``u**(1/w)`` is among the largest, ``u`` uniform in (0, 1) from the same
per-row hash, so heavier rows are likelier to be kept and the sample still merges exactly and
does not depend on chunking. Keys are kept as ``log(-log(1 - u)) - log(w)``, the smallest kept (the
same order, without underflow for any weight; for equal weights, the same rows as the unweighted
sample). A row of weight 0 is never sampled. A-Res keeps heavy rows at most once, so quantiles
are taken with each kept value weighted by its weight over its chance of being kept (Horvitz and
Thompson; that chance is ``1 - exp(-w t)``, ``t`` the smallest key left out, Cohen and Kaplan's
rank conditioning): while nothing was left out, simply by the weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .values import by_value

__all__ = [
    "QUANTILE_PROBABILITIES",
    "ColumnSamples",
    "Sketch",
    "row_keys",
    "sample_size",
    "weighted_keys",
]

#: The quantiles a stat file keeps per column: 5%, 10%, ..., 95% (19 cut points, 20 bins of 5%).
QUANTILE_PROBABILITIES = np.round(np.arange(1, 20) / 20, 2)

#: Values sampled per column at most; fewer for wide data (see :func:`sample_size`).
MAX_SAMPLE_ROWS = 10_000
_SAMPLE_CELLS = 1_000_000


def sample_size(n_columns: int) -> int:
    """Values to sample per column: 10,000, or fewer so that all samples hold at most a million
    values (16 MB with their keys), but never fewer than 500."""
    return int(min(MAX_SAMPLE_ROWS, max(500, _SAMPLE_CELLS // max(n_columns, 1))))


def row_keys(file_index: int, first_row: int, n_rows: int) -> np.ndarray:
    """The sampling keys of rows ``first_row .. first_row + n_rows - 1`` of file ``file_index``:
    ``splitmix64`` of (file index << 40) + row index, as uint64 (computed natively)."""
    from .. import _native

    return _native.row_keys(file_index, first_row, n_rows)


_NO_LIMIT = np.uint64(0xFFFFFFFFFFFFFFFF)


def weighted_keys(keys: np.ndarray, weights: np.ndarray | float) -> np.ndarray:
    """Efraimidis and Spirakis' keys of rows of ``weights`` (> 0) from their :func:`row_keys`,
    as ``log(-log(1 - u)) - log(w)``: the smaller, the likelier kept (see the module's notes)."""
    u = ((keys >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    with np.errstate(divide="ignore"):
        return np.log(-np.log1p(-u)) - np.log(weights)


class ColumnSamples:
    """Per column, the non-missing values with the smallest row keys seen so far.

    Values offered are buffered and a column's sample is cut back to ``size`` only when its
    buffer is as large as the sample, so the cost per batch is mostly a comparison of keys.

    Parameters
    ----------
    n_columns : int
    size : int or None
        Values kept per column; default :func:`sample_size`.
    weighted : bool, default False
        A weighted sample (see the module's notes); an unweighted one becomes weighted when
        rows with weights are offered (the rows before weigh 1).
    """

    def __init__(self, n_columns: int, size: int | None = None, weighted: bool = False):
        self.size = sample_size(n_columns) if size is None else size
        self._keys = [[np.empty(0, dtype=np.uint64)] for _ in range(n_columns)]
        self._values = [[np.empty(0)] for _ in range(n_columns)]
        self._buffered = np.zeros(n_columns, dtype=np.int64)
        self._threshold = np.full(n_columns, _NO_LIMIT)  # keys at or above cannot enter
        self._no_limit = _NO_LIMIT
        self.weighted = False
        self._weights: list[list[np.ndarray]] = []
        self._full = np.zeros(n_columns, dtype=bool)  # whether any value was left out
        if weighted:
            self._to_weighted()

    def _to_weighted(self) -> None:
        """Keys of a weighted sample for the rows offered so far (of weight 1)."""
        self.weighted, self._no_limit = True, np.inf
        self._keys = [[weighted_keys(k, 1.0) for k in keys] for keys in self._keys]
        self._weights = [[np.ones(len(k)) for k in keys] for keys in self._keys]
        limited = self._threshold != _NO_LIMIT
        threshold = np.full(self.n_columns, np.inf)
        threshold[limited] = weighted_keys(self._threshold[limited], 1.0)
        self._threshold = threshold

    @property
    def n_columns(self) -> int:
        return len(self._keys)

    def keys(self, j: int) -> np.ndarray:
        self._compact(j)
        return self._keys[j][0]

    def values(self, j: int) -> np.ndarray:
        """Column ``j``'s sampled values (in no particular order)."""
        self._compact(j)
        return self._values[j][0]

    def holds_all(self, j: int) -> bool:
        """Whether column ``j``'s sample holds every value offered (none was left out)."""
        return not self._full[j]

    def weights(self, j: int) -> np.ndarray:
        """The weights of column ``j``'s sampled values (ones for an unweighted sample)."""
        self._compact(j)
        return self._weights[j][0] if self.weighted else np.ones(len(self._values[j][0]))

    def offer(
        self,
        columns: Sequence[np.ndarray],
        keys: np.ndarray,
        weights: np.ndarray | None = None,
        n_missing: np.ndarray | None = None,
    ) -> None:
        """Offer rows: one float64 array per column (NaN missing), the rows' keys
        (:func:`row_keys`) and, for a weighted sample, their weights (default 1); ``n_missing``,
        each column's missing values if known (a column without any, not full yet, is taken
        whole, with no look at its values)."""
        if weights is not None and not self.weighted:
            self._to_weighted()
        if self.weighted:
            weights = np.ones(len(keys)) if weights is None else np.asarray(weights, np.float64)
            positive = np.flatnonzero(weights > 0)  # a row of weight 0 is never sampled
            if positive.size < len(keys):
                columns = [x[positive] for x in columns]
                keys, weights = keys[positive], weights[positive]
            keys = weighted_keys(keys, weights)
        # One comparison of the keys for every column (against the largest threshold), then
        # each column looks at those rows only.
        rows = (
            np.flatnonzero(keys < self._threshold.max())
            if self._threshold.max() != self._no_limit
            else None
        )
        complete = n_missing is not None and weights is None
        smallest = None  # the rows of the smallest keys, of the columns without a missing value
        for j, x in enumerate(columns):
            if self._threshold[j] == self._no_limit:
                if complete and not n_missing[j]:  # type: ignore[index]
                    if len(keys) <= self.size:
                        # A copy: the caller's array may be reused for its next rows.
                        self._add(j, keys, np.array(x, dtype=np.float64))
                        continue
                    if smallest is None:
                        smallest = self._smallest(keys, np.arange(len(keys)))
                    chosen, present = smallest, len(keys)
                else:
                    chosen = np.flatnonzero(~np.isnan(x))
                    present = chosen.size
                    chosen = self._smallest(keys, chosen)
                self._full[j] |= chosen.size < present  # values left out
            else:
                chosen = rows if rows is not None else np.arange(len(keys))
                chosen = chosen[keys[chosen] < self._threshold[j]]
                chosen = chosen[~np.isnan(x[chosen])]
            if chosen.size:
                self._add(j, keys[chosen], x[chosen], None if weights is None else weights[chosen])

    def _smallest(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Of ``rows``, those of the sample's size of smallest ``keys``, where there are more
        (unweighted keys, all different, make them the sample's whatever the batch): a batch of
        millions of rows is cut once for all its columns without a missing value, and not
        copied whole into each column's buffer first."""
        if self.weighted or rows.size <= self.size:
            return rows
        return rows[np.argpartition(keys[rows], self.size - 1)[: self.size]]

    def _add(
        self, j: int, keys: np.ndarray, values: np.ndarray, weights: np.ndarray | None = None
    ) -> None:
        if len(self._keys[j]) == 1 and not len(self._keys[j][0]):  # the first: nothing to join
            self._keys[j], self._values[j] = [keys], [values]
            if self.weighted:
                self._weights[j] = [weights]
        else:
            self._keys[j].append(keys)
            self._values[j].append(values)
            if self.weighted:
                self._weights[j].append(weights)
        self._buffered[j] += len(keys)
        if self._buffered[j] >= self.size:
            self._compact(j)

    def _compact(self, j: int) -> None:
        if len(self._keys[j]) == 1 and self._buffered[j] < self.size:
            return  # joined, and not beyond the sample's size
        keys, values = np.concatenate(self._keys[j]), np.concatenate(self._values[j])
        weights = np.concatenate(self._weights[j]) if self.weighted else None
        # A weighted sample keeps one more value: its key is the threshold of the others'
        # chances of being kept (see _kept_weights).
        size = self.size + 1 if self.weighted else self.size
        if len(keys) > size:
            keep = np.argpartition(keys, size - 1)[:size]
            keys, values = keys[keep], values[keep]
            weights = None if weights is None else weights[keep]
            self._full[j] = True
        if len(keys) >= size:
            self._threshold[j] = keys.max()
        self._keys[j], self._values[j] = [keys], [values]
        if weights is not None:
            self._weights[j] = [weights]
        self._buffered[j] = 0

    def merge(self, other: ColumnSamples) -> ColumnSamples:
        """The samples of the rows of both (exact: the same as one pass over all of them)."""
        weighted = self.weighted or other.weighted
        merged = ColumnSamples(self.n_columns, self.size, weighted=weighted)
        merged._full = self._full | other._full
        for j in range(self.n_columns):
            for sample in (self, other):
                keys = sample.keys(j)
                if weighted and not sample.weighted:
                    keys = weighted_keys(keys, 1.0)
                merged._add(j, keys, sample.values(j), sample.weights(j) if weighted else None)
            merged._compact(j)
        return merged

    def sketch(self, probabilities: Sequence[float] = QUANTILE_PROBABILITIES) -> Sketch:
        """Per column, the quantiles of the sampled values (linear interpolation, numpy's
        default) and the fraction of them at or below each; NaN for a column with none. A
        weighted sample's are weighted (see :func:`_weighted_quantiles`)."""
        edges = np.full((self.n_columns, len(probabilities)), np.nan)
        cdf = np.full_like(edges, np.nan)
        counts = np.zeros(self.n_columns, dtype=np.int64)
        if self.weighted:
            for j in range(self.n_columns):
                if len(self.values(j)):
                    edges[j], cdf[j], counts[j] = _weighted_quantiles(
                        self.values(j), self._kept_weights(j), probabilities
                    )
            return Sketch(edges, cdf, counts)
        # Columns with samples of one size are sorted and interpolated together (one numpy
        # call for 20,000 columns instead of 20,000): the same operations on each column, so
        # the same bits as column by column.
        by_size: dict[int, list[int]] = {}
        for j in range(self.n_columns):
            by_size.setdefault(len(self.values(j)), []).append(j)
        for size, group in by_size.items():
            counts[group] = size
            if not size:
                continue
            # A row per column, made and sorted in C, then seen a column per row.
            columns = np.sort(np.array([self.values(j) for j in group]), axis=1).T
            found = linear_quantiles(columns, probabilities)
            edges[group] = found.T
            cdf[group] = _at_or_below(columns, found).T / size
        return Sketch(edges, cdf, counts)

    def value_weights(self, j: int) -> np.ndarray:
        """What each of column ``j``'s sampled values stands for in the data, relative to the
        largest (ones for an unweighted sample): see :meth:`_kept_weights`."""
        return self._kept_weights(j) if self.weighted else np.ones(len(self.values(j)))

    def _kept_weights(self, j: int) -> np.ndarray:
        """Each sampled value's weight in the quantiles, relative to the largest: its own while
        every value is kept, else its weight over its chance of being kept, and 0 for the value
        of the largest key, which is the threshold of that chance (the ``size`` values of the
        smallest keys are then those of the unweighted sample, for equal weights)."""
        keys, log_w = self.keys(j), np.log(self.weights(j))
        if not len(keys):  # no value sampled (a column without values in this data)
            return np.ones(0)
        threshold = keys.max()
        if (len(keys) <= self.size and not self._full[j]) or not (keys < threshold).any():
            return np.exp(log_w - log_w.max())
        z = log_w + threshold  # log(w t): the chance of being kept is 1 - exp(-w t)
        with np.errstate(over="ignore"):
            log_p = np.where(z < -40.0, z, np.log(-np.expm1(-np.exp(np.minimum(z, 700.0)))))
        log_a = np.where(keys < threshold, log_w - log_p, -np.inf)
        return np.exp(log_a - log_a.max())


def _at_or_below(ordered: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """How many values of each column (sorted along axis 0, no NaN) are at or below each of its
    edges (shape ``(n_edges, n_columns)``), as ``np.searchsorted(side="right")`` counts them: a
    binary search of every edge of every column at once, in as many steps as the values take
    bits (a comparison of every value with every edge was 100 million of them for 20,000
    columns)."""
    n = ordered.shape[0]
    lo = np.zeros(edges.shape, dtype=np.intp)  # the count lies in lo..hi
    hi = np.full(edges.shape, n, dtype=np.intp)
    values = np.ascontiguousarray(ordered.T).ravel()  # a column after another (a view, mostly)
    starts = np.arange(ordered.shape[1]) * n
    while (searching := lo < hi).any():
        mid = (lo + hi) // 2  # below n where searching
        below = searching & (values[starts + np.minimum(mid, n - 1)] <= edges)
        lo = np.where(below, mid + 1, lo)
        hi = np.where(searching & ~below, mid, hi)
    return lo


def linear_quantiles(ordered: np.ndarray, probabilities: Sequence[float]) -> np.ndarray:
    """``np.quantile(ordered, probabilities, axis=0)`` (linear interpolation, numpy's default)
    of columns already sorted along axis 0, with numpy's operations in numpy's order, so the
    same bits; shape ``(len(probabilities), n_columns)``. (``np.quantile`` itself imports
    ``numpy.ma``, a fifth of a small fit's start-up.)"""
    q = np.asarray(probabilities, dtype=np.float64)
    n = ordered.shape[0]
    virtual = (n - 1) * q
    before = np.floor(virtual)
    after = before + 1
    last = virtual >= n - 1  # the largest value, as numpy takes it
    before[last] = -1
    after[last] = -1
    before, after = before.astype(np.intp), after.astype(np.intp)
    gamma = (virtual - before)[:, None]
    a, b = ordered[before], ordered[after]
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


@by_value
@dataclass(frozen=True, eq=False)
class Sketch:
    """Each column's distribution, as a stat file keeps it: the 5%, 10%, ..., 95% quantiles of a
    sample of its values (``edges``) and the sample's fraction at or below each (``cdf``: the
    quantile's probability for continuous data, more where values repeat, such as 1 at every
    edge of a constant column).

    Attributes
    ----------
    edges, cdf : ndarray of float64, shape (n_columns, 19)
    counts : ndarray of int64, shape (n_columns,)
        Values behind each column's quantiles.
    merged : bool
        Whether the quantiles were merged from other sketches (:meth:`merge`): then they are
        interpolated, not those of a sample, and no test may take them for a sample's.
    """

    edges: np.ndarray
    cdf: np.ndarray
    counts: np.ndarray
    merged: bool = False

    def quartiles(self) -> np.ndarray:
        """Each column's 25%, 50% and 75% quantiles, shape (n_columns, 3) (NaN: none)."""
        return self.edges[:, np.searchsorted(QUANTILE_PROBABILITIES, (0.25, 0.5, 0.75))]

    def merge(
        self,
        other: Sketch,
        weights: tuple[np.ndarray, np.ndarray],
        lows: tuple[np.ndarray, np.ndarray],
        highs: tuple[np.ndarray, np.ndarray],
    ) -> Sketch:
        """An approximate sketch of the union of two data sets (their samples are gone).

        Each column's CDF is known at its edges, and is 0 below its minimum and 1 at its
        maximum. Between those points it is taken as linear, or, where values repeat (tied
        edges), as a step; the mixture of the two (weights: the non-missing counts) is inverted
        at the same probabilities. A column only one of them has values of keeps that one's
        quantiles as they are: the other adds nothing to mix. The result is :attr:`merged`
        where a column was mixed, or a part kept was itself merged.
        """
        edges = np.full_like(self.edges, np.nan)
        cdf = np.full_like(self.cdf, np.nan)
        merged = False
        sketches = (self, other)
        for j in range(len(edges)):
            parts, step = [], False
            sides = [k for k in (0, 1) if weights[k][j] > 0]
            if len(sides) == 1 and np.isfinite(sketches[sides[0]].edges[j]).all():
                kept = sketches[sides[0]]
                edges[j], cdf[j] = kept.edges[j], kept.cdf[j]
                merged = merged or kept.merged
                continue
            for k in sides:
                e, c = sketches[k].edges[j], sketches[k].cdf[j]
                if np.isfinite(e).all():
                    low, high = lows[k][j], highs[k][j]
                    parts.append((*_cdf_points(e, c, low, high), float(weights[k][j])))
                    step = step or bool(np.any(np.diff(e) == 0))
            if not parts:
                continue
            merged = True
            grid = np.unique(np.concatenate([x for x, _, _ in parts]))
            total = sum(w for _, _, w in parts)
            mixed = sum(w * _evaluate(x, c, grid, step) for x, c, w in parts) / total
            mixed = np.maximum.accumulate(mixed)
            if step:  # the smallest value whose CDF reaches p, as np.quantile of ties gives
                at = np.minimum(
                    np.searchsorted(mixed, QUANTILE_PROBABILITIES - 1e-12), len(grid) - 1
                )
                edges[j] = grid[at]
            else:
                edges[j] = np.interp(QUANTILE_PROBABILITIES, mixed, grid)
            cdf[j] = _evaluate(grid, mixed, edges[j], step)
        return Sketch(edges, cdf, self.counts + other.counts, merged=merged)


def _weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, probabilities: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Quantiles of weighted values, the weighted fraction at or below each, and the values'
    effective number, Kish's ``sum(w)**2 / sum(w**2)``.

    The i-th smallest value stands at probability ``(S_i - w_i / 2 - w_1 / 2) / (S_n - w_1 / 2
    - w_n / 2)`` (``S`` the running sum of the weights), the quantiles interpolate linearly
    between: for equal weights that is ``(i - 1) / (n - 1)``, numpy's default, and it never
    depends on the weights' scale.
    """
    order = np.argsort(values, kind="stable")
    x, w = values[order], weights[order]
    x, w = x[w > 0], w[w > 0]
    total = np.cumsum(w)
    if len(x) == 1:
        edges = np.full(len(probabilities), x[0])
    else:
        position = total - w / 2 - w[0] / 2
        edges = np.interp(probabilities, position / position[-1], x)
    below = np.searchsorted(x, edges, side="right")
    cdf = np.where(below > 0, total[np.maximum(below - 1, 0)], 0.0) / total[-1]
    effective = total[-1] ** 2 / float(np.sum(w * w))
    return edges, np.minimum(cdf, 1.0), max(1, min(len(x), round(effective)))


def _cdf_points(
    edges: np.ndarray, cdf: np.ndarray, low: float, high: float
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct points (x, F(x)) of a column's CDF: its minimum, its edges (the last of tied
    ones, which carries their CDF), its maximum."""
    keep = np.append(edges[1:] != edges[:-1], True)
    x, c = edges[keep], cdf[keep]
    if np.isfinite(low) and low < x[0]:
        x, c = np.concatenate([[low], x]), np.concatenate([[0.0], c])
    if np.isfinite(high) and high > x[-1]:
        x, c = np.concatenate([x, [high]]), np.concatenate([c, [1.0]])
    return x, c


def _evaluate(x: np.ndarray, c: np.ndarray, at: np.ndarray, step: bool) -> np.ndarray:
    """A CDF known at points (x, c), at ``at``: linear between points, or a right-continuous
    step; 0 before the first point, 1 after the last."""
    if not step:
        return np.interp(at, x, c, left=0.0, right=1.0)
    index = np.searchsorted(x, at, side="right") - 1
    return np.where(index < 0, 0.0, c[np.maximum(index, 0)])
