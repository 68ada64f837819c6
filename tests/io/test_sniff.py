"""The CSV dialect sniffer: the dialects of the files people write, the ambiguous heads it
refuses (naming the option that decides), the options a user gives, and random tables written by
Python's csv module."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normkit.errors import InputError
from normkit.io.csv.sniff import DELIMITERS, Sniffed, sniff


def dialect(found: Sniffed) -> tuple:
    return found.delimiter, found.quote, found.header, found.skip_rows, found.comment


COMMA = (",", '"', True, 0, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a,b,c\n1,2,3\n4,5,6\n", COMMA, id="comma"),
        pytest.param("a;b;c\n1;2;3\n4;5;6\n", (";", '"', True, 0, None), id="semicolon"),
        pytest.param("a\tb\n1\t2\n3\t4\n", ("\t", '"', True, 0, None), id="tab"),
        pytest.param("a|b\n1|2\n3|4\n", ("|", '"', True, 0, None), id="pipe"),
        pytest.param("a;b\n1,5;2,5\n", (";", '"', True, 0, None), id="decimal-comma"),
        pytest.param("x;y\n1,5;2\n3;4,25\n", (";", '"', True, 0, None), id="decimal-comma-some"),
        pytest.param("1,2,3\n4,5,6\n7,8,9\n", (",", '"', False, 0, None), id="headerless"),
        pytest.param("1.5;2\n3;4\n", (";", '"', False, 0, None), id="headerless-semicolon"),
        pytest.param("alice,1\nbob,2\n", (",", '"', False, 0, None), id="headerless-text-column"),
        pytest.param("1\n2\n3\n", (",", '"', False, 0, None), id="one-column"),
        pytest.param("x\n1\n2\n", COMMA, id="one-column-header"),
        pytest.param("a,b\nx,y\nz,w\n", COMMA, id="all-text"),
        # A first row whose numbers fit the columns below is data, as in DuckDB, even when a
        # text column says nothing.
        pytest.param("name,2019\nn,1\nm,2\n", (",", '"', False, 0, None), id="year-names"),
        pytest.param("a,b\n1,\n,2\nNA,3\n", COMMA, id="missing-values"),
        pytest.param("date,v\n2024-01-01,1\n2024-01-02,2\n", COMMA, id="dates-are-text"),
        pytest.param("a,b,c\n", COMMA, id="header-only"),
        pytest.param("", COMMA, id="empty"),
    ],
)
def test_dialects(text, expected):
    assert dialect(sniff(text.encode(), complete=True)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'name,note,v\nx,"a;b|c\td",1\ny,"1;2",2\n', COMMA, id="other-separators-in-quotes"
        ),
        pytest.param('a;b\n"line\nbreak";1\n"x";2\n', (";", '"', True, 0, None), id="line-break"),
        pytest.param('a,b\n"say ""hi""",1\n"x",2\n', COMMA, id="doubled-quotes"),
        pytest.param("'a b';'c'\n'x';1\n'y';2\n", (";", "'", True, 0, None), id="single-quotes"),
        pytest.param(
            "'''a,b''',45\n,234\nhello,234\n", (",", "'", False, 0, None), id="doubled-single"
        ),
        pytest.param("name,v\nO'Brien,1\nD'Arcy,2\n", COMMA, id="apostrophes"),
    ],
)
def test_quotes(text, expected):
    assert dialect(sniff(text.encode(), complete=True)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Report generated 2024-01-01\na,b\n1,2\n3,4\n", (1, None), id="title"),
        pytest.param("Sales\nRegion: EU\n\na;b\n1;2\n3;4\n", (3, None), id="preamble-and-blank"),
        pytest.param("\n\na,b\n1,2\n3,4\n", (2, None), id="blank-lines"),
        # A title with the table's field count is its first record: "Sub" is then a malformed
        # record, which the reading names (--skip-rows 3 reads it).
        pytest.param("Title, 2024\n\nSub\na,b\n1,2\n3,4\n", (0, None), id="title-with-comma"),
        pytest.param("# units: m, s\n# by tool\na,b\n1,2\n3,4\n", (2, "#"), id="comments-top"),
        pytest.param("a,b\n1,2\n# a note\n3,4\n5,6\n", (0, "#"), id="comment-inside"),
        pytest.param("#id,name\n1,a\n2,b\n", (0, None), id="header-with-hash"),
        pytest.param("tag,n\n#a,1\n#b,2\nc,3\n", (0, None), id="hashtags-are-data"),
    ],
)
def test_lines_before_the_table_and_comments(text, expected):
    found = sniff(text.encode(), complete=True)
    delimiter = ";" if ";" in text else ","
    assert (found.delimiter, found.header, found.skip_rows, found.comment) == (
        delimiter,
        True,
        *expected,
    )


