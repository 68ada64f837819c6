"""Fitted statistics applied to tables: Arrow record batches and tables, streams of them, numpy
arrays and pandas DataFrames, in the frozen mode and in BatchNorm's learning modes.

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

from .. import params
from ..core import kernels
from ..core.running import BatchSteps, RunningState
from ..errors import (
    DataError,
    OptionError,
    SchemaError,
    alike_names,
    infinite_error,
    listed,
    param,
)
from ..io.arrow import first_infinite, float64_to_arrow, rechunk, to_float64
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
    "STREAM_CHUNK_ROWS",
    "StreamNormalizer",
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

#: Rows per chunk of a batch/adaptive stream (rounded to whole logical batches).
STREAM_CHUNK_ROWS = 65_536

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


def as_arrow(X: Any, offset: int = 0) -> pa.Table | pa.RecordBatch:
    """An estimator's input as Arrow: tables and batches as they are, any DataFrame's columns
    (:mod:`.tables`), a 2-d array's columns named ``x0, x1, ...``; ``offset``: the rows before
    it in a stream, for messages."""
    if isinstance(X, pa.RecordBatch | pa.Table):
        return X
    if is_eager_frame(X):
        return table_to_arrow(X, offset)
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise SchemaError(f"expected a 2-d array, got shape {X.shape}")
        return pa.table(dict(zip(array_names(X.shape[1]), X.T, strict=True)))
    raise TypeError(f"cannot fit an object of type {type(X).__name__}")


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
        for j in range(len(names)):
            out[:, j] = fn(j, np.asarray(X[:, j], dtype=np.float64))
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
        out = X.copy()
        for j, name in enumerate(names):
            label = labels[name]
            out[label] = fn(j, pandas_float64(X[label], name, offset))
        return out
    if is_eager_frame(X):  # polars and others: through Arrow, back to their own kind
        return from_arrow_like(map_columns(table_to_arrow(X), names, fn, offset), X)
    if isinstance(X, Iterable) and not isinstance(X, str | bytes):
        return _map_stream(X, names, fn)
    raise TypeError(f"cannot transform an object of type {type(X).__name__}")


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


class StreamNormalizer:
    """Normalizes a stream of record batches as BatchNorm does while it learns.

    The stream is cut into logical batches of the running statistics' ``batch_size`` rows.
    ``mode="batch"`` (BatchNorm's train mode): each batch is normalized with its own mean and
    biased variance plus eps, and the running statistics are updated. ``mode="adaptive"``
    (online normalization): each batch is normalized with the running statistics as they stood
    before it, then they are updated with it. :attr:`state` follows the stream.

    Parameters
    ----------
    names : sequence of str
        The fitted columns.
    state : RunningState
        The running statistics before the stream.
    mode : {"batch", "adaptive"}
    gamma, beta : ndarray, shape (n_columns,)
    locate : callable (row, name) -> str, or None
        Where a row of the stream (counted from 0) is, for messages; by default ``column 'a'
        at row 5``.

    Raises
    ------
    DataError
        Where a value would be divided by a scale of 0 (a batch without spread, or running
        variance 0, with eps 0): BatchNorm would write NaN.
    """

    def __init__(
        self,
        names: Sequence[str],
        state: RunningState,
        mode: str,
        gamma: np.ndarray,
        beta: np.ndarray,
        locate: Callable[[int, str], str] | None = None,
    ):
        params.check("mode", mode)
        if mode == "frozen":
            raise OptionError(
                "a frozen transform learns nothing: transform the stream with transform()",
                param="mode",
            )
        self.names = list(names)
        self.state = state
        self.mode = mode
        self.gamma = gamma
        self.beta = beta
        self.locate = locate or (lambda row, name: f"column {name!r} at row {row + 1:,}")
        #: Why the running statistics learned are infinite, if they are (adaptive mode: an
        #: overflowing last batch, whose rows came out right, :meth:`_refuse_overflow`).
        self.overflow: DataError | None = None

    def __call__(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """The same rows in the same order (a batch may be cut differently)."""
        size = self.state.options.batch_size
        eps = self.state.options.eps_value
        g, b = self.gamma, self.beta
        aligned = rechunk(iter(batches), size * max(1, STREAM_CHUNK_ROWS // size))
        done = 0
        for batch, last in _flag_last(aligned):
            columns = [to_float64(batch.column(n)) for n in self.names]
            center, var = self._normalizers(columns, last, done)
            scale = np.sqrt(var + eps)
            self._refuse_zero_scale(columns, scale, done)
            done += batch.num_rows
            yield map_columns(
                batch,
                self.names,
                lambda j, x, c=center, s=scale: kernels.standardize(
                    x, c[:, j], s[:, j], g[j], b[j]
                ),
            )

    def _refuse_one_row_batch(self, row: int, size: int) -> None:
        """A last batch of one row: its own statistics would make it 0 in every column, and
        BatchNorm in training refuses it (more than one value per channel expected)."""
        raise DataError(
            f"{self.locate(row, self.names[0])}: the last batch holds this row alone (batches of "
            f"{size:,} rows); normalized by its own statistics it would be 0 in every column, "
            "and BatchNorm refuses a batch of one row in training",
            hints=(
                f"choose a batch size that leaves more than one row in the last batch "
                f"({param('batch_size')})",
                f"normalize with the running statistics ({param('mode', 'adaptive')})",
            ),
        )

    def _refuse_lone_value(
        self, steps: BatchSteps, columns: list[np.ndarray], start: int, rows: int, done: int
    ) -> None:
        """In batch mode, a value alone in its column in its batch (the others missing): its
        batch's own statistics would normalize it to beta, whatever it is, and BatchNorm in
        training refuses a channel of one value. ``steps``: the batches of ``rows`` rows from
        row ``start`` of ``columns`` (the stream's rows from ``done``)."""
        if self.mode != "batch" or not (steps.count == 1).any():
            return
        i, j = (int(k) for k in np.argwhere(steps.count == 1)[0])
        first = start + i * rows
        k = first + int(np.flatnonzero(~np.isnan(columns[j][first : first + rows]))[0])
        raise DataError(
            f"{self.locate(done + k, self.names[j])}: the only value of the column in its batch "
            f"(the other {rows - 1:,} rows are missing); normalized by its batch's own statistics "
            "it would be beta whatever its value, and BatchNorm refuses a channel of one value "
            "in training",
            hints=(
                f"choose a larger batch size ({param('batch_size')})",
                f"normalize with the running statistics ({param('mode', 'adaptive')})",
            ),
        )

    def _refuse_overflow(
        self,
        steps: BatchSteps,
        columns: list[np.ndarray],
        start: int,
        rows: int,
        done: int,
        *,
        learned: bool,
        later: bool,
    ) -> None:
        """A batch whose mean or variance overflows float64 by its largest value (the input's
        infinities were refused before): refused at that value, as a fit refuses such a column,
        where that makes rows come out 0. In batch mode, its own rows; in adaptive mode, the
        rows after it, if it updates the running statistics (``learned``) and rows follow it
        (the batches after it here, or ``later`` ones). Where none follow, it is kept in
        :attr:`overflow`: the running statistics learned are infinite. Other arguments as
        :meth:`_refuse_lone_value`'s."""
        if self.mode == "adaptive" and not learned:
            return
        # (The variance m2 / count is finite where m2 is: count is at least 1.)
        bad = (steps.count > 0) & ~(np.isfinite(steps.mean) & np.isfinite(steps.m2))
        if not bad.any():
            return
        i, j = (int(k) for k in np.argwhere(bad)[0])
        first = start + i * rows
        batch = columns[j][first : first + rows]
        k = first + int(np.nanargmax(np.abs(batch)))
        rows_after = later or i < len(steps.count) - 1
        what = {"batch": "the batch would", "adaptive": "the rows after it would"}[self.mode]
        if self.mode == "adaptive" and not rows_after:
            what = "the running variance learned would be infinite, and rows after it"
        error = DataError(
            f"{self.locate(done + k, self.names[j])}: {columns[j][k]:.6g} makes its batch's "
            f"variance overflow float64, so {what} come out 0",
            hints=(
                "rescale the column",
                f"normalize with the fitted statistics ({param('mode', 'frozen')})",
            ),
        )
        if self.mode == "batch" or rows_after:
            raise error
        self.overflow = error

    def _refuse_zero_scale(self, columns: list[np.ndarray], scale: np.ndarray, done: int) -> None:
        for j, x in enumerate(columns):
            zero = (scale[:, j] == 0) & ~np.isnan(x)
            if zero.any():
                k = int(np.argmax(zero))
                what = (
                    "its batch has no spread"
                    if self.mode == "batch"
                    else "the running variance is 0"
                )
                raise DataError(
                    f"{self.locate(done + k, self.names[j])}: {what} and eps is 0, so the value "
                    "would be divided by 0 (BatchNorm writes NaN)",
                    hints=("fit the statistics with an eps of the running statistics above 0",),
                )

    def _normalizers(
        self, columns: list[np.ndarray], last: bool, done: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row-wise mean and variance (shape ``(n_rows, n_columns)``) to normalize the rows of
        ``columns`` (the stream's rows from ``done``) with, advancing the state."""
        options = self.state.options
        size = options.batch_size
        n_rows = len(columns[0])
        n_full = n_rows // size
        rows_per_batch, centers, spreads = [], [], []
        if n_full:
            cut = n_full * size
            steps = BatchSteps.of([c[:cut].reshape(n_full, size) for c in columns])
            self._refuse_lone_value(steps, columns, 0, size, done)
            later = bool(n_rows - n_full * size) or not last
            self._refuse_overflow(steps, columns, 0, size, done, learned=True, later=later)
            self.state, path = self.state.advance(steps)
            rows_per_batch.append(size)
            centers.append(steps.mean if self.mode == "batch" else path.mean_before)
            spreads.append(steps.biased_var if self.mode == "batch" else path.var_before)
        tail = n_rows - n_full * size
        if tail:
            if not last:
                raise AssertionError("only the last chunk of an aligned stream has a partial batch")
            if tail == 1 and self.mode == "batch":
                self._refuse_one_row_batch(done + n_rows - 1, size)
            steps = BatchSteps.of([c[n_rows - tail :][None, :] for c in columns])
            self._refuse_lone_value(steps, columns, n_rows - tail, tail, done)
            learned = tail >= 2 and not options.drop_last
            self._refuse_overflow(
                steps, columns, n_rows - tail, tail, done, learned=learned, later=False
            )
            before_mean, before_var = (
                self.state.running_mean[None, :],
                self.state.running_var[None, :],
            )
            if tail >= 2 and not options.drop_last:
                self.state, path = self.state.advance(steps)
                before_mean, before_var = path.mean_before, path.var_before
            # else too short to update the running statistics: normalize without learning
            rows_per_batch.append(tail)
            centers.append(steps.mean if self.mode == "batch" else before_mean)
            spreads.append(steps.biased_var if self.mode == "batch" else before_var)
        center = np.vstack(
            [np.repeat(c, k, axis=0) for c, k in zip(centers, rows_per_batch, strict=True)]
        )
        spread = np.vstack(
            [np.repeat(v, k, axis=0) for v, k in zip(spreads, rows_per_batch, strict=True)]
        )
        return center, spread


def _flag_last(items: Iterator[Any]) -> Iterator[tuple[Any, bool]]:
    """``(item, is_last)`` pairs, looking one item ahead."""
    previous = sentinel = object()
    for item in items:
        if previous is not sentinel:
            yield previous, False
        previous = item
    if previous is not sentinel:
        yield previous, True
