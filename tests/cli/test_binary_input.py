"""Binary data named .csv is refused as such, naming its format where its first bytes tell it;
text holding a stray NUL byte in a field is read as text, as pandas and DuckDB read it."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, normkit_summary
from sklearn.preprocessing import StandardScaler

_TEXT = "id,v\n" + "".join(f"{i},{i * 1.5}\n" for i in range(2000))
_TABLE = pa.table({"a": np.random.default_rng(0).normal(size=500), "s": ["x"] * 500})


def _png(side: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    pixels = np.random.default_rng(1).integers(0, 256, side * side * 3, dtype=np.uint8).tobytes()
    rows = b"".join(b"\x00" + pixels[y * side * 3 : (y + 1) * side * 3] for y in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _zip(method: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.writestr("data.csv", _TEXT)
    return out.getvalue()


def _written(write) -> bytes:
    out = io.BytesIO()
    write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "hint"),
    [
        (lambda: _written(lambda f: pq.write_table(_TABLE, f)), "it is Parquet"),
        (lambda: _written(lambda f: feather.write_feather(_TABLE, f)), "it is an Arrow IPC file"),
        (lambda: _zip(zipfile.ZIP_STORED), "it is zip-compressed"),
        (lambda: _zip(zipfile.ZIP_DEFLATED), "it is zip-compressed"),
        (lambda: _png(100), "--input-format parquet or arrow"),
        (lambda: _png(2), "--input-format parquet or arrow"),
        (lambda: _TEXT.encode("utf-16-le"), "(--encoding utf-16-le)"),
        (lambda: "名前,値\n東京,1\n大阪,2\n".encode("utf-16-le"), "(--encoding utf-16-le)"),
        (lambda: _TEXT.encode("utf-32-be"), "(--encoding utf-16-le)"),
    ],
)
def test_binary_data_named_csv_is_refused_as_binary(tmp_path, content, hint):
    path = tmp_path / "data.csv"
    path.write_bytes(content())
    line = normkit_error(1, "fit", path, "-o", tmp_path / "s.json")
    assert line.startswith(f"{path}: not a CSV file (it holds binary data); "), line
    assert hint in line, line


def test_a_stray_nul_byte_in_a_text_field_is_part_of_its_value(tmp_path):
    # Refused as binary data ("name the format ... --encoding utf-16-le"), which no option
    # helped; the same byte past the first 64 KiB was read.
    text = b'id,v,t\n1,1.5,x\n2,2.5,"a\x00b"\n3,4,z\n4,5,w\n'
    path, stats, z = tmp_path / "n.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_bytes(text)
    normkit_summary("fit", path, "-o", stats)
    frame = pd.read_csv(io.BytesIO(text))
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["id", "v"]
    # Written to CSV it is refused (see below); Parquet keeps it.
    line = normkit_error(1, "transform", path, "-s", stats, "-o", z, no_output=True)
    assert line.startswith(f"{z}: column 't' at row 2 holds a NUL character"), line
    assert not z.exists()
    normkit_summary("transform", path, "-s", stats, "-o", z.with_suffix(".parquet"))
    out = pd.read_parquet(z.with_suffix(".parquet"))
    assert out["t"].tolist() == ["x", "a\x00b", "z", "w"]
    want = StandardScaler().fit_transform(frame[["id", "v"]].to_numpy(float))
    np.testing.assert_allclose(out[["id", "v"]].to_numpy(), want, rtol=1e-12)
    # Unquoted too.
    path.write_bytes(text.replace(b'"', b""))
    normkit_summary("fit", path, "-o", stats)


def test_a_nul_character_passed_through_is_refused_in_a_csv_output_on_every_path(tmp_path):
    # Records written again (CSV to CSV, the default) wrote it with exit 0, while batches,
    # inverses and CSV outputs of Parquet refused it: the same refusal now, far down too.
    fitted = tmp_path / "f.csv"
    fitted.write_text("x,t\n" + "".join(f"{i},w{i % 7}\n" for i in range(100)))
    stats = tmp_path / "s.json"
    normkit_summary("fit", fitted, "--momentum", "cumulative", "-o", stats)
    rows = 200_000  # past the first chunks: a few MB
    values = [f"w{i % 7}" for i in range(rows)]
    values[180_000] = "a\0b"
    text = "x,t\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values))
    data = tmp_path / "d.csv"
    data.write_text(text)
    out = tmp_path / "z.csv"
    want = (
        f"{out}: column 't' at row 180,001 holds a NUL character (\\x00), which CSV readers take "
        "for binary data: the output would not read back; write Parquet or Arrow or remove the "
        "character from the text"
    )
    for more in [(), ("--chunk-rows", "100"), ("--mode", "batch"), ("--renormalize",)]:
        assert normkit_error(1, "transform", data, "-s", stats, *more, "-o", out) == want, more
        assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "f.csv", "s.json"]
    # After another input, the output's row is named, as the writer counts it.
    first = tmp_path / "a.csv"
    first.write_text("x,t\n1,w\n2,w\n")
    line = normkit_error(1, "transform", first, data, "-s", stats, "-o", out)
    assert line == want.replace("180,001", "180,003")
    # An inverse and a CSV output of Parquet too.
    parquet = tmp_path / "z.parquet"
    normkit_summary("transform", data, "-s", stats, "-o", parquet)
    line = normkit_error(1, "inverse", parquet, "-s", stats, "-o", out)
    assert line == want
    line = normkit_error(1, "transform", parquet, "-s", stats, "--renormalize", "-o", out)
    assert line == want
    assert not out.exists()


@pytest.mark.parametrize(("value", "shown"), [(b"2\x005", "'2\\x005'"), (b"\x00", "'\\x00'")])
def test_a_nul_byte_in_a_column_of_numbers_is_refused_naming_row_column_and_value(
    tmp_path, value, shown
):
    path = tmp_path / "n.csv"
    path.write_bytes(b"id,v,t\n1,1.5,x\n2," + value + b",y\n3,4,z\n4,5,w\n")
    line = normkit_error(1, "fit", path, "-o", tmp_path / "s.json")
    assert line.startswith(f"{path}: column 'v' at data row 2: {shown} is not a number"), line
    # Not told to add it to --null-values, which no command line can hold.
    assert line.endswith("; exclude the column (--exclude v) or remove the NUL byte from the file")


def test_a_nul_byte_in_a_header_name_is_refused_not_a_crash(tmp_path):
    # Arrow's column names are C strings: the engine aborted the process (exit -6, "panic").
    path = tmp_path / "h.csv"
    path.write_bytes(b"col1|col\x002\nval1|val2\n1|2\n")
    line = normkit_error(1, "fit", path, "-o", tmp_path / "s.json")
    assert line == (
        f"{path}: the header names a column 'col\\x002', holding a NUL byte, which a column name "
        "cannot hold; remove the NUL byte from the file or read the first line as a row "
        "(--no-header)"
    )
    # Read as a row, the NUL is part of a field's text (refused here for having no numbers).
    line = normkit_error(1, "fit", path, "--no-header", "-o", tmp_path / "s.json")
    assert line.endswith("no numeric column to normalize; choose some with --columns"), line


def test_a_dask_part_is_named_where_it_goes_not_where_it_is_staged(tmp_path):
    # The workers write into a hidden staging directory, which the user never sees.
    data, stats, out = tmp_path / "in" / "nul.csv", tmp_path / "s.json", tmp_path / "out"
    data.parent.mkdir()
    data.write_bytes(b"a,b\n1,x\x00y\n2,z\n3,w\n")
    normkit_summary("fit", data, "-o", stats)
    message = normkit_error(
        1, "transform", data, "-s", stats, "--engine", "dask", "--workers", "1",
        "-o", out, "--output-format", "csv",
    )  # fmt: skip
    assert message.startswith(f"{out}{os.sep}part-00000.csv: column 'b' at row 1 holds a NUL"), (
        message
    )
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == {"in", "s.json"}  # no staging left


def test_a_feather_v1_file_is_named_as_one(tmp_path):
    """pyarrow's old Feather format (`FEA1`) is no Arrow IPC: it was refused as 'cannot read
    as arrow: Expected to read 826361158 metadata bytes, but only read 260'."""
    import warnings

    path = tmp_path / "v1.feather"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pyarrow's, of the old format
        feather.write_feather(pa.table({"x": [1.0, 2.0, 3.0]}), path, version=1)
    message = normkit_error(1, "fit", path, "-o", tmp_path / "s.json")
    assert message.startswith(f"{path}: a Feather V1 file, the format before Arrow IPC,"), message
    assert "write it again as Feather V2" in message
    # Told by its first bytes under any name (it was "not a CSV file ... name the format").
    other = tmp_path / "v1.bin"
    other.write_bytes(path.read_bytes())
    message = normkit_error(1, "fit", other, "-o", tmp_path / "s.json")
    assert message.startswith(f"{other}: a Feather V1 file"), message
