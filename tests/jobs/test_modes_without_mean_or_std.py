"""Statistics fitted with ``with_mean=False`` or ``with_std=False`` (``--no-mean``, ``--no-std``)
in BatchNorm's modes: frozen with the running statistics, adaptive and batch alike neither center
nor divide where the statistics say so, checked mode against mode and against
``torch.nn.BatchNorm1d`` (its eval mode with ``running_mean`` held at 0 is the uncentered case)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ERROR, normkit_error, run_normkit

import normkit
from normkit import Standardizer

torch = pytest.importorskip("torch")

BATCH = 64
FLAGS = {
    "no-mean": (["--no-mean"], False, True),
    "no-std": (["--no-std"], True, False),
    "neither": (["--no-mean", "--no-std"], False, False),
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({"x": rng.normal(20, 5, 1000), "y": rng.lognormal(10, 0.8, 1000)})


def ok(*args) -> None:
    proc = run_normkit(*args, "-q")
    assert proc.returncode == 0, proc.stderr.decode()


def torch_eval(x: np.ndarray, mean, var, eps: float, with_mean: bool, with_std: bool):
    """BatchNorm1d's eval mode (float64) with these running statistics, the mean held at 0
    without centering and the variance at 1 with eps 0 without dividing."""
    layer = torch.nn.BatchNorm1d(x.shape[1], eps=eps if with_std else 0.0, dtype=torch.float64)
    layer.running_mean.copy_(torch.from_numpy(np.asarray(mean) * with_mean))
    layer.running_var.copy_(torch.from_numpy(np.asarray(var) if with_std else np.ones(x.shape[1])))
    layer.eval()
    with torch.no_grad():
        return layer(torch.from_numpy(np.array(x))).numpy()


def torch_adaptive(x: np.ndarray, mean, var, eps: float, with_mean: bool, with_std: bool):
    """Each batch by a BatchNorm1d's eval mode with the running statistics as they stood before
    it, then its train mode's update of them by the batch."""
    layer = torch.nn.BatchNorm1d(x.shape[1], eps=eps, momentum=0.1, dtype=torch.float64)
    layer.running_mean.copy_(torch.from_numpy(np.asarray(mean)))
    layer.running_var.copy_(torch.from_numpy(np.asarray(var)))
    out = []
    for start in range(0, len(x), BATCH):
        rows = x[start : start + BATCH]
        before = (layer.running_mean.numpy().copy(), layer.running_var.numpy().copy())
        out.append(torch_eval(rows, *before, eps, with_mean, with_std))
        if len(rows) >= 2:
            layer.train()
            with torch.no_grad():
                layer(torch.from_numpy(rows))
    return np.vstack(out)


def torch_batch(x: np.ndarray, eps: float, with_mean: bool, with_std: bool):
    """Each batch by its own mean and biased variance, through BatchNorm1d's eval mode (its own
    train mode where it both centers and divides)."""
    out = []
    for start in range(0, len(x), BATCH):
        rows = x[start : start + BATCH]
        out.append(torch_eval(rows, rows.mean(axis=0), rows.var(axis=0), eps, with_mean, with_std))
        if with_mean and with_std:
            layer = torch.nn.BatchNorm1d(x.shape[1], eps=eps, dtype=torch.float64).train()
            with torch.no_grad():
                train = layer(torch.from_numpy(rows)).numpy()
            np.testing.assert_allclose(out[-1], train, rtol=1e-12, atol=1e-12)
    return np.vstack(out)


def assert_close(got: np.ndarray, expected: np.ndarray, x: np.ndarray, with_std: bool) -> None:
    # torch multiplies by 1 / sqrt(var + eps) where normkit divides: to rounding, relative to
    # the conditioning max|x| / scale + 1 (without dividing, the data's own size).
    scale = x.std(axis=0) if with_std else 1.0
    bound = 1e-12 * (np.abs(x).max(axis=0) / scale + 1)
    np.testing.assert_array_less(np.abs(got - expected), np.broadcast_to(bound, got.shape))


@pytest.mark.parametrize("flags", FLAGS.values(), ids=FLAGS.keys())
def test_cli_modes_honour_no_mean_and_no_std_as_torch_does(tmp_path, frame, flags):
    given, with_mean, with_std = flags
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    stats = tmp_path / "s.json"
    ok("fit", data, "--batch-size", BATCH, *given, "-o", stats)
    out = {}
    for mode in ("frozen", "adaptive", "batch"):
        path = tmp_path / f"{mode}.parquet"
        use = ("--use", "ema") if mode == "frozen" else ()
        ok("transform", data, "-s", stats, "--mode", mode, *use, "-o", path)
        out[mode] = pd.read_parquet(path)[["x", "y"]].to_numpy()
    # The first batch meets the same running statistics in the frozen and adaptive modes.
    np.testing.assert_array_equal(out["adaptive"][:BATCH], out["frozen"][:BATCH])
    ema = normkit.load(stats).ema_
    x = frame.to_numpy()
    state = (ema.running_mean, ema.running_var, ema.options.eps_value, with_mean, with_std)
    assert_close(out["frozen"], torch_eval(x, *state), x, with_std)
    assert_close(out["adaptive"], torch_adaptive(x, *state), x, with_std)
    batch = torch_batch(x, ema.options.eps_value, with_mean, with_std)
    assert_close(out["batch"], batch, x, with_std)
    if not (with_mean or with_std):  # nothing subtracted, nothing divided
        for mode in out:
            np.testing.assert_array_equal(out[mode], x)


