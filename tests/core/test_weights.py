"""Sample weights in the one pass: weighted moments equal scikit-learn's
``StandardScaler().fit(X, sample_weight=w)``, merge exactly and do not depend on the chunking;
rows of weight 0 are as if absent; bad weights are refused with their row; a weighted pass has
no running statistics; the weighted sample's quantiles are those of the weighted distribution."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.preprocessing import StandardScaler

from normkit.core.accumulator import Accumulator
from normkit.core.moments import Moments, batch_moments, merge_moments, weighted_batch_moments
from normkit.core.running import EmaOptions
from normkit.core.sketch import QUANTILE_PROBABILITIES, ColumnSamples, row_keys
from normkit.errors import DataError, OptionError

RTOL = 1e-12
NAMES = ["offset", "skewed", "tiny"]


def data(rows: int, seed: int = 0, missing: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Columns with a large offset (mean 1e9), a skewed one and a tiny one, some NaN; weights
    with some zeros."""
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [rng.normal(1e9, 1.0, rows), rng.exponential(3.0, rows), rng.normal(0.0, 1e-6, rows)]
    )
    x[rng.random(x.shape) < missing] = np.nan
    w = rng.exponential(1.0, rows)
    w[rng.random(rows) < 0.1] = 0.0
    return x, w


def fed(x: np.ndarray, w: np.ndarray | None, cuts=(), **kwargs) -> Accumulator:
    accumulator = Accumulator(NAMES, **kwargs)
    pieces = np.split(np.arange(len(x)), list(cuts))
    for rows in pieces:
        accumulator.update(list(x[rows].T), None if w is None else w[rows])
    return accumulator


def assert_like_sklearn(moments: Moments, x: np.ndarray, w: np.ndarray, ddof: int = 0) -> None:
    ref = StandardScaler().fit(x, sample_weight=w)
    scale = np.sqrt(ref.var_)
    error = np.abs(moments.mean - ref.mean_)
    assert (error <= RTOL * (np.abs(ref.mean_) + scale)).all(), (moments.mean, ref.mean_)
    assert_allclose(moments.var(0), ref.var_, rtol=RTOL)
    assert_allclose(moments.weight, np.broadcast_to(ref.n_samples_seen_, (x.shape[1],)), rtol=RTOL)


def test_weighted_moments_equal_scikit_learn_whatever_the_chunks():
    x, w = data(3000)
    for cuts in ([], [1, 17, 999, 2000], list(range(7, 3000, 7))):
        result = fed(x, w, cuts).finish()
        assert_like_sklearn(result.moments, x, w)
        # Counts are the values of weight above 0; missing values too.
        present = ~np.isnan(x) & (w[:, None] > 0)
        assert_array_equal(result.moments.count, present.sum(axis=0))
        assert_array_equal(result.moments.n_missing, (np.isnan(x) & (w[:, None] > 0)).sum(axis=0))
        assert result.n_rows == len(x)


def test_integer_weights_equal_repeated_rows():
    x, _ = data(2000, seed=1)
    w = np.random.default_rng(1).integers(0, 5, len(x)).astype(np.float64)
    repeated = np.repeat(x, w.astype(int), axis=0)
    weighted = fed(x, w, [500, 1500]).finish().moments
    plain = fed(repeated, None, [700]).finish().moments
    assert_array_equal(weighted.weight, plain.count)
    assert_array_equal(weighted.min, plain.min)
    assert_array_equal(weighted.max, plain.max)
    scale = np.sqrt(plain.var())
    assert (np.abs(weighted.mean - plain.mean) <= RTOL * (np.abs(plain.mean) + scale)).all()
    assert_allclose(weighted.var(0), plain.var(0), rtol=RTOL)
    assert_allclose(weighted.var(1), plain.var(1), rtol=RTOL)
    # Third and fourth moments relative to the spread (a symmetric column's m3 is near 0).
    assert_allclose(weighted.m3 / plain.m2 / scale, plain.m3 / plain.m2 / scale, atol=1e-9)
    assert_allclose(weighted.m4, plain.m4, rtol=1e-9)
    assert_allclose(StandardScaler().fit(repeated).var_, weighted.var(0), rtol=RTOL)


