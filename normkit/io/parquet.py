"""Parquet input and output.

Reading: in batches of :data:`TYPED_BATCH_ROWS` rows, by the native engine (arrow-rs' reader)
where it reads the file as pyarrow's reader would (:func:`native_reads`): in a third of the CPU
time, without growing a buffer page by page. Otherwise by pyarrow's, its column chunks read in
pieces of :data:`PARQUET_READ_BUFFER` bytes (reading them whole held a million-row row group in
memory, compressed and decoded: 700 MiB for 16 columns). Parquet needs random access: from
standard input it is read into memory whole, by pyarrow.

Writing: row groups of a useful size whatever the size of the batches written, encodings chosen
from the first one (:meth:`ParquetWriter._open`), each encoded by the native engine, its columns
on every core, while the next is computed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
import pyarrow as pa

from ..errors import InputError
from .arrow import type_key
from .batching import TYPED_BATCH_ROWS, batch_rows, in_slices, value_width
from .files import write_in_pieces
from .formats import Format
from .lazy import pq
from .reader import ReaderBase
from .threads import OneBehind, csv_workers

__all__ = [
    "PARQUET_READ_BUFFER",
    "PARQUET_ROW_GROUP_BYTES",
    "PARQUET_ROW_GROUP_ROWS",
    "TYPED_BATCH_ROWS",
    "ParquetReader",
    "ParquetWriter",
    "native_reads",
]

#: Rows read to learn how many bytes a row of text (or lists, structs) takes.
PROBE_ROWS = 1024
PARQUET_READ_BUFFER = 64 << 10
PARQUET_ROW_GROUP_ROWS = 64 * 1024
PARQUET_ROW_GROUP_BYTES = 16 << 20


class ParquetReader(ReaderBase):
    """A Parquet input."""

    format = Format.PARQUET

    def __init__(self, path, read, is_stream):
        super().__init__(path, read, is_stream)
        self._stdin_buffer: bytes | None = None
        self._sizes: dict[str, float] | None = None  # bytes a row of each column, about

    def _read_schema(self) -> pa.Schema:
        with self._translate_errors():
            parquet = self._parquet_file()
            # A file with no rows is an empty part of a data set, whose types tell nothing (a
            # writer gives a column of no value the type null, or double).
            self.has_rows = parquet.metadata.num_rows > 0
            self.unkept_types = _unkept_types(parquet.schema)
            return parquet.schema_arrow

    def count_rows(self) -> int:
        """The number of rows, from the file's metadata."""
        if self.is_stream:
            raise InputError(f"{self.name}: cannot count the rows of a stream")
        with self._translate_errors():
            return self._parquet_file().metadata.num_rows

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

    def _batches(
        self, float_columns: Sequence[str], columns: Sequence[str] | None, keep_text: bool = True
    ) -> Iterator[pa.RecordBatch]:
        with self._translate_errors():
            # Each column once, in the order asked for (as pyarrow's reader gives them).
            columns = list(dict.fromkeys(self.schema.names if columns is None else columns))
            rows = self.read.chunk_rows or batch_rows(
                self.schema, columns, float_columns, self._row_bytes, TYPED_BATCH_ROWS
            )
            native = self._native()
            if native is None:
                batches = self._parquet_file().iter_batches(batch_size=rows, columns=columns)
            else:  # the native reader gives the columns in the file's order
                index = {name: i for i, name in enumerate(self.schema.names)}
                read = native.batches(sorted(index[name] for name in columns), rows)
                batches = (batch.select(columns) for batch in read)
            for batch in batches:
                # The file's sizes may say less than the values take (a dictionary's).
                parts = [batch] if self.read.chunk_rows else in_slices(batch, float_columns)
                for part in parts:
                    yield self._as_float(part, float_columns)

    def _row_bytes(self, name: str) -> float:
        """The bytes a row of column ``name``, of values of varying width, takes once read: the
        more of what its first :data:`PROBE_ROWS` rows take, and what the first row group with
        rows says of all of its rows (text stored as a dictionary says far less: 200,000 values
        of 10,000 bytes were 1.9 MB on disk; text that grows after the first rows, more)."""
        if self._sizes is None:
            self._sizes = {}
            varying = list(
                dict.fromkeys(f.name for f in self.schema if value_width(f.type) is None)
            )
            if varying:
                read = self._parquet_file().iter_batches(batch_size=PROBE_ROWS, columns=varying)
                first = next(read, None)
                if first is not None and first.num_rows:
                    columns = zip(first.schema.names, first.columns, strict=True)
                    self._sizes = {n: c.nbytes / first.num_rows for n, c in columns}
                for n, size in self._stored_sizes().items():
                    self._sizes[n] = max(self._sizes.get(n, 0.0), size)
        return self._sizes.get(name, 16.0)

    def _stored_sizes(self) -> dict[str, float]:
        """Each top-level column's bytes a row in the first row group with rows, as stored
        before compression (its leaves added up), with 4 bytes of offsets."""
        metadata = self._parquet_file().metadata
        groups = (metadata.row_group(g) for g in range(metadata.num_row_groups))
        group = next((g for g in groups if g.num_rows), None)
        if group is None or sum(_leaves(f.type) for f in self.schema) != group.num_columns:
            return {}  # no rows, or leaves not as reckoned here
        sizes: dict[str, float] = {}
        leaf = 0  # the file's columns are the leaves of its fields, in order
        for field in self.schema:
            n = _leaves(field.type)
            stored = sum(group.column(j).total_uncompressed_size for j in range(leaf, leaf + n))
            sizes[field.name] = sizes.get(field.name, 0.0) + stored / group.num_rows + 4
            leaf += n
        return sizes

    def _native(self):
        """The native engine's reader of the file (holding it open until dropped), or None
        where pyarrow's reads it: standard input, and what :func:`native_reads` leaves to
        pyarrow."""
        if self.is_stream:
            return None
        from .. import _native

        try:
            native = _native.ParquetFile.open(self.path)
        except OSError:  # pyarrow's reader says what is wrong, in its words
            return None
        return native if native is not None and native_reads(self.schema, native.schema) else None


