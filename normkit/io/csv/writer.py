"""CSV output: RFC 4180 text, floats in their shortest round-trip form, formatted on all cores."""

from __future__ import annotations

import codecs
import io
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa

from ...errors import OutputError, SchemaError, param
from ..lazy import pc
from ..threads import csv_workers

__all__ = ["CSV_WRITE_BYTES", "CsvWriter", "check_csv_types"]

#: Bytes of record batches formatted as one piece of CSV output by one thread.
CSV_WRITE_BYTES = 2 << 20


def check_csv_types(schema: pa.Schema, name: str) -> None:
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
                f"{name}: column {field.name!r} of type {field.type} cannot be written as CSV",
                hints=(f"write Parquet or Arrow instead ({param('output_format', 'parquet')})",),
            )


class CsvWriter:
    """CSV with RFC 4180 quoting only on the fields that need it, formatted by Polars on all cores.

    Polars formats floats in their shortest round-trip form (they read back as the same float64)
    about three times as fast as Arrow's cast to text. Batches are gathered into pieces of about
    :data:`CSV_WRITE_BYTES`, formatted by a pool of threads (Polars releases the GIL) and written in
    order; at most one piece per thread is in flight. Fields holding the delimiter, a quote or a
    line break are quoted with their quotes doubled; missing values are empty, and so is an empty
    text (Polars would quote it), so pass-through text columns of a CSV keep their text as written.
    The text is UTF-8, or in ``encoding`` when given, and numbers have the ``decimal`` separator
    (the input's encoding and separator, so that the output reads back with the options recorded
    for it). :attr:`delimiter` and :attr:`encoding` (None for UTF-8) say how it is written.
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
    ):
        import polars  # only CSV output needs it (0.1 s to import)

        self._polars = polars
        self._stream = stream
        self._delimiter = delimiter
        # The input's quote character (None: no quoting), so that the output reads back with
        # the options recorded.
        self._quote = quote or ""
        self._decimal_comma = decimal == ","
        self.delimiter = delimiter
        self.encoding: str | None = None  # None: UTF-8
        self._transcode = False
        if encoding is not None and codecs.lookup(encoding).name == "utf-8-sig":
            self.encoding = "UTF-8 with a byte-order mark"  # as the input began
            self._stream.write(codecs.BOM_UTF8)
        elif encoding is not None and codecs.lookup(encoding).name != "utf-8":
            self.encoding, self._transcode = encoding, True
            self._encoder = codecs.getincrementalencoder(encoding)()
        if header:  # without one when the input had none: the output reads back the same way
            names = delimiter.join(_quote_field(n, delimiter, self._quote) for n in schema.names)
            self._write((names + "\n").encode("utf-8"))
        self._kinds = [(i, _csv_kind(field.type)) for i, field in enumerate(schema)]
        # With one column a missing value would be an empty line, which readers skip: write
        # it as "" (an empty quoted field), which reads back as missing.
        self._missing = 2 * self._quote if len(schema) == 1 else ""
        self._workers = csv_workers()
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
            self._write(self._jobs.popleft().result())

    def _write(self, utf8: bytes | memoryview) -> None:
        """Write a piece of formatted UTF-8 text, in the output's encoding."""
        if not self._transcode:
            self._stream.write(utf8)
            return
        text = bytes(utf8).decode("utf-8")
        try:
            self._stream.write(self._encoder.encode(text))
        except UnicodeEncodeError as exc:
            raise OutputError(
                f"the text {exc.object[exc.start : exc.end]!r} cannot be written in "
                f"{self.encoding}, the encoding the input was read in"
            ) from None

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
                quote_char=self._quote or '"',
                quote_style="necessary" if self._quote else "never",
                null_value=self._missing,
                decimal_comma=self._decimal_comma,
            )
        except Exception as exc:  # Polars' own exceptions; its types are checked above
            raise OutputError(f"cannot format CSV output: {str(exc).splitlines()[0]}") from None
        return buffer.getbuffer()

    def close(self) -> None:
        try:
            self._submit()
            while self._jobs:
                self._write(self._jobs.popleft().result())
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


def _empty_as_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``column`` with empty texts made missing (both are written as an empty field)."""
    if pa.types.is_string_view(column.type):
        column = column.cast(pa.large_string())  # which has no length kernel
    lengths = pc.binary_length(column)
    if pc.min(lengths).as_py() != 0:
        return column
    return pc.if_else(pc.equal(lengths, 0), pa.nulls(1, column.type)[0], column)


def _quote_field(text: str, delimiter: str, quote: str) -> str:
    if quote and any(c in text for c in (delimiter, quote, "\r", "\n")):
        return quote + text.replace(quote, quote * 2) + quote
    return text
