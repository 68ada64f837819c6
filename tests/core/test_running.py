"""Running (EMA) statistics as the core computes them: against a batch-by-batch loop, torch's
recurrence, and themselves fed in other chunks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from normkit.core.accumulator import Accumulator
from normkit.core.running import BatchSteps, EmaOptions, RunningState


def running_of(x: np.ndarray, options: EmaOptions, cuts=()) -> RunningState:
    """The running statistics of the rows of ``x``, fed in pieces cut at ``cuts``."""
    accumulator = Accumulator([f"c{j}" for j in range(x.shape[1])], running=options)
    for piece in np.split(x, list(cuts)):
        accumulator.update(list(piece.T))
    return accumulator.finish().running


def assert_running_close(ema: RunningState, mean, var) -> None:
    mean, var = np.asarray(mean), np.asarray(var)
    np.testing.assert_array_less(
        np.abs(ema.running_mean - mean), 1e-12 * (np.abs(mean) + np.sqrt(var))
    )
    np.testing.assert_allclose(ema.running_var, var, rtol=1e-12)


@given(
    st.integers(2, 40),
    st.lists(st.integers(1, 50), min_size=1, max_size=12),
    st.sampled_from([0.1, 0.01, 1.0, "cumulative"]),
    st.sampled_from(["standard", "first"]),
    st.booleans(),
)
def test_result_does_not_depend_on_chunking(batch_size, chunks, momentum, init, drop_last):
    rng = np.random.default_rng(batch_size)
    x = rng.normal(3.0, 2.0, (sum(chunks), 2))
    x[rng.random(x.shape) < 0.1] = np.nan
    options = EmaOptions(momentum=momentum, batch_size=batch_size, init=init, drop_last=drop_last)
    whole = running_of(x, options)
    pieces = running_of(x, options, np.cumsum(chunks)[:-1])
    # The batches' statistics and the recurrence are computed batch by batch: bit for bit.
    np.testing.assert_array_equal(pieces.running_mean, whole.running_mean)
    np.testing.assert_array_equal(pieces.running_var, whole.running_var)
    assert pieces.n_batches == whole.n_batches
    np.testing.assert_array_equal(pieces.n_skipped, whole.n_skipped)


def sequential_reference(x: np.ndarray, options: EmaOptions):
    """The recurrence one batch at a time, skipping columns with fewer than 2 values."""
    mean, var = np.zeros(x.shape[1]), np.ones(x.shape[1])
    updates = np.zeros(x.shape[1], dtype=int)
    size = options.batch_size
    for start in range(0, len(x), size):
        batch = x[start : start + size]
        if len(batch) < size and (options.drop_last or len(batch) < 2):
            break
        for j in range(x.shape[1]):
            v = batch[:, j][~np.isnan(batch[:, j])]
            if len(v) < 2:
                continue
            updates[j] += 1
            if options.cumulative:
                w = 1.0 / updates[j]
            elif options.init == "first" and updates[j] == 1:
                w = 1.0
            else:
                w = options.weight
            batch_var = v.var(ddof=1 if options.unbiased else 0)
            mean[j] = (1 - w) * mean[j] + w * v.mean()
            var[j] = (1 - w) * var[j] + w * batch_var
    return mean, var, updates


@pytest.mark.parametrize("init", ["standard", "first"])
@pytest.mark.parametrize("momentum", [0.3, "cumulative"])
def test_missing_values_are_left_out_per_column(init, momentum):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(41, 3))
    x[4:7, 0] = np.nan  # batch 1 (rows 4-7) keeps one value in column 0: skipped there
    x[rng.random(41) < 0.2, 2] = np.nan
    options = EmaOptions(momentum=momentum, init=init, batch_size=4)
    ema = running_of(x, options)
    mean, var, updates = sequential_reference(x, options)
    np.testing.assert_allclose(ema.running_mean, mean, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ema.running_var, var, rtol=1e-12)
    np.testing.assert_array_equal(ema.n_updates, updates)
    assert ema.n_skipped[0] >= 1
    np.testing.assert_array_equal(ema.n_updates + ema.n_skipped, ema.n_batches)


def test_init_first_starts_from_the_first_batch():
    x = np.arange(12.0).reshape(6, 2)
    accumulator = Accumulator(["a", "b"], running=EmaOptions(init="first", batch_size=3))
    accumulator.update(list(x[:3].T))
    ema = accumulator.state
    np.testing.assert_array_equal(ema.running_mean, x[:3].mean(axis=0))
    np.testing.assert_array_equal(ema.running_var, x[:3].var(axis=0, ddof=1))


@pytest.mark.parametrize(
    "options",
    [
        EmaOptions(),
        EmaOptions(convention="keras"),
        EmaOptions(momentum="cumulative", of="std"),
        EmaOptions(momentum=0.3, init="first"),
    ],
    ids=["torch", "keras", "cumulative-std", "first"],
)
def test_advance_is_the_frameworks_update_bit_for_bit(options):
    """``w * batch + (1 - w) * running`` one batch after the other, in float64, as PyTorch's
    kernel writes it, whatever records the batches come in."""
    rng = np.random.default_rng(3)
    count = rng.choice([0, 1, 2, 256], size=(41, 3), p=[0.05, 0.05, 0.1, 0.8])
    mean = np.where(count > 0, rng.normal(size=count.shape) * 1e3, np.nan)
    m2 = np.where(count > 1, rng.random(count.shape) * 1e4, 0.0)
    state = RunningState.initial(options, 3)
    running_mean, spread, updates = np.zeros(3), np.ones(3), np.zeros(3, dtype=int)
    path_mean, path_var = [], []
    for k in range(len(count)):
        for j in range(3):
            if count[k, j] < 2:
                continue
            updates[j] += 1
            w = options.weight
            if w is None:
                w = 1.0 / updates[j]
            elif options.init == "first" and updates[j] == 1:
                w = 1.0
            var = m2[k, j] / (count[k, j] - 1 if options.unbiased else count[k, j])
            batch = np.sqrt(var) if options.of == "std" else var
            running_mean[j] = w * mean[k, j] + (1.0 - w) * running_mean[j]
            spread[j] = w * batch + (1.0 - w) * spread[j]
        path_mean.append(running_mean.copy())
        path_var.append(spread**2 if options.of == "std" else spread.copy())
    whole, path = state.advance(BatchSteps(count, mean, m2))
    np.testing.assert_array_equal(path.mean, np.array(path_mean))
    np.testing.assert_array_equal(path.var, np.array(path_var))
    np.testing.assert_array_equal(whole.running_mean, running_mean)
    np.testing.assert_array_equal(whole.n_updates, updates)
    np.testing.assert_array_equal(whole.n_skipped, (count < 2).sum(axis=0))
    parts = state
    for lo, hi in [(0, 1), (1, 17), (17, 41)]:
        parts, _ = parts.advance(BatchSteps(count[lo:hi], mean[lo:hi], m2[lo:hi]))
    np.testing.assert_array_equal(parts.running_mean, whole.running_mean)
    np.testing.assert_array_equal(parts.running_var, whole.running_var)
    np.testing.assert_array_equal(parts.n_updates, whole.n_updates)
    np.testing.assert_array_equal(parts.n_skipped, whole.n_skipped)
    assert parts.n_batches == whole.n_batches == len(count)
    # No batch leaves the state as it was; no column, a state of none.
    empty = np.empty((0, 3))
    same, path = whole.advance(BatchSteps(empty.astype(np.int64), empty, empty))
    assert path.mean.shape == (0, 3)
    np.testing.assert_array_equal(same.running_var, whole.running_var)
    assert same.n_batches == whole.n_batches
    none, _ = RunningState.initial(options, 0).advance(
        BatchSteps(np.empty((4, 0), np.int64), np.empty((4, 0)), np.empty((4, 0)))
    )
    assert none.n_batches == 4
    assert none.running_mean.shape == (0,)


def test_live_torch_comparison_on_fresh_data():
    """Only where torch is installed (not a dependency): the committed reference covers CI."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(42)
    x = rng.normal(size=(257, 4)) * rng.uniform(0.1, 100, 4) + rng.uniform(-1e3, 1e3, 4)
    for momentum in (0.1, 0.01, None):
        for batch_size in (2, 16, 100):
            layer = torch.nn.BatchNorm1d(4, momentum=momentum, dtype=torch.float64)
            with torch.no_grad():
                for start in range(0, len(x), batch_size):
                    batch = x[start : start + batch_size]
                    if len(batch) >= 2:
                        layer(torch.from_numpy(batch))
            options = EmaOptions(
                momentum="cumulative" if momentum is None else momentum, batch_size=batch_size
            )
            ema = running_of(x, options)
            assert_running_close(ema, layer.running_mean.numpy(), layer.running_var.numpy())


