"""A column the fit found no value in has no statistics: values in it at transform are refused,
where they once passed through unnormalized with exit 0 (see :mod:`normkit.jobs.vacant`)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, run_normkit

import normkit
from normkit.errors import DataError


def ok(*args, stdin: bytes | None = None) -> bytes:
    proc = run_normkit(*args, "-q", stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()
    assert not proc.stderr, proc.stderr.decode()
    return proc.stdout


def refusal(where: str, value: str, stats) -> str:
    return (
        f"{where}: holds {value!r}, but the column had no value in the data {stats} was fitted "
        "on, so it has no statistics and its values would pass through as they are; fit on "
        "data where it has values, or exclude it from the fit to pass it through on purpose"
    )


@pytest.fixture
def fitted(tmp_path):
    """A stat file fitted on a CSV whose column 'b' is empty, and 'c' text."""
    path = tmp_path / "fit.csv"
    path.write_text("a,b,c\n1,,x\n2,NA,y\n3,,z\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    return stats


@pytest.mark.parametrize("out", ["csv", "parquet", "arrow"])
@pytest.mark.parametrize("mode", [[], ["--mode", "batch", "--batch-size", "2"]])
def test_a_value_where_the_fit_found_none_is_refused(tmp_path, fitted, out, mode):
    new = tmp_path / "new.csv"
    new.write_text('a,b,c\n1,,x\n2,NA,y\n3,"7,5",z\n4,8,w\n')
    output = tmp_path / f"out.{out}"
    message = normkit_error(1, "transform", new, "-s", fitted, "-o", output, *mode)
    assert message == refusal(f"{new}: column 'b' at data row 3", "7,5", fitted)
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_from_standard_input_too(tmp_path, fitted):
    proc = run_normkit("transform", "-", "-s", fitted, stdin=b"a,b,c\n1,x,x\n")
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert proc.stderr.decode().strip().endswith("it through on purpose")
    assert "<stdin>: column 'b' at data row 1: holds 'x'" in proc.stderr.decode()


@pytest.mark.parametrize("out", ["csv", "parquet"])
def test_missing_values_however_spelled_are_no_value(tmp_path, fitted, out):
    new = tmp_path / "new.csv"
    new.write_text('a,b,c\n1,N/A,x\n2,"",y\n3,null,z\n')
    output = tmp_path / f"out.{out}"
    ok("transform", new, "-s", fitted, "-o", output)
    if out == "parquet":
        assert pq.read_table(output).column("b").null_count == 3
    else:
        lines = output.read_text().splitlines()
        assert [line.split(",")[1] for line in lines] == ["b", "N/A", "", "null"]


def test_a_column_excluded_from_the_fit_passes_its_values_through(tmp_path):
    path = tmp_path / "fit.csv"
    path.write_text("a,b\n1,\n2,\n3,\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--exclude", "b", "-o", stats)
    new = tmp_path / "new.csv"
    new.write_text("a,b\n1,5\n3,6\n")
    assert ok("transform", new, "-s", stats).decode().splitlines()[1:] == [
        "-1.224744871391589,5",
        "1.224744871391589,6",
    ]


def test_typed_columns_of_nulls_or_nans_at_fit(tmp_path):
    a = [1.0, 2.0, 3.0, 4.0]
    fit = tmp_path / "fit.parquet"
    nan = [np.nan, None, np.nan, np.nan]
    pq.write_table(pa.table({"a": a, "f": nan, "g": pa.array([None] * 4, pa.int32())}), fit)
    stats = tmp_path / "s.json"
    ok("fit", fit, "-o", stats)
    same = tmp_path / "same.parquet"
    ok("transform", fit, "-s", stats, "-o", same)
    assert pq.read_table(same).column("g").null_count == 4
    for column, values, shown in [
        ("f", [np.nan, None, np.nan, 2.5], "2.5"),
        ("g", pa.array([None, None, None, 7], pa.int32()), "7"),
    ]:
        new = tmp_path / f"new_{column}.parquet"
        table = pa.table({"a": a, "f": nan, "g": pa.array([None] * 4, pa.int32())})
        table = table.set_column(table.schema.get_field_index(column), column, [values])
        pq.write_table(table, new)
        message = normkit_error(1, "transform", new, "-s", stats, "-o", tmp_path / "o.parquet")
        assert message == refusal(f"{new}: column {column!r} at data row 4", shown, stats)


def test_the_native_rewrite_and_the_batch_path_name_the_same_first_value(tmp_path, fitted):
    # Chunks of the rewrite end where the batches do; the value is in the second, after an
    # output that is infinite ((1.7e308 - 2) / 0.8165), refused in each path after it.
    rows = [f"{i},,t" for i in range(60_000)]
    rows[50_000] = "1.7e308,,t"
    rows[50_001] = "5,nine,t"
    rows[50_002] = "5,10,t"
    new = tmp_path / "new.csv"
    new.write_text("a,b,c\n" + "\n".join(rows) + "\n")
    expected = refusal(f"{new}: column 'b' at data row 50,002", "nine", fitted)
    for out in ["csv", "parquet"]:
        args = ("transform", new, "-s", fitted, "--chunk-rows", "50000")
        assert normkit_error(1, *args, "-o", tmp_path / f"o.{out}") == expected


def test_the_library_raises_it(tmp_path, fitted):
    new = tmp_path / "new.csv"
    new.write_text("a,b,c\n1,4,x\n")
    with pytest.raises(DataError, match="column 'b' at data row 1: holds '4'"):
        normkit.transform_file(new, fitted, tmp_path / "o.csv")
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("rows", "fit_args"),
    [
        (["1,inf", "2,-inf", "3,"], ["--inf-as-missing"]),
        (["1,-nan", "2,nan", "3,NaN "], []),
        (["1,-999.0", "2,-999", "3,"], ["--null-values", "-999"]),
        (["1, -999", "2,-999 ", "3,"], ["--null-values", "-999"]),  # typed, an int64 of Parquet
    ],
)
@pytest.mark.parametrize("out", ["csv", "parquet"])
@pytest.mark.parametrize("mode", [[], ["--mode", "batch", "--batch-size", "3"]])
def test_what_the_fit_read_as_no_value_is_none_at_transform(tmp_path, rows, fit_args, out, mode):
    # Infinities read as missing, NaN however spelled, a missing number written otherwise: the
    # fit found no value in 'b', and neither does the transform of the same file, whatever
    # its output (the CSV rewrite once refused them as values, the Parquet path not).
    path = tmp_path / "d.csv"
    path.write_text("a,b\n" + "\n".join(rows) + "\n")
    stats = tmp_path / "s.json"
    ok("fit", path, *fit_args, "-o", stats)
    assert json.loads(stats.read_text())["passthrough"][0]["why"] == "no values"
    ok("transform", path, "-s", stats, "-o", tmp_path / f"o.{out}", *mode)
    (tmp_path / "n.csv").write_text("a,b\n" + "\n".join([*rows, "4,12"]) + "\n")
    message = normkit_error(
        1, "transform", tmp_path / "n.csv", "-s", stats, "-o", tmp_path / f"p.{out}"
    )
    # (typed for Parquet, the value is shown as read: the float 12.0 where the column is one)
    shown = ["12"] if out == "csv" else ["12", "12.0"]
    where = f"{tmp_path / 'n.csv'}: column 'b' at data row 4"
    assert message in [refusal(where, value, stats) for value in shown]


def test_each_input_is_read_by_its_own_rules(tmp_path, fitted):
    # 'NA' is a missing-value string of a CSV, but text in a Parquet file: a value there, after
    # a CSV as alone.
    csv = tmp_path / "n.csv"
    csv.write_text("a,b,c\n1,NA,x\n")
    parquet = tmp_path / "p.parquet"
    pq.write_table(pa.table({"a": [1.0], "b": ["NA"], "c": ["y"]}), parquet)
    for inputs in ([parquet], [csv, parquet]):
        message = normkit_error(1, "transform", *inputs, "-s", fitted, "-o", tmp_path / "o.parquet")
        assert message == refusal(f"{parquet}: column 'b' at data row 1", "NA", fitted)


def test_the_standardizer_in_memory_refuses_them_too():
    import pandas as pd
    import polars as pl

    # A column of None only is passed through ("no values"), as by the file jobs.
    fitted = normkit.Standardizer().fit(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [None] * 3}))
    assert [(p.name, p.why) for p in fitted.stats_.passthrough] == [("b", "no values")]
    same = fitted.transform(pd.DataFrame({"a": [1.0, 2.0], "b": [None, np.nan]}))
    assert same["b"].isna().all()
    values = {"a": [1.0, 2.0, 3.0], "b": [None, 5, 6]}
    for X in (
        pd.DataFrame(values),
        pl.DataFrame(values),
        pa.table(values),
        pa.table(values).to_batches(max_chunksize=1),  # a stream: rows counted over it
    ):
        with pytest.raises(DataError, match=r"^column 'b' at row 2: holds '5(\.0)?', but the "):
            list(fitted.transform(iter(X))) if isinstance(X, list) else fitted.transform(X)