def _leaves(dtype: pa.DataType) -> int:
    """How many Parquet columns (leaves) a field of type ``dtype`` is stored as."""
    if pa.types.is_struct(dtype):
        return sum(_leaves(dtype.field(i).type) for i in range(dtype.num_fields))
    if pa.types.is_map(dtype):
        return _leaves(dtype.key_type) + _leaves(dtype.item_type)
    if isinstance(dtype, pa.ListType | pa.LargeListType | pa.FixedSizeListType):
        return _leaves(dtype.value_type)
    return 1


def _unkept_types(schema: pq.ParquetSchema) -> tuple[tuple[str, str], ...]:
    """The top-level columns of ``schema`` whose Parquet type pyarrow reads as another and
    cannot write (DuckDB's INTERVAL, its TIME WITH TIME ZONE), each with what it is."""
    found = []
    for i in range(len(schema)):
        column = schema.column(i)
        if column.path != column.name:  # a field of a nested column
            continue
        logical = column.logical_type
        if column.converted_type == "INTERVAL":
            found.append((column.name, "a Parquet INTERVAL, read as 12 bytes"))
        elif logical.type == "TIME" and '"isAdjustedToUTC":true' in logical.to_json():
            found.append((column.name, "a TIME adjusted to UTC, read as a time of day"))
    return tuple(found)


