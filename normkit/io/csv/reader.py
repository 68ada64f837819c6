"""CSV input: pyarrow's CSV parser, in parallel blocks where the text allows it.

Normalized columns are parsed as float64 (missing-value strings as null); every other column is
read as its text exactly as written, so that a transform writes it back unchanged. Blocks free of
quote characters are cut at line ends and parsed on several cores (:mod:`.blocks`); from the
first quote on, pyarrow's streaming reader takes the rest, since a quoted field may hold a line
break. Errors name the file, column, row and value: the row is found by reading again, only when
something is wrong.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from ...errors import InputError, OptionError, param
from ..formats import Format, split_compression
from ..lazy import pc
from ..reader import ReaderBase
from ..streams import TAIL_BYTES, PrefixedStream, TranscodedStream, read_up_to, sniff_encoding
from .blocks import RowBlocks
from .columns import number_hints, padded_as_text, split_hints, typed_by_majority

__all__ = ["HEAD_BYTES", "CsvReader"]

#: Bytes looked at to tell an empty, binary or non-UTF-8 file from a CSV.
HEAD_BYTES = 64 << 10

_CSV_COLUMN_ERROR = re.compile(r"In CSV column #(\d+): (.*)")
_INVALID_VALUE = re.compile(r"invalid value '(.*)'")
_CONVERSION_TYPE = re.compile(r"conversion error to ([^:]+):")

# pyarrow may name the row within a block ("Row #7013: "), which is not the row in the file.
_ROW_TEXT = re.compile(r"CSV parse error: (?:Row #\d+: )?(.*)")


class CsvReader(ReaderBase):
    """A CSV input (optionally compressed: ``.gz``, ``.bz2``, ``.zst``); see the module's notes.

    Standard input and pipes are read in constant memory: their first blocks are kept to learn
    the header and the column types, then read again by the real pass.
    """

    format = Format.CSV

    def __init__(self, path, read, is_stream):
        super().__init__(path, read, is_stream)
        self._stdin_prefix: bytes | None = None
        self._stdin_consumed = False
        self._tracked: PrefixedStream | None = None
        self._inferred: pa.Schema | None = None  # pyarrow's own types of the first block
        self.encoding: str | None = None  # transcoded from this (None: UTF-8)
        self._head = b""  # the first bytes of the (decoded) input

    @property
    def typed(self) -> bool:
        return False  # types are guessed from the first block

    @property
    def missing_text(self) -> tuple[str, ...]:
        return self.read.csv.nulls

    def batch_schema(self, float_columns: Sequence[str], keep_text: bool = True) -> pa.Schema:
        """Normalized columns as float64; every other column as its text, or with ``keep_text``
        False as the type its first block has."""
        types = self._column_types(float_columns, keep_text)
        return pa.schema([pa.field(n, types[n]) for n in self.schema.names])

    def _column_types(self, float_columns: Sequence[str], keep_text: bool) -> dict:
        wanted = set(float_columns)
        inferred = self._inferred if self._inferred is not None else self.schema
        types = {}
        for field in inferred:
            if field.name in wanted:
                types[field.name] = pa.float64()
            elif keep_text or pa.types.is_null(field.type):
                types[field.name] = pa.string()  # a column with no value yet: text
            else:
                types[field.name] = field.type
        return types

    def _decoded(self, stream, *, complete: bool = True):
        """``stream`` as UTF-8 bytes: transcoded when the input is in another encoding."""
        if self.encoding is None:
            return stream
        return TranscodedStream(stream, self.encoding, complete=complete)

    def _resolve_encoding(self, raw_head: bytes) -> None:
        """The input's encoding: the one given, else the one its byte-order mark says (UTF-16
        or UTF-32), else UTF-8."""
        import codecs

        given = self.read.csv.encoding
        needs_mark = given is not None and codecs.lookup(given).name in ("utf-16", "utf-32")
        if needs_mark and sniff_encoding(raw_head) is None:  # their byte order is unknown
            raise InputError(
                f"{self.name}: the file has no byte-order mark, which the encoding "
                f"{given} needs to tell the order of its bytes",
                param="csv.encoding",
                hints=(f"name the order ({param('csv.encoding', given + '-le')} or {given}-be)",),
            )
        encoding = given or sniff_encoding(raw_head)
        if encoding is not None and codecs.lookup(encoding).name == "utf-8":
            encoding = None
        self.encoding = encoding

    def _csv_stream(self) -> BinaryIO | pa.NativeFile:
        """The decompressed byte stream of a CSV input."""
        if self.is_stream:
            if self._stdin_consumed:
                raise InputError("<stdin>: standard input can only be read once")
            self._stdin_consumed = True
            stdin = self._pipe
            prefix = self._stdin_prefix or b""
            if self.encoding is None:
                self._tracked = PrefixedStream(prefix, stdin)
            else:
                self._tracked = PrefixedStream(b"", self._decoded(PrefixedStream(prefix, stdin)))
            return io.BufferedReader(self._tracked, buffer_size=1 << 20)
        _, codec = split_compression(self.path)
        with self._translate_errors():
            raw = pa.OSFile(self.path, "rb")
            self._raw = raw
            if not codec and self.encoding is None:
                return raw  # its end is read from the file itself
            # Decompressed or transcoded through a tracking wrapper, to see how the text ends.
            stream = pa.CompressedInputStream(raw, codec) if codec else raw
            self._tracked = PrefixedStream(b"", self._decoded(stream))
            return io.BufferedReader(self._tracked, buffer_size=1 << 20)

    def _csv_head(self) -> tuple[bytes, BinaryIO | pa.NativeFile]:
        """The first bytes of a CSV input, and a stream of its start to infer the schema from."""
        if self.is_stream:
            # Two blocks of the pipe, kept to be read again by the real pass. pyarrow cuts the
            # first block at a row boundary because more bytes follow it (or it is all there is).
            self._stdin_prefix = read_up_to(self._pipe, 2 * self.read.csv.block_size)
            self._resolve_encoding(self._stdin_prefix[:4])
            whole = len(self._stdin_prefix) < 2 * self.read.csv.block_size
            stream = self._decoded(io.BytesIO(self._stdin_prefix), complete=whole)
            text = io.BufferedReader(stream) if self.encoding else stream
            head = text.read(HEAD_BYTES)
            text = self._decoded(io.BytesIO(self._stdin_prefix), complete=whole)
            return head, io.BufferedReader(text) if self.encoding else text
        _, codec = split_compression(self.path)
        with self._translate_errors(), pa.input_stream(self.path, compression=codec) as stream:
            self._resolve_encoding(read_up_to(stream, 4))
        with self._translate_errors():
            stream = pa.input_stream(self.path, compression=codec)
            if self.encoding is not None:
                stream = io.BufferedReader(self._decoded(stream))
            head = read_up_to(stream, HEAD_BYTES)
            stream.close()
            stream = pa.input_stream(self.path, compression=codec)
            if self.encoding is not None:
                stream = io.BufferedReader(self._decoded(stream))
        return head, stream

    def _read_options(self, use_threads: bool = True) -> pacsv.ReadOptions:
        return pacsv.ReadOptions(block_size=self.read.csv.block_size, use_threads=use_threads)

    def _parse_options(self, handler: Callable | None = None) -> pacsv.ParseOptions:
        return pacsv.ParseOptions(
            delimiter=self.read.csv.delimiter_for(self.path),
            newlines_in_values=True,  # RFC 4180: a quoted field may hold line breaks
            invalid_row_handler=handler,
        )

    def _read_schema(self) -> pa.Schema:
        """The columns; their types inferred from the first block, as pyarrow does (they only
        decide which columns are numeric by default: normalized columns are always read as
        float64)."""
        delimiter = self.read.csv.delimiter_for(self.path)
        if delimiter == self.read.csv.decimal_point:
            raise OptionError(
                f"{self.name}: {delimiter!r} cannot separate both fields and decimals",
                param="csv.decimal",
                hints=(f"give the field separator ({param('csv.delimiter', ';')})",),
            )
        head, stream = self._csv_head()
        self._head = head  # for hints about the separator
        if len(head) < HEAD_BYTES and not head.rstrip(b"\r\n").count(b"\n") and b"\r" not in head:
            # One line and nothing after it: a header without a line break, which pyarrow
            # cannot read (it takes the line for an empty block).
            stream.close()
            stream = io.BytesIO(head.rstrip(b"\r\n") + b"\n")
        try:
            self._check_text(head)
            with self._translate_errors():
                # The types pyarrow infers from the first block, from whole rows of the real
                # input (a block is cut at a row boundary, quoted line breaks included).
                reader = pacsv.open_csv(
                    stream,
                    read_options=self._read_options(use_threads=False),
                    parse_options=self._parse_options(),
                    convert_options=pacsv.ConvertOptions(
                        null_values=list(self.read.csv.nulls),
                        decimal_point=self.read.csv.decimal_point,
                    ),
                )
                try:
                    first = reader.read_next_batch()
                except StopIteration:
                    first = None
                self.has_rows = first is not None and first.num_rows > 0
                try:
                    self._inferred = reader.schema
                    self._inferred.names  # noqa: B018 (decodes the header)
                except UnicodeDecodeError as exc:
                    raise self._not_text(exc.start, "in the header") from None
            if len(self._inferred) == 1:
                self.hints = self._split_hints(head)
            self._inferred = self._padded_as_text(self._inferred, head)
            return typed_by_majority(self._inferred, first, self.read.csv.decimal_point)
        finally:
            stream.close()

    def _padded_as_text(self, schema: pa.Schema, head: bytes) -> pa.Schema:
        end = (
            max(head.rfind(b"\n"), head.rfind(b"\r")) + 1 if len(head) >= HEAD_BYTES else len(head)
        )
        return padded_as_text(schema, head[:end], self._parse_options(), self.read.csv.nulls)

    def _split_hints(self, head: bytes) -> tuple[str, ...]:
        return split_hints(head, self.read.csv.delimiter_for(self.path), HEAD_BYTES)

    def _number_hints(self, text: str) -> tuple[str, ...]:
        csv = self.read.csv
        return number_hints(text, csv.decimal_point, csv.delimiter_for(self.path))

    def _not_text(self, offset: int, where: str = "") -> InputError:
        encoding = self.encoding or "UTF-8"
        where = f" {where}" if where else ""
        return InputError(
            f"{self.name}: not {encoding} text (invalid byte at offset {offset:,}{where})",
            hints=(f"name its encoding ({param('csv.encoding', 'latin-1')} or another)",),
        )

    def _check_text(self, head: bytes) -> None:
        if not head.strip(b"\xef\xbb\xbf \t\r\n"):
            raise InputError(f"{self.name}: the file is empty (a CSV needs a header row)")
        if b"\x00" in head:
            raise InputError(
                f"{self.name}: not a CSV file (it holds binary data)",
                hints=(
                    f"name the format of a Parquet or Arrow file ({param('format', 'parquet')})",
                    f"name the encoding of text in UTF-16 or UTF-32 without a byte-order mark "
                    f"({param('csv.encoding', 'utf-16-le')})",
                ),
            )
        if head.removeprefix(b"\xef\xbb\xbf").startswith((b"\n", b"\r")):
            raise InputError(
                f"{self.name}: the first line is empty; a CSV starts with its header row"
            )
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A head cut from a longer input may end in the middle of a multi-byte character:
            # only earlier bytes count then. A head that is the whole input is checked whole.
            if exc.start < len(head) - 4 or len(head) < HEAD_BYTES:
                raise self._not_text(exc.start) from None

    def _batches(
        self, float_columns: Sequence[str], columns: Sequence[str] | None, keep_text: bool = True
    ) -> Iterator[pa.RecordBatch]:
        names = self.schema.names
        # Every column is read, others as text or typed, even when only some columns are
        # wanted: a quote left open near the end swallows the rows after it into one text
        # field, which only the text shows (see _check_last_row). Reading text costs little.
        column_types = self._column_types(float_columns, keep_text)
        text_columns = [c for c in names if pa.types.is_string(column_types[c])]

        def convert(include: Sequence[str]) -> pacsv.ConvertOptions:
            return pacsv.ConvertOptions(
                column_types=column_types,
                include_columns=list(include),
                null_values=list(self.read.csv.nulls),
                decimal_point=self.read.csv.decimal_point,
                # Text columns keep every string (strings_can_be_null=False); in float columns a
                # quoted empty field ("") is missing like an unquoted one.
                strings_can_be_null=False,
                quoted_strings_can_be_null=True,
            )

        stream = self._csv_stream()
        rows_done = 0
        try:
            with self._translate_errors(lambda: rows_done):
                # Blocks free of quotes are parsed in parallel (without quotes, text columns
                # need not be read); from the first quote in a data row on, the rest of the
                # input goes to pyarrow's streaming reader, which follows quoted line breaks.
                blocks = RowBlocks(stream, names, self.read.csv.block_size, self._parse_options())
                parallel = convert(names if columns is None else columns)
                for batch in blocks.parse_parallel(parallel):
                    rows_done += batch.num_rows
                    yield batch
                rest = blocks.rest()

                if rest is None:
                    return
                options = self._read_options()
                options.block_size = blocks.block_size
                if blocks.header_read:
                    options.column_names = list(names)
                reader = pacsv.open_csv(
                    rest,
                    read_options=options,
                    parse_options=self._parse_options(),
                    convert_options=convert(names),
                )
                previous = None
                for batch in reader:
                    if previous is not None:
                        yield previous if columns is None else previous.select(list(columns))
                    rows_done += batch.num_rows
                    previous = batch
                if previous is not None:
                    self._check_last_row(previous, text_columns)
                    yield previous if columns is None else previous.select(list(columns))
        finally:
            with contextlib.suppress(Exception):
                stream.close()

    def _check_last_row(self, batch: pa.RecordBatch, text_columns: Sequence[str]) -> None:
        """Refuse a file whose last quoted field never closes.

        pyarrow reads a quote opened in the last field of a row and never closed as one field
        running to the end of the file, swallowing every row after it (a quote opened in another
        field shows as a row with too few fields). So the last field of the last row is checked
        against the raw end of the input: a field that was quoted and closed ends the input with
        its text (quotes doubled) and a quote; an unclosed one ends it with a quote and its text.
        """
        names = batch.schema.names
        if not batch.num_rows or not names or names[-1] not in text_columns:
            return
        value = batch.column(len(names) - 1)[batch.num_rows - 1].as_py()
        raw = self._raw_tail()
        if value is None or raw is None:
            return
        # Compare the ends only: the kept tail of the input is TAIL_BYTES long.
        text = value.replace('"', '""').encode("utf-8")[-(TAIL_BYTES // 2) :]

        end = raw.rstrip(b"\r\n")
        stripped = text.rstrip(b"\r\n")
        if end.endswith(text + b'"'):
            return  # quoted and closed
        multiline = "\n" in value or "\r" in value
        if not multiline and not end.endswith(b'"' + stripped):
            return  # not quoted
        before = end[: len(end) - len(stripped) - 1][-1:]
        # A field with line breaks that the input does not end with (closed) was cut short by a
        # stray quote inside it; one that it ends with after a lone quote was never closed.
        if multiline or before in (
            b"",
            b"\n",
            b"\r",
            self.read.csv.delimiter_for(self.path).encode(),
        ):
            raise InputError(
                f"{self.name}: column {names[-1]!r}: a quoted field opened near the end of the "
                "file is never closed (unterminated quote); the rows after it would be lost"
            )

    def _raw_tail(self) -> bytes | None:
        """The last bytes of the (decompressed) CSV input."""
        if self._tracked is not None:
            return self._tracked.tail
        if self.is_stream:
            return None
        with open(self.path, "rb") as f:
            f.seek(max(0, os.path.getsize(self.path) - TAIL_BYTES))
            return f.read()

    def count_rows(self) -> int:
        """A prediction of the number of data rows: the lines after the header, less blank lines
        at the end; a line break inside a quoted field or a blank line within the data makes it
        too large. Only for files."""
        if self.is_stream:
            raise InputError(f"{self.name}: cannot count the rows of a stream")
        with self._translate_errors():
            _, codec = split_compression(self.path)
            lines = 0
            end = b""
            with pa.input_stream(self.path, compression=codec) as stream:
                while chunk := stream.read(1 << 22):
                    lines += chunk.count(b"\n")  # one byte: counted at memory speed
                    end = (end + chunk)[-64:]
            # Blank lines at the end of the file are common and are not rows; blank lines
            # elsewhere are rare, and only make the prediction too large.
            text = end.rstrip(b"\r\n")
            lines -= end[len(text) :].count(b"\n")
            lines += bool(text)  # the last line, whose line break was just taken away
            return max(lines - 1, 0)

    def _describe_arrow_error(
        self, message: str, rows_done: Callable[[], int] | None
    ) -> InputError:
        first = message.strip().splitlines()[0] if message.strip() else "invalid data"
        after = ""
        if rows_done is not None:
            after = f" after data row {rows_done():,}"
        match = _CSV_COLUMN_ERROR.search(first)
        if match:
            index = int(match.group(1))
            names = self._schema.names if self._schema is not None else []
            column = names[index] if index < len(names) else f"#{index}"
            detail = match.group(2)
            value = _INVALID_VALUE.search(detail)
            if value:
                kind = _CONVERSION_TYPE.search(detail)
                target = pa.float64() if kind is None else _type_named(kind.group(1))
                row = self._locate_bad_value(column, target)
                where = f" at data row {row:,}" if row is not None else after
                if target is None or not pa.types.is_float64(target):
                    # A column passed through, typed by its first block (CSV to Parquet).
                    return InputError(
                        f"{self.name}: column {column!r}{where}: {value.group(1)!r} is not "
                        f"{kind.group(1) if kind else 'of its type'}, as the values before it are",
                        hints=(
                            f"keep the columns passed through as text ({param('keep_text', True)})",
                        ),
                    )
                return InputError(
                    f"{self.name}: column {column!r}{where}: {value.group(1)!r} is not a number",
                    hints=(
                        *self._number_hints(value.group(1)),
                        f"exclude the column ({param('exclude', column)})",
                        f"add the string to {param('csv.null_values')}",
                    ),
                )
            if "UTF8" in detail or "UTF-8" in detail:
                return InputError(
                    f"{self.name}: column {column!r}{after}: invalid UTF-8 text",
                    hints=(f"name its encoding ({param('csv.encoding', 'latin-1')} or another)",),
                )
            return InputError(f"{self.name}: column {column!r}{after}: {detail}")
        match = _ROW_TEXT.search(first)
        if match:
            detail = match.group(1)
            row = self._locate_bad_row()
            where = f" at line {row:,}" if row is not None else after
            detail = re.sub(
                r"Expected (\d+) columns, got (\d+)", r"expected \1 fields, got \2", detail
            )
            return InputError(
                f"{self.name}{where}: malformed CSV: {detail}", hints=self._split_hints(self._head)
            )
        if "straddl" in first:
            size = self.read.csv.block_size
            return InputError(
                f"{self.name}{after}: a CSV row is longer than the block size "
                f"({size / 2**20:g} MiB)",
                hints=(
                    f"read it with a larger {param('csv.block_size')} "
                    f"(for instance {4 * size // 2**20 or 4}M)",
                ),
            )
        if "Empty CSV file" in first:
            return InputError(f"{self.name}: the file is empty (a CSV needs a header row)")
        return InputError(f"{self.name}: cannot read as CSV: {first}")

    def _locate_bad_row(self) -> int | None:
        """Line number of the first malformed CSV row, found by a single-threaded re-read."""
        if self.is_stream:
            return None
        found: list[int | None] = []

        def handler(row) -> str:
            found.append(row.number)
            return "error"

        try:
            reader = pacsv.open_csv(
                self._csv_stream(),
                read_options=self._read_options(use_threads=False),
                parse_options=self._parse_options(handler),
                # Text only, so that no conversion error comes before the malformed row.
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in self._schema.names}
                    if self._schema is not None
                    else None,
                    strings_can_be_null=False,
                ),
            )
            for _ in reader:
                pass
        except (pa.ArrowException, OSError):
            pass
        return found[0] if found else None

    def _locate_bad_value(self, column: str, target: pa.DataType | None) -> int | None:
        """Data row (1-based) of the first value in ``column`` that is not of ``target`` type
        (float64: not a number)."""
        if target is None:
            return None
        if self.is_stream:
            return None
        try:
            reader = pacsv.open_csv(
                self._csv_stream(),
                read_options=self._read_options(),
                parse_options=self._parse_options(),
                convert_options=pacsv.ConvertOptions(
                    column_types={column: pa.string()},
                    include_columns=[column],
                    null_values=list(self.read.csv.nulls),
                    strings_can_be_null=True,
                ),
            )
            offset = 0
            for batch in reader:
                values = batch.column(0)
                if self.read.csv.decimal_point != "." and pa.types.is_floating(target):
                    # "1,5" as the cast reads it ("1.5"), and "1.5" as something it refuses.
                    values = pc.replace_substring(values, ".", "\x00")
                    values = pc.replace_substring(values, self.read.csv.decimal_point, ".")
                try:
                    pc.cast(values, target)
                except pa.ArrowInvalid:
                    for i, text in enumerate(values.to_pylist()):
                        if text is None:
                            continue
                        try:
                            pc.cast(pa.array([text]), target)
                        except pa.ArrowInvalid:
                            return offset + i + 1
                offset += batch.num_rows
        except (pa.ArrowException, OSError):
            return None
        return None


def _type_named(name: str) -> pa.DataType | None:
    """The Arrow type pyarrow names in a conversion error (``int64``, ``double``), if simple."""
    name = name.strip()
    try:
        return pa.type_for_alias(name)
    except ValueError:
        return None
