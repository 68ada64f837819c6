"""Data sets of many files (directories, hive partitions, globs, lists) on the local engine, and
``normkit merge-stats``."""

from __future__ import annotations

import decimal
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from conftest import (
    assert_error,
    assert_ok,
    normkit_error,
    normkit_summary,
    run,
    run_normkit,
    write_dataset,
)

import normkit
from normkit.io.dataset import expand_inputs, natural_key

# Rows of each file: uneven, an empty file and a single row included.
PART_ROWS = {
    "year=2023/part-1": 130,
    "year=2023/part-2": 1,
    "year=2023/part-10": 0,
    "year=2024/part-0": 257,
    "year=2024/part-3": 45,
}


def frame(rows: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, rows)
    x[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "label": rng.choice(["a", "b"], rows),
            "x": x,
            "offset": 1e9 + rng.normal(0.0, 1.0, rows),
            "count": rng.integers(0, 100, rows),
        }
    )


@pytest.fixture
def data() -> pd.DataFrame:
    return frame(sum(PART_ROWS.values()))


def fit(tmp_path: Path, *args, name="stats.json") -> dict:
    out = tmp_path / name
    assert_ok(run("fit", *args, "--exclude", "id", "-o", out, "-q"))
    return json.loads(out.read_text())


def assert_same_stats(a: dict, b: dict, rtol: float = 1e-12) -> None:
    """Equal statistics (exact and EMA), to ``rtol``; a mean relative to |mean| + scale."""
    assert [c["name"] for c in a["columns"]] == [c["name"] for c in b["columns"]]
    assert a["rows"] == b["rows"]
    for ca, cb in zip(a["columns"], b["columns"], strict=True):
        assert (ca["count"], ca["missing"]) == (cb["count"], cb["missing"]), ca["name"]
        assert abs(ca["mean"] - cb["mean"]) <= rtol * (abs(ca["mean"]) + ca["scale"]), ca["name"]
        for key in ("m2", "var", "scale", "min", "max"):
            np.testing.assert_allclose(cb[key], ca[key], rtol=rtol, err_msg=ca["name"])
        assert ("ema" in ca) == ("ema" in cb)
        if "ema" in ca:
            ea, eb = ca["ema"], cb["ema"]
            assert (ea["updates"], ea["skipped"]) == (eb["updates"], eb["skipped"])
            spread = abs(ea["running_mean"]) + np.sqrt(ea["running_var"])
            assert abs(ea["running_mean"] - eb["running_mean"]) <= rtol * spread, ca["name"]
            np.testing.assert_allclose(eb["running_var"], ea["running_var"], rtol=rtol)


# -- which files, in which order ---------------------------------------------------------------


def test_natural_order_compares_numbers_as_numbers():
    names = ["d/part-10.csv", "d/part-2.csv", "d/part-1.csv", "c/part-3.csv"]
    assert sorted(names, key=natural_key) == [
        "c/part-3.csv",
        "d/part-1.csv",
        "d/part-2.csv",
        "d/part-10.csv",
    ]


def test_a_directory_is_walked_in_order_and_skips_what_is_not_data(tmp_path, data):
    paths = write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    (tmp_path / "ds" / "_SUCCESS").write_text("")
    (tmp_path / "ds" / "year=2023" / ".part-1.csv.crc").write_text("junk")
    (tmp_path / "ds" / "_temporary").mkdir()
    (tmp_path / "ds" / "_temporary" / "part-9.csv").write_text("id\n1\n")
    (tmp_path / "ds" / "README.md").write_text("not data")
    files = expand_inputs([tmp_path / "ds"])
    assert [f.path for f in files] == [str(p) for p in paths]
    assert files[0].partition == (("year", "2023"),)
    assert files[-1].partition == (("year", "2024"),)


def test_a_glob_pattern_and_a_list_of_files(tmp_path, data):
    paths = write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    whole = fit(tmp_path, tmp_path / "ds", name="dir.json")
    pattern = fit(tmp_path, f"{tmp_path}/ds/*/part-*.csv", name="glob.json")
    listed = fit(tmp_path, *paths, name="list.json")
    for other in (pattern, listed):
        assert_same_stats(whole, other, rtol=0)
    assert [s["path"] for s in whole["provenance"]["sources"]] == [str(p) for p in paths]


