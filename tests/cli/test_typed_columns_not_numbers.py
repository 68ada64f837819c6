"""A column of a Parquet or Arrow file that the statistics fitted as numbers, held there as text,
booleans, dates or durations, is refused (the file's types are its own, not a guess), with a
way out that fits its type and names only options of the command that was run."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, normkit_summary

CAST = "(polars: pl.col('a').cast(pl.Float64))"
WAYS = {
    "text": (
        pa.array(["1", "2", "3"]),
        "string",
        f"cast it to a number type (float64) where the file is written {CAST}",
    ),
    "bool": (
        pa.array([True, False, True]),
        "bool",
        "if its True and False are the 1 and 0 it was fitted on, cast it to a number type "
        f"where the file is written {CAST}",
    ),
    "timestamp": (
        pa.array([dt.datetime(2020, 1, d) for d in (1, 2, 3)], pa.timestamp("ms")),
        "timestamp[ms]",
        "write it as numbers where the file is written, as it was fitted on (seconds or days "
        "since some day: polars pl.col('a').dt.epoch('s'))",
    ),
    "duration": (
        pa.array([dt.timedelta(seconds=s) for s in (1, 2, 3)], pa.duration("s")),
        "duration[s]",
        "write it as numbers where the file is written, as it was fitted on (its seconds: "
        "polars pl.col('a').dt.total_seconds())",
    ),
}


@pytest.fixture
def stats(tmp_path):
    path = tmp_path / "st.json"
    numbers = tmp_path / "train.parquet"
    pq.write_table(pa.table({"a": [1.0, 2.0, 4.0], "b": [10.0, 20.0, 40.0]}), numbers)
    normkit_summary("fit", numbers, "-o", path)
    return path


@pytest.mark.parametrize("kind", list(WAYS))
@pytest.mark.parametrize("command", ["transform", "report", "drift"])
def test_a_column_fitted_as_numbers_held_as_another_type_is_refused_with_its_way_out(
    tmp_path, stats, kind, command
):
    # 'column 'a' has type string, which is not numeric' (exit 1), and no way out.
    values, dtype, way = WAYS[kind]
    data = tmp_path / "new.parquet"
    pq.write_table(pa.table({"a": values, "b": [10.0, 20.0, 30.0]}), data)
    out = tmp_path / ("out.html" if command == "report" else "out.csv")
    args = {
        "transform": ("transform", data, "-s", stats, "-o", out),
        "report": ("report", data, "-s", stats, "-o", out),
        "drift": ("drift", data, "--stats", stats),
    }[command]
    # None of these commands has --exclude: the hint that names it is left out.
    assert normkit_error(1, *args) == (
        f"{data}: column 'a' has type {dtype}, which is not numeric; {way}"
    )
    assert not out.exists()


def test_an_arrow_file_is_told_alike(tmp_path, stats):
    data, out = tmp_path / "new.arrow", tmp_path / "out.arrow"
    feather.write_feather(pa.table({"a": ["1", "2"], "b": [10.0, 20.0]}), data)
    line = normkit_error(1, "transform", data, "-s", stats, "-o", out)
    assert line == f"{data}: column 'a' has type string, which is not numeric; {WAYS['text'][2]}"


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_a_fit_choosing_the_column_by_name_is_told_to_leave_it_out(tmp_path, engine):
    # A later file of a fit whose column chosen is text: the way out is the choice, not
    # --exclude, which would contradict it (the Dask engine told --exclude).
    first, second = tmp_path / "p1.parquet", tmp_path / "p2.parquet"
    pq.write_table(pa.table({"a": [1.0, 2.0], "b": [1.0, 2.0]}), first)
    pq.write_table(pa.table({"a": ["1", "2"], "b": [1.0, 2.0]}), second)
    args = ("fit", first, second, "--columns", "a,b", "--engine", engine)
    line = normkit_error(1, *args, "-o", tmp_path / "s.json")
    assert line.endswith(
        f"p2.parquet: column 'a' has type string, which is not numeric; {WAYS['text'][2]} or "
        "leave it out of the columns chosen (--columns)"
    )
    assert not (tmp_path / "s.json").exists()
