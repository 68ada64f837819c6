"""Input and output formats, end to end, on real files.

Every test writes its data into ``tmp_path`` (CSV in its dialects and compressions, Parquet,
Arrow IPC stream and file), runs normkit on it through the Python API, the click command or a
real subprocess, and compares the result with scikit-learn's ``StandardScaler`` or with pandas /
pyarrow reading the same data. No expected statistic is hard-coded.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import assert_matches_sklearn, read_arrow, run_normkit
from numpy.testing import assert_allclose, assert_array_equal

import normkit
from normkit import CsvOptions, Format, InputError, ReadOptions, Standardizer
from normkit.io.inputs import open_input
from normkit.io.options import CSV_BLOCK_SIZE, DEFAULT_NULL_VALUES
from normkit_cli.main import cli

RTOL = 1e-12
NUMERIC = ["count", "x", "big"]


# -- data --------------------------------------------------------------------------------------


def make_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Mixed columns: a zero-padded text id, text needing quotes, ints, floats with gaps."""
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, n)
    x[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "id": [f"{i:05d}" for i in range(n)],
            "label": rng.choice(["plain", "a,b", 'say "hi"', "semi;colon", "tab\there"], n),
            "count": rng.integers(-50, 50, n),
            "x": x,
            "big": rng.normal(1e3, 3.0, n),
        }
    )


def write_csv(frame: pd.DataFrame, path: Path, sep: str = ",", lineterminator: str = "\n") -> Path:
    frame.to_csv(path, index=False, sep=sep, lineterminator=lineterminator)
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, row_group_size=100)
    return path


def write_arrow(frame: pd.DataFrame, path: Path, *, file_format: bool) -> Path:
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    opener = ipc.new_file if file_format else ipc.new_stream
    with opener(path, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=64):
            writer.write_batch(batch)
    return path


