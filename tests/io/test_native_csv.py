"""The native CSV engine against references that are not normkit: pyarrow's CSV reader (the
reader normkit used before, whose readings the suite pins), Python's own ``float`` and the
bytes of the file itself. Hypothesis draws the inputs; arbitrary bytes are the fuzz target of
the scanner as Python drives it (the Rust crate has its own properties, ``cargo test``).
"""

from __future__ import annotations

import csv
import io
import math
import re
import struct

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normkit import CsvOptions, InputError, ReadOptions, open_input
from normkit.errors import NormkitError
from normkit.io.csv.escapes import records
from normkit.io.csv.native import MIN_ROWS
from normkit.io.options import DEFAULT_NULL_VALUES

BLOCK = 4096  # the smallest block size: inputs of a few KB are cut many times
NULLS = ["", *DEFAULT_NULL_VALUES]


def read(path, floats, block_size=BLOCK, **csv) -> pa.Table:
    source = open_input(str(path), ReadOptions(csv=CsvOptions(block_size=block_size, **csv)))
    batches = list(source.batches(list(floats), all_columns=True))
    return pa.Table.from_batches(batches, schema=source.batch_schema(list(floats)))


def pyarrow_reading(data: bytes, floats, names, escape: str | None = None) -> pa.Table:
    types = {n: pa.float64() if n in floats else pa.string() for n in names}
    return pacsv.read_csv(
        io.BytesIO(data),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, escape_char=escape or False),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            null_values=NULLS,
            strings_can_be_null=False,
            quoted_strings_can_be_null=True,
        ),
    )


def bits(values) -> list:
    return [None if v is None else struct.pack("<d", v) for v in values]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("native")


# -- floats as Python reads them ----------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
spelled = st.one_of(
    finite.map(repr),
    finite.map(lambda x: f"{x:.17g}"),
    finite.map(lambda x: f"{x:.3e}"),
    finite.map(lambda x: f"{x:.25f}"),  # more digits than a float64 holds
    st.integers(-(10**30), 10**30).map(str),
    st.tuples(st.integers(0, 10**20), st.integers(-330, 310)).map(lambda t: f"{t[0]}e{t[1]}"),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(st.lists(spelled, min_size=1, max_size=400))
def test_numbers_are_read_as_python_reads_them(scratch, texts):
    """Correctly rounded, bit for bit, however the number is written (subnormals, 25 digits
    after the point, exponents near the ends of the range)."""
    path = scratch / "numbers.csv"
    path.write_text("x\n" + "\n".join(texts) + "\n")
    got = read(path, ["x"]).column("x").to_pylist()
    want = []
    for text in texts:
        value = float(text)
        want.append(None if math.isinf(value) else value)
    # An overflow to infinity is read as infinity and refused later; only finite ones compare.
    assert bits([g if g is None or math.isfinite(g) else None for g in got]) == bits(want)


# -- tables with quoting, line ends, missing values, against pyarrow ----------------------------

text_field = st.text(
    alphabet=st.sampled_from(list('ab ,;"\n\r\tü1.-\\')), max_size=12
) | st.sampled_from(NULLS)
number_field = st.one_of(finite.map(repr), st.sampled_from(NULLS))


def quoted(text: str, escapes: list[bool] | None = None) -> str:
    """``text`` in quotes, its quotes doubled, or with ``escapes`` backslashes escaped and each
    quote escaped by a backslash or doubled as the next of ``escapes`` says."""
    if escapes is None:
        return '"' + text.replace('"', '""') + '"'
    text = text.replace("\\", "\\\\")
    return '"' + "".join(('\\"' if escapes.pop() else '""') if c == '"' else c for c in text) + '"'


@st.composite
def tables(draw, escape: bool = False):
    """A CSV of a number and a text column; with ``escape``, quotes in quoted fields escaped by
    a backslash (or doubled), and a text with a backslash quoted (pyarrow's escape, unlike
    normkit's, acts outside quotes too)."""
    n_rows = draw(st.integers(1, 300))
    line_end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    rows = []
    for _ in range(n_rows):
        text = draw(text_field)
        number = draw(number_field)
        # A field is quoted when it must be (delimiter, quote, line break) or at random.
        needs = any(c in text for c in ',"\n\r' + ("\\" if escape else ""))
        escapes = draw(st.lists(st.booleans(), min_size=12, max_size=12)) if escape else None
        shown_text = quoted(text, escapes) if needs or draw(st.booleans()) else text
        shown_number = quoted(number) if draw(st.integers(0, 9)) == 0 else number
        rows.append(f"{shown_number},{shown_text}")
    body = line_end.join(["x,t", *rows])
    if draw(st.booleans()):
        body += line_end
    return body.encode("utf-8")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=80)
