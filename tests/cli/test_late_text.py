"""A CSV column empty throughout its first block and holding words later is text, typed by its
first value, as if the words had stood in the first block (see :mod:`normkit.jobs.late_text`):
a fit refused it, naming a word as no number."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, run_normkit

ROWS, WORDS_FROM = 60_000, 50_000
BLOCK = ["--csv-block-size", "64K"]  # the words some chunks after the first block


@pytest.fixture(scope="module")
def noted(tmp_path_factory):
    """A CSV whose 'note' is empty but for words in its last rows."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"id": np.arange(ROWS), "x": rng.normal(5, 2, ROWS).round(4), "note": None}
    )
    frame.loc[WORDS_FROM:, "note"] = rng.choice(["checked", "re-test", "ok"], ROWS - WORDS_FROM)
    path = tmp_path_factory.mktemp("late") / "note.csv"
    frame.to_csv(path, index=False)
    return path


def fit(tmp_path, source, *args, stdin: bytes | None = None) -> dict:
    stats = tmp_path / f"{len(list(tmp_path.iterdir()))}.json"
    proc = run_normkit("fit", source, "--exclude", "id", *args, "-o", stats, stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(stats.read_text())


def without_origin(stats: dict) -> dict:
    stats = {k: v for k, v in stats.items() if k != "provenance"}
    stats["read"] = {k: v for k, v in stats["read"].items() if k != "block_size"}
    return stats


def test_words_after_empty_rows_make_the_column_text(tmp_path, noted):
    late = fit(tmp_path, noted, *BLOCK)
    # The same file read with a block that holds the words: text by its first block.
    first = fit(tmp_path, noted, "--csv-block-size", "4M")
    assert late["passthrough"] == [
        {"name": "id", "dtype": "int64", "why": "excluded"},
        {"name": "note", "dtype": "string", "why": "text"},
    ]
    (counts,) = late["categories"]
    assert counts["missing"] == WORDS_FROM
    assert sum(counts["counts"].values()) == ROWS - WORDS_FROM
    late, first = without_origin(late), without_origin(first)
    (x_late,), (x_first,) = late.pop("columns"), first.pop("columns")
    assert late == first
    for key in ("mean", "var", "m2"):  # chunked otherwise: the last bits
        assert x_late[key] == pytest.approx(x_first[key], rel=1e-12)


def test_standard_input_and_gzip_as_the_file(tmp_path, noted):
    from_file = without_origin(fit(tmp_path, noted, *BLOCK))
    data = noted.read_bytes()
    assert without_origin(fit(tmp_path, "-", *BLOCK, stdin=data)) == from_file
    packed = tmp_path / "note.csv.gz"
    packed.write_bytes(gzip.compress(data))
    assert without_origin(fit(tmp_path, packed, *BLOCK)) == from_file


def test_transform_passes_it_through_as_text(tmp_path, noted):
    stats = tmp_path / "s.json"
    assert run_normkit("fit", noted, "--exclude", "id", "-o", stats).returncode == 0
    out = tmp_path / "z.parquet"
    proc = run_normkit("transform", "-", "-s", stats, "-o", out, stdin=noted.read_bytes())
    assert proc.returncode == 0, proc.stderr.decode()
    note = pq.read_table(out).column("note")
    assert str(note.type) == "string"
    assert note.to_pylist() == pd.read_csv(noted)["note"].replace({np.nan: None}).tolist()


@pytest.mark.parametrize("number_at", [WORDS_FROM - 30_000, WORDS_FROM - 3])
def test_a_word_after_a_number_is_refused_as_before(tmp_path, noted, number_at):
    frame = pd.read_csv(noted)
    frame.loc[number_at, "note"] = "2.5"
    path = tmp_path / "n.csv"
    frame.to_csv(path, index=False)
    message = normkit_error(1, "fit", path, "--exclude", "id", *BLOCK, "-o", tmp_path / "s.json")
    assert message.startswith(
        f"{path}: column 'note' at data row {WORDS_FROM + 1:,}: "
        f"{frame.loc[WORDS_FROM, 'note']!r} is not a number; exclude the column"
    )


def test_the_dask_engine_refuses_it_naming_the_local_engine(tmp_path, noted):
    # Its parts are fitted file by file, the columns chosen before: the word is refused, told
    # to the engine that types it (not to --null-values, which no free text is).
    message = normkit_error(
        1, "fit", noted, "--exclude", "id", *BLOCK, "--engine", "dask", "--workers", "1",
        "-o", tmp_path / "s.json",
    )  # fmt: skip
    assert message == (
        f"{noted}: column 'note' at data row {WORDS_FROM + 1:,}: "
        f"{pd.read_csv(noted)['note'][WORDS_FROM]!r} is not a number; "
        "exclude the column (--exclude note) or fit it with the local engine, which types a "
        "column empty in its first rows by its first value (--engine local)"
    )
