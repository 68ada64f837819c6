"""CSV input, read by the native engine (:mod:`.native`) in parallel blocks.

Normalized columns are parsed as float64 (missing-value strings as null); every other column is
read as its text as written, for a transform to write back unchanged, typed as pyarrow infers
from the first block (:mod:`.first_block`). Errors name the file, column, row and value.
"""

from __future__ import annotations

import codecs
import contextlib
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from csv import field_size_limit
from dataclasses import replace
from typing import BinaryIO

import pyarrow as pa

from ... import params
from ...errors import InputError, OptionError, quoted
from ..arrow import as_null
from ..formats import Format, split_compression
from ..reader import ReaderBase
from ..streams import (
    PrefixedStream,
    Tape,
    TranscodedStream,
    big_endian,
    input_encoding,
    invalid_utf8,
    read_up_to,
)
from .columns import (
    ROW_BLOCKS,
    after_value_comment_hints,
    comment_hints,
    comment_or_row,
    decimal_comma_signs,
    exclude_hint,
    header_row_hints,
    malformed_record,
    null_values_hint,
    number_hints,
    record_hints,
    row_too_long,
    shown_names,
    split_hints,
    splitting_separator,
    trailing_separator_hints,
    typed_by_majority,
    typed_value_error,
    value_hints,
)
from .comments import without_inline_comments
from .first_block import FirstBlock, TypedRows, first_block
from .head import check_head, check_names
from .integers import FirstRows
from .kinds import ColumnKind, readable_types, typed_kind
from .late_text import LateText
from .line_ends import lone_cr_hints
from .lines import only_line_ends, predicted_rows
from .names import header_names
from .native import (
    Dialect,
    NativeRecords,
    RecordError,
    Rewritten,
    first_types,
    numeric_columns,
    read_header,
    without_comment_lines,
)
from .quote_errors import QUOTE_ERRORS, escape_hints, header_quotes, quote_error
from .quotes import other_quote_hints
from .sniff import sniffed_options
from .table_start import skip_hints

__all__ = ["HEAD_BYTES", "CsvReader"]

#: Bytes looked at to tell an empty, binary or non-UTF-8 file from a CSV.
HEAD_BYTES = 64 << 10


