"""Arrow IPC input (the stream format, and the file format: Feather V2) and output."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence

import pyarrow as pa

from ..errors import InputError
from .batching import gathered, in_slices
from .formats import Format
from .lazy import ipc
from .reader import ReaderBase
from .streams import PrefixedStream, read_up_to

__all__ = ["IpcReader", "is_ipc_file", "open_ipc_writer"]


class IpcReader(ReaderBase):
    """An Arrow IPC input. From standard input, the stream format is read in constant memory;
    the file format, which needs random access, is read into memory whole."""

    format = Format.ARROW

    def __init__(self, path, read, is_stream):
        super().__init__(path, read, is_stream)
        self._stdin_buffer: bytes | None = None
        self._ipc_reader = None
        self._ipc_stdin: io.BufferedReader | None = None

    def _read_schema(self) -> pa.Schema:
        with self._translate_errors():
            reader = self._open_ipc()
            schema = reader.schema
            # An empty part of a data set, whose types tell nothing: a file of no batch, or a
            # stream on disk (opened again to be read) whose batches hold no row.
            if isinstance(reader, ipc.RecordBatchFileReader):
                if reader.num_record_batches == 0:
                    self.has_rows = False
            elif not self.is_stream:  # read up to its first batch with a row
                self.has_rows = any(batch.num_rows for batch in reader)
            if self.is_stream:
                self._ipc_reader = reader  # a pipe cannot be opened twice: keep it for batches()
            elif self._raw is not None:
                self._raw.close()
            return schema

    def count_rows(self) -> int:
        """The number of rows, from the batches' headers (no data is decoded)."""
        if self.is_stream:
            raise InputError(f"{self.name}: cannot count the rows of a stream")
        with self._translate_errors():
            reader = self._open_ipc()
            try:
                if isinstance(reader, ipc.RecordBatchFileReader):
                    return sum(
                        reader.get_batch(i).num_rows for i in range(reader.num_record_batches)
                    )
                return sum(batch.num_rows for batch in reader)
            finally:
                self._raw.close()

    def _open_ipc(self):
        if self.is_stream:
            if self._ipc_reader is not None:
                reader, self._ipc_reader = self._ipc_reader, None
                return reader
            head = read_up_to(self._pipe, 6)
            self._refuse_feather_v1(head)
            if head == b"ARROW1":
                # The IPC file format needs random access: read standard input into memory.
                self._stdin_buffer = head + self._pipe.read()
                return ipc.open_file(pa.BufferReader(self._stdin_buffer))
            self._ipc_stdin = io.BufferedReader(PrefixedStream(head, self._pipe))
            return ipc.open_stream(self._ipc_stdin)
        raw = pa.memory_map(self.path, "r")
        self._raw = raw
        magic = raw.read(6)
        raw.seek(0)
        self._refuse_feather_v1(magic)
        if magic == b"ARROW1":
            return ipc.open_file(raw)
        return ipc.open_stream(raw)

    def _refuse_feather_v1(self, head: bytes) -> None:
        """Refuse a Feather V1 file (``FEA1``, written by feather before Arrow IPC became its
        format), which is no IPC file or stream: pyarrow read it as a stream of nonsense."""
        if head.startswith(b"FEA1"):
            raise InputError(
                f"{self.name}: a Feather V1 file, the format before Arrow IPC, which normkit "
                "does not read",
                hints=(
                    "write it again as Feather V2 (Arrow IPC): pyarrow.feather.write_feather("
                    "pyarrow.feather.read_table(path), new_path)",
                ),
            )

    def _batches(
        self, float_columns: Sequence[str], columns: Sequence[str] | None, keep_text: bool = True
    ) -> Iterator[pa.RecordBatch]:
        with self._translate_errors():
            reader = self._open_ipc()
            if isinstance(reader, ipc.RecordBatchFileReader):
                batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
            else:
                batches = iter(reader)
            if columns is not None:
                batches = (batch.select(list(columns)) for batch in batches)
            if not self.read.chunk_rows:
                batches = gathered(batches, float_columns)
            try:
                for batch in batches:
                    parts = [batch] if self.read.chunk_rows else in_slices(batch, float_columns)
                    for part in parts:
                        yield self._as_float(part, float_columns)
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
        # A stream cut between two messages reads as whole to its last one: its end-of-stream
        # marker, which every Arrow writer closes a stream with, is what tells (the format
        # before Arrow 0.15, whose messages start without a continuation marker, ends in 4
        # zero bytes).
        if self.is_stream:
            raw = self._ipc_stdin.raw if self._ipc_stdin is not None else None
            head, tail = (raw.head, raw.tail) if raw is not None else (b"", END_OF_STREAM)
        else:
            head = self._raw.read_at(4, 0)
            self._raw.seek(max(0, self._raw.size() - len(END_OF_STREAM)))
            tail = self._raw.read(len(END_OF_STREAM))
        end = END_OF_STREAM if head[:4] == END_OF_STREAM[:4] else END_OF_STREAM[4:]
        if not tail.endswith(end):
            raise InputError(
                f"{self.name}: the Arrow stream ends without its end-of-stream marker: it was cut "
                "short; write it again"
            )


#: The last bytes of an Arrow IPC stream: a continuation marker and a message of length 0.
END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"


#: Outputs named so are Arrow IPC files (the file format, with its footer: Arrow's name for
#: it, Feather V2, what pandas' ``read_feather`` and Polars' ``read_ipc`` read); ``.arrows``
#: and standard output are streams.
IPC_FILE_SUFFIXES = (".arrow", ".feather", ".ipc")


def is_ipc_file(path: str) -> bool:
    """Whether an Arrow output at ``path`` is written in the IPC file format (one dictionary a
    column), rather than the stream format."""
    return path.lower().endswith(IPC_FILE_SUFFIXES)


def open_ipc_writer(stream: pa.NativeFile, schema: pa.Schema, path: str):
    """A writer of the IPC file format for paths of :data:`IPC_FILE_SUFFIXES`, else of the
    stream format."""
    if is_ipc_file(path):
        return ipc.new_file(stream, schema)
    return ipc.new_stream(stream, schema)
