"""The column types of a CSV's first block, as the native engine infers them, against pyarrow's
CSV reader (the reader that typed them before, with the same options): the rules pinned one by
one, then every type and value of generated columns equal to pyarrow's.
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
from datetime import datetime

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from normkit import CsvOptions, InputError, ReadOptions, open_input
from normkit.io.csv.native import Dialect, RecordError, first_batch, first_types
from normkit.io.options import DEFAULT_NULL_VALUES

NULLS = ("", *DEFAULT_NULL_VALUES)
BLOCK = 1 << 20


def dialect(delimiter: str = ",", decimal_point: str = ".", nulls=NULLS) -> Dialect:
    return Dialect(delimiter=delimiter, decimal_point=decimal_point, nulls=tuple(nulls))


def pyarrow_first(
    records: bytes, names, d: Dialect | None = None, block_size: int = BLOCK
) -> pa.RecordBatch:
    """pyarrow's first batch of ``records``, read as normkit read it to type the columns (an
    empty line of a file of one column is a missing value)."""
    d = d or dialect()
    reader = pacsv.open_csv(
        io.BytesIO(records),
        read_options=pacsv.ReadOptions(
            block_size=block_size, use_threads=False, column_names=list(names)
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=d.delimiter, newlines_in_values=True, ignore_empty_lines=len(names) != 1
        ),
        convert_options=pacsv.ConvertOptions(
            null_values=list(d.nulls), decimal_point=d.decimal_point
        ),
    )
    return reader.read_next_batch()


def one_column(values: list[bytes | str]) -> bytes:
    return b"".join((v.encode() if isinstance(v, str) else v) + b"\n" for v in values)


def inferred(values, d: Dialect | None = None) -> pa.DataType:
    return first_batch(one_column(values), ["c"], d or dialect(), BLOCK).schema.field(0).type


def assert_same_batch(ours: pa.RecordBatch, theirs: pa.RecordBatch) -> None:
    assert ours.schema == theirs.schema
    assert ours.num_rows == theirs.num_rows
    for a, b in zip(ours.columns, theirs.columns, strict=True):
        if pa.types.is_floating(a.type):
            # NaN is no value equal to itself: compared as "is NaN" and the other values.
            a_nan = [v is not None and math.isnan(v) for v in a.to_pylist()]
            b_nan = [v is not None and math.isnan(v) for v in b.to_pylist()]
            assert a_nan == b_nan
            a_rest = [None if n else v for v, n in zip(a.to_pylist(), a_nan, strict=True)]
            b_rest = [None if n else v for v, n in zip(b.to_pylist(), b_nan, strict=True)]
            assert a_rest == b_rest
        else:
            assert a.equals(b), (a, b)


# -- the rules, one by one (each checked against pyarrow as well) -------------------------------

RULES = [
    # missing values alone: null; a missing value among others is read by every type
    (["", "NA", "nan", '"NA"'], pa.null()),
    (["1", "", "NA"], pa.int64()),
    # int64: digits with an optional minus, leading zeros, spaces and tabs around
    (["1", "-2", " 3 ", "\t4\t", "007", "-0"], pa.int64()),
    (["9223372036854775807", "-9223372036854775808"], pa.int64()),
    # ... hex with 0x and up to 16 digits (read as the 64 bits), no sign
    (["0x1F", "0XFF", " 0x1f"], pa.int64()),
    (["0xFFFFFFFFFFFFFFFF"], pa.int64()),
    (["-0x1F"], pa.string()),
    (["0x1FFFFFFFFFFFFFFFF"], pa.string()),
    # a + sign, or out of int64's range: double
    (["+5"], pa.float64()),
    (["9223372036854775808"], pa.float64()),
    (["-9223372036854775809"], pa.float64()),
    # double: any number the float parser reads
    (["1", "1.5"], pa.float64()),
    ([".5", "5.", "-.5", "+.5", "1e5", "1E-5", "1.5e+3"], pa.float64()),
    (["inf", "-inf", "+inf", "Infinity", "INF", "NAN", "-nan", "nan(123)"], pa.float64()),
    (["1e400", "1e-400"], pa.float64()),
    (["1e"], pa.string()),
    (["e5"], pa.string()),
    (["0x1p3"], pa.string()),
    (["1_000"], pa.string()),
    (["1 2"], pa.string()),
    (["\x0b5"], pa.string()),
    (["1", " "], pa.string()),
    (["."], pa.string()),
    # bool: exactly the default true and false values; 1 and 0 alone are int64
    (["true", "false", "True", "FALSE", "1", "0"], pa.bool_()),
    (["1", "0"], pa.int64()),
    ([" true"], pa.string()),
    (["tRUE"], pa.string()),
    (["yes", "no"], pa.string()),
    (["1.5", "true"], pa.string()),
    # date32: YYYY-MM-DD, a real day, spaces and tabs around
    (["2020-01-31", " 2020-02-29", "2020-01-31\t", "0000-01-01", "9999-12-31"], pa.date32()),
    (["2020-1-31"], pa.string()),
    (["2020-02-30"], pa.string()),
    (["1900-02-29"], pa.string()),
    (["2020/01/31"], pa.string()),
    (["20200131"], pa.int64()),
    # time32[s]: HH:MM or HH:MM:SS, spaces and tabs around; no fraction
    (["12:34:56", "12:34", " 00:00 "], pa.time32("s")),
    (["1:34"], pa.string()),
    (["24:00:00"], pa.string()),
    (["23:59:60"], pa.string()),
    (["12:34:56.5"], pa.string()),
    # timestamp[s]: a date, then T or a space and HH, HH:MM or HH:MM:SS; nothing around
    (["2020-01-31T12:34:56", "2020-01-31 12:34", "2020-01-31T12", "2020-01-31"], pa.timestamp("s")),
    ([" 2020-01-31T12:34:56"], pa.string()),
    (["2020-01-31 12:34:56 "], pa.string()),
    (["2020-01-31t12:34:56"], pa.string()),
    (["2020-01-31T1234"], pa.string()),
    (["2020-01-31T24:00:00"], pa.string()),
    (["2300-01-01 00:00:00"], pa.timestamp("s")),
    # a fraction of a second (1 to 9 digits, even .000): timestamp[ns], within its range
    (["2020-01-31 12:34:56.123", "2020-01-31"], pa.timestamp("ns")),
    (["2020-01-31T12:34:56.000"], pa.timestamp("ns")),
    (["2020-01-31T12:34:56.123456789"], pa.timestamp("ns")),
    (["2020-01-31T12:34:56.1234567891"], pa.string()),
    (["2020-01-31T12:34:56."], pa.string()),
    (["2262-04-11T23:47:16.854775807"], pa.timestamp("ns")),
    (["2262-04-11T23:47:16.854775808"], pa.string()),
    (["2300-01-01 00:00:00", "2020-01-01 00:00:00.5"], pa.string()),
    # a zone (Z, +HH, +HHMM, +HH:MM): timestamp with UTC, for every value of the column
    (
        ["2020-01-31T12:34:56Z", "2020-01-31 12:34+01", "2020-01-31T12-0530"],
        pa.timestamp("s", "UTC"),
    ),
    (["2020-01-31T12:34:56.5+01:00", "2020-01-31T12:34:56Z"], pa.timestamp("ns", "UTC")),
    (["2020-01-31T12:34:56Z", "2020-01-31T12:34:56"], pa.string()),
    (["2020-01-31", "2020-01-31T12:34:56Z"], pa.string()),
    (["2020-01-31Z"], pa.string()),
    (["2020-01-31T12:34:56z"], pa.string()),
    (["2020-01-31T12:34:56+24:00"], pa.string()),
    (["2020-01-31T12:34:56 +01:00"], pa.string()),
    (["1677-09-21T00:12:43.5-01:00"], pa.timestamp("ns", "UTC")),
    (["1677-09-21T00:12:43.5+01:00"], pa.string()),
    # kinds mixed: the first type that reads them all
    (["12:34:56", "2020-01-31T12:34:56"], pa.string()),
    (["1", "2020-01-31"], pa.string()),
    (["1", "true"], pa.bool_()),
    (["abc", "1"], pa.string()),
    # quoted fields are read as their text; a quoted missing-value string is missing
    (['"5"', '" 6 "', '"NA"'], pa.int64()),
    (['"true"'], pa.bool_()),
    # not UTF-8: binary
    ([b"\xffa", b"1"], pa.binary()),
]


@pytest.mark.parametrize(("values", "expected"), RULES, ids=[repr(v) for v, _ in RULES])
def test_rule(values, expected):
    assert inferred(values) == expected
    assert pyarrow_first(one_column(values), ["c"]).schema.field(0).type == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1,5", ",5", "5,", "1,5e3", "inf"], pa.float64()),
        (["1.5"], pa.string()),
        (["1", "2"], pa.int64()),
    ],
)
def test_rule_with_a_decimal_comma(values, expected):
    d = dialect(delimiter=";", decimal_point=",")
    assert inferred(values, d) == expected
    assert pyarrow_first(one_column(values), ["c"], d).schema.field(0).type == expected


def test_values_of_every_type_equal_pyarrow_s():
    records = (
        b"0xFFFFFFFFFFFFFFFF,1.5,true,2020-01-31,12:34,2020-01-31T12:34:56,"
        b"2020-01-31T12:34:56.5,2020-01-31T12:34:56+01:00,x,NA\n"
        b" 5 ,nan,NA,0000-01-01, 23:59:59 ,0000-01-01,1969-12-31 23:59:59.25,"
        b"2020-01-31T00-0530,NA,\n"
        b"NA,-inf,0,9999-12-31,NA,NA,NA,NA,,NA\n"
    )
    names = [f"c{i}" for i in range(10)]
    assert_same_batch(first_batch(records, names, dialect(), BLOCK), pyarrow_first(records, names))


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_the_first_batch_is_pyarrow_s_first_block(end):
    """Typed from the records of the first block only: a record past it does not count."""
    records = end.join([b"1"] * 9 + [b"x"]) + end
    for block_size in range(len(records) - 4, len(records) + 1):
        ours = first_batch(records, ["c"], dialect(), block_size)
        assert_same_batch(ours, pyarrow_first(records, ["c"], block_size=block_size))


def test_a_first_block_of_many_parts_is_typed_as_one():
    """A first block of several megabytes is parsed in parts on the threads and typed a column
    at a time: each column's type is decided by all of its rows, the deciding value in the last
    part or the first, as pyarrow types the block whole."""
    rows = 40_000
    late = rows - 3  # in the last part

    def column(i: int) -> list[str]:
        return [
            "7" if i != late else "7.5",  # int64, made double at the end
            str(i) if i != late else "x",  # int64, made text at the end
            "1" if i % 2 else ("0" if i != late else "2"),  # bool, made int64 at the end
            "NA" if i < late else "3.25",  # null, but for one value at the end
            "2020-01-31" if i != 5 else "2020-01-31 12:00",  # date, made timestamp at the start
            f"{i}.5" if i % 1000 else "",  # double with missing values throughout
            '"a\nb"' if i % 7 == 0 else "plain",  # text, line breaks in quotes in every part
            "true" if i != late else "True",  # bool throughout
        ]

    lines = [",".join(column(i)) for i in range(rows)]
    records = ("\n".join(lines) + "\n").encode()
    names = [f"c{i}" for i in range(8)]
    assert len(records) > 8 * (64 << 10)  # parts of at least 64 KiB: many of them
    ours = first_batch(records, names, dialect(), len(records) + 1)
    theirs = pyarrow_first(records, names, block_size=len(records) + 1)
    assert [str(t) for t in ours.schema.types] == [
        "double",
        "string",
        "int64",
        "double",
        "timestamp[s]",
        "double",
        "string",
        "bool",
    ]
    assert_same_batch(ours, theirs)
    assert_types_of(records, names, len(records) + 1)


# -- generated columns against pyarrow ----------------------------------------------------------

_ints = st.integers(-(2**70), 2**70).map(str)
_floats = st.floats(allow_nan=True).map(repr) | st.sampled_from(["inf", "-Infinity", "NAN"])
_bools = st.sampled_from(["true", "false", "True", "FALSE", "1", "0", "yes"])
_dates = st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}")
_times = st.times().map(lambda t: t.strftime("%H:%M:%S")) | st.times().map(
    lambda t: t.strftime("%H:%M")
)
_zones = st.sampled_from(["Z", "+01:00", "-0530", "+02"])


@st.composite
def _stamps(draw):
    """Timestamps of one shape, a column's: with or without a fraction, with or without zones."""
    sep = draw(st.sampled_from(["T", " "]))
    fraction = draw(st.sampled_from(["", ".5", ".123456789", ".000"]))
    zone = draw(st.sampled_from(["", "zone"]))
    # Mostly within nanoseconds' range (1677 to 2262), sometimes past it.
    moments = st.datetimes(datetime(1678, 1, 1), datetime(2261, 12, 31)) | st.datetimes(
        datetime(1000, 1, 1)
    )
    times = moments.map(lambda dt: dt.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + fraction)
    return times if not zone else st.builds(str.__add__, times, _zones)


