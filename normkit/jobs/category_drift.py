"""Drift of text and boolean columns (their category counts), the scores every column of a
drift report starts as, and the report's notes on the data and the reference; see
:mod:`normkit.jobs.drift`."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..core.categories import CategoryCounter, CategoryCounts
from ..core.drift import weighting_notes
from ..errors import listed
from ..io.categories import BOOLEAN_WORDS
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
    "report_notes",
    "sample_notes",
    "unknown_columns_note",
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
    #: p-values of tests the reference can make only approximately, kept out of the run's
    #: family (the distribution over merged quantiles: interpolated, not a sample's).
    approximate: dict[str, float] = field(default_factory=dict)


def missing_rate(missing: int, count: int) -> float:
    return missing / (missing + count) if missing + count else math.nan


def cohen_h(p: float, q: float) -> float:
    """Cohen's h, the size of a change of a proportion from ``q`` to ``p``."""
    if not (math.isfinite(p) and math.isfinite(q)):
        return math.nan
    return abs(2 * math.asin(math.sqrt(p)) - 2 * math.asin(math.sqrt(q)))


def exact_counter(reference: FittedStats) -> CategoryCounter:
    """A counter of the reference's text and boolean columns that counts exactly every category the stat
    file kept (at most :data:`~normkit.core.categories.MAX_CATEGORIES` a column: those the
    frequency test may give cells of their own, whose absence it tests, and whose share the new
    data should keep), however many others the new data has."""
    saved = reference.categories or {}
    # A boolean column given as text ("True", pandas' spelling in a Parquet file) is counted as
    # the booleans it is to the reference.
    booleans = [p.name for p in reference.passthrough or () if p.why == "boolean"]
    return CategoryCounter(
        list(saved), keep={name: c.counts for name, c in saved.items()}, booleans=booleans
    )


#: Share of the reference's values that may sit near the count that gives categories cells
#: of their own (see :func:`_own_cell_count`).
BOUNDARY_SHARE = 0.01


def _own_cell_count(reference: CategoryCounts) -> int:
    """How often the reference must have seen a category for it to be a cell of its own in the
    frequency test: at least :data:`MIN_CATEGORY_COUNT` times, and where few categories were
    seen about that often.

    A category seen about as often as the count that chooses the cells is on one side or the
    other by luck: the categories chosen were, on average, seen more often than their share,
    the others less. New data comes back from that luck (a column of 3,000 codes each seen
    about 10 times drifted on most fresh samples), while a sample of the reference's own rows
    keeps it, so no correction of the counts serves both. The count is raised instead until the
    categories within two Poisson standard deviations of it hold at most
    :data:`BOUNDARY_SHARE` of the values, or are one category (a crowd of codes is what comes
    back from its luck; raised past each of a few frequent categories, 26, 17 and 7 of 50, it
    left them all in one cell, and one of them going from 14% to 80% passed); where only the
    most frequent categories were kept (not ``exact``), until those are all known."""
    counts = np.fromiter(reference.counts.values(), dtype=np.float64, count=len(reference.counts))
    total = max(reference.n_values, 1)
    known = 0.0 if reference.exact or not len(counts) else float(counts.min())
    t = MIN_CATEGORY_COUNT
    top = int(counts.max()) + 1 if len(counts) else t
    while t <= top:
        reach = 2 * math.sqrt(t)
        around = counts[np.abs(counts - t) <= reach]
        if t - reach > known and (around.sum() <= BOUNDARY_SHARE * total or len(around) <= 1):
            return t
        t += max(1, int(reach))
    return top + 1


def _expected_five_times(reference: CategoryCounts, new: CategoryCounts) -> list:
    """The reference's categories the new data would show at least 5 times at their shares,
    seen at least :data:`MIN_CATEGORY_COUNT` times (a share known well enough to expect them:
    a category seen once was seen partly by luck, and an identifier seen once is seldom seen
    again), whose count in the new data is therefore exact (counted as kept)."""
    n_ref, n_new = max(reference.n_values, 1), new.n_values
    return [
        c for c, k in reference.counts.items() if k >= MIN_CATEGORY_COUNT and n_new * k / n_ref >= 5
    ]