def test_a_glob_reads_the_files_a_directory_reads_and_those_it_names(tmp_path):
    # 'ds/*' read notes.txt as CSV (its rows fitted, exit 0) and README.md (refused, blaming
    # a.csv), files the walk of ds skips.
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "a.csv").write_text("a,b\n1,2\n2,4\n3,5\n")
    (tmp_path / "ds" / "notes.txt").write_text("a,b\n1000,1000\n")
    (tmp_path / "ds" / "README.md").write_text("hello\n")
    files = [f.path for f in expand_inputs([f"{tmp_path}/ds/*"])]
    assert files == [f.path for f in expand_inputs([tmp_path / "ds"])] == [f"{tmp_path}/ds/a.csv"]
    assert [f.path for f in expand_inputs([f"{tmp_path}/ds/*.txt"])] == [f"{tmp_path}/ds/notes.txt"]
    with pytest.raises(normkit.InputError, match=r"\*\.md: the pattern matches no data file"):
        expand_inputs([f"{tmp_path}/ds/*.md"])
    assert len(expand_inputs([f"{tmp_path}/ds/*"], format="csv")) == 3
    # 'ds/**' matches the directory and its files: each once ('given twice' before).
    assert [f.path for f in expand_inputs([f"{tmp_path}/ds/**"])] == [f"{tmp_path}/ds/a.csv"]


def test_a_directory_of_one_data_in_several_formats_is_refused_naming_them(tmp_path):
    # A walk read part0.csv, part0.parquet and part0.arrow alike: 3 times the rows, exit 0.
    (tmp_path / "ds" / "sub").mkdir(parents=True)
    frame = pd.DataFrame({"x": np.arange(10.0)})
    frame.to_csv(tmp_path / "ds" / "part0.csv", index=False)
    frame.to_parquet(tmp_path / "ds" / "part0.parquet")
    feather.write_feather(pa.table(frame), tmp_path / "ds" / "part0.arrow")
    frame.to_csv(tmp_path / "ds" / "sub" / "part0.csv", index=False)  # another directory's
    line = normkit_error(2, "fit", tmp_path / "ds", no_output=True)
    assert "part0.arrow, part0.csv, part0.parquet are one name with 3 extensions" in line
    assert f"give one format, as a glob such as '{tmp_path / 'ds' / '*.'}" in line
    assert "10 rows" in normkit_summary("fit", f"{tmp_path}/ds/*.parquet", "-o", tmp_path / "s")
    # Files given one by one are read as given.
    given = (tmp_path / "ds" / "part0.csv", tmp_path / "ds" / "part0.parquet")
    assert "20 rows" in normkit_summary("fit", *given, "-o", tmp_path / "s.json")
    # Partitions of one name in different directories are no copies.
    (tmp_path / "ds" / "part0.parquet").unlink()
    (tmp_path / "ds" / "part0.arrow").unlink()
    frame.to_csv(tmp_path / "ds" / "part1.csv.gz", index=False)
    assert len(expand_inputs([tmp_path / "ds"])) == 3


def test_directory_fit_equals_the_fit_of_the_concatenated_file(tmp_path, data):
    write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    data.to_csv(tmp_path / "all.csv", index=False)
    # Batches of 7 rows straddle the files: the running statistics follow the rows across them.
    options = ("--batch-size", "7", "--momentum", "0.2")
    parts = fit(tmp_path, tmp_path / "ds", *options, name="parts.json")
    whole = fit(tmp_path, tmp_path / "all.csv", *options, name="whole.json")
    assert_same_stats(whole, parts)
    assert parts["rows"] == len(data)
    assert [s["rows"] for s in parts["provenance"]["sources"]] == list(PART_ROWS.values())


def test_hive_parquet_dataset_equals_the_csv_one(tmp_path, data):
    write_dataset(tmp_path / "csv", "csv", data, PART_ROWS)
    write_dataset(tmp_path / "parquet", "parquet", data, PART_ROWS)
    from_csv = fit(tmp_path, tmp_path / "csv", "--batch-size", "16", name="csv.json")
    from_parquet = fit(tmp_path, tmp_path / "parquet", "--batch-size", "16", name="pq.json")
    assert_same_stats(from_csv, from_parquet)


def test_files_without_a_known_extension_need_the_input_format(tmp_path, data):
    (tmp_path / "ds").mkdir()
    data.iloc[:50].to_csv(tmp_path / "ds" / "000000_0", index=False)
    data.iloc[50:].to_csv(tmp_path / "ds" / "000001_0", index=False)
    assert_error(run("fit", tmp_path / "ds", "-o", tmp_path / "s.json"), 1, "no data files")
    doc = fit(tmp_path, tmp_path / "ds", "--input-format", "csv")
    assert doc["rows"] == len(data)


@pytest.mark.parametrize(
    ("make", "code", "fragment"),
    [
        (lambda d: d.mkdir(), 1, "no data files in this directory"),
        (lambda d: None, 1, "the pattern matches no file"),
    ],
    ids=["empty directory", "glob without match"],
)
def test_inputs_that_name_no_file(tmp_path, make, code, fragment):
    target = tmp_path / "empty"
    make(target)
    given = target if target.exists() else f"{target}/*.csv"
    assert_error(run("fit", given, "-o", tmp_path / "s.json"), code, str(given), fragment)


def test_a_data_set_whose_files_all_lack_rows(tmp_path):
    (tmp_path / "ds").mkdir()
    for name in ("a.csv", "b.csv"):
        (tmp_path / "ds" / name).write_text("id,x\n")
    assert_error(
        run("fit", tmp_path / "ds", "-o", tmp_path / "s.json"), 1, "no data rows in any file"
    )


