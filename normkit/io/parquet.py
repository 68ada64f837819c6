"""Parquet input and output.

Reading: column chunks are read in pieces of :data:`PARQUET_READ_BUFFER` bytes (reading them whole
held a million-row row group in memory, compressed and decoded: 700 MiB for 16 columns), in
batches of :data:`PARQUET_BATCH_ROWS` rows. Parquet needs random access: from standard input it is
read into memory whole.

Writing: row groups of a useful size whatever the size of the batches written, each encoded on a
thread of its own while the next is computed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa

from ..errors import InputError
from .formats import Format
from .lazy import pq
from .reader import ReaderBase

__all__ = [
    "PARQUET_BATCH_ROWS",
    "PARQUET_READ_BUFFER",
    "PARQUET_ROW_GROUP_BYTES",
    "PARQUET_ROW_GROUP_ROWS",
    "ParquetReader",
    "ParquetWriter",
]

PARQUET_BATCH_ROWS = 65_536
PARQUET_READ_BUFFER = 64 << 10
PARQUET_ROW_GROUP_ROWS = 64 * 1024
PARQUET_ROW_GROUP_BYTES = 16 << 20


class ParquetReader(ReaderBase):
    """A Parquet input."""

    format = Format.PARQUET

    def __init__(self, path, read, is_stream):
        super().__init__(path, read, is_stream)
        self._stdin_buffer: bytes | None = None

    def _read_schema(self) -> pa.Schema:
        with self._translate_errors():
            return self._parquet_file().schema_arrow

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
            file = self._parquet_file()
            columns = self.schema.names if columns is None else list(columns)
            batches = file.iter_batches(
                batch_size=self.read.chunk_rows or PARQUET_BATCH_ROWS, columns=columns
            )
            for batch in batches:
                yield self._as_float(batch, float_columns)


class ParquetWriter:
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
