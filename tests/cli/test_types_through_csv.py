"""A Parquet file through CSV and back: the columns passed through get their types again, from
the CSV's record of them (normkit.jobs.texttypes), and the fitted ones the stat file's."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ERROR, normkit_summary, run_normkit
from sklearn.preprocessing import StandardScaler

from normkit import DataError
from normkit.jobs.texttypes import cast_as_recorded

N = 64


def _arrow_file(path, table):
    import pyarrow.ipc as ipc

    with ipc.new_file(path, table.schema) as writer:
        writer.write_table(table)


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
        cast_as_recorded(
            batch, types, ("", "NA"), ".", lambda row, name: f"f.csv: {name!r} row {row}"
        )
    assert str(caught.value).startswith(
        "f.csv: 't' row 2: the text '25:61:00' does not read back as time32[s], the type the "
        "column had when normkit wrote it (its record says so)"
    )
    fine = cast_as_recorded(batch.slice(0, 2), types, ("", "NA"), ".", lambda row, name: "")
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
        # An offset of -00:44:30 (Liberia until 1972): Arrow writes offsets to the minute.
        pa.array(
            [dt.datetime(y, 6, 1, 12, tzinfo=dt.timezone.utc) for y in (1970, 1990)] + [None],
            pa.timestamp("s", tz="Africa/Monrovia"),
        ),
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
    # A dictionary comes back with its recorded values, the same in every batch (as an Arrow
    # file needs).
    assert got.schema.field("c").type == column.type
    assert got.column("c").combine_chunks().equals(column)


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
    instead = (  # Parquet holds no interval of months, days and nanoseconds either
        "Arrow instead (--output-format arrow)"
        if pa.types.is_interval(column.type)
        else "Parquet or Arrow instead (--output-format parquet)"
    )
    assert proc.stderr.decode() == (
        f"{ERROR}{z}: column 'c' of type {column.type} cannot be written as CSV; write {instead}\n"
    )
    assert not z.exists()


def test_every_column_without_a_csv_text_is_named_in_one_refusal(tmp_path):
    # They were refused one per run: with four such columns, four runs to learn of them all.
    import pyarrow.ipc as ipc

    data, stats, z = tmp_path / "in.arrow", tmp_path / "s.json", tmp_path / "z.csv"
    table = pa.table(
        {
            "x": [1.0, 2.0, 4.0],
            "bv": pa.array([b"a", b"b", b"c"], pa.binary_view()),
            "fb": pa.array([b"ab", b"cd", b"ef"], pa.binary(2)),
            "iv": pa.array([(1, 2, 3)] * 3, pa.month_day_nano_interval()),
            "s": ["a", "b", "c"],
            "m": pa.array([[("k", 1)]] * 3, pa.map_(pa.string(), pa.int64())),
            "l": pa.array([[1, 2]] * 3, pa.list_(pa.int64())),
        }
    )
    with ipc.new_file(data, table.schema) as writer:
        writer.write_table(table)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    proc = run_normkit("transform", data, "-s", stats, "-o", z)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"{ERROR}{z}: 5 columns cannot be written as CSV: 'bv' (binary_view), 'fb' "
        "(fixed_size_binary[2]), 'iv' (month_day_nano_interval), 'm' (map<string, int64>), "
        "'l' (list<item: int64>); write Arrow instead (--output-format arrow)\n"
    )
    assert not z.exists()
    # Parquet holds the others (it was named for the interval too, and refused it then).
    table = table.drop_columns(["iv"])
    with ipc.new_file(data, table.schema) as writer:
        writer.write_table(table)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    proc = run_normkit("transform", data, "-s", stats, "-o", z)
    assert proc.stderr.decode().endswith(
        "; write Parquet or Arrow instead (--output-format parquet)\n"
    )
    normkit_summary("transform", data, "-s", stats, "-o", tmp_path / "z.parquet")
    normkit_summary("transform", data, "-s", stats, "-o", tmp_path / "z.arrow")


def test_a_decimal_comma_and_dictionaries_of_times_come_back(tmp_path):
    table = pa.table(
        {
            "x": [1.0, 2.0, 4.0],
            "f": pa.array([1.5, -2.25, None], pa.float32()),
            "t": pa.array([0, 3600, None], pa.time32("s")).dictionary_encode(),
            "d": pa.array([1, 2, 1], pa.duration("s")).dictionary_encode(),
        }
    )
    data, stats, z, back = (tmp_path / n for n in ("in.arrow", "s.json", "z.csv", "b.parquet"))
    _arrow_file(data, table)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z, "--delimiter", ";", "--decimal", ",")
    assert "1,5" in z.read_text()
    normkit_summary("inverse", z, "-s", stats, "-o", back, "--decimal", ",")
    # As Parquet keeps these types (times in ms, durations in its Arrow schema).
    reference = tmp_path / "reference.parquet"
    pq.write_table(table, reference)
    expected, got = pq.read_table(reference), pq.read_table(back)
    for name in ("f", "t", "d"):
        assert got.column(name).type == expected.column(name).type, name
        assert got.column(name).to_pylist() == expected.column(name).to_pylist(), name


def test_an_arrow_file_gets_one_dictionary_over_many_batches(tmp_path):
    # Each batch gets the recorded dictionary: an Arrow file cannot change it between batches.
    table = pa.table({"x": np.arange(6.0), "c": pa.array(list("abcdef")).dictionary_encode()})
    data, stats, z, back = (tmp_path / n for n in ("in.parquet", "s.json", "z.csv", "b.arrow"))
    pq.write_table(table, data)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back, "--chunk-rows", "2")
    import pyarrow.ipc as ipc

    got = ipc.open_file(back).read_all()
    assert got.column("c").num_chunks == 3
    assert got.column("c").combine_chunks().equals(table.column("c").combine_chunks())


def test_types_the_inputs_disagree_on_or_the_record_lacks_are_read_from_the_text(tmp_path):
    # One column int8 in a file, int16 in another: one CSV holds their text, typed as before.
    (tmp_path / "ds").mkdir()
    for i, dtype in enumerate((pa.int8(), pa.int16())):
        part = pa.table({"x": [1.0 + i, 2.0, 4.0], "c": pa.array([1, 2, 3], dtype)})
        pq.write_table(part, tmp_path / "ds" / f"p{i}.parquet")
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "b.parquet"
    normkit_summary("fit", tmp_path / "ds", "--columns", "x", "-o", stats)
    normkit_summary("transform", tmp_path / "ds", "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    assert pq.read_schema(back).field("c").type == pa.int64()
    # A column fitted by one stat file and passed through by another keeps its type: the
    # inverse's record names the types it restored.
    data = tmp_path / "in.parquet"
    table = pa.table({"x": [1.0, 2.0, 4.0], "y": pa.array([1, 5, 9], pa.int8()), "c": [1, 2, 3]})
    pq.write_table(table.set_column(2, "c", pa.array([1, 2, 3], pa.int16())), data)
    both, one = tmp_path / "both.json", tmp_path / "one.json"
    normkit_summary("fit", data, "--columns", "x,y", "-o", both)
    normkit_summary("fit", data, "--columns", "x", "-o", one)
    a, raw, out = tmp_path / "a.csv", tmp_path / "raw.csv", tmp_path / "out.parquet"
    normkit_summary("transform", data, "-s", both, "-o", a)
    normkit_summary("inverse", a, "-s", both, "-o", raw)
    normkit_summary("transform", raw, "-s", one, "-o", out)
    assert pq.read_schema(out).types[1:] == [pa.int8(), pa.int16()]


def test_records_that_differ_only_in_types_are_one_record(tmp_path):
    # Normalized twice (two CSVs from files of other types), then inverted once: still
    # normalized once, which a third transform must refuse.
    stats = tmp_path / "s.json"
    for i, dtype in enumerate((pa.int8(), pa.int16())):
        part = pa.table({"x": [1.0 + i, 2.0, 4.0], "c": pa.array([1, 2, 3], dtype)})
        pq.write_table(part, tmp_path / f"p{i}.parquet")
    normkit_summary("fit", tmp_path / "p0.parquet", "--columns", "x", "-o", stats)
    for i in range(2):
        normkit_summary(
            "transform", tmp_path / f"p{i}.parquet", "-s", stats, "-o", tmp_path / f"z{i}.csv"
        )
    zz, once = tmp_path / "zz.parquet", tmp_path / "once.parquet"
    normkit_summary(
        "transform",
        tmp_path / "z0.csv",
        tmp_path / "z1.csv",
        "-s",
        stats,
        "-o",
        zz,
        "--renormalize",
    )
    normkit_summary("inverse", zz, "-s", stats, "-o", once)
    proc = run_normkit("transform", once, "-s", stats, "-o", tmp_path / "again.parquet")
    assert proc.returncode == 1
    assert "is already normalized with these statistics" in proc.stderr.decode()


def test_many_columns_passed_through_get_their_types(tmp_path):
    columns = {f"c{i}": pa.array([1, 2, 3], pa.int8()) for i in range(2000)}
    table = pa.table({"x": [1.0, 2.0, 4.0], **columns})
    data, stats, z, back = (tmp_path / n for n in ("in.parquet", "s.json", "z.csv", "b.parquet"))
    pq.write_table(table, data)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    assert pq.read_schema(back).types[1:] == [pa.int8()] * 2000


def test_the_cell_named_is_the_first_unreadable_one(tmp_path):
    texts = ["01:02:03"] * 1000 + ["25:61:00"] + ["x"] * 5
    batch = pa.record_batch({"t": texts})
    with pytest.raises(DataError, match="row 1000: the text '25:61:00'"):
        cast_as_recorded(batch, {"t": pa.time32("s")}, ("",), ".", lambda row, name: f"row {row}")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_normalized_inverted_and_normalized_again_is_normalized_once(tmp_path, fmt):
    # The record of data an inverse restored is no step of normalization: inverting the second
    # transform gives the integers back (it was taken for data normalized twice: floats).
    data, stats = tmp_path / "in.parquet", tmp_path / "s.json"
    pq.write_table(pa.table({"x": pa.array([1, 2, 4, 7], pa.int32()), "c": list("abcd")}), data)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    a, b, c, d = (tmp_path / f"{n}.{fmt}" for n in "abcd")
    normkit_summary("transform", data, "-s", stats, "-o", a)
    normkit_summary("inverse", a, "-s", stats, "-o", b)
    normkit_summary("transform", b, "-s", stats, "-o", c)
    back = tmp_path / "back.parquet"
    normkit_summary("inverse", c, "-s", stats, "-o", back)
    assert pq.read_table(back).column("x").type == pa.int32()
    assert pq.read_table(back).column("x").to_pylist() == [1, 2, 4, 7]
    proc = run_normkit("transform", c, "-s", stats, "-o", d)  # normalized once, as its record says
    assert proc.returncode == 1
    assert "is already normalized with these statistics" in proc.stderr.decode()


def test_csvs_that_recorded_other_types_are_typed_by_their_text(tmp_path):
    # Two CSVs from files of int8 and int16 (their records differ in types alone), inverted to
    # one CSV: its record must not keep the first one's types (300 is no int8).
    stats = tmp_path / "s.json"
    (tmp_path / "csv").mkdir()
    for i, (dtype, values) in enumerate(((pa.int8(), [1, 2, 3]), (pa.int16(), [300, -400, None]))):
        part = tmp_path / f"p{i}.parquet"
        pq.write_table(
            pa.table({"x": [1.0 + 3 * i, 2.0 + 3 * i, 3.0 + 3 * i], "s": pa.array(values, dtype)}),
            part,
        )
    normkit_summary(
        "fit", tmp_path / "p0.parquet", tmp_path / "p1.parquet", "--columns", "x", "-o", stats
    )
    for i in range(2):
        normkit_summary(
            "transform",
            tmp_path / f"p{i}.parquet",
            "-s",
            stats,
            "-o",
            tmp_path / "csv" / f"p{i}.csv",
        )
    raw, out = tmp_path / "raw.csv", tmp_path / "out.parquet"
    normkit_summary("inverse", tmp_path / "csv", "-s", stats, "-o", raw)
    normkit_summary("transform", raw, "-s", stats, "-o", out)
    assert pq.read_table(out).column("s").to_pylist() == [1, 2, 3, 300, -400, None]
    assert pq.read_schema(out).field("s").type == pa.int64()


def test_a_uuid_column_is_refused_before_writing(tmp_path):
    import pyarrow.ipc as ipc

    uuids = pa.ExtensionArray.from_storage(
        pa.uuid(), pa.array([b"abcdefghijklmnop"] * 3, pa.binary(16))
    )
    table = pa.table({"x": [1.0, 2.0, 4.0], "u": uuids})
    data, stats, z = tmp_path / "in.arrow", tmp_path / "s.json", tmp_path / "z.csv"
    with ipc.new_file(data, table.schema) as writer:
        writer.write_table(table)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    proc = run_normkit("transform", data, "-s", stats, "-o", z)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(f"{ERROR}{z}: column 'u' of type ")
    assert "cannot be written as CSV" in proc.stderr.decode()
    assert not z.exists()


def test_pandas_frames_come_back_through_csv_as_they_were(tmp_path):
    """The nullable Int64 column, the categories and the index of a frame written to Parquet:
    through a CSV and back they came back float64, text and a plain column (the types were
    restored, pandas' record of them was not)."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "x": [0.5, 1.5, 2.0, 3.25],
            "c": pd.Categorical(["a", "b", "a", "c"]),
        },
        index=pd.Index([10, 20, 30, 40], name="key"),
    )
    given = tmp_path / "in.parquet"
    frame.to_parquet(given)
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "back.parquet"
    normkit_summary("fit", given, "-o", stats)
    normkit_summary("transform", given, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    pd.testing.assert_frame_equal(pd.read_parquet(back), frame)
    # A CSV made from that CSV passes it on: inverted to CSV, normalized into Parquet again
    # (its fitted columns float64) and inverted from there, the frame is as it was.
    raw, z2, back2 = tmp_path / "raw.csv", tmp_path / "z2.parquet", tmp_path / "back2.parquet"
    normkit_summary("inverse", z, "-s", stats, "-o", raw)
    normkit_summary("transform", raw, "-s", stats, "-o", z2)
    assert pd.read_parquet(z2).index.name == "key"
    normkit_summary("inverse", z2, "-s", stats, "-o", back2)
    pd.testing.assert_frame_equal(pd.read_parquet(back2), frame)
    # As text, nothing claims the types the text no longer has: pandas reads it.
    text = tmp_path / "text.parquet"
    normkit_summary("inverse", z, "-s", stats, "--keep-text", "-o", text)
    assert pd.read_parquet(text)["key"].tolist() == ["10", "20", "30", "40"]


def test_timestamps_of_different_units_take_the_finer_one(tmp_path):
    # ms in one Parquet file and us in another (or a CSV's seconds beside pandas' us) were
    # refused, "one output cannot hold both", --keep-text no help: the finer unit holds them,
    # exactly, as DuckDB reads them; a value beyond its range and another time zone are refused.
    ms, us, big, utc = (tmp_path / f"{n}.parquet" for n in ("ms", "us", "big", "utc"))
    pq.write_table(pa.table({"ts": pa.array([0, 1500], pa.timestamp("ms")), "x": [1.0, 2.0]}), ms)
    pq.write_table(pa.table({"ts": pa.array([2_000_001], pa.timestamp("us")), "x": [3.0]}), us)
    stats, out = tmp_path / "s.json", tmp_path / "o.parquet"
    normkit_summary("fit", ms, us, "-o", stats)
    for inputs in ((ms, us), (us, ms)):
        normkit_summary("transform", *inputs, "-s", stats, "-o", out)
        ts = pq.read_table(out).column("ts")
        assert ts.type == pa.timestamp("us")
        assert sorted(ts.cast(pa.int64()).to_pylist()) == [0, 1_500_000, 2_000_001]
    csv, made = tmp_path / "t.csv", tmp_path / "pd.parquet"
    csv.write_text("ts,x\n2024-01-01 10:00:00,1\n2024-01-02 11:00:00,2\n")
    moment = pd.to_datetime(["2024-01-03 10:00:00.5"]).as_unit("us")
    pd.DataFrame({"ts": moment, "x": [3.0]}).to_parquet(made)
    normkit_summary("fit", csv, made, "-o", stats)
    normkit_summary("transform", csv, made, "-s", stats, "-o", out)
    assert pq.read_table(out).column("ts").to_pylist() == [
        dt.datetime(2024, 1, 1, 10),
        dt.datetime(2024, 1, 2, 11),
        dt.datetime(2024, 1, 3, 10, 0, 0, 500_000),
    ]
    far = pa.array([0, 2**62], pa.timestamp("ms"))
    pq.write_table(pa.table({"ts": far, "x": [5.0, 6.0]}), big)
    pq.write_table(pa.table({"ts": pa.array([0], pa.timestamp("ms", "UTC")), "x": [7.0]}), utc)
    stats, out = tmp_path / "u.json", tmp_path / "refused.parquet"
    normkit_summary("fit", ms, us, "-o", stats)
    proc = run_normkit("transform", us, big, "-s", stats, "-o", out)
    assert (proc.returncode, out.exists()) == (1, False)
    assert proc.stderr.decode() == (
        f"normkit: error: {big}: column 'ts' at data row 2: {2**62} ms from 1970 is beyond "
        "timestamp[us], the finer unit the other inputs give it, which one output holds; "
        "transform the inputs separately\n"
    )
    proc = run_normkit("transform", us, utc, "-s", stats, "-o", out)
    assert proc.returncode == 1
    assert "one output cannot hold both" in proc.stderr.decode()


def test_a_type_clash_beside_a_parquet_file_is_not_told_to_keep_text(tmp_path):
    # A column passed through as int64 in a CSV and double in a Parquet file was told to keep
    # text (--keep-text), which then refused the same clash: a Parquet file's types are its own.
    first, typed = tmp_path / "t1.csv", tmp_path / "t5.parquet"
    pd.DataFrame({"id": [1, 2], "x": [1.0, 2.0]}).to_csv(first, index=False)
    pd.DataFrame({"id": [8.5, 9.5], "x": [3.0, 4.0]}).to_parquet(typed, index=False)
    stats, out = tmp_path / "s.json", tmp_path / "o.parquet"
    assert run_normkit("fit", first, "--columns", "x", "-o", stats).returncode == 0
    proc = run_normkit("transform", first, typed, "-s", stats, "-o", out)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"normkit: error: {typed}: column 'id' has type double, but int64 in {first}; one output "
        "cannot hold both (transform them separately)\n"
    )
