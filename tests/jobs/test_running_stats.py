"""Running (EMA) statistics and BatchNorm's train, eval and adaptive forward passes.

The reference is ``tests/data/torch_batchnorm_reference.json``, written by
``tests/data/make_torch_reference.py`` from ``torch.nn.BatchNorm1d`` in float64; the tests use it
without torch. Where torch is importable, ``test_live_torch_*`` also compares on fresh data.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import run_normkit

import normkit
from normkit import EmaOptions, ReadOptions, Standardizer
from normkit.core.running import RunningState
from normkit_cli.main import cli

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "data" / "torch_batchnorm_reference.json").read_text()
)
X = np.array(REFERENCE["data"])
COLUMNS = REFERENCE["columns"]
GAMMA = dict(zip(COLUMNS, REFERENCE["weight"], strict=True))
BETA = dict(zip(COLUMNS, REFERENCE["bias"], strict=True))
CASES = REFERENCE["cases"]


def case_id(case: dict) -> str:
    return f"m={case['momentum']}-B={case['batch_size']}"


@pytest.fixture(scope="module")
def reference_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "data.csv"
    frame = pd.DataFrame(X, columns=COLUMNS)
    frame.insert(0, "id", np.arange(len(frame)))
    frame.to_csv(path, index=False)
    return path


def options_for(case: dict, **kwargs) -> EmaOptions:
    momentum = "cumulative" if case["momentum"] is None else case["momentum"]
    return EmaOptions(momentum=momentum, batch_size=case["batch_size"], **kwargs)


def assert_running_close(ema: RunningState, mean, var) -> None:
    mean, var = np.asarray(mean), np.asarray(var)
    np.testing.assert_array_less(
        np.abs(ema.running_mean - mean), 1e-12 * (np.abs(mean) + np.sqrt(var))
    )
    np.testing.assert_allclose(ema.running_var, var, rtol=1e-12)


def assert_outputs_close(got: np.ndarray, expected: np.ndarray, x: np.ndarray, scale) -> None:
    """1e-12 relative to the conditioning gamma * (|x| + |mean|) / scale + |beta|."""
    gamma = np.array(REFERENCE["weight"])
    bound = 1e-12 * (np.abs(gamma) * (np.abs(x) + np.abs(x).max(axis=0)) / scale + 10.0)
    np.testing.assert_array_less(np.abs(got - expected), bound)


@pytest.mark.parametrize("case", CASES, ids=case_id)
@pytest.mark.parametrize("chunk_rows", [None, 1, 5, 64])
def test_fit_running_statistics_equal_torch(reference_csv, case, chunk_rows):
    stats = normkit.fit_files(
        reference_csv,
        Standardizer(exclude=["id"], ema=options_for(case)),
        ReadOptions(chunk_rows=chunk_rows),
    )
    assert stats.ema_.n_batches == case["num_batches_tracked"]
    assert_running_close(stats.ema_, case["running_mean"], case["running_var"])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_eval_transform_with_ema_equals_torch_eval(tmp_path, reference_csv, case):
    stats = normkit.fit_files(
        reference_csv, Standardizer(exclude=["id"], ema=options_for(case), gamma=GAMMA, beta=BETA)
    )
    out = tmp_path / "eval.parquet"
    normkit.transform_file(reference_csv, stats, out, normkit.TransformOptions(use="ema"))
    got = pd.read_parquet(out)[COLUMNS].to_numpy()
    scale = np.sqrt(np.array(case["running_var"]) + REFERENCE["eps"])
    assert_outputs_close(got, np.array(case["eval_output"]), X, scale)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_batch_mode_equals_torch_train(tmp_path, reference_csv, case):
    stats = normkit.fit_files(reference_csv, Standardizer(exclude=["id"], ema=options_for(case)))
    out = tmp_path / "train.parquet"
    options = normkit.TransformOptions(mode="batch", gamma=GAMMA, beta=BETA)
    expected = np.array(case["train_output"])
    source = reference_csv
    if len(X) % case["batch_size"] == 1:
        # torch cannot train on a final batch of 1 row (it raises), nor does normkit.
        with pytest.raises(normkit.DataError, match="the last batch holds this row alone"):
            normkit.transform_file(reference_csv, stats, out, options)
        assert not out.exists()
        source = tmp_path / "all_but_the_last.csv"
        pd.read_csv(reference_csv).iloc[:-1].to_csv(source, index=False)
    normkit.transform_file(source, stats, out, options)
    got = pd.read_parquet(out)[COLUMNS].to_numpy()
    assert len(got) == len(expected)
    assert_outputs_close(got, expected, X[: len(expected)], np.std(X, axis=0))


def test_cli_fit_and_eval_transform_match_torch(tmp_path, reference_csv):
    case = next(c for c in CASES if c["momentum"] == 0.01 and c["batch_size"] == 7)
    runner = CliRunner()
    stats = tmp_path / "s.json"
    gamma = ",".join(f"{k}={v}" for k, v in GAMMA.items())
    beta = ",".join(f"{k}={v}" for k, v in BETA.items())
    result = runner.invoke(
        cli,
        [
            "fit",
            str(reference_csv),
            "--exclude",
            "id",
            "--momentum",
            "0.01",
            "--batch-size",
            "7",
            "--gamma",
            gamma,
            "--beta",
            beta,
            "-o",
            str(stats),
            "--chunk-rows",
            "10",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(stats.read_text())
    assert doc["ema"]["momentum"] == 0.01
    assert doc["ema"]["batch_size"] == 7
    assert [c["gamma"] for c in doc["columns"]] == REFERENCE["weight"]
    out = tmp_path / "eval.csv"
    result = runner.invoke(
        cli, ["transform", str(reference_csv), "-s", str(stats), "--use", "ema", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)[COLUMNS].to_numpy()
    scale = np.sqrt(np.array(case["running_var"]) + REFERENCE["eps"])
    assert_outputs_close(got, np.array(case["eval_output"]), X, scale)
    inspect = runner.invoke(cli, ["inspect", str(stats)])
    assert "running (EMA) statistics: convention=torch momentum=0.01" in inspect.output
    assert "ema mean" in inspect.output


def keras_reference(x: np.ndarray, momentum: float, batch_size: int):
    """Keras' BatchNormalization update, written out independently, one batch at a time."""
    moving_mean, moving_var = np.zeros(x.shape[1]), np.ones(x.shape[1])
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        if len(batch) < 2:
            break
        moving_mean = moving_mean * momentum + batch.mean(axis=0) * (1 - momentum)
        moving_var = moving_var * momentum + batch.var(axis=0) * (1 - momentum)
    return moving_mean, moving_var


