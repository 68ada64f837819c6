"""Every exit 0 is a result a user would accept: each of these was once an exit 0 with wrong or
surprising data. The command runs as a real process; each test asserts the exact outcome."""

from __future__ import annotations

import copy
import csv
import functools
import io
import itertools
import json
import re
import shlex
import warnings
from datetime import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from conftest import ERROR, SAMPLE_CSV, normkit_error, normkit_summary, read_arrow, run_normkit
from sklearn.preprocessing import StandardScaler

import normkit


def ok(*args, stdin: bytes | None = None) -> str:
    proc = run_normkit(*args, "-q", stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()
    assert not proc.stderr, proc.stderr.decode()
    return proc.stdout.decode()


def piped(path, *args) -> None:
    """``normkit transform ARGS -o - > path``: a CSV that keeps no record of how it was made."""
    path.write_text(ok("transform", *args, "-o", "-"))


def refused(code: int, *args) -> str:
    """The one line a refusal prints (exit ``code``, no traceback)."""
    proc = run_normkit(*args, "-q")
    stderr = proc.stderr.decode()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(ERROR), stderr
    return lines[0]


@pytest.fixture
def sample_stats(tmp_path):
    path = tmp_path / "st.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "-o", path)
    return path


# -- 1. inverse undoes how the data was transformed ---------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "arrow", "csv", "csv.gz"])
@pytest.mark.parametrize(
    "how", [[], ["--use", "ema"], ["--gamma", "2", "--beta", "1"], ["--use", "ema", "--gamma", "3"]]
)
def test_inverse_undoes_every_kind_of_frozen_transform(tmp_path, sample_stats, fmt, how):
    z = tmp_path / f"z.{fmt}"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", z, *how)
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", sample_stats, "-o", back)
    original, restored = pd.read_csv(SAMPLE_CSV), pd.read_csv(back)
    assert list(restored.columns) == list(original.columns)
    for name in ("age", "visits", "schema_version"):  # integers come back as integers
        assert restored[name].dtype == original[name].dtype
        pd.testing.assert_series_equal(restored[name], original[name])
    for name in ("income", "temperature_c", "score", "altitude_m"):
        # 1e-12 relative to the column's conditioning (its largest magnitude).
        size = np.nanmax(np.abs(original[name]))
        np.testing.assert_allclose(restored[name], original[name], rtol=1e-12, atol=1e-12 * size)


def test_inverse_refuses_options_or_statistics_that_contradict_the_record(tmp_path, sample_stats):
    z = tmp_path / "z.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "--use", "ema", "--gamma", "2", "-o", z)
    line = refused(2, "inverse", z, "-s", sample_stats, "--use", "exact", "-o", tmp_path / "b.csv")
    assert line == (
        f"{ERROR}{z} was normalized with --use ema; an inverse with other values would not "
        "restore it; leave --use out"
    )
    line = refused(2, "inverse", z, "-s", sample_stats, "--gamma", "1", "-o", tmp_path / "b.csv")
    assert "was normalized with --gamma 2" in line
    # Other running statistics (the exact ones alone differing would not count: --use ema).
    other = tmp_path / "other.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "--momentum", "0.2", "-o", other)
    line = refused(1, "inverse", z, "-s", other, "-o", tmp_path / "b.csv")
    assert f"{z} was normalized with other statistics than these" in line
    assert not (tmp_path / "b.csv").exists()


def test_a_csv_file_keeps_its_record_beside_it_and_the_inverse_follows_it(tmp_path, sample_stats):
    # A user transformed with --gamma 2 and inverted without it: exit 0, wrong data. The CSV's
    # record (a hidden file beside it) now says how it was made, as Parquet's metadata does.
    z, back = tmp_path / "z.csv", tmp_path / "back.csv"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "--gamma", "2", "--beta", "1", "-o", z)
    record = tmp_path / ".z.csv.normkit.json"
    assert json.loads(record.read_text())["metadata"]["normkit.transform"]["gamma"]["income"] == 2
    ok("inverse", z, "-s", sample_stats, "-o", back)
    original = pd.read_csv(SAMPLE_CSV)
    np.testing.assert_allclose(pd.read_csv(back)["income"], original["income"], rtol=1e-12)
    line = refused(2, "inverse", z, "-s", sample_stats, "--gamma", "1", "-o", tmp_path / "b.csv")
    assert line == (
        f"{ERROR}{z} was normalized with --gamma 2.0; an inverse with other values would not "
        "restore it; leave --gamma out"
    )
    line = refused(1, "transform", z, "-s", sample_stats, "-o", tmp_path / "zz.csv")
    assert line.startswith(
        f"{ERROR}{z} is already normalized with these statistics ({record} says so); "
    )
    # The inverse's output records that it is raw again: inverting it twice is refused.
    line = refused(1, "inverse", back, "-s", sample_stats, "-o", tmp_path / "b2.csv")
    assert line.endswith(
        "holds data an inverse restored, not normalized data; there is nothing to undo"
    )
    # Written again by another tool, the CSV no longer matches its record: refused, with the way
    # out, rather than inverted by a record of another file.
    pd.read_csv(z).iloc[:-1].to_csv(z, index=False)
    line = refused(1, "inverse", z, "-s", sample_stats, "-o", tmp_path / "b.csv")
    stale = (
        f"{ERROR}{z} is not the file that {record} describes (it was written again since normkit "
        f"wrote it); delete {record} if {z} is to be read as a CSV without a record (an "
        f"inverse of it then needs to be told the statistics used, gamma and beta that {record} "
        "records)"
    )
    assert line == stale
    assert not (tmp_path / "b.csv").exists()
    # The way out is named by every command (fit and drift left it out: its words named
    # options they do not have).
    assert refused(1, "fit", z, "-o", tmp_path / "f.json") == stale
    assert refused(1, "drift", z, "-s", sample_stats) == stale
    record.write_text("{")
    line = refused(1, "inverse", z, "-s", sample_stats, "-o", tmp_path / "b.csv")
    assert line.startswith(
        f"{ERROR}{record}: the record normkit keeps of how {z} was made is damaged"
    )
    # Written again by normkit, the CSV gets the record of what it now holds.
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", z)
    ok("inverse", z, "-s", sample_stats, "-o", back)
    np.testing.assert_allclose(pd.read_csv(back)["income"], original["income"], rtol=1e-12)
    # A key of the record deleted by hand: it was taken to say gamma 1 (an output of --gamma 2
    # inverted to twice its spread, exit 0), or nothing of the statistics that made it.
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "--gamma", "2", "-o", z)
    kept = json.loads(record.read_text())
    for key in ("gamma", "beta", "use", "stats", "previous"):
        document = copy.deepcopy(kept)
        del document["metadata"]["normkit.transform"][key]
        record.write_text(json.dumps(document))
        line = refused(1, "inverse", z, "-s", sample_stats, "-o", tmp_path / "b.csv")
        assert line.startswith(f"{ERROR}{z}: its record of how it was made "), line
        assert f"is damaged (it lacks {key!r}); delete {record} if" in line
    huge = {"x": 10**400}  # an integer beyond float64: it raised OverflowError
    edits = [("gamma", None), ("stats", None), ("use", "EMA"), ("beta", huge), ("gamma", {"x": 0})]
    edits.append(("beta", {}))  # no column's: taken for the default by fit, drift and report
    for key, value in edits:
        document = copy.deepcopy(kept)  # null, or what normkit does not write: taken as 1, any
        document["metadata"]["normkit.transform"][key] = value
        record.write_text(json.dumps(document))
        line = refused(1, "inverse", z, "-s", sample_stats, "-o", tmp_path / "b.csv")
        assert f"is damaged (its {key!r} is {json.dumps(value)[:40]}); delete {record} if" in line
        # Nor read as raw data by the commands that judge its scale (exit 0 before).
        assert refused(1, "drift", z, "-s", sample_stats) == line
        assert refused(1, "fit", z, "-o", tmp_path / "f.json") == line
    document = copy.deepcopy(kept)  # a column's gamma left out: named, with the record
    document["metadata"]["normkit.transform"]["gamma"] = {"another": 1.0}
    record.write_text(json.dumps(document))
    line = refused(1, "inverse", z, "-s", sample_stats, "-o", tmp_path / "b.csv")
    assert line.startswith(f"{ERROR}{z} records no gamma of column ")
    assert line.endswith(f"({record} says so): its record is damaged")
    kept["metadata"] = {}  # said to be missing beside it, where it was there
    record.write_text(json.dumps(kept))
    line = refused(1, "inverse", z, "-s", sample_stats, "-o", tmp_path / "b.csv")
    assert f"no record of how it was normalized ({record.name} beside it records none);" in line
    assert not (tmp_path / "b.csv").exists()


def test_inverse_of_csv_without_a_record_follows_the_options_as_help_says(tmp_path, sample_stats):
    z = tmp_path / "z.csv"
    piped(z, SAMPLE_CSV, "-s", sample_stats, "--use", "ema")
    assert not (tmp_path / ".z.csv.normkit.json").exists()
    # Standard output has nowhere to keep the record: the transform says what inverse needs.
    proc = run_normkit("transform", SAMPLE_CSV, "-s", sample_stats, "--use", "ema", "--beta", "1")
    assert proc.returncode == 0
    told, *notes = proc.stderr.decode().splitlines()
    assert told == (
        "normkit: standard output keeps no record of how it was normalized: give inverse "
        "--use ema --beta 1.0"
    )
    # (The sample's rows come in an order its running statistics follow: far from the exact.)
    assert [n[:60] for n in notes] == [
        "normkit: note: the running statistics are far from the exact"
    ]
    # Rows normalized batch by batch cannot be inverted at all: that is said instead.
    for mode in ("batch", "adaptive"):
        proc = run_normkit("transform", SAMPLE_CSV, "-s", sample_stats, "--mode", mode)
        assert proc.returncode == 0
        assert proc.stderr.decode().splitlines()[0] == (
            "normkit: standard output keeps no record of how it was normalized, and its rows "
            f"cannot be inverted: in {mode} mode each batch was normalized with statistics of "
            "its own"
        )
    # The inverse of a CSV without a record says what it assumed.
    proc = run_normkit("inverse", z, "-s", sample_stats, "--use", "ema", "-o", tmp_path / "b0.csv")
    assert proc.returncode == 0
    assert proc.stderr.decode().splitlines()[0] == (
        "normkit: the input keeps no record of how it was normalized: inverted with --use ema, "
        "the stat file's gamma, the stat file's beta"
    )
    help_text = " ".join(ok("inverse", "--help").split())
    assert (
        "An input without a record (standard input, a CSV renamed, decompressed or copied "
        "without it) is refused unless --use, --gamma or --beta says how it was normalized"
    ) in help_text
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", sample_stats, "--use", "ema", "-o", back)
    np.testing.assert_allclose(
        pd.read_csv(back)["income"], pd.read_csv(SAMPLE_CSV)["income"], rtol=1e-12
    )


def test_inverse_of_an_input_without_a_record_is_told_how_it_was_normalized(tmp_path):
    # A new user's trial: transformed with --gamma 1.3 into a .csv.gz, decompressed (its record
    # stays with the .gz), inverted: exit 0, with the stat file's gamma assumed, a score off
    # by up to 1660 on a column of std 1000, and no check caught a gamma of 0.8 to 1.3.
    import gzip

    rng = np.random.default_rng(11)
    raw = pd.DataFrame(
        {
            "order_id": np.arange(800),
            "qty": rng.integers(1, 9, 800),
            "score": rng.normal(5000, 1000, 800).round(3),
            "price": rng.normal(20, 4, 800).round(2),
        }
    )
    small, stats = tmp_path / "small.csv", tmp_path / "s_f.json"
    raw.to_csv(small, index=False)
    ok("fit", small, "--exclude", "order_id,qty", "-o", stats)
    gz, z = tmp_path / "gq.csv.gz", tmp_path / "gq.csv"
    ok("transform", small, "-s", stats, "--gamma", "1.3", "-o", gz)
    recorded = ok("inverse", gz, "-s", stats)
    z.write_bytes(gzip.decompress(gz.read_bytes()))
    back = tmp_path / "back.csv"
    line = refused(1, "inverse", z, "-s", stats, "-o", back)
    assert line == (
        f"{ERROR}{z} keeps no record of how it was normalized (no .gq.csv.normkit.json beside "
        "it: a CSV's record is lost when it is renamed, decompressed, copied alone or piped); "
        "inverting it would guess the statistics, gamma and beta; give the statistics it was "
        "normalized with (--use exact or --use ema), and --gamma and --beta if the transform "
        "was given them"
    )
    assert not back.exists()
    piped_in = run_normkit("inverse", "-", "-s", stats, "-q", stdin=z.read_bytes())
    assert piped_in.returncode == 1
    assert piped_in.stdout == b""
    assert piped_in.stderr.decode().startswith(
        f"{ERROR}<stdin> keeps no record of how it was normalized (a pipe carries none"
    )
    # Told how, it gives back what the recorded inverse gives back.
    assert ok("inverse", z, "-s", stats, "--gamma", "1.3") == recorded
    assert ok("inverse", "-", "-s", stats, "--gamma", "1.3", stdin=z.read_bytes()) == recorded
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(recorded)), raw)
    # A Parquet file that lost normkit's metadata (written again by another tool) alike.
    p = tmp_path / "z.parquet"
    ok("transform", small, "-s", stats, "-o", p)
    pq.write_table(pq.read_table(p).replace_schema_metadata(None), tmp_path / "bare.parquet")
    line = refused(1, "inverse", tmp_path / "bare.parquet", "-s", stats, "-o", back)
    assert "bare.parquet keeps no record of how it was normalized (no normkit.transform in" in line
    ok("inverse", tmp_path / "bare.parquet", "-s", stats, "--use", "exact", "-o", back)
    pd.testing.assert_frame_equal(pd.read_csv(back), raw)
    # As a library call: refused alike, unless one of use, gamma and beta is given.
    options = normkit.TransformOptions(inverse=True)
    with pytest.raises(normkit.errors.InputError, match="keeps no record of how it was norm"):
        normkit.transform_file(z, stats, tmp_path / "lib.csv", options)
    options = normkit.TransformOptions(inverse=True, gamma=1.3)
    normkit.transform_file(z, stats, tmp_path / "lib.csv", options)
    assert (tmp_path / "lib.csv").read_text() == recorded


@pytest.mark.parametrize(
    ("gamma", "beta"), [("2", "0.5"), ("1.5", "0"), ("1", "0.5"), ("1", "-3"), ("-4", "1")]
)
def test_inverse_of_a_csv_without_a_record_refuses_another_gamma_and_beta(tmp_path, gamma, beta):
    # Transformed with --gamma and --beta through standard output, which keeps no record: the
    # inverse with the stat file's (1 and 0) would exit 0 with data scaled wrong.
    rng = np.random.default_rng(7)
    raw = pd.DataFrame(
        {
            "t": np.sort(rng.uniform(0, 1e6, 2000)),  # sorted: its first rows are not like the rest
            "a": rng.normal(50, 10, 2000),
            "b": rng.exponential(3, 2000) + 100,
            "c": rng.uniform(-1, 1, 2000),
        }
    )
    train, stats = tmp_path / "train.csv", tmp_path / "s.json"
    z, back = tmp_path / "z.csv", tmp_path / "back.csv"
    raw.to_csv(train, index=False)
    ok("fit", train, "-o", stats)
    piped(z, train, "-s", stats, "--gamma", gamma, "--beta", beta)
    line = refused(1, "inverse", z, "-s", stats, "--use", "exact", "-o", back)
    assert line.startswith(f"{ERROR}{z} looks normalized with gamma about ")
    assert "(--gamma and --beta, which transform named as it wrote it)" in line
    assert line.endswith("invert it with these all the same (--gamma 1.0 --beta 0.0)")
    assert not back.exists()
    # One of the two given, the other assumed and far wrong: refused all the same.
    if beta == "0":
        refused(1, "inverse", z, "-s", stats, "--beta", beta, "-o", back)
    elif abs(float(beta)) > abs(float(gamma)):
        refused(1, "inverse", z, "-s", stats, "--gamma", gamma, "-o", back)
    # Both given: inverted, and the data comes back.
    ok("inverse", z, "-s", stats, "--gamma", gamma, "--beta", beta, "-o", back)
    np.testing.assert_allclose(pd.read_csv(back), raw, rtol=1e-9)
    # Said to be the stat file's: the user decided.
    ok("inverse", z, "-s", stats, "--gamma", "1", "--beta", "0", "-o", back)


def test_predictions_and_rows_chosen_by_a_value_are_inverted_not_taken_for_another_gamma(
    tmp_path,
):
    # A model's predictions of normalized targets are shrunk towards their mean, alike in
    # every column; rows chosen by one of correlated columns move and narrow them all alike.
    # Neither is data normalized with another gamma: both are inverted as said.
    rng = np.random.default_rng(3)
    targets = pd.DataFrame(
        {"price": rng.normal(300, 50, 5000), "rent": rng.normal(1200, 200, 5000)}
    )
    targets["tax"] = 40 + 5 * (targets["price"] - 300) / 50 + rng.normal(0, 1, 5000)
    train, stats, z = tmp_path / "t.csv", tmp_path / "s.json", tmp_path / "z.csv"
    targets.to_csv(train, index=False)
    ok("fit", train, "-o", stats)
    normalized = (targets - targets.mean()) / targets.std(ddof=0)
    (0.63 * normalized + rng.normal(0, 0.05, normalized.shape)).to_csv(z, index=False)
    ok("inverse", z, "-s", stats, "--use", "exact", "-o", tmp_path / "back.csv")
    chosen = normalized[normalized["price"] > 0.5]  # price and tax correlated: both move
    chosen.to_csv(z, index=False)
    ok("inverse", z, "-s", stats, "--use", "exact", "-o", tmp_path / "back.csv")
    np.testing.assert_allclose(
        pd.read_csv(tmp_path / "back.csv"), targets[normalized["price"] > 0.5], rtol=1e-9
    )


def test_inverse_of_drifted_data_without_a_record_is_not_taken_for_another_gamma(tmp_path):
    # Each column drifted its own way: no one gamma and beta make it, so it is inverted as said.
    rng = np.random.default_rng(8)
    raw = pd.DataFrame({k: rng.normal(0, 1, 3000) for k in "abcd"})
    train, stats, z = tmp_path / "train.csv", tmp_path / "s.json", tmp_path / "z.csv"
    raw.to_csv(train, index=False)
    ok("fit", train, "-o", stats)
    drifted = raw * [1.0, 2.0, 0.5, 1.3] + [0.0, 1.0, -0.5, 2.0]
    drifted.to_csv(z, index=False)  # the normalized data (mean 0, std 1), drifted
    ok(
        "inverse",
        z,
        "-s",
        stats,
        "--use",
        "exact",
        "--assume-normalized",
        "-o",
        tmp_path / "back.csv",
    )
    # Two columns alike of four do not make two thirds: not refused either.
    (raw * [2.0, 2.0, 0.5, 1.0]).to_csv(z, index=False)
    ok("inverse", z, "-s", stats, "--use", "exact", "-o", tmp_path / "back.csv")


def test_inverse_of_a_csv_normalized_with_the_running_statistics_needs_them(tmp_path):
    # Running statistics far from the exact ones: 12 batches from BatchNorm's (0, 1) start.
    rng = np.random.default_rng(1)
    raw = pd.DataFrame({"a": rng.normal(50, 10, 3000), "b": rng.exponential(3, 3000) + 100})
    train, test, stats = tmp_path / "train.csv", tmp_path / "test.csv", tmp_path / "s.json"
    raw.to_csv(train, index=False)
    raw.iloc[:500].to_csv(test, index=False)
    ok("fit", train, "--batch-size", "256", "-o", stats)
    z_ema, z_exact, back = tmp_path / "z_ema.csv", tmp_path / "z_exact.csv", tmp_path / "b.csv"
    # Through standard output: CSVs without a record of which statistics made them.
    piped(z_ema, test, "-s", stats, "--use", "ema")
    piped(z_exact, test, "-s", stats)
    # (Given the stat file's gamma, the statistics are still to be told apart.)
    line = refused(1, "inverse", z_ema, "-s", stats, "--gamma", "1", "-o", back)
    assert "z_ema.csv looks more like what the running statistics make of the fitted" in line
    assert line.endswith("say which (--use exact or --use ema)")
    assert not back.exists()
    for z, use in ((z_ema, ["--use", "ema"]), (z_exact, ["--gamma", "1"])):
        ok("inverse", z, "-s", stats, *use, "-o", back)
        np.testing.assert_allclose(pd.read_csv(back), raw.iloc[:500], rtol=1e-12)
    # Asked for, the exact statistics are used: the user decided.
    ok("inverse", z_ema, "-s", stats, "--use", "exact", "-o", back)
    assert not np.allclose(pd.read_csv(back)["a"], raw["a"].iloc[:500], rtol=1e-3)
    # Far from both outputs (another gamma and beta), nearer the running statistics' one: the
    # running statistics are no better a guess, and not offered as the way out; the gamma and
    # beta, alike in every column, are.
    z_affine = tmp_path / "z_affine.csv"
    piped(z_affine, test, "-s", stats, "--gamma", "2", "--beta", "3")
    line = refused(1, "inverse", z_affine, "-s", stats, "--beta", "0", "-o", tmp_path / "b2.csv")
    assert "z_affine.csv looks normalized with gamma about 1.88 and beta about 2.94" in line
    assert "--use" not in line
    # A CSV file keeps its record: its inverse undoes what was done, whichever statistics.
    for how in (["--use", "ema"], ["--gamma", "2", "--beta", "3"]):
        ok("transform", test, "-s", stats, *how, "-o", z_affine)
        ok("inverse", z_affine, "-s", stats, "-o", back)
        np.testing.assert_allclose(pd.read_csv(back), raw.iloc[:500], rtol=1e-12)


@pytest.mark.parametrize("batch_size", [4, 37, 256])
def test_inverse_of_a_csv_normalized_batch_by_batch_is_refused(tmp_path, batch_size):
    # Piped, the output of --mode batch keeps no record: it was inverted with the exact
    # statistics (exit 0, every value wrong). Each batch has mean beta (0 here, 2 there).
    rng = np.random.default_rng(5)
    raw = pd.DataFrame({"a": rng.normal(50, 10, 3000), "b": rng.exponential(3, 3000)})
    raw.loc[3::10, "b"] = np.nan
    train, stats, z, back = (tmp_path / n for n in ("t.csv", "s.json", "z.csv", "b.csv"))
    raw.to_csv(train, index=False)
    ok("fit", train, "-o", stats)
    for affine in ([], ["--beta", "2", "--gamma", "3"]):
        piped(z, train, "-s", stats, "--mode", "batch", "--batch-size", batch_size, *affine)
        line = refused(1, "inverse", z, "-s", stats, *(affine or ["--use", "exact"]), "-o", back)
        beta = 2 if affine else 0
        assert line.startswith(
            f"{ERROR}{z} looks like the output of a transform in batch mode: its first rows come "
            f"in runs of {batch_size}, each with mean beta and a standard deviation of at most "
            f"|gamma| in every column (column 'a': mean {beta}, standard deviation "
        ), line
        assert line.endswith("invert it all the same (--assume-normalized)")
        assert not back.exists()


def test_inverse_of_a_csv_normalized_frozen_in_runs_of_one_mean_is_not_refused(tmp_path):
    """What the check of batch-mode output (the test above) must not take for it."""
    rng = np.random.default_rng(5)
    train, stats, z, back = (tmp_path / n for n in ("t.csv", "s.json", "z.csv", "b.csv"))
    # A frozen transform of data that repeats, or whose runs hold the same values in another
    # order (a designed experiment), has runs of one mean too: inverted.
    design = pd.DataFrame({"a": np.tile([1.0, 2, 3, 4], 300), "b": np.tile([5.0, 1, 7, 3], 300)})
    design["b"] = [v for k in range(300) for v in rng.permutation([5.0, 1, 7, 3])]
    design.to_csv(train, index=False)
    ok("fit", train, "-o", stats)
    piped(z, train, "-s", stats)
    ok("inverse", z, "-s", stats, "--use", "exact", "-o", back)
    np.testing.assert_allclose(pd.read_csv(back), design, rtol=1e-12)
    # Runs of one mean in every column, as a frozen transform makes them too: shares adding
    # up to 100 in each group of 4 parties; pairs mirrored about the mean; counts of 0 to 2.
    # Each run's spread is not bounded by gamma as a batch's is: inverted (the first version
    # refused them).
    shares = rng.dirichlet(np.ones(4), 1500) * 100
    mirrored = np.repeat(rng.normal(0, 1, 3000), 2) * np.tile([1.0, -1.0], 3000) + 7
    for frame in (
        pd.DataFrame({"party": np.tile([1.0, 2, 3, 4], 1500), "share": shares.ravel()}),
        pd.DataFrame({"x": mirrored, "y": 3 - mirrored}),
        pd.DataFrame(rng.integers(0, 3, (6000, 2)).astype(float), columns=["a", "b"]),
        # Categories assigned in turn, one-hot, beside shares adding up to 1 in each turn:
        # runs of a multiple of 4 rows have mean beta in every column, and spreads near gamma
        # (refused 2 times in 10 while any spread under gamma was taken for a batch's).
        pd.concat(
            [
                pd.get_dummies(np.arange(8000) % 4, prefix="c").astype(float),
                pd.DataFrame({"share": rng.dirichlet([3.0] * 4, 2000).ravel()}),
            ],
            axis=1,
        ),
    ):
        frame.to_csv(train, index=False)
        ok("fit", train, "-o", stats)
        piped(z, train, "-s", stats)
        ok("inverse", z, "-s", stats, "--use", "exact", "-o", back)
        np.testing.assert_allclose(pd.read_csv(back), frame, rtol=1e-12, atol=1e-12)


def test_a_weighted_fit_s_spread_is_over_the_weights_when_an_input_has_no_record(tmp_path):
    """An input without a record is judged against the fitted data's mean and spread: with
    sample weights, the spread over the sum of the weights (M2 / W), not over the rows (which
    made a column of mostly zeros look raw to inverse, and a spread 3 times too large)."""
    rng = np.random.default_rng(2)
    n = 20_000
    spend = np.where(rng.random(n) < 0.85, 0.0, rng.exponential(50, n)).round(2)
    weights = rng.integers(5, 15, n).astype(float)
    data, stats = tmp_path / "w.csv", tmp_path / "s.json"
    pd.DataFrame({"spend": spend, "w": weights}).to_csv(data, index=False)
    ok("fit", data, "--weight-column", "w", "-o", stats)
    z, back = tmp_path / "z.csv", tmp_path / "b.csv"
    piped(z, data, "-s", stats)
    ok("inverse", z, "-s", stats, "--use", "exact", "-o", back)
    np.testing.assert_allclose(pd.read_csv(back)["spend"], spend, rtol=1e-12, atol=1e-12)
    mean = np.average(spend, weights=weights)
    std = np.sqrt(np.average((spend - mean) ** 2, weights=weights))
    line = refused(1, "transform", z, "-s", stats, "-o", tmp_path / "again.csv")
    assert f"where these statistics expect about {mean:.4g} and {std:.4g}" in line


def test_inverse_refuses_a_large_integer_s_fraction(tmp_path):
    """Times in seconds near 1.7e9: a value 0.42 from an integer is no integer, however large
    (a tolerance of 1e-9 of the value let any fraction through, rounded, with exit 0); the
    values transformed come back exactly."""
    rng = np.random.default_rng(1)
    data, stats, back = tmp_path / "ts.csv", tmp_path / "s.json", tmp_path / "b.csv"
    ts = 1_700_000_000 + rng.integers(0, 10**7, 1000)
    pd.DataFrame({"ts": ts}).to_csv(data, index=False)
    ok("fit", data, "-o", stats)
    exact = ("--use", "exact")  # gamma and beta not said: the hint names them
    proc = run_normkit("inverse", "-", "-s", stats, *exact, "-q", stdin=b"ts\n0.1234\n")
    assert proc.returncode == 1
    assert "column 'ts' at data row 1: the restored value 1705376857.57" in proc.stderr.decode()
    assert "is not an integer" in proc.stderr.decode()
    assert "give the statistics (--use), --gamma and --beta" in proc.stderr.decode()
    said = ("--use", "exact", "--gamma", "1", "--beta", "0")  # all said: not asked again
    proc = run_normkit("inverse", "-", "-s", stats, *said, "-q", stdin=b"ts\n0.1234\n")
    assert proc.returncode == 1
    assert (
        proc.stderr.decode()
        .rstrip()
        .endswith(
            "is not an integer, but the stat file records "
            "the column as int64; keep float64 (--keep-float)"
        )
    )
    z = tmp_path / "z.csv"
    piped(z, data, "-s", stats)
    ok("inverse", z, "-s", stats, *exact, "-o", back)
    assert pd.read_csv(back)["ts"].tolist() == ts.tolist()