@given(
    st.booleans().flatmap(lambda e: st.tuples(tables(e), st.just(e))),
    st.sampled_from([BLOCK, 64 << 10]),
)
def test_tables_read_as_pyarrow_reads_them_whole(scratch, table, block_size):
    # The quote given, as pyarrow is told it: a detected one refuses quoted line breaks that
    # read as rows (a stray quote), which random text such as "\r1," does (tests/cli/
    # test_stray_quotes.py).
    data, escape = table
    escape = "\\" if escape else ""
    path = scratch / "table.csv"
    path.write_bytes(data)
    try:
        want = pyarrow_reading(data, ["x"], ["x", "t"], escape)
    except pa.ArrowInvalid:
        # pyarrow cannot read it; normkit must refuse it too, in one clear error.
        with pytest.raises(InputError):
            read(path, ["x"], block_size, escape=escape, quote='"')
        return
    got = read(path, ["x"], block_size, escape=escape, quote='"')
    assert got.column("t").to_pylist() == want.column("t").to_pylist()
    assert bits(got.column("x").to_pylist()) == bits(want.column("x").to_pylist())


@settings(max_examples=60)  # tables of up to 300 rows: drawing them takes most of the time
@given(st.booleans().flatmap(lambda e: st.tuples(tables(e), st.just(e))))
def test_the_records_the_sniffer_reads_are_pyarrows(table):
    # The dialect's detection splits the head by the engine's grammar (quotes.records), with
    # and without an escape: the records and fields pyarrow reads.
    data, escape = table
    try:
        want = pyarrow_reading(data, [], ["x", "t"], "\\" if escape else None)
    except pa.ArrowInvalid:
        return
    lines = io.StringIO(data.decode(), newline="").readlines()
    found = records(lines, ",", '"', "\\" if escape else None)
    got = [r.fields for r in found if len(r.fields) > 1 or r.fields[0]]
    assert got[0] == ["x", "t"]
    assert got[1:] == [list(row.values()) for row in want.to_pylist()]
    assert not any(r.open for r in found)


# -- spaces before quotes, against Python's csv module ------------------------------------------


@st.composite
def spaced_tables(draw):
    """A CSV of a number and a quoted text column, each field after 0 to 3 spaces (`"Year",
    "Score"`, `1970,  73, "Hi, Mom!"`), as hand-written files and some exports have them."""
    line_end = draw(st.sampled_from(["\n", "\r\n"]))
    rows = ['"x", "t"']
    for _ in range(draw(st.integers(1, 200))):
        pad = [" " * draw(st.integers(0, 3)) for _ in range(2)]
        number = draw(number_field)
        if number in NULLS:
            pad[0] = ""  # a missing value is matched as written, spaces and all
        rows.append(f"{pad[0]}{number},{pad[1]}{quoted(draw(text_field))}")
    return line_end.join(rows).encode("utf-8")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(spaced_tables(), st.sampled_from([BLOCK, 64 << 10]))
def test_spaces_before_a_quote_are_read_as_csv_skipinitialspace_reads_them(
    scratch, data, block_size
):
    path = scratch / "spaced.csv"
    path.write_bytes(data)
    text = io.StringIO(data.decode(), newline="")
    want = list(csv.reader(text, skipinitialspace=True))
    got = read(path, ["x"], block_size, quote='"')  # given, as to csv (see above)
    assert got.column_names == want[0] == ["x", "t"]
    assert got.column("t").to_pylist() == [r[1] for r in want[1:]]  # text: never missing
    numbers = [None if r[0] in NULLS else float(r[0]) for r in want[1:]]
    assert bits(got.column("x").to_pylist()) == bits(numbers)


def test_spaces_after_a_closing_quote_are_no_text(scratch):
    path = scratch / "after.csv"
    path.write_bytes(b'x, "t"  ,u\n1, "a, b" ,"c" \r\n2 ,"d" e, " f"\n')
    got = read(path, ["x"], escape="")
    assert got.column("t").to_pylist() == ["a, b", "d e"]  # text after the quote keeps its spaces
    assert got.column("u").to_pylist() == ["c", " f"]
    assert got.column("x").to_pylist() == [1.0, 2.0]


