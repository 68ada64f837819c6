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

__all__ = ["cast_as_recorded", "recorded_pandas", "recorded_types", "types_to_record"]


def types_to_record(
    sources: Sequence[Reader],
    schema: pa.Schema,
    names: Sequence[str],
    records: Sequence[Recipe | None],
) -> dict[str, pa.DataType] | None:
    """The types a CSV output records for its columns: those ``schema`` (the output's) gives
    the fitted ones (float64, or the types an inverse restores), and for the columns passed
    through, the inputs' own where every input has types (Parquet, Arrow) and they agree on
    them, else those every input's record keeps alike (CSVs normkit wrote from such data).
    None where a column passed through has no type to record (a CSV's types are whatever its
    text reads as), or the inputs give it several: then every column is typed by its text, as
    without a record."""
    fitted = set(names)
    passthrough: dict[str, pa.DataType] = {}
    if all(source.typed for source in sources):
        for source in sources:
            for field in source.batch_schema(names, keep_text=True):
                if field.name in fitted:
                    continue
                if passthrough.setdefault(field.name, field.type) != field.type:
                    return None
    else:
        recorded = recorded_types(sources, records, names)
        if recorded is None:
            return None
        passthrough = recorded
    if any(f.name not in fitted and f.name not in passthrough for f in schema):
        return None
    return passthrough | {f.name: f.type for f in schema if f.name in fitted}


def recorded_types(
    sources: Sequence[Reader], records: Sequence[Recipe | None], names: Sequence[str]
) -> dict[str, pa.DataType] | None:
    """The types to read the columns passed through as: those that every input's record keeps
    alike, where every input is a CSV and the record names every such column (None
    otherwise: the columns take the types their text reads as)."""
    first = records[0] if records else None
    if first is None or first.types is None:
        return None
    if any(s.format is not Format.CSV for s in sources):
        return None
    if any(r is None or r.types != first.types for r in records):
        return None
    fitted = set(names)
    passthrough = {n for source in sources for n in source.schema.names if n not in fitted}
    if not passthrough <= set(first.types):
        return None
    return {name: first.types[name] for name in passthrough}


def recorded_pandas(
    sources: Sequence[Reader], records: Sequence[Recipe | None], names: Sequence[str]
) -> bytes | None:
    """pandas' record of the data whose types the inputs' records keep, where those types
    apply (:func:`recorded_types`) and the records keep it."""
    if recorded_types(sources, records, names) is None:
        return None
    texts = {r.types_pandas for r in records if r is not None}
    text = texts.pop() if len(texts) == 1 else None  # inputs of other frames: none of them
    return text.encode("utf-8") if text is not None else None


def cast_as_recorded(
    batch: pa.RecordBatch,
    types: Mapping[str, pa.DataType],
    missing: Sequence[str],
    decimal_point: str,
    locate: Callable[[int, str], str],
) -> pa.RecordBatch:
    """``batch`` (its columns passed through read as text) with the columns of ``types`` in
    those types: missing-value strings are missing values, and numbers are read with the
    decimal point they were written with.

    Raises
    ------
    DataError
        Naming the cell (``locate(row in batch, column)``) whose text is not of its type.
    """
    arrays, fields = list(batch.columns), list(batch.schema)
    for i, field in enumerate(fields):
        dtype = types.get(field.name)
        if dtype is None or not is_text_type(arrays[i].type):
            continue
        text = arrays[i]
        if missing:
            absent = pc.is_in(text, value_set=pa.array(missing, text.type))
            text = pc.if_else(absent, pa.scalar(None, text.type), text)
        value_type = dtype.value_type if pa.types.is_dictionary(dtype) else dtype
        if decimal_point != "." and (
            pa.types.is_floating(value_type) or pa.types.is_decimal(value_type)
        ):
            text = pc.replace_substring(text, decimal_point, ".")
        arrays[i] = _from_text(text, dtype, field.name, locate)
        fields[i] = field.with_type(dtype)
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, batch.schema.metadata))


def _from_text(
    text: pa.Array, dtype: pa.DataType, name: str, locate: Callable[[int, str], str]
) -> pa.Array:
    """``text`` as ``dtype``: cast, or through a type whose text pyarrow reads (times of day
    through a timestamp of 1970-01-01, durations through integers, timestamps whose text has
    more digits of a second than the unit through finer units; a dictionary through its
    values); never with a loss."""
    if pa.types.is_dictionary(dtype):
        values = _from_text(text, dtype.value_type, name, locate)
        return values.dictionary_encode().cast(dtype)
    read = _read(text, dtype)
    if read is not None:
        return read
    row = _first_unreadable(text, dtype)
    value = text[row].as_py()
    raise DataError(
        f"{locate(row, name)}: the text {value!r} does not read back as {dtype}, the type the "
        "column had when normkit wrote it (its record says so)",
        hints=(f"keep the columns passed through as text ({param('keep_text', True)})",),
    )


def _read(text: pa.Array, dtype: pa.DataType) -> pa.Array | None:
    """``text`` as ``dtype`` by the first way that reads all of it; None if none does."""
    if pa.types.is_null(dtype):  # no cast from text to null
        return pa.nulls(len(text)) if text.null_count == len(text) else None
    try:
        return pc.cast(text, dtype)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    for via, shown in _ways(text, dtype):
        try:
            return pc.cast(pc.cast(shown, via), dtype)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return None


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
    """The row of the first value of ``text`` that :func:`_read` cannot read (by halves: a
    slice reads if all its values do)."""
    low, high = 0, len(text)  # the first unreadable row is in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if _read(text.slice(low, middle - low), dtype) is None:
            high = middle
        else:
            low = middle
    return low
