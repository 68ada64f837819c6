"""Two-sample tests on summaries: is new data's mean, spread, missing rate or distribution
different from the reference's by more than sampling explains, counting the sampling error of
*both* sides (the reference is a sample too: its counts are in the stat file)?

Each test returns a two-sided p-value under "both sides are samples of one distribution":

- :func:`mean_test`: the difference of means over its standard error from the pooled variance
  (under the null hypothesis the variances are equal, and the pooled one is steadier than the
  new sample's alone, which is 0 for a small sample of a sparse column). On the heavy side of a
  skewed column (skewness from the reference's M3) the tail is the gamma distribution's with the
  skewness of the difference: the normal tail underrates a skewed column's small samples by
  factors of 10 and more at the levels a many-column gate uses.
- :func:`variance_test`: the variance ratio by Box and Andersen's F test, whose degrees of
  freedom shrink with the kurtosis (the variance of s^2 is (kappa - (n - 3) / (n - 1)) / n times
  sigma^4, not the normal theory's 2 / (n - 1)); heavy-tailed columns have kappa of 10 to 300. A
  side that is constant is tested by how often the other side's values leave that constant.
- :func:`proportion_test`: Fisher's exact test of two rates (missing values).
- :func:`homogeneity_test`: chi-square test of homogeneity of two samples' counts in the same
  bins, adjacent bins merged until each holds 10 expected values (Fisher's exact test of two
  bins where too few values make more); :func:`compared_bins` gives the bins it compares.

:func:`holm` adjusts a family of p-values so that rejecting those below ``alpha`` has a chance
of at most ``alpha`` of any false rejection, whatever their dependence (Holm, 1979).

scipy (a dependency of scikit-learn) supplies the distributions: ``scipy.special`` only, imported
on first use (``scipy.stats`` would add 0.4 s to every check).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "MIN_EXPECTED",
    "compared_bins",
    "exceedance_test",
    "fell_test",
    "holm",
    "homogeneity_test",
    "mean_test",
    "proportion_test",
    "variance_test",
]

#: Tables Fisher's exact test sums over at most; beyond, the normal approximation (exact to
#: many digits at such counts) spares the memory.
MAX_EXACT_SUPPORT = 1_000_000

#: Expected values per bin at least, in the homogeneity test (bins are merged until they hold it):
#: with 5, the textbook's rule, Pearson's statistic of a 40-value sample of a discrete column
#: passed its chi-square's 1e-5 point several times as often as it should.
MIN_EXPECTED = 10.0


def mean_test(
    n_ref: int,
    mean_ref: float,
    var_ref: float,
    skew_ref: float,
    n_new: int,
    mean_new: float,
    var_new: float,
) -> float:
    """p-value of the difference of two means.

    Parameters
    ----------
    n_ref, mean_ref, var_ref, skew_ref : the reference's count, mean, variance (over n) and
        skewness ``m3 / n / var**1.5`` (NaN if unknown: no correction).
    n_new, mean_new, var_new : the new data's.
    """
    if n_ref < 1 or n_new < 1:
        return math.nan
    delta = mean_new - mean_ref
    pooled = (n_ref * var_ref + n_new * var_new) / (n_ref + n_new)
    weight = 1.0 / n_ref + 1.0 / n_new
    if not pooled > 0.0:
        return 1.0 if delta == 0.0 else 0.0
    se = math.sqrt(pooled * weight)
    z = abs(delta) / se
    # Student's t with the new sample's degrees of freedom rather than the normal: the central
    # limit's tails at the levels a many-column gate tests (1e-5) come slowly, and a small
    # sample of a lumpy column (mostly 0, or two modes) reaches them far more often than the
    # normal says. At 500 values the two differ by under 1%.
    from scipy import special

    tail = float(special.stdtr(n_new - 1, -z)) if n_new > 1 else 0.5
    # Below 4 values t's tails are so heavy that Chebyshev's bound, which holds for any
    # distribution, is the sharper: one new value 1,000 sds away is evidence.
    tail = min(tail, 0.5 / (z * z)) if z > 0 else tail
    if math.isfinite(skew_ref) and skew_ref != 0.0:
        # The skewness of mean_new - mean_ref, signed towards the side observed (a positive
        # skew makes the upper tail heavier): its tail there by the gamma distribution with
        # that skewness (Pearson's type III), which holds up to the rare-event columns (mostly
        # one value) whose means are near-Poisson; never below the normal tail.
        skew = skew_ref * (1.0 / n_new**2 - 1.0 / n_ref**2) / weight**1.5
        signed = skew if delta > 0 else -skew
        if signed > 0:
            shape = 4.0 / (signed * signed)
            tail = max(tail, float(special.gammaincc(shape, shape + z * math.sqrt(shape))))
    return min(1.0, 2.0 * tail)


def variance_test(
    n_ref: int,
    var_ref: float,
    kurt_ref: float,
    n_new: int,
    var_new: float,
    kurt_new: float,
) -> float:
    """p-value of the ratio of two variances (over n): Box and Andersen's (1955) F test, whose
    degrees of freedom are those of the normal theory times ``2 / (kappa - 1)``, ``kappa`` the
    kurtosis (``m4 * n / m2**2``; 3 for normal data, where the test is the F test).

    Sample kurtosis underrates a heavy tail (it cannot exceed about n, and a sample that missed
    the tail's rare values shows none of it), so the larger of the two sides' is taken, and
    where neither is known, 3. Both sides need at least 4 values; a constant side is tested by
    how often the other side leaves the constant, not here.
    """
    if n_ref < 4 or n_new < 4 or not (var_ref > 0.0 and var_new > 0.0):
        return math.nan
    kappas = [k for k in (kurt_ref, kurt_new) if math.isfinite(k)]
    kappa = max(kappas) if kappas else 3.0
    factor = 2.0 / max(kappa - 1.0, 0.2)
    from scipy import special

    ratio = (var_new * n_new / (n_new - 1)) / (var_ref * n_ref / (n_ref - 1))
    d_new, d_ref = (n_new - 1) * factor, (n_ref - 1) * factor
    if ratio >= 1.0:
        tail = float(special.fdtrc(d_new, d_ref, ratio))
    else:
        # A small sample of a column of mostly one value with a few far ones (zero-inflated,
        # say) has a tiny variance whenever it misses the far ones, far more often than any
        # F distribution says. The lower tail is at least Maurer's (2003) bound for a mean of
        # non-negative terms, P(s^2 <= r sigma^2) <= exp(-n (1 - r)^2 / (2 kappa)), which holds
        # for any distribution of that kurtosis.
        bound = math.exp(-n_new * (1.0 - ratio) ** 2 / (2.0 * kappa))
        tail = max(float(special.fdtr(d_new, d_ref, ratio)), bound)
    return min(1.0, 2.0 * tail)


def proportion_test(k_ref: int, n_ref: int, k_new: int, n_new: int) -> float:
    """p-value of Fisher's exact test that ``k_ref / n_ref`` and ``k_new / n_new`` are one rate."""
    if n_ref < 1 or n_new < 1:
        return math.nan
    if (k_ref == 0 and k_new == 0) or (k_ref == n_ref and k_new == n_new):
        return 1.0
    return _fisher(k_ref + k_new, n_ref + n_new, n_new, k_new)


def exceedance_test(n_ref: int, n_new: int, k: int) -> float:
    """p-value of ``k`` new values beyond every reference value (on one side): the chance that
    the ``k`` largest of ``n_ref + n_new`` exchangeable values are all new,
    ``C(n_new, k) / C(n_ref + n_new, k)``."""
    p = 1.0
    for i in range(min(k, n_new)):
        p *= (n_new - i) / (n_ref + n_new - i)
        if p < 1e-300:
            break
    return p


def fell_test(k_ref: int, n_ref: int, k_new: int, n_new: int) -> float:
    """One-sided p-value of Fisher's exact test that ``k_new / n_new`` is below ``k_ref /
    n_ref`` (scipy's ``fisher_exact(..., alternative="greater")`` of the table ``[[k_ref, n_ref
    - k_ref], [k_new, n_new - k_new]]``)."""
    if n_ref < 1 or n_new < 1:
        return math.nan
    return _fisher(k_ref + k_new, n_ref + n_new, n_new, k_new, fell=True)


def _fisher(successes: int, total: int, drawn: int, observed: int, fell: bool = False) -> float:
    """Two-sided p-value of Fisher's exact test, as scipy's ``fisher_exact`` gives it: the
    chance, under the hypergeometric distribution of ``drawn`` of ``total`` with ``successes``,
    of a table no more likely than the one observed; with ``fell``, one-sided: of ``observed``
    successes or fewer (scipy.special only: scipy.stats takes 0.4 s to import, more than a
    small drift check's work)."""
    from scipy import special

    low, high = max(0, drawn - (total - successes)), min(successes, drawn)
    if high - low > MAX_EXACT_SUPPORT:
        # Millions of tables: the two-proportion z test is as good and takes no memory.
        mean = drawn * successes / total
        sd = math.sqrt(mean * (1 - successes / total) * (total - drawn) / max(total - 1, 1))
        z = (observed - mean) / sd if sd > 0 else 0.0
        if fell:
            return float(special.ndtr(z))
        return float(min(1.0, 2.0 * special.ndtr(-abs(z))))
    x = np.arange(low, high + 1, dtype=np.float64)

    def log_choose(n, k):
        return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)

    log_pmf = (
        log_choose(successes, x)
        + log_choose(total - successes, drawn - x)
        - log_choose(total, drawn)
    )
    if fell:
        return float(min(1.0, np.exp(log_pmf[: observed - low + 1]).sum()))
    at = log_pmf[observed - low]
    return float(min(1.0, np.exp(log_pmf[log_pmf <= at + math.log1p(1e-7)]).sum()))


