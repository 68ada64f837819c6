"""Running statistics computed in parts (EMA segments) and combined equal those of one stream."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normkit.core.accumulator import Accumulator
from normkit.core.running import EmaOptions, RunningState
from normkit.core.segments import EmaSegment, EmaSteps


def feed(x: np.ndarray, options: EmaOptions, chunk: int, first_row: int | None = None):
    """What an accumulator makes of the rows of ``x``, fed ``chunk`` rows at a time: a whole
    stream (``first_row`` None) or a part of one beginning at ``first_row``, shifted by its own
    first values (as a worker that sees only its part does)."""
    names = [f"c{j}" for j in range(x.shape[1])]
    accumulator = Accumulator(names, running=options, first_row=first_row, sample_size=False)
    columns = list(x.T)
    for start in range(0, len(x), chunk):
        accumulator.update([c[start : start + chunk] for c in columns])
    return accumulator.finish()


def one_stream(x: np.ndarray, options: EmaOptions, chunk: int = 1000) -> RunningState:
    return feed(x, options, chunk).running


def segment_of(x: np.ndarray, options: EmaOptions, first_row: int, chunk: int) -> EmaSegment:
    return feed(x, options, chunk, first_row).segment


def test_a_part_keeps_the_exact_moments_of_every_row_it_was_fed():
    # Head rows, whole batches and the tail: together every row, exactly once.
    rng = np.random.default_rng(2)
    x = rng.normal(1e9, 1.0, (103, 2))
    x[rng.random(x.shape) < 0.2] = np.nan
    result = feed(x, EmaOptions(batch_size=10), 9, first_row=7)
    np.testing.assert_array_equal(result.moments.count, (~np.isnan(x)).sum(axis=0))
    np.testing.assert_allclose(result.moments.mean, np.nanmean(x, axis=0), rtol=1e-15)
    assert result.segment.head_rows == 3
    assert result.segment.tail_rows == (103 - 3) % 10


def combine_as_tree(segments: list[EmaSegment], options: EmaOptions, fan_in: int) -> EmaSegment:
    """Adjacent segments combined in groups of ``fan_in``, level by level (a tree reduction)."""
    while len(segments) > 1:
        groups = [segments[i : i + fan_in] for i in range(0, len(segments), fan_in)]
        level = []
        for group in groups:
            combined = group[0]
            for later in group[1:]:
                combined = combined.then(later, options)
            level.append(combined)
        segments = level
    return segments[0]


def assert_same_state(got: RunningState, want: RunningState) -> None:
    scale = np.sqrt(np.abs(want.running_var)) + np.abs(want.running_mean)
    np.testing.assert_array_less(
        np.abs(got.running_mean - want.running_mean), 1e-12 * scale + 1e-300
    )
    np.testing.assert_allclose(got.running_var, want.running_var, rtol=1e-12, atol=0)
    assert got.n_batches == want.n_batches
    np.testing.assert_array_equal(got.n_updates, want.n_updates)
    np.testing.assert_array_equal(got.n_skipped, want.n_skipped)


@settings(max_examples=150, deadline=None)
@given(
    batch_size=st.integers(2, 12),
    parts=st.lists(st.integers(0, 40), min_size=1, max_size=9),
    chunk=st.integers(1, 17),
    fan_in=st.integers(2, 4),
    momentum=st.sampled_from([0.1, 0.01, 1.0, "cumulative"]),
    init=st.sampled_from(["standard", "first"]),
    convention=st.sampled_from(["torch", "keras"]),
    drop_last=st.booleans(),
    missing=st.sampled_from([0.0, 0.3, 0.9]),
    offset=st.sampled_from([0.0, 1e9]),
)
def test_parts_combined_equal_one_stream(
    batch_size, parts, chunk, fan_in, momentum, init, convention, drop_last, missing, offset
):
    rng = np.random.default_rng(sum(parts) + batch_size)
    x = rng.normal(offset, 2.0, (sum(parts), 3))
    x[rng.random(x.shape) < missing] = np.nan
    if convention == "keras" and momentum != "cumulative":
        momentum = 1 - momentum if momentum < 1 else 0.5
    options = EmaOptions(
        convention=convention,
        momentum=momentum if convention == "torch" or momentum != "cumulative" else "default",
        batch_size=batch_size,
        init=init,
        drop_last=drop_last,
    )
    starts = np.concatenate([[0], np.cumsum(parts)[:-1]]).astype(int)
    segments = [
        segment_of(x[s : s + n], options, int(s), chunk) for s, n in zip(starts, parts, strict=True)
    ]
    combined = combine_as_tree(segments, options, fan_in)
    got = combined.finish(RunningState.initial(options, 3))
    assert_same_state(got, one_stream(x, options))


def test_a_part_shorter_than_the_batch_it_falls_in():
    # Rows 3..5 of a batch of 8 rows that runs from row 0 to row 7: neither end is a boundary.
    options = EmaOptions(batch_size=8)
    x = np.arange(20.0)[:, None] ** 1.5
    parts = [x[:3], x[3:6], x[6:20]]
    segments = [segment_of(p, options, s, 4) for p, s in zip(parts, [0, 3, 6], strict=True)]
    assert segments[0].closed
    assert not segments[1].closed
    assert segments[2].closed
    got = combine_as_tree(segments, options, 2).finish(RunningState.initial(options, 1))
    assert_same_state(got, one_stream(x, options))


def test_segments_that_do_not_meet_at_a_boundary_are_refused():
    options = EmaOptions(batch_size=4)
    x = np.arange(10.0)[:, None]
    left = segment_of(x[:5], options, 0, 5)
    right = segment_of(x[5:], options, 0, 5)  # wrongly computed as if it began the stream
    with pytest.raises(ValueError, match="batch boundary"):
        left.then(right, options)


def test_steps_compose_associatively():
    options = EmaOptions(momentum=0.2, init="first")
    rng = np.random.default_rng(0)
    steps = []
    for n in (3, 1, 4):
        count = rng.integers(0, 4, (n, 2))
        steps.append(
            EmaSteps.of_batches(options, count, rng.normal(size=(n, 2)), rng.random((n, 2)))
        )
    left = steps[0].then(steps[1]).then(steps[2])
    right = steps[0].then(steps[1].then(steps[2]))
    for name in ("a", "b", "a_first", "b_first", "total"):
        np.testing.assert_allclose(getattr(left, name), getattr(right, name), rtol=1e-14)