def test_excel_sep_line_names_the_separator():
    found = sniff(b"sep=;\na,b;c\n1,5;2\n", complete=True)
    assert dialect(found) == (";", '"', True, 1, None)
    assert "sep=" in found.evidence


def test_header_above_rows_ending_with_a_separator_is_no_preamble():
    text = "a,b,c\n" + "".join(f"{i},{i},{i},\n" for i in range(5))
    found = sniff(text.encode(), complete=True)
    assert dialect(found) == COMMA
    assert found.unnamed_last
    assert not sniff(b"a,b\n1,2\n3,4\n", complete=True).unnamed_last


def test_a_title_block_above_rows_ending_with_a_separator_is_skipped():
    # Three title lines of two fields do not outnumber a header and two rows of three.
    text = "Vendor\tX\nStart\t06/02\nEnd\t06/29\nd\tq\tp\n06/19\t1\t9.5\t\n06/14\t2\t3.5\t\n"
    found = sniff(text.encode(), complete=True)
    assert dialect(found) == ("\t", '"', True, 3, None)
    assert found.unnamed_last


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"\xef\xbb\xbfa;b\r\n1;2\r\n3;4\r\n", id="bom-crlf"),
        pytest.param("\ufeffa;b\n1;2\n3;4\n", id="str-with-bom"),
        pytest.param(b"a;b\r1;2\r3;4\r", id="cr"),
    ],
)
def test_bom_and_line_ends(head):
    assert dialect(sniff(head, complete=True)) == (";", '"', True, 0, None)


def test_the_cut_last_line_is_ignored():
    # Cut after "1": alone, the last line would be a ragged record of one field.
    text = "a;b;c\n" + "1;2;3\n" * 3 + "1"
    assert dialect(sniff(text.encode())) == (";", '"', True, 0, None)
    # Cut inside a quoted field: the lines after its break are not records.
    text = 'a,b\n1,"x"\n2,"line\nbreak; with; separators\nand more'
    assert dialect(sniff(text.encode())) == COMMA


def test_a_head_of_one_cut_line_gives_the_defaults():
    assert dialect(sniff(b"a;b;c;d")) == COMMA
    assert dialect(sniff(b"a;b;c;d", complete=True))[0] == ";"


def test_ambiguous_separators_are_refused():
    with pytest.raises(InputError) as caught:
        sniff(b"1;2,5;3\n4;5,5;6\n7;8,5;9\n", complete=True)
    assert caught.value.param == "csv.delimiter"
    message = str(caught.value)
    assert "csv.delimiter=';'" in message
    assert "csv.delimiter=','" in message


def test_a_header_that_cannot_be_told_is_refused():
    with pytest.raises(InputError) as caught:
        sniff(b"1,2\na,b\nc,d\n", complete=True)
    assert caught.value.param == "csv.header"
    assert "csv.header=True" in str(caught.value)


