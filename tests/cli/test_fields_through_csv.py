"""A Parquet or Arrow file through CSV and back keeps its fields as well as its types: a field's
metadata (a Polars ``Enum``'s categories) and its nullability (DuckDB's ``NOT NULL``), which the
CSV's record keeps where they are not the default (normkit.jobs.texttypes.fields_to_record)."""

from __future__ import annotations

import base64
import json

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from conftest import normkit_error
from conftest import normkit_summary as ok

from normkit.io.sidecar import record_path


def _record(csv) -> dict:
    return json.loads(open(record_path(str(csv))).read())["metadata"]["normkit.transform"]


def _recorded_fields(csv) -> pa.Schema:
    """The fields a CSV's record keeps (a serialized Arrow schema)."""
    text = _record(csv).get("fields")
    return pa.schema([]) if text is None else ipc.read_schema(pa.py_buffer(base64.b64decode(text)))


def test_a_polars_enum_comes_back_from_csv_as_an_enum(tmp_path):
    # It came back a Categorical: the field metadata holding its categories was dropped.
    enum = pl.Enum(["lo", "mid", "hi"])
    frame = pl.DataFrame(
        {"x": [1.0, 2, 3, 4], "e": pl.Series(["lo", "hi", "mid", "lo"], dtype=enum)}
    )
    path, stats = tmp_path / "e.parquet", tmp_path / "s.json"
    z, back, again = tmp_path / "z.csv", tmp_path / "back.csv", tmp_path / "again.arrow"
    frame.write_parquet(path)
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    assert _recorded_fields(z).names == ["e"]
    ok("inverse", z, "-s", stats, "-o", tmp_path / "back.parquet")
    restored = pl.read_parquet(tmp_path / "back.parquet")
    assert restored.schema == frame.schema
    assert restored.equals(frame)
    # Through a CSV to CSV step (the record passed on), then to Arrow.
    ok("inverse", z, "-s", stats, "-o", back)
    ok("transform", back, "-s", stats, "-o", again)
    table = ipc.open_file(again).read_all()
    assert pl.from_arrow(table).schema["e"] == enum


def test_not_null_columns_come_back_not_null_and_their_empty_text_as_text(tmp_path):
    # DuckDB's NOT NULL columns came back nullable through CSV; an empty text in one is not a
    # missing value (the column holds none), so it comes back as the empty text.
    path, stats, z = tmp_path / "d.parquet", tmp_path / "s.json", tmp_path / "z.csv"
    # As DuckDB writes `create table t (x double not null, s varchar not null, n varchar, i int
    # not null)` with `copy t to 'd.parquet'`: required Parquet fields (duckdb is no test extra).
    schema = pa.schema(
        [
            pa.field("x", pa.float64(), nullable=False),
            pa.field("s", pa.string(), nullable=False),
            pa.field("n", pa.string()),
            pa.field("i", pa.int32(), nullable=False),
        ]
    )
    rows = {"x": [1.5, 2.5, 4.0], "s": ["", "NA", "c"], "n": [None, "b", "d"], "i": [1, 2, 3]}
    pq.write_table(pa.table(rows, schema=schema), path)
    ok("fit", path, "--exclude", "i", "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    assert _recorded_fields(z).names == ["x", "s", "i"]  # nothing for a plain column
    for back in (tmp_path / "back.parquet", tmp_path / "back.arrow"):
        ok("inverse", z, "-s", stats, "-o", back)
        table = pq.read_table(back) if back.suffix == ".parquet" else ipc.open_file(back).read_all()
        original = pq.read_table(path)
        assert table.schema.remove_metadata() == original.schema.remove_metadata()
        assert table.to_pylist() == original.to_pylist()


def test_a_record_of_plain_columns_keeps_no_fields(tmp_path):
    path, stats, z = tmp_path / "p.parquet", tmp_path / "s.json", tmp_path / "z.csv"
    pq.write_table(pa.table({"x": [1.0, 2.0, 4.0], "s": ["a", "b", None]}), path)
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    assert "types" in _record(z)
    assert "fields" not in _record(z)


def test_a_missing_value_in_a_not_null_column_of_an_edited_csv_names_its_cell(tmp_path):
    # An edit in the middle of a large file, of the same size, leaves its record standing.
    n = 12_000
    rng = np.random.default_rng(3)
    schema = pa.schema([pa.field("x", pa.float64(), nullable=False), pa.field("t", pa.string())])
    table = pa.table([rng.normal(size=n), [f"k{k % 13}" for k in range(n)]], schema=schema)
    path, stats, z = tmp_path / "d.parquet", tmp_path / "s.json", tmp_path / "z.csv"
    back = tmp_path / "back.parquet"
    pq.write_table(table, path)
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    lines = z.read_text().splitlines(keepends=True)
    row = n // 2
    x_text, t_text = lines[row].rstrip("\n").split(",")
    lines[row] = f",{t_text}{x_text}\n"  # the same size: 'x' missing, 't' another text
    z.write_text("".join(lines))
    message = normkit_error(1, "inverse", z, "-s", stats, "-o", back)
    assert message.startswith(f"{z}: column 'x' at data row {row:,}: a missing value, in a ")
    assert "NOT NULL" in message
    assert not back.exists()