def test_running_statistics_that_cannot_transform_do_not_stop_an_inverse(tmp_path):
    # A constant column: running variance 0, and no eps for them. Nobody asked for them.
    rng = np.random.default_rng(2)
    path, stats = tmp_path / "c.csv", tmp_path / "s.json"
    pd.DataFrame({"a": rng.normal(10, 2, 3000), "c": 3.0}).to_csv(path, index=False)
    ok("fit", path, "--ema-init", "first", "--ema-eps", "0", "-o", stats)
    z, back = tmp_path / "z.csv", tmp_path / "back.csv"
    piped(z, path, "-s", stats)  # no record: its look is judged
    ok("inverse", z, "-s", stats, "--gamma", "1", "-o", back)  # --use not given
    np.testing.assert_allclose(pd.read_csv(back), pd.read_csv(path), rtol=1e-13)


def _digits(text: str) -> str:
    """The significant digits of a number's text (``0.0500`` and ``5e-2``: ``5``)."""
    mantissa = text.lower().lstrip("+-").split("e")[0].replace(".", "")
    return mantissa.strip("0") or "0"


def test_inverse_is_scikit_learn_s_bit_for_bit_in_the_shortest_text(tmp_path):
    # A user saw 0.1 come back as 0.09999999999999964: z * scale + mean is rounded twice, so
    # the input comes back to within a few units in the last place of the column's largest
    # values, as from StandardScaler.inverse_transform, which normkit's inverse is, bit for
    # bit, with the stat file's statistics; every number is written in its shortest text.
    rng = np.random.default_rng(7)
    x = np.column_stack([np.round(rng.normal(50, 13, 300), 3), np.arange(300) / 10])
    path = tmp_path / "a.csv"
    path.write_text("x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in x))
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "back.csv"
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    ok("inverse", z, "-s", stats, "-o", back)
    z_text = [line.split(",") for line in z.read_text().splitlines()[1:]]
    back_text = [line.split(",") for line in back.read_text().splitlines()[1:]]
    Z = np.array(z_text, dtype=np.float64)  # float(): correctly rounded
    B = np.array(back_text, dtype=np.float64)
    sk = normkit.load(stats).to_sklearn()  # a StandardScaler holding the stat file's numbers
    assert np.array_equal(Z, sk.transform(pd.DataFrame(x, columns=["x", "y"])))
    assert np.array_equal(B, sk.inverse_transform(Z))
    assert np.array_equal(B, Z * sk.scale_ + sk.mean_)  # its formula: multiply, then add
    for text in (*np.ravel(z_text), *np.ravel(back_text)):
        assert _digits(text) == _digits(repr(float(text))), text  # no digit more than needed
    # Within a few units in the last place of the column's largest value; most exact.
    ulp = np.spacing(np.abs(x).max(axis=0))
    assert (np.abs(B - x) <= 4 * ulp).all()
    assert np.mean(x == B) > 0.5


# -- 2. a token that is not a number is an error wherever it stands ------------------------------

TOKENS = ["abc", "?", "#N/A", '"1,000"', "0x1p3", "1_000", '"1,5"', "0x1f"]


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("row", [3, 250_001])
def test_a_token_in_a_numeric_column_is_refused_wherever_it_stands(tmp_path, token, row):
    path = tmp_path / "t.csv"
    lines = [f"{i},{i * 2 % 7}\n" for i in range(max(row, 3))]
    lines[row - 1] = f"{row - 1},{token}\n"
    path.write_text("a,b\n" + "".join(lines))
    shown = token.strip('"')
    # A number as people write it gets a hint of its own first: a decimal comma, quoted in a
    # comma-separated file, is read with the comma given as both separators; thousands grouped
    # (1,000) get only theirs there, since read as decimals they would be 1.
    extra = {
        "1,000": "write the numbers without thousands separators (none are read) or ",
        "1,5": "read ',' as the decimal separator (--decimal , --delimiter ,) or ",
    }.get(shown, "")
    # Excel's and pandas' missing-value marker: read as missing, no comment (a row dropped).
    ways = (
        f"read it as missing, as pandas does (--null-values {shown!r}) or exclude the column "
        "(--exclude b)"
        if token == "#N/A"
        else f"{extra}exclude the column (--exclude b) or add the string to --null-values"
    )
    assert refused(1, "fit", path, "-o", tmp_path / "s.json") == (
        f"{ERROR}{path}: column 'b' at data row {row:,}: {shown!r} is not a number; {ways}"
    )
    assert not (tmp_path / "s.json").exists()


def test_hexadecimal_codes_are_text_and_one_among_integers_is_a_stray_token(tmp_path):
    # One 0x1f among ages made the column text: passed through, not normalized (exit 0). A
    # column of such codes (colours, hashes) is text; one among integers is refused, and passed
    # through (excluded) it is kept as written.
    path, stats, out = tmp_path / "t.csv", tmp_path / "s.json", tmp_path / "o.parquet"
    ages = [str(18 + i * 7 % 60) for i in range(40)]
    ages[5] = "0x1f"
    path.write_text("age,x\n" + "".join(f"{a},{i / 4}\n" for i, a in enumerate(ages)))
    assert refused(1, "fit", path, "-o", stats) == (
        f"{ERROR}{path}: column 'age' at data row 6: '0x1f' is not a number; "
        "exclude the column (--exclude age) or add the string to --null-values"
    )
    ok("fit", path, "--exclude", "age", "-o", stats)
    ok("transform", path, "-s", stats, "-o", out)
    assert pq.read_table(out).column("age").to_pylist() == ages
    colours = [f"0x{i * 37 % 256:02x}" for i in range(40)]
    colours[5] = "17"
    path.write_text("c,x\n" + "".join(f"{c},{i / 4}\n" for i, c in enumerate(colours)))
    doc = json.loads(ok("fit", path, "-o", "-"))
    assert doc["passthrough"] == [{"name": "c", "dtype": "string", "why": "text"}]


@pytest.mark.parametrize("words", [9, 10])
def test_codes_among_numbers_make_a_column_text_a_few_tokens_do_not(tmp_path, words):
    # Ticket numbers, most of them numeric (titanic.csv): ten different codes or more that are
    # not numbers make a column of text; fewer are tokens in a column of numbers, refused.
    codes = [f"PC {17599 + k}" for k in range(words)]
    tickets = [codes[i // 4 % words] if i % 4 == 0 else str(113803 + i) for i in range(80)]
    path = tmp_path / "t.csv"
    path.write_text("fare,ticket\n" + "".join(f"{i * 0.5},{t}\n" for i, t in enumerate(tickets)))
    if words < 10:
        assert refused(1, "fit", path) == (
            f"{ERROR}{path}: column 'ticket' at data row 1: 'PC 17599' is not a number; "
            "exclude the column (--exclude ticket) or add the string to --null-values"
        )
        return
    doc = json.loads(ok("fit", path, "-o", "-"))
    assert [c["name"] for c in doc["columns"]] == ["fare"]
    assert doc["passthrough"] == [{"name": "ticket", "dtype": "string", "why": "text"}]


@pytest.mark.parametrize(("every", "text"), [(25, False), (19, True)])
def test_many_different_words_make_a_column_text_only_where_they_are_not_rare(
    tmp_path, every, text
):
    # A spreadsheet's error values among 2,000 prices, ten different ones: one row in 25 (4%)
    # is a column of numbers with tokens, refused at the first; one in 19 (5.3%), of text.
    errors = ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "err", "x", "bad"]
    prices = [
        errors[i // every % 10] if i % every == 3 else f"{50 + i % 7 * 0.25}" for i in range(2000)
    ]
    path = tmp_path / "p.csv"
    path.write_text("qty,price\n" + "".join(f"{i % 9},{p}\n" for i, p in enumerate(prices)))
    if not text:
        assert refused(1, "fit", path) == (
            f"{ERROR}{path}: column 'price' at data row 4: '#NULL!' is not a number; "
            "exclude the column (--exclude price) or add the string to --null-values"
        )
        return
    doc = json.loads(ok("fit", path, "-o", "-"))
    assert doc["passthrough"] == [{"name": "price", "dtype": "string", "why": "text"}]


@pytest.mark.parametrize("leading", [10, 200_000])
def test_placeholders_before_the_first_number_do_not_make_a_column_text(tmp_path, leading):
    # 200,000 rows of '?' fill the first block: nothing there says numbers, nor text.
    path = tmp_path / "q.csv"
    rows = [f"{i},?\n" for i in range(leading)] + [f"{i},{i % 50 * 0.5}\n" for i in range(1000)]
    path.write_text("x,sensor\n" + "".join(rows))
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: column 'sensor' at data row 1: '?' is not a number; exclude the column "
        "(--exclude sensor) or add the string to --null-values"
    )
    doc = json.loads(ok("fit", path, "--null-values", "?", "-o", "-"))
    sensor = next(c for c in doc["columns"] if c["name"] == "sensor")
    assert (sensor["count"], sensor["missing"]) == (1000, leading)


def test_missing_values_do_not_outvote_the_numbers_of_a_column(tmp_path):
    # Half the values NA, one '-': the numbers are most of the values there are, so the '-'
    # is refused; the column is not passed through as text (it was, NA counting as text).
    path = tmp_path / "na.csv"
    values = ["NA" if i % 2 else f"{i * 1.5}" for i in range(20)] + ["-"]
    path.write_text("x,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: column 'y' at data row 21: '-' is not a number; exclude the column "
        "(--exclude y) or add the string to --null-values"
    )
    doc = json.loads(ok("fit", path, "--null-values", "-", "-o", "-"))
    y = next(c for c in doc["columns"] if c["name"] == "y")
    assert (y["count"], y["missing"]) == (10, 11)
    assert y["mean"] == pytest.approx(np.mean([i * 1.5 for i in range(0, 20, 2)]), rel=1e-15)


@pytest.mark.parametrize("word", ["n/a", "#N/A", "<NA>"])
def test_numbers_outnumbered_by_pandas_missing_strings_are_refused_not_text(tmp_path, word):
    # n/a in two rows of three: numbers to pandas (one of its missing-value strings), text to
    # DuckDB; the column passed through as text without a word. Now its first n/a is refused,
    # as one n/a among many numbers is.
    path = tmp_path / "na.csv"
    values = [word if i % 3 else f"{i * 1.5}" for i in range(1, 31)]
    path.write_text("id,x\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: column 'x' at data row 1: '{word}' is not a number; read it as "
        f"missing, as pandas does (--null-values {shlex.quote(word)}) or exclude the column "
        "(--exclude x)"
    )
    doc = json.loads(ok("fit", path, "--null-values", word, "-o", "-"))
    x = next(c for c in doc["columns"] if c["name"] == "x")
    expected = pd.read_csv(path)["x"]
    assert (x["count"], x["missing"]) == (expected.count(), expected.isna().sum())
    assert x["mean"] == pytest.approx(expected.mean(), rel=1e-15)
    # A word both pandas and DuckDB read as text: text, as they read it.
    path.write_text(
        "id,x\n" + "".join(f"{i},{v.replace(word, 'none')}\n" for i, v in enumerate(values))
    )
    assert json.loads(ok("fit", path, "-o", "-"))["passthrough"][0]["name"] == "x"


@pytest.mark.parametrize("word", ["#N/A", "1.#QNAN", "-1.#IND"])
def test_a_missing_value_marker_is_offered_as_missing_never_as_a_comment(tmp_path, word):
    # '#N/A' at a row's start got the hint to skip '#' lines as comments (following it dropped
    # the row, its b=3 with it, exit 0), '1.#QNAN' one to cut comments after values (read as 1).
    # pandas reads them as missing: the hint says so, naming the string.
    path, stats = tmp_path / "m.csv", tmp_path / "s.json"
    path.write_text(f"a,b\n1,2\n{word},3\n4,5\n6,7\n")
    assert refused(1, "fit", path, "-o", stats) == (
        f"{ERROR}{path}: column 'a' at data row 2: {word!r} is not a number; read it as "
        f"missing, as pandas does (--null-values {word!r}) or exclude the column (--exclude a)"
    )
    ok("fit", path, "--null-values", word, "-o", stats)
    fitted = {c["name"]: c for c in json.loads(stats.read_text())["columns"]}
    expected = pd.read_csv(path)
    assert (fitted["a"]["count"], fitted["a"]["missing"]) == (3, 1)
    assert fitted["b"]["count"] == 4
    assert fitted["b"]["mean"] == pytest.approx(expected["b"].mean(), rel=1e-15)
    assert fitted["a"]["mean"] == pytest.approx(expected["a"].mean(), rel=1e-15)
    # A transform, which has no --exclude, names the missing-value string alone.
    plain = tmp_path / "plain.csv"
    plain.write_text("a,b\n1,2\n3,4\n4,5\n")
    ok("fit", plain, "-o", stats)
    assert refused(1, "transform", path, "-s", stats, "-o", tmp_path / "o.csv") == (
        f"{ERROR}{path}: column 'a' at data row 2: {word!r} is not a number; read it as "
        f"missing, as pandas does (--null-values {word!r})"
    )


@pytest.mark.parametrize("mark", ["-", "?", "--"])
def test_a_column_of_placeholders_alone_is_refused_not_passed_through(tmp_path, mark):
    # A short file whose column holds nothing but '-' is refused at the first, as a longer one
    # is: beside another file of the data set its numbers would otherwise be lost unseen.
    (tmp_path / "d").mkdir()
    first, second = tmp_path / "d" / "a.csv", tmp_path / "d" / "b.csv"
    first.write_text("".join(["x,flag\n"] + [f"{i},{mark}\n" for i in range(5)]))
    second.write_text("x,flag\n5,1.5\n6,2.5\n")
    for given in (first, tmp_path / "d"):
        assert refused(1, "fit", given) == (
            f"{ERROR}{first}: column 'flag' at data row 1: '{mark}' is not a number; exclude "
            "the column (--exclude flag) or add the string to --null-values"
        )
    doc = json.loads(ok("fit", tmp_path / "d", "--null-values", mark, "-o", "-"))
    flag = next(c for c in doc["columns"] if c["name"] == "flag")
    assert (flag["count"], flag["missing"], flag["mean"]) == (2, 5, 2.0)


def test_a_column_of_many_different_symbols_is_text_not_placeholders(tmp_path):
    # Emoji and symbols hold no letter or digit, as '-' and '?' do not; a dozen different ones
    # are no marks of a missing value: the column passes through as text (it was refused at
    # its first value, as a column of numbers yet to come).
    symbols = [
        "\u2705",
        "\u26a0\ufe0f",
        "\u274c",
        "\u2764\ufe0f",
        "\U0001f7e8",
        "\U0001f4dd",
        "\U0001f537",
        "\U0001f197",
        "\u2757\ufe0f",
        "\u270f\ufe0f",
        "\u2013",
        "\u2022",
    ]
    path = tmp_path / "e.csv"
    path.write_text(
        "x,status\n" + "".join(f"{i},{symbols[i % len(symbols)]}\n" for i in range(40)),
        encoding="utf-8",
    )
    proc = run_normkit("fit", str(path), "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 0, proc.stderr
    assert "passed through: status (text)" in proc.stderr.decode()
    # Fewer different marks are placeholders still: the first one stops the fit.
    path.write_text("x,status\n" + "".join(f"{i},{symbols[i % 3]}\n" for i in range(40)))
    proc = run_normkit("fit", str(path), "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 1
    assert "column 'status' at data row 1: '\u2705' is not a number" in proc.stderr.decode()


@pytest.mark.parametrize("order", ["text first", "numbers first"])
@pytest.mark.parametrize("words_in", ["csv", "parquet"])
def test_a_column_text_in_one_file_and_numbers_in_another_is_refused(tmp_path, order, words_in):
    # Chosen by the first file's types: text first, the other file's numbers were passed
    # through unnormalized (exit 0); numbers first, refused at the first word with a hint to
    # leave out of --columns a column nobody chose (or, the words in Parquet, with one file).
    rng = np.random.default_rng(4)
    words = pd.DataFrame({"x": rng.normal(size=50), "y": ["unknown", "n/a"] * 25})
    numbers = pd.DataFrame({"x": rng.normal(size=50), "y": rng.normal(5, 2, 50)})
    folder = tmp_path / "set"
    folder.mkdir()
    names = ("a", "b") if order == "text first" else ("b", "a")
    text, number = folder / f"{names[0]}.{words_in}", folder / f"{names[1]}.csv"
    words.to_parquet(text, index=False) if words_in == "parquet" else words.to_csv(
        text, index=False
    )
    numbers.to_csv(number, index=False)
    out = tmp_path / "s.json"
    # The missing-value strings are a way out only where the words are a CSV's.
    null_values = " or add the strings that are not numbers to --null-values"
    assert refused(1, "fit", folder, "-o", out) == (
        f"{ERROR}column 'y' is text in {text} but numbers in {number} by their first rows: read "
        "by its type, the numbers of one file would be normalized and the other's passed "
        "through; exclude the column (--exclude y)" + (null_values if words_in == "csv" else "")
    )
    assert not out.exists()
    ok("fit", folder, "-o", out, "--exclude", "y")
    assert [c["name"] for c in json.loads(out.read_text())["columns"]] == ["x"]
    if words_in == "csv":
        ok("fit", folder, "-o", out, "--null-values", "unknown,n/a")
        both = pd.concat([words, numbers]).apply(pd.to_numeric, errors="coerce")
        np.testing.assert_allclose(normkit.load(out).mean_, both.mean(), rtol=1e-12)
    # Booleans beside numbers: refused alike ('has type bool, which is not numeric' named
    # neither the other file nor a way out).
    (folder / f"{names[0]}.csv").unlink(missing_ok=True)
    (folder / f"{names[0]}.parquet").unlink(missing_ok=True)
    flags = folder / f"{names[0]}.parquet"
    words.assign(y=[True, False] * 25).to_parquet(flags, index=False)
    assert refused(1, "fit", folder, "-o", out).startswith(
        f"{ERROR}column 'y' is boolean in {flags} but numbers in {number} by their first rows"
    )


@pytest.mark.parametrize("engine", ["local", "dask"])
@pytest.mark.parametrize("kind", ["timestamp", "duration", "csv dates"])
def test_a_column_of_dates_in_one_file_and_numbers_in_another_is_refused(tmp_path, kind, engine):
    # Dates, times or durations first: the column was passed through for its type, the later
    # file's numbers with it, unnormalized (exit 0).
    rng = np.random.default_rng(3)
    folder = tmp_path / "set"
    folder.mkdir()
    values = {
        "timestamp": pd.date_range("2020", periods=100),
        "duration": pd.to_timedelta(np.arange(100), unit="s"),
        "csv dates": pd.date_range("2020", periods=100).strftime("%Y-%m-%d"),
    }[kind]
    dates = pd.DataFrame({"x": rng.normal(size=100), "c": values})
    numbers = pd.DataFrame({"x": rng.normal(size=100), "c": rng.integers(0, 9, 100)})
    if kind == "csv dates":
        first, second = folder / "a.csv", folder / "b.csv"
        dates.to_csv(first, index=False)
        numbers.to_csv(second, index=False)
        dtype, told = "date32[day]", " by their first rows"
    else:
        first, second = folder / "a.parquet", folder / "b.parquet"
        dates.to_parquet(first, index=False)
        numbers.to_parquet(second, index=False)
        dtype, told = {"timestamp": "timestamp[us]", "duration": "duration[us]"}[kind], ""
    out = tmp_path / "s.json"
    assert refused(1, "fit", folder, "-o", out, "--engine", engine) == (
        f"{ERROR}column 'c' is of type {dtype} in {first} but numbers in {second}{told}: read "
        "by its type, the numbers of one file would be normalized and the other's passed "
        "through; exclude the column (--exclude c)"
    )
    assert not out.exists()
    ok("fit", folder, "-o", out, "--exclude", "c", "--engine", engine)


def test_a_latin1_byte_is_refused_and_read_with_its_encoding(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"a,b\n1,2\n3,\xe94\n")
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: column 'b' at data row 2 (line 3): invalid UTF-8 text; name its encoding "
        "(--encoding latin-1 or another)"
    )
    doc = json.loads(ok("fit", path, "--encoding", "latin-1", "--columns", "a", "-o", "-"))
    assert doc["read"]["encoding"] == "latin-1"


# -- 3. missing-value strings add to the defaults, and the fit's read options travel -------------


def test_null_values_add_to_the_defaults_and_are_reused(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("a,b,c\n1,?,5\n2,4,NA\n3,6,7\n4,8,9\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--null-values", "?", "-o", stats)
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["a", "b", "c"]  # NA still missing in c
    assert [c["missing"] for c in doc["columns"]] == [0, 1, 1]
    assert {"?", "NA"} <= set(doc["read"]["null_values"])
    out = ok("transform", path, "-s", stats)  # '?' read as the fit read it
    rows = [line.split(",") for line in out.splitlines()[1:]]
    # Missing values are written as the input's own missing-value string (not a default).
    assert (rows[0][1], rows[1][2]) == ("?", "?")


def test_missing_values_are_written_as_the_input_writes_them(tmp_path):
    # A PostgreSQL text dump: \N for null. Written back empty, COPY FROM would refuse it.
    path, stats = tmp_path / "dump.tsv", tmp_path / "s.json"
    path.write_text("id\tx\tname\n1\t1.5\t\\N\n2\t\\N\tbob\n3\t2.5\tal\n4\t4\t\\N\n")
    ok("fit", path, "--null-values", "\\N", "--exclude", "id", "-o", stats)
    z, back = tmp_path / "z.tsv", tmp_path / "back.tsv"
    ok("transform", path, "-s", stats, "-o", z)
    assert [line.split("\t")[1] for line in z.read_text().splitlines()][2] == "\\N"
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == path.read_text().replace("\t4\t", "\t4.0\t")
    # An empty text is no missing value: it stays empty, \\N stays \\N (CSV to CSV).
    path.write_text("id\tx\tname\n1\t1.5\t\n2\t\\N\tbob\n3\t2.5\t\\N\n")
    ok("transform", path, "-s", stats, "-o", z)
    assert [line.split("\t")[2] for line in z.read_text().splitlines()] == [
        "name",
        "",
        "bob",
        "\\N",
    ]
    # A string that would start a comment line (Excel's #N/A) is never the one written: read
    # back with the comment character, the record would be lost.
    sheet, zc, backc = tmp_path / "sheet.csv", tmp_path / "z.csv", tmp_path / "back.csv"
    sheet.write_text("# exported\nx,y\n1.5,2\n,3\n2.5,#N/A\n4,5\n")
    ok("fit", sheet, "--null-values", "#N/A", "--comment", "#", "-o", stats)
    ok("transform", sheet, "-s", stats, "-o", zc)
    ok("inverse", zc, "-s", stats, "-o", backc)
    assert backc.read_text().splitlines() == ["x,y", "1.5,2", ",3", "2.5,", "4.0,5"]
    # Nor one given to the transform alone, which an inverse would not read as missing.
    ok("transform", sheet, "-s", stats, "--null-values", "?", "-o", zc)
    assert zc.read_text().splitlines()[2].startswith(",")
    # A number among the missing values (a sentinel) is never the one written.
    ok("fit", path, "--null-values", "-999,\\N", "--exclude", "id", "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    assert z.read_text().splitlines()[2].split("\t")[1] == "\\N"


def test_the_null_of_database_dumps_is_refused_with_its_way_out(tmp_path):
    # As IMDb's files and PostgreSQL's COPY write them: \N for null, in numbers and text. DuckDB
    # and pandas read such a column as text: normkit refuses it, and reads it as told.
    text = "tconst\tyear\tminutes\tgenres\nt1\t1938\t68\tComedy\nt2\t\\N\t60\tDrama\n"
    text += "t3\t1950\t\\N\t\\N\nt4\t1961\t91\tDrama\nt5\t\\N\t\\N\tWar\n"
    path, stats, out = tmp_path / "title.tsv", tmp_path / "s.json", tmp_path / "z.parquet"
    path.write_text(text)
    refusal = refused(1, "fit", path, "-o", stats)
    assert "column 'year' at data row 2: '\\N' is not a number" in refusal
    assert refusal.endswith("or add the string to --null-values")
    ok("fit", path, "--null-values", "\\N", "-o", stats)
    doc = json.loads(stats.read_text())
    frame = pd.read_csv(io.StringIO(text), sep="\t", na_values=["\\N"])
    assert [c["name"] for c in doc["columns"]] == ["year", "minutes"]
    X = frame[["year", "minutes"]].to_numpy()
    want = StandardScaler().fit(X)
    assert [c["missing"] for c in doc["columns"]] == [2, 2]
    np.testing.assert_allclose([c["mean"] for c in doc["columns"]], want.mean_, rtol=1e-15)
    np.testing.assert_allclose([c["scale"] for c in doc["columns"]], want.scale_, rtol=1e-15)
    ok("transform", path, "-s", stats, "-o", out)  # \N read as the fit read it
    got = pq.read_table(out)
    np.testing.assert_array_equal(
        np.column_stack([got[c].to_numpy() for c in ("year", "minutes")]), want.transform(X)
    )
    assert got["genres"].to_pylist() == ["Comedy", "Drama", None, "Drama", "War"]


def test_a_dump_without_header_whose_first_row_holds_a_null_loses_no_row(tmp_path):
    # PostgreSQL's COPY ... TO (text): no header, tabs, \N; the root of a tree has no parent.
    rows = ["1\t\\N\t0\t1.25"] + [f"{i}\t{i // 2}\t{i % 5}\t{i / 8}" for i in range(2, 3000)]
    path, stats = tmp_path / "tree.txt", tmp_path / "s.json"
    path.write_text("\n".join(rows) + "\n")
    ok("fit", path, "--null-values", "\\N", "-o", stats)
    doc = json.loads(stats.read_text())
    frame = pd.read_csv(path, sep="\t", header=None, na_values=["\\N"])
    assert (doc["read"]["header"], doc["rows"]) == (False, len(frame))
    np.testing.assert_allclose(
        [c["mean"] for c in doc["columns"]], frame.mean().to_numpy(), rtol=1e-15
    )
    lines = ok("transform", path, "-s", stats).splitlines()
    assert len(lines) == len(rows)  # no header above them either
    assert lines[0].split("\t")[1] == "\\N"  # missing, as the dump writes it


def test_a_numeric_missing_value_matches_every_spelling_of_its_number_as_in_pandas(tmp_path):
    text = "a,b,t\n1.5,-999,-999\n2.5,3,x\n-999,5,-999.0\n4,-999.0,y\n7,-9.99e2,z\n"
    path, stats = tmp_path / "s.csv", tmp_path / "s.json"
    path.write_text(text)
    ok("fit", path, "--null-values", "-999", "-o", stats)
    doc = json.loads(stats.read_text())
    frame = pd.read_csv(io.StringIO(text), na_values=["-999"])  # -9.99e2 too, by value
    assert frame["b"].count() == 2
    for column in doc["columns"]:
        values = frame[column["name"]]
        assert column["count"] == values.count()
        np.testing.assert_allclose(column["mean"], values.mean(), rtol=1e-15)
    # A text column keeps every spelling but the one given.
    (counts,) = [p for p in doc["categories"] if p["name"] == "t"]
    assert (counts["missing"], counts["counts"]["-999.0"]) == (1, 1)
    lines = ok("transform", path, "-s", stats).splitlines()
    assert [line.split(",")[1] == "" for line in lines[1:]] == [True, False, False, True, True]


@pytest.mark.parametrize("nan", ["-nan", "+NaN", "NaN ", "-NaN", "nan"])
def test_every_spelling_of_nan_comes_out_missing_as_nan_goes_in(tmp_path, nan):
    # `nan` is a default missing value: read so in the fit, so in every output, however spelled.
    train, data, stats = tmp_path / "t.csv", tmp_path / "d.csv", tmp_path / "s.json"
    train.write_text("a,b\n1,2\n3,4\n6,7\n")
    data.write_text(f"a,b\n1,2\n{nan},5\n")
    ok("fit", train, "-o", stats)
    z = float((1 - 10 / 3) / np.std([1, 3, 6]))
    lines = ok("transform", data, "-s", stats).splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [repr(z), ""]
    ok("transform", data, "-s", stats, "-o", tmp_path / "z.parquet")
    column = pq.read_table(tmp_path / "z.parquet").column("a")
    assert (column.null_count, column.to_pylist()[0]) == (1, z)
    ok("fit", data, "-o", tmp_path / "d.json")
    assert json.loads((tmp_path / "d.json").read_text())["columns"][0]["missing"] == 1
    # Without NaN among the missing values, a NaN is a value (left out of statistics) and stays.
    ok("fit", train, "--no-default-null-values", "-o", stats)
    assert ok("transform", data, "-s", stats).splitlines()[2].split(",")[0] == "NaN"


def test_a_numeric_missing_value_written_with_a_point_matches_decimal_commas(tmp_path):
    path, stats = tmp_path / "d.csv", tmp_path / "s.json"
    path.write_text("x;y\n1,5;0\n-999,0;0\n2,5;3\n0;4\n")
    ok("fit", path, "--decimal", ",", "--null-values", "-999.0", "-o", stats)
    frame = pd.read_csv(path, sep=";", decimal=",", na_values=["-999.0"])
    doc = json.loads(stats.read_text())
    assert [c["count"] for c in doc["columns"]] == frame.count().tolist() == [3, 4]
    np.testing.assert_allclose([c["mean"] for c in doc["columns"]], frame.mean(), rtol=1e-15)


def test_infinities_read_as_missing_by_the_fit_are_read_so_later(tmp_path):
    path = tmp_path / "inf.csv"
    path.write_text("a,b\n1,2\ninf,3\n2,5\n4,1\n-inf,0\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--inf-as-missing", "-o", stats)
    assert json.loads(stats.read_text())["read"]["inf_as_missing"] is True
    lines = ok("transform", path, "-s", stats).splitlines()
    assert [line.split(",")[0] == "" for line in lines[1:]] == [False, True, False, False, True]
    assert json.loads(ok("drift", path, "-s", stats, "--json"))["drifted"] == []


def test_the_delimiter_of_the_fit_is_reused(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("a;b\n1;2\n3;5\n4;9\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--delimiter", ";", "-o", stats)
    assert ok("transform", path, "-s", stats).splitlines()[0] == "a;b"
    report = json.loads(ok("drift", path, "-s", stats, "--json"))
    assert report["drifted"] == []


# -- 4. normalizing twice ------------------------------------------------------------------------


def test_normalizing_twice_with_the_same_statistics_is_refused(tmp_path, sample_stats):
    z = tmp_path / "z.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", z)
    assert refused(1, "transform", z, "-s", sample_stats, "-o", tmp_path / "zz.parquet") == (
        f"{ERROR}{z} is already normalized with these statistics (its metadata says so); "
        "normalizing it again would not give what you expect; invert it (if that was meant) or "
        "normalize it again all the same (--renormalize)"
    )
    ok("transform", z, "-s", sample_stats, "-o", tmp_path / "zz.parquet", "--renormalize")
    restored = tmp_path / "x.parquet"
    ok("inverse", z, "-s", sample_stats, "-o", restored)
    ok("transform", restored, "-s", sample_stats, "-o", tmp_path / "again.parquet")


def test_normalizing_twice_with_another_fit_of_the_same_data_is_refused(tmp_path, sample_stats):
    # Another fit's statistics (with ddof 1: other scales) have another fingerprint: the
    # record still says the data is normalized, and nothing else would stop a second pass.
    other = tmp_path / "other.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "--ddof", "1", "-o", other)
    z = tmp_path / "z.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", z)
    zz = tmp_path / "zz.parquet"
    assert refused(1, "transform", z, "-s", other, "-o", zz) == (
        f"{ERROR}{z} is already normalized with other statistics than these (its metadata says "
        "so); normalizing it again would not give what you expect; invert it with the "
        "statistics that normalized it (if that was meant) or normalize it again all the same "
        "(--renormalize)"
    )
    assert not zz.exists()
    ok("transform", z, "-s", other, "-o", zz, "--renormalize")
    restored = tmp_path / "x.parquet"
    ok("inverse", z, "-s", sample_stats, "-o", restored)
    ok("transform", restored, "-s", other, "-o", tmp_path / "again.parquet")


@pytest.mark.parametrize("kind", ["outlier", "heavy tail"])
def test_an_outlier_or_a_heavy_tail_of_the_fitted_data_leaves_both_guards_on(tmp_path, kind):
    # Moments are not robust: one value of 1e5 among N(10, 1), or a lognormal column, sets a
    # mean and a standard deviation that no sample without it comes near; the quartiles still
    # tell the raw data from the normalized (both guards were off: exit 0, wrong data).
    rng = np.random.default_rng(0)
    n = 5000
    y = rng.normal(10, 1, n) if kind == "outlier" else rng.lognormal(0, 5, n)
    if kind == "outlier":
        y[4321] = 1e5
    raw = tmp_path / "raw.csv"
    pd.DataFrame({"x": rng.normal(3, 2, n), "y": y}).to_csv(raw, index=False)
    stats = tmp_path / "raw.json"
    ok("fit", raw, "-o", stats)
    back = tmp_path / "back.csv"
    line = refused(1, "inverse", raw, "-s", stats, "--use", "exact", "-o", back)
    assert line.startswith(f"{ERROR}{raw} does not look normalized with these statistics (column ")
    assert not back.exists()
    z = tmp_path / "z.csv"
    piped(z, raw, "-s", stats)  # no record: its look is judged
    line = refused(1, "transform", z, "-s", stats, "-o", tmp_path / "zz.csv")
    assert line.startswith(f"{ERROR}{z} looks normalized already (column ")
    assert not (tmp_path / "zz.csv").exists()
    # The normalized data is inverted, back to the raw values.
    ok("inverse", z, "-s", stats, "--use", "exact", "-o", back)
    np.testing.assert_allclose(pd.read_csv(back)["y"], y, rtol=1e-9, atol=1e-12 * np.abs(y).max())


def test_a_csv_that_looks_normalized_already_is_not_normalized_again(tmp_path, sample_stats):
    # A CSV without a record (through a pipe): the columns' mean and spread tell raw data from
    # normalized data.
    z = tmp_path / "z.csv"
    piped(z, SAMPLE_CSV, "-s", sample_stats)
    line = refused(1, "transform", z, "-s", sample_stats, "-o", tmp_path / "zz.csv")
    assert line.startswith(f"{ERROR}{z} looks normalized already (column 'age' has mean ")
    assert line.endswith(
        "normalizing it again would not give what you expect; normalize it all the same "
        "(--renormalize)"
    )
    assert not (tmp_path / "zz.csv").exists()
    ok("transform", z, "-s", sample_stats, "-o", tmp_path / "zz.csv", "--renormalize")
    # And raw data is not inverted.
    exact = ("--use", "exact")
    line = refused(1, "inverse", SAMPLE_CSV, "-s", sample_stats, *exact, "-o", tmp_path / "b.csv")
    assert line.startswith(f"{ERROR}{SAMPLE_CSV} does not look normalized with these statistics")
    assert line.endswith("invert it all the same (--assume-normalized)")
    assert not (tmp_path / "b.csv").exists()
    args = ("-o", tmp_path / "b.csv", "--assume-normalized", "--keep-float")
    ok("inverse", SAMPLE_CSV, "-s", sample_stats, *exact, *args)


def test_the_data_the_statistics_were_fitted_on_is_normalized_whatever_its_first_rows(tmp_path):
    # Time-sorted data with a trend: its first rows sit near mean 0 and standard deviation 1,
    # and `fit f; transform f` was refused as "looks normalized already". The files the stat
    # file's provenance records as fitted on (same absolute path, same size) are raw data.
    rng = np.random.default_rng(1)
    n = 3000

    def trend(lo: float) -> pd.DataFrame:
        return pd.DataFrame({"a": rng.normal(lo, 1, n), "b": rng.normal(lo, 1, n)})

    data = pd.concat([trend(0), trend(3)], ignore_index=True)
    raw, stats = tmp_path / "trend.csv", tmp_path / "t.json"
    data.to_csv(raw, index=False)
    ok("fit", raw, "-o", stats)
    for out in ("z.csv", "z.parquet"):  # CSV to CSV is spliced; the other goes by batches
        ok("transform", raw, "-s", stats, "-o", tmp_path / out)
    z = pd.read_csv(tmp_path / "z.csv")
    mean, std = data.mean(axis=0).to_numpy(), data.std(axis=0, ddof=0).to_numpy()
    np.testing.assert_allclose(z.to_numpy(), (data.to_numpy() - mean) / std, rtol=1e-12)
    # A directory whose first part is N(0, 1): each part is a file it was fitted on.
    parts = tmp_path / "parts"
    parts.mkdir()
    data[:n].to_csv(parts / "part-0.csv", index=False)
    data[n:].to_csv(parts / "part-1.csv", index=False)
    ok("fit", parts, "-o", tmp_path / "p.json")
    ok("transform", parts, "-s", tmp_path / "p.json", "-o", tmp_path / "zp.csv")
    # Through a link (to the file, or to the directory): the same file (they were refused).
    (tmp_path / "link.csv").symlink_to(raw)
    ok("transform", tmp_path / "link.csv", "-s", stats, "-o", tmp_path / "zl.csv")
    (tmp_path / "linked").symlink_to(parts)
    ok("transform", tmp_path / "linked", "-s", tmp_path / "p.json", "-o", tmp_path / "zd.csv")
    assert (tmp_path / "zl.csv").read_bytes() == (tmp_path / "z.csv").read_bytes()
    # Other files are judged by their look still: a copy, and the file changed since the fit.
    copy = tmp_path / "copy.csv"
    copy.write_bytes(raw.read_bytes())
    line = refused(1, "transform", copy, "-s", stats, "-o", tmp_path / "zc.csv")
    assert line.startswith(f"{ERROR}{copy} looks normalized already (column 'a' has mean ")
    data[:n].to_csv(raw, index=False)
    line = refused(1, "transform", raw, "-s", stats, "-o", tmp_path / "zr.csv")
    assert line.startswith(f"{ERROR}{raw} looks normalized already (column 'a' has mean ")
    assert not (tmp_path / "zc.csv").exists()
    assert not (tmp_path / "zr.csv").exists()


@pytest.mark.parametrize("command", ["transform", "inverse"])
@pytest.mark.parametrize("output", [["-"], ["/dev/stdout"], ["-", "--output-format", "arrow"]])
def test_a_refusal_into_a_pipe_comes_before_any_row(tmp_path, command, output):
    # Into a pipe the output cannot be taken back: every row normalized twice was written,
    # then the refusal came (behind `| head`, the broken pipe hid it: exit 0). The first rows
    # decide before they go; a file output is still judged on rows from all over the input.
    rng = np.random.default_rng(4)
    raw = pd.DataFrame({"a": rng.normal(50, 10, 20_000), "b": rng.exponential(3, 20_000)})
    train, stats, z = tmp_path / "t.csv", tmp_path / "s.json", tmp_path / "z.csv"
    raw.to_csv(train, index=False)
    ok("fit", train, "-o", stats)
    piped(z, train, "-s", stats)
    given, said = (z, ()) if command == "transform" else (train, ("--use", "exact"))
    proc = run_normkit(command, "-", "-s", stats, *said, "-o", *output, stdin=given.read_bytes())
    assert proc.returncode == 1, proc.stderr.decode()
    assert proc.stdout == b""
    what = "looks normalized already" if command == "transform" else "does not look normalized"
    assert proc.stderr.decode().startswith(f"{ERROR}<stdin> {what}")
    assert proc.stderr.decode().endswith(
        "or write the output to a file, judged on rows from all over the input\n"
    )


@pytest.mark.parametrize("shift", [-3.0, 0.5, 4.0])
def test_drifted_data_is_neither_raw_nor_normalized_and_goes_through(tmp_path, shift):
    # Data far from what the statistics saw is what drift is for; it must never be taken for
    # data already normalized (or raw data, when inverted).
    rng = np.random.default_rng(7)
    fitted = pd.DataFrame({"a": rng.normal(50, 10, 500), "b": rng.normal(-3, 0.5, 500)})
    fitted.to_csv(tmp_path / "f.csv", index=False)
    stats = tmp_path / "s.json"
    ok("fit", tmp_path / "f.csv", "-o", stats)
    new = pd.DataFrame({"a": rng.normal(50 + shift * 10, 10, 500), "b": rng.normal(-3, 1.5, 500)})
    new.to_csv(tmp_path / "n.csv", index=False)
    ok("transform", tmp_path / "n.csv", "-s", stats, "-o", tmp_path / "z.csv")
    back = ok("inverse", tmp_path / "z.csv", "-s", stats, "-o", "-")
    np.testing.assert_allclose(pd.read_csv(io.StringIO(back)), new, rtol=1e-12)


def test_a_directory_mixing_raw_and_normalized_files_is_refused(tmp_path):
    data = pd.DataFrame({"f": np.random.default_rng(0).normal(50, 10, 1000)})
    data.to_csv(tmp_path / "a.csv", index=False)
    stats = tmp_path / "s.json"
    ok("fit", tmp_path / "a.csv", "-o", stats)
    for fmt in ("parquet", "csv"):
        folder = tmp_path / fmt
        folder.mkdir()
        raw, other = tmp_path / f"raw.{fmt}", folder / f"p2.{fmt}"
        for part, path in ((data[:500], raw), (data[500:], other)):
            part.to_parquet(path, index=False) if fmt == "parquet" else part.to_csv(
                path, index=False
            )
        ok("transform", raw, "-s", stats, "-o", folder / f"p1.{fmt}")
        assert refused(1, "inverse", folder, "-s", stats, "-o", tmp_path / "b.csv")
        assert refused(1, "transform", folder, "-s", stats, "-o", tmp_path / "z.csv")
    assert not (tmp_path / "b.csv").exists()
    assert not (tmp_path / "z.csv").exists()


def test_fitting_files_on_different_scales_by_their_records_is_refused(tmp_path):
    # A data set of one raw file and one normkit normalized was fitted as one: the statistics
    # described neither scale (exit 0). An inverted file is raw again, and fits beside raw data.
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"f": rng.normal(50, 10, 1000), "g": rng.normal(-2, 3, 1000)})
    raw = tmp_path / "raw.parquet"
    data.to_parquet(raw, index=False)
    stats, other = tmp_path / "s.json", tmp_path / "o.json"
    ok("fit", raw, "-o", stats)
    ok("fit", raw, "--ddof", "1", "-o", other)  # other scales
    folder = tmp_path / "set"
    folder.mkdir()
    data[:500].to_parquet(folder / "a.parquet", index=False)
    ok("transform", raw, "-s", stats, "-o", folder / "b.parquet")
    out = tmp_path / "fit.json"
    assert refused(1, "fit", folder, "-o", out) == (
        f"{ERROR}{folder / 'b.parquet'} is normalized (its metadata says so) and "
        f"{folder / 'a.parquet'} is not: fitted together, their rows would mix two scales; "
        "fit them apart, or leave one out of the inputs"
    )
    ok("transform", raw, "-s", other, "-o", tmp_path / "c.parquet")
    line = refused(1, "fit", folder / "b.parquet", tmp_path / "c.parquet", "-o", out)
    assert "are normalized with different statistics (their metadata says so)" in line
    # The same statistics with another gamma and beta: another scale too (exit 0 before), to
    # fit together, to merge, or to drift against.
    twice = tmp_path / "g.parquet"
    ok("transform", raw, "-s", stats, "--gamma", "2", "--beta", "0.5", "-o", twice)
    line = refused(1, "fit", folder / "b.parquet", twice, "-o", out)
    assert "are normalized with different gamma or beta (their metadata says so)" in line
    # Those of the columns fitted: g's gamma alike in both, f's not (refused before).
    ok(
        "transform",
        raw,
        "-s",
        stats,
        "--gamma",
        "g=2",
        "--beta",
        "0.5",
        "-o",
        tmp_path / "h.parquet",
    )
    ok("fit", tmp_path / "h.parquet", twice, "--columns", "g", "-o", tmp_path / "fh.json")
    line = refused(1, "fit", tmp_path / "h.parquet", twice, "--columns", "f", "-o", out)
    assert "are normalized with different gamma or beta" in line
    ok("fit", folder / "b.parquet", "-o", tmp_path / "fb.json")
    ok("fit", twice, "-o", tmp_path / "fg.json")
    line = refused(1, "merge-stats", tmp_path / "fb.json", tmp_path / "fg.json", "-o", out)
    assert "the other on data normkit normalized (statistics v2:" in line
    assert ", gamma 2, beta 0.5) (merging into" in line
    line = refused(1, "drift", twice, "-s", tmp_path / "fb.json")
    assert ", gamma 2, beta 0.5) (its metadata says so), but the statistics were fitted" in line
    # A stat file whose provenance was written before it kept gamma and beta cannot tell them:
    # judged by its statistics alone, as it was (refused against its own data's outputs).
    ok("fit", twice, "-o", tmp_path / "older.json")
    older = json.loads((tmp_path / "older.json").read_text())
    for source in older["provenance"]["sources"]:
        for step in source["normalized"]:
            del step["gamma"], step["beta"]
    (tmp_path / "older.json").write_text(json.dumps(older))
    ok("drift", twice, "-s", tmp_path / "older.json")
    # Data of gamma 1 it cannot tell apart: drift runs, and finds the spread halved.
    assert run_normkit("drift", folder / "b.parquet", "-s", tmp_path / "older.json").returncode == 3
    # Normalized twice is another scale than normalized once, with the same statistics.
    ok(
        "transform",
        folder / "b.parquet",
        "-s",
        stats,
        "-o",
        tmp_path / "bb.parquet",
        "--renormalize",
    )
    line = refused(1, "fit", folder / "b.parquet", tmp_path / "bb.parquet", "-o", out)
    assert "are normalized a different number of times (their metadata says so)" in line
    assert not out.exists()
    ok("inverse", folder / "b.parquet", "-s", stats, "-o", tmp_path / "back.parquet")
    ok("fit", folder / "a.parquet", tmp_path / "back.parquet", "-o", out)
    both = pd.concat([data[:500], pq.read_table(tmp_path / "back.parquet").to_pandas()])
    scaler = StandardScaler().fit(both[["f", "g"]])
    np.testing.assert_allclose(normkit.load(out).mean_, scaler.mean_, rtol=1e-12)


def test_normalized_twice_then_inverted_twice_gives_the_data_back(tmp_path):
    path = tmp_path / "t.parquet"
    rng = np.random.default_rng(0)
    pd.DataFrame({"f": rng.normal(50, 10, 1000), "i": rng.integers(0, 100, 1000)}).to_parquet(path)
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    steps = [tmp_path / f"p{i}.parquet" for i in range(5)]
    ok("transform", path, "-s", stats, "-o", steps[1])
    ok("transform", steps[1], "-s", stats, "-o", steps[2], "--renormalize")
    # The first inverse gives data normalized once: floats, not the integers of the raw data
    # (it refused them as not integers unless --keep-float was given).
    ok("inverse", steps[2], "-s", stats, "-o", steps[3])
    once, again = pq.read_table(steps[1]), pq.read_table(steps[3])
    assert again.schema.field("i").type == pa.float64()
    for name in ("f", "i"):
        np.testing.assert_allclose(again.column(name), once.column(name), rtol=1e-12, atol=1e-14)
    # Once inverted, the data is normalized once: what its record says again.
    assert refused(1, "transform", steps[3], "-s", stats, "-o", tmp_path / "x.parquet")
    ok("inverse", steps[3], "-s", stats, "-o", steps[4])
    raw, back = pq.read_table(path), pq.read_table(steps[4])
    assert back.column("i").equals(raw.column("i"))
    np.testing.assert_allclose(back.column("f"), raw.column("f"), rtol=1e-12)


def test_a_beta_that_swamps_gamma_is_refused(tmp_path, sample_stats):
    out = tmp_path / "z.parquet"
    line = refused(2, "transform", SAMPLE_CSV, "-s", sample_stats, "--beta", "1e16", "-o", out)
    assert line.endswith(
        "so the output would keep fewer than 8 significant digits of the normalized value (an "
        "inverse could not give the data back); give a smaller --beta or a larger --gamma"
    )
    assert not out.exists()
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "--beta", "1e6", "-o", out)


def test_a_beta_that_swamps_gamma_is_refused_by_the_fit_given_it(tmp_path):
    """Once accepted by the fit (exit 0), it made a stat file that every transform and export
    refused, in a message that named no file and an option nobody had given."""
    stats = tmp_path / "b.json"
    for engine in (["--engine", "local"], ["--engine", "dask", "--workers", "1"]):
        line = refused(
            2, "fit", SAMPLE_CSV, "--exclude", "id", "--beta", "1e8", *engine, "-o", stats
        )
        assert "beta (1e+08) is 1e+08 times gamma (1)" in line
        assert not stats.exists()
    with pytest.raises(normkit.OptionError, match="1e\\+08 times gamma"):
        normkit.Standardizer(beta=1e8).fit(pd.DataFrame({"a": [1.0, 2.0, 4.0]}))
    # A stat file that holds one anyway (edited by hand) is named as where it comes from.
    ok("fit", SAMPLE_CSV, "--exclude", "id", "-o", stats)
    document = json.loads(stats.read_text())
    document["columns"][0]["beta"] = 1e8
    stats.write_text(json.dumps(document))
    for args in (
        ["transform", SAMPLE_CSV, "-o", tmp_path / "z.csv"],
        ["export", "--to", "numpy", "-o", tmp_path / "z.npz"],
    ):
        out = args[-1]
        line = refused(1, *args, "-s", stats)
        assert line.startswith(f"{ERROR}{stats}: column "), line
        assert "the statistics' beta (1e+08) is 1e+08 times their gamma (1)" in line
        assert line.endswith("; give a smaller --beta or a larger --gamma")
        assert not out.exists()


def test_a_beta_that_swamps_the_spread_of_the_output_is_refused(tmp_path):
    """The limit assumed normalized values of about 1: data in its own units (--no-std) of
    1e-10, or a variance that underflows (values of 1e-200, scale 1), took --beta 1 with exit
    0, the output 0.99999999987... and the inverse off after 7 digits (x 0.5 in every row)."""
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("x\n1.234567e-10\n2.5e-10\n3.75e-10\n")
    stats, out = tmp_path / "tiny.json", tmp_path / "z.csv"
    ok("fit", tiny, "--no-std", "-o", stats)
    line = refused(2, "transform", tiny, "-s", stats, "--beta", "1", "-o", out)
    assert line == (
        f"{ERROR}column 'x': beta (1) is 9.74e+09 times the spread of the output's values "
        "(1.03e-10, gamma 1 times the normalized values' spread 1.03e-10), so the output would "
        "keep fewer than 8 significant digits of them (an inverse could not give the data "
        "back); give a smaller --beta or a larger --gamma or fit the statistics again dividing "
        "by the standard deviation (normkit fit without --no-std; Standardizer(with_std=True) "
        "in Python)"
    )
    assert not out.exists()
    # Given to the fit: refused once the spread is known, no stat file written.
    for engine in (["--engine", "local"], ["--engine", "dask", "--workers", "1"]):
        args = ("fit", tiny, "--no-std", "--beta", "1", *engine, "-o", tmp_path / "b")
        assert "9.74e+09 times the spread" in refused(2, *args)
        assert not (tmp_path / "b").exists()
    with pytest.raises(normkit.OptionError, match=r"9\.74e\+09 times the spread"):
        normkit.Standardizer(with_std=False, beta=1.0).fit(pd.read_csv(tiny))
    ok("transform", tiny, "-s", stats, "--beta", "1e-12", "-o", out)  # within the limit
    ok("inverse", out, "-s", stats, "-o", tmp_path / "back.csv")
    assert (tmp_path / "back.csv").read_text() == tiny.read_text()
    underflow = tmp_path / "underflow.csv"
    underflow.write_text("x,y\n1e-200,1\n3e-200,2\n-2e-200,5\n5e-200,3\n")
    ok("fit", underflow, "-o", stats)
    line = refused(2, "transform", underflow, "-s", stats, "--beta", "0.5", "-o", out)
    assert line.startswith(f"{ERROR}column 'x': beta (0.5) is 1.43e+199 times the spread of ")
    assert line.endswith("; give a smaller --beta or a larger --gamma or rescale the column "
        "(multiply it by a power of ten; its variance underflows float64) and fit again")  # fmt: skip
    # Values far from 0 (--no-mean) keep their digits beside a beta below them; a constant
    # column centered is beta exactly, whatever beta is.
    large = tmp_path / "large.csv"
    large.write_text("x,c\n1000000000,7\n1000000001,7\n1000000003,7\n")
    ok("fit", large, "--no-mean", "--beta", "1e8", "-o", stats)
    ok("transform", large, "-s", stats, "-o", out)
    ok("inverse", out, "-s", stats, "-o", tmp_path / "back.csv")
    assert (tmp_path / "back.csv").read_text() == large.read_text()
    ok("fit", large, "-o", stats)
    ok("transform", large, "-s", stats, "--beta", "c=1e9", "-o", out)
    assert pd.read_csv(out)["c"].tolist() == [1e9] * 3


# -- 5. types kept -------------------------------------------------------------------------------


def test_csv_to_parquet_keeps_the_types_of_columns_passed_through(tmp_path, sample_stats):
    out = tmp_path / "z.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", out)
    schema = pq.read_schema(out)
    assert schema.field("id").type == pa.int64()
    assert schema.field("active").type == pa.bool_()
    assert schema.field("city").type == pa.string()
    text = tmp_path / "t.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", text, "--keep-text")
    assert pq.read_schema(text).field("id").type == pa.string()