@pytest.mark.parametrize("null", ["\\N", "missing"])
def test_a_missing_value_string_in_the_first_row_is_no_name(null):
    # A dump without a header whose first row holds a null among numbers: a row, which taken
    # for the header would be lost (and name the columns '1' and '\N').
    text = f"1\t{null}\n" + "".join(f"{i}\t{i % 7}.5\n" for i in range(2, 40))
    assert sniff(text.encode(), complete=True, nulls=("", null)).header is False
    assert sniff(text.encode(), complete=True).header is True  # a word above numbers: a name


@pytest.mark.parametrize("first", ["\\N", "NA,NA", ","])
def test_a_first_row_of_missing_values_alone_is_a_header(first):
    # As DuckDB and pandas read it (blank names, or names spelled as a missing value).
    width = first.count(",") + 1
    rows = "".join(",".join([f"{i}.5"] * width) + "\n" for i in range(5))
    assert sniff(f"{first}\n{rows}".encode(), complete=True, nulls=("", "\\N", "NA")).header


@pytest.mark.parametrize(
    ("text", "header"),
    [
        pytest.param("8,test,tea\n0,,test\n1,,test\n", True, id="text-above-no-values"),
        pytest.param('"8","test","tea"\n,,"test"\n"1",,"test"\n', True, id="quoted"),
        pytest.param("8,test,tea\n0,x,test\n1,y,test\n", False, id="text-above-text"),
        pytest.param("1.5,test\n0,\n1,\n", False, id="a-fraction-names-no-column"),
        pytest.param("a,test\n0,\n1,\n", True, id="text-above-numbers"),
        pytest.param("8,?\n0,\n1,\n", False, id="a-placeholder-names-nothing"),
    ],
)
def test_text_above_a_column_without_values_is_its_name(text, header):
    # As DuckDB rules: "test" does not fit a column of nulls, while the integer 8 above 0 and
    # 1 may be a column's name; a fraction never is.
    assert sniff(text.encode(), complete=True).header is header


@pytest.mark.parametrize(
    ("text", "header"),
    [
        pytest.param("a,b,c\n", True, id="names"),
        pytest.param("1,2,3\n", False, id="numbers"),
        pytest.param("1|1.1|bla\n", False, id="a-fraction"),
        pytest.param("x;-4;y\n", False, id="a-sign"),
        pytest.param("2003-01-02,5,109.16\n", False, id="a-date-and-a-fraction"),
    ],
)
def test_a_table_of_one_record(text, header):
    assert sniff(text.encode(), complete=True).header is header


@pytest.mark.parametrize(
    ("text", "inline"),
    [
        pytest.param("# log\na;b\n1;3#x;y\n6;7\n", True, id="after-values"),
        pytest.param("# log\na;b\n1;3#x\n6;7\n", False, id="a-value-or-a-comment"),
        pytest.param("# log\n1;3#x;y\n6;7\n", True, id="after-values-no-header"),
        pytest.param('# log\na;b\n1;"3#x;y"\n6;7\n', False, id="in-quotes"),
        pytest.param(" # a\n1;3\n # b\n1;4\n1;5\n", True, id="indented-comment-lines"),
        pytest.param("a;b\nC#;1\nF#;2\n", False, id="no-comment-lines"),
        pytest.param("# log\na;b\nC#;1\nF#;2\n", False, id="the-table-splits-evenly"),
        # Cutting would cut text out of a row that splits well uncut: no evidence.
        pytest.param("# log\nx;t\n1;a #1 b\n2;c #2; d\n3;e\n", False, id="text-cut"),
    ],
)
def test_comments_after_values(text, inline):
    found = sniff(text.encode(), complete=True)
    assert found.inline_comments is inline
    assert found.delimiter == ";"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A '#' line of the table's field count above a header: a comment, not the header
        # (it was read as the header, and the real one refused as a row of text).
        pytest.param("# units: m, s\na,b\n1,2\n3,5\n", (",", True, 1, "#"), id="one-line"),
        pytest.param("# a,b\nx,y\n1,2\n#c,3\n4,5\n", (",", True, 1, "#"), id="and-inside"),
        # Above rows without a header, such a line is the header still.
        pytest.param("#id,x\n1,2.5\n2,3.5\n", (",", True, 0, None), id="hashed-header"),
    ],
)
def test_a_hashed_line_above_a_header_is_a_comment(text, expected):
    found = sniff(text.encode(), complete=True)
    assert (found.delimiter, found.header, found.skip_rows, found.comment) == expected


