"""Options that would do nothing to the inputs and output at hand are refused (exit 2, one line
naming the option and why), never silently ignored: CSV reading options where no input is CSV
(in every command; those that also shape a CSV output are kept for one), --keep-text where no
Parquet or Arrow output gets a CSV's columns, and --assume-normalized for inputs that record
how they were made. The real command, on real files."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE_CSV, SAMPLE_PARQUET, normkit_error, normkit_summary, run_normkit

#: Options only for reading CSV: nothing to a Parquet input, whatever the output.
READ_ONLY = [
    (["--skip-rows", "2"], "--skip-rows 2"),
    (["--escape", "\\"], "--escape '\\'"),
    (["--inline-comments"], "--inline-comments"),
    (["--no-inline-comments"], "--no-inline-comments"),
    (["--csv-block-size", "4M"], "--csv-block-size 4M"),
]
#: Options that also say how a CSV output is written (from a Parquet input too).
WRITING = [
    (["--delimiter", ";"], "--delimiter ';'"),
    (["--no-header"], "--no-header"),
    (["--comment", "%"], "--comment %"),
    (["--quote", "'"], '--quote "\'"'),
    (["--encoding", "latin-1"], "--encoding latin-1"),
    (["--decimal", ","], "--decimal ,"),
]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A stat file of the sample data, and the sample's Parquet file transformed with it (which
    records how it was made)."""
    where = tmp_path_factory.mktemp("made")
    stats, z = where / "s.json", where / "z.parquet"
    normkit_summary("fit", SAMPLE_CSV, "--exclude", "id", "-o", stats)
    normkit_summary("transform", SAMPLE_PARQUET, "-s", stats, "-o", z)
    return stats, z


def _not_csv(flag: str, path) -> str:
    return f"{flag} says how CSV is read, and no input is CSV ({path} is parquet); leave it out"


def test_inline_comments_given_to_a_parquet_fit_no_longer_cut_a_later_csv(tmp_path):
    # The fit recorded them ("inline_comments": true, given), and a later CSV's text was cut at
    # '#': "Apt #5" came out as "Apt", exit 0.
    parquet = tmp_path / "ic.parquet"
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "note": ["Apt #5", "x", "y"]}).to_parquet(parquet)
    stats = tmp_path / "s.json"
    line = normkit_error(2, "fit", parquet, "--inline-comments", "-o", stats)
    assert line == _not_csv("--inline-comments", parquet)
    assert not stats.exists()
    normkit_summary("fit", parquet, "-o", stats)
    new, out = tmp_path / "new.csv", tmp_path / "new_z.csv"
    new.write_text("a,note\n1,Apt #5\n2,room #2\n3,y\n")
    normkit_summary("transform", new, "-s", stats, "-o", out)
    assert pd.read_csv(out)["note"].tolist() == ["Apt #5", "room #2", "y"]


def test_inspect_shows_csv_options_a_parquet_fit_recorded(tmp_path):
    # A stat file of an older normkit, whose Parquet fit took --inline-comments and
    # --csv-block-size: inspect said 'no CSV dialect (a later CSV's is detected)', while later
    # CSVs were read with both.
    stats = tmp_path / "s.json"
    normkit_summary("fit", SAMPLE_PARQUET, "--exclude", "id", "-o", stats)
    document = json.loads(stats.read_text())
    document["read"].update(inline_comments=True, given=["inline_comments"], block_size=4 << 20)
    stats.write_text(json.dumps(document))
    proc = run_normkit("inspect", stats)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    read = next(i for i, line in enumerate(lines) if line.startswith("read "))
    assert lines[read] == (
        "read       no CSV dialect (a later CSV's is detected, but what was given), decimal '.'"
    )
    assert lines[read + 2] == (
        "           given: comments after values, block size 4M (later jobs read with them)"
    )


@pytest.mark.parametrize(("args", "flag"), READ_ONLY + WRITING)
@pytest.mark.parametrize("command", ["transform", "inverse"])
def test_csv_options_for_a_parquet_input_and_output_are_refused(
    tmp_path, made, command, args, flag
):
    # transform and inverse exited 0 with every one of them, as fit refuses them.
    stats, z = made
    given = SAMPLE_PARQUET if command == "transform" else z
    out = tmp_path / "out.parquet"
    line = normkit_error(2, command, given, "-s", stats, "-o", out, *args)
    assert line == _not_csv(flag, given)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "flag"), READ_ONLY)
