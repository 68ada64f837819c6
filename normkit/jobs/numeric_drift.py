"""The drift scores of a numeric column (see :mod:`normkit.jobs.drift`): its mean, spread,
missing rate and distribution against the reference's, each with a p-value and a size."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..core.accumulator import Accumulated
from ..core.drift import bin_counts, clipped_moments, drift_scores, ranged, share_at
from ..errors import listed
from ..stats import significance
from ..stats.fitted import FittedStats
from .category_drift import Scores, cohen_h, missing_rate

__all__ = ["numeric_scores", "unknown_missing_weight_note", "unknown_to_import"]


def unknown_to_import(stats: FittedStats, what: str) -> bool:
    """Whether statistics imported from elsewhere say that they do not know ``what``."""
    imported = stats.provenance.get("imported")
    return isinstance(imported, Mapping) and what in imported.get("unknown", ())


def unknown_missing_weight_note(reference: FittedStats) -> tuple[str, ...]:
    """What a drift report says of weighted statistics whose stat file did not keep the weight
    of the missing values: their missing count is of rows, the new data's rate of weights, so
    the missing rate is not tested."""
    unknown = [n for n, w in zip(reference.names, reference.missing_weight, strict=True) if w != w]
    if not unknown:
        return ()
    return (
        f"the missing rate of {listed(unknown)} is not tested: the stat file, fitted with sample "
        "weights, does not keep the weight of its missing values (written by an older normkit), "
        "only their number of rows; fit it again to test it",
    )


def numeric_scores(reference: FittedStats, new: FittedStats, result: Accumulated, j: int) -> Scores:
    ddof = reference.options.ddof
    n_ref, n_new = int(reference.count[j]), int(new.count[j])
    ref_mean, ref_scale = float(reference.mean[j]), float(reference.scale[j])
    # Over n; with sample weights over their sum W (the rows stay the reference's size).
    ref_weight = float(reference.weight[j])
    ref_var0 = float(reference.m2[j]) / ref_weight if n_ref else math.nan
    new_var0 = float(new.m2[j]) / float(new.weight[j]) if n_new else math.nan
    ref_std = math.sqrt(max(float(reference.var[j]), 0.0))
    mean = float(new.mean[j]) if n_new else math.nan
    # One value has no spread (its variance over n is 0, which would read as a collapse).
    std = math.sqrt(max(float(new.var[j]), 0.0)) if n_new > max(ddof, 1) else math.nan
    shift = (mean - ref_mean) / (ref_std if ref_std > 0 else ref_scale)
    if ref_std == 0.0:
        ratio = 1.0 if std == 0.0 else (math.inf if std > 0 else math.nan)
    else:
        ratio = std / ref_std
    ref_missing = int(reference.n_missing[j])
    missing = int(new.n_missing[j])
    # The rates of the rows the weights stand for (a missing value of weight w is w missing
    # rows; NaN where a stat file did not keep that weight), each tested over its own rows.
    ref_rate = missing_rate(float(reference.missing_weight[j]), ref_weight)
    rate = missing_rate(float(new.missing_weight[j]), float(new.weight[j]))
    imported_unknown = unknown_to_import(reference, "missing")
    if imported_unknown:
        ref_rate = math.nan  # a layer's input had none; the raw data's rate is not known

    sketch = reference.sketch
    values = result.sample.values(j) if result.sample is not None else np.empty(0)
    present = ~np.isnan(values)
    sample = values[present]
    weighted = result.sample is not None and result.sample.weighted
    # A weighted sample's values count by what they stand for (new data weighted as the
    # reference was): their bins' shares, in counts of the sample's effective size.
    weights = result.sample.value_weights(j)[present] if weighted else None
    edges = cdf = None
    if sketch is not None and np.isfinite(sketch.edges[j]).all() and sample.size:
        edges, cdf = ranged(sketch.edges[j], sketch.cdf[j], reference.min[j], reference.max[j])
        counts = bin_counts(sample, edges, weights)
        psi, ks = drift_scores(counts, edges, cdf, float(sketch.counts[j]))
    else:
        counts, psi, ks = None, math.nan, math.nan

    # Where the spread's test weighs how far new values go beyond the reference's range (4 values
    # or more, every one in the sample), the mean's counts them at the reference's extremes: the
    # reference's variance knows nothing of them, and a far value of a heavy tail (infinite
    # variance) would move a small sample's mean by many of its standard errors.
    tested_mean, tested_var0 = mean, new_var0
    low, high = float(reference.min[j]), float(reference.max[j])
    whole = result.sample is not None and result.sample.holds_all(j)
    clipped = n_new >= 4 and ref_var0 > 0 and low < high and whole
    if clipped:
        tested_mean, tested_var0, _ = clipped_moments(sample, low, high, weights)
    p_mean = significance.mean_test(
        n_ref,
        ref_mean,
        ref_var0,
        _standardized(reference.m3[j], ref_weight, ref_var0, 1.5),
        n_new,
        tested_mean,
        tested_var0,
    )
    if clipped:
        # Clipped, a batch wholly beyond the reference's range (ages + 1,000) reads as one at
        # its extreme, a few standard errors away. How many new values lie beyond it on the side
        # the mean moved to is evidence of its own (k of them beyond every reference value: a
        # chance of C(n, k) / C(N + n, k)): the smaller of the two p-values, times two.
        side = sample > high if mean > ref_mean else sample < low
        beyond = significance.exceedance_test(n_ref, int(sample.size), int(side.sum()))
        p_mean = min(1.0, 2.0 * min(p_mean, beyond))
    # Whatever the raw data's missing rate, a layer's input had a value in every row: a column
    # with none at all is tested against that (nothing else of it can be).
    tested_rate = 0.0 if imported_unknown and n_new == 0 and n_ref > 0 else ref_rate
    ref_rows, rows = ref_missing + n_ref, missing + n_new
    raw = {
        "mean": p_mean,
        "std": _spread_test(reference, j, n_ref, ref_var0, n_new, new_var0, new, sample, weights),
        "missing": (
            math.nan
            if math.isnan(tested_rate) or math.isnan(rate)
            else significance.proportion_test(
                round(tested_rate * ref_rows), ref_rows, round(rate * rows), rows
            )
        ),
        "distribution": (
            math.nan
            if sketch is None or edges is None
            else _distribution_test(edges, cdf, int(sketch.counts[j]), counts)
        ),
    }
    approximate = {}
    if sketch is not None and sketch.merged:
        # Merged quantiles are interpolated, not a sample's: no test of them (PSI is shown),
        # but its p-value as if they were one decides whether "no drift" may be said.
        approximate["distribution"] = raw["distribution"]
        raw["distribution"] = math.nan
    log_ratio = abs(math.log(ratio)) if ratio > 0 else math.inf
    sizes = {
        "mean": abs(shift),
        "std": log_ratio if math.isfinite(ratio) or ratio == math.inf else math.nan,
        "missing": cohen_h(rate, tested_rate),
        "distribution": psi,
    }
    scores = {
        "name": reference.names[j],
        "kind": "numeric",
        "count": n_new,
        "missing": missing,
        "reference_mean": ref_mean,
        "mean": mean,
        "reference_std": ref_std,
        "std": std,
        "mean_shift": shift,
        "std_ratio": ratio,
        "reference_missing_rate": ref_rate,
        "missing_rate": rate,
        "missing_change": rate - ref_rate,
        "psi": psi,
        "ks": ks,
        "largest_share_change": math.nan,
        "new_categories": (),
        "vanished_categories": (),
    }
    return Scores(scores, raw, sizes, approximate)


def _standardized(moment: float, n: float, var0: float, power: float) -> float:
    """Skewness (``power`` 1.5) or kurtosis (2) from a central-moment sum; NaN if unknown."""
    if not (n > 0 and var0 > 0 and math.isfinite(moment)):
        return math.nan
    return moment / n / var0**power


def _spread_test(
    reference: FittedStats,
    j: int,
    n_ref: int,
    ref_var0: float,
    n_new: int,
    new_var0: float,
    new: FittedStats,
    sample: np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    if n_ref < 4 or n_new < 4:
        return math.nan
    ref_kurt = _standardized(reference.m4[j], float(reference.weight[j]), ref_var0, 2)
    ranged = math.isfinite(reference.min[j]) and math.isfinite(reference.max[j])
    if ref_var0 > 0 and new_var0 > 0 and (new_var0 < ref_var0 or not ranged):
        return significance.variance_test(
            n_ref, ref_var0, ref_kurt, n_new, new_var0, _standardized(new.m4[j], n_new, new_var0, 2)
        )
    if ref_var0 > 0 and new_var0 > 0:
        return _wider_test(reference, j, ref_kurt, sample, weights)
    if ref_var0 == 0 and new_var0 == 0:
        return 1.0  # both constant: the mean test tells whether at one value
    if ref_var0 == 0:
        # The reference is constant: how often does the new data leave its value?
        differing = int(np.count_nonzero(sample != reference.mean[j]))
        return significance.proportion_test(0, n_ref, differing, sample.size)
    # The new data is constant: the chance that n values drawn from the reference all fall on
    # it, its share taken at most the reference's mass between the quantiles around it; without
    # quantiles (statistics imported without their data), at most Cantelli's bound on the mass
    # at a value d away from the mean, var / (var + d**2), which no distribution exceeds.
    if reference.sketch is None:
        gap = float(new.mean[j]) - float(reference.mean[j])
        share = ref_var0 / (ref_var0 + gap * gap)
    else:
        share = share_at(reference.sketch.edges[j], reference.sketch.cdf[j], float(new.mean[j]))
    return min(1.0, share**n_new)


def _wider_test(
    reference: FittedStats,
    j: int,
    ref_kurt: float,
    sample: np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    """p-value of a new spread wider than the reference's, from three pieces of evidence (the
    smallest p-value, times three): the new values above and below the reference's range, and
    the variance of the new values clipped to that range.

    A value beyond every reference value is no evidence by itself: of N + n values from one
    distribution, the largest k are all among the n new ones with chance C(n, k) / C(N + n, k).
    A heavy tail's rare far values (absent from the reference, or in it) would otherwise
    decide the variance of a small sample alone. Clipped, they count as far as the reference
    has seen; the variance ratio is then tested as :func:`~normkit.stats.significance.
    variance_test` does.
    """
    n_ref, n_new = int(reference.count[j]), int(sample.size)
    if n_new < 4:
        return math.nan
    low, high = float(reference.min[j]), float(reference.max[j])
    beyond = [int(np.count_nonzero(sample > high)), int(np.count_nonzero(sample < low))]
    exceed = [significance.exceedance_test(n_ref, n_new, k) for k in beyond]
    # Weighted new data (a weighted sample): its values count by what they stand for.
    _, var0, kurt = clipped_moments(sample, low, high, weights)
    ref_var0 = float(reference.m2[j]) / float(reference.weight[j])
    p_spread = 1.0
    if var0 > ref_var0:
        p_spread = significance.variance_test(n_ref, ref_var0, ref_kurt, n_new, var0, kurt)
    return min(1.0, 3.0 * min(*exceed, p_spread))  # three p-values: Bonferroni


def _distribution_test(
    edges: np.ndarray, cdf: np.ndarray, n_ref: int, counts: np.ndarray | None
) -> float:
    """Chi-square homogeneity of the new sample's bin counts against the reference sample's
    (``n_ref`` values behind its quantiles; bins cut at tied quantiles merged)."""
    if counts is None or n_ref < 1:
        return math.nan
    keep = np.append(edges[1:] != edges[:-1], True)
    new = np.diff(np.concatenate([[0], np.cumsum(counts)[:-1][keep], [counts.sum()]]))
    ref = np.diff(np.concatenate([[0.0], cdf[keep], [1.0]])) * n_ref
    p, _ = significance.homogeneity_test(ref, new)
    return p