@pytest.mark.parametrize(("momentum", "batch_size"), [("default", 32), (0.9, 7), (0.5, 2)])
def test_keras_convention(tmp_path, reference_csv, momentum, batch_size):
    options = EmaOptions(convention="keras", momentum=momentum, batch_size=batch_size)
    stats = normkit.fit_files(reference_csv, Standardizer(exclude=["id"], ema=options))
    mean, var = keras_reference(X, 0.99 if momentum == "default" else momentum, batch_size)
    assert_running_close(stats.ema_, mean, var)
    assert stats.ema_.options.eps_value == 1e-3
    got = stats.transform(pd.DataFrame(X, columns=COLUMNS), use="ema")[COLUMNS].to_numpy()
    expected = (X - mean) / np.sqrt(var + 1e-3)
    np.testing.assert_allclose(
        got, expected, rtol=1e-12, atol=1e-12 * np.abs(X).max() / np.sqrt(var + 1e-3).min()
    )


def test_drop_last_and_short_final_batch(reference_csv):
    for drop_last, expected in ((False, 15), (True, 14)):  # 103 rows = 14 * 7 + 5
        options = EmaOptions(batch_size=7, drop_last=drop_last)
        stats = normkit.fit_files(reference_csv, Standardizer(exclude=["id"], ema=options))
        assert stats.ema_.n_batches == expected
    # 103 = 51 * 2 + 1: a final batch of one row never counts
    stats = normkit.fit_files(
        reference_csv, Standardizer(exclude=["id"], ema=EmaOptions(batch_size=2))
    )
    assert stats.ema_.n_batches == 51


