"""The moment kernels: agreement with numpy, and Chan et al.'s merge as a monoid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from normkit.core.moments import Moments, batch_moments, merge_moments

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
with_nan = st.one_of(finite, st.just(np.nan))
column = arrays(np.float64, st.integers(0, 40), elements=with_nan)


def reference(x: np.ndarray) -> tuple[int, float, float]:
    v = x[~np.isnan(x)]
    if v.size == 0:
        return 0, np.nan, 0.0
    return v.size, float(np.mean(v)), float(np.sum((v - np.mean(v)) ** 2))


def assert_moments_close(a: Moments, b: Moments) -> None:
    np.testing.assert_array_equal(a.count, b.count)
    np.testing.assert_array_equal(a.n_missing, b.n_missing)
    spread = np.sqrt(np.maximum(a.m2, b.m2) / np.maximum(a.count, 1))
    tol = 1e-12 * (np.abs(np.nan_to_num(b.mean)) + spread) + 1e-300
    np.testing.assert_array_less(
        np.abs(np.nan_to_num(a.mean - b.mean)), tol * 4 + 1e-9 * (spread == 0)
    )
    np.testing.assert_allclose(
        a.m2, b.m2, rtol=1e-9, atol=1e-9 * np.max(np.abs(np.nan_to_num(b.mean)), initial=1.0) ** 2
    )
    np.testing.assert_array_equal(np.isnan(a.min), np.isnan(b.min))
    np.testing.assert_array_equal(a.min[~np.isnan(a.min)], b.min[~np.isnan(b.min)])
    np.testing.assert_array_equal(a.max[~np.isnan(a.max)], b.max[~np.isnan(b.max)])


def test_docstring_example():
    m = batch_moments([np.array([1.0, 2.0, np.nan, 3.0])])
    assert (int(m.count[0]), int(m.n_missing[0]), float(m.mean[0]), float(m.m2[0])) == (
        3,
        1,
        2.0,
        2.0,
    )


@given(column)
def test_batch_moments_match_numpy(x):
    m = batch_moments([x])
    n, mean, m2 = reference(x)
    assert m.count[0] == n
    assert m.n_missing[0] == np.isnan(x).sum()
    if n:
        scale = np.sqrt(m2 / n)
        assert abs(m.mean[0] - mean) <= 1e-12 * (abs(mean) + scale) + 1e-300
        np.testing.assert_allclose(m.m2[0], m2, rtol=1e-9, atol=1e-18 * max(1.0, mean * mean))
        assert m.min[0] == np.nanmin(x)
        assert m.max[0] == np.nanmax(x)
    else:
        assert np.isnan(m.mean[0])
        assert m.m2[0] == 0.0


@given(column, column)
def test_merge_equals_moments_of_concatenation(a, b):
    merged = merge_moments(batch_moments([a]), batch_moments([b]))
    assert_moments_close(merged, batch_moments([np.concatenate([a, b])]))


@given(column, column)
def test_merge_is_commutative(a, b):
    ma, mb = batch_moments([a]), batch_moments([b])
    ab, ba = merge_moments(ma, mb), merge_moments(mb, ma)
    assert_moments_close(ab, ba)


@given(column, column, column)
def test_merge_is_associative(a, b, c):
    ma, mb, mc = (batch_moments([x]) for x in (a, b, c))
    left = merge_moments(merge_moments(ma, mb), mc)
    right = merge_moments(ma, merge_moments(mb, mc))
    assert_moments_close(left, right)


@given(column)
def test_empty_is_the_identity(a):
    m = batch_moments([a])
    assert_moments_close(merge_moments(Moments.empty(1), m), m)
    assert_moments_close(merge_moments(m, Moments.empty(1)), m)


def test_large_offset_is_accurate_row_by_row():
    # Welford-style merging of single rows: the worst split for the textbook formula.
    rng = np.random.default_rng(0)
    d = np.round(rng.normal(0.0, 1.0, 20_000) * 1024) / 1024  # exact on the 1e9 grid
    x = 1e9 + d
    acc = Moments.empty(1)
    for chunk in np.array_split(x, 5_000):
        acc = merge_moments(acc, batch_moments([chunk]))
    exact_var = np.var(d)  # shifting by a constant does not change the variance
    np.testing.assert_allclose(acc.m2[0] / x.size, exact_var, rtol=1e-10)
    assert abs(acc.mean[0] - (1e9 + np.mean(d))) <= 1e-12 * 1e9


def test_merge_rejects_different_widths():
    with pytest.raises(ValueError, match="cannot merge"):
        merge_moments(Moments.empty(1), Moments.empty(2))


def test_integer_input_is_accumulated_in_float64():
    x = np.array([2**53, 2**53 + 2, 2**53 + 4], dtype=np.int64)
    m = batch_moments([x])
    assert m.mean.dtype == np.float64
    assert m.mean[0] == float(2**53 + 2)
