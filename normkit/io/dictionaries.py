"""Dictionary columns (a pandas ``category``, an Arrow dictionary) over several batches and
files: their categories united in order, read before the data is written, and batches encoded
by them, so that an output holds one dictionary a column (an Arrow IPC file can hold no other).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pyarrow as pa

from .lazy import pc
from .reader import Reader

__all__ = ["encoded_as", "index_capacity", "united_categories", "united_dictionaries"]


def index_capacity(dtype: pa.DictionaryType) -> int:
    """The most categories the codes of a dictionary of ``dtype`` can number."""
    index = dtype.index_type
    return 2 ** (index.bit_width - pa.types.is_signed_integer(index))


def united_categories(known: pa.Array | None, dictionary: pa.Array) -> pa.Array:
    """The categories of a column whose batches have several dictionaries: ``known`` (those so
    far, None before the first) in their order, then those ``dictionary`` adds, in its order
    (pyarrow's ``unify_dictionaries``, by which pandas reads such a column); a missing value is
    no category."""
    if known is not None and dictionary.equals(known):  # the usual case: one dictionary
        return known
    values = [dictionary] if known is None else [known, dictionary]
    return pc.unique(pc.drop_null(pa.concat_arrays(values)))


def united_dictionaries(
    sources: Sequence[Reader],
    names: Sequence[str],
    limit: Callable[[pa.DictionaryType], int],
) -> dict[str, pa.Array]:
    """The categories of each of the columns ``names`` that every input holds as a dictionary,
    over all their batches (:func:`united_categories`), where they number at most
    ``limit(its type)``. Read in a pass over those columns alone (the memory of their
    categories, not of the data); none where an input comes from a pipe, which cannot be read
    twice."""
    held = [{f.name for f in s.schema if pa.types.is_dictionary(f.type)} for s in sources]
    wanted = [name for name in names if all(name in h for h in held)]
    if not wanted or any(s.is_stream for s in sources):
        return {}
    limits = {name: limit(sources[0].schema.field(name).type) for name in wanted}
    united: dict[str, pa.Array | None] = {}
    for source in sources:
        for batch in source.batches([], all_columns=False, also=wanted):
            for name, column in zip(wanted, batch.columns, strict=True):
                if name in united and united[name] is None:
                    continue  # past its limit
                values = united_categories(united.get(name), column.dictionary)
                united[name] = values if len(values) <= limits[name] else None
    return {name: values for name, values in united.items() if values is not None}


def encoded_as(batch: pa.RecordBatch, categories: Mapping[str, pa.Array]) -> pa.RecordBatch:
    """``batch`` with its dictionary columns of ``categories`` encoded by them (the united
    categories of every batch: :func:`united_dictionaries`): the same values, each code its
    value's place among them."""
    arrays = list(batch.columns)
    for name, values in categories.items():
        i = batch.schema.get_field_index(name)
        column = arrays[i]
        if column.dictionary.equals(values):
            continue
        places = pc.index_in(column.dictionary, value_set=values)
        indices = pc.take(places, column.indices).cast(column.type.index_type)
        arrays[i] = pa.DictionaryArray.from_arrays(indices, values, ordered=column.type.ordered)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)
