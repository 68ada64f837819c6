"""Options that would do nothing to the inputs at hand are refused (exit 2, one line naming the
option and why), never silently ignored: CSV reading options where no input is CSV. The real
command, on real files."""

from __future__ import annotations

import json

import pandas as pd
from conftest import SAMPLE_PARQUET, normkit_error, normkit_summary, run_normkit


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
