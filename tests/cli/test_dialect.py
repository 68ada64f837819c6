"""The CSV dialect detected, recorded and reused: the real command on files laid out as exports
are (a title and comment lines before the table, ';' and decimal commas, no header), checked
against scikit-learn and against the file itself."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ERROR, normkit_error, run_normkit
from conftest import normkit_summary as ok
from sklearn.preprocessing import StandardScaler

EXPORT = "Sensor export 2026-11-30\n# units: mm\nid;x;y\n1;1,5;2\n2;2,5;3\n3;4,0;5\n"


def test_an_export_is_read_as_detected_and_comes_back_through_inverse(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text(EXPORT)
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "back.csv"
    summary = ok("fit", path, "--decimal", ",", "--exclude", "id", "-o", stats)
    assert "read as ';'-separated, 2 lines skipped, '#' comments, ',' decimals" in summary
    read = json.loads(stats.read_text())["read"]
    assert (read["delimiter"], read["header"], read["skip_rows"], read["comment"]) == (
        ";",
        True,
        2,
        "#",
    )
    X = np.array([[1.5, 2.0], [2.5, 3.0], [4.0, 5.0]])
    fitted = json.loads(stats.read_text())["columns"]
    np.testing.assert_allclose([c["mean"] for c in fitted], X.mean(axis=0), rtol=1e-15)
    # The output has no title and no comments: it is read without skipping its first rows.
    ok("transform", path, "-s", stats, "-o", z)
    rows = [line.split(";") for line in z.read_text().splitlines()]
    assert rows[0] == ["id", "x", "y"]
    got = np.array([[float(v.replace(",", ".")) for v in r[1:]] for r in rows[1:]])
    mean = np.array([c["mean"] for c in fitted])
    scale = np.array([c["scale"] for c in fitted])
    np.testing.assert_array_equal(got, (X - mean) / scale)  # true division, as documented
    np.testing.assert_allclose(got, StandardScaler().fit_transform(X), rtol=1e-12)
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "id;x;y\n1;1,5;2\n2;2,5;3\n3;4,0;5\n"


def test_a_file_without_a_header_is_written_without_one(tmp_path):
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text("1,2\n3,4\n5,9\n")
    test.write_text("7,8\n9,10\n")
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "back.csv"
    assert "no header (columns column_1...)" in ok("fit", train, "-o", stats)
    ok("transform", test, "-s", stats, "-o", z)
    scaler = StandardScaler().fit(np.array([[1, 2], [3, 4], [5, 9]], dtype=float))
    got = np.loadtxt(z, delimiter=",", ndmin=2)
    want = scaler.transform(np.array([[7.0, 8.0], [9.0, 10.0]]))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "7,8\n9,10\n"


def test_an_inverse_writes_its_csv_as_its_input_was_written(tmp_path):
    # transform kept a given separator (its record says ';'), but the inverse of its output
    # wrote the stat file's: a comma. It writes the input's, as transform does; without a
    # header alike; a .tsv name still says tab.
    fit, new, stats = tmp_path / "fit.csv", tmp_path / "new.csv", tmp_path / "s.json"
    fit.write_text("id,x\na,1.5\nb,2.5\nc,4\n")
    new.write_text("id;x\nd;2\ne;3\n")
    ok("fit", fit, "--exclude", "id", "-o", stats)
    z, back = tmp_path / "z.csv", tmp_path / "back.csv"
    ok("transform", new, "-s", stats, "--delimiter", ";", "-o", z)
    assert z.read_text().splitlines()[0] == "id;x"
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "id;x\nd;2.0\ne;3.0\n"
    fit.write_text("a,1.5\nb,2.5\nc,4\n")
    new.write_text("d|2\ne|3\n")
    ok("fit", fit, "--no-header", "--exclude", "column_1", "-o", stats)
    ok("transform", new, "-s", stats, "--delimiter", "|", "-o", z)
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "d|2.0\ne|3.0\n"
    ok("inverse", z, "-s", stats, "-o", tmp_path / "back.tsv")
    assert (tmp_path / "back.tsv").read_text() == "d\t2.0\ne\t3.0\n"


def test_two_readings_at_once_are_refused_with_the_option_that_decides(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("a;b;c\n1,5;2;x\n2,5;3;y\n")
    proc = run_normkit("fit", str(path), "--delimiter", ",", "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 1
    line = proc.stderr.decode().strip()
    assert line.startswith(f"{ERROR}{path}: the first line does not split as the rest")
    assert line.endswith("give the separator (--delimiter ';')"), line
    assert not (tmp_path / "s.json").exists()


def test_names_in_any_script_are_text_not_placeholders(tmp_path):
    # A column of city names in Japanese and Cyrillic is text passed through, not a column of
    # numbers whose placeholders stop the fit (RE2's \w is ASCII only).
    path = tmp_path / "u.csv"
    path.write_text(
        "city,x\n東京,1\n5,2\n\u041c\u043e\u0441\u043a\u0432\u0430,3\n\u02a4,4\n", encoding="utf-8"
    )
    summary = ok("fit", path, "-o", tmp_path / "s.json")
    assert "passed through: city (text)" in summary
    fitted = json.loads((tmp_path / "s.json").read_text())["columns"]
    assert [c["name"] for c in fitted] == ["x"]
    assert fitted[0]["mean"] == np.mean([1.0, 2.0, 3.0, 4.0])


def test_a_malformed_record_with_control_characters_is_shown_on_one_line(tmp_path):
    path = tmp_path / "ff.csv"
    path.write_bytes(b"a,b\n1,2\n3,\x0c4,5\n")
    proc = run_normkit("fit", str(path), "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 1
    message = proc.stderr.decode()
    assert len(message.splitlines()) == 1  # str.splitlines also splits at a form feed
    assert message.rstrip("\n").endswith("expected 2 fields, got 3: 3,\\x0c4,5")


@pytest.mark.parametrize("through", ["csv", "parquet"])
def test_text_holding_the_comment_character_is_quoted_so_no_row_is_lost(tmp_path, through):
    """With '#' comments recorded, later jobs read with them: a text value holding '#' (quoted
    in the input) was written bare, at the start of a line or after a separator, and the next
    job took the row, or the rest of it, for a comment (rows lost with exit 0)."""
    given = tmp_path / "h.csv"
    given.write_text('tag;x\n"#top";1\nplain;2\n"a#b";4\n')
    stats = tmp_path / "h.json"
    ok("fit", given, "--comment", "#", "-o", stats)
    z = tmp_path / f"z.{through}"
    ok("transform", given, "-s", stats, "-o", z)
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == 'tag;x\n"#top";1\nplain;2\n"a#b";4\n'
    again = tmp_path / "again.csv"
    ok("transform", back, "-s", stats, "-o", again)
    assert len(again.read_text().splitlines()) == 4
    bare = tmp_path / "bare.csv"  # read without quoting: the output is quoted all the same
    bare.write_text("tag;x\nb;1\nplain;2\nd;4\n")
    ok("fit", bare, "--comment", "#", "--quote", "", "-o", stats)
    unquoted = tmp_path / "unquoted.csv"  # '#' inside a value starts no comment line
    unquoted.write_text("tag;x\nb;1\nplain;2\nd#e;4\n")
    ok("transform", unquoted, "-s", stats, "-o", tmp_path / "o.csv")
    assert (tmp_path / "o.csv").read_text().splitlines()[3].startswith('"d#e";')
    given = tmp_path / "first.parquet"  # at a value's start, it could begin a line
    pq.write_table(pa.table({"tag": ["#top", "b", "c"], "x": [1.0, 2.0, 4.0]}), given)
    ok("transform", given, "-s", stats, "-o", tmp_path / "p.csv")
    read = pd.read_csv(tmp_path / "p.csv", sep=";", comment="#")
    assert read["tag"].tolist() == ["#top", "b", "c"]


def test_a_quote_or_comment_character_given_to_the_fit_travels_with_the_stat_file(tmp_path):
    """Given to the fit, they are recorded as given, and transform, inverse and drift read with
    them (detected again, '%' lines were rows and "'" no quote); the output is quoted alike."""
    commented = tmp_path / "pct.csv"
    commented.write_text("% made by tool\na,b\n1,2\n% mid note\n3,4\n5,7\n")
    stats = tmp_path / "pct.json"
    ok("fit", commented, "--comment", "%", "-o", stats)
    read = json.loads(stats.read_text())["read"]
    assert read["comment"] == "%"
    assert read["given"] == ["comment"]
    z = tmp_path / "pz.csv"
    ok("transform", commented, "-s", stats, "-o", z)
    expected = StandardScaler().fit_transform(np.array([[1.0, 2], [3, 4], [5, 7]]))
    rows = [line.split(",") for line in z.read_text().splitlines()[1:]]
    np.testing.assert_allclose(np.array(rows, dtype=float), expected, rtol=1e-12)
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "a,b\n1,2\n3,4\n5,7\n"
    ok("drift", commented, "-s", stats)

    quoted = tmp_path / "sq.csv"
    quoted.write_text("a,b,c\n1,2,'it''s, ok'\n3,4,'ab'\n5,7,\"z\"\n")
    stats = tmp_path / "sq.json"
    ok("fit", quoted, "--quote", "'", "-o", stats)
    assert json.loads(stats.read_text())["read"]["given"] == ["quote"]
    z = tmp_path / "sqz.csv"
    ok("transform", quoted, "-s", stats, "-o", z)
    assert z.read_text().splitlines()[1].endswith(",'it''s, ok'")
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "a,b,c\n1,2,'it''s, ok'\n3,4,ab\n5,7,\"z\"\n"

    unquoted = tmp_path / "nq.csv"
    unquoted.write_text('a,t\n1,"x"\n2,"y"\n')
    stats = tmp_path / "nq.json"
    ok("fit", unquoted, "--quote", "", "-o", stats)
    parquet = tmp_path / "nq.parquet"
    ok("transform", unquoted, "-s", stats, "-o", parquet)
    import pyarrow.parquet as pq

    assert pq.read_table(parquet).column("t").to_pylist() == ['"x"', '"y"']


def test_lines_to_skip_given_to_the_fit_travel_but_not_into_an_inverse(tmp_path):
    """Detected again, the two title lines were taken for the table; an inverse reads normkit's
    output, which has no lines before the table."""
    path = tmp_path / "rep.csv"
    path.write_text("Report,2026\nUnits,mm\nx,y\n1,2\n3,4\n5,7\n")
    stats = tmp_path / "rep.json"
    ok("fit", path, "--skip-rows", "2", "-o", stats)
    assert json.loads(stats.read_text())["read"]["given"] == ["skip_rows"]
    z = tmp_path / "z.csv"
    ok("transform", path, "-s", stats, "-o", z)
    expected = StandardScaler().fit_transform(np.array([[1.0, 2], [3, 4], [5, 7]]))
    rows = [line.split(",") for line in z.read_text().splitlines()[1:]]
    np.testing.assert_allclose(np.array(rows, dtype=float), expected, rtol=1e-12)
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "x,y\n1,2\n3,4\n5,7\n"
    ok("drift", path, "-s", stats)
    # The inverse's output says in its record that it has no lines above its header.
    ok("drift", back, "-s", stats)
    # A copy without the record, read by a later job with the lines to skip, loses its header:
    # the refusal says that the lines were skipped, and how to read it.
    copy = tmp_path / "copy.csv"
    copy.write_bytes(back.read_bytes())
    message = normkit_error(1, "drift", copy, "-s", stats)
    assert message.endswith(
        "the input has none of them; line 1 names them, above the 2 lines skipped (--skip-rows "
        "2, given or recorded in the stat file): read the table from there (--skip-rows 0)"
    ), message
    ok("drift", copy, "-s", stats, "--skip-rows", "0")


def test_lines_to_skip_given_to_the_fit_travel_without_a_header_too(tmp_path):
    """Recorded, but not read with by transform and drift without a header: the skipped line
    came back as a row (exit 0), and one of text was refused as a value not a number."""
    lines = "9,9\n1,2\n3,4\n5,7\n"
    path, stats = tmp_path / "sk.csv", tmp_path / "sk.json"
    path.write_text(lines)
    assert "fitted 2 columns on 3 rows" in ok(
        "fit", path, "--skip-rows", "1", "--no-header", "-o", stats
    )
    assert json.loads(stats.read_text())["read"]["given"] == ["skip_rows"]
    table = pd.read_csv(path, header=None, skiprows=1).to_numpy(dtype=float)
    expected = StandardScaler().fit_transform(table)

    def rows(text: str) -> np.ndarray:
        return np.array([line.split(",") for line in text.splitlines()], dtype=float)

    z = tmp_path / "z.csv"
    ok("transform", path, "-s", stats, "-o", z)
    np.testing.assert_allclose(rows(z.read_text()), expected, rtol=1e-12)
    parquet = tmp_path / "z.parquet"
    assert "wrote 3 rows" in ok("transform", path, "-s", stats, "-o", parquet)
    got = pq.read_table(parquet).to_pandas().to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    piped = run_normkit("transform", "-", "-s", stats, stdin=lines.encode())
    assert piped.returncode == 0, piped.stderr
    np.testing.assert_allclose(rows(piped.stdout.decode()), expected, rtol=1e-12)
    drift = run_normkit("drift", path, "-s", stats, "--json")
    assert drift.returncode == 0, drift.stderr
    assert json.loads(drift.stdout)["rows"] == 3
    # normkit's output has no lines before its table: the inverse reads every row.
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == "1,2\n3,4\n5,7\n"

    # Several files: the lines are skipped in each, as the fit skipped them.
    other = tmp_path / "sk2.csv"
    other.write_text("junk,junk\n2,2\n4,4\n")
    both = tmp_path / "both.json"
    assert "on 5 rows" in ok("fit", path, other, "--skip-rows", "1", "--no-header", "-o", both)
    table = np.vstack([table, pd.read_csv(other, header=None, skiprows=1).to_numpy(dtype=float)])
    ok("transform", path, other, "-s", both, "-o", z)
    np.testing.assert_allclose(
        rows(z.read_text()), StandardScaler().fit_transform(table), rtol=1e-12
    )
    drift = run_normkit("drift", path, other, "-s", both, "--json")
    assert json.loads(drift.stdout)["rows"] == 5, drift.stderr

    # A file without those lines is read whole when told so.
    plain = tmp_path / "plain.csv"
    plain.write_text("1,2\n3,4\n5,7\n")
    assert "wrote 3 rows" in ok("transform", plain, "-s", stats, "--skip-rows", "0", "-o", z)
    np.testing.assert_allclose(rows(z.read_text()), expected, rtol=1e-12)


def test_read_options_given_to_a_fit_without_a_header_travel_with_the_lines_to_skip(tmp_path):
    """Separator, decimal comma, comment character, missing-value string and encoding, with a
    title line to skip above a table without a header: transform and drift read alike."""
    text = "Export 9|9\n1,5|2\n# note\n3,5|NA2\n5,25|4\n"
    path, stats = tmp_path / "eu.csv", tmp_path / "eu.json"
    path.write_bytes(text.encode("utf-16-le"))
    options = ("--encoding", "utf-16-le", "--delimiter", "|", "--decimal", ",", "--comment", "#")
    ok(
        "fit",
        path,
        *options,
        "--null-values",
        "NA2",
        "--skip-rows",
        "1",
        "--no-header",
        "-o",
        stats,
    )
    table = pd.read_csv(
        path,
        encoding="utf-16-le",
        sep="|",
        decimal=",",
        comment="#",
        na_values=["NA2"],
        header=None,
        skiprows=1,
    ).to_numpy(dtype=float)
    assert table.shape == (3, 2)
    expected = StandardScaler().fit_transform(table)
    parquet = tmp_path / "z.parquet"
    assert "wrote 3 rows" in ok("transform", path, "-s", stats, "-o", parquet)
    got = pq.read_table(parquet).to_pandas().to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    drift = run_normkit("drift", path, "-s", stats, "--json")
    assert drift.returncode == 0, drift.stderr
    assert json.loads(drift.stdout)["rows"] == 3


def test_a_header_naming_a_column_without_values_is_read_as_one(tmp_path):
    # "test" stands above a column with no value: it is that column's name, and the first
    # row is no data (DuckDB and pandas read 0 and 1 under a column named 8).
    path = tmp_path / "h.csv"
    path.write_text('"8","test",tea\n"0",,test\n"1",,test\n')
    stats = tmp_path / "s.json"
    summary = ok("fit", path, "-o", stats)
    assert "passed through: test (no values), tea (text)" in summary
    fitted = json.loads(stats.read_text())
    assert fitted["read"]["header"] is True
    assert [(c["name"], c["count"], c["mean"]) for c in fitted["columns"]] == [("8", 2, 0.5)]


def test_a_file_whose_quotes_are_text_is_read_without_quoting_and_written_back_alike(tmp_path):
    # Page titles (a Wikipedia dump): read with '"', the title '"' opens a quoted field that a
    # later title closes, and text follows it; read without quoting, every line splits in two.
    titles = ["!", '"', '"!"', '"""', '""Chusotsu"_"Chukara"', '"(It)_Feels_So_Good"', "x"]
    path = tmp_path / "titles.tsv"
    path.write_text(
        "title\tlength\n" + "".join(f"{t}\t{i * 3 % 7}\n" for i, t in enumerate(titles))
    )
    stats, z = tmp_path / "s.json", tmp_path / "z.tsv"
    assert "no quote character" in ok("fit", path, "-o", stats)
    doc = json.loads(stats.read_text())
    assert (doc["read"]["quote"], doc["read"]["given"]) == ("", [])
    assert doc["columns"][0]["count"] == len(titles)
    assert doc["passthrough"] == [{"name": "title", "dtype": "string", "why": "text"}]
    ok("transform", path, "-s", stats, "-o", z)
    # Written with quotes where a field holds one (RFC 4180), so that readers which take a
    # quote at a field's start for an opening one (all of them, by default) lose no row.
    written = pd.read_csv(z, sep="\t", keep_default_na=False)
    assert written["title"].tolist() == titles
    assert json.loads((tmp_path / ".z.tsv.normkit.json").read_text())["csv"]["quote"] == '"'
    back = tmp_path / "back.tsv"
    ok("inverse", z, "-s", stats, "-o", back)
    restored = pd.read_csv(back, sep="\t", keep_default_na=False)
    assert restored.equals(pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE))
    parquet = tmp_path / "z.parquet"
    ok("transform", path, "-s", stats, "-o", parquet)
    import pyarrow.parquet as pq

    assert pq.read_table(parquet).column("title").to_pylist() == titles