class CsvReader(ReaderBase):
    """A CSV input (optionally compressed: ``.gz``, ``.bz2``, ``.zst``); see the module's notes.
    Standard input and pipes are read in constant memory: their first blocks are kept to learn
    the header and the column types, then read again by the real pass."""

    format = Format.CSV
    _head_size = HEAD_BYTES  # the bytes asked for the head (:meth:`_read_head`)

    def __init__(self, path, read, is_stream):
        super().__init__(path, read, is_stream)
        self._tape: Tape | None = None  # the start of standard input, read again
        self._stdin_consumed = False
        self._tracked: PrefixedStream | None = None
        self._inferred: pa.Schema | None = None  # the first block's types, as pyarrow infers
        self._settled: dict[str, pa.DataType] = {}  # without a first value, or widened
        self._plain: set[str] = set()  # ints: no leading zero in the first rows, or settled
        self._first: FirstRows | None = None  # the first block, for what its text tells
        self._typed = TypedRows(0, 0, True)  # the rows the types were decided from
        self._shape = (False, False)  # the header lacks the last column; has one too many
        self._open: frozenset[str] = frozenset()  # columns of numbers a word may make text
        self.turned_text: frozenset[str] = frozenset()
        self._comment_detected = self._escape_detected = self._quote_detected = False  # found

    @property
    def typed(self) -> bool:
        return False  # types are guessed from the first block

    @property
    def missing_text(self) -> tuple[str, ...]:
        return self.read.csv.nulls

    def batch_schema(self, float_columns: Sequence[str], keep_text: bool = True) -> pa.Schema:
        """Normalized columns as float64; others as their text, or as their first block's type."""
        types = self._column_types(params.names("float_columns", float_columns), keep_text)
        return pa.schema([pa.field(n, types[n]) for n in self.schema.names])

    def undecided(self) -> frozenset[str]:
        schema = self.schema  # read first: it sets the first block's types
        inferred = self._inferred if self._inferred is not None else schema
        return frozenset(f.name for f in inferred if pa.types.is_null(f.type))

    def settle(self, types: Mapping[str, pa.DataType]) -> None:
        undecided = self.undecided()  # and any column to read as float64 (a weight column)
        self._settled.update(
            (name, dtype)
            for name, dtype in types.items()
            if (name in undecided or dtype == pa.float64())
            and name not in self._settled
            and dtype in readable_types()
        )
        self._plain.update(n for n, t in self._settled.items() if pa.types.is_integer(t))

    def allow_text(self, names: Sequence[str]) -> None:
        self._open = frozenset(names)

    def _column_types(self, float_columns: Sequence[str], keep_text: bool) -> dict:
        schema = self.schema  # read first: it sets the first block's types
        inferred = self._inferred if self._inferred is not None else schema
        types = {f.name: pa.string() if keep_text else f.type for f in inferred}
        for name, dtype in types.items():  # no value yet (null): text, or as other inputs have it
            if pa.types.is_null(dtype) or (name in self._settled and not keep_text):
                types[name] = self._settled.get(name, pa.string())
        if not keep_text and self._first is not None:  # passed through as written: text
            as_written = self._first.as_written(inferred, set(float_columns))
            types.update((name, pa.string()) for name in as_written if name not in self._settled)
        return types | {name: pa.float64() for name in float_columns if name in types}

    def _decoded(self, stream, *, complete: bool = True):
        """``stream`` as UTF-8 bytes: transcoded when the input is in another encoding."""
        if self.encoding is None:
            return stream
        # In a stat file's encoding, every chunk is looked at for UTF-8 (the head's rule).
        recorded = self.name if "encoding" in self.read.csv.from_stats else None
        return TranscodedStream(stream, self.encoding, complete=complete, recorded=recorded)

    def _resolve_encoding(self, raw_head: bytes) -> None:
        csv = self.read.csv
        try:
            self.encoding = input_encoding(raw_head, csv.encoding, "encoding" in csv.from_stats)
        except InputError as exc:
            raise exc.within(self.name) from None
        self.utf8_mark = self.encoding is None and raw_head.startswith(codecs.BOM_UTF8)
        self.big_endian = big_endian(raw_head)

    def _csv_stream(self) -> BinaryIO | pa.NativeFile:
        """The decompressed byte stream of a CSV input."""
        if self.is_stream:
            if self._stdin_consumed:
                raise InputError("<stdin>: standard input can only be read once")
            self._stdin_consumed = True
            stdin = self._tape.replay() if self._tape is not None else self._pipe
            if self.encoding is None:
                self._tracked = PrefixedStream(b"", stdin)
            else:
                self._tracked = PrefixedStream(b"", self._decoded(stdin))
            return io.BufferedReader(self._tracked, buffer_size=1 << 20)
        _, codec = split_compression(self.path)
        with self._translate_errors():
            raw = self._raw = pa.OSFile(self.path, "rb")
            if not codec and self.encoding is None:
                return raw  # its end is read from the file itself
            # Decompressed or transcoded through a tracking wrapper, to see how the text ends.
            stream = pa.CompressedInputStream(raw, codec) if codec else raw
            self._tracked = PrefixedStream(b"", self._decoded(stream))
            return io.BufferedReader(self._tracked, buffer_size=1 << 20)

    def _csv_head(self) -> tuple[bytes, BinaryIO | pa.NativeFile]:
        """The first bytes of a CSV input, and a stream of its start to infer the schema from."""
        if self.is_stream:
            # The pipe's start (head, first block, however long) is kept, to be read again.
            tape = self._tape = Tape(self._pipe)
            with self._translate_errors():
                self._resolve_encoding(read_up_to(tape.reader(), 4))
                stream = self._decoded(tape.reader())
                text = io.BufferedReader(stream) if self.encoding else stream
                head = self._read_head(lambda n: read_up_to(text, n))
            text = self._decoded(tape.reader())
            return head, io.BufferedReader(text) if self.encoding else text
        _, codec = split_compression(self.path)
        with self._translate_errors(), pa.input_stream(self.path, compression=codec) as stream:
            self._resolve_encoding(read_up_to(stream, 4))
        with self._translate_errors():
            stream = pa.input_stream(self.path, compression=codec)
            if self.encoding is not None:
                stream = io.BufferedReader(self._decoded(stream))
            head = self._read_head(lambda n: read_up_to(stream, n))
            stream.close()
            stream = pa.input_stream(self.path, compression=codec)
            if self.encoding is not None:
                stream = io.BufferedReader(self._decoded(stream))
        return head, stream

    def _read_head(self, read: Callable[[int], bytes]) -> bytes:
        """The first :data:`HEAD_BYTES` of the input (``read``: its next bytes), or more, up to
        the longest record, where they hold fewer than three lines (5,000 columns of numbers)."""
        size, head = HEAD_BYTES, read(HEAD_BYTES)
        while (
            len(head) == size < self._max_record() and max(head.count(b"\n"), head.count(b"\r")) < 3
        ):
            head += read(size)
            size *= 2
        self._head_size = size  # a head shorter than this is the whole input
        # The head is split by Python's csv too, whose fields are at most 128 KiB unless told.
        field_size_limit(max(field_size_limit(), len(head)))
        return head

    def _read_schema(self) -> pa.Schema:
        """The columns; their types inferred from the first rows, as pyarrow does (they only
        decide which columns are numeric by default: normalized columns are always read as
        float64). The dialect unset: as the CSV's record has it, else detected (:mod:`.sniff`)."""
        self._read_as_written()
        head, stream = self._csv_head()
        self.head = head  # for hints about the separator
        self._given_delimiter = self.read.csv.delimiter_for(self.path)
        try:
            self._check_roles(self.read.csv.delimiter)  # given: refused before detecting
            check_head(self.name, head, len(head) < self._head_size, self.encoding, self.read.csv)
            self._resolve_dialect(head)
            self._check_roles(self.read.csv.delimiter_for(self.path))
            with self._translate_errors(), self._record_errors((), {}):
                block = self._first_block(stream)
            names, first_line, records = block.header, block.first_line, block.typing
            check_names(self.name, names)
            sample = without_comment_lines(records, self._dialect())
            # A header and no record (an empty line is one only in a file of one column)
            if (not sample) if len(names) == 1 else only_line_ends(sample):
                self.has_rows = False
                self._inferred = pa.schema([pa.field(n, pa.null()) for n in names])
                return self._inferred
            with self._translate_errors(), self._first_block_errors(records, names, first_line):
                # The types pyarrow's CSV reader infers from the first rows, all in one block.
                size = max(self.read.csv.block_bytes, len(sample) + 1)  # every row read for types
                first = first_types(sample, names, self._dialect(), size, first_line)
            self._typed = TypedRows(first.rows, len(records), block.complete)
            # Text that is not UTF-8 (binary) further than the head: refused, naming its row,
            # as further than the first block (a fit took it for bytes, a transform refused).
            binary = {f.name for f in first.schema if pa.types.is_binary(f.type)}
            if binary:
                kinds = [ColumnKind.TEXT if n in binary else ColumnKind.SKIP for n in names]
                self._read_first_block(records, names, first_line, kinds)
            self.has_rows = first.rows > 0
            self._inferred = first.schema
            self.hints = self._split_hints(head) if len(self._inferred) == 1 else self.hints
            self._first = FirstRows(sample, names, self._dialect(), self.read.csv.nulls)
            self._inferred, self._plain = self._first.padded_as_text(self._inferred)
            self._inferred = self._first.identifiers_as_text(self._inferred, first.beyond_int64)
            csv = self.read.csv
            typed = typed_by_majority(self._inferred, first.values, csv.decimal_point, csv.nulls)
            if records is not block.records:  # more rows than a block's: not kept
                self._first.keep_only(without_comment_lines(block.records, self._dialect()))
            return self._first.integers_again(typed, first.schema)
        finally:
            stream.close()

    def _names(self, header: list[str]) -> tuple[list[str], tuple[str, ...]]:
        return header_names(header, *(s and self.read.csv.header is not False for s in self._shape))

    def _without_inline_comments(self, stream):
        csv = self.read.csv
        comment = csv.comment if csv.inline_comments else None
        return without_inline_comments(stream, comment, self._quote())

    def _quote(self) -> str | None:
        """The quote character read with (None: no quoting); ``"`` until one is detected."""
        return self.read.csv.quote_character

    def _check_roles(self, delimiter: str | None) -> None:
        """One character for two roles (given, or detected beside one given) is refused."""
        quote = None if delimiter is None else self._quote()
        splits = splitting_separator(self.head, delimiter or ",", self._head_size)
        signs = decimal_comma_signs(self.head, self._quote(), self._given_delimiter == ",")
        problem = self.read.csv.role_conflict(delimiter, quote, splits, *signs)
        if problem is not None:
            raise OptionError(
                f"{self.name}: {problem.message}", param=problem.param, hints=problem.hints
            )

    def _resolve_dialect(self, head: bytes) -> None:
        """The separator, header, lines to skip, comment character...: as given, else as the
        head shows them, read with the missing-value strings (refused where it does not tell)."""
        csv = self.read.csv
        try:
            resolved, found = sniffed_options(csv, self.path, head, len(head) < self._head_size)
        except InputError as exc:
            raise exc.within(self.name) from None
        self.read = replace(self.read, csv=resolved)
        self.detected = resolved
        self._comment_detected = csv.comment is None and bool(found.comment)
        self._escape_detected = csv.escape is None and found.escape is None
        self._quote_detected = csv.quote is None
        self._shape = (found.unnamed_last, found.empty_last)

    def _first_block(self, stream) -> FirstBlock:
        """The first block of records and the rows the types are decided from (after the
        header and the lines skipped; comments after values taken out), the header's fields
        named as the columns (:mod:`.first_block`)."""
        stream = self._without_inline_comments(stream)
        block = first_block(
            stream,
            self._dialect(),
            self.read.csv.block_bytes,
            self._max_record(),
            lambda header: len(self._names(header)[0]),
        )
        header_quotes(self.name, block.header, self.read.csv, self._quote_detected, self.path)
        header, self.renamed = self._names(block.header)
        self.line_end = block.line_end
        return replace(block, header=header)

    @contextlib.contextmanager
    def _first_block_errors(
        self, records: bytes, names: list[str], first_line: int
    ) -> Iterator[None]:
        """A malformed record of the first block (``records``, comment lines kept, which
        count in the lines named), as the reading of the whole input names it."""
        try:
            yield
        except RecordError as exc:
            try:
                self._read_first_block(records, names, first_line, [ColumnKind.SKIP] * len(names))
            except InputError as found:
                raise found from None
            raise self._record_error(exc, set(), {}, names) from None

    def _read_first_block(
        self, records: bytes, names: list[str], first_line: int, kinds: list[int]
    ) -> None:
        """Read the first block (``records``, comment lines kept) as the pass reads it, its
        columns as ``kinds``: what it refuses, refused in the same words."""
        with self._record_errors((), {}, names):
            for _ in NativeRecords(
                io.BytesIO(records), names, kinds, self._dialect(), first_line=first_line
            ):
                pass

    def _split_hints(self, head: bytes, malformed: bool = False) -> tuple[str, ...]:
        delimiter = self.read.csv.delimiter_for(self.path)
        return split_hints(head, delimiter, self._head_size, malformed)

    def _batches(
        self, float_columns: Sequence[str], columns: Sequence[str] | None, keep_text: bool = True
    ) -> Iterator[pa.RecordBatch]:
        names = self.schema.names
        column_types = self._column_types(float_columns, keep_text)
        wanted = set(names if columns is None else columns)
        floats = set(float_columns)
        kinds: list[int] = []
        # Text typed: only "" and the strings named are missing (a region NA), as in DuckDB.
        inferred = self._inferred if self._inferred is not None else self.schema
        texts = {f.name for f in inferred if pa.types.is_string(f.type) and not keep_text}
        texts -= floats | self._settled.keys()  # read as numbers (a weight column)
        for name in names:
            if name not in wanted:
                kinds.append(ColumnKind.SKIP)  # scanned, not converted
            elif name in floats or pa.types.is_floating(column_types[name]):
                kinds.append(ColumnKind.FLOAT)
            elif keep_text or name in texts:
                kinds.append(ColumnKind.TEXT)
            else:  # passed through typed: missing-value strings null
                kinds.append(typed_kind(column_types[name], name in self._plain))
        csv = self.read.csv
        late = LateText(
            names,
            kinds,
            self._open & self.undecided() & floats,
            csv.nulls,
            csv.decimal_point,
            self.read.infinities_missing,
        )
        retype = late.retype if late.open else None
        with self._records(float_columns, column_types, kinds, retype) as records:
            rows = 0
            for batch in records:
                late.check(batch, rows + 1)
                self.turned_text = frozenset(late.turned)
                rows += batch.num_rows
                batch = as_null(batch, texts, csv.text_nulls)
                if columns is not None:
                    batch = batch.select(list(columns))
                yield batch

    def rewritten(
        self, float_columns: Sequence[str], plan, look: Callable[[range], int]
    ) -> Iterator[Rewritten]:
        """The records written again by ``plan`` (``normkit._native.CsvRewrite``), chunk by
        chunk, as :meth:`NativeRecords.rewritten` gives them; errors as :meth:`batches`'."""
        floats = set(float_columns)
        kinds = [ColumnKind.FLOAT if n in floats else ColumnKind.TEXT for n in self.schema.names]
        types = self._column_types(float_columns, True)
        # Chunks as the batches' (their errors and looks come in the same order).
        with self._records(float_columns, types, kinds) as r:
            yield from r.rewritten(plan, look)

    @contextlib.contextmanager
    def _records(
        self,
        float_columns: Sequence[str],
        column_types: dict,
        kinds: Sequence[int],
        retype: Callable | None = None,
    ) -> Iterator[NativeRecords]:
        """The records after the header, read as ``kinds`` says (and ``retype``, see
        :class:`NativeRecords`), in chunks of four blocks (the longest record), with errors as
        one-line messages."""
        names = self.schema.names
        stream = self._without_inline_comments(self._csv_stream())
        try:
            with self._translate_errors(), self._record_errors(float_columns, column_types):
                header, rest, lines, _ = read_header(
                    stream, self._dialect(), self._max_record(), self.read.csv.block_bytes
                )
                if self._names(header)[0] != list(names):
                    raise InputError(
                        f"{self.name}: the header changed while it was read "
                        f"({shown_names(header)} after {shown_names(names)})"
                    )
                yield NativeRecords(
                    stream,
                    names,
                    kinds,
                    self._dialect(),
                    prefix=rest,
                    first_line=1 + lines,
                    chunk_bytes=self._max_record(),
                    max_record=self._max_record(),
                    retype=retype,
                )
        finally:
            with contextlib.suppress(Exception):
                stream.close()

    def _dialect(self) -> Dialect:
        csv = self.read.csv
        return Dialect(
            delimiter=csv.delimiter_for(self.path),
            decimal_point=csv.decimal_point,
            nulls=tuple(csv.nulls),
            quote=self._quote(),
            header=csv.header is not False,
            skip_rows=csv.skip_rows or 0,
            comment=csv.comment or None,
            # (once the columns of numbers are known: the first rows' typing reads them again)
            refuse_comment_rows=self._comment_detected and self._schema is not None,
            refuse_escaped_quotes=self._escape_detected,
            refuse_quoted_breaks=self._quote_detected and self._schema is not None,
            numeric=numeric_columns(self._schema),
            escape=(csv.escape or None) if self._quote() else None,
        )

    def _max_record(self) -> int:
        """The longest record read, and the bytes read at a time: a few blocks."""
        return ROW_BLOCKS * self.read.csv.block_bytes

    @contextlib.contextmanager
    def _record_errors(
        self,
        float_columns: Sequence[str],
        column_types: dict[str, pa.DataType],
        names: Sequence[str] | None = None,
    ) -> Iterator[None]:
        """The engine's errors as one-line messages naming the file, line or row, column and
        value (``names``: the columns, if not yet those of the schema)."""
        try:
            yield
        except OverflowError as exc:
            line = (exc.args[1:2] or (None,))[0]  # the line the row starts on
            raise row_too_long(self.name, line, self.read.csv.block_bytes) from None
        except RecordError as exc:
            raise self._record_error(exc, set(float_columns), column_types, names) from None

    def _record_error(
        self,
        exc: RecordError,
        floats: set[str],
        column_types: dict[str, pa.DataType],
        names: Sequence[str] | None = None,
    ) -> InputError:
        if names is None:
            names = self._schema.names if self._schema is not None else []
        # One column another separator splits: that hint, not a decimal comma ('1,2' as 1.2).
        csv, column, delimiter = self.read.csv, None, self.read.csv.delimiter_for(self.path)
        if exc.column is not None:
            column = names[exc.column] if exc.column < len(names) else f"#{exc.column + 1}"
        if exc.kind == "not_a_number":
            numeric = dict(zip(names, numeric_columns(self._schema) or (), strict=False))
            # A type the first rows decided (numbers, or the column's passed through)
            beyond = (
                self._typed.hints(exc.row) if numeric.get(column) or column not in floats else ()
            )
            # A column passed through, typed by its first block (a weight column: as numbers).
            if column not in floats and column not in self._settled.keys() - self.undecided():
                told = "other inputs have it" if column in self._settled else "values before it are"
                typed = column_types.get(column, "double"), told, column in self._plain
                where = f"{self.name}: column {column!r} at {exc.at}"
                return typed_value_error(where, exc.value, *typed, column).with_hints(beyond)
            return InputError(
                f"{self.name}: column {column!r} at {exc.at}: {quoted(exc.value)} is not a number",
                hints=value_hints(exc.value, column, exclude_hint(column, self._schema))
                or (
                    *beyond,
                    *header_row_hints(exc.row, csv.header, "header" in csv.from_stats),
                    *skip_hints(self.head, delimiter, self._quote(), exc.line, exc.value),
                    *(self.hints or number_hints(exc.value, csv.decimal_point, delimiter)),
                    *(comment_hints(exc.value, csv.comment) if exc.column == 0 else ()),
                    *after_value_comment_hints(exc.value, csv.comment, csv.inline_comments),
                    exclude_hint(column, self._schema),
                    null_values_hint(exc.value, column in self.undecided() - self._open),
                ),
            )
        if exc.kind == "invalid_utf8":
            # Where a field is: its data row (and line), as a value that is no number.
            where = f"column {column!r} at {exc.at}" if column and exc.row else f"line {exc.line:,}"
            return invalid_utf8(f"{self.name}: {where}")
        escaped = escape_hints(exc.value, self._quote(), csv.escape)
        if exc.kind in QUOTE_ERRORS:
            return quote_error(self.name, exc, column, escaped, csv.block_bytes, self._quote())
        if exc.kind == "comment_or_row":
            return comment_or_row(csv.comment, exc.line, exc.value).within(self.name)
        if exc.kind == "field_count":
            text = self.head if self.is_stream else self._csv_stream()  # read again for a CR
            return InputError(
                malformed_record(self.name, exc.row, exc.line, exc.expected, exc.got, exc.value),
                hints=lone_cr_hints(text, exc.value, self.line_end)
                or trailing_separator_hints(exc, delimiter, self._shape[0])
                or self._split_hints(self.head, malformed=True)
                or other_quote_hints(exc.value, delimiter, self._quote(), exc.expected)
                or escaped
                or record_hints(exc.value, csv.comment, self._quote(), delimiter)
                or after_value_comment_hints(exc.value, csv.comment, csv.inline_comments)
                or skip_hints(self.head, delimiter, self._quote(), exc.line),
            )
        return InputError(f"{self.name} at line {exc.line:,}: malformed CSV: {exc}")

    def count_rows(self) -> int:
        if self.is_stream:
            raise InputError(f"{self.name}: cannot count the rows of a stream")
        with self._translate_errors():
            return predicted_rows(self.path)

    def _describe_arrow_error(
        self, message: str, rows_done: Callable[[], int] | None
    ) -> InputError:
        """pyarrow's complaint while reading (a compressed stream, a conversion): the engine
        reads the input again to name the line, column and value; pyarrow's words where it
        finds nothing wrong."""
        first = message.strip().splitlines()[0] if message.strip() else "invalid data"
        found = self._first_record_error()
        if found is not None:
            return found
        if "UTF8" in first or "UTF-8" in first:
            return invalid_utf8(self.name)
        return InputError(f"{self.name}: cannot read as CSV: {first}")

    def _first_record_error(self) -> InputError | None:
        """The first record the engine cannot read, as a message; None if it reads them all (or
        the input is a stream, which cannot be read again)."""
        if self.is_stream:
            return None
        stream = self._without_inline_comments(self._csv_stream())
        try:
            with self._record_errors((), {}):
                header, rest, lines, _ = read_header(
                    stream, self._dialect(), self._max_record(), self.read.csv.block_bytes
                )
                header = self._names(header)[0]
                kinds = [ColumnKind.SKIP] * len(header)
                for _ in NativeRecords(
                    stream, header, kinds, self._dialect(), prefix=rest, first_line=1 + lines
                ):
                    pass
        except InputError as exc:
            return exc
        finally:
            with contextlib.suppress(Exception):
                stream.close()
        return None
