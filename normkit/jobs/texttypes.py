"""The types of a CSV's columns passed through, kept in its record: a Parquet file transformed
to CSV and back (an inverse to Parquet) gets its columns' types again.

A CSV holds text; read into Parquet or Arrow, its columns take the types their text reads as
(an ``int8`` comes back ``int64``, a ``decimal128(10, 2)`` a float, a time zone UTC). Where
normkit wrote the CSV from data with types, its record (:mod:`normkit.io.sidecar`) keeps them
(:attr:`Recipe.types`), and a later job that writes Parquet or Arrow reads those columns as
text and casts them to the recorded types: the same values, since the text is the one normkit
wrote from them. Text that does not read back as its type (a CSV edited since is refused
before: its record no longer matches) is an error naming the cell.

A dictionary column (a pandas ``category``) is more than its type: its categories, in their
order, unused ones too, are what pandas makes its categories and codes of. The record keeps
them (:attr:`Recipe.categories`, as the data written had them: :class:`WrittenCategories`),
and the column comes back as a dictionary only with them (:func:`as_recorded`), each value
encoded by its place among them; a value that is not one of them is an error naming the cell.
Where they are not kept (more than :data:`MAX_CATEGORIES`, inputs whose records keep others,
a record of an older normkit), the column comes back as its values, never with categories
of the text's making (in the order the rows happen to give, unused ones lost).

A column is also its field's nullability and metadata: a Polars ``Enum``'s categories are in
its field metadata (``_PL_ENUM_VALUES2``; without it Polars reads a ``Categorical``), and a
DuckDB ``NOT NULL`` column is a field that is not nullable. The record keeps the fields that are
not the default (:attr:`Recipe.fields`: :func:`fields_to_record`; nothing for a plain column),
and a column whose type comes back from the record (or from the statistics) gets them back
(:func:`with_recorded_fields`, :func:`in_recorded_fields`); the text of a column that holds no
missing value is read as written (an empty text is an empty text, not a missing value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

import pyarrow as pa

from ..errors import DataError, param
from ..io.arrow import holds_text, is_text_type
from ..io.dictionaries import codes_for, united_categories
from ..io.formats import Format
from ..io.lazy import pc
from ..io.reader import Reader
from ..stats.recipe import Recipe
from .columntypes import holds

__all__ = [
    "MAX_CATEGORIES",
    "WrittenCategories",
    "as_recorded",
    "cast_as_recorded",
    "fields_to_record",
    "in_recorded_fields",
    "recorded_categories",
    "recorded_pandas",
    "recorded_types",
    "types_to_record",
    "with_recorded_fields",
]

#: The most categories a record keeps of a column: every job that reads the CSV reads its
#: record whole. A column of more (identifiers kept as a ``category``) comes back as its
#: values.
MAX_CATEGORIES = 10_000


def as_recorded(dtype: pa.DataType, categories: pa.Array | None) -> pa.DataType:
    """The type a column that a CSV's record types ``dtype`` comes back in: a dictionary only
    with its ``categories`` (recorded, of its values' type, at most :data:`MAX_CATEGORIES`), in
    codes that number them (:func:`~normkit.io.dictionaries.codes_for`: several files'
    dictionaries united can outgrow their own), else the type of its values; other types as
    they are."""
    if not pa.types.is_dictionary(dtype):
        return dtype
    if (
        categories is not None
        and categories.type == dtype.value_type
        and len(categories) <= MAX_CATEGORIES
    ):
        return codes_for(dtype, len(categories))
    return dtype.value_type


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
                known = passthrough.setdefault(field.name, field.type)
                if known != field.type:
                    # Categories in codes of other widths: the output's, which holds both.
                    wide = schema.field(field.name).type if field.name in schema.names else None
                    dictionaries = pa.types.is_dictionary(known) and pa.types.is_dictionary(wide)
                    if not dictionaries or not (holds(wide, known) and holds(wide, field.type)):
                        return None
                    passthrough[field.name] = wide
    else:
        recorded = recorded_types(sources, records, names)
        if recorded is None:
            return None
        passthrough = recorded
    if any(f.name not in fitted and f.name not in passthrough for f in schema):
        return None
    return passthrough | {f.name: f.type for f in schema if f.name in fitted}


def fields_to_record(
    sources: Sequence[Reader],
    records: Sequence[Recipe | None],
    fitted: Sequence[str],
    names: Iterable[str],
) -> dict[str, pa.Field]:
    """The fields of the columns ``names`` whose nullability or metadata are not the default
    (not nullable; a Polars ``Enum``'s categories), as every input has them alike: the inputs'
    own where every input has types (Parquet, Arrow; ``fitted`` read as float64, which
    infinities read as missing make nullable), else as every input's record keeps them (CSVs
    normkit wrote from such data). A column the inputs give other fields is left out, and so
    is every plain column: what a CSV output's record keeps, and a CSV read into Parquet or
    Arrow gets back."""
    if all(source.typed for source in sources):
        given = [{f.name: f for f in s.batch_schema(fitted, keep_text=True)} for s in sources]
    elif all(s.format is Format.CSV for s in sources):
        given = [dict((r.fields if r is not None else None) or {}) for r in records]
    else:
        return {}
    out = {}
    for name in names:
        first = given[0].get(name) if given else None
        if first is None or (first.nullable and not first.metadata):
            continue
        if all(
            (other := fields.get(name)) is not None
            and other.nullable == first.nullable
            and other.metadata == first.metadata
            for fields in given[1:]
        ):
            out[name] = first
    return out


def with_recorded_fields(schema: pa.Schema, fields: Mapping[str, pa.Field]) -> pa.Schema:
    """``schema`` with the nullability and metadata of ``fields`` (a record's:
    :func:`fields_to_record`), the types as they are."""
    if not fields:
        return schema
    kept = [
        f.with_nullable(fields[f.name].nullable).with_metadata(fields[f.name].metadata)
        if f.name in fields
        else f
        for f in schema
    ]
    return pa.schema(kept, metadata=schema.metadata)


def in_recorded_fields(
    batch: pa.RecordBatch,
    schema: pa.Schema,
    fields: Mapping[str, pa.Field],
    locate: Callable[[int, str], str],
    offset: int = 0,
) -> pa.RecordBatch:
    """``batch`` with ``schema``'s fields (:func:`with_recorded_fields`), a missing value in a
    column that the record says held none an error naming its cell (``locate(offset + row in
    batch, column)``: a CSV edited since)."""
    if not fields:
        return batch
    for name, recorded in fields.items():
        column = batch.column(name)
        if not recorded.nullable and column.null_count:
            row = offset + pc.index(pc.is_null(column), True).as_py()
            raise DataError(
                f"{locate(row, name)}: a missing value, in a column that held none when "
                "normkit wrote it (NOT NULL: its record says so)",
                hints=(f"keep the columns passed through as text ({param('keep_text', True)})",),
            )
    return pa.RecordBatch.from_arrays(batch.columns, schema=schema)


def recorded_types(
    sources: Sequence[Reader], records: Sequence[Recipe | None], names: Sequence[str]
) -> dict[str, pa.DataType] | None:
    """The types to read the columns passed through as: those that every input's record keeps
    alike, where every input is a CSV and the record names every such column (None
    otherwise: the columns take the types their text reads as); a dictionary as
    :func:`as_recorded` gives it back."""
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
    categories = recorded_categories(records, passthrough)
    return {name: as_recorded(first.types[name], categories.get(name)) for name in passthrough}


def recorded_categories(
    records: Sequence[Recipe | None], names: Iterable[str], of: str = "categories"
) -> dict[str, pa.Array]:
    """The categories that every input's record keeps alike of the columns ``names`` (none of
    a column whose inputs' records keep different ones: no one order is theirs); ``of``: the
    record's field that keeps them (``categories`` of the columns passed through,
    ``dictionaries`` of the normalized ones)."""
    kept = [getattr(r, of) or {} if r is not None else {} for r in records]
    if not kept:
        return {}
    out = {}
    for name in names:
        values = kept[0].get(name)
        if values is not None and all(
            (other := k.get(name)) is not None and other.equals(values) for k in kept[1:]
        ):
            out[name] = values
    return out


class WrittenCategories:
    """The categories a CSV output's record keeps of its dictionary columns (those ``types``,
    the output's types to record, make dictionaries), as pandas reads them from the data
    written: the first batch's dictionary in its order, then the values that later batches'
    dictionaries add (pyarrow's ``unify_dictionaries``, by which pandas reads a column of
    several dictionaries); missing values are no category. A column written as text (from a
    CSV) has the categories its input's record keeps (``recorded``); one that no batch held
    (an input without rows), no categories.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from normkit.stats.recipe import Recipe
    >>> sizes = pa.DictionaryArray.from_arrays(pa.array([1, 0], pa.int8()), ["S", "M", "XL"])
    >>> written = WrittenCategories({"size": sizes.type}, {})
    >>> written.add(pa.record_batch({"size": sizes}), "sizes.parquet")
    >>> recipe, unkept = written.recorded(Recipe("frozen", "exact", False))
    >>> recipe.categories["size"].to_pylist(), unkept
    (['S', 'M', 'XL'], [])
    """

    def __init__(self, types: Mapping[str, pa.DataType], recorded: Mapping[str, pa.Array]):
        self.types = dict(types)
        #: Per dictionary column, its categories so far; None past its limit.
        self._categories: dict[str, pa.Array | None] = {
            name: recorded.get(name, pa.array([], dtype.value_type))
            for name, dtype in self.types.items()
            if pa.types.is_dictionary(dtype)
        }
        self._seen: set[str] = set()  # the columns a batch gave a dictionary

    def add(self, batch: pa.RecordBatch, where: str) -> None:
        """Take in the dictionaries of a batch written, read from ``where`` (an input's name,
        which a refusal of its categories names)."""
        for name, known in self._categories.items():
            column = batch.column(name)
            if not pa.types.is_dictionary(column.type) or (name in self._seen and known is None):
                continue
            earlier = known if name in self._seen else None
            try:
                united = united_categories(earlier, column.dictionary, column.type.ordered, name)
            except DataError as exc:
                raise exc.within(where) from None
            self._seen.add(name)
            self._categories[name] = united if len(united) <= MAX_CATEGORIES else None

    def recorded(self, recipe: Recipe) -> tuple[Recipe, list[str]]:
        """``recipe`` with the types and categories its CSV's record keeps, and the dictionary
        columns it keeps none of (past :data:`MAX_CATEGORIES`: they come back as their
        values)."""
        types, categories, unkept = {}, {}, []
        for name, dtype in self.types.items():
            values = self._categories.get(name)
            types[name] = as_recorded(dtype, values)
            if pa.types.is_dictionary(dtype) and not pa.types.is_dictionary(types[name]):
                unkept.append(name)
            elif values is not None:
                categories[name] = values
        return replace(recipe, types=types, categories=categories or None), unkept


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
    categories: Mapping[str, pa.Array] | None = None,
    recorded_fields: Mapping[str, pa.Field] | None = None,
    text_missing: Sequence[str] = ("",),
) -> pa.RecordBatch:
    """``batch`` (its columns passed through read as text) with the columns of ``types`` in
    those types: missing-value strings are missing values (in text, only ``text_missing``: the
    empty field and the strings named), but in a column whose recorded
    field (``recorded_fields``) holds none, and numbers are read with the
    decimal point they were written with. A dictionary type's values are encoded by their
    place among its ``categories`` (:func:`as_recorded` gives it only with them).

    Raises
    ------
    DataError
        Naming the cell (``locate(row in batch, column)``) whose text is not of its type, or
        not one of its categories.
    """
    arrays, fields = list(batch.columns), list(batch.schema)
    for i, field in enumerate(fields):
        dtype = types.get(field.name)
        if dtype is None or not is_text_type(arrays[i].type):
            continue
        text = arrays[i]
        recorded = (recorded_fields or {}).get(field.name)
        value_type = dtype.value_type if pa.types.is_dictionary(dtype) else dtype
        nulls = text_missing if holds_text(dtype) else missing
        if nulls and (recorded is None or recorded.nullable):
            absent = pc.is_in(text, value_set=pa.array(list(nulls), text.type))
            text = pc.if_else(absent, pa.scalar(None, text.type), text)
        if decimal_point != "." and (
            pa.types.is_floating(value_type) or pa.types.is_decimal(value_type)
        ):
            text = pc.replace_substring(text, decimal_point, ".")
        arrays[i] = _from_text(text, dtype, field.name, locate)
        if pa.types.is_dictionary(dtype):
            values = (categories or {})[field.name]
            arrays[i] = _encoded(arrays[i], dtype, values, field.name, locate, text)
        fields[i] = field.with_type(dtype)
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, batch.schema.metadata))


def _from_text(
    text: pa.Array, dtype: pa.DataType, name: str, locate: Callable[[int, str], str]
) -> pa.Array:
    """``text`` as ``dtype``: cast, or through a type whose text pyarrow reads (times of day
    through a timestamp of 1970-01-01, durations through integers, timestamps whose text has
    more digits of a second than the unit through finer units; a dictionary as its values,
    which :func:`_encoded` encodes); never with a loss."""
    if pa.types.is_dictionary(dtype):
        return _from_text(text, dtype.value_type, name, locate)
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


def _encoded(
    values: pa.Array,
    dtype: pa.DictionaryType,
    categories: pa.Array,
    name: str,
    locate: Callable[[int, str], str],
    text: pa.Array,
) -> pa.DictionaryArray:
    """``values`` as a dictionary of ``dtype`` over ``categories``, each value by its place
    among them: the categories and codes pandas had. A value that is none of them is an error
    naming its cell (an added category would be a guess at its place, and change no code but
    claim a list the data never had)."""
    if pa.types.is_string_view(values.type):  # no kernel looks up views
        values = values.cast(pa.large_string())
        indices = pc.index_in(values, value_set=categories.cast(pa.large_string()))
    else:
        indices = pc.index_in(values, value_set=categories)
    unknown = pc.and_(pc.is_null(indices), pc.is_valid(values))
    if pc.any(unknown).as_py():
        row = pc.index(unknown, True).as_py()
        raise DataError(
            f"{locate(row, name)}: the text {text[row].as_py()!r} is not one of the "
            f"{len(categories):,} categories the column had when normkit wrote it (its record "
            "keeps them)",
            hints=(f"keep the columns passed through as text ({param('keep_text', True)})",),
        )
    return pa.DictionaryArray.from_arrays(
        indices.cast(dtype.index_type), categories, ordered=dtype.ordered
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
