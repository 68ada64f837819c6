"""Parquet output (normkit.io.parquet.ParquetWriter): row groups of a useful size, dictionary
encoding only where it pays, the data and the schema's metadata as given."""

import io
import time

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import normkit_summary

from normkit.io.parquet import (
    DISTINCT_MIN_ROWS,
    PARQUET_ROW_GROUP_BYTES,
    PARQUET_ROW_GROUP_ROWS,
    ParquetWriter,
    native_writes,
)


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


def test_wide_batches_fill_row_groups_by_their_bytes():
    """Batches of many columns make a row group once their bytes (``nbytes``) reach
    PARQUET_ROW_GROUP_BYTES, whether they are counted or known from the types to be enough."""
    rng = np.random.default_rng(5)
    columns = {f"x{j}": rng.standard_normal(200) for j in range(20_000)}
    columns["flag"] = rng.random(200) < 0.5
    columns["id"] = [f"row {i}" for i in range(200)]
    columns["city"] = pa.array(rng.choice(["Oslo", "Lima"], 200)).dictionary_encode()
    table = pa.table(columns)  # the batches written are slices of it
    table = table.set_column(0, "x0", pa.array([None, *table["x0"].to_pylist()[1:]]))
    batch_rows = 25
    # Row groups as nbytes, counted batch by batch, makes them.
    expected, rows, size = [], 0, 0
    for batch in table.to_batches(max_chunksize=batch_rows):
        rows, size = rows + batch.num_rows, size + batch.nbytes
        if rows >= PARQUET_ROW_GROUP_ROWS or size >= PARQUET_ROW_GROUP_BYTES:
            expected.append(rows)
            rows = size = 0
    expected += [rows] if rows else []
    file = write(table, batch_rows=batch_rows)
    sizes = [file.metadata.row_group(i).num_rows for i in range(file.metadata.num_row_groups)]
    assert sizes == expected
    assert len(sizes) > 1
    assert file.read().equals(table)


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


