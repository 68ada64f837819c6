"""Hive-partitioned directories: their ``key=value`` segments are columns of the rows, passed
through by fit, kept by transform and inverse, by both engines, from Parquet and CSV parts."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, normkit_summary
from numpy.testing import assert_allclose

KEYS = pa.schema([("year", pa.int64()), ("country", pa.string())])


def hive(path, fmt: str) -> pa.Table:
    """A data set partitioned by year and country, written by pyarrow.dataset; its table."""
    rng = np.random.default_rng(0)
    table = pa.table(
        {
            "year": np.repeat([2023, 2024], 40),
            "country": np.tile(np.repeat(["PT", "FR"], 20), 2),
            "x": rng.normal(5, 2, 80),
        }
    )
    ds.write_dataset(table, path, format=fmt, partitioning=ds.partitioning(KEYS, flavor="hive"))
    return table


def read(path) -> pa.Table:
    if str(path).endswith(".csv"):
        return ds.dataset(path, format="csv").to_table()
    return pq.read_table(path)


def by_key(table: pa.Table) -> dict:
    """x by (year, country), each sorted: rows compared whatever the order of the files."""
    out: dict = {}
    for row in table.select(["year", "country", "x"]).to_pylist():
        out.setdefault((row["year"], row["country"]), []).append(row["x"])
    return {k: sorted(v) for k, v in out.items()}


DASK = ["--engine", "dask", "--workers", "1"]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_partition_keys_are_columns_passed_through(tmp_path, fmt):
    table = hive(tmp_path / "hive", fmt)
    stats = tmp_path / "s.json"
    summary = normkit_summary("fit", tmp_path / "hive", "-o", stats)
    assert "passed through: year (partition key), country (partition key)" in summary
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["x"]
    x = table.column("x").to_numpy()
    assert_allclose(doc["columns"][0]["mean"], x.mean(), rtol=1e-12)
    out = tmp_path / f"z.{fmt}"
    summary = normkit_summary("transform", tmp_path / "hive", "-s", stats, "-o", out)
    assert "partition keys year, country from the directories" in summary
    z = read(out)
    assert z.column_names == ["x", "year", "country"]
    assert z.schema.field("year").type == pa.int64()
    expected = {k: sorted((np.array(v) - x.mean()) / x.std()) for k, v in by_key(table).items()}
    for key, values in by_key(z).items():
        assert_allclose(values, expected[key], rtol=1e-12)
    back = tmp_path / f"back.{fmt}"
    normkit_summary("inverse", out, "-s", stats, "-o", back)
    for key, values in by_key(read(back)).items():
        assert_allclose(values, by_key(table)[key], rtol=1e-12)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_dask_engine_agrees_and_keeps_the_keys_as_directories(tmp_path, fmt):
    hive(tmp_path / "hive", fmt)
    stats, on_dask = tmp_path / "s.json", tmp_path / "dask.json"
    normkit_summary("fit", tmp_path / "hive", "-o", stats)
    summary = normkit_summary("fit", tmp_path / "hive", "-o", on_dask, *DASK)
    assert "passed through: year (partition key), country (partition key)" in summary
    local_doc, dask_doc = json.loads(stats.read_text()), json.loads(on_dask.read_text())
    assert dask_doc["passthrough"] == local_doc["passthrough"]
    assert dask_doc["categories"] == local_doc["categories"]  # country's, counted by both
    assert_allclose(dask_doc["columns"][0]["mean"], local_doc["columns"][0]["mean"], rtol=1e-12)
    local = tmp_path / f"z.{fmt}"
    normkit_summary("transform", tmp_path / "hive", "-s", stats, "-o", local)
    parts = tmp_path / "parts"
    summary = normkit_summary("transform", tmp_path / "hive", "-s", stats, "-o", parts, *DASK)
    assert "in the directories of partition keys year, country" in summary
    part = next(parts.rglob(f"part-*.{fmt}"))
    assert part.parent.name.startswith("country=")
    assert "year" not in read(part).column_names  # the directories hold it
    # Read as a data set (by normkit too), the parts are the local engine's output.
    again = tmp_path / f"again.{fmt}"
    normkit_summary("inverse", parts, "-s", stats, "-o", again)
    back = tmp_path / f"back.{fmt}"
    normkit_summary("inverse", local, "-s", stats, "-o", back)
    assert read(again).equals(read(back))


def test_a_part_file_alone_has_no_keys_and_is_transformed(tmp_path):
    hive(tmp_path / "hive", "parquet")
    stats = tmp_path / "s.json"
    normkit_summary("fit", tmp_path / "hive", "-o", stats)
    part = next((tmp_path / "hive").rglob("*.parquet"))
    normkit_summary("transform", part, "-s", stats, "-o", tmp_path / "one.parquet")
    assert pq.read_table(tmp_path / "one.parquet").column_names == ["x"]


def test_key_values_typed_as_a_data_set(tmp_path):
    """Decoded as URI components, Hive's null marker missing, integers only where every value
    is one (a key of '1' and 'b' is text in every file)."""
    root = tmp_path / "d"
    for folder in ("k=1/g=a%20b", "k=b/g=__HIVE_DEFAULT_PARTITION__"):
        (root / folder).mkdir(parents=True)
        (root / folder / "p.csv").write_text("x\n1\n2\n")
    stats = tmp_path / "s.json"
    normkit_summary("fit", root, "-o", stats)
    normkit_summary("transform", root, "-s", stats, "-o", tmp_path / "z.parquet")
    z = pq.read_table(tmp_path / "z.parquet")
    assert z.schema.field("k").type == pa.string()
    assert z.column("k").to_pylist() == ["1", "1", "b", "b"]
    assert z.column("g").to_pylist() == ["a b", "a b", None, None]


def test_a_file_holding_a_column_of_a_key_is_refused(tmp_path):
    (tmp_path / "d" / "year=2023").mkdir(parents=True)
    table = pa.table({"year": [2023, 2023], "x": [1.0, 2.0]})
    pq.write_table(table, tmp_path / "d" / "year=2023" / "p.parquet")
    message = normkit_error(1, "fit", tmp_path / "d", "-o", tmp_path / "s.json")
    assert "p.parquet: the file has a column 'year' and its directory 'year=2023'" in message
    assert "rename the column or the directory" in message
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_a_key_whose_escapes_are_not_utf8_is_refused(tmp_path, engine):
    # k=%FE and k=%FF were both read as U+FFFD: two partitions made one, exit 0 (and the Dask
    # engine kept them apart). DuckDB refuses them too.
    root = tmp_path / "d"
    for value in ("%FE", "%FF"):
        (root / f"k={value}").mkdir(parents=True)
        (root / f"k={value}" / "p.csv").write_text("x\n1\n2\n")
    stats = tmp_path / "s.json"
    message = normkit_error(1, "fit", root, "--engine", engine, "-o", stats)
    assert message == (
        f"{root / 'k=%FE' / 'p.csv'}: the partition directory k=%FE decodes to bytes that are "
        "not UTF-8 text (as %XX escapes are read); rename the directory"
    )
    assert not stats.exists()