@pytest.mark.parametrize("comment", [None, "#"])
def test_a_comment_character_inside_a_quoted_field_starts_no_comment_line(tmp_path, comment):
    # '#' lines above the header are comments; those inside quoted values are text, so quoting
    # holds: every row is read, its value whole, as pandas' comment= and DuckDB read them.
    path, stats, z = tmp_path / "hm.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text(
        '# generated\nid,v,t\n1,1.5,"line1\n# not comment"\n2,2.5,x\n3,3.5,"y\n#z, w"\n4,4.5,q\n'
    )
    given = ["--comment", comment] if comment else []
    summary = ok("fit", path, "-o", stats, *given)
    assert "1 line skipped, '#' comments;" in summary, summary
    assert "no quote" not in summary, summary
    assert json.loads(stats.read_text())["read"]["quote"] == '"'
    ok("transform", path, "-s", stats, "-o", z)
    out = pd.read_csv(z)
    assert out["t"].tolist() == ["line1\n# not comment", "x", "y\n#z, w", "q"]
    np.testing.assert_allclose(
        out["v"], StandardScaler().fit_transform([[1.5], [2.5], [3.5], [4.5]])[:, 0]
    )
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_text() == path.read_text().split("\n", 1)[1]


def test_a_quote_error_names_the_option_that_reads_quotes_as_text(tmp_path):
    # A quote never closed: a field cut short, or a quote that is text? The one line says how
    # to read it as text.
    path = tmp_path / "q.csv"
    path.write_text('a,b\n1,"2\n3,4\n5,6\n')
    proc = run_normkit("fit", path, "-q")
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"{ERROR}{path} at data row 1 (line 2): malformed CSV: column 'b': a quoted field opened "
        "here is "
        "never closed (unterminated quote); the rows after it would be lost; if quotes are "
        "text in this file, read without quoting (--quote '')\n"
    )
    assert "fitted 1 column" in ok("fit", path, "--quote", "", "--columns", "a", "-o", "-")


