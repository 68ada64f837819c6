"""A CSV's record beside it (normkit.io.sidecar): written with the file, read back into its
schema, removed when the file is replaced without one, refused when it no longer matches."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pytest

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


def test_a_csv_written_again_without_normkit_metadata_loses_its_old_record(tmp_path):
    path = tmp_path / "z.csv"
    _write(path, RECORDED)
    assert os.path.exists(record_path(str(path)))
    _write(path, {b"pandas": b"{}"})
    assert not os.path.exists(record_path(str(path)))
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
    "damage", ["{", "[]", '{"format": "normkit.csv-record", "version": 2}', '{"format": 1}']
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


def test_records_are_no_data_of_a_directory_even_with_an_explicit_format(tmp_path):
    _write(tmp_path / "a.csv", RECORDED)
    _write(tmp_path / "b.csv", RECORDED)
    for fmt in (None, "csv"):
        found = [os.path.basename(f.path) for f in expand_inputs([str(tmp_path)], fmt)]
        assert found == ["a.csv", "b.csv"]