def test_a_bad_value_names_its_file_and_row_within_it(tmp_path, data):
    paths = write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    lines = paths[3].read_text().splitlines()
    fields = lines[5].split(",")
    fields[2] = "inf"
    lines[5] = ",".join(fields)
    paths[3].write_text("\n".join(lines) + "\n")
    result = run("fit", tmp_path / "ds", "--exclude", "id", "-o", tmp_path / "s.json")
    assert_error(result, 1, f"{paths[3]}: column 'x' at data row 5:", "infinite")
    assert not (tmp_path / "s.json").exists()


# -- transform of several files ----------------------------------------------------------------


def test_transform_of_a_data_set_is_the_transform_of_the_concatenation(tmp_path, data):
    write_dataset(tmp_path / "ds", "parquet", data, PART_ROWS)
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), tmp_path / "all.parquet")
    fit(tmp_path, tmp_path / "all.parquet")
    stats = tmp_path / "stats.json"
    for source, out in (
        (tmp_path / "ds", "parts.parquet"),
        (tmp_path / "all.parquet", "all.out.parquet"),
    ):
        assert_ok(run("transform", source, "-s", stats, "-o", tmp_path / out, "-q"))
    parts = pq.read_table(tmp_path / "parts.parquet")
    whole = pq.read_table(tmp_path / "all.out.parquet")
    # The data set's files lie in hive directories (year=2023/): their key is a column too.
    assert parts.column_names == [*whole.column_names, "year"]
    assert parts.drop_columns(["year"]).equals(whole)
    years = [int(part[5:9]) for part, rows in PART_ROWS.items() for _ in range(rows)]
    assert parts.column("year").to_pylist() == years
    assert parts.column("id").to_pylist() == list(range(len(data)))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_files_with_their_columns_in_another_order_are_matched_by_name(tmp_path, data, fmt):
    # Exports of one table in other column orders: they were refused ("columns differ").
    order = ["count", "x", "label", "id", "offset"]
    (tmp_path / "ds").mkdir()
    parts = [data.iloc[:100], data.iloc[100:300][order], data.iloc[300:]]
    for i, part in enumerate(parts):
        table = pa.Table.from_pandas(part, preserve_index=False)
        path = tmp_path / "ds" / f"p{i}.{fmt}"
        pacsv.write_csv(table, path) if fmt == "csv" else pq.write_table(table, path)
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), tmp_path / "all.parquet")
    whole = fit(tmp_path, tmp_path / "all.parquet", name="all.json")
    assert_same_stats(fit(tmp_path, tmp_path / "ds"), whole)
    stats = tmp_path / "all.json"
    expected = tmp_path / "expected.parquet"
    assert_ok(run("transform", tmp_path / "all.parquet", "-s", stats, "-o", expected, "-q"))
    want = pd.read_parquet(expected)
    for out in ("o.csv", "o.parquet"):
        assert_ok(run("transform", tmp_path / "ds", "-s", stats, "-o", tmp_path / out, "-q"))
        got = (pd.read_csv if out.endswith(".csv") else pd.read_parquet)(tmp_path / out)
        # The first file's order, every row where the whole file has it.
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_dtype=False)
    # The second file first: its order, the same numbers.
    files = [tmp_path / "ds" / f"p{i}.{fmt}" for i in (1, 0, 2)]
    assert_ok(run("transform", *files, "-s", stats, "-o", tmp_path / "o2.parquet", "-q"))
    again = pd.read_parquet(tmp_path / "o2.parquet")
    assert list(again.columns) == order
    rows = np.r_[100:300, 0:100, 300 : len(data)]
    pd.testing.assert_frame_equal(
        again, want.iloc[rows][order].reset_index(drop=True), check_exact=True
    )
    assert_ok(run("drift", tmp_path / "ds", "-s", stats, "-q"))  # exit 0: no drift


def test_transform_refuses_files_whose_pass_through_types_differ(tmp_path, data):
    (tmp_path / "ds").mkdir()
    first = pa.Table.from_pandas(data.iloc[:10], preserve_index=False)
    second = pa.Table.from_pandas(data.iloc[10:], preserve_index=False)
    second = second.set_column(0, "id", second.column("id").cast(pa.string()))
    pq.write_table(first, tmp_path / "ds" / "a.parquet")
    pq.write_table(second, tmp_path / "ds" / "b.parquet")
    fit(tmp_path, tmp_path / "ds")
    result = run(
        "transform", tmp_path / "ds", "-s", tmp_path / "stats.json", "-o", tmp_path / "o.parquet"
    )
    assert_error(result, 1, "b.parquet: column 'id' has type string, but int64 in", "a.parquet")
    assert not (tmp_path / "o.parquet").exists()