def test_a_csv_of_a_header_alone_gets_the_types_recorded(tmp_path, sample_stats):
    # No value to type a column by: typed as the fit recorded it, so that outputs with and
    # without rows have one schema.
    header = SAMPLE_CSV.read_text().splitlines()[0]
    path, out = tmp_path / "empty.csv", tmp_path / "z.parquet"
    path.write_text(f"{header}\n")
    ok("transform", path, "-s", sample_stats, "-o", out)
    full = tmp_path / "full.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", full)
    assert pq.read_schema(out).remove_metadata() == pq.read_schema(full).remove_metadata()
    assert pq.read_table(out).num_rows == 0


def test_a_column_without_values_in_its_first_block_takes_its_type_from_later_ones(tmp_path):
    # The stat file records c as int64, but this file's first values of c are empty and its
    # later ones are not integers: read as text, as without a stat file, not refused.
    train, data = tmp_path / "a.csv", tmp_path / "e.csv"
    stats, out = tmp_path / "a.json", tmp_path / "e.parquet"
    train.write_text("x,c\n1,5\n2,6\n3,7\n")
    data.write_text("x,c\n" + "".join(f"{i},\n" for i in range(200_000)) + "7,1.5\n8,x\n")
    ok("fit", train, "--columns", "x", "-o", stats)
    ok("transform", data, "-s", stats, "-o", out)
    assert pq.read_table(out).column("c").to_pylist()[-3:] == [None, "1.5", "x"]


