"""A CSV's record beside it (normkit.io.sidecar): written with the file, read back into its
schema, removed when the file is replaced without one, refused when it no longer matches."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pytest

import normkit
from normkit import InputError
from normkit.io.dataset import expand_inputs
from normkit.io.inputs import open_input
from normkit.io.options import ReadOptions
from normkit.io.sidecar import read_record, record_path
from normkit.io.sinks import open_sink

RECORDED = {b"normkit.transform": json.dumps({"mode": "frozen", "gamma": {"x": 2.0}}).encode()}


def _write(path, metadata, rows=3):
    batch = pa.record_batch({"x": [float(i) for i in range(rows)]})
    schema = batch.schema.with_metadata(metadata)
    with open_sink(str(path), schema) as sink:
        sink.write(batch.replace_schema_metadata(metadata))


@pytest.mark.parametrize("name", ["z.csv", "z.csv.gz", "z.tsv"])
def test_a_csv_file_keeps_normkit_metadata_beside_it_and_reads_it_back(tmp_path, name):
    path = tmp_path / name
    _write(path, {**RECORDED, b"pandas": b"{}", b"other": b"x"})
    record = tmp_path / f".{name}.normkit.json"
    assert record_path(str(path)) == str(record)
    document = json.loads(record.read_text())
    assert document["metadata"] == {"normkit.transform": {"mode": "frozen", "gamma": {"x": 2.0}}}
    assert document["bytes"] == os.path.getsize(path)
    # Only normkit's own keys are kept; the reader puts them in the CSV's schema.
    with open_input(str(path), ReadOptions()) as reader:
        metadata = reader.schema.metadata
    assert json.loads(metadata[b"normkit.transform"]) == json.loads(RECORDED[b"normkit.transform"])
    assert set(metadata) == {b"normkit.transform"}


def test_a_csv_written_again_without_normkit_metadata_records_only_how_it_is_written(tmp_path):
    path = tmp_path / "z.csv"
    _write(path, RECORDED)
    _write(path, {b"pandas": b"{}"})
    # The old record is replaced by one of the new file, which records no metadata: no moment
    # pairs the new file with the old record.
    with open(record_path(str(path))) as f:
        document = json.load(f)
    assert document["metadata"] == {}
    assert document["csv"] == {
        "delimiter": ",",
        "quote": '"',
        "escape": "",
        "decimal": ".",
        "header": True,
        "skip_rows": 0,
        "comment": "",
        "encoding": None,
        "null_values": ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"],
    }
    with open_input(str(path), ReadOptions()) as reader:
        assert reader.schema.metadata is None


def test_metadata_that_is_not_json_is_kept_as_text(tmp_path):
    path = tmp_path / "z.csv"
    _write(path, {**RECORDED, b"normkit.note": b"not {json"})
    with open_input(str(path), ReadOptions()) as reader:
        metadata = reader.schema.metadata
    assert metadata[b"normkit.note"] == b"not {json"


def test_a_record_that_is_blocked_leaves_the_old_file(tmp_path):
    # The record is written before the file is moved into place: a failure leaves the file as
    # it was (it never goes without the record that describes it). Here the record's name is
    # taken by a directory.
    path = tmp_path / "z.csv"
    _write(path, {})
    before = path.read_bytes()
    os.remove(record_path(str(path)))
    os.mkdir(record_path(str(path)))
    with pytest.raises(normkit.OutputError, match=r"\.z\.csv\.normkit\.json: is a directory"):
        _write(path, RECORDED, rows=5)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [".z.csv.normkit.json", "z.csv"]  # no temporary file


def test_the_record_has_the_permissions_of_its_file(tmp_path):
    path = tmp_path / "z.csv"
    _write(path, {})
    os.chmod(path, 0o640)  # kept by the file written over it, and given to its record
    _write(path, RECORDED)
    assert os.stat(record_path(str(path))).st_mode & 0o777 == 0o640


def test_a_link_is_written_through_and_read_through(tmp_path):
    (tmp_path / "data").mkdir()
    real, link = tmp_path / "data" / "real.csv", tmp_path / "latest.csv"
    _write(real, {})
    link.symlink_to(real)
    _write(link, RECORDED)  # the file it points to is replaced, the link kept
    assert link.is_symlink()
    assert os.path.exists(record_path(str(real)))
    assert not os.path.exists(record_path(str(link)))
    for path in (real, link):
        with open_input(str(path), ReadOptions()) as reader:
            assert reader.schema.metadata == {
                b"normkit.transform": json.dumps(
                    json.loads(RECORDED[b"normkit.transform"])
                ).encode()
            }


def test_a_name_with_no_room_for_its_record_has_none(tmp_path):
    path = tmp_path / ("a" * 246 + ".csv")  # 250 bytes: the record's name would be 264
    _write(path, RECORDED)
    assert os.listdir(tmp_path) == [path.name]
    with open_input(str(path), ReadOptions()) as reader:
        assert reader.schema.metadata is None


def test_other_formats_and_standard_output_keep_no_record_beside_them(tmp_path, capfdbinary):
    for name in ("z.parquet", "z.arrow"):
        _write(tmp_path / name, RECORDED)
        assert not os.path.exists(record_path(str(tmp_path / name)))
    _write("-", RECORDED)
    assert capfdbinary.readouterr().out.startswith(b"x\n")
    assert sorted(os.listdir(tmp_path)) == ["z.arrow", "z.parquet"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_written_in_place_keeps_no_record(tmp_path):
    import threading

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    _write(fifo, RECORDED)
    reader.join(timeout=30)
    assert got[0].startswith(b"x\n")
    assert not os.path.exists(record_path(str(fifo)))


@pytest.mark.parametrize("rows", [3, 40_000])
def test_a_record_that_no_longer_matches_its_file_is_refused(tmp_path, rows):
    # Small files and files longer than both digested ends (a change in the tail is seen).
    path = tmp_path / "z.csv"
    _write(path, RECORDED, rows)
    text = path.read_bytes()
    assert read_record(str(path), "z.csv")
    changed = text[:-2] + (b"8\n" if text[-2:] != b"8\n" else b"9\n")  # same size, new tail
    path.write_bytes(changed)
    with pytest.raises(InputError, match=r"z\.csv is not the file that .*\.z\.csv\.normkit\.json"):
        read_record(str(path), "z.csv")
    path.write_bytes(text + b"1.0\n")  # longer
    with pytest.raises(InputError, match="was written again since normkit wrote it"):
        read_record(str(path), "z.csv")
    path.write_bytes(text)
    assert read_record(str(path), "z.csv")


@pytest.mark.parametrize(
    "damage", ["{", "[]", '{"format": "normkit.csv-record", "version": 0}', '{"format": 1}']
)
def test_a_damaged_record_is_refused_with_the_way_out(tmp_path, damage):
    path = tmp_path / "z.csv"
    _write(path, RECORDED)
    record = record_path(str(path))
    with open(record, "w") as f:
        f.write(damage)
    with pytest.raises(InputError) as caught:
        read_record(str(path), "z.csv")
    assert str(caught.value).startswith(f"{record}: the record normkit keeps of how z.csv")
    assert caught.value.hints == (
        f"delete {record} if z.csv is to be read as a CSV without a record",
    )


@pytest.mark.parametrize(
    "dialect", [{"quote": "x"}, {"delimiter": 5}, {"header": "yes"}, {"speed": 1}, [","]]
)
def test_a_record_with_a_dialect_normkit_does_not_write_is_damaged(tmp_path, dialect):
    path = tmp_path / "z.csv"
    _write(path, RECORDED)
    where = record_path(str(path))
    with open(where) as f:
        document = json.load(f)
    document["csv"] = dialect
    with open(where, "w") as f:
        json.dump(document, f)
    with pytest.raises(
        InputError, match=r"the record normkit keeps of how z\.csv was made is damaged"
    ):
        read_record(str(path), "z.csv")


def test_a_record_of_a_newer_normkit_asks_for_it(tmp_path):
    path = tmp_path / "z.csv"
    _write(path, RECORDED)
    record = record_path(str(path))
    with open(record, "w") as f:
        f.write('{"format": "normkit.csv-record", "version": 9}')
    with pytest.raises(InputError) as caught:
        read_record(str(path), "z.csv")
    assert str(caught.value).startswith(
        f"{record}: the record of how z.csv was made is of a newer normkit (version 9; this "
        "one reads 1); "
    )
    assert caught.value.hints[0] == "upgrade normkit"


def test_records_are_no_data_of_a_directory_even_with_an_explicit_format(tmp_path):
    _write(tmp_path / "a.csv", RECORDED)
    _write(tmp_path / "b.csv", RECORDED)
    for fmt in (None, "csv"):
        found = [os.path.basename(f.path) for f in expand_inputs([str(tmp_path)], fmt)]
        assert found == ["a.csv", "b.csv"]
