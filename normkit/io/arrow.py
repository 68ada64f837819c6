"""Arrow columns as float64 numpy arrays and back, and regrouping streams of record batches.

The bridge between Arrow data and the numpy numerics of :mod:`normkit.core`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa

from ..errors import DataError, OptionError
from .lazy import pc

__all__ = [
    "as_null",
    "cast_batch",
    "cast_float64",
    "common_type",
    "dictionary_type_named",
    "extension_name",
    "first_infinite",
    "float64_to_arrow",
    "holds_decimals",
    "holds_integers",
    "holds_text",
    "int32_codes",
    "interchangeable",
    "is_numeric_field",
    "is_numeric_type",
    "is_text_type",
    "kept_metadata",
    "missing_to_null",
    "narrowed",
    "not_numeric",
    "not_numeric_type",
    "numeric_type_named",
    "rechunk",
    "rows_float64",
    "text_array",
    "to_float64",
    "type_key",
    "unified_type",
    "without_views",
]


def is_numeric_type(dtype: pa.DataType) -> bool:
    """True for integer, floating-point and decimal types, and dictionaries of them (as Arrow
    files and pandas categoricals hold repeated numbers); booleans are not numeric."""
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)


def is_numeric_field(field: pa.Field) -> bool:
    """The rule of which columns hold numbers to normalize: those of a numeric type
    (:func:`is_numeric_type`) that is no extension type's storage (:func:`extension_name`). An
    extension type's storage holds values of another kind (a ``pandas.period`` month as its
    int64 ordinal, an ``arrow.bool8`` boolean as int8), or numbers whose meaning only the type
    knows (a user's ``shop.cents``): none is normalized as the numbers it is stored as."""
    return is_numeric_type(field.type) and extension_name(field) is None


#: Keys of a schema's metadata that are another writer's record of the columns' types (pyarrow's
#: stored Arrow schema, Spark's, Avro's, Hugging Face datasets' features), which an output whose
#: columns normkit made float64 would contradict; and normkit's own records (``normkit.``),
#: written anew. pandas' record (``pandas``) is one too, but is made true again: it is kept.
_TYPE_RECORDS = (
    b"ARROW:schema",
    b"org.apache.spark.sql.parquet.row.metadata",
    b"parquet.avro.schema",
    b"avro.schema",
    b"huggingface",
)


def kept_metadata(metadata: dict[bytes, bytes] | None) -> dict[bytes, bytes]:
    """The entries of a schema's ``metadata`` that an output of its data keeps: all but the
    records of the columns' types (:data:`_TYPE_RECORDS`) and normkit's own (an owner, a
    description, pandas' record stay)."""
    return {
        k: v
        for k, v in (metadata or {}).items()
        if k not in _TYPE_RECORDS and not k.startswith(b"normkit.")
    }


#: The key of a field's metadata that names its extension type (Arrow's IPC format; Parquet
#: holds it in the Arrow schema it stores, ``ARROW:schema``).
_EXTENSION_NAME = b"ARROW:extension:name"


def extension_name(field: pa.Field) -> str | None:
    """The name of the extension type of the column ``field`` (``pandas.period``,
    ``arrow.uuid``), or None for a column of one of Arrow's own types. A type registered with
    pyarrow is the field's type; one that is not (``pandas.period`` without pandas imported) is
    read as its storage type, the field's metadata naming it."""
    if isinstance(field.type, pa.BaseExtensionType):
        return field.type.extension_name
    name = (field.metadata or {}).get(_EXTENSION_NAME)
    return None if name is None else name.decode("utf-8", "replace")


def not_numeric(field: pa.Field) -> str:
    """Why the column ``field`` is not normalized, as a refusal to normalize it says it: ``has
    type string, which is not numeric``; an extension type told by its name and storage
    (``has the extension type pandas.period (stored as int64), which is not numeric``)."""
    name = extension_name(field)
    if name is None:
        return not_numeric_type(field.type)
    storage = getattr(field.type, "storage_type", field.type)
    return f"has the extension type {name} (stored as {storage}), which is not numeric"


def not_numeric_type(dtype: object) -> str:
    """:func:`not_numeric` of a column of the type ``dtype`` (Arrow's, or a pandas dtype named
    as pandas names it: ``boolean``)."""
    return f"has type {dtype}, which is not numeric"


def type_key(dtype: pa.DataType) -> object:
    """``dtype`` as a key of a dict or set of types: the type itself, or, for an extension type
    defined in Python (``pa.ExtensionType``, which has no hash unless its class defines one),
    its class, parameters and storage, which tell it from every other type."""
    if isinstance(dtype, pa.ExtensionType):
        return (type(dtype), dtype.__arrow_ext_serialize__(), type_key(dtype.storage_type))
    return dtype


#: Types that hold the same values, with offsets of 32 or 64 bits: one is cast to the other.
#: Tuples: looking a type up in them compares it, without hashing it (see :func:`type_key`).
_INTERCHANGEABLE = (
    (pa.string(), pa.large_string(), pa.string_view()),
    (pa.binary(), pa.large_binary(), pa.binary_view()),
)


def int32_codes(dtype: pa.DictionaryType) -> pa.DictionaryType:
    """A dictionary type of ``dtype``'s values and order in int32 codes: what several
    dictionaries united may need where their own codes are narrower (pandas' int8)."""
    return pa.dictionary(pa.int32(), dtype.value_type, dtype.ordered)


def holds_text(dtype: pa.DataType) -> bool:
    """True for text of any offsets (string, large_string, string_view) and dictionaries of
    it."""
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return dtype in _INTERCHANGEABLE[0]


def without_views(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``array`` with text or bytes held as views (``string_view``, polars' text, also as a
    dictionary's values: its ``Categorical``) held with 64-bit offsets instead, which more of
    Arrow's kernels take (``take``, ``filter``, ``is_in`` have none for views); other arrays
    as they are."""
    dtype = array.type
    dictionary = pa.types.is_dictionary(dtype)
    wide = _WIDE.get(type_key(dtype.value_type if dictionary else dtype))
    if wide is None:
        return array
    return array.cast(pa.dictionary(dtype.index_type, wide, dtype.ordered) if dictionary else wide)


_WIDE = {pa.string_view(): pa.large_string(), pa.binary_view(): pa.large_binary()}


def interchangeable(a: pa.DataType, b: pa.DataType) -> bool:
    """Whether ``a`` and ``b`` are one type, or text (or bytes) of different offsets, which a
    cast turns into each other without loss (pandas writes ``large_string``, others
    ``string``)."""
    return a == b or any(a in kind and b in kind for kind in _INTERCHANGEABLE)


def holds_integers(dtype: pa.DataType, x: np.ndarray | float) -> np.ndarray:
    """Whether a column of the integer ``dtype`` holds each value of ``x``, as read into float64
    (NaN: False): an integer in the type's range, which float64 holds (int64's largest,
    2**63 - 1, is read as 2**63)."""
    info = np.iinfo(dtype.to_pandas_dtype())
    with np.errstate(invalid="ignore"):
        return (np.floor(x) == x) & (float(info.min) <= x) & (x <= float(info.max))


def holds_decimals(dtype: pa.DataType, x: np.ndarray | float) -> np.ndarray:
    """Whether a column of the decimal ``dtype`` holds each value of ``x``, as read into float64
    (NaN: False): a number of the type's scale (to float64's rounding), no larger than the
    type's largest value as read into float64, as :func:`holds_integers` takes int64's (the
    largest decimal128(18, 0), 10**18 - 1, is read as 1e18)."""
    from fractions import Fraction  # 1 ms of start-up, for decimal columns only

    largest = float(Fraction(10**dtype.precision - 1) / Fraction(10) ** dtype.scale)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.multiply(x, 10.0**dtype.scale)
        on_scale = np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))
        return on_scale & (np.abs(x) <= largest)


def numeric_type_named(text: str) -> pa.DataType | None:
    """The numeric Arrow type that ``text`` names as ``str(type)`` writes it (``int32``,
    ``double``, ``decimal128(10, 2)``; a dictionary's value type for a dictionary of numbers),
    or None if it names no numeric type."""
    dictionary = _DICTIONARY.fullmatch(text)
    if dictionary:
        text = dictionary.group(1)
    match = _DECIMAL.fullmatch(text)
    if match:
        bits, precision, scale = (int(g) for g in match.groups())
        try:
            return (pa.decimal128 if bits == 128 else pa.decimal256)(precision, scale)
        except ValueError:  # a precision out of the type's range
            return None
    try:
        dtype = pa.type_for_alias(text)
    except ValueError:
        return None
    return dtype if is_numeric_type(dtype) else None


_DECIMAL = re.compile(r"decimal(128|256)\((\d+), (-?\d+)\)")
_DICTIONARY = re.compile(r"dictionary<values=(.+), indices=(u?int\d+), ordered=([01])>")


def dictionary_type_named(text: str) -> pa.DataType | None:
    """The dictionary-of-numbers type ``text`` names (``dictionary<values=int32, indices=int8,
    ordered=0>``), or None."""
    match = _DICTIONARY.fullmatch(text)
    values = numeric_type_named(text) if match else None
    if values is None:
        return None
    return pa.dictionary(pa.type_for_alias(match.group(2)), values, match.group(3) == "1")


def first_infinite(array: pa.Array) -> int | None:
    """The index of the first infinite value of an Arrow column, or None (integers and decimals
    have none). Checked on float64 buffers in place, without converting the column."""
    dtype = array.type.value_type if pa.types.is_dictionary(array.type) else array.type
    if not pa.types.is_floating(dtype):
        return None
    if pa.types.is_float64(array.type):
        values = np.frombuffer(array.buffers()[1], np.float64, len(array), array.offset * 8)
        if not np.isinf(values).any():  # nulls hold arbitrary values: confirmed below
            return None
    infinite = pc.is_inf(cast_float64(array))
    return pc.index(infinite, True).as_py() if pc.any(infinite).as_py() else None


def common_type(names: Sequence[str]) -> str:
    """The type (as ``str(type)`` writes it) that holds the values of columns of the types
    ``names`` (the files of a data set, the shards of merged statistics): the one type if they
    agree, else Arrow's promotion of their numeric types (uint8 and int16: int16; an integer and
    a float: double; uint64 and int64: int64, whose values beyond it a fit refuses as
    identifiers), where integers beside decimals count as the decimals that hold every value of
    their type (int64 and decimal128(5, 2): decimal128(21, 2)); ``null`` types (columns
    without values) count for nothing."""
    distinct = list(dict.fromkeys(n for n in names if n != "null"))
    if len(distinct) <= 1:
        return distinct[0] if distinct else "null"
    types = [numeric_type_named(n) for n in distinct]
    if any(t is None for t in types):
        return "double"
    if any(map(pa.types.is_decimal, types)):
        # Arrow promotes an integer beside a decimal as a decimal of a digit too few for its
        # largest values from int16 up (int64: 18, but 2**63 - 1 has 19): as the decimal that
        # holds every value of the integer type, the promotion holds them all.
        types = [_integer_digits(t) if pa.types.is_integer(t) else t for t in types]
    try:
        schema = pa.unify_schemas(
            [pa.schema([("x", t)]) for t in types], promote_options="permissive"
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return "double"
    return str(schema.field("x").type)


def _integer_digits(dtype: pa.DataType) -> pa.DataType:
    """The decimal type of scale 0 that holds every value of the integer ``dtype`` (int8:
    decimal128(3, 0), int64: decimal128(19, 0), uint64: decimal128(20, 0))."""
    info = np.iinfo(dtype.to_pandas_dtype())
    return pa.decimal128(len(str(max(-int(info.min), int(info.max)))), 0)


#: The names of the text types (``string``, ``large_string``, ``string_view``).
_TEXT_NAMES = tuple(sorted(map(str, _INTERCHANGEABLE[0])))


def is_text_type(name: str) -> bool:
    """Whether the type ``name`` (as ``str(type)`` writes it) holds text, as :func:`holds_text`
    finds it: a string of any offsets (polars writes ``string_view``), or a dictionary of
    strings (pandas' ``category``, polars' ``Categorical``)."""
    return name in _TEXT_NAMES or any(
        name.startswith(f"dictionary<values={t},") for t in _TEXT_NAMES
    )


def unified_type(names: Sequence[str]) -> str | None:
    """The type that holds columns of the types ``names`` without changing a value's kind: the
    one type, ``large_string`` for text of several types (``string``, ``large_string``,
    dictionaries of them), or the promotion of numeric types (:func:`common_type`); None where
    kinds mix (text, numbers, booleans)."""
    distinct = set(names) - {"null"}
    if len(distinct) > 1 and all(map(is_text_type, distinct)):
        return "large_string"
    if len(distinct) > 1 and any(numeric_type_named(n) is None for n in distinct):
        return None
    return common_type(names)


def as_null(batch: pa.RecordBatch, names: Iterable[str], nulls: Sequence[str]) -> pa.RecordBatch:
    """``batch`` with the values of its text columns ``names`` that are among ``nulls`` null."""
    arrays = list(batch.columns)
    for name in names:
        i = batch.schema.get_field_index(name)
        if i < 0:
            continue
        text = arrays[i]
        absent = pc.is_in(text, value_set=text_array(nulls).cast(text.type))
        if pc.any(absent).as_py():
            arrays[i] = pc.if_else(absent, pa.scalar(None, text.type), text)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def cast_batch(batch: pa.RecordBatch, schema: pa.Schema, where: str, row: int) -> pa.RecordBatch:
    """``batch`` cast to ``schema``, which holds its values (one output's types: timestamps of
    a finer unit, wider integers); a timestamp beyond the finer unit's range (292,000 years
    from 1970 in microseconds) refused, naming ``where`` (a file), the column and its data row
    (``row``: the batch's first, 0-based)."""
    try:
        return batch.cast(schema)
    except pa.ArrowInvalid:
        for column, field in zip(batch.columns, schema, strict=True):
            if not (pa.types.is_timestamp(column.type) and pa.types.is_timestamp(field.type)):
                continue
            factor = _UNIT_NANOS[column.type.unit] // _UNIT_NANOS[field.type.unit]
            ticks = pc.abs(column.cast(pa.int64()))
            beyond = pc.fill_null(pc.greater(ticks, np.iinfo(np.int64).max // factor), False)
            if pc.any(beyond).as_py():
                k = pc.index(beyond, True).as_py()
                raise DataError(
                    f"{where}: column {field.name!r} at data row {row + k + 1:,}: "
                    f"{column.cast(pa.int64())[k].as_py()} {column.type.unit} from 1970 is "
                    f"beyond {field.type}, the finer unit the other inputs give it, which one "
                    "output holds",
                    hints=("transform the inputs separately",),
                ) from None
        raise


_UNIT_NANOS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def text_array(values: Sequence[str]) -> pa.Array:
    """An Arrow string array of ``values``, built from its buffers: ``pa.array`` of a Python
    list imports pandas (half a second) to look for pandas objects in it."""
    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def to_float64(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A float64 numpy view (or copy, where nulls or a cast need one) of an Arrow column, with
    nulls as NaN."""
    if isinstance(array, pa.ChunkedArray):  # one chunk as it is: combining copies it
        array = array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()
    array = cast_float64(array)
    # Read the buffers directly: to_numpy and pa.scalar import pandas on first use, half a
    # second in which a Ctrl-C can be lost inside pyarrow.
    n, start = len(array), array.offset
    values = np.frombuffer(array.buffers()[1], dtype=np.float64, count=n, offset=start * 8)
    if array.null_count:
        bitmap = np.frombuffer(array.buffers()[0], dtype=np.uint8)
        valid = np.unpackbits(bitmap, count=start + n, bitorder="little")[start:].view(bool)
        values = np.where(valid, values, np.nan)
    return values


def rows_float64(batch: pa.RecordBatch) -> np.ndarray:
    """The columns of ``batch`` as one new float64 array (the caller's to overwrite), a row of
    it per record, each column as :func:`to_float64` gives it (nulls as NaN): in one copy where
    every column is float64 or int64 (pyarrow's ``to_tensor``), else column by column. For a
    batch of few rows and many columns, where the cost of a call per column is the whole
    cost."""
    if all(type_key(t) in _TENSOR_TYPES for t in batch.schema.types):
        # From the system allocator, which gives it back once freed: the default pool would
        # keep it, for the rest of the run, beside numpy's arrays of the same size.
        rows = batch.to_tensor(null_to_nan=True, memory_pool=pa.system_memory_pool()).to_numpy()
        return rows if rows.flags.writeable else rows.copy()
    if not batch.num_columns:
        return np.empty((batch.num_rows, 0))
    return np.column_stack([to_float64(column) for column in batch.columns])


#: The types :func:`rows_float64` hands to ``to_tensor``, which reads them as float64 (int64
#: rounded to the nearest, as :func:`cast_float64` rounds it).
_TENSOR_TYPES = frozenset({pa.float64(), pa.int64()})


def cast_float64(array: pa.Array) -> pa.Array:
    """``array`` as float64. Unsafe on purpose: an int64 beyond 2**53 rounds to the nearest
    float64, as numpy and scikit-learn round it, rather than failing."""
    if pa.types.is_float64(array.type):
        return array
    if pa.types.is_decimal(array.type):
        # Arrow's cast of a decimal to float64 divides by a power of ten in floating point: one
        # value in seven of two decimal places came out a unit in the last place off. Through
        # its text, each is the float64 nearest the decimal, as Python's float(Decimal) gives.
        return pc.cast(pc.cast(array, pa.string()), pa.float64())
    return pc.cast(array, pa.float64(), safe=False)


def float64_to_arrow(values: np.ndarray, like: pa.Array) -> pa.Array:
    """A float64 Arrow array of ``values`` carrying ``like``'s nulls, so missing stays missing.

    Built from buffers (zero-copy for ``values``), for the reason given in :func:`to_float64`.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    validity = None
    if like.null_count:
        valid = pc.is_valid(like)  # a new array: its bitmap starts at bit 0
        assert valid.offset == 0
        validity = valid.buffers()[1]
    return pa.Array.from_buffers(
        pa.float64(), len(values), [validity, pa.py_buffer(values)], like.null_count
    )


def missing_to_null(
    batch: pa.RecordBatch,
    float_columns: Sequence[str],
    infinite: bool = True,
    numbers: Sequence[float] = (),
    narrow: Mapping[str, np.ndarray] | None = None,
) -> pa.RecordBatch:
    """The batch with the values of ``float_columns`` that are missing values made missing
    (null): infinite ones (``infinite``) and those equal to one of ``numbers`` (the missing
    values that are numbers, ``-999``); in a column that ``narrow`` names, equal to one of its
    numbers instead: ``numbers`` as the column's type holds them (:func:`narrowed`: ``-999.9``
    of a float32 column is -999.9000244140625 as float64). Those columns are nullable, whether
    or not this batch held such a value."""
    arrays, schema = list(batch.columns), batch.schema
    markers = np.asarray(numbers, dtype=np.float64)
    for name in float_columns:
        i = schema.get_field_index(name)
        if not schema.field(i).nullable:
            schema = schema.set(i, schema.field(i).with_nullable(True))
        values = to_float64(arrays[i])
        missing = np.isinf(values) if infinite else np.zeros(len(values), dtype=bool)
        marks = narrow.get(name, markers) if narrow else markers
        if marks.size:
            missing |= np.isin(values, marks)
        if missing.any():
            # NaN read as such stays NaN (to_float64 gives NaN for the missing values too).
            valid = ~missing
            if arrays[i].null_count:
                valid &= np.asarray(arrays[i].is_valid())
            bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
            data = pa.py_buffer(np.where(valid, values, 0.0))
            nulls = len(values) - int(valid.sum())
            arrays[i] = pa.Array.from_buffers(pa.float64(), len(values), [bitmap, data], nulls)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def narrowed(numbers: np.ndarray, dtype: pa.DataType | None) -> np.ndarray:
    """``numbers`` as a float column of ``dtype`` holds them (float16, float32; None: as they
    are), back in float64: those it cannot hold (beyond its range, or 0 for a number that is
    not) left out."""
    if dtype is None or not (pa.types.is_float16(dtype) or pa.types.is_float32(dtype)):
        return numbers
    with np.errstate(over="ignore"):
        held = numbers.astype(dtype.to_pandas_dtype()).astype(np.float64)
    return held[np.isfinite(held) & ((held != 0) | (numbers == 0))]


def rechunk(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Regroup a stream of record batches into batches of exactly ``rows`` rows (the last may be
    shorter, as is the last before a batch of another schema: a CSV column that a word made text
    from then on). Slices are zero-copy; rows that straddle two input batches are copied once."""
    if rows < 1:
        raise OptionError(f"the chunk size must be at least 1 row, not {rows}")
    pending: list[pa.RecordBatch] = []
    n_pending = 0
    for batch in batches:
        if pending and not batch.schema.equals(pending[0].schema):
            yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
            pending, n_pending = [], 0
        pending.append(batch)
        n_pending += batch.num_rows
        if n_pending < rows:
            continue
        table = pa.Table.from_batches(pending)
        start = 0
        while n_pending - start >= rows:
            yield table.slice(start, rows).combine_chunks().to_batches()[0]
            start += rows
        rest = table.slice(start)
        pending = rest.combine_chunks().to_batches() if rest.num_rows else []
        n_pending = rest.num_rows
    if n_pending:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]