@pytest.mark.parametrize("writer", ["pandas", "R"])
def test_a_first_column_without_a_name_is_a_row_index_not_a_feature(tmp_path, writer):
    frame = pd.DataFrame({"a": [1.0, 4.0, 7.0, 2.0], "b": [3.0, 5.0, 9.0, 1.0]})
    path, stats = tmp_path / "x.csv", tmp_path / "s.json"
    if writer == "pandas":
        frame.to_csv(path)  # ",a,b" and 0, 1, 2...
    else:  # write.csv: '"","a","b"' and the row names quoted
        rows = "".join(f'"r{i}",{a},{b}\n' for i, (a, b) in enumerate(frame.to_numpy()))
        path.write_text(f'"","a","b"\n{rows}')
    summary = normkit_summary("fit", path, "-o", stats)
    assert 'passed through: "" (row index)' in summary
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["a", "b"]
    np.testing.assert_array_equal(
        [c["mean"] for c in doc["columns"]], StandardScaler().fit(frame).mean_
    )
    # A header that names no column (",,"): the first column is no index, as the others.
    (tmp_path / "none.csv").write_text(",,\n123,a,b\n345,c,d\n")
    ok("fit", tmp_path / "none.csv", "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == [""]
    # In a Parquet file, a column of numbers without a name is a feature: typed inputs say
    # which columns are an index (pandas' metadata).
    pq.write_table(pa.table({"": [0.0, 1.0, 2.0], "a": [1.0, 5.0, 2.0]}), tmp_path / "e.parquet")
    ok("fit", tmp_path / "e.parquet", "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["", "a"]
    if writer == "pandas":  # chosen by name, it is fitted
        ok("fit", path, "--columns", '"",a', "-o", stats)
        assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["", "a"]


def test_a_data_set_of_csv_and_parquet_files_is_written_to_one_csv(tmp_path):
    # Passed through as text from the CSV and as integers from the Parquet file: a CSV output
    # holds their text (it was refused: "one output cannot hold both").
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_text("id,x\n1,1.5\n2,2.5\n3,3.5\n")
    pq.write_table(pa.table({"id": [4, 5, 6], "x": [4.5, 5.5, 6.5]}), tmp_path / "d" / "b.parquet")
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "back.csv"
    ok("fit", tmp_path / "d", "--exclude", "id", "-o", stats)
    ok("transform", tmp_path / "d", "-s", stats, "-o", z)
    x = np.arange(1.5, 7.0)
    frame = pd.read_csv(z)
    assert frame["id"].tolist() == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(frame["x"], StandardScaler().fit_transform(x[:, None])[:, 0])
    # Floats beside text (refused: "has type double, but string"): the CSV's text as written,
    # the Parquet file's floats as a CSV output writes them (the shortest round-trip text,
    # 1e-7, not Arrow's 1e-07), whichever file comes first; a column of no value (empty in the
    # CSV, null floats in the Parquet file) as missing.
    (tmp_path / "d" / "a.csv").write_text("id,e,x\nq,,1.5\n1.50,,2.5\n")
    floats = {
        "id": [0.25, 1e-7, None],
        "e": pa.array([None] * 3, pa.float64()),
        "x": [4.5, 5.5, 6.5],
    }
    pq.write_table(pa.table(floats), tmp_path / "d" / "b.parquet")
    ok("fit", tmp_path / "d", "--exclude", "id,e", "-o", tmp_path / "f.json")
    for order in ((), ("b.parquet", "a.csv")):
        inputs = [tmp_path / "d" / n for n in order] or [tmp_path / "d"]
        out = tmp_path / "f.csv"
        ok("transform", *inputs, "-s", tmp_path / "f.json", "-o", out)
        rows = [line.split(",")[:2] for line in out.read_text().splitlines()[1:]]
        csv_rows, parquet_rows = [["q", ""], ["1.50", ""]], [["0.25", ""], ["1e-7", ""], ["", ""]]
        assert rows == (csv_rows + parquet_rows if not order else parquet_rows + csv_rows)
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "id,x\n" + "".join(
        f"{i},{v}\n" for i, v in zip(range(1, 7), x, strict=True)
    )


def test_pandas_reads_the_columns_passed_through_and_the_index_as_they_were(tmp_path):
    # The transform dropped the input's schema metadata: pandas read a nullable Int64 column
    # as float64, a categorical as text, and lost the index.
    frame = pd.DataFrame(
        {
            "x": np.random.default_rng(2).normal(5, 2, 100),
            "n": pd.array([1, None] * 50, dtype="Int64"),
            "c": pd.Categorical(["a", "b"] * 50),
        },
        index=pd.RangeIndex(100, 200, name="row"),
    )
    path, stats, out = tmp_path / "in.parquet", tmp_path / "s.json", tmp_path / "z.parquet"
    frame.to_parquet(path)
    ok("fit", path, "--exclude", "n", "-o", stats)
    ok("transform", path, "-s", stats, "-o", out)
    back = pd.read_parquet(out)
    assert back.dtypes.to_dict() == {"x": np.float64, "n": pd.Int64Dtype(), "c": frame.c.dtype}
    assert back.index.equals(frame.index)
    pd.testing.assert_series_equal(back.n, frame.n)
    assert set(pq.read_schema(out).metadata) == {b"pandas", b"normkit.transform", b"PANDAS_ATTRS"}


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_an_inverse_gives_pandas_its_types_back(tmp_path, fmt):
    # The output's pandas record says float64 for the normalized columns (true of them); the
    # inverse restored int64 in Arrow but kept that record: pandas read a nullable Int64 column
    # back as float64, and a categorical of numbers as floats.
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {
            "x": rng.normal(5, 2, 80),
            "n": pd.array([3, None, 7, 12] * 20, dtype="Int64"),
            "k": rng.integers(-50, 50, 80).astype(np.int32),
            "label": ["a", "b"] * 40,
        },
        index=pd.RangeIndex(10, 90, name="row"),
    )
    path, stats = tmp_path / f"in.{fmt}", tmp_path / "s.json"
    z, back = tmp_path / f"z.{fmt}", tmp_path / f"back.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_feather(path, compression="uncompressed")
    ok("fit", path, "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["x", "n", "k"]
    ok("transform", path, "-s", stats, "-o", z)

    def read(p):  # normkit writes the Arrow IPC stream format
        if fmt == "parquet":
            return pd.read_parquet(p)
        return read_arrow(p).to_pandas()

    assert read(z).dtypes.to_dict() == {
        "x": np.float64,
        "n": np.float64,
        "k": np.float64,
        "label": frame.label.dtype,
    }
    ok("inverse", z, "-s", stats, "-o", back)
    pd.testing.assert_frame_equal(read(back), frame, check_exact=False, rtol=1e-15)
    # Normalized twice and undone twice: floats after the first inverse, the types after the
    # second.
    twice, once = tmp_path / f"twice.{fmt}", tmp_path / f"once.{fmt}"
    ok("transform", z, "-s", stats, "-o", twice, "--renormalize")
    ok("inverse", twice, "-s", stats, "-o", once)
    assert read(once).n.dtype == np.float64
    ok("inverse", once, "-s", stats, "-o", back)
    pd.testing.assert_frame_equal(read(back), frame, check_exact=False, rtol=1e-12)


def test_a_pandas_index_stored_as_a_column_is_passed_through(tmp_path):
    # A named index written by to_parquet is a column of integers: chosen by its type, it was
    # normalized, and pandas read the output's index as floats (exit 0).
    frame = pd.DataFrame(
        {"x": np.random.default_rng(8).normal(5, 2, 60)},
        index=pd.Index(np.arange(60) * 3, name="k"),
    )
    path, stats = tmp_path / "in.parquet", tmp_path / "s.json"
    frame.to_parquet(path)
    ok("fit", path, "-o", stats)
    fitted = json.loads(stats.read_text())
    assert [c["name"] for c in fitted["columns"]] == ["x"]
    assert fitted["passthrough"] == [{"name": "k", "dtype": "int64", "why": "pandas index"}]
    ok("transform", path, "-s", stats, "-o", tmp_path / "z.parquet")
    ok("inverse", tmp_path / "z.parquet", "-s", stats, "-o", tmp_path / "back.parquet")
    assert pd.read_parquet(tmp_path / "z.parquet").index.equals(frame.index)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "back.parquet"), frame, rtol=1e-12)
    # Chosen by name, it is normalized as asked.
    ok("fit", path, "--columns", "k,x", "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["x", "k"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".arrow"])
def test_text_of_either_offset_width_is_one_type_in_one_output(tmp_path, suffix):
    # pandas writes large_string, other writers string: fitted together, the two files were
    # refused by transform, even to CSV ("one output cannot hold both").
    rng = np.random.default_rng(6)
    table = pa.table({"name": ["a", "b"] * 50, "x": rng.normal(5, 2, 100)})
    paths = [tmp_path / "large.parquet", tmp_path / "small.parquet"]
    for path, text in zip(paths, (pa.large_string(), pa.string()), strict=True):
        pq.write_table(table.cast(pa.schema([("name", text), ("x", pa.float64())])), path)
    stats, out = tmp_path / "s.json", tmp_path / f"z{suffix}"
    ok("fit", *paths, "-o", stats)
    ok("transform", *paths, "-s", stats, "-o", out)
    if suffix == ".csv":
        back = pd.read_csv(out)
    elif suffix == ".parquet":
        back = pq.read_table(out).to_pandas()
    else:
        back = read_arrow(out).to_pandas()
    assert back["name"].tolist() == ["a", "b"] * 100
    x = np.concatenate([table["x"].to_numpy()] * 2)
    np.testing.assert_allclose(back["x"], (x - x.mean()) / x.std(), rtol=1e-12)


def test_a_later_value_of_another_type_is_refused_with_its_row(tmp_path):
    path = tmp_path / "d.csv"
    # Past the first block (1 MiB), which types id as int64.
    rows = [f"{i},{i * 0.5}\n" for i in range(300_000)] + ["x12,3.0\n"]
    path.write_text("id,v\n" + "".join(rows))
    stats = tmp_path / "s.json"
    ok("fit", path, "--exclude", "id", "-o", stats)
    line = refused(1, "transform", path, "-s", stats, "-o", tmp_path / "z.parquet")
    assert line == (
        f"{ERROR}{path}: column 'id' at data row 300,001: 'x12' is not int64, as the values "
        "before it are; keep the columns passed through as text (--keep-text)"
    )
    ok("transform", path, "-s", stats, "-o", tmp_path / "z.parquet", "--keep-text")


def test_a_time_column_passes_through_every_block(tmp_path):
    # pyarrow cannot cast text to time32, so every block but the first was refused, naming
    # the first value of the second: "'00:00:05' is not time32[s]".
    path = tmp_path / "t.csv"
    rows = [f"{i * 0.5},{i % 24:02d}:{i % 60:02d}:05\n" for i in range(50_000)]
    path.write_text("x,t\n" + "".join(rows))
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    out = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", out)
    got = pq.read_table(out).column("t").to_pylist()
    assert got == [time(i % 24, i % 60, 5) for i in range(50_000)]


def test_a_late_value_of_another_type_names_its_line(tmp_path):
    # Lines and rows part after a quoted line break: the message names both.
    path = tmp_path / "q.csv"
    rows = [f"{i * 0.5},{i},t\n" for i in range(100_000)]
    path.write_text('x,n,s\n0,1,"a\nb"\n' + "".join(rows) + "7,7.5,t\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--exclude", "n", "-o", stats)
    line = refused(1, "transform", path, "-s", stats, "-o", tmp_path / "z.parquet")
    assert line == (
        f"{ERROR}{path}: column 'n' at data row 100,002 (line 100,004): '7.5' is not int64, "
        "as the values before it are; keep the columns passed through as text (--keep-text)"
    )
    assert not (tmp_path / "z.parquet").exists()


def test_late_text_that_is_not_utf8_names_its_row_and_line(tmp_path):
    # As a value that is no number: the data row, and the line where they part.
    path = tmp_path / "u.csv"
    rows = "".join(f"{i},t{i}\n" for i in range(100_000))
    path.write_bytes(('x,s\n0,"a\nb"\n' + rows).encode() + b"5,caf\xe9\n")
    line = refused(1, "fit", path, "-o", tmp_path / "s.json")
    assert line == (
        f"{ERROR}{path}: column 's' at data row 100,002 (line 100,004): invalid UTF-8 text; "
        "name its encoding (--encoding latin-1 or another)"
    )
    # In a column of numbers, no number: the encoding is one way out.
    path.write_bytes(('x,s\n0,"a\nb"\n' + rows).encode() + b"-0\xff5,t\n")
    line = refused(1, "fit", path, "-o", tmp_path / "s.json")
    assert line.startswith(f"{ERROR}{path}: column 'x' at data row 100,002 (line 100,004): ")
    assert "if the file is not UTF-8, name its encoding (--encoding latin-1)" in line
    # Past the head, in the first block: the fit passed the column through as bytes (exit 0),
    # and the transform refused the file.
    names = [f"n{i},{i}\n".encode() for i in range(12_000)]
    names[11_000] = b"M\xfcller,1\n"
    path.write_bytes(b"name,v\n" + b"".join(names))
    line = refused(1, "fit", path, "-o", tmp_path / "s.json")
    assert line == (
        f"{ERROR}{path}: column 'name' at data row 11,001: invalid UTF-8 text; "
        "name its encoding (--encoding latin-1 or another)"
    )
    assert not (tmp_path / "s.json").exists()
    ok("fit", path, "--encoding", "latin-1", "-o", tmp_path / "s.json")


def test_one_column_of_decimal_commas_is_read_with_decimal_comma_given(tmp_path):
    # It was refused ("the first line does not split as the rest"): the comma was taken for
    # the separator though --decimal named it the decimal separator.
    path = tmp_path / "d.csv"
    path.write_text("x\n1,5\n2,5\n3\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--decimal", ",", "-o", stats)
    assert json.loads(stats.read_text())["columns"][0]["mean"] == pytest.approx(7 / 3, rel=1e-15)
    out = tmp_path / "z.csv"
    ok("transform", path, "-s", stats, "-o", out)
    assert len(out.read_text().splitlines()) == 4


def test_inverse_restores_integers_and_refuses_values_that_are_not(tmp_path):
    path = tmp_path / "i.csv"
    path.write_text("n\n5\n7\n12\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    z = tmp_path / "z.csv"
    ok("transform", path, "-s", stats, "-o", z)
    assert ok("inverse", z, "-s", stats).splitlines() == ["n", "5", "7", "12"]
    edited = tmp_path / "e.csv"
    edited.write_text("n\n0.25\n")
    exact = ("--use", "exact")
    line = refused(1, "inverse", edited, "-s", stats, *exact, "-o", tmp_path / "b.csv")
    assert "column 'n' at data row 1: the restored value" in line
    # A CSV without a record: the first way out is the options it was normalized with.
    assert line.endswith(
        "is not an integer, but the stat file records the column as int64; give the statistics "
        "(--use), --gamma and --beta the data was normalized with (this input does not record "
        "them) or keep float64 (--keep-float)"
    )
    assert ok("inverse", edited, "-s", stats, *exact, "--keep-float").splitlines()[1] != ""


def test_inverse_restores_narrow_floats_and_decimals_and_refuses_inexact_integers(tmp_path):
    import decimal

    path = tmp_path / "t.parquet"
    table = pa.table(
        {
            "i": pa.array([1, 2, None, 40], pa.int16()),
            "f": pa.array([1.5, 2.25, 3.1, -4.7], pa.float32()),
            "d": pa.array(
                [decimal.Decimal(v) for v in ("1.23", "4.56", "-7.89", "0.01")],
                pa.decimal128(10, 2),
            ),
            "big": pa.array([2**60, 2**60 + 1, 3, 5], pa.int64()),
        }
    )
    pq.write_table(table, path)
    stats, z, back = tmp_path / "s.json", tmp_path / "z.parquet", tmp_path / "b.parquet"
    ok("fit", path, "--exclude", "big", "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    ok("inverse", z, "-s", stats, "-o", back)
    restored = pq.read_table(back)
    for name in ("i", "f", "d", "big"):
        assert restored.schema.field(name).type == table.schema.field(name).type
        assert restored.column(name).equals(table.column(name)), name
    # Beyond 2**53 float64 does not hold every integer: refused, not written off by some.
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    line = refused(1, "inverse", z, "-s", stats, "-o", back)
    assert "column 'big' at data row 1: the restored value 1.152921504606847e+18 may be " in line
    assert line.endswith(
        "the column was int64 in the data normalized (its metadata says so); keep float64 "
        "(--keep-float)"
    )
    ok("inverse", z, "-s", stats, "-o", back, "--keep-float")
    assert pq.read_schema(back).field("big").type == pa.float64()


def test_inverse_refuses_narrow_floats_it_cannot_give_back_exactly(tmp_path):
    # Balances of 5e7 beside 4.7e-4 in float32: the mean's rounding there and back moved the
    # small ones to another float32 (0.0004736862 came back 0.0004736856), exit 0.
    path, stats = tmp_path / "t.parquet", tmp_path / "s.json"
    z, back = tmp_path / "z.parquet", tmp_path / "b.parquet"
    balance = np.array([0.00047368626, 5e7, 0.25, 12.5, 4e7, 0.001], np.float32)
    rng = np.random.default_rng(0)
    table = pa.table(
        {
            "balance": balance,
            "amount": rng.lognormal(3, 1, 6).astype(np.float32),
            "h": rng.normal(0, 1, 6).astype(np.float16),
        }
    )
    pq.write_table(table, path)
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    line = refused(1, "inverse", z, "-s", stats, "-o", back)
    assert "column 'balance' at data row 1: the restored value " in line, line
    assert "may be another float32 than the one transformed" in line, line
    assert line.endswith(
        "the column was float in the data normalized (its metadata says so); keep float64 "
        "(--keep-float)"
    ), line
    assert not back.exists()
    # Every value whose way back is certain (the usual case) comes back exactly.
    pq.write_table(table.drop_columns(["balance"]), path)
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    ok("inverse", z, "-s", stats, "-o", back)
    assert pq.read_table(back).equals(table.drop_columns(["balance"]))


@pytest.mark.parametrize("to", ["parquet", "csv"])
def test_inverse_gives_zeros_of_narrow_floats_back(tmp_path, to):
    # Every float32 within about 3.5e-15 of 0 beside a mean of 50 gives the z of 0: a column of
    # counts or concavities holding zeros was refused at its first 0.
    path, stats = tmp_path / "t.parquet", tmp_path / "s.json"
    z, back = tmp_path / f"z.{to}", tmp_path / "b.parquet"
    rng = np.random.default_rng(3)
    table = pa.table(
        {
            "x": np.r_[0, rng.lognormal(3, 1, 50), 0, -0.0].astype(np.float32),
            "h": np.r_[0, rng.normal(20, 5, 50), 0, 0].astype(np.float16),
            "small": np.r_[0, rng.normal(0, 1e-3, 50), 0, 0].astype(np.float32),
        }
    )
    pq.write_table(table, path)
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    ok("inverse", z, "-s", stats, "-o", back)
    restored = pq.read_table(back)
    assert restored.schema == table.schema
    for name in table.column_names:
        assert restored[name].to_numpy().tolist() == table[name].to_numpy().tolist(), name


@pytest.mark.parametrize(
    ("values", "kind", "row"),
    [
        # 2**53 + 1 reads as 2**53: restored, it would be another integer.
        ([2**53 + 1, 2, 3], "int64", 1),
        # Ids below 2**53: the mean's rounding there and back moves some to a neighbour, which
        # the transform makes the same value of.
        (
            [
                *(8487504950151309, 4601947975329254, 8786193351369338, 727524215060420),
                *(5466202487955267, 3388379259395453, 7217110862872265, 1570750345296256),
            ],
            "int64",
            1,
        ),
        # 2**53 - 1 comes back, but 2**53 would have come to the same.
        ([-(2**53) + 1, 2**53 - 1, 7], "int64", 2),
        # Cents near 9e15.
        (["90071992547409.91", "-61872938906344.41", "1.00"], "decimal128(18, 2)", 1),
    ],
)
def test_inverse_refuses_integers_and_decimals_it_cannot_give_back_exactly(
    tmp_path, values, kind, row
):
    import decimal

    if kind == "int64":
        column = pa.array(values, pa.int64())
    else:
        column = pa.array([decimal.Decimal(v) for v in values], pa.decimal128(18, 2))
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"v": column}), path)
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "b.parquet"
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    line = refused(1, "inverse", z, "-s", stats, "-o", back)
    assert f"{z}: column 'v' at data row {row}: the restored value " in line
    assert " than the one transformed (float64 does not tell them apart there and back)" in line
    assert line.endswith(
        f"the column was {kind} in the data normalized ({z.parent / ('.' + z.name)}.normkit.json "
        "says so); keep float64 (--keep-float)"
    )
    assert not back.exists()


@pytest.mark.parametrize("high", [10**6, 10**13, 3 * 10**14, 1_700_000_000_000_000])
def test_inverse_gives_back_every_integer_it_can(tmp_path, high):
    # 20,000 random ids up to 3e14 (a mean near 1.5e14), or times in microseconds near 1.7e15
    # (all but their last digits shared): every one comes back exactly.
    low = -high if high < 10**15 else high - 10**9
    ids = np.random.default_rng(high).integers(low, high, 20_000)
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ids, "x": np.arange(20_000) * 0.5}), path)
    stats, z, back = tmp_path / "s.json", tmp_path / "z.parquet", tmp_path / "b.parquet"
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z, "--gamma", "2", "--beta", "0.5")
    ok("inverse", z, "-s", stats, "-o", back)
    restored = pq.read_table(back).column("id")
    assert restored.type == pa.int64()
    assert np.array_equal(restored.to_numpy(), ids)


def test_a_csv_output_reads_back_with_the_settings_recorded_for_its_input(tmp_path):
    # latin-1 text and decimal commas: the output is written the same way, so inverse (which
    # reads as the fit read) gives back the file byte for byte.
    path = tmp_path / "eu.csv"
    path.write_bytes("name;x;y\ncaf\xe9;1,5;2\nna\xefve;2,25;3\nb;-0,5;4\n".encode("latin-1"))
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "b.csv"
    line = refused(1, "fit", path, "--delimiter", ";", "--encoding", "latin-1")
    assert line == (
        f"{ERROR}{path}: column 'x' at data row 1: '1,5' is not a number; read ',' as the "
        "decimal separator (--decimal ,) or exclude the column (--exclude x) or add the "
        "string to --null-values"
    )
    ok("fit", path, "--delimiter", ";", "--encoding", "latin-1", "--decimal", ",", "-o", stats)
    assert json.loads(stats.read_text())["read"]["decimal"] == ","
    ok("transform", path, "-s", stats, "-o", z)
    text = z.read_bytes().decode("latin-1")
    assert text.splitlines()[1].startswith("caf\xe9;")
    x = [float(v.split(";")[1].replace(",", ".")) for v in text.splitlines()[1:]]
    expected = StandardScaler().fit_transform(np.array([[1.5], [2.25], [-0.5]]))[:, 0]
    np.testing.assert_array_equal(x, expected)
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_bytes() == path.read_bytes()
    # A comma cannot separate both.
    line = refused(2, "fit", path, "--delimiter", ",", "--decimal", ",")
    assert line == (
        f"{ERROR}{path}: ',' cannot separate both fields and decimals (--decimal is ','); give "
        "the field separator (--delimiter ';') or, if ',' separates the fields, read '.' as the "
        "decimal separator (--decimal .)"
    )


def test_decimal_commas_quoted_in_a_comma_separated_file(tmp_path):
    # Comma-separated with quoted decimal commas ("1,5"), as some open-data exports write: they
    # were refused ("',' cannot separate both"), with no option that read them.
    path = tmp_path / "it.csv"
    path.write_text('id,x,y\na,"1,5",2\nb,"2,25",3\nc,"-0,5",4\n')
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: column 'x' at data row 1: '1,5' is not a number; read ',' as the "
        "decimal separator (--decimal , --delimiter ,) or exclude the column (--exclude x) or "
        "add the string to --null-values"
    )
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "b.csv"
    ok("fit", path, "--decimal", ",", "-o", stats)
    read = json.loads(stats.read_text())["read"]
    assert (read["delimiter"], read["decimal"]) == (",", ",")
    expected = StandardScaler().fit_transform(np.array([[1.5, 2], [2.25, 3], [-0.5, 4]]))
    ok("transform", path, "-s", stats, "-o", z)
    rows = list(csv.reader(z.read_text().splitlines()))
    assert rows[0] == ["id", "x", "y"]
    assert [r[0] for r in rows[1:]] == ["a", "b", "c"]
    got = [[float(v.replace(",", ".")) for v in r[1:]] for r in rows[1:]]
    np.testing.assert_array_equal(got, expected)
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_bytes() == path.read_bytes()
    parquet = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", parquet)
    table = pq.read_table(parquet)
    np.testing.assert_array_equal(np.column_stack([table["x"], table["y"]]), expected)
    # A title above the table, which no comma splits: the quoted decimal commas tell the commas
    # outside them to separate (it was read as one column named after the title).
    titled = tmp_path / "titled.csv"
    titled.write_text("Sensor export Berlin\n" + path.read_text())
    doc = json.loads(ok("fit", titled, "--decimal", ",", "-o", "-"))
    assert [c["name"] for c in doc["columns"]] == ["x", "y"]
    assert doc["columns"][0]["mean"] == pytest.approx(np.mean([1.5, 2.25, -0.5]), rel=1e-15)
    # Unquoted, the comma separates: '1,5' is two fields, never 1.5.
    split = tmp_path / "split.csv"
    split.write_text('x,y\n"0,5",1\n1,5\n')
    doc = json.loads(ok("fit", split, "--decimal", ",", "-o", "-"))
    assert [(c["name"], c["mean"]) for c in doc["columns"]] == [("x", 0.75), ("y", 3.0)]
    # Without a quoted decimal comma nor the separator given, which the comma is stays
    # unknown; quoting turned off leaves no field a decimal comma could be read in.
    plain = tmp_path / "plain.csv"
    plain.write_text("x,y\n1,5\n2,5\n")
    conflict = (
        "',' cannot separate both fields and decimals (--decimal is ','); give the field "
        "separator (--delimiter ';') or, if ',' separates the fields, read '.' as the decimal "
        "separator (--decimal .)"
    )
    # No quote in it: the comma given as the separator too is no way out (it reads x,y as
    # two columns of integers), so none is named.
    assert refused(2, "fit", plain, "--decimal", ",") == f"{ERROR}{plain}: {conflict}"
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('name,x\n"Oslo, NO",1\n')
    assert refused(2, "fit", quoted, "--decimal", ",") == (
        f"{ERROR}{quoted}: {conflict} or name the comma as the field separator too if quoted "
        'fields hold the decimal commas, "1,5" (--delimiter ,)'
    )
    # Quoted thousands, as files with decimal points quote theirs: no hint to read them as
    # decimals, and no sign of decimal commas (1,250 would have been read as 1.25).
    us = tmp_path / "us.csv"
    us.write_text('id,amount\na,"1,250"\nb,"2,500"\nc,"1,000"\n')
    assert refused(1, "fit", us) == (
        f"{ERROR}{us}: column 'amount' at data row 1: '1,250' is not a number; write the "
        "numbers without thousands separators (none are read) or exclude the column "
        "(--exclude amount) or add the string to --null-values"
    )
    assert refused(2, "fit", us, "--decimal", ",").startswith(f"{ERROR}{us}: {conflict}")
    doc = json.loads(ok("fit", plain, "--decimal", ",", "--delimiter", ",", "-o", "-"))
    assert [c["mean"] for c in doc["columns"]] == [1.5, 5.0]
    line = refused(2, "fit", path, "--decimal", ",", "--delimiter", ",", "--quote", "")
    assert line == (
        f'{ERROR}{path}: {conflict} or read the quotes around decimal commas ("1,5") as '
        "quotes (--quote '\"')"
    )


def test_a_nan_restored_to_an_integer_column_is_missing(tmp_path):
    path = tmp_path / "i.csv"
    path.write_text("k,x\n" + "".join(f"{i % 7},{i * 0.5}\n" for i in range(100)))
    stats, z, back = tmp_path / "s.json", tmp_path / "z.parquet", tmp_path / "b.parquet"
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    table = pq.read_table(z)
    k = table.column("k").to_numpy().copy()
    k[3] = np.nan  # NaN, not null: what pandas and Polars write for a missing float
    pq.write_table(
        table.set_column(0, "k", pa.array(k)).replace_schema_metadata(table.schema.metadata), z
    )
    ok("inverse", z, "-s", stats, "-o", back)
    restored = pq.read_table(back).column("k")
    assert restored.type == pa.int64()
    assert restored.to_pylist()[:5] == [0, 1, 2, None, 4]


def test_a_scale_of_zero_is_refused_rather_than_written_as_nan(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("a,b\n" + "".join(f"5,{i}\n" for i in range(600)))
    stats = tmp_path / "s.json"
    ok("fit", path, "--ema-eps", "0", "--ema-init", "first", "-o", stats)
    out = tmp_path / "o.csv"
    # The way out names the eps BatchNorm adds (--ema-eps), not the exact statistics' --eps.
    ema_eps = (
        "fit the statistics with an eps of the running statistics above 0 (normkit fit "
        "--ema-eps, not --eps; Standardizer(ema_eps=...) in Python)"
    )
    assert refused(1, "transform", path, "-s", stats, "--use", "ema", "-o", out) == (
        f"{ERROR}{stats}: column 'a': its running variance is 0 and the eps of the running "
        f"statistics is 0, so values would be divided by 0; {ema_eps} or use the exact "
        "statistics (--use exact)"
    )
    for mode, why in (
        ("batch", "its batch has no spread"),
        ("adaptive", "the running variance is 0"),
    ):
        assert refused(1, "transform", path, "-s", stats, "--mode", mode, "-o", out) == (
            f"{ERROR}{path}: column 'a' at data row 1: {why} and the eps of the running "
            f"statistics is 0, so the value would be divided by 0 (BatchNorm writes NaN); {ema_eps}"
        )
        with pytest.raises(normkit.DataError, match=re.escape(ema_eps)):
            list(normkit.load(stats).transform_stream([pd.read_csv(path)], mode))
    assert not out.exists()
    ok("transform", path, "-s", stats, "-o", out)  # the exact scale of a constant column is 1


def test_a_dictionary_column_is_restored_as_a_dictionary(tmp_path):
    values = np.random.default_rng(1).integers(0, 9, 300).astype("int32")
    table = pa.table({"k": pa.array(values).dictionary_encode()})
    path, stats = tmp_path / "d.arrow", tmp_path / "s.json"
    with ipc.new_stream(path, table.schema) as writer:
        writer.write_table(table)
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", tmp_path / "z.parquet")
    ok("inverse", tmp_path / "z.parquet", "-s", stats, "-o", tmp_path / "b.arrow")
    back = read_arrow(tmp_path / "b.arrow")
    assert back.schema.field("k").type == table.schema.field("k").type
    assert back.column("k").to_pylist() == values.tolist()


def test_files_of_different_integer_widths_are_fitted_with_a_type_that_holds_both(tmp_path):
    (tmp_path / "d").mkdir()
    pq.write_table(pa.table({"x": pa.array([1, 2, 3], pa.uint8())}), tmp_path / "d" / "p1.parquet")
    pq.write_table(
        pa.table({"x": pa.array([-5, 300, 7], pa.int16())}), tmp_path / "d" / "p2.parquet"
    )
    doc = json.loads(ok("fit", tmp_path / "d", "-o", "-"))
    assert doc["columns"][0]["dtype"] == "int16"


# -- 6. an edited stat file ----------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 6000.0])
def test_a_stat_file_whose_scale_disagrees_with_its_variance_is_refused(tmp_path, scale):
    stats = tmp_path / "s.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "-o", stats)
    doc = json.loads(stats.read_text())
    income = next(c for c in doc["columns"] if c["name"] == "income")
    income["scale"] = scale
    stats.write_text(json.dumps(doc))
    line = refused(1, "transform", SAMPLE_CSV, "-s", stats, "-o", tmp_path / "z.csv")
    assert line.startswith(f"{ERROR}{stats}: inconsistent stat file: column 'income': scale ")
    assert "is not sqrt(var)" in line


# -- 7. dictionary-encoded numbers ---------------------------------------------------------------


def test_a_dictionary_encoded_numeric_column_is_numeric_in_arrow_as_in_parquet(tmp_path):
    table = pa.table({"x": pa.array([1.5, 2.5, None, 1.5, 7.0]).dictionary_encode()})
    arrow, parquet = tmp_path / "d.arrow", tmp_path / "d.parquet"
    with pa.OSFile(str(arrow), "wb") as sink, ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    pq.write_table(table, parquet)
    fitted = [json.loads(ok("fit", path, "-o", "-")) for path in (arrow, parquet)]
    assert [[c["name"] for c in doc["columns"]] for doc in fitted] == [["x"], ["x"]]
    assert fitted[0]["columns"][0]["mean"] == fitted[1]["columns"][0]["mean"] == 3.125


# -- 8. option values at their limits ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--csv-block-size", "3G"],
        ["--batch-size", "10" * 12],
        ["--chunk-rows", "9" * 30],
        ["--gamma", "1e-320"],  # subnormal: dividing by it overflows, and it has lost digits
    ],
)
def test_option_values_out_of_range_are_usage_errors(args):
    line = refused(2, "fit", SAMPLE_CSV, *args)
    assert line.startswith(f"{ERROR}{args[0]} must be "), line
    assert line.endswith(f", not '{args[1]}'"), line


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_batch_mode_refuses_a_last_batch_of_one_row_as_batchnorm_does(tmp_path, suffix):
    # Its own statistics would make it 0 (torch raises "Expected more than 1 value per channel
    # when training"); nothing is written, and the ways out work.
    path = tmp_path / "five.csv"
    path.write_text("x\n1\n2\n3\n4\n5\n")
    stats = tmp_path / "five.json"
    ok("fit", path, "--batch-size", "2", "-o", stats)
    out = tmp_path / f"out{suffix}"
    assert refused(1, "transform", path, "-s", stats, "--mode", "batch", "-o", out) == (
        f"{ERROR}{path}: column 'x' at data row 5: the last batch holds this row alone "
        "(batches of 2 rows); normalized by its own statistics it would be 0 in every column, "
        "and BatchNorm refuses a batch of one row in training; choose a batch size that leaves "
        "more than one row in the last batch (--batch-size) or normalize with the running "
        "statistics (--mode adaptive)"
    )
    assert not out.exists()
    ok("transform", path, "-s", stats, "--mode", "batch", "--batch-size", "5", "-o", out)
    ok("transform", path, "-s", stats, "--mode", "adaptive", "-o", out)