def as_matrix(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    return frame[list(columns)].to_numpy(dtype=np.float64, na_value=np.nan)


def read_text_csv(path: Path | str, sep: str = ",") -> pd.DataFrame:
    """Every field as the text it holds (quoting undone, nothing read as missing)."""
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


# -- checks ------------------------------------------------------------------------------------


def assert_same_stats(a: Standardizer, b: Standardizer) -> None:
    assert list(a.columns_) == list(b.columns_)
    assert a.n_rows_seen_ == b.n_rows_seen_
    assert_array_equal(a.n_samples_seen_, b.n_samples_seen_)
    assert_array_equal(a.n_missing_, b.n_missing_)
    for attr in ("mean_", "var_", "scale_", "min_", "max_"):
        assert_allclose(getattr(a, attr), getattr(b, attr), rtol=RTOL, err_msg=attr)


def expected_transform(scaler: Standardizer, X: np.ndarray) -> np.ndarray:
    """StandardScaler's transform with normkit's statistics."""
    names = [str(n) for n in scaler.columns_]
    return scaler.to_sklearn().transform(pd.DataFrame(X, columns=names))


def fit(path: Path | str, read: ReadOptions | None = None, **params) -> Standardizer:
    params.setdefault("exclude", ["id"])
    return normkit.fit_files(path, Standardizer(**params), read)


def invoke(*args: str) -> None:
    result = CliRunner().invoke(cli, [*args, "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def stdout_of(args: Sequence[str], stdin: bytes) -> bytes:
    """What ``normkit ARGS`` writes, run as a real process on ``stdin``."""
    proc = run_normkit(*args, stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def fit_through_fifo(fifo: Path, data: bytes) -> normkit.Standardizer:
    """``fit_files`` of a named pipe (FIFO) at ``fifo`` that a thread writes ``data`` into."""
    os.mkfifo(fifo)
    feeder = threading.Thread(target=fifo.write_bytes, args=(data,))
    feeder.start()
    try:
        return normkit.fit_files(fifo)
    finally:
        feeder.join()


def float_columns_of_csv(path: Path | str, columns: Sequence[str]) -> dict[str, list[float | None]]:
    """Columns of a CSV parsed with Python's own ``float`` (empty field: None)."""
    text = read_text_csv(path)
    return {c: [float(v) if v != "" else None for v in text[c]] for c in columns}


# -- big CSV files around the block boundary ----------------------------------------------------


def write_rows_around(
    path: Path,
    header: str,
    row: Callable[[int], str],
    filler: Callable[[int, int], str],
    *,
    filler_end: int,
    rows_after: int = 3_000,
) -> None:
    """Write ``header`` and ``row(i)`` lines, then one ``filler(i, width)`` line that ends exactly
    at byte ``filler_end``, then ``rows_after`` more rows."""
    parts = [header]
    size = len(header.encode())
    i = 0
    while filler_end - size > 400:
        parts.append(row(i))
        size += len(parts[-1].encode())
        i += 1
    parts.append(filler(i, filler_end - size))
    assert len(parts[-1].encode()) == filler_end - size
    parts.extend(row(j) for j in range(i + 1, i + 1 + rows_after))
    path.write_bytes("".join(parts).encode())


def quoted_multiline(width: int, newline_at: int) -> str:
    """A quoted field of ``width`` bytes with doubled quotes and a line break at ``newline_at``."""
    head = '"' + "a" * (newline_at - 1) + "\n"
    tail = 'b ""two"", c'
    return head + tail + "d" * (width - len(head) - len(tail) - 1) + '"'


# -- CSV dialects ------------------------------------------------------------------------------


def test_semicolon_delimiter_api_and_cli(tmp_path):
    frame = make_frame()
    path = write_csv(frame, tmp_path / "data.csv", sep=";")
    read = ReadOptions(csv=CsvOptions(delimiter=";"))
    scaler = fit(path, read)
    assert_matches_sklearn(scaler, as_matrix(frame, NUMERIC), NUMERIC)

    stats = tmp_path / "stats.json"
    invoke("fit", str(path), "--delimiter", ";", "--exclude", "id", "-o", str(stats))
    assert_same_stats(normkit.load(str(stats)), scaler)

    # The pass-through text (commas inside, unquoted in a ';' file) survives a transform to ';'.
    out = tmp_path / "out.csv"
    normkit.transform_file(path, scaler, out, read=read)
    back = read_text_csv(out, sep=";")
    assert list(back.columns) == list(frame.columns)
    assert back["label"].tolist() == frame["label"].tolist()
    assert back["id"].tolist() == frame["id"].tolist()


@pytest.mark.parametrize("name", ["data.tsv", "data.tsv.gz"])
def test_tsv_extension_implies_tab(tmp_path, name):
    frame = make_frame().assign(label=lambda f: f["label"].str.replace("\t", " "))
    plain = write_csv(frame, tmp_path / "plain.tsv", sep="\t")
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(plain.read_bytes()))
    else:
        path = plain
    scaler = fit(path)
    assert_matches_sklearn(scaler, as_matrix(frame, NUMERIC), NUMERIC)

    out = tmp_path / "out.tsv"
    normkit.transform_file(path, scaler, out)
    back = read_text_csv(out, sep="\t")
    assert list(back.columns) == list(frame.columns)
    assert back["label"].tolist() == frame["label"].tolist()


def test_rfc4180_quoting_in_pass_through_text(tmp_path):
    labels = ["multi\nline", 'doubled "quotes" here', "comma, inside", '"', "", "plain"]
    frame = pd.DataFrame(
        {
            "id": [f"{i:03d}" for i in range(len(labels) * 5)],
            "label": labels * 5,
            "x": np.linspace(-3.0, 7.5, len(labels) * 5),
        }
    )
    path = write_csv(frame, tmp_path / "quoted.csv")
    raw = path.read_text()
    assert '"multi\nline"' in raw
    assert '"doubled ""quotes"" here"' in raw

    scaler = fit(path)
    assert scaler.n_rows_seen_ == len(frame)
    assert_matches_sklearn(scaler, as_matrix(frame, ["x"]), ["x"])

    for name in ("out.csv", "out.parquet"):
        out = tmp_path / name
        normkit.transform_file(path, scaler, out)
        if name.endswith(".csv"):
            back = read_text_csv(out)
            assert back["label"].tolist() == labels * 5
        else:  # typed: the empty text is a missing value, as the fit counted it
            back = pq.read_table(out).to_pandas()
            want = [v or None for v in labels] * 5
            assert pq.read_table(out).column("label").to_pylist() == want
        assert back["id"].tolist() == frame["id"].tolist()
        got = back["x"].astype(np.float64).to_numpy()
        assert_allclose(got, expected_transform(scaler, as_matrix(frame, ["x"]))[:, 0], rtol=RTOL)


@pytest.mark.parametrize(
    "text_last",
    [
        pytest.param(True, id="text-last"),
        pytest.param(False, id="text-middle"),
    ],
)
def test_quoted_newline_straddles_csv_block(tmp_path, text_last):
    """A quoted field holding a line break and doubled quotes spans byte CSV_BLOCK_SIZE."""
    rng = np.random.default_rng(3)
    values = rng.normal(10.0, 4.0, 400_000)

    def layout(i: int, text: str) -> str:
        x = repr(float(values[i]))
        return f"{i},{x},{text}\n" if text_last else f"{i},{text},{x}\n"

    end = CSV_BLOCK_SIZE + 60  # where the row holding the quoted field ends

    def filler(i: int, width: int) -> str:
        empty = layout(i, "")
        prefix = len(empty) - 1 if text_last else empty.index(",") + 1
        text_start = end - width + prefix
        # The line break inside the quotes lies before the block boundary, the closing quote after.
        return layout(i, quoted_multiline(width - len(empty), CSV_BLOCK_SIZE - 20 - text_start))

    path = tmp_path / "big.csv"
    header = "id,x,t\n" if text_last else "id,t,x\n"
    write_rows_around(path, header, lambda i: layout(i, "plain"), filler, filler_end=end)
    data = path.read_bytes()
    opening = data.rfind(b'"a', 0, CSV_BLOCK_SIZE)
    assert data.index(b"\n", opening) == CSV_BLOCK_SIZE - 20
    assert data.index(b'd"', opening) > CSV_BLOCK_SIZE

    ref = pd.read_csv(path, dtype={"id": str, "t": str}, keep_default_na=False)
    scaler = fit(path)
    assert scaler.n_rows_seen_ == len(ref)
    assert_matches_sklearn(scaler, as_matrix(ref, ["x"]), ["x"])

    out = tmp_path / "out.parquet"
    normkit.transform_file(path, scaler, out)
    back = pq.read_table(out)
    assert back.column("t").to_pylist() == ref["t"].tolist()
    # Passed through with the type of its first rows (integers), as pyarrow infers it.
    assert back.schema.field("id").type == pa.int64()
    assert back.column("id").to_pylist() == [int(v) for v in ref["id"]]
    assert any('b "two", c' in t for t in ref["t"])


def test_utf8_bom(tmp_path):
    frame = make_frame(50)
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + frame.to_csv(index=False).encode())
    scaler = fit(path)  # "id" must be the first column's name, not "\ufeffid"
    assert_matches_sklearn(scaler, as_matrix(frame, NUMERIC), NUMERIC)

    out = tmp_path / "out.csv"
    normkit.transform_file(path, scaler, out)
    # Written as the input was, its byte-order mark too (once, before the header).
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert out.read_bytes().count(b"\xef\xbb\xbf") == 1
    assert read_text_csv(out)["id"].tolist() == frame["id"].tolist()


def test_crlf_line_endings(tmp_path):
    frame = make_frame(80)
    # The text column comes last, so a stray "\r" would end up in it.
    frame = frame[["id", "count", "x", "big", "label"]].assign(
        label=lambda f: f["label"].where(f.index % 9 != 0, "two\r\nlines")
    )
    crlf = write_csv(frame, tmp_path / "crlf.csv", lineterminator="\r\n")
    lf = write_csv(frame, tmp_path / "lf.csv")
    assert crlf.read_bytes().count(b"\r\n") > len(frame)
    scaler = fit(crlf)
    assert_matches_sklearn(scaler, as_matrix(frame, NUMERIC), NUMERIC)
    assert_same_stats(scaler, fit(lf))

    for name in ("out.parquet", "out.csv"):
        out = tmp_path / name
        normkit.transform_file(crlf, scaler, out)
        back = pq.read_table(out).to_pandas() if name.endswith(".parquet") else read_text_csv(out)
        # The row's line ending is not text; a quoted "\r\n" inside a field is.
        assert back["label"].tolist() == frame["label"].tolist()
        assert back["id"].tolist() == frame["id"].tolist()


def test_default_missing_value_spellings(tmp_path):
    spellings = ["", "NA", "NaN", "null", *DEFAULT_NULL_VALUES]
    rng = np.random.default_rng(5)
    numbers = rng.normal(0.0, 3.0, 40)
    x_text = spellings + [repr(float(v)) for v in numbers]
    note = spellings + ["ok"] * len(numbers)
    lines = ["id,x,note"] + [
        f"{i},{x},{t}" for i, (x, t) in enumerate(zip(x_text, note, strict=True))
    ]
    path = tmp_path / "missing.csv"
    path.write_text("\n".join(lines) + "\n")

    scaler = fit(path)
    X = np.concatenate([np.full(len(spellings), np.nan), numbers])[:, None]
    assert_matches_sklearn(scaler, X, ["x"])
    assert scaler.n_missing_.tolist() == [len(spellings)]

    out = tmp_path / "out.csv"
    normkit.transform_file(path, scaler, out)
    back = read_text_csv(out)
    # Missing stays missing (an empty field); the pass-through column keeps "NA", "null"...
    assert back["x"].tolist()[: len(spellings)] == [""] * len(spellings)
    assert back["note"].tolist() == note


def test_custom_null_values_api(tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text("id,x\n1,1.5\n2,?\n3,-999\n4,\n5,2.5\n6,4.25\n")
    read = ReadOptions(csv=CsvOptions(null_values=("", "?", "-999")))
    scaler = fit(path, read)
    X = np.array([[1.5], [np.nan], [np.nan], [np.nan], [2.5], [4.25]])
    assert_matches_sklearn(scaler, X, ["x"])

    # The list replaces the defaults: "NA" is no longer missing, so it is not a number.
    with_na = tmp_path / "with_na.csv"
    with_na.write_text("id,x\n1,1.5\n2,NA\n3,2.5\n")
    with pytest.raises(InputError, match="'NA' is not a number"):
        fit(with_na, read, columns=["x"])


def test_custom_null_values_cli(tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text("id,x,y\n1,1.5,?\n2,?,3\n3,-999,4\n4,,5\n5,2.5,-999\n6,4.25,7.5\n")
    stats = tmp_path / "stats.json"
    # An empty field stays missing even though the list does not name it.
    invoke("fit", str(path), "--null-values", "?,-999", "--exclude", "id", "-o", str(stats))
    nan = np.nan
    X = np.array([[1.5, nan], [nan, 3], [nan, 4], [nan, 5], [2.5, nan], [4.25, 7.5]])
    assert_matches_sklearn(normkit.load(str(stats)), X, ["x", "y"])


def test_null_values_empty_only_cli(tmp_path):
    path = tmp_path / "empty_only.csv"
    path.write_text("id,x\n1,1.5\n2,\n3,2.5\n4,7.0\n")
    stats = tmp_path / "stats.json"
    invoke("fit", str(path), "--no-default-null-values", "--exclude", "id", "-o", str(stats))
    X = np.array([[1.5], [np.nan], [2.5], [7.0]])
    assert_matches_sklearn(normkit.load(str(stats)), X, ["x"])


def test_integer_first_block_then_decimals_is_read_as_float64(tmp_path):
    """The first CSV_BLOCK_SIZE bytes hold only integers in x; decimals come after."""
    rng = np.random.default_rng(11)
    ints = rng.integers(-10_000, 10_000, 400_000)

    boundary: list[int] = []  # the row that ends at the block boundary

    def row(i: int) -> str:
        after = bool(boundary) and i > boundary[0]
        x = repr(float(ints[i]) + 0.123456789) if after else str(ints[i])
        return f"{i},{x},p\n"

    def filler(i: int, width: int) -> str:  # ends exactly at the block boundary
        boundary.append(i)
        return f"{i},{ints[i]},".ljust(width - 1, "p") + "\n"

    path = tmp_path / "int_then_float.csv"
    write_rows_around(path, "id,x,t\n", row, filler, filler_end=CSV_BLOCK_SIZE, rows_after=50_000)
    data = path.read_bytes()
    assert b"." not in data[:CSV_BLOCK_SIZE]
    assert b"." in data[CSV_BLOCK_SIZE:]

    ref = pd.read_csv(path)
    assert ref["x"].dtype == np.float64
    scaler = fit(path)
    # The first block suggests integers; the whole data says otherwise, and the stat file
    # records that (an inverse must not try to restore integers that never were).
    assert scaler.dtypes_ == ["double"]
    assert_matches_sklearn(scaler, as_matrix(ref, ["x"]), ["x"])


def test_csv_larger_than_a_block_with_boundary_inside_a_row(tmp_path):
    rng = np.random.default_rng(12)
    values = rng.normal(0.0, 1.0, 400_000)

    def row(i: int) -> str:
        return f"{i},{float(values[i])!r},p\n"

    def filler(i: int, width: int) -> str:
        return f"{i},{float(values[i])!r},".ljust(width - 1, "p") + "\n"

    path = tmp_path / "big.csv"
    # The row after the filler starts 2 bytes before the boundary, which cuts its id.
    write_rows_around(path, "id,x,t\n", row, filler, filler_end=CSV_BLOCK_SIZE - 2)
    ref = pd.read_csv(path)
    scaler = fit(path)
    assert_matches_sklearn(scaler, as_matrix(ref, ["x"]), ["x"])


def test_malformed_row_is_an_input_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,x\n1,2.0\n3\n4,5.0\n")
    with pytest.raises(InputError, match="line 3"):
        fit(path)


# -- compressed CSV ----------------------------------------------------------------------------


def _compress(data: bytes, path: Path) -> None:
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    elif path.suffix == ".bz2":
        path.write_bytes(bz2.compress(data))
    else:
        with pa.OSFile(str(path), "wb") as raw, pa.CompressedOutputStream(raw, "zstd") as out:
            out.write(data)


@pytest.mark.parametrize(
    ("suffix", "magic"),
    [(".gz", b"\x1f\x8b"), (".bz2", b"BZh"), (".zst", b"\x28\xb5\x2f\xfd")],
)
def test_compressed_csv_equals_plain(tmp_path, suffix, magic):
    frame = make_frame(2_000, seed=4)
    plain = write_csv(frame, tmp_path / "data.csv")
    path = tmp_path / f"data.csv{suffix}"
    _compress(plain.read_bytes(), path)
    assert path.read_bytes().startswith(magic)

    scaler = fit(path)
    assert_same_stats(scaler, fit(plain))
    assert_matches_sklearn(scaler, as_matrix(frame, NUMERIC), NUMERIC)

    out, out_plain = tmp_path / "out.parquet", tmp_path / "out_plain.parquet"
    normkit.transform_file(path, scaler, out)
    normkit.transform_file(plain, scaler, out_plain)
    assert pq.read_table(out).equals(pq.read_table(out_plain))


def test_a_gzip_output_is_compressed_at_gzip_s_default_level(tmp_path):
    # pyarrow's stream compresses at level 9: about twice the time of gzip's default 6 for an
    # output 0.2% smaller (26 s to invert 2M rows into a .csv.gz, 2 s into a .csv).
    frame = make_frame(2_000, seed=4)
    plain = write_csv(frame, tmp_path / "data.csv")
    scaler = fit(plain)
    out, out_plain = tmp_path / "out.csv.gz", tmp_path / "out.csv"
    normkit.transform_file(plain, scaler, out)
    normkit.transform_file(plain, scaler, out_plain)
    written = out.read_bytes()
    assert written[:3] == b"\x1f\x8b\x08"
    assert written[8] == 0  # XFL: 2 at level 9, 4 at level 1, 0 between
    assert gzip.decompress(written) == out_plain.read_bytes()
    # An inverse reads it back (its record is the .gz file's).
    back = tmp_path / "back.csv"
    normkit.transform_file(out, scaler, back, normkit.TransformOptions(inverse=True))
    assert back.exists()


# -- Parquet and Arrow -------------------------------------------------------------------------


def typed_frame(n: int = 500, seed: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(-2.0, 0.5, n)
    f[::13] = np.nan
    nullable = pd.array(rng.integers(0, 1_000, n), dtype="Int64")
    nullable[::7] = pd.NA
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(n)],
            "i": rng.integers(-100, 100, n).astype(np.int32),
            "flag": rng.random(n) < 0.5,
            "f": f,
            "ni": nullable,
            "s": rng.choice(["x", "y, z"], n),
        }
    )


TYPED_NUMERIC = ["i", "f", "ni"]


def test_parquet_typed_columns(tmp_path):
    frame = typed_frame()
    path = write_parquet(frame, tmp_path / "typed.parquet")
    assert pq.read_schema(path).field("ni").type == pa.int64()

    scaler = fit(path)  # booleans and strings are not numeric
    assert scaler.dtypes_ == ["int32", "double", "int64"]
    assert_matches_sklearn(scaler, as_matrix(frame, TYPED_NUMERIC), TYPED_NUMERIC)

    out = tmp_path / "out.parquet"
    normkit.transform_file(path, scaler, out)
    back = pq.read_table(out)
    assert back.schema.names == list(frame.columns)
    source_schema = pq.read_schema(path)
    for c in frame.columns:  # integers become float64; booleans and text keep their type
        want = pa.float64() if c in TYPED_NUMERIC else source_schema.field(c).type
        assert back.schema.field(c).type == want, c
    assert back.schema.field("flag").type == pa.bool_()
    assert back.column("flag").to_pylist() == frame["flag"].tolist()
    assert back.column("s").to_pylist() == frame["s"].tolist()
    assert back.column("ni").null_count == frame["ni"].isna().sum()
    got = np.column_stack([back.column(c).to_numpy(zero_copy_only=False) for c in TYPED_NUMERIC])
    assert_allclose(got, expected_transform(scaler, as_matrix(frame, TYPED_NUMERIC)), rtol=RTOL)


@pytest.mark.parametrize("file_format", [False, True], ids=["ipc-stream", "ipc-file"])
def test_arrow_ipc_input(tmp_path, file_format):
    frame = typed_frame(seed=9)
    path = write_arrow(frame, tmp_path / "typed.arrow", file_format=file_format)
    assert path.read_bytes().startswith(b"ARROW1") == file_format
    scaler = fit(path)
    assert_matches_sklearn(scaler, as_matrix(frame, TYPED_NUMERIC), TYPED_NUMERIC)

    out = tmp_path / "out.arrow"
    normkit.transform_file(path, scaler, out)
    back = read_arrow(out)
    assert back.schema.names == list(frame.columns)
    got = np.column_stack([back.column(c).to_numpy() for c in TYPED_NUMERIC])
    assert_allclose(got, expected_transform(scaler, as_matrix(frame, TYPED_NUMERIC)), rtol=RTOL)


def test_same_data_in_every_format_gives_the_same_statistics(tmp_path):
    frame = make_frame(1_500, seed=21)
    paths = [
        write_csv(frame, tmp_path / "d.csv"),
        write_parquet(frame, tmp_path / "d.parquet"),
        write_arrow(frame, tmp_path / "d.arrows", file_format=False),
        write_arrow(frame, tmp_path / "d.feather", file_format=True),
    ]
    fitted = [fit(p) for p in paths]
    assert_matches_sklearn(fitted[0], as_matrix(frame, NUMERIC), NUMERIC)
    for other in fitted[1:]:
        assert_same_stats(other, fitted[0])
    assert [s.provenance_["sources"][0]["format"] for s in fitted] == [
        "csv",
        "parquet",
        "arrow",
        "arrow",
    ]


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
def test_int64_beyond_2_53_in_typed_input(tmp_path, suffix):
    rng = np.random.default_rng(22)
    frame = pd.DataFrame(
        {"id": [f"r{i}" for i in range(200)], "ns": rng.integers(2**60, 2**62, 200)}
    )
    csv = write_csv(frame, tmp_path / "d.csv")
    if suffix == ".parquet":
        typed = write_parquet(frame, tmp_path / "d.parquet")
    else:
        typed = write_arrow(frame, tmp_path / "d.arrow", file_format=False)
    from_csv = fit(csv)
    assert_matches_sklearn(from_csv, frame[["ns"]].to_numpy(np.float64), ["ns"])
    assert_same_stats(fit(typed), from_csv)


# -- format inference --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet", "arrow"])
def test_input_format_overrides_the_extension(tmp_path, fmt):
    frame = make_frame(200, seed=2)
    writers = {
        "csv": lambda p: write_csv(frame, p),
        "parquet": lambda p: write_parquet(frame, p),
        "arrow": lambda p: write_arrow(frame, p, file_format=False),
    }
    unknown = writers[fmt](tmp_path / "data.unknown")
    stats = tmp_path / "stats.json"
    invoke("fit", str(unknown), "--input-format", fmt, "--exclude", "id", "-o", str(stats))
    scaler = normkit.load(str(stats))
    assert_matches_sklearn(scaler, as_matrix(frame, NUMERIC), NUMERIC)
    assert scaler.provenance_["sources"][0]["format"] == fmt

    # It also wins over a known but wrong extension.
    if fmt != "csv":
        misnamed = writers[fmt](tmp_path / "really_binary.csv")
        assert_same_stats(fit(misnamed, ReadOptions(format=fmt)), scaler)
        with pytest.raises(InputError):
            fit(misnamed)  # read as CSV, as its name says


@pytest.mark.parametrize(
    ("writer", "expected"),
    [
        (write_parquet, Format.PARQUET),
        (lambda f, p: write_arrow(f, p, file_format=True), Format.ARROW),
        (lambda f, p: write_arrow(f, p, file_format=False), Format.ARROW),
    ],
    ids=["parquet", "ipc-file", "ipc-stream"],
)
def test_binary_format_sniffed_by_magic_bytes(tmp_path, writer, expected):
    frame = make_frame(150, seed=6)
    path = writer(frame, tmp_path / "data.dat")
    assert open_input(path).format is expected
    assert_matches_sklearn(fit(path), as_matrix(frame, NUMERIC), NUMERIC)


# -- standard input ----------------------------------------------------------------------------


def test_csv_on_stdin_fit_and_transform_subprocess(tmp_path):
    frame = make_frame(400, seed=13)
    path = write_csv(frame, tmp_path / "data.csv")
    data = path.read_bytes()

    stats_text = stdout_of(["fit", "-", "--exclude", "id", "-q"], data).decode()
    from_stdin = normkit.loads(stats_text)
    assert_same_stats(from_stdin, fit(path))
    assert_matches_sklearn(from_stdin, as_matrix(frame, NUMERIC), NUMERIC)
    assert from_stdin.provenance_["sources"][0]["path"] == "-"

    stats = tmp_path / "stats.json"
    stats.write_text(stats_text)
    out = stdout_of(["transform", "-s", str(stats), "-", "-q"], data)
    (tmp_path / "stdout.csv").write_bytes(out)
    reference = tmp_path / "file.csv"
    normkit.transform_file(path, from_stdin, reference)
    assert out == reference.read_bytes()
    got = float_columns_of_csv(tmp_path / "stdout.csv", NUMERIC)
    got_matrix = np.array([[np.nan if v is None else v for v in got[c]] for c in NUMERIC]).T
    assert_allclose(
        got_matrix, expected_transform(from_stdin, as_matrix(frame, NUMERIC)), rtol=RTOL
    )
    assert read_text_csv(tmp_path / "stdout.csv")["label"].tolist() == frame["label"].tolist()


def test_arrow_ipc_on_stdin_subprocess(tmp_path):
    frame = typed_frame(300, seed=14)
    data = write_arrow(frame, tmp_path / "d.arrows", file_format=False).read_bytes()

    stats_text = stdout_of(["fit", "-", "--input-format", "arrow", "-q"], data).decode()
    scaler = normkit.loads(stats_text)
    assert_matches_sklearn(scaler, as_matrix(frame, TYPED_NUMERIC), TYPED_NUMERIC)

    stats = tmp_path / "stats.json"
    stats.write_text(stats_text)
    args = [
        "transform",
        "-s",
        str(stats),
        "-",
        "--input-format",
        "arrow",
        "--output-format",
        "arrow",
    ]
    out = stdout_of([*args, "-q"], data)
    back = ipc.open_stream(pa.py_buffer(out)).read_all()
    assert back.schema.names == list(frame.columns)
    assert back.column("s").to_pylist() == frame["s"].tolist()
    got = np.column_stack([back.column(c).to_numpy() for c in TYPED_NUMERIC])
    assert_allclose(got, expected_transform(scaler, as_matrix(frame, TYPED_NUMERIC)), rtol=RTOL)


def test_parquet_on_stdin_subprocess(tmp_path):
    frame = typed_frame(200, seed=23)
    data = write_parquet(frame, tmp_path / "d.parquet").read_bytes()
    stats_text = stdout_of(["fit", "-", "--input-format", "parquet", "-q"], data).decode()
    assert_matches_sklearn(
        normkit.loads(stats_text), as_matrix(frame, TYPED_NUMERIC), TYPED_NUMERIC
    )


@pytest.mark.parametrize(
    ("writer", "name"),
    [
        (write_parquet, "parquet"),
        (lambda f, p: write_arrow(f, p, file_format=True), "arrow"),
        (lambda f, p: write_arrow(f, p, file_format=False), "arrow"),
    ],
    ids=["parquet", "ipc-file", "ipc-stream"],
)
def test_binary_format_on_stdin_or_a_pipe_is_told_by_its_first_bytes(tmp_path, writer, name):
    # Parquet or Arrow piped in was read as CSV and refused unless its format was named.
    frame = typed_frame(200, seed=29)
    data = writer(frame, tmp_path / "d.bin").read_bytes()
    named = stdout_of(["fit", "-", "--input-format", name, "-q"], data).decode()
    told = stdout_of(["fit", "-", "-q"], data).decode()
    assert_same_stats(normkit.loads(told), normkit.loads(named))
    assert_matches_sklearn(normkit.loads(told), as_matrix(frame, TYPED_NUMERIC), TYPED_NUMERIC)
    assert_same_stats(fit_through_fifo(tmp_path / "pipe", data), normkit.loads(named))


@pytest.mark.parametrize("header", ["PAR1,PAR2", "ARROW1,ARROW2"])
def test_csv_whose_header_begins_with_a_magic_number_is_csv(tmp_path, header):
    # Taken for Parquet (or Arrow) by its first bytes, it was refused; the bytes after a magic
    # number (a page header's, Arrow's padding) are never text.
    data = f"{header}\n1,2\n3,5\n4,4\n".encode()
    told = normkit.loads(stdout_of(["fit", "-", "-q"], data).decode())
    np.testing.assert_allclose(told.mean_, [8 / 3, 11 / 3], rtol=1e-15)
    path = tmp_path / "t.data"
    path.write_bytes(data)
    assert open_input(path).format is Format.CSV


@pytest.mark.parametrize("codec", ["gzip", "bz2", "zstd"])
def test_compressed_csv_on_stdin_or_a_pipe_is_decompressed(tmp_path, codec):
    # A pipe has no extension to tell its compression (or one that was not heeded): it was
    # refused as binary data, "name the file with .gz" said of a file named so.
    frame = make_frame(300, seed=31)
    path = write_csv(frame, tmp_path / "data.csv")
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, codec) as out:
        out.write(path.read_bytes())
    data = sink.getvalue().to_pybytes()
    expected = fit(path)
    assert_same_stats(normkit.loads(stdout_of(["fit", "-", "-q"], data).decode()), expected)
    assert_same_stats(fit_through_fifo(tmp_path / "pipe.csv.gz", data), expected)
    # Cut short, it is refused naming standard input, and nothing is written.
    out, stats = tmp_path / "z.csv", tmp_path / "s.json"
    stats.write_text(stdout_of(["fit", "-", "-q"], data).decode())
    proc = run_normkit("transform", "-", "-s", stats, "-o", out, stdin=data[: len(data) // 2])
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith(f"normkit: error: <stdin>: cannot decompress ({codec}):")
    assert len(proc.stderr.decode().strip().splitlines()) == 1
    assert not out.exists()


# -- outputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "file_format"),
    [("z.arrow", True), ("z.feather", True), ("z.ipc", True), ("z.arrows", False)],
)
def test_arrow_outputs_are_ipc_files_where_their_name_says_so(tmp_path, name, file_format):
    # .arrow was written as a stream: pandas' read_feather and Polars' read_ipc refused it.
    frame = pd.DataFrame({"x": np.random.default_rng(5).normal(3, 2, 50), "t": ["a", "b"] * 25})
    path, stats, out = tmp_path / "in.parquet", tmp_path / "s.json", tmp_path / name
    frame.to_parquet(path)
    assert run_normkit("fit", path, "-o", stats).returncode == 0
    proc = run_normkit("transform", path, "-s", stats, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"ARROW1") == file_format
    back = pd.read_feather(out) if file_format else read_arrow(out).to_pandas()
    x = frame.x.to_numpy()
    (fitted,) = json.loads(stats.read_text())["columns"]
    np.testing.assert_array_equal(back.x, (x - fitted["mean"]) / fitted["scale"])
    assert back.t.tolist() == frame.t.tolist()
    # And normkit reads it back: the inverse gives the data.
    again = tmp_path / f"back{out.suffix}"
    assert run_normkit("inverse", out, "-s", stats, "-o", again).returncode == 0
    np.testing.assert_allclose(read_arrow(again).column("x").to_numpy(), x, rtol=1e-14)


def read_output(path: Path, fmt: str) -> pa.Table:
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt == "arrow":
        return read_arrow(path)
    # Text columns as text; the types of the others are inferred from what was written.
    return pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={"id": pa.string(), "label": pa.string()},
            strings_can_be_null=False,
        ),
    )


