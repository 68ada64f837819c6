"""Columns of a CSV that a fit reads as numbers but passes through (excluded, not chosen) keep
their text in Parquet and Arrow outputs where a number would change it: integers of mixed widths
with a stray leading zero (``02134``), and integers float64 would round (``9007199254740993``
among decimals). Fitted, the same columns are normalized as numbers."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, normkit_summary, read_arrow

ZIPS = ["02134", "10001", "2134", "00501"]


def _read(path) -> pa.Table:
    return pq.read_table(path) if str(path).endswith(".parquet") else read_arrow(path)


@pytest.mark.parametrize("out", ["z.parquet", "z.arrow"])
def test_a_stray_leading_zero_passed_through_is_kept(tmp_path, out):
    # Mixed widths with leading zeros here and there: int64 to a fit, and so written to
    # Parquet and Arrow as 2134, 10001, 2134, 501 with exit 0.
    path, stats = tmp_path / "z.csv", tmp_path / "s.json"
    path.write_text("x,zip\n" + "".join(f"{i}.5,{z}\n" for i, z in enumerate(ZIPS)))
    normkit_summary("fit", path, "--columns", "x", "-o", stats)
    passed = json.loads(stats.read_text())["passthrough"]
    assert passed == [{"name": "zip", "dtype": "string", "why": "not chosen"}]
    normkit_summary("transform", path, "-s", stats, "-o", tmp_path / out)
    table = _read(tmp_path / out)
    assert table.schema.field("zip").type == pa.string()
    assert table.column("zip").to_pylist() == ZIPS
    # The inverse, back to CSV, gives the text read.
    back = tmp_path / "back.csv"
    normkit_summary("inverse", tmp_path / out, "-s", stats, "-o", back)
    assert back.read_text() == path.read_text()
    # An input of only a header is read as the stat file records: the same schema.
    empty = tmp_path / "empty.csv"
    empty.write_text("x,zip\n")
    normkit_summary("transform", empty, "-s", stats, "-o", tmp_path / f"e{out}")
    assert _read(tmp_path / f"e{out}").schema.field("zip").type == pa.string()
    # Fitted by default, the column is numbers, its statistics those of 2134, 10001, ...
    normkit_summary("fit", path, "-o", stats)
    fitted = {c["name"]: c for c in json.loads(stats.read_text())["columns"]}
    assert fitted["zip"]["dtype"] == "int64"
    assert fitted["zip"]["mean"] == (2134 + 10001 + 2134 + 501) / 4
    normkit_summary("transform", path, "-s", stats, "-o", tmp_path / out)
    assert _read(tmp_path / out).schema.field("zip").type == pa.float64()


def test_a_passed_through_column_of_zeros_beside_one_of_none_is_refused(tmp_path):
    # One output holds one type: text in one file, int64 in the other, with the way out.
    a, b, stats = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "s.json"
    a.write_text("x,zip\n" + "".join(f"{i}.5,{z}\n" for i, z in enumerate(ZIPS)))
    b.write_text("x,zip\n1.5,12134\n2.5,10001\n")
    normkit_summary("fit", a, "--columns", "x", "-o", stats)
    out = tmp_path / "z.parquet"
    assert normkit_error(1, "transform", a, b, "-s", stats, "-o", out) == (
        f"{b}: column 'zip' has type int64, but string in {a}; one output cannot hold both "
        "(transform them separately); keep the columns passed through as text (--keep-text)"
    )
    assert not out.exists()
    normkit_summary("transform", a, b, "-s", stats, "-o", out, "--keep-text")
    assert pq.read_table(out).column("zip").to_pylist() == [*ZIPS, "12134", "10001"]


def test_a_stray_hexadecimal_passed_through_is_kept(tmp_path):
    # 0x1f among decimal integers: a fit refuses it, and passed through it is written as is,
    # not as 31.
    path, stats = tmp_path / "h.csv", tmp_path / "s.json"
    path.write_text("x,h\n1.5,0x1f\n2.5,10001\n3.0,2134\n4.5,501\n")
    assert "'0x1f' is not a number" in normkit_error(1, "fit", path, "-o", stats)
    normkit_summary("fit", path, "--exclude", "h", "-o", stats)
    out = tmp_path / "h.parquet"
    normkit_summary("transform", path, "-s", stats, "-o", out)
    assert pq.read_table(out).column("h").to_pylist() == ["0x1f", "10001", "2134", "501"]


@pytest.mark.parametrize("out", ["m.parquet", "m.arrow"])
def test_an_integer_float64_would_round_passed_through_is_kept(tmp_path, out):
    # 2**53 + 1 among decimals: float64 to a fit, and so written as 9007199254740992.0.
    ids = ["9007199254740993", "1.5", "7", "", "-12345678901234567"]
    path, stats = tmp_path / "m.csv", tmp_path / "s.json"
    path.write_text("x,id,f\n" + "".join(f"{i}.5,{v},{i}.25\n" for i, v in enumerate(ids)))
    normkit_summary("fit", path, "--columns", "x", "-o", stats)
    passed = {p["name"]: p["dtype"] for p in json.loads(stats.read_text())["passthrough"]}
    assert passed == {"id": "string", "f": "double"}
    normkit_summary("transform", path, "-s", stats, "-o", tmp_path / out)
    table = _read(tmp_path / out)
    assert table.schema.field("id").type == pa.string()
    assert table.column("id").to_pylist() == [v or None for v in ids]
    assert table.schema.field("f").type == pa.float64()
    back = tmp_path / "back.csv"
    normkit_summary("inverse", tmp_path / out, "-s", stats, "-o", back)
    assert back.read_text() == path.read_text()
    # Integers float64 holds exactly stay float64 (2**53, and 2**60).
    path.write_text("x,id\n1.5,9007199254740992\n2.5,1.5\n3.5,1152921504606846976\n")
    normkit_summary("fit", path, "--columns", "x", "-o", stats)
    normkit_summary("transform", path, "-s", stats, "-o", tmp_path / out)
    assert _read(tmp_path / out).schema.field("id").type == pa.float64()
    # Fitted (by default), normalized as float64, as scikit-learn reads it.
    path.write_text("x,id\n1.5,9007199254740993\n2.5,1.5\n3.0,7\n")
    normkit_summary("fit", path, "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["x", "id"]
