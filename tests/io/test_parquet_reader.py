"""Parquet input (normkit.io.parquet.ParquetReader): the native engine's reader gives what
pyarrow's reader gives, batch for batch, where it reads a file; pyarrow's reads the rest."""

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normkit.errors import InputError
from normkit.io.inputs import open_input
from normkit.io.options import ReadOptions
from normkit.io.parquet import native_reads

#: Types the native reader reads, with a value of each for row ``i``.
FLAT = {
    "i8": (pa.int8(), lambda i: (i * 37) % 256 - 128),
    "u16": (pa.uint16(), lambda i: (i * 7919) % 65536),
    "i64": (pa.int64(), lambda i: (i - 500) * 10**15),
    "u64": (pa.uint64(), lambda i: 2**64 - 1 - i),
    "f32": (pa.float32(), lambda i: i / 3),
    "f64": (
        pa.float64(),
        lambda i: [np.nan, np.inf, -0.0, 5e-324, 1e308][i % 5] if i % 4 else i / 7,
    ),
    "bool": (pa.bool_(), lambda i: i % 3 == 0),
    "str": (pa.string(), lambda i: "é" * (i % 4) + str(i)),
    "large_str": (pa.large_string(), lambda i: f"v{i % 5}"),
    "bin": (pa.binary(), lambda i: bytes([i % 256]) * (i % 3)),
    "date": (pa.date32(), lambda i: dt.date(1970, 1, 1) + dt.timedelta(days=i * 13 - 4000)),
    "ts_ms": (pa.timestamp("ms"), lambda i: dt.datetime(2001, 2, 3) + dt.timedelta(seconds=i)),
    "ts_us_tz": (
        pa.timestamp("us", "Europe/Oslo"),
        lambda i: dt.datetime(2020, 3, 29, tzinfo=dt.UTC) + dt.timedelta(minutes=17 * i),
    ),
}


def table_of(kinds: list[str], rows: int, nulls: bool) -> pa.Table:
    columns = {}
    for j, kind in enumerate(kinds):
        type_, value = FLAT[kind]
        values = [None if nulls and (i + j) % 5 == 1 else value(i) for i in range(rows)]
        columns[f"{kind}_{j}"] = pa.array(values, type_)
    return pa.table(columns, metadata={"origin": "test"})


def same(got: pa.RecordBatch, want: pa.RecordBatch) -> bool:
    """Equal batches, schema and metadata included; NaN equals NaN (floats compared by bits)."""
    if not got.schema.equals(want.schema, check_metadata=True):
        return False
    for g, w in zip(got.columns, want.columns, strict=True):
        if pa.types.is_floating(g.type):
            bits = pa.int64() if pa.types.is_float64(g.type) else pa.int32()
            g, w = (
                pa.Array.from_buffers(bits, len(a), a.buffers(), a.null_count, a.offset)
                for a in (g, w)
            )
        if not g.equals(w):
            return False
    return True


