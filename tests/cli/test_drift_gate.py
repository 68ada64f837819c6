"""``normkit drift`` as a pipeline's gate: its summary line and exit code say what the tests
made found, never "no drift" where a test was not made that would have flagged a column."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from conftest import run_normkit


def prices(rng: np.random.Generator, rows: int, mu: float) -> pd.DataFrame:
    """Lognormal prices with a few placeholders of 99999.99, which hide a change of shape
    from the mean's and the spread's tests: only the distribution's test sees it."""
    price = np.exp(rng.normal(mu, 1.0, rows))
    price[rng.random(rows) < 0.002] = 99999.99
    return pd.DataFrame({"price": price})


def test_a_merged_stat_file_does_not_pass_a_shape_it_could_not_test(tmp_path):
    rng = np.random.default_rng(1)
    shards = []
    for i in range(2):
        prices(rng, 5000, 3.0).to_csv(tmp_path / f"s{i}.csv", index=False)
        shards.append(tmp_path / f"m{i}.json")
        assert run_normkit("fit", tmp_path / f"s{i}.csv", "-o", shards[-1], "-q").returncode == 0
    merged = tmp_path / "m.json"
    assert run_normkit("merge-stats", *shards, "-o", merged, "-q").returncode == 0
    prices(rng, 5000, 3.5).to_csv(tmp_path / "new.csv", index=False)
    prices(rng, 5000, 3.0).to_csv(tmp_path / "same.csv", index=False)
    prices(rng, 30, 3.0).to_csv(tmp_path / "few.csv", index=False)

    # Its PSI is far above the threshold: the gate fails, saying which test was not made.
    proc = run_normkit("drift", tmp_path / "new.csv", "-s", merged)
    out = proc.stdout.decode()
    assert proc.returncode == 3, out
    assert "NOT TESTED (distribution" in out
    assert "no drift in" not in out
    assert "not tested: the distribution of price" in out
    assert run_normkit("drift", tmp_path / "new.csv", "-s", merged, "-q").returncode == 3
    report = json.loads(run_normkit("drift", tmp_path / "new.csv", "-s", merged, "--json").stdout)
    assert report["drifted"] == []
    assert report["untested"] == ["price"]
    assert report["columns"][0]["untested"] == ["distribution"]
    assert report["columns"][0]["p_values"]["distribution"] is None

    # Unchanged data, many rows or few (whose PSI is above the threshold by chance), passes.
    for name in ("same.csv", "few.csv"):
        proc = run_normkit("drift", tmp_path / name, "-s", merged)
        assert proc.returncode == 0, proc.stdout.decode()
        assert "no drift in 1 column" in proc.stdout.decode()


def test_data_normalized_by_a_pipe_drifts_saying_it_looks_normalized(tmp_path):
    # A pipe's output has no record of how it was made: transform refuses it by its look, and
    # drift, whose verdict stands (every column moved), says what it looks like in its line.
    rng = np.random.default_rng(0)
    for day in ("day1", "day2"):
        pd.DataFrame({"x": rng.normal(100, 10, 1000)}).to_csv(tmp_path / f"{day}.csv", index=False)
    stats = tmp_path / "s.json"
    assert run_normkit("fit", tmp_path / "day1.csv", "-o", stats, "-q").returncode == 0
    raw = (tmp_path / "day2.csv").read_bytes()
    normalized = run_normkit("transform", "-", "-s", stats, stdin=raw)
    assert normalized.returncode == 0, normalized.stderr
    (tmp_path / "day2_z.csv").write_bytes(normalized.stdout)

    proc = run_normkit("drift", tmp_path / "day2_z.csv", "-s", stats)
    assert proc.returncode == 3
    summary = next(line for line in proc.stdout.decode().splitlines() if "rows checked" in line)
    assert "drifted" in summary
    assert f"but {tmp_path / 'day2_z.csv'} looks normalized already (column 'x' has mean" in summary
    assert "normkit inverse undoes a transform" in summary
    proc = run_normkit("drift", "-", "-s", stats, "--json", stdin=normalized.stdout)
    assert json.loads(proc.stdout)["normalized"].startswith("<stdin> looks normalized already")
    # The raw data does not look normalized: nothing said.
    proc = run_normkit("drift", tmp_path / "day2.csv", "-s", stats, "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["normalized"] is None
