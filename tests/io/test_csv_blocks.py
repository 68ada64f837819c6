"""CSV cut into blocks at line breaks and parsed in parallel (``_RowBlocks``), pushed to break.

Every file here spans many blocks of 4096 bytes (the smallest ``--csv-block-size``), so that the
input is cut hundreds of times: in quote-free data (parsed in parallel), at the first quote
(handed to pyarrow's streaming reader), at a BOM, CRLF or CR-only line ends, runs of empty lines,
a missing final line break, rows longer than a block. The files are written into ``tmp_path`` and
read through :func:`normkit.open_input` (every row and value), ``fit_files`` / ``transform_file``,
and the real command (click's runner in-process, or a subprocess for standard input, pipes and
one-line error messages). The reference is always the whole file read in one go: by
``pyarrow.csv.read_csv``, by pandas, or by Python's own ``float``; statistics are compared with
scikit-learn's ``StandardScaler`` and transformed values with numpy's ``(x - mean) / scale``.
No expected statistic, row number or line number is hard-coded: each is taken from the file.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import (
    NORMKIT,
    assert_matches_sklearn,
    assert_means_close,
    assert_one_line_error,
    run_normkit,
)
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import CsvOptions, ReadOptions, Standardizer, open_input
from normkit.errors import InputError
from normkit.io.options import DEFAULT_NULL_VALUES
from normkit.io.streams import input_encoding
from normkit_cli.main import cli

BLOCK = 4096  # the smallest block size normkit accepts
N_ROWS = 16_000  # about 175 blocks of 4096 bytes
RTOL = 1e-12
# What normkit reads as missing in a normalized column: the defaults and the empty field.
NULLS = ["", *DEFAULT_NULL_VALUES]
NULL_SET = frozenset(NULLS)

COLUMNS = ["id", "label", "x", "n", "big"]
FLOATS = ["x", "n", "big"]  # normalized (id is a zero-padded text id: excluded)
TEXTS = ["id", "label"]
# Pass-through text without delimiter, quote or line break; some look like missing values.
LABELS = ["plain", "two words", "semi;colon", "NA", "", " padded ", "ünïcødé", "x=1", "null"]
# A field needing quotes: a line break, the delimiter, doubled quotes, a CRLF.
TRICKY = 'line one\nline two, with "quotes", a comma\r\nand a CRLF'


# -- data --------------------------------------------------------------------------------------


def make_rows(n: int, seed: int = 0, start: int = 0, sep: str = ",") -> list[str]:
    """``n`` quote-free rows of COLUMNS (no line ends): x has ~10% missing-value spellings."""
    return list(_rows(n, seed, start, sep))


@functools.lru_cache(maxsize=16)
def _rows(n: int, seed: int, start: int, sep: str) -> tuple[str, ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, n).tolist()
    missing = (rng.random(n) < 0.1).tolist()
    tokens = rng.choice(NULLS, n).tolist()
    labels = rng.choice(LABELS, n).tolist()
    counts = rng.integers(-1000, 1000, n).tolist()
    big = (1e9 + rng.normal(0.0, 3.0, n)).tolist()
    return tuple(
        sep.join(
            (
                f"{start + i:06d}",
                labels[i],
                tokens[i] if missing[i] else repr(x[i]),
                str(counts[i]),
                repr(big[i]),
            )
        )
        for i in range(n)
    )


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def csv_bytes(
    rows: Sequence[str],
    *,
    newline: str = "\n",
    sep: str = ",",
    header: Sequence[str] = COLUMNS,
    quoted_header: bool = False,
    bom: bool = False,
    final_newline: bool = True,
) -> bytes:
    head = sep.join(quote(c) if quoted_header else c for c in header)
    text = newline.join([head, *rows]) + (newline if final_newline else "")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- references: the whole file read in one go -------------------------------------------------


def arrow_reference(
    path: Path | bytes,
    floats: Sequence[str] = FLOATS,
    texts: Sequence[str] = TEXTS,
    sep: str = ",",
) -> pa.Table:
    """pyarrow's reading of the whole input, with normkit's types and missing values."""
    source = pa.BufferReader(path) if isinstance(path, bytes) else str(path)
    return pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(block_size=64 << 20),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={
                **dict.fromkeys(floats, pa.float64()),
                **dict.fromkeys(texts, pa.string()),
            },
            null_values=NULLS,
            strings_can_be_null=False,
            quoted_strings_can_be_null=True,
        ),
    )


def pandas_text(path: Path | str | io.BytesIO, sep: str = ",") -> pd.DataFrame:
    """Every field as the text it holds (quotes undone, nothing read as missing)."""
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


def floats_of(texts: Sequence[str]) -> np.ndarray:
    """Python's ``float`` of each field; a missing-value spelling is NaN."""
    return np.array([np.nan if t in NULL_SET else float(t) for t in texts], dtype=np.float64)


def read_blocks(
    path: Path | str,
    floats: Sequence[str] = FLOATS,
    *,
    block_size: int = BLOCK,
    all_columns: bool = True,
    chunk_rows: int | None = None,
    sep: str | None = None,
) -> tuple[pa.Table | None, list[int]]:
    """What normkit reads (None if no batch), and the sizes of the batches it read it in."""
    csv = CsvOptions(block_size=block_size, delimiter=sep)
    source = open_input(path, ReadOptions(csv=csv, chunk_rows=chunk_rows))
    batches = list(source.batches(list(floats), all_columns=all_columns))
    table = pa.Table.from_batches(batches) if batches else None
    return table, [b.num_rows for b in batches]