@pytest.mark.parametrize("where", ["full batch", "last batch"])
def test_batch_mode_refuses_a_value_alone_in_its_batch(tmp_path, where):
    # The others of its batch missing, its batch's own statistics made it beta (0) whatever it
    # was, exit 0; BatchNorm in training refuses a channel of one value.
    x = (
        ["1", "", "", "", "3", "4", "5", "6"]
        if where == "full batch"
        else ["1", "2", "3", "4", "", "", "7"]
    )
    y = [str(i * 1.5) for i in range(len(x))]
    path = tmp_path / "lone.csv"
    path.write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in zip(x, y, strict=True)))
    stats = tmp_path / "lone.json"
    ok("fit", path, "--batch-size", "4", "-o", stats)
    out = tmp_path / "out.csv"
    row, others = (1, 3) if where == "full batch" else (7, 2)
    assert refused(1, "transform", path, "-s", stats, "--mode", "batch", "-o", out) == (
        f"{ERROR}{path}: column 'x' at data row {row}: the only value of the column in its batch "
        f"(the other {others} rows are missing); normalized by its batch's own statistics it "
        "would be beta whatever its value, and BatchNorm refuses a channel of one value in "
        "training; choose a larger batch size (--batch-size) or normalize with the running "
        "statistics (--mode adaptive)"
    )
    assert not out.exists()
    ok("transform", path, "-s", stats, "--mode", "batch", "--batch-size", "8", "-o", out)
    z = pd.read_csv(out)["x"]
    values = pd.to_numeric(pd.Series(x), errors="coerce")
    expected = (values - values.mean()) / np.sqrt(values.var(ddof=0) + 1e-5)
    np.testing.assert_allclose(z, expected, rtol=1e-12)


# -- 9. hints, names, exit codes, extensions -----------------------------------------------------


def test_hints_name_only_options_the_command_has(tmp_path, sample_stats):
    path = tmp_path / "d.csv"
    path.write_text(SAMPLE_CSV.read_text().replace("\n2,Lisbon,69,", "\n2,Lisbon,abc,", 1))
    line = refused(1, "transform", path, "-s", sample_stats, "-o", tmp_path / "z.csv")
    assert "--exclude" not in line
    assert line.endswith("'abc' is not a number; add the string to --null-values")


def test_all_columns_without_values_are_reported_at_once(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,c\n1,,\n2,,\n3,,\n")
    assert refused(1, "fit", path, "--columns", "a,b,c") == (
        f"{ERROR}{path}: columns 'b', 'c' have no values (all their rows are missing); "
        "leave them out of the columns chosen (--columns)"
    )


def test_columns_with_commas_or_spaces_can_be_chosen(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('"a,b"," b ",c\n1,2,3\n4,6,9\n')
    doc = json.loads(ok("fit", path, "--columns", '"a,b"," b "', "-o", "-"))
    assert [c["name"] for c in doc["columns"]] == ["a,b", " b "]
    doc = json.loads(ok("fit", path, "--exclude", '" b "', "-o", "-"))
    assert [c["name"] for c in doc["columns"]] == ["a,b", "c"]


def test_merging_keeps_what_the_shards_share_and_refuses_what_they_count_differently(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    a.write_text("x\n0\n2\n-999\n10\n")
    b.write_text("x\n1.5\n2.5\n7.25\n0.5\n")
    c.write_text("x\n1\n-999\n3\n")
    sa, sb, sc = (tmp_path / f"{n}.json" for n in "abc")
    ok("fit", a, "--null-values", "-999", "-o", sa)
    ok("fit", b, "-o", sb)
    ok("fit", c, "--null-values", "-999", "-o", sc)
    message = refused(1, "merge-stats", sa, sb)
    assert "read with different missing-value strings ('-999' in one and not the other)" in message
    assert message.endswith("fit them again, reading the same strings as missing")
    # The same strings in another order are the same (named, missing in text too, in both).
    named = json.loads(sb.read_text())["read"]["null_values"][1:]
    (tmp_path / "b2.csv").write_text("x\n3.5\n")
    sn, sr = tmp_path / "n.json", tmp_path / "r.json"
    ok("fit", b, "--null-values", ",".join(named), "-o", sn)
    ok(
        "fit",
        tmp_path / "b2.csv",
        "--no-default-null-values",
        "--null-values",
        ",".join(reversed(named)),
        "-o",
        sr,
    )
    ok("merge-stats", sn, sr, "-o", tmp_path / "m.json")
    # Named, the defaults are missing in text too: not as where they are not named.
    message = refused(1, "merge-stats", sb, sr)
    assert "read with different missing-value strings ('NA', 'N/A'," in message
    # The dtype that holds both shards, whichever comes first.
    ok("fit", a, "-o", sa)
    for order in ((sa, sb), (sb, sa)):
        assert json.loads(ok("merge-stats", *order))["columns"][0]["dtype"] == "double"
    ok("fit", a, "--null-values", "-999", "-o", sa)
    merged = json.loads(ok("merge-stats", sa, sc))
    assert merged["read"]["null_values"][-1] == "-999"


def test_merging_a_csv_and_a_parquet_shard_keeps_a_category_column_as_text(tmp_path):
    # pandas writes a category column to Parquet as a dictionary of strings; read from CSV it
    # is a string column. Both are text: passed through and counted in the merge, which drift
    # on the unchanged whole data checks without alarm.
    frame = pd.DataFrame({"city": ["Oslo", "Lima", "Oslo"] * 40, "x": np.arange(120.0)})
    frame[:60].to_csv(tmp_path / "a.csv", index=False)
    frame[60:].astype({"city": "category"}).to_parquet(tmp_path / "b.parquet", index=False)
    for name in ("a.csv", "b.parquet"):
        ok("fit", tmp_path / name, "-o", tmp_path / f"{name}.json")
    merged = tmp_path / "m.json"
    ok("merge-stats", tmp_path / "b.parquet.json", tmp_path / "a.csv.json", "-o", merged)
    doc = json.loads(merged.read_text())
    assert doc["passthrough"] == [{"name": "city", "dtype": "large_string", "why": "text"}]
    assert [c["name"] for c in doc["categories"]] == ["city"]
    frame.to_csv(tmp_path / "whole.csv", index=False)
    proc = run_normkit("drift", tmp_path / "whole.csv", "-s", merged)
    assert proc.returncode == 0, proc.stdout


def _fit_shards(tmp_path, shards: list[str]) -> tuple[list, list[dict]]:
    """Each CSV text of ``shards`` fitted alone (its stat files), and the columns of one fit
    of them all."""
    paths = [tmp_path / f"s{i}.csv" for i in range(len(shards))]
    files = [path.with_suffix(".json") for path in paths]
    for path, text, stats in zip(paths, shards, files, strict=True):
        path.write_text(text)
        ok("fit", path, "-o", stats)
    ok("fit", *paths, "-o", tmp_path / "all.json")
    return files, json.loads((tmp_path / "all.json").read_text())["columns"]


def test_merge_of_a_shard_without_values_in_a_column_equals_the_fit_of_all(tmp_path):
    shards = ["x,y\n1,2\n2,3\n3,5\n", "x,y\n4,\n5,\n6,\n", "x,y\n7,1.5\n8,\n"]
    files, whole = _fit_shards(tmp_path, shards)
    for order in (files, files[::-1]):
        ok("merge-stats", *order, "-o", tmp_path / "merged.json")
        merged = json.loads((tmp_path / "merged.json").read_text())["columns"]
        assert [(c["name"], c["count"], c["missing"]) for c in merged] == [
            (c["name"], c["count"], c["missing"]) for c in whole
        ]
        assert [c["count"] for c in merged] == [8, 4]
        np.testing.assert_allclose([c["mean"] for c in merged], [4.5, 2.875], rtol=1e-15)
        np.testing.assert_allclose(
            [c["var"] for c in merged], [c["var"] for c in whole], rtol=1e-15
        )


def test_shards_each_without_values_in_another_column_merge_in_any_order(tmp_path):
    shards = ["x,y,z\n1,,5\n2,,6\n3,,7\n", "x,y,z\n4,1,\n5,2,\n6,3,\n", "x,y,z\n7,4,8\n8,5,9\n"]
    files, columns = _fit_shards(tmp_path, shards)
    whole = {c["name"]: c for c in columns}
    for order in itertools.permutations(files):
        ok("merge-stats", *order, "-o", tmp_path / "m.json")
        merged = {c["name"]: c for c in json.loads((tmp_path / "m.json").read_text())["columns"]}
        assert merged.keys() == whole.keys()
        for name, c in whole.items():
            assert (merged[name]["count"], merged[name]["missing"]) == (c["count"], c["missing"])
            np.testing.assert_allclose(merged[name]["mean"], c["mean"], rtol=1e-15)
            np.testing.assert_allclose(merged[name]["var"], c["var"], rtol=1e-14)
    ok("merge-stats", files[0], files[1], "-o", tmp_path / "ab.json")  # x, z, then y


def test_merge_refusals_share_one_exit_code(tmp_path):
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "-o", a)
    ok("fit", SAMPLE_CSV, "--exclude", "id", "--ddof", "1", "-o", b)
    ok("fit", SAMPLE_CSV, "--columns", "age", "-o", c)
    assert "different ddof" in refused(1, "merge-stats", a, b)
    assert f"is normalized in {a} but passed through in {c} (not chosen)" in refused(
        1, "merge-stats", a, c
    )
    # A column of text in one shard, numbers in the other: it said the column was not in one.
    (tmp_path / "t.csv").write_text("x,y\n1,a\n2,b\n")
    (tmp_path / "n.csv").write_text("x,y\n3,1.5\n4,2\n")
    ok("fit", tmp_path / "t.csv", "-o", tmp_path / "t.json")
    ok("fit", tmp_path / "n.csv", "-o", tmp_path / "n.json")
    line = refused(1, "merge-stats", tmp_path / "t.json", tmp_path / "n.json")
    assert f"column 'y' is normalized in {tmp_path / 'n.json'} but passed through in " in line
    assert line.endswith("t.json (text)")


def test_merge_stats_refuses_statistics_of_normalized_and_raw_data(tmp_path):
    # fit refuses such a data set; fitted apart and merged, the statistics mixed two scales
    # with exit 0.
    rng = np.random.default_rng(21)
    shards = [
        pd.DataFrame({"x": rng.normal(50, 5, 400), "y": rng.normal(-3, 2, 400)}) for _ in "abc"
    ]
    paths = [tmp_path / f"{n}.parquet" for n in "abc"]
    for frame, path in zip(shards, paths, strict=True):
        frame.to_parquet(path)
    sa, sb, sc, sz = (tmp_path / f"s{n}.json" for n in "abcz")
    ok("fit", paths[0], "-o", sa)
    ok("fit", paths[1], "-o", sb)
    z = tmp_path / "z.parquet"
    ok("transform", paths[2], "-s", sa, "-o", z)
    ok("fit", z, "-o", sz)
    fingerprint = pq.read_schema(z).metadata[b"normkit.transform"]
    stats = json.loads(fingerprint)["stats"]
    for order, at, first in (((sa, sz), sz, sa), ((sa, sb, sz), sz, sa), ((sz, sa), sa, sz)):
        line = refused(1, "merge-stats", *order)
        assert line.startswith(f"{ERROR}{at}: cannot merge statistics of data on different scales")
        these, other = ("raw data", "data") if first == sa else ("data", "raw data")
        assert f"these were fitted on {these}" in line
        assert f"the other on {other}" in line
        assert f"(statistics {stats})" in line
    # Data on one scale merges, and equals the fit of the whole: raw with raw, normalized
    # alike with normalized alike.
    merged = json.loads(ok("merge-stats", sa, sb))
    whole = pd.concat(shards[:2])
    np.testing.assert_allclose([c["mean"] for c in merged["columns"]], whole.mean(), rtol=1e-14)
    ok("transform", paths[1], "-s", sa, "-o", tmp_path / "z2.parquet")
    ok("fit", tmp_path / "z2.parquet", "-o", sc)
    assert json.loads(ok("merge-stats", sz, sc))["rows"] == 800


def test_merge_stats_refuses_two_fits_of_the_same_file(tmp_path):
    # A copied stat file (or the same shard fitted twice) merged with exit 0, its rows counted
    # twice. Refused as a file given twice is, with the same exit code.
    a, copy = tmp_path / "a.json", tmp_path / "copy.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "-o", a)
    copy.write_bytes(a.read_bytes())
    rows = json.loads(a.read_text())["rows"]
    assert refused(2, "merge-stats", a, copy) == (
        f"{ERROR}{copy}: both were fitted on {SAMPLE_CSV.resolve()} ({rows:,} rows): merged, its "
        f"rows would count twice (merging into those of {a}); leave out one of the stat files"
    )


def test_an_output_extension_that_contradicts_what_is_written_is_refused(tmp_path):
    line = refused(2, "fit", SAMPLE_CSV, "-o", tmp_path / "out.parquet")
    assert line == (
        f"{ERROR}{tmp_path / 'out.parquet'}: a stat file is JSON, not parquet; name it with .json"
    )
    assert not (tmp_path / "out.parquet").exists()
    stats = tmp_path / "s.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "-o", stats)
    out = tmp_path / "out.csv"
    line = refused(2, "transform", SAMPLE_CSV, "-s", stats, "-o", out, "--output-format", "parquet")
    assert line == (
        f"{ERROR}{out}: the extension says csv, but --output-format parquet is written; name the "
        "file for what it holds (.parquet)"
    )
    assert not out.exists()


def test_a_note_beside_the_data_is_not_read_as_data(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "part-1.csv").write_text("a\n1\n2\n4\n")
    (tmp_path / "d" / "README.txt").write_text("collected on Monday\n")
    doc = json.loads(ok("fit", tmp_path / "d", "-o", "-"))
    assert [s["path"] for s in doc["provenance"]["sources"]] == [str(tmp_path / "d" / "part-1.csv")]


def test_a_column_typed_integer_by_its_first_rows_is_recorded_as_the_data_says(tmp_path):
    path = tmp_path / "late.csv"
    path.write_text("n\n" + "".join(f"{i % 1000}\n" for i in range(300_000)) + "2.5\n")
    stats, z = tmp_path / "s.json", tmp_path / "z.parquet"
    ok("fit", path, "-o", stats)
    assert json.loads(stats.read_text())["columns"][0]["dtype"] == "double"
    ok("transform", path, "-s", stats, "-o", z)
    ok("inverse", z, "-s", stats, "-o", tmp_path / "b.parquet")
    assert pq.read_table(tmp_path / "b.parquet").column("n")[-1].as_py() == 2.5
    # An integer int64 cannot hold, after the first block (the fit's stat file was refused as
    # inconsistent, naming the file being written): an identifier, as the first block would
    # have made the column text, refused where the column was chosen by its type; chosen by
    # name, float64. 2**63 - 1 is int64's own.
    for big, dtype in [("99999999999999999999", "double"), ("-9223372036854775808", "int64")]:
        path.write_text("n\n" + "".join(f"{i % 5}\n" for i in range(3000)) + big + "\n")
        if dtype == "double":
            stats.unlink()
            assert refused(1, "fit", path, "--csv-block-size", "4K", "-o", stats) == (
                f"{ERROR}{path}: column 'n' at data row 3,001: 1e+20 is an integer beyond int64, "
                "which float64 rounds (an identifier, as its first rows would have made it "
                "text?); exclude the column (--exclude n) or choose it by name to normalize it "
                "(--columns n)"
            )
            assert not stats.exists()
        ok("fit", path, "--csv-block-size", "4K", "--columns", "n", "-o", stats)
        column = json.loads(stats.read_text())["columns"][0]
        assert (column["dtype"], column["min"]) == (dtype, min(0.0, float(big)))


def test_unknown_keys_in_a_stat_file_are_refused(tmp_path):
    stats = tmp_path / "s.json"
    ok("fit", SAMPLE_CSV, "--columns", "age", "-o", stats)
    doc = json.loads(stats.read_text())
    doc["options"]["clip"] = 3
    stats.write_text(json.dumps(doc))
    assert refused(1, "transform", SAMPLE_CSV, "-s", stats, "-o", tmp_path / "z.csv") == (
        f"{ERROR}{stats}: invalid stat file: unknown key options.'clip'"
    )


def test_an_error_naming_a_column_with_a_line_break_stays_one_line(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('"x\ny",b\n1,2\nabc,4\n3,5\n')
    line = refused(1, "fit", path)
    assert line.startswith(f"{ERROR}{path}: column 'x\\ny' at data row 2: 'abc' is not a number")


def test_an_empty_column_name_can_be_named_in_quotes(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(",a,b\n0,1,2\n1,3,5\n")  # a pandas index written without its name
    doc = json.loads(ok("fit", path, "--exclude", '""', "-o", "-"))
    assert [c["name"] for c in doc["columns"]] == ["a", "b"]
    assert doc["passthrough"] == [{"name": "", "dtype": "int64", "why": "excluded"}]
    doc = json.loads(ok("fit", path, "--columns", '""', "-o", "-"))
    assert [c["name"] for c in doc["columns"]] == [""]


def test_options_that_contradict_each_other_are_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,flag\n1,True\n2,False\n4,True\n")
    assert refused(2, "fit", path, "--columns", "a", "--exclude", "a") == (
        f"{ERROR}column 'a' both chosen (--columns) and excluded (--exclude); give each column "
        "to one of them"
    )
    # Booleans are not numbers, in a CSV as in Parquet.
    assert refused(1, "fit", path, "--columns", "flag") == (
        f"{ERROR}{path}: column 'flag' has type bool, which is not numeric; leave it out of the "
        "columns chosen (--columns)"
    )
    assert refused(2, "fit", path, "--no-ema", "--momentum", "0.2", "--drop-last") == (
        f"{ERROR}--momentum, --drop-last set the running statistics, which --no-ema skips"
    )
    stats = tmp_path / "s.json"
    ok("fit", path, "--no-ema", "-o", stats)
    assert refused(2, "transform", path, "-s", stats, "--gamma", "a=2,a=3") == (
        f"{ERROR}--gamma: 'a=2,a=3' gives 'a' more than one value"
    )
    # Statistics without running ones are the stat file's shortcoming: exit 1, file named.
    assert refused(1, "transform", path, "-s", stats, "--use", "ema") == (
        f"{ERROR}{stats}: these statistics have no running (EMA) statistics: they were fitted "
        "without; fit them again with running statistics"
    )
    assert refused(1, "transform", path, "-s", stats, "--mode", "batch").startswith(
        f"{ERROR}{stats}: these statistics have no running"
    )
    # Statistics merged from shards had running ones, which the merge dropped: it says so.
    shards = [tmp_path / "s1.json", tmp_path / "s2.json"]
    lines = path.read_text().splitlines(keepends=True)
    for k, shard in enumerate(shards):  # other rows: the same rows twice are not merged
        (tmp_path / f"part{k}.csv").write_text("".join(lines[: len(lines) - k]))
        ok("fit", tmp_path / f"part{k}.csv", "-o", shard)
    merged = tmp_path / "m.json"
    ok("merge-stats", *shards, "-o", merged)
    assert refused(1, "transform", path, "-s", merged, "--mode", "adaptive") == (
        f"{ERROR}{merged}: these statistics have no running (EMA) statistics: they were merged "
        "from shards (running statistics depend on the order of all the rows); fit the whole "
        "data set in one pass, its files in order"
    )


# -- 10. real-world CSV --------------------------------------------------------------------------


def test_an_invalid_byte_in_the_first_lines_names_its_column_row_and_line(tmp_path):
    """Named by its byte offset alone in the first 64 KiB ('invalid byte at offset 21'), by
    column and row further down: named as further down, and by its line in a comment line."""
    path = tmp_path / "inv.csv"
    path.write_bytes(b"# export\nid,t,x\n1,ok,1.5\n\n2,bad\xff\xfebyte,2.5\n")
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: column 't' at data row 2 (line 5): invalid UTF-8 text; name its "
        "encoding (--encoding latin-1 or another)"
    )
    path.write_bytes(b"id,t,x\n1,ok,1.5\n# caf\xe9\n2,b,2.5\n3,c,3.5\n")
    assert refused(1, "fit", path).startswith(f"{ERROR}{path}: line 3: invalid UTF-8 text;")


def test_an_invalid_byte_in_the_header_is_one_line(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b"a,b\xe9\n")
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: the header (line 1): invalid UTF-8 text; name its encoding "
        "(--encoding latin-1 or another)"
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_with_a_byte_order_mark_is_read_and_written_back_alike(tmp_path, encoding):
    # A spreadsheet's "Unicode text": the output is in the input's encoding, with a byte-order
    # mark (it was UTF-8, which the spreadsheet then misread), and the summary says so.
    path = tmp_path / "u.csv"
    mark = {"utf-16": b"", "utf-16-be": b"\xfe\xff", "utf-32": b""}[encoding]
    path.write_bytes(mark + "name,x\nJosé,2\nAna,4\n".encode(encoding))
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    assert json.loads(stats.read_text())["columns"][0]["mean"] == 3.0
    z = tmp_path / "z.csv"
    proc = run_normkit("transform", path, "-s", stats, "-o", z)
    assert proc.returncode == 0, proc.stderr
    family = encoding[:6]  # utf-16 or utf-32: written in the machine's byte order
    assert f"to {z} (csv, {family})" in proc.stderr.decode()
    assert z.read_bytes().decode(family).splitlines() == ["name,x", "José,-1.0", "Ana,1.0"]
    assert run_normkit("transform", path, "-s", stats).stdout == z.read_bytes()  # stdout too
    # ... and an inverse reads it back, into the input's text.
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_bytes().decode(family) == "name,x\nJosé,2\nAna,4\n"


def test_a_file_that_reads_as_one_column_names_the_separator_that_splits_it(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a\tb\n1\t2\n3\t4\n")
    # Detected, recorded, and said in the summary.
    proc = run_normkit("fit", path, "-o", tmp_path / "s.json")
    assert proc.returncode == 0, proc.stderr
    assert "read as tab-separated" in proc.stderr.decode()
    assert json.loads((tmp_path / "s.json").read_text())["read"]["delimiter"] == "\t"
    # A separator given that reads it as one column: the hint names the one that splits it.
    assert refused(1, "fit", path, "--delimiter", ",") == (
        f"{ERROR}{path}: no numeric column to normalize; it reads as one column, but '\\t' "
        "would split it into 2: give the separator (--delimiter tab) or choose some with "
        "--columns"
    )


def test_hives_control_character_separator_is_named_as_it_is_typed(tmp_path):
    # Hive's text tables separate fields with \x01 (^A), never sniffed: the hint names it as
    # --delimiter reads it back, and the fit so told reads it, for the transform too.
    path = tmp_path / "000000_0"
    rows = [f"{i}\x01{i * 0.25}\x01name {i}" for i in range(1, 40)]
    path.write_text("\n".join(rows) + "\n")
    stats = tmp_path / "s.json"
    assert refused(1, "fit", path, "--input-format", "csv", "-o", stats) == (
        f"{ERROR}{path}: no numeric column to normalize; it reads as one column, but '\\x01' "
        "would split it into 3: give the separator (--delimiter '\\x01') or choose some with "
        "--columns"
    )
    assert not stats.exists()
    proc = run_normkit("fit", path, "--input-format", "csv", "--delimiter", "\\x01", "-o", stats)
    assert proc.returncode == 0, proc.stderr
    assert "read as '\\x01'-separated, no header" in proc.stderr.decode()
    fitted = json.loads(stats.read_text())
    assert fitted["read"]["delimiter"] == "\x01"
    assert [c["mean"] for c in fitted["columns"]] == [20.0, pytest.approx(5.0, rel=1e-15)]
    z = tmp_path / "z.csv"
    ok("transform", path, "-s", stats, "-o", z)
    assert z.read_text().splitlines()[0].split("\x01")[2] == "name 1"
    # A separator spelled so that is no control character is refused as typed.
    assert refused(2, "fit", path, "--delimiter", "\\x41", "-o", stats) == (
        f"{ERROR}--delimiter must be one ASCII character other than a quote or a line break, "
        "not '\\x41'"
    )


def test_utf16_named_without_a_byte_order_mark_asks_for_the_byte_order(tmp_path):
    path = tmp_path / "le.csv"
    path.write_bytes("x,y\n1,2\n3,4\n".encode("utf-16-le"))
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: not a CSV file (it holds binary data); name the format of a Parquet or "
        "Arrow file (--input-format parquet or arrow) or name the encoding of text in UTF-16 or UTF-32 "
        "without a byte-order mark (--encoding utf-16-le)"
    )
    assert refused(1, "fit", path, "--encoding", "utf-16") == (
        f"{ERROR}{path}: the file has no byte-order mark, which the encoding utf-16 needs to "
        "tell the order of its bytes; name the order (--encoding utf-16-le or utf-16-be)"
    )
    doc = json.loads(ok("fit", path, "--encoding", "utf-16-le", "-o", "-"))
    assert [c["mean"] for c in doc["columns"]] == [2.0, 3.0]


def test_a_malformed_file_names_the_separator_that_would_read_it(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("a;b;c\n1,5;2;x\n2,5;3;y\n")
    # Detected: ';' separates, and the numbers ask for the decimal comma.
    assert refused(1, "fit", path).endswith(
        "'1,5' is not a number; read ',' as the decimal "
        "separator (--decimal ,) or exclude the column (--exclude a) or add the string to "
        "--null-values"
    )
    # Given ',', the first line splits otherwise than the rest: a title, or a header? Refused,
    # naming the separator that splits every line (the hint '--skip-rows 0' led to another
    # refusal, which named it).
    assert refused(1, "fit", path, "--delimiter", ",").endswith(
        "',' does not split it evenly, but ';' would split it into 3: give the separator "
        "(--delimiter ';')"
    )


def test_a_file_separated_otherwise_than_the_fit_is_told_its_separator_past_quotes(tmp_path):
    # The stat file's separator reads the file as one column; a separator in a quoted field
    # ("Oslo, Norway") hid the one that splits it, and the refusal had no way out.
    rows = [
        f'{i},"Oslo, Norway",{i * 0.5},{i % 3}' if i % 4 else f"{i},Rome,{i},1" for i in range(40)
    ]
    fitted, other = tmp_path / "fitted.csv", tmp_path / "other.csv"
    fitted.write_text("id;city;x;y\n" + "".join(f"{i};Oslo;{i * 0.5};{i % 3}\n" for i in range(40)))
    other.write_text("id,city,x,y\n" + "\n".join(rows) + "\n")
    stats = tmp_path / "s.json"
    ok("fit", fitted, "--exclude", "id", "-o", stats)
    assert refused(1, "transform", other, "-s", stats, "-o", tmp_path / "z.csv") == (
        f"{ERROR}{other}: the stat file has columns 'x', 'y' but the input has none of them; it "
        "reads as one column, but ',' would split it into 4: give the separator (--delimiter ,)"
    )
    ok("transform", other, "-s", stats, "-o", tmp_path / "z.csv", "--delimiter", ",")
    assert pd.read_csv(tmp_path / "z.csv")["city"].tolist()[1] == "Oslo, Norway"


@pytest.mark.parametrize(
    ("values", "decimal", "hint"),
    [
        (["1.234,5", "2.000,25", "7,5"], ",", "write the numbers without thousands separators"),
        (["1.5", "2.25", "3.5"], ",", "read '.' as the decimal separator (--decimal .)"),
        (["1'000", "2'500", "300"], ".", "write the numbers without thousands separators"),
    ],
)
def test_numbers_written_otherwise_stop_the_fit_with_a_hint(tmp_path, values, decimal, hint):
    path = tmp_path / "d.csv"
    path.write_text("k;v\n" + "".join(f"{i};{v}\n" for i, v in enumerate(values)))
    line = refused(1, "fit", path, "--delimiter", ";", "--decimal", decimal)
    assert line.startswith(
        f"{ERROR}{path}: column 'v' at data row 1: {values[0]!r} is not a number; {hint}"
    )


def test_a_tsv_output_is_tab_separated_and_an_inverse_reads_it_back(tmp_path):
    # The output's name says its separator (it was written with the input's commas).
    path = tmp_path / "a.csv"
    path.write_text('id,city,x\n1,"Oslo, NO",10\n2,Lisbon,20\n3,Nairobi,45\n')
    stats = tmp_path / "s.json"
    ok("fit", path, "--exclude", "id", "-o", stats)
    z = tmp_path / "z.tsv"
    proc = run_normkit("transform", path, "-s", stats, "-o", z)
    assert proc.returncode == 0, proc.stderr
    assert f"to {z} (csv, tab-separated)" in proc.stderr.decode()
    rows = [line.split("\t") for line in z.read_text().splitlines()]
    assert rows[0] == ["id", "city", "x"]
    assert [r[1] for r in rows[1:]] == ["Oslo, NO", "Lisbon", "Nairobi"]  # no quotes needed
    column = json.loads(stats.read_text())["columns"][0]
    x = np.array([10.0, 20.0, 45.0])
    assert [float(r[2]) for r in rows[1:]] == list((x - column["mean"]) / column["scale"])
    # The inverse reads the .tsv with tabs (the stat file records commas) and writes a .csv
    # with the input's commas: the input's text again.
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == path.read_text()


def test_a_csv_output_keeps_the_input_s_separators(tmp_path):
    # A .csv name says nothing of its separator: ';' with decimal commas stays so (',' would
    # clash with the decimals), and reads back with the options the stat file recorded.
    path = tmp_path / "eu.csv"
    path.write_text("k;v\na;1,5\nb;2,5\nc;4\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--decimal", ",", "-o", stats)
    z = tmp_path / "z.csv"
    proc = run_normkit("transform", path, "-s", stats, "-o", z)
    assert proc.returncode == 0, proc.stderr
    assert f"to {z} (csv, ';'-separated)" in proc.stderr.decode()
    column = json.loads(stats.read_text())["columns"][0]
    z_values = (np.array([1.5, 2.5, 4.0]) - column["mean"]) / column["scale"]
    want = [f"{k};{str(float(y)).replace('.', ',')}" for k, y in zip("abc", z_values, strict=True)]
    assert z.read_text().splitlines() == ["k;v", *want]
    back = tmp_path / "back.tsv"  # a .tsv name: tabs, decimal commas kept
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "k\tv\na\t1,5\nb\t2,5\nc\t4,0\n"


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_an_empty_line_of_a_one_column_file_is_a_missing_value(tmp_path, end):
    # It was dropped by fit and transform alike: the output had fewer rows than the input,
    # unseen. DuckDB and Polars read it as a missing value (pandas with skip_blank_lines=False).
    lines = ["x", "1", "2", "", "4", "5", ""]
    path = tmp_path / "one.csv"
    path.write_bytes(end.join(lines).encode() + end.encode())
    theirs = pd.read_csv(path, skip_blank_lines=False)["x"].to_numpy()
    assert (len(theirs), np.isnan(theirs).sum()) == (6, 2)
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    column = json.loads(stats.read_text())["columns"][0]
    assert (column["count"], column["missing"]) == (4, 2)
    assert column["mean"] == np.nanmean(theirs)
    sk = StandardScaler().fit(theirs.reshape(-1, 1))
    want = sk.transform(theirs.reshape(-1, 1))[:, 0]
    z = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", z)
    got = pq.read_table(z).column("x").to_pylist()
    assert got == [None if np.isnan(w) else w for w in want]  # 6 rows, nulls where empty
    zc = tmp_path / "z.csv"
    ok("transform", path, "-s", stats, "-o", zc)
    assert len(zc.read_text().splitlines()) == 1 + 6
    back = tmp_path / "back.csv"
    ok("inverse", zc, "-s", stats, "-o", back)
    assert back.read_text().splitlines() == ["x", "1", "2", '""', "4", "5", '""']
    # Nothing but a header and an empty line: a row without a value, as "NA" would be.
    only = tmp_path / "only.csv"
    only.write_text("x\n\n")
    # Excluding it, the way out once given, leaves nothing to normalize.
    assert refused(1, "fit", only) == (
        f"{ERROR}{only}: no numeric column to normalize (column 'x' of no value in any row); "
        "choose some with --columns"
    )
    # So does a column of no value beside text: the file holds no numbers.
    only.write_text("a,b\nx,\ny,\n")
    assert refused(1, "fit", only) == (
        f"{ERROR}{only}: no numeric column to normalize (column 'b' of no value in any row); "
        "choose some with --columns"
    )


def test_an_empty_line_among_several_columns_is_no_row_in_fit_and_transform_alike(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("x,y\n1,a\n\n2,b\n4,c\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    assert json.loads(stats.read_text())["columns"][0]["count"] == 3
    assert len(ok("transform", path, "-s", stats).splitlines()) == 1 + 3


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_default_missing_value_strings_of_a_text_column_stay_text_in_typed_output(tmp_path, fmt):
    # A region NA (North America) went to Parquet or Arrow as null, exit 0, and an inverse back
    # to CSV wrote an empty field: the text was lost, though a CSV output kept it. In text the
    # defaults are text (as DuckDB, Polars and pyarrow read it); only the empty field and the
    # strings named with --null-values are missing there. Numbers, dates and booleans beside
    # it read the defaults as missing, as before.
    path = tmp_path / "t.csv"
    path.write_text(
        "id,city,x,day,flag\n1,Oslo,1.5,2024-01-01,true\n2,NA,2.5,NA,NA\n3,,4,,\n"
        "4,N/A,NA,2024-01-03,false\n5,Rome,6,2024-01-04,true\n"
    )
    stats = tmp_path / "s.json"
    ok("fit", path, "--exclude", "id", "-o", stats)
    counted = {c["name"]: c for c in json.loads(stats.read_text())["categories"]}
    assert counted["city"]["missing"] == 1
    assert counted["city"]["counts"]["NA"] == counted["city"]["counts"]["N/A"] == 1
    z = tmp_path / f"z.{fmt}"
    ok("transform", path, "-s", stats, "-o", z)
    table = pq.read_table(z) if fmt == "parquet" else read_arrow(z)
    theirs = pd.read_csv(path)  # pandas' missing values: the same strings, but in the text
    for name in ("x", "day", "flag"):
        assert table.column(name).is_null().to_pylist() == theirs[name].isna().tolist(), name
    assert table.column("city").to_pylist() == ["Oslo", "NA", None, "N/A", "Rome"]
    # The same categories counted in the typed output as in the CSV it was made from.
    typed = tmp_path / "typed.json"
    ok("fit", z, "--exclude", "id", "-o", typed)
    again = {c["name"]: c for c in json.loads(typed.read_text())["categories"]}
    assert again["city"]["counts"] == counted["city"]["counts"]
    assert again["city"]["missing"] == counted["city"]["missing"]
    # Back to CSV: the text as it was.
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", stats, "-o", back)
    assert [line.split(",")[1] for line in back.read_text().splitlines()] == [
        "city", "Oslo", "NA", "", "N/A", "Rome",
    ]  # fmt: skip
    # A string named is missing in text too, at the fit and in the jobs after it.
    named = tmp_path / "n.json"
    ok("fit", path, "--exclude", "id", "--null-values", "NA", "-o", named)
    city = next(c for c in json.loads(named.read_text())["categories"] if c["name"] == "city")
    assert (city["missing"], "NA" in city["counts"]) == (2, False)
    ok("transform", path, "-s", named, "-o", z)
    table = pq.read_table(z) if fmt == "parquet" else read_arrow(z)
    assert table.column("city").to_pylist() == ["Oslo", None, None, "N/A", "Rome"]
    # --keep-text: every column passed through as its text, as written.
    kept = tmp_path / f"k.{fmt}"
    ok("transform", path, "-s", stats, "-o", kept, "--keep-text")
    table = pq.read_table(kept) if fmt == "parquet" else read_arrow(kept)
    assert table.column("city").to_pylist() == ["Oslo", "NA", "", "N/A", "Rome"]


def test_inspect_shows_every_setting_the_data_was_read_with(tmp_path):
    # It showed the delimiter, decimal, missing values and encoding, but not the header, the
    # lines skipped, the comment and quote characters, nor which of them later jobs detect.
    path = tmp_path / "eu.csv"
    path.write_text("Sensor export\n# units: mm\nid;x;x\n1;1,5;2\n2;2,5;3\n3;4,0;5\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--decimal", ",", "--null-values", "-", "--exclude", "id", "-o", stats)
    shown = run_normkit("inspect", stats).stdout.decode().splitlines()
    at = next(i for i, line in enumerate(shown) if line.startswith("read "))
    assert shown[at : at + 5] == [
        "read       delimiter ';', quote '\"', decimal ',', header yes, lines skipped 2, "
        "comment '#', escape none",
        "           encoding UTF-8 (or as a byte-order mark says), infinities refused",
        "           detected: quote, comment, comments after values, lines skipped, escape "
        "(detected again in each file)",
        "missing    '', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', '-'",
        "renamed    'x_1' (repeated header names)",
    ]
    raw = tmp_path / "raw.txt"
    raw.write_bytes("Messwerte\n# Einheit: mm\n1\tGr\xfcn\n2\tRot\n4\tBlau\n".encode("latin-1"))
    given = tmp_path / "g.json"
    ok("fit", raw, "--input-format", "csv", "--skip-rows", "1", "--comment", "#", "--quote", "", "--no-header",
       "--delimiter", "tab", "--encoding", "latin-1", "--inf-as-missing", "--columns", "column_1",
       "-o", given)  # fmt: skip
    shown = run_normkit("inspect", given).stdout.decode().splitlines()
    at = next(i for i, line in enumerate(shown) if line.startswith("read "))
    assert shown[at : at + 3] == [
        "read       delimiter tab, quote none, decimal '.', header no (columns column_1...), "
        "lines skipped 1, comment '#', escape none",
        "           encoding latin-1 (or as a byte-order mark says), infinities missing",
        "           given: quote, comment, lines skipped (later jobs read with them); detected: "
        "comments after values, escape (detected again in each file)",
    ]
    # A backslash escape, detected, is shown as typed.
    escaped = tmp_path / "e.csv"
    escaped.write_text('id,note,v\n1,"say \\"hi\\", ok",1.5\n2,"plain",2.5\n3,"x",4\n')
    ok("fit", escaped, "-o", stats)
    shown = run_normkit("inspect", stats).stdout.decode()
    assert "comment none, escape '\\'\n" in shown


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("id x y\n1 2.5 3\n2 3.5 4\n", "it reads as one column, but ' ' would split it into 3: "
         "give the separator (--delimiter ' ')"),
        ("id  x    y\n1   2.5  3\n2   3.5  4\n", "its 3 columns are aligned with runs of "
         "spaces, which no separator reads as one: make each run one separator (such as with "
         "tr -s ' ') and give it (--delimiter ' ')"),
    ],
)  # fmt: skip
def test_a_space_separated_file_is_told_what_to_do(tmp_path, text, hint):
    # It was told only to choose columns, which the one column read could not give.
    path = tmp_path / "sp.csv"
    path.write_text(text)
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: no numeric column to normalize; {hint} or choose some with --columns"
    )
    # Words with spaces in a column of text are no fields.
    names = tmp_path / "names.csv"
    names.write_text("name\nAda Lovelace\nAlan Turing\n")
    assert refused(1, "fit", names) == (
        f"{ERROR}{names}: no numeric column to normalize; choose some with --columns"
    )


def test_the_decimal_point_given_as_the_separator_is_told_both_ways_out(tmp_path):
    # It was told to give ';' whatever the file, as if '.' could only be a slip for it.
    path = tmp_path / "a.csv"
    path.write_text("id,x\n1,2.5\n2,3.5\n")
    assert refused(2, "fit", path, "--delimiter", ".") == (
        f"{ERROR}{path}: '.' cannot separate both fields and decimals (--decimal is '.'); give "
        "the field separator (--delimiter ,) or, if '.' separates the fields, read ',' as the "
        "decimal separator (--decimal ,)"
    )
    dots = tmp_path / "dots.csv"
    dots.write_text("id.x\n1.2,5\n2.3,5\n")
    doc = json.loads(ok("fit", dots, "--delimiter", ".", "--decimal", ",", "-o", "-"))
    assert [c["mean"] for c in doc["columns"]] == [1.5, 3.0]


def test_addresses_are_no_numbers_written_with_thousands_separators(tmp_path):
    # 14.102.188.68 groups thousands by '.' and then has a fraction after a '.': no number as
    # anyone writes one, so a column of IP addresses is text, passed through.
    path = tmp_path / "ip.csv"
    path.write_text("id|ip|n\n1|14.102.188.68|5\n2|61.16.220.210|3\n3|31.210.175.88|4\n")
    proc = run_normkit("fit", str(path), "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 0, proc.stderr
    assert "passed through: ip (text)" in proc.stderr.decode()


def test_replacement_characters_are_no_placeholders(tmp_path):
    # U+FFFD stands for bytes that were no text, not for a missing value: a column of them is
    # text, passed through, where a column of '?' and a number is numbers whose first '?' stops.
    path = tmp_path / "r.csv"
    path.write_text("a,b,c\n1,\ufffd,?\n2,\ufffd,?\n3,5,7\n", encoding="utf-8")
    proc = run_normkit("fit", str(path), "--exclude", "c", "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 0, proc.stderr
    assert "passed through: b (text), c (excluded)" in proc.stderr.decode()
    proc = run_normkit("fit", str(path), "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 1
    assert "column 'c' at data row 1: '?' is not a number" in proc.stderr.decode()


# -- 11. the Python API --------------------------------------------------------------------------


def test_momentum_none_is_refused_with_the_way_to_ask_for_cumulative():
    with pytest.raises(normkit.OptionError, match="momentum='cumulative'"):
        normkit.EmaOptions(momentum=None)
    assert normkit.EmaOptions(momentum="cumulative").cumulative
    assert normkit.EmaOptions().momentum_value == 0.1


def test_the_api_refuses_infinite_values_as_scikit_learn_does():
    fitted = normkit.Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [4.0, 5.0, 7.0]}))
    with pytest.raises(normkit.DataError, match="column 'b' at row 3: -inf is not finite"):
        fitted.transform(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, -np.inf]}))
    with pytest.raises(normkit.DataError, match="column 'b' at row 1: inf is not finite"):
        fitted.transform(np.array([[1.0, np.inf], [2.0, 3.0]]))
    batches = [pa.record_batch({"a": [1.0, 2.0], "b": [1.0, 2.0]})] * 2
    batches.append(pa.record_batch({"a": [1.0, np.inf], "b": [1.0, 2.0]}))
    later = "this batch, after 4 rows transformed: column 'a' at row 2: inf is not finite"
    with pytest.raises(normkit.DataError, match=later):
        list(fitted.transform(iter(batches)))
    with pytest.raises(ValueError, match="Input X contains infinity"):  # the reference agrees
        StandardScaler().fit(np.ones((3, 1))).transform(np.array([[np.inf]]))