def _known_share_fell(reference: CategoryCounts, new: CategoryCounts) -> tuple[float, float] | None:
    """Where the new data holds fewer of the categories the reference saw than it should: its
    share of those the reference saw more than ``m`` times, against the share Good and Turing
    expect of them. ``m`` is 0 where the reference kept every category, else the fewest times a
    category it kept was seen (all seen more often were kept, however many others a column of
    many codes left out); the new data's counts of them are exact. The categories seen ``r``
    times in ``N`` values hold about ``(r + 1) N_(r+1) / N`` of new values (``N_r``: how many
    were seen ``r`` times), so those seen more than ``m`` times hold about the reference's share
    of those seen more than ``m + 1`` times. A column of 2,000 codes whose codes were all
    replaced went unnoticed: too few values of each to test alone, none gone that would have
    shown 5 times.

    The expected share is an estimate, of an error far larger than a share's where few values
    were seen per category (a reference of 100 rows of 3,000 codes, five seen twice, expects
    10% of new values among the 95 it saw, which hold 3%): the test is one-sided, of the
    difference over the standard error of both, the estimate's taken as Esty's (1983) for the
    unseen share, ``(N_1 + 2 N_2) / N**2``, widened to the counts about the boundary ``m``:
    ``(sum of k**2 N_k for m <= k <= m + 2) / N**2``. Its size, ``ln`` of
    the shares' ratio (below 0)."""
    n_ref, n_new = reference.n_values, new.n_values
    saved = reference.counts
    if not saved or not n_ref or not n_new:
        return None
    m = 0 if reference.exact else min(saved.values())
    expected = sum(k for k in saved.values() if k >= m + 2) / n_ref
    seen = sum(new.counts.get(c, 0) for c, k in saved.items() if k >= m + 1) / n_new
    if not expected or seen >= expected:
        return None
    boundary = sum(k * k for k in saved.values() if m <= k <= m + 2)
    variance = boundary / n_ref**2 + seen * (1 - seen) / n_new + 1 / n_new**2
    from scipy import special

    p = float(special.ndtr((seen - expected) / math.sqrt(variance)))
    # Where the estimate is near all of the reference (20 rows of one category of two), the
    # normal test knows no error of it: Fisher's test of the reference's rows against the new
    # data's counts what chance gives there (p 1e-56 before, for 0.009). The larger p is kept.
    fell = significance.fell_test(round(expected * n_ref), n_ref, round(seen * n_new), n_new)
    return max(p, fell), math.log((seen + 0.5 / n_new) / expected)


def _rare_changes(
    chi_square: tuple[float, float],
    own: set,
    least: int,
    reference: CategoryCounts,
    new: CategoryCounts,
    expected: list,
    vanished: list,
) -> tuple[float, float]:
    """The frequency test's p-value and change (a ``ln`` of a share ratio: above 0 a share
    rose, below it fell; its size is the absolute value), of the chi-square test of the cells
    (``chi_square``) and of three changes its rare cell would hide where it holds most of a
    column of many codes: whichever is the most significant, its p-value times the number of
    tests made (Bonferroni).

    - taken over: the new data's most frequent category among those the reference saw fewer
      than ``least`` times, seen at least :data:`~normkit.stats.significance.MIN_EXPECTED`
      times (fewer is what a long tail of identifiers gives any sample), by Fisher's test
      against ``least - 1`` of the reference's values (the most it can have had), times the
      number of the new data's categories; its size, the log ratio of those shares;
    - vanished: the categories absent from the new data (``vanished``) of those it would show 5
      times (``expected``), against their number by chance (each absent with chance ``(N / (N +
      n)) ** k`` for a count ``k`` of ``N`` reference values and ``n`` new ones), by Poisson's
      tail; its change, ``ln(1 - s)`` for the reference's share ``s`` of them (half the
      values' categories gone: -0.69);
    - known share fell: see :func:`_known_share_fell`."""
    tests = [chi_square] if not math.isnan(chi_square[0]) else []
    n_ref, n_new = reference.n_values, new.n_values
    rare = [(k, c) for c, k in new.counts.items() if c not in own]
    top = max(rare)[0] if rare else 0
    bound = max(least - 1, 0)
    if n_ref and n_new and top >= significance.MIN_EXPECTED:
        ratio = ((top + 0.5) / n_new) / ((bound + 0.5) / n_ref)
        if ratio > 1:  # more frequent than the reference can have seen it
            p = significance.proportion_test(bound, n_ref, top, n_new) * len(new.counts)
            tests.append((min(p, 1.0), math.log(ratio) if top >= MIN_SHARE * n_new else 0.0))
    if (fallen := _known_share_fell(reference, new)) is not None:
        tests.append(fallen)
    if vanished:
        from scipy import stats as sps

        stay = n_ref / (n_ref + n_new)
        counts = np.array([reference.counts[c] for c in expected], dtype=np.float64)
        chance = float(np.sum(np.power(stay, counts)))
        gone = sum(reference.counts[c] for c in vanished) / n_ref
        p = float(sps.poisson.sf(len(vanished) - 1, chance))
        tests.append((p, math.log1p(-min(gone, 1 - 1e-12))))
    if not tests:
        return math.nan, chi_square[1]
    # The most significant; of tests all beyond doubt (p below 1e-12, often 0.0 in floating
    # point), the one of the largest change, whose size then decides.
    m = len(tests)
    p, change = min(tests, key=lambda t: (max(t[0] * m, 1e-12), -abs(t[1])))
    return min(p * m, 1.0), change