def test_a_column_with_no_value_in_one_csv_takes_the_type_of_the_others(tmp_path):
    # A day with no code at all was typed text (null), and then the files were refused: "has
    # type string, but int64". Its column now reads as int64, nulls where it has none.
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "a.csv").write_text("x,code,day\n1.5,7,2024-01-01\n2.5,8,2024-01-02\n")
    (tmp_path / "ds" / "b.csv").write_text("x,code,day\n3.5,,\n4.5,NA,\n")
    # Past its first block, a value of another type is refused as in one file.
    rows = "".join(f"{i},,\n" for i in range(200_000))
    (tmp_path / "c.csv").write_text("x,code,day\n" + rows + "9,x9,\n")
    stats = tmp_path / "stats.json"
    assert_ok(run("fit", tmp_path / "ds", "--columns", "x", "-o", stats))
    out = tmp_path / "o.parquet"
    for order in (["a.csv", "b.csv"], ["b.csv", "a.csv"]):
        out.unlink(missing_ok=True)
        assert_ok(run("transform", *(tmp_path / "ds" / f for f in order), "-s", stats, "-o", out))
        table = pq.read_table(out)
        assert table.schema.field("code").type == pa.int64()
        assert table.schema.field("day").type == pa.date32()
        codes = {"a.csv": [7, 8], "b.csv": [None, None]}
        assert table.column("code").to_pylist() == codes[order[0]] + codes[order[1]]
    out.unlink()
    result = run("transform", tmp_path / "ds" / "a.csv", tmp_path / "c.csv", "-s", stats, "-o", out)
    assert_error(result, 1, "c.csv: column 'code' at data row 200,001: 'x9' is not int64")
    assert not out.exists()
    # Where the others disagree, or keep text, nothing is settled; the two that disagree are
    # named, not the one without a value (read as text, it was named "string").
    (tmp_path / "ds" / "d.csv").write_text("x,code,day\n1,z,2024-01-01\n")
    for order in (["a.csv", "b.csv", "d.csv"], ["b.csv", "d.csv", "a.csv"]):
        result = run("transform", *(tmp_path / "ds" / f for f in order), "-s", stats, "-o", out)
        line = assert_error(result, 1, "column 'code' has type", "(--keep-text)", "a.csv", "d.csv")
        assert "b.csv" not in line, line
    result = run("transform", tmp_path / "ds", "-s", stats, "-o", out)
    assert_error(result, 1, "column 'code' has type")
    assert_ok(run("transform", tmp_path / "ds", "-s", stats, "-o", out, "--keep-text"))
    assert pq.read_table(out).column("code").to_pylist()[:2] == ["7", "8"]


def test_integers_of_different_widths_across_files_widen(tmp_path):
    # int32 ids in one Parquet file, int64 in another: one output was refused, and told to use
    # --keep-text, which keeps only a CSV's columns as text. The ids now widen to the type that
    # holds them all; int64 beside uint64 has none, and is refused without that hint.
    folder = tmp_path / "ds"
    folder.mkdir()
    for name, kind in (("a", pa.int32()), ("b", pa.int64())):
        table = pa.table({"store_id": pa.array([1, 2, 3], kind), "x": [1.0, 2.0, 3.5]})
        pq.write_table(table, folder / f"{name}.parquet")
    stats, out = tmp_path / "s.json", tmp_path / "z.parquet"
    assert_ok(run("fit", folder, "--exclude", "store_id", "-o", stats))
    for order in (["a", "b"], ["b", "a"]):
        out.unlink(missing_ok=True)
        inputs = [folder / f"{name}.parquet" for name in order]
        assert_ok(run("transform", *inputs, "-s", stats, "-o", out))
        table = pq.read_table(out)
        assert table.schema.field("store_id").type == pa.int64()
        assert table.column("store_id").to_pylist() == [1, 2, 3, 1, 2, 3]
    table = pa.table({"store_id": pa.array([2**64 - 1, 3, 4], pa.uint64()), "x": [1.0, 2.0, 3.0]})
    pq.write_table(table, folder / "c.parquet")
    inputs = [folder / "b.parquet", folder / "c.parquet"]
    result = run("transform", *inputs, "-s", stats, "-o", tmp_path / "y.parquet")
    line = assert_error(result, 1, "has type uint64")
    assert "--keep-text" not in line, line


def test_an_infinite_value_in_a_later_file_names_that_file(tmp_path, data):
    paths = write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    fit(tmp_path, tmp_path / "ds")
    text = paths[4].read_text().splitlines()
    fields = text[3].split(",")
    fields[2] = "inf"
    text[3] = ",".join(fields)
    paths[4].write_text("\n".join(text) + "\n")
    result = run(
        "transform", tmp_path / "ds", "-s", tmp_path / "stats.json", "-o", tmp_path / "o.csv"
    )
    assert_error(result, 1, f"{paths[4]}: column 'x' at data row 3:")
    assert not (tmp_path / "o.csv").exists()


# -- merge-stats -------------------------------------------------------------------------------


def test_merged_stat_files_equal_the_stat_file_of_all_files(tmp_path, data):
    paths = [
        p for p in write_dataset(tmp_path / "ds", "csv", data, PART_ROWS) if p.stat().st_size > 30
    ]
    paths = [p for p in paths if len(p.read_text().splitlines()) > 1]
    shards = []
    for i, path in enumerate(paths):
        fit(tmp_path, path, name=f"shard-{i}.json")
        shards.append(tmp_path / f"shard-{i}.json")
    whole = fit(tmp_path, tmp_path / "ds", name="all.json")
    result = run("merge-stats", *shards, "-o", tmp_path / "merged.json")
    assert_ok(result)
    assert "running (EMA) statistics not merged" in result.stderr
    merged = json.loads((tmp_path / "merged.json").read_text())
    for column in whole["columns"]:
        column.pop("ema")
    whole.pop("ema")
    assert_same_stats(whole, merged)
    assert [s["path"] for s in merged["provenance"]["sources"]] == [str(p) for p in paths]


@pytest.mark.parametrize(
    ("integers", "decimals", "combined"),
    [
        # int64 has 19 digits, uint64 20, int16 5 (Arrow's promotion gave one fewer).
        (pa.array([5 * 10**18, 4], pa.int64()), pa.decimal128(5, 2), "decimal128(21, 2)"),
        (pa.array([-(2**63), 4], pa.int64()), pa.decimal128(5, 2), "decimal128(21, 2)"),
        (pa.array([2**64 - 1, 4], pa.uint64()), pa.decimal128(5, 2), "decimal128(22, 2)"),
        (pa.array([-32768, 4], pa.int16()), pa.decimal128(5, 2), "decimal128(7, 2)"),
        (pa.array([5 * 10**18, 4], pa.int64()), pa.decimal128(38, 30), "decimal256(49, 30)"),
    ],
)
def test_integers_and_decimals_in_a_data_set_combine_into_a_type_of_every_value(
    tmp_path, integers, decimals, combined
):
    (tmp_path / "ds").mkdir()
    pq.write_table(pa.table({"k": integers}), tmp_path / "ds" / "p1.parquet")
    fractions = pa.array([decimal.Decimal("5.25"), decimal.Decimal("6.50")], decimals)
    pq.write_table(pa.table({"k": fractions}), tmp_path / "ds" / "p2.parquet")
    # Chosen by name: chosen by their type, integers beyond int64 are refused as identifiers.
    normkit_summary("fit", tmp_path / "ds", "--columns", "k", "-o", tmp_path / "all.json")
    whole = json.loads((tmp_path / "all.json").read_text())["columns"][0]
    assert whole["dtype"] == combined
    assert (whole["min"], whole["max"]) == (
        float(min([*integers.to_pylist(), 5.25])),
        float(max([*integers.to_pylist(), 6.5])),
    )
    shards = [tmp_path / "p1.json", tmp_path / "p2.json"]
    for path, shard in zip(sorted((tmp_path / "ds").iterdir()), shards, strict=True):
        normkit_summary("fit", path, "--columns", "k", "-o", shard)
    normkit_summary("merge-stats", *shards, "-o", tmp_path / "merged.json")
    merged = json.loads((tmp_path / "merged.json").read_text())["columns"][0]
    assert (merged["dtype"], merged["min"], merged["max"]) == (combined, whole["min"], whole["max"])


def test_uint64_beside_a_signed_integer_is_int64_and_its_identifiers_refused(tmp_path):
    # Arrow's promotion, int64: small values are integers an inverse writes back as such (a
    # decimal128(20, 0) came back as decimals, pandas' object). A uint64 beyond int64, chosen
    # by its type, is refused as an identifier, not by the stat file being written.
    (tmp_path / "ds").mkdir()
    big = pa.table({"k": pa.array([2**64 - 1, 4], pa.uint64()), "x": [1.0, 2.0]})
    pq.write_table(big, tmp_path / "ds" / "1.parquet")
    small = pa.table({"k": pa.array([-1, 6], pa.int8()), "x": [3.0, 5.0]})
    pq.write_table(small, tmp_path / "ds" / "2.parquet")
    assert "'k' at data row 1: 18446744073709551615 is an integer beyond int64" in normkit_error(
        1, "fit", tmp_path / "ds", "-o", tmp_path / "all.json"
    )
    pq.write_table(
        big.set_column(0, "k", pa.array([7, 4], pa.uint64())), tmp_path / "ds" / "1.parquet"
    )
    normkit_summary("fit", tmp_path / "ds", "-o", tmp_path / "all.json")
    column = json.loads((tmp_path / "all.json").read_text())["columns"][0]
    assert (column["name"], column["dtype"], column["min"], column["max"]) == ("k", "int64", -1, 7)
    out, back = tmp_path / "z.parquet", tmp_path / "back.parquet"
    normkit_summary("transform", tmp_path / "ds", "-s", tmp_path / "all.json", "-o", out)
    normkit_summary("inverse", out, "-s", tmp_path / "all.json", "-o", back)
    assert pq.read_table(back).column("k").to_pylist() == [7, 4, -1, 6]
    assert pq.read_table(back).schema.field("k").type == pa.int64()


def test_merging_stays_exact_far_from_zero(tmp_path):
    # Mean 1e9, std 1, in ten shards: rounding each shard's mean to float64 alone would cost the
    # merged variance about 1e-9 of its value; the stat files keep what that rounding lost.
    rng = np.random.default_rng(11)
    shards = []
    for i in range(10):
        pd.DataFrame({"id": range(1000), "x": 1e9 + rng.normal(0.0, 1.0, 1000)}).to_csv(
            tmp_path / f"{i}.csv", index=False
        )
        fit(tmp_path, tmp_path / f"{i}.csv", "--no-ema", name=f"{i}.json")
        shards.append(tmp_path / f"{i}.json")
    whole = fit(tmp_path, *(tmp_path / f"{i}.csv" for i in range(10)), "--no-ema", name="all.json")
    merged = normkit.merge_stat_files(shards)
    np.testing.assert_allclose(merged.var_[0], whole["columns"][0]["var"], rtol=1e-14)
    assert abs(merged.mean_[0] - whole["columns"][0]["mean"]) <= 1e-15 * 1e9


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (("--ddof", "1"), "different ddof (0 and 1)"),
        (
            ("--columns", "x"),
            "column 'offset' is normalized in {a} but passed through in {b} (not chosen)",
        ),
        (("--gamma", "2"), "different gamma"),
    ],
)
def test_merge_refuses_statistics_that_do_not_match(tmp_path, data, options, fragment):
    data.to_csv(tmp_path / "d.csv", index=False)
    fit(tmp_path, tmp_path / "d.csv", name="a.json")
    fit(tmp_path, tmp_path / "d.csv", *options, name="b.json")
    result = run("merge-stats", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m.json")
    # Statistics that do not fit together are one kind of problem, whichever part differs.
    fragment = fragment.format(a=tmp_path / "a.json", b=tmp_path / "b.json")
    line = assert_error(result, 1, f"{tmp_path / 'b.json'}: ", fragment)
    # each file named once: the one merged into only where the message does not name it
    assert line.count(str(tmp_path / "a.json")) == 1, line
    assert not (tmp_path / "m.json").exists()


def test_merge_refuses_to_overwrite_an_input(tmp_path, data):
    data.to_csv(tmp_path / "d.csv", index=False)
    fit(tmp_path, tmp_path / "d.csv", name="a.json")
    shutil.copy(tmp_path / "a.json", tmp_path / "b.json")
    before = (tmp_path / "a.json").read_bytes()
    result = run("merge-stats", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "a.json")
    assert_error(result, 1, "would overwrite the input")
    assert (tmp_path / "a.json").read_bytes() == before


def test_a_glob_of_directories_keeps_their_hive_keys_and_skips_hidden_ones(tmp_path, data):
    for year in ("2023", "2024"):
        (tmp_path / "hv" / f"year={year}" / "month=1").mkdir(parents=True)
        data.iloc[:5].to_csv(tmp_path / "hv" / f"year={year}" / "month=1" / "a.csv", index=False)
    (tmp_path / "hv" / "_temporary" / "month=1").mkdir(parents=True)
    data.iloc[:5].to_csv(tmp_path / "hv" / "_temporary" / "month=1" / "a.csv", index=False)
    files = expand_inputs([f"{tmp_path}/hv/*"])
    assert [f.partition for f in files] == [
        (("year", "2023"), ("month", "1")),
        (("year", "2024"), ("month", "1")),
    ]
    assert len(expand_inputs([f"{tmp_path}/hv/**/*.csv"])) == 2  # not the one under _temporary


def test_an_empty_csv_is_an_empty_part_and_a_link_loop_is_walked_once(tmp_path, data):
    paths = write_dataset(tmp_path / "ds", "csv", data, PART_ROWS)
    (tmp_path / "ds" / "year=2024" / "part-99.csv").write_bytes(b"")
    (tmp_path / "ds" / "year=2024" / "loop").symlink_to(tmp_path / "ds")
    doc = fit(tmp_path, tmp_path / "ds")
    assert [s["path"] for s in doc["provenance"]["sources"]] == [str(p) for p in paths]


@pytest.mark.parametrize("codec", ["gzip", "bz2", "zstd"])
def test_a_compressed_csv_of_nothing_is_an_empty_part_as_a_file_of_0_bytes_is(tmp_path, codec):
    # `gzip -c </dev/null > part-1.csv.gz` beside a part with rows was refused as "the file is
    # empty (a CSV needs a header row)", where a part of 0 bytes is an empty part.
    suffix = {"gzip": ".gz", "bz2": ".bz2", "zstd": ".zst"}[codec]
    parts = tmp_path / "sc3"
    parts.mkdir()
    data = frame(40)
    data.to_csv(parts / "part-0.csv", index=False)
    nothing = parts / f"part-1.csv{suffix}"
    with pa.output_stream(nothing, compression=codec):
        pass
    assert nothing.stat().st_size > 0  # the codec's frame of nothing
    stats, out = tmp_path / "s.json", tmp_path / "z.csv"
    normkit_summary("fit", parts, "-o", stats)
    assert json.loads(stats.read_text())["rows"] == 40
    normkit_summary("transform", parts, "-s", stats, "-o", out)
    assert len(pd.read_csv(out)) == 40
    # Alone, it is refused as a file of 0 bytes alone is.
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for alone in (empty, nothing):
        line = normkit_error(1, "fit", alone, "-o", tmp_path / "e.json")
        assert line == f"{alone}: the file is empty (a CSV needs a header row)"


def test_merge_refuses_a_file_given_twice_and_names_a_missing_one(tmp_path, data):
    data.to_csv(tmp_path / "d.csv", index=False)
    fit(tmp_path, tmp_path / "d.csv", name="a.json")
    (tmp_path / "out.json").write_text("")
    twice = run("merge-stats", tmp_path / "a.json", tmp_path / "a.json", "-o", tmp_path / "m.json")
    assert_error(twice, 2, "given twice")
    missing = run(
        "merge-stats", tmp_path / "a.json", tmp_path / "no.json", "-o", tmp_path / "out.json"
    )
    assert_error(missing, 1, f"{tmp_path / 'no.json'}: ")
    one = run("merge-stats", tmp_path / "a.json", "-o", tmp_path / "one.json")
    assert_ok(one)
    assert "not merged" not in one.stderr
    assert "ema" in json.loads((tmp_path / "one.json").read_text())


@pytest.mark.parametrize("suffix", [".parquet", ".arrow", ".arrows"])
def test_an_empty_parquet_or_arrow_part_is_no_part_in_a_transform(tmp_path, suffix):
    # A file of no rows whose writer typed a column null (or double for an int64 column): fit
    # took it as an empty part, transform refused it ("has type null, but int64 in ...").
    (tmp_path / "ds").mkdir()
    full = pd.DataFrame({"id": [1, 2, 3], "x": [1.0, 2.0, 4.0]})
    empty = (pd.DataFrame(columns=["id", "x"]), full.iloc[:0].astype("float64"))
    for i, frame in enumerate((full, *empty)):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        path = tmp_path / "ds" / f"p-{i}{suffix}"
        if suffix == ".parquet":
            pq.write_table(table, path)
        else:  # an Arrow file, or a stream (.arrows) of one batch of no row
            new = pa.ipc.new_file if suffix == ".arrow" else pa.ipc.new_stream
            with new(path, table.schema) as writer:
                writer.write_table(table)
    stats, out = tmp_path / "s.json", tmp_path / "z.parquet"
    normkit_summary("fit", tmp_path / "ds", "--exclude", "id", "-o", stats)
    normkit_summary("transform", tmp_path / "ds", "-s", stats, "-o", out)
    written = pq.read_table(out)
    assert written.column("id").to_pylist() == [1, 2, 3]
    assert written.schema.field("id").type == pa.int64()


def test_files_without_an_extension_left_by_a_directory_are_noted(tmp_path):
    # Hive writes its text tables' files as 000000_0: a directory's walk reads data files by
    # their extension and left them out without a word (exit 0, a third of the rows).
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "a.csv").write_text("id,x\n1,2.5\n2,3.5\n3,1\n")
    for name in ("000000_0", "000001_0"):
        (folder / name).write_text("id,x\n4,2.5\n5,9\n")
    (folder / "_SUCCESS").write_text("")
    stats = tmp_path / "s.json"
    result = run_normkit("fit", folder, "--exclude", "id", "-o", stats)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.decode().splitlines()
    assert lines[0] == (
        f"normkit: note: {folder}: 2 files without an extension not read (000000_0, 000001_0); "
        "the data files are told by their extension; to read them too, name their format "
        "(--input-format csv)"
    )
    quiet = run_normkit("fit", folder, "--exclude", "id", "-o", stats, "-q")
    assert quiet.stderr == b""
    # A pattern reads what the directory reads, and notes what it leaves, once.
    for pattern in (f"{folder}/*", f"{folder}/**"):
        noted = run_normkit("fit", pattern, "--exclude", "id", "-o", stats).stderr.decode()
        assert noted.count("normkit: note:") == 1, noted
        assert "2 files without an extension not read (000000_0, 000001_0)" in noted
    read = run_normkit("fit", folder, "--exclude", "id", "--input-format", "csv", "-o", stats)
    assert b"note" not in read.stderr
    assert json.loads(stats.read_text())["columns"][0]["count"] == 7