@pytest.mark.parametrize(
    ("name", "option", "fmt"),
    [
        ("out.csv", None, "csv"),
        ("out.parquet", None, "parquet"),
        ("out.arrow", None, "arrow"),
        ("out.csv.gz", None, "csv"),
        ("out.csv.bz2", None, "csv"),
        ("out.csv.zst", None, "csv"),
        ("out.bin", "parquet", "parquet"),
        ("out.bin", "arrow", "arrow"),
        ("out.data", "csv", "csv"),
    ],
)
def test_transform_output_formats(tmp_path, name, option, fmt):
    frame = make_frame(700, seed=15)
    path = write_csv(frame, tmp_path / "in.csv")
    scaler = fit(path)
    stats = tmp_path / "stats.json"
    normkit.save(scaler, str(stats))
    out = tmp_path / name
    extra = ["--output-format", option] if option else []
    invoke("transform", str(path), "-s", str(stats), "-o", str(out), *extra)
    magic = {".gz": b"\x1f\x8b", ".bz2": b"BZh", ".zst": b"\x28\xb5\x2f\xfd"}
    if out.suffix in magic:
        assert out.read_bytes().startswith(magic[out.suffix])
    if fmt == "parquet":
        assert out.read_bytes()[:4] == b"PAR1"

    back = read_output(out, fmt)
    assert back.schema.names == list(frame.columns)
    for c in NUMERIC:  # integer columns too become float64
        assert back.schema.field(c).type == pa.float64()
    assert back.column("id").to_pylist() == frame["id"].tolist()
    assert back.column("label").to_pylist() == frame["label"].tolist()
    assert back.column("x").null_count == frame["x"].isna().sum()  # null, not NaN
    got = np.column_stack([back.column(c).to_numpy(zero_copy_only=False) for c in NUMERIC])
    assert_allclose(got, expected_transform(scaler, as_matrix(frame, NUMERIC)), rtol=RTOL)