@pytest.mark.parametrize("factor", [1e-300, 1e-150, 1e150, 1e300])
def test_tiny_and_huge_weights_give_the_same_statistics(factor):
    x, w = data(1000, seed=2)
    base = fed(x, w, [300]).finish().moments
    scaled = fed(x, w * factor, [300]).finish().moments
    assert_allclose(scaled.weight, base.weight * factor, rtol=RTOL)
    scale = np.sqrt(base.var())
    assert (np.abs(scaled.mean - base.mean) <= RTOL * (np.abs(base.mean) + scale)).all()
    assert_allclose(scaled.var(), base.var(), rtol=RTOL)
    # Skewness and kurtosis (a symmetric column's m3 is near 0: compared to the spread), where
    # float64 holds them: (1e-6)**4 times weights of 1e-300 is below its normal numbers.
    normal = np.abs(scaled.m4) > 1e-290
    skewness = [m.m3 / m.m2 / scale for m in (scaled, base)]
    assert_allclose(*(s[normal] for s in skewness), atol=1e-9)
    kurtosis = [m.m4 / m.m2 / m.m2 * m.weight for m in (scaled, base)]  # ratios: no overflow
    assert_allclose(*(k[normal] for k in kurtosis), rtol=1e-9)
    if 1e-150 <= factor <= 1e150:  # within what scikit-learn's own sums hold
        assert_like_sklearn(scaled, x, w * factor)


def test_rows_of_weight_zero_are_as_if_absent():
    x, w = data(500, seed=3)
    x[0, 0] = -1e12  # far away, but of weight 0: neither min nor mean sees it
    w[0] = 0.0
    moments = fed(x, w).finish().moments
    kept = w > 0
    alone = fed(x[kept], w[kept]).finish().moments
    for name in ("count", "n_missing", "min", "max", "weight"):
        assert_array_equal(getattr(moments, name), getattr(alone, name))
    assert_allclose(moments.var(), alone.var(), rtol=RTOL)


def test_weighted_moments_merge_exactly_also_with_unweighted_ones():
    x, w = data(2000, seed=4)
    whole = weighted_batch_moments(list(x.T), w)
    left = weighted_batch_moments(list(x[:700].T), w[:700])
    right = weighted_batch_moments(list(x[700:].T), w[700:])
    merged = merge_moments(left, right)
    assert_array_equal(merged.count, whole.count)
    assert_allclose(merged.weight, whole.weight, rtol=RTOL)
    assert_allclose(merged.var(), whole.var(), rtol=RTOL)
    for name in ("m3", "m4"):
        assert_allclose(getattr(merged, name), getattr(whole, name), rtol=1e-9, atol=1e-12)
    # An unweighted side weighs its count: the same as weights of 1.
    ones = w.copy()
    ones[700:] = 1.0
    mixed = merge_moments(left, batch_moments(list(x[700:].T)))
    assert_like_sklearn(mixed, x, ones)
    assert_allclose(mixed.m4, weighted_batch_moments(list(x.T), ones).m4, rtol=1e-9)


@given(
    st.lists(st.integers(1, 200), min_size=1, max_size=5),
    st.sampled_from([0.0, 0.3]),
)
def test_weighted_results_do_not_depend_on_the_chunks(chunks, zeros):
    rows = sum(chunks)
    x, w = data(rows, seed=rows)
    w[np.random.default_rng(rows).random(rows) < zeros] = 0.0
    result = fed(x, w, np.cumsum(chunks)[:-1], sample_size=50).finish()
    whole = weighted_batch_moments(list(x.T), w)
    assert_array_equal(result.moments.count, whole.count)
    assert_array_equal(result.moments.n_missing, whole.n_missing)
    assert_array_equal(result.moments.min, whole.min)
    assert_allclose(result.moments.weight, whole.weight, rtol=RTOL)
    scale = np.sqrt(np.nan_to_num(whole.var())) + 1.0
    mean_error = np.nan_to_num(np.abs(result.moments.mean - whole.mean))
    assert (mean_error <= RTOL * (np.abs(np.nan_to_num(whole.mean)) + scale)).all()
    assert_allclose(result.moments.var(), whole.var(), rtol=1e-11)
    one = fed(x, w, sample_size=50).finish().sample
    for j in range(len(NAMES)):  # the same rows sampled
        assert_array_equal(np.sort(result.sample.values(j)), np.sort(one.values(j)))


def test_a_weighted_pass_has_no_running_statistics():
    x, w = data(600, seed=5)
    result = fed(x, w, [100], running=EmaOptions(batch_size=16)).finish()
    assert result.running is None
    assert Accumulator(NAMES, running=EmaOptions(), weighted=True).finish().running is None
    # Weights given after rows without: those weigh 1, and running statistics stop there.
    accumulator = Accumulator(NAMES, running=EmaOptions(batch_size=16))
    accumulator.update(list(x[:250].T))
    accumulator.update(list(x[250:].T), w[250:])
    mixed = accumulator.finish()
    assert mixed.running is None
    ones = np.concatenate([np.ones(250), w[250:]])
    assert_like_sklearn(mixed.moments, x, ones)
    assert_allclose(mixed.moments.m4, weighted_batch_moments(list(x.T), ones).m4, rtol=1e-9)