def test_pandas_metadata_of_a_transformed_table_describes_its_new_types():
    frame = pd.DataFrame({"a": [1, 2, 4], "s": ["x", "y", "z"]}, index=[7, 8, 9])
    fitted = normkit.Standardizer().fit(frame[["a"]])
    back = fitted.transform(pa.Table.from_pandas(frame)).to_pandas()
    assert back["a"].dtype == np.float64
    assert list(back.index) == [7, 8, 9]  # the index, recorded in the same metadata, is kept
    expected = StandardScaler().fit_transform(frame[["a"]].to_numpy(float))[:, 0]
    np.testing.assert_allclose(back["a"], expected, rtol=1e-12)


def test_from_sklearn_counts_the_missing_values_scikit_learn_skipped(tmp_path):
    X = np.array([[1.0, np.nan], [2.0, 5.0], [4.0, 7.0], [8.0, np.nan]])
    fitted = normkit.Standardizer.from_sklearn(StandardScaler().fit(X))
    fitted.save(tmp_path / "s.json")
    doc = json.loads((tmp_path / "s.json").read_text())
    assert [(c["count"], c["missing"]) for c in doc["columns"]] == [(4, 0), (2, 2)]
    assert doc["rows"] == 4
    normkit.load(tmp_path / "s.json")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        ({"dtype": "string"}, "dtype 'string' is not a numeric Arrow type"),
        ({"missing": 5}, "count + missing ({count} + 5) is not rows ({rows})"),
        ({"min": "-Infinity"}, "min and max (-inf, {max}) must be finite (or NaN: unknown)"),
        ({"min": 18.5}, "min (18.5) is not a value of the column's type int64"),
        (
            {"dtype": "int8", "max": 300.0, "min": 18.0},
            "max (300.0) is not a value of the column's type int8",
        ),
    ],
)
def test_a_stat_file_whose_fields_disagree_is_refused(tmp_path, edit, problem):
    stats = tmp_path / "s.json"
    ok("fit", SAMPLE_CSV, "--columns", "age", "-o", stats)
    doc = json.loads(stats.read_text())
    problem = problem.format(**doc["columns"][0], rows=doc["rows"])
    doc["columns"][0].update(edit)
    stats.write_text(json.dumps(doc))
    line = refused(1, "transform", SAMPLE_CSV, "-s", stats, "-o", tmp_path / "z.csv")
    assert line == f"{ERROR}{stats}: inconsistent stat file: column 'age': {problem}"


