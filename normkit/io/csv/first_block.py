"""The first block of a CSV's records, and the rows its columns' types are decided from.

The types are decided from at least :data:`TYPED_ROWS` rows where the input has them, so that a
column's type does not depend on how many other columns the file has: the first block
(``--csv-block-size``, 1 MiB) of a file of thousands of columns holds a dozen rows, too few to
show a column of codes whose first word comes at row 14 (text beside 3 columns). Memory
stays bounded: the rows read for the types grow as the reading's chunks do for wide rows, to
hold about that many rows, up to :data:`~.native.MAX_CHUNK` bytes (or the block size, if
larger); past that, a word refused in a column typed as numbers names the block size that would
hold its row (:meth:`TypedRows.hints`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from ...errors import param
from ...params import MAX_BLOCK_SIZE
from ..streams import read_up_to
from .columns import size_text
from .native import GROWN_ROWS, MAX_CHUNK, Dialect, read_header, record_count, whole_records

__all__ = ["TYPED_ROWS", "FirstBlock", "TypedRows", "first_block"]

#: The rows a CSV's column types are decided from, at least, where the input has them: as many
#: as the reading's chunks grow to hold for wide rows.
TYPED_ROWS = GROWN_ROWS


@dataclass(frozen=True)
class TypedRows:
    """The rows a CSV's column types were decided from: ``rows`` records, the first ``size``
    bytes after the header; ``complete``: all the input has."""

    rows: int
    size: int
    complete: bool

    def hints(self, row: int) -> tuple[str, ...]:
        """For a value refused at data ``row`` in a column these rows typed: where they were
        few (wide rows, cut at the bytes read for them) and the row lies beyond them, the block
        size whose first block holds it, and so decides the column's type from it too."""
        if self.complete or self.rows >= TYPED_ROWS or row <= self.rows or not self.rows:
            return ()
        # A tenth more than the bytes the rows so far take, in whole MiB.
        wanted = math.ceil(self.size / self.rows * row * 1.1 / 2**20)
        if wanted << 20 > MAX_BLOCK_SIZE:  # the option's bound
            return ()
        return (
            f"if the column holds text, decide its type from more rows than the first "
            f"{self.rows:,} ({size_text(self.size)}), up to row {row:,} "
            f"({param('csv.block_size', f'{wanted}M')})",
        )


@dataclass(frozen=True)
class FirstBlock:
    """The start of a CSV's records (comment lines kept, which count in the lines named).

    Attributes
    ----------
    header : list of str
        The header's fields, as read (or the first record's, without a header).
    records : bytes
        The whole records of the first block (or of the first record, if longer).
    typing : bytes
        The whole records the column types are decided from: ``records``, and more where they
        are fewer than :data:`TYPED_ROWS` (see the module's notes).
    complete : bool
        Whether ``typing`` is all the input has.
    first_line : int
        The line the first record starts on.
    line_end : str
        How the header (or the first record) ends.
    """

    header: list[str]
    records: bytes
    typing: bytes
    complete: bool
    first_line: int
    line_end: str


def first_block(
    stream: BinaryIO,
    dialect: Dialect,
    block_size: int,
    max_record: int,
    width: Callable[[list[str]], int] = len,
) -> FirstBlock:
    """The header and the first records of ``stream`` (at the input's start), read
    ``block_size`` bytes at a time; a first record longer than the block is read whole, up to
    ``max_record`` bytes. ``width``: the fields of a record below ``header`` (one more where
    the rows end with a separator the header lacks), by which the block is cut at a record's
    end: cut with too few, a block would end inside a record, refused as cut short.

    Raises :class:`~.native.RecordError` for a header that cannot be read, and
    ``OverflowError`` (its length, the line it starts on) for a record longer than
    ``max_record``."""
    header, rest, lines, line_end = read_header(stream, dialect, max_record, block_size)
    n_columns = width(header)
    wanted = block_size
    while True:
        rest += read_up_to(stream, max(wanted - len(rest), 0) + 1)
        whole = len(rest) <= wanted
        records = whole_records(rest, dialect, n_columns, whole)
        if records or whole:
            break
        # The first record is longer than the block: read on, as the reading does.
        if wanted >= max_record:
            raise OverflowError(len(rest), 1 + lines)
        wanted = min(2 * wanted, max_record)
    typing, complete = _typing_records(stream, rest, records, whole, dialect, n_columns)
    return FirstBlock(header, records, typing, complete, 1 + lines, line_end)


def _typing_records(
    stream: BinaryIO, rest: bytes, records: bytes, whole: bool, dialect: Dialect, n_columns: int
) -> tuple[bytes, bool]:
    """The whole records the types are decided from (``records``: the first block's, ``rest``
    the bytes read after the header, ``whole`` all of the input), and whether they are all the
    input has: about :data:`TYPED_ROWS` rows, as many bytes as the first block's take for that
    many (its records counted, not its lines), up to :data:`MAX_CHUNK` bytes or the first block's
    size, if larger."""
    # Records, not lines: quoted line breaks in every row would make the rows typed fewer.
    rows = record_count(records, dialect, n_columns)
    rows = max(rows if rows is not None else max(records.count(b"\n"), records.count(b"\r")), 1)
    if whole or rows >= TYPED_ROWS:
        return records, whole
    wanted = max(min(math.ceil(len(records) / rows * TYPED_ROWS), MAX_CHUNK), len(records))
    rest += read_up_to(stream, max(wanted - len(rest), 0) + 1)
    whole = len(rest) <= wanted
    return whole_records(rest, dialect, n_columns, whole), whole
