"""Fitted statistics applied to tables: Arrow record batches and tables, streams of them, numpy
arrays and pandas DataFrames, in the frozen mode (BatchNorm's learning modes are
:mod:`.learning`'s).

Fitted columns become float64; every other column passes through unchanged, in its place.
The arithmetic is :mod:`normkit.core.kernels`' (subtract, then true division), so the output
equals numpy's ``(x - mean) / scale`` bit for bit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..core import kernels
from ..errors import (
    SchemaError,
    alike_names,
    infinite_error,
    listed,
)
from ..io.arrow import first_infinite, float64_to_arrow, to_float64
from ..stats.fitted import Affine
from .numbers import pandas_float64, refuse_non_numbers
from .tables import (
    column_name,
    from_arrow_like,
    is_eager_frame,
    is_pandas,
    layout,
    refuse_duplicate_columns,
    row_major,
    table_to_arrow,
)

__all__ = [
    "affine_map",
    "array_names",
    "as_arrow",
    "check_columns",
    "feature_count_message",
    "map_batch",
    "map_columns",
    "output_schema",
    "pandas_columns",
    "pandas_index_columns",
    "refuse_infinite",
    "with_pandas_columns",
]

#: A batch of at most this many rows is mapped all columns at once by an :class:`AffineMap`
#: (wide data: the work per column outweighs the arithmetic), and so is a longer one whose fitted
#: columns are float64 without nulls (read in place: each column in one pass rather than one per
#: operation); otherwise column by column, each column's float64 copy freed as the next is made.
AT_ONCE_ROWS = 8192

#: Replaces fitted column ``j``'s values: (j, float64 values) -> float64 values.
ColumnMap = Callable[[int, np.ndarray], np.ndarray]


def feature_count_message(got: int, expected: int, fitted: int | None = None) -> str:
    """scikit-learn's words for an array of the wrong width; ``fitted``: the width of the
    fitted columns alone, which an array may hold too, where it is another."""
    alone = f" (or the {fitted} fitted columns alone)" if fitted not in (None, expected) else ""
    return (
        f"X has {got} features, but Standardizer is expecting {expected} features as input{alone}"
    )


def array_names(n_columns: int) -> list[str]:
    """The names of a 2-d array's columns: ``x0, x1, ...`` (scikit-learn's)."""
    return [f"x{i}" for i in range(n_columns)]


def as_arrow(
    X: Any, offset: int = 0, fitted: Callable[[str], bool] | None = None
) -> pa.Table | pa.RecordBatch:
    """An estimator's input as Arrow: tables and batches as they are, any DataFrame's columns
    (:mod:`.tables`), a 2-d array's columns named ``x0, x1, ...``; ``offset``: the rows before
    it in a stream, for messages; ``fitted``: whether a column may be fitted (see
    :func:`~.tables.table_to_arrow`)."""
    if isinstance(X, pa.RecordBatch | pa.Table) or is_eager_frame(X):
        return table_to_arrow(X, offset, fitted)
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise SchemaError(f"expected a 2-d array, got shape {X.shape}")
        return pa.table(dict(zip(array_names(X.shape[1]), _columns(X), strict=True)))
    raise TypeError(f"cannot fit an object of type {type(X).__name__}")


#: Rows of a row-major array taken at a time (:func:`_in_blocks`): a block of a few MB, its
#: columns read from the cache.
_BLOCK_ROWS = 16_384


def _in_blocks(X: np.ndarray) -> bool:
    """Whether a 2-d array's columns are read a block of rows at a time: a row-major array of
    more rows than a block (a column of it read whole, row after row, takes 8 bytes of each
    cache line it loads: ten times slower)."""
    return layout(X) == "C" and X.shape[1] > 1 and X.shape[0] > _BLOCK_ROWS


def _columns(X: np.ndarray) -> np.ndarray:
    """The columns of a 2-d array, each contiguous where :func:`_in_blocks` (the rows of the
    array returned), else as views."""
    if not _in_blocks(X):
        return X.T
    columns = np.empty((X.shape[1], X.shape[0]), dtype=X.dtype)
    for start in range(0, X.shape[0], _BLOCK_ROWS):
        columns[:, start : start + _BLOCK_ROWS] = X[start : start + _BLOCK_ROWS].T
    return columns


def check_columns(present: Sequence[str], names: Sequence[str], where: str = "") -> None:
    """Refuse an input that lacks a column of the statistics (``where``: its name)."""
    have = set(present)
    absent = [n for n in names if n not in have]
    if absent:
        prefix = f"{where}: " if where else ""
        which = "no such column" if len(absent) == 1 else "none of them"
        raise SchemaError(
            f"{prefix}the stat file has {listed(absent)} but the input has {which}",
            hints=alike_names(absent, present),
        )


def output_schema(schema: pa.Schema, names: Sequence[str]) -> pa.Schema:
    """The schema of transformed data: the fitted columns ``names`` become float64, the others
    are unchanged."""
    check_columns(schema.names, names)
    fitted = set(names)
    float64 = pa.float64()
    fields = [f.with_type(float64) if f.name in fitted and f.type != float64 else f for f in schema]
    return pa.schema(fields, metadata=_pandas_updated(schema.metadata, fitted))


#: pandas' record of a float64 column (what a transform makes of a fitted column).
_FLOAT64_ENTRY = {"pandas_type": "float64", "numpy_type": "float64", "metadata": None}


def _pandas_document(metadata: dict | None) -> dict | None:
    """pandas' record in schema metadata (``to_parquet`` writes it), parsed; None where there is
    none, or where it is not as pandas writes it (an object whose ``columns`` is a list of
    objects and ``index_columns`` a list): unreadable, pandas cannot read it back either."""
    raw = (metadata or {}).get(b"pandas")
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    columns, index = doc.get("columns", []), doc.get("index_columns", [])
    if not isinstance(columns, list) or not all(isinstance(c, dict) for c in columns):
        return None
    return doc if isinstance(index, list) else None


def _field_name(entry: dict) -> str | None:
    name = entry.get("field_name")
    return name if isinstance(name, str) else None


def pandas_index_columns(schema: pa.Schema) -> frozenset[str]:
    """The columns of ``schema`` that pandas' metadata names as a DataFrame's index (written
    with ``to_parquet``, a named or non-range index is stored as columns): an index is no
    feature, and is passed through where columns are chosen by their type."""
    doc = _pandas_document(schema.metadata)
    index = doc.get("index_columns", []) if doc is not None else []
    return frozenset(c for c in index if isinstance(c, str))


def pandas_columns(schema: pa.Schema, names: Sequence[str]) -> dict[str, dict] | None:
    """pandas' record of the columns ``names`` in ``schema``'s metadata (each column's entry of
    its ``columns`` list, by field name) where it is not float64's, or None: what a transform
    turns into float64, kept so that an inverse gives pandas its types back (a nullable
    ``Int64`` read as such, not as float64)."""
    doc = _pandas_document(schema.metadata)
    if doc is None:
        return None
    wanted = set(names)
    return {
        c["field_name"]: c
        for c in doc.get("columns", [])
        if _field_name(c) in wanted and {k: c.get(k) for k in _FLOAT64_ENTRY} != _FLOAT64_ENTRY
    } or None


def with_pandas_columns(schema: pa.Schema, entries: dict[str, dict]) -> pa.Schema:
    """``schema`` with pandas' record of the columns of ``entries`` replaced by them (those
    columns only: the index and the others are kept as they are)."""
    doc = _pandas_document(schema.metadata)
    if not entries or doc is None:
        return schema
    doc["columns"] = [entries.get(_field_name(c), c) for c in doc.get("columns", [])]
    return schema.with_metadata({**schema.metadata, b"pandas": json.dumps(doc).encode("utf-8")})


def _pandas_updated(metadata: dict | None, fitted: set[str]) -> dict | None:
    """Schema metadata with pandas' record of the fitted columns' types made float64 (the rest,
    such as the index, kept): pandas would otherwise read a stale type from it."""
    if not metadata or b"pandas" not in metadata:
        return metadata
    doc = _pandas_document(metadata)
    if doc is None:
        return {k: v for k, v in metadata.items() if k != b"pandas"}  # unreadable: dropped
    for column in doc.get("columns", []):
        if _field_name(column) in fitted:
            column.update(_FLOAT64_ENTRY)
    return {**metadata, b"pandas": json.dumps(doc).encode("utf-8")}


class AffineMap:
    """The frozen transform (or its inverse) as a per-column map, which :func:`map_columns`
    applies to all the columns of a record batch at once (:meth:`rows`): the same bits, without
    the work per column that dominates a batch of thousands of columns."""

    __slots__ = ("affine", "inverse")

    def __init__(self, affine: Affine, inverse: bool = False):
        self.affine, self.inverse = affine, inverse

    def __call__(self, j: int, x: np.ndarray) -> np.ndarray:
        kernel = kernels.inverse_standardize if self.inverse else kernels.standardize
        a = self.affine
        return kernel(x, a.center[j], a.scale[j], a.gamma[j], a.beta[j])

    def rows(self, columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Every column mapped (column ``j`` by the statistics of column ``j``): the rows of
        one new array; and whether each row holds an infinite value."""
        kernel = kernels.inverse_standardize_rows if self.inverse else kernels.standardize_rows
        a = self.affine
        return kernel(columns, a.center, a.scale, a.gamma, a.beta)