def test_a_header_written_as_a_comment_is_refused_naming_both_readings(tmp_path):
    # '#id,x,y' under a comment line, above rows without a header: the header (DuckDB), or a
    # comment above a table without one (the columns would lose their names unseen)?
    path, stats, z = tmp_path / "hh2.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text("# exported by tool v2\n#id,x,y\n1,0.5,2\n2,0.7,3\n3,0.25,1\n4,0.9,5\n")
    message = normkit_error(1, "fit", path, "-o", stats)
    assert message == (
        f"{path}: line 2 (#id,x,y) starts with the comment character '#' but names the "
        "columns of the rows below it, which have no header: comment or header?; read it as "
        "the header (--skip-rows 1 --comment '') or keep it a comment, the columns named "
        "column_1, column_2... (--no-header)"
    )
    assert not stats.exists()
    ok("fit", path, "-o", stats, "--skip-rows", "1", "--comment", "")
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["#id", "x", "y"]
    ok("transform", path, "-s", stats, "-o", z)
    assert pd.read_csv(z).columns.tolist() == ["#id", "x", "y"]
    assert "no header" in ok("fit", path, "-o", stats, "--no-header")
    ok("transform", path, "-s", stats, "-o", z)
    assert len(pd.read_csv(z, header=None)) == 4


def test_spaces_before_quotes_are_no_part_of_names_or_text(tmp_path):
    # A hand-written table: a space after each comma, text quoted, one comma inside quotes.
    path = tmp_path / "films.csv"
    path.write_text(
        '"Year", "Rating", "Title"\n1968,  86, "Greetings"\n1970,  17, "Bloody Mama"\n'
        '1970,  73, "Hi, Mom!"\n1971,  40, "Born to Win"\n'
    )
    stats, z = tmp_path / "s.json", tmp_path / "z.parquet"
    summary = ok("fit", path, "-o", stats)
    assert "passed through: Title (text)" in summary
    fitted = json.loads(stats.read_text())["columns"]
    assert [c["name"] for c in fitted] == ["Year", "Rating"]
    X = np.array([[1968, 86], [1970, 17], [1970, 73], [1971, 40]], dtype=float)
    scaler = StandardScaler().fit(X)
    np.testing.assert_allclose([c["mean"] for c in fitted], scaler.mean_, rtol=1e-15)
    ok("transform", path, "-s", stats, "-o", z)
    import pyarrow.parquet as pq

    table = pq.read_table(z)
    assert table.column("Title").to_pylist() == [
        "Greetings",
        "Bloody Mama",
        "Hi, Mom!",
        "Born to Win",
    ]
    got = np.column_stack([table.column(n).to_numpy() for n in ("Year", "Rating")])
    np.testing.assert_allclose(got, scaler.transform(X), rtol=1e-12)