def reference(path: Path, batch_rows: int, columns: list[str] | None) -> list[pa.RecordBatch]:
    """pyarrow's reader, as normkit used it before the native one."""
    file = pq.ParquetFile(path, pre_buffer=False, buffer_size=64 << 10)
    return list(file.iter_batches(batch_size=batch_rows, columns=columns))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.sampled_from(sorted(FLAT)), min_size=1, max_size=6),
    rows=st.integers(0, 3000),
    nulls=st.booleans(),
    row_group=st.integers(1, 1500),
    batch_rows=st.integers(1, 2000),
    compression=st.sampled_from(["snappy", "none", "zstd", "lz4", "gzip"]),
    dictionary=st.booleans(),
    arrow_schema=st.booleans(),
    page_version=st.sampled_from(["1.0", "2.0"]),
    data=st.data(),
)
def test_native_reader_gives_pyarrows_batches(
    tmp_path_factory,
    kinds,
    rows,
    nulls,
    row_group,
    batch_rows,
    compression,
    dictionary,
    arrow_schema,
    page_version,
    data,
):
    path = tmp_path_factory.mktemp("pq") / "t.parquet"
    table = table_of(kinds, rows, nulls)
    pq.write_table(
        table,
        path,
        row_group_size=row_group,
        compression=compression,
        use_dictionary=dictionary,
        store_schema=arrow_schema,
        data_page_version=page_version,
    )
    reader = open_input(path, ReadOptions())
    if arrow_schema:  # without it, the readers name a timestamp's zone each its own way
        assert reader._native() is not None, "every type here is one the native reader reads"
    names = reader.schema.names
    chosen = data.draw(st.permutations(names).flatmap(lambda p: st.just(p[: len(p) // 2 + 1])))
    for columns in (None, chosen):
        got = list(reader._batches([], columns))
        want = reference(path, reader.read.chunk_rows or 65_536, columns)
        assert [b.num_rows for b in got] == [b.num_rows for b in want]
        for g, w in zip(got, want, strict=True):
            assert same(g, w)
    # With logical chunks of its own, through the public entry.
    chunked = open_input(path, ReadOptions(chunk_rows=batch_rows))
    got = list(chunked.batches([], all_columns=False, also=chosen))
    want = reference(path, batch_rows, chosen)
    assert [b.num_rows for b in got] == [b.num_rows for b in want]
    for g, w in zip(got, want, strict=True):
        assert same(g, w)


@pytest.mark.parametrize(
    ("table", "options", "why"),
    [
        (pa.table({"x": [1.5, 2.5]}), {"compression": "brotli"}, "a codec not built in"),
        (
            pa.table({"s": ["ab", "abc", "b"]}),
            {"use_dictionary": False, "column_encoding": {"s": "DELTA_BYTE_ARRAY"}},
            "an encoding whose damage goes unseen",
        ),
        (pa.table({"d": pa.array([1, 2], pa.decimal128(9, 2))}), {}, "decimals"),
        (pa.table({"c": pa.array(["a", "b", "a"]).dictionary_encode()}), {}, "a dictionary"),
        (pa.table({"l": [[1.0], [2.0, 3.0]]}), {}, "a nested type"),
        (
            pa.table({"t": pa.array([0, 10**12], pa.timestamp("ns"))}),
            {"use_deprecated_int96_timestamps": True},
            "INT96 values",
        ),
    ],
)
def test_files_the_native_reader_leaves_to_pyarrow_are_read_as_before(
    tmp_path, table, options, why
):
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, **options)
    reader = open_input(path)
    assert reader._native() is None, why
    got = pa.Table.from_batches(list(reader._batches([], None)))
    assert got.equals(pq.read_table(path), check_metadata=True)


def test_native_reads_only_pyarrows_schema():
    schema = pa.schema([("x", pa.float64())], metadata={"k": "v"})
    assert native_reads(schema, schema)
    assert not native_reads(schema, schema.remove_metadata())
    assert not native_reads(schema, pa.schema([("x", pa.float32())], metadata={"k": "v"}))
    tz = pa.schema([("t", pa.timestamp("ms", "UTC"))])
    assert not native_reads(tz, pa.schema([("t", pa.timestamp("ms", "+00:00"))]))


def test_a_damaged_page_is_one_line_naming_the_file_and_no_stat_file(tmp_path):
    rows = 200_000
    path = tmp_path / "damaged.parquet"
    pq.write_table(
        pa.table({"x": np.arange(rows, dtype=np.float64), "y": np.ones(rows)}),
        path,
        row_group_size=50_000,
        use_dictionary=False,
    )
    data = bytearray(path.read_bytes())
    column = pq.ParquetFile(path).metadata.row_group(2).column(0)
    start = column.data_page_offset + 100  # inside the third row group's first page
    data[start : start + 2000] = bytes(range(256)) * 7 + bytes(208)
    path.write_bytes(bytes(data))
    assert open_input(path)._native() is not None  # the footer is sound
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "normkit_cli.main",
            "fit",
            str(path),
            "-o",
            str(tmp_path / "s.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith(f"normkit: error: {path}: cannot read as parquet: "), lines
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "s.json").exists()


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
def test_a_file_read_is_not_held_open(tmp_path):
    """A data set keeps every input's reader until the job ends: a thousand files had run out
    of file descriptors."""
    paths = []
    for i in range(40):
        paths.append(tmp_path / f"p{i}.parquet")
        pq.write_table(pa.table({"x": [float(i), 2.0]}), paths[-1])
    readers = [open_input(p) for p in paths]
    before = _open_files()
    for reader in readers:
        assert reader._native() is not None
        assert sum(b.num_rows for b in reader.batches(["x"])) == 2
    assert _open_files() <= before + 1
    for reader in readers:
        reader.close()


def test_threads_reading_one_input_at_once_each_get_all_its_rows(tmp_path):
    path = tmp_path / "t.parquet"
    rng = np.random.default_rng(3)
    table = pa.table({"x": rng.standard_normal(200_000), "s": [f"v{i}" for i in range(200_000)]})
    pq.write_table(table, path, row_group_size=20_000)
    reader = open_input(path)
    got: dict[int, pa.Table] = {}

    def read(k: int) -> None:
        got[k] = pa.Table.from_batches(list(reader.batches([], keep_text=True)))

    threads = [threading.Thread(target=read, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [0, 1, 2, 3]
    assert all(t.equals(table) for t in got.values())


@pytest.mark.parametrize(
    "options",
    [
        {"compression": "snappy"},
        {"compression": "zstd", "data_page_version": "2.0"},
        {"compression": "none", "use_dictionary": False},
    ],
)
def test_damaged_pages_are_read_or_refused_in_one_line_never_a_crash(tmp_path, options):
    """The Parquet crate panics on some damaged pages (slices out of bounds): such a panic is
    a refusal naming the file, as every other error of the reader."""
    rng = np.random.default_rng(11)
    n = 3000
    table = pa.table(
        {
            "x": pa.array(rng.normal(size=n), mask=rng.random(n) < 0.1),
            "i": rng.integers(0, 50, n),
            "s": [f"s{i % 37}" for i in range(n)],
            "b": rng.random(n) < 0.5,
        }
    )
    path = tmp_path / "base.parquet"
    pq.write_table(table, path, row_group_size=1000, **options)
    data = path.read_bytes()
    pages_end = len(data) - 8 - int.from_bytes(data[-8:-4], "little")  # the footer after them
    damaged = tmp_path / "damaged.parquet"
    read, refusals = 0, []
    for _ in range(150):
        changed = bytearray(data)
        for at in rng.integers(4, pages_end, size=int(rng.integers(1, 6))):
            changed[at] = int(rng.integers(0, 256))
        damaged.write_bytes(bytes(changed))
        reader = open_input(damaged)
        try:
            for _ in reader.batches([]):
                pass
            read += 1
        except InputError as error:
            refusals.append(str(error))
        finally:
            reader.close()
    assert refusals, f"{read} damaged files read, none refused"
    for message in refusals:
        assert message.startswith(f"{damaged}: cannot read as parquet: "), message
        assert "\n" not in message


def test_text_that_is_not_utf8_is_refused_by_the_native_reader_and_named_by_escapes(tmp_path):
    """A Parquet string column must hold UTF-8: the native reader refuses other bytes in one
    line; pyarrow's (standard input) passes them through, and a fit's category counts name them
    by escapes (they had ended in a traceback)."""
    data = b"okfine\xff\xfe"
    text = pa.Array.from_buffers(
        pa.string(), 3, [None, pa.py_buffer(np.array([0, 2, 6, 8], np.int32)), pa.py_buffer(data)]
    )
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, 4.0], "s": text}), path)
    stats = tmp_path / "s.json"
    command = [sys.executable, "-m", "normkit_cli.main", "fit"]
    done = subprocess.run([*command, str(path), "-o", str(stats)], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.startswith(f"normkit: error: {path}: cannot read as parquet: "), done.stderr
    assert "UTF-8" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    with open(path, "rb") as stdin:
        done = subprocess.run(
            [*command, "-", "-o", str(stats)], stdin=stdin, capture_output=True, text=True
        )
    assert done.returncode == 0, done.stderr
    counts = json.loads(stats.read_text())["categories"][0]["counts"]
    assert counts == {"ok": 1, "fine": 1, "\\xff\\xfe": 1}


def test_a_column_name_holding_a_nul_character_is_refused(tmp_path):
    # It reached the engine's Arrow interface, which takes names as C strings: a Rust panic.
    from conftest import NORMKIT

    path = tmp_path / "nul.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0], "t\x00u": ["a", "b"]}), path)
    proc = subprocess.run([NORMKIT, "fit", str(path)], capture_output=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert b"column name 't\\x00u' holds a NUL character" in proc.stderr
    assert b"panicked" not in proc.stderr
