"""Drift scores of new data against a reference column's sketch: pure numerics.

See :mod:`normkit.core.sketch` for the sketch (quantiles of a uniform sample of each column).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MIN_PSI_VALUES",
    "bin_counts",
    "clipped_moments",
    "drift_scores",
    "ranged",
    "share_at",
    "weighting_notes",
]

#: Values a column needs in both the new data and the reference sample before its PSI decides
#: drift (PSI's sampling noise is about 19 / n: 0.04 at 500 values, far below the default
#: threshold; with much fewer it is of the order of the threshold).
MIN_PSI_VALUES = 500


def bin_counts(
    values: np.ndarray, edges: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Counts of the non-missing ``values`` in the bins cut at ``edges`` (sorted): bin 0 is
    ``x <= edges[0]``, bin k is ``edges[k-1] < x <= edges[k]``, the last is ``x > edges[-1]``.

    With ``weights`` (of a weighted sample), each bin's share of the weight, in counts of the
    sample's effective size ``(sum w)**2 / sum(w**2)`` (Kish's), rounded: what equally weighted
    values would give for as much evidence."""
    kept = ~np.isnan(values)
    index = np.searchsorted(edges, values[kept], side="left")
    if weights is None:
        return np.bincount(index, minlength=len(edges) + 1)
    w = np.asarray(weights, dtype=np.float64)[kept]
    total = w.sum()
    if not total > 0:
        return np.zeros(len(edges) + 1, dtype=np.int64)
    w = w / total
    effective = 1.0 / float(np.dot(w, w))
    shares = np.bincount(index, weights=w, minlength=len(edges) + 1)
    return np.round(shares * effective).astype(np.int64)


def ranged(
    edges: np.ndarray, cdf: np.ndarray, low: float, high: float
) -> tuple[np.ndarray, np.ndarray]:
    """A column's quantile ``edges`` and their ``cdf`` with its range's ends as bins' edges too
    (where the range is known): below ``low``, the reference's least value, and above ``high``,
    its largest, lie none of its values. So new values beyond the range are a bin of their own:
    a zero-inflated column's zeros moved to -0.5 stayed in the bin of the zeros (its quantiles
    all 0), unseen by PSI, KS and the distribution's test."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return edges, cdf
    below = np.nextafter(low, -np.inf)  # bin 0 is x <= its edge: x < low
    if below < edges[0]:
        edges, cdf = np.concatenate([[below], edges]), np.concatenate([[0.0], cdf])
    if high > edges[-1]:
        edges, cdf = np.concatenate([edges, [high]]), np.concatenate([cdf, [1.0]])
    return edges, cdf


def clipped_moments(
    values: np.ndarray, low: float, high: float, weights: np.ndarray | None = None
) -> tuple[float, float, float]:
    """Mean, variance (over the weight) and kurtosis (NaN without spread) of ``values`` clipped
    to ``[low, high]``, weighted by ``weights``: new values as far as a reference of that range
    has seen, every value beyond it counted at the reference's extreme on its side."""
    clipped = np.clip(values, low, high)
    w = np.ones(len(clipped)) if weights is None else weights
    mean = float(np.average(clipped, weights=w))
    deviations = clipped - mean
    with np.errstate(over="ignore"):  # values of 1e155 and more: a variance beyond float64
        var0 = float(np.average(deviations**2, weights=w))
    if not 0 < var0 < np.inf:
        return mean, var0, float("nan")
    # In units of the spread: the fourth powers of values near 1e100 overflow float64.
    kurt = float(np.average((deviations / np.sqrt(var0)) ** 4, weights=w))
    return mean, var0, kurt


def drift_scores(
    counts: np.ndarray, edges: np.ndarray, cdf: np.ndarray, reference_size: float = 0.0
) -> tuple[float, float]:
    """Population stability index and Kolmogorov-Smirnov distance of new data against a
    reference column's sketch (``edges``, ``cdf``; see :class:`~normkit.core.sketch.Sketch`), the new data given as
    its :func:`bin_counts` in the bins cut at ``edges``.

    Bins cut at equal edges (repeated values) are merged. PSI is ``sum((p - q) * ln(p / q))``
    over the bins, ``q`` the reference's share of a bin and ``p`` the new data's, with half a
    value added to every bin of both (so that an empty bin is a finite difference, of the size
    sampling alone would explain, and data like the reference's scores 0 however few its
    values; a bin that neither side has a value in is left out); the reference's values are its
    sample's, ``reference_size`` of them (0: not known, its shares then floored at 1e-4
    instead); KS is the largest ``|F_new - F_ref|`` at the edges.
    """
    n = counts.sum()
    if n == 0 or not np.isfinite(edges).all():
        return float("nan"), float("nan")
    keep = np.append(edges[1:] != edges[:-1], True)
    new_cdf = (np.cumsum(counts)[:-1] / n)[keep]
    ref_cdf = cdf[keep]
    ks = float(np.max(np.abs(new_cdf - ref_cdf)))
    merged = np.diff(np.concatenate([[0], np.cumsum(counts)[:-1][keep], [n]]))
    shares = np.diff(np.concatenate([[0.0], ref_cdf, [1.0]]))
    # A bin neither side has a value in (above a binary or constant column's largest value) tells
    # nothing: smoothed, it weighed as a bin the smaller side had missed.
    told = (merged > 0) | (shares > 0)
    merged, shares = merged[told], shares[told]
    p = (merged + 0.5) / (n + 0.5 * len(merged))
    if reference_size > 0:
        q = (shares * reference_size + 0.5) / (reference_size + 0.5 * len(merged))
    else:
        q = np.maximum(shares, 1e-4)
    return float(np.sum((p - q) * np.log(p / q))), ks


def weighting_notes(
    column: str | None, weighted: bool, reference_weighted: bool
) -> tuple[str, ...]:
    """What the report says of the new data's weights, against statistics weighted by
    ``column``: its rows weigh as the reference's did when the new data has that column; and
    against statistics weighted by weights of no recorded column (``reference_weighted``
    without a column: given in memory): the new data's rows weigh alike, so a mean or spread the weights moved differs."""
    if column is None:
        if not reference_weighted:
            return ()
        return (
            "the statistics were weighted by sample weights of no recorded column (given in "
            "memory, or merged from statistics weighted otherwise): the new data's rows are read unweighted against them, so where the weights moved the "
            "mean or spread, that is a difference too (fit with the weights in a column, "
            "--weight-column or fit_files(..., weight_column=NAME), to weigh new data alike)",
        )
    if weighted:
        return (f"the new data is weighted by its column {column!r}, as the statistics were",)
    return (
        f"the new data has no weight column {column!r}: its rows are read unweighted, against "
        "statistics weighted by it",
    )


def share_at(edges: np.ndarray, cdf: np.ndarray, value: float) -> float:
    """An upper bound of the reference's share of ``value``, from its quantiles."""
    if not np.isfinite(edges).all():
        return 1.0
    below = edges < value
    low = float(cdf[below][-1]) if below.any() else 0.0
    at_or_above = ~below
    high = float(cdf[at_or_above][0]) if at_or_above.any() else 1.0
    return min(1.0, max(high - low, 0.0))
