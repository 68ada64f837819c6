"""The one pass: an Accumulator's moments, running statistics, segment and sample equal what
each piece computes on its own, whatever the chunking, and its checks name the column and row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from normkit.core.accumulator import Accumulator
from normkit.core.moments import batch_moments
from normkit.core.running import EmaOptions, RunningState, StepRecord
from normkit.core.sketch import ColumnSamples, row_keys
from normkit.errors import DataError

NAMES = ["a", "b"]


def data(rows: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(1e9, 1.0, rows), rng.exponential(3.0, rows)])
    x[rng.random(x.shape) < 0.15] = np.nan
    return x


def fed(x: np.ndarray, cuts, **kwargs) -> Accumulator:
    accumulator = Accumulator(NAMES, **kwargs)
    for piece in np.split(x, list(cuts)):
        accumulator.update(list(piece.T))
    return accumulator


@given(
    st.lists(st.integers(1, 300), min_size=1, max_size=6),
    st.sampled_from([None, EmaOptions(batch_size=7), EmaOptions(batch_size=64, drop_last=True)]),
)
def test_moments_equal_those_of_all_rows_at_once_whatever_the_chunks(chunks, running):
    x = data(sum(chunks), seed=len(chunks))
    result = fed(x, np.cumsum(chunks)[:-1], running=running).finish()
    whole = batch_moments(list(x.T))
    np.testing.assert_array_equal(result.moments.count, whole.count)
    np.testing.assert_array_equal(result.moments.n_missing, whole.n_missing)
    np.testing.assert_array_equal(result.moments.min, whole.min)
    np.testing.assert_array_equal(result.moments.max, whole.max)
    scale = np.sqrt(whole.var()) + 1.0
    assert (np.abs(result.moments.mean - whole.mean) <= 1e-12 * (np.abs(whole.mean) + scale)).all()
    np.testing.assert_allclose(result.moments.var(), whole.var(), rtol=1e-12)
    assert result.n_rows == len(x)


def test_the_sample_is_the_same_whatever_the_chunks():
    x = data(5000)
    one = fed(x, [], sample_size=300).finish().sample
    many = fed(x, [1, 17, 999, 4000], sample_size=300).finish().sample
    reference = ColumnSamples(2, 300)
    reference.offer(list(x.T), row_keys(0, 0, len(x)))
    for j in range(2):
        for sample in (one, many):
            np.testing.assert_array_equal(np.sort(sample.values(j)), np.sort(reference.values(j)))


def test_a_large_first_batch_is_sampled_as_small_batches_are():
    """A batch of many times the sample's rows is cut once for its columns without a missing
    value and per column for the others: the same sample as small batches give, and a column
    whose values (its missing ones aside) all fit holds them all."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(20_000, 3))
    x[rng.random(20_000) < 0.3, 1] = np.nan
    x[200:, 2] = np.nan  # 200 values: fewer than the sample's size
    keys = row_keys(0, 0, len(x))
    n_missing = np.isnan(x).sum(axis=0)
    large, small = ColumnSamples(3, 300), ColumnSamples(3, 300)
    large.offer(list(x.T), keys, n_missing=n_missing)
    for start in range(0, len(x), 250):
        rows = slice(start, start + 250)
        small.offer(list(x[rows].T), keys[rows], n_missing=np.isnan(x[rows]).sum(axis=0))
    for j in range(3):
        np.testing.assert_array_equal(np.sort(large.keys(j)), np.sort(small.keys(j)))
        np.testing.assert_array_equal(np.sort(large.values(j)), np.sort(small.values(j)))
    assert [large.holds_all(j) for j in range(3)] == [False, False, True]
    assert [small.holds_all(j) for j in range(3)] == [False, False, True]


@pytest.mark.parametrize("weighted", [False, True])
def test_a_first_offer_beyond_the_sample_s_size_keeps_the_smallest_keys(weighted):
    x = np.arange(2000.0)
    keys = row_keys(0, 0, len(x))
    samples = ColumnSamples(1, size=300, weighted=weighted)
    samples.offer([x], keys, np.ones(len(x)) if weighted else None, np.zeros(1, np.int64))
    kept = 301 if weighted else 300  # a weighted sample keeps its threshold's value too
    assert not samples.holds_all(0)
    np.testing.assert_array_equal(np.sort(samples.values(0)), np.sort(x[np.argsort(keys)[:kept]]))


def test_result_is_what_finish_would_give_and_the_pass_goes_on():
    x = data(1000)
    options = EmaOptions(batch_size=64)
    accumulator = fed(x[:700], [300], running=options)
    snapshot = accumulator.result()
    assert snapshot.running.n_batches == 11  # 10 whole batches and the final partial one
    want = fed(x[:700], [], running=options).finish()
    np.testing.assert_array_equal(snapshot.running.running_mean, want.running.running_mean)
    np.testing.assert_array_equal(snapshot.moments.count, want.moments.count)
    accumulator.update(list(x[700:].T))  # the partial batch was not used up by result()
    whole = fed(x, [], running=options).finish()
    got = accumulator.finish().running
    assert got.n_batches == whole.running.n_batches == 16
    np.testing.assert_allclose(got.running_var, whole.running.running_var, rtol=1e-12)