def every_type(rows: int) -> pa.Table:
    """A table of every Arrow type a pass-through column can have in Parquet, with nulls."""
    rng = np.random.default_rng(1)
    valid = rng.random(rows) > 0.2
    ints = rng.integers(-(2**31), 2**31, rows)

    def masked(values, type_):
        """``values`` of ``type_`` (temporal types: of their integers), a fifth null."""
        if pa.types.is_temporal(type_):
            storage = pa.int32() if type_.bit_width == 32 else pa.int64()
            return pa.array(values, storage, mask=~valid).view(type_)
        return pa.array(values, type_, mask=~valid)

    seconds = rng.integers(0, 2_000_000_000, rows)
    columns = {
        "i8": masked(ints % 100, pa.int8()),
        "i16": masked(ints % 30_000, pa.int16()),
        "i32": masked(ints, pa.int32()),
        "i64": masked(ints * 2**20, pa.int64()),
        "u8": masked(np.abs(ints) % 200, pa.uint8()),
        "u16": masked(np.abs(ints) % 60_000, pa.uint16()),
        "u32": masked(np.abs(ints), pa.uint32()),
        "u64": masked(np.abs(ints).astype(np.uint64) * 2**32, pa.uint64()),
        "f16": masked(rng.standard_normal(rows).astype(np.float16), pa.float16()),
        "f32": masked(rng.standard_normal(rows).astype(np.float32), pa.float32()),
        "f64": masked(rng.standard_normal(rows), pa.float64()),
        "bool": masked(ints % 2 == 0, pa.bool_()),
        "text": masked([f"v{i % 7}é" for i in range(rows)], pa.string()),
        "large_text": masked([f"w{i}" for i in range(rows)], pa.large_string()),
        "view": masked(
            [f"long enough to be out of line {i}" for i in range(rows)], pa.string_view()
        ),
        "bytes": masked([bytes([i % 256]) * (i % 5) for i in range(rows)], pa.binary()),
        "large_bytes": masked([b"x" * (i % 3) for i in range(rows)], pa.large_binary()),
        "fixed": masked([i.to_bytes(4, "little") for i in range(rows)], pa.binary(4)),
        "date32": masked(seconds // 86_400, pa.date32()),
        "date64": masked(seconds // 86_400 * 86_400_000, pa.date64()),
        "time32s": masked(seconds % 86_400, pa.time32("s")),
        "time32ms": masked(seconds % 86_400 * 1000, pa.time32("ms")),
        "time64us": masked(seconds % 86_400 * 10**6, pa.time64("us")),
        "time64ns": masked(seconds % 86_400 * 10**9, pa.time64("ns")),
        "ts_s": masked(seconds, pa.timestamp("s")),
        "ts_ms_tz": masked(seconds * 1000, pa.timestamp("ms", tz="Europe/Oslo")),
        "ts_us": masked(seconds * 10**6, pa.timestamp("us", tz="UTC")),
        "ts_ns": masked(seconds * 10**9, pa.timestamp("ns")),
        "dur_s": masked(ints, pa.duration("s")),
        "dur_ns": masked(ints, pa.duration("ns")),
        "dec128": masked([i * 7 for i in range(rows)], pa.int64()).cast(pa.decimal128(22, 3)),
        "dec256": pa.array([i * 11 for i in range(rows)], pa.int64()).cast(pa.decimal256(40, 2)),
        "list": pa.array([None if i % 5 == 0 else list(range(i % 4)) for i in range(rows)]),
        "large_list": pa.array(
            [[float(i)] * (i % 3) for i in range(rows)], pa.large_list(pa.float64())
        ),
        "fixed_list": pa.array([[i, -i] for i in range(rows)], pa.list_(pa.int32(), 2)),
        "struct": pa.array(
            [None if i % 6 == 0 else {"a": i, "b": f"s{i}"} for i in range(rows)],
            pa.struct([("a", pa.int64()), ("b", pa.string())]),
        ),
        "ts_in_struct": pa.StructArray.from_arrays(
            [masked(seconds, pa.timestamp("s")), masked(seconds % 86_400, pa.time32("s"))],
            names=["at", "time"],
        ),
        "ts_in_list": pa.array([[i] for i in range(rows)], pa.list_(pa.timestamp("s"))),
        "map": pa.array(
            [[(f"k{i % 3}", i)] for i in range(rows)], pa.map_(pa.string(), pa.int64())
        ),
        "null": pa.nulls(rows),
    }
    return pa.table(columns, metadata={"normkit.transform": '{"kept": true}'})


@pytest.mark.parametrize("rows", [0, 1, 2500])
def test_every_type_reads_back_as_from_pyarrows_own_writer(rows, tmp_path):
    """The native writer's file and pyarrow's own (``pq.write_table``) read back the same, by
    pyarrow and by Polars: values, types, the schema's metadata."""
    table = every_type(rows)
    assert native_writes(table.schema)  # the native engine's file, not pyarrow's
    file = write(table, batch_rows=700)
    reference = tmp_path / "reference.parquet"
    pq.write_table(table, reference)
    back = file.read()
    expected = pq.read_table(reference)
    assert back.schema.equals(expected.schema, check_metadata=True)
    assert back.equals(expected)
    # the metadata also where readers that know nothing of Arrow look: the file's key-value pairs
    assert file.metadata.metadata[b"normkit.transform"] == b'{"kept": true}'
    if rows > 100:
        stats = file.metadata.row_group(0).column(file.schema_arrow.get_field_index("f64"))
        assert stats.statistics.has_min_max
        assert stats.statistics.null_count > 0
    # statistics per column chunk and no page index, as pyarrow writes by default
    for group in range(file.metadata.num_row_groups):
        for i in range(file.metadata.num_columns):
            column = file.metadata.row_group(group).column(i)
            assert (column.has_column_index, column.has_offset_index) == (False, False)

    import polars as pl

    mine = tmp_path / "mine.parquet"
    mine.write_bytes(pq_bytes(table))
    plain = [n for n in table.column_names if n != "dec256"]  # Polars: 38 digits at most
    assert pl.read_parquet(mine, columns=plain).equals(pl.read_parquet(reference, columns=plain))


def pq_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    writer = ParquetWriter(sink, table.schema)
    for batch in table.to_batches(max_chunksize=1000):
        writer.write_batch(batch)
    writer.close()
    return sink.getvalue().to_pybytes()


def test_the_bytes_do_not_depend_on_the_number_of_threads():
    from normkit import _native

    table = every_type(3000)
    files = []
    for threads in (1, 2, 5):
        writer = _native.ParquetWriter(
            table.schema, uncompressed=["f64"], dictionary=["text"], threads=threads
        )
        size = writer.row_group(table.to_batches(max_chunksize=1000))
        buffer = np.empty(size, np.uint8)
        writer.take(buffer)
        files.append(buffer.tobytes() + writer.finish().tobytes())
    assert files[0] == files[1] == files[2]
    assert pq.read_table(pa.BufferReader(files[0])).num_rows == 3000


def test_row_groups_of_every_size_reuse_the_buffers_and_read_back_whole():
    # A row group's bytes are copied into one of two buffers kept for the file, written while
    # the next one is filled: row groups growing (the buffers grow), then shrinking (a longer
    # buffer holds a shorter row group), each of its own values.
    sizes = [10, 50_000, 200, 70_000, 1, 30_000, 5, 5]
    rng = np.random.default_rng(7)
    frames = [
        pa.table({"x": rng.standard_normal(n), "id": pa.array([f"r{i}" for i in range(n)])})
        for n in sizes
    ]

    class Slow(io.RawIOBase):
        """A stream slow to take each piece, which it copies when it takes it: a buffer filled
        again while it is written would show in the file."""

        def __init__(self):
            self.pieces = []

        def writable(self):
            return True

        def write(self, data):
            time.sleep(0.002)
            self.pieces.append(bytes(data))
            return len(data)

    slow = Slow()
    writer = ParquetWriter(pa.PythonFile(slow, mode="w"), frames[0].schema)
    for frame in frames:
        for batch in frame.to_batches():
            writer.write_batch(batch)
        writer._flush()  # one row group per frame
    writer.close()
    file = pq.ParquetFile(pa.BufferReader(b"".join(slow.pieces)))
    assert [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)] == sizes
    for i, frame in enumerate(frames):
        assert file.read_row_group(i).equals(frame)


def test_a_buffer_shorter_than_the_row_group_is_refused():
    from normkit import _native

    table = pa.table({"x": np.arange(1000.0)})
    writer = _native.ParquetWriter(table.schema, uncompressed=["x"], dictionary=[])
    size = writer.row_group(table.to_batches())
    with pytest.raises(ValueError, match="shorter than the row group"):
        writer.take(np.empty(size - 1, np.uint8))


def test_the_bytes_do_not_change_from_run_to_run_with_the_schemas_metadata():
    # The schema's key-value metadata (pandas', normkit's) was written in a hash map's order,
    # which changes from one writer to the next: files of the same data differed.
    keys = ["pandas", "normkit.transform", "zeta", "alpha", "b", "a1", "m"]
    table = pa.table({"x": np.arange(100.0)}).replace_schema_metadata({k: k * 2 for k in keys})
    files = []
    for _ in range(12):
        sink = pa.BufferOutputStream()
        writer = ParquetWriter(sink, table.schema)
        writer.write_batch(table.to_batches()[0])
        writer.close()
        files.append(sink.getvalue().to_pybytes())
    assert len(set(files)) == 1
    assert pq.ParquetFile(pa.BufferReader(files[0])).schema_arrow.metadata == {
        k.encode(): (k * 2).encode() for k in keys
    }


def test_a_type_parquet_cannot_store_is_a_one_line_error_naming_the_output(tmp_path):
    from normkit.errors import OutputError
    from normkit.io.sinks import open_sink

    union = pa.UnionArray.from_sparse(
        pa.array([0, 1], pa.int8()), [pa.array([1, 2]), pa.array(["a", "b"])]
    )
    batch = pa.record_batch([pa.array([1.0, 2.0]), union], names=["x", "u"])
    target = tmp_path / "out.parquet"
    with pytest.raises(OutputError) as error, open_sink(target, batch.schema) as sink:
        sink.write(batch)
    message = str(error.value)
    assert str(target) in message
    assert '"u"' in message
    assert "union" in message
    assert "\n" not in message
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_batches_are_written_with_the_files_field_names_and_metadata(tmp_path):
    """Batches whose fields differ from the file's only in metadata or in nested names (a map
    read back from Parquet names its entries ``key_value``) are written, as pyarrow's writer
    writes them: the file's schema is the one given."""
    reference = tmp_path / "map.parquet"
    pq.write_table(
        pa.table({"m": pa.array([[("a", 1)]] * 5, pa.map_(pa.string(), pa.int64()))}), reference
    )
    mapped = pq.read_table(reference).to_batches()[0]
    schema = pa.schema(
        [
            pa.field("m", pa.map_(pa.string(), pa.int64())),
            pa.field("x", pa.float64(), metadata={"unit": "cm"}),
        ]
    )
    batch = pa.record_batch([mapped.column(0), pa.array(np.arange(5.0))], names=["m", "x"])
    sink = pa.BufferOutputStream()
    writer = ParquetWriter(sink, schema)
    writer.write_batch(batch)
    writer.close()
    back = pq.read_table(pa.BufferReader(sink.getvalue()))
    assert back.schema.field("x").metadata == {b"unit": b"cm"}
    assert back.column("m").to_pylist() == [[("a", 1)]] * 5
    assert back.column("x").to_pylist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def otherwise_written(rows: int) -> dict[str, pa.Array]:
    """Columns arrow-rs would write otherwise than pyarrow's writer."""
    codes = pa.array([i % 3 for i in range(rows)], pa.int8())
    return {
        "ordered": pa.DictionaryArray.from_arrays(codes, ["low", "mid", "high"], ordered=True),
        "unused": pa.DictionaryArray.from_arrays(codes, ["c", "b", "a", "never"]),
        "fixed": pa.DictionaryArray.from_arrays(
            codes, pa.array([b"ab", b"cd", b"ef"], pa.binary(2))
        ),
        "seconds": pa.DictionaryArray.from_arrays(
            codes, pa.array([0, 60, 3600], pa.int64()).view(pa.timestamp("s"))
        ),
        "uuid": pa.ExtensionArray.from_storage(
            pa.uuid(), pa.array([i.to_bytes(16, "little") for i in range(rows)], pa.binary(16))
        ),
        "list_view": pa.array([[i] for i in range(rows)], pa.list_view(pa.timestamp("s"))),
    }


@pytest.mark.parametrize("name", list(otherwise_written(1)))
def test_what_arrow_rs_would_write_otherwise_is_written_by_pyarrow(name, tmp_path):
    """Dictionaries (arrow-rs encodes them anew: order, unused values and the ordered flag
    lost; some of fixed-size binary written wrong), extension types (their Parquet logical type
    dropped), list views (times in seconds stored as bare integers): the file reads back as
    pyarrow's own, dictionaries included, as it was before the native engine wrote Parquet."""
    rows = PARQUET_ROW_GROUP_ROWS + 10  # a second row group, with its own dictionary
    column = otherwise_written(rows)[name]
    table = pa.table({"x": pa.array(np.arange(rows) / 7.0), name: column})
    assert not native_writes(table.schema)
    back = write(table, batch_rows=5000).read()
    reference = tmp_path / "reference.parquet"
    pq.write_table(table, reference)
    expected = pq.read_table(reference)
    assert back.schema.equals(expected.schema, check_metadata=True)
    assert back.equals(expected)


def test_metadata_that_is_not_text_is_kept():
    field = pa.field("x", pa.float64(), metadata={b"blob": b"\xff\x00"})
    table = pa.Table.from_arrays([pa.array([1.0, 2.0])], schema=pa.schema([field]))
    assert not native_writes(table.schema)
    assert write(table).read().schema.field("x").metadata == {b"blob": b"\xff\x00"}


@pytest.mark.parametrize(
    "dtype", [pl.Categorical, pl.Enum(["b", "a", "unused"])], ids=["categorical", "enum"]
)
def test_polars_categories_from_arrow_are_written_as_a_dictionary_of_text(tmp_path, dtype):
    # Polars writes them to Arrow IPC as dictionaries of string_view, which Parquet's writer
    # does not cast: pyarrow's raw 'Unsupported cast ... to utf8_view' at the end of the write.
    data = pl.DataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0], "c": pl.Series(["a", "b", None, "a"], dtype=dtype)}
    )
    arrow, stats = tmp_path / "d.arrow", tmp_path / "s.json"
    out, back = tmp_path / "z.parquet", tmp_path / "back.arrow"
    data.write_ipc(arrow, compression="uncompressed")
    normkit_summary("fit", arrow, "-o", stats)
    normkit_summary("transform", arrow, "-s", stats, "-o", out)
    written = pq.read_schema(out).field("c").type
    assert written == pa.dictionary(
        pa.uint32() if dtype == pl.Categorical else pa.uint8(), pa.string(), dtype != pl.Categorical
    )
    assert pl.read_parquet(out)["c"].dtype == dtype
    assert pl.read_parquet(out)["c"].to_list() == ["a", "b", None, "a"]
    frame = pd.read_parquet(out)
    assert frame["c"].dtype == "category"
    assert frame["c"].astype(object).where(frame["c"].notna(), None).tolist() == [
        "a",
        "b",
        None,
        "a",
    ]
    if dtype != pl.Categorical:  # an Enum's categories, unused and in their order, are kept
        assert frame["c"].cat.categories.tolist() == ["b", "a", "unused"]
    normkit_summary("inverse", out, "-s", stats, "-o", back)
    assert pl.read_ipc(back).equals(data)
