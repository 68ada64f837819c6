"""Sources and sinks: files, stdin and stdout as streams of ``pyarrow.RecordBatch``.

A :class:`Source` reads CSV (optionally compressed), Parquet or Arrow IPC in bounded memory and
yields record batches in which the columns to be normalized are float64 and, for CSV, every other
column is text exactly as written. An :func:`open_sink` writes batches to a temporary file beside
its target and renames it into place only when the whole output was written.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from queue import Empty, Full, Queue
from typing import BinaryIO, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ._lazy import ipc, pc, pq
from .apply import arrow_to_float64, cast_float64
from .errors import InputError, OptionError, OutputError, SchemaError
from .formats import (
    CSV_BLOCK_SIZE,
    DEFAULT_NULL_VALUES,
    STDIO,
    CsvOptions,
    Format,
    _split_compression,
    resolve_format,
)

__all__ = [
    "CSV_BLOCK_SIZE",
    "DEFAULT_NULL_VALUES",
    "STDIO",
    "AtomicFile",
    "CsvOptions",
    "Format",
    "Sink",
    "Source",
    "check_output_path",
    "is_numeric_type",
    "open_sink",
    "prefetch",
    "rechunk",
    "resolve_format",
]

T = TypeVar("T")


# Bytes looked at to tell an empty, binary or non-UTF-8 file from a CSV.
HEAD_BYTES = 64 << 10
# Bytes kept from the end of a CSV stream, to check that its last quoted field closes.
TAIL_BYTES = 64 << 10
PARQUET_BATCH_ROWS = 65_536
# Parquet column chunks are read in pieces of this size, not whole: a row group of a million
# rows would otherwise be held in memory compressed and decoded (700 MiB for 16 columns).
PARQUET_READ_BUFFER = 64 << 10
PARQUET_ROW_GROUP_ROWS = 64 * 1024
PARQUET_ROW_GROUP_BYTES = 16 << 20
# Work per batch grows with the columns, so a block of CSV parsed in parallel that holds fewer
# than CSV_MIN_ROWS rows (wide rows) grows to hold CSV_BLOCK_ROWS, up to CSV_MAX_BLOCK bytes.
CSV_MIN_ROWS = 64
CSV_BLOCK_ROWS = 1024
CSV_MAX_BLOCK = 8 << 20
# Bytes of record batches formatted as one piece of CSV output by one thread.
CSV_WRITE_BYTES = 2 << 20


def is_numeric_type(dtype: pa.DataType) -> bool:
    """True for integer, floating-point and decimal types; booleans are not numeric."""
    return pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)


def rechunk(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Regroup a stream of record batches into batches of exactly ``rows`` rows (the last may be
    shorter). Slices are zero-copy; rows that straddle two input batches are copied once."""
    if rows < 1:
        raise OptionError(f"the chunk size must be at least 1 row, not {rows}")
    pending: list[pa.RecordBatch] = []
    n_pending = 0
    for batch in batches:
        pending.append(batch)
        n_pending += batch.num_rows
        if n_pending < rows:
            continue
        table = pa.Table.from_batches(pending)
        start = 0
        while n_pending - start >= rows:
            yield table.slice(start, rows).combine_chunks().to_batches()[0]
            start += rows
        rest = table.slice(start)
        pending = rest.combine_chunks().to_batches() if rest.num_rows else []
        n_pending = rest.num_rows
    if n_pending:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Iterate ``items`` in a background thread, up to ``depth`` items ahead.

    Parsing (pyarrow, which releases the GIL) then overlaps with the caller's numerics on the
    other core; memory grows by at most ``depth`` batches. An exception in the producer is
    raised in the consumer; closing the consumer stops the producer.
    """
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put((item, None), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            queue.put((done, exc))
            return
        queue.put((done, None))

    thread = threading.Thread(target=produce, name="normkit-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = queue.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:  # unblock a producer waiting on a full queue
                queue.get_nowait()
            except Empty:
                thread.join(timeout=0.1)


class _RowBlocks:
    """A CSV byte stream cut into blocks of whole rows, parsed in parallel.

    pyarrow's streaming reader parses one block at a time, on one core. Blocks that are parsed
    independently can use them all, but a block may only end where a row ends, and a line break
    ends a row only outside quoted fields. Without a quote every line break ends a row, so a block
    free of quotes is cut after its last line break. At the first block holding a quote (or a row
    longer than a block) the cutting stops: :meth:`rest` hands the input from there on to the
    streaming reader, which follows quotes. The header is skipped once it parses as exactly the
    column names; otherwise the whole input goes to the streaming reader.
    """

    def __init__(
        self,
        stream: BinaryIO | pa.NativeFile,
        names: Sequence[str],
        block_size: int,
        parse_options: pacsv.ParseOptions,
    ):
        self._stream = stream
        self._names = list(names)
        self.block_size = block_size
        self._parse_options = parse_options
        # Blocks hold whole rows and no quote: the fastest settings parse them alike.
        self._block_parse_options = pacsv.ParseOptions(
            delimiter=parse_options.delimiter, quote_char=False, newlines_in_values=False
        )
        self._pending = b""  # read, not yet parsed
        self._sized = False
        self._eof = False
        self.header_read = False

    def _fill(self) -> None:
        while not self._eof and len(self._pending) < self.block_size:
            data = self._stream.read(self.block_size)
            if not data:
                self._eof = True
            self._pending += data

    def _skip_header(self) -> bool:
        self._fill()
        data = self._pending.removeprefix(b"\xef\xbb\xbf")
        end = data.find(b"\n") + 1
        if not end and not self._eof:
            return False
        end = end or len(data)  # a header without a line break, and nothing else
        try:
            columns = [f"c{i}" for i in range(len(self._names))]
            header = pacsv.read_csv(
                pa.py_buffer(data[:end].rstrip(b"\r\n") + b"\n"),
                read_options=pacsv.ReadOptions(column_names=columns, use_threads=False),
                parse_options=self._parse_options,
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False
                ),
            )
        except pa.ArrowInvalid:
            return False
        if header.num_rows != 1 or [c[0].as_py() for c in header.columns] != self._names:
            return False
        self._pending = data[end:]
        self.header_read = True
        return True

    def _next_block(self) -> bytes | None:
        """The next block of whole rows, or None where the cutting stops."""
        self._fill()
        data = self._pending
        if not data or b'"' in data:
            return None
        end = len(data) if self._eof else data.rfind(b"\n") + 1
        if not end:
            return None
        self._pending = data[end:]
        block = data[:end]
        if not self._sized:
            # Wide rows make short batches, and work per batch grows with the columns.
            self._sized = True
            rows = max(block.count(b"\n"), 1)
            if rows < CSV_MIN_ROWS:
                wanted = len(block) * CSV_BLOCK_ROWS // rows
                self.block_size = max(self.block_size, min(wanted, CSV_MAX_BLOCK))
        return block

    def _parse(self, block: bytes, convert: pacsv.ConvertOptions) -> pa.Table:
        return pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(
                column_names=self._names, use_threads=False, block_size=len(block) + 1
            ),
            parse_options=self._block_parse_options,
            convert_options=convert,
        )

    def parse_parallel(self, convert: pacsv.ConvertOptions) -> Iterator[pa.RecordBatch]:
        """Record batches of the blocks that can be cut, in order; :meth:`rest` has the others."""
        if not self._skip_header():
            return
        workers = _workers()
        with ThreadPoolExecutor(workers, thread_name_prefix="normkit-csv") as pool:
            futures: deque[Future] = deque()
            try:
                while (block := self._next_block()) is not None:
                    futures.append(pool.submit(self._parse, block, convert))
                    if len(futures) > workers:
                        yield from futures.popleft().result().to_batches()
                while futures:
                    yield from futures.popleft().result().to_batches()
            finally:
                for future in futures:
                    future.cancel()

    def rest(self) -> BinaryIO | pa.NativeFile | None:
        """The input from the first block that was not parsed on, or None if all was."""
        if self._eof and not self._pending:
            return None
        if self._stream.seekable():
            # A file: back to the first byte not parsed, and pyarrow reads it without Python.
            self._stream.seek(self._stream.tell() - len(self._pending))
            return self._stream
        return io.BufferedReader(_PrefixedStream(self._pending, self._stream), 1 << 20)


class _PrefixedStream(io.RawIOBase):
    """A readable stream that first returns ``prefix``, then the rest of ``stream``.

    Lets normkit look at the start of a pipe (to learn the CSV header and column types) without
    losing those bytes for the reader that follows.
    """

    def __init__(self, prefix: bytes, stream: BinaryIO | pa.NativeFile):
        self._prefix = memoryview(prefix)
        self._stream = stream
        self.tail = b""  # the last bytes returned, to check how the input ends

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._prefix.nbytes:
            n = min(len(buffer), self._prefix.nbytes)
            data = self._prefix[:n].tobytes()
            self._prefix = self._prefix[n:]
        else:
            data = self._stream.read(len(buffer))
            n = len(data)
        buffer[:n] = data
        if n:
            self.tail = (self.tail + bytes(data))[-TAIL_BYTES:]
        return n


_CSV_COLUMN_ERROR = re.compile(r"In CSV column #(\d+): (.*)")
_INVALID_VALUE = re.compile(r"invalid value '(.*)'")
# pyarrow may name the row within a block ("Row #7013: "), which is not the row in the file.
_ROW_TEXT = re.compile(r"CSV parse error: (?:Row #\d+: )?(.*)")


class Source:
    """One input: a file path or ``-`` for stdin, in CSV, Parquet or Arrow IPC.

    Parameters
    ----------
    path : str or path-like
        The file, or ``"-"`` for standard input.
    format : str, Format or None
        The format; None infers it from the extension (stdin: CSV).
    csv : CsvOptions
        Delimiter and missing-value strings for CSV.
    chunk_rows : int or None
        Rows per record batch; None keeps the reader's natural batches (CSV blocks, Parquet
        batches of 65,536 rows). Results never depend on it beyond rounding.

    Notes
    -----
    Parquet needs random access: from stdin it is read into memory whole. CSV and Arrow IPC
    streams from stdin are read in constant memory.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        format: str | Format | None = None,
        csv: CsvOptions | None = None,
        chunk_rows: int | None = None,
        inf_as_missing: bool = False,
    ):
        self.path = os.fspath(path)
        self.inf_as_missing = inf_as_missing
        if self.is_stdin and sys.stdin is None:
            raise InputError("<stdin>: standard input is closed")
        if not self.is_stdin:
            self._check_readable()
        # A pipe or a device given by path (such as bash's <(command)) is read like stdin: once,
        # front to back, and opened by Python so that a signal can interrupt the wait for data.
        self.is_stream = self.is_stdin or not stat.S_ISREG(os.stat(self.path).st_mode)
        self._pipe_file: BinaryIO | None = None
        self.format = self._resolve_input_format(format)
        self.csv = csv or CsvOptions()
        if chunk_rows is not None and chunk_rows < 1:
            raise OptionError(f"--chunk-rows must be at least 1, not {chunk_rows}")
        self.chunk_rows = chunk_rows
        self.name = "<stdin>" if self.is_stdin else self.path
        self._schema: pa.Schema | None = None
        self._stdin_prefix: bytes | None = None
        self._stdin_buffer: bytes | None = None
        self._ipc_reader: ipc.RecordBatchStreamReader | None = None
        self._tracked: _PrefixedStream | None = None
        self._ipc_stdin: io.BufferedReader | None = None

        self._stdin_consumed = False
        self._raw: pa.NativeFile | None = None
        self.has_rows: bool | None = None  # known once the schema is read (CSV)

    # -- basic facts -------------------------------------------------------------------------

    @property
    def is_stdin(self) -> bool:
        return self.path == STDIO

    @property
    def _pipe(self) -> BinaryIO:
        """The byte stream of a stream input (stdin, or a pipe opened once)."""
        if self.is_stdin:
            return sys.stdin.buffer
        if self._pipe_file is None:
            self._pipe_file = open(self.path, "rb")  # noqa: SIM115 (kept open for the reads)
        return self._pipe_file

    @property
    def size_bytes(self) -> int | None:
        """Size of the file on disk, or None for stdin."""
        return None if self.is_stream else os.path.getsize(self.path)

    def bytes_read(self) -> int | None:
        """How many bytes of the file the reader has consumed so far (for progress bars)."""
        if self._raw is None or self._raw.closed:
            return None
        try:
            return self._raw.tell()
        except (OSError, pa.ArrowException):
            return None

    def _resolve_input_format(self, explicit: str | Format | None) -> Format:
        """The format named, or the one the extension tells, or else the one the first bytes tell
        (Parquet and Arrow files start with magic numbers; anything else is tried as CSV)."""
        try:
            return resolve_format(self.path, explicit)
        except OptionError:
            if explicit is not None or self.is_stdin:
                raise
            if self.is_stream:
                return Format.CSV  # a pipe cannot be sniffed without losing what is read
        try:
            with open(self.path, "rb") as f:
                head = f.read(4096)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        if head.startswith(b"PAR1"):
            return Format.PARQUET
        if head.startswith((b"ARROW1", b"\xff\xff\xff\xff")):
            return Format.ARROW
        if head.lstrip().startswith(b"{") and b'"normkit.stats"' in head:
            raise InputError(f"{self.path}: this is a normkit stat file, not a data file")
        return Format.CSV

    def _check_readable(self) -> None:
        path = self.path
        if not os.path.exists(path):
            raise InputError(f"{path}: no such file")
        if os.path.isdir(path):
            raise InputError(f"{path}: is a directory, not a file")
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied")

    # -- schema ------------------------------------------------------------------------------

    @property
    def schema(self) -> pa.Schema:
        """The columns of the input and their types.

        For CSV the types are inferred from the first block, as pyarrow does; they only decide
        which columns are numeric by default, since normalized columns are always read as float64.
        """
        if self._schema is None:
            self._schema = self._read_schema()
            names = self._schema.names
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    raise SchemaError(f"{self.name}: duplicate column name {name!r}")
                seen.add(name)
        return self._schema

    def _read_schema(self) -> pa.Schema:
        if self.format is Format.CSV:
            return self._csv_schema()
        if self.format is Format.PARQUET:
            with self._translate_errors():
                return self._parquet_file().schema_arrow
        with self._translate_errors():
            reader = self._open_ipc()
            schema = reader.schema
            if self.is_stream:
                self._ipc_reader = reader  # a pipe cannot be opened twice: keep it for batches()
            elif self._raw is not None:
                self._raw.close()
            return schema

    # -- reading -----------------------------------------------------------------------------

    def batches(
        self, float_columns: Sequence[str], *, all_columns: bool = True
    ) -> Iterator[pa.RecordBatch]:
        """Stream the input as record batches.

        Parameters
        ----------
        float_columns : sequence of str
            Columns returned as float64 (integers and decimals are converted; text is parsed).
        all_columns : bool, default True
            Return every column (the others unchanged; CSV text as written). If False, only
            ``float_columns``, in that order.

        Yields
        ------
        pyarrow.RecordBatch
        """
        schema = self.schema
        present = set(schema.names)
        missing = [c for c in float_columns if c not in present]

        if missing:
            raise SchemaError(
                f"{self.name}: no column {missing[0]!r}; the input has {_names(schema.names)}"
            )
        if self.format is Format.CSV:
            batches = self._csv_batches(float_columns, all_columns)
        elif self.format is Format.PARQUET:
            batches = self._parquet_batches(float_columns, all_columns)
        else:
            batches = self._ipc_batches(float_columns, all_columns)
        if self.inf_as_missing:
            batches = (_infinite_to_null(b, float_columns) for b in batches)
        if self.chunk_rows is not None:
            batches = rechunk(batches, self.chunk_rows)
        return batches

    def count_rows(self) -> int:
        """The number of data rows, without parsing them: exact for Parquet (its metadata) and
        Arrow IPC (its batches' headers). For CSV it is a prediction: the lines after the header,
        less blank lines at the end; a line break inside a quoted field or a blank line within
        the data makes it too large. Only for files.
        """
        if self.is_stream:
            raise InputError(f"{self.name}: cannot count the rows of a stream")
        with self._translate_errors():
            if self.format is Format.PARQUET:
                return self._parquet_file().metadata.num_rows
            if self.format is Format.ARROW:
                reader = self._open_ipc()
                try:
                    if isinstance(reader, ipc.RecordBatchFileReader):
                        return sum(
                            reader.get_batch(i).num_rows for i in range(reader.num_record_batches)
                        )
                    return sum(batch.num_rows for batch in reader)
                finally:
                    self._raw.close()
            _, codec = _split_compression(self.path)
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

    # CSV

    def _csv_stream(self) -> BinaryIO | pa.NativeFile:
        """The decompressed byte stream of a CSV input."""
        if self.is_stream:
            if self._stdin_consumed:
                raise InputError("<stdin>: standard input can only be read once")
            self._stdin_consumed = True
            stdin = self._pipe
            prefix = self._stdin_prefix or b""
            self._tracked = _PrefixedStream(prefix, stdin)
            return io.BufferedReader(self._tracked, buffer_size=1 << 20)
        _, codec = _split_compression(self.path)
        with self._translate_errors():
            raw = pa.OSFile(self.path, "rb")
            self._raw = raw
            if not codec:
                return raw  # its end is read from the file itself
            # Decompressed through a tracking wrapper, to see how the text ends.
            self._tracked = _PrefixedStream(b"", pa.CompressedInputStream(raw, codec))
            return io.BufferedReader(self._tracked, buffer_size=1 << 20)

    def _csv_head(self) -> tuple[bytes, BinaryIO | pa.NativeFile]:
        """The first bytes of a CSV input, and a stream of its start to infer the schema from."""
        if self.is_stream:
            # Two blocks of the pipe, kept to be read again by the real pass. pyarrow cuts the
            # first block at a row boundary because more bytes follow it (or it is all there is).
            self._stdin_prefix = _read_up_to(self._pipe, 2 * self.csv.block_size)
            return self._stdin_prefix[:HEAD_BYTES], io.BytesIO(self._stdin_prefix)
        _, codec = _split_compression(self.path)
        with self._translate_errors(), pa.input_stream(self.path, compression=codec) as stream:
            head = _read_up_to(stream, HEAD_BYTES)
        return head, pa.input_stream(self.path, compression=codec)

    def _read_options(self, use_threads: bool = True) -> pacsv.ReadOptions:
        return pacsv.ReadOptions(block_size=self.csv.block_size, use_threads=use_threads)

    def _parse_options(self, handler: Callable | None = None) -> pacsv.ParseOptions:
        return pacsv.ParseOptions(
            delimiter=self.csv.delimiter_for(self.path),
            newlines_in_values=True,  # RFC 4180: a quoted field may hold line breaks
            invalid_row_handler=handler,
        )

    def _csv_schema(self) -> pa.Schema:
        head, stream = self._csv_head()
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
                    convert_options=pacsv.ConvertOptions(null_values=list(self.csv.null_values)),
                )
                try:
                    self.has_rows = reader.read_next_batch().num_rows > 0
                except StopIteration:
                    self.has_rows = False
                return reader.schema
        finally:
            stream.close()

    def _check_text(self, head: bytes) -> None:
        if not head.strip(b"\xef\xbb\xbf \t\r\n"):
            raise InputError(f"{self.name}: the file is empty (a CSV needs a header row)")
        if b"\x00" in head:
            raise InputError(f"{self.name}: not a CSV file (it holds binary data)")
        if head.removeprefix(b"\xef\xbb\xbf").startswith((b"\n", b"\r")):
            raise InputError(
                f"{self.name}: the first line is empty; a CSV starts with its header row"
            )
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # The head may end in the middle of a multi-byte character; only earlier bytes count.
            if exc.start < len(head) - 4:
                raise InputError(
                    f"{self.name}: not UTF-8 text (invalid byte at offset {exc.start})"
                ) from None

    def _csv_batches(
        self, float_columns: Sequence[str], all_columns: bool
    ) -> Iterator[pa.RecordBatch]:
        names = self.schema.names
        wanted = set(float_columns)
        # Every column is read, other columns as text, even when only float_columns are wanted:
        # a quote left open near the end swallows the rows after it into one text field, which
        # only the text shows (see _check_last_row). Reading text costs little next to parsing.
        column_types: dict[str, pa.DataType] = {
            c: pa.float64() if c in wanted else pa.string() for c in names
        }
        text_columns = [c for c in names if c not in wanted]

        def convert(include: Sequence[str]) -> pacsv.ConvertOptions:
            return pacsv.ConvertOptions(
                column_types=column_types,
                include_columns=list(include),
                null_values=list(self.csv.null_values),
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
                blocks = _RowBlocks(stream, names, self.csv.block_size, self._parse_options())
                parallel = convert(names if all_columns else float_columns)
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
                        yield previous if all_columns else previous.select(list(float_columns))
                    rows_done += batch.num_rows
                    previous = batch
                if previous is not None:
                    self._check_last_row(previous, text_columns)
                    yield previous if all_columns else previous.select(list(float_columns))
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
        if multiline or before in (b"", b"\n", b"\r", self.csv.delimiter_for(self.path).encode()):
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

    # Parquet

    def _parquet_file(self) -> pq.ParquetFile:
        if self.is_stream:
            # Parquet needs random access: standard input is read into memory, once.
            if self._stdin_buffer is None:
                self._stdin_buffer = self._pipe.read()
            return pq.ParquetFile(
                pa.BufferReader(self._stdin_buffer),
                pre_buffer=False,
                buffer_size=PARQUET_READ_BUFFER,
            )
        return pq.ParquetFile(self.path, pre_buffer=False, buffer_size=PARQUET_READ_BUFFER)

    def _parquet_batches(
        self, float_columns: Sequence[str], all_columns: bool
    ) -> Iterator[pa.RecordBatch]:
        with self._translate_errors():
            file = self._parquet_file()
            columns = self.schema.names if all_columns else list(float_columns)
            batches = file.iter_batches(
                batch_size=self.chunk_rows or PARQUET_BATCH_ROWS, columns=columns
            )
            for batch in batches:
                yield self._as_float(batch, float_columns)

    # Arrow IPC

    def _open_ipc(self):
        if self.is_stream:
            if self._ipc_reader is not None:
                reader, self._ipc_reader = self._ipc_reader, None
                return reader
            head = _read_up_to(self._pipe, 6)
            if head == b"ARROW1":
                # The IPC file format needs random access: read standard input into memory.
                self._stdin_buffer = head + self._pipe.read()
                return ipc.open_file(pa.BufferReader(self._stdin_buffer))
            self._ipc_stdin = io.BufferedReader(_PrefixedStream(head, self._pipe))
            return ipc.open_stream(self._ipc_stdin)
        raw = pa.memory_map(self.path, "r")
        self._raw = raw
        magic = raw.read(6)
        raw.seek(0)
        if magic == b"ARROW1":
            return ipc.open_file(raw)
        return ipc.open_stream(raw)

    def _ipc_batches(
        self, float_columns: Sequence[str], all_columns: bool
    ) -> Iterator[pa.RecordBatch]:
        with self._translate_errors():
            reader = self._open_ipc()
            if isinstance(reader, ipc.RecordBatchFileReader):
                batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
            else:
                batches = iter(reader)
            try:
                for batch in batches:
                    if not all_columns:
                        batch = batch.select(list(float_columns))
                    yield self._as_float(batch, float_columns)
                if not isinstance(reader, ipc.RecordBatchFileReader):
                    self._check_stream_ended()
            finally:
                if self._raw is not None:
                    self._raw.close()

    def _check_stream_ended(self) -> None:
        """Refuse bytes after the end of an Arrow stream (a second stream, garbage): a reader
        stops at the first end-of-stream marker and would silently ignore them."""
        if self.is_stream:
            extra = self._ipc_stdin.read(1) if self._ipc_stdin is not None else b""
        else:
            extra = b"x" if self._raw.tell() < os.path.getsize(self.path) else b""
        if extra:
            raise InputError(
                f"{self.name}: data after the end of the Arrow stream (two streams joined, or a "
                "damaged file); only one stream per input is read"
            )

    def _as_float(self, batch: pa.RecordBatch, float_columns: Sequence[str]) -> pa.RecordBatch:
        """Cast ``float_columns`` of a typed (Parquet, Arrow) batch to float64."""
        if not float_columns:
            return batch
        arrays = list(batch.columns)
        schema = batch.schema
        for name in float_columns:
            i = schema.get_field_index(name)
            dtype = schema.field(i).type
            if pa.types.is_float64(dtype):
                continue
            if not is_numeric_type(dtype) and not pa.types.is_null(dtype):
                raise SchemaError(
                    f"{self.name}: column {name!r} has type {dtype}, which is not numeric"
                )
            arrays[i] = cast_float64(arrays[i])
            schema = schema.set(i, pa.field(name, pa.float64()))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    # errors

    @contextlib.contextmanager
    def _translate_errors(self, rows_done: Callable[[], int] | None = None) -> Iterator[None]:
        """Turn pyarrow's and the OS's exceptions into one-line :class:`InputError`s."""
        try:
            yield
        except (SchemaError, InputError):
            raise
        except pa.ArrowInvalid as exc:
            raise InputError(self._describe_arrow_error(str(exc), rows_done)) from None
        except (pa.ArrowException, OSError) as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{self.name}: cannot read as {self.format}: {message}") from None

    def _describe_arrow_error(self, message: str, rows_done: Callable[[], int] | None) -> str:
        first = message.strip().splitlines()[0] if message.strip() else "invalid data"
        after = ""
        if rows_done is not None:
            after = f" after data row {rows_done():,}"
        if self.format is not Format.CSV:
            return f"{self.name}: cannot read as {self.format}: {first}"
        match = _CSV_COLUMN_ERROR.search(first)
        if match:
            index = int(match.group(1))
            names = self._schema.names if self._schema is not None else []
            column = names[index] if index < len(names) else f"#{index}"
            detail = match.group(2)
            value = _INVALID_VALUE.search(detail)
            if value:
                row = self._locate_bad_value(column)
                where = f" at data row {row:,}" if row is not None else after
                return (
                    f"{self.name}: column {column!r}{where}: {value.group(1)!r} is not a number; "
                    f"exclude the column (--exclude {column}) or add the string to --null-values"
                )
            if "UTF8" in detail or "UTF-8" in detail:
                return f"{self.name}: column {column!r}{after}: invalid UTF-8 text"
            return f"{self.name}: column {column!r}{after}: {detail}"
        match = _ROW_TEXT.search(first)
        if match:
            detail = match.group(1)
            row = self._locate_bad_row()
            where = f" at line {row:,}" if row is not None else after
            detail = re.sub(
                r"Expected (\d+) columns, got (\d+)", r"expected \1 fields, got \2", detail
            )
            return f"{self.name}{where}: malformed CSV: {detail}"
        if "straddl" in first:
            size = self.csv.block_size
            return (
                f"{self.name}{after}: a CSV row is longer than the block size "
                f"({size / 2**20:g} MiB); read it with a larger --csv-block-size "
                f"(for instance {4 * size // 2**20 or 4}M)"
            )
        if "Empty CSV file" in first:
            return f"{self.name}: the file is empty (a CSV needs a header row)"
        return f"{self.name}: cannot read as CSV: {first}"

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

    def _locate_bad_value(self, column: str) -> int | None:
        """Data row (1-based) of the first value in ``column`` that is not a number."""
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
                    null_values=list(self.csv.null_values),
                    strings_can_be_null=True,
                ),
            )
            offset = 0
            for batch in reader:
                values = batch.column(0)
                try:
                    pc.cast(values, pa.float64())
                except pa.ArrowInvalid:
                    for i, text in enumerate(values.to_pylist()):
                        if text is None:
                            continue
                        try:
                            pc.cast(pa.array([text]), pa.float64())
                        except pa.ArrowInvalid:
                            return offset + i + 1
                offset += batch.num_rows
        except (pa.ArrowException, OSError):
            return None
        return None