def test_csv_gz_output_equals_plain_csv_output(tmp_path):
    frame = make_frame(500, seed=16)
    path = write_csv(frame, tmp_path / "in.csv")
    scaler = fit(path)
    normkit.transform_file(path, scaler, tmp_path / "out.csv.gz")
    normkit.transform_file(path, scaler, tmp_path / "out.csv")
    compressed = (tmp_path / "out.csv.gz").read_bytes()
    assert gzip.decompress(compressed) == (tmp_path / "out.csv").read_bytes()
    assert pd.read_csv(tmp_path / "out.csv.gz", dtype={"id": str}).equals(
        pd.read_csv(tmp_path / "out.csv", dtype={"id": str})
    )


def test_csv_output_floats_round_trip_exactly(tmp_path):
    """CSV output read back with Python's float() is bit-for-bit the Parquet output."""
    rng = np.random.default_rng(17)
    n = 3_000
    wide = np.sign(rng.normal(size=n)) * 10.0 ** rng.uniform(-30, 30, n)
    wide[::11] = np.nan
    frame = pd.DataFrame(
        {
            "id": [f"{i:04d}" for i in range(n)],
            "wide": wide,
            "tenths": np.round(rng.normal(0, 50, n), 1),
            "ints": rng.integers(-(2**40), 2**40, n),
        }
    )
    columns = ["wide", "tenths", "ints"]
    path = write_csv(frame, tmp_path / "in.csv")
    scaler = fit(path)
    normkit.transform_file(path, scaler, tmp_path / "out.csv")
    normkit.transform_file(path, scaler, tmp_path / "out.parquet")
    csv_values = float_columns_of_csv(tmp_path / "out.csv", columns)
    parquet = pq.read_table(tmp_path / "out.parquet")
    for c in columns:
        expected = parquet.column(c).to_pylist()
        assert [v is None for v in csv_values[c]] == [v is None for v in expected]
        bits = np.array([v for v in csv_values[c] if v is not None]).view(np.uint64)
        want = np.array([v for v in expected if v is not None]).view(np.uint64)
        assert_array_equal(bits, want, err_msg=c)