@pytest.mark.parametrize("dtype", ["float", "halffloat", "decimal128(5, 0)"])
def test_a_dtype_that_cannot_hold_the_values_is_refused(tmp_path, dtype):
    path = tmp_path / "d.csv"
    path.write_text("x\n0.1\n2.25\n3.5\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    doc = json.loads(stats.read_text())
    doc["columns"][0]["dtype"] = dtype
    stats.write_text(json.dumps(doc))
    line = refused(1, "transform", path, "-s", stats, "-o", tmp_path / "z.csv")
    assert line == (
        f"{ERROR}{stats}: inconsistent stat file: column 'x': min (0.1) is not a value of the "
        f"column's type {dtype}"
    )


def test_a_constant_column_must_have_no_spread(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("a\n3\n3\n3\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    doc = json.loads(stats.read_text())
    assert (doc["columns"][0]["m2"], doc["columns"][0]["scale"]) == (0.0, 1.0)
    doc["columns"][0].update(m2=3.0, var=1.0)
    stats.write_text(json.dumps(doc))
    assert refused(1, "transform", path, "-s", stats, "-o", tmp_path / "z.csv") == (
        f"{ERROR}{stats}: inconsistent stat file: column 'a': m2 (3.0) is not 0, though every "
        "value is 3.0"
    )


def test_an_integer_column_at_the_ends_of_int64_is_fitted(tmp_path):
    # 2**63 - 1 is read as 2**63 in float64: within the type's range as float64 holds it (the
    # stat file was refused as inconsistent on writing).
    path = tmp_path / "i.csv"
    path.write_text("x\n9223372036854775807\n-9223372036854775808\n0\n")
    result = run_normkit("fit", path, "-q", "-o", tmp_path / "s.json")
    assert result.returncode == 0, result.stderr
    column = json.loads((tmp_path / "s.json").read_text())["columns"][0]
    assert column["dtype"] == "int64"
    assert column["max"] == 2.0**63
    assert column["min"] == -(2.0**63)


def test_one_zero_padded_value_does_not_turn_numbers_into_text(tmp_path):
    # Codes padded to one width stay text; a column of numbers with one '05' among them is
    # numbers (it was passed through as text, unnormalized, because of that one token).
    rows = [f"{i},{i % 100:03d},{i / 7:.4f}" for i in range(1, 1001)]
    rows[500] = "05,501,0.5"
    path = tmp_path / "zp.csv"
    path.write_text("x,code,y\n" + "\n".join(rows) + "\n")
    result = run_normkit("fit", path, "-o", tmp_path / "s.json")
    assert result.returncode == 0, result.stderr
    assert b"code (text)" in result.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    fitted = {c["name"]: c for c in stats["columns"]}
    assert set(fitted) == {"x", "y"}
    x = pd.read_csv(path)["x"].to_numpy(dtype=float)
    assert fitted["x"]["mean"] == pytest.approx(x.mean(), rel=1e-12)
    # A padded column chosen by name is read as numbers, and recorded so.
    codes = tmp_path / "codes.csv"
    codes.write_text("x,y\n007,1\n010,2\n123,3\n")
    result = run_normkit("fit", codes, "--columns", "x", "-o", tmp_path / "c.json")
    assert result.returncode == 0, result.stderr
    column = json.loads((tmp_path / "c.json").read_text())["columns"][0]
    assert column["dtype"] == "double"
    assert column["mean"] == pytest.approx((7 + 10 + 123) / 3, rel=1e-15)


def test_identifiers_beyond_int64_are_text_unless_chosen_by_name(tmp_path):
    # 20-digit identifiers were normalized by default, rounded to float64 (three ids alike,
    # the inverse gave 0.0 for 1 and 2), with exit 0. As text they pass through as written.
    data = tmp_path / "ids.csv"
    ids = ["12345678901234567890", "12345678901234567891", "12345678901234567892", "1", "2"]
    data.write_text("big,x\n" + "".join(f"{b},{i * 1.5}\n" for i, b in enumerate(ids)))
    stats, z = tmp_path / "s.json", tmp_path / "z.parquet"
    assert "passed through: big (text)" in normkit_summary("fit", data, "-o", stats)
    ok("transform", data, "-s", stats, "-o", z)
    assert pq.read_table(z).column("big").to_pylist() == ids
    # Chosen by name: numbers, as a padded code chosen so.
    doc = json.loads(ok("fit", data, "--columns", "big", "-o", "-"))
    assert doc["columns"][0]["mean"] == pytest.approx(np.mean([float(b) for b in ids]), rel=1e-15)
    # An infinity among them is no value, as a missing one (trial 123: with inf in place of
    # nan, the ids were typed as numbers, and --inf-as-missing normalized them, rounded).
    data.write_text("big,x\n" + "".join(f"{b},{i * 1.5}\n" for i, b in enumerate([*ids, "inf"])))
    for told in ((), ("--inf-as-missing",)):
        assert "passed through: big (text)" in normkit_summary("fit", data, *told, "-o", stats)
        ok("transform", data, "-s", stats, "-o", z)
        assert pq.read_table(z).column("big").to_pylist() == [*ids, "inf"]
    # Integers within int64 (nanoseconds since 1970) are numbers, as before.
    data.write_text("t,x\n" + "".join(f"{1_700_000_000_000_000_000 + i},{i}\n" for i in range(5)))
    assert [c["name"] for c in json.loads(ok("fit", data, "-o", "-"))["columns"]] == ["t", "x"]


@pytest.mark.parametrize("kind", ["uint64 parquet", "uint64 arrow", "decimal parquet"])
def test_identifiers_beyond_int64_in_a_typed_file_are_refused_unless_chosen(tmp_path, kind):
    # A CSV's 20-digit identifiers are text; the same ones as uint64 or decimal(20, 0) in
    # Parquet were normalized, rounded to float64: ...614 and ...615 alike, and 100 ids from
    # ...001 to ...100 all 0.0 (variance 0), exit 0.
    from decimal import Decimal

    ids = [18446744073709551001 + k for k in range(100)]
    column = (
        pa.array([Decimal(i) for i in ids], pa.decimal128(20, 0))
        if kind.startswith("decimal")
        else pa.array(ids, pa.uint64())
    )
    table = pa.table({"x": np.arange(100.0), "id": column})
    data = tmp_path / ("ids.arrow" if "arrow" in kind else "ids.parquet")

    def write(table: pa.Table) -> None:
        if "arrow" in kind:
            with ipc.new_file(data, table.schema) as writer:
                writer.write_table(table, max_chunksize=30)
        else:
            pq.write_table(table, data, row_group_size=30)

    write(table)
    stats = tmp_path / "s.json"
    line = refused(1, "fit", data, "-o", stats)
    assert line == (
        f"{ERROR}{data}: column 'id' at data row 1: 18446744073709551001 is an integer beyond "
        "int64, which float64 rounds (an identifier, as a CSV's first rows would make it "
        "text?); exclude the column (--exclude id) or choose it by name to normalize it "
        "(--columns id)"
    )
    assert not stats.exists()
    ok("fit", data, "--exclude", "id", "-o", stats)
    ok("fit", data, "--columns", "x,id", "-o", stats)
    # Within int64, or where such a type holds small integers, the column is numbers.
    small = table.set_column(1, "id", pa.array(range(100), column.type))
    write(small)
    assert [c["name"] for c in json.loads(ok("fit", data, "-o", "-"))["columns"]] == ["x", "id"]


def test_identifiers_just_beyond_int64_are_refused_and_int64_s_largest_is_not(tmp_path):
    # 2**63 to 2**63 + 99 read into float64 as 2**63, which the check took for int64's largest
    # (2**63 - 1 reads so too): fitted, every id one value, exit 0.
    data = tmp_path / "ids.parquet"
    ids = pa.array([2**63 + k for k in range(100)], pa.uint64())
    pq.write_table(pa.table({"id": ids, "x": np.arange(100.0)}), data)
    assert "column 'id' at data row 1: 9223372036854775808 is an integer beyond int64" in (
        refused(1, "fit", data, "-o", tmp_path / "s.json")
    )
    largest = pa.array([2**63 - 1, 5, 7], pa.int64())  # a sentinel some systems write
    pq.write_table(pa.table({"id": largest, "x": [1.0, 2.0, 3.0]}), data)
    ok("fit", data, "-o", tmp_path / "s.json")


def test_integers_after_empty_first_rows_come_back_as_integers(tmp_path):
    # A column with nothing in its first rows has no type there; its values decide it: all
    # integers are int64 (an inverse writes them back as written), else float64.
    rows = ["a,n,f"] + [f"{i % 97}.5,," for i in range(200_000)]
    rows += [f"{i % 89}.25,{i % 50},{i}.5" for i in range(1000)]
    data = tmp_path / "late.csv"
    data.write_text("\n".join(rows) + "\n")
    stats, z, back = tmp_path / "s.json", tmp_path / "z.parquet", tmp_path / "back.csv"
    normkit_summary("fit", data, "-o", stats)
    dtypes = {c["name"]: c["dtype"] for c in json.loads(stats.read_text())["columns"]}
    assert dtypes == {"a": "double", "n": "int64", "f": "double"}
    normkit_summary("transform", data, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    assert back.read_text().splitlines()[-1].split(",")[1:] == ["49", "999.5"]


def test_a_first_row_of_integers_above_fractions_is_not_taken_for_data(tmp_path):
    # 2019,2020 above 101.5,99.25: years naming the columns (pandas' reading), or a row
    # (DuckDB's)? Either reading changes every statistic: refused, naming --header.
    rng = np.random.default_rng(0)
    body = "".join(",".join(f"{v:.2f}" for v in row) + "\n" for row in rng.normal(100, 10, (50, 4)))
    data = tmp_path / "years.csv"

    def header_refused(why: str) -> None:
        proc = run_normkit("fit", data, "-o", tmp_path / "refused.json")
        message = proc.stderr.decode()
        assert proc.returncode == 1, message
        assert f"whether the first row is a header cannot be told: {why}" in message
        assert "--header or --no-header" in message
        assert not (tmp_path / "refused.json").exists()

    data.write_text("2019,2020,2021,2022\n" + body)
    proc = run_normkit("fit", data, "-o", tmp_path / "s.json")
    message = proc.stderr.decode()
    assert proc.returncode != 0, message
    assert "its numbers are integers (2019, 2020, 2021, 2022)" in message
    assert "--header" in message
    assert not (tmp_path / "s.json").exists()
    summary = normkit_summary("fit", data, "--header", "-o", tmp_path / "s.json")
    assert "on 50 rows" in summary
    # Integers below too: a row of data, as before.
    data.write_text("1,2,3,4\n" + body + "5,6,7,8\n")
    assert "on 52 rows" in normkit_summary("fit", data, "-o", tmp_path / "t.json")
    # Beside text (a World Bank table), or under a pandas index's empty name: they were read
    # as a row with exit 0 (a mean of 507 for values from 1.25 to 6.5).
    for first, rows in [
        ("country,2019,2020", ["Aruba,1.5,1.75", "Spain,1.25,2.5", "Chad,6.5,6.25"]),
        (",0,1,2", [f"{i},{i / 7:.4f},{i / 9:.4f},{i / 11:.4f}" for i in range(1, 7)]),
        # One column of fractions is enough, beside columns of integers (exit 0 before, a mean
        # of 406.2 for values from 1.5 to 4.5).
        ("country,2019,2020", ["PT,1.5,2", "ES,2.5,3", "FR,3.5,4", "DE,4.5,5"]),
        ("station,0,1", ["A,10.5,20", "B,11.5,21", "C,9.75,19"]),
        # No text: pandas' 0,1 above a column of floats and one of counts (read as a row, exit
        # 0), years above a fraction and counts.
        ("0,1", [f"{10 + i / 7:.6f},{50 + i % 9}" for i in range(20)]),
        ("2019,2020", ["1.5,2", "2.5,3", "3.5,4"]),
    ]:
        data.write_text("\n".join([first, *rows]) + "\n")
        proc = run_normkit("fit", data, "-o", tmp_path / "u.json")
        message = proc.stderr.decode()
        assert proc.returncode == 1, message
        assert "whether the first row is a header cannot be told" in message
        assert "--header or --no-header" in message
        summary = normkit_summary("fit", data, "--header", "-o", tmp_path / "u.json")
        assert f"on {len(rows)} rows" in summary
    # The header of pandas' to_csv of a frame of integers (or one with a text index): it was
    # read as a row, its empty field a missing value (exit 0, one row too many).
    for index in (range(6), "abcdef"):
        rows = [f"{i},{3 * k % 7},{5 * k % 11}" for k, i in enumerate(index)]
        data.write_text("\n".join([",0,1", *rows]) + "\n")
        header_refused("it is an empty name and the numbers 0, 1 (as pandas writes")
        assert "on 6 rows" in normkit_summary("fit", data, "--header", "-o", tmp_path / "w.json")
        assert "on 7 rows" in normkit_summary("fit", data, "--no-header", "-o", tmp_path / "w.json")
    # Integers that count up above columns of integers: pandas' to_csv of a frame of integers
    # (scikit-learn's digits), or years above counts. They were read as a row (exit 0, a scale
    # 28% off StandardScaler's on the digits).
    from sklearn.datasets import load_digits

    # The digits' header (0 to 63 above pixels of 0 to 16) is told: no row could be it.
    digits = load_digits().data.astype(int)
    pd.DataFrame(digits).to_csv(data, index=False)
    assert "on 1,797 rows" in normkit_summary("fit", data, "-o", tmp_path / "d.json")
    scale = [c["scale"] for c in json.loads((tmp_path / "d.json").read_text())["columns"]]
    np.testing.assert_allclose(scale, StandardScaler().fit(digits).scale_, rtol=1e-12)
    # So is it under the empty name of pandas' row index, the header of the default to_csv()
    # (,0,1,2,3 above iris: refused as ambiguous), a text index or a shuffled one alike.
    from sklearn.datasets import load_iris

    iris = load_iris().data
    for index in (None, [f"r{i}" for i in range(150)], np.random.default_rng(1).permutation(150)):
        pd.DataFrame(iris, index=index).to_csv(data)
        summary = normkit_summary("fit", data, "-o", tmp_path / "i.json")
        assert "fitted 4 columns on 150 rows" in summary
        assert '"" (row index)' in summary
        fitted = json.loads((tmp_path / "i.json").read_text())["columns"]
        assert [c["name"] for c in fitted] == ["0", "1", "2", "3"]
        np.testing.assert_allclose([c["mean"] for c in fitted], iris.mean(axis=0), rtol=1e-12)
    # Columns of decimals whose values hold the labels (0, 1, 2 within randn's): the index
    # counting from 0 below the empty name tells, as no row of data would be the one whose index
    # is missing and whose values are the columns' numbers (refused as ambiguous before).
    for width in (2, 4):
        values = np.random.default_rng(width).standard_normal((300, width))
        pd.DataFrame(values).to_csv(data)
        assert f"fitted {width} columns on 300 rows" in normkit_summary(
            "fit", data, "-o", tmp_path / "r.json"
        )
        fitted = json.loads((tmp_path / "r.json").read_text())["columns"]
        np.testing.assert_allclose([c["scale"] for c in fitted], values.std(axis=0), rtol=1e-12)
    data.write_text("country,2019,2020\nNorway,5328000,5367000\nSweden,10280000,10350000\n")
    header_refused("its integers (2019, 2020) count up")
    # A name is written once: under a frame of answers whose rows count up by chance now and
    # then (it was read as a row once one did), refused still.
    answers = np.random.default_rng(3).integers(0, 5, (200, 3))
    pd.DataFrame(answers).to_csv(data, index=False)
    assert sum(list(row) == [0, 1, 2] for row in answers) > 0
    header_refused("its integers (0, 1, 2) count up")
    # Rows alike below it, an index counting on from it (to_csv(header=False) of a frame with
    # its index), or two columns counting up from 1: rows, as before.
    data.write_text("0,1,2\n5,9,4\n0,1,2\n")
    assert "on 3 rows" in normkit_summary("fit", data, "-o", tmp_path / "d.json")
    data.write_text("0,1,2\n1,5,3\n2,0,4\n3,2,2\n")
    assert "on 4 rows" in normkit_summary("fit", data, "-o", tmp_path / "d.json")
    data.write_text("1;2\n5;3\n")
    assert "on 2 rows" in normkit_summary("fit", data, "-o", tmp_path / "d.json")
    # Few columns count up by chance: an index and a count, two years, names and two flags,
    # answers on a scale of 5, a missing value and a 0; rows, as before.
    for rows in [
        "0,1\n1,0\n2,5\n3,7",
        "2019,2020\n2015,2018\n2012,2016\n2010,2014",
        "alice,0,1\nbob,1,1\ncarol,0,0\ndave,1,0",
        "2,3,4\n5,1,2\n3,3,1\n4,2,5",
        ",0\n1.5,0\n2.3,1\n4.1,0",
    ]:
        data.write_text(rows + "\n")
        assert "on 4 rows" in normkit_summary("fit", data, "-o", tmp_path / "d.json"), rows
    # Integers above a column of fractions beside integers, with no text: a series that starts
    # at a whole value, a row (as DuckDB reads it).
    for rows in ["2000,1,100\n2000,2,99.94\n2000,3,100.66", "1,20\n2,20.5\n3,21.25"]:
        data.write_text(rows + "\n")
        assert "on 3 rows" in normkit_summary("fit", data, "-o", tmp_path / "d.json"), rows
    # An empty first field below as well: a row of data, as before.
    data.write_text(",0,1\n,5,6\n3,4,5\n")
    assert "on 3 rows" in normkit_summary("fit", data, "-o", tmp_path / "w.json")
    # A text column beside columns of integers under integers tells nothing: data, as before.
    data.write_text("North,120,7\nSouth,130,8\nEast,140,9\n")
    assert "on 3 rows" in normkit_summary("fit", data, "-o", tmp_path / "v.json")


def test_years_above_decimals_written_whole_at_times_are_not_taken_for_data(tmp_path):
    # Eurostat's geo,2019,2020,2021 above growth rates as Excel, R and %g write them (5, not
    # 5.0): the whole values below made the years a row of data (exit 0, "no header", a mean
    # near 340 for rates from -5.5 to 6.9), where a column without one was refused.
    rates = ["AT,2,-0.2,5.7", "BE,5.1,4,6.9", "BG,4.2,-2.8,5", "CY,4.2,4.5,5.5", "CZ,3.1,-5.5,3.6"]
    data, stats = tmp_path / "y.csv", tmp_path / "s.json"
    why = "whether the first row is a header cannot be told: its numbers are integers"
    european = [";".join(v.replace(".", ",") for v in row.split(",")) for row in rates]
    for text, options in [
        ("\n".join(["geo,2019,2020,2021", *rates, "DE,1.1,-3.7,3.2"]), ()),
        # Decimal commas, ';'-separated; one year alone, above values of another size.
        ("\n".join(["geo;2019;2020;2021", *european]), ("--decimal", ",")),
        ("country,2019\nAT,2\nBE,5.1\nBG,4.2\nCY,5", ()),
    ]:
        data.write_text(text + "\n")
        line = refused(1, "fit", data, *options, "-o", stats)
        assert why in line, line
        assert "--header or --no-header" in line, line
        assert not stats.exists()
        ok("fit", data, *options, "--header", "-o", stats)
        frame = pd.read_csv(
            data, sep=None, engine="python", decimal=options[-1] if options else "."
        )
        means = [c["mean"] for c in json.loads(stats.read_text())["columns"] if "mean" in c]
        np.testing.assert_allclose(means, frame.iloc[:, 1:].mean(), rtol=1e-12, atol=1e-12)
        stats.unlink()
    # Rows alike below (integers of its size where the others hold decimals), its value again
    # in a column, or an index counting on from it: data, as before; integers above integers of
    # other size beside text tell nothing either.
    for rows in [
        "AT,1,2\nBE,2.5,4.5\nBG,3,3",
        "7,2\n6.5,2.5\n5.25,2",
        "1,20\n2,20.5\n3,21.25",
        "North,2019,7\nSouth,3,8\nEast,4,9",
    ]:
        data.write_text(rows + "\n")
        assert "on 3 rows" in normkit_summary("fit", data, "-o", stats), rows


@pytest.mark.parametrize("width", [2, 3])
def test_years_counting_up_above_smaller_integers_are_not_taken_for_data(tmp_path, width):
    # 2010,2011(,2012) above counts of 5 to 96 and no text beside: the years were a row of data
    # (exit 0, means near 375 for counts near 48). No row below holds integers of their size:
    # refused. Rows of years below (a table of years) keep it data.
    data, stats = tmp_path / "y.csv", tmp_path / "s.json"
    rows = ["2010,2011,2012", "64,16,90", "27,44,55", "49,55,80", "5,55,38", "96,56,57"]
    data.write_text("".join(",".join(row.split(",")[:width]) + "\n" for row in rows))
    line = refused(1, "fit", data, "-o", stats)
    years = ", ".join(["2010", "2011", "2012"][:width])
    assert f"its integers ({years}) count up" in line, line
    assert "--header or --no-header" in line, line
    ok("fit", data, "--header", "-o", stats)
    means = [c["mean"] for c in json.loads(stats.read_text())["columns"]]
    np.testing.assert_allclose(means, pd.read_csv(data).mean(), rtol=1e-12)
    rows = ["2010,2011,2012", "2011,2013,2016", "2012,2014,2019"]
    data.write_text("".join(",".join(row.split(",")[:width]) + "\n" for row in rows))
    assert "on 3 rows" in normkit_summary("fit", data, "-o", stats)


@pytest.mark.parametrize(
    "years", ["2010,2015,2020", "2015,2020", "2020,2019", "1990,2000,2010,2020"]
)
def test_years_in_steps_or_any_order_above_smaller_integers_are_not_taken_for_data(tmp_path, years):
    # 2010,2015,2020 above counts near 20: read as a row of data (exit 0, a scale of 140 for
    # counts of spread 4.5), where years counting up by one were refused.
    rng = np.random.default_rng(4)
    width = len(years.split(","))
    data, stats = tmp_path / "y.csv", tmp_path / "s.json"
    body = "".join(",".join(map(str, rng.poisson(20, width))) + "\n" for _ in range(50))
    data.write_text(years + "\n" + body)
    line = refused(1, "fit", data, "-o", stats)
    assert f"its integers ({years.replace(',', ', ')}) read as years" in line, line
    assert "--header or --no-header" in line, line
    ok("fit", data, "--header", "-o", stats)
    means = [c["mean"] for c in json.loads(stats.read_text())["columns"]]
    np.testing.assert_allclose(means, pd.read_csv(data).mean(), rtol=1e-12)
    # A table of years (rows of their size below) is data.
    rows = [years, *(",".join(str(int(y) + k) for y in years.split(",")) for k in (1, 2))]
    data.write_text("\n".join(rows) + "\n")
    assert "on 3 rows" in normkit_summary("fit", data, "-o", stats)


def test_a_first_record_longer_than_the_head_is_read_as_the_rest(tmp_path):
    # np.savetxt of 5,000 columns: the head (64 KiB) held no whole record, the first one was
    # taken for a header of names such as '1.2573e-01' (one row lost, exit 0).
    values = np.random.default_rng(0).normal(size=(50, 5000))
    data = tmp_path / "wide.csv"
    np.savetxt(data, values, delimiter=",")
    stats = tmp_path / "s.json"
    summary = normkit_summary("fit", data, "-o", stats)
    assert "on 50 rows" in summary
    assert "no header" in summary
    columns = json.loads(stats.read_text())["columns"]
    means = [c["mean"] for c in columns]
    np.testing.assert_allclose(means, values.mean(axis=0), rtol=1e-12, atol=1e-15)
    piped = run_normkit("fit", "-", "-o", stats, stdin=data.read_bytes())  # a pipe alike
    assert piped.returncode == 0, piped.stderr
    assert "on 50 rows" in piped.stderr.decode()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_piped_first_record_longer_than_two_blocks_is_read_as_from_the_file(tmp_path, encoding):
    # The pipe's start was looked at through two blocks only: a first record longer than that
    # (and shorter than the longest a file's may be) was refused, 'the header changed while it
    # was read', or 'no data rows'.
    values = np.random.default_rng(1).normal(size=(4, 8000))
    data = tmp_path / "wide.csv"
    np.savetxt(data, values, delimiter=",", encoding=encoding)
    small = ("--csv-block-size", "64K")  # a record of 200 KB: over two blocks, under four
    assert len(data.read_bytes()) // 4 > 2 * 65536
    stats, piped = tmp_path / "s.json", tmp_path / "p.json"
    assert "on 4 rows" in normkit_summary("fit", data, *small, "-o", stats)
    proc = run_normkit("fit", "-", *small, "-o", piped, stdin=data.read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(piped.read_text())["columns"] == json.loads(stats.read_text())["columns"]
    out = run_normkit("transform", "-", "-s", stats, *small, "-o", "-", stdin=data.read_bytes())
    assert out.returncode == 0, out.stderr
    direct = run_normkit("transform", data, "-s", stats, *small, "-o", "-")
    assert out.stdout == direct.stdout
    # Longer than four blocks: refused as from the file, naming the option.
    proc = run_normkit("fit", "-", "--csv-block-size", "32K", stdin=data.read_bytes())
    assert proc.returncode == 1
    assert "a CSV row is longer than the block size allows" in proc.stderr.decode()


def test_a_block_size_given_to_the_fit_for_long_rows_travels_with_the_stat_file(tmp_path):
    # fit --csv-block-size 2M read a 5 MB field; transform and inverse of the same file then
    # refused it ('a CSV row is longer than the block size allows') until told again.
    data, stats = tmp_path / "long.csv", tmp_path / "s.json"
    pd.DataFrame({"x": [1.0, 2.0, 4.0], "t": ["a", "b" * 5_000_000, "c"]}).to_csv(data, index=False)
    assert run_normkit("fit", data, "-q", "-o", stats).returncode == 1
    ok("fit", data, "--csv-block-size", "2M", "-o", stats)
    assert json.loads(stats.read_text())["read"]["block_size"] == 2 << 20
    z, back = tmp_path / "z.csv", tmp_path / "back.csv"
    ok("transform", data, "-s", stats, "-o", z)
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_bytes() == data.read_bytes()
    ok("drift", data, "-s", stats)
    # A smaller block than the default needs no recording: the file (and its fingerprint,
    # which outputs record) is as before the key existed.
    ok("fit", SAMPLE_CSV, "--csv-block-size", "64K", "-o", stats)
    assert "block_size" not in json.loads(stats.read_text())["read"]


def test_a_record_that_splits_with_single_quotes_names_the_quote_option(tmp_path):
    # Written with quotechar="'" and a '"' in a field: 'expected 2 fields, got 3' named no way out.
    data = tmp_path / "single.csv"
    frame = pd.DataFrame({"x": [1.5, 2.5, 3.5, 4.5], "note": ["a, b", 'say "hi"', "c", "d"]})
    frame.to_csv(data, index=False, quotechar="'")
    proc = run_normkit("fit", data, "-o", tmp_path / "s.json")
    message = proc.stderr.decode()
    assert proc.returncode == 1, message
    assert "it splits into 2 with ' as the quote character: give it (--quote \"'\")" in message
    assert "on 4 rows" in normkit_summary("fit", data, "--quote", "'", "-o", tmp_path / "s.json")


def test_a_utf8_byte_order_mark_is_kept_in_csv_output(tmp_path):
    data, stats = tmp_path / "bom.csv", tmp_path / "s.json"
    data.write_bytes(b"\xef\xbb\xbfa,b\n1.5,x\n2.5,y\n4.0,z\n")
    normkit_summary("fit", data, "-o", stats)
    summary = normkit_summary("transform", data, "-s", stats, "-o", tmp_path / "z.csv")
    assert "byte-order mark" in summary
    z = (tmp_path / "z.csv").read_bytes()
    assert z.startswith(b"\xef\xbb\xbfa,b\n")
    assert z.count(b"\xef\xbb\xbf") == 1
    normkit_summary("inverse", tmp_path / "z.csv", "-s", stats, "-o", tmp_path / "back.csv")
    assert (tmp_path / "back.csv").read_bytes().startswith(b"\xef\xbb\xbfa,b\n")


@pytest.mark.parametrize("end", [b"\r\n", b"\n", b"\r"])
@pytest.mark.parametrize("mode", [[], ["--mode", "adaptive"]])
def test_csv_output_ends_its_lines_as_its_input_did(tmp_path, end, mode):
    """A CSV from Windows comes out with CRLF line ends, an old Mac's with CR (the records
    rewritten in place, and those written from batches alike), and its inverse gives the input
    back byte for byte."""
    data, stats, out = tmp_path / "w.csv", tmp_path / "s.json", tmp_path / "z.csv"
    rows = [b"a,b,note", b"1,2.5,x", b'3,5.5,"two' + end + b'lines"', b"4,9.25,y", b"8,1.5,z"]
    data.write_bytes(end.join(rows) + end)
    normkit_summary("fit", data, "-o", stats)
    normkit_summary("transform", data, "-s", stats, *mode, "-o", out)
    written = out.read_bytes()
    assert written.count(end) == len(rows) + 1  # every record, and the line inside the quotes
    others = {b"\r\n", b"\n", b"\r"} - {end}
    assert not any(other in written.replace(end, b"") for other in others)
    if not mode:
        back = tmp_path / "back.csv"
        normkit_summary("inverse", out, "-s", stats, "-o", back)
        assert back.read_bytes() == data.read_bytes()
    piped = run_normkit("transform", "-", "-s", stats, *mode, "-o", "-", stdin=data.read_bytes())
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == written


def test_a_header_longer_than_the_head_read_first_keeps_its_line_end(tmp_path):
    """The line end is the header record's own, however long the header (here 140 KB, beyond
    the 64 KiB read first to detect the dialect) and whatever line breaks its quoted names hold."""
    names = ['"first\nname"'] + [f"column_number_{i:05d}" for i in range(7000)]
    rows = [",".join(names)] + [",".join(str(i * k % 7) for k in range(7001)) for i in range(4)]
    data, stats, out = tmp_path / "wide.csv", tmp_path / "s.json", tmp_path / "z.csv"
    data.write_bytes("\r\n".join(rows).encode() + b"\r\n")
    normkit_summary("fit", data, "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", out)
    written = out.read_bytes()
    assert written.count(b"\r\n") == 5
    assert written.replace(b"\r\n", b"").count(b"\n") == 1  # the one inside the quotes


def test_per_column_values_name_columns_as_columns_does(tmp_path):
    # A name holding a comma, or spaces at its ends, is double-quoted as in --columns.
    data, stats, out = tmp_path / "n.csv", tmp_path / "s.json", tmp_path / "g.csv"
    data.write_text('"a,b", b ,c\n1,2,3\n4,5,6\n7,9,10\n')
    normkit_summary("fit", data, "--exclude", "c", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "--gamma", '"a,b"=2, " b "=3', "-o", out)
    plain = tmp_path / "p.csv"
    normkit_summary("transform", data, "-s", stats, "-o", plain)
    got = pd.read_csv(out, skipinitialspace=False)
    base = pd.read_csv(plain, skipinitialspace=False)
    np.testing.assert_allclose(got.iloc[:, 0], 2 * base.iloc[:, 0], rtol=1e-15)
    np.testing.assert_allclose(got.iloc[:, 1], 3 * base.iloc[:, 1], rtol=1e-15)
    drift = run_normkit("drift", data, "-s", stats, "--threshold", '"a,b"=0.5, " b "=0.4')
    assert drift.returncode == 0, drift.stderr


@pytest.mark.parametrize("spread", [1e-150, 1e-160, 1e-200])
def test_a_column_of_tiny_spread_is_saved_though_its_m4_underflows(tmp_path, spread):
    # Deviations of 1e-150 have fourth powers of 1e-600: M4 underflows to 0, which the stat
    # file's consistency check once took for impossible data, refusing the user's own fit.
    x = np.array([1.0, 2.0, 4.0, 8.0]) * spread
    path, stats = tmp_path / "t.csv", tmp_path / "s.json"
    path.write_text("x\n" + "".join(f"{float(v)!r}\n" for v in x))
    ok("fit", path, "-o", stats)
    column = json.loads(stats.read_text())["columns"][0]
    scaler = StandardScaler().fit(x[:, None])
    np.testing.assert_allclose(column["mean"], scaler.mean_[0], rtol=1e-15)
    np.testing.assert_allclose(column["scale"], scaler.scale_[0], rtol=1e-15)
    z = [float(v) for v in ok("transform", path, "-s", stats).splitlines()[1:]]
    np.testing.assert_array_equal(z, (x - column["mean"]) / column["scale"])


def test_a_number_written_otherwise_is_not_taken_for_a_header_below_a_title(tmp_path):
    # '2,5' is a number with a decimal comma, not a name: no hint to skip the header and the
    # first row as if they were a title.
    path = tmp_path / "t.csv"
    path.write_text("k;x\na;2,5\nb;\nc;1,25\n")
    line = refused(1, "fit", path)
    assert "--skip-rows" not in line
    assert line.startswith(f"{ERROR}{path}: column 'x' at data row 1: '2,5' is not a number; ")
    assert "(--decimal ,)" in line


def test_one_column_of_decimal_commas_is_told_how_to_read_it(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("v\n1,5\n2,25\n-0,5\n")
    line = refused(1, "fit", path)
    assert line.endswith(
        "or read it as one column of numbers with decimal commas (--delimiter ';' --decimal ,)"
    )
    stats = tmp_path / "s.json"
    ok("fit", path, "--delimiter", ";", "--decimal", ",", "-o", stats)
    [column] = json.loads(stats.read_text())["columns"]
    np.testing.assert_allclose(column["mean"], np.mean([1.5, 2.25, -0.5]), rtol=1e-15)
    # Two columns of integers: no such hint.
    path.write_text("v\n1,5\n2,x\n")
    assert "--decimal" not in refused(1, "fit", path)


@pytest.mark.parametrize("engine", [[], ["--engine", "dask", "--workers", "1"]])
def test_a_column_its_first_rows_type_boolean_but_holding_other_text_later_is_text(
    tmp_path, engine
):
    # The fit wrote a stat file its own reader refused ("category 'maybe' of a boolean column").
    path = tmp_path / "late.csv"
    rows = [f"{i},{'true' if i % 3 else 'False'}" for i in range(100_000)]
    path.write_text("x,flag\n" + "\n".join([*rows, "2,maybe"]) + "\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats, *engine)
    doc = json.loads(stats.read_text())
    assert doc["passthrough"] == [{"name": "flag", "dtype": "string", "why": "text"}]
    counts = {c["name"]: c["counts"] for c in doc["categories"]}["flag"]
    assert counts == {"true": 66_666, "false": 33_334, "maybe": 1}
    assert "no drift" in ok("drift", path, "-s", stats)
    ok("fit", path, "--columns", "x", "-o", stats, *engine)  # its reason kept
    doc = json.loads(stats.read_text())
    assert doc["passthrough"] == [{"name": "flag", "dtype": "string", "why": "not chosen"}]
    short = tmp_path / "short.csv"
    short.write_text("x,flag\n" + "\n".join(rows[:10]) + "\n")
    ok("fit", short, "-o", stats)
    assert json.loads(stats.read_text())["passthrough"][0]["dtype"] == "bool"


def test_a_leading_zero_after_first_rows_of_none_is_refused_not_dropped(tmp_path):
    # Postcodes sorted down: the first block has none with a leading zero, so the column is
    # typed int64, and '01234' further on came out as 1234 in Parquet with exit 0.
    rows = [f"{98765 - i % 8000:05d},{i % 7}" for i in range(20_000)] + ["01234,3", "01235,4"]
    path = tmp_path / "zip.csv"
    path.write_text("zip,x\n" + "\n".join(rows) + "\n")
    stats, out = tmp_path / "s.json", tmp_path / "z.parquet"
    ok("fit", path, "--exclude", "zip", "-o", stats)
    small = ("--csv-block-size", "64K")
    assert refused(1, "transform", path, "-s", stats, "-o", out, *small) == (
        f"{ERROR}{path}: column 'zip' at data row 20,001: '01234' is written "
        "with a leading zero, which an int64 would drop, and the values before it have none (a "
        "code rather than a number); keep the columns passed through as text (--keep-text)"
    )
    assert not out.exists()
    ok("transform", path, "-s", stats, "-o", out, *small, "--keep-text")
    assert pq.read_table(out).column("zip")[20_000].as_py() == "01234"
    # A second input whose first rows have no value there takes the first one's int64: the
    # same holds for it.
    other = tmp_path / "other.csv"
    other.write_text("zip,x\n" + ",1\n" * 30_000 + "12345,2\n01234,3\n")
    line = refused(
        1, "transform", path, other, "-s", stats, "-o", out, *small, "--chunk-rows", "999"
    )
    assert line.startswith(f"{ERROR}{path}: column 'zip' at data row 20,001: '01234' is written")
    cut = [r for r in rows if not r.startswith("0")]
    path.write_text("zip,x\n" + "\n".join(cut) + "\n")
    line = refused(1, "transform", path, other, "-s", stats, "-o", out, *small)
    assert line.startswith(f"{ERROR}{other}: column 'zip' at data row 30,002: '01234' is written")
    # Numbers of several widths with a stray leading zero among the first rows stay numbers
    # to a fit; passed through, they keep their text (05 and 07, not 5 and 7).
    rows = [f"{'05' if i == 3 else i % 1000},{i % 7}" for i in range(20_000)] + ["07,1"]
    path.write_text("n,x\n" + "\n".join(rows) + "\n")
    ok("fit", path, "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["n", "x"]
    ok("fit", path, "--exclude", "n", "-o", stats)
    ok("transform", path, "-s", stats, "-o", out, *small)
    assert pq.read_table(out).column("n").to_pylist()[-1] == "07"


def test_hexadecimal_integers_pass_through_as_written(tmp_path):
    # pyarrow types 0x1f as int64: an all-hex column stopped the fit ('0x1f' is not a
    # number), and, excluded, came out of a Parquet transform as 31 with exit 0.
    path = tmp_path / "hex.csv"
    path.write_text("a,b\n0,0x1f\n1,0x2a\n2,0X3\n")
    stats, out = tmp_path / "s.json", tmp_path / "z.parquet"
    ok("fit", path, "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["a"]
    ok("transform", path, "-s", stats, "-o", out)
    assert pq.read_table(out).column("b").to_pylist() == ["0x1f", "0x2a", "0X3"]
    # One past the first rows of decimal integers: refused, not written as 31.
    rows = [f"{i},{i * 7}" for i in range(20_000)] + ["5,0x1f"]
    path.write_text("a,b\n" + "\n".join(rows) + "\n")
    ok("fit", path, "--exclude", "b", "-o", stats)
    small, out = ("--csv-block-size", "64K"), tmp_path / "z2.parquet"
    line = refused(1, "transform", path, "-s", stats, "-o", out, *small)
    assert line.startswith(f"{ERROR}{path}: column 'b' at data row 20,001: '0x1f' is not int64")
    assert not out.exists()
    ok("transform", path, "-s", stats, "-o", out, *small, "--keep-text")
    assert pq.read_table(out).column("b")[20_000].as_py() == "0x1f"


def test_a_small_integer_beside_a_large_mean_comes_back(tmp_path):
    # -7 came back as -6.999996185302734 (the rounding of a mean of 2.5e10) and was refused as
    # "not an integer", with gamma and beta too.
    path = tmp_path / "i.csv"
    path.write_text("n,x\n3,1.5\n-7,2.5\n12,0.5\n100000000001,4\n")
    stats, z, back = tmp_path / "s.json", tmp_path / "z.parquet", tmp_path / "b.parquet"
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "--gamma", "-3", "--beta", "0.25", "-o", z)
    ok("inverse", z, "-s", stats, "-o", back)
    assert pq.read_table(back).column("n").to_pylist() == [3, -7, 12, 100000000001]


@pytest.mark.parametrize("mode", ["batch", "adaptive"])
@pytest.mark.parametrize(("fmt", "where"), [("parquet", "full batch"), ("csv", "last batch")])
def test_a_value_whose_batch_variance_overflows_is_refused_not_written_as_zeros(
    tmp_path, mode, fmt, where
):
    # One value of 1e160 made its batch's variance inf: the batch (batch mode) or every later
    # row (adaptive: the running variance) came out 0, exit 0; fit refuses such a column. In
    # adaptive mode the last batch's rows are normalized before it is learned: they are right,
    # and only the running statistics learned (--save-stats) are refused.
    rng = np.random.default_rng(7)
    n = 3_000
    clean = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(2.0, 3.0, size=n)})
    row = 1_234 if where == "full batch" else n - 3  # 0-based
    bad = clean.copy()
    bad.loc[row, "z"] = -1e160
    fitted, path = tmp_path / "clean.csv", tmp_path / f"bad.{fmt}"
    clean.to_csv(fitted, index=False)
    bad.to_parquet(path, index=False) if fmt == "parquet" else bad.to_csv(path, index=False)
    stats = tmp_path / "s.json"
    ok("fit", fitted, "--batch-size", "256", "-o", stats)
    out, learned = tmp_path / "out.parquet", tmp_path / "learned.json"
    what = "the batch" if mode == "batch" else "the rows after it"
    message = (
        f"{ERROR}{path}: column 'z' at data row {row + 1:,}: -1e+160 makes its batch's variance "
        f"overflow float64, so {what} would come out 0; rescale the column or normalize with "
        "the fitted statistics (--mode frozen)"
    )
    transform = ("transform", path, "-s", stats, "--mode", mode, "-o", out)
    if mode == "adaptive" and where == "last batch":
        ok(*transform)
        z = pq.read_table(out).column("z").to_numpy()
        assert np.isfinite(z).all()
        assert z[row] < -1e150
        assert (z[:row] != 0).all()
        out.unlink()
        assert refused(1, *transform, "--save-stats", learned) == message.replace(
            "so the rows after it would",
            "so the running variance learned would be infinite, and rows after it",
        )
    else:
        assert refused(1, *transform) == message
    assert not out.exists()
    assert not learned.exists()
    # As fit refuses the column.
    assert "column 'z': its variance overflows float64" in refused(1, "fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", out)  # the fitted statistics take it
    ok("transform", fitted, "-s", stats, "--mode", mode, "-o", out)


@pytest.mark.parametrize("out", ["z.parquet", "z.arrow"])
def test_integers_beyond_int64_passed_through_stay_text_not_rounded_floats(tmp_path, out):
    # 20-digit identifiers read as float64 (int64 cannot hold them), and so were written to
    # Parquet and Arrow: 12345678901234567890 and ...891 both became 1.2345678901234567e19.
    ids = [str(12345678901234567890 + i) for i in range(40)] + ["", "-5"]
    path = tmp_path / "ids.csv"
    path.write_text("id,x,f\n" + "".join(f"{v},{i * 0.5},{i}.0\n" for i, v in enumerate(ids)))
    stats = tmp_path / "s.json"
    normkit_summary("fit", path, "--columns", "x", "-o", stats)
    normkit_summary("transform", path, "-s", stats, "-o", tmp_path / out)
    table = (pq.read_table if out.endswith(".parquet") else read_arrow)(tmp_path / out)
    assert table.schema.field("id").type == pa.string()
    assert table.column("id").to_pylist() == [v or None for v in ids]
    assert table.schema.field("f").type == pa.float64()  # floats, and integers of int64: floats
    # By default it is text too (it was normalized, its identifiers rounded alike); chosen by
    # name, numbers.
    assert "passed through: id (text)" in normkit_summary("fit", path, "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["x", "f"]
    normkit_summary("fit", path, "--columns", "id,x,f", "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["id", "x", "f"]


def test_the_summary_says_when_no_batch_updated_the_running_statistics(tmp_path):
    # 442 rows in batches of 1,000 without the last partial one: the running statistics stayed
    # BatchNorm's start (0 and 1), and --use ema left the data raw, with nothing said.
    path = tmp_path / "d.csv"
    path.write_text("x\n" + "".join(f"{i * 1.5}\n" for i in range(442)))
    said = "running statistics: not updated (no whole batch of 1,000 rows"
    summary = normkit_summary(
        "fit", path, "--batch-size", "1000", "--drop-last", "-o", tmp_path / "s.json"
    )
    assert said in summary
    assert said not in normkit_summary(
        "fit", path, "--batch-size", "1000", "-o", tmp_path / "t.json"
    )
    assert said not in normkit_summary("fit", path, "--no-ema", "-o", tmp_path / "u.json")


def test_an_arrow_file_of_row_groups_with_other_dictionaries_unites_them(tmp_path):
    # Parquet row groups of other categories: pyarrow's "Dictionary replacement detected when
    # writing IPC file format" (exit 1, no way out named). Their categories are read first and
    # united; from a pipe, which cannot be read twice, refused with a way out. An Arrow stream
    # holds them.
    d = pa.chunked_array(
        [pa.array(["a", "b"]).dictionary_encode(), pa.array(["c", "b"]).dictionary_encode()]
    )
    data, stats = tmp_path / "rg.parquet", tmp_path / "s.json"
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0, 4.5], "d": d}), data, row_group_size=2)
    ok("fit", data, "-o", stats)
    for suffix in (".arrow", ".feather"):
        out = tmp_path / f"z{suffix}"
        ok("transform", data, "-s", stats, "-o", out)
        written = ipc.open_file(out)
        assert [written.get_batch(i).column("d").dictionary.to_pylist() for i in (0, 1)] == [
            ["a", "b", "c"]
        ] * 2
        assert written.read_all().column("d").to_pylist() == ["a", "b", "c", "b"]
        out.unlink()
        proc = run_normkit("transform", "-", "-s", stats, "-o", out, stdin=data.read_bytes())
        assert proc.returncode == 1
        assert proc.stderr.decode() == (
            f"{ERROR}{out}: column 'd' has other categories (its dictionary) in a later batch, "
            "and an Arrow IPC file holds one dictionary a column; write an Arrow stream "
            "(.arrows) or Parquet, which hold one a batch\n"
        )
        assert not out.exists()
    ok("transform", data, "-s", stats, "-o", tmp_path / "z.arrows")
    table = ipc.open_stream(tmp_path / "z.arrows").read_all()
    assert table.column("d").to_pylist() == ["a", "b", "c", "b"]
    # One dictionary in every batch: written.
    pq.write_table(
        pa.table({"x": [1.0, 2.0, 3.0, 4.5], "d": d.unify_dictionaries()}), data, row_group_size=2
    )
    ok("transform", data, "-s", stats, "-o", tmp_path / "z.arrow")
    assert ipc.open_file(tmp_path / "z.arrow").read_all().column("d").to_pylist() == [
        "a",
        "b",
        "c",
        "b",
    ]


def test_a_header_read_as_a_row_is_told_the_option_or_the_fit_that_decided(tmp_path):
    # fit --no-header of a file with a header was told to "fit on data with that header (the
    # fit's had none)": the transform's words.
    data, stats = tmp_path / "a.csv", tmp_path / "s.json"
    data.write_text("id,x,y\n1,1.5,10\n2,2.5,20\n3,4,30\n")
    line = refused(1, "fit", data, "--no-header", "-o", stats)
    assert (
        "'id' is not a number; if the first row names the columns, read it as a header (--header)"
        in line
    )
    (tmp_path / "rows.csv").write_text("1,1.5,10\n2,2.5,20\n")
    ok("fit", tmp_path / "rows.csv", "-o", stats)
    line = refused(1, "transform", data, "-s", stats, "-o", tmp_path / "z.csv")
    assert (
        "if the first row names the columns, fit on data with that header (the fit's had none)"
        in line
    )


@pytest.mark.parametrize(
    ("line", "what", "shown"),
    [
        (" ", "only white space", " "),
        ("\t", "only white space", "\\t"),
        ("\x1a", "a DOS end-of-file mark (Ctrl-Z)", "\\x1a"),
    ],
)
def test_a_line_of_white_space_is_told_to_be_removed(tmp_path, line, what, shown):
    # "expected 2 fields, got 1" with nothing to try.
    data = tmp_path / "w.csv"
    data.write_text(f"a,b\n1,2\n3,4\n{line}\n5,7\n")
    assert refused(1, "fit", data, "-o", tmp_path / "s.json") == (
        f"{ERROR}{data} at data row 3 (line 4): malformed CSV: expected 2 fields, got 1: {shown}; the line "
        f"holds {what}, no record: remove it"
    )


def test_a_header_one_name_short_of_the_rows_is_told_what_to_add(tmp_path):
    # R's write.table (sep=","): a header without a name for the rows' names. --skip-rows 0,
    # which was offered, then failed too ("expected 2 fields, got 3").
    data = tmp_path / "r.csv"
    data.write_text('"x","y"\n"1",1.5,2\n"2",2.5,3\n"3",4,5\n')
    line = refused(1, "fit", data, "-o", tmp_path / "s.json")
    assert "if the rows start with names the header leaves out (as R's write.table" in line
    assert "--skip-rows 0" not in line
    data.write_text('"","x","y"\n"1",1.5,2\n"2",2.5,3\n"3",4,5\n')
    ok("fit", data, "-o", tmp_path / "s.json")
    # A title of one field above rows of three: the header to fit the rows, or the title skipped.
    data.write_text("Report on things\n1,1.5,2\n2,2.5,3\n3,4,5\n")
    line = refused(1, "fit", data, "-o", tmp_path / "s.json")
    assert "if it is the header, make it name each of the rows' 3 fields" in line


def test_a_column_empty_in_the_first_file_and_text_in_the_next_is_text(tmp_path):
    # It was chosen for numbers by the first file's type (none) and the next file's first word
    # refused, told to "leave it out of the columns chosen (--columns)", which were not given.
    empty, texts = tmp_path / "a.csv", tmp_path / "b.csv"
    empty.write_text("x,code\n4,\n5,\n6,\n")
    texts.write_text("x,code\n1,p\n2,q\n3,p\n")
    docs = [json.loads(ok("fit", *order, "-o", "-")) for order in ((empty, texts), (texts, empty))]
    for doc in docs:
        assert [c["name"] for c in doc["columns"]] == ["x"]
        assert doc["passthrough"] == [{"name": "code", "dtype": "string", "why": "text"}]
    assert docs[0]["categories"] == docs[1]["categories"]
    assert docs[0]["categories"][0]["counts"] == {"p": 2, "q": 1}
    # Empty in the first, numbers in the next: fitted on the next one's numbers, as before.
    texts.write_text("x,code\n1,1.5\n2,2.5\n3,4\n")
    doc = json.loads(ok("fit", empty, texts, "-o", "-"))
    code = next(c for c in doc["columns"] if c["name"] == "code")
    assert (code["count"], code["missing"], code["mean"]) == (3, 3, pytest.approx(8 / 3, rel=1e-15))


def test_a_repeated_null_values_option_adds_every_string(tmp_path):
    # --null-values -999 --null-values '?' kept only '?': -999 was fitted as a value (a mean of
    # -396 for values from 5 to 7), exit 0. Repeated, as --exclude, every string counts.
    data = tmp_path / "s.csv"
    data.write_text("x,y\n1,-999\n2,5\n3,?\n4,7\n5,-999\n6,6\n")
    repeated = json.loads(ok("fit", data, "--null-values", "-999", "--null-values", "?", "-o", "-"))
    listed = json.loads(ok("fit", data, "--null-values", "-999,?", "-o", "-"))
    y = [next(c for c in doc["columns"] if c["name"] == "y") for doc in (repeated, listed)]
    assert y[0] == y[1]
    assert (y[0]["count"], y[0]["missing"], y[0]["mean"]) == (3, 3, 6.0)


def test_a_varying_column_scaled_by_1_by_scikit_learn_s_rule_is_noted(tmp_path):
    # A spread of 0.29 about 1e12: over 1,000 rows it is its scale, over 5,000 scikit-learn's
    # constant-column rule makes the scale 1 (normkit's too, as StandardScaler's), so shards fitted
    # apart and their merge disagreed, without a word.
    rng = np.random.default_rng(3)
    shards = []
    for k in range(5):
        path = tmp_path / f"part{k}.csv"
        pd.DataFrame({"x": 1e12 + rng.random(1000), "y": rng.random(1000)}).to_csv(
            path, index=False
        )
        shards.append(tmp_path / f"part{k}.json")
        summary = run_normkit("fit", path, "-o", shards[-1]).stderr.decode()
        assert "note" not in summary
        assert normkit.load(shards[-1]).scale_[0] != 1.0
    merged = run_normkit("merge-stats", *shards, "-o", tmp_path / "m.json").stderr.decode()
    whole = run_normkit("fit", tmp_path, "-o", tmp_path / "all.json").stderr.decode()
    note = (
        "normkit: note: column 'x' has scale 1, scikit-learn's for a column it cannot tell from a "
        "constant: its standard deviation 0.29"
    )
    assert merged.startswith(note)
    assert whole.startswith(note)
    assert merged.count("normkit: note:") == whole.count("normkit: note:") == 1
    assert whole.splitlines()[0].endswith("own spread (--eps 1e-12, for instance)")
    assert normkit.load(tmp_path / "all.json").scale_[0] == 1.0
    # A merge that cannot be written says nothing but why (the note came first).
    failed = run_normkit("merge-stats", *shards, "-o", tmp_path / "no" / "m.json").stderr.decode()
    assert failed.startswith("normkit: error:")
    assert "note" not in failed
    # The library says it too, as a warning at the caller's line, its way out in Python's
    # spelling (trials 124, 125: the CLI noted it, Python said nothing).
    said = "column 'x' has scale 1, scikit-learn's for a column it cannot tell from a constant"
    frame = pd.concat([pd.read_csv(tmp_path / f"part{k}.csv") for k in range(5)])
    loaded = [normkit.load(p) for p in shards]
    for told, times in (
        (lambda: normkit.merge_stat_files(shards), 1),
        (lambda: functools.reduce(lambda a, b: a.merge(b), loaded), 4),  # each merge of 2,000+
        (lambda: normkit.fit_files(tmp_path), 1),
        (lambda: normkit.Standardizer().fit(frame), 1),
        (lambda: normkit.Standardizer().partial_fit(frame).finish(), 1),
    ):
        with pytest.warns(normkit.NormkitNote, match=said) as caught:
            told()
        notes = [w for w in caught if issubclass(w.category, normkit.NormkitNote)]
        assert len(notes) == times
        assert {w.filename for w in notes} == {__file__}
        assert str(notes[0].message).endswith("own spread (eps=1e-12, for instance)")
    assert normkit.Standardizer(eps=1e-12).fit(frame).scale_[0] != 1.0  # the way out works
    with warnings.catch_warnings():
        warnings.simplefilter("error", normkit.NormkitNote)
        normkit.Standardizer().fit(frame.iloc[:1000])  # its spread is its scale: no note
    # With an eps, the column is divided by its spread: no note.
    quiet = run_normkit("fit", tmp_path, "--eps", "1e-12", "-o", tmp_path / "e.json")
    assert "note" not in quiet.stderr.decode()


def test_a_varying_column_whose_variance_underflows_is_noted(tmp_path):
    # Values near 1e-200 that vary by a third: their variance underflows to 0, and the scale is 1
    # (StandardScaler's too), so the output kept them as 1e-200, all but zeros, without a word,
    # where the mirror case (1e300) is refused.
    rng = np.random.default_rng(3)
    data, stats = tmp_path / "t.csv", tmp_path / "s.json"
    tiny = rng.normal(1, 0.3, 500) * 1e-200
    pd.DataFrame({"v": tiny, "w": rng.normal(size=500)}).to_csv(data, index=False)
    summary = run_normkit("fit", data, "-o", stats).stderr.decode()
    assert summary.startswith(
        f"normkit: note: column 'v': its values (from {tiny.min():.3g} to {tiny.max():.3g}) vary, "
        "but their variance (0) underflows float64: it has scale 1, as scikit-learn's "
        "StandardScaler gives it; rescale the column"
    ), summary
    fitted = normkit.load(stats)
    sk = StandardScaler().fit(tiny.reshape(-1, 1))
    assert fitted.scale_[0] == sk.scale_[0] == 1.0
    # A constant column, or one that varies by rounding alone, is no such column.
    pd.DataFrame({"v": [1e-200] * 5 + [np.nextafter(1e-200, 1)], "w": range(6)}).to_csv(
        data, index=False
    )
    assert "note" not in run_normkit("fit", data, "-o", stats).stderr.decode()


def test_gamma_or_beta_given_for_some_columns_keeps_the_others_stored(tmp_path):
    # A stat file holds gamma -2 for 'age' and beta 0.5 for 'temp'; a transform given gamma for
    # 'income' alone keeps them (the help says "default: as stored"), in its output, in the
    # statistics an adaptive one saves and in the library.
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 12, 300),
            "income": rng.lognormal(10, 1, 300),
            "temp": rng.normal(-3, 0.5, 300),
        }
    )
    data, stats = tmp_path / "d.csv", tmp_path / "s.json"
    frame.to_csv(data, index=False)
    ok("fit", data, "--gamma", "age=-2", "--beta", "temp=0.5", "-o", stats)
    out, saved = tmp_path / "out.csv", tmp_path / "next.json"
    ok("transform", data, "-s", stats, "--gamma", "income=3", "-o", out)
    adaptive = ["--mode", "adaptive", "-o", tmp_path / "a.csv", "--save-stats", saved]
    ok("transform", data, "-s", stats, "--gamma", "income=3", *adaptive)
    scaler = StandardScaler().fit(frame)
    z = pd.DataFrame(scaler.transform(frame), columns=frame.columns)
    expected = pd.DataFrame(
        {"age": -2 * z["age"], "income": 3 * z["income"], "temp": z["temp"] + 0.5}
    )
    np.testing.assert_allclose(
        pd.read_csv(out).to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-12
    )
    again = normkit.load(saved)
    assert list(again.gamma_) == [-2.0, 3.0, 1.0]
    assert list(again.beta_) == [0.0, 0.0, 0.5]
    library = normkit.load(stats).transform(frame, gamma={"income": 3.0})
    np.testing.assert_allclose(library.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-12)


def test_save_stats_over_the_record_of_its_own_output_is_refused(tmp_path, sample_stats):
    # The stat file would replace the CSV's record, and its inverse would then fail.
    out, record = tmp_path / "o2.csv", tmp_path / ".o2.csv.normkit.json"
    line = refused(
        1, "transform", SAMPLE_CSV, "-s", sample_stats, "--mode", "adaptive",
        "-o", out, "--save-stats", record,
    )  # fmt: skip
    assert line == (
        f"{ERROR}{record}: --save-stats would overwrite the record normkit keeps beside the "
        f"output {out} (how it was made, which later commands read back with it); name another "
        "file"
    )
    assert not out.exists()
    assert not record.exists()


def test_an_output_over_the_record_of_an_input_is_refused(tmp_path, sample_stats):
    # The record says how the CSV was made: a stat file, or a report, written over it would
    # leave the CSV refused as having a damaged record.
    data = tmp_path / "z.csv"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", data)
    record = tmp_path / ".z.csv.normkit.json"
    kept = record.read_bytes()
    line = refused(1, "fit", data, "-o", record)
    assert line == (
        f"{ERROR}{record}: the stat file would overwrite the record normkit keeps beside the "
        f"input {data} (how it was made, which later commands read back with it); name another "
        "file"
    )
    line = refused(1, "transform", data, "-s", sample_stats, "--renormalize",
                   "--output-format", "csv", "-o", record)  # fmt: skip
    assert "the output would overwrite the record normkit keeps beside the input" in line
    assert record.read_bytes() == kept
    # Nor the record of a CSV file the command does not read: written by another command, it
    # would leave that file refused as having a damaged record.
    other = tmp_path / "other.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", other)
    line = refused(1, "inverse", other, "-s", sample_stats, "--output-format", "csv",
                   "-o", record)  # fmt: skip
    assert line == (
        f"{ERROR}{record}: the output would overwrite the record normkit keeps beside {data} "
        "(how it was made, which later commands read back with it); name another file"
    )
    assert record.read_bytes() == kept
    ok("inverse", data, "-s", sample_stats, "-o", tmp_path / "back.csv")


