"""Columns passed through typed (``keep_text=False``, as a CSV to Parquet or Arrow transform
reads them): the engine reads every block by the rules it typed the first block with, and
builds the Arrow arrays itself. Checked against pyarrow's CSV reader given the same types,
null values and block size, on generated columns whose later blocks hold what the first one
did, or something else.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normkit import CsvOptions, InputError, ReadOptions, open_input
from normkit.io.options import DEFAULT_NULL_VALUES

BLOCK = 4096  # the least block size: a few hundred rows make many blocks


def _read(path, block_size=BLOCK) -> tuple[pa.Schema, pa.Table]:
    """normkit's typed schema of ``path`` (a float ``x`` and the others passed through) and
    all its batches as a table."""
    read = ReadOptions(csv=CsvOptions(block_size=block_size))
    with open_input(path, read) as reader:
        schema = reader.batch_schema(["x"], keep_text=False)
        batches = list(reader.batches(["x"], keep_text=False))
    return schema, pa.Table.from_batches(batches, schema=schema)


def _pyarrow(path, schema: pa.Schema) -> pa.Table:
    """pyarrow's reading of ``path`` with normkit's types and missing values: in text only the
    empty field (``NA`` is text there, as pyarrow reads it)."""
    text = any(pa.types.is_string(t) for t in schema.types)
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            null_values=[""] if text else ["", *DEFAULT_NULL_VALUES],
            strings_can_be_null=True,
        ),
    )


def _spaced(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(["", " ", "\t"]), text, st.sampled_from(["", " "])).map(
        "".join
    )


_DAYS = st.dates(date(1900, 1, 1), date(2200, 12, 31))
_CLOCK = st.times().map(lambda t: t.replace(microsecond=0))
_MOMENTS = st.datetimes(datetime(1900, 1, 1), datetime(2200, 12, 31))

# Values of each type as the files write them, spaces around where the type allows them.
VALUES = {
    "int64": _spaced(st.integers(-(2**63), 2**63 - 1).map(str))
    | st.integers(0, 2**64 - 1).map(lambda n: f"0x{n:X}"),
    "bool": st.sampled_from(["true", "false", "True", "FALSE", "1", "0"]),
    "date32": _spaced(_DAYS.map(date.isoformat)),
    "time32": _spaced(
        _CLOCK.map(lambda t: t.strftime("%H:%M:%S")) | _CLOCK.map(lambda t: t.strftime("%H:%M"))
    ),
    "timestamp[s]": _MOMENTS.map(lambda m: m.replace(microsecond=0).isoformat(sep=" ")),
    "timestamp[ns]": _MOMENTS.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%S.%f")),
    "timestamp[s, UTC]": st.tuples(_MOMENTS, st.integers(-12, 12)).map(
        lambda mo: mo[0].replace(microsecond=0, tzinfo=timezone(timedelta(hours=mo[1]))).isoformat()
    ),
    "string": st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='",'), max_size=8
    ),
}
MISSING = st.sampled_from(["", "NA", "null", "N/A"])


@st.composite
def typed_files(draw):
    """A CSV of a float column and one of each type's values (a few missing), hundreds of
    rows, and now and then a value of another type near the end (after the first block)."""
    kind = draw(st.sampled_from(sorted(VALUES)))
    rows = draw(st.integers(500, 700))
    values = draw(st.lists(VALUES[kind] | MISSING, min_size=rows, max_size=rows))
    if draw(st.booleans()):  # a later value of any type, at any later row
        other = draw(st.sampled_from(sorted(set(VALUES) - {kind})))
        values[draw(st.integers(rows - 50, rows - 1))] = draw(VALUES[other])
    body = "".join(f'{i * 0.25},"{v}"\n' for i, v in enumerate(values))
    return "x,c\n" + body


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=typed_files())
def test_later_blocks_read_as_pyarrow_reads_them_with_the_first_block_s_types(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    with open_input(path, ReadOptions(csv=CsvOptions(block_size=BLOCK))) as reader:
        schema = reader.batch_schema(["x"], keep_text=False)
    try:
        theirs = _pyarrow(path, schema)
    except pa.ArrowInvalid:
        theirs = None
    refusal = None
    try:
        _, ours = _read(path)
    except InputError as exc:
        refusal = str(exc)
    if refusal is not None:
        # A value the first block's type does not read: refused with its column and row.
        assert "column 'c' at data row " in refusal, refusal
        assert f"is not {schema.field('c').type}, as the values before it are" in refusal
        # pyarrow is laxer than the rules only where they say so: a zone-less moment in a
        # column of moments with zones, a date in a column of timestamps.
        if theirs is not None:
            assert pa.types.is_timestamp(schema.field("c").type), refusal
        return
    assert theirs is not None, "normkit read what pyarrow refuses"
    assert ours.schema == schema
    assert ours.equals(theirs.cast(schema)), (ours, theirs)


def test_the_batches_hold_the_engine_s_arrow_arrays(tmp_path):
    # Every kind of column, with nulls, in one batch made by the engine: valid Arrow data.
    path = tmp_path / "k.csv"
    path.write_text(
        "x,i,b,d,t,s\n1.5,1,true,2024-02-29,10:00,a\nNA,NA,NA,NA,NA,NA\n"
        "2.5,-3,0,1970-01-01,23:59:59,é\n"
    )
    schema, table = _read(path)
    table.validate(full=True)
    assert schema.types == [
        pa.float64(),
        pa.int64(),
        pa.bool_(),
        pa.date32(),
        pa.time32("s"),
        pa.string(),
    ]
    # Missing but in the text, where NA is a value (as DuckDB, Polars and pyarrow read it).
    assert table.to_pylist()[1] == {**dict.fromkeys("xibdt"), "s": "NA"}
    assert table.column("s").to_pylist() == ["a", "NA", "é"]


def test_text_kept_as_text_is_not_typed(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("x,i,s\n1,1,NA\n2,x,b\n")
    with open_input(path) as reader:
        table = pa.Table.from_batches(list(reader.batches(["x"])))
    assert table.column("i").to_pylist() == ["1", "x"]
    assert table.column("s").to_pylist() == ["NA", "b"]


@pytest.mark.parametrize("block", [BLOCK, 1 << 20])
def test_typed_reading_is_the_same_at_any_block_size(tmp_path, block):
    path = tmp_path / "k.csv"
    rows = [f"{i},{i % 3 == 0},2024-01-{i % 28 + 1:02d} 10:00:0{i % 10}Z\n" for i in range(9_000)]
    path.write_text("x,b,m\n" + "".join(rows))
    _, table = _read(path, block)
    assert table.column("b").to_pylist() == [i % 3 == 0 for i in range(9_000)]
    moments = [
        datetime(2024, 1, i % 28 + 1, 10, 0, i % 10, tzinfo=timezone.utc) for i in range(9_000)
    ]
    assert table.column("m").to_pylist() == moments
