"""Columns named by position on both sides: statistics fitted on an array (``x0, x1, ...``)
applied by the command line to a CSV without a header (``column_1, column_2, ...``), as the
estimator applies those of ``normkit fit --no-header`` to an array."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import run_normkit
from numpy.testing import assert_array_equal

import normkit


def _headerless(tmp_path, columns: int = 2):
    X = np.random.default_rng(0).normal(
        np.arange(columns) * 10, 1 + np.arange(columns), (200, columns)
    )
    path = tmp_path / "nh.csv"
    np.savetxt(path, X, delimiter=",")
    return X, path


def test_statistics_of_an_array_apply_to_a_csv_without_a_header_by_position(tmp_path):
    # Refused: "the stat file has columns 'x0', 'x1' but the input has none of them".
    X, data = _headerless(tmp_path)
    fitted = normkit.Standardizer().fit(X)
    fitted.save(tmp_path / "s.json")
    assert json.loads((tmp_path / "s.json").read_text())["unnamed"] is True
    expected = fitted.transform(X)
    for header in ((), ("--no-header",)):  # told, or detected: a first row of numbers
        out = tmp_path / "z.csv"
        proc = run_normkit("transform", data, "-s", tmp_path / "s.json", *header, "-o", out)
        assert proc.returncode == 0, proc.stderr
        assert_array_equal(np.loadtxt(out, delimiter=","), expected)
    # A Parquet output keeps the CSV's names, column_1...: its inverse matches them too.
    z = tmp_path / "z.parquet"
    assert run_normkit("transform", data, "-s", tmp_path / "s.json", "-o", z).returncode == 0
    assert pq.read_schema(z).names == ["column_1", "column_2"]
    back = tmp_path / "back.csv"
    proc = run_normkit("inverse", z, "-s", tmp_path / "s.json", "-o", back)
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(pd.read_csv(back).to_numpy(), X, rtol=1e-12)
    proc = run_normkit("drift", data, "-s", tmp_path / "s.json")
    assert proc.returncode == 0, proc.stderr
    # Loaded, the estimator is as fitted: on an array, its columns taken by position.
    loaded = normkit.load(tmp_path / "s.json")
    assert not hasattr(loaded, "feature_names_in_")
    assert_array_equal(loaded.transform(X), expected)


@pytest.mark.parametrize("engine", ["local", "dask"])
@pytest.mark.parametrize("fitted_by", ["array", "fit", "fit --no-header"])
def test_a_csv_without_a_header_gives_csv_outputs_without_one(tmp_path, fitted_by, engine):
    # Statistics of an array (no header recorded): the output and its inverse began with
    # 'column_1,column_2', which np.loadtxt cannot read.
    X, data = _headerless(tmp_path)
    stats = tmp_path / "s.json"
    if fitted_by == "array":
        normkit.Standardizer().fit(X).save(stats)
    else:
        told = fitted_by.split()[1:]
        assert run_normkit("fit", data, *told, "-o", stats).returncode == 0
    expected = normkit.load(stats).transform(X)
    parts = ("--engine", engine) + (("--workers", "1") if engine == "dask" else ())
    z, back = tmp_path / "z", tmp_path / "back"
    if engine == "local":
        z, back = z.with_suffix(".csv"), back.with_suffix(".csv")
    proc = run_normkit("transform", data, "-s", stats, "-o", z, *parts)
    assert proc.returncode == 0, proc.stderr
    proc = run_normkit("inverse", z, "-s", stats, "-o", back, *parts)
    assert proc.returncode == 0, proc.stderr
    if engine == "dask":
        z, back = z / "part-00000.csv", back / "part-00000.csv"
    assert_array_equal(np.loadtxt(z, delimiter=","), expected)
    np.testing.assert_allclose(np.loadtxt(back, delimiter=","), X, rtol=1e-12)


def test_another_number_of_columns_is_refused_naming_both(tmp_path):
    X, _ = _headerless(tmp_path)
    normkit.Standardizer().fit(X).save(tmp_path / "s.json")
    _, data = _headerless(tmp_path, columns=3)
    proc = run_normkit("transform", data, "-s", tmp_path / "s.json", "-o", tmp_path / "z.csv")
    assert proc.returncode == 1
    assert proc.stderr.decode().strip() == (
        f"normkit: error: {data}: the stat file's fit had 2 columns without names (columns "
        "'x0', 'x1'), matched by position, but the input has 3 (columns 'column_1', 'column_2', "
        "'column_3'); give data of the fit's columns, in the fit's order"
    )


def test_named_columns_are_still_matched_by_name(tmp_path):
    # A frame's names are its own: a CSV without a header is not matched to them.
    X, data = _headerless(tmp_path)
    normkit.Standardizer().fit(pd.DataFrame(X, columns=["a", "b"])).save(tmp_path / "s.json")
    assert "unnamed" not in json.loads((tmp_path / "s.json").read_text())
    proc = run_normkit("transform", data, "-s", tmp_path / "s.json", "-o", tmp_path / "z.csv")
    assert proc.returncode == 1
    assert "the stat file has columns 'a', 'b' but the input has none of them" in (
        proc.stderr.decode()
    )


@pytest.mark.parametrize("command", ["transform", "drift", "report"])
def test_a_header_given_to_statistics_matched_by_position_is_told_as_such(tmp_path, command):
    # "the stat file has columns 'x0', 'x1' but the input has none of them", no way out.
    X, _ = _headerless(tmp_path)
    normkit.Standardizer().fit(X).save(tmp_path / "s.json")
    data = tmp_path / "h.csv"
    out = tmp_path / ("z.html" if command == "report" else "z.csv")
    data.write_text("a,b\n1,2\n3,4\n")
    args = (command, data, "-s", tmp_path / "s.json")
    proc = run_normkit(*args, *(("-o", out) if command != "drift" else ()))
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"normkit: error: {data}: these statistics match columns by position (fitted on data "
        "without column names, as columns 'x0', 'x1'), but its header names columns 'a', 'b'; "
        "read it without a header only if its first line is data, not names (--no-header) or "
        "fit the statistics again on data with named columns\n"
    )
    assert not out.exists()


def test_a_parquet_file_of_named_columns_is_told_to_refit_alone(tmp_path):
    X, _ = _headerless(tmp_path)
    normkit.Standardizer().fit(X).save(tmp_path / "s.json")
    data = tmp_path / "named.parquet"
    pd.DataFrame(X, columns=["a", "b"]).to_parquet(data, index=False)
    proc = run_normkit("transform", data, "-s", tmp_path / "s.json", "-o", tmp_path / "z.csv")
    assert proc.returncode == 1
    assert proc.stderr.decode().endswith(
        "but it names columns 'a', 'b'; fit the statistics again on data with named columns\n"
    )
