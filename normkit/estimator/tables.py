"""Tables of any dataframe library in and out of the estimator.

The estimator computes on Arrow. Arrow record batches and tables are used as they are; pandas
DataFrames are converted without their index (kept aside, so that the output has it); every
other eager table (polars, modin, cuDF...) goes through narwhals' ``to_arrow`` and comes back
as its own kind with ``narwhals.from_arrow``; lazy frames are collected in streaming batches
(polars' ``collect_batches``, or narwhals' ``collect`` for other backends).

pandas keeps its own path, measured against narwhals': narwhals writes a non-default index as a
column, and pandas' extension and object dtypes of the columns passed through would not come
back unchanged from Arrow, while a copy with the fitted columns replaced keeps both.

narwhals and polars are imported only when a table of theirs is seen, so that the command
line, which works on files, does not pay for them at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import SchemaError
from .numbers import object_float64

__all__ = [
    "OUTPUTS",
    "as_output",
    "column_name",
    "from_arrow_like",
    "is_eager_frame",
    "is_lazy_frame",
    "is_pandas",
    "layout",
    "lazy_batches",
    "refuse_duplicate_columns",
    "row_major",
    "table_to_arrow",
    "unnamed_frame",
]

#: What ``set_output(transform=...)`` accepts: "default" is the input's own kind.
OUTPUTS = ("default", "pandas", "polars")

#: Rows per record batch when a lazy frame is collected.
LAZY_BATCH_ROWS = 65_536


def _module(X: Any) -> str:
    return type(X).__module__.split(".", 1)[0]


def is_pandas(X: Any) -> bool:
    """Whether ``X`` is a pandas DataFrame (without importing pandas)."""
    return _module(X) == "pandas" and type(X).__name__ == "DataFrame"


def unnamed_frame(X: Any) -> bool:
    """Whether ``X`` is a pandas DataFrame whose columns are named by no string
    (``pd.DataFrame(array)``: 0, 1, ...). scikit-learn gives such a frame no feature names, and
    normkit names its columns by position (``x0, x1, ...``), as an array's (a tuple of a
    MultiIndex is a name).

    Raises
    ------
    TypeError
        As scikit-learn's, if some column names are strings and others are not.
    """
    if not is_pandas(X) or len(X.columns) == 0:
        return False
    named = {isinstance(label, str | tuple) for label in X.columns}
    if len(named) > 1:
        kinds = sorted({type(label).__qualname__ for label in X.columns})
        raise TypeError(
            "Feature names are only supported if all input features have string names, but "
            f"your input has {kinds} as feature name / column name types. If you want feature "
            "names to be stored and validated, you must convert them all to strings, by using "
            "X.columns = X.columns.astype(str) for example. Otherwise you can remove feature / "
            "column names from your input data, or convert them all to a non-string data type."
        )
    return named == {False}


def _narwhals(X: Any) -> Any:
    """``X`` as a narwhals frame, or None if narwhals does not know its type."""
    if isinstance(X, np.ndarray | pa.RecordBatch | list | tuple | str | bytes) or X is None:
        return None
    if _module(X) in ("builtins", "numpy", "scipy"):
        return None
    import narwhals as nw

    return nw.from_native(X, pass_through=True) if not _is_narwhals(X) else X


def _is_narwhals(X: Any) -> bool:
    return _module(X) == "narwhals"


def _frame_kind(X: Any) -> str | None:
    """``"eager"`` or ``"lazy"`` for a table narwhals (or normkit itself) knows, else None."""
    if isinstance(X, pa.Table) or is_pandas(X):
        return "eager"
    frame = _narwhals(X)
    if frame is None:
        return None
    import narwhals as nw

    if isinstance(frame, nw.DataFrame):
        return "eager"
    return "lazy" if isinstance(frame, nw.LazyFrame) else None


def is_eager_frame(X: Any) -> bool:
    """Whether ``X`` is an eager table other than an Arrow record batch (pandas, polars,
    pyarrow Table, and whatever else narwhals supports)."""
    return _frame_kind(X) == "eager"


def is_lazy_frame(X: Any) -> bool:
    """Whether ``X`` is a lazy frame (polars LazyFrame, a DuckDB relation...)."""
    return _frame_kind(X) == "lazy"


def table_to_arrow(
    X: Any, offset: int = 0, fitted: Callable[[str], bool] | None = None
) -> pa.Table | pa.RecordBatch:
    """An eager table as Arrow (columns only: a pandas index is left out); ``offset``: the
    rows before it in a stream (the row a refused value is at counts them).

    A pandas ``object`` column that Arrow has no one type for (``101`` beside ``"A7"``, an
    ``int`` beyond int64) is, where ``fitted(name)`` (by default, every column), made float64
    or refused (:func:`_mixed_objects_converted`); a column not fitted (excluded, not chosen)
    is never read as numbers: it is held as the text of its values, missing ones null (the
    frame given is not changed)."""
    if isinstance(X, pa.Table | pa.RecordBatch) or is_pandas(X):
        refuse_duplicate_columns(X)
    if isinstance(X, pa.Table | pa.RecordBatch):
        return X
    if is_pandas(X):
        while True:  # each time, a column of mixed objects made float64 or text, or a refusal
            try:
                return pa.Table.from_pandas(X, preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
                X = _mixed_objects_converted(X, error, offset, fitted)
            except (pa.ArrowNotImplementedError, TypeError) as error:
                raise _unsupported(X, error) from None
    table = _arrow_of(_narwhals(X))
    refuse_duplicate_columns(table)
    return table


def _mixed_objects_converted(
    X: Any, error: Exception, offset: int, fitted: Callable[[str], bool] | None
) -> Any:
    """``X`` with the column pyarrow refused (``error``) converted: as text where it is not
    ``fitted``, else as float64 where it holds numbers of several Python types
    (:func:`object_float64`, which refuses text among them, naming its row); else pyarrow's
    refusal of a column of mixed objects, as one line naming the column."""
    detail = error.args[0] if error.args else str(error)
    label = _refused_label(X, error)
    if label is not None and X[label].dtype == object:
        name = column_name(label)
        if fitted is not None and not fitted(name):
            values = _object_text(X[label])
        else:
            values = object_float64(X[label], name, offset)
        if values is not None:
            X = X.copy(deep=False)  # the caller's frame as it is
            X[label] = values
            return X
    column = (
        f"column {column_name(label)!r} (dtype {X[label].dtype})"
        if label is not None
        else "a column"
    )
    raise SchemaError(
        f"the DataFrame's {column} holds values of several types: {detail}",
        hints=("give it one type (pd.to_numeric(...) for numbers, .astype(str) for text)",),
    )


def _refused_label(X: Any, error: Exception) -> Any:
    """The label of the pandas column that pyarrow's ``error`` refused: the one it names, else
    (an ``OverflowError`` names none) the first column of objects that Arrow refuses alone;
    None if none is."""
    found = re.search(r"column (.+) with type \w+", str(error))
    labels = {column_name(label): label for label in X.columns}
    if found and found.group(1) in labels:
        return labels[found.group(1)]
    for label in X.columns:
        if X[label].dtype == object:
            try:
                pa.array(X[label], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                return label
    return None


def _object_text(values: Any) -> np.ndarray:
    """A pandas ``object`` column as the text of its values (``str``), missing ones None."""
    import pandas as pd

    def missing(cell: Any) -> bool:
        return cell is None or (np.ndim(cell) == 0 and bool(pd.isna(cell)))

    return np.array([None if missing(c) else str(c) for c in values.tolist()], dtype=object)


def _arrow_of(frame: Any) -> pa.Table:
    """A narwhals (or polars) eager frame as Arrow; a column of a type Arrow has none for
    (polars' ``Int128``) refused, naming it and its type."""
    try:
        return frame.to_arrow()
    except pa.ArrowInvalid:
        for name in frame.columns:
            try:
                frame.select(name).to_arrow()
            except pa.ArrowInvalid:
                dtype = frame.schema[name]
                raise SchemaError(
                    f"column {name!r} has the type {dtype}, which Arrow has none for, so it "
                    "can be neither normalized nor passed through (even excluded)",
                    hints=(
                        f"cast it (polars: pl.col({name!r}).cast(pl.Int64), or pl.Float64 for "
                        "values beyond int64), or drop it",
                    ),
                ) from None
        raise


def column_name(label: Any) -> str:
    """The name of a pandas column ``label``, as pyarrow names it: ``0`` is ``"0"``, and a
    MultiIndex's ``("a", 1)`` is ``"('a', '1')"`` (its levels named first)."""
    if isinstance(label, tuple):
        return str(tuple(column_name(level) for level in label))
    return str(label)


def refuse_duplicate_columns(X: Any) -> None:
    """Refuse a table (a pandas DataFrame, an Arrow table or record batch, or any other
    DataFrame of named columns) with two columns of one name: which is which cannot be told
    (scikit-learn refuses it too)."""
    if is_pandas(X):
        labels, kind = [column_name(label) for label in X.columns], "DataFrame"
    elif isinstance(X, pa.Table | pa.RecordBatch):
        labels = X.schema.names
        kind = "Arrow table" if isinstance(X, pa.Table) else "record batch"
    else:
        labels, kind = list(getattr(X, "columns", ())), "DataFrame"
    if len(set(labels)) != len(labels):
        seen: set[str] = set()
        twice = next(label for label in labels if label in seen or seen.add(label))
        raise SchemaError(
            f"the {kind} has two columns named {twice!r}: which is which cannot be told",
            hints=("give each column its own name",),
        )


def _unsupported(X: Any, error: Exception) -> SchemaError:
    """pyarrow's refusal of a pandas column of a type it has no Arrow type for (complex
    numbers, sparse arrays), as one line naming the column."""
    for label in X.columns:
        try:
            pa.Table.from_pandas(X[[label]], preserve_index=False)
        except (pa.ArrowNotImplementedError, TypeError):
            return SchemaError(
                f"the DataFrame's column {column_name(label)!r} (dtype {X[label].dtype}) has no Arrow "
                "type, so it can be neither normalized nor passed through",
                hints=(
                    "convert it (a sparse column to dense: .sparse.to_dense(); complex "
                    "numbers: their real and imaginary parts as two columns), or drop it",
                ),
            )
    return SchemaError(f"the DataFrame cannot be read: {error}")


def layout(values: np.ndarray) -> str:
    """How StandardScaler's output of ``values`` (2-d) is held: as numpy's copy in the order
    that keeps their layout (``order="K"``) holds them, column by column (``"F"``) where
    consecutive values of a column are nearer than those of a row (a Fortran array, or rows of
    one sliced), else row by row (``"C"``). A model's last bits depend on it (its BLAS sums in
    another order), so normkit's output is held alike."""
    if values.flags.c_contiguous or values.ndim != 2:
        return "C"
    if values.flags.f_contiguous:
        return "F"
    return "F" if abs(values.strides[0]) < abs(values.strides[1]) else "C"


def row_major(
    X: Any, names: Sequence[str]
) -> Callable[[Callable[[int, np.ndarray], np.ndarray]], Any] | None:
    """For a pandas DataFrame of float64 columns, all fitted, whose values are not held column
    by column (:func:`layout`; a frame built from a 2-d array, such as scikit-learn's data
    sets): how to make its output held row by row; None for any other frame (its columns are
    replaced one by one, and it stays held column by column)."""
    import pandas as pd

    if X.shape[1] != len(names) or not X.columns.is_unique:
        return None
    if not all(dtype == np.float64 for dtype in X.dtypes):
        return None
    values = X.to_numpy()  # a view where pandas holds the frame in one block
    if layout(values) == "F":
        return None
    place = {column_name(label): i for i, label in enumerate(X.columns)}

    def rows(fn: Callable[[int, np.ndarray], np.ndarray]) -> Any:
        out = np.empty(values.shape, dtype=np.float64)
        for j, name in enumerate(names):
            out[:, place[name]] = fn(j, values[:, place[name]])
        frame = pd.DataFrame(out, index=X.index, columns=X.columns, copy=False)
        frame.attrs = dict(X.attrs)
        return frame

    return rows


def from_arrow_like(table: pa.Table, like: Any) -> Any:
    """``table`` as the same kind of eager table as ``like`` (not pandas: see the module's
    notes)."""
    if isinstance(like, pa.Table):
        return table
    import narwhals as nw

    frame = _narwhals(like)
    out = nw.from_arrow(table, backend=nw.get_native_namespace(frame))
    return out if _is_narwhals(like) else out.to_native()


def lazy_batches(X: Any, rows: int = LAZY_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The rows of a lazy frame as Arrow record batches, collected in streaming batches."""
    native = X.to_native() if _is_narwhals(X) else X
    collect_batches = getattr(native, "collect_batches", None)
    if _module(native) == "polars" and collect_batches is not None:
        for frame in collect_batches(chunk_size=rows):
            yield from _arrow_of(frame).to_batches()
        return
    frame = _narwhals(native).collect()
    yield from _arrow_of(frame).to_batches(max_chunksize=rows)


def as_output(result: Any, how: str, names: list[str], index: Any = None) -> Any:
    """A transform's result as ``how`` asks ("pandas" or "polars"; "default" leaves it).

    ``result`` is an ndarray (whose columns are ``names``), an Arrow table or batch, or an
    eager table; ``index`` is the input's pandas index, kept by a pandas output.
    """
    if how == "default":
        return result
    if how == "pandas":
        import pandas as pd

        if isinstance(result, np.ndarray):
            return pd.DataFrame(result, columns=names, index=index)
        if is_pandas(result):
            return result
        out = table_to_arrow(result).to_pandas()
        if index is not None:
            out.index = index
        return out
    import polars as pl

    if isinstance(result, np.ndarray):
        return pl.DataFrame(result, schema=names, orient="row")
    if _module(result) == "polars":
        return result
    if is_pandas(result):
        # NaN stays NaN, as in scikit-learn's polars output (polars would make it null).
        return pl.from_pandas(result, nan_to_null=False)
    return pl.from_arrow(table_to_arrow(result))