@pytest.mark.parametrize("suffix", ["csv", "parquet", "arrow"])
def test_a_parquet_file_with_a_column_of_no_value_joins_a_data_set(tmp_path, suffix):
    # pandas writes a column of None as type null: that shard made every transform of the data
    # set refuse ("type null, but large_string"), whichever shard came first. Its column holds
    # no value: it takes the others' type, and keeps its rows' nulls.
    folder = tmp_path / "ds"
    folder.mkdir()
    coupons = {"d1": ["a", "b", None], "d2": [None, None, None], "d3": ["c", None, "d"]}
    for i, (name, values) in enumerate(coupons.items()):
        frame = pd.DataFrame({"x": [3.0 * i + 1, 3.0 * i + 2, 3.0 * i + 3.5], "coupon": values})
        frame.to_parquet(folder / f"{name}.parquet")
    assert pq.read_schema(folder / "d2.parquet").field("coupon").type == pa.null()
    stats = tmp_path / "s.json"
    assert_ok(run("fit", folder, "-o", stats))
    for order in (["d1", "d2", "d3"], ["d2", "d3", "d1"]):
        out = tmp_path / f"z.{suffix}"
        out.unlink(missing_ok=True)
        inputs = [folder / f"{name}.parquet" for name in order]
        assert_ok(run("transform", *inputs, "-s", stats, "-o", out))
        if suffix == "csv":
            written = pd.read_csv(out)["coupon"].tolist()
            expected = [v if v is not None else np.nan for n in order for v in coupons[n]]
            assert [str(v) for v in written] == [str(v) for v in expected]
        else:
            table = pq.read_table(out) if suffix == "parquet" else pa.ipc.open_file(out).read_all()
            assert pa.types.is_large_string(table.schema.field("coupon").type)
            assert table.column("coupon").to_pylist() == [v for n in order for v in coupons[n]]


