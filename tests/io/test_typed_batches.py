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
from normkit.io import batching

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
    monkeypatch.setattr(batching, "TYPED_BATCH_BYTES", BOUND)
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
    monkeypatch.setattr(batching, "TYPED_BATCH_BYTES", BOUND)
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
    monkeypatch.setattr(batching, "TYPED_BATCH_BYTES", BOUND)
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


def test_text_stored_as_a_dictionary_counts_as_the_bytes_it_decodes_to(tmp_path, monkeypatch):
    # 200,000 values of 10,000 bytes were 1.9 MB on disk as a dictionary: the file's sizes said
    # a few bytes a row, and a batch of 65,536 rows decoded to 650 MB (1.4 GB at peak).
    monkeypatch.setattr(batching, "TYPED_BATCH_BYTES", 1 << 20)
    words = ["A" * 1000, "B" * 1000, "C" * 1000]
    table = pa.table({"x": np.arange(20_000.0), "text": [words[i % 3] for i in range(20_000)]})
    path = tmp_path / "dictionary.parquet"
    pq.write_table(table, path, row_group_size=20_000)
    assert pq.ParquetFile(path).metadata.row_group(0).column(1).total_uncompressed_size < 20_000
    rows = batch_rows(str(path), ["x"])
    assert sum(rows) == 20_000
    assert max(rows) <= (1 << 20) // 1000
    # Read so from the file, not only cut so once read: a row of text is known as its bytes.
    with open_input(str(path)) as source:
        assert source._row_bytes("text") >= 1000


def test_an_arrow_file_of_tiny_batches_is_read_in_batches_of_useful_size(tmp_path):
    # Written 7 rows at a time, 1,500 columns wide: 714 batches, each with its cost per column
    # (38 s to fit, against 0.5 s for the same data in one batch).
    rng = np.random.default_rng(5)
    table = pa.table({f"c{j}": rng.normal(size=3000).astype(np.float32) for j in range(50)})
    tiny, whole = tmp_path / "tiny.arrow", tmp_path / "whole.arrow"
    for path, rows in ((tiny, 7), (whole, None)):
        with pa.ipc.new_file(path, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=rows):
                writer.write_batch(batch)
    rows = batch_rows(str(tiny), table.schema.names)
    assert sum(rows) == 3000
    assert len(rows) == 1  # 3,000 rows of 50 columns: far below the bound
    assert set(batch_rows(str(tiny), [], ReadOptions(chunk_rows=100))) == {100}
    stats = normkit.fit_files(str(whole), Standardizer())
    outputs = [tmp_path / "tiny.parquet", tmp_path / "whole.parquet"]
    for path, out in zip((tiny, whole), outputs, strict=True):
        normkit.transform_file(str(path), stats, str(out))
    assert pq.read_table(outputs[0]).equals(pq.read_table(outputs[1]))
    np.testing.assert_array_equal(
        normkit.fit_files(str(tiny), Standardizer()).n_samples_seen_, 3000
    )


def test_tiny_batches_are_gathered_by_their_own_bytes_not_the_first_ones(tmp_path, monkeypatch):
    # A first batch of short text, then batches of long text: gathered by the first batch's
    # measure, 65,536 rows of 100 KB were to be joined (766 MB at peak for 250 MB of input).
    monkeypatch.setattr(batching, "TYPED_BATCH_BYTES", 1 << 20)
    schema = pa.schema([("x", pa.float64()), ("s", pa.string())])
    path = tmp_path / "grow.arrows"
    with pa.ipc.new_stream(path, schema) as writer:
        writer.write_batch(pa.record_batch([pa.array([0.0]), pa.array(["a"])], schema=schema))
        for i in range(300):
            batch = [pa.array([float(i)]), pa.array(["b" * 20_000])]
            writer.write_batch(pa.record_batch(batch, schema=schema))
    with open_input(str(path)) as source:
        assert sum(b.num_rows for b in source.batches(["x"])) == 301
    # Gathered (copied) no further than the bound: cut once gathered was too late.
    with pa.ipc.open_stream(path) as stream:
        gathered = list(batching.gathered(iter(stream), ["x"]))
    assert sum(b.num_rows for b in gathered) == 301
    assert max(b.nbytes for b in gathered) <= (1 << 20) + 40_000
    assert len(gathered) < 301  # gathered all the same


def test_text_that_grows_after_the_first_rows_counts_as_the_file_stores_it(tmp_path):
    # Judged by the first 1,024 rows alone, 6,000 rows of 100 KB after 1,024 of one byte were
    # one batch of 600 MB.
    text = ["a"] * 1024 + ["b" * 10_000] * 600
    table = pa.table({"x": np.arange(len(text), dtype=float), "s": text})
    path = tmp_path / "grow.parquet"
    pq.write_table(table, path, use_dictionary=False)
    with open_input(str(path)) as source:
        assert source._row_bytes("s") >= 10_000 * 600 / len(text)