def test_comment_lines_above_a_table_without_header_are_no_title():
    found = sniff(b"# c\n1;3\n6;7\n", complete=True)
    assert (found.header, found.skip_rows, found.comment) == (False, 1, "#")


@pytest.mark.parametrize("text", ["1,StreetA\n", "id,2019,2020\n", "0||test\n"])
def test_one_record_of_integers_beside_text_is_refused(text):
    with pytest.raises(InputError) as caught:
        sniff(text.encode(), complete=True)
    assert caught.value.param == "csv.header"
    assert "the only record is a header or a row cannot be told" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        pytest.param("1;2,5;3\n4;5,5;6\n", {"delimiter": ";"}, (";", '"', False, 0, None)),
        pytest.param("1;2,5;3\n4;5,5;6\n", {"delimiter": ","}, (",", '"', True, 0, None)),
        pytest.param("1,2\na,b\nc,d\n", {"header": False}, (",", '"', False, 0, None)),
        pytest.param("a,b\n1,2\n", {"header": False}, (",", '"', False, 0, None)),
        pytest.param("a,b\n1,2\n", {"quote": None}, (",", None, True, 0, None)),
        pytest.param("a:b\n1:2\n", {"delimiter": ":"}, (":", '"', True, 0, None)),
        pytest.param("x\ny\na,b\n1,2\n", {"skip_rows": 1}, (",", '"', True, 1, None)),
        pytest.param("T\na,b\n1,2\n3,4\n", {"skip_rows": 0}, (",", '"', True, 0, None)),
        pytest.param("a,b\n1,2\n# x\n3,4\n", {"comment": ""}, (",", '"', True, 0, None)),
        pytest.param("a,b\n1,2\n% x\n3,4\n", {"comment": "%"}, (",", '"', True, 0, "%")),
        pytest.param("sep=;\na,b\n1,2\n", {"delimiter": ","}, (",", '"', True, 1, None)),
    ],
)
def test_options_given_are_taken(text, options, expected):
    found = sniff(text.encode(), complete=True, **options)
    assert dialect(found) == expected


def test_the_evidence_is_one_sentence():
    found = sniff(b"Report\na;b\n1,5;2\n3;4\n", complete=True)
    assert "';' splits 3 records into 2 fields" in found.evidence
    assert "1 line before the table" in found.evidence
    assert "\n" not in found.evidence


# Random tables as Python's csv module writes them: names, then columns of numbers or of text
# that may hold separators, quotes and line breaks.
NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_ ]{0,8}", fullmatch=True)
NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.4g}"),
)
TEXT = st.text(alphabet="abcxyz ,;\t|\"'\n#-.", min_size=1, max_size=12)


@st.composite
def tables(draw, delimiters=DELIMITERS, text=True):
    delimiter = draw(st.sampled_from(delimiters))
    width = draw(st.integers(2, 6))
    kinds = [draw(st.booleans()) if text else True for _ in range(width)]  # True: numbers
    names = draw(st.lists(NAMES, min_size=width, max_size=width, unique=True))
    rows = draw(
        st.lists(st.tuples(*(NUMBERS if kind else TEXT for kind in kinds)), min_size=3, max_size=30)
    )
    out = io.StringIO()
    writer = csv.writer(
        out, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))
    )
    writer.writerows([names, *rows])
    return delimiter, out.getvalue()