def test_decimal_commas_between_semicolons_are_read_with_the_decimal_comma_given(tmp_path):
    # Every record split evenly by ',' (5 fields: 53 | 46;58 | ...) and by ';' (4): refused as
    # a tie, though with ',' the decimal separator the ',' split holds no number but the ends.
    values = np.random.default_rng(2).uniform(10, 99, (500, 4)).round(2)
    body = "".join(";".join(f"{v:.2f}".replace(".", ",") for v in row) + "\n" for row in values)
    stats = tmp_path / "s.json"
    for name, text, rows in [("plain.csv", body, 500), ("named.csv", "a;b;c;d\n" + body, 500)]:
        path = tmp_path / name
        path.write_text(text)
        summary = ok("fit", path, "--decimal", ",", "-o", stats)
        assert f"on {rows} rows" in summary
        assert "read as ';'-separated" in summary
        means = [c["mean"] for c in json.loads(stats.read_text())["columns"]]
        np.testing.assert_allclose(means, values.mean(axis=0), rtol=1e-12)
    # Quoted decimal commas in a comma-separated file: read with ',' still.
    path = tmp_path / "quoted.csv"
    path.write_text('a,b\n"53,46","58,22"\n"59,05",54\n')
    ok("fit", path, "--decimal", ",", "-o", stats)
    means = [c["mean"] for c in json.loads(stats.read_text())["columns"]]
    np.testing.assert_allclose(means, [56.255, 56.11], rtol=1e-12)


SPACED = [  # a file with a space before (or after) each quoted field, and the same without
    ('a,b\n1, "x\n#y"\n2, "z"\n3, "w"\n', "--comment", "#"),  # a quoted line break
    ('a, b\n1, "2,5"\n3, "4,5"\n6, "1,5"\n', "--decimal", ","),  # quoted decimal commas
    ('n; "place, country"\n1; "Oslo, Norway"\n2; "Rome, Italy"\n4; "Lima, Peru"\n',),
    ("year, title\n1968, 'Greetings'\n1970, 'Hi, Mom!'\n1971, 'Born to Win'\n",),
    ('x, "y" \n1, "73" \n2,  "74"\n3, "1e3"  \n',),  # quoted numbers
]


@pytest.mark.parametrize("case", SPACED)
def test_spaces_around_quoted_fields_read_as_without_them(tmp_path, case):
    text, *options = case
    readings = []
    for name, body in (("spaced.csv", text), ("compact.csv", re.sub(r" *([\"']) *", r"\1", text))):
        path, stats = tmp_path / name, tmp_path / f"{name}.json"
        path.write_text(body)
        ok("fit", path, *options, "-o", stats)
        doc = json.loads(stats.read_text())
        read = {k: doc["read"][k] for k in ("delimiter", "quote", "decimal", "header")}
        columns = [(c["name"].strip(), c["count"], c["mean"]) for c in doc["columns"]]
        readings.append((read, columns))
    assert readings[0] == readings[1]


def test_a_stray_quote_is_refused_with_spaces_after_quoted_fields_too(tmp_path):
    for name, body in (
        ("spaced.csv", 'id,title\n0,"\n1,"x" \n2,"y" \n'),
        ("compact.csv", 'id,title\n0,"\n1,"x"\n2,"y"\n'),
    ):
        path = tmp_path / name
        path.write_text(body)
        proc = run_normkit("fit", path, "-o", tmp_path / "s.json")
        assert proc.returncode == 1, proc.stderr
        assert b"goes on after its closing quote" in proc.stderr


def test_a_csv_normkit_wrote_is_read_as_it_was_written_not_as_the_stat_file_says(tmp_path):
    """The fit detected double quotes; a transform given single quotes wrote with them. Its
    inverse, reading with double quotes, kept the single quotes as text (exit 0)."""
    fitted = tmp_path / "a.csv"
    fitted.write_text('name,x\n"a, b",1.5\n"c",2.5\n"d",4\n')
    stats = tmp_path / "s.json"
    ok("fit", fitted, "-o", stats)
    given = tmp_path / "b.csv"
    given.write_text("name,x\n'e''f',1.5\n'g\"h',2.5\n")
    out = tmp_path / "out.csv"
    ok("transform", given, "-s", stats, "--quote", "'", "-o", out)
    assert out.read_text().splitlines()[1].startswith("'e''f',")
    back = tmp_path / "back.csv"
    ok("inverse", out, "-s", stats, "-o", back)
    # Read as written; written as the fit's data was (double quotes, where needed).
    assert back.read_text() == 'name,x\ne\'f,1.5\n"g""h",2.5\n'
    # Options given still decide: read without quoting, the quotes are text.
    raw = tmp_path / "raw.csv"
    ok("inverse", out, "-s", stats, "--quote", "", "-o", raw)
    assert raw.read_text().splitlines()[1].startswith("'e''f',")


def test_an_output_written_with_another_separator_than_the_fit_read_inverts_with_it(
    tmp_path,
):
    fitted = tmp_path / "a.csv"
    fitted.write_text("a;b\n2.5;1.0\n-1.0;7.75\n")
    stats = tmp_path / "s.json"
    ok("fit", fitted, "--delimiter", ";", "-o", stats)
    given = tmp_path / "b.csv"
    given.write_text("a,b\n2.5,1\n-1,7.75\n")
    out = tmp_path / "out.csv"
    ok("transform", given, "-s", stats, "--delimiter", ",", "-o", out)
    back = tmp_path / "back.csv"
    ok("inverse", out, "-s", stats, "-o", back)
    # Read and written as it was written (as the transform wrote the separator given, not the
    # fit's): the given values again.
    assert back.read_text() == "a,b\n2.5,1.0\n-1.0,7.75\n"


def test_an_output_with_other_decimals_than_the_fit_read_is_read_with_the_fits(tmp_path):
    """Columns passed through are copied as written: an inverse reading the record's decimal
    point but writing the fit's had mixed the two in one file (exit 0). Read with the fit's,
    the output's numbers are no numbers, and the option that reads them is named."""
    fitted = tmp_path / "a.csv"
    fitted.write_text("id;w;x\n1;0,5;1,5\n2;1,25;2,5\n3;2,0;3,5\n")
    stats = tmp_path / "s.json"
    ok("fit", fitted, "--delimiter", ";", "--decimal", ",", "--exclude", "w", "-o", stats)
    given = tmp_path / "new.csv"
    given.write_text("id,w,x\n1,0.5,1.5\n2,1.25,2.5\n3,2.0,3.5\n")
    out = tmp_path / "z.csv"
    ok("transform", given, "-s", stats, "--delimiter", ",", "--decimal", ".", "-o", out)
    message = normkit_error(1, "inverse", out, "-s", stats, "-o", tmp_path / "b.csv")
    assert "is not a number" in message, message
    assert "--decimal ." in message, message
    assert not (tmp_path / "b.csv").exists()
    back = tmp_path / "b2.csv"
    ok("inverse", out, "-s", stats, "--decimal", ".", "-o", back)
    # The input's separator, the decimal point given: one of each in the whole file.
    assert back.read_text() == "id,w,x\n1,0.5,1.5\n2,1.25,2.5\n3,2.0,3.5\n"


# -- the encoding, as a byte-order mark told it ----------------------------------------------

#: The byte-order mark each encoding's file begins with, as pandas writes it.
MARKS = {
    "utf-16": (b"\xff\xfe", b"\xfe\xff"),
    "utf-32": (b"\xff\xfe\x00\x00",),
    "utf-8-sig": (b"\xef\xbb\xbf",),
}