@given(
    st.integers(2, 40),
    st.lists(st.integers(1, 60), min_size=2, max_size=8),
    st.sampled_from(["stream", "part", "result", "weighted"]),
)
def test_running_statistics_leave_the_exact_moments_as_they_are_bit_for_bit(
    batch_size, chunks, how
):
    """The exact statistics of a fit with running statistics are those without them: of a
    whole stream, of a part of one (a Dask worker's), mid-stream (``result``), and of a stream
    that turns weighted (which ends the running statistics)."""
    rng = np.random.default_rng(batch_size)
    x = rng.normal(1e6, 3.0, (sum(chunks), 3))
    x[rng.random(x.shape) < 0.1] = np.nan
    names = ["a", "b", "c"]
    results = []
    for running in (EmaOptions(batch_size=batch_size), None):
        accumulator = Accumulator(names, running=running, first_row=5 if how == "part" else None)
        pieces = np.split(x, np.cumsum(chunks)[:-1])
        for k, piece in enumerate(pieces):
            weights = np.full(len(piece), 2.0) if how == "weighted" and k == 1 else None
            accumulator.update(list(piece.T), weights)
        if how == "result":
            results.append(accumulator.result().moments)
        else:
            results.append(accumulator.finish().moments)
    with_ema, without = results
    for field in ("count", "n_missing", "shift", "mean_offset", "m2", "m3", "m4", "min", "max"):
        np.testing.assert_array_equal(getattr(with_ema, field), getattr(without, field))
