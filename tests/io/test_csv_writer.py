"""CSV output (normkit.io.csv.writer): every value reads back as it was, floats in their
shortest text, and the same text as Polars' writer but for the `+` of positive exponents."""

import datetime
import decimal
import decimal as decimal_module
import io

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normkit.errors import OutputError
from normkit.io.csv.writer import CsvWriter


def written(table: pa.Table, *, delimiter=",", decimal=".", quote='"', batch_rows=None) -> bytes:
    sink = pa.BufferOutputStream()
    writer = CsvWriter(sink, table.schema, delimiter, decimal=decimal, quote=quote)
    for batch in table.to_batches(max_chunksize=batch_rows):
        writer.write_batch(batch)
    writer.close()
    return sink.getvalue().to_pybytes()


def read_back(text: bytes, schema: pa.Schema, delimiter=",") -> pa.Table:
    return pacsv.read_csv(
        io.BytesIO(text),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            null_values=[""],  # not pyarrow's default list, which holds "NaN"
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


texts = (
    st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\té€')), min_size=0, max_size=8) | st.none()
)
floats = st.floats(allow_nan=True, allow_infinity=True) | st.none()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            floats, texts, st.integers(-(2**63), 2**63 - 1) | st.none(), st.booleans() | st.none()
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 7),
)
def test_every_value_reads_back_as_it_was(rows, batch_rows):
    f, t, i, b = (list(c) for c in zip(*rows, strict=True))
    schema = pa.schema(
        [("f", pa.float64()), ("t", pa.string()), ("i", pa.int64()), ("b", pa.bool_())]
    )
    table = pa.table([f, t, i, b], schema=schema)
    back = read_back(written(table, batch_rows=batch_rows), schema)
    got = back.column("f").to_numpy(zero_copy_only=False)
    want = table.column("f").to_numpy(zero_copy_only=False)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    finite = ~np.isnan(want)
    assert np.array_equal(got[finite].view(np.int64), want[finite].view(np.int64))  # bits
    assert back.column("f").null_count == table.column("f").null_count
    # An empty text is written as a missing value: the two are one field in CSV.
    assert back.column("t").to_pylist() == [x or None for x in t]
    assert back.column("i").to_pylist() == i
    assert back.column("b").to_pylist() == b


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_floats_are_polars_text_without_the_plus_of_exponents(values):
    table = pa.table({"x": pa.array(values, pa.float64()), "y": pa.array(values[::-1])})
    polars = io.BytesIO()
    pl.from_arrow(table).write_csv(polars, include_header=True)
    ours = written(table).decode()
    assert ours == polars.getvalue().decode().replace("e+", "e")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False) | st.none(), min_size=1, max_size=30)
)
def test_decimal_commas_read_back(values):
    table = pa.table({"x": pa.array(values, pa.float64()), "n": pa.array(range(len(values)))})
    text = written(table, delimiter=";", decimal=",")
    back = pacsv.read_csv(
        io.BytesIO(text),
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(column_types={"x": pa.float64()}, decimal_point=","),
    )
    assert back.column("x").to_pylist() == values


@pytest.mark.parametrize(("delimiter", "decimal"), [(";", ","), (",", ","), (",", ".")])
def test_decimals_and_float16_are_written_as_numbers_read_back(delimiter, decimal):
    """A decimal128 column was written `103.78` in an output of `,` decimals, which pandas and
    DuckDB, told the output's separators, read as text (and normkit refused); float16 came out
    in float64's digits (`0.0999755859375` for 0.1)."""
    prices = [decimal_module.Decimal("103.78"), None, decimal_module.Decimal("-0.05")]
    half = np.array([0.1, 2.5, -1e-3], dtype=np.float16)
    table = pa.table({"p": pa.array(prices, pa.decimal128(10, 2)), "h": pa.array(half)})
    text = written(table, delimiter=delimiter, decimal=decimal)
    lines = text.decode().splitlines()
    cell = (lambda v: f'"{v}"') if delimiter == decimal else (lambda v: v)
    point = decimal
    assert lines[1] == delimiter.join([cell(f"103{point}78"), cell(f"0{point}1")])
    back = pacsv.read_csv(
        io.BytesIO(text),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            column_types={"p": pa.float64(), "h": pa.float64()}, decimal_point=decimal
        ),
    )
    assert back.column("p").to_pylist() == [103.78, None, -0.05]
    assert np.array_equal(back.column("h").to_numpy().astype(np.float16), half)


def test_other_types_keep_arrows_text_and_slices_their_rows():
    day = datetime.date(2024, 1, 2)
    table = pa.table(
        {
            "day": pa.array([day, None, day], pa.date32()),
            "price": pa.array(
                [decimal.Decimal("1.50"), None, decimal.Decimal("-2.25")], pa.decimal128(6, 2)
            ),
            "kind": pa.array(["a", "b,c", None]).dictionary_encode(),
            "view": pa.array(["x", "", 'q"'], pa.string_view()),
            "half": pa.array([1.5, None, -0.25], pa.float32()),
            "small": pa.array([1, None, 255], pa.uint8()),
            "none": pa.nulls(3),
            "big": pa.array(["l1", "l2", "l3"], pa.large_string()),
        }
    )
    lines = written(table.slice(1, 2)).decode().splitlines()
    assert lines == [
        "day,price,kind,view,half,small,none,big",
        ',,"b,c",,,,,l2',
        '2024-01-02,-2.25,,"q""",-0.25,255,,l3',
    ]
    assert written(table.slice(0, 1), quote="").decode().splitlines()[1] == (
        "2024-01-02,1.50,a,x,1.5,1,,l1"
    )


def test_one_column_missing_values_are_quoted_so_the_line_is_not_skipped():
    table = pa.table({"x": pa.array([1.0, None, 2.0])})
    assert written(table).decode() == 'x\n1.0\n""\n2.0\n'