_nulls = st.sampled_from(list(NULLS))
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters='\r\n"\x00'), max_size=6)
_any_stamp = _stamps().flatmap(lambda s: s)
_token = st.one_of(_ints, _floats, _bools, _dates, _times, _any_stamp, _nulls, _text)
_space = st.sampled_from([" ", "\t", "  "])


@st.composite
def _column(draw):
    """A column's values: of one kind, sometimes with missing values or values of any kind
    among them (the mixes that decide between types are rare among values of anything), some
    with spaces or tabs around them, some quoted."""
    kind = draw(st.sampled_from([_token, _ints, _floats, _dates, _times, _bools]) | _stamps())
    if draw(st.integers(0, 3)) == 0:
        kind = st.one_of(kind, _nulls, _token)
    elif draw(st.booleans()):
        kind = st.one_of(kind, _nulls)
    padded = draw(st.integers(0, 3)) == 0
    quoted = draw(st.integers(0, 3)) == 0

    @st.composite
    def field(draw):
        value = draw(kind)
        if padded and draw(st.booleans()):
            value = draw(_space) + value + draw(_space)
        if (quoted and draw(st.booleans())) or any(c in value for c in ',"'):
            value = '"' + value.replace('"', '""') + '"'
        return value

    return field()


@st.composite
def _records(draw):
    columns = draw(st.lists(_column(), min_size=1, max_size=3))
    rows = draw(st.integers(1, 6))
    lines = [",".join(draw(column) for column in columns) for _ in range(rows)]
    return ("\n".join(lines) + "\n").encode(), [f"c{i}" for i in range(len(columns))]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records())
