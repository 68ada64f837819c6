"""A CSV column's type decided from as many rows whether the file has three columns or
thousands: the first block (1 MiB) of a wide file holds a dozen rows, and the types are decided
from about 1,024 (up to 128 MiB); past those, a word refused in a column typed as numbers names
the block size whose first block holds its row. Real files, the real command as a process."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
from conftest import assert_one_line_error, normkit_summary, run_normkit


def _tickets(n: int, rng: np.random.Generator) -> list[str]:
    """Ticket numbers, about a third of them codes (``PC 17599``) after the first 40 rows."""
    numbers = [str(rng.integers(100000, 999999)) for _ in range(n)]
    codes = [f"PC {rng.integers(1000, 99999)}" for _ in range(n)]
    return [
        c if i >= 40 and rng.random() < 0.3 else v
        for i, (v, c) in enumerate(zip(numbers, codes, strict=True))
    ]


def test_a_column_is_typed_alike_beside_three_or_thousands_of_columns(tmp_path):
    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame({"id": range(n), "ticket": _tickets(n, rng), "x": rng.normal(size=n)})
    narrow, wide = tmp_path / "narrow.csv", tmp_path / "wide.csv"
    frame.to_csv(narrow, index=False)
    padding = pd.DataFrame(rng.normal(size=(n, 2000)), columns=[f"w{i}" for i in range(2000)])
    pd.concat([frame, padding], axis=1).to_csv(wide, index=False)
    assert wide.stat().st_size / n * 40 > 1 << 20  # the first block holds no code
    for path in (narrow, wide):
        stat_file = tmp_path / f"{path.stem}.json"
        summary = normkit_summary("fit", path, "--exclude", "id", "-o", stat_file)
        assert "ticket (text)" in summary, summary
        passed = json.loads(stat_file.read_text())["passthrough"]
        assert {"name": "ticket", "dtype": "string", "why": "text"} in passed
    # From standard input (its start kept to be read again) as from the file.
    done = run_normkit(
        "fit", "-", "--exclude", "id", "-o", tmp_path / "p.json", stdin=wide.read_bytes()
    )
    assert done.returncode == 0, done.stderr
    assert b"ticket (text)" in done.stderr


def test_a_word_past_the_rows_typed_names_the_block_size_that_types_it(tmp_path):
    """Rows of 256 KiB: 128 MiB hold 511 of them, which type ``x`` as numbers; its words from
    row 520 on are refused, naming a block size whose first block holds that row. Read so, the
    column's words there make it text."""
    pad = "p" * (256 << 10)
    path = tmp_path / "long_rows.csv"
    with path.open("w") as out:
        out.write("x,y,pad\n")
        for row in range(1, 601):
            out.write(f"{f'w{row % 37}' if row >= 520 else row},{row % 7},{pad}\n")
    done = run_normkit("fit", path, "-o", tmp_path / "s.json")
    line = assert_one_line_error(
        done.returncode,
        done.stderr.decode(),
        f"normkit: error: {path}: column 'x' at data row 520: 'w2' is not a number; ",
    )
    found = re.search(
        r"if the column holds text, decide its type from more rows than the first 511 "
        r"\(128 MiB\), up to row 520 \(--csv-block-size (\d+)M\) or exclude the column",
        line,
    )
    assert found, line
    summary = normkit_summary(
        "fit", path, "--csv-block-size", f"{found[1]}M", "-o", tmp_path / "s.json"
    )
    assert "x (text)" in summary, summary
