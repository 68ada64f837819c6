"""Files of a set whose columns differ because of how one was read: another separator than the
one the set is read with (given or recorded for every file, or detected in each), or no header
beside files with one. The refusal names the file and says so, with the single file's hints,
worded for a set. Real files, the real command as a process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import assert_one_line_error, normkit_summary, run_normkit


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(7)
    n = 200
    frame = pd.DataFrame(
        {
            "id": range(1000, 1000 + n),
            "age": rng.integers(18, 90, n),
            "income": rng.normal(40000, 9000, n).round(2),
            "city": rng.choice(["Porto", "Lisbon"], n),
            "score": rng.normal(size=n),
        }
    )
    comma, semicolon, headless = (tmp_path / name for name in ("a.csv", "b.csv", "c.csv"))
    frame.to_csv(comma, index=False)
    frame.to_csv(semicolon, index=False, sep=";")
    frame.to_csv(headless, index=False, header=False)
    return comma, semicolon, headless


def _refusal(*args) -> str:
    done = run_normkit(*args)
    return assert_one_line_error(done.returncode, done.stderr.decode(), "normkit: error: ")


def test_a_file_of_another_separator_beside_the_stat_files(files, tmp_path):
    comma, semicolon, _ = files
    stats = tmp_path / "s.json"
    normkit_summary("fit", comma, "--exclude", "id", "-o", stats)
    told = (
        f"normkit: error: {semicolon}: columns differ from {comma}: it lacks column 'id'; "
        f"{semicolon} reads as one column with ',' (the stat file's, for every file), but ';' "
        "would split it into 5: read it on its own (--delimiter ';') or write it with ','"
    )
    assert _refusal("transform", comma, semicolon, "-s", stats, "-o", tmp_path / "x.csv") == told
    assert _refusal("drift", comma, semicolon, "-s", stats) == told


def test_a_file_of_another_separator_than_the_one_given(files, tmp_path):
    comma, semicolon, _ = files
    assert _refusal("fit", semicolon, comma, "--delimiter", ";", "-o", tmp_path / "s.json") == (
        f"normkit: error: {comma}: columns differ from {semicolon}: it lacks column 'id'; "
        f"{comma} reads as one column with ';' (given for every file; left out, each file's "
        "own is detected), but ',' would split it into 5: read it on its own (--delimiter ,) or "
        "write it with ';'"
    )
    # Detected in each file, the separators may differ.
    normkit_summary("fit", semicolon, comma, "--exclude", "id", "-o", tmp_path / "s.json")


@pytest.mark.parametrize("headless_first", [False, True])
def test_a_file_without_a_header_beside_one_with(files, tmp_path, headless_first):
    comma, _, headless = files
    first, other = (headless, comma) if headless_first else (comma, headless)
    lacked = "column_1" if headless_first else "id"
    assert _refusal("fit", first, other, "--exclude", "id", "-o", tmp_path / "s.json") == (
        f"normkit: error: {other}: columns differ from {first}: it lacks column '{lacked}'; "
        f"{headless} was read without a header (detected in each file: none in it; its "
        f"columns are column_1, column_2...), {comma} with one: if the first row names the "
        "columns, read it as a header (--header)"
    )