def column_values(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


# -- checks ------------------------------------------------------------------------------------


def assert_same_table(got: pa.Table | None, ref: pa.Table) -> None:
    """Same columns, types, rows and values, in the same order; points at the first difference."""
    if got is None:
        assert ref.num_rows == 0
        return
    assert got.schema.names == ref.schema.names
    assert [f.type for f in got.schema] == [f.type for f in ref.schema]
    assert got.num_rows == ref.num_rows
    for name in ref.schema.names:
        a, b = got.column(name).to_pylist(), ref.column(name).to_pylist()
        if a != b:
            i = next(i for i, (u, v) in enumerate(zip(a, b, strict=True)) if u != v)
            raise AssertionError(f"column {name!r}, data row {i + 1}: read {a[i]!r}, not {b[i]!r}")


def assert_matches_text(got: pa.Table, text: pd.DataFrame, floats: Sequence[str] = FLOATS):
    """Text columns exactly as pandas reads them; float columns as Python's float reads them."""
    assert got.num_rows == len(text)
    for name in got.schema.names:
        if name in floats:
            assert_array_equal(column_values(got, name), floats_of(text[name]), err_msg=name)
        else:
            assert got.column(name).to_pylist() == text[name].tolist(), name


def assert_same_stats(a: Standardizer, b: Standardizer) -> None:
    """Equal statistics (to rounding), and equal running (EMA) statistics over equal batches."""
    assert list(a.columns_) == list(b.columns_)
    assert a.n_rows_seen_ == b.n_rows_seen_
    assert_array_equal(a.n_samples_seen_, b.n_samples_seen_)
    assert_array_equal(a.n_missing_, b.n_missing_)
    assert_means_close(a.mean_, b.mean_, b.scale_)
    for attr in ("var_", "scale_"):
        assert_allclose(getattr(a, attr), getattr(b, attr), rtol=RTOL, err_msg=attr)
    for attr in ("min_", "max_"):
        assert_array_equal(getattr(a, attr), getattr(b, attr), err_msg=attr)
    assert a.ema_ is not None
    assert b.ema_ is not None
    assert a.ema_.n_batches == b.ema_.n_batches
    assert_array_equal(a.ema_.n_updates, b.ema_.n_updates)
    assert_array_equal(a.ema_.n_skipped, b.ema_.n_skipped)
    assert_means_close(a.ema_.running_mean, b.ema_.running_mean, np.sqrt(b.ema_.running_var))
    assert_allclose(a.ema_.running_var, b.ema_.running_var, rtol=RTOL, err_msg="running_var")


def fit(path: Path | str, block_size: int | None = BLOCK, **read) -> Standardizer:
    csv = CsvOptions() if block_size is None else CsvOptions(block_size=block_size)
    return normkit.fit_files(path, Standardizer(exclude=["id"]), ReadOptions(csv=csv, **read))


def invoke(*args: str) -> tuple[int, str]:
    """Exit code and stderr of the command, run in-process."""
    result = CliRunner().invoke(cli, list(args), prog_name="normkit")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {result.exception!r}") from result.exception
    return result.exit_code, result.stderr


def fit_small_blocks(path: Path, stats: Path) -> tuple[int, str]:
    """``normkit fit PATH --exclude id`` with 4096-byte blocks, in-process."""
    return invoke(
        "fit", str(path), "--exclude", "id", "--csv-block-size", str(BLOCK), "-q", "-o", str(stats)
    )


def assert_transformed_csv(out: Path | bytes, source_text: pd.DataFrame, stats: Standardizer):
    """A CSV transform output: the text columns exactly as written in the input, the normalized
    ones exactly numpy's (x - mean) / scale of Python's float of the input text."""
    back = pandas_text(io.BytesIO(out) if isinstance(out, bytes) else out)
    assert list(back.columns) == list(source_text.columns)
    assert len(back) == len(source_text)
    names = list(stats.columns_)
    for name in back.columns:
        if name in names:
            j = names.index(name)
            x = floats_of(source_text[name])
            expected = (x - stats.mean_[j]) / stats.scale_[j]
            assert_array_equal(floats_of(back[name]), expected, err_msg=name)
        else:
            assert back[name].tolist() == source_text[name].tolist(), name


# -- quote-free data: parsed in parallel -------------------------------------------------------


@pytest.mark.parametrize(
    ("quoted_header", "bom"),
    [(False, False), (True, False), (False, True), (True, True)],
    ids=["plain-header", "quoted-header", "bom", "bom-quoted-header"],
)
def test_quote_free_file_is_read_exactly(tmp_path, quoted_header, bom):
    rows = make_rows(N_ROWS)
    path = write(tmp_path / "data.csv", csv_bytes(rows, quoted_header=quoted_header, bom=bom))
    assert b'"' not in path.read_bytes()[200:]  # quotes in the header at most

    assert path.stat().st_size > 150 * BLOCK  # so there are over a hundred cuts
    got, _ = read_blocks(path)
    assert_same_table(got, arrow_reference(path))
    text = pandas_text(path)
    assert list(text.columns) == COLUMNS  # the BOM is not part of the first name
    assert_matches_text(got, text)

    # Only the normalized columns, as fit reads them.
    only, _ = read_blocks(path, all_columns=False)
    assert only.schema.names == FLOATS
    assert_same_table(only, arrow_reference(path).select(FLOATS))


def test_quoted_header_with_a_line_break_and_quote_free_data(tmp_path):
    """A header that holds a quoted line break cannot be skipped as one line: all is read by the
    streaming reader, and every row still counts once."""
    header = ["na\nme", "x", 'q"']
    rows = [f"t{i},{i}.5,u{i}" for i in range(15_000)]
    path = write(tmp_path / "h.csv", csv_bytes(rows, header=header, quoted_header=True))
    got, _ = read_blocks(path, ["x"])
    assert got.schema.names == header
    assert_same_table(got, arrow_reference(path, ["x"], [header[0], header[2]]))
    assert_matches_text(got, pandas_text(path), ["x"])


def test_quote_free_fit_and_transform_match_sklearn_and_numpy(tmp_path):
    rows = make_rows(N_ROWS, seed=4)
    path = write(tmp_path / "data.csv", csv_bytes(rows))
    text = pandas_text(path)
    scaler = fit(path)
    X = np.column_stack([floats_of(text[c]) for c in FLOATS])
    assert_matches_sklearn(scaler, X, FLOATS)

    out = tmp_path / "out.csv"
    normkit.transform_file(path, scaler, out, read=ReadOptions(csv=CsvOptions(block_size=BLOCK)))
    assert_transformed_csv(out, text, scaler)


def test_small_block_size_bounds_the_batches(tmp_path):
    """The block size bounds what is parsed at once ("memory is a small multiple of it"): with
    4096-byte blocks a quote-free file comes in batches of at most eight blocks' worth of rows
    (four blocks are read at a time), whether every column is read or only the numbers, in the
    same batches. The other tests rely on this to cut their files forty times."""
    rows = make_rows(N_ROWS)
    path = write(tmp_path / "data.csv", csv_bytes(rows))
    shortest = min(len(r) for r in rows) + 1
    seen = []
    for all_columns in (True, False):
        _, sizes = read_blocks(path, all_columns=all_columns)
        assert sum(sizes) == len(rows)
        assert len(sizes) >= 40
        assert max(sizes) <= 2 * 4 * BLOCK // shortest, f"{len(sizes)} batches"
        seen.append(sizes)
    assert seen[0] == seen[1]


def test_wide_rows_are_read_in_blocks_of_many_rows(tmp_path):
    """Blocks of wide rows (a few per block) grow to hold many rows, since work per batch grows
    with the columns; the values and the statistics stay those of the whole file."""
    rng = np.random.default_rng(5)
    values = rng.normal(3.0, 2.0, (400, 600))
    frame = pd.DataFrame(values, columns=[f"c{j}" for j in range(600)])
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    block = 64 << 10  # about six rows of 11 KB
    _, sizes = read_blocks(path, list(frame.columns), block_size=block, all_columns=False)
    assert sum(sizes) == 400
    assert max(sizes) > 4 * block // len(path.read_bytes().splitlines()[1])
    scaler = normkit.fit_files(path, Standardizer(), ReadOptions(csv=CsvOptions(block_size=block)))
    reference = StandardScaler().fit(pd.read_csv(path).to_numpy())
    assert_allclose(scaler.mean_, reference.mean_, rtol=1e-12)
    assert_allclose(scaler.scale_, reference.scale_, rtol=1e-12)


def test_quoted_line_breaks_do_not_make_the_rows_typed_fewer(tmp_path):
    """The rows a wide file's types are decided from are counted as records, not lines: a
    note of twenty lines in every row made a date column typed from 51 of its rows, and a
    timestamp at row 151 refused by the transform of the file just fitted."""
    rng = np.random.default_rng(6)
    note = quote("\n".join(f"line {k}" for k in range(20)))
    lines = ["d,note," + ",".join(f"c{j}" for j in range(3000))]
    for i, row in enumerate(rng.normal(size=(300, 3000))):
        day = "2024-01-05 10:00:00" if i == 150 else f"2024-01-{1 + i % 28:02d}"
        lines.append(f"{day},{note}," + ",".join(f"{x:.6f}" for x in row))
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(lines) + "\n")
    assert len(path.read_bytes()) > 4 << 20  # a first block (1 MiB) of a few dozen rows
    with normkit.open_input(path) as source:
        assert source.schema.field("d").type == pa.timestamp("s")