@settings(max_examples=40, deadline=None)
@given(st.lists(tables(), min_size=20, max_size=20))
def test_random_tables_are_read_or_refused_rarely(batch):
    refused = 0
    for delimiter, text in batch:
        try:
            found = sniff(text.encode(), complete=True)
        except InputError:
            refused += 1
            continue
        assert (found.delimiter, found.header, found.skip_rows) == (delimiter, True, 0), text
    assert refused <= 1  # 5% at most


@settings(max_examples=300, deadline=None)
@given(tables(delimiters=",", text=False))
def test_a_comma_table_of_numbers_with_a_header_is_never_refused(table):
    _, text = table
    assert dialect(sniff(text.encode(), complete=True)) == COMMA


def test_comment_lines_that_outnumber_the_rows_are_still_comments():
    # Comment lines before the header and between rows, more of them than rows: without them
    # the table has two fields, so they are comments (with them the head looked one column).
    head = b"# A few comments\n# I'm a csv file\na;b\n# also\n1;3\n6;7\n# skip me\n# and me\n"
    found = sniff(head, complete=True)
    assert (found.delimiter, found.header, found.skip_rows, found.comment) == (";", True, 2, "#")


def test_a_hash_line_that_splits_as_a_row_among_comments_is_refused():
    # "# exported" is a comment, "#a,1" splits as a row: skipping it would drop a row.
    head = b"# exported\ntag,v\n#a,1\nb,2\nc,4\n"
    with pytest.raises(InputError, match="line 3 splits as a row") as caught:
        sniff(head, complete=True)
    assert caught.value.param == "csv.comment"
    assert sniff(head, comment="", complete=True).comment in ("", None)
    assert sniff(head, comment="#", complete=True).comment == "#"


def test_hash_lines_that_make_a_column_of_numbers_text_as_rows_are_refused():
    # "#1", "#2", "#3" above 4 and 5: read as rows, the ranks are a column of text (labels)
    # and the fit takes them; skipped, three of five rows go. Comment or data?
    head = b"# exported 2024\nrank,score\n#1,9.5\n#2,8.25\n#3,7.0\n4,6.5\n5,6.0\n"
    with pytest.raises(InputError, match="line 3 splits as a row") as caught:
        sniff(head, complete=True)
    assert caught.value.param == "csv.comment"
    assert dialect(sniff(head, comment="#", complete=True)) == (",", '"', True, 1, "#")
    assert dialect(sniff(head, comment="", complete=True))[2:4] == (True, 1)


@pytest.mark.parametrize(
    ("head", "line", "skip"),
    [
        pytest.param(b"# exported by tool v2\n#id,x,y\n1,0.5,2\n2,0.7,3\n3,0.25,1\n", 2, 1),
        pytest.param(
            b"##fileformat=VCFv4.2\n##source=x\n#CHROM\tPOS\tQUAL\nchr1\t100\t30.5\n"
            b"chr1\t200\t40.25\nchr2\t300\t50\n",
            3,
            2,
            id="vcf",
        ),
    ],
)
def test_a_comment_line_naming_the_columns_of_rows_without_a_header_is_refused(head, line, skip):
    # A header written as a comment (DuckDB reads it as the header), or a comment above a table
    # without one? Each option reads one way.
    with pytest.raises(InputError, match=rf"^line {line} \(#.*comment or header\?;") as caught:
        sniff(head, complete=True)
    assert caught.value.param == "csv.header"
    assert sniff(head, header=False, complete=True).header is False
    found = sniff(head, skip_rows=skip, comment="", complete=True)
    assert (found.header, found.skip_rows, found.comment) == (True, skip, None)