def homogeneity_test(counts_ref: Sequence[float], counts_new: Sequence[float]) -> tuple[float, int]:
    """p-value and degrees of freedom of the test that two samples' counts in the same ordered
    bins come from one distribution, over the bins :func:`compared_bins` gives: the chi-square
    test where each holds :data:`MIN_EXPECTED` expected values, else (two bins of fewer) Fisher's
    exact test, which holds at any size (1 degree of freedom).
    """
    ref = np.asarray(counts_ref, dtype=np.float64)
    new = np.asarray(counts_new, dtype=np.float64)
    n_ref, n_new = float(ref.sum()), float(new.sum())
    if n_ref <= 0 or n_new <= 0 or len(ref) < 2:
        return math.nan, 0
    groups, exact = _compared_groups(ref, new)
    r, c = _summed(ref, new, groups)
    if exact:
        return proportion_test(round(float(r[0])), round(n_ref), int(c[0]), int(n_new)), 1
    p = (r + c) / (n_ref + n_new)
    statistic = float(
        np.sum((r - n_ref * p) ** 2 / (n_ref * p)) + np.sum((c - n_new * p) ** 2 / (n_new * p))
    )
    from scipy import special

    df = len(r) - 1
    return float(special.chdtrc(df, statistic)), df


def compared_bins(
    counts_ref: Sequence[float], counts_new: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """The two samples' counts in the bins :func:`homogeneity_test` compares: adjacent bins
    merged, from the left, until each holds :data:`MIN_EXPECTED` expected values of the smaller
    sample (a final short bin joins the one before), so that the chi-square approximation holds
    at small samples; where that leaves one bin, two: the bins up to half the pooled share and
    the rest (one bin where there is only one). A change's size measured on these bins is that
    of the change the test saw."""
    ref = np.asarray(counts_ref, dtype=np.float64)
    new = np.asarray(counts_new, dtype=np.float64)
    return _summed(ref, new, _compared_groups(ref, new)[0])


def _summed(ref: np.ndarray, new: np.ndarray, groups: list[list[int]]) -> tuple:
    return np.array([ref[g].sum() for g in groups]), np.array([new[g].sum() for g in groups])


def _compared_groups(ref: np.ndarray, new: np.ndarray) -> tuple[list[list[int]], bool]:
    """The groups of bins :func:`compared_bins` describes, and whether they are the two of
    Fisher's exact test."""
    groups = _groups(ref, new)
    if len(groups) >= 2 or len(ref) < 2:
        return groups, False
    pooled = (ref + new) / max(float(ref.sum() + new.sum()), 1e-300)
    cut = int(np.searchsorted(np.cumsum(pooled), 0.5, side="right"))
    cut = min(max(cut, 1), len(ref) - 1)
    return [list(range(cut)), list(range(cut, len(ref)))], True


def _groups(ref: np.ndarray, new: np.ndarray) -> list[list[int]]:
    """Adjacent bins merged, from the left, until each holds :data:`MIN_EXPECTED` expected
    values of the smaller sample at the pooled shares (a final short bin joins the one
    before)."""
    n_ref, n_new = float(ref.sum()), float(new.sum())
    pooled = (ref + new) / max(n_ref + n_new, 1e-300)
    smaller = min(n_ref, n_new)
    groups: list[list[int]] = [[]]
    expected = 0.0
    for k in range(len(ref)):
        groups[-1].append(k)
        expected += pooled[k] * smaller
        if expected >= MIN_EXPECTED:
            groups.append([])
            expected = 0.0
    if not groups[-1]:
        groups.pop()
    elif len(groups) > 1:
        groups[-2].extend(groups.pop())
    return groups


def constant_side_test(
    n_const: int, differing: int, n_other: int, share_at_constant: float = 0.0
) -> float:
    """p-value that one side is constant while the other has ``differing`` of ``n_other``
    values away from that constant: Fisher's exact test of 0 of ``n_const`` against
    ``differing`` of ``n_other``; or, when the side that varies is the reference, the chance
    that ``n_const`` values drawn from it all land on the constant, ``share_at_constant ** n``."""
    if share_at_constant > 0.0:
        return min(1.0, share_at_constant**n_const)
    return proportion_test(0, n_const, differing, n_other)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment: adjusted p-values (NaN stays NaN, and counts for nothing)."""
    p = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    m = len(tested)
    if m == 0:
        return adjusted
    order = tested[np.argsort(p[tested], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted
