"""CSV records parsed by the native engine (``normkit._native``) into record batches.

The byte stream is read in chunks; the engine cuts each chunk at record ends (quote-aware:
a quoted field may hold line breaks), parses its pieces on every core with the GIL released,
in the background while the next chunk is read and the previous batch is used, and returns the
selected columns as Arrow buffers: float64 values with a validity bitmap
(missing-value strings are null) and text as written (quotes undone, UTF-8 checked). The bytes
after the last whole record wait for the next chunk, so memory stays a small multiple of the
chunk size whatever the input's size. Columns neither parsed nor kept are scanned, not converted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from ..stops import check_stop
from .engine import Dialect, RecordError, new_engine
from .kinds import ColumnKind, kind_type

__all__ = [
    "CHUNK_BYTES",
    "MAX_CHUNK",
    "Dialect",
    "FirstTypes",
    "InfiniteOutput",
    "NativeRecords",
    "RecordError",
    "Rewritten",
    "first_batch",
    "first_types",
    "numeric_columns",
    "read_header",
    "record_count",
    "text_columns",
    "whole_records",
    "without_comment_lines",
]

#: Bytes read at a time while looking for the header.
CHUNK_BYTES = 1 << 20

#: The least read at a time: reads fill the chunk to its size (a larger read would leave a
#: long tail of the next chunk to copy once more).
MIN_READ = 64 << 10

# Work per batch grows with the columns, so a chunk that holds fewer than MIN_ROWS records
# (wide rows) grows to hold about GROWN_ROWS, up to MAX_CHUNK bytes: 300 rows of 20,000 columns
# (115 MB) fitted in 15.8 s with 8 MiB chunks, 7.9 s with 32 MiB; with 128 MiB (one batch)
# the Python work per column and batch is 0.5 CPU s less, and the peak memory 15 MB more.
MIN_ROWS = 64
GROWN_ROWS = 1024
MAX_CHUNK = 128 << 20


#: Chunks parsed or written again beyond the one being used (1 if chunks grew past 4 MiB for
#: wide rows): enough that the engine's threads, which rewrite chunks and encode Parquet row
#: groups as well, always find a chunk to work on.
DEPTH = 3


@dataclass(frozen=True)
class InfiniteOutput:
    """An infinite ``output``: at data ``row`` (0-based) of normalized ``column`` (its index in
    the plan's maps), from ``value``."""

    row: int
    column: int
    value: float
    output: float


@dataclass(frozen=True)
class Rewritten:
    """A chunk of records written again (:meth:`NativeRecords.rewritten`)."""

    rows: int
    texts: list  # UTF-8 pieces (numpy uint8 arrays), the records in order
    look: np.ndarray  # the values of the normalized columns of the first records wanted
    infinite: InfiniteOutput | None  # the texts are then not to be written
    batch: int  # among the chunks that hold records (0-based)
    #: A value in a column that must hold none: (data row, 0-based; column of the header;
    #: text); the texts are then not to be written.
    valued: tuple[int, int, str] | None = None
    #: A NUL character in a field passed through: (data row, 0-based; column of the header);
    #: the texts are then not to be written.
    nul: tuple[int, int] | None = None


def read_header(
    stream: BinaryIO, dialect: Dialect, max_bytes: int, chunk_bytes: int = CHUNK_BYTES
) -> tuple[list[str], bytes, int, str]:
    """The column names at the start of ``stream``, the bytes read after the header, the lines
    before the first record after it, and how the header (or the first record) ends:
    ``"\\r\\n"``, ``"\\r"`` or ``"\\n"`` (a CSV output of the input ends its records so).

    A BOM, the dialect's ``skip_rows`` lines, then blank and comment lines are skipped; the
    header is the next record, or, without one (``header`` False), the columns are named
    ``column_1``... after the first record's fields, which stays to be read.

    Raises :class:`RecordError` where the header cannot be read, and ``OverflowError`` where
    it is longer than ``max_bytes``."""
    from ... import _native

    engine = new_engine(dialect, ())
    pending = b""
    eof = False
    lines = 0
    skip = dialect.skip_rows
    at_start = True
    while True:
        if not eof:
            data = stream.read(chunk_bytes)
            eof = not data
            pending += data
        if at_start and (len(pending) >= 3 or eof):
            pending = pending.removeprefix(b"\xef\xbb\xbf")
            at_start = False
        if at_start:
            continue
        # Lines to skip, then blank and comment lines: each up to its line end (LF, CRLF or
        # CR), so that a comment after a blank line is not taken for the header.
        comment = dialect.comment.encode() if dialect.comment else None
        while (
            skip
            or pending[:1] in (b"\n", b"\r")
            or (comment is not None and pending.startswith(comment))
        ):
            end = _line_end(pending, eof)
            if end is None:
                break
            pending = pending[end:]
            lines += 1
            skip = max(skip - 1, 0)
        else:
            try:
                found = engine.header(pending, eof) if pending or not eof else None
            except _native.CsvError as exc:
                raise RecordError(exc) from None
            if found is not None:
                names, end, header_lines = found
                ending = pending[:end]
                line_end = (
                    "\r\n" if ending.endswith(b"\r\n") else "\r" if ending.endswith(b"\r") else "\n"
                )
                if not dialect.header:
                    names = [f"column_{i + 1}" for i in range(len(names))]
                    # Blank lines before the first record: counted, the record kept.
                    kept = pending.lstrip(b"\r\n")
                    lines += _count_line_ends(pending[: len(pending) - len(kept)])
                    return names, kept, lines, line_end
                return names, pending[end:], lines + header_lines, line_end
        if eof and not pending:
            if dialect.skip_rows:  # the input ended among the lines to skip, or just after
                what = "record" if dialect.header is False else "header"
                skipped = f"{dialect.skip_rows:,} line{'s' if dialect.skip_rows != 1 else ''}"
                raise RecordError(
                    _no_header(
                        f"no {what} after the {skipped} to skip (--skip-rows, given or recorded "
                        f"in the stat file): the input has {lines:,} "
                        f"line{'s' if lines != 1 else ''}"
                    )
                )
            if lines:
                raise RecordError(
                    _no_header("no header: the input has only blank or comment lines")
                )
            raise RecordError(_no_header())
        if len(pending) > max_bytes:
            raise OverflowError(len(pending))


def without_comment_lines(records: bytes, dialect: Dialect) -> bytes:
    """``records`` without their comment lines (those starting with the dialect's comment
    character outside a quoted field: a line of a quoted value is the value's), as pyarrow's
    reader was given them to type the columns (its first block is cut from these bytes)."""
    if not dialect.comment:
        return records
    mark, kept, quoted = dialect.comment.encode(), [], False
    for line in records.splitlines(keepends=True):
        if quoted or not line.startswith(mark):
            kept.append(line)
            quoted = _ends_quoted(line, quoted, dialect)
    return b"".join(kept)


def _ends_quoted(line: bytes, quoted: bool, dialect: Dialect) -> bool:
    """Whether ``line`` ends inside a quoted field (``quoted``: whether it starts inside one):
    a quote opens a field only at its start (after spaces too, where they do not separate
    fields), and a doubled (or escaped) one stays inside."""
    if not dialect.quote:
        return False
    q, d = dialect.quote.encode(), dialect.delimiter.encode()
    escape = dialect.escape.encode() if dialect.escape else None
    i = 0
    while (j := line.find(q, i)) >= 0:
        if not quoted:
            k = j
            while k and d != b" " and line[k - 1 : k] == b" ":
                k -= 1
            quoted = k == 0 or line[k - 1 : k] == d
        elif escape is not None and j > 0 and line[j - 1 : j] == escape:
            pass  # an escaped quote (an escaped escape before a quote is not told apart)
        elif line[j + 1 : j + 2] == q:
            j += 1  # a doubled quote
        else:
            quoted = False
        i = j + 1
    return quoted


def numeric_columns(schema: pa.Schema | None) -> tuple[bool, ...] | None:
    """Which columns of ``schema`` (the first rows' types; None: not known yet) hold numbers."""
    if schema is None:
        return None
    return tuple(pa.types.is_integer(f.type) or pa.types.is_floating(f.type) for f in schema)


def record_count(data: bytes, dialect: Dialect, n_columns: int) -> int | None:
    """The records of ``data`` (whole records after the header, the end of the input after
    them), a quoted line break no record's end; None where one is malformed (the reading that
    follows tells)."""
    from ... import _native

    engine = new_engine(dialect, [ColumnKind.SKIP] * n_columns)
    try:
        return engine.parse(data, True, 1, 1)[1]
    except _native.CsvError:
        return None


def whole_records(data: bytes, dialect: Dialect, n_columns: int, at_eof: bool) -> bytes:
    """``data`` (records after the header) up to the end of its last whole record; all of it
    at the end of the input, or where a record is malformed (the reading that follows tells)."""
    from ... import _native

    engine = new_engine(dialect, [ColumnKind.SKIP] * n_columns)
    try:
        consumed = engine.parse(data, at_eof, 1, 1)[0]
    except _native.CsvError:
        return data
    return data[:consumed]


def first_batch(
    records: bytes, names: Sequence[str], dialect: Dialect, block_size: int, first_line: int = 2
) -> pa.RecordBatch:
    """The first batch pyarrow's CSV reader makes of ``records`` (whole records after the
    header, the end of the input after them) reading ``block_size`` bytes at a time, each
    column of the type it infers with the dialect's missing-value strings and decimal point,
    its default true and false values and timestamp parsers, and no missing text.

    A column is of the first of these types that reads every value of the batch (missing
    values aside): null (all missing), int64, bool, date32, time32[s], timestamp[s],
    timestamp[ns], timestamp[s, UTC], timestamp[ns, UTC] (values with a zone), double,
    string, binary (not UTF-8); the rules of each are those of the engine's ``infer`` module.

    Raises :class:`RecordError` for a malformed record (``first_line``: the line the first
    record starts on).
    """
    return _inferred(records, names, dialect, block_size, first_line, True)[1]


@dataclass(frozen=True)
class FirstTypes:
    """The types of :func:`first_batch`, without making the values of its float64 columns (a
    wide file's first block is millions of them): ``schema`` (every column), ``rows``,
    ``values`` (a batch of the columns of other types, with their values) and ``beyond_int64``
    (the float64 columns with a value of magnitude 2**63 or more)."""

    schema: pa.Schema
    rows: int
    values: pa.RecordBatch
    beyond_int64: frozenset[str]


def first_types(
    records: bytes, names: Sequence[str], dialect: Dialect, block_size: int, first_line: int = 2
) -> FirstTypes:
    """:func:`first_batch`'s types, and the values of its columns other than float64; raises
    as it does."""
    rows, values, beyond = _inferred(records, names, dialect, block_size, first_line, False)
    types = dict(zip(values.schema.names, values.schema.types, strict=True))
    schema = pa.schema([pa.field(n, types.get(n, pa.float64())) for n in names])
    return FirstTypes(schema, rows, values, frozenset(names[i] for i in beyond))


def _inferred(
    records: bytes,
    names: Sequence[str],
    dialect: Dialect,
    block_size: int,
    first_line: int,
    float_values: bool,
) -> tuple[int, pa.RecordBatch, list[int]]:
    from ... import _native

    engine = new_engine(dialect, [ColumnKind.BYTES] * len(names), names)
    try:
        return engine.infer(records, block_size, first_line, float_values)
    except _native.CsvError as exc:
        raise RecordError(exc) from None


def text_columns(
    records: bytes, names: Sequence[str], wanted: Sequence[str], dialect: Dialect
) -> dict[str, pa.Array] | None:
    """The text of the ``wanted`` columns of ``records`` (whole records after the header, the
    end of the input after them), as written; None where a record is malformed or a wanted
    field is not UTF-8."""
    from ... import _native

    wanted = set(wanted)
    kinds = [ColumnKind.TEXT if n in wanted else ColumnKind.SKIP for n in names]
    try:
        batch = new_engine(dialect, kinds, names).parse(records, True, 1, 1)[3]
    except _native.CsvError:
        return None
    return dict(zip(batch.schema.names, batch.columns, strict=True))


def _line_end(data: bytes, eof: bool) -> int | None:
    """The offset after the first line end of ``data`` (None: not in it yet)."""
    lf, cr = data.find(b"\n"), data.find(b"\r")
    if cr != -1 and (lf == -1 or cr < lf):
        if cr + 1 == len(data) and not eof:
            return None  # maybe the CR of a CRLF
        return cr + 2 if data[cr + 1 : cr + 2] == b"\n" else cr + 1
    if lf != -1:
        return lf + 1
    return len(data) if eof and data else None


def _count_line_ends(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _no_header(message: str = "no header (the input is empty)"):
    from ... import _native

    error = _native.CsvError(message)
    fields = {"kind": "no_header", "row": 0, "line": 1, "value": ""}
    for name, value in {**dict.fromkeys(("column", "expected", "got")), **fields}.items():
        setattr(error, name, value)
    return error


class NativeRecords:
    """The data records of a CSV byte stream (positioned after its header) as record batches.

    Parameters
    ----------
    stream : binary stream
        Read with ``read(n)`` until it returns ``b""``.
    names : sequence of str
        Every column of the CSV, in order.
    kinds : sequence of ColumnKind or int
        What to do with each column (a ColumnKind, or :func:`typed_kind` of a type); the
        batches hold all but the SKIP ones, in file order, of :func:`kind_type`'s types. The
        engine builds each batch's Arrow arrays, handed over through the Arrow C data
        interface.
    dialect : Dialect
    prefix : bytes
        Bytes already read from ``stream`` (after the header): the bytes just before its
        position, which a plain file is read again from (by a seek back).
    first_line : int
        The line of the file the first record starts on (1-based), for messages.
    chunk_bytes : int
        Bytes handed to the engine at a time, shared among the threads: each batch holds the
        records of about this many bytes.
    max_record : int
        A record longer than this is refused (``OverflowError``): memory stays bounded.
    retype : callable(RecordError) -> kinds or None, optional
        Asked about each record the engine cannot read: new kinds make the engine read that
        chunk again, and the rest, as they say (the chunks in flight are still held, so
        nothing is read twice from the stream); None lets the error stand. The batches after
        it have the new kinds' types (:attr:`schema`).
    """

    def __init__(
        self,
        stream: BinaryIO,
        names: Sequence[str],
        kinds: Sequence[int],
        dialect: Dialect,
        *,
        prefix: bytes = b"",
        first_line: int = 2,
        chunk_bytes: int = 1 << 20,
        max_record: int = 1 << 30,
        retype: Callable[[RecordError], Sequence[int] | None] | None = None,
    ):
        self._stream = stream
        # A file read as it is (no codec, no transcoding) is read again from the end of each
        # chunk's last record: the next chunk is then one read, not the rest of this one
        # joined to the next read (a copy of every byte of the file).
        self._rewind = isinstance(stream, pa.OSFile)
        kept = [(n, k) for n, k in zip(names, kinds, strict=True) if k != ColumnKind.SKIP]
        self.schema = pa.schema([pa.field(n, kind_type(k)) for n, k in kept])
        self._engine = new_engine(dialect, kinds, names)
        self._names, self._dialect, self._retype = list(names), dialect, retype
        self._pending = prefix
        self._first_line = first_line  # of the first record
        self._line = first_line  # of the first record not read yet
        self._max_record = max_record
        self._chunk_bytes = chunk_bytes
        self.rows = 0  # data rows read so far

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return self._chunks(lambda chunk, end: self._engine.submit(chunk, end), self._collect)

    def _retyped(self, error: RecordError) -> bool:
        """Whether the engine now reads the columns as :attr:`_retype` says after ``error``."""
        kinds = self._retype(error) if self._retype is not None else None
        if kinds is None:
            return False
        kept = [(n, k) for n, k in zip(self._names, kinds, strict=True) if k != ColumnKind.SKIP]
        self.schema = pa.schema([pa.field(n, kind_type(k)) for n, k in kept])
        self._engine = new_engine(self._dialect, kinds, self._names)
        return True

    def rewritten(self, plan, look: Callable[[range], int]) -> Iterator[Rewritten]:
        """The records written again by ``plan`` (a ``normkit._native.CsvRewrite``), a chunk at a
        time; ``look(batches)``: how many records of a chunk to read the values of
        (:attr:`Rewritten.look`), given the indices its batch may have (:attr:`Rewritten.batch`:
        chunks of blank lines make no batch). Errors as the batches'; a value that cannot be
        written without quotes raises ``normkit._native.UnquotableError``."""
        self._collected = self._empty = submitted = 0

        def submit(chunk: bytes, consumed: int):
            nonlocal submitted
            last = submitted - self._empty  # if no chunk in flight is empty
            batches = range(last - (submitted - self._collected), last + 1)
            submitted += 1
            return self._engine.rewrite(chunk, consumed, plan, look(batches))

        return self._chunks(submit, self._collect_rewritten)

    def _chunks(self, submit: Callable, collect: Callable) -> Iterator:
        """What ``collect`` makes of each chunk's job, which ``submit(chunk, consumed)`` starts;
        :data:`DEPTH` jobs are started beyond the one collected.

        Each chunk is cut at its last record end and handed to the engine's threads; the next
        one is read and cut while they work on it, and its result is made (and used by the
        caller) while they work on the next: the threads wait neither for the reading nor for
        the caller."""
        eof = False
        wanted = self._chunk_bytes
        first = True
        jobs: deque = deque()  # in file order
        while True:
            check_stop()  # an ending signal whose exception was lost: acted on between chunks
            while not eof and len(self._pending) < wanted:
                # A file read again from each chunk's end is read a chunk at a time.
                least = 1 if self._rewind else MIN_READ
                try:
                    data = self._stream.read(max(wanted - len(self._pending), least))
                except Exception:
                    # The records read before (a truncated or corrupt compressed stream, an
                    # undecodable byte): an error among them comes first in the file.
                    yield from self._collect_all(jobs, submit, collect)
                    raise
                if not data:
                    eof = True
                self._pending += data
            if not self._pending:
                break
            last = eof and len(self._pending) <= wanted
            chunk = self._pending if len(self._pending) <= wanted else self._pending[:wanted]
            consumed, lines = self._engine.cut(chunk, last, first)
            if not consumed:
                if len(chunk) >= self._max_record:
                    # The records before it first: an error there comes first.
                    yield from self._collect_all(jobs, submit, collect)
                    raise self._too_long(chunk, self._line)
                wanted = 2 * len(chunk)  # a record longer than the chunk
                self._read_again(eof)
                continue
            if first and 0 < lines < MIN_ROWS and self._chunk_bytes < MAX_CHUNK:
                # Wide rows: the chunk grows once, judged by the first one (each batch costs
                # work per column).
                grown = consumed * GROWN_ROWS // lines
                self._chunk_bytes = max(self._chunk_bytes, min(grown, MAX_CHUNK))
                self._max_record = max(self._max_record, self._chunk_bytes)
                if not last and self._chunk_bytes > len(chunk):
                    wanted = self._chunk_bytes
                    first = False
                    self._read_again(eof)
                    continue
            first = False
            wanted = self._chunk_bytes
            jobs.append((submit(chunk, consumed), chunk, consumed))
            rest = len(self._pending) - consumed
            if self._rewind and rest and not eof:
                self._stream.seek(-rest, 1)
                self._pending = b""
            else:
                self._pending = self._pending[consumed:]
            while len(jobs) > (DEPTH if self._chunk_bytes <= 4 * CHUNK_BYTES else 1):
                yield from self._collect_first(jobs, submit, collect)
            if last and not self._pending:
                break
        yield from self._collect_all(jobs, submit, collect)

    def _collect_all(self, jobs: deque, submit: Callable, collect: Callable) -> Iterator:
        while jobs:
            yield from self._collect_first(jobs, submit, collect)

    def _collect_first(self, jobs: deque, submit: Callable, collect: Callable) -> Iterator:
        """What ``collect`` makes of the first job; where its chunk holds a record the engine
        cannot read and :attr:`_retype` gives new kinds, of that chunk and those after it read
        again with them."""
        while True:
            try:
                items = list(collect(jobs[0][0]))
            except RecordError as error:
                if not self._retyped(error):
                    raise
                for i, (_, chunk, consumed) in enumerate(jobs):
                    jobs[i] = (submit(chunk, consumed), chunk, consumed)
                continue
            jobs.popleft()
            yield from items
            return

    def _read_again(self, eof: bool) -> None:
        """Before a larger chunk: a file read as it is is read again from the chunk's start, in
        one read (the bytes read so far joined to the rest would be a copy of all of them);
        not once its end is reached (nothing would be read again)."""
        if self._rewind and self._pending and not eof:
            self._stream.seek(-len(self._pending), 1)
            self._pending = b""

    def _result(self, job) -> tuple:
        """What a chunk's job gives; an error as a :class:`RecordError`."""
        from ... import _native

        try:
            return job.result(self.rows + 1, self._line)
        except _native.CsvError as exc:
            error = RecordError(exc)
            error.first_line = self._first_line
            raise error from None

    def _collect(self, job) -> Iterator[pa.RecordBatch]:
        """The batch of a chunk handed to the engine (none for a chunk of blank lines)."""
        _, rows, lines, batch = self._result(job)
        self.rows += rows
        self._line += lines
        if rows:
            yield batch

    def _collect_rewritten(self, job) -> Iterator[Rewritten]:
        """The records of a chunk written again (none for a chunk of blank lines)."""
        _, rows, lines, texts, look, infinite, valued, nul = self._result(job)
        if infinite is not None:
            row, column, value, output = infinite
            infinite = InfiniteOutput(self.rows + row, column, value, output)
        if valued is not None:
            valued = (self.rows + valued[0], *valued[1:])
        if nul is not None:
            nul = (self.rows + nul[0], nul[1])
        self.rows += rows
        self._line += lines
        self._collected += 1
        if rows:
            batch = self._collected - 1 - self._empty
            yield Rewritten(rows, texts, look, infinite, batch, valued, nul)
        else:
            self._empty += 1

    def _too_long(self, chunk: bytes, line: int) -> Exception:
        """Why no record ends within ``chunk``, the most read at a time: a quote opened in it
        and not closed by its end (a :class:`RecordError` naming its line, of kind
        ``unterminated_quote``), or a record longer than that (``OverflowError``)."""
        from ... import _native

        try:
            self._engine.parse(chunk, True, self.rows + 1, line)
        except _native.CsvError as exc:
            if exc.kind == "unterminated_quote":
                error = RecordError(exc)
                error.within = len(chunk)
                return error
        return OverflowError(len(chunk), line)
