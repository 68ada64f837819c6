"""How many rows a batch of a Parquet or Arrow file holds: a bound in bytes as the values are
used (numbers to normalize as float64), as a CSV's blocks of text bound its batches, so that
memory does not grow with the number of columns; tiny batches gathered, big ones cut."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence

import pyarrow as pa

__all__ = [
    "TYPED_BATCH_BYTES",
    "TYPED_BATCH_ROWS",
    "batch_rows",
    "gathered",
    "in_slices",
    "row_width",
    "value_width",
]


#: Rows a batch read from a Parquet or Arrow file holds at most, and the bytes, about, as its
#: values are used (:func:`batch_rows`): narrow files are read 65,536 rows at a time.
TYPED_BATCH_ROWS = 65_536
TYPED_BATCH_BYTES = 32 << 20


def batch_rows(
    schema: pa.Schema,
    columns: Sequence[str],
    float_columns: Sequence[str],
    per_row: Callable[[str], float],
    most: int,
) -> int:
    """How many rows a batch of a typed (Parquet, Arrow) file holds: ``most``, or fewer for a
    wide file, so that a batch of ``columns`` holds about :data:`TYPED_BATCH_BYTES` as it is
    used (``float_columns`` as float64; a column of values of varying width, ``per_row(name)``
    bytes a row). A CSV's blocks of text bound its batches alike: 65,536 rows of 2,000 int8
    columns made one batch of 1 GB as float64."""
    width = row_width(schema, columns, float_columns, per_row)
    return max(1, min(most, int(TYPED_BATCH_BYTES // max(width, 1.0))))


def row_width(
    schema: pa.Schema,
    columns: Sequence[str],
    float_columns: Sequence[str],
    per_row: Callable[[str], float],
) -> float:
    """The bytes a row of ``columns`` takes as used (:func:`batch_rows`)."""
    floats, chosen = set(float_columns), set(columns)
    width = 0.0
    for field in schema:
        if field.name in chosen:
            fixed = 8 if field.name in floats else value_width(field.type)
            width += per_row(field.name) if fixed is None else fixed
    return width


def value_width(dtype: pa.DataType) -> float | None:
    """The bytes a value of ``dtype`` takes in memory (a boolean's bit, a dictionary's index);
    None for values of varying width (text, lists, structs)."""
    if pa.types.is_null(dtype):
        return 1 / 8
    try:
        return dtype.bit_width / 8
    except ValueError:
        return None


def gathered(
    batches: Iterator[pa.RecordBatch], float_columns: Sequence[str]
) -> Iterator[pa.RecordBatch]:
    """``batches``, those far smaller than :func:`batch_rows` allows (as the first one's values
    take bytes) gathered into batches of that many rows: an Arrow file written 7 rows at a
    time, 1,500 columns wide, was read in 714 batches (38 s, against 0.5 s for one)."""
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return
    rows = first.num_rows
    # Categories (dictionaries) differ from batch to batch, and are kept so: not gathered.
    plain = not any(
        pa.types.is_nested(t) or pa.types.is_dictionary(t) or isinstance(t, pa.BaseExtensionType)
        for t in first.schema.types
    )
    if rows and plain:
        most = _rows_as_measured(first, float_columns, TYPED_BATCH_ROWS)
        if rows < most // 2:  # small batches: gathered
            # The text (lists...) weighed batch by batch: a first batch of short text says
            # nothing of the long text after it.
            fixed = row_width(first.schema, first.schema.names, float_columns, lambda _: 0.0)
            varying = [i for i, t in enumerate(first.schema.types) if value_width(t) is None]
            yield from _gather(itertools.chain([first], batches), most, fixed, varying)
            return
    yield first
    yield from batches


def _gather(
    batches: Iterator[pa.RecordBatch], most: int, fixed: float, varying: Sequence[int]
) -> Iterator[pa.RecordBatch]:
    """Batches of ``most`` rows or about :data:`TYPED_BATCH_BYTES` (``fixed`` bytes a row, and
    the bytes of the columns at ``varying``, batch by batch), each made of whole batches of
    ``batches`` (copied), 32 at a time: each column of each batch is an object of its own (400
    batches of 1,500 columns held 300 MB)."""
    pending: list[pa.RecordBatch] = []
    rows, size = 0, 0
    for batch in batches:
        if pending and not batch.schema.equals(pending[0].schema):
            yield _concat(pending)
            pending, rows, size = [], 0, 0
        pending.append(batch)
        rows += batch.num_rows
        size += sum(batch.column(i).nbytes for i in varying)
        if rows >= most or size + rows * fixed >= TYPED_BATCH_BYTES:
            yield _concat(pending)
            pending, rows, size = [], 0, 0
        elif len(pending) == 32:
            pending = [_concat(pending)]
    if pending:
        yield _concat(pending)


def _concat(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    if hasattr(pa, "concat_batches"):  # pyarrow 19
        return pa.concat_batches(batches)
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def in_slices(batch: pa.RecordBatch, float_columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """``batch`` whole, or in slices (zero-copy) of the rows :func:`batch_rows` allows as its
    values take bytes: an Arrow file's batch as written, or a Parquet file's whose sizes said
    less than its values take (a dictionary's)."""
    rows = batch.num_rows
    if rows > 1:
        rows = _rows_as_measured(batch, float_columns, rows)
    if rows >= batch.num_rows:
        yield batch
        return
    for start in range(0, batch.num_rows, rows):
        yield batch.slice(start, rows)


def _rows_as_measured(batch: pa.RecordBatch, float_columns: Sequence[str], most: int) -> int:
    """:func:`batch_rows` of ``batch`` (rows > 0), its columns of varying width weighed by the
    bytes they hold in it (only those: a batch of 2,000 numbers asks nothing of each)."""
    rows = batch.num_rows
    sizes = {
        field.name: column.nbytes / rows
        for field, column in zip(batch.schema, batch.columns, strict=True)
        if value_width(field.type) is None
    }
    return batch_rows(batch.schema, batch.schema.names, float_columns, sizes.__getitem__, most)