def test_generated_columns_are_typed_as_pyarrow_types_them(case):
    records, names = case
    try:
        theirs = pyarrow_first(records, names)
    except pa.ArrowInvalid:
        assume(False)  # not a CSV of this many columns to pyarrow either
    except StopIteration:  # only empty lines: no record (the reader needs none typed)
        assert first_batch(records, names, dialect(), BLOCK).num_rows == 0
        return
    assert_same_batch(first_batch(records, names, dialect(), BLOCK), theirs)


def assert_types_of(records: bytes, names: list[str], block_size: int = BLOCK) -> None:
    """first_types gives first_batch's types, the values of its columns other than float64, and
    its float64 columns holding a magnitude of 2**63 or more."""
    whole = first_batch(records, names, dialect(), block_size)
    found = first_types(records, names, dialect(), block_size)
    assert found.schema == whole.schema
    assert found.rows == whole.num_rows
    others = [f.name for f in whole.schema if f.type != pa.float64()]
    assert found.values.schema.names == others
    assert_same_batch(found.values, whole.select(others))
    floats = [f.name for f in whole.schema if f.type == pa.float64()]
    values = {
        n: [v for v in whole[n].to_pylist() if v is not None and not math.isnan(v)] for n in floats
    }
    reach = {n: max(map(abs, values[n]), default=0.0) for n in floats}
    assert found.beyond_int64 == {n for n in floats if reach[n] >= 2.0**63}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records())