def drifting_stream(tmp_path: Path) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(9)
    x = np.concatenate([rng.normal(0.0, 1.0, 10_000), rng.normal(5.0, 1.0, 10_000)])
    path = tmp_path / "drift.parquet"
    pq.write_table(pa.table({"x": x}), path)
    return path, x


def test_adaptive_mode_follows_a_shifted_mean(tmp_path):
    path, x = drifting_stream(tmp_path)
    head = tmp_path / "head.parquet"
    pq.write_table(pa.table({"x": x[:10_000]}), head)
    stats = normkit.fit_files(head, Standardizer(ema=EmaOptions(batch_size=100)))
    out = tmp_path / "adaptive.parquet"
    normkit.transform_file(path, stats, out, normkit.TransformOptions(mode="adaptive"))
    y = pd.read_parquet(out)["x"].to_numpy()
    after = y[14_000:]  # 40 batches after the shift, the running mean has caught up
    assert abs(after.mean()) < 0.1
    assert abs(after.std() - 1.0) < 0.1
    frozen = stats.transform(pd.DataFrame({"x": x}))["x"].to_numpy()[14_000:]
    assert frozen.mean() > 4.0  # a frozen transform keeps the old statistics


def test_save_stats_continues_a_stream_across_runs(tmp_path):
    path, x = drifting_stream(tmp_path)
    first, second = tmp_path / "first.parquet", tmp_path / "second.parquet"
    pq.write_table(pa.table({"x": x[:7_000]}), first)
    pq.write_table(pa.table({"x": x[7_000:]}), second)
    stats_path = tmp_path / "s.json"
    normkit.save(normkit.fit_files(first, Standardizer(ema=EmaOptions(batch_size=100))), stats_path)
    runner = CliRunner()
    whole_out, s_whole = tmp_path / "whole.parquet", tmp_path / "s_whole.json"
    args = ["--mode", "adaptive", "-q"]
    assert (
        runner.invoke(
            cli,
            [
                "transform",
                str(path),
                "-s",
                str(stats_path),
                "-o",
                str(whole_out),
                *args,
                "--save-stats",
                str(s_whole),
            ],
        ).exit_code
        == 0
    )
    s1, s2 = tmp_path / "s1.json", tmp_path / "s2.json"
    out1, out2 = tmp_path / "o1.parquet", tmp_path / "o2.parquet"
    assert (
        runner.invoke(
            cli,
            [
                "transform",
                str(first),
                "-s",
                str(stats_path),
                "-o",
                str(out1),
                *args,
                "--save-stats",
                str(s1),
            ],
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(
            cli,
            [
                "transform",
                str(second),
                "-s",
                str(s1),
                "-o",
                str(out2),
                *args,
                "--save-stats",
                str(s2),
            ],
        ).exit_code
        == 0
    )
    pieces = np.concatenate([pd.read_parquet(out1)["x"], pd.read_parquet(out2)["x"]])
    np.testing.assert_allclose(pieces, pd.read_parquet(whole_out)["x"], rtol=1e-12, atol=1e-12)
    a, b = normkit.load(s2).ema_, normkit.load(s_whole).ema_
    np.testing.assert_allclose(a.running_mean, b.running_mean, rtol=1e-12)
    np.testing.assert_allclose(a.running_var, b.running_var, rtol=1e-12)
    assert a.n_batches == b.n_batches == 70 + 200  # 7,000 rows fitted, then 20,000 streamed


def test_batch_and_adaptive_output_cannot_be_inverted(tmp_path, reference_csv):
    runner = CliRunner()
    stats = tmp_path / "s.json"
    assert (
        runner.invoke(
            cli, ["fit", str(reference_csv), "--exclude", "id", "-o", str(stats)]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        cli, ["inverse", str(reference_csv), "-s", str(stats), "--mode", "batch"]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("normkit: error: batch output cannot be inverted")
    out = tmp_path / "train.parquet"
    assert (
        runner.invoke(
            cli,
            [
                "transform",
                str(reference_csv),
                "-s",
                str(stats),
                "--mode",
                "adaptive",
                "-o",
                str(out),
            ],
        ).exit_code
        == 0
    )
    result = runner.invoke(
        cli, ["inverse", str(out), "-s", str(stats), "-o", str(tmp_path / "back.csv")]
    )
    assert result.exit_code == 1
    assert "was written by a transform in adaptive mode, which cannot be inverted" in result.stderr
    assert not (tmp_path / "back.csv").exists()


def test_inverse_of_an_ema_transform_with_affine_restores_the_data(tmp_path, reference_csv):
    stats = normkit.fit_files(reference_csv, Standardizer(exclude=["id"], gamma=GAMMA, beta=BETA))
    frame = pd.DataFrame(X, columns=COLUMNS)
    for use in ("exact", "ema"):
        back = stats.inverse_transform(stats.transform(frame, use=use), use=use)[COLUMNS].to_numpy()
        np.testing.assert_allclose(back, X, rtol=1e-12, atol=1e-12 * np.abs(X).max())


def test_usage_errors_of_the_ema_options(reference_csv):
    runner = CliRunner()
    for args in (
        ["--batch-size", "1"],
        ["--momentum", "0"],
        ["--momentum", "1.5"],
        ["--momentum", "fast"],
        ["--convention", "jax"],
        ["--ema-init", "zero"],
    ):
        result = runner.invoke(cli, ["fit", str(reference_csv), *args])
        assert result.exit_code == 2, (args, result.output)


def test_a_final_partial_batch_near_the_float64_limit(tmp_path):
    # 50 rows of 1e300: the last (partial) batch's squared deviations, taken from the batch
    # mean rounded at 1e300, would overflow; relative to the shift they are exactly 0.
    pd.DataFrame({"x": np.full(50, 1e300), "y": np.arange(50.0)}).to_csv(
        tmp_path / "h.csv", index=False
    )
    result = CliRunner().invoke(
        cli, ["fit", str(tmp_path / "h.csv"), "-o", str(tmp_path / "s.json"), "-q"]
    )
    assert result.exit_code == 0, result.output
    stats = normkit.load(tmp_path / "s.json")
    assert stats.ema_.running_var[0] == pytest.approx(0.9)  # 0.9 * 1 + 0.1 * 0
    assert stats.ema_.running_mean[0] == pytest.approx(1e299)


@pytest.mark.parametrize("mode", ["adaptive", "batch"])
def test_save_stats_keeps_the_gamma_and_beta_the_run_used(tmp_path, mode):
    """Given to the first run (over the stat file's own), they went unsaved: the run chained
    through --save-stats normalized with the fit's gamma and beta, with exit 0."""
    from conftest import normkit_summary as ok

    path, x = drifting_stream(tmp_path)
    first, second = tmp_path / "first.parquet", tmp_path / "second.parquet"
    pq.write_table(pa.table({"x": x[:7_000]}), first)
    pq.write_table(pa.table({"x": x[7_000:]}), second)
    stats = tmp_path / "s.json"
    ok("fit", first, "--batch-size", "100", "--gamma", "1.5", "--beta", "-0.25", "-o", stats)
    given = ("--mode", mode, "--gamma", "3", "--beta", "0.5")
    ok("transform", path, "-s", stats, *given, "-o", tmp_path / "whole.parquet")
    s1 = tmp_path / "s1.json"
    ok("transform", first, "-s", stats, *given, "--save-stats", s1, "-o", tmp_path / "o1.parquet")
    saved = normkit.load(s1)
    assert saved.gamma == 3.0
    assert saved.beta == 0.5
    ok("transform", second, "-s", s1, "--mode", mode, "-o", tmp_path / "o2.parquet")
    pieces = [pd.read_parquet(tmp_path / f"o{i}.parquet")["x"] for i in (1, 2)]
    whole = pd.read_parquet(tmp_path / "whole.parquet")["x"]
    np.testing.assert_allclose(np.concatenate(pieces), whole, rtol=1e-12, atol=1e-12)


def test_transform_with_running_statistics_far_from_the_data_says_so(tmp_path):
    """One batch into a momentum of 0.1, the running mean is a tenth of the mean: BatchNorm's
    eval output, exit 0 without a word. Near the exact ones (many batches of the same data),
    nothing is said."""
    from conftest import normkit_summary as ok

    rng = np.random.default_rng(4)
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": rng.normal(50, 2, 4000), "b": rng.normal(0, 1, 4000)}).to_csv(
        path, index=False
    )
    few, many = tmp_path / "few.json", tmp_path / "many.json"
    ok("fit", path, "--batch-size", "4000", "-o", few)
    summary = ok("transform", path, "-s", few, "--use", "ema", "-o", tmp_path / "z.csv")
    note = next(line for line in summary.splitlines() if line.startswith("normkit: note:"))
    assert "far from the exact ones in 1 column of 2 after 1 batch (column 'a':" in note
    assert "(--use exact)" in note
    ok("fit", path, "--batch-size", "50", "-o", many)
    summary = ok("transform", path, "-s", many, "--use", "ema", "-o", tmp_path / "y.csv")
    assert "note" not in summary
    assert "note" not in ok("transform", path, "-s", few, "-o", tmp_path / "x.csv")
    # A constant column's running spread (from BatchNorm's start of 1) is no sign: not noted.
    still = tmp_path / "still.csv"
    pd.DataFrame({"b": rng.normal(0, 1, 4000), "k": 5.0}).to_csv(still, index=False)
    ok("fit", still, "--batch-size", "50", "-o", tmp_path / "still.json")
    out = tmp_path / "still_z.csv"
    summary = ok("transform", still, "-s", tmp_path / "still.json", "--use", "ema", "-o", out)
    assert "note" not in summary
    # A spread of 0.01 about 1e9: scikit-learn's rule makes its scale 1, and running
    # statistics equal to the exact ones were called far ('0.00996 times the scale', --use
    # exact, whose output has a spread of 0.01). They are near the exact standard deviation.
    offset = tmp_path / "offset.csv"
    pd.DataFrame({"x": 1e9 + 0.01 * rng.standard_normal(100_000)}).to_csv(offset, index=False)
    ok("fit", offset, "-o", tmp_path / "offset.json")
    assert json.loads((tmp_path / "offset.json").read_text())["columns"][0]["scale"] == 1.0
    out = tmp_path / "offset_z.csv"
    summary = ok("transform", offset, "-s", tmp_path / "offset.json", "--use", "ema", "-o", out)
    assert "note" not in summary
    # A stat file that can be read once (a pipe): the note was made by reading it again, which
    # waited for ever (or exited 1 after the output was written).
    import os
    import threading

    pipe = tmp_path / "stats.pipe"
    os.mkfifo(pipe)
    feed = threading.Thread(target=lambda: pipe.write_bytes(few.read_bytes()), daemon=True)
    feed.start()
    summary = ok("transform", path, "-s", pipe, "--use", "ema", "-o", tmp_path / "w.csv")
    feed.join(timeout=10)
    assert "far from the exact ones in 1 column of 2" in summary


def test_export_of_running_statistics_notes_what_transform_with_them_notes(tmp_path):
    """A user's trial: breast-cancer's data at batches of 32 (a running std 27.6 times its
    scale), and a column with one value per batch (its running statistics never updated, left
    at 0 and 1): transform --use ema said so, export of the same statistics nothing, and fit
    nothing of the column never updated. Now each says it, in the same words."""
    from conftest import normkit_summary as ok
    from sklearn.datasets import load_breast_cancer

    def notes(summary: str) -> list[str]:
        return [line for line in summary.splitlines() if line.startswith("normkit: note:")]

    cancer, stats = tmp_path / "cancer.csv", tmp_path / "cancer.json"
    load_breast_cancer(as_frame=True).data.to_csv(cancer, index=False)
    ok("fit", cancer, "--batch-size", "32", "-o", stats)
    said = notes(ok("transform", cancer, "-s", stats, "--use", "ema", "-o", tmp_path / "z.csv"))
    assert len(said) == 1
    assert "far from the exact ones in 16 columns of 30" in said[0]
    for to in ("torch", "onnx"):
        out = tmp_path / f"bn.{'safetensors' if to == 'torch' else 'onnx'}"
        assert notes(ok("export", "-s", stats, "--to", to, "--use", "ema", "-o", out)) == said
        assert notes(ok("export", "-s", stats, "--to", to, "--use", "exact", "-o", out)) == []
    out = tmp_path / "quiet.safetensors"
    assert "note" not in ok("export", "-s", stats, "--to", "torch", "-q", "-o", out)
    # A column of one value per batch of 16, with --ema-init first: updates 0, mean 0, var 1.
    rng = np.random.default_rng(8)
    sparse = np.full(320, np.nan)
    sparse[::16] = rng.normal(5.0, 2.0, 20)
    data, stats = tmp_path / "sparse.csv", tmp_path / "sparse.json"
    pd.DataFrame({"a": rng.normal(size=320), "z": sparse}).to_csv(data, index=False)
    fitted = notes(ok("fit", data, "--batch-size", "16", "--ema-init", "first", "-o", stats))
    assert fitted == [
        "normkit: note: no batch of 16 rows held 2 values of column 'z': its running "
        "statistics were never updated (mean 0 and variance 1, BatchNorm's start); give a "
        "larger --batch-size"
    ]
    said = notes(ok("transform", data, "-s", stats, "--use", "ema", "-o", tmp_path / "y.csv"))
    assert len(said) == 1
    assert "column 'z' never updated: no batch held 2 of its values" in said[0]
    assert (
        notes(ok("export", "-s", stats, "--to", "torch", "-o", tmp_path / "s.safetensors")) == said
    )
    # The library's exports give the same note as a warning, in Python's spelling.
    with pytest.warns(normkit.NormkitNote, match="column 'z' never updated") as caught:
        normkit.to_onnx(stats, use="ema")
    assert str(caught[0].message).endswith("use the exact statistics (use='exact')")
    with pytest.warns(normkit.NormkitNote, match="column 'z' never updated"):
        normkit.to_torch_state(stats, dtype="float64")


def test_a_column_of_one_value_is_not_told_to_take_larger_batches(tmp_path):
    # "give a larger --batch-size" where the whole column held one value: no batch size helps.
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,\n2,\n3,\n4,7\n5,\n6,\n")
    result = run_normkit("fit", data, "--batch-size", "2", "-o", tmp_path / "s.json")
    assert result.returncode == 0, result.stderr
    assert b"no batch of 2 rows held 2 values of column 'b'" in result.stderr
    assert b"--batch-size" not in result.stderr
    data.write_text("a,b\n" + "".join(f"{i},{i if i % 10 == 0 else ''}\n" for i in range(100)))
    result = run_normkit("fit", data, "--batch-size", "4", "-o", tmp_path / "s.json")
    assert b"give a larger --batch-size" in result.stderr


def test_transform_with_running_statistics_far_from_the_exact_ones_notes_it_in_the_library():
    # to_torch and to_onnx noted them, and the CLI's transform --use ema; the estimator's own
    # transform(use="ema"), the same eval mode, said nothing.
    import warnings

    X = pd.DataFrame({"a": np.arange(200.0)})  # sorted: the last batches are far from the mean
    fitted = Standardizer(batch_size=16).fit(X)
    with pytest.warns(normkit.NormkitNote, match="far from the exact ones") as caught:
        fitted.transform(X, use="ema")
    assert caught[0].filename == __file__  # the caller's line, not normkit's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.transform(X)  # exact: nothing to note


def test_a_file_transform_with_running_statistics_far_from_the_exact_ones_says_so(tmp_path):
    # Sorted data, small batches: the running mean ends 1.9 sds from the mean. The estimator's
    # transform and the command line said so; transform_file said nothing, and the Dask
    # engine's command line nothing either.
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": np.sort(rng.normal(size=3000)), "y": rng.normal(size=3000)})
    data.to_csv(tmp_path / "sorted.csv", index=False)
    stats = tmp_path / "s.json"
    fitted = normkit.fit_files(tmp_path / "sorted.csv", Standardizer(ema=EmaOptions(batch_size=16)))
    fitted.save(stats)
    ema = normkit.TransformOptions(use="ema")
    with pytest.warns(normkit.NormkitNote, match=r"far from the exact ones in 1 column of 2"):
        normkit.transform_file(tmp_path / "sorted.csv", stats, tmp_path / "o.parquet", ema)
    with warnings.catch_warnings():
        warnings.simplefilter("error", normkit.NormkitNote)  # exact statistics: no note
        normkit.transform_file(tmp_path / "sorted.csv", stats, tmp_path / "e.parquet")
    for engine in ([], ["--engine", "dask", "--workers", "1"]):
        out = tmp_path / (f"parts{len(engine)}" if engine else "out.csv")
        proc = run_normkit(
            "transform", tmp_path / "sorted.csv", "-s", stats, "--use", "ema", "-o", out, *engine
        )
        assert proc.returncode == 0, proc.stderr
        lines = proc.stderr.decode().splitlines()
        assert [line for line in lines if "far from the exact ones" in line] == [
            line for line in lines if line.startswith("normkit: note: the running statistics")
        ]
        assert sum("far from the exact ones" in line for line in lines) == 1, lines


def test_adaptive_mode_notes_running_statistics_far_from_the_exact_ones(tmp_path):
    """A user's trial: a stat file whose running statistics were never updated (one batch
    larger than the data, --drop-last), or far from the data after few batches, gave
    `transform --mode adaptive` first batches divided by mean 0 and variance 1 (essentially the
    raw values), exit 0 and no word, where `--use ema` on the same stat file notes it. Adaptive
    mode normalizes its first batches with them: it notes it too, and so does the library."""
    from conftest import normkit_summary as ok

    data = tmp_path / "t.csv"
    values = np.random.default_rng(0).normal(1000.0, 5.0, 600)
    pd.DataFrame({"x": values}).to_csv(data, index=False)
    never, few = tmp_path / "never.json", tmp_path / "few.json"
    ok("fit", data, "--batch-size", "1000", "--drop-last", "--ema-init", "first", "-o", never)
    ok("fit", data, "--batch-size", "50", "-o", few)
    for stats, said in ((never, "'x' never updated"), (few, "running mean 56.7 standard")):
        out = tmp_path / "a.csv"
        summary = ok("transform", data, "-s", stats, "--mode", "adaptive", "-o", out)
        assert "far from the exact ones in 1 column of 1" in summary
        assert said in summary
        assert "the output of the first batches is not standardized data" in summary
        assert "--mode batch" in summary
        first = pd.read_csv(out)["x"].iloc[0]
        assert abs(first) > 10  # what the note is about: not standardized
    # Statistics close to the exact ones: no note.
    close = tmp_path / "close.json"
    ok("fit", data, "--batch-size", "5", "-o", close)
    summary = ok("transform", data, "-s", close, "--mode", "adaptive", "-o", tmp_path / "c.csv")
    assert "normkit: note:" not in summary
    with pytest.warns(normkit.NormkitNote, match=r"output of the first batches"):
        list(normkit.load(few).transform_stream([pd.DataFrame({"x": values})], "adaptive"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", normkit.NormkitNote)
        list(normkit.load(close).transform_stream([pd.DataFrame({"x": values})], "adaptive"))
