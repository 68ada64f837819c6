"""The types of a CSV's columns passed through, kept in its record: a Parquet file transformed
to CSV and back (an inverse to Parquet) gets its columns' types again.

A CSV holds text; read into Parquet or Arrow, its columns take the types their text reads as
(an ``int8`` comes back ``int64``, a ``decimal128(10, 2)`` a float, a time zone UTC). Where
normkit wrote the CSV from data with types, its record (:mod:`normkit.io.sidecar`) keeps them
(:attr:`Recipe.types`), and a later job that writes Parquet or Arrow reads those columns as
text and casts them to the recorded types: the same values, since the text is the one normkit
wrote from them. Text that does not read back as its type (a CSV edited since is refused
before: its record no longer matches) is an error naming the cell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pyarrow as pa

from ..errors import DataError, param
from ..io.arrow import is_text_type
from ..io.formats import Format
from ..io.lazy import pc
from ..io.reader import Reader
from .recipes import Recipe

__all__ = ["cast_as_recorded", "recorded_types", "types_to_record"]


def types_to_record(
    sources: Sequence[Reader],
    read_schema: pa.Schema,
    names: Sequence[str],
    shared: Recipe | None,
) -> dict[str, pa.DataType] | None:
    """The types a CSV output records for its columns passed through: the inputs' own where
    they have types (Parquet, Arrow; text where they differ, as the output then holds), else
    those the inputs' shared record keeps (a CSV normkit wrote from such data); else none (a
    CSV's types are whatever its text reads as)."""
    fitted = set(names)
    if all(source.typed for source in sources):
        return {f.name: f.type for f in read_schema if f.name not in fitted}
    if shared is not None and shared.types is not None:
        return {k: v for k, v in shared.types.items() if k not in fitted}
    return None


def recorded_types(
    sources: Sequence[Reader], records: Sequence[Recipe | None], names: Sequence[str]
) -> dict[str, pa.DataType]:
    """The types to read the columns passed through as: those that every input's record keeps
    alike, where every input is a CSV (empty otherwise)."""
    first = records[0] if records else None
    if first is None or first.types is None:
        return {}
    if any(s.format is not Format.CSV for s in sources) or any(r != first for r in records):
        return {}
    present = {name for source in sources for name in source.schema.names}
    fitted = set(names)
    return {k: v for k, v in first.types.items() if k in present and k not in fitted}


def cast_as_recorded(
    batch: pa.RecordBatch,
    types: Mapping[str, pa.DataType],
    missing: Sequence[str],
    locate: Callable[[int, str], str],
) -> pa.RecordBatch:
    """``batch`` (its columns passed through read as text) with the columns of ``types`` in
    those types: missing-value strings are missing values.

    Raises
    ------
    DataError
        Naming the cell (``locate(row in batch, column)``) whose text is not of its type.
    """
    arrays, schema = list(batch.columns), batch.schema
    for name, dtype in types.items():
        i = batch.schema.get_field_index(name)
        if i < 0 or not is_text_type(arrays[i].type):
            continue
        text = arrays[i]
        if missing:
            absent = pc.is_in(text, value_set=pa.array(missing, text.type))
            text = pc.if_else(absent, pa.scalar(None, text.type), text)
        arrays[i] = _from_text(text, dtype, name, locate)
        schema = schema.set(i, schema.field(i).with_type(dtype))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _from_text(
    text: pa.Array, dtype: pa.DataType, name: str, locate: Callable[[int, str], str]
) -> pa.Array:
    """``text`` as ``dtype``: cast, or through a type whose text pyarrow reads (times of day
    through a timestamp of 1970-01-01, durations through integers, timestamps whose text has
    more digits of a second than the unit through finer units); never with a loss."""
    if pa.types.is_null(dtype) and text.null_count == len(text):  # no cast from text to null
        return pa.nulls(len(text))
    try:
        return pc.cast(text, dtype)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    for via, shown in _ways(text, dtype):
        try:
            return pc.cast(pc.cast(shown, via), dtype)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    row = _first_unreadable(text, dtype)
    value = text[row].as_py()
    raise DataError(
        f"{locate(row, name)}: the text {value!r} does not read back as {dtype}, the type the "
        "column had when normkit wrote it (its record says so)",
        hints=(f"keep the columns passed through as text ({param('keep_text', True)})",),
    )


def _ways(text: pa.Array, dtype: pa.DataType) -> list[tuple[pa.DataType, pa.Array]]:
    if pa.types.is_time(dtype):
        return [(pa.timestamp("ns"), pc.binary_join_element_wise("1970-01-01 ", text, ""))]
    if pa.types.is_duration(dtype):
        return [(pa.int64(), text)]
    if pa.types.is_timestamp(dtype):
        finer = ("ms", "us", "ns")[("s", "ms", "us", "ns").index(dtype.unit) :]
        return [(pa.timestamp(unit, dtype.tz), text) for unit in finer]
    return []


def _first_unreadable(text: pa.Array, dtype: pa.DataType) -> int:
    """The row of the first value of ``text`` that :func:`_from_text` cannot read."""
    for row in range(len(text)):
        one = text.slice(row, 1)
        try:
            pc.cast(one, dtype)
            continue
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        if not any(_reads(via, shown, dtype) for via, shown in _ways(one, dtype)):
            return row
    return 0


def _reads(via: pa.DataType, shown: pa.Array, dtype: pa.DataType) -> bool:
    try:
        pc.cast(pc.cast(shown, via), dtype)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True