@pytest.mark.parametrize(
    ("head", "comment"),
    [
        (b"# exported\n#1,0.5,2\n2,0.7,3\n3,0.25,1\n", None),  # a row commented out
        (b"# exported\n#id,x,y\nid,x,y\n1,0.5,2\n2,0.7,3\n", None),  # a header below it
        (b"# exported\n#x\n1\n2\n3\n", "#"),  # one column: any line splits as its header
    ],
)
def test_a_comment_line_that_names_no_columns_or_no_headerless_rows_stays_one(head, comment):
    assert sniff(head, comment=comment, complete=True).comment == "#"


def test_a_hash_line_with_text_in_a_column_of_numbers_is_a_comment():
    # As a row, "# 20" would stand in a column of numbers and stop the fit: a comment, as the
    # lines around it are (a row commented out).
    head = b"# notes\na;b\n1;3\n# 20;7\n6;7\n# more\n2;5\n"
    found = sniff(head, complete=True)
    assert (found.delimiter, found.header, found.skip_rows, found.comment) == (";", True, 1, "#")


@pytest.mark.parametrize(
    "head",
    [
        b'# generated\nid,v,t\n1,1.5,"line1\n# not comment"\n2,2.5,x\n3,3.5,"y\n#z, w"\n4,4.5,q\n',
        # Text columns only (no header told by numbers), a comment line inside the table.
        b'# generated\nname,t\na,"x\n# y"\nb,c\n# note\nd,e\n',
    ],
)
def test_hash_lines_inside_quoted_fields_are_values_beside_comment_lines(head):
    found = sniff(head, complete=True)
    assert dialect(found) == (",", '"', True, 1, "#")


def test_excels_separator_line_is_a_line_before_the_table():
    found = sniff(b"sep=;\nx;y\n1,5;2\n2,5;3\n", complete=True)
    assert (found.delimiter, found.skip_rows, found.header) == (";", 1, True)
    # Read again with the separator a stat file recorded, or another given: still skipped.
    assert sniff(b"sep=;\nx;y\n1;2\n3;4\n", delimiter=";", complete=True).skip_rows == 1
    assert sniff(b"sep=|\nx|y\n1|2\n3|4\n", complete=True).delimiter == "|"
    # Lines to skip given: taken as they are.
    assert sniff(b"sep=;\nx;y\n1;2\n", skip_rows=0, delimiter=";", complete=True).skip_rows == 0


@pytest.mark.parametrize(
    ("text", "escape"),
    [
        pytest.param('a,b\n1,"x \\"y, z\\" w"\n2,"v"\n', "\\", id="breaks-without"),
        # Both split evenly, but without the escape a field goes on after its closing quote.
        pytest.param('a,b\n1,"x \\"y\\""\n2,"v"\n', "\\", id="runs-on-without"),
        pytest.param('a,b\n1,"O\\"Brien"\n2,"\\\\srv\\share"\n', "\\", id="runs-on-without-2"),
        pytest.param('a,b\n1,"C:\\\\"\n2,"v"\n', None, id="no-escaped-quote"),
        pytest.param('a,b\n1,x \\"y, z\\" w\n', None, id="not-in-quotes"),
        pytest.param('a,b\n1,x \\"y\n2,"v"\n', None, id="not-in-quotes-2"),
        pytest.param('# say \\"hi\\"\na,b\n1,"v"\n2,"w"\n', None, id="in-a-comment"),
        # JSON in doubled quotes: the escape would make a field go on after its quote.
        pytest.param('a,b\n1,"{""k"": ""x\\""y""}"\n2,"v"\n', None, id="json"),
    ],
)
def test_a_backslash_escapes_quotes_where_the_head_reads_better_with_it(text, escape):
    found = sniff(text.encode(), complete=True)
    assert (found.delimiter, found.header, found.escape) == (",", True, escape)


MIXED = 'id,name,v\n1,"O\\"Brien",1\n2,"C:\\dir\\",2\n3,plain,3\n'


