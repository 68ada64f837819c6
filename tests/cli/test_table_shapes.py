"""Tables as real exports lay them out, through the real command: columns with nothing in them,
names given twice, single-quoted fields, files of one line. Each is fitted as pandas reads it
(checked against pandas and scikit-learn), said in the summary, recorded in the stat file, and
read the same way again by transform."""

from __future__ import annotations

import csv
import gzip
import io
import json

import numpy as np
import pandas as pd
import pytest
from conftest import ERROR, normkit_error, run_normkit
from conftest import normkit_summary as ok
from sklearn.preprocessing import StandardScaler


def test_columns_with_no_value_are_passed_through_and_named(tmp_path):
    text = "a,b,c,d\n1,,x,\n2,,y,NA\n4,,z,\n"
    path, stats, z = tmp_path / "e.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text(text)
    summary = ok("fit", path, "-o", stats)
    assert "passed through: b (no values), c (text), d (no values)" in summary
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["a"]
    assert [(p["name"], p["why"]) for p in doc["passthrough"]] == [
        ("b", "no values"),
        ("c", "text"),
        ("d", "no values"),
    ]
    frame = pd.read_csv(io.StringIO(text))
    assert frame[["b", "d"]].isna().all(axis=None)
    np.testing.assert_allclose(doc["columns"][0]["mean"], frame["a"].mean(), rtol=1e-15)
    ok("transform", path, "-s", stats, "-o", z)
    out = pd.read_csv(z, keep_default_na=False)
    assert list(out.columns) == ["a", "b", "c", "d"]
    want = StandardScaler().fit_transform(frame[["a"]].to_numpy(float))[:, 0]
    np.testing.assert_allclose(out["a"], want, rtol=1e-12)
    assert out["d"].tolist() == ["", "NA", ""]  # passed through as written