def test_a_continued_pass_equals_one_pass():
    x = data(900)
    options = EmaOptions(batch_size=50)
    first = fed(x[:500], [], running=options).finish()  # 500 rows: 10 whole batches
    continued = Accumulator(NAMES, running=options, start=first)
    continued.update(list(x[500:].T))
    result = continued.finish()
    whole = fed(x, [], running=options).finish()
    assert result.sample is None  # a continued sample would not be uniform over all rows
    np.testing.assert_allclose(result.running.running_mean, whole.running.running_mean, rtol=1e-12)
    np.testing.assert_allclose(result.moments.var(), whole.moments.var(), rtol=1e-12)


def test_observers_see_every_batch_with_the_state_after_it():
    records: list[StepRecord] = []

    class Recorder:
        def observe(self, record: StepRecord) -> None:
            records.append(record)

    x = data(103)
    options = EmaOptions(batch_size=10)
    result = fed(x, [33, 66], running=options, observers=[Recorder()]).finish()
    assert [r.first_batch for r in records] == [0, 3, 6, 10]  # the last: the partial batch
    assert sum(r.steps.n_batches for r in records) == result.running.n_batches == 11
    np.testing.assert_array_equal(records[-1].path.mean[-1], result.running.running_mean)


def test_a_part_of_a_stream_is_kept_as_a_segment():
    x = data(95)
    options = EmaOptions(batch_size=10)
    result = fed(x, [40], running=options, first_row=4).finish()
    assert result.running is None
    segment = result.segment
    assert (segment.head_rows, segment.steps.n_batches, segment.tail_rows) == (6, 8, 9)
    whole = fed(np.vstack([np.zeros((4, 2)), x]), [], running=options).finish()
    assert segment.steps.n_batches == whole.running.n_batches - 2  # the first and last batches


def test_an_infinite_value_is_refused_naming_the_column_and_its_row_in_the_part():
    accumulator = Accumulator(NAMES)
    accumulator.start_part(0)
    accumulator.update([np.ones(5), np.ones(5)])
    accumulator.start_part(1)
    accumulator.update([np.ones(3), np.array([1.0, 2.0, 3.0])])
    with pytest.raises(DataError, match=r"column 'b' at data row 5: -inf is not finite") as info:
        accumulator.update([np.ones(3), np.array([1.0, -np.inf, 3.0])])
    assert "inf_as_missing" in str(info.value)


def test_an_empty_running_state_starts_as_both_frameworks_start():
    state = RunningState.initial(EmaOptions(), 3)
    np.testing.assert_array_equal(state.running_mean, np.zeros(3))
    np.testing.assert_array_equal(state.running_var, np.ones(3))
    assert state.n_batches == 0


def test_the_sample_does_not_change_when_the_callers_array_is_reused():
    # A column without missing values is sampled whole before the sample is full: it must be
    # copied, since a caller (partial_fit in a loop) may fill the same array with its next rows.
    buffer = np.arange(10.0)
    acc = Accumulator(["x"], sample_size=100)
    acc.update([buffer])
    buffer[:] = -1.0
    acc.update([buffer])
    values = np.sort(acc.finish().sample.values(0))
    assert values.tolist() == sorted([*range(10), *([-1.0] * 10)])


@given(
    st.integers(1, 300),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1e-300, 1.0, 1e300]),
    st.lists(st.floats(0, 1), min_size=1, max_size=9),
)
def test_the_sketch_quantiles_are_numpys_bit_for_bit(n, seed, scale, probabilities):
    from normkit.core.sketch import QUANTILE_PROBABILITIES, linear_quantiles

    ordered = np.sort(np.random.default_rng(seed).standard_cauchy((n, 3)) * scale, axis=0)
    for q in (QUANTILE_PROBABILITIES, probabilities):
        ours, numpys = linear_quantiles(ordered, q), np.quantile(ordered, q, axis=0)
        assert ours.tobytes() == numpys.tobytes()


@given(st.integers(1, 400), st.integers(1, 40), st.integers(0, 2**32 - 1), st.integers(0, 3))
def test_the_sketch_cdf_counts_as_searchsorted(n, n_columns, seed, decimals):
    # Columns of one sample size are counted together, in slices of columns; with ties (values
    # rounded) the count at an edge includes every value equal to it.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_columns)).round(decimals) * rng.choice([1e-300, 1.0, 1e300])
    samples = ColumnSamples(n_columns, size=500)
    samples.offer(list(x.T), row_keys(0, 0, n))
    sketch = samples.sketch()
    for j in range(n_columns):
        ordered = np.sort(samples.values(j))
        expected = np.searchsorted(ordered, sketch.edges[j], side="right") / len(ordered)
        assert sketch.cdf[j].tobytes() == expected.tobytes()