@pytest.mark.parametrize(
    "text",
    [
        # With the escape, "C:\dir\" runs on into the next lines up to a quote before a
        # separator: as even a split, but of other records.
        pytest.param(MIXED + '4,size 12",4\n', id="escape-joins-records"),
        # With the escape, a quote is never closed: reading without quoting is no way out.
        pytest.param(MIXED + '4,"O\\"Brien",4\n', id="escape-leaves-a-quote-open"),
    ],
)
def test_backslashes_that_escape_and_end_text_in_one_head_are_refused(text):
    with pytest.raises(InputError, match=r"^line 2: the quoted field '\"O\\\"Brien\"' goes on"):
        sniff(text.encode(), complete=True)


def test_a_head_cut_in_a_quoted_field_refuses_as_a_whole_file_does():
    # The record cut by the head's end is dropped without counting its lines for the one
    # before: the escape's reading, whose quote never closes, does not cover the whole head.
    rows = ['1,"O\\"Brien",1', *(f"{i},x{i},{i}" for i in range(2, 6000))]
    rows[4200] = '4201,"C:\\dir\\",4201'
    head = ("id,p,v\n" + "\n".join(rows) + "\n").encode()[: 64 << 10]
    with pytest.raises(InputError, match=r"^line 2: the quoted field"):
        sniff(head)


def test_single_quotes_escaped_by_a_backslash_are_read_with_the_escape():
    # The run-on tie is settled between one quote's readings, never across quote characters.
    found = sniff(b"id,name,v\n1,'hello',1\n2,'it\\'s',2\n3,'x',3\n4,'y',4\n", complete=True)
    assert (found.quote, found.escape) == ("'", "\\")
    found = sniff(b"id,name,v\n1,'hello',1\n2,'C:\\dir\\',2\n3,'x',3\n", complete=True)
    assert (found.quote, found.escape) == ("'", None)


def test_an_escape_given_is_taken():
    found = sniff(b'a,b\n1,"x \\"y\\""\n', complete=True, escape="\\")
    assert found.escape == "\\"
    found = sniff(b'a,b\n1,"x \\"y, z\\" w"\n2,"v"\n', complete=True, escape=None)
    assert found.escape is None


TITLES = (
    'ns\ttitle\n0\t!\n0\t"\n0\t"!"\n0\t"""\n0\t""Chusotsu"_"Chukara"\n0\t"(It)_Feels_So_Good"\n'
)


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        # Page titles: read with '"', a quoted line break goes on after its closing quote (the
        # reading refuses it); without quoting every line splits evenly.
        pytest.param(TITLES, None, id="titles"),
        pytest.param(TITLES.replace("\t", ","), None, id="titles-comma"),
        # Quoted line breaks closed where they should be: quoting holds.
        pytest.param('a,b\n1,"x\ny"\n2,"z"\n', '"', id="quoted-line-break"),
        # A stray quote, but without quoting the lines do not split evenly either.
        pytest.param('a,b\n1,"x\ny" z\n2,w\n', '"', id="uneven-without"),
        # One field opened so, beside a quoted one: cut short, or a quote that is text?
        pytest.param('a,b\n1,"x\n2,y\n3,"z"\n', '"', id="one-field-opened"),
        # A quote never closed: a field cut short as likely as a quote that is text.
        pytest.param('a,b\n1,"x\n2,y\n3,z\n', '"', id="never-closed"),
        # Text after a closing quote on one line is read (as the engine reads it).
        pytest.param('a,b\n1,"x"y\n2,z\n', '"', id="text-after-close"),
    ],
)
def test_quotes_are_text_where_quoting_breaks_and_the_head_splits_evenly_without(text, quote):
    found = sniff(text.encode(), complete=True)
    assert (found.delimiter in ",\t", found.quote, found.header) == (True, quote, True)
    assert sniff(text.encode(), complete=True, quote='"').quote == '"'  # given: taken