def _infinite_to_null(batch: pa.RecordBatch, float_columns: Sequence[str]) -> pa.RecordBatch:
    """The batch with infinite values of ``float_columns`` made missing (null)."""
    arrays = list(batch.columns)
    for name in float_columns:
        i = batch.schema.get_field_index(name)
        values = arrow_to_float64(arrays[i])
        infinite = np.isinf(values)
        if infinite.any():
            valid = ~(infinite | np.isnan(values))
            bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
            data = pa.py_buffer(np.where(valid, values, 0.0))
            nulls = len(values) - int(valid.sum())
            arrays[i] = pa.Array.from_buffers(pa.float64(), len(values), [bitmap, data], nulls)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def _read_up_to(stream, size: int) -> bytes:
    """Read ``size`` bytes, or fewer at the end of the stream (a pipe may return short reads)."""
    parts = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(bytes(chunk))
        remaining -= len(chunk)
    return b"".join(parts)


def _names(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"columns {shown}{more}" if names else "no columns"


# -- sinks -------------------------------------------------------------------------------------


def check_output_path(path: str) -> None:
    """Raise :class:`OutputError` now if ``path`` cannot be written (before hours of work)."""
    if path == STDIO:
        return
    if not path:
        raise OptionError("the output path is empty; give a file, or '-' for standard output")
    parent = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(parent):
        raise OutputError(f"{path}: the directory {parent} does not exist")
    if os.path.isdir(path):
        raise OutputError(f"{path}: is a directory; give a file path")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{path}: permission denied (cannot create files in {parent})")


class AtomicFile:
    """A file written beside its target and renamed over it by :meth:`commit`.

    Until the commit the target is untouched; :meth:`discard` (or an exception inside a ``with``
    block) removes the temporary file. The result gets the target's permissions if it existed,
    else the umask's, as a plain ``open`` would. A target that exists but is not a regular file
    (a named pipe, a device such as ``/dev/stdout``) is written in place: it cannot be replaced
    and there is nothing on it to protect.
    """

    def __init__(self, path: str):
        check_output_path(path)
        self.path = path
        self._tmp: str | None = None
        self._mode: int | None = None
        try:
            existing = os.stat(path)
        except FileNotFoundError:
            existing = None
        except OSError as exc:  # a loop of links, a name too long
            raise OutputError(f"{path}: cannot write: {_os_reason(exc)}") from None
        try:
            if existing is not None and not stat.S_ISREG(existing.st_mode):
                self.stream = pa.OSFile(path, "wb")
                return
            self._mode = stat.S_IMODE(existing.st_mode) if existing is not None else None
            parent = os.path.dirname(os.path.abspath(path))
            fd, self._tmp = tempfile.mkstemp(
                prefix=f".{os.path.basename(path)}.", suffix=".normkit-tmp", dir=parent
            )
            os.close(fd)
            self.stream = pa.OSFile(self._tmp, "wb")
        except OSError as exc:
            self.discard()
            raise OutputError(f"{path}: cannot write: {_os_reason(exc)}") from None

    def commit(self) -> None:
        """Close, flush to disk and move into place."""
        self.stream.close()
        if self._tmp is None:
            return
        _fsync(self._tmp)
        if self._mode is None:
            umask = os.umask(0)
            os.umask(umask)
            self._mode = 0o666 & ~umask
        os.chmod(self._tmp, self._mode)
        os.replace(self._tmp, self.path)
        self._tmp = None

    def discard(self) -> None:
        """Forget the output: the target keeps what it had."""
        stream = getattr(self, "stream", None)
        if stream is not None and not stream.closed:
            stream.close()
        if self._tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)
            self._tmp = None

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


