"""An inverse's columns given back in the types the data transformed had (integers, decimals,
narrower floats), as the inputs' records keep them, else as the statistics record them; or
refused where the values cannot be those of that type."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pyarrow as pa

from ..core import kernels
from ..errors import DataError, param
from ..io.arrow import common_type, dictionary_type_named, numeric_type_named, to_float64
from ..io.dataset import Concatenated, dataset_dtypes
from ..io.dictionaries import codes_for
from ..io.lazy import pc
from ..io.reader import Reader
from ..stats.fitted import Affine, FittedStats
from ..stats.recipe import Recipe, says
from .texttypes import recorded_categories

__all__ = ["restored_batch", "restored_types", "transformed_dtypes"]


def transformed_dtypes(sources: Sequence[Reader], names: Sequence[str]) -> dict[str, str]:
    """The types of the normalized columns ``names`` in the data a transform reads, as a stat
    file records a fit's (``str(type)``), for the output's record (:attr:`Recipe.dtypes`): the
    type every input with rows gives a column, or, where they differ, the common type that holds
    them all (:func:`~normkit.io.arrow.common_type`: int8 and int64, int64; an integer and a
    float, double). A CSV's types are its first rows' guess: a column they type as integers (a
    fraction may come later) or leave without a value is left out, and an inverse restores it
    as the statistics record it."""
    typed = all(s.typed for s in sources if s.has_rows is not False)
    out = {}
    for name, text in zip(names, dataset_dtypes(sources, names), strict=True):
        guessed = text == "null" or text.startswith(("int", "uint"))
        if typed or not guessed:
            out[name] = text
    return out


def restored_types(
    stats: FittedStats, records: Sequence[Recipe | None]
) -> tuple[dict[str, pa.DataType], frozenset[str], dict[str, pa.Array]]:
    """The types other than float64 an inverse restores its columns to (integers, narrower
    floats, decimals; dictionaries of them), of those the columns whose type the inputs'
    records keep, and the categories of the dictionaries (which the inputs' records keep alike:
    :attr:`Recipe.dictionaries`). A column's type is the one the data transformed had, as each
    input's record keeps it (:attr:`Recipe.dtypes`; where inputs had different ones, the common
    type that holds them all), else (an input without a record, or one that keeps no type of
    the column) the one the statistics record. A dictionary comes back in codes that number its
    categories (several files' united can outnumber their own), and as its values where its
    categories are not kept (more than the records keep: categories in the order its rows
    come would be no column's)."""
    out, kept = {}, set()
    for name, text in zip(stats.names, stats.dtypes, strict=True):
        told = [r.dtypes.get(name) if r is not None and r.dtypes else None for r in records]
        if any(t is not None for t in told):
            text = common_type([t if t is not None else text for t in told])
            kept.add(name)
        dtype = dictionary_type_named(text) or numeric_type_named(text)
        if dtype is not None and dtype != pa.float64():
            out[name] = dtype
    categories = recorded_categories(records, out, of="dictionaries")
    for name, dtype in list(out.items()):
        if not pa.types.is_dictionary(dtype):
            continue
        values = categories.get(name)
        if values is not None and values.type == dtype.value_type:
            out[name] = codes_for(dtype, len(values))
        elif pa.types.is_float64(dtype.value_type):
            del out[name]
        else:
            out[name] = dtype.value_type
    return out, frozenset(kept & set(out)), categories


#: Roundings in a value's way through two transforms and back (an inverse of data normalized
#: twice): each off by at most 2**-53 of a magnitude no larger than |x| + |center| + |beta| *
#: scale / |gamma|.
_ROUNDINGS = 24


def restored_batch(
    batch: pa.RecordBatch,
    given: pa.RecordBatch,
    types: dict[str, pa.DataType],
    schema: pa.Schema,
    at: tuple[Concatenated, int],
    recorded: bool,
    affine: Affine,
    names: list[str],
    dictionaries: Mapping[str, pa.Array],
    as_transformed: Collection[str] = (),
) -> pa.RecordBatch:
    """The restored columns of ``batch`` (``given``, mapped back by ``affine``) in the types
    they were: integers and decimals within rounding of their values (and in the type's range;
    NaN, which they cannot hold, as missing), narrower floats within the type's range, a
    dictionary (of the categories the inputs' records keep: ``dictionaries``) as the nearest of
    them (:func:`_nearest_categories`);
    otherwise the row is named (``at``: the batches, and the rows before this one). An integer
    or decimal is given back only where it is certainly the one transformed: the roundings of
    its way there and back (:data:`_ROUNDINGS`) cannot reach a neighbour, or, transformed
    again, it gives the value read and its neighbours do not (beyond 2**53, or near it with a
    large center, float64 does not tell them apart). ``recorded``: whether how the inputs were
    normalized is known (recorded by them, or every setting given): if not, a refusal says to
    give the settings. ``as_transformed``: the columns whose types the inputs' records keep
    (:func:`restored_types`), which a refusal names as the source of the type."""
    arrays = list(batch.columns)
    position = {name: j for j, name in reversed(list(enumerate(names)))}  # as names.index
    for name, written in types.items():
        # A dictionary of numbers is restored as its values, then encoded by its categories.
        dtype = written.value_type if pa.types.is_dictionary(written) else written
        i = batch.schema.get_field_index(name)
        column = arrays[i]
        values = np.frombuffer(column.buffers()[1], np.float64, len(column), column.offset * 8)
        valid = ~np.asarray(column.is_null()) if column.null_count else np.ones(len(values), bool)
        digits = 0 if pa.types.is_integer(dtype) else getattr(dtype, "scale", None)
        if digits is not None:  # integers and decimals hold no NaN: it is a missing value
            valid &= ~np.isnan(values)
        j = position[name]
        mapping = [float(a[j]) for a in (affine.center, affine.scale, affine.gamma, affine.beta)]
        z = to_float64(given.column(name))
        c, sc, g, b = map(abs, mapping)
        with np.errstate(invalid="ignore", over="ignore"):
            # The roundings of a value's way there and back, in its units.
            slack = _ROUNDINGS * 2.0**-53 * (np.abs(values) + c + b * sc / g)
        categories = dictionaries.get(name) if pa.types.is_dictionary(written) else None
        if categories is not None and categories.type == dtype:
            valid &= ~np.isnan(values)
            codes, bad, why = _nearest_categories(values, valid, slack, z, mapping, categories)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise _refusal(at, name, k, float(values[k]), why, recorded)
            indices = pa.array(codes, written.index_type, mask=None if valid.all() else ~valid)
            arrays[i] = pa.DictionaryArray.from_arrays(indices, categories, ordered=written.ordered)
            continue
        with np.errstate(invalid="ignore", over="ignore"):
            if digits is None:  # a narrower float: in its range, and the one transformed
                zero = _zero(values, slack, z, mapping)
                wanted = np.where(zero, 0.0, values)
                narrow = values.astype(dtype.to_pandas_dtype())
                bad = valid & np.isinf(narrow)
                why = f"is beyond the range of {dtype}"
                alone = zero | _narrow_alone(values, narrow, slack, z, mapping)
                inexact = valid & ~np.isnan(values) & ~alone
                if inexact.any() and not bad.any():
                    bad = inexact
                    why = (
                        f"may be another {np.dtype(dtype.to_pandas_dtype())} than the one "
                        "transformed (float64 does not tell them apart there and back)"
                    )
            else:
                shifted = values * 10.0**digits
                wanted = np.round(shifted)
                off = np.abs(shifted - wanted)
                slack = slack * 10.0**digits
                # Within the rounding of its way there and back (-6.999996 for -7 beside a mean
                # of 2.5e10), an integer still; beyond it, not one, however large (1705376857.58
                # is no time in seconds).
                bad = valid & (off > np.maximum(1e-6, slack))
                kind = "integer" if digits == 0 else f"number of {digits} decimals"
                why = f"is not {'an' if digits == 0 else 'a'} {kind}"
                near = off + slack < 0.5
                inexact = valid & ~(near | _made_alone(wanted, digits, z, mapping))
                if inexact.any() and not bad.any():
                    bad = inexact
                    why = (
                        f"may be another {kind} than the one transformed (float64 does not tell "
                        "them apart there and back)"
                    )
                if pa.types.is_integer(dtype):
                    info = np.iinfo(dtype.to_pandas_dtype())
                    out_of_range = valid & ((wanted < info.min) | (wanted > info.max))
                else:
                    out_of_range = valid & (np.abs(wanted) >= 10.0**dtype.precision)
                if out_of_range.any() and not bad.any():
                    bad, why = out_of_range, f"is beyond the range of {dtype}"
                wanted = wanted / 10.0**digits if digits else wanted
        hit = np.flatnonzero(bad)
        if hit.size:
            k = int(hit[0])
            typed = (dtype, name in as_transformed)
            raise _refusal(at, name, k, float(values[k]), why, recorded, typed)
        restored = pa.array(wanted, pa.float64(), mask=None if valid.all() else ~valid)
        arrays[i] = pc.cast(restored, dtype, safe=False)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _refusal(
    at: tuple[Concatenated, int],
    name: str,
    k: int,
    value: float,
    why: str,
    recorded: bool,
    typed: tuple[pa.DataType, bool] | None = None,
) -> DataError:
    """The refusal of the restored ``value`` of row ``k`` of a batch (``at``: the batches, and
    the rows before this one) that ``why`` says is not what was transformed; ``typed``: the
    type restored, and whether the inputs' records keep it (else the stat file does)."""
    read, rows = at
    source, row = read.source_of(rows + k)
    if typed is not None:
        dtype, kept = typed
        if not kept:
            why = f"{why}, but the stat file records the column as {dtype}"
        else:
            why = f"{why}, but the column was {dtype} in the data normalized ({says(source)})"
    hints = [f"keep float64 ({param('restore_types', False)})"]
    if not recorded:
        hints.insert(
            0,
            f"give the statistics ({param('use')}), {param('gamma')} and {param('beta')} "
            "the data was normalized with (this input does not record them)",
        )
    return DataError(
        f"{source.name}: column {name!r} at data row {row + 1:,}: the restored value "
        f"{value!r} {why}",
        hints=hints,
    )


def _nearest_categories(
    values: np.ndarray,
    valid: np.ndarray,
    slack: np.ndarray,
    z: np.ndarray,
    mapping: list[float],
    categories: pa.Array,
) -> tuple[np.ndarray, np.ndarray, str]:
    """The place among ``categories`` (a dictionary's values, as the input held them) of each
    of ``values`` (``z`` mapped back): the nearest category, where it is the one transformed:
    within ``slack`` (the roundings of the way there and back) of the value, or, transformed
    again (``mapping``: center, scale, gamma and beta), giving ``z``; and no other category
    is so (float64 would not tell them apart). Also the values (among ``valid``) refused, and
    why: none of the categories, else more than one."""
    given = to_float64(categories)
    order = np.argsort(given, kind="stable")
    ordered = given[order]
    last = len(ordered) - 1
    x = np.where(valid, values, 0.0)
    above = np.clip(np.searchsorted(ordered, x), 0, last)
    below = np.clip(above - 1, 0, last)
    near = np.where(np.abs(x - ordered[below]) <= np.abs(ordered[above] - x), below, above)

    def made(k: np.ndarray) -> np.ndarray:
        return (kernels.standardize(ordered[k], *mapping) == z) | (np.abs(ordered[k] - x) <= slack)

    fits = made(near)
    # A neighbour that fits too (a neighbour clipped to the nearest itself is none).
    lower, upper = np.maximum(near - 1, 0), np.minimum(near + 1, last)
    twice = ((lower != near) & made(lower)) | ((upper != near) & made(upper))
    none = valid & ~fits
    if none.any():
        k = int(np.flatnonzero(none)[0])
        nearest = float(ordered[near[k]])
        why = (
            f"is none of the {len(ordered):,} categories of its dictionary, which the input's "
            f"record keeps (the nearest: {nearest!r})"
        )
        return order[near], none, why
    why = (
        "may be another category of its dictionary than the one transformed (float64 does "
        "not tell them apart there and back)"
    )
    return order[near], valid & twice, why


def _narrow_alone(
    values: np.ndarray, narrow: np.ndarray, slack: np.ndarray, z: np.ndarray, mapping: list[float]
) -> np.ndarray:
    """Whether each of ``values`` (float64, within ``slack`` of a value of a narrower float
    transformed into ``z``) gives that value back as ``narrow`` (``values`` rounded to that
    type): no other value of the type is within ``slack`` of it, or, transformed again
    (``mapping``: center, scale, gamma and beta), the rounded value gives ``z`` and its
    neighbours in the type do not (the transform keeps order, so no value further away gives
    ``z`` either)."""
    up = np.nextafter(narrow, narrow.dtype.type(np.inf)).astype(np.float64)
    down = np.nextafter(narrow, narrow.dtype.type(-np.inf)).astype(np.float64)
    near = (np.abs(up - values) > slack) & (np.abs(down - values) > slack)

    def again(x: np.ndarray) -> np.ndarray:
        return kernels.standardize(x, *mapping)

    alone = (again(narrow.astype(np.float64)) == z) & (again(up) != z) & (again(down) != z)
    return near | alone


def _zero(values: np.ndarray, slack: np.ndarray, z: np.ndarray, mapping: list[float]) -> np.ndarray:
    """Whether each of ``values`` is 0 within ``slack`` and 0 transformed gives ``z``: a 0 given
    back as 0 in a narrower float. Beside a mean of 50, every float32 within about 3.5e-15 of 0
    gives the z of 0 (a zero is at the column's resolution, a float64 rounding of its mean): the
    other values there are below anything the column's transform tells apart, where zeros are
    common (counts, sparse features), and float64 values come back as 0 alike."""
    made = kernels.standardize(np.zeros(1), *mapping)[0]  # the z of 0, once per column
    return (np.abs(values) <= slack) & (z == made)


def _made_alone(wanted: np.ndarray, digits: int, z: np.ndarray, mapping: list[float]) -> np.ndarray:
    """Whether each of ``wanted`` (numbers in units of 10**-``digits``) is the one number near
    it that the transform ``mapping`` (center, scale, gamma and beta: the kernel's operations)
    makes the value ``z`` of: transformed again, it gives ``z``, and its neighbours do not."""

    def again(units: np.ndarray) -> np.ndarray:
        return kernels.standardize(units / 10.0**digits, *mapping)

    return (again(wanted) == z) & (again(wanted - 1) != z) & (again(wanted + 1) != z)