# -- bad rows: the line named is the line of the file ------------------------------------------


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(
    st.integers(1, 3000),
    st.integers(0, 2999),
    st.sampled_from(["1", "1,2,3", "1,2,3,4"]),
    st.sampled_from(["\n", "\r\n"]),
    st.integers(0, 3),
)
def test_a_bad_row_is_named_by_its_line(scratch, n_rows, at, bad, line_end, multiline):
    """A row with too few or too many fields, anywhere among rows that hold quoted line breaks:
    the error names the line an editor shows it on."""
    at = at % n_rows
    rows = [f'{i}.5,"note{line_end * multiline}{i}"' for i in range(n_rows)]
    rows[at] = bad
    path = scratch / "bad.csv"
    path.write_bytes(line_end.join(["x,t", *rows, ""]).encode())
    line = 2 + sum(1 + multiline for r in rows[:at])  # the header is line 1
    with pytest.raises(
        InputError, match=rf"at data row {at + 1:,} \(line {line:,}\): malformed CSV: expected 2"
    ):
        read(path, ["x"])


@pytest.mark.parametrize(
    ("before", "row", "line"),
    [
        ("1,a\n2,b\n", 3, None),  # line 4, as row 3 tells: not named
        ('1,"a\nb"\n2,b\n', 3, 5),  # a quoted line break before it
        ("1,a\n\n\n2,b\n", 3, 6),  # blank lines before it
    ],
)
def test_a_bad_number_is_named_by_its_row_and_by_its_line_where_they_differ(
    tmp_path, before, row, line
):
    path = tmp_path / "bad.csv"
    path.write_bytes(f"x,t\n{before}abc,c\n4,d\n".encode())
    where = f"data row {row}" + (f" (line {line})" if line else "")
    with pytest.raises(InputError, match=rf"column 'x' at {re.escape(where)}: 'abc' is not a"):
        read(path, ["x"])


@pytest.mark.parametrize("chunks_before_end", [1, 2, 3])
def test_a_bad_record_comes_before_a_truncated_stream_after_it(tmp_path, chunks_before_end):
    """A bad record in a chunk still being parsed when a later read fails (a compressed stream
    cut short): the first error in the file is the one named, not the read's."""
    import gzip

    block_size = 64 << 10  # chunks of 256 KiB, each filled by one read
    rows = [f"{i}.25,r{i}" for i in range(200_000)]  # about 3 MB: 11 chunks
    at = len(rows) - chunks_before_end * 20_000 - 12_000
    rows[at] = "abc,r"
    data = gzip.compress(("x,t\n" + "\n".join(rows) + "\n").encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[:-200])  # the end of the stream, and of its last few records, cut
    with pytest.raises(InputError, match=rf"column 'x' at data row {at + 1:,}: 'abc' is not a"):
        read(path, ["x"], block_size)


# -- fuzz: any bytes are read or refused in one line, never a crash ----------------------------


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(
    st.binary(max_size=3000)
    | st.lists(st.sampled_from([b"a", b",", b'"', b"\n", b"\r", b"1.5", b"\xff", b"NA"])).map(
        b"".join
    )
)
def test_any_bytes_are_read_or_refused(scratch, data):
    path = scratch / "fuzz.csv"
    path.write_bytes(b"x,t\n" + data)
    try:
        read(path, [])
    except NormkitError as exc:  # anything else fails the test
        message = str(exc)
    else:
        return
    assert str(path) in message
    assert "\n" not in message


@pytest.mark.parametrize("block_size", [4096, 1 << 16])
def test_a_quote_on_a_comment_line_opens_no_field(tmp_path, block_size):
    # The comment's quote, at a field's start, must not make the scanner cut blocks inside
    # what it takes for a quoted field (the rows after it were lost to a wrong refusal).
    rows = [f"{i},{i / 2}" for i in range(20_000)]
    path = tmp_path / "commented.csv"
    path.write_text("a,b\n" + '#,"a note\n' + "\n".join(rows) + "\n")
    table = read(path, ["a", "b"], block_size=block_size, comment="#")
    assert table.column("a").to_pylist() == [float(i) for i in range(20_000)]
    assert table.column("b").to_pylist() == [i / 2 for i in range(20_000)]


