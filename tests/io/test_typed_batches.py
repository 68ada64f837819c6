"""Batches of Parquet and Arrow inputs are bounded by their bytes, as a CSV's blocks bound its
batches: a wide file is read in fewer rows, so that memory does not grow with the number of
columns (65,536 rows of 2,000 int8 columns were one batch of 1 GB as float64, 3.6 GB at peak
Parquet to Parquet), and the results are the same whatever the batches."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import ReadOptions, Standardizer, open_input
from normkit.io import arrow as arrow_module

#: The bound the tests set (the default holds 32 MiB: files of test size fit in one batch).
BOUND = 64 << 10


def wide_table(rows: int = 3000, columns: int = 40, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    data = {f"c{j}": rng.integers(-100, 100, rows).astype(np.int8) for j in range(columns)}
    data["id"] = [f"row-{i:08d}-{'x' * (i % 30)}" for i in range(rows)]  # 13 to 42 bytes
    return pa.table(data)


def write(table: pa.Table, path, fmt: str) -> str:
    if fmt == "parquet":
        pq.write_table(table, path)
    else:
        feather.write_feather(table, path, compression="uncompressed")
    return str(path)


def batch_rows(path: str, float_columns, read: ReadOptions | None = None) -> list[int]:
    with open_input(path, read) as source:
        return [b.num_rows for b in source.batches(float_columns)]


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_a_wide_file_is_read_in_batches_of_about_the_bound(fmt, tmp_path, monkeypatch):
    monkeypatch.setattr(arrow_module, "TYPED_BATCH_BYTES", BOUND)
    table = wide_table()
    path = write(table, tmp_path / f"wide.{fmt}", fmt)
    numbers = [f"c{j}" for j in range(40)]
    # As float64: 40 * 8 bytes a row, and the ids about 27 bytes and their offsets.
    rows = batch_rows(path, numbers)
    assert sum(rows) == 3000
    assert 120 <= max(rows) <= BOUND // (40 * 8)
    # Columns kept as they are (int8: a byte a row each) take fewer bytes: more rows a batch.
    assert max(batch_rows(path, [])) > 2 * max(rows)
    # chunk_rows, given, decides.
    assert set(batch_rows(path, numbers, ReadOptions(chunk_rows=1000))) == {1000}
    # The values are the file's, whatever the batches.
    with open_input(path) as source:
        read = pa.Table.from_batches(list(source.batches(numbers)))
    assert read.column("id").equals(table.column("id"))
    assert read.column("c7").to_pylist() == [float(v) for v in table.column("c7").to_pylist()]


def test_a_long_text_column_counts_as_its_bytes_in_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(arrow_module, "TYPED_BATCH_BYTES", BOUND)
    rng = np.random.default_rng(1)
    table = pa.table(
        {
            "x": rng.normal(size=2000),
            "text": ["".join(rng.choice(list("abcdefgh"), 500)) for _ in range(2000)],
            # A dotted name and a nested column: each file column counted for its own field.
            "a.b": pa.array([{"p": float(i), "q": "y" * 200} for i in range(2000)]),
        }
    )
    path = write(table, tmp_path / "long.parquet", "parquet")
    rows = batch_rows(path, ["x"])
    assert sum(rows) == 2000
    assert max(rows) <= BOUND // 700  # 8 + 500 + 208 bytes a row, and offsets
    assert max(rows) >= BOUND // 1000


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_fit_and_transform_are_the_same_whatever_the_bound(fmt, tmp_path, monkeypatch):
    table = wide_table(rows=5000, columns=30, seed=3)
    path = write(table, tmp_path / f"wide.{fmt}", fmt)
    whole = normkit.fit_files(path, Standardizer(exclude=["id"]))
    out_whole = tmp_path / f"whole.{fmt}"
    normkit.transform_file(path, whole, str(out_whole))
    monkeypatch.setattr(arrow_module, "TYPED_BATCH_BYTES", BOUND)
    bounded = normkit.fit_files(path, Standardizer(exclude=["id"]))
    out_bounded = tmp_path / f"bounded.{fmt}"
    normkit.transform_file(path, whole, str(out_bounded))
    x = np.column_stack([table.column(f"c{j}").to_numpy() for j in range(30)]).astype(float)
    reference = StandardScaler().fit(x)
    for stats in (whole, bounded):
        np.testing.assert_allclose(stats.mean_, reference.mean_, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(stats.scale_, reference.scale_, rtol=1e-12)
    read = pq.read_table if fmt == "parquet" else feather.read_table
    assert read(out_bounded).equals(read(out_whole))
