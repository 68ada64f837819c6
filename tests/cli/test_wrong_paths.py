"""Paths that cannot be what a command needs (missing files, directories given as files, empty
or unreadable files, outputs where they cannot go): one line naming the path, the same exit code
in every command, nothing written; the real command."""

from __future__ import annotations

import os

import pytest
from conftest import ERROR, SAMPLE_CSV, normkit_error, normkit_summary, run_normkit

#: Every command that reads a stat file (or a model's state), with it at {stats}.
READS_STATS = {
    "transform": ["transform", SAMPLE_CSV, "-s", "{stats}", "-o", "{out}/z.csv"],
    "inverse": ["inverse", SAMPLE_CSV, "-s", "{stats}", "-o", "{out}/x.csv"],
    "drift": ["drift", SAMPLE_CSV, "-s", "{stats}"],
    "report": ["report", SAMPLE_CSV, "-s", "{stats}", "--png", "{out}/png"],
    "export": ["export", "-s", "{stats}", "--to", "numpy", "-o", "{out}/s.npz"],
    "inspect": ["inspect", "{stats}"],
    "merge-stats": ["merge-stats", "{stats}", "-o", "{out}/m.json"],
    "import-torch": ["import-torch", "{stats}", "-o", "{out}/s.json"],
}


@pytest.mark.parametrize("command", READS_STATS)
@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_a_stat_file_that_is_missing_or_a_directory_is_the_same_error_everywhere(
    tmp_path, command, kind
):
    # A directory was a usage error (exit 2, from click) in some commands and a stat-file
    # problem (exit 1) in merge-stats; a missing file was exit 1 everywhere.
    stats = tmp_path / "stats.json"
    if kind == "directory":
        stats.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    args = [str(a).format(stats=stats, out=out) for a in READS_STATS[command]]
    line = normkit_error(1, *args)
    assert line.startswith(f"{stats}: "), line
    assert ("is a directory" if kind == "directory" else "no such") in line, line
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--no-header"], "--no-header"),
        (["--delimiter", ";"], "--delimiter ';'"),
        (["--decimal", ","], "--decimal ,"),
        (["--encoding", "latin-1"], "--encoding latin-1"),
        # Accepted, and recorded by fit: a later CSV's text fields were cut at '#' ("Apt #5"
        # read as "Apt"), exit 0.
        (["--inline-comments"], "--inline-comments"),
        (["--no-inline-comments"], "--no-inline-comments"),
        (["--csv-block-size", "4M"], "--csv-block-size 4M"),
        (["--csv-block-size", "1048576"], "--csv-block-size 1M"),
    ],
)
@pytest.mark.parametrize("command", ["fit", "drift", "report"])
def test_csv_options_for_inputs_that_are_not_csv_are_refused(tmp_path, command, args, flag):
    # A fit recorded them (its summary said 'read as no header'), and later CSV inputs were
    # read with them: 'the input has none of the columns', or ',' both separating and decimal.
    stats = tmp_path / "stats.json"
    assert run_normkit("fit", SAMPLE_CSV, "-q", "-o", stats).returncode == 0
    parquet = SAMPLE_CSV.with_suffix(".parquet")
    extra = {"fit": ["-o", tmp_path / "s.json"], "report": ["-s", stats, "-o", tmp_path / "r.html"]}
    line = normkit_error(2, command, parquet, *extra.get(command, ["-s", stats]), *args)
    assert line == (
        f"{flag} says how CSV is read, and no input is CSV ({parquet} is parquet); leave it out"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.json"]


def test_csv_options_apply_where_some_input_is_csv(tmp_path):
    parquet = SAMPLE_CSV.with_suffix(".parquet")
    proc = run_normkit("fit", parquet, SAMPLE_CSV, "--delimiter", ",", "-q", "-o", "-")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("command", READS_STATS)
def test_a_stat_file_from_standard_input_is_refused_in_one_line(tmp_path, command):
    # '-' was taken for a file of that name: '-: no such stat file', while the fit that wrote
    # it to standard output (-o -) said nothing was wrong.
    out = tmp_path / "out"
    out.mkdir()
    args = [str(a).format(stats="-", out=out) for a in READS_STATS[command]]
    proc = run_normkit(*args, stdin=(tmp_path / "none").as_posix().encode())
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    what = "state dict" if command == "import-torch" else "stat file"
    assert stderr == (
        f"{ERROR}a {what} is read from a file, not from standard input ('-'); save it to a "
        "file and give its path\n"
    )
    assert list(out.iterdir()) == []


def test_an_output_under_a_file_or_named_as_a_directory_says_so(tmp_path):
    # "the directory x.csv does not exist" (it does: a file), and "cannot tell the format from
    # the extension '(none)'" for a path ending in a slash.
    stats = tmp_path / "s.json"
    assert run_normkit("fit", SAMPLE_CSV, "-q", "-o", stats).returncode == 0
    under = tmp_path / "s.json" / "z.csv"
    line = normkit_error(1, "transform", SAMPLE_CSV, "-s", stats, "-o", under)
    assert line == f"{under}: {stats} is a file, not a directory"
    line = normkit_error(1, "transform", SAMPLE_CSV, "-s", stats, "-o", tmp_path)
    assert line == f"{tmp_path}: is a directory; give a file path"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


@pytest.mark.parametrize(
    "args",
    [
        ["transform", SAMPLE_CSV, "-s", "{stats}", "-o", "{new}/"],
        ["transform", SAMPLE_CSV, "-s", "{stats}", "--output-format", "csv", "-o", "{new}/"],
        ["fit", SAMPLE_CSV, "-o", "{new}/"],
        ["export", "-s", "{stats}", "--to", "onnx", "-o", "{new}/"],
    ],
    ids=["transform", "transform-format", "fit", "export"],
)
def test_an_output_ending_in_a_slash_is_named_as_a_directory(tmp_path, args):
    # "cannot tell the format from the extension '(none)'" (transform), and with the format
    # named, a write that failed on a path nobody can create as a file.
    stats = tmp_path / "s.json"
    assert run_normkit("fit", SAMPLE_CSV, "-q", "-o", stats).returncode == 0
    new = tmp_path / "new"
    line = normkit_error(1, *(str(a).format(stats=stats, new=new) for a in args))
    assert line == f"{new}/: ends in '/', as a directory does; give a file path"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]


def test_a_device_as_the_output_is_written_as_csv(tmp_path):
    # '-o /dev/null' (a run for its checks alone) was told the extension '(none)' names no
    # format; a device is written as standard output is, in CSV, with no record beside it.
    stats = tmp_path / "s.json"
    assert run_normkit("fit", SAMPLE_CSV, "-q", "-o", stats).returncode == 0
    done = run_normkit("transform", SAMPLE_CSV, "-s", stats, "-o", "/dev/null")
    assert done.returncode == 0, done.stderr
    assert b"to /dev/null (csv)" in done.stderr
    assert not os.path.exists("/dev/.null.normkit.json")


def test_a_summary_names_a_path_with_a_line_break_on_its_one_line(tmp_path):
    # 'stat file: s' then 't.json' on a line of its own; errors were already one line.
    data, stats, out = tmp_path / "d.csv", tmp_path / "s\nt.json", tmp_path / "o\nu.csv"
    data.write_text("a\n1\n2\n4\n")
    for args, said in (
        (("fit", data, "-o", stats), f"stat file: {tmp_path}/s\\nt.json"),
        (("transform", data, "-s", stats, "-o", out), f"to {tmp_path}/o\\nu.csv (csv)"),
    ):
        summary = normkit_summary(*args)
        assert summary.count("\n") == 1, summary
        assert said in summary, summary
