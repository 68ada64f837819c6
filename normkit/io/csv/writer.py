"""CSV output: RFC 4180 text, floats in their shortest round-trip form, formatted on all cores."""

from __future__ import annotations

import codecs
import contextlib
import csv as stdlib_csv
import datetime as dt
import io
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyarrow as pa

from ...errors import OutputError, SchemaError, param
from ..arrow import holds_text, text_array, type_key
from ..files import write_in_pieces
from ..lazy import pc
from ..threads import csv_workers

__all__ = ["CSV_WRITE_BYTES", "CsvWriter", "check_csv_types", "text_as_written"]

#: Bytes of record batches formatted as one piece of CSV output by one thread.
CSV_WRITE_BYTES = 2 << 20


def check_csv_types(schema: pa.Schema, name: str) -> None:
    """Refuse, before writing anything, columns that have no CSV text form: all of them in one
    message (the first :data:`_NAMED` by name and type)."""
    unwritable = [field for field in schema if not _has_csv_text(field.type)]
    if not unwritable:
        return
    if len(unwritable) == 1:
        field = unwritable[0]
        what = f"column {field.name!r} of type {field.type} cannot be written as CSV"
    else:
        listed = ", ".join(f"{f.name!r} ({f.type})" for f in unwritable[:_NAMED])
        more = len(unwritable) - _NAMED
        listed += f" and {more:,} more" if more > 0 else ""
        what = f"{len(unwritable):,} columns cannot be written as CSV: {listed}"
    if all(_parquet_holds(field) for field in unwritable):
        instead = f"write Parquet or Arrow instead ({param('output_format', 'parquet')})"
    else:  # a union, an interval of months, days and nanoseconds...: Arrow only
        instead = f"write Arrow instead ({param('output_format', 'arrow')})"
    raise SchemaError(f"{name}: {what}", hints=(instead,))


def _parquet_holds(field: pa.Field) -> bool:
    """Whether pyarrow's Parquet writer takes a column of ``field``'s type."""
    import pyarrow.parquet as pq

    try:
        pq.ParquetWriter(pa.BufferOutputStream(), pa.schema([field])).close()
    except (pa.ArrowException, TypeError):
        return False
    return True


#: The most columns that :func:`check_csv_types` names.
_NAMED = 8


def _has_csv_text(dtype: pa.DataType) -> bool:
    """Whether a column of ``dtype`` has a CSV text form."""
    if type_key(dtype) in _NATIVE_KINDS:  # numbers, booleans and text: written as they are
        return True
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if isinstance(dtype, pa.BaseExtensionType):  # written as its storage (a UUID: bytes)
        dtype = dtype.storage_type
    return not (
        pa.types.is_nested(dtype)
        or pa.types.is_binary(dtype)
        or pa.types.is_large_binary(dtype)
        or pa.types.is_binary_view(dtype)
        or pa.types.is_fixed_size_binary(dtype)
        or pa.types.is_interval(dtype)
    )