@pytest.mark.parametrize(
    ("bad", "shown"),
    [(-0.5, "is -0.5 (negative)"), (np.nan, "is missing"), (np.inf, "is inf (infinite)")],
)
def test_bad_weights_are_refused_with_their_row(bad, shown):
    x, w = data(100, seed=6)
    accumulator = Accumulator(NAMES, weight_name="w")
    accumulator.update(list(x[:60].T), w[:60])
    w[72] = bad
    with pytest.raises(DataError) as info:
        accumulator.update(list(x[60:].T), w[60:])
    assert str(info.value).startswith(f"weight column 'w' at data row 73: the weight {shown}")
    with pytest.raises(OptionError, match="3 weights for 100 rows"):
        Accumulator(NAMES).update(list(x.T), w[:3])


def test_infinite_values_are_refused_even_in_rows_of_weight_zero():
    x, w = data(50, seed=7)
    x[9, 1], w[9] = np.inf, 0.0
    with pytest.raises(DataError, match="column 'skewed' at data row 10: inf is not finite"):
        fed(x, w)


def test_the_weighted_sample_has_the_weighted_distribution():
    rng = np.random.default_rng(8)
    x = rng.random(200_000)
    # Density proportional to x: the CDF is x**2, the p-quantile sqrt(p).
    samples = ColumnSamples(1, 2_000, weighted=True)
    for start in range(0, len(x), 50_000):
        rows = slice(start, start + 50_000)
        samples.offer([x[rows]], row_keys(0, start, 50_000), x[rows])
    sketch = samples.sketch()
    assert_allclose(sketch.edges[0], np.sqrt(QUANTILE_PROBABILITIES), atol=0.03)
    assert_allclose(sketch.cdf[0], QUANTILE_PROBABILITIES, atol=0.01)
    assert 1_000 < sketch.counts[0] <= 2_000  # the effective number of weighted values


def test_weights_of_one_sample_as_the_unweighted_sample_does():
    x, _ = data(5000, seed=9, missing=0.0)
    for size in (300, 10_000):  # a full sample, and one holding every row
        plain = fed(x, None, [1234], sample_size=size).finish().sample
        weighted = fed(x, np.ones(len(x)), [1234], sample_size=size).finish().sample
        assert weighted.weighted
        for j in range(len(NAMES)):  # one more: the key of the chances to be kept
            values = np.sort(weighted.values(j))
            assert len(values) == min(size + 1, len(x))
            assert np.isin(plain.values(j), values).all()
        a, b = plain.sketch(), weighted.sketch()
        assert_allclose(b.edges, a.edges, rtol=1e-14)
        assert_allclose(b.cdf, a.cdf, rtol=1e-14)
        assert_array_equal(b.counts, a.counts)


def test_rows_of_weight_zero_are_never_sampled():
    x, w = data(3000, seed=10, missing=0.0)
    w[x[:, 1] > 3.0] = 0.0
    sample = fed(x, w, [1000], sample_size=200).finish().sample
    assert (sample.values(1) <= 3.0).all()
    assert np.isfinite(sample.sketch().edges).all()


def test_values_of_weight_0_are_counted_apart_whatever_the_chunking():
    # Neither counted nor missing, a value of weight 0 left a column of no value at all and one
    # whose values all weigh 0 alike; their number is kept, merged, and no part of equality.
    x, w = data(500, seed=5)
    expected = [int(np.count_nonzero(~np.isnan(x[w == 0, j]))) for j in range(x.shape[1])]
    whole = fed(x, w).finish().moments
    assert whole.zero_weight_count.tolist() == expected
    assert fed(x, w, cuts=(7, 200, 201)).finish().moments.zero_weight_count.tolist() == expected
    # Rows without weights weigh 1: none of weight 0 among them.
    later = fed(x, None, weighted=True).finish().moments
    assert later.zero_weight_count.tolist() == [0, 0, 0]
    assert merge_moments(batch_moments(x.T), whole).zero_weight_count.tolist() == expected
    unknown = Moments.from_mean(
        whole.count, whole.n_missing, whole.mean, whole.m2, whole.min, whole.max,
        weight=whole.weight, missing_weight=whole.missing_weight,
    )  # fmt: skip
    assert unknown.zero_weight_count is None
    assert merge_moments(unknown, whole).zero_weight_count is None
    assert batch_moments(x.T).zero_weight_count is None
    assert replace(whole, zero_weight_count=None) == whole