def test_pass_through_text_is_kept_verbatim(tmp_path):
    rows = [
        ("007", "1.5", "Oslo", "10"),
        ("0042", "", "NA", "20"),
        ("1e3", "2.5", " padded ", "30"),
        ("-0", "NaN", "null", "40"),
        ("x", "4.0", "", "50"),
    ]
    path = tmp_path / "plain.csv"
    path.write_text("code,x,city,n\n" + "".join(",".join(r) + "\n" for r in rows))
    scaler = fit(path, exclude=["code"])
    assert list(scaler.columns_) == ["x", "n"]

    out = tmp_path / "out.csv"
    normkit.transform_file(path, scaler, out)
    lines = out.read_text().splitlines()
    assert lines[0] == "code,x,city,n"
    # No field needs quotes, so each pass-through field is written exactly as it was.
    fields = [line.split(",") for line in lines[1:]]
    assert [f[0] for f in fields] == [r[0] for r in rows]
    assert [f[2] for f in fields] == [r[2] for r in rows]
    assert [f[1] == "" for f in fields] == [r[1] in ("", "NaN") for r in rows]

    # With a delimiter inside a text field the text is quoted and reads back equal.
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('code,x,city\n007,1.5,"Paris, France"\n008,2.5,"say ""hi"""\n009,3.5,Oslo\n')
    normkit.transform_file(quoted, fit(quoted, exclude=["code"]), tmp_path / "quoted_out.csv")
    back = read_text_csv(tmp_path / "quoted_out.csv")
    assert back.columns.tolist() == ["code", "x", "city"]
    assert back["code"].tolist() == ["007", "008", "009"]
    assert back["city"].tolist() == ["Paris, France", 'say "hi"', "Oslo"]


