"""Files joined or cut by shell tools, and numbers written for people, told as such: a second
header line, a header cut off, a separator the fit did not use, a currency sign."""

from __future__ import annotations

from conftest import normkit_error, run_normkit


def test_files_joined_with_cat_say_the_second_header_line(tmp_path):
    (tmp_path / "a.csv").write_text("x,y,id\n1,2,7\n3,4,8\n")
    (tmp_path / "b.csv").write_text("x,y,id\n5,6,9\n7,8,10\n")
    joined = (tmp_path / "a.csv").read_bytes() + (tmp_path / "b.csv").read_bytes()
    (tmp_path / "ab.csv").write_bytes(joined)
    stats = tmp_path / "s.json"
    assert run_normkit("fit", tmp_path / "a.csv", "--exclude", "id", "-o", stats).returncode == 0
    for args in (("fit", tmp_path / "ab.csv"), ("transform", tmp_path / "ab.csv", "-s", stats)):
        line = normkit_error(1, *args, no_output=True)
        assert "at data row 3: " in line
        assert "it looks like a second header line (files joined with cat?" in line
        assert "tail -n +2" in line
        assert "--null-values" not in line
    # The same from a pipe.
    proc = run_normkit("transform", "-", "-s", stats, stdin=joined)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert b"second header line" in proc.stderr
    # In a column passed through, typed by its first rows, the same.
    rows = "1,2,7\n" * 200_000  # past the first block, which types the column
    (tmp_path / "d.csv").write_text(f"x,y,id\n{rows}5,6,id\n")
    out = tmp_path / "d.parquet"
    line = normkit_error(1, "transform", tmp_path / "d.csv", "-s", stats, "-o", out)
    assert "column 'id' at data row 200,001: 'id' is not int64" in line
    assert "it looks like a second header line" in line
    # A word that is not its column's name: no header line.
    (tmp_path / "c.csv").write_text("x,y,id\n1,2,7\n3,4,8\nxx,5,9\n")
    line = normkit_error(1, "transform", tmp_path / "c.csv", "-s", stats, no_output=True)
    assert "column 'x' at data row 3: 'xx'" in line
    assert "second header line" not in line


def test_a_header_cut_off_says_its_first_line_reads_as_data(tmp_path):
    (tmp_path / "fit.csv").write_text("x,y\n1,2\n3,4\n5,6\n")
    (tmp_path / "cut.csv").write_text("1,2\n3,4\n5,6\n")
    stats = tmp_path / "s.json"
    assert run_normkit("fit", tmp_path / "fit.csv", "-o", stats).returncode == 0
    line = normkit_error(1, "transform", tmp_path / "cut.csv", "-s", stats, no_output=True)
    assert "the stat file has columns 'x', 'y' but the input has none of them" in line
    assert "its first line (1,2) reads as data, not names: was its header cut off" in line
    # Names that are words, not numbers: no such hint.
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    line = normkit_error(1, "transform", tmp_path / "other.csv", "-s", stats, no_output=True)
    assert "reads as data" not in line


def test_a_fit_without_header_names_the_separator_that_splits_the_input(tmp_path):
    (tmp_path / "fit.csv").write_text("1,2\n3,4\n5,6\n")
    (tmp_path / "piped.csv").write_text("7|8\n9|10\n")
    stats = tmp_path / "s.json"
    assert run_normkit("fit", tmp_path / "fit.csv", "--no-header", "-o", stats).returncode == 0
    line = normkit_error(1, "transform", tmp_path / "piped.csv", "-s", stats, no_output=True)
    assert "the stat file's fit had 2 columns without names" in line
    assert "'|' would split it into 2: give the separator (--delimiter '|')" in line


def test_a_number_with_a_currency_sign_is_told_so(tmp_path):
    (tmp_path / "fit.csv").write_text("price,n\n1.25,1\n2.5,2\n3,3\n")
    (tmp_path / "new.csv").write_text("price,n\n1.25,1\n$1.50,2\n")
    (tmp_path / "grouped.csv").write_text('price,n\n1.25,1\n"$1,250.00",2\n')
    stats = tmp_path / "s.json"
    assert run_normkit("fit", tmp_path / "fit.csv", "-o", stats).returncode == 0
    line = normkit_error(1, "transform", tmp_path / "new.csv", "-s", stats, no_output=True)
    assert "'$1.50' is not a number; it is a number with a currency sign" in line
    assert "normkit reads plain numbers" in line
    assert "--null-values" not in line
    line = normkit_error(1, "transform", tmp_path / "grouped.csv", "-s", stats, no_output=True)
    assert "without thousands separators" in line