def booleans_alike(
    reference: CategoryCounts, new: CategoryCounts
) -> tuple[CategoryCounts, CategoryCounts]:
    """Both sides' counts, each boolean spelled as a CSV reads it (``true``), where each side
    holds booleans alone: a reference fitted on Parquet text (``"True"``, pandas' spelling)
    against a CSV of the same data, whose reader makes them booleans, is the same data."""
    sides = (reference, new)
    if not all(side.counts and set(side.counts) <= set(BOOLEAN_WORDS) for side in sides):
        return reference, new

    def spelled(side: CategoryCounts) -> CategoryCounts:
        counts: dict[str, int] = {}
        for word, n in side.counts.items():
            counts[BOOLEAN_WORDS[word]] = counts.get(BOOLEAN_WORDS[word], 0) + n
        return CategoryCounts(counts, other=side.other, missing=side.missing)

    return spelled(reference), spelled(new)


def categorical_scores(name: str, reference: CategoryCounts, new: CategoryCounts) -> Scores:
    """A text or boolean column's scores: its categories' shares, and its missing rate.

    Categories the reference saw at least :data:`MIN_CATEGORY_COUNT` times are cells of their
    own; all others (seen fewer times, left out of the stat file, or never seen) are one cell,
    "rare or new". A rare category's count is a poor estimate of its share (it was seen at all
    partly by luck), but the rare cell's share is a good one: by Good and Turing's argument the
    new data's share of categories the reference saw fewer than K times or never is about the
    reference's share of those seen fewer than K times. So a column of identifiers or of many
    codes does not drift, while a new category taking a real share does. The change is the
    ``ln`` of the share ratio largest in absolute value, its size, over the cells the test
    compares (:func:`~normkit.stats.significance.compared_bins`) holding at least 1% of either
    side (half a value added to every count: a doubled share is 0.69, a
    halved one -0.69); ``largest_share_change`` keeps its sign.
    """
    saved, seen = reference.counts, new.counts
    least = _own_cell_count(reference)
    common = [c for c, k in saved.items() if k >= least]
    ref_cells = [float(saved[c]) for c in common]
    new_cells = [seen.get(c, 0) for c in common]
    ref_cells.append(reference.n_values - sum(ref_cells))
    new_cells.append(new.n_values - sum(new_cells))
    n_ref, n_new = reference.n_values, new.n_values
    r = np.asarray(ref_cells, dtype=np.float64)
    k = np.asarray(new_cells, dtype=np.float64)
    # Cells in the order of their names, then the reference's least frequent and the rare cell:
    # which are merged for the test is chosen by neither sample. In the order of the shares,
    # chance made the groups (the new data's: its most frequent categories by chance merged
    # together; the reference's: those it saw most by chance, whose shares the new data then
    # comes back from), and a column of many equally likely codes drifted on nearly every
    # sample. The rare cell, too few values to test alone where the reference saw no new
    # category, joins the least frequent, which dilutes a new category's share least.
    order = np.argsort(np.array(common, dtype=object), kind="stable")
    if len(order):
        smallest = int(np.argmin(r[:-1]))
        order = np.append(order[order != smallest], smallest)
    order = np.append(order, len(r) - 1)
    frequencies, _ = significance.homogeneity_test(r[order], k[order])
    largest = math.nan
    if n_ref and n_new:
        # Over the cells the test compares (categories too few to test alone merged; the two of
        # Fisher's test where too few values make two cells), those holding at least 1% of
        # either side: a share of a few values is all noise in a ratio (and the test, not the
        # size, says whether a change is real).
        r, k = significance.compared_bins(r[order], k[order])
        cells = len(r)
        ratio = ((k + 0.5) / (n_new + 0.5 * cells)) / ((r + 0.5) / (n_ref + 0.5 * cells))
        matters = (r >= MIN_SHARE * n_ref) | (k >= MIN_SHARE * n_new)
        changes = np.log(ratio[matters])
        largest = float(changes[np.argmax(np.abs(changes))]) if changes.size else 0.0
    # Categories new in the data (only where the reference kept all of its own), and those the
    # reference had often enough that the data would show them 5 times, absent from it.
    fresh = [c for c in seen if c not in saved] if reference.exact else []
    expected = _expected_five_times(reference, new)
    vanished = [c for c in expected if c not in seen]
    if n_ref and n_new:
        frequencies, largest = _rare_changes(
            (frequencies, largest), set(common), least, reference, new, expected, vanished
        )
    ref_rate, rate = missing_rate(reference.missing, n_ref), missing_rate(new.missing, n_new)
    raw = {
        "frequencies": frequencies if n_ref and n_new else math.nan,
        "missing": significance.proportion_test(
            reference.missing, reference.total, new.missing, new.total
        ),
    }
    sizes = {"frequencies": abs(largest), "missing": cohen_h(rate, ref_rate)}
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


