"""A Parquet file through CSV and back: the columns passed through get their types again, from
the CSV's record of them (normkit.jobs.texttypes), and the fitted ones the stat file's."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ERROR, normkit_summary, run_normkit
from sklearn.preprocessing import StandardScaler

from normkit import DataError
from normkit.jobs.texttypes import cast_as_recorded

N = 64


def _typed_table() -> pa.Table:
    rng = np.random.default_rng(5)
    day = dt.datetime(1969, 12, 30, 23, 59, 58, 123456)
    times = [
        day + dt.timedelta(seconds=int(s), microseconds=int(u))
        for s, u in zip(rng.integers(0, 10**8, N), rng.integers(0, 10**6, N), strict=True)
    ]
    some_missing = [None if i % 7 == 3 else i for i in range(N)]
    return pa.table(
        {
            "x": rng.normal(5, 2, N),
            "i8": pa.array(rng.integers(-128, 128, N), pa.int8()),
            "u64": pa.array([2**63 + i for i in range(N)], pa.uint64()),
            "i32": pa.array(some_missing, pa.int32()),
            "f32": pa.array(rng.normal(0, 1e-3, N).astype(np.float32), pa.float32()),
            "b": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in range(N)]),
            "d32": pa.array([t.date() for t in times], pa.date32()),
            "ts_s": pa.array([t.replace(microsecond=0) for t in times], pa.timestamp("s")),
            "ts_us": pa.array(times, pa.timestamp("us")),
            "ts_utc": pa.array(times, pa.timestamp("ns", tz="UTC")),
            "ts_berlin": pa.array(
                [t.replace(microsecond=t.microsecond // 1000 * 1000) for t in times],
                pa.timestamp("ms", tz="Europe/Berlin"),
            ),
            "t32": pa.array([t.time().replace(microsecond=0) for t in times], pa.time32("s")),
            "t64": pa.array([t.time() for t in times], pa.time64("us")),
            "dur": pa.array(rng.integers(-(10**9), 10**9, N), pa.duration("ms")),
            "dec": pa.array(
                [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(-99, 99, N)], pa.decimal128(10, 2)
            ),
            "s": pa.array([None if i % 6 == 0 else f"{i:03d}" for i in range(N)]),
            "ls": pa.array([f"v{i}" for i in range(N)], pa.large_string()),
            "cat": pa.array([f"c{i % 3}" for i in range(N)]).dictionary_encode(),
        }
    )


@pytest.mark.parametrize("csv", ["z.csv", "z.csv.gz", "z.tsv"])
def test_a_parquet_file_through_csv_and_back_has_its_types_and_values(tmp_path, csv):
    data, stats = tmp_path / "in.parquet", tmp_path / "s.json"
    pq.write_table(_typed_table(), data)
    original = pq.read_table(data)  # as Parquet keeps it: no seconds (timestamp[s] as ms)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    z, back = tmp_path / csv, tmp_path / "back.parquet"
    normkit_summary("transform", data, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    got = pq.read_table(back)
    assert got.schema.remove_metadata().equals(original.schema.remove_metadata())
    for name in original.column_names[1:]:
        assert got.column(name).equals(original.column(name)), name
    expected = StandardScaler().fit(original.column("x").to_numpy()[:, None])
    np.testing.assert_allclose(
        got.column("x").to_numpy(),
        original.column("x").to_numpy(),
        rtol=1e-12,
        atol=1e-12 * expected.scale_[0],
    )
    # Inverted to CSV, then normalized to Parquet: the inverse's record keeps the types too.
    raw_csv, again = tmp_path / "raw.csv", tmp_path / "again.parquet"
    normkit_summary("inverse", z, "-s", stats, "-o", raw_csv)
    normkit_summary("transform", raw_csv, "-s", stats, "-o", again)
    assert pq.read_schema(again).remove_metadata().equals(original.schema.remove_metadata())
    # Text asked for: text.
    text = tmp_path / "text.parquet"
    normkit_summary("inverse", z, "-s", stats, "-o", text, "--keep-text")
    assert set(pq.read_schema(text).types[1:]) <= {pa.string(), pa.large_string()}


def test_a_csv_without_a_record_of_types_is_typed_by_its_text(tmp_path):
    # Written from a CSV (its types are whatever its text reads as), or through a pipe.
    data, stats, z = tmp_path / "in.csv", tmp_path / "s.json", tmp_path / "z.csv"
    data.write_text("x,n,d\n1.5,7,2024-01-02\n2.5,8,2024-01-03\n4.0,9,2024-01-04\n")
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    back = tmp_path / "back.parquet"
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    assert pq.read_schema(back).types[1:] == [pa.int64(), pa.date32()]


def test_text_that_does_not_read_as_its_recorded_type_names_the_cell(tmp_path):
    batch = pa.record_batch({"t": ["01:02:03", "NA", "25:61:00", "x"], "n": ["1", "", "2", "3"]})
    types = {"t": pa.time32("s"), "n": pa.int16()}
    with pytest.raises(DataError) as caught:
        cast_as_recorded(batch, types, ("", "NA"), lambda row, name: f"f.csv: {name!r} row {row}")
    assert str(caught.value).startswith(
        "f.csv: 't' row 2: the text '25:61:00' does not read back as time32[s], the type the "
        "column had when normkit wrote it (its record says so)"
    )
    fine = cast_as_recorded(batch.slice(0, 2), types, ("", "NA"), lambda row, name: "")
    assert fine.column("t").to_pylist() == [dt.time(1, 2, 3), None]
    assert fine.column("n").to_pylist() == [1, None]
    assert fine.schema.types == [pa.time32("s"), pa.int16()]


def test_an_edited_csv_is_refused_before_its_types_are_believed(tmp_path):
    data, stats, z = tmp_path / "in.parquet", tmp_path / "s.json", tmp_path / "z.csv"
    pq.write_table(pa.table({"x": [1.0, 2.0, 4.0], "n": pa.array([1, 2, 3], pa.int8())}), data)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    z.write_text(z.read_text().replace(",2\n", ",two\n"))
    proc = run_normkit("inverse", z, "-s", stats, "-o", tmp_path / "b.parquet")
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(f"{ERROR}{z} is not the file that ")


@pytest.mark.parametrize(
    "column",
    [
        pa.array(np.array([1.5, 2.25, -3.0], dtype=np.float16)),
        pa.array([dt.date(2024, 1, 1), None, dt.date(1900, 3, 1)], pa.date64()),
        pa.array([decimal.Decimal("1.500"), None, decimal.Decimal("-2.125")], pa.decimal256(40, 3)),
        pa.array([1, 2, 1], pa.int8()).dictionary_encode(),
        pa.array(["a", "b", "a"], pa.large_string()).dictionary_encode(),
        pa.array(["a", "b", "c"], pa.string_view()),
        pa.nulls(3),
        pa.array([None, None, None], pa.bool_()),
        pa.array([dt.datetime(2024, 3, 10, 1, 30)] * 3, pa.timestamp("s", tz="America/New_York")),
        pa.array([1, -2, None], pa.duration("ns")),
    ],
    ids=lambda c: str(c.type),
)
def test_arrow_types_through_csv_and_back(tmp_path, column):
    import pyarrow.ipc as ipc

    table = pa.table({"x": [1.0, 2.0, 4.0], "c": column})
    data, stats, z, back = (tmp_path / n for n in ("in.arrow", "s.json", "z.csv", "b.arrow"))
    with ipc.new_file(data, table.schema) as writer:
        writer.write_table(table)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    got = ipc.open_file(back).read_all()
    assert got.schema.field("c").type == column.type
    assert got.column("c").equals(table.column("c"))


@pytest.mark.parametrize(
    "column",
    [
        pa.array([b"ab", b"cd", b"ef"], pa.binary(2)),
        pa.array([(1, 2, 3)] * 3, pa.month_day_nano_interval()),
    ],
    ids=lambda c: str(c.type),
)
def test_types_without_a_csv_text_are_refused_before_writing(tmp_path, column):
    import pyarrow.ipc as ipc

    data, stats, z = tmp_path / "in.arrow", tmp_path / "s.json", tmp_path / "z.csv"
    table = pa.table({"x": [1.0, 2.0, 4.0], "c": column})
    with ipc.new_file(data, table.schema) as writer:
        writer.write_table(table)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    proc = run_normkit("transform", data, "-s", stats, "-o", z)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"{ERROR}{z}: column 'c' of type {column.type} cannot be written as CSV; write Parquet "
        "or Arrow instead (--output-format parquet)\n"
    )
    assert not z.exists()
