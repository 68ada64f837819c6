"""A missing value that is a number (``--null-values -999``) is missing in the normalized columns
of every input format: a CSV and its Parquet and Arrow copies give the same statistics, outputs
and drift. It was once read as missing in a CSV only: the Parquet copy's -999 counted in the
mean, and came out of a transform as -802.85, exit 0."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import read_arrow, run_normkit

from normkit import Standardizer, fit_files
from normkit.io.options import CsvOptions, ReadOptions

# -999 as the CSV writes it in both columns ("-999" and "-999.0"); -999.5 is a value.
FRAME = pd.DataFrame(
    {
        "x": [1.5, -999.0, 2.5, 4.0, -999.5, 7.0],
        "n": pd.array([3, 8, -999, 5, 1, 2], dtype="int64"),
        "id": ["a", "b", "c", "d", "e", "f"],
    }
)


def ok(*args) -> bytes:
    proc = run_normkit(*args, "-q")
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


@pytest.fixture
def copies(tmp_path):
    """The frame as CSV, Parquet and Arrow files."""
    csv = tmp_path / "d.csv"
    FRAME.to_csv(csv, index=False)
    FRAME.to_parquet(tmp_path / "d.parquet")
    FRAME.to_feather(tmp_path / "d.arrow")
    return [csv, tmp_path / "d.parquet", tmp_path / "d.arrow"]


def _numbers(stats_path) -> dict:
    """Each column's statistics, from the stat file."""
    document = json.loads(stats_path.read_text())
    keys = ("count", "missing", "mean", "m2", "min", "max")
    return {c["name"]: {k: c[k] for k in keys if k in c} for c in document["columns"]}


def test_fit_of_a_csv_and_its_parquet_and_arrow_copies_give_the_same_statistics(copies, tmp_path):
    fitted = []
    for i, path in enumerate(copies):
        stats = tmp_path / f"s{i}.json"
        ok("fit", path, "--exclude", "id", "--null-values", "-999", "-o", stats)
        fitted.append(_numbers(stats))
    assert fitted[0]["x"]["missing"] == 1
    assert fitted[0]["n"]["missing"] == 1
    assert fitted[0]["x"]["min"] == -999.5  # a value near the missing one is a value
    assert fitted[1] == fitted[0]
    assert fitted[2] == fitted[0]


def test_fit_of_files_in_the_library_alike(copies):
    read = ReadOptions(csv=CsvOptions(add_null_values=("-999",)))
    fitted = [fit_files([path], Standardizer(exclude=["id"]), read=read) for path in copies]
    for other in fitted[1:]:
        np.testing.assert_array_equal(other.n_missing_, fitted[0].n_missing_)
        np.testing.assert_array_equal(other.mean_, fitted[0].mean_)
        np.testing.assert_array_equal(other.var_, fitted[0].var_)
    np.testing.assert_array_equal(fitted[0].n_missing_, [1, 1])


@pytest.mark.parametrize("given", [False, True])
def test_transform_of_typed_copies_by_statistics_recording_the_number(copies, tmp_path, given):
    """The stat file's -999 (or one given to the transform) is missing in the Parquet and Arrow
    copies: null in the output, as the CSV's empty field, not -999 normalized."""
    stats = tmp_path / "s.json"
    if given:
        ok("fit", copies[0], "--exclude", "id", "-o", stats)  # a fit that read -999 as a number
        more = ("--null-values", "-999")
    else:
        ok("fit", copies[0], "--exclude", "id", "--null-values", "-999", "-o", stats)
        more = ()
    outputs = []
    for path in copies:
        out = tmp_path / f"z_{path.suffix[1:]}.parquet"
        ok("transform", path, "-s", stats, *more, "-o", out)
        outputs.append(pq.read_table(out).select(["x", "n"]))
    assert outputs[0].column("x").null_count == 1
    assert outputs[0].column("n").null_count == 1
    assert outputs[0].column("x").to_pylist()[1] is None
    assert outputs[1].equals(outputs[0])
    assert outputs[2].equals(outputs[0])
    # Arrow out, from Parquet in: the same nulls.
    arrow = read_arrow(
        ok("transform", copies[1], "-s", stats, *more, "--output-format", "arrow", "-o", "-")
    )
    assert arrow.select(["x", "n"]).equals(outputs[0])