def test_a_column_with_no_value_chosen_by_name_is_still_refused(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("a,b\n1,\n2,\n")
    proc = run_normkit("fit", path, "--columns", "a,b", "-o", tmp_path / "s.json")
    assert proc.returncode == 1
    assert "column 'b' has no values" in proc.stderr.decode()
    # Chosen by name, it is to be left out of the choice, not excluded (which contradicts it).
    assert (
        proc.stderr.decode().rstrip().endswith("leave it out of the columns chosen (--columns)")
    ), proc.stderr
    assert not (tmp_path / "s.json").exists()


def test_a_table_of_nothing_but_empty_columns_is_refused(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("a,b\n,\n,\n")
    proc = run_normkit("fit", path, "-o", tmp_path / "s.json")
    assert proc.returncode == 1
    assert "no numeric column to normalize (columns 'a', 'b' of no value in any row)" in (
        proc.stderr.decode()
    )


def test_repeated_header_names_are_renamed_said_and_read_alike_by_transform(tmp_path):
    text = "a,a,b,,,a_1\n1,2,x,3,4,5\n2,3,y,5,6,7\n4,9,z,6,8,9\n"
    path, stats, z = tmp_path / "d.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text(text)
    summary = ok("fit", path, "-o", stats)
    assert "repeated header names renamed ('a' again as 'a_2', '' again as '_1')" in summary
    doc = json.loads(stats.read_text())
    assert doc["read"]["renamed"] == ["a_2", "_1"]
    names = ["a", "a_2", "", "_1", "a_1"]
    assert [c["name"] for c in doc["columns"]] == names
    frame = pd.read_csv(io.StringIO(text)).drop(columns="b")  # pandas: a.1, Unnamed: 4...
    X = frame.to_numpy(float)
    np.testing.assert_allclose([c["mean"] for c in doc["columns"]], X.mean(axis=0), rtol=1e-15)
    ok("transform", path, "-s", stats, "-o", z)
    out = pd.read_csv(z, header=None, skiprows=1, keep_default_na=False)
    assert z.read_text().splitlines()[0] == "a,a,b,,,a_1"  # as the input's header has them
    got = out.drop(columns=2).to_numpy(float)
    np.testing.assert_allclose(got, StandardScaler().fit_transform(X), rtol=1e-12)


@pytest.mark.parametrize("command", ["transform", "inverse", "drift"])
def test_a_later_header_that_repeats_a_fitted_name_is_refused(tmp_path, command):
    # 'b,a,b' against statistics of 'a,b': the first b (all 5s) got b's statistics and the
    # fitted b passed through raw as b_1, exit 0.
    (tmp_path / "train.csv").write_text("a,b\n1,10\n2,20\n3,30\n4,40\n")
    serve = tmp_path / "serve.csv"
    serve.write_text("b,a,b\n5,1,10\n5,2,20\n5,3,30\n5,4,40\n")
    ok("fit", tmp_path / "train.csv", "-o", tmp_path / "s.json")
    out = tmp_path / "z.csv"
    proc = run_normkit(
        command, serve, "-s", tmp_path / "s.json", *(("-o", out) * (command != "drift"))
    )
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"{ERROR}{serve}: the header names the column 'b' twice (columns 1 and 3), and the "
        "statistics have one: which of them it is cannot be told; rename the other columns of "
        "that name in the header\n"
    )
    assert not out.exists()


def test_a_renamed_repeat_and_a_column_written_with_its_name_are_kept_apart(tmp_path):
    # 'a,a_1,b' beside 'a,a,b': a_1 pooled +100s with the -100s of the second 'a', exit 0; a
    # merge of their stat files dropped the record of the renaming; a transform of one with
    # the other's statistics normalized the real a_1 by the repeated a's.
    p1, p2, p3 = tmp_path / "p1.csv", tmp_path / "p2.csv", tmp_path / "p3.csv"
    p1.write_text("a,a_1,b\n1,100,5\n2,110,6\n3,90,7\n4,105,5\n")
    p2.write_text("a,a,b\n1,-100,5\n2,-110,6\n3,-90,7\n4,-105,5\n")
    p3.write_text("a,a,b\n5,-101,5\n6,-111,6\n7,-91,7\n8,-106,5\n")
    s1, s2, s3, out = (tmp_path / n for n in ("s1.json", "s2.json", "s3.json", "m.json"))
    told = (
        "the header of {} has a column 'a_1', and the header of {} names 'a' again, read as "
        "'a_1': different columns, which would be matched as one; rename 'a_1', or the "
        "repeated 'a', in one of the headers"
    )
    for inputs in ((p1, p2), (p2, p1)):
        assert normkit_error(1, "fit", *inputs, "-o", out) == told.format(p1, p2)
    for stats in (s1, s2, s3):
        ok("fit", tmp_path / f"p{stats.name[1]}.csv", "-o", stats)
    assert normkit_error(1, "merge-stats", s1, s2, "-o", out) == f"{s2}: " + told.format(
        f"the data of {s1}", f"the data of {s2}"
    )
    error = normkit_error(1, "transform", p1, "-s", s2, "-o", tmp_path / "z.csv")
    assert error == told.format(p1, "the stat file's data")
    assert not out.exists()
    assert not (tmp_path / "z.csv").exists()
    # Both renamed alike: merged, the record kept, and read alike again.
    ok("merge-stats", s2, s3, "-o", out)
    assert json.loads(out.read_text())["read"]["renamed"] == ["a_1"]
    ok("transform", p2, "-s", out, "-o", tmp_path / "z.csv")
    ok("fit", p2, p3, "-o", tmp_path / "s23.json")


def test_a_csv_output_has_the_header_names_of_its_csv_input(tmp_path):
    # A pandas MultiIndex written by to_csv: ',,x,y'. Its output said ',_1,x,y', which pandas
    # reads back with index names [None, '_1']; 'x,x,y' came out 'x,x_1,y'. (The transform
    # copies records as written, the inverse restores integers from batches: both paths.)
    n = 40
    index = pd.MultiIndex.from_arrays([np.arange(n) % 3, np.arange(n)])
    frame = pd.DataFrame({"x": np.linspace(0, 1, n) ** 2, "y": np.arange(n) % 7}, index=index)
    path, stats = tmp_path / "midx.csv", tmp_path / "s.json"
    z, back, again = tmp_path / "z.csv", tmp_path / "back.csv", tmp_path / "again.csv"
    frame.to_csv(path)
    ok("fit", path, "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    ok("inverse", z, "-s", stats, "-o", back)
    ok("transform", back, "-s", stats, "-o", again)  # read as the fit read its input
    for written in (z, back, again):
        assert written.read_text().splitlines()[0] == ",,x,y"
    restored = pd.read_csv(back, index_col=[0, 1])
    assert restored.index.names == [None, None]
    np.testing.assert_allclose(restored.to_numpy(float), frame.to_numpy(float), rtol=1e-12)
    assert again.read_bytes() == z.read_bytes()
    twice = tmp_path / "twice.csv"
    twice.write_text("x,x,y\n1,2,a\n3,5,b\n4,4,c\n")
    ok("fit", twice, "-o", stats)
    ok("transform", twice, "-s", stats, "-o", tmp_path / "tz.csv")
    assert (tmp_path / "tz.csv").read_text().splitlines()[0] == "x,x,y"


def test_single_quoted_fields_are_read_with_the_quote_detected_and_recorded(tmp_path):
    text = "id\tname\tx\n1\t'a\tb'\t1.5\n2\t'c'\t2.5\n3\tc\t7\n"
    path, stats, z = tmp_path / "q.tsv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text(text)
    summary = ok("fit", path, "-o", stats)
    assert 'read as tab-separated, "\'" quotes' in summary
    doc = json.loads(stats.read_text())
    assert doc["read"]["quote"] == "'"
    frame = pd.read_csv(io.StringIO(text), sep="\t", quotechar="'")
    assert frame.shape == (3, 3)
    X = frame[["id", "x"]].to_numpy(float)
    np.testing.assert_allclose([c["mean"] for c in doc["columns"]], X.mean(axis=0), rtol=1e-15)
    ok("transform", path, "-s", stats, "-o", z)
    out = pd.read_csv(z, sep="\t")  # written as it was read, quotes aside
    assert out["name"].tolist() == ["a\tb", "c", "c"]
    np.testing.assert_allclose(out[["id", "x"]], StandardScaler().fit_transform(X), rtol=1e-12)


def test_the_quote_given_decides(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("a,b\n'x,1\n'y,2\n")  # a "'" that opens no quoted field
    proc = run_normkit("fit", path, "--quote", "", "-o", "-")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["read"]["quote"] == ""
    assert [c["name"] for c in doc["columns"]] == ["b"]
    proc = run_normkit("fit", path, "--quote", "'", "--delimiter", "'", "-o", "-")
    assert proc.returncode == 2
    assert "cannot both separate and quote fields" in proc.stderr.decode()


def test_a_file_of_one_row_is_data_where_no_header_would_name_its_numbers(tmp_path):
    path, stats = tmp_path / "one.csv", tmp_path / "s.json"
    path.write_text("2003-01-02,5,109.25\n")
    assert "no header (columns column_1...)" in ok("fit", path, "-o", stats)
    doc = json.loads(stats.read_text())
    frame = pd.read_csv(path, header=None)
    assert [(c["name"], c["count"]) for c in doc["columns"]] == [("column_2", 1), ("column_3", 1)]
    np.testing.assert_array_equal([c["mean"] for c in doc["columns"]], frame.iloc[0, 1:])
    path.write_text("1,StreetA\n")
    proc = run_normkit("fit", path, "-o", stats.with_name("t.json"))
    assert proc.returncode == 1
    assert proc.stderr.decode().strip().endswith("(--header or --no-header)")


def test_comments_after_values_are_cut_where_comment_lines_show_the_character(tmp_path):
    text = '# sensor log\na;b;c\n1;3;x#first\n6;7;"y#z" # quoted\n2;4.5;w   #  5;7\n'
    path, stats, z = tmp_path / "c.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text(text)
    summary = ok("fit", path, "-o", stats)
    assert "'#' comments (after values too)" in summary
    doc = json.loads(stats.read_text())
    assert doc["read"]["inline_comments"] is True
    frame = pd.read_csv(io.StringIO(text), sep=";", comment="#")  # rest of the line: a comment
    assert frame["c"].str.strip().tolist() == ["x", "y#z", "w"]
    X = frame[["a", "b"]].to_numpy(float)
    np.testing.assert_allclose([c["mean"] for c in doc["columns"]], X.mean(axis=0), rtol=1e-15)
    ok("transform", path, "-s", stats, "-o", z)
    out = pd.read_csv(z, sep=";")
    assert out["c"].tolist() == ["x", "y#z", "w"]
    np.testing.assert_allclose(out[["a", "b"]], StandardScaler().fit_transform(X), rtol=1e-12)


def test_a_hash_in_text_is_no_comment_because_a_bad_row_splits_evenly_when_cut(tmp_path):
    """A comment line above the header, and one row with a separator after a '#' in text:
    read as comments after values, every note lost its text from the '#' on, exit 0. Cutting
    would change rows that split well without it ('ticket #120 done'): the bad row is refused,
    as without the comment line, naming the option that cuts; asked, they are cut."""
    text = "id,x,notes\n1,1.5,ticket #120 done\n2,2.5,ticket #121, follow-up\n3,3.5,call back\n"
    path, stats = tmp_path / "ic.csv", tmp_path / "s.json"
    path.write_text("# exported by tool\n" + text)
    message = normkit_error(1, "fit", path, "-o", stats)
    assert message == (
        f"{path} at data row 2 (line 4): malformed CSV: expected 3 fields, got 4: 2,2.5,ticket #121, "
        "follow-up; if '#' starts a comment after values, cut them (--inline-comments)"
    )
    assert not stats.exists()
    assert "'#' comments (after values too)" in ok("fit", path, "--inline-comments", "-o", stats)
    # A quoted field closed right before a '#' shows comments: they are cut still.
    path.write_text('# exported\nid,x,notes\n1,2.5,"ticket #120" # done\n2,3.5,b # x, y\n3,4,c\n')
    assert "'#' comments (after values too)" in ok("fit", path, "-o", stats)


def test_a_hash_inside_values_is_text_without_comment_lines(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("lang,n\nC#,1\nF#,2\n")
    proc = run_normkit("fit", path, "-o", "-")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["read"]["inline_comments"] is False
    assert doc["columns"][0]["mean"] == 1.5


def test_rows_ending_with_a_separator_under_a_header_without_it(tmp_path):
    text = "c1,c2\n1,2,\n3,4,\n4,9,\n"
    path, stats, z = tmp_path / "t.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text(text)
    assert "passed through: column_3 (no values)" in ok("fit", path, "-o", stats)
    frame = pd.read_csv(io.StringIO(text), index_col=False)  # the empty last field dropped
    X = frame[["c1", "c2"]].to_numpy(float)
    doc = json.loads(stats.read_text())
    np.testing.assert_allclose([c["mean"] for c in doc["columns"]], X.mean(axis=0), rtol=1e-15)
    ok("transform", path, "-s", stats, "-o", z)
    out = pd.read_csv(z)
    assert list(out.columns) == ["c1", "c2", "column_3"]
    assert out["column_3"].isna().all()
    np.testing.assert_allclose(out[["c1", "c2"]], StandardScaler().fit_transform(X), rtol=1e-12)


@pytest.mark.parametrize("how", ["file", "gzip", "stdin", "semicolon", "header_longer"])
def test_rows_ending_with_a_separator_past_the_first_block(tmp_path, how):
    # The first block (64 KiB here, 1 MiB by default) was cut by the header's field count,
    # one short of the rows': inside a good row, which was then refused as cut short. Here
    # too the mirror case: a header ending with a separator the rows lack.
    sep = ";" if how == "semicolon" else ","
    rng = np.random.default_rng(0)
    x, y = rng.random(6_000).tolist(), (np.arange(6_000) % 100).tolist()
    header, end = ("id,x,y,", "") if how == "header_longer" else ("id,x,y", sep)
    text = header.replace(",", sep) + "\n"
    text += "".join(
        f"{i}{sep}{v!r}{sep}{w}{end}\n" for i, (v, w) in enumerate(zip(x, y, strict=True))
    )
    path, stats = tmp_path / "t.csv", tmp_path / "s.json"
    path.write_text(text)
    source, stdin = path, None
    if how == "gzip":
        source = tmp_path / "t.csv.gz"
        source.write_bytes(gzip.compress(text.encode()))
    elif how == "stdin":
        source, stdin = "-", text.encode()
    block = ("--csv-block-size", "64K")
    proc = run_normkit("fit", source, *block, "-o", stats, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(io.StringIO(text), sep=sep, index_col=False)
    assert len(frame) == 6_000
    X = frame[["id", "x", "y"]].to_numpy(float)
    doc = json.loads(stats.read_text())
    assert [c["count"] for c in doc["columns"]] == [6_000] * 3
    np.testing.assert_allclose([c["mean"] for c in doc["columns"]], X.mean(axis=0), rtol=1e-13)
    want = StandardScaler().fit_transform(X)
    for out, more in [("z.csv", ()), ("b.csv", ("--chunk-rows", "100")), ("z.parquet", ())]:
        args = ("-s", stats, *block, *more, "-o", tmp_path / out)
        proc = run_normkit("transform", source, *args, stdin=stdin)
        assert proc.returncode == 0, proc.stderr
        if out.endswith(".csv"):
            z = pd.read_csv(tmp_path / out, sep=sep, index_col=False)
        else:
            z = pd.read_parquet(tmp_path / out)
        names = ["id", "x", "y"] if how == "header_longer" else ["id", "x", "y", "column_4"]
        assert list(z.columns) == names
        assert z[names[3:]].isna().all(axis=None)
        np.testing.assert_allclose(z[["id", "x", "y"]], want, rtol=1e-12, atol=1e-15)


def test_a_title_block_above_rows_ending_with_a_separator(tmp_path):
    text = "Vendor\tX\nStart\t06/02\nEnd\t06/29\nd\tq\tp\n06/19\t1\t9.5\t\n06/14\t2\t3.5\t\n"
    path, stats = tmp_path / "t.tsv", tmp_path / "s.json"
    path.write_text(text)
    assert "3 lines skipped" in ok("fit", path, "-o", stats)
    frame = pd.read_csv(io.StringIO(text), sep="\t", skiprows=3, index_col=False)
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["q", "p"]
    np.testing.assert_allclose(
        [c["mean"] for c in doc["columns"]], frame[["q", "p"]].mean(), rtol=1e-15
    )


def test_a_row_like_comment_past_the_first_lines_is_refused_where_comments_were_detected(
    tmp_path,
):
    # '#' is found to start comments in the file's first lines (a title above the header);
    # far past them, a line starting with it reads as a row of the table.
    rows = [f"{'#x' if i == 20_000 else 'y'},{i}" for i in range(21_000)]
    path, stats = tmp_path / "h.csv", tmp_path / "s.json"
    path.write_text("# exported by tracker\ntag,score\n" + "\n".join(rows) + "\n")
    proc = run_normkit("fit", path, "-o", stats)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"normkit: error: {path}: lines starting with '#' are comments, but line 20,003 "
        "(#x,20000) splits as a row of the table: comment or data?; skip them (--comment '#') "
        "or read them as rows (--comment '')\n"
    )
    assert not stats.exists()
    scores = np.arange(21_000.0)
    for comment, kept in (("#", scores != 20_000), ("", np.ones(21_000, dtype=bool))):
        ok("fit", path, "-o", stats, "--comment", comment)
        doc = json.loads(stats.read_text())
        assert doc["columns"][0]["count"] == kept.sum()
        np.testing.assert_allclose(doc["columns"][0]["mean"], scores[kept].mean(), rtol=1e-15)
        # The comment character given travels with the stat file: transform reads the same.
        z = tmp_path / f"z{comment}.csv"
        ok("transform", path, "-s", stats, "-o", z)
        assert len(pd.read_csv(z)) == kept.sum()


def test_rows_commented_out_or_labels_in_a_column_of_numbers_are_refused(tmp_path):
    # Under a '#' line above the header, "#1".."#3" are rows commented out, or ranks written
    # as labels (a column of text, as without the line above they are read): refused, as
    # "#a" rows beside a column of text are; each option reads one way.
    path, stats = tmp_path / "r.csv", tmp_path / "s.json"
    path.write_text("# exported 2024\nrank,score\n#1,9.5\n#2,8.25\n#3,7.0\n4,6.5\n5,6.0\n")
    proc = run_normkit("fit", path, "-o", stats)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"normkit: error: {path}: lines starting with '#' are comments, but line 3 splits as a "
        "row of the table: comment or data?; skip them (--comment '#') or read them as rows "
        "(--comment '')\n"
    )
    assert not stats.exists()
    assert "fitted 2 columns on 2 rows" in ok("fit", path, "-o", stats, "--comment", "#")
    summary = ok("fit", path, "-o", stats, "--comment", "")
    assert "fitted 1 column on 5 rows" in summary, summary
    assert "passed through: rank (text)" in summary, summary
    doc = json.loads(stats.read_text())
    np.testing.assert_allclose(doc["columns"][0]["mean"], np.mean([9.5, 8.25, 7.0, 6.5, 6.0]))


def test_a_comment_line_in_a_file_of_one_column_leaves_no_empty_row(tmp_path):
    path, stats, z = tmp_path / "c.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_bytes(b"x\r\n1\r\n# note\r\n2\r\n# last\r\n3\r\n")
    assert "on 3 rows" in ok("fit", path, "-o", stats, "--comment", "#")
    ok("transform", path, "-s", stats, "-o", z)
    want = StandardScaler().fit_transform(np.array([[1.0], [2.0], [3.0]]))[:, 0]
    np.testing.assert_allclose(pd.read_csv(z)["x"], want, rtol=1e-15)
    assert z.read_text().count("\n") == 4


def test_row_like_comment_lines_are_told_by_one_rule_wherever_they_are(tmp_path):
    # Quotes are read as in a record, and a blank, a placeholder or a number in a column of
    # numbers makes a row; text there makes a comment. The same near the top (the head's
    # rule) and far down (the reading's).
    def fitted(line: str, at: int) -> int:
        rows = [f'y{i % 7},"n, {i}",{i * 1.5}' for i in range(60_000)]
        rows[at] = line
        path = tmp_path / f"c{at}.csv"
        path.write_text("# exported by tracker\ntag,note,score\n" + "\n".join(rows) + "\n")
        return run_normkit("fit", path, "-o", tmp_path / "s.json").returncode

    # row 10 is in the head (64 KiB); row 50,000 past it, in the second block of reading
    for line in ('#x,"a,b",5', "#x,a,-", "#x,a, ", '#x,a,"7"'):
        assert [fitted(line, at) for at in (10, 50_000)] == [1, 1], line
    for line in ("# a, b, c", "#x,a", "# note"):
        assert [fitted(line, at) for at in (10, 50_000)] == [0, 0], line


def test_a_comment_character_inside_a_quoted_value_is_the_value_s(tmp_path):
    text = 'tag,score,note\n# a comment\na,1,"x\n#y"\nb,2,"z"\n'
    path, stats, z = tmp_path / "q.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text(text)
    assert "on 2 rows" in ok("fit", path, "--comment", "#", "-o", stats)
    ok("transform", path, "-s", stats, "-o", z)
    assert pd.read_csv(z)["note"].tolist() == ["x\n#y", "z"]


def test_row_like_comment_lines_do_not_depend_on_the_columns_chosen(tmp_path):
    rows = [f"r{i},{i},{2 * i}" for i in range(20_000)]
    rows[15_000] = "# note, 5, see docs"  # text in y, a column of numbers: a comment
    rows[16_000] = "# note, 5, 6"  # a row
    path = tmp_path / "c.csv"
    for kept, want in (([0, 15_000], 0), ([16_000], 1)):
        lines = [r for i, r in enumerate(rows) if i not in {15_000, 16_000} or i in kept]
        path.write_text("# export\nname,x,y\n" + "\n".join(lines) + "\n")
        for chosen in ((), ("--columns", "x"), ("--exclude", "y")):
            proc = run_normkit("fit", path, *chosen, "-o", tmp_path / "s.json")
            assert proc.returncode == want, (kept, chosen, proc.stderr)


def test_a_name_with_a_line_break_keeps_messages_and_rows_on_their_lines(tmp_path):
    # A quoted CSV header with a line break in it split the summary line and a drift row.
    data, stats = tmp_path / "nl.csv", tmp_path / "s.json"
    data.write_text('"a\nb",x\n1,2\n2,3\n4,5\n')
    proc = run_normkit("fit", data, "--exclude", "a\nb", "-o", stats)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().count("\n") == 1
    assert 'passed through: "a\\nb" (excluded)' in proc.stderr.decode()
    assert run_normkit("fit", data, "-q", "-o", stats).returncode == 0
    drift = run_normkit("drift", data, "-s", stats).stdout.decode().splitlines()
    assert drift[1].startswith('"a\\nb"  +0.000 sd')
    inspected = run_normkit("inspect", stats).stdout.decode()
    assert '\n"a\\nb"  int64' in inspected


def test_the_column_without_a_name_takes_a_gamma_and_a_threshold(tmp_path):
    # It could be chosen ('--columns ""') but not given a value: '""=2' was 'a value without
    # a column name', exit 2.
    data, stats = tmp_path / "mid.csv", tmp_path / "s.json"
    data.write_text("a,,b\n1,2,3\n2,3,4\n4,5,7\n")
    ok("fit", data, "--gamma", '""=2', "-o", stats)
    gammas = {c["name"]: c.get("gamma", 1.0) for c in json.loads(stats.read_text())["columns"]}
    assert gammas == {"a": 1.0, "": 2.0, "b": 1.0}
    assert run_normkit("drift", data, "-s", stats, "--threshold", '""=0.5').returncode == 0
    proc = run_normkit("fit", data, "--gamma", "=2", "-o", stats)
    assert proc.returncode == 2
    assert "'=2' gives a value without a column name (col=number)" in proc.stderr.decode()


def test_an_output_whose_name_leaves_no_room_for_its_record_says_so(tmp_path):
    # The notice named the options an inverse needs, not why this file kept no record.
    stats = tmp_path / "s.json"
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n2,3\n4,5\n")
    ok("fit", data, "-o", stats)
    out = tmp_path / ("x" * 245 + ".csv")
    proc = run_normkit("transform", data, "-s", stats, "--gamma", "2", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().splitlines()[0] == (
        f"normkit: {out} keeps no record of how it was normalized (its name leaves no room for "
        "the record's beside it): give inverse --gamma 2.0"
    )


@pytest.mark.parametrize("header", [(), ("--header",)])
def test_a_header_ending_with_a_separator_names_the_rows_below_it(tmp_path, header):
    # 'id,temp,rain,' above rows of three: it was refused without --header, and with it skipped
    # as a title (exit 0: columns named 1, 12.5, 0 and the first row lost).
    text = "id,temp,rain,\n1,12.5,0\n2,13.0,1.2\n3,11.25,0.4\n4,10.0,0.8\n"
    path, stats, z = tmp_path / "h.csv", tmp_path / "s.json", tmp_path / "z.csv"
    path.write_text(text)
    ok("fit", path, *header, "-o", stats)
    frame = pd.read_csv(io.StringIO(text), index_col=False).iloc[:, :3]  # pandas' reading
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["id", "temp", "rain"]
    assert [c["count"] for c in doc["columns"]] == [4, 4, 4]
    np.testing.assert_allclose([c["mean"] for c in doc["columns"]], frame.mean(), rtol=1e-15)
    ok("transform", path, "-s", stats, "-o", z)
    out = pd.read_csv(z)
    assert list(out.columns) == ["id", "temp", "rain"]
    want = StandardScaler().fit_transform(frame.to_numpy(float))
    np.testing.assert_allclose(out.to_numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("header", [(), ("--header",)])
@pytest.mark.parametrize(
    ("text", "edited"),
    [
        # R's write.table: a header without a name for the rows' names.
        ('"x","y","z"\n"1",1.5,2,3\n"2",2.5,3,4\n"3",3.5,1,2\n', '"","x","y","z"'),
        ("id,v\n1,1,5\n2,2,5\n3,4,0\n", "row,id,v"),
        # A line of one field above rows of three: a title, or a header that does not fit?
        ("Report on things\n1,1.5,2\n2,2.5,3\n3,4,5\n", "a,b,c"),
    ],
)
def test_a_first_line_that_does_not_fit_the_rows_is_refused_with_hints_that_read_it(
    tmp_path, header, text, edited
):
    # With --header it was skipped as a title (exit 0, the first row taken for the names);
    # without, the hint '--skip-rows 0' failed ("expected 4 fields, got 3").
    path, stats = tmp_path / "r.csv", tmp_path / "s.json"
    path.write_text(text)
    message = normkit_error(1, "fit", path, *header, "-o", stats)
    assert "the first line does not split as the rest" in message, message
    assert "--skip-rows 0" not in message
    assert message.endswith("skip it (--skip-rows 1 --no-header)"), message
    assert not stats.exists()
    # Each hint followed: the lines skipped and no header, or the header edited to fit.
    ok("fit", path, "--skip-rows", "1", "--no-header", "-o", stats)
    assert len(json.loads(stats.read_text())["columns"]) == len(text.splitlines()[1].split(","))
    path.write_text(edited + text[text.index("\n") :])
    ok("fit", path, *header, "-o", stats)
    names = [c["name"] for c in json.loads(stats.read_text())["columns"]]
    assert names == next(csv.reader([edited]))[-len(names) :]


def test_a_header_given_still_skips_a_title_above_a_table_that_starts_with_its_header(tmp_path):
    path, stats = tmp_path / "t.csv", tmp_path / "s.json"
    path.write_text("Sales report\n\na,b\n1,2\n3,4\n5,7\n")
    assert "read as 2 lines skipped" in ok("fit", path, "--header", "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["a", "b"]


def test_the_first_columns_without_a_name_are_a_row_index_as_pandas_writes_a_multiindex(tmp_path):
    # ',,a' (pandas' to_csv of a frame with an unnamed two-level index): the levels were
    # fitted as features, where ',a' passed its one unnamed column through as the README says.
    frame = pd.DataFrame(
        {"a": [3.0, 4.0, 7.0, 1.5]},
        index=pd.MultiIndex.from_tuples([(0, 2), (1, 5), (2, 9), (3, 1)]),
    )
    path, stats, z = tmp_path / "m.csv", tmp_path / "s.json", tmp_path / "z.csv"
    frame.to_csv(path)
    assert path.read_text().startswith(",,a\n")
    assert 'passed through: "" (row index), _1 (row index)' in ok("fit", path, "-o", stats)
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["a"]
    ok("transform", path, "-s", stats, "-o", z)
    out = pd.read_csv(z, index_col=[0, 1])
    assert out.index.tolist() == frame.index.tolist()
    want = StandardScaler().fit_transform(frame.to_numpy())
    np.testing.assert_allclose(out.to_numpy(), want, rtol=1e-12)
    # A header of no name names no index: every column is fitted.
    path.write_text(",,\n0,2,3\n1,5,4\n2,9,7\n")
    ok("fit", path, "-o", stats)
    assert [c["name"] for c in json.loads(stats.read_text())["columns"]] == ["", "_1", "_2"]


@pytest.mark.parametrize("load", ["load_digits", "load_iris", "load_linnerud"])
def test_pandas_labels_of_numbered_columns_are_the_header_of_an_array_written_by_pandas(
    tmp_path, load
):
    # DataFrame(X).to_csv(index=False) heads X with 0, 1, ..., n-1: refused as "integers (0, 1,
    # 2, 3, 4) count up" or "integers above columns of decimals", where pandas, Polars and DuckDB
    # read them as the header.
    from sklearn import datasets

    x = getattr(datasets, load)().data
    path, stats = tmp_path / "x.csv", tmp_path / "s.json"
    pd.DataFrame(x).to_csv(path, index=False)
    ok("fit", path, "-o", stats)
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == [str(j) for j in range(x.shape[1])]
    assert {c["count"] for c in doc["columns"]} == {len(x)}
    np.testing.assert_allclose([c["mean"] for c in doc["columns"]], x.mean(axis=0), rtol=1e-13)


@pytest.mark.parametrize(
    "text",
    [
        # Rows that count up as the first does (np.arange(30).reshape(10, 3)): data.
        "".join(f"{3 * i},{3 * i + 1},{3 * i + 2}\n" for i in range(10)),
        # Few rows below: beyond their values by chance.
        "1,2,3,4,5\n2,3,1,5,4\n5,5,5,1,1\n3,3,3,3,3\n",
    ],
)
def test_a_first_row_counting_up_that_may_be_data_is_still_refused(tmp_path, text):
    path = tmp_path / "x.csv"
    path.write_text(text)
    message = normkit_error(1, "fit", path, "-o", tmp_path / "s.json")
    assert "whether the first row is a header cannot be told" in message, message


def test_a_first_row_counting_up_above_an_index_counting_on_from_it_is_data(tmp_path):
    # to_csv(header=False) with its index: 0,1,2 above 1,.. and 2,..: the first row of data.
    path, stats = tmp_path / "x.csv", tmp_path / "s.json"
    path.write_text(
        "0,1,2\n" + "".join(f"{i},{i * 7 % 5 + 10},{i % 3 + 20}\n" for i in range(1, 12))
    )
    assert "no header" in ok("fit", path, "-o", stats)
    assert json.loads(stats.read_text())["columns"][0]["count"] == 12


def test_a_carriage_return_alone_inside_a_field_is_named(tmp_path):
    """A CR alone inside an unquoted field of a CRLF file ends the record there: 'expected 3
    fields, got 2: 2,a' showed nothing of why (a CR is invisible); the message says so, near
    the start of the file and far down it."""
    rows = [f"{i},t{i},{i}.5" for i in range(9000)]
    for at in (1, 8000):
        bad = rows.copy()
        bad[at] = f"{at},a\rb,{at}.5"
        path = tmp_path / "cr.csv"
        path.write_bytes("\r\n".join(["id,t,x", *bad, ""]).encode())
        message = normkit_error(1, "fit", path, "-o", tmp_path / "s.json")
        assert message == (
            f"{path} at data row {at + 1:,} (line {at + 2:,}): malformed CSV: expected 3 fields, "
            f"got 2: {at},a; a carriage return (CR) alone, invisible, ended the record after "
            f"'{at},a': remove it from the field, or quote the field"
        )
    # A record short of a field without a CR: no such words.
    path.write_bytes(b"id,t,x\r\n1,a,1\r\n2,a\r\n3,c,3\r\n")
    assert "(CR)" not in normkit_error(1, "fit", path, "-o", tmp_path / "s.json")