def affine_map(affine: Affine, inverse: bool = False) -> ColumnMap:
    """The frozen transform (or its inverse) as a per-column map."""
    return AffineMap(affine, inverse)


def _in_place(column: pa.Array) -> bool:
    """Whether :func:`_map_affine` reads ``column`` in place (float64 without nulls)."""
    return column.type == pa.float64() and not column.null_count


def _map_affine(
    X: pa.RecordBatch, arrays: list, at: list[int], fn: AffineMap, schema: pa.Schema
) -> tuple[pa.RecordBatch, np.ndarray]:
    """:func:`map_batch` by an :class:`AffineMap`: the fitted columns (at ``at``) as the rows
    of one array, mapped at once."""
    n = X.num_rows
    float64 = pa.float64()
    given = []
    for i in at:
        column = arrays[i]
        if _in_place(column):
            given.append(np.frombuffer(column.buffers()[1], np.float64, n, column.offset * 8))
        else:
            given.append(to_float64(column))
    values, infinite = fn.rows(given)
    for j, i in enumerate(at):
        column = arrays[i]
        if column.null_count:
            arrays[i] = float64_to_arrow(values[j], column)
        else:
            arrays[i] = pa.Array.from_buffers(float64, n, [None, pa.py_buffer(values[j])], 0)
    return pa.RecordBatch.from_arrays(arrays, schema=schema), infinite