@pytest.mark.parametrize(
    ("text", "delimiter", "fields"),
    [
        # One column of numbers with decimal commas: no comma splits the header.
        ("x\n1,5\n2,5\n3\n", ";", 1),
        ("x\n1,5\n2,5\n3,25\n", ";", 1),
        ("a;b\n1,5;2\n3;4,5\n", ";", 2),
        # The first line of the table: not a comment above it.
        ("# units, mm\nx\n1,5\n2,5\n", ";", 1),
        # A comma that splits the first line separates fields, decimal commas quoted.
        ('a,b\n"1,5","2,5"\n"3,5",4\n', ",", 2),
        ('"1,5","2,5"\n"3,5",4\n', ",", 2),
        # ';' splits every record evenly: a ',' split cuts the numbers (46;58 is none).
        ("53,46;58,22;53,3;36,97\n59,05;54,46;44,63;55,81\n60,5;41,25;47,75;52,01\n", ";", 4),
    ],
)
def test_a_comma_given_as_the_decimal_separator_separates_fields_only_across_the_first_line(
    text, delimiter, fields
):
    found = sniff(text.encode(), complete=True, decimal=",", comment="#" if "#" in text else None)
    assert found.delimiter == delimiter
    row = text.splitlines()[1 + found.skip_rows + text.startswith("#")]
    first = next(csv.reader(io.StringIO(row), delimiter=found.delimiter))
    assert len(first) == fields
    if fields == 1 and "#" not in text:  # without the decimal point given, commas split rows
        with pytest.raises(InputError, match="the first line does not split as the rest"):
            sniff(text.encode(), complete=True)


def _spectra(rows: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    return "".join(
        ",".join(f"{v:.4f}" for v in row) + "\n" for row in rng.normal(0.3, 0.05, (rows, 3))
    )


def test_a_first_row_of_numbers_far_beyond_every_column_is_refused():
    # Wavelengths naming columns of absorbances were read as a row (a mean of 4.257 for 0.3),
    # exit 0; as ambiguous as integers above decimals.
    text = "400.5,401.0,401.5\n" + _spectra(100)
    with pytest.raises(InputError) as caught:
        sniff(text.encode(), complete=True)
    assert caught.value.param == "csv.header"
    assert str(caught.value) == (
        "whether the first row is a header cannot be told: its numbers (400.5, 401.0, 401.5) "
        "lie far beyond the 100 rows below them in every column, as names (wavelengths, sizes) "
        "may; say whether it is (csv.header=True or csv.header=False)"
    )
    assert sniff(text.encode(), complete=True, header=True).header is True
    # Beyond in one column only, or above too few rows: a row, as before.
    assert sniff(b"400.5,0.31,0.29\n" + _spectra(100).encode(), complete=True).header is False
    assert sniff(b"400.5,401.0,401.5\n" + _spectra(4).encode(), complete=True).header is False
    # Written with a decimal comma (';'-separated), the same names: they were read as a row.
    semicolons = text.replace(",", ";").replace(".", ",")
    with pytest.raises(InputError, match=r"its numbers \(400,5; 401,0; 401,5\) lie far beyond"):
        sniff(semicolons.encode(), complete=True, delimiter=";", decimal=",")
    # A row that repeats a value (a sensor's warm-up 0.00, 0.00, 0.00) names no columns: data.
    assert sniff(b"0.00,0.00,0.00\n" + _spectra(30).encode(), complete=True).header is False


@pytest.mark.parametrize(
    ("shape", "draw"),
    [((100, 3), "normal"), ((20, 2), "normal"), ((6, 4), "lognormal"), ((11, 2), "exponential")],
)
def test_tables_of_numbers_without_a_header_are_read_so_without_a_word(shape, draw):
    rng = np.random.default_rng(7)
    for _ in range(50):
        values = getattr(rng, draw)(size=shape)
        text = "".join(",".join(f"{v:.6g}" for v in row) + "\n" for row in values)
        assert sniff(text.encode(), complete=True).header is False, text
