"""Every exit 0 is a result a user would accept: each of these was once an exit 0 with wrong or
surprising data. The command runs as a real process; each test asserts the exact outcome."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from conftest import ERROR, SAMPLE_CSV, run_normkit

import normkit


def ok(*args, stdin: bytes | None = None) -> str:
    proc = run_normkit(*args, "-q", stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()
    assert not proc.stderr, proc.stderr.decode()
    return proc.stdout.decode()


def refused(code: int, *args) -> str:
    """The one line a refusal prints (exit ``code``, no traceback)."""
    proc = run_normkit(*args, "-q")
    stderr = proc.stderr.decode()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    if code == 1 or stderr.startswith(ERROR):
        assert len(lines) == 1, stderr
        assert lines[0].startswith(ERROR), stderr
    return lines[-1]


@pytest.fixture
def sample_stats(tmp_path):
    path = tmp_path / "st.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "-o", path)
    return path


# -- 1. inverse undoes how the data was transformed ---------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
@pytest.mark.parametrize(
    "how", [[], ["--use", "ema"], ["--gamma", "2", "--beta", "1"], ["--use", "ema", "--gamma", "3"]]
)
def test_inverse_undoes_every_kind_of_frozen_transform(tmp_path, sample_stats, fmt, how):
    z = tmp_path / f"z.{fmt}"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", z, *how)
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", sample_stats, "-o", back)
    original, restored = pd.read_csv(SAMPLE_CSV), pd.read_csv(back)
    assert list(restored.columns) == list(original.columns)
    for name in ("age", "visits", "schema_version"):  # integers come back as integers
        assert restored[name].dtype == original[name].dtype
        pd.testing.assert_series_equal(restored[name], original[name])
    for name in ("income", "temperature_c", "score", "altitude_m"):
        # 1e-12 relative to the column's conditioning (its largest magnitude).
        size = np.nanmax(np.abs(original[name]))
        np.testing.assert_allclose(restored[name], original[name], rtol=1e-12, atol=1e-12 * size)


def test_inverse_refuses_options_or_statistics_that_contradict_the_record(tmp_path, sample_stats):
    z = tmp_path / "z.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "--use", "ema", "--gamma", "2", "-o", z)
    line = refused(2, "inverse", z, "-s", sample_stats, "--use", "exact", "-o", tmp_path / "b.csv")
    assert line == (
        f"{ERROR}{z} was normalized with --use ema; an inverse with other values would not "
        "restore it; leave --use out"
    )
    line = refused(2, "inverse", z, "-s", sample_stats, "--gamma", "1", "-o", tmp_path / "b.csv")
    assert "was normalized with --gamma 2" in line
    other = tmp_path / "other.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "--ddof", "1", "-o", other)
    line = refused(2, "inverse", z, "-s", other, "-o", tmp_path / "b.csv")
    assert f"{z} was normalized with other statistics than these" in line
    assert not (tmp_path / "b.csv").exists()


def test_inverse_of_csv_follows_the_options_as_help_says(tmp_path, sample_stats):
    z = tmp_path / "z.csv"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "--use", "ema", "-o", z)
    help_text = ok("inverse", "--help")
    assert "A CSV input records nothing" in " ".join(help_text.split())
    back = tmp_path / "back.csv"
    ok("inverse", z, "-s", sample_stats, "--use", "ema", "-o", back)
    np.testing.assert_allclose(
        pd.read_csv(back)["income"], pd.read_csv(SAMPLE_CSV)["income"], rtol=1e-12
    )


# -- 2. a token that is not a number is an error wherever it stands ------------------------------

TOKENS = ["abc", "?", "#N/A", '"1,000"', "0x1p3", "1_000", '"1,5"']


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("row", [3, 250_001])
def test_a_token_in_a_numeric_column_is_refused_wherever_it_stands(tmp_path, token, row):
    path = tmp_path / "t.csv"
    lines = [f"{i},{i * 2 % 7}\n" for i in range(max(row, 3))]
    lines[row - 1] = f"{row - 1},{token}\n"
    path.write_text("a,b\n" + "".join(lines))
    shown = token.strip('"')
    assert refused(1, "fit", path, "-o", tmp_path / "s.json") == (
        f"{ERROR}{path}: column 'b' at data row {row:,}: {shown!r} is not a number; exclude the "
        "column (--exclude b) or add the string to --null-values"
    )
    assert not (tmp_path / "s.json").exists()


def test_a_latin1_byte_is_refused_and_read_with_its_encoding(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"a,b\n1,2\n3,\xe94\n")
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: not UTF-8 text (invalid byte at offset 10); name its encoding "
        "(--encoding latin-1 or another)"
    )
    doc = json.loads(ok("fit", path, "--encoding", "latin-1", "--columns", "a", "-o", "-"))
    assert doc["read"]["encoding"] == "latin-1"


# -- 3. missing-value strings add to the defaults, and the fit's read options travel -------------


def test_null_values_add_to_the_defaults_and_are_reused(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("a,b,c\n1,?,5\n2,4,NA\n3,6,7\n4,8,9\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--null-values", "?", "-o", stats)
    doc = json.loads(stats.read_text())
    assert [c["name"] for c in doc["columns"]] == ["a", "b", "c"]  # NA still missing in c
    assert [c["missing"] for c in doc["columns"]] == [0, 1, 1]
    assert {"?", "NA"} <= set(doc["read"]["null_values"])
    out = ok("transform", path, "-s", stats)  # '?' read as the fit read it
    assert out.splitlines()[1].split(",")[1] == ""


def test_the_delimiter_of_the_fit_is_reused(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("a;b\n1;2\n3;5\n4;9\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "--delimiter", ";", "-o", stats)
    assert ok("transform", path, "-s", stats).splitlines()[0] == "a;b"
    report = json.loads(ok("drift", path, "-s", stats, "--json"))
    assert report["drifted"] == []


# -- 4. normalizing twice ------------------------------------------------------------------------


def test_normalizing_twice_with_the_same_statistics_is_refused(tmp_path, sample_stats):
    z = tmp_path / "z.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", z)
    assert refused(2, "transform", z, "-s", sample_stats, "-o", tmp_path / "zz.parquet") == (
        f"{ERROR}{z} is already normalized with these statistics (its metadata says so); "
        "normalizing it again would not give what you expect; invert it, if that was meant or "
        "normalize it again all the same (--renormalize)"
    )
    ok("transform", z, "-s", sample_stats, "-o", tmp_path / "zz.parquet", "--renormalize")
    restored = tmp_path / "x.parquet"
    ok("inverse", z, "-s", sample_stats, "-o", restored)
    ok("transform", restored, "-s", sample_stats, "-o", tmp_path / "again.parquet")


# -- 5. types kept -------------------------------------------------------------------------------


def test_csv_to_parquet_keeps_the_types_of_columns_passed_through(tmp_path, sample_stats):
    out = tmp_path / "z.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", out)
    schema = pq.read_schema(out)
    assert schema.field("id").type == pa.int64()
    assert schema.field("active").type == pa.bool_()
    assert schema.field("city").type == pa.string()
    text = tmp_path / "t.parquet"
    ok("transform", SAMPLE_CSV, "-s", sample_stats, "-o", text, "--keep-text")
    assert pq.read_schema(text).field("id").type == pa.string()


def test_a_later_value_of_another_type_is_refused_with_its_row(tmp_path):
    path = tmp_path / "d.csv"
    # Past the first block (1 MiB), which types id as int64.
    rows = [f"{i},{i * 0.5}\n" for i in range(300_000)] + ["x12,3.0\n"]
    path.write_text("id,v\n" + "".join(rows))
    stats = tmp_path / "s.json"
    ok("fit", path, "--exclude", "id", "-o", stats)
    line = refused(1, "transform", path, "-s", stats, "-o", tmp_path / "z.parquet")
    assert line == (
        f"{ERROR}{path}: column 'id' at data row 300,001: 'x12' is not int64, as the values "
        "before it are; keep the columns passed through as text (--keep-text)"
    )
    ok("transform", path, "-s", stats, "-o", tmp_path / "z.parquet", "--keep-text")


def test_inverse_restores_integers_and_refuses_values_that_are_not(tmp_path):
    path = tmp_path / "i.csv"
    path.write_text("n\n5\n7\n12\n")
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    z = tmp_path / "z.csv"
    ok("transform", path, "-s", stats, "-o", z)
    assert ok("inverse", z, "-s", stats).splitlines() == ["n", "5", "7", "12"]
    edited = tmp_path / "e.csv"
    edited.write_text("n\n0.25\n")
    line = refused(1, "inverse", edited, "-s", stats, "-o", tmp_path / "b.csv")
    assert "column 'n' at data row 1: the restored value" in line
    assert line.endswith(
        "is not an integer, but the stat file records the column as int64; "
        "keep float64 (--keep-float)"
    )
    assert ok("inverse", edited, "-s", stats, "--keep-float").splitlines()[1] != ""


# -- 6. an edited stat file ----------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 6000.0])
def test_a_stat_file_whose_scale_disagrees_with_its_variance_is_refused(tmp_path, scale):
    stats = tmp_path / "s.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "-o", stats)
    doc = json.loads(stats.read_text())
    income = next(c for c in doc["columns"] if c["name"] == "income")
    income["scale"] = scale
    stats.write_text(json.dumps(doc))
    line = refused(1, "transform", SAMPLE_CSV, "-s", stats, "-o", tmp_path / "z.csv")
    assert line.startswith(f"{ERROR}{stats}: inconsistent stat file: column 'income': scale ")
    assert "is not sqrt(var)" in line


# -- 7. dictionary-encoded numbers ---------------------------------------------------------------


def test_a_dictionary_encoded_numeric_column_is_numeric_in_arrow_as_in_parquet(tmp_path):
    table = pa.table({"x": pa.array([1.5, 2.5, None, 1.5, 7.0]).dictionary_encode()})
    arrow, parquet = tmp_path / "d.arrow", tmp_path / "d.parquet"
    with pa.OSFile(str(arrow), "wb") as sink, ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    pq.write_table(table, parquet)
    fitted = [json.loads(ok("fit", path, "-o", "-")) for path in (arrow, parquet)]
    assert [[c["name"] for c in doc["columns"]] for doc in fitted] == [["x"], ["x"]]
    assert fitted[0]["columns"][0]["mean"] == fitted[1]["columns"][0]["mean"] == 3.125


# -- 8. option values at their limits ------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["--csv-block-size", "3G"], ["--batch-size", "10" * 12], ["--chunk-rows", "9" * 30]]
)
def test_option_values_out_of_range_are_usage_errors(args):
    line = refused(2, "fit", SAMPLE_CSV, *args)
    assert line.startswith("Error: Invalid value for")


# -- 9. hints, names, exit codes, extensions -----------------------------------------------------


def test_hints_name_only_options_the_command_has(tmp_path, sample_stats):
    path = tmp_path / "d.csv"
    path.write_text(SAMPLE_CSV.read_text().replace("\n2,Lisbon,69,", "\n2,Lisbon,abc,", 1))
    line = refused(1, "transform", path, "-s", sample_stats, "-o", tmp_path / "z.csv")
    assert "--exclude" not in line
    assert line.endswith("'abc' is not a number; add the string to --null-values")


def test_all_columns_without_values_are_reported_at_once(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,c\n1,,\n2,,\n3,,\n")
    assert refused(1, "fit", path, "--columns", "a,b,c") == (
        f"{ERROR}{path}: columns 'b', 'c' have no values (all their rows are missing); "
        "exclude them with --exclude b,c"
    )


def test_columns_with_commas_or_spaces_can_be_chosen(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('"a,b"," b ",c\n1,2,3\n4,6,9\n')
    doc = json.loads(ok("fit", path, "--columns", '"a,b"," b "', "-o", "-"))
    assert [c["name"] for c in doc["columns"]] == ["a,b", " b "]
    doc = json.loads(ok("fit", path, "--exclude", '" b "', "-o", "-"))
    assert [c["name"] for c in doc["columns"]] == ["a,b", "c"]


def test_merge_refusals_share_one_exit_code(tmp_path):
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    ok("fit", SAMPLE_CSV, "--exclude", "id", "-o", a)
    ok("fit", SAMPLE_CSV, "--exclude", "id", "--ddof", "1", "-o", b)
    ok("fit", SAMPLE_CSV, "--columns", "age", "-o", c)
    assert "different ddof" in refused(1, "merge-stats", a, b)
    assert "only in these" in refused(1, "merge-stats", a, c)


def test_an_output_extension_that_contradicts_what_is_written_is_refused(tmp_path):
    line = refused(2, "fit", SAMPLE_CSV, "-o", tmp_path / "out.parquet")
    assert line == (
        f"{ERROR}{tmp_path / 'out.parquet'}: a stat file is JSON, not parquet; name it with .json"
    )
    assert not (tmp_path / "out.parquet").exists()


# -- 10. real-world CSV --------------------------------------------------------------------------


def test_an_invalid_byte_in_the_header_is_one_line(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b"a,b\xe9\n")
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: not UTF-8 text (invalid byte at offset 3); name its encoding "
        "(--encoding latin-1 or another)"
    )


def test_utf16_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes("name,x\nJosé,2\nAna,4\n".encode("utf-16"))
    stats = tmp_path / "s.json"
    ok("fit", path, "-o", stats)
    assert json.loads(stats.read_text())["columns"][0]["mean"] == 3.0
    assert ok("transform", path, "-s", stats).splitlines() == ["name,x", "José,-1.0", "Ana,1.0"]


def test_a_file_that_reads_as_one_column_names_the_separator_that_splits_it(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a\tb\n1\t2\n3\t4\n")
    assert refused(1, "fit", path) == (
        f"{ERROR}{path}: no numeric column to normalize; it reads as one column, but '\\t' "
        "would split it into 2: give the separator (--delimiter tab) or choose some with "
        "--columns"
    )
    assert json.loads(ok("fit", path, "--delimiter", "tab", "-o", "-"))["read"]["delimiter"] == "\t"


# -- 11. the Python API --------------------------------------------------------------------------


def test_momentum_none_is_refused_with_the_way_to_ask_for_cumulative():
    with pytest.raises(normkit.OptionError, match="momentum='cumulative'"):
        normkit.EmaOptions(momentum=None)
    assert normkit.EmaOptions(momentum="cumulative").cumulative
    assert normkit.EmaOptions().momentum_value == 0.1