def test_a_first_record_longer_than_the_block_is_read(tmp_path):
    # The first block was cut before the first record's end, and the file read as having no
    # rows ("only a header"); a record of up to four blocks is read as anywhere else.
    path = tmp_path / "long.csv"
    rows = [f"{i},y,{2 * i}" for i in range(2, 50)]
    path.write_text("a,b,c\n" + "1," + "x" * 10_000 + ",2\n" + "\n".join(rows) + "\n")
    source = open_input(str(path), ReadOptions(csv=CsvOptions(block_size=BLOCK)))
    assert source.schema.field("b").type == pa.string()
    assert source.schema.field("c").type == pa.int64()
    table = read(path, ["a", "c"])
    assert table.column("a").to_pylist() == [float(i) for i in range(1, 50)]
    assert table.column("c").to_pylist() == [2.0 * i for i in range(1, 50)]
    path.write_text("a,b\n" + "1," + "x" * 20_000 + "\n2,y\n")
    with pytest.raises(InputError, match="at line 2: a CSV row is longer than the block size"):
        _ = open_input(str(path), ReadOptions(csv=CsvOptions(block_size=BLOCK))).schema


def test_wide_rows_come_in_one_batch_of_all_of_them(tmp_path):
    # Rows of many columns: the first chunk holds a few, and the chunk grows; the rows of that
    # first chunk come in the grown batch, not in a batch of their own (each batch costs work
    # per column), and every value reads as pyarrow reads it.
    n_rows, n_columns = 120, 3000
    names = [f"c{j}" for j in range(n_columns)]
    lines = [
        ",".join(f"{i * n_columns + j}.{j % 7}" for j in range(n_columns)) for i in range(n_rows)
    ]
    data = (",".join(names) + "\n" + "\n".join(lines) + "\n").encode()
    block = 1 << 16  # rows of 30 KB: a chunk of four blocks holds 8 of them
    assert 4 * block < len(data) // n_rows * MIN_ROWS
    path = tmp_path / "wide.csv"
    path.write_bytes(data)
    source = open_input(str(path), ReadOptions(csv=CsvOptions(block_size=block)))
    batches = list(source.batches(names, all_columns=True))
    assert [b.num_rows for b in batches] == [n_rows]
    expected = pyarrow_reading(data, set(names), names)
    table = pa.Table.from_batches(batches)
    assert bits(table.column("c2999").to_pylist()) == bits(expected.column("c2999").to_pylist())
    assert table.equals(expected)


# The rules that type a text column by its values, as RE2 (pyarrow's compute) wrote them before
# they were Python's re: both must tell the same values.
RE2_NUMBER = r"^\s*[+-]?(?:(?:\d+{point}?\d*|{point}\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)\s*$"
RE2_WRITTEN = (
    r"^\s*[+-]?(?:\d{1,3}(?:(?:,\d{3})+(?:\.\d+)?|(?:\.\d{3})+(?:,\d+)?|(?:'\d{3})+(?:[.,]\d+)?)"
    r"|\d*[.,]\d+(?:[eE][+-]?\d+)?)\s*$"
)
RE2_PLACEHOLDER = r"^\s*[^\p{L}\p{N}_\s\x{fffd}]+\s*$"

VALUE_TEXT = st.text(
    st.sampled_from(
        [*"0123456789+-.,'eEinfatyINF ?*#/_\t\n\r\f\v\xa0", "東", "ж", "٣", "²", "\ufffd"]
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUE_TEXT, min_size=1, max_size=20), st.sampled_from([".", ","]))
def test_text_is_told_numbers_as_re2_told_them(values, point):
    import re

    import pyarrow.compute as pc

    from normkit.io.csv.columns import NUMBER, PLACEHOLDER, WRITTEN_NUMBER

    array = pa.array(values, pa.string())
    number = re.compile(NUMBER.format(point=re.escape(point)), re.ASCII | re.IGNORECASE)
    re2 = RE2_NUMBER.format(point=re.escape(point))
    assert [bool(number.fullmatch(v)) for v in values] == pc.match_substring_regex(
        array, re2, ignore_case=True
    ).to_pylist()
    written = re.compile(WRITTEN_NUMBER, re.ASCII)
    assert [bool(written.fullmatch(v)) for v in values] == pc.match_substring_regex(
        array, RE2_WRITTEN
    ).to_pylist()
    placeholder = re.compile(PLACEHOLDER)
    assert [bool(placeholder.fullmatch(v)) for v in values] == pc.match_substring_regex(
        array, RE2_PLACEHOLDER
    ).to_pylist()
