"""A CSV byte stream cut into blocks of whole rows, parsed in parallel by pyarrow."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from ..streams import PrefixedStream
from ..threads import csv_workers

__all__ = ["CSV_BLOCK_ROWS", "CSV_MAX_BLOCK", "CSV_MIN_ROWS", "RowBlocks"]

# Work per batch grows with the columns, so a block of CSV parsed in parallel that holds fewer
# than CSV_MIN_ROWS rows (wide rows) grows to hold CSV_BLOCK_ROWS, up to CSV_MAX_BLOCK bytes.
CSV_MIN_ROWS = 64
CSV_BLOCK_ROWS = 1024
CSV_MAX_BLOCK = 8 << 20


class RowBlocks:
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
        workers = csv_workers()
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
        return io.BufferedReader(PrefixedStream(self._pending, self._stream), 1 << 20)