class CsvWriter:
    """CSV with RFC 4180 quoting only on the fields that need it, formatted on all cores.

    Batches are gathered (or sliced) into pieces of about :data:`CSV_WRITE_BYTES`, formatted by
    the native engine (``normkit._native.csv_records``, which releases the GIL) on a pool of
    threads and written in order; at most one piece per thread is in flight. Floats are written
    in the shortest text that reads back as the same float64 (``0.1``, ``1e16``, ``1.25e-7``).
    Fields holding the delimiter, a quote, the ``comment`` character or a line break are quoted
    with their quotes doubled; missing values are empty (or ``missing``, the input's own
    missing-value string) and an empty text is empty, so pass-through text columns of a CSV keep
    their text as written. The text is UTF-8, or in ``encoding`` when given, and numbers
    have the ``decimal`` separator (the input's encoding and separator, so that the output reads
    back with the options recorded for it), and its lines end with ``line_end`` (``"\r\n"`` where
    the input's did). UTF-16 and UTF-32 (whose readers need a mark) begin with a byte-order mark,
    little-endian unless ``big_endian`` (the input's order). The header holds ``header_names``
    where given (a CSV input's names as its header had them), else the schema's names.
    :attr:`delimiter` and :attr:`encoding` (None for UTF-8) say how it is written.
    """

    def __init__(
        self,
        stream: pa.NativeFile,
        schema: pa.Schema,
        delimiter: str,
        encoding: str | None = None,
        decimal: str = ".",
        header: bool = True,
        quote: str | None = '"',
        name: str = "the output",
        line_end: str = "\n",
        missing: str = "",
        comment: str | None = None,
        big_endian: bool = False,
        header_names: Sequence[str] | None = None,
    ):
        self._stream = stream
        self._name = name
        self._names = schema.names
        self._delimiter = delimiter
        # The input's quote character (None: no quoting), so that the output reads back with
        # the options recorded.
        self._quote = quote or ""
        self._decimal = decimal
        self._line_end = line_end
        # The input's comment character: a field holding it is quoted, so that reading the
        # output with it (as later jobs do) takes no value for a comment.
        self._comment = comment or None
        self.delimiter = delimiter
        self.encoding: str | None = None  # None: UTF-8
        self._transcode = False
        self._workers = csv_workers()
        # The byte-order mark and the header are written with the first records (or at the
        # close): a job refused at its first value leaves nothing on a standard output.
        self._opening: list[bytes] | None = []
        codec = codecs.lookup(encoding or "utf-8").name
        if codec == "utf-8-sig":
            self.encoding = "UTF-8 with a byte-order mark"  # as the input began
            self._opening.append(codecs.BOM_UTF8)
        elif codec != "utf-8":
            self.encoding, self._transcode = encoding, True
            if codec in ("utf-16", "utf-32"):  # with a mark, in the order asked (not the machine's)
                codec += "-be" if big_endian else "-le"
                self._opening.append("\ufeff".encode(codec))
            self._encoder = codecs.getincrementalencoder(codec)()
        # With one column a missing value would be an empty line, which readers skip: write
        # it as "" (an empty quoted field), which reads back as missing.
        self._empty = 2 * self._quote if len(schema) == 1 else ""
        self._missing = missing or self._empty
        self._header: Sequence = ()
        if header:  # without one when the input had none: the output reads back the same way
            names = list(schema.names if header_names is None else header_names)
            if names and names[0].startswith("\ufeff"):
                raise OutputError(
                    f"{name}: the first column's name {names[0]!r} begins with a "
                    "byte-order mark (U+FEFF), which a CSV reader takes for the file's own and "
                    "drops: it would read back as another name",
                    hints=("rename the column", "write Parquet or Arrow"),
                )
            self._header = self._records([(1, _header_columns(names))], missing="")
        self._kinds = [(i, _csv_kind(field.type)) for i, field in enumerate(schema)]
        self._text = [i for i, field in enumerate(schema) if holds_text(field.type)]
        self._dates = [(i, _year_bounds(f.type)) for i, f in enumerate(schema) if _dated(f.type)]
        self._rows = 0
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="normkit-csv-format")
        self._jobs: deque[Future] = deque()
        self._batches: list[pa.RecordBatch] = []
        self._bytes = 0

    def write_batch(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self._refuse_nul(batch)
        self._refuse_years(batch)
        self._rows += batch.num_rows
        # A large batch goes in slices of about a piece: what is in flight is then a few
        # pieces' text, whatever the batches' size (batches of 65,536 rows of Parquet, each
        # formatted whole, held 425 MiB at the peak).
        step = max(1, batch.num_rows * CSV_WRITE_BYTES // max(batch.nbytes, 1))
        for start in range(0, batch.num_rows, step):
            part = batch.slice(start, step)
            self._batches.append(part)
            self._bytes += part.nbytes
            if self._bytes >= CSV_WRITE_BYTES:
                self._submit()

    def _refuse_nul(self, batch: pa.RecordBatch) -> None:
        """Refuse text holding a NUL character (:meth:`holding_nul`)."""
        for i in self._text:
            found = _holding_nul(batch.column(i))
            if found is not None and pc.any(found).as_py():
                raise self.holding_nul(i, self._rows + pc.index(found, True).as_py() + 1)

    def holding_nul(self, column: int, row: int) -> OutputError:
        """The error of text holding a NUL character (``column``: its index; ``row``: the
        output's, from 1): CSV readers (normkit's among them) take a file holding one for
        binary data, so the output would not read back."""
        return OutputError(
            f"{self._name}: column {self._names[column]!r} at row {row:,} holds a NUL "
            "character (\\x00), which CSV readers take for binary data: the output would not "
            "read back",
            hints=("write Parquet or Arrow", "remove the character from the text"),
        )

    def _refuse_years(self, batch: pa.RecordBatch) -> None:
        """Refuse a date or time before year 1 or after 9999: its text (``-0221-09-04``) reads
        back as no date (pyarrow's, pandas' and normkit's readers), so the output, its inverse
        among them, would not read back."""
        for i, (low, high) in self._dates:
            column = batch.column(i)
            outside = pc.or_(pc.less(column, low), pc.greater(column, high))
            if pc.any(outside).as_py():
                at = pc.index(outside, True).as_py()
                text = pc.cast(column.slice(at, 1), pa.string())[0]  # beyond Python's dates
                raise OutputError(
                    f"{self._name}: column {self._names[i]!r} at row {self._rows + at + 1:,} "
                    f"holds {text}, a date outside the years 1 to 9999, whose text would "
                    "not read back as a date",
                    hints=("write Parquet or Arrow",),
                )

    def _submit(self) -> None:
        if self._batches:
            self._jobs.append(self._pool.submit(self._format, self._batches))
            self._batches, self._bytes = [], 0
        while len(self._jobs) > self._workers:
            self._write(self._jobs.popleft().result())

    def _write(self, texts: Sequence) -> None:
        """Write formatted UTF-8 text, piece after piece (each whole records), in the output's
        encoding; the byte-order mark and the header first."""
        if self._opening is not None:
            opening, self._opening = self._opening, None
            for raw in opening:
                self._stream.write(raw)
            self._write(self._header)
        for utf8 in texts:
            if not self._transcode:
                write_in_pieces(self._stream, utf8)
                continue
            text = bytes(utf8).decode("utf-8")
            try:
                write_in_pieces(self._stream, self._encoder.encode(text))
            except UnicodeEncodeError as exc:
                raise OutputError(
                    f"{self._name}: {self._unwritable(text, exc)}the text "
                    f"{exc.object[exc.start : exc.end]!r} cannot be written in {self.encoding}, "
                    "the output's encoding",
                    hints=(
                        f"write UTF-8 ({param('csv.encoding', 'utf-8')})",
                        "write Parquet or Arrow",
                    ),
                ) from None

    def _unwritable(self, text: str, exc: UnicodeEncodeError) -> str:
        """Where in ``text`` (whole records, the header's among them) the character ``exc``
        could not encode stands: ``column 'c', value 'Łódź': ``; empty where not found."""
        quoting = {"quotechar": self._quote} if self._quote else {"quoting": stdlib_csv.QUOTE_NONE}
        rows = stdlib_csv.reader(
            io.StringIO(text, newline=""), delimiter=self._delimiter, **quoting
        )
        with contextlib.suppress(stdlib_csv.Error):
            for record in rows:
                for j, value in enumerate(record):
                    if exc.object[exc.start : exc.end] in value and j < len(self._names):
                        return f"column {self._names[j]!r}, value {value!r}: "
        return ""

    def _format(self, batches: list[pa.RecordBatch]) -> list[memoryview]:
        pieces = [
            (
                batch.num_rows,
                [_native_column(batch.column(i), kind, self._decimal) for i, kind in self._kinds],
            )
            for batch in batches
        ]
        return self._records(pieces, self._missing)

    @property
    def style(self) -> dict:
        """How the records are written, as ``normkit._native.csv_records`` (and
        ``CsvRewrite``) take it."""
        return self._style(self._missing)

    def _style(self, missing: str) -> dict:
        return {
            "delimiter": self._delimiter,
            "quote": self._quote or None,
            "decimal_point": self._decimal,
            "missing": missing,
            "empty": self._empty if missing else "",
            "line_end": self._line_end,
            "comment": self._comment,
        }

    def write_text(self, texts: Sequence) -> None:
        """Write records formatted elsewhere in :attr:`style` (UTF-8 pieces, in order) after
        the batches written before."""
        self._drain()
        self._write(texts)

    def _drain(self) -> None:
        """Format and write every batch handed over so far."""
        self._submit()
        while self._jobs:
            self._write(self._jobs.popleft().result())

    def unquotable(self, column: int, value: str) -> OutputError:
        """The error of a value that cannot be written without quotes (``column``: its index),
        as ``normkit._native.UnquotableError`` tells it."""
        comment = bool(self._comment) and value.startswith(self._comment)
        holds = (
            f"begins with the comment character {self._comment!r}"
            if comment
            else f"holds the delimiter {self._delimiter!r} (or a line break)"
        )
        return OutputError(
            f"{self._name}: column {self._names[column]!r}: the value {value!r} {holds}, and "
            f"this output is written without quoting ({param('csv.quote', '')}): it would not "
            "read back",
            hints=(
                f"write it with quotes ({param('csv.quote', chr(34))})",
                f"another comment character ({param('csv.comment')})"
                if comment
                else f"another delimiter ({param('csv.delimiter')})",
            ),
        )

    def _records(self, pieces: list[tuple[int, list[tuple]]], missing: str) -> list[memoryview]:
        """The CSV text of ``pieces``, ``(rows, columns)`` as ``csv_records`` takes them, in
        pieces of whole records (a large one is formatted on several threads)."""
        from ... import _native

        try:
            texts = _native.csv_records(pieces, **self._style(missing), threads=self._workers)
        except _native.UnquotableError as exc:
            raise self.unquotable(*exc.args) from None
        return [memoryview(text) for text in texts]

    def close(self) -> None:
        try:
            self._drain()
            self._write(())  # the header of an output without records
            if self._transcode:
                self._stream.write(self._encoder.encode("", final=True))
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Stop formatting (the output is being discarded, or is complete)."""
        for job in self._jobs:
            job.cancel()
        self._jobs.clear()
        self._pool.shutdown(wait=True)


#: The native engine's number for each Arrow type it writes (``normkit._native.csv_records``).
_NATIVE_KINDS = {
    pa.null(): 0,
    pa.float64(): 1,
    pa.float32(): 2,
    pa.int8(): 3,
    pa.int16(): 4,
    pa.int32(): 5,
    pa.int64(): 6,
    pa.uint8(): 7,
    pa.uint16(): 8,
    pa.uint32(): 9,
    pa.uint64(): 10,
    pa.bool_(): 11,
    pa.string(): 12,
    pa.large_string(): 13,
}


def _holding_nul(column: pa.Array) -> pa.Array | None:
    """Which values of a text ``column`` hold a NUL character (None: none can)."""
    if not pa.types.is_string_view(column.type) and not pa.types.is_dictionary(column.type):
        _, offsets, data = column.buffers()  # the values' bytes: a NUL in none, the common case
        width = np.int64 if pa.types.is_large_string(column.type) else np.int32
        ends = np.frombuffer(offsets, dtype=width)[[column.offset, column.offset + len(column)]]
        if data is None or np.frombuffer(data, dtype=np.uint8)[ends[0] : ends[1]].all():
            return None
    if pa.types.is_dictionary(column.type):
        values = _holding_nul(column.dictionary)
        if values is None or not pc.any(values).as_py():
            return None
        chosen = pa.array(np.flatnonzero(values.to_numpy(zero_copy_only=False)))
        return pc.is_in(column.indices.cast(pa.int64()), value_set=chosen)
    if pa.types.is_string_view(column.type):
        column = column.cast(pa.large_string())
    return pc.match_substring(column, "\x00")


def _csv_kind(dtype: pa.DataType) -> str:
    """How a column is handed to the formatter: ``native`` (numbers, booleans and text, as they
    are), ``view`` (text views, as large strings), or ``arrow`` (cast to Arrow's text first:
    dates, times, decimals and the like keep Arrow's text form, 2024-01-02)."""
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if type_key(dtype) in _NATIVE_KINDS:
        return "native"
    if pa.types.is_string_view(dtype):
        return "view"
    return "arrow"


def text_as_written(batch: pa.RecordBatch, schema: pa.Schema, decimal: str) -> pa.RecordBatch:
    """``batch`` with its columns of values that ``schema`` types as text in the text a CSV
    output writes for them (floats in their shortest round-trip form with the ``decimal``
    separator, ``0.1``, ``1e-7``; not Arrow's cast, ``1e-07``): one output of a CSV's text and a
    Parquet file's numbers writes each value as normkit writes it. Nulls stay null."""
    from ... import _native

    arrays = list(batch.columns)
    for i, column in enumerate(arrays):
        target = schema.field(batch.schema.names[i]).type
        if not holds_text(target) or holds_text(column.type) or not len(column):
            continue
        piece = [(len(column), [_native_column(column, _csv_kind(column.type), decimal)])]
        style = {"delimiter": "\t", "quote": None, "missing": "", "line_end": "\n"}
        texts = _native.csv_records(piece, decimal_point=decimal, **style)
        lines = b"".join(bytes(t) for t in texts).decode().split("\n")[: len(column)]
        text = text_array(lines)
        if column.null_count:
            text = pc.if_else(pc.is_valid(column), text, pa.scalar(None, pa.string()))
        arrays[i] = text
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _native_column(column: pa.Array, kind: str, decimal: str = ".") -> tuple:
    """``column`` as ``csv_records`` takes it: ``(kind, validity, buffers, offset)``; a
    column of decimals with the ``decimal`` separator, as the floats are written, so that the
    output reads back as numbers; float16 in its shortest text (``0.1``, not Arrow's
    ``0.0999755859375``), laid out as floats are (``6.55e4``, ``1e-7``, ``NaN``)."""
    if pa.types.is_dictionary(column.type):
        if pa.types.is_string_view(column.dictionary.type):  # no take kernel for views
            column = pa.DictionaryArray.from_arrays(
                column.indices, column.dictionary.cast(pa.large_string())
            )
        column = column.dictionary_decode()
    if kind == "arrow":
        if _offsets_with_seconds(column):
            # Arrow writes an offset to the minute (-0044 for -00:44:30): such a column is
            # written in UTC, the instant exact.
            column = column.cast(pa.timestamp(column.type.unit, "UTC"))
        numbers = pa.types.is_decimal(column.type) or pa.types.is_float16(column.type)
        column = _half_text(column) if pa.types.is_float16(column.type) else column
        column = pc.cast(column, pa.string())
        if numbers and decimal != ".":
            column = pc.replace_substring(column, ".", decimal)
    elif kind == "view":
        column = column.cast(pa.large_string())
    validity, *buffers = (
        np.frombuffer(b, dtype=np.uint8) if b is not None else _EMPTY for b in column.buffers()
    )
    if column.null_count == 0 or pa.types.is_null(column.type):
        validity = None  # (a null column has no bitmap: all its values are missing)
    return _NATIVE_KINDS[column.type], validity, buffers, column.offset


def _half_text(column: pa.Array) -> pa.Array:
    """A float16 column's values in their shortest text (numpy's), laid out as the engine
    writes floats: no ``+`` nor leading zeros in an exponent, ``NaN``."""
    text = pc.fill_null(column, 0).to_numpy(zero_copy_only=False).astype(np.float16).astype(str)
    for old, new in (("e+", "e"), ("e-0", "e-"), ("e0", "e"), ("nan", "NaN")):
        text = np.char.replace(text, old, new)
    return pa.array(text, pa.string(), mask=np.asarray(column.is_null()))


_EMPTY = np.empty(0, dtype=np.uint8)
_PER_MINUTE = {"s": 60, "ms": 60_000, "us": 60_000_000, "ns": 60_000_000_000}


def _offsets_with_seconds(column: pa.Array) -> bool:
    """Whether a timestamp column with a time zone has a value whose offset from UTC is not
    whole minutes (local mean times, before about 1972 in places)."""
    dtype = column.type
    if not pa.types.is_timestamp(dtype) or dtype.tz is None or column.null_count == len(column):
        return False
    try:
        local = pc.local_timestamp(column).cast(pa.int64())
    except pa.ArrowException:  # beyond what the local time holds: as Arrow writes it
        return False
    offset = pc.subtract(local, column.cast(pa.timestamp(dtype.unit)).cast(pa.int64()))
    minutes = pc.multiply(pc.divide(offset, _PER_MINUTE[dtype.unit]), _PER_MINUTE[dtype.unit])
    return bool(pc.any(pc.not_equal(offset, minutes)).as_py())


def _dated(dtype: pa.DataType) -> bool:
    """Whether a column of ``dtype`` can hold a date outside the years 1 to 9999 (nanoseconds
    reach from 1677 to 2262 only)."""
    if pa.types.is_dictionary(dtype):
        return False
    if pa.types.is_timestamp(dtype):
        return dtype.unit != "ns"
    return pa.types.is_date(dtype)


def _year_bounds(dtype: pa.DataType) -> tuple[pa.Scalar, pa.Scalar]:
    """The first and last instants of the years 1 to 9999 as scalars of ``dtype``."""
    if pa.types.is_date(dtype):
        return pa.scalar(dt.date(1, 1, 1), dtype), pa.scalar(dt.date(9999, 12, 31), dtype)
    first = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
    last = dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)
    if dtype.tz is None:
        first, last = first.replace(tzinfo=None), last.replace(tzinfo=None)
    return pa.scalar(first, dtype), pa.scalar(last, dtype)


def _header_columns(names: Sequence[str]) -> list[tuple]:
    """The names as one-row string columns for ``csv_records``, column ``j`` the ``j``-th text
    of one string array (one array, not one per name, for a header of 20,000 names)."""
    kind, _, buffers, _ = _native_column(text_array(names), "native")
    return [(kind, None, buffers, j) for j in range(len(names))]