def _table(rows: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": range(rows),
            "name": [f"n{i}" for i in range(rows)],
            "x": rng.normal(size=rows),
            "y": rng.normal(size=rows),
        }
    )
    frame.loc[3, "x"] = np.nan
    return frame


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
@pytest.mark.parametrize("dialect", [{}, {"sep": ";", "decimal": ","}])
def test_an_encoding_a_byte_order_mark_told_comes_back_through_parquet(tmp_path, encoding, dialect):
    """A spreadsheet's UTF-16 export through Parquet came back as UTF-8 without a mark, while
    its separator and decimal comma came back: the encoding travels with them now."""
    frame = _table()
    path, stats = tmp_path / "u.csv", tmp_path / "s.json"
    frame.to_csv(path, index=False, encoding=encoding, **dialect)
    decimal = ("--decimal", ",") if dialect else ()
    ok("fit", path, "--exclude", "id", *decimal, "-o", stats)
    z, back = tmp_path / "z.parquet", tmp_path / "back.csv"
    ok("transform", path, "-s", stats, "-o", z)
    summary = ok("inverse", z, "-s", stats, "-o", back)
    said = "UTF-8 with a byte-order mark" if encoding == "utf-8-sig" else encoding
    separated = "';'-separated, " if dialect else ""
    assert f"to {back} (csv, {separated}{said})" in summary
    assert back.read_bytes().startswith(MARKS[encoding])
    got = pd.read_csv(back, encoding=encoding, **dialect)
    pd.testing.assert_frame_equal(got, frame, rtol=1e-14)
    # A raw Parquet file made from the same table is written to CSV alike by a transform.
    raw, z_csv = tmp_path / "raw.parquet", tmp_path / "z.csv"
    frame.to_parquet(raw, index=False)
    ok("transform", raw, "-s", stats, "-o", z_csv)
    assert z_csv.read_bytes().startswith(MARKS[encoding])
    normalized = pd.read_csv(z_csv, encoding=encoding, **dialect)
    assert normalized["name"].tolist() == frame["name"].tolist()
    fitted = {c["name"]: c for c in json.loads(stats.read_text())["columns"]}
    for name in ("x", "y"):
        want = (frame[name] - fitted[name]["mean"]) / fitted[name]["scale"]
        np.testing.assert_allclose(normalized[name], want, rtol=1e-14)
    # Recorded as the separator is: the encoding read in, as the mark told it.
    assert json.loads(stats.read_text())["read"]["encoding"] == encoding


def test_an_encoding_given_to_the_writing_command_decides_over_the_recorded_one(tmp_path):
    frame = _table()
    path, stats, z = tmp_path / "u.csv", tmp_path / "s.json", tmp_path / "z.parquet"
    frame.to_csv(path, index=False, encoding="utf-16")
    ok("fit", path, "--exclude", "id", "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", stats, "--encoding", "utf-8", "-o", back)
    assert back.read_bytes().startswith(b"id,name,x,y\n")  # no mark
    pd.testing.assert_frame_equal(pd.read_csv(back), frame, rtol=1e-14)
    big_endian = tmp_path / "big_endian.csv"
    ok("inverse", z, "-s", stats, "--encoding", "utf-16-be", "-o", big_endian)
    assert big_endian.read_bytes().startswith("id".encode("utf-16-be"))
    pd.testing.assert_frame_equal(pd.read_csv(big_endian, encoding="utf-16-be"), frame, rtol=1e-14)


def test_a_later_file_is_read_as_its_own_byte_order_mark_says(tmp_path):
    """The recorded encoding reads a file without a mark of its own where it can (latin-1);
    one that needs a mark reads such a file as UTF-8, and a file's own mark decides over it.
    The CSV output is written in the encoding its input was read in."""
    frame = _table()
    frame.loc[0, "name"] = "José"
    u16, u8, latin = tmp_path / "u16.csv", tmp_path / "u8.csv", tmp_path / "latin.csv"
    frame.to_csv(u16, index=False, encoding="utf-16")
    frame.to_csv(u8, index=False)
    frame.to_csv(latin, index=False, encoding="latin-1")
    fitted_u16, fitted_latin = tmp_path / "u16.json", tmp_path / "latin.json"
    ok("fit", u16, "--exclude", "id", "-o", fitted_u16)
    ok("fit", latin, "--exclude", "id", "--encoding", "latin-1", "-o", fitted_latin)
    assert json.loads(fitted_latin.read_text())["read"]["encoding"] == "latin-1"
    want = None
    for stats, data, encoding in (
        (fitted_u16, u8, "utf-8"),  # no mark: UTF-8, written so
        (fitted_latin, u16, "utf-16"),  # its mark decides over the fit's latin-1
        (fitted_latin, latin, "latin-1"),  # no mark: the fit's latin-1
        (fitted_u16, u16, "utf-16"),
    ):
        out = tmp_path / f"{stats.stem}-{data.stem}.csv"
        ok("transform", data, "-s", stats, "-o", out)
        assert out.read_bytes().startswith(MARKS["utf-16"] if encoding == "utf-16" else b"id,")
        got = pd.read_csv(out, encoding=encoding)
        assert got["name"].tolist() == frame["name"].tolist()
        want = got if want is None else want
        pd.testing.assert_frame_equal(got, want, rtol=1e-14)  # the same statistics
    # Standard input without a mark, too; and a drift check reads it.
    proc = run_normkit("transform", "-", "-s", fitted_u16, stdin=u8.read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"id,name,x,y\n")
    drift = run_normkit("drift", u8, "-s", fitted_u16)
    assert drift.returncode == 0, drift.stderr
    assert b"no drift" in drift.stdout
    # An encoding given to the command is read with: a UTF-8 file is no UTF-16.
    message = normkit_error(1, "transform", u8, "-s", fitted_u16, "--encoding", "utf-16")
    assert "has no byte-order mark, which the encoding utf-16 needs" in message


def test_utf8_text_read_in_a_recorded_single_byte_encoding_is_refused(tmp_path):
    """Statistics fitted with --encoding latin-1 read a later UTF-8 file as Latin-1, exit 0:
    its Parquet output held 'cittÃ\xa0' and 'ZÃ¼rich'. Refused now, naming the file and the
    encoding; an encoding given to the command reads it as told."""
    fitted, new = tmp_path / "fit_latin1.csv", tmp_path / "new_utf8.csv"
    fitted.write_bytes("x,city\n1.5,São\n2.5,Rio\n3.5,São\n".encode("latin-1"))
    new.write_text("x,città\n1.0,Zürich\n2.0,São Paulo\n4.0,東京\n", encoding="utf-8")
    stats, z = tmp_path / "s.json", tmp_path / "z.parquet"
    ok("fit", fitted, "--encoding", "latin-1", "--columns", "x", "-o", stats)
    assert normkit_error(1, "transform", new, "-s", stats, "-o", z) == (
        f"{new}: its text looks like UTF-8, and the stat file's encoding, latin-1, would read "
        "'città' as 'cittÃ\\xa0'; read it as UTF-8 (--encoding utf-8) or read it in latin-1 all "
        "the same (--encoding latin-1)"
    )
    assert not z.exists()
    ok("transform", new, "-s", stats, "--encoding", "utf-8", "-o", z)
    table = pd.read_parquet(z)
    assert table["città"].tolist() == ["Zürich", "São Paulo", "東京"]
    ok("transform", new, "-s", stats, "--encoding", "latin-1", "-o", z)  # as told
    assert pd.read_parquet(z).columns.tolist() == ["x", "cittÃ\xa0"]
    ok("transform", fitted, "-s", stats, "-o", z)  # its own Latin-1: read as recorded
    # Read in Latin-1 as told, a UTF-8 header lacks the fitted name: told it looks UTF-8.
    cafe, cafe_stats = tmp_path / "cafe.csv", tmp_path / "cafe.json"
    cafe.write_text("café,y\n1,2\n2,3\n3,4\n", encoding="utf-8")
    ok("fit", cafe, "-o", cafe_stats)
    error = normkit_error(1, "transform", cafe, "-s", cafe_stats, "--encoding", "latin-1", "-o", z)
    assert error == (
        f"{cafe}: the stat file has column 'café' but the input has no such column; the file "
        "looks like UTF-8: read in latin-1, its header has 'cafÃ©' for 'café'; read it as UTF-8 "
        "(--encoding utf-8)"
    )


