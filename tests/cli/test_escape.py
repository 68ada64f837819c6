"""Quotes escaped by a backslash inside quoted fields (``"say \\"hi\\""``), as MySQL, PostgreSQL
and many exports write them: detected where the table splits evenly only with them, given with
``--escape``, recorded in the stat file and read again by the later jobs; the real command on
real files."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import ERROR, run_normkit
from conftest import normkit_summary as ok

ESCAPED = (
    "id,note,score\n"
    '1,"say \\"hi, there\\"",2.5\n'
    '2,"plain",3.5\n'
    '3,"a \\"b\\", c",4.0\n'
    '4,"C:\\\\dir\\\\",6.0\n'
)


def test_escaped_quotes_are_detected_where_the_table_splits_evenly_only_with_them(tmp_path):
    path = tmp_path / "escaped.csv"
    path.write_text(ESCAPED)
    stats = tmp_path / "s.json"
    summary = ok("fit", path, "-o", stats)
    assert "read as '\\' escapes quotes" in summary
    fitted = json.loads(stats.read_text())
    assert (fitted["read"]["escape"], fitted["read"]["given"]) == ("\\", [])
    means = {c["name"]: c["mean"] for c in fitted["columns"]}
    assert means == {"id": 2.5, "score": np.mean([2.5, 3.5, 4.0, 6.0])}
    # The text as the escapes mean it; a CSV output doubles its quotes, as normkit writes them,
    # and the inverse reads it back without the escape.
    z = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", z)
    notes = pq.read_table(z).column("note").to_pylist()
    assert notes == ['say "hi, there"', "plain", 'a "b", c', "C:\\dir\\"]
    zc, back = tmp_path / "z.csv", tmp_path / "back.parquet"
    ok("transform", path, "-s", stats, "-o", zc)
    assert zc.read_text().splitlines()[1].startswith('-1.3416407864998738,"say ""hi, there""",')
    ok("inverse", zc, "-s", stats, "-o", back)
    restored = pq.read_table(back)
    assert restored.column("note").to_pylist() == notes
    assert restored.column("score").to_pylist() == [2.5, 3.5, 4.0, 6.0]
    ok("drift", path, "-s", stats)


@pytest.mark.parametrize(
    ("text", "escape", "values"),
    [
        # Read without an escape, a field goes on after the quote that closes it ("O\"Brien" is
        # the text O\Brien"), though the table splits evenly both ways: the escape reads it as
        # written, as DuckDB's sniffer does (pandas reads O\Brien").
        pytest.param(
            'id,t\n1,"say \\"hi\\""\n2,"x"\n3,"O\\"Brien"\n',
            "\\",
            ['say "hi"', "x", 'O"Brien'],
            id="escaped-quotes",
        ),
        # JSON in doubled quotes holds \" too; read with the escape, a field would go on after
        # its closing quote: read as written, without one.
        pytest.param(
            'id,t\n1,"{""k"": ""say \\""hi\\""""}"\n2,"{}"\n',
            "",
            ['{"k": "say \\"hi\\""}', "{}"],
            id="json-in-doubled-quotes",
        ),
    ],
)
def test_the_escape_taken_keeps_every_field_within_its_quotes(tmp_path, text, escape, values):
    path = tmp_path / "even.csv"
    path.write_text(text)
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    assert json.loads(stats.read_text())["read"]["escape"] == escape
    z = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", z)
    assert pq.read_table(z).column("t").to_pylist() == values


