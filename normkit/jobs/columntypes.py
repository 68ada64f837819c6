"""The types of a data set's columns: one per column for one output, a CSV's columns without
a value in their first block typed as the other inputs have them (a CSV of a header alone: else
as the stat file records them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pyarrow as pa

from ..errors import SchemaError, param
from ..io.arrow import interchangeable, is_text_type, numeric_type_named
from ..io.dataset import reference_reader
from ..io.formats import Format
from ..io.reader import Reader
from ..stats.fitted import FittedStats
from ..stats.passthrough import PassedThrough

__all__ = [
    "check_dataset_types",
    "holds",
    "passed_through_as_written",
    "settle_as_recorded",
    "text_where_types_differ",
    "typed_where_null",
]


def _check_same_types(
    first: Reader,
    schema: pa.Schema,
    other: Reader,
    types: pa.Schema,
    cast: bool = False,
    nulls: bool = False,
) -> None:
    """One output needs one type per column (with ``cast``, text of either offset width is
    one type: the batches are cast to the first file's; with ``nulls``, a column of no value,
    typed null, fits any, and integers fit a type of a wider range: ``schema`` is then
    :func:`typed_where_null`'s)."""
    for column in schema:
        other_type = types.field(column.name).type
        if nulls and (pa.types.is_null(other_type) or holds(column.type, other_type)):
            continue  # no value, or narrower integers: cast to the type that holds them
        if other_type != column.type and not (cast and interchangeable(other_type, column.type)):
            raise SchemaError(
                f"{other.name}: column {column.name!r} has type {other_type}, but {column.type} in "
                f"{first.name}; one output cannot hold both (transform them separately)"
            )


def check_dataset_types(
    sources: Sequence[Reader],
    names: Sequence[str],
    keep_text: bool = True,
    settle: bool = False,
    cast: bool = False,
    nulls: bool = False,
) -> None:
    """Refuse a data set whose files give a column different types (one output, or one set of
    part files, holds one type per column). With ``settle``, a column that a CSV leaves
    undecided (no value in its first block) first takes the type the other files agree on, if
    they do: the readers are those the output is read with. With ``cast``, text columns of
    either offset width (``string``, ``large_string``) agree: the batches of one output are
    cast to the first file's types (:class:`~normkit.io.dataset.Concatenated`). With ``nulls``,
    a column a file holds no value of (a Parquet file's type null: pandas writes a column of
    None so) fits the type the others give it (:func:`typed_where_null`)."""
    # A file with no rows has no types to tell (a CSV of only a header): it fits any.
    typed = [s for s in sources if s.has_rows is not False] or list(sources[:1])
    try:
        if settle and not keep_text:
            _settle_undecided(typed, names)
        schema = typed[0].batch_schema(names, keep_text)
        if nulls:
            schema = typed_where_null(typed, names, schema, keep_text)
        for other in typed[1:]:
            types = other.batch_schema(names, keep_text)
            _check_same_types(typed[0], schema, other, types, cast, nulls)
    except SchemaError as exc:
        if keep_text or any(s.format is not Format.CSV for s in sources):
            # --keep-text keeps a CSV's columns as text: of Parquet and Arrow, their types
            # (beside one, a CSV's text would differ from its type as its number did).
            raise
        hint = f"keep the columns passed through as text ({param('keep_text', True)})"
        raise exc.with_hints((hint,)) from None


def typed_where_null(
    sources: Sequence[Reader], names: Sequence[str], schema: pa.Schema, keep_text: bool
) -> pa.Schema:
    """``schema`` (the first input's batches') with each column typed null (no value in that
    file) given the type of the first other input with rows that holds values of it, and each
    column of integers that the inputs give integer types of different widths (int32 in one
    file, int64 in another) the one that holds them all (:func:`holds`); a column is not null
    only where every input declares it so."""
    others = [s.batch_schema(names, keep_text) for s in sources[1:] if s.has_rows is not False]
    for i, field in enumerate(schema):
        if not field.nullable and any(other.field(field.name).nullable for other in others):
            field = field.with_nullable(True)
            schema = schema.set(i, field)
        types = [field.type, *(other.field(field.name).type for other in others)]
        given = [t for t in types if not pa.types.is_null(t)]
        if not given:
            continue
        wide = next((t for t in given if all(holds(t, u) for u in given)), None)
        if pa.types.is_null(field.type) or (wide is not None and wide != field.type):
            schema = schema.set(i, field.with_type(given[0] if wide is None else wide))
    return schema


def holds(wide: pa.DataType, narrow: pa.DataType) -> bool:
    """Whether every value of the type ``narrow`` is one of ``wide`` (a type itself; integers
    of a wider range, and dictionaries of codes of one; timestamps of a finer unit in the same
    time zone, as DuckDB widens them:
    exact, a value beyond the finer unit's range, 292,000 years from 1970 in ms for us, is
    refused where it is cast, :class:`~normkit.io.dataset.Concatenated`)."""
    if wide == narrow:
        return True
    if pa.types.is_timestamp(wide) and pa.types.is_timestamp(narrow):
        units = ("s", "ms", "us", "ns")
        return wide.tz == narrow.tz and units.index(wide.unit) >= units.index(narrow.unit)
    if pa.types.is_dictionary(wide) and pa.types.is_dictionary(narrow):
        # Categories in codes of a wider range (pandas' int8 for 100 of them, int16 for 200).
        same = (wide.value_type, wide.ordered) == (narrow.value_type, narrow.ordered)
        return same and holds(wide.index_type, narrow.index_type)
    if not (pa.types.is_integer(wide) and pa.types.is_integer(narrow)):
        return False
    w, n = np.iinfo(wide.to_pandas_dtype()), np.iinfo(narrow.to_pandas_dtype())
    return w.min <= n.min and w.max >= n.max


def _settle_undecided(sources: Sequence[Reader], names: Sequence[str]) -> None:
    """Columns some inputs leave undecided (:meth:`Reader.undecided`) read as the one type the
    others give them; where those give several, two that do are named (not one that leaves
    the column open, whose text is no type of its own)."""
    undecided = [s.undecided() for s in sources]
    if not any(undecided):
        return
    decided: dict[str, dict[pa.DataType, tuple[Reader, pa.Schema]]] = {}
    for source, open_ in zip(sources, undecided, strict=True):
        schema = source.batch_schema(names, keep_text=False)
        for field in schema:
            if field.name not in open_:
                decided.setdefault(field.name, {}).setdefault(field.type, (source, schema))
    for name, types in decided.items():
        if len(types) > 1 and any(name in open_ for open_ in undecided):
            (first, schema), (other, other_schema) = list(types.values())[:2]
            _check_same_types(first, pa.schema([schema.field(name)]), other, other_schema)
    for source, open_ in zip(sources, undecided, strict=True):
        source.settle({n: next(iter(decided[n])) for n in open_ if len(decided.get(n, {})) == 1})


def passed_through_as_written(
    passthrough: Iterable[PassedThrough], sources: Sequence[Reader], names: Sequence[str]
) -> list[PassedThrough]:
    """``passthrough`` (the columns a fit of ``sources`` passes through, typed as it reads
    them) with the columns of numbers that a CSV passes through to Parquet or Arrow as their
    text (a stray leading zero, an integer float64 would round: :meth:`Reader.batch_schema`)
    typed ``string``: the stat file records the type the column is passed through as, which an
    input of only a header is then read as (:func:`settle_as_recorded`)."""
    passthrough = list(passthrough)
    reference = reference_reader(sources)
    if reference.typed or not passthrough:
        return passthrough
    out = reference.batch_schema(names, keep_text=False)
    return [
        replace(p, dtype="string")
        if p.dtype != "string"
        and numeric_type_named(p.dtype) is not None
        and pa.types.is_string(out.field(p.name).type)
        else p
        for p in passthrough
    ]


def settle_as_recorded(sources: Sequence[Reader], stats: FittedStats) -> None:
    """Columns passed through that an input without rows (a CSV of only a header) leaves
    undecided and no other input decides read as the type the stat file records for them: an
    output with rows and one without have the same schema. (In an input with rows, a later
    value may be of another type: such a column is read as text, as without a stat file.) A
    CSV's weight column is read as float64, the weights the fit read, where its first rows hold
    only integers: fractions may follow (:func:`~normkit.jobs.weights.weights_as_read`)."""
    recorded = {}
    for p in stats.passthrough or ():
        try:
            recorded[p.name] = pa.type_for_alias(p.dtype)
        except (ValueError, KeyError, TypeError):  # a type no CSV reads (a list, a dictionary)
            continue
    weights = {p.name: pa.float64() for p in stats.passthrough or () if p.why == "weight"}
    for source in sources:
        if source.has_rows is False:  # with rows, a later value decides (text by default)
            source.settle(recorded)
        else:
            source.settle(weights)


def text_where_types_differ(
    sources: Sequence[Reader], names: Sequence[str], schema: pa.Schema
) -> pa.Schema:
    """``schema`` (the first input's batches') with the columns passed through that another
    input gives another type (a CSV's text beside a Parquet file's integers) as text: a CSV
    output writes each value's text, and the batches are cast to it."""
    fitted = set(names)
    for other in sources[1:]:
        if other.has_rows is False:
            continue
        for field in other.batch_schema(names, keep_text=True):
            i = schema.get_field_index(field.name)
            if field.name in fitted or i < 0:
                continue
            mine = schema.field(i).type
            if pa.types.is_null(field.type):
                continue  # no value in that file: nothing to write differently
            if mine != field.type and not interchangeable(mine, field.type):
                if not (_written_as_text(mine) and _written_as_text(field.type)):
                    raise SchemaError(
                        f"{other.name}: column {field.name!r} has type {field.type}, but {mine} "
                        f"in {sources[0].name}; one CSV output writes them alike only as text, "
                        "numbers, booleans, dates or times (transform them separately)"
                    )
                schema = schema.set(i, schema.field(i).with_type(pa.string()))
    return schema


def _written_as_text(dtype: pa.DataType) -> bool:
    """Whether a CSV output writes values of ``dtype`` as the text it writes them in alone
    (:func:`~normkit.io.csv.writer.text_as_written`: floats in their shortest text), beside a
    CSV's text: text, numbers, booleans, dates and times, a column of no value (type null)."""
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return (
        is_text_type(str(dtype))
        or pa.types.is_integer(dtype)
        or pa.types.is_floating(dtype)
        or pa.types.is_decimal(dtype)
        or pa.types.is_boolean(dtype)
        or pa.types.is_temporal(dtype)
        or pa.types.is_null(dtype)
    )