def test_utf8_text_after_the_head_read_in_a_recorded_single_byte_encoding_is_refused(tmp_path):
    """The head's rule (above) held for the head alone: UTF-8 after it, read in the stat file's
    Latin-1, came out as 'ZÃ¼rich', exit 0. Every chunk the transcoding reads is looked at now,
    a character cut at a chunk's end (1 MiB) finished by the next one's first bytes."""
    fitted, stats = tmp_path / "l1.csv", tmp_path / "l1.json"
    fitted.write_bytes("city,temp\nZürich,3.5\nOslo,1\nBern,2\nRoma,9\n".encode("latin-1"))
    ok("fit", fitted, "--encoding", "latin-1", "-o", stats)
    rows = b"city,temp\n" + "".join(f"Oslo{i},{i % 17}.25\n" for i in range(70000)).encode()
    rows = rows[: rows.rindex(b"\n", 0, 1 << 19) + 1]
    # A last line of padding puts the 'ü' of 'Zürich' (c3 bc) across the first chunk's end.
    lines = rows + b"x" * ((1 << 20) - 2 - len(rows) - 3) + b",1\n"
    late = tmp_path / "late.csv"
    late.write_bytes(lines + "Zürich,3.5\nRoma,9\n".encode())
    assert late.read_bytes().index("ü".encode()) == (1 << 20) - 1
    for output in ("z.parquet", "z.csv"):
        assert normkit_error(1, "transform", late, "-s", stats, "-o", tmp_path / output) == (
            f"{late}: its text looks like UTF-8, and the stat file's encoding, latin-1, would "
            "read 'Zürich' as 'ZÃ¼rich'; read it as UTF-8 (--encoding utf-8) or read it in "
            "latin-1 all the same (--encoding latin-1)"
        )
        assert not (tmp_path / output).exists()
    ok("transform", late, "-s", stats, "--encoding", "utf-8", "-o", tmp_path / "z.parquet")
    assert pd.read_parquet(tmp_path / "z.parquet")["city"].iloc[-2] == "Zürich"
    # Latin-1 after the head, as recorded, is read so.
    late.write_bytes(lines + "Zürich,3.5\nRoma,9\n".encode("latin-1"))
    ok("transform", late, "-s", stats, "-o", tmp_path / "l.parquet")
    assert pd.read_parquet(tmp_path / "l.parquet")["city"].iloc[-2] == "Zürich"


CITIES = pd.DataFrame(
    {"id": [1, 2, 3], "city": ["Łódź", "München", "Kraków"], "x": [1.5, 2.5, 4.0]}
)


@pytest.mark.parametrize("given", ["cp1252", "latin-1"])
def test_a_utf8_byte_order_mark_decides_over_the_encoding_given_in_every_command(tmp_path, given):
    """Given cp1252, a fit read Excel's "CSV UTF-8" mark as text (a column 'ï»¿id', categories
    'KrakÃ³w'), or stopped at a byte cp1252 has no character for; the transform and the drift
    check, reading by the mark, then found no column 'ï»¿id'. Every command reads by the mark."""
    path, stats = tmp_path / "bom.csv", tmp_path / "s.json"
    CITIES.to_csv(path, index=False, encoding="utf-8-sig")
    ok("fit", path, "--encoding", given, "-o", stats)
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["id", "x"]
    assert doc["categories"][0]["counts"] == {"Kraków": 1, "München": 1, "Łódź": 1}
    assert doc["read"]["encoding"] == "utf-8-sig"  # as read, so later commands read alike
    for options in ((), ("--encoding", given)):
        drift = run_normkit("drift", path, "-s", stats, *options)
        assert drift.returncode == 0, drift.stderr
        assert b"no drift in 3 columns" in drift.stdout
    z = tmp_path / "z.csv"
    ok("transform", path, "-s", stats, "-o", z)
    assert z.read_bytes().startswith(b"\xef\xbb\xbfid,city,x\n")  # as the input was
    assert pd.read_csv(z, encoding="utf-8-sig")["city"].tolist() == CITIES["city"].tolist()
    # Given to a writing command, the encoding is the output's, which cannot hold every city.
    assert normkit_error(1, "transform", path, "-s", stats, "--encoding", given, "-o", z) == (
        f"{z}: column 'city', value 'Łódź': the text 'Ł' cannot be written in {given}, the "
        "output's encoding; write UTF-8 "
        "(--encoding utf-8) or write Parquet or Arrow"
    )


def test_a_utf16_file_is_read_by_its_mark_and_written_in_the_encoding_given(tmp_path):
    """--encoding utf-8 on a UTF-16 file with a mark was refused as binary data, naming
    --encoding utf-16-le: its mark reads it, and a writing command writes UTF-8."""
    path, stats, given = tmp_path / "u16.csv", tmp_path / "s.json", tmp_path / "given.json"
    CITIES.to_csv(path, index=False, encoding="utf-16")
    ok("fit", path, "-o", stats)
    ok("fit", path, "--encoding", "utf-8", "-o", given)
    fitted, fitted_given = json.loads(stats.read_text()), json.loads(given.read_text())
    assert fitted_given["columns"] == fitted["columns"]
    assert fitted_given["read"]["encoding"] == "utf-16"
    z16, z8 = tmp_path / "z16.csv", tmp_path / "z8.csv"
    ok("transform", path, "-s", stats, "-o", z16)
    assert "(csv)" in ok("transform", path, "-s", given, "--encoding", "utf-8", "-o", z8)
    assert z8.read_bytes() == z16.read_bytes().decode("utf-16").encode("utf-8")
    back = tmp_path / "back.csv"
    ok("inverse", z8, "-s", stats, "-o", back)  # UTF-8 now, as its record says
    pd.testing.assert_frame_equal(pd.read_csv(back), CITIES, rtol=1e-14)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_big_endian_text_comes_back_big_endian_with_its_mark(tmp_path, encoding):
    """UTF-16 with a big-endian mark (FE FF, as Java writes it) came back little-endian."""
    path, stats = tmp_path / "be.csv", tmp_path / "s.json"
    mark = "\ufeff".encode(f"{encoding}-be")
    path.write_bytes(mark + CITIES.to_csv(index=False).encode(f"{encoding}-be"))
    ok("fit", path, "-o", stats)
    z, back = tmp_path / "z.csv", tmp_path / "back.csv"
    ok("transform", path, "-s", stats, "-o", z)
    assert z.read_bytes().startswith(mark + "id,".encode(f"{encoding}-be"))
    ok("inverse", z, "-s", stats, "-o", back)
    assert back.read_bytes() == path.read_bytes()
    # A little-endian input comes back little-endian, whatever the machine's order.
    little = tmp_path / "le.csv"
    little.write_bytes(path.read_bytes().decode(encoding).encode(f"{encoding}-le"))
    little.write_bytes("\ufeff".encode(f"{encoding}-le") + little.read_bytes())
    ok("transform", little, "-s", stats, "-o", z)
    assert z.read_bytes().startswith("\ufeffid,".encode(f"{encoding}-le"))


def test_bytes_not_in_the_encoding_given_are_refused_naming_it_and_what_to_do(tmp_path):
    """A UTF-8 file read as cp1252 stopped at 'invalid byte at offset 584' (byte 0x81 of 'Ł'),
    naming no encoding; read from standard input, with a traceback."""
    path = tmp_path / "pl.csv"
    path.write_text("id,city,x\n" + "".join(f"{i},c{i},{i}.5\n" for i in range(60)) + "9,Łódź,3\n")
    offset = path.read_bytes().index("Ł".encode()) + 1  # its second byte, 0x81
    want = "not cp1252 text (invalid byte at offset {:,}); name its encoding (--encoding utf-8 or "
    want += "another)"
    stats = tmp_path / "s.json"
    line = normkit_error(1, "fit", path, "--encoding", "cp1252", "-o", stats)
    assert line == f"{path}: " + want.format(offset)
    proc = run_normkit("fit", "-", "--encoding", "cp1252", "-o", stats, stdin=path.read_bytes())
    assert proc.returncode == 1
    assert proc.stderr.decode() == f"{ERROR}<stdin>: " + want.format(offset) + "\n"
    # Further than the first block, in a transform, too.
    ok("fit", path, "-o", stats)
    big = tmp_path / "big.csv"
    big.write_text("id,city,x\n" + "".join(f"{i},c{i},{i}.5\n" for i in range(300_000)) + "9,Ł,3\n")
    offset = big.read_bytes().index("Ł".encode()) + 1
    z = tmp_path / "z.csv"
    line = normkit_error(1, "transform", big, "-s", stats, "--encoding", "cp1252", "-o", z)
    assert line == f"{big}: " + want.format(offset)