def test_a_pipe_among_several_inputs_is_read_not_taken_for_an_empty_part(tmp_path):
    # A pipe's size is 0: beside another file (fit a.csv <(command)) it was dropped as an
    # empty CSV part, its rows lost with exit 0.
    import threading

    from conftest import normkit_summary as ok

    first = tmp_path / "a.csv"
    first.write_text("a,b\n1,2\n3,4\n4,5\n6,7\n")
    pipe = tmp_path / "part.csv"  # a named pipe, as bash gives <(command)
    os.mkfifo(pipe)
    feed = threading.Thread(target=lambda: pipe.write_bytes(b"a,b\n1,2\n9,3\n3,5\n"), daemon=True)
    feed.start()
    summary = ok("fit", first, pipe, "-o", tmp_path / "s.json")
    feed.join(timeout=10)
    assert "fitted 2 columns on 7 rows" in summary


def test_standard_input_redirected_from_a_named_input_is_that_file_given_twice(tmp_path):
    # fit a.csv - < a.csv counted a.csv's rows twice, exit 0; /dev/stdin beside '-' was told
    # as an empty file.
    import subprocess

    from conftest import NORMKIT

    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n3,4\n4,5\n")
    with open(path, "rb") as stdin:
        proc = subprocess.run(
            [NORMKIT, "fit", path, "-", "-o", tmp_path / "s.json"],
            stdin=stdin,
            capture_output=True,
            check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr.decode() == (
        f"normkit: error: -: given twice (as {path}); its rows would count twice\n"
    )
    assert not (tmp_path / "s.json").exists()
    for args in (("-", "/dev/stdin"), ("/dev/stdin", "-")):
        proc = subprocess.run(
            [NORMKIT, "fit", *args, "-o", tmp_path / "s.json"],
            input=path.read_bytes(),
            capture_output=True,
            check=False,
        )
        assert proc.returncode == 2
        assert b"standard input ('-') can be read only once" in proc.stderr


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_parquet_or_arrow_from_a_pipe_by_descriptor_is_told_by_its_first_bytes(tmp_path, kind):
    # fit a.csv <(cat c.parquet) was refused as "not a CSV file (binary data)", and the hint
    # (--input-format parquet) then applied to a.csv too: no way to fit them together.
    import subprocess
    import threading

    from conftest import NORMKIT

    data = pd.DataFrame({"a": np.arange(150.0), "b": np.arange(150.0) % 7})
    typed = tmp_path / f"c.{kind}"
    data.to_parquet(typed) if kind == "parquet" else data.to_feather(typed)
    first = tmp_path / "a.csv"
    data[:50].to_csv(first, index=False)
    read, write = os.pipe()
    feed = threading.Thread(
        target=lambda: (os.write(write, typed.read_bytes()), os.close(write)), daemon=True
    )
    feed.start()
    proc = subprocess.run(
        [NORMKIT, "fit", first, f"/dev/fd/{read}", "-o", "-"],
        pass_fds=(read,),
        capture_output=True,
        check=False,
    )
    os.close(read)
    feed.join(timeout=10)
    assert proc.returncode == 0, proc.stderr.decode()
    column = json.loads(proc.stdout)["columns"][0]
    assert column["count"] == 200
    assert column["mean"] == pytest.approx(pd.concat([data[:50], data])["a"].mean(), rel=1e-15)