def test_missing_values_stay_missing_in_every_output(tmp_path):
    frame = make_frame(120, seed=18)
    frame.loc[[0, 5, 6], "big"] = np.nan
    path = write_csv(frame, tmp_path / "in.csv")
    scaler = fit(path)
    missing = frame[["x", "big"]].isna().to_numpy()

    normkit.transform_file(path, scaler, tmp_path / "out.csv")
    text = read_text_csv(tmp_path / "out.csv")
    assert_array_equal((text[["x", "big"]] == "").to_numpy(), missing)

    for name, fmt in (("out.parquet", "parquet"), ("out.arrow", "arrow")):
        normkit.transform_file(path, scaler, tmp_path / name)
        table = read_output(tmp_path / name, fmt)
        for j, c in enumerate(["x", "big"]):
            column = table.column(c)
            assert_array_equal(column.is_null().to_numpy(zero_copy_only=False), missing[:, j])
            values = column.drop_null().to_numpy()
            assert not np.isnan(values).any()  # missing is null, not NaN


def test_only_fields_that_need_quotes_are_quoted(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('code,x,city\n007,1.5,Oslo\n008,2.5,"Paris, France"\n009,3.5,Bergen\n')
    scaler = fit(path, exclude=["code"])
    out = tmp_path / "out.csv"
    normkit.transform_file(path, scaler, out)
    lines = out.read_text().splitlines()
    assert read_text_csv(out)["city"].tolist() == ["Oslo", "Paris, France", "Bergen"]
    assert [line.split(",")[0] for line in lines[1:]] == ["007", "008", "009"]
    assert lines[1].endswith(",Oslo")


def test_categorical_text_column_to_csv(tmp_path):
    labels = ["a,b", "plain", 'say "hi"', "two\nlines"] * 5
    frame = pd.DataFrame({"label": pd.Categorical(labels), "x": np.arange(20, dtype=np.float64)})
    path = write_parquet(frame, tmp_path / "cat.parquet")
    assert pa.types.is_dictionary(pq.read_schema(path).field("label").type)
    scaler = fit(path, exclude=())
    out = tmp_path / "out.csv"
    normkit.transform_file(path, scaler, out)
    assert read_text_csv(out)["label"].tolist() == labels


def test_feather_output_is_readable_as_feather(tmp_path):
    frame = make_frame(100, seed=24)
    path = write_csv(frame, tmp_path / "in.csv")
    scaler = fit(path)
    out = tmp_path / "out.feather"
    normkit.transform_file(path, scaler, out)
    back = feather.read_table(out)
    assert back.column("id").to_pylist() == frame["id"].tolist()


# -- chunk sizes -------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_rows", [1, 7, 1_000, 1_000_000])
@pytest.mark.parametrize("fmt", ["csv", "parquet", "arrow"])
def test_chunk_rows_do_not_change_results(tmp_path, fmt, chunk_rows):
    frame = make_frame(250, seed=19)
    writers = {
        "csv": lambda: write_csv(frame, tmp_path / "d.csv"),
        "parquet": lambda: write_parquet(frame, tmp_path / "d.parquet"),
        "arrow": lambda: write_arrow(frame, tmp_path / "d.arrow", file_format=False),
    }
    path = writers[fmt]()
    read = ReadOptions(chunk_rows=chunk_rows)
    scaler = fit(path, read)
    assert_same_stats(scaler, fit(path))
    assert_matches_sklearn(scaler, as_matrix(frame, NUMERIC), NUMERIC)

    out = tmp_path / "out.parquet"
    normkit.transform_file(path, scaler, out, read=read)
    back = pq.read_table(out)
    assert back.num_rows == len(frame)
    assert back.column("id").to_pylist() == frame["id"].tolist()
    got = np.column_stack([back.column(c).to_numpy(zero_copy_only=False) for c in NUMERIC])
    assert_allclose(got, expected_transform(scaler, as_matrix(frame, NUMERIC)), rtol=RTOL)


def test_chunk_rows_option_on_the_command_line(tmp_path):
    frame = make_frame(250, seed=20)
    path = write_csv(frame, tmp_path / "d.csv")
    for rows in ("1", "7", "1000", "1000000"):
        stats = tmp_path / f"stats_{rows}.json"
        invoke("fit", str(path), "--chunk-rows", rows, "--exclude", "id", "-o", str(stats))
        assert_same_stats(normkit.load(str(stats)), fit(path))


def test_every_pass_through_type_reaches_csv_as_text(tmp_path):
    """Columns that are not normalized keep their value in CSV output whatever their Arrow type:
    numbers and booleans as numbers, dates, times, durations and decimals in Arrow's text form,
    text (also as string_view or dictionary) as written, missing as an empty field."""
    import datetime
    import decimal

    table = pa.table(
        {
            "x": pa.array([1.0, 2.5, None]),
            "i": pa.array([7, None, -3], pa.int16()),
            "f32": pa.array([1.5, None, 0.25], pa.float32()),
            "flag": pa.array([True, None, False]),
            "sv": pa.array(["a,b", "", None], pa.string_view()),
            "cat": pa.array(["p", "q", None]).dictionary_encode(),
            "ts": pa.array([datetime.datetime(2024, 1, 2, 3, 4, 5, 678000), None, None]),
            "day": pa.array([datetime.date(2024, 1, 2), None, datetime.date(1999, 12, 31)]),
            "t32": pa.array([3723, None, 0], pa.time32("s")),
            "dur": pa.array([1, 2, None], pa.duration("s")),
            "d256": pa.array(
                [decimal.Decimal("1.50"), None, decimal.Decimal("-2.25")], pa.decimal256(40, 2)
            ),
        }
    )
    src = tmp_path / "types.arrow"
    with ipc.new_stream(src, table.schema) as writer:
        writer.write_table(table)
    scaler = normkit.fit_files(src, Standardizer(columns=["x"]))
    out = tmp_path / "out.csv"
    normkit.transform_file(src, scaler, out)
    text = {n: pa.array([None] * 3, pa.string()) for n in table.column_names}
    got = pacsv.read_csv(
        out, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(text, pa.string()))
    )
    assert got.column_names == table.column_names
    for name in ["ts", "day", "t32", "dur", "d256"]:
        expected = pc.cast(table.column(name), pa.string()).to_pylist()
        assert got.column(name).to_pylist() == [v if v is not None else "" for v in expected]
    assert got.column("i").to_pylist() == ["7", "", "-3"]
    assert [float(v) if v else None for v in got.column("f32").to_pylist()] == [1.5, None, 0.25]
    assert got.column("flag").to_pylist() == ["true", "", "false"]
    assert got.column("sv").to_pylist() == ["a,b", "", ""]
    assert got.column("cat").to_pylist() == ["p", "q", ""]