def unknown_columns_note(reference: FittedStats, columns: Iterable[str]) -> tuple[str, ...]:
    """What a drift report says of the data's ``columns`` that the statistics know nothing of
    (neither fitted nor passed through by the fit; every column but the fitted ones where the
    statistics do not say which were passed through, imported from a layer): they are not
    checked, and a column added since the fit is a change the user should hear of; of the
    columns the fit passed through excluded, not chosen or of a type it does not fit (dates):
    not checked; and of the text and boolean columns the fit passed through whose category
    counts the statistics lack (exported and imported again): not checked either."""
    passed = reference.passthrough or ()
    known = set(reference.names) | {p.name for p in passed}
    columns = list(dict.fromkeys(columns))
    unknown = [c for c in columns if c not in known]
    counted = reference.categories or {}
    uncounted = [
        p.name
        for p in passed
        if p.why in ("text", "boolean") and p.name not in counted and p.name in columns
    ]
    # Excluded, not chosen, or of a type normkit does not fit (dates, times): nothing of them
    # is kept to check against.
    left = [
        f"{p.name!r} ({p.why})"
        for p in passed
        if p.why not in ("text", "boolean", "weight", "no values")
        and p.name in columns
        and p.name not in counted
    ]
    notes = []
    if unknown:
        what = "the fit did not have" if reference.passthrough is not None else "not fitted"
        notes.append(f"the data has columns {what}, not checked: {_names(unknown)}")
    if left:
        shown = ", ".join(left[:10]) + (" ..." if len(left) > 10 else "")
        notes.append(f"the fit passed columns through, not checked: {shown}")
    if uncounted:
        notes.append(
            "the statistics keep no category counts of columns passed through, not checked: "
            f"{_names(uncounted)}"
        )
    return tuple(notes)


def _names(names: list[str]) -> str:
    return ", ".join(map(repr, names[:10])) + (" ..." if len(names) > 10 else "")


def report_notes(
    reference: FittedStats, weight: str | None, weighted: bool, columns: Iterable[str]
) -> tuple[str, ...]:
    """A drift report's notes on the data as read: its weights (:func:`~normkit.core.drift.
    weighting_notes`) and its columns the fit did not have (:func:`unknown_columns_note`)."""
    notes = weighting_notes(weight, weighted, reference.weighted)
    return notes + unknown_columns_note(reference, columns)


def sample_notes(reference: FittedStats, columns: list, missing_unknown: bool) -> tuple[str, ...]:
    """What a drift report says of the reference's sample (its quantiles): merged from shards,
    or none (statistics imported without their data: what is then not tested, and the columns
    constant in the new data it cannot judge); ``columns``: the report's
    :class:`~normkit.jobs.drift.ColumnDrift`; ``missing_unknown``: whether the statistics do
    not know the missing values."""
    notes: list[str] = []
    if reference.sketch is not None and reference.sketch.merged:
        continued = (
            "continued" in reference.provenance and "merged_from" not in reference.provenance
        )
        how = (
            "merged with those of rows added in memory (partial_fit)"
            if continued
            else "merged from shards (merge-stats)"
        )
        notes.append(
            f"the stat file's quantiles were {how}: interpolated, not a sample's, so the "
            "distribution is not tested (its PSI is shown; a column whose PSI is above the "
            "threshold, and whose test as if they were a sample's would be significant, is not "
            "passed: exit 3); fit the reference on all the data in one run to test it",
        )
    if reference.sketch is None:
        missing = (
            ", nor missing values (but a column of none at all, which no layer's input is)"
            if missing_unknown
            else ""
        )
        tails = (
            ""
            if np.isfinite(reference.m4).all()
            else "; without their kurtosis, the spread's test takes the tails the new data shows, "
            "which a heavy-tailed column's sample underrates: such a column drifts by chance "
            "more often than alpha"
        )
        notes.append(
            "the stat file keeps no sample or range of its data (its statistics were imported): "
            f"the distribution is not tested{missing}, and a wider spread by the variance "
            f"alone{tails}",
        )
        # A mean and a variance bound no value's share but one away from the mean (Cantelli),
        # and a column constant in training is exported with running_var 1 (scale 1, as
        # scikit-learn's): a column stuck at its mean looks like that one, unchanged.
        stuck = [c.name for c in columns if c.std == 0 and c.reference_std > 0 and not c.drifted]
        if stuck:
            notes.append(
                f"{listed(stuck)} {'is' if len(stuck) == 1 else 'are'} constant in the new data: "
                "not flagged, as statistics without their data cannot tell a "
                "column stuck at its mean from one constant in training (exported with "
                "running_var 1); check it against the data",
            )
    return tuple(notes)