def test_first_types_are_the_first_batch_s(case):
    records, names = case
    try:
        first_batch(records, names, dialect(), BLOCK)
    except RecordError:
        assume(False)  # a malformed record: refused alike (tested apart)
    assert_types_of(records, names)


_EDGES = [
    "2020-01-31T12:34:56.123+01:00",
    "2020-02-29 23:59:59Z",
    "12:34:56",
    "0x1F",
    "-9223372036854775808",
    "1.5e-3",
    "-1,5e3",
    "true",
    "2262-04-11T23:47:16.854775807",
    "1677-09-21T00:12:44.5-00:30",
    "0000-01-01T00",
]


@st.composite
def _near_edges(draw):
    """A value of some type with a few characters replaced, inserted or taken away: the
    grammars' edges (a digit too many, a sign, a separator)."""
    value = list(draw(st.sampled_from(_EDGES)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(value)))
        char = draw(st.sampled_from("0123456789-+:.,TZ xXeE\tafn"))
        edit = draw(st.sampled_from(["replace", "insert", "delete"]))
        if edit == "insert" or not value:
            value.insert(at, char)
        elif edit == "replace":
            value[min(at, len(value) - 1)] = char
        else:
            del value[min(at, len(value) - 1)]
    return "".join(value)


@settings(max_examples=300, deadline=None)
@given(_near_edges(), st.sampled_from([".", ","]))
def test_values_near_the_edges_are_typed_as_pyarrow_types_them(value, decimal_point):
    d = dialect(delimiter=";" if decimal_point == "," else ",", decimal_point=decimal_point)
    assume(d.delimiter not in value)
    records = one_column([value])
    try:
        theirs = pyarrow_first(records, ["c"], d)
    except StopIteration:
        assume(False)  # an empty line: no record
    assert_same_batch(first_batch(records, ["c"], d, BLOCK), theirs)