# -- the first quote late in the file ----------------------------------------------------------


def late_quote_rows() -> list[str]:
    """N_ROWS quote-free rows, rows with TRICKY, quoted numbers and a quoted empty x, 2,000 more
    quote-free rows."""
    quoted = [
        f"016000,{quote(TRICKY)},1.25,7,{1e9 + 0.5!r}",
        f'016001,{quote(",")},"2.5","-3",{quote(repr(1e9 - 0.25))}',
        '016002,"",""," 4",1000000000.125',
        "016003," + quote('a ""') + ",,5,1000000002",
    ]
    return [*make_rows(N_ROWS), *quoted, *make_rows(2_000, seed=1, start=16_004)]


@pytest.mark.parametrize(
    "where", ["late", "last-row", "last-row-no-line-break", "last-row-quoted-last-field"]
)
def test_first_quote_late_in_the_file(tmp_path, where):
    if where == "late":
        rows = late_quote_rows()
    elif where == "last-row-quoted-last-field":
        rows = [*make_rows(N_ROWS), f"016000,plain,1.5,2,{quote('1000000000.5')}"]
    else:
        rows = [*make_rows(N_ROWS), f"016000,{quote(TRICKY)},1.5,2,1000000000.5"]
    data = csv_bytes(rows, final_newline=where != "last-row-no-line-break")
    path = write(tmp_path / "late.csv", data)
    assert data.index(b'"') > 150 * BLOCK  # after over a hundred blocks parsed in parallel

    got, _ = read_blocks(path)
    assert_same_table(got, arrow_reference(path))
    text = pandas_text(path)
    assert_matches_text(got, text)
    if where != "last-row-quoted-last-field":
        assert got.column("label").to_pylist().count(TRICKY) == 1
    if where == "late":
        X = np.column_stack([floats_of(text[c]) for c in FLOATS])
        assert_matches_sklearn(fit(path), X, FLOATS)


