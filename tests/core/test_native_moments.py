"""The native batch moments against the same formulas in numpy (``numpy_moments``), bit for bit:
every field of every column, for any data, shift, weights, length and number of threads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy_moments import batch_moments as numpy_batch_moments
from numpy_moments import weighted_batch_moments as numpy_weighted_batch_moments

from normkit import _native
from normkit.core.moments import (
    SLICE_ROWS,
    Moments,
    batch_moments,
    weighted_batch_moments,
)

FIELDS = ("count", "n_missing", "shift", "mean_offset", "m2", "m3", "m4", "weight")


def assert_same_bits(native: Moments, reference: Moments) -> None:
    for field in FIELDS:
        a, b = getattr(native, field), getattr(reference, field)
        if b is None:
            assert a is None, field
            continue
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype, field
        # NaN payloads aside, every bit: compare as integers where both are numbers.
        same = (a == b) & (np.signbit(a) == np.signbit(b)) | (np.isnan(a) & np.isnan(b))
        assert same.all(), (field, a[~same], b[~same])
    # min and max: equal values (numpy's SIMD min of 0.0 and -0.0 may give either sign).
    for field in ("min", "max"):
        a, b = getattr(native, field), getattr(reference, field)
        assert ((a == b) | (np.isnan(a) & np.isnan(b))).all(), field


def column(draw, n: int) -> np.ndarray:
    kind = draw(st.sampled_from(["normal", "offset", "ints", "heavy", "const", "tiny", "huge"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "normal":
        x = rng.normal(draw(st.floats(-10, 10)), draw(st.floats(0.1, 10)), n)
    elif kind == "offset":
        x = 1e9 + rng.normal(0, 1, n)
    elif kind == "ints":
        x = rng.integers(-5, 5, n).astype(np.float64)
    elif kind == "heavy":
        x = rng.standard_cauchy(n) * 1e6
    elif kind == "const":
        x = np.full(n, draw(st.floats(-1e6, 1e6)))
    elif kind == "tiny":
        x = rng.normal(0, 1e-300, n)
    else:
        x = rng.normal(0, 1e150, n)
    p_missing = draw(st.sampled_from([0.0, 0.0, 0.1, 0.9, 1.0]))
    if p_missing:
        x[rng.random(n) < p_missing] = np.nan
    return x


@st.composite
def batches(draw):
    n = draw(st.sampled_from([0, 1, 2, 7, 8, 9, 127, 128, 129, 1000, 8193, SLICE_ROWS + 3]))
    k = draw(st.integers(1, 5))
    columns = [column(draw, n) for _ in range(k)]
    shift = draw(st.sampled_from(["default", "zero", "first", "far"]))
    return columns, shift


def shift_of(columns, how):
    if how == "default":
        return None
    if how == "zero":
        return np.zeros(len(columns))
    first = np.array([x[~np.isnan(x)][0] if (~np.isnan(x)).any() else 0.0 for x in columns])
    return first if how == "first" else first + 1e3


@settings(max_examples=60, deadline=None)
@given(batches(), st.sampled_from([1, 2, 3]))
def test_batch_moments_equal_numpy_bit_for_bit(batch, threads):
    columns, how = batch
    shift = shift_of(columns, how)
    reference = numpy_batch_moments(columns, shift)
    assert_same_bits(batch_moments(columns, shift), reference)
    # The same bits whatever the number of threads sharing the columns.
    k = np.nan_to_num(reference.shift) if shift is None else shift
    assert_same_bits(Moments(*_native.batch_moments(columns, k, threads=threads)), reference)


@settings(max_examples=40, deadline=None)
@given(batches(), st.integers(0, 2**32 - 1), st.sampled_from(["ints", "frac", "zeros", "huge"]))
def test_weighted_batch_moments_equal_numpy_bit_for_bit(batch, seed, kind):
    columns, how = batch
    n = len(columns[0])
    rng = np.random.default_rng(seed)
    if kind == "ints":
        w = rng.integers(0, 4, n).astype(np.float64)
    elif kind == "frac":
        w = rng.random(n) * 3
    elif kind == "zeros":
        w = np.where(rng.random(n) < 0.7, 0.0, rng.random(n))
    else:
        w = rng.random(n) * 1e300
    shift = shift_of(columns, how)
    reference = numpy_weighted_batch_moments(columns, w, shift)
    assert_same_bits(weighted_batch_moments(columns, w, shift), reference)


def test_infinite_values_and_other_dtypes_and_strides():
    x = np.array([1.0, np.inf, 3.0, -np.inf, np.nan])
    assert_same_bits(batch_moments([x]), numpy_batch_moments([x]))
    ints = np.arange(20, dtype=np.int32)
    assert_same_bits(batch_moments([ints]), numpy_batch_moments([ints.astype(np.float64)]))
    strided = np.arange(40.0)[::2]  # not contiguous: copied, same result
    assert_same_bits(batch_moments([strided]), numpy_batch_moments([strided.copy()]))


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        batch_moments([np.ones(3), np.ones(4)])
    with pytest.raises(ValueError, match="different lengths"):
        weighted_batch_moments([np.ones(3)], np.ones(4))


@settings(max_examples=60, deadline=None)
@given(
    batches(),
    st.sampled_from([1, 2, 7, 8, 9, 100, 128, 256, 300]),
    st.integers(0, 5),
    st.sampled_from([1, 2, 3]),
)
def test_batch_statistics_equal_numpy_bit_for_bit(batch, size, start, threads):
    from normkit.core.running import per_batch

    columns, how = batch
    columns = [np.concatenate([x, x, x]) for x in columns]  # some rows to cut batches from
    start = min(start, len(columns[0]))
    n_full = (len(columns[0]) - start) // size
    shift = np.nan_to_num(shift_of(columns, "first" if how == "default" else how))
    count, mean, m2, overflow = _native.batch_statistics(
        columns, shift, start, n_full, size, threads=threads
    )
    stop = start + n_full * size
    body = np.stack([x[start:stop] - k for x, k in zip(columns, shift, strict=True)])
    has_missing = bool(np.isnan(body).any())
    reference = per_batch(body.reshape(len(columns), n_full, size), has_missing)
    if overflow:  # the caller takes numpy's path for these: a sum of finite values overflowed
        assert not np.isfinite(reference[1]).all()
        return
    for found, expected in zip((count.T, mean.T, m2.T), reference, strict=True):
        assert found.shape == expected.shape
        # Laid out alike: merging the batches sums along the contiguous axis (numpy's order).
        assert found.flags.f_contiguous == expected.flags.f_contiguous
        same = (found == expected) | (np.isnan(found) & np.isnan(expected))
        assert same.all(), (found[~same], expected[~same])


@pytest.mark.parametrize(
    ("rows", "size", "start"),
    [
        (65_536, 256, 0),  # a Parquet chunk in the default batches: every batch a tree's node
        (65_536, 128, 128),
        (65_536, SLICE_ROWS, 0),  # batches as long as a slice
        (40_000, 1_024, 0),  # a last slice of 7,232 rows: some batches nodes, others not
        (2_304, 144, 0),  # 2,304 = 2 x 1,152 = 4 x 576 = ... = 16 x 144
        (65_536, 256, 5),  # no batch a node: all summed apart
        (300, 7, 3),
    ],
)
@pytest.mark.parametrize("data", ["plain", "missing", "huge", "negative-zero-shift"])
def test_batches_summed_with_the_column_equal_numpy_bit_for_bit(rows, size, start, data):
    """moments_and_batches takes a batch that is a node of a slice's summation tree from the
    column's own sums (both passes): the same bits as numpy's, batches and moments."""
    from normkit.core.running import per_batch

    rng = np.random.default_rng(rows + size + start)
    x = rng.normal(5.0, 3.0, rows) * 10.0 ** rng.integers(-3, 4, rows)
    shift = np.array([x[0]])
    if data == "missing":
        x[rng.random(rows) < 0.01] = np.nan
        x[:SLICE_ROWS] = rng.normal(size=min(rows, SLICE_ROWS))  # one slice without any
    elif data == "huge":  # sums that overflow, in some batches only
        x[: rows // 3] = 1.7e308
        shift = np.array([-1e308])
    elif data == "negative-zero-shift":
        x[::3] = -0.0
        shift = np.array([-0.0])
    n_full = (rows - start) // size
    whole, found = _native.moments_and_batches([x], shift, start, n_full, size)
    assert_same_bits(Moments(*whole), numpy_batch_moments([x], shift))
    apart = _native.batch_statistics([x], shift, start, n_full, size)
    assert found[3] == apart[3]
    for got, expected in zip(found[:3], apart[:3], strict=True):
        assert got.tobytes() == expected.tobytes()
    count, mean, m2, overflow = found
    if data == "huge":  # the caller takes numpy's path: a sum of finite values overflowed
        assert overflow
        return
    assert not overflow
    with np.errstate(over="ignore"):
        body = (x[start : start + n_full * size] - shift[0]).reshape(1, n_full, size)
    reference = per_batch(body, bool(np.isnan(body).any()))
    for got, expected in zip((count.T, mean.T, m2.T), reference, strict=True):
        same = (got == expected) & (np.signbit(got) == np.signbit(expected))
        assert (same | (np.isnan(got) & np.isnan(expected))).all()


def test_moments_and_batches_of_no_batch_and_of_batches_of_no_rows():
    x = np.arange(40_000.0)
    x[30_000] = np.nan  # a value missing in a later slice only
    whole, found = _native.moments_and_batches([x], np.zeros(1), 0, 0, 256)
    assert_same_bits(Moments(*whole), numpy_batch_moments([x], np.zeros(1)))
    assert found[0].shape == (1, 0)
    with pytest.raises(ValueError, match="batches of no rows"):
        _native.moments_and_batches([x], np.zeros(1), 8, 5, 0)


def test_batch_statistics_flag_a_sum_that_overflows():
    x = np.full(8, 1e308)
    *_, overflow = _native.batch_statistics([x], np.zeros(1), 0, 2, 4)
    assert overflow
    with pytest.raises(ValueError, match="no rows"):
        _native.batch_statistics([x], np.zeros(1), 4, 2, 4)


@settings(max_examples=60, deadline=None)
@given(
    batches(),
    st.sampled_from([1, 2, 7, 8, 9, 128, 256]),
    st.integers(0, 5),
    st.sampled_from([1, 2, 3]),
)
def test_moments_and_batches_in_one_pass_equal_the_two_apart(batch, size, start, threads):
    columns, how = batch
    columns = [np.concatenate([x, x, x]) for x in columns]
    start = min(start, len(columns[0]))
    n_full = (len(columns[0]) - start) // size
    shift = np.nan_to_num(shift_of(columns, "first" if how == "default" else how))
    whole, found = _native.moments_and_batches(columns, shift, start, n_full, size, threads)
    apart = _native.batch_moments(columns, shift, threads=threads)
    batched = _native.batch_statistics(columns, shift, start, n_full, size, threads=threads)
    for a, b in zip(whole, apart, strict=True):
        if b is None:
            assert a is None
            continue
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
    assert found[3] == batched[3]
    for a, b in zip(found[:3], batched[:3], strict=True):
        assert a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    with pytest.raises(ValueError, match="no rows"):
        _native.moments_and_batches(columns, shift, start, n_full + 1, size)