def test_drift_of_typed_copies_counts_the_number_as_missing(copies, tmp_path):
    stats = tmp_path / "s.json"
    ok("fit", copies[0], "--exclude", "id", "--null-values", "-999", "-o", stats)
    reports = []
    for path in copies:
        proc = run_normkit("drift", path, "-s", stats, "--json", "-q")
        assert proc.returncode in (0, 3), proc.stderr.decode()
        columns = json.loads(proc.stdout)["columns"]
        reports.append({c["name"]: (c["count"], c["missing"], c["mean"]) for c in columns})
    assert reports[0]["x"][:2] == (5, 1)
    assert reports[1] == reports[0]
    assert reports[2] == reports[0]


def test_the_numbers_among_missing_value_strings():
    """As the engine reads them: with the decimal separator, else with '.'; finite only."""
    from normkit.io.formats import missing_numbers

    nulls = ("", "NA", "-999", " -999.0 ", "1,5", "2.5", "nan", "inf", "1e999", "1_0", "-0")
    assert missing_numbers(nulls) == (-999.0, 2.5, 0.0)
    assert missing_numbers(nulls, ",") == (-999.0, 1.5, 2.5, 0.0)
    assert CsvOptions(add_null_values=("-999",)).missing_numbers == (-999.0,)


def test_a_non_nullable_typed_column_becomes_nullable(tmp_path):
    """A Parquet column declared not null holds -999: its output holds a null, so its field is
    nullable (a sink checks every batch against the schema known before reading)."""
    schema = pa.schema([pa.field("x", pa.float64(), nullable=False)])
    path = tmp_path / "nn.parquet"
    pq.write_table(pa.table({"x": [1.0, -999.0, 3.0]}, schema=schema), path)
    stats = tmp_path / "s.json"
    ok("fit", path, "--null-values", "-999", "-o", stats)
    assert _numbers(stats)["x"]["missing"] == 1
    out = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", out)
    table = pq.read_table(out)
    assert table.schema.field("x").nullable
    assert table.column("x").to_pylist() == [-1.0, None, 1.0]


def test_a_number_missing_in_a_float32_column_is_missing_as_float32_holds_it(tmp_path):
    """`--null-values -999.9` over a float32 Parquet column: its -999.9 (as float32,
    -999.9000244140625) counted as data (mean -325.6, exit 0), where numpy, pandas and Polars
    compare it equal; and a float32 layer exported from the statistics made NaN of what the
    transform kept. Only a float32 (or float16) column's values are so compared: in a float64
    or int64 column, or a CSV, 100000000 is no 99999999, though float32 holds both alike."""
    x = np.array([10, 11, 12, -999.9, 13, -999.9], dtype=np.float32)
    assert (pd.Series(x) == -999.9).sum() == 2
    half = np.array([1, 2, -999.9, 4], dtype=np.float16)  # -999.9 is -1000 there
    parquet, stats = tmp_path / "f.parquet", tmp_path / "s.json"
    pd.DataFrame({"x": x}).to_parquet(parquet, index=False)
    ok("fit", parquet, "--null-values", "-999.9", "-o", stats)
    column = json.loads(stats.read_text())["columns"][0]
    assert (column["count"], column["missing"]) == (4, 2), column
    assert column["mean"] == pytest.approx(11.5, rel=1e-12)
    z = tmp_path / "z.parquet"
    ok("transform", parquet, "-s", stats, "-o", z)
    written = pq.read_table(z).column("x").to_pylist()
    assert [i for i, v in enumerate(written) if v is None] == [3, 5]
    import torch

    import normkit

    layer = normkit.to_torch(stats, use="exact", dtype="float32")
    out = layer(torch.from_numpy(x[:, None])).detach().numpy().ravel()
    assert np.isnan(out).tolist() == [False, False, False, True, False, True]
    pq.write_table(pa.table({"h": half}), tmp_path / "h.parquet")
    ok("fit", tmp_path / "h.parquet", "--null-values", "-999.9", "-o", stats)
    assert json.loads(stats.read_text())["columns"][0]["missing"] == 1
    # Wider columns compare as float64: no false match of a float32 rounding.
    wide = pd.DataFrame({"i": [100_000_000, 5, 99_999_999, 7], "f": [1e8, 5.0, 99_999_999.0, 7.0]})
    wide.to_parquet(tmp_path / "w.parquet", index=False)
    wide.to_csv(tmp_path / "w.csv", index=False)
    for data in (tmp_path / "w.parquet", tmp_path / "w.csv"):
        ok("fit", data, "--null-values", "99999999", "-o", stats)
        columns = json.loads(stats.read_text())["columns"]
        assert [(c["count"], c["missing"]) for c in columns] == [(3, 1), (3, 1)], data
