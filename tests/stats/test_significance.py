"""Drift's two-sample tests against the textbook tests they reduce to, and their calibration on
real data (scikit-learn's bundled data sets): the chance of a false alarm over a whole run stays
within alpha, and a 0.5 sd shift of one column over 500 rows is found and named."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from sklearn.datasets import load_breast_cancer, load_digits

import normkit
from normkit import DriftOptions, Standardizer
from normkit.stats import significance


def test_holm_adjusts_by_rank_and_keeps_the_order():
    p = [0.01, 0.04, 0.03, 0.005, math.nan]
    adjusted = significance.holm(p)
    # Sorted: 0.005 (x4), 0.01 (x3), 0.03 (x2), 0.04 (x1), each at least the one before.
    np.testing.assert_allclose(adjusted[:4], [0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[4])
    assert significance.holm([0.9, 0.8]).tolist() == [1.0, 1.0]


def test_homogeneity_is_the_chi_square_test_of_a_two_row_table():
    ref = np.array([120, 80, 60, 40, 200])
    new = np.array([30, 25, 12, 15, 40])
    p, df = significance.homogeneity_test(ref, new)
    expected = sps.chi2_contingency(np.vstack([ref, new]), correction=False)
    assert df == expected.dof
    assert p == pytest.approx(expected.pvalue, rel=1e-12)


def test_homogeneity_merges_bins_with_few_expected_values():
    ref = np.full(20, 500.0)
    new = np.array([6, 4] * 10)  # 100 values: 5 per bin expected, merged in pairs
    p, df = significance.homogeneity_test(ref, new)
    assert df == 9
    merged = sps.chi2_contingency(
        np.vstack([ref.reshape(10, 2).sum(1), new.reshape(10, 2).sum(1)]), correction=False
    )
    assert p == pytest.approx(merged.pvalue, rel=1e-12)
    assert significance.homogeneity_test([10.0], [3.0]) == (pytest.approx(math.nan, nan_ok=True), 0)


@pytest.mark.parametrize(
    ("k_ref", "n_ref", "k_new", "n_new"),
    [
        (5, 100, 20, 120),
        (0, 50, 3, 30),
        (30, 30, 10, 31),
        (1, 3, 2, 3),
        (4_000, 90_000, 260, 5_000),
    ],
)
def test_proportion_test_is_fishers_exact_test(k_ref, n_ref, k_new, n_new):
    table = [[k_ref, n_ref - k_ref], [k_new, n_new - k_new]]
    assert significance.proportion_test(k_ref, n_ref, k_new, n_new) == pytest.approx(
        sps.fisher_exact(table).pvalue, rel=1e-9, abs=1e-300
    )


def test_proportion_test_of_no_difference_is_1():
    assert significance.proportion_test(0, 1000, 0, 10) == 1.0


def test_variance_test_of_normal_data_is_the_f_test():
    # kurtosis 3: Box and Andersen's degrees of freedom are the F test's.
    n_ref, n_new, v_ref, v_new = 200, 50, 1.0, 1.6
    p = significance.variance_test(n_ref, v_ref, 3.0, n_new, v_new, 3.0)
    ratio = (v_new * n_new / (n_new - 1)) / (v_ref * n_ref / (n_ref - 1))
    assert p == pytest.approx(2 * sps.f.sf(ratio, n_new - 1, n_ref - 1), rel=1e-9)
    # A heavier tail widens what chance explains.
    assert significance.variance_test(n_ref, v_ref, 30.0, n_new, v_new, 3.0) > 10 * p


def test_mean_test_is_a_t_test_without_skew_and_wider_on_the_heavy_side():
    p = significance.mean_test(1000, 0.0, 1.0, math.nan, 100, 0.3, 1.0)
    z = 0.3 / math.sqrt(1.0 * (1 / 1000 + 1 / 100))
    assert p == pytest.approx(2 * sps.t.sf(z, 99), rel=1e-9)
    heavy = significance.mean_test(1000, 0.0, 1.0, 4.0, 30, 0.8, 1.0)
    light = significance.mean_test(1000, 0.0, 1.0, 4.0, 30, -0.8, 1.0)
    assert heavy > 5 * light


def test_exceedance_is_the_chance_that_the_largest_values_are_all_new():
    for n_ref, n_new, k in ((150, 30, 1), (150, 30, 3), (20, 20, 5)):
        assert significance.exceedance_test(n_ref, n_new, k) == pytest.approx(
            math.comb(n_new, k) / math.comb(n_ref + n_new, k), rel=1e-12
        )


# -- calibration on real data --------------------------------------------------------------------


def real(load) -> pd.DataFrame:
    bunch = load(as_frame=True)
    frame = bunch.data.copy()
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    return frame


@pytest.mark.parametrize("load", [load_breast_cancer, load_digits], ids=["cancer", "digits"])
def test_random_halves_of_real_data_raise_no_more_alarms_than_alpha_allows(load):
    # At alpha 0.01, 30 splits x 2 sizes: 0 alarms expected; 2 or more would have a chance
    # below 2% if the tests were calibrated. The old gate flagged every one of these samples.
    data = real(load)
    rng = np.random.default_rng(11)
    alarms = []
    for _ in range(30):
        order = rng.permutation(len(data))
        half = len(data) // 2
        scaler = Standardizer().fit(data.iloc[order[:half]])
        rest = data.iloc[order[half:]]
        for size in (40, 250):
            sample = rest.iloc[rng.choice(len(rest), size, replace=False)]
            report = normkit.drift_batches([sample], scaler, DriftOptions(alpha=0.01))
            alarms += report.drifted
    assert len(alarms) <= 1, alarms


def test_a_half_sd_shift_over_500_rows_is_found_and_named():
    data = real(load_digits)
    rng = np.random.default_rng(5)
    found = 0
    for _ in range(10):
        order = rng.permutation(len(data))
        reference, rest = data.iloc[order[:900]], data.iloc[order[900:]]
        scaler = Standardizer().fit(reference)
        std = dict(zip(scaler.columns_, np.sqrt(scaler.var_), strict=True))
        column = rng.choice([c for c in data.columns if std[c] > 0.5])
        sample = rest.iloc[rng.choice(len(rest), 500, replace=False)].copy()
        sample[column] += 0.5 * std[column]
        report = normkit.drift_batches([sample], scaler)
        found += report.drifted == [column]
        entry = next(c for c in report.columns if c.name == column)
        assert entry.mean_shift == pytest.approx(0.5, abs=0.35)
    assert found >= 9


def test_proportion_test_of_billions_of_rows_uses_the_normal_approximation():
    # 10^9 rows on each side: the exact test would sum over 10^8 tables (800 MB).
    p = significance.proportion_test(50_000_000, 10**9, 50_010_000, 10**9)
    pooled = 100_010_000 / (2 * 10**9)
    z = 10_000 / 10**9 / np.sqrt(pooled * (1 - pooled) * 2 / 10**9)
    assert p == pytest.approx(2 * sps.norm.sf(z), rel=1e-6)
    # At a million rows the exact sum still runs, and both agree there.
    exact = significance.proportion_test(50_000, 10**6, 51_000, 10**6)
    pooled = 101_000 / (2 * 10**6)
    z = 1_000 / 10**6 / np.sqrt(pooled * (1 - pooled) * 2 / 10**6)
    assert exact == pytest.approx(2 * sps.norm.sf(z), rel=0.05)


@pytest.mark.parametrize(
    ("k_ref", "n_ref", "k_new", "n_new"),
    [(20, 20, 787, 1000), (600, 1000, 590, 1000), (5, 30, 2, 40), (10, 10, 0, 5), (3, 7, 6, 9)],
)
def test_the_one_sided_fisher_test_is_scipys(k_ref, n_ref, k_new, n_new):
    table = [[k_ref, n_ref - k_ref], [k_new, n_new - k_new]]
    expected = sps.fisher_exact(table, alternative="greater").pvalue
    assert significance.fell_test(k_ref, n_ref, k_new, n_new) == pytest.approx(expected, rel=1e-9)