# -- through the reader -------------------------------------------------------------------------


def test_a_column_that_is_not_utf8_in_the_first_block_is_refused(tmp_path):
    path = tmp_path / "latin.csv"
    # Past the first 64 KiB, which are checked to be text: pyarrow types the column binary,
    # which a fit passed through and the transform refused.
    rows = b"".join(b"r%d,%d\n" % (i, i) for i in range(10_000))
    path.write_bytes(b"name,x\n" + rows + b"caf\xe9,1\n")
    source = open_input(str(path), ReadOptions(csv=CsvOptions()))
    with pytest.raises(InputError, match=r"column 'name' at data row 10,001: invalid UTF-8 text"):
        _ = source.schema
    source = open_input(str(path), ReadOptions(csv=CsvOptions(encoding="latin-1")))
    assert source.schema.field("name").type == pa.string()
    assert source.schema.field("x").type == pa.int64()


def test_a_malformed_record_of_the_first_block_names_its_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n# a note\n3,4,5\n")
    with pytest.raises(
        InputError, match=r"at data row 2 \(line 4\): malformed CSV: expected 2 fields, got 3"
    ):
        _ = open_input(str(path), ReadOptions(csv=CsvOptions())).schema


def test_a_record_one_byte_past_the_first_block_is_typed_with_the_rows_after_it(tmp_path):
    """The first block read is a block and one byte, cut at a record end; holding fewer than
    1,024 rows, it is not all the types are decided from: the record after it is typed with the
    rows that follow (a word among numbers: a column of numbers, which refuses it with its row),
    and looked at for leading zeros."""
    # 818 records of 5 bytes (codes of two digits), then one of 7 that ends at the block's byte
    # 4,097.
    records = b"10,1\n" * 818
    options = ReadOptions(csv=CsvOptions(block_size=4096))
    path = tmp_path / "edge.csv"
    path.write_bytes(b"a,b\n" + records + b"17,abc\n" + b"10,1\n" * 5)
    schema = open_input(str(path), options).schema
    assert schema.field("b").type == pa.float64()
    assert schema.field("a").type == pa.int64()
    path.write_bytes(b"a,b\n" + records + b"07,abc\n" + b"10,1\n" * 5)
    schema = open_input(str(path), options).schema
    assert schema.field("a").type == pa.string()


def test_a_malformed_record_of_a_piped_first_block_names_its_line(tmp_path):
    """Standard input cannot be read again: the line is counted in the first block itself, its
    comment lines included."""
    done = subprocess.run(
        [sys.executable, "-m", "normkit", "fit", "-", "-o", str(tmp_path / "s.json")],
        input=b"# exported\na,b\n1,2\n# a note\n\n3,4,5\n",
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "normkit: error: <stdin> at data row 2 (line 6): malformed CSV: expected 2 fields, got 3: 3,4,5\n"
    )
