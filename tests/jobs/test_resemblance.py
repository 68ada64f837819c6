"""Whether an input looks raw or normalized (normkit.jobs.resemblance.Resemblance), decided for all
columns at once: the same verdict as the rule stated column by column."""

import math
import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from normkit.core.quantiles import nan_quantiles
from normkit.jobs.resemblance import LOOK_MIN_VALUES, Resemblance
from normkit.stats.fitted import Affine


def _distance(ma, sa, mb, sb):
    return abs(ma - mb) / max(sa, sb) + abs(math.log(sa / sb))


def verdict_column_by_column(look: Resemblance):
    """The rule as the class documents it, one column after the other."""
    mean, std = look.mean_and_std()
    raw, normalized = look.raw, look.normalized
    verdicts = []
    for j in range(len(look.names)):
        if look.count[j] < LOOK_MIN_VALUES or not (np.isfinite(mean[j]) and std[j] > 0):
            continue
        if not (raw[1][j] > 0 and normalized[1][j] > 0):
            continue
        if not _distance(raw[0][j], raw[1][j], normalized[0][j], normalized[1][j]) >= 1.0:
            continue
        to_raw = _distance(mean[j], std[j], raw[0][j], raw[1][j])
        to_normalized = _distance(mean[j], std[j], normalized[0][j], normalized[1][j])
        if to_normalized * 3 < to_raw:
            verdicts.append(("normalized", j))
        elif to_raw * 3 < to_normalized:
            verdicts.append(("raw", j))
        else:
            return None
    if not verdicts or len({v for v, _ in verdicts}) > 1:
        return None
    return verdicts[0]


column = st.tuples(
    st.sampled_from([0.0, 5.0, -40.0, 1e6]),  # fitted mean
    st.sampled_from([0.0, 1.0, 3.0, 1e3]),  # fitted std (0: a constant column)
    st.sampled_from(["raw", "normalized", "drifted", "missing", "constant"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(column, min_size=1, max_size=6), st.booleans(), st.integers(0, 2**32 - 1))
def test_verdict_is_the_column_by_column_rule(columns, inverse, seed):
    rng = np.random.default_rng(seed)
    mean = np.array([c[0] for c in columns])
    std = np.array([c[1] for c in columns])
    scale = np.where(std > 0, std, 1.0)
    n = len(columns)
    affine = Affine(mean, scale, np.ones(n), np.zeros(n))
    look = Resemblance([f"c{j}" for j in range(n)], mean, std, affine, inverse)
    values = []
    for (m, s, kind), sc in zip(columns, scale, strict=True):
        z = rng.standard_normal(200)
        x = {
            "raw": m + s * z,
            "normalized": z,
            "drifted": m + 3 * sc + 0.5 * sc * z,
            "missing": np.full(200, np.nan),
            "constant": np.full(200, m),
        }[kind]
        values.append(x)
    look.update(np.column_stack(values))
    assert look.verdict() == verdict_column_by_column(look)


def _quartile_look(outlier: bool = True) -> tuple[Resemblance, np.ndarray]:
    # Fitted: N(10, 1) in 5,000 values, and one of 1e5 (its moments are then the outlier's).
    rng = np.random.default_rng(1)
    fitted = rng.normal(10, 1, 5000)
    if outlier:
        fitted[17] = 1e5
    mean, std = np.array([fitted.mean()]), np.array([fitted.std()])
    affine = Affine(mean, std, np.ones(1), np.zeros(1))
    quartiles = np.quantile(fitted, [0.25, 0.5, 0.75])[None, :]
    return Resemblance(["y"], mean, std, affine, False, quartiles), rng.normal(10, 1, 2000)


def test_the_quartiles_judge_a_column_whose_moments_an_outlier_set():
    look, raw = _quartile_look()
    affine = Affine(look.raw[0], look.raw[1], np.ones(1), np.zeros(1))
    moments_only = Resemblance(["y"], look.raw[0], look.raw[1], affine, False)
    for each in (look, moments_only):
        each.update(raw[:, None].copy())
    assert moments_only.verdict() is None  # like neither, by its moments
    assert look.verdict() == ("raw", 0)
    normalized, _ = _quartile_look()
    normalized.update(((raw - look.raw[0]) / look.raw[1])[:, None])
    assert normalized.verdict() == ("normalized", 0)


def test_data_like_neither_by_its_moments_and_its_quartiles_is_not_judged():
    look, raw = _quartile_look(outlier=False)
    look.update((raw * 5 + 0)[:, None])  # drifted: mean 50 and spread 5 for 10 and 1
    assert look.verdict() is None


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 6),
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.sampled_from([0.0, 1.0, -1.0, np.nan]),
        ),
        min_size=240,
        max_size=240,
    ),
)
def test_quartiles_of_every_column_at_once_are_numpy_s(rows, columns, values):
    # One sort of every column in place of nanquantile's call per column (20,000 columns took
    # a second): the same numbers, bit for bit, NaN where a column has no value.
    sample = np.array(values[: rows * columns] * (rows * columns // 240 + 1))[: rows * columns]
    sample = sample.reshape(rows, columns)
    count = (~np.isnan(sample)).sum(axis=0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanquantile(sample, [0.25, 0.5, 0.75], axis=0)
        got = nan_quantiles(sample, count, (0.25, 0.5, 0.75))
    np.testing.assert_array_equal(got, expected)
