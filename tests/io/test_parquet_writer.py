"""Parquet output (normkit.io.parquet.ParquetWriter): row groups of a useful size, dictionary
encoding only where it pays, the data and the schema's metadata as given."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from normkit.io.parquet import DISTINCT_MIN_ROWS, PARQUET_ROW_GROUP_ROWS, ParquetWriter


def write(table: pa.Table, batch_rows: int = 1000) -> pq.ParquetFile:
    sink = pa.BufferOutputStream()
    writer = ParquetWriter(sink, table.schema)
    for batch in table.to_batches(max_chunksize=batch_rows):
        writer.write_batch(batch)
    writer.close()
    return pq.ParquetFile(pa.BufferReader(sink.getvalue()))


def encodings(file: pq.ParquetFile) -> dict[str, tuple[bool, str]]:
    """Each column's (dictionary?, compression) in the first row group."""
    group = file.metadata.row_group(0)
    return {
        group.column(i).path_in_schema: (
            group.column(i).has_dictionary_page,
            group.column(i).compression,
        )
        for i in range(group.num_columns)
    }


def test_dictionaries_and_compression_only_where_values_repeat():
    rows = 3 * DISTINCT_MIN_ROWS
    rng = np.random.default_rng(0)
    table = pa.table(
        {
            "id": pa.array([f"row{i}" for i in range(rows)]),
            "city": pa.array(rng.choice(["Oslo", "Lima", "Pune"], rows)),
            "blob": pa.array([i.to_bytes(4, "little") for i in range(rows)], pa.binary()),
            "count": pa.array(rng.integers(0, 3, rows)),
            "x": pa.array(rng.standard_normal(rows)),
            "flag": pa.array(rng.integers(0, 2, rows) - 0.5),  # a normalized 0/1 column
        },
        metadata={"normkit": "recorded"},
    )
    file = write(table)
    assert encodings(file) == {
        "id": (False, "SNAPPY"),  # every value distinct: a dictionary would only add work
        "city": (True, "SNAPPY"),
        "blob": (False, "SNAPPY"),
        "count": (True, "SNAPPY"),
        "x": (False, "UNCOMPRESSED"),  # distinct floats: noise that snappy cannot shrink
        "flag": (False, "SNAPPY"),  # two values over and over: snappy shrinks them
    }
    flag = file.metadata.row_group(0).column(5)
    assert flag.total_compressed_size < flag.total_uncompressed_size / 4
    back = file.read()
    assert back.equals(table)
    assert back.schema.metadata[b"normkit"] == b"recorded"


@pytest.mark.parametrize("rows", [0, 10, PARQUET_ROW_GROUP_ROWS + 5])
def test_every_row_is_written_in_row_groups_of_a_useful_size(rows):
    table = pa.table({"id": pa.array([f"r{i}" for i in range(rows)], pa.string())})
    file = write(table, batch_rows=777)
    assert file.read().equals(table)
    sizes = [file.metadata.row_group(i).num_rows for i in range(file.metadata.num_row_groups)]
    assert sum(sizes) == rows
    assert all(size >= PARQUET_ROW_GROUP_ROWS for size in sizes[:-1])


def test_columns_of_the_same_name_are_each_judged():
    rows = 2 * DISTINCT_MIN_ROWS
    table = pa.Table.from_arrays(
        [pa.array(np.arange(rows) / 3), pa.array(np.zeros(rows))], names=["x", "x"]
    )
    file = write(table)
    assert file.read().equals(table)
    group = file.metadata.row_group(0)
    # one name, one setting: compressed, since not every column of it is distinct floats
    assert [group.column(i).compression for i in range(2)] == ["SNAPPY", "SNAPPY"]