def _natively_read(t: pa.DataType) -> bool:
    """Whether values of type ``t`` are decoded alike by arrow-rs' reader and pyarrow's."""
    return (
        pa.types.is_integer(t)
        or pa.types.is_float32(t)
        or pa.types.is_float64(t)
        or pa.types.is_boolean(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_date32(t)
        or pa.types.is_timestamp(t)
    )


def native_reads(schema: pa.Schema, native: pa.Schema) -> bool:
    """Whether the native engine reads a Parquet file as pyarrow's reader does: its Arrow
    schema (``native``) is pyarrow's (``schema``) with every name, type, field metadata and the
    schema's metadata, and the types are flat ones whose values both readers decode alike
    (numbers, booleans, text, bytes, dates and timestamps). Other files (dictionaries,
    decimals, nested and extension types) are read by pyarrow."""
    return native.equals(schema, check_metadata=True) and all(map(_natively_read, schema.types))


class ParquetWriter:
    """Parquet with row groups of a useful size, whatever the size of the batches written.

    Batches are gathered up to :data:`PARQUET_ROW_GROUP_ROWS` rows or
    :data:`PARQUET_ROW_GROUP_BYTES` bytes and written as one row group (small input batches
    would otherwise make a file of tiny row groups, slow to read), on a thread of its own while
    the next row group is computed, one at a time.

    The native engine (``normkit._native.ParquetWriter``, arrow-rs' Parquet writer) encodes
    and compresses the columns of a row group on every core; the file holds what pyarrow's
    writer puts in it: the Arrow schema (``ARROW:schema``), the schema's metadata as the file's
    key-value metadata, statistics, the encodings of :meth:`_open`. Schemas that arrow-rs
    would write otherwise than pyarrow (:func:`native_writes`: dictionaries, which it encodes
    anew, extension types, list views, metadata that is not text) are written by pyarrow's
    writer, on one thread.
    """

    def __init__(self, stream: pa.NativeFile, schema: pa.Schema):
        self._stream = stream
        self._schema = schema
        self._native = native_writes(schema)
        # Parquet has no seconds: those times are stored in milliseconds, as pyarrow does (its
        # writer does it for itself). Neither writer takes a dictionary of views (polars'
        # Categorical): its values are stored as text or bytes.
        self._stored = schema
        # Each type once: 20,000 columns of two types are two calls, not 20,000.
        types = {type_key(t): t for t in schema.types}
        stored = {k: _stored_type(t, seconds=self._native) for k, t in types.items()}
        if any(stored[k] != t for k, t in types.items()):
            self._stored = pa.schema(
                [f.with_type(stored[type_key(f.type)]) for f in schema], metadata=schema.metadata
            )
        self._cast = self._stored is not schema
        # What a row of the fixed-width columns holds at least (in bits): a batch that many rows
        # long fills a row group without its exact size (``nbytes`` works per column: 33 ms for
        # a batch of 20,000 columns), and the row groups are the same.
        self._row_bits = sum(_bits(t) for t in self._stored.types)
        self._writer: _NativeFile | _PyarrowFile | None = None  # opened with the first row group
        self._pending: list[pa.RecordBatch] = []
        self._rows = 0
        self._bytes = 0
        self._encoding = OneBehind("normkit-parquet")

    def _open(self, first: Sequence[pa.RecordBatch]) -> _NativeFile | _PyarrowFile:
        """The writer, its encodings decided on the first row group.

        Dictionary encoding pays for text and repeated values, not for normalized floats, which
        are nearly all distinct (trying it cost 60% of the writing time), nor for text whose
        values are mostly distinct (an identifier: encoding a dictionary per row group took a
        sixth of the writing time). Snappy cannot shrink floats that are mostly distinct (their
        mantissas are noise: 16 million normal values came out 0.01% larger), so those columns
        are stored uncompressed; every other column is compressed with snappy. Settings are
        given by name: columns of one name share them (plain where all are distinct floats, a
        dictionary where any is repetitive text or other values). Nested columns are named by
        their leaves' paths: they keep the defaults (snappy, dictionaries).
        """
        nested = any(pa.types.is_nested(f.type) for f in self._stored)
        table = pa.Table.from_batches(first, schema=self._stored)
        # Fewer rows tell nothing: not one column's values are judged (20,000 columns: 0.2 s).
        judged = not nested and table.num_rows >= DISTINCT_MIN_ROWS
        plain: dict[str, bool] = {}
        dictionary: dict[str, bool] = {}
        for i, field in enumerate(self._stored):
            distinct = judged and _mostly_distinct(table.column(i))
            floating = pa.types.is_floating(field.type)
            plain[field.name] = plain.get(field.name, True) and distinct and floating
            dictionary[field.name] = dictionary.get(field.name, False) or not (distinct or floating)
        uncompressed = [name for name, p in plain.items() if p]
        encoded = None if nested else [name for name, d in dictionary.items() if d]
        opened = _NativeFile if self._native else _PyarrowFile
        return opened(self._stream, self._stored, uncompressed, encoded)

    def write_batch(self, batch: pa.RecordBatch) -> None:
        if self._cast:
            batch = batch.cast(self._stored)
        self._pending.append(batch)
        self._rows += batch.num_rows
        # nbytes counts no fewer bytes than the fixed-width columns hold.
        full = self._bytes + batch.num_rows * self._row_bits // 8 >= PARQUET_ROW_GROUP_BYTES
        if not full:
            self._bytes += batch.nbytes
            full = self._bytes >= PARQUET_ROW_GROUP_BYTES
        if full or self._rows >= PARQUET_ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            if self._writer is None:
                self._writer = self._open(self._pending)
            self._encoding.submit(self._row_group, self._writer, self._pending)
        self._pending, self._rows, self._bytes = [], 0, 0

    @staticmethod
    def _row_group(writer: _NativeFile | _PyarrowFile, batches: list[pa.RecordBatch]) -> None:
        writer.row_group(batches)
        # pyarrow's memory pool (mimalloc) kept the pages freed by the row groups read,
        # computed and encoded: the peak memory grew with the file, Parquet to Parquet by a
        # fifth (4 million rows: 350 MiB, 290 with this, for a tenth more time).
        pa.default_memory_pool().release_unused()

    def close(self) -> None:
        try:
            self._flush()
            if self._writer is None:  # no rows: the file holds the schema alone
                self._writer = self._open([])
            self._encoding.wait()
            self._writer.finish()
        finally:
            self._encoding.stop()

    def abandon(self) -> None:
        """Close without writing what is pending (the output is being discarded)."""
        self._pending = []
        self._encoding.stop()  # a row group being written is let finish
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abandon()


class _NativeFile:
    """A Parquet file written by the native engine. Its bytes go to ``stream`` in order, on a
    thread of their own: a row group is written while the next one is encoded.

    A row group's bytes are copied out of the engine into one of two buffers kept for the whole
    file, in turn: the one written while the next row group is copied into the other. Fresh
    memory for each row group cost a page fault per 4 KiB (Parquet to Parquet, 4 million rows:
    a third of the job's page faults)."""

    def __init__(self, stream, schema, uncompressed, dictionary):
        from .. import _native

        self._stream = stream
        with _arrow_errors():
            self._file = _native.ParquetWriter(
                schema,
                uncompressed=uncompressed,
                dictionary=dictionary,
                threads=csv_workers(),
            )
        self._writing = OneBehind("normkit-parquet-write")
        self._buffers = [np.empty(0, np.uint8), np.empty(0, np.uint8)]

    def row_group(self, batches: list[pa.RecordBatch]) -> None:
        with _arrow_errors():
            size = self._file.row_group(batches)
        # The other buffer may still be being written; this one was written before that one
        # was handed to the writing thread (it writes one at a time).
        buffer = self._buffers[0]
        if len(buffer) < size:
            buffer = np.empty(size + size // 4, np.uint8)  # room for somewhat larger ones
        self._file.take(buffer)
        self._buffers = [self._buffers[1], buffer]
        self._writing.submit(write_in_pieces, self._stream, buffer[:size])

    def finish(self) -> None:
        try:
            with _arrow_errors():
                data = self._file.finish()
            self._writing.wait()
            write_in_pieces(self._stream, data)
        finally:
            self._writing.stop()

    def abandon(self) -> None:
        self._writing.stop()
        self._file = None


class _PyarrowFile:
    """A Parquet file written by pyarrow's writer (one thread)."""

    def __init__(self, stream, schema, uncompressed, dictionary):
        if dictionary is None:  # nested columns are named by their leaves: the defaults
            self._file = pq.ParquetWriter(stream, schema, compression="snappy")
            return
        self._file = pq.ParquetWriter(
            stream,
            schema,
            compression={f.name: "none" if f.name in uncompressed else "snappy" for f in schema},
            use_dictionary=dictionary,
        )

    def row_group(self, batches: list[pa.RecordBatch]) -> None:
        table = pa.Table.from_batches(batches)
        self._file.write_table(table, row_group_size=max(table.num_rows, 1))

    def finish(self) -> None:
        self._file.close()

    def abandon(self) -> None:
        with contextlib.suppress(pa.ArrowException, OSError):
            self._file.close()


def native_writes(schema: pa.Schema) -> bool:
    """Whether the native engine writes a file of ``schema`` as pyarrow's writer would: not with
    dictionaries (arrow-rs encodes them anew: their order, unused values and ``ordered`` flag
    are lost, and some it writes wrong or not at all), extension types (it drops their
    Parquet logical types, such as UUID and JSON), list views (it does not store the times in
    seconds inside them as pyarrow does) or metadata that is not text (it keeps text only)."""
    return (
        _text_metadata(schema.metadata)
        and all(_text_metadata(f.metadata) for f in schema if f.metadata)
        and all(map(_native_type, {type_key(t): t for t in schema.types}.values()))  # each once
    )


def _native_field(field: pa.Field) -> bool:
    return _text_metadata(field.metadata) and _native_type(field.type)


def _native_type(dtype: pa.DataType) -> bool:
    if isinstance(dtype, pa.BaseExtensionType):
        return False
    if (
        pa.types.is_dictionary(dtype)
        or pa.types.is_list_view(dtype)
        or pa.types.is_large_list_view(dtype)
        or pa.types.is_run_end_encoded(dtype)
    ):
        return False
    if pa.types.is_map(dtype):
        return _native_field(dtype.key_field) and _native_field(dtype.item_field)
    if pa.types.is_struct(dtype):
        return all(_native_field(dtype.field(i)) for i in range(dtype.num_fields))
    if (
        pa.types.is_list(dtype)
        or pa.types.is_large_list(dtype)
        or pa.types.is_fixed_size_list(dtype)
    ):
        return _native_field(dtype.value_field)
    return True


def _text_metadata(metadata: dict[bytes, bytes] | None) -> bool:
    try:
        for key, value in (metadata or {}).items():
            key.decode("utf-8")
            value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _stored_type(dtype: pa.DataType, seconds: bool = True) -> pa.DataType:
    """``dtype`` as Parquet stores it, also inside lists, structs and maps: a dictionary of
    views (``string_view``, ``binary_view``: polars' Categorical and Enum) as a dictionary of
    ``string`` (``binary``), which keeps its values and categories (Parquet's writers cast no
    dictionary of views); with ``seconds``, times and timestamps in seconds in milliseconds
    (Parquet has no seconds; pyarrow's writer converts them itself, the native one not)."""
    if pa.types.is_dictionary(dtype) and type_key(dtype.value_type) in _UNVIEWED:
        return pa.dictionary(dtype.index_type, _UNVIEWED[dtype.value_type], dtype.ordered)
    if seconds and pa.types.is_time32(dtype) and dtype.unit == "s":
        return pa.time32("ms")
    if seconds and pa.types.is_timestamp(dtype) and dtype.unit == "s":
        return pa.timestamp("ms", dtype.tz)
    if pa.types.is_struct(dtype):
        return pa.struct(
            [
                dtype.field(i).with_type(_stored_type(dtype.field(i).type, seconds))
                for i in range(dtype.num_fields)
            ]
        )
    if pa.types.is_map(dtype):
        return pa.map_(
            dtype.key_field.with_type(_stored_type(dtype.key_type, seconds)),
            dtype.item_field.with_type(_stored_type(dtype.item_type, seconds)),
            dtype.keys_sorted,
        )
    if (
        pa.types.is_list(dtype)
        or pa.types.is_large_list(dtype)
        or pa.types.is_fixed_size_list(dtype)
    ):
        field = dtype.value_field.with_type(_stored_type(dtype.value_type, seconds))
        if pa.types.is_fixed_size_list(dtype):
            return pa.list_(field, dtype.list_size)
        return pa.large_list(field) if pa.types.is_large_list(dtype) else pa.list_(field)
    return dtype


#: The types a dictionary of views is stored with.
_UNVIEWED = {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}


@contextlib.contextmanager
def _arrow_errors() -> Iterator[None]:
    """The native writer's errors (a type Parquet cannot store) as pyarrow's, which the sink
    reports with the output's name."""
    try:
        yield
    except ValueError as exc:
        if isinstance(exc, pa.ArrowException):
            raise
        raise pa.ArrowInvalid(str(exc)) from None


#: Rows of a first row group enough to judge whether a column's values are mostly distinct.
DISTINCT_MIN_ROWS = 1000
#: Rows judged at most: the first ones (counting a whole row group's distinct floats took a
#: twentieth of a Parquet to Parquet transform's time).
DISTINCT_MAX_ROWS = 16_384


def _bits(dtype: pa.DataType) -> int:
    """The bits a value of ``dtype`` takes at least in an Arrow array (0 for types of variable
    width)."""
    try:
        return dtype.bit_width
    except ValueError:
        return 0


def _mostly_distinct(column: pa.ChunkedArray) -> bool:
    """Whether a column's values are mostly (over half) distinct, judged on the first
    :data:`DISTINCT_MAX_ROWS` rows of a first row group of at least :data:`DISTINCT_MIN_ROWS`
    rows: text, binary and floats (other types: False)."""
    dtype = column.type
    judged = (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_binary(dtype)
        or pa.types.is_large_binary(dtype)
        or pa.types.is_floating(dtype)
    )
    if not judged or len(column) < DISTINCT_MIN_ROWS:
        return False
    from .lazy import pc

    column = column.slice(0, DISTINCT_MAX_ROWS)
    return pc.count_distinct(column).as_py() > len(column) // 2