@pytest.mark.parametrize("command", ["transform", "inverse"])
def test_read_only_csv_options_are_refused_for_a_csv_output_too(
    tmp_path, made, command, args, flag
):
    stats, z = made
    given = SAMPLE_PARQUET if command == "transform" else z
    out = tmp_path / "out.csv"
    assert normkit_error(2, command, given, "-s", stats, "-o", out, *args) == _not_csv(flag, given)
    assert list(tmp_path.iterdir()) == []


def test_the_options_of_the_brief_inverse_together(tmp_path, made):
    # 'inverse y1.parquet -s s.json --skip-rows 3 --quote "'" -o inv.parquet' exited 0.
    stats, z = made
    out = tmp_path / "inv.parquet"
    line = normkit_error(
        2, "inverse", z, "-s", stats, "--skip-rows", "3", "--quote", "'", "-o", out
    )
    assert line == _not_csv("--skip-rows 3", z)


def test_options_that_shape_a_csv_output_are_taken_from_a_parquet_input(tmp_path, made):
    stats, z = made
    out = tmp_path / "z.csv"
    normkit_summary(
        "transform", SAMPLE_PARQUET, "-s", stats, "-o", out, "--delimiter", ";", "--decimal", ","
    )
    header, first = out.read_text().splitlines()[:2]
    assert header.startswith("id;city;age;")
    assert first.startswith("1;Oslo;")
    assert "," in first  # decimal commas
    back = tmp_path / "x.csv"
    normkit_summary("inverse", z, "-s", stats, "-o", back, "--no-header")
    assert back.read_text().startswith("1,Oslo,75,59950.72,")


@pytest.mark.parametrize("command", ["transform", "inverse"])
def test_keep_text_with_a_csv_output_is_refused(tmp_path, made, command):
    # Exit 0, nothing kept: a CSV output holds text whatever the flag.
    stats, _ = made
    given = SAMPLE_CSV
    if command == "inverse":
        given = tmp_path / "z.csv"
        normkit_summary("transform", SAMPLE_CSV, "-s", stats, "-o", given)
    out = tmp_path / "out.csv"
    line = normkit_error(2, command, given, "-s", stats, "-o", out, "--keep-text")
    assert line == (
        "--keep-text keeps the columns a CSV passes through as text in a Parquet or Arrow "
        "output, and the output is CSV, which holds them as text; leave it out"
    )
    assert not out.exists()


@pytest.mark.parametrize("command", ["transform", "inverse"])
def test_keep_text_with_a_parquet_input_is_refused(tmp_path, made, command):
    stats, z = made
    given = SAMPLE_PARQUET if command == "transform" else z
    out = tmp_path / "out.parquet"
    line = normkit_error(2, command, given, "-s", stats, "-o", out, "--keep-text")
    assert line == (
        "--keep-text keeps the columns a CSV passes through as text, and no input is CSV "
        f"({given} is parquet, whose columns have their types); leave it out"
    )
    assert not out.exists()


def test_keep_text_from_csv_to_parquet_still_keeps_text(tmp_path, made):
    stats, _ = made
    out = tmp_path / "z.parquet"
    normkit_summary("transform", SAMPLE_CSV, "-s", stats, "-o", out, "--keep-text")
    assert str(pq.read_schema(out).field("active").type) == "string"


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_assume_normalized_for_an_input_with_a_record_is_refused(tmp_path, made, suffix):
    # Exit 0: an input that records how it was made is inverted as recorded, never judged by
    # its look, which is all --assume-normalized overrules.
    stats, z = made
    if suffix == "csv":
        z = tmp_path / "z.csv"
        normkit_summary("transform", SAMPLE_CSV, "-s", stats, "-o", z)
    out = tmp_path / "x.parquet"
    line = normkit_error(2, "inverse", z, "-s", stats, "-o", out, "--assume-normalized")
    assert line == (
        "--assume-normalized inverts an input that keeps no record of how it was made, "
        f"whatever it looks like, and {z} keeps one (it is inverted as it records); leave it out"
    )
    assert not out.exists()