def test_late_quote_transform_keeps_text_exactly(tmp_path):
    path = write(tmp_path / "late.csv", csv_bytes(late_quote_rows()))
    text = pandas_text(path)
    stats = tmp_path / "s.json"
    out = tmp_path / "out.csv"
    code, err = invoke(
        "fit", str(path), "--exclude", "id", "--csv-block-size", "4096", "-q", "-o", str(stats)
    )
    assert code == 0, err
    scaler = normkit.load(str(stats))
    assert_matches_sklearn(scaler, np.column_stack([floats_of(text[c]) for c in FLOATS]), FLOATS)
    code, err = invoke(
        "transform", str(path), "-s", str(stats), "--csv-block-size", "4096", "-q", "-o", str(out)
    )
    assert code == 0, err
    assert_transformed_csv(out, text, scaler)
    assert pandas_text(out)["label"].tolist().count(TRICKY) == 1


def test_unclosed_quote_in_the_last_row_is_still_refused(tmp_path):
    """A quote opened in the last field of the last row and never closed, after hundreds of
    quote-free blocks: the rows it swallows must not pass silently."""
    rows = [
        ",".join((r.split(",")[0], r.split(",")[2], r.split(",")[1])) for r in make_rows(N_ROWS)
    ]
    rows.append('016000,1.5,"never closed')
    path = write(tmp_path / "open.csv", csv_bytes(rows, header=["id", "x", "note"]))
    code, err = fit_small_blocks(path, tmp_path / "s.json")
    line = len(rows) + 1  # the header, then the rows: the quote opens on the last line
    assert_one_line_error(
        code,
        err,
        f"normkit: error: {path} at data row {len(rows):,} (line {line:,}): malformed CSV: column "
        "'note': a quoted field opened here is never closed",
    )
    assert not (tmp_path / "s.json").exists()


# -- line ends, empty lines, the end of the file -----------------------------------------------


@pytest.mark.parametrize("late_quote", [False, True], ids=["quote-free", "late-quote"])
@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr-only"])
def test_line_endings(tmp_path, newline, late_quote):
    rows = late_quote_rows() if late_quote else make_rows(N_ROWS, seed=2)
    path = write(tmp_path / "ends.csv", csv_bytes(rows, newline=newline))
    got, _ = read_blocks(path)
    ref = arrow_reference(path)
    assert_same_table(got, ref)
    text = pandas_text(path)
    assert_matches_text(got, text)
    # No "\r" of a line end ends up in a value; the one inside the quoted field stays.
    labels = got.column("label").to_pylist()
    assert sum("\r" in t for t in labels) == (1 if late_quote else 0)
    assert got.column("id").to_pylist() == text["id"].tolist()


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_empty_lines_in_the_middle_and_at_the_end(tmp_path, newline):
    rows = make_rows(N_ROWS, seed=3)
    rng = np.random.default_rng(3)
    with_gaps: list[str] = []
    for i, row in enumerate(rows):
        with_gaps.append(row)
        if i == 10_000:
            with_gaps.extend([""] * (3 * BLOCK))  # whole blocks of nothing but line breaks
        elif rng.random() < 0.05:
            with_gaps.extend([""] * int(rng.integers(1, 4)))
    with_gaps.extend([""] * 5)  # empty lines at the end
    path = write(tmp_path / "gaps.csv", csv_bytes(with_gaps, newline=newline))
    got, _ = read_blocks(path)
    assert got.num_rows == len(rows)
    assert_same_table(got, arrow_reference(path))
    assert_matches_text(got, pandas_text(path))
    assert_same_table(got, arrow_reference(write(tmp_path / "dense.csv", csv_bytes(rows))))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr-only"])
@pytest.mark.parametrize(
    "last", ["plain", "empty-last-field", "quoted-last-field", "quoted-multiline-label"]
)
def test_last_line_without_line_break(tmp_path, newline, last):
    rows = make_rows(6_000, seed=5)
    rows.append(
        {
            "plain": "006000,last,2.5,3,1000000000.25",
            "empty-last-field": "006000,last,2.5,3,",
            "quoted-last-field": '006000,last,2.5,3,"1000000000.25"',
            "quoted-multiline-label": f"006000,{quote(TRICKY)},2.5,3,1000000000.25",
        }[last]
    )
    path = write(tmp_path / "end.csv", csv_bytes(rows, newline=newline, final_newline=False))
    got, _ = read_blocks(path)
    ref = arrow_reference(path)
    assert ref.num_rows == len(rows)
    assert_same_table(got, ref)
    assert_matches_text(got, pandas_text(path))