def test_comments_after_values_are_cut_where_asked_and_the_choice_travels(tmp_path):
    """'2 # first' after a value: refused, naming --inline-comments, where the head does not
    show it (the table splits evenly either way); asked, they are cut in every line, quoted
    fields kept whole, as pandas' comment='#' reads them, and transform reads the same way."""
    rng = np.random.default_rng(5)
    values = rng.normal(10, 3, size=(5000, 2)).round(6)
    lines = ["# exported by a tool", "name,a,b"]
    for i, (a, b) in enumerate(values):
        name = ['"q#1"', "plain"][i % 2]
        note = " # a note" if i in (0, 4000) else ""  # the second far beyond the 64 KiB head
        lines.append(f"{name},{float(a)!r},{float(b)!r}{note}")
    given = tmp_path / "notes.csv"
    given.write_text("\n".join(lines) + "\n")
    stats = tmp_path / "n.json"
    message = normkit_error(1, "fit", given, "-o", stats)
    assert "column 'b' at data row 1: '" in message
    assert "# a note' is not a number" in message
    assert "cut them (--inline-comments)" in message, message
    assert not stats.exists()

    ok("fit", given, "--inline-comments", "-o", stats)
    expected = pd.read_csv(given, comment="#")
    assert len(expected) == 5000
    fitted = json.loads(stats.read_text())
    assert fitted["read"]["given"] == ["inline_comments"]
    scaler = StandardScaler().fit(expected[["a", "b"]])
    assert [c["name"] for c in fitted["columns"]] == ["a", "b"]
    for j, column in enumerate(fitted["columns"]):
        assert column["count"] == 5000
        assert column["mean"] == pytest.approx(scaler.mean_[j], rel=1e-12)
        assert column["scale"] == pytest.approx(scaler.scale_[j], rel=1e-12)
    out = tmp_path / "z.csv"
    ok("transform", given, "-s", stats, "-o", out)  # read with them, as recorded
    written = pd.read_csv(out)
    assert len(written) == 5000
    assert list(written["name"][:3]) == ["q#1", "plain", "q#1"]
    np.testing.assert_allclose(written[["a", "b"]], scaler.transform(expected[["a", "b"]]))

    # Without comment lines the hint is the same; asked with no comment character, refused.
    bare = tmp_path / "bare.csv"
    bare.write_text("a,b\n1,2 # note\n3,4\n5,6\n")
    message = normkit_error(1, "fit", bare, "-o", tmp_path / "b.json")
    assert "cut them (--inline-comments)" in message, message
    message = normkit_error(
        2, "fit", bare, "--inline-comments", "--comment", "", "-o", tmp_path / "b.json"
    )
    assert "comments after values need a comment character" in message, message
    # Detected where the rows split evenly only with them cut; refused where told not to.
    split = tmp_path / "split.csv"
    split.write_text("# note\na;b\n1;3#x;y\n2;4\n5;6\n")
    ok("fit", split, "-o", tmp_path / "s.json")
    message = normkit_error(1, "fit", split, "--no-inline-comments", "-o", tmp_path / "s2.json")
    assert "expected 2 fields, got 3" in message, message


def test_empty_lines_above_the_header_are_skipped_where_asked(tmp_path):
    """Refused, but --skip-rows was refused too: no way to read the file (the hint named none)."""
    given = tmp_path / "e.csv"
    given.write_text("\n \na,b\n1,2\n3,5\n4,9\n")
    message = normkit_error(1, "fit", given, "-o", tmp_path / "s.json")
    assert message.endswith(
        "the first line is empty; a CSV starts with its header row; skip "
        "the empty lines above it (--skip-rows 2)"
    ), message
    stats = tmp_path / "s.json"
    ok("fit", given, "--skip-rows", "2", "-o", stats)
    expected = StandardScaler().fit_transform(pd.read_csv(given)[["a", "b"]])
    out = tmp_path / "z.csv"
    ok("transform", given, "-s", stats, "-o", out)  # the lines to skip recorded
    np.testing.assert_allclose(pd.read_csv(out)[["a", "b"]], expected, rtol=1e-12)


def test_a_field_longer_than_pythons_csv_limit_in_the_head_is_read(tmp_path):
    """A head read past 64 KiB to hold whole records held a 200 KB field, beyond the 128 KiB
    Python's csv splits: a traceback (_csv.Error) where the fit was due."""
    given = tmp_path / "long.csv"
    given.write_text("t,x\n" + "y" * 200_000 + ",1.5\nz,2.5\nw,4\n")
    stats = tmp_path / "s.json"
    assert "on 3 rows" in ok("fit", given, "-o", stats)
    assert json.loads(stats.read_text())["columns"][0]["mean"] == pytest.approx(8 / 3)


def test_a_header_where_the_fit_had_none_is_named_as_the_likely_cause(tmp_path):
    """A stat file fitted without a header, a file with one: the hint was to add the header's
    name to --null-values."""
    (tmp_path / "bare.csv").write_text("1.5,2\n2.5,3\n4,1\n")
    stats = tmp_path / "s.json"
    ok("fit", tmp_path / "bare.csv", "-o", stats)
    (tmp_path / "named.csv").write_text("a,b\n1.5,2\n2.5,3\n")
    message = normkit_error(1, "transform", tmp_path / "named.csv", "-s", stats, "-o", "-")
    assert "column 'column_1' at data row 1: 'a' is not a number" in message
    assert "if the first row names the columns, fit on data with that header" in message
    # Further down, a word is no header: not said.
    (tmp_path / "word.csv").write_text("1.5,2\nx,3\n")
    message = normkit_error(1, "transform", tmp_path / "word.csv", "-s", stats, "-o", "-")
    assert "names the columns" not in message, message


def test_a_tie_of_comma_and_semicolon_over_decimal_commas_names_the_decimal_option(tmp_path):
    # '53,46;58,22' splits evenly by ',' and by ';': the separator is refused as a tie, and
    # where the ';' fields are numbers written with a decimal comma, the message names
    # --decimal too, which reads it; a tie of other fields does not.
    rng = np.random.default_rng(0)
    rows = [";".join(f"{v:.2f}".replace(".", ",") for v in rng.normal(50, 5, 4)) for _ in range(50)]
    path = tmp_path / "n.csv"
    path.write_text("\n".join(rows) + "\n")
    message = normkit_error(1, "fit", path, "-o", tmp_path / "s.json")
    assert "read ',' as the decimal separator (--decimal ,)" in message
    ok("fit", path, "--decimal", ",", "-o", tmp_path / "s.json")
    plain = tmp_path / "p.csv"
    plain.write_text("".join(f"a{i},b;c{i},d\n" for i in range(20)))
    message = normkit_error(1, "fit", plain, "-o", tmp_path / "p.json")
    assert "cannot be told" in message
    assert "--decimal" not in message


