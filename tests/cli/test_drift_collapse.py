"""A column whose spread collapses, checked by ``normkit drift`` against statistics fitted by
normkit and against the same statistics read back from a model's BatchNorm buffers (exported,
then saved as a plain state dict, without normkit's metadata): no alarm on unchanged data,
an alarm wherever the statistics can tell, and a note where they cannot; the real command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_normkit

ROWS = 4_000
MEAN, SD = 50.0, 10.0


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """The training data (x with a spread, c constant), its stat file, and the stat file
    imported from the exported layer's buffers alone."""
    from safetensors.numpy import load_file, save_file

    tmp = tmp_path_factory.mktemp("collapse")
    rng = np.random.default_rng(3)
    pd.DataFrame({"x": rng.normal(MEAN, SD, ROWS), "c": np.full(ROWS, 3.0)}).to_csv(
        tmp / "train.csv", index=False
    )
    fitted = tmp / "stats.json"
    assert run_normkit("fit", tmp / "train.csv", "-q", "-o", fitted).returncode == 0
    exported = tmp / "bn.safetensors"
    done = run_normkit("export", "-s", fitted, "--to", "torch", "--use", "exact", "--dtype",
                       "float64", "-q", "-o", exported)  # fmt: skip
    assert done.returncode == 0, done.stderr
    buffers = tmp / "model.safetensors"
    save_file(load_file(str(exported)), str(buffers))  # a model's state dict: no metadata
    imported = tmp / "imported.json"
    done = run_normkit("import-torch", buffers, "--rows", ROWS, "--columns", "x,c", "--eps", "0",
                       "-q", "-o", imported)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # The constant column comes back with the variance it was exported with: 1.
    assert [c["var"] for c in json.loads(imported.read_text())["columns"]][1] == 1.0
    return tmp, {"fitted": fitted, "imported": imported}


def drift(tmp, stats, x: np.ndarray) -> tuple[int, dict]:
    path = tmp / "new.csv"
    pd.DataFrame({"x": x, "c": np.full(len(x), 3.0)}).to_csv(path, index=False)
    proc = run_normkit("drift", path, "-s", stats, "--json")
    assert proc.returncode in (0, 3), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("kind", ["fitted", "imported"])
def test_unchanged_data_with_a_constant_column_does_not_alarm(references, kind):
    tmp, stats = references
    code, report = drift(tmp, stats[kind], np.random.default_rng(8).normal(MEAN, SD, 500))
    assert code == 0, report
    assert report["drifted"] == []


@pytest.mark.parametrize("kind", ["fitted", "imported"])
@pytest.mark.parametrize("x", [MEAN + 0.5 * SD, "noise"])
def test_a_column_stuck_off_its_mean_or_barely_varying_is_flagged(references, kind, x):
    tmp, stats = references
    values = (
        MEAN + np.random.default_rng(9).normal(0, 1e-3, 500) if x == "noise" else np.full(500, x)
    )
    code, report = drift(tmp, stats[kind], values)
    assert code == 3
    assert report["drifted"] == ["x"]


def test_a_column_stuck_at_its_mean_is_flagged_where_the_quantiles_tell(references):
    tmp, stats = references
    code, report = drift(tmp, stats["fitted"], np.full(500, MEAN))
    assert code == 3
    assert report["drifted"] == ["x"]


def test_a_column_stuck_at_its_mean_is_noted_where_only_a_mean_and_variance_are_known(
    references,
):
    # The limit: these buffers cannot tell x stuck at its mean from c, constant in training
    # (exported with running_var 1), which is unchanged; both are named, neither flagged.
    tmp, stats = references
    code, report = drift(tmp, stats["imported"], np.full(500, MEAN))
    assert code == 0
    assert report["drifted"] == []
    assert any(
        note.startswith("columns 'x', 'c' are constant in the new data: not flagged")
        for note in report["notes"]
    ), report["notes"]
    code, report = drift(tmp, stats["imported"], np.random.default_rng(8).normal(MEAN, SD, 500))
    assert any(note.startswith("column 'c' is constant") for note in report["notes"])


def test_a_constant_column_that_varies_has_an_infinite_std_ratio_in_json(references):
    # JSON has no infinity: the ratio was written null, as an undefined one (one row's) is.
    # It is the string "Infinity", as stat files write it, never a bare token.
    tmp, stats = references
    rng = np.random.default_rng(4)
    path = tmp / "varies.csv"
    frame = pd.DataFrame({"x": rng.normal(MEAN, SD, 500), "c": rng.normal(3.0, 1.0, 500)})
    frame.to_csv(path, index=False)
    proc = run_normkit("drift", path, "-s", stats["fitted"], "--json")
    assert proc.returncode == 3, proc.stderr

    def bare(token):
        raise AssertionError(f"{token} is no JSON")

    report = json.loads(proc.stdout, parse_constant=bare)
    c = next(column for column in report["columns"] if column["name"] == "c")
    assert c["std_ratio"] == "Infinity"
    assert c["reference_std"] == 0.0
    assert "std" in c["reasons"]
    table = run_normkit("drift", path, "-s", stats["fitted"]).stdout.decode()
    assert next(row for row in table.splitlines() if row.startswith("c ")).split()[3] == "inf"


def test_data_normkit_normalized_is_refused_against_raw_statistics(tmp_path):
    # Its record says it was normalized with these statistics; drift compared it with the raw
    # data's and alarmed on every column (exit 3) of unchanged data.
    rng = np.random.default_rng(17)
    frame = pd.DataFrame({"x": rng.normal(50, 5, 600), "y": rng.gamma(2.0, 3.0, 600)})
    raw, stats, z = tmp_path / "raw.parquet", tmp_path / "s.json", tmp_path / "z.parquet"
    frame.to_parquet(raw)
    assert run_normkit("fit", raw, "-o", stats).returncode == 0
    assert run_normkit("transform", raw, "-s", stats, "-o", z).returncode == 0
    proc = run_normkit("drift", z, "-s", stats)
    assert proc.returncode == 1
    line = proc.stderr.decode()
    assert line.startswith(f"normkit: error: {z} is data normkit normalized (statistics ")
    assert "(its metadata says so), but the statistics were fitted on raw data" in line
    # Undone, it is raw data again, and unchanged; statistics of the normalized data take it.
    back, fitted_on_z = tmp_path / "back.parquet", tmp_path / "sz.json"
    assert run_normkit("inverse", z, "-s", stats, "-o", back).returncode == 0
    assert run_normkit("drift", back, "-s", stats).returncode == 0
    assert run_normkit("fit", z, "-o", fitted_on_z).returncode == 0
    assert run_normkit("drift", z, "-s", fitted_on_z).returncode == 0