# -- rows longer than a block ------------------------------------------------------------------


@pytest.mark.parametrize("before", [0, 1, 977, 12_000])
def test_row_between_one_and_two_blocks_long_is_read(tmp_path, before):
    """A quote-free row of 1.5 blocks, after ``before`` rows: read exactly, wherever it falls."""
    rows = make_rows(N_ROWS, seed=6)
    fields = rows[before].split(",")
    fields[1] = "L" * (3 * BLOCK // 2)
    rows[before] = ",".join(fields)
    path = write(tmp_path / "long.csv", csv_bytes(rows))
    got, _ = read_blocks(path)
    assert_same_table(got, arrow_reference(path))
    assert got.column("label")[before].as_py() == fields[1]


@pytest.mark.parametrize("after_quote", [False, True], ids=["quote-free", "after-a-quote"])
def test_row_much_longer_than_a_block_is_read_or_clearly_refused(tmp_path, after_quote):
    """A row of five blocks, deep in the file. Before blocks were parsed in parallel it was
    refused with a message asking for a larger --csv-block-size. Either that refusal (one line,
    exit 1, no traceback, no output written) or every row read: never a row lost."""
    rows = make_rows(N_ROWS, seed=7)
    if after_quote:  # the long row then reaches pyarrow's streaming reader
        fields = rows[10_000].split(",")
        fields[1] = quote(TRICKY)
        rows[10_000] = ",".join(fields)
    fields = rows[12_000].split(",")
    fields[1] = "L" * (5 * BLOCK)
    rows[12_000] = ",".join(fields)
    path = write(tmp_path / "long.csv", csv_bytes(rows))
    text = pandas_text(path)
    X = np.column_stack([floats_of(text[c]) for c in FLOATS])
    out = tmp_path / "s.json"
    proc = run_normkit(
        "fit", str(path), "--exclude", "id", "--csv-block-size", "4096", "-q", "-o", str(out)
    )
    if proc.returncode == 0:
        assert_matches_sklearn(normkit.load(str(out)), X, FLOATS)
    else:
        start = f"normkit: error: {path}"
        line = assert_one_line_error(proc.returncode, proc.stderr.decode(), start)
        # The line the long row starts on, counted in the file's bytes (quoted line breaks too).
        raw = path.read_bytes()
        n = raw[: raw.index(b"LLLL")].count(b"\n") + 1
        assert f"{path} at line {n:,}: a CSV row is longer" in line
        assert "--csv-block-size" in line
        assert not out.exists()

    # With blocks large enough the same file is read, and every row counts.
    assert_matches_sklearn(fit(path, block_size=64 << 10), X, FLOATS)


# -- errors deep in the file -------------------------------------------------------------------


def with_bad_value(rows: list[str], row: int, column: str, value: str) -> list[str]:
    fields = rows[row].split(",")
    fields[COLUMNS.index(column)] = value
    rows = list(rows)
    rows[row] = ",".join(fields)
    return rows


@pytest.mark.parametrize(
    ("command", "quote_before"),
    [("fit", False), ("fit", True), ("transform", False)],
    ids=["fit-quote-free", "fit-after-a-quote", "transform-quote-free"],
)
def test_non_number_deep_in_the_file_names_column_and_data_row(tmp_path, command, quote_before):
    rows = make_rows(N_ROWS, seed=8)
    if quote_before:  # the rest of the file then goes to the streaming reader
        fields = rows[5_000].split(",")
        fields[1] = quote(TRICKY)
        rows[5_000] = ",".join(fields)
    rows = with_bad_value(rows, 12_344, "big", "12.5.7")
    path = write(tmp_path / "bad.csv", csv_bytes(rows))
    text = pandas_text(path)
    data_row = int(np.flatnonzero(text["big"].to_numpy() == "12.5.7")[0]) + 1
    assert data_row > 10_000

    if command == "fit":
        args = ["fit", str(path), "--exclude", "id", "-o", str(tmp_path / "s.json")]
    else:
        good = write(tmp_path / "good.csv", csv_bytes(make_rows(100)))
        stats = tmp_path / "s.json"
        assert invoke("fit", str(good), "--exclude", "id", "-q", "-o", str(stats))[0] == 0
        args = ["transform", str(path), "-s", str(stats), "-o", str(tmp_path / "out.csv")]
    code, err = invoke(*args, "--csv-block-size", "4096", "-q")
    at = f"data row {data_row:,}"
    if quote_before:  # the quoted line breaks before it: its line is named too
        data = path.read_bytes()
        before = data[: data.rindex(b"\n", 0, data.index(b"12.5.7")) + 1]
        lone_cr = before.count(b"\r") - before.count(b"\r\n")
        line = before.count(b"\n") + lone_cr + 1
        assert line != data_row + 1
        at += f" (line {line:,})"
    start = f"normkit: error: {path}: column 'big' at {at}: '12.5.7' is not a number"
    assert_one_line_error(code, err, start)
    assert not (tmp_path / "out.csv").exists()


def test_infinite_value_deep_in_the_file_names_its_data_row(tmp_path):
    """Rows are counted across hundreds of blocks in order: the row an error names is exact."""
    rows = with_bad_value(make_rows(N_ROWS, seed=11), 13_579, "x", "-inf")
    path = write(tmp_path / "inf.csv", csv_bytes(rows))
    data_row = int(np.flatnonzero(pandas_text(path)["x"].to_numpy() == "-inf")[0]) + 1
    assert data_row > 10_000
    code, err = fit_small_blocks(path, tmp_path / "s.json")
    assert_one_line_error(
        code,
        err,
        f"normkit: error: {path}: column 'x' at data row {data_row:,}: -inf is not finite",
    )


def row_numbers_in(message: str) -> list[int]:
    """Every row or line number a message gives ("line 20,002", "Row #143", "data row 7")."""
    return [
        int(n.replace(",", "")) for n in re.findall(r"(?:row|line) #?(\d[\d,]*)", message, re.I)
    ]


@pytest.mark.parametrize("fields", ["too-few", "too-many"])
def test_malformed_row_deep_in_the_file_names_its_line(tmp_path, fields):
    rows = make_rows(N_ROWS, seed=9)
    bad = rows[12_000].rsplit(",", 1)[0] if fields == "too-few" else rows[12_000] + ",extra"
    rows[12_000] = bad
    path = write(tmp_path / "bad.csv", csv_bytes(rows))
    line = path.read_text().split("\n").index(bad) + 1
    assert line > 10_000

    code, err = fit_small_blocks(path, tmp_path / "s.json")
    message = assert_one_line_error(
        code, err, f"normkit: error: {path} at data row {line - 1:,} (line {line:,}): malformed CSV"
    )
    # No other row number contradicts the line (such as one counted from the block's start).
    assert set(row_numbers_in(message)) == {line - 1, line}, message


def test_malformed_row_deep_in_stdin_gives_no_wrong_row_number(tmp_path):
    rows = make_rows(N_ROWS, seed=9)
    bad = rows[12_000].rsplit(",", 1)[0]
    rows[12_000] = bad
    data = csv_bytes(rows)
    line = data.decode().split("\n").index(bad) + 1
    proc = run_normkit("fit", "-", "--exclude", "id", "--csv-block-size", "4096", "-q", stdin=data)
    message = assert_one_line_error(
        proc.returncode, proc.stderr.decode(), "normkit: error: <stdin>"
    )
    assert "malformed CSV" in message
    # Standard input cannot be read twice to find the line: "after data row N" may say less,
    # but no number in the message may point past the bad row or name another row as it.
    assert row_numbers_in(message), message
    for n in re.findall(r"data row ([\d,]+)", message):
        assert int(n.replace(",", "")) <= line - 1, message  # the bad row's, or one before it
    for n in re.findall(r"Row #(\d+)", message):
        assert int(n) == line, message  # pyarrow's row numbers are line numbers
    assert proc.stdout == b""


# -- streams and other encodings of the same rows ----------------------------------------------


@pytest.mark.parametrize(
    ("head", "given", "recorded", "read_in"),
    [
        (b"\xff\xfei\x00", None, False, "utf-16"),  # the file's mark
        (b"\xef\xbb\xbfid", None, False, None),  # UTF-8, its mark skipped
        (b"id,x", "latin-1", False, "latin-1"),
        # The file's own mark decides over an encoding given to the command or a stat file's.
        (b"\xff\xfei\x00", "latin-1", False, "utf-16"),
        (b"\xef\xbb\xbfid", "cp1252", False, None),  # not 'ï»¿id'
        (b"\xfe\xff\x00i", "utf-8", False, "utf-16"),
        (b"\xff\xfei\x00", "utf-16-be", False, "utf-16"),
        (b"\xff\xfe\x00\x00", "utf-16", False, "utf-32"),
        (b"\xff\xfei\x00", "latin-1", True, "utf-16"),
        # A stat file's that needs a mark reads a file without one as UTF-8.
        (b"\xef\xbb\xbfid", "utf-16", True, None),
        (b"id,x", "utf-16", True, None),
        (b"id,x", "utf-32", True, None),
        (b"id,x", "utf-8-sig", True, None),
        (b"id,x", "latin-1", True, "latin-1"),
        (b"i\x00d\x00", "utf-16-le", True, "utf-16-le"),
    ],
)
def test_the_encoding_read_in_given_recorded_or_told_by_a_mark(head, given, recorded, read_in):
    assert input_encoding(head, given, recorded) == read_in


def test_utf16_given_to_the_command_needs_a_mark():
    with pytest.raises(InputError, match="no byte-order mark, which the encoding utf-16 needs"):
        input_encoding(b"id,x", "utf-16")


def test_stdin_with_small_blocks(tmp_path):
    rows = late_quote_rows()
    data = csv_bytes(rows, newline="\r\n", bom=True)
    path = write(tmp_path / "data.csv", data)
    text = pandas_text(path)
    stats = tmp_path / "s.json"
    proc = run_normkit(
        "fit",
        "-",
        "--exclude",
        "id",
        "--csv-block-size",
        "4096",
        "-q",
        "-o",
        str(stats),
        stdin=data,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    scaler = normkit.load(str(stats))
    assert_matches_sklearn(scaler, np.column_stack([floats_of(text[c]) for c in FLOATS]), FLOATS)
    assert_same_stats(scaler, fit(path, block_size=None))

    proc = run_normkit(
        "transform", "-", "-s", str(stats), "--csv-block-size", "4096", "-q", stdin=data
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert_transformed_csv(proc.stdout, text, scaler)


def test_named_pipe_with_small_blocks(tmp_path):
    path = write(tmp_path / "data.csv", csv_bytes(late_quote_rows()))
    stats = tmp_path / "s.json"
    command = " ".join(
        [
            NORMKIT,
            "fit",
            f"<(cat '{path}')",
            "--exclude",
            "id",
            "--csv-block-size",
            "4096",
            "-q",
            "-o",
            f"'{stats}'",
        ]
    )
    proc = subprocess.run(["bash", "-c", command], capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    assert_same_stats(normkit.load(str(stats)), fit(path, block_size=None))


def compress(data: bytes, codec: str) -> bytes:
    if codec == "gzip":
        return gzip.compress(data)
    if codec == "bz2":
        return bz2.compress(data)
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, codec) as stream:
        stream.write(data)
    return sink.getvalue().to_pybytes()


@pytest.mark.parametrize(("suffix", "codec"), [(".gz", "gzip"), (".bz2", "bz2"), (".zst", "zstd")])
def test_compressed_input(tmp_path, suffix, codec):
    data = csv_bytes(late_quote_rows()[8_000:], newline="\r\n")
    plain = write(tmp_path / "plain.csv", data)
    path = write(tmp_path / f"data.csv{suffix}", compress(data, codec))
    got, _ = read_blocks(path)
    assert_same_table(got, arrow_reference(plain))
    assert_same_stats(fit(path), fit(plain, block_size=None))


def test_tab_delimiter(tmp_path):
    rows = make_rows(N_ROWS, seed=10, sep="\t")
    # In a TSV a comma is plain text; a quoted field may hold a tab and a line break.
    rows = [r.replace("semi;colon", "a, b, c") for r in rows]
    tricky = quote("tab\there, and a\nline break")
    rows.insert(12_000, f"012000\t{tricky}\t1.5\t2\t1000000000.5")
    path = write(tmp_path / "data.tsv", csv_bytes(rows, sep="\t"))
    got, _ = read_blocks(path)
    assert_same_table(got, arrow_reference(path, sep="\t"))
    text = pandas_text(path, sep="\t")
    assert_matches_text(got, text)
    assert "a, b, c" in got.column("label").to_pylist()

    scaler = fit(path)
    assert_matches_sklearn(scaler, np.column_stack([floats_of(text[c]) for c in FLOATS]), FLOATS)
    out = tmp_path / "out.tsv"
    normkit.transform_file(path, scaler, out, read=ReadOptions(csv=CsvOptions(block_size=BLOCK)))
    back = pandas_text(out, sep="\t")
    assert back["label"].tolist() == text["label"].tolist()
    assert back["id"].tolist() == text["id"].tolist()


# -- tiny files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"id,x\n", b'"id","x"\r\n', b"\xef\xbb\xbfid,x\n", b"id,x", b"id,x\n\n\n", b"id,x\r"],
    ids=["lf", "quoted-crlf", "bom", "no-line-break", "empty-lines", "cr"],
)
def test_header_only(tmp_path, data):
    path = write(tmp_path / "h.csv", data)
    got, _ = read_blocks(path, ["x"])
    assert got is None or got.num_rows == 0
    code, err = invoke("fit", str(path), "--csv-block-size", "4096", "-q")
    assert_one_line_error(code, err, f"normkit: error: {path}: no data rows")


@pytest.mark.parametrize(
    "data",
    [
        b"id,x\n7,2.5",
        b'"id","x"\n7,2.5',
        b"\xef\xbb\xbfid,x\r\n7,2.5",
        b'id,x\n7,"2.5"',
        b"id,x\r7,2.5",
    ],
    ids=["lf", "quoted-header", "bom-crlf", "quoted-value", "cr"],
)
def test_header_and_one_row_without_line_break(tmp_path, data):
    path = write(tmp_path / "one.csv", data)
    got, _ = read_blocks(path, ["x"])
    ref = arrow_reference(path, ["x"], ["id"])
    assert ref.num_rows == 1
    assert_same_table(got, ref)
    scaler = normkit.fit_files(
        path, Standardizer(columns=["x"]), ReadOptions(csv=CsvOptions(block_size=BLOCK))
    )
    assert_matches_sklearn(scaler, column_values(ref, "x")[:, None], ["x"])


# -- batches: --chunk-rows, and independence of the block size ---------------------------------


@pytest.mark.parametrize("chunk", [333, 4_999])
def test_chunk_rows_with_small_blocks(tmp_path, chunk):
    path = write(tmp_path / "data.csv", csv_bytes(late_quote_rows()[8_000:]))
    got, sizes = read_blocks(path, chunk_rows=chunk)
    assert all(s == chunk for s in sizes[:-1])
    assert 0 < sizes[-1] <= chunk
    assert_same_table(got, arrow_reference(path))

    stats = tmp_path / "s.json"
    code, err = invoke(
        "fit",
        str(path),
        "--exclude",
        "id",
        "--csv-block-size",
        "4096",
        "--chunk-rows",
        str(chunk),
        "-q",
        "-o",
        str(stats),
    )
    assert code == 0, err
    assert_same_stats(normkit.load(str(stats)), fit(path, block_size=None))


def test_fit_statistics_do_not_depend_on_the_block_size(tmp_path):
    path = write(tmp_path / "data.csv", csv_bytes(late_quote_rows(), bom=True))
    text = pandas_text(path)
    X = np.column_stack([floats_of(text[c]) for c in FLOATS])
    by_size = {size: fit(path, block_size=size) for size in (BLOCK, 65_536, None)}
    for scaler in by_size.values():
        assert_matches_sklearn(scaler, X, FLOATS)
        assert scaler.n_rows_seen_ == len(text)
    assert_same_stats(by_size[BLOCK], by_size[None])
    assert_same_stats(by_size[65_536], by_size[None])

    # The same through the command, with the size spelled as the command takes it.
    for size in ("4096", "64K"):
        stats = tmp_path / f"s-{size}.json"
        code, err = invoke(
            "fit", str(path), "--exclude", "id", "--csv-block-size", size, "-q", "-o", str(stats)
        )
        assert code == 0, err
        assert_same_stats(normkit.load(str(stats)), by_size[None])


def test_batch_mode_transform_does_not_depend_on_the_block_size(tmp_path):
    """Logical batches are rows in file order, whatever the blocks the file was parsed in."""
    path = write(tmp_path / "data.csv", csv_bytes(late_quote_rows()[8_000:], newline="\r\n"))
    scaler = fit(path, block_size=None)
    tables = {}
    for size in (BLOCK, None):
        out = tmp_path / f"out-{size}.parquet"
        csv = CsvOptions() if size is None else CsvOptions(block_size=size)
        options = normkit.TransformOptions(mode="batch", batch_size=100)
        normkit.transform_file(path, scaler, out, options, ReadOptions(csv=csv))
        tables[size] = pq.read_table(out)
    small, default = tables[BLOCK], tables[None]
    assert small.schema == default.schema
    for name in TEXTS:
        assert small.column(name).to_pylist() == default.column(name).to_pylist()
    for name in FLOATS:
        a, b = column_values(small, name), column_values(default, name)
        assert_array_equal(np.isnan(a), np.isnan(b))
        assert_allclose(a, b, rtol=RTOL, atol=RTOL, err_msg=name)


# -- any CSV text ------------------------------------------------------------------------------

ENDINGS = ("\n", "\r\n", "\r")
# Unquoted text: no delimiter (of the three tried), quote or line break.
PLAIN_TEXT = st.one_of(
    st.text(alphabet="ab xz:-_.éü", max_size=6), st.sampled_from(["NA", "null", "None"])
)
QUOTED_TEXT = st.text(alphabet='ab é,\t;"\r\n', max_size=8).map(quote)
NUMBER = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(NULLS),
)


@st.composite
def csv_texts(draw) -> tuple[str, bytes]:
    """A CSV of columns a (text), x (number), b (text) spanning several blocks: quote-free rows
    repeated, then rows with quoted fields (with delimiters, quotes, line breaks) repeated, then
    quote-free rows again; mixed line ends and empty lines; maybe a BOM, a quoted header, no
    final line break."""
    sep = draw(st.sampled_from([",", "\t", ";"]))
    endings = draw(st.sampled_from([("\n",), ("\r\n",), ("\r",), ENDINGS]))

    def line_end() -> str:
        end = draw(st.sampled_from(endings))
        return end + draw(st.sampled_from(endings)) * draw(st.sampled_from([0, 0, 0, 1, 2]))

    def row(quotes: bool) -> str:
        text = st.one_of(PLAIN_TEXT, QUOTED_TEXT) if quotes else PLAIN_TEXT
        number = st.one_of(NUMBER, NUMBER.map(quote)) if quotes else NUMBER
        return sep.join([draw(text), draw(number), draw(text)]) + line_end()

    plain = [row(False) for _ in range(draw(st.integers(1, 5)))]
    mixed = [row(True) for _ in range(draw(st.integers(0, 5)))]
    header = sep.join(quote(c) if draw(st.booleans()) else c for c in "axb") + line_end()
    parts = ["\ufeff" + header if draw(st.booleans()) else header]

    def repeat(rows: list[str], size: int) -> None:
        done, i = 0, 0
        while done < size:
            parts.append(rows[i % len(rows)])
            done += len(parts[-1])
            i += 1

    # Quote-free rows for one to five blocks (at least one row), then the others.
    repeat(plain, draw(st.integers(1, 5)) * BLOCK - draw(st.integers(0, BLOCK - 1)))
    if mixed:
        repeat(mixed, draw(st.integers(0, 2 * BLOCK)))
    repeat(plain, draw(st.sampled_from([0, 1, 2])) * BLOCK + draw(st.integers(0, BLOCK)))
    text = "".join(parts)
    if not draw(st.booleans()):
        text = text.rstrip("\r\n")
    return sep, text.encode("utf-8")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("any")


@given(csv_texts(), st.booleans())
def test_any_csv_text_reads_as_pyarrow_reads_it_whole(scratch, case, all_columns):
    sep, data = case
    path = write(scratch / "any.csv", data)
    got, _ = read_blocks(path, ["x"], all_columns=all_columns, sep=sep)
    ref = arrow_reference(data, ["x"], ["a", "b"], sep=sep)
    assert_same_table(got, ref if all_columns else ref.select(["x"]))


def test_sizes_in_messages_below_a_mebibyte_are_not_zero():
    # The hint of a type decided from few rows said "the first 1,006 rows (0 MiB)".
    from normkit.io.csv.columns import size_text

    assert size_text(51_500) == "50.3 KiB"
    assert size_text(128 << 20) == "128 MiB"
    assert size_text(3 << 19) == "1.5 MiB"