def map_batch(
    X: pa.RecordBatch, names: Sequence[str], fn: ColumnMap
) -> tuple[pa.RecordBatch, np.ndarray | None]:
    """:func:`map_columns` of a record batch; with it, where the mapping found it out at no
    cost, whether each of ``names`` came out holding an infinite value (in a slot that may be
    null: a hit is to be confirmed), or None where it is not known."""
    names = list(names)
    schema = output_schema(X.schema, names)
    arrays = list(X.columns)
    index = {name: i for i, name in enumerate(X.schema.names)}
    at = [index[name] for name in names]
    if isinstance(fn, AffineMap) and (
        X.num_rows <= AT_ONCE_ROWS or all(_in_place(arrays[i]) for i in at)
    ):
        return _map_affine(X, arrays, at, fn, schema)
    for j, i in enumerate(at):
        arrays[i] = float64_to_arrow(fn(j, to_float64(arrays[i])), arrays[i])
    return pa.RecordBatch.from_arrays(arrays, schema=schema), None


def map_columns(X: Any, names: Sequence[str], fn: ColumnMap, offset: int = 0) -> Any:
    """Replace each fitted column ``j`` of ``X`` by ``fn(j, values)``; keep the rest.

    ``X`` is a record batch, a table, a 2-d array (its columns are the fitted ones), a pandas
    DataFrame, or an iterable of record batches (returned as a generator); ``offset``: the rows
    before it in a stream (the row a refused value is at counts them).
    """
    names = list(names)
    if isinstance(X, pa.RecordBatch | pa.Table):
        refuse_duplicate_columns(X)
        refuse_non_numbers(X, names, offset)
    if isinstance(X, pa.RecordBatch):
        return map_batch(X, names, fn)[0]
    if isinstance(X, pa.Table):
        schema = output_schema(X.schema, names)
        return pa.Table.from_batches(
            [map_batch(b, names, fn)[0] for b in X.to_batches()], schema=schema
        )
    if isinstance(X, np.ndarray):
        if X.ndim != 2 or X.shape[1] != len(names):
            raise SchemaError(
                feature_count_message(X.shape[-1], len(names))
                if X.ndim == 2
                else f"expected a 2-d array with {len(names)} columns, got shape {X.shape}"
            )
        out = np.empty(X.shape, dtype=np.float64, order=layout(X))
        if not _in_blocks(X):
            for j in range(len(names)):
                out[:, j] = fn(j, np.asarray(X[:, j], dtype=np.float64))
            return out
        for start in range(0, X.shape[0], _BLOCK_ROWS):  # fn takes each block's rows in turn
            rows = slice(start, start + _BLOCK_ROWS)
            columns = np.ascontiguousarray(X[rows].T, dtype=np.float64)
            for j, values in enumerate(columns):
                out[rows, j] = fn(j, values)
        return out
    if is_pandas(X):
        refuse_duplicate_columns(X)
        labels = {column_name(label): label for label in X.columns}  # 0 fitted as "0"
        for name in names:
            if name not in labels:
                raise SchemaError(f"the DataFrame has no column {name!r}")
        rows = row_major(X, names)
        if rows is not None:
            return rows(fn)
        return _replaced(X, {labels[name]: j for j, name in enumerate(names)}, names, fn, offset)
    if is_eager_frame(X):  # polars and others: through Arrow, back to their own kind
        return from_arrow_like(map_columns(table_to_arrow(X), names, fn, offset), X)
    if isinstance(X, Iterable) and not isinstance(X, str | bytes):
        return _map_stream(X, names, fn)
    raise TypeError(f"cannot transform an object of type {type(X).__name__}")


