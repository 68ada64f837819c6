"""The ``normkit`` command, run in-process with click's CliRunner.

Every number is checked against scikit-learn's ``StandardScaler`` or numpy, computed here from the
data; no statistic is written into this file. Errors are checked for their exit code, their one
line on stderr (``normkit: error: <file>: ...``), the absence of a traceback and the absence of
any output file (or temporary file) left behind.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from conftest import (
    ERROR,
    ROW_TAG,
    SAMPLE_CSV,
    SAMPLE_PARQUET,
    assert_error,
    assert_ok,
    assert_usage_error,
    leftovers,
    run,
    write_big_csv,
)
from sklearn.preprocessing import StandardScaler

import normkit
from normkit.io.options import CSV_BLOCK_SIZE
from normkit.io.sinks import Sink

# -- helpers ---------------------------------------------------------------------------------


def read_frame(path) -> pd.DataFrame:
    """A data file as pandas (Parquet, Arrow IPC stream or file, or CSV parsed exactly)."""
    path = str(path)
    if path.endswith(".parquet"):
        return pq.read_table(path).to_pandas()
    if path.endswith(".arrow"):
        with open(path, "rb") as f:
            head = f.read(6)
        with pa.memory_map(path) as source:
            reader = ipc.open_file(source) if head == b"ARROW1" else ipc.open_stream(source)
            return reader.read_all().to_pandas()
    return pacsv.read_csv(path).to_pandas()


def read_text_rows(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def numeric_columns(df: pd.DataFrame) -> list[str]:
    return list(df.select_dtypes("number").columns)


def col(doc: dict, key: str) -> np.ndarray:
    values = [c[key] for c in doc["columns"]]
    return np.array([np.nan if v == "NaN" else v for v in values], dtype=np.float64)


def names_of(doc: dict) -> list[str]:
    return [c["name"] for c in doc["columns"]]


def sklearn_with_stats(doc: dict, with_mean=True, with_std=True) -> StandardScaler:
    """A StandardScaler carrying the stat file's mean and scale (the transform's definition)."""
    sk = StandardScaler(with_mean=with_mean, with_std=with_std)
    n = len(doc["columns"])
    sk.fit(np.zeros((2, n)))  # sets the fitted attributes; the statistics are replaced below
    sk.mean_ = col(doc, "mean")
    sk.var_ = col(doc, "var")
    sk.scale_ = col(doc, "scale")
    return sk


def assert_close_by_column(actual, desired, rtol=1e-12):
    """Relative agreement, with each column's absolute floor at ``rtol`` times its largest
    magnitude: values that cancel to about zero cannot agree relatively when two correct
    computations of the same mean differ in the last bit."""
    floor = rtol * np.nanmax(np.abs(desired), axis=0)
    for j in range(desired.shape[1]):
        np.testing.assert_allclose(actual[:, j], desired[:, j], rtol=rtol, atol=floor[j])


def fit_json(tmp_path, *args, name="stats.json") -> dict:
    out = tmp_path / name
    result = run("fit", *args, "-o", out, "-q")
    assert_ok(result)
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_frame(SAMPLE_CSV)


@pytest.fixture
def stats_file(tmp_path):
    out = tmp_path / "stats.json"
    assert_ok(run("fit", SAMPLE_CSV, "--exclude", "id", "-o", out, "-q"))
    return out


# -- fit ------------------------------------------------------------------------------------


def test_fit_writes_a_valid_stat_file_equal_to_sklearn(tmp_path, sample):
    out = tmp_path / "stats.json"
    result = run("fit", SAMPLE_CSV, "-o", out)
    assert_ok(result)
    assert result.stdout == ""
    assert result.stderr.startswith("normkit: fitted ")
    doc = json.loads(out.read_text())
    assert doc["format"] == "normkit.stats"
    assert doc["version"] == 1
    assert doc["options"] == {"ddof": 0, "eps": 0.0, "with_mean": True, "with_std": True}
    columns = numeric_columns(sample)
    assert names_of(doc) == columns
    X = sample[columns].to_numpy(dtype=np.float64)
    sk = StandardScaler().fit(X)
    np.testing.assert_allclose(col(doc, "mean"), sk.mean_, rtol=1e-12)
    np.testing.assert_allclose(col(doc, "var"), sk.var_, rtol=1e-12, atol=0)
    np.testing.assert_allclose(col(doc, "scale"), sk.scale_, rtol=1e-12)
    assert col(doc, "count").tolist() == np.sum(~np.isnan(X), axis=0).tolist()
    assert col(doc, "missing").tolist() == np.sum(np.isnan(X), axis=0).tolist()
    np.testing.assert_array_equal(col(doc, "min"), np.nanmin(X, axis=0))
    np.testing.assert_array_equal(col(doc, "max"), np.nanmax(X, axis=0))
    assert doc["rows"] == len(sample)
    # the library reads it back
    assert list(normkit.load(out).columns_) == columns


@pytest.mark.parametrize("extra", [[], ["-o", "-"]], ids=["no-o", "dash"])
def test_fit_to_stdout(tmp_path, extra, sample):
    result = run("fit", SAMPLE_CSV, *extra)
    assert_ok(result)
    doc = json.loads(result.stdout)
    assert doc["format"] == "normkit.stats"
    reference = fit_json(tmp_path, SAMPLE_CSV)
    assert doc["columns"] == reference["columns"]
    assert doc["options"] == reference["options"]
    assert "standard output" in result.stderr
    assert os.listdir(tmp_path) == ["stats.json"]


def test_fit_parquet_equals_csv(tmp_path):
    csv_doc = fit_json(tmp_path, SAMPLE_CSV, name="a.json")
    pq_doc = fit_json(tmp_path, SAMPLE_PARQUET, name="b.json")
    assert names_of(pq_doc) == names_of(csv_doc)
    for key in ("mean", "var", "scale", "min", "max", "count"):
        np.testing.assert_allclose(col(pq_doc, key), col(csv_doc, key), rtol=1e-12)


def test_fit_columns_and_exclude(tmp_path, sample):
    doc = fit_json(tmp_path, SAMPLE_CSV, "--columns", "income,age", "--columns", "score")
    # input order, not option order
    assert names_of(doc) == ["age", "income", "score"]
    sk = StandardScaler().fit(sample[["age", "income", "score"]].to_numpy(dtype=np.float64))
    np.testing.assert_allclose(col(doc, "mean"), sk.mean_, rtol=1e-12)
    np.testing.assert_allclose(col(doc, "scale"), sk.scale_, rtol=1e-12)

    doc = fit_json(tmp_path, SAMPLE_CSV, "--exclude", "id,visits", name="ex.json")
    expected = [c for c in numeric_columns(sample) if c not in ("id", "visits")]
    assert names_of(doc) == expected


def test_fit_ddof_1(tmp_path, sample):
    doc = fit_json(tmp_path, SAMPLE_CSV, "--ddof", "1", "--exclude", "id")
    assert doc["options"]["ddof"] == 1
    columns = [c for c in numeric_columns(sample) if c != "id"]
    assert names_of(doc) == columns
    X = sample[columns].to_numpy(dtype=np.float64)
    var1 = np.array([np.var(x[~np.isnan(x)], ddof=1) for x in X.T])
    np.testing.assert_allclose(col(doc, "var"), var1, rtol=1e-12)
    constant = np.nanmin(X, axis=0) == np.nanmax(X, axis=0)
    assert constant.any()  # the sample has a constant column ...
    assert not constant.all()  # ... and others
    np.testing.assert_allclose(
        col(doc, "scale"), np.where(constant, 1.0, np.sqrt(var1)), rtol=1e-12
    )
    # and it differs from the ddof=0 statistics
    var0 = col(fit_json(tmp_path, SAMPLE_CSV, "--exclude", "id", name="d0.json"), "var")
    assert np.all(col(doc, "var")[~constant] > var0[~constant])


def test_fit_eps(tmp_path, sample):
    eps = 0.25
    doc = fit_json(tmp_path, SAMPLE_CSV, "--eps", eps, "--exclude", "id")
    assert doc["options"]["eps"] == eps
    columns = names_of(doc)
    X = sample[columns].to_numpy(dtype=np.float64)
    sk = StandardScaler().fit(X)
    np.testing.assert_allclose(col(doc, "var"), sk.var_, rtol=1e-12, atol=0)
    np.testing.assert_allclose(col(doc, "scale"), np.sqrt(sk.var_ + eps), rtol=1e-12)
    # a constant column gets sqrt(eps), not 1
    assert col(doc, "scale")[columns.index("schema_version")] == pytest.approx(np.sqrt(eps))


@pytest.mark.parametrize(
    ("flags", "with_mean", "with_std"),
    [
        (["--no-mean"], False, True),
        (["--no-std"], True, False),
        (["--no-mean", "--no-std"], False, False),
    ],
    ids=["no-mean", "no-std", "neither"],
)
def test_fit_and_transform_no_mean_no_std(tmp_path, sample, flags, with_mean, with_std):
    stats = tmp_path / "stats.json"
    assert_ok(run("fit", SAMPLE_CSV, "--exclude", "id", *flags, "-o", stats, "-q"))
    doc = json.loads(stats.read_text())
    assert doc["options"]["with_mean"] is with_mean
    assert doc["options"]["with_std"] is with_std
    columns = names_of(doc)
    X = sample[columns].to_numpy(dtype=np.float64)
    sk = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    if sk.mean_ is not None:
        np.testing.assert_allclose(col(doc, "mean"), sk.mean_, rtol=1e-12)
    if sk.scale_ is not None:
        np.testing.assert_allclose(col(doc, "scale"), sk.scale_, rtol=1e-12)

    out = tmp_path / "z.csv"
    assert_ok(run("transform", SAMPLE_CSV, "-s", stats, "-o", out, "-q"))
    Z = read_frame(out)[columns].to_numpy(dtype=np.float64)
    expected = sklearn_with_stats(doc, with_mean, with_std).transform(X)
    np.testing.assert_allclose(Z, expected, rtol=1e-12, atol=0)
    if not with_mean and not with_std:
        np.testing.assert_array_equal(Z, X)
    elif not with_mean:
        # scaled but not centered: the column means are not 0
        assert np.all(np.abs(np.nanmean(Z, axis=0)[col(doc, "var") > 0]) > 1e-3)
    else:
        np.testing.assert_allclose(np.nanmean(Z, axis=0), 0, atol=1e-9)


def test_fit_several_inputs_equals_their_concatenation(tmp_path, sample):
    rows = read_text_rows(SAMPLE_CSV)
    header, body = rows[0], rows[1:]
    parts = [body[:1234], body[1234:2900], body[2900:]]
    paths = []
    for i, part in enumerate(parts):
        path = tmp_path / f"part{i}.csv"
        with open(path, "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows([header, *part])
        paths.append(path)
    whole = fit_json(tmp_path, SAMPLE_CSV, name="whole.json")
    split = fit_json(tmp_path, *paths, name="split.json")
    assert names_of(split) == names_of(whole)
    assert split["rows"] == whole["rows"] == len(body)
    for key in ("count", "missing", "min", "max"):
        np.testing.assert_array_equal(col(split, key), col(whole, key))
    for key in ("mean", "var", "scale"):
        np.testing.assert_allclose(col(split, key), col(whole, key), rtol=1e-12)
    assert [s["rows"] for s in split["provenance"]["sources"]] == [len(p) for p in parts]

    # a CSV and a Parquet file of the same data: the statistics of the data twice over
    both = fit_json(tmp_path, SAMPLE_CSV, SAMPLE_PARQUET, name="both.json")
    X = sample[names_of(both)].to_numpy(dtype=np.float64)
    sk = StandardScaler().fit(np.vstack([X, X]))
    np.testing.assert_allclose(col(both, "mean"), sk.mean_, rtol=1e-12)
    np.testing.assert_allclose(col(both, "var"), sk.var_, rtol=1e-12)
    assert both["rows"] == 2 * len(sample)


def test_fit_inputs_with_different_columns(tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("x,y\n1,2\n3,4\n")
    b.write_text("x,z\n1,2\n3,4\n")
    out = tmp_path / "s.json"
    result = run("fit", a, b, "-o", out)
    assert_error(result, 1, f"{ERROR}{b}: ", "'y'")
    assert not out.exists()
    assert leftovers(tmp_path) == []


# -- transform and inverse ------------------------------------------------------------------


@pytest.mark.parametrize("out_name", ["z.csv", "z.parquet", "z.arrow"])
def test_transform_and_inverse_equal_sklearn(tmp_path, sample, stats_file, out_name):
    doc = json.loads(stats_file.read_text())
    columns = names_of(doc)
    X = sample[columns].to_numpy(dtype=np.float64)

    z_path = tmp_path / out_name
    result = run("transform", SAMPLE_CSV, "-s", stats_file, "-o", z_path)
    assert_ok(result)
    assert result.stdout == ""
    assert f"to {z_path}" in result.stderr
    Z = read_frame(z_path)[columns].to_numpy(dtype=np.float64)

    # the transform is StandardScaler.transform with the stat file's statistics ...
    np.testing.assert_allclose(Z, sklearn_with_stats(doc).transform(X), rtol=1e-12, atol=0)
    # ... which are StandardScaler's own (fitted here)
    sk = StandardScaler().fit(X)
    np.testing.assert_allclose(col(doc, "mean"), sk.mean_, rtol=1e-12)
    np.testing.assert_allclose(col(doc, "scale"), sk.scale_, rtol=1e-12)
    assert_close_by_column(Z, sk.transform(X))
    assert np.array_equal(np.isnan(Z), np.isnan(X))  # missing stays missing

    x_path = tmp_path / f"x{Path(out_name).suffix}"
    assert_ok(run("inverse", z_path, "-s", stats_file, "-o", x_path, "-q"))
    restored = read_frame(x_path)
    R = restored[columns].to_numpy(dtype=np.float64)
    np.testing.assert_allclose(R, sklearn_with_stats(doc).inverse_transform(Z), rtol=1e-12, atol=0)
    assert_close_by_column(R, sk.inverse_transform(Z))
    np.testing.assert_allclose(R, X, rtol=1e-12)
    assert list(restored.columns) == list(sample.columns)


def test_transform_passes_other_columns_through_as_written(tmp_path, stats_file):
    out = tmp_path / "z.csv"
    assert_ok(run("transform", SAMPLE_CSV, "-s", stats_file, "-o", out, "-q"))
    original = read_text_rows(SAMPLE_CSV)
    written = read_text_rows(out)
    assert written[0] == original[0]
    assert len(written) == len(original)
    normalized = set(names_of(json.loads(stats_file.read_text())))
    keep = [i for i, name in enumerate(original[0]) if name not in normalized]
    assert [original[0][i] for i in keep] == ["id", "city", "active"]
    assert [[r[i] for i in keep] for r in written] == [[r[i] for i in keep] for r in original]


def test_transform_stdin_to_stdout(stats_file, sample):
    doc = json.loads(stats_file.read_text())
    result = run("transform", "-s", stats_file, "-", input=SAMPLE_CSV.read_bytes())
    assert_ok(result)
    out = pacsv.read_csv(pa.BufferReader(result.stdout_bytes)).to_pandas()
    X = sample[names_of(doc)].to_numpy(dtype=np.float64)
    np.testing.assert_allclose(
        out[names_of(doc)].to_numpy(dtype=np.float64),
        sklearn_with_stats(doc).transform(X),
        rtol=1e-12,
        atol=0,
    )


# -- inspect --------------------------------------------------------------------------------


def test_inspect_table_and_json(stats_file):
    doc = json.loads(stats_file.read_text())
    result = run("inspect", stats_file)
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert str(stats_file) in lines[0]
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["column", "dtype"])
    end = next((i for i in range(header, len(lines)) if not lines[i].strip()), len(lines))
    table = lines[header + 1 : end]
    assert [line.split()[0] for line in table] == names_of(doc)
    assert any(line.startswith("running (EMA) statistics:") for line in lines[end:])
    for name in names_of(doc):
        assert name in result.stdout

    result = run("inspect", stats_file, "--json")
    assert_ok(result)
    assert json.loads(result.stdout) == doc
    # Saved as UTF-16 or UTF-32 (an editor's "Unicode"), with or without a byte-order mark:
    # printed as its text (it printed the bytes, or failed with a traceback).
    text = stats_file.read_text(encoding="utf-8")
    for form in ("utf-16", "utf-16-le", "utf-32", "utf-32-be"):
        saved = stats_file.with_name(f"{form}.json")
        saved.write_bytes(text.encode(form))
        result = run("inspect", saved, "--json")
        assert_ok(result)
        assert result.stdout == text, form


# -- errors: data, schema and stat files (exit 1) ----------------------------------------------


def fit_fails(tmp_path, *args):
    out = tmp_path / "never.json"
    result = run("fit", *args, "-o", out)
    assert not out.exists()
    assert leftovers(tmp_path) == []
    return result


def test_fit_on_a_stat_file(tmp_path, stats_file):
    result = fit_fails(tmp_path, stats_file)
    assert_error(result, 1, f"{ERROR}{stats_file}: ", "stat file")


def test_fit_on_text_that_is_not_csv(tmp_path):
    prose = tmp_path / "notes.txt"
    prose.write_text(
        "Dear reader, this is a letter.\n"
        "It has, several, commas, in it\n"
        "and this line has none\n"
        "but this one, has one\n"
    )
    result = fit_fails(tmp_path, prose)
    assert_error(result, 1, f"{ERROR}{prose}", "CSV")


def test_fit_on_an_empty_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert_error(fit_fails(tmp_path, empty), 1, f"{ERROR}{empty}: ", "empty")


def test_fit_on_a_header_only_file(tmp_path):
    header = tmp_path / "header.csv"
    header.write_text("a,b,c\n")
    assert_error(fit_fails(tmp_path, header), 1, f"{ERROR}{header}: ", "no data rows")


def test_fit_on_a_missing_file(tmp_path):
    missing = tmp_path / "missing.csv"
    assert_error(fit_fails(tmp_path, missing), 1, f"{ERROR}{missing}: ", "no such file")


def test_fit_on_a_directory(tmp_path):
    directory = tmp_path / "data.csv"
    directory.mkdir()
    assert_error(fit_fails(tmp_path, directory), 1, f"{ERROR}{directory}: ", "directory")


def test_fit_non_numeric_value_deep_in_a_column(tmp_path):
    # beyond the first CSV block, which decides that 'y' is numeric
    data = tmp_path / "deep.csv"
    write_big_csv(data, 60_000, bad={57_321: "n/a?"})
    assert data.stat().st_size > CSV_BLOCK_SIZE
    line = assert_error(fit_fails(tmp_path, data), 1, f"{ERROR}{data}: ", "'y'", "57,321", "'n/a?'")
    assert "not a number" in line


def test_fit_non_numeric_value_in_a_chosen_column(tmp_path):
    rng = np.random.default_rng(3)
    data = tmp_path / "small.csv"
    values = [repr(float(v)) for v in rng.normal(size=3000)]
    values[2345] = "12,5"  # a decimal comma, quoted
    data.write_text("a\n" + "\n".join(f'"{v}"' if "," in v else v for v in values) + "\n")
    result = fit_fails(tmp_path, data, "--columns", "a", "--chunk-rows", "100")
    assert_error(result, 1, f"{ERROR}{data}: ", "'a'", "2,346", "'12,5'")


def test_fit_infinite_value(tmp_path):
    data = tmp_path / "inf.csv"
    data.write_text("a,b\n1,2.5\n3,inf\n4,5\n")
    assert_error(fit_fails(tmp_path, data), 1, f"{ERROR}{data}: ", "'b'", "infinite", "row 2")


@pytest.mark.parametrize("option", ["--columns", "--exclude"])
def test_fit_selected_column_that_does_not_exist(tmp_path, option):
    result = fit_fails(tmp_path, SAMPLE_CSV, option, "age,salary")
    assert_error(result, 1, f"{ERROR}{SAMPLE_CSV}: ", f"(given in {option})", "'salary'")


def test_fit_column_entirely_missing(tmp_path):
    data = tmp_path / "holes.csv"
    data.write_text("a,b\n1,\n2,NA\n3,\n")
    result = fit_fails(tmp_path, data, "--columns", "a,b")
    assert_error(result, 1, f"{ERROR}{data}: ", "'b'", "no values")


@pytest.mark.parametrize("via", ["file", "stdin"])
def test_fit_csv_larger_than_first_block_any_boundary(tmp_path, via):
    rows = []
    rng = np.random.default_rng(7)
    for i, (a, b) in enumerate(zip(rng.normal(size=60_000), rng.normal(size=60_000), strict=True)):
        rows.append(f"{i:07d},{a:+.15e},{b:+.15e},{ROW_TAG}\n")
    width = len(rows[0])
    # pad the header so that the first block ends 11 bytes into a row (inside its 'x' field)
    pad = (CSV_BLOCK_SIZE - len("id,x,y,tag\n") - 11) % width
    header = "id,x,y,tag" + "_" * pad + "\n"
    assert (CSV_BLOCK_SIZE - len(header)) % width == 11
    data = tmp_path / "big.csv"
    data.write_text(header + "".join(rows))
    out = tmp_path / "stats.json"
    if via == "file":
        result = run("fit", data, "--exclude", "id", "-o", out, "-q")
    else:
        result = run("fit", "-", "--exclude", "id", "-o", out, "-q", input=data.read_bytes())
    assert_ok(result)
    doc = json.loads(out.read_text())
    frame = read_frame(data)
    sk = StandardScaler().fit(frame[["x", "y"]].to_numpy(dtype=np.float64))
    assert names_of(doc) == ["x", "y"]
    np.testing.assert_allclose(col(doc, "mean"), sk.mean_, rtol=1e-12)


def test_fit_refuses_to_overwrite_its_input(tmp_path):
    data = tmp_path / "data.csv"
    data.write_bytes(SAMPLE_CSV.read_bytes())
    result = run("fit", data, "-o", data)
    assert data.read_bytes() == SAMPLE_CSV.read_bytes()
    assert_error(result, 1, f"{ERROR}{data}: ")


def test_fit_output_into_a_nonexistent_directory(tmp_path):
    out = tmp_path / "nodir" / "stats.json"
    result = run("fit", SAMPLE_CSV, "-o", out)
    assert_error(result, 1, f"{ERROR}{out}: ", "does not exist")
    assert not out.parent.exists()


def _bad_stat_files(doc: dict, text: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (content, expected message fragments)."""
    future = json.loads(text)
    future["version"] = 99
    missing = json.loads(text)
    del missing["columns"][1]["scale"]
    wrong = json.loads(text)
    wrong["columns"][0]["mean"] = "0.5"
    absent = json.loads(text)
    renamed = absent["columns"][1]["name"]
    absent["columns"][1]["name"] = "salary"  # and in the input's columns, as another fit's
    absent["inputs"] = ["salary" if name == renamed else name for name in absent["inputs"]]
    nan_token = text.replace(f'"mean": {json.dumps(doc["columns"][0]["mean"])}', '"mean": NaN', 1)
    assert nan_token != text
    return {
        "not-json": ("id,age\n1,2\n", ["not a JSON object: it starts with 'id,age'"]),
        "truncated": (text[: len(text) // 2], ["invalid JSON"]),
        "future-version": (json.dumps(future), ["version 99", "upgrade"]),
        "missing-key": (json.dumps(missing), ["missing key", "columns[1]", "'scale'"]),
        "wrong-type": (json.dumps(wrong), ["columns[0]", "'mean'", "must be a number"]),
        "nan-token": (nan_token, ["NaN"]),
        "absent-columns": (json.dumps(absent), ["'salary'"]),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not-json",
        "truncated",
        "future-version",
        "missing-key",
        "wrong-type",
        "nan-token",
        "absent-columns",
    ],
)
@pytest.mark.parametrize("command", ["transform", "inverse"])
def test_transform_with_a_bad_stat_file(tmp_path, stats_file, case, command):
    text = stats_file.read_text()
    content, fragments = _bad_stat_files(json.loads(text), text)[case]
    bad = tmp_path / f"{case}.json"
    bad.write_text(content)
    out = tmp_path / "out.csv"
    result = run(command, SAMPLE_CSV, "-s", bad, "-o", out)
    # a stat-file problem names the stat file; a column it lacks names the data file
    named = SAMPLE_CSV if case == "absent-columns" else bad
    assert_error(result, 1, f"{ERROR}{named}: ", *fragments)
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_inspect_a_bad_stat_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "normkit.stats", "version": 1, ')
    assert_error(run("inspect", bad), 1, f"{ERROR}{bad}: ", "invalid JSON")
    assert_error(run("inspect", bad, "--json"), 1, f"{ERROR}{bad}: ")


@pytest.mark.parametrize("spelling", ["same", "dot-slash"])
def test_transform_output_equal_to_input_is_refused(tmp_path, stats_file, spelling, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data.csv"
    data.write_bytes(SAMPLE_CSV.read_bytes())
    output = "data.csv" if spelling == "same" else "./data.csv"
    result = run("transform", "data.csv", "-s", stats_file, "-o", output)
    assert_error(result, 1, f"{ERROR}{output}: ", "input")
    assert data.read_bytes() == SAMPLE_CSV.read_bytes()
    assert leftovers(tmp_path) == []


def test_transform_output_into_a_nonexistent_directory(tmp_path, stats_file):
    out = tmp_path / "missing" / "z.csv"
    result = run("transform", SAMPLE_CSV, "-s", stats_file, "-o", out)
    assert_error(result, 1, f"{ERROR}{out}: ", "does not exist")
    assert not out.parent.exists()


def test_transform_non_numeric_value_names_column_and_row(tmp_path):
    data = tmp_path / "data.csv"
    write_big_csv(data, 2000)
    stats = tmp_path / "s.json"
    assert_ok(run("fit", data, "--exclude", "id", "-o", stats, "-q"))
    write_big_csv(data, 2000, bad={1999: "oops"})
    out = tmp_path / "z.csv"
    result = run("transform", data, "-s", stats, "-o", out)
    assert_error(result, 1, f"{ERROR}{data}: ", "'y'", "1,999", "'oops'")
    assert not out.exists()
    assert leftovers(tmp_path) == []


# -- usage errors (exit 2) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["fit", str(SAMPLE_CSV), "--frobnicate"], "--frobnicate"),
        (["fit", str(SAMPLE_CSV), "--ddof", "3"], "--ddof"),
        (["fit", str(SAMPLE_CSV), "--chunk-rows", "0"], "--chunk-rows"),
        (["fit", str(SAMPLE_CSV), "--input-format", "xml"], "--input-format"),
        (["transform", str(SAMPLE_CSV)], "--stats"),
        (["inverse", str(SAMPLE_CSV)], "--stats"),
        (
            ["transform", str(SAMPLE_CSV), "-s", "x.json", "--output-format", "xlsx"],
            "--output-format",
        ),
        (["fit"], "INPUT"),
    ],
    ids=[
        "unknown-option",
        "ddof-3",
        "chunk-rows-0",
        "format-xml",
        "no-stats",
        "inverse-no-stats",
        "output-format",
        "no-input",
    ],
)
def test_usage_errors(tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert_usage_error(result, fragment)
    assert os.listdir(tmp_path) == []


# -- help, version, tracebacks --------------------------------------------------------------


@pytest.mark.parametrize("command", ["fit", "transform", "inverse", "inspect"])
def test_help_shows_an_example(command):
    result = run(command, "--help")
    assert_ok(result)
    assert result.stdout.startswith(f"Usage: normkit {command} ")
    assert "Example" in result.stdout
    assert f"normkit {command} " in result.stdout.split("Example", 1)[1]


def test_group_help_lists_every_command():
    result = run("--help")
    assert_ok(result)
    for command in ("fit", "transform", "inverse", "inspect"):
        assert command in result.stdout


def test_version_in_process():
    result = run("--version")
    assert_ok(result)
    assert result.stdout.strip() == f"normkit, version {normkit.__version__}"


def test_python_dash_m_normkit_version():
    proc = subprocess.run(
        [sys.executable, "-m", "normkit", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"normkit, version {normkit.__version__}"
    assert proc.stderr == ""


def test_traceback_option_and_environment(tmp_path):
    missing = tmp_path / "missing.csv"
    plain = run("fit", missing)
    assert_error(plain, 1, f"{ERROR}{missing}: ")

    for result in (
        run("--traceback", "fit", missing),
        run("fit", missing, env={"NORMKIT_TRACEBACK": "1"}),
    ):
        # the library's exception escapes the command with its traceback instead of one line
        assert isinstance(result.exception, normkit.InputError), repr(result.exception)
        assert result.exit_code == 1
        assert str(missing) in str(result.exception)
        assert result.exc_info[2] is not None
        assert not result.stderr.startswith(ERROR)

    other = run("fit", missing, env={"NORMKIT_TRACEBACK": "0"})
    assert_error(other, 1, f"{ERROR}{missing}: ")


# -- atomic outputs -------------------------------------------------------------------------


@pytest.mark.parametrize("out_name", ["z.csv", "z.parquet", "z.arrow"])
def test_failing_transform_keeps_the_previous_output(tmp_path, monkeypatch, out_name):
    data = tmp_path / "data.csv"
    rows = 60_000
    write_big_csv(data, rows)
    stats = tmp_path / "s.json"
    assert_ok(run("fit", data, "--exclude", "id", "-o", stats, "-q"))
    write_big_csv(data, rows, bad={rows - 3: "#REF!"})
    assert data.stat().st_size > CSV_BLOCK_SIZE  # several CSV blocks, the bad one last

    out = tmp_path / out_name
    previous = b"previous output, not to be touched\n" * 100
    out.write_bytes(previous)

    written = []
    original_write = Sink.write

    def counting_write(self, batch):
        written.append(batch.num_rows)
        return original_write(self, batch)

    monkeypatch.setattr(Sink, "write", counting_write)
    result = run("transform", data, "-s", stats, "-o", out, "--chunk-rows", "5000")
    assert_error(result, 1, f"{ERROR}{data}: ", "'#REF!'", f"{rows - 3:,}")
    # several batches were written before the error
    assert len(written) > 1
    assert sum(written) >= 20_000  # (readers look a block or two ahead)
    assert out.read_bytes() == previous
    assert leftovers(tmp_path) == []


def test_successful_transform_replaces_the_output(tmp_path, stats_file):
    out = tmp_path / "z.csv"
    out.write_text("old\n")
    assert_ok(run("transform", SAMPLE_CSV, "-s", stats_file, "-o", out, "-q"))
    assert read_text_rows(out)[0] == read_text_rows(SAMPLE_CSV)[0]
    assert leftovers(tmp_path) == []