@pytest.mark.parametrize("flags", FLAGS.values(), ids=FLAGS.keys())
def test_library_modes_honour_with_mean_and_with_std(frame, flags):
    _, with_mean, with_std = flags
    stats = Standardizer(with_mean=with_mean, with_std=with_std, batch_size=BATCH).fit(frame)
    ema = stats.ema_
    frozen = stats.transform(frame, use="ema").to_numpy()
    adaptive = pd.concat(b.to_pandas() for b in stats.transform_stream([frame], "adaptive"))
    np.testing.assert_array_equal(adaptive.to_numpy()[:BATCH], frozen[:BATCH])
    x = frame.to_numpy()
    state = (ema.running_mean, ema.running_var, ema.options.eps_value, with_mean, with_std)
    assert_close(adaptive.to_numpy(), torch_adaptive(x, *state), x, with_std)
    # The adaptive pass moved the running statistics on: batch mode from a fresh fit.
    stats.fit(frame)
    batch = pd.concat(b.to_pandas() for b in stats.transform_stream([frame], "batch"))
    expected = torch_batch(x, ema.options.eps_value, with_mean, with_std)
    assert_close(batch.to_numpy(), expected, x, with_std)


def test_a_last_batch_of_one_row_uncentered_is_refused_and_passes_untouched(tmp_path, frame):
    data = tmp_path / "d.csv"
    frame.iloc[: 2 * BATCH + 1].to_csv(data, index=False)
    out = tmp_path / "o.csv"
    stats = tmp_path / "s.json"
    ok("fit", data, "--batch-size", BATCH, "--no-mean", "-o", stats)
    proc = run_normkit("transform", data, "-s", stats, "--mode", "batch", "-o", out)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"{ERROR}{data}: column 'x' at data row 129: the last batch holds this row alone "
        "(batches of 64 rows); normalized by its own statistics it would be divided by the "
        "square root of eps (1e-05) alone, its variance being 0, and BatchNorm refuses a batch "
        "of one row in training; choose a batch size that leaves more than one row in the last "
        "batch (--batch-size) or normalize with the running statistics (--mode adaptive)\n"
    )
    assert not out.exists()
    # Neither centered nor divided, no statistic of the batch is read: the rows as they were.
    ok("fit", data, "--batch-size", BATCH, "--no-mean", "--no-std", "-o", stats)
    ok("transform", data, "-s", stats, "--mode", "batch", "-o", out)
    np.testing.assert_array_equal(pd.read_csv(out).to_numpy(), frame.iloc[: 2 * BATCH + 1])


def test_a_batch_mode_fingerprint_tells_the_flags_apart(frame):
    # Batch mode's output depends on them now: its record must not take one for the other.
    from normkit.stats.fingerprints import fingerprint

    prints = {
        fingerprint(Standardizer(with_mean=m, with_std=s).fit(frame).stats_, "ema", "batch")
        for _, m, s in [*FLAGS.values(), ([], True, True)]
    }
    assert len(prints) == 4


def test_a_batch_variance_overflowing_without_std_names_what_it_spoils(tmp_path):
    # Nothing divides by it under --no-std: the refusal said the batch "would come out 0".
    pd.DataFrame({"a": np.arange(1.0, 7.0)}).to_csv(tmp_path / "ok.csv", index=False)
    data = pd.DataFrame({"a": [1.0, 2.0, 1e300, -1e300, 5.0, 6.0]})
    data.to_csv(tmp_path / "big.csv", index=False)
    for flags, told in (
        ([], "the batch would come out 0"),
        (["--no-std"], "the running variance learned would be infinite"),
    ):
        stats = tmp_path / "s.json"
        fit = run_normkit("fit", tmp_path / "ok.csv", "--batch-size", "2", *flags, "-o", stats)
        assert fit.returncode == 0, fit.stderr
        line = normkit_error(
            1,
            "transform",
            tmp_path / "big.csv",
            "-s",
            stats,
            "--mode",
            "batch",
            "-o",
            tmp_path / "o.csv",
        )
        assert f"makes its batch's variance overflow float64, so {told};" in line, line
