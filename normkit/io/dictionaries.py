"""Dictionary columns (a pandas ``category``, an Arrow dictionary) over several batches and
files: their categories united in order, read before the data is written, and batches encoded
by them, so that an output holds one dictionary a column (an Arrow IPC file can hold no other).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pyarrow as pa

from ..errors import DataError
from .arrow import int32_codes
from .formats import Format
from .ipc import is_ipc_file
from .lazy import pc
from .reader import Reader

__all__ = [
    "capacity_in",
    "codes_for",
    "encoded_as",
    "index_capacity",
    "united_categories",
    "united_dictionaries",
    "widened",
]


def index_capacity(dtype: pa.DictionaryType) -> int:
    """The most categories the codes of a dictionary of ``dtype`` can number."""
    index = dtype.index_type
    return 2 ** (index.bit_width - pa.types.is_signed_integer(index))


def codes_for(dtype: pa.DictionaryType, count: int) -> pa.DictionaryType:
    """``dtype``, in int32 codes where its own cannot number ``count`` categories (those of
    several dictionaries united: pandas' int8 codes of 100 categories in each of two files)."""
    return int32_codes(dtype) if count > index_capacity(dtype) else dtype


def capacity_in(out_format: Format, output: str) -> Callable[[pa.DictionaryType], int] | None:
    """The most categories a dictionary column can number in ``output``, a file of
    ``out_format`` whose columns hold one dictionary each (their batches' united, which a
    reader of a Parquet file unites too): what int32 codes hold, where the column's own are
    narrower (:func:`widened`). None for an output that holds one a batch (an Arrow stream,
    CSV)."""
    one = out_format is Format.PARQUET or (out_format is Format.ARROW and is_ipc_file(output))
    return (lambda dtype: max(index_capacity(dtype), 2**31)) if one else None


def widened(schema: pa.Schema, categories: Mapping[str, pa.Array]) -> pa.Schema:
    """``schema`` with int32 codes for its dictionary columns of ``categories`` (their united
    categories) that number more than their codes' type holds, as :func:`encoded_as` writes
    them."""
    for name, values in categories.items():
        i = schema.get_field_index(name)
        dtype = schema.field(i).type
        if (wide := codes_for(dtype, len(values))) != dtype:
            schema = schema.set(i, schema.field(i).with_type(wide))
    return schema


def united_categories(
    known: pa.Array | None, dictionary: pa.Array, ordered: bool = False, name: str = ""
) -> pa.Array:
    """The categories of a column whose batches have several dictionaries: ``known`` (those so
    far, None before the first) in their order, then those ``dictionary`` adds, in its order
    (pyarrow's ``unify_dictionaries``, by which pandas reads such a column); a missing value is
    no category. Categories that are ``ordered`` are merged keeping both orders (``low, high``
    and ``low, mid, high``: ``low, mid, high``); where no order keeps both (``z, a`` and ``a,
    z``, or ``a, p, z`` and ``a, q, z``: is p below q?), column ``name`` is refused."""
    if known is not None and dictionary.equals(known):  # the usual case: one dictionary
        return known
    if ordered and known is not None:
        merged = _merged_order(known.to_pylist(), dictionary.drop_null().to_pylist())
        if merged is None:
            raise DataError(
                f"column {name!r}: its ordered categories come in orders that do not tell one "
                f"order of them all ({_shown(known)}, then {_shown(dictionary)})",
                hints=("give its batches one order of categories",),
            )
        return pa.array(merged, known.type)
    values = [dictionary] if known is None else [known, dictionary]
    return pc.unique(pc.drop_null(pa.concat_arrays(values)))


def _merged_order(first: list, then: list) -> list | None:
    """``first`` and ``then`` merged, each one's order kept; None where that does not tell one
    order: the categories both have in other orders, or new ones of each between the same
    two."""
    common = set(first) & set(then)
    if [c for c in first if c in common] != [c for c in then if c in common]:
        return None
    merged: list = []
    i = j = 0
    while i < len(first) or j < len(then):
        gap_first = []
        while i < len(first) and first[i] not in common:
            gap_first.append(first[i])
            i += 1
        gap_then = []
        while j < len(then) and then[j] not in common:
            gap_then.append(then[j])
            j += 1
        if gap_first and gap_then:
            return None
        merged += gap_first + gap_then
        if i < len(first):  # the next category both have
            merged.append(first[i])
            i, j = i + 1, j + 1
    return merged


def _shown(values: pa.Array, limit: int = 6) -> str:
    shown = values.to_pylist()
    more = ", ..." if len(shown) > limit else ""
    return ", ".join(map(str, shown[:limit])) + more


def united_dictionaries(
    sources: Sequence[Reader],
    names: Sequence[str],
    limit: Callable[[pa.DictionaryType], int] | None,
) -> dict[str, pa.Array]:
    """The categories of each of the columns ``names`` that every input holds as a dictionary,
    over all their batches (:func:`united_categories`), where they number at most
    ``limit(its type)``. Read in a pass over those columns alone (the memory of their
    categories, not of the data); none where an input comes from a pipe, which cannot be read
    twice, or where ``limit`` is None."""
    held = [{f.name for f in s.schema if pa.types.is_dictionary(f.type)} for s in sources]
    wanted = [name for name in names if all(name in h for h in held)]
    if limit is None or not wanted or any(s.is_stream for s in sources):
        return {}
    limits = {name: limit(sources[0].schema.field(name).type) for name in wanted}
    united: dict[str, pa.Array | None] = {}
    for source in sources:
        for batch in source.batches([], all_columns=False, also=wanted):
            for name, column in zip(wanted, batch.columns, strict=True):
                if name in united and united[name] is None:
                    continue  # past its limit
                try:
                    values = united_categories(
                        united.get(name), column.dictionary, column.type.ordered, name
                    )
                except DataError as exc:
                    raise exc.within(source.name) from None
                united[name] = values if len(values) <= limits[name] else None
    return {name: values for name, values in united.items() if values is not None}


def encoded_as(batch: pa.RecordBatch, categories: Mapping[str, pa.Array]) -> pa.RecordBatch:
    """``batch`` with its dictionary columns of ``categories`` encoded by them (the united
    categories of every batch: :func:`united_dictionaries`): the same values, each code its
    value's place among them; in int32 codes where more than the column's own type holds (a
    Parquet output's: :func:`capacity_in`)."""
    arrays, schema = list(batch.columns), batch.schema
    for name, values in categories.items():
        i = schema.get_field_index(name)
        column = arrays[i]
        if column.dictionary.equals(values):
            continue
        index = codes_for(column.type, len(values)).index_type
        places = pc.index_in(column.dictionary, value_set=values)
        indices = pc.take(places, column.indices).cast(index)
        arrays[i] = pa.DictionaryArray.from_arrays(indices, values, ordered=column.type.ordered)
        schema = schema.set(i, schema.field(i).with_type(arrays[i].type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