def _replaced(X: Any, fitted: dict[Any, int], names: list[str], fn: ColumnMap, offset: int) -> Any:
    """The pandas DataFrame ``X`` with its column ``label`` of ``fitted`` (the ``j``-th fitted)
    replaced by ``fn(j, values)``, the others kept (their types too): built at once, as one
    column replaced at a time costs a split of pandas' blocks each (20,000 columns: minutes)."""
    import pandas as pd

    arrays = {
        i: (
            fn(fitted[label], pandas_float64(X[label], names[fitted[label]], offset))
            if label in fitted
            else X[label].array.copy()  # the output's own, as a copy of the frame's
        )
        for i, label in enumerate(X.columns)
    }
    out = pd.DataFrame(arrays, index=X.index, copy=False)
    out.columns = X.columns
    out.attrs = dict(X.attrs)
    return out


def _map_stream(batches: Iterable, names: list[str], fn: ColumnMap) -> Iterator:
    done = 0
    for batch in batches:
        yield map_columns(batch, names, fn, done)
        done += len(batch)


def refuse_infinite(
    batches: Iterable[pa.RecordBatch],
    names: Sequence[str],
    locate: Callable[[int, str], str] | None = None,
    hints: Sequence[str] = (),
) -> Iterator[pa.RecordBatch]:
    """The batches, refusing the first infinite value in a column ``names``.

    ``locate(row, name)`` says where a row (counted from 0 over the whole stream) is; by default
    ``column 'a' at row 5`` (counted from 1).
    """
    done = 0
    for batch in batches:
        for name in names:
            column = batch.column(name)
            k = first_infinite(column)
            if k is not None:
                where = (
                    locate(done + k, name)
                    if locate is not None
                    else f"column {name!r} at row {done + k + 1:,}"
                )
                raise infinite_error(where, float(to_float64(column.slice(k, 1))[0]), hints)
        done += batch.num_rows
        yield batch