def test_a_stat_file_that_is_compressed_or_a_torch_file_is_told_what_to_do(tmp_path, sample_stats):
    import gzip

    packed = tmp_path / "st.json.gz"
    packed.write_bytes(gzip.compress(sample_stats.read_bytes()))
    line = refused(1, "transform", SAMPLE_CSV, "-s", packed)
    assert line == (
        f"{ERROR}{packed}: not a normkit stat file (not UTF-8 text); it is gzip-compressed: "
        "decompress it (a stat file is read as plain JSON text)"
    )
    torch_hint = (
        "it is a torch state dict (safetensors, or torch.save's .pt): 'normkit import-torch' "
        "(normkit.import_torch in Python) makes a stat file of a BatchNorm layer in it"
    )
    from safetensors.numpy import save_file

    layer = tmp_path / "bn.safetensors"
    save_file({"running_mean": np.zeros(3), "running_var": np.ones(3)}, str(layer))
    small = tmp_path / "zeros.safetensors"  # its bytes all UTF-8
    save_file({"a": np.zeros(4, dtype=np.uint8)}, str(small))
    for path, what in ((layer, "not UTF-8 text"), (small, "not JSON")):
        line = refused(1, "drift", SAMPLE_CSV, "-s", path)
        assert line == f"{ERROR}{path}: not a normkit stat file ({what}); {torch_hint}"
    # .bin names a torch pickle and any binary file: only a pickle's or zip's bytes tell (any
    # was sent to import-torch, which then failed on it).
    import torch

    pickled, other = tmp_path / "pytorch_model.bin", tmp_path / "data.bin"
    torch.save({"running_mean": torch.zeros(3)}, pickled)
    other.write_bytes(bytes(range(256)) * 8)
    line = refused(1, "drift", SAMPLE_CSV, "-s", pickled)
    assert line == f"{ERROR}{pickled}: not a normkit stat file (not UTF-8 text); {torch_hint}"
    arrays, noise = tmp_path / "arrays.bin", tmp_path / "noise.safetensors"
    np.savez(tmp_path / "arrays.npz", x=np.zeros(3))  # a zip too, but NumPy's
    (tmp_path / "arrays.npz").rename(arrays)
    noise.write_bytes(bytes(range(256)) * 8)
    for path in (other, arrays, noise):
        line = refused(1, "drift", SAMPLE_CSV, "-s", path)
        assert line == f"{ERROR}{path}: not a normkit stat file (not UTF-8 text)"


def test_a_data_file_given_as_the_stat_file_is_refused_before_it_is_read_whole(tmp_path):
    # The stat file was read whole before it was looked at: a 159 MB CSV given as the stat file
    # took 534 MB, and /dev/zero grew without end.
    line = refused(1, "drift", SAMPLE_CSV, "-s", "/dev/zero")  # within run_normkit's timeout
    assert line == f"{ERROR}/dev/zero: not a normkit stat file (not JSON)"
    line = refused(1, "transform", tmp_path / "s.json", "-s", SAMPLE_CSV, "-o", tmp_path / "o.csv")
    assert line.startswith(f"{ERROR}{SAMPLE_CSV}: not a normkit stat file (not a JSON object: it ")
    # JSON of another kind, a data set as records (pandas' to_json): told from its start too.
    records = tmp_path / "records.json"
    pd.DataFrame({"x": np.arange(20_000) / 7}).to_json(records, orient="records", lines=True)
    assert records.stat().st_size > 1 << 16
    line = refused(1, "drift", SAMPLE_CSV, "-s", records)
    assert (
        line
        == f'{ERROR}{records}: not a normkit stat file (no "format": "normkit.stats" at its start)'
    )


def test_export_help_says_numpy_takes_no_use(sample_stats):
    text = " ".join(ok("export", "--help").split())
    assert "Not for numpy, whose .npz holds every statistic as fitted." in text
    assert refused(2, "export", "-s", sample_stats, "--to", "numpy", "--use", "exact", "-o", "-")


@pytest.mark.parametrize("at", [3, 15_000])
def test_a_missing_value_marker_alone_on_its_line_is_never_a_comment(tmp_path, at):
    # '#N/A' alone on a line in a file's first lines was taken for a comment (its row lost,
    # exit 0: pandas reads a row of missing values); further down it was refused with the hint
    # to read '#' lines as comments, which drops it too.
    rng = np.random.default_rng(0)
    rows = [f"{x:.3f},{y:.3f}\n" for x, y in rng.normal(size=(20_000, 2))]
    rows.insert(at, "#N/A\n")
    path = tmp_path / "d.csv"
    path.write_text("x,y\n" + "".join(rows))
    assert refused(1, "fit", path, "-o", tmp_path / "s.json") == (
        f"{ERROR}{path} at data row {at + 1:,} (line {at + 2:,}): malformed CSV: expected 2 fields, got 1: #N/A; "
        "'#N/A' alone on its line is a row of missing values to pandas, not a comment: write a "
        "field for every column, or remove the line"
    )


def test_the_options_inverse_needs_name_a_quoted_column_as_it_reads_back(tmp_path):
    # Said as --gamma "q"=2.0, which names the column q: the inverse then undid the wrong one.
    data = tmp_path / "q.csv"
    data.write_text('"""q""",q,r\n1,10,5\n2,20,6\n3,30,8\n4,45,9\n')
    stats = tmp_path / "s.json"
    ok("fit", data, "-o", stats)
    proc = run_normkit("transform", data, "-s", stats, "--gamma", '"""q"""=2,r=3')
    assert proc.returncode == 0
    told = proc.stderr.decode().splitlines()[0]
    assert told == (
        "normkit: standard output keeps no record of how it was normalized: give inverse "
        '--gamma \'"""q"""=2.0,r=3.0\''
    )
    # Given as told (through a shell), the inverse gives the data back.
    z = tmp_path / "z.csv"
    z.write_bytes(proc.stdout)
    words = shlex.split(told.split("give inverse ")[1])
    ok("inverse", z, "-s", stats, *words, "-o", tmp_path / "back.csv")
    back = pd.read_csv(tmp_path / "back.csv")
    np.testing.assert_allclose(back.to_numpy(), pd.read_csv(data).to_numpy(), rtol=1e-12)


def test_inspect_names_a_quoted_column_alike_in_every_table(tmp_path):
    # The statistics' table showed '"""q"""' and the affine one '"q"' (which reads as q).
    data = tmp_path / "q.csv"
    data.write_text('"""q""",q,r\n1,10,5\n2,20,6\n3,30,8\n4,45,9\n')
    ok("fit", data, "--gamma", '"""q"""=2', "-o", tmp_path / "s.json")
    shown = run_normkit("inspect", tmp_path / "s.json").stdout.decode()
    affine = shown.split("y = gamma * z + beta")[1].splitlines()
    assert [line.split()[:2] for line in affine[2:5]] == [['"""q"""', "2"], ["q", "1"], ["r", "1"]]


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("1\u00a0234,5", True),  # a no-break space: French spreadsheets
        ("1\u202f234,5", True),  # a narrow one: Swiss
        ("1 234,5", True),  # a space before a fraction
        ("555 123 456", False),  # a space alone: a phone number's, text
    ],
)
def test_thousands_grouped_by_spaces_stop_a_fit_not_turn_the_column_to_text(
    tmp_path, text, refused
):
    """`1 234,5` (no-break spaces, in most of the values) made the column text, passed through
    un-normalized with exit 0, where `1.234,5` and `1'234,5` stopped the fit with the hint."""
    path = tmp_path / "fr.csv"
    values = ["12,5", text, text.replace("1", "2", 1), text.replace("1", "3", 1)]
    path.write_text("id;montant;x\n" + "".join(f"{i};{v};{i}\n" for i, v in enumerate(values)))
    if refused:
        line = normkit_error(1, "fit", path, "--decimal", ",", "--exclude", "id")
        assert "column 'montant' at data row 2:" in line, line
        assert "write the numbers without thousands separators" in line, line
    else:
        summary = normkit_summary("fit", path, "--decimal", ",", "--exclude", "id")
        assert "montant (text)" in summary, summary