def test_a_mysql_dump_with_escaped_quotes_and_nulls_loses_no_row(tmp_path):
    # MySQL's SELECT ... INTO OUTFILE with enclosing quotes: \" inside quotes, \N for NULL
    # outside them, no header. The first row holds \N: a value, not a name.
    null = "\\N"
    rows = [f'{i},"name \\"{i}\\"",{i * 0.5 if i % 7 else null}' for i in range(700)]
    path = tmp_path / "dump.csv"
    path.write_text("\n".join(rows) + "\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats, "--null-values", "\\N")
    fitted = json.loads(stats.read_text())
    assert (fitted["read"]["escape"], fitted["read"]["header"]) == ("\\", False)
    values = [i * 0.5 for i in range(700) if i % 7]
    column = fitted["columns"][1]
    assert (column["name"], column["count"]) == ("column_3", len(values))
    assert column["mean"] == pytest.approx(np.mean(values), rel=1e-15)
    z = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", z)
    names = pq.read_table(z).column(1).to_pylist()
    assert len(names) == 700
    assert names[:2] == ['name "0"', 'name "1"']


def test_an_escape_given_to_the_fit_travels_but_not_into_an_inverse(tmp_path):
    path = tmp_path / "given.csv"
    path.write_text('id,t\n1,"say \\"hi\\""\n2,"x"\n3,"C:\\\\"\n')
    stats = tmp_path / "s.json"
    ok("fit", path, "--escape", "\\", "-o", stats)
    read = json.loads(stats.read_text())["read"]
    assert (read["escape"], read["given"]) == ("\\", ["escape"])
    z = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", z)
    assert pq.read_table(z).column("t").to_pylist() == ['say "hi"', "x", "C:\\"]
    # normkit's CSV output doubles its quotes and keeps backslashes as they are: an inverse
    # reads it without the escape, and gives the text back.
    zc, back = tmp_path / "z.csv", tmp_path / "back.parquet"
    ok("transform", path, "-s", stats, "-o", zc)
    assert zc.read_text().splitlines()[1:] == [
        '-1.224744871391589,"say ""hi"""',
        "0.0,x",
        "1.224744871391589,C:\\",
    ]
    ok("inverse", zc, "-s", stats, "-o", back)
    assert pq.read_table(back).column("t").to_pylist() == ['say "hi"', "x", "C:\\"]


def test_a_backslash_before_a_closing_quote_that_no_reading_explains_is_refused(tmp_path):
    # "C:\dir\" ends with a backslash; "O\"Brien" escapes a quote. Without an escape the second
    # goes on after its closing quote (O\Brien"); with one the first swallows the line end.
    path = tmp_path / "both.csv"
    path.write_text('id,t\n1,"C:\\dir\\"\n2,"O\\"Brien"\n3,"x"\n')
    stats = tmp_path / "s.json"
    proc = run_normkit("fit", path, "-o", stats)
    assert proc.returncode == 1
    message = proc.stderr.decode()
    assert message.startswith(
        f'{ERROR}{path}: line 3: the quoted field \'"O\\"Brien"\' goes on after its closing quote'
    )
    assert message.rstrip().endswith("or read the fields as written with --escape ''")
    assert len(message.splitlines()) == 1
    assert not stats.exists()
    ok("fit", path, "-o", stats, "--escape", "")
    z = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", z)
    assert pq.read_table(z).column("t").to_pylist() == ["C:\\dir\\", 'O\\Brien"', "x"]


def test_escaped_quotes_beyond_the_head_are_refused_with_the_option(tmp_path):
    path = tmp_path / "late.csv"
    rows = [f'{i},"row {i}"' for i in range(8000)]  # more than the 64 KiB sniffed
    rows.append('8000,"a \\"b\\", c"')
    path.write_text("id,t\n" + "\n".join(rows) + "\n")
    proc = run_normkit("fit", str(path), "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 1
    message = proc.stderr.decode()
    assert message.startswith(
        f"{ERROR}{path} at data row 8,001 (line 8,002): malformed CSV: column 't': a quoted "
        "field goes on after a "
        "closing quote that a backslash stands before"
    )
    assert "read with --escape '\\'" in message
    assert len(message.splitlines()) == 1
    ok("fit", path, "--escape", "\\", "-o", tmp_path / "s.json")


def test_a_quote_escaped_beyond_the_head_in_a_field_that_splits_is_refused(tmp_path):
    # "O\"Brien" splits as one field with or without the escape; read without one (none in the
    # head), it would be O\Brien" with exit 0. Refused, unless the escape is given, either way.
    path = tmp_path / "late.csv"
    rows = [f'{i},"row {i}",{i}' for i in range(6000)]  # more than the 64 KiB sniffed
    rows.append('6000,"O\\"Brien",6000')
    path.write_text("id,t,v\n" + "\n".join(rows) + "\n")
    stats = tmp_path / "s.json"
    proc = run_normkit("fit", path, "-o", stats)
    assert proc.returncode == 1
    message = proc.stderr.decode()
    assert message == (
        f"{ERROR}{path} at data row 6,001 (line 6,002): malformed CSV: column 't': a quoted "
        "field goes on after a "
        "closing quote that a backslash stands before (an escaped quote, in a file whose first "
        "lines escape none); if backslashes escape the quotes inside quoted fields, read with "
        "--escape '\\' or read such fields as written (--escape '')\n"
    )
    assert not stats.exists()
    z = tmp_path / "z.parquet"
    for given, name in (("\\", 'O"Brien'), ("", 'O\\Brien"')):
        ok("fit", path, "--escape", given, "-o", stats)
        ok("transform", path, "-s", stats, "-o", z)  # the escape given travels
        assert pq.read_table(z).column("t").to_pylist()[-1] == name


def test_backslashes_read_as_an_escape_that_break_a_field_name_the_way_out(tmp_path):
    # With the escape given, or found in the head, a Windows path's closing backslash escapes
    # its quote: the record that then does not end names the escape to leave out too.
    given = tmp_path / "given.csv"
    given.write_text('id,t\n1,"O\\"Brien"\n2,"C:\\dir\\"\n3,"O\\"Brien"\n4,"C:\\dir\\"\n')
    late = tmp_path / "late.csv"
    rows = ['1,"O\\"Brien"'] * 3 + [f'{i},"plain"' for i in range(5000)] + ['9,"C:\\dir\\"']
    late.write_text("id,t\n" + "\n".join(rows) + "\n")
    for path, escape, row, line in ((given, ["--escape", "\\"], 2, 3), (late, [], 5004, 5005)):
        proc = run_normkit("fit", path, *escape, "-o", tmp_path / "s.json")
        assert proc.returncode == 1
        message = proc.stderr.decode()
        where = f"data row {row:,} (line {line:,})"
        assert message.startswith(f"{ERROR}{path} at {where}: malformed CSV: column 't'")
        assert "if backslashes are text in this file, read with --escape ''" in message
        assert len(message.splitlines()) == 1
        assert not (tmp_path / "s.json").exists()


def test_an_escape_without_quoting_is_refused(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("a,b\n1,2\n")
    proc = run_normkit("fit", str(path), "--escape", "\\", "--quote", "")
    assert proc.returncode == 2
    assert "no quote character was given; give the quote character (--quote '\"')" in (
        proc.stderr.decode()
    )
    proc = run_normkit("fit", str(path), "--escape", "/")
    assert proc.returncode == 2
    assert proc.stderr.decode() == "normkit: error: --escape must be '\\' or '', not '/'\n"


def test_an_escape_that_separates_fields_is_refused_as_typed(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("a\\b\n1\\2\n")
    proc = run_normkit("fit", str(path), "--escape", "\\", "--delimiter", "\\")
    assert proc.returncode == 2
    # The backslash as the user typed it, not as repr doubles it.
    assert "normkit: error: '\\' cannot both separate fields and escape quotes" in (
        proc.stderr.decode()
    )
