"""A quote opened by mistake far down a CSV and closed by another one rows later: read as one
quoted field, it joins the rows between into one value and a row is lost with exit 0 (pandas
and Polars read it so). Where the quote was detected rather than given, such a field, whose
lines read as the rest of its row, rows and the start of another, is refused naming the file,
column, data row and value; text with line breaks (an export quoting only the fields that need
it) is read as before. The real command, checked against pandas and DuckDB-like reading."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import polars as pl
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, run_normkit
from conftest import normkit_summary as ok
from sklearn.preprocessing import StandardScaler

ROWS, STRAY = 3000, 2400


def _stray_csv(path, closing='end"'):
    """``ROWS`` rows whose ``name`` at row ``STRAY`` (1-based) opens a quote that the next
    row's name closes: pandas reads one row fewer."""
    rng = np.random.default_rng(7)
    lines = ["name,x,y"]
    for i in range(1, ROWS + 1):
        name = {STRAY: '"stray', STRAY + 1: closing}.get(i, f"n{i}")
        lines.append(f"{name},{rng.normal():.6f},{rng.normal() * 2 + 1:.6f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _rows(stats) -> int:
    return json.loads(stats.read_text())["columns"][0]["count"]


def test_a_stray_quote_closed_rows_later_is_refused_not_a_row_lost(tmp_path):
    path = _stray_csv(tmp_path / "stray.csv")
    assert len(pd.read_csv(path)) == ROWS - 1  # the reading refused: a row lost unseen
    stats = tmp_path / "s.json"
    message = normkit_error(1, "fit", path, "-o", stats)
    assert message.startswith(
        f"{path}: column 'name' at data row {STRAY:,}: malformed CSV: a quoted field '\"stray,"
    ), message
    assert "\\nend\"' spans lines that read as rows of the table" in message, message
    assert message.endswith(
        "read as one field, those rows would be lost; if they are rows, read quotes as text "
        "(--quote '') or if the field is meant to hold them, say so (--quote '\"')"
    ), message
    assert not stats.exists()
    # Either reading, when told: quotes as text keeps every row; the quote given reads as
    # pandas does.
    ok("fit", path, "--quote", "", "-o", stats)
    assert _rows(stats) == ROWS
    ok("fit", path, "--quote", '"', "-o", stats)
    assert _rows(stats) == ROWS - 1
    expected = pd.read_csv(path)
    fitted = json.loads(stats.read_text())["columns"]
    np.testing.assert_allclose(fitted[0]["mean"], expected["x"].mean(), rtol=1e-12)


@pytest.mark.parametrize("output", ["z.csv", "z.parquet"])
def test_a_transform_refuses_it_and_reads_it_with_the_quote_the_fit_was_given(tmp_path, output):
    clean, path = tmp_path / "clean.csv", _stray_csv(tmp_path / "stray.csv")
    clean.write_text("".join(path.read_text().splitlines(True)[:100]))
    stats, out = tmp_path / "s.json", tmp_path / output
    ok("fit", clean, "-o", stats)
    message = normkit_error(1, "transform", path, "-s", stats, "-o", out)
    assert f"column 'name' at data row {STRAY:,}" in message, message
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # A quote given to the fit travels with its statistics: the rows are read as quoted.
    ok("fit", clean, "--quote", '"', "-o", stats)
    ok("transform", path, "-s", stats, "-o", out)
    read = pd.read_csv(out) if output.endswith(".csv") else pq.read_table(out).to_pandas()
    assert len(read) == ROWS - 1
    assert read["name"][STRAY - 1].startswith("stray,")


def test_a_closing_quote_whose_row_does_not_read_on_is_refused_as_before(tmp_path):
    # Closed in the middle of a row: the field goes on after its closing quote (as before).
    path = _stray_csv(tmp_path / "stray.csv", closing='e"nd')
    message = normkit_error(1, "fit", path, "-o", tmp_path / "s.json")
    assert "goes on after its closing quote" in message, message


def test_text_with_line_breaks_quoted_only_where_needed_is_read(tmp_path):
    # pandas' to_csv quotes only the fields that need it: the first rows quote nothing, and
    # notes further down hold line breaks, commas and quotes.
    rng = np.random.default_rng(3)
    notes = [f"n{i}" for i in range(ROWS)]
    notes[2000] = "line one, more\nline two"
    notes[2100] = "two\nlines"
    notes[2200] = 'said "hi",\n3'
    notes[2300] = "a\r\nb, c\nd"
    frame = pd.DataFrame({"note": notes, "x": rng.normal(size=ROWS), "k": rng.integers(0, 9, ROWS)})
    path, stats, out = tmp_path / "notes.csv", tmp_path / "s.json", tmp_path / "z.csv"
    frame.to_csv(path, index=False)
    assert '"' not in path.read_text()[:20_000]
    ok("fit", path, "-o", stats)
    assert _rows(stats) == ROWS
    ok("transform", path, "-s", stats, "-o", out)
    back = pd.read_csv(out, keep_default_na=False)
    assert back["note"].tolist() == notes
    x = frame["x"].to_numpy()
    np.testing.assert_allclose(back["x"], (x - x.mean()) / x.std(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("command", ["fit", "transform"])
def test_the_dask_engine_refuses_it_as_the_local_one(tmp_path, command):
    # Its workers read the files with the dialect detected here, and detect the quote again:
    # given to them as found, it read as given, the rows swallowed.
    path, stats = _stray_csv(tmp_path / "stray.csv"), tmp_path / "s.json"
    clean = tmp_path / "clean.csv"
    clean.write_text("".join(path.read_text().splitlines(True)[:100]))
    ok("fit", clean, "-o", stats)
    given = ("-s", stats, "-o", tmp_path / "out") if command == "transform" else ("-o", stats)
    message = normkit_error(1, command, path, *given, "--engine", "dask", "--workers", "1")
    assert "spans lines that read as rows of the table" in message, message
    ok(command, path, *given, "--engine", "dask", "--workers", "1", "--quote", "")


def test_a_stray_quote_in_the_header_is_refused(tmp_path):
    # Read as quoted, the header's last name would hold the two rows after it.
    path, stats = tmp_path / "h.csv", tmp_path / "s.json"
    path.write_text('name,size,"price\nchair,1,10.5\ndesk,3,12.5"\nlamp,4,13.0\nbox,6,15.5\n')
    message = normkit_error(1, "fit", path, "-o", stats)
    assert message == (
        f"{path}: the header's field 'price\\nchair,1,10.5\\ndesk,3,12.5' spans lines that read "
        "as rows of the table (a stray quote, closed by another one rows later?); read as one "
        "name, those rows would be lost; if they are rows, read quotes as text (--quote '') or "
        "if the name is meant to hold them, say so (--quote '\"')"
    )
    assert not stats.exists()
    ok("fit", path, "--quote", "", "--columns", "size", "-o", stats)
    assert _rows(stats) == 4
    # A name broken over two lines without the separator is a name.
    path.write_text('"price\n(EUR)",size\n1,2\n3,4\n')
    ok("fit", path, "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["price\n(EUR)", "size"]


@pytest.mark.parametrize("mode", ["frozen", "batch"])
@pytest.mark.parametrize("through", ["file", "stdin", "parquet"])
def test_quotes_read_as_text_are_quoted_in_a_csv_output_so_no_reader_loses_a_row(
    tmp_path, mode, through
):
    """Read with `--quote ''` (the way out the refusal names), the stray quotes are text. The
    CSV output wrote them bare, and pandas, Polars and pyarrow, taking a quote at a field's
    start for an opening one, read 2,999 rows of its 3,000 (exit 0). Written with quotes where
    a field holds one (RFC 4180), every reader reads each row, and the inverse the values."""
    path = _stray_csv(tmp_path / "stray.csv")
    stats, z = tmp_path / "s.json", tmp_path / "z.csv"
    ok("fit", path, "--quote", "", "-o", stats)
    if through == "parquet":
        parquet = tmp_path / "z.parquet"
        ok("transform", path, "-s", stats, "-o", parquet)
        ok("inverse", parquet, "-s", stats, "-o", z)  # a CSV of the raw values, from Parquet
    elif through == "stdin":
        run = run_normkit("transform", "-", "-s", stats, "--mode", mode, stdin=path.read_bytes())
        assert run.returncode == 0, run.stderr
        z.write_bytes(run.stdout)
    else:
        ok("transform", path, "-s", stats, "--mode", mode, "-o", z)
    names = pd.read_csv(path, quoting=csv.QUOTE_NONE)["name"].tolist()
    assert pd.read_csv(z)["name"].tolist() == names
    assert pl.read_csv(z)["name"].to_list() == names
    assert pa_csv.read_csv(z).column("name").to_pylist() == names
    if through == "file" and mode == "frozen":
        back = tmp_path / "back.csv"
        ok("inverse", z, "-s", stats, "-o", back)
        restored, raw = pd.read_csv(back), pd.read_csv(path, quoting=csv.QUOTE_NONE)
        assert restored["name"].tolist() == names
        np.testing.assert_allclose(restored[["x", "y"]], raw[["x", "y"]], rtol=1e-12)


def test_a_missing_value_of_one_column_read_without_quoting_is_no_empty_line(tmp_path):
    """A file of one column read with `--quote ''`: its missing values were written as empty
    lines, which readers skip (pandas read 3 rows of 5, exit 0). Quoted, they are `""`."""
    path, stats, z = tmp_path / "one.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text("x\n1.5\n\n2.5\nNA\n4\n")
    ok("fit", path, "--quote", "", "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    assert z.read_text().splitlines()[2] == '""'
    written = pd.read_csv(z)["x"]
    assert written.isna().tolist() == [False, True, False, True, False]
    expected = StandardScaler().fit_transform([[1.5], [2.5], [4.0]])[:, 0]
    np.testing.assert_allclose(written.dropna(), expected, rtol=1e-12)


def test_an_inverse_reads_normkits_quoted_output_through_a_pipe(tmp_path):
    '''Quotes read as text by the fit (`--quote ''`) are quoted in normkit's CSV outputs; an
    inverse reading one from a pipe, which keeps no record, read it with the fit's quote, as
    text: `"` came back as `""""` and `he said "hi"` as `"he said ""hi"""`, exit 0.'''
    path, stats = tmp_path / "q.csv", tmp_path / "s.json"
    path.write_text('id,title,x\n0,",5.5\n1,he said "hi",3.1\n2,plain,4.0\n')
    ok("fit", path, "--quote", "", "--exclude", "id", "-o", stats)
    z = run_normkit("transform", path, "-s", stats, "-o", "-")
    assert z.returncode == 0, z.stderr
    back = run_normkit("inverse", "-", "-s", stats, "--use", "exact", "-o", "-", stdin=z.stdout)
    assert back.returncode == 0, back.stderr
    restored = pd.read_csv(io.BytesIO(back.stdout))
    assert restored["title"].tolist() == ['"', 'he said "hi"', "plain"]
    np.testing.assert_allclose(restored["x"], [5.5, 3.1, 4.0], rtol=1e-12)