class Sink:
    """A writer of record batches to one output, committed atomically.

    Use :func:`open_sink`. Every batch must have the schema given at opening. For a path, the
    output goes to an :class:`AtomicFile`, moved into place by :meth:`commit`; if the sink is
    closed without a commit (an exception, Ctrl-C), the target is left as it was.
    """

    def __init__(self, path: str, format: Format, schema: pa.Schema, csv: CsvOptions):
        self.path = path
        self.format = format
        self.schema = schema
        self.name = "<stdout>" if path == STDIO else path
        self.rows_written = 0
        self._file: AtomicFile | None = None
        if format is Format.CSV:
            _check_csv_types(schema, self.name)
        if path == STDIO:
            if sys.stdout is None:
                raise OutputError("<stdout>: standard output is closed")
            self._stream = pa.PythonFile(sys.stdout.buffer, mode="w")

        else:
            self._file = AtomicFile(path)
            self._stream = self._file.stream
            _, codec = _split_compression(path)
            if codec:
                self._stream = pa.CompressedOutputStream(self._stream, codec)
        try:
            self._writer = self._open_writer(csv)
        except (pa.ArrowException, OSError) as exc:
            self._discard()
            self._raise_write_error(exc)
        except BaseException:
            self._discard()
            raise

    def _open_writer(self, csv: CsvOptions):
        if self.format is Format.CSV:
            return _CsvWriter(self._stream, self.schema, csv.delimiter_for(self.path))
        if self.format is Format.PARQUET:
            return _ParquetWriter(self._stream, self.schema)
        if self.path.lower().endswith(".feather"):
            return ipc.new_file(self._stream, self.schema)  # Feather V2 is the IPC file format
        return ipc.new_stream(self._stream, self.schema)

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one batch (its schema must equal the sink's)."""
        if not batch.schema.equals(self.schema):
            raise SchemaError(
                f"{self.name}: a batch with columns {batch.schema.names} does not fit an output "
                f"of {self.schema.names} (or their types differ)"
            )
        try:
            self._writer.write_batch(batch)
        except (pa.ArrowException, OSError) as exc:
            self._raise_write_error(exc)
        self.rows_written += batch.num_rows

    def _raise_write_error(self, exc: BaseException) -> None:
        if isinstance(exc, BrokenPipeError) or "Broken pipe" in str(exc):
            raise BrokenPipeError(str(exc)) from None
        raise OutputError(f"{self.name}: cannot write: {_os_reason(exc)}") from None

    def commit(self) -> None:
        """Finish the output and move it into place."""
        try:
            self._writer.close()
            if self._file is None:
                sys.stdout.buffer.flush()
            else:
                self._stream.close()  # a compressing stream closes the file under it too
                self._file.commit()
        except (pa.ArrowException, OSError) as exc:
            self._discard()
            self._raise_write_error(exc)
        except BaseException:  # Ctrl-C while the last pieces are formatted and written
            self._discard()
            raise

    def _discard(self) -> None:
        writer = getattr(self, "_writer", None)
        if isinstance(writer, _ParquetWriter | _CsvWriter):
            writer.abandon()  # stops their threads, for stdout too
        if self._file is None:
            return
        if writer is not None and not isinstance(writer, _ParquetWriter | _CsvWriter):
            with contextlib.suppress(pa.ArrowException, OSError):
                writer.close()
        with contextlib.suppress(pa.ArrowException, OSError):
            self._stream.close()
        self._file.discard()

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self._discard()


def _os_reason(exc: BaseException) -> str:
    """The operating system's words for an I/O error ("No space left on device"), without
    pyarrow's wrapping ("Error writing bytes to file. Detail: [errno 28] ...")."""
    text = str(exc)
    match = re.search(r"\[errno \d+\] (.*)", text)
    if match:
        return match.group(1)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return text.splitlines()[0] if text else type(exc).__name__


def _check_csv_types(schema: pa.Schema, name: str) -> None:
    """Refuse, before writing anything, columns that have no CSV text form."""
    for field in schema:
        dtype = field.type
        if pa.types.is_dictionary(dtype):
            dtype = dtype.value_type
        if (
            pa.types.is_nested(dtype)
            or pa.types.is_binary(dtype)
            or pa.types.is_large_binary(dtype)
            or pa.types.is_binary_view(dtype)
        ):
            raise SchemaError(
                f"{name}: column {field.name!r} of type {field.type} cannot be written as CSV; "
                "write Parquet or Arrow instead (-o out.parquet)"
            )


class _CsvWriter:
    """CSV with RFC 4180 quoting only on the fields that need it, formatted by Polars on all cores.

    Polars formats floats in their shortest round-trip form (they read back as the same float64)
    about three times as fast as Arrow's cast to text. Batches are gathered into pieces of about
    :data:`CSV_WRITE_BYTES`, formatted by a pool of threads (Polars releases the GIL) and written in
    order; at most one piece per thread is in flight. Fields holding the delimiter, a quote or a
    line break are quoted with their quotes doubled; missing values are empty, and so is an empty
    text (Polars would quote it), so pass-through text columns of a CSV keep their text as written.
    """

    def __init__(self, stream: pa.NativeFile, schema: pa.Schema, delimiter: str):
        import polars  # only CSV output needs it (0.1 s to import)

        self._polars = polars
        self._stream = stream
        self._delimiter = delimiter
        header = delimiter.join(_quote_field(name, delimiter) for name in schema.names)
        stream.write((header + "\n").encode("utf-8"))
        self._kinds = [(i, _csv_kind(field.type)) for i, field in enumerate(schema)]
        # With one column a missing value would be an empty line, which readers skip: write
        # it as "" (an empty quoted field), which reads back as missing.
        self._missing = '""' if len(schema) == 1 else ""
        self._workers = _workers()
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="normkit-csv-format")
        self._jobs: deque[Future] = deque()
        self._batches: list[pa.RecordBatch] = []
        self._bytes = 0

    def write_batch(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self._batches.append(batch)
        self._bytes += batch.nbytes
        if self._bytes >= CSV_WRITE_BYTES:
            self._submit()

    def _submit(self) -> None:
        if self._batches:
            self._jobs.append(self._pool.submit(self._format, self._batches))
            self._batches, self._bytes = [], 0
        while len(self._jobs) > self._workers:
            self._stream.write(self._jobs.popleft().result())

    def _format(self, batches: list[pa.RecordBatch]) -> memoryview:
        table = pa.Table.from_batches(batches)
        for i, kind in self._kinds:
            column = original = table.column(i)
            if pa.types.is_dictionary(column.type):
                column = column.cast(column.type.value_type)
            if kind == "text":
                column = _empty_as_null(column)
            elif kind == "arrow":
                # Dates, times, decimals and the like keep Arrow's text form (2024-01-02).
                column = pc.cast(column, pa.string())
            if column is not original:
                table = table.set_column(i, table.schema.field(i).with_type(column.type), column)
        buffer = io.BytesIO()
        try:
            self._polars.from_arrow(table, rechunk=False).write_csv(
                buffer,
                include_header=False,
                separator=self._delimiter,
                line_terminator="\n",
                quote_style="necessary",
                null_value=self._missing,
            )
        except Exception as exc:  # Polars' own exceptions; its types are checked above
            raise OutputError(f"cannot format CSV output: {str(exc).splitlines()[0]}") from None
        return buffer.getbuffer()

    def close(self) -> None:
        try:
            self._submit()
            while self._jobs:
                self._stream.write(self._jobs.popleft().result())
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Stop formatting (the output is being discarded, or is complete)."""
        for job in self._jobs:
            job.cancel()
        self._jobs.clear()
        self._pool.shutdown(wait=True)


def _csv_kind(dtype: pa.DataType) -> str:
    """How a column is handed to the formatter: ``text`` (empty made missing), ``polars``
    (numbers and booleans, formatted by Polars), or ``arrow`` (cast to Arrow's text first)."""
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_string_view(dtype)
    ):
        return "text"
    if (
        pa.types.is_integer(dtype)
        or pa.types.is_float32(dtype)
        or pa.types.is_float64(dtype)
        or pa.types.is_boolean(dtype)
        or pa.types.is_null(dtype)
    ):
        return "polars"
    return "arrow"


def _workers() -> int:
    """Threads for parsing or formatting CSV: the cores, at most 4 (each holds a piece in
    memory, and past 4 the writing of the output is the limit)."""
    return max(1, min(pa.cpu_count(), 4))


def _empty_as_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``column`` with empty texts made missing (both are written as an empty field)."""
    if pa.types.is_string_view(column.type):
        column = column.cast(pa.large_string())  # which has no length kernel
    lengths = pc.binary_length(column)
    if pc.min(lengths).as_py() != 0:
        return column
    return pc.if_else(pc.equal(lengths, 0), pa.nulls(1, column.type)[0], column)


class _ParquetWriter:
    """Parquet with row groups of a useful size, whatever the size of the batches written.

    ``ParquetWriter.write_batch`` makes at least one row group per call; small input batches
    would make a file of tiny row groups, slow to read. Batches are gathered up to
    :data:`PARQUET_ROW_GROUP_ROWS` rows or :data:`PARQUET_ROW_GROUP_BYTES` bytes first. Each
    row group is encoded and compressed on a thread of its own while the next is computed
    (pyarrow releases the GIL), one at a time.
    """

    def __init__(self, stream: pa.NativeFile, schema: pa.Schema):
        # Dictionary encoding pays for text and repeated values, not for normalized floats,
        # which are nearly all distinct: trying it cost 60% of the writing time.
        dictionary: bool | list[str] = [f.name for f in schema if not pa.types.is_floating(f.type)]
        if any(pa.types.is_nested(f.type) for f in schema):
            dictionary = True  # nested columns are named by leaf paths; keep the default
        self._writer = pq.ParquetWriter(
            stream, schema, compression="snappy", use_dictionary=dictionary
        )

        self._pending: list[pa.RecordBatch] = []
        self._rows = 0
        self._bytes = 0
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="normkit-parquet")
        self._written: Future | None = None

    def write_batch(self, batch: pa.RecordBatch) -> None:
        self._pending.append(batch)
        self._rows += batch.num_rows
        self._bytes += batch.nbytes
        if self._rows >= PARQUET_ROW_GROUP_ROWS or self._bytes >= PARQUET_ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            table = pa.Table.from_batches(self._pending)
            self._wait()
            self._written = self._thread.submit(
                self._writer.write_table, table, row_group_size=max(table.num_rows, 1)
            )
        self._pending, self._rows, self._bytes = [], 0, 0

    def _wait(self) -> None:
        """Let the row group being written finish; raise its error, if any."""
        if self._written is not None:
            written, self._written = self._written, None
            written.result()

    def close(self) -> None:
        try:
            self._flush()
            self._wait()
            self._writer.close()
        finally:
            self._thread.shutdown(wait=True)

    def abandon(self) -> None:
        """Close without writing what is pending (the output is being discarded)."""
        self._pending = []
        self._thread.shutdown(wait=True)  # a row group being written is let finish
        self._written = None
        with contextlib.suppress(pa.ArrowException, OSError):
            self._writer.close()


def _quote_field(text: str, delimiter: str) -> str:
    if any(c in text for c in (delimiter, '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_sink(
    path: str | os.PathLike[str],
    schema: pa.Schema,
    format: str | Format | None = None,
    csv: CsvOptions | None = None,
) -> Sink:
    """Open an output for record batches of ``schema``; use as a context manager.

    Parameters
    ----------
    path : str or path-like
        The output file, or ``"-"`` for stdout. ``.gz``, ``.bz2`` and ``.zst`` compress CSV.
    schema : pyarrow.Schema
    format : str, Format or None
        None infers it from the extension (stdout: CSV).
    csv : CsvOptions or None

    Examples
    --------
    >>> import pyarrow as pa, tempfile, os
    >>> batch = pa.record_batch({"x": [1.0, 2.0]})
    >>> path = os.path.join(tempfile.mkdtemp(), "out.csv")
    >>> with open_sink(path, batch.schema) as sink:
    ...     sink.write(batch)
    >>> open(path).read().splitlines()
    ['x', '1.0', '2.0']
    """
    path = os.fspath(path)
    return Sink(path, resolve_format(path, format), schema, csv or CsvOptions())


def same_file(a: str, b: str) -> bool:
    """True if two paths name the same existing file (also through links)."""
    if STDIO in (a, b):
        return False
    try:
        return Path(a).samefile(b)
    except OSError:
        return False