@pytest.mark.parametrize("rows", [0, 1, 100_001])
def test_long_outputs_come_in_order(rows):
    x = np.arange(rows, dtype=np.float64) / 7
    table = pa.table({"x": x, "id": pa.array([f"r{k}" for k in range(rows)])})
    back = read_back(written(table, batch_rows=999), table.schema)
    assert back.equals(table)


def test_numbers_holding_the_delimiter_are_quoted_and_read_back():
    table = pa.table({"x": pa.array([-1.5, 2.0, None]), "n": pa.array([-7, 8, -9])})
    text = written(table, delimiter="-")
    assert text.decode().splitlines() == ["x-n", '"-1.5"-"-7"', "2.0-8", '-"-9"']
    back = read_back(text, table.schema, delimiter="-")
    assert back.equals(table)


@pytest.mark.parametrize(("delimiter", "decimal", "value"), [("-", ".", "-1.5"), (",", ",", "1,5")])
def test_a_value_that_cannot_be_written_unquoted_is_refused(delimiter, decimal, value):
    table = pa.table({"a": [1], "x": pa.array([float(value.replace(",", "."))])})
    sink = pa.BufferOutputStream()
    writer = CsvWriter(sink, table.schema, delimiter, decimal=decimal, quote="", name="out.csv")
    writer.write_batch(table.to_batches()[0])
    with pytest.raises(OutputError) as caught:
        writer.close()
    message = str(caught.value)
    assert message.startswith(f"out.csv: column 'x': the value {value!r} holds the delimiter")
    assert "quote" in " ".join(caught.value.hints)


def test_dictionaries_of_text_views_are_written_as_their_text():
    kind = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, None, 0], pa.int32()),
        pa.array(["plain", "a longer text, with a comma"], pa.string_view()),
    )
    table = pa.table({"kind": kind})
    assert written(table).decode().splitlines() == [
        "kind",
        "plain",
        '"a longer text, with a comma"',
        '""',
        "plain",
    ]


def test_a_wide_batch_formatted_on_several_threads_is_the_text_of_a_few_rows_at_a_time():
    """A batch of many fields is written on several threads, a range of rows each: the same
    text, in order, as a few rows at a time; in another encoding too."""
    rng = np.random.default_rng(8)
    columns = {f"x{j}": rng.normal(size=64) * 10.0 ** rng.integers(-5, 5) for j in range(2500)}
    columns["x7"] = pa.array(columns["x7"], mask=np.arange(64) % 5 == 0)
    columns["name"] = pa.array([f'é{k}, "q"' if k % 9 else None for k in range(64)])
    table = pa.table(columns)
    # 160,000 fields: on two threads or more; 16 rows (40,000 fields): on one.
    assert written(table) == written(table, batch_rows=16)
    back = read_back(written(table), table.schema)
    assert back.equals(table)

    def latin1(batch_rows):
        sink = pa.BufferOutputStream()
        writer = CsvWriter(sink, table.schema, ",", encoding="latin-1")
        for batch in table.to_batches(max_chunksize=batch_rows):
            writer.write_batch(batch)
        writer.close()
        return sink.getvalue().to_pybytes()

    assert latin1(None) == latin1(16) == written(table).decode().encode("latin-1")


def test_a_large_batch_is_formatted_in_pieces_of_about_the_piece_size(monkeypatch):
    """What is in flight is a few pieces' text, however large the batches: a batch many times
    the piece size is formatted in slices of about a piece, into the same text."""
    from normkit.io.csv import writer as module

    monkeypatch.setattr(module, "CSV_WRITE_BYTES", 1 << 14)
    rng = np.random.default_rng(9)
    x = pa.array(rng.normal(size=20_000), mask=np.arange(20_000) % 7 == 0)
    table = pa.table({"x": x, "id": pa.array([f"r{k}, q" for k in range(20_000)])})
    pieces = []

    class Recorded(CsvWriter):
        def _format(self, batches):
            pieces.append(sum(b.nbytes for b in batches))
            return super()._format(batches)

    sink = pa.BufferOutputStream()
    writer = Recorded(sink, table.schema, ",")
    writer.write_batch(table.combine_chunks().to_batches()[0])  # one batch of 20,000 rows
    writer.close()
    assert len(pieces) > 10
    assert max(pieces) <= 3 * (1 << 14)  # slices of about a piece, up to two in one
    assert sink.getvalue().to_pybytes() == written(table)


@pytest.mark.parametrize("dictionary", [False, True])
def test_text_holding_a_nul_character_is_refused_with_its_column_and_row(dictionary):
    # Written with exit 0, the CSV was then refused by normkit's own reader as binary data.
    text = pa.array(["a", "b", "c\x00d"])
    text = text.dictionary_encode() if dictionary else text
    batch = pa.record_batch({"x": [1.0, 2.0, 3.0], "s": text})
    writer = CsvWriter(pa.BufferOutputStream(), batch.schema, ",", name="out.csv")
    writer.write_batch(batch.slice(0, 2))
    with pytest.raises(OutputError, match=r"out.csv: column 's' at row 3 holds a NUL character"):
        writer.write_batch(batch.slice(2))
    writer.abandon()


def test_a_first_name_beginning_with_a_byte_order_mark_is_refused():
    # It was written as the file's first bytes: read back, a byte-order mark, the name renamed.
    schema = pa.schema([("\ufeffname", pa.string()), ("x", pa.float64())])
    with pytest.raises(OutputError, match="begins with a byte-order mark"):
        CsvWriter(pa.BufferOutputStream(), schema, ",", name="out.csv")
    CsvWriter(pa.BufferOutputStream(), schema, ",", header=False).abandon()  # no header: no name