def test_a_later_file_of_another_separator_is_told_to_give_it(tmp_path):
    # A ';' file with decimal commas, checked against statistics of a ',' file, said only that
    # the input had none of the columns: read with the fit's ',', its first line was a title.
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "id": range(30),
            "a": rng.normal(10, 3, 30),
            "b": rng.normal(1300, 100, 30),
            "c": rng.integers(40, 70, 30),
            "city": rng.choice(["x", "y", "z"], 30),
        }
    )
    frame.to_csv(tmp_path / "v1.csv", index=False)
    later = tmp_path / "later.csv"
    frame.to_csv(later, index=False, sep=";", decimal=",")
    stats = tmp_path / "s.json"
    assert run_normkit("fit", tmp_path / "v1.csv", "-o", stats).returncode == 0
    proc = run_normkit("transform", later, "-s", stats, "-o", tmp_path / "z.csv")
    assert proc.returncode == 1
    assert proc.stderr.decode().endswith(
        "line 1 names them if split by ';', not ',' (the separator given or recorded in the "
        "stat file): give the separator (--delimiter ';')\n"
    )


def test_a_later_file_is_read_without_comment_lines_inside_its_table_where_the_fit_read_none(
    tmp_path,
):
    """Fitted on a CSV without comment lines, a later file's short '#N/A' line inside its table
    is a malformed row, refused with its line by every job (it was skipped as a comment: a row
    lost, exit 0); '#' lines above its header are still skipped, and where the fit read '#'
    comments, later files' are skipped as its were."""
    clean, later = tmp_path / "clean.csv", tmp_path / "later.csv"
    clean.write_text("a,b\n1,2\n3,4\n4,5\n6,7\n")
    later.write_text("a,b\n1,2\n#N/A\n4,5\n6,7\n")
    stats, out = tmp_path / "s.json", tmp_path / "out.csv"
    ok("fit", clean, "-o", stats)
    assert json.loads(stats.read_text())["read"]["comment"] == ""
    refusal = (
        f"{later} at data row 2 (line 3): malformed CSV: expected 2 fields, got 1: #N/A; '#N/A' alone on "
        "its line is a row of missing values to pandas, not a comment: write a field for every "
        "column, or remove the line"
    )
    for job in (
        ("transform", later, "-s", stats, "-o", out),
        ("inverse", later, "-s", stats, "--use", "exact", "-o", out),
        ("drift", later, "-s", stats),
        ("report", later, "-s", stats, "-o", tmp_path / "r.html"),
    ):
        assert normkit_error(1, *job, no_output=True) == refusal, job
        assert not out.exists()
        assert not (tmp_path / "r.html").exists()
    assert "wrote 3 rows" in ok("transform", later, "-s", stats, "--comment", "#", "-o", out)
    noted = tmp_path / "noted.csv"  # a comment above the header drops no row
    noted.write_text("# units: m, s\na,b\n1,2\n3,4\n")
    assert "wrote 2 rows" in ok("transform", noted, "-s", stats, "-o", tmp_path / "n.csv")
    commented = tmp_path / "commented.csv"
    commented.write_text("a,b\n1,2\n# sensor restarted\n3,4\n4,5\n")
    ok("fit", commented, "-o", stats)
    assert json.loads(stats.read_text())["read"]["comment"] == "#"
    restarted = tmp_path / "restarted.csv"
    restarted.write_text("a,b\n1,2\n# restarted\n4,5\n6,7\n")
    assert "wrote 3 rows" in ok("transform", restarted, "-s", stats, "-o", tmp_path / "c.csv")
    # '#N/A' alone is no comment even so: a row of missing values, its row not dropped.
    assert normkit_error(1, "transform", later, "-s", stats, "-o", out, no_output=True) == refusal


def test_the_files_of_one_fit_are_read_alike_or_the_difference_is_noted(tmp_path):
    # fit clean.csv new.csv skipped new.csv's '#N/A' line as a comment (a row lost, exit 0,
    # no word): the first file read without comment lines, so are the others.
    clean, later = tmp_path / "clean.csv", tmp_path / "new.csv"
    clean.write_text("a,b\n1,2\n3,4\n4,5\n6,7\n")
    later.write_text("a,b\n1,2\n#N/A\n4,5\n6,7\n")
    proc = run_normkit("fit", clean, later, "-o", tmp_path / "s.json")
    assert proc.returncode == 1
    assert f"{later} at data row 2 (line 3): malformed CSV: expected 2 fields, got 1: #N/A" in (
        proc.stderr.decode()
    )
    assert not (tmp_path / "s.json").exists()
    # The other way round, the first file's comments are read as such, and said.
    commented = tmp_path / "commented.csv"
    commented.write_text("a,b\n# a note\n1,2\n4,5\n")
    proc = run_normkit("fit", commented, clean, "-o", tmp_path / "s.json")
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr.decode().startswith(
        f"normkit: note: the files were read in 2 ways, each as its own first lines show "
        f"({commented}: '#' comments; {clean}: plain CSV); later jobs detect each file's own"
    )


def test_a_header_of_decimal_numbers_is_refused_as_ambiguous(tmp_path):
    """Wavelengths naming spectra's columns (400.5,401.0,401.5 above 0.3s) were read as a data
    row, exit 0: column_1's mean 4.257. Told as integers above decimals are; either way out
    reads it as said."""
    rng = np.random.default_rng(0)
    values = rng.normal(0.3, 0.05, (100, 3)).round(4)
    path, stats = tmp_path / "spectra.csv", tmp_path / "s.json"
    body = "".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in values)
    path.write_text("400.5,401.0,401.5\n" + body)
    assert normkit_error(1, "fit", path, "-o", stats) == (
        f"{path}: whether the first row is a header cannot be told: its numbers (400.5, 401.0, "
        "401.5) lie far beyond the 100 rows below them in every column, as names (wavelengths, "
        "sizes) may; say whether it is (--header or --no-header)"
    )
    assert not stats.exists()
    ok("fit", path, "--header", "-o", stats)
    fitted = json.loads(stats.read_text())["columns"]
    assert [c["name"] for c in fitted] == ["400.5", "401.0", "401.5"]
    np.testing.assert_allclose([c["mean"] for c in fitted], values.mean(axis=0), rtol=1e-12)
    ok("fit", path, "--no-header", "-o", stats)
    # The same rows without the names: read as rows, without a word.
    plain = tmp_path / "plain.csv"
    plain.write_text(body)
    ok("fit", plain, "-o", stats)
    assert json.loads(stats.read_text())["columns"][0]["count"] == 100


def test_a_dialect_every_file_of_a_fit_shares_is_recorded_as_for_one_file(tmp_path):
    # fit p1.csv p2.csv recorded no separator nor header where both files were '|'-separated
    # (a transform then wrote commas), and none where both had no header (an inverse through
    # Parquet added one): the later files were told how the first read comment lines.
    first, second = tmp_path / "p1.csv", tmp_path / "p2.csv"
    first.write_text("a|b\n1.5|2\n2.5|3\n4|7\n")
    second.write_text("a|b\n3.5|2\n1|9\n")
    ok("fit", first, "-o", tmp_path / "one.json")
    summary = ok("fit", first, second, "-o", tmp_path / "s.json")
    assert "read as '|'-separated" in summary
    assert "note" not in summary
    recorded = json.loads((tmp_path / "s.json").read_text())["read"]
    assert recorded == json.loads((tmp_path / "one.json").read_text())["read"]
    assert (recorded["delimiter"], recorded["header"]) == ("|", True)
    ok("transform", first, "-s", tmp_path / "s.json", "-o", tmp_path / "z.csv")
    assert (tmp_path / "z.csv").read_text().startswith("a|b\n")
    first.write_text("1.5,2\n2.5,3\n4,7\n")
    second.write_text("3.5,2\n1,9\n")
    ok("fit", first, second, "-o", tmp_path / "n.json")
    assert json.loads((tmp_path / "n.json").read_text())["read"]["header"] is False
    ok("transform", first, "-s", tmp_path / "n.json", "-o", tmp_path / "n.parquet")
    ok("inverse", tmp_path / "n.parquet", "-s", tmp_path / "n.json", "-o", tmp_path / "i.csv")
    assert (tmp_path / "i.csv").read_text().splitlines()[0] == "1.5,2"
