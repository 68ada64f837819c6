"""Drift of text and boolean columns (their category counts), and the scores every column of a
drift report starts as; see :mod:`normkit.jobs.drift`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.categories import CategoryCounter, CategoryCounts
from ..stats import significance
from ..stats.fitted import FittedStats

__all__ = [
    "MAX_LISTED",
    "MIN_CATEGORY_COUNT",
    "MIN_SHARE",
    "Scores",
    "categorical_scores",
    "cohen_h",
    "exact_counter",
    "missing_rate",
]

#: Categories listed as new or vanished in a column's report, at most.
MAX_LISTED = 20

#: Times a category must have been seen in the reference to be a cell of its own in the
#: frequency test (see :func:`categorical_scores`).
MIN_CATEGORY_COUNT = 10

#: Share of the reference or the new data a category needs for its share ratio to count as the
#: size of a change.
MIN_SHARE = 0.01


@dataclass
class Scores:
    """A column's scores before the run's p-values are adjusted."""

    scores: dict
    raw: dict[str, float]
    sizes: dict[str, float]


def missing_rate(missing: int, count: int) -> float:
    return missing / (missing + count) if missing + count else math.nan


def cohen_h(p: float, q: float) -> float:
    """Cohen's h, the size of a change of a proportion from ``q`` to ``p``."""
    if not (math.isfinite(p) and math.isfinite(q)):
        return math.nan
    return abs(2 * math.asin(math.sqrt(p)) - 2 * math.asin(math.sqrt(q)))


def exact_counter(reference: FittedStats) -> CategoryCounter:
    """A counter of the reference's text columns that counts exactly the categories the
    frequency test gives cells of their own, however many others the new data has."""
    saved = reference.categories or {}
    keep = {
        name: [c for c, k in counts.counts.items() if k >= MIN_CATEGORY_COUNT]
        for name, counts in saved.items()
    }
    return CategoryCounter(list(saved), keep=keep)


def categorical_scores(name: str, reference: CategoryCounts, new: CategoryCounts) -> Scores:
    """A text or boolean column's scores: its categories' shares, and its missing rate.

    Categories the reference saw at least :data:`MIN_CATEGORY_COUNT` times are cells of their
    own; all others (seen fewer times, left out of the stat file, or never seen) are one cell,
    "rare or new". A rare category's count is a poor estimate of its share (it was seen at all
    partly by luck), but the rare cell's share is a good one: by Good and Turing's argument the
    new data's share of categories the reference saw fewer than K times or never is about the
    reference's share of those seen fewer than K times. So a column of identifiers or of many
    codes does not drift, while a new category taking a real share does. The size of a change is
    the largest ``|ln|`` of a cell's share ratio (half a value added to every count: a doubled
    share is 0.69), over the cells holding at least 1% of either side.
    """
    saved, seen = reference.counts, new.counts
    common = [c for c, k in saved.items() if k >= MIN_CATEGORY_COUNT]
    ref_cells = [saved[c] for c in common]
    new_cells = [seen.get(c, 0) for c in common]
    ref_cells.append(reference.n_values - sum(ref_cells))
    new_cells.append(new.n_values - sum(new_cells))
    n_ref, n_new = reference.n_values, new.n_values
    r = np.asarray(ref_cells, dtype=np.float64)
    k = np.asarray(new_cells, dtype=np.float64)
    order = np.argsort(-(r / max(n_ref, 1) + k / max(n_new, 1)), kind="stable")
    frequencies, _ = significance.homogeneity_test(r[order], k[order])
    largest = math.nan
    if n_ref and n_new:
        # Over the cells holding at least 1% of either side: a share of a few values is all
        # noise in a ratio (and the test, not the size, says whether a change is real).
        cells = len(r)
        ratio = ((k + 0.5) / (n_new + 0.5 * cells)) / ((r + 0.5) / (n_ref + 0.5 * cells))
        matters = (r >= MIN_SHARE * n_ref) | (k >= MIN_SHARE * n_new)
        largest = float(np.max(np.abs(np.log(ratio[matters])), initial=0.0))
    ref_rate, rate = missing_rate(reference.missing, n_ref), missing_rate(new.missing, n_new)
    raw = {
        "frequencies": frequencies if n_ref and n_new else math.nan,
        "missing": significance.proportion_test(
            reference.missing, reference.total, new.missing, new.total
        ),
    }
    sizes = {"frequencies": largest, "missing": cohen_h(rate, ref_rate)}
    # Categories new in the data (only where the reference kept all of its own), and those the
    # reference had often enough that the data would show them 5 times, absent from it (where
    # the data's count of them is exact: counted as kept, or every category counted).
    fresh = [c for c in seen if c not in saved] if reference.exact else []
    vanished = [
        c
        for c, k in saved.items()
        if c not in seen
        and n_new * k / max(n_ref, 1) >= 5
        and (k >= MIN_CATEGORY_COUNT or new.exact)
    ]
    scores = {
        "name": name,
        "kind": "categories",
        "count": n_new,
        "missing": new.missing,
        "reference_mean": math.nan,
        "mean": math.nan,
        "reference_std": math.nan,
        "std": math.nan,
        "mean_shift": math.nan,
        "std_ratio": math.nan,
        "reference_missing_rate": ref_rate,
        "missing_rate": rate,
        "missing_change": rate - ref_rate,
        "psi": math.nan,
        "ks": math.nan,
        "largest_share_change": largest,
        "new_categories": tuple(fresh[:MAX_LISTED]),
        "vanished_categories": tuple(vanished[:MAX_LISTED]),
    }
    return Scores(scores, raw, sizes)
