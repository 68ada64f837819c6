"""Values of a fitted column given to a transform or a later batch in memory: text converted
where it reads as numbers (as scikit-learn converts it), else refused naming the column, row and
value; dates, times and durations refused naming the column and its type (scikit-learn refuses
them too: their numbers depend on a unit and an epoch that a fit on numbers never saw); a
column of booleans refused as a fit refuses one chosen (a whole numpy array of booleans is
converted, as scikit-learn converts it: it has no column of a type of its own), and complex
numbers as scikit-learn refuses them."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import DataError, SchemaError
from ..io.arrow import extension_name, holds_text, not_numeric, not_numeric_type, without_views
from ..io.options import ReadSettings

__all__ = [
    "first_non_number",
    "index_label",
    "located",
    "missing_inputs",
    "missing_markers",
    "not_a_number",
    "object_float64",
    "pandas_float64",
    "refuse_missing_marker",
    "refuse_non_numbers",
    "row_locator",
    "text_among_numbers",
]

_HINTS = ("make the column numbers, a missing value None or NaN",)


def _where(row: int, label: Any) -> str:
    if isinstance(label, np.generic):  # np.int64(30): 30, as pandas shows it
        label = label.item()
    elif isinstance(label, tuple):  # a MultiIndex's: (25, 0), not (np.int64(25), np.int64(0))
        label = tuple(v.item() if isinstance(v, np.generic) else v for v in label)
    return f"row {row:,}" if label is None else f"row {row:,} (index {label!r})"


def _shown(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value  # np.str_('a'): 'a'


def located(name: str, row: int, label: Any = None) -> str:
    """Where a refused value is: ``column 'a' at row 124`` (``row`` counted from 1), with its
    pandas index ``label`` where that is not the row's place (a frame with an index of its
    own): ``column 'a' at row 124 (index 251)``."""
    return f"column {name!r} at {_where(row, label)}"


def row_locator(index: Any, offset: int = 0) -> Callable[[int, str], str]:
    """``locate(k, name)``: :func:`located` of the value at place ``k`` (from 0) of the rows
    given after ``offset`` rows of the same frame, whose pandas ``index`` (None: none) names
    it too."""
    return lambda k, name: located(name, offset + k + 1, index_label(index, k, offset))


def not_a_number(
    name: str,
    row: int,
    value: Any,
    label: Any = None,
    hints: Sequence[str] = _HINTS,
    what: str = "is not a number",
) -> DataError:
    """The refusal of ``value`` at ``row`` (counted from 1), with its pandas index ``label``
    (see :func:`located`)."""
    return DataError(f"{located(name, row, label)}: {_shown(value)!r} {what}", hints=hints)


def _reads_as_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def text_among_numbers(
    name: str, row: int, value: Any, label: Any = None, leave: str = ""
) -> DataError:
    """The refusal of a fit of the text ``value`` at ``row`` (as :func:`not_a_number`'s) in
    a column of numbers: a placeholder word (``"call"``, ``"N/A"``), or a number written as text
    among Python numbers; its hints say how to make the column numbers or, ``leave``, leave it
    out (by default, with ``exclude``)."""
    written = isinstance(value, str) and _reads_as_number(value)  # "1.5" beside 2.0
    return not_a_number(
        name,
        row,
        value,
        label,
        what="is a number written as text, among numbers" if written else "is not a number",
        hints=(
            f"make the column numbers, each word missing (pandas: pd.to_numeric(df[{name!r}], "
            f"errors='coerce'); polars: pl.col({name!r}).cast(pl.Float64, strict=False))",
            leave or f"pass it through as it is with exclude=[{name!r}]",
        ),
    )


def index_label(index: Any, row: int, offset: int = 0) -> Any:
    """The pandas ``index`` label of the value at place ``row`` (from 0) of a frame that
    follows ``offset`` rows in a stream, or None where it says no more than the row (pandas'
    default index, 0, 1, 2... in this frame or over the stream) or there is no index."""
    if index is None:
        return None
    label = index[row]
    default = isinstance(label, int | np.integer) and label in (row, offset + row)
    return None if default else label


def first_non_number(column: pa.Array | pa.ChunkedArray) -> tuple[int, Any] | None:
    """The place (from 0) and value of the first value of a text column that Arrow does not
    read as a number (a null is none), or None where every value is one."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    column = without_views(column)  # polars' text: no cast kernel
    try:
        column.cast(pa.float64())
        return None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    for row, value in enumerate(column.to_pylist()):
        try:
            pa.scalar(value, pa.string()).cast(pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return row, value
    return None


def object_float64(values: Any, name: str, offset: int = 0) -> np.ndarray | None:
    """A pandas ``object`` column of numbers of several Python types (``Decimal`` beside
    ``float``, an ``int`` beyond int64) as float64, missing values as NaN, as scikit-learn
    converts it; None where it holds other objects. Text beside the numbers is refused at its
    first value: a text value among numbers (``"call"``, and ``"1.5"`` too), or, in a column of
    mostly text, a number among text (``offset``: the rows before it in a stream)."""
    import pandas as pd

    cells = values.tolist()
    kinds = []  # per cell: "number", "text" (a str that reads as a number: "numeric") or None
    for cell in cells:
        if isinstance(cell, str):
            kinds.append("numeric" if _reads_as_number(cell) else "text")
        elif isinstance(cell, numbers.Real | Decimal):
            kinds.append("number")
        elif cell is None or (not isinstance(cell, list | tuple | dict | set) and pd.isna(cell)):
            kinds.append(None)
        else:
            return None  # dates, lists...: not numbers
    if "text" not in kinds and "numeric" not in kinds:
        return np.array(
            [np.nan if kind is None else float(c) for c, kind in zip(cells, kinds, strict=True)]
        )
    numeric = sum(kind in ("number", "numeric") for kind in kinds)
    words = sum(kind == "text" for kind in kinds)
    among = ("text", "numeric") if numeric >= words else ("number",)
    row = next(i for i, kind in enumerate(kinds) if kind in among)
    label = index_label(values.index, row, offset)
    if among != ("number",):
        raise text_among_numbers(name, offset + row + 1, cells[row], label)
    raise not_a_number(
        name,
        offset + row + 1,
        cells[row],
        label,
        what="is a number among text",
        hints=(
            f"make it text (pandas: df[{name!r}].astype(str))",
            f"pass it through as it is with exclude=[{name!r}]",
        ),
    )


def missing_markers(read: ReadSettings | None) -> np.ndarray:
    """The numbers that the fit of statistics read as missing (``--null-values -999``): the
    finite values among their files' missing-value strings (:attr:`ReadSettings.missing_numbers`;
    none for statistics fitted in memory)."""
    return np.array(sorted(missing_inputs(read)[0]), dtype=np.float64)


def missing_inputs(read: ReadSettings | None) -> tuple[tuple[float, ...], bool]:
    """What a transform by statistics whose fit read data as ``read`` says reads as missing in
    their columns, besides NaN and nulls: the numbers among the missing-value strings
    (``-999``), and whether infinities are (``inf_as_missing``). None for statistics fitted in
    memory."""
    return (read.missing_numbers, read.inf_as_missing) if read is not None else ((), False)


def refuse_missing_marker(values: np.ndarray, name: str, markers: np.ndarray, done: int) -> None:
    """Refuse a value of a fitted column given in memory that the statistics' fit read as
    missing (``-999`` where its files were read with ``--null-values -999``): counted as a
    number, it would move them, or come out of a transform far out, without a word. ``done``:
    the rows before ``values``."""
    if not markers.size:
        return
    hit = np.isin(values, markers)
    if hit.any():
        k = int(np.argmax(hit))
        value = float(values[k])
        raise DataError(
            f"column {name!r} at row {done + k + 1:,}: {value:g} is a missing value to these "
            f"statistics (their fit read {value:g} as missing), given here as a number",
            hints=(f"make it NaN (a DataFrame: df.replace({value:g}, np.nan))",),
        )


def _not_numbers(name: str, dtype: Any) -> SchemaError:
    return SchemaError(
        f"column {name!r} holds {dtype} values (dates, times or durations), not the numbers "
        "it was fitted on",
        hints=(
            "give it as numbers, as when fitted (a duration in seconds: s.dt.total_seconds(); "
            "a date as days since some day)",
        ),
    )


def _booleans(name: str, dtype: Any, more: tuple[str, ...] = ()) -> SchemaError:
    """The refusal of a fitted column of booleans (of the type ``dtype``): its True and False,
    normalized as 1 and 0, would come out as numbers without a word."""
    return SchemaError(
        f"column {name!r} {not_numeric_type(dtype)}",
        hints=(
            f"cast it to numbers if its True and False are the 1 and 0 it was fitted on "
            f"(pandas: df[{name!r}].astype(float); polars: pl.col({name!r}).cast(pl.Float64))",
            *more,
        ),
    )


def _complex(name: str, dtype: Any) -> SchemaError:
    """The refusal of a fitted column of complex numbers, as scikit-learn refuses them:
    converted, their imaginary parts would be lost."""
    return SchemaError(
        f"column {name!r} holds complex numbers (dtype {dtype}): complex data not supported",
        hints=(
            f"give its real part (np.real(df[{name!r}])), or its real and imaginary parts as "
            "two columns",
        ),
    )


def _temporal(dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return pa.types.is_temporal(dtype)


def refuse_non_numbers(
    table: pa.RecordBatch | pa.Table,
    names: Sequence[str],
    offset: int = 0,
    index: Any = None,
    fitting: bool = False,
) -> None:
    """Refuse a column among ``names`` of an extension type (which is not numeric, whatever it
    is stored as: :func:`~normkit.io.arrow.is_numeric_field`), of dates, times or durations,
    and the first value of a text column among them that Arrow does not read as a number
    (``offset``: the rows before ``table`` in a stream; ``index``: a pandas frame's, whose label
    of the row is named too where it is not the row's place). ``fitting``: a later batch of a fit, whose hints say how
    to pass the column through from the first batch."""
    for name in names:
        column = table.column(name)
        field = table.schema.field(name)
        if extension_name(field) is not None:
            raise SchemaError(
                f"column {name!r} {not_numeric(field)}",
                hints=("give it as the numbers it was fitted on",),
            )
        if _temporal(column.type):
            raise _not_numbers(name, column.type)
        if pa.types.is_boolean(column.type):
            raise _booleans(name, column.type, _fit_again(name) if fitting else ())
        if not holds_text(column.type):
            continue
        found = first_non_number(column)
        if found is not None:
            label = index_label(index, found[0], offset)
            hints = _HINTS + (_fit_again(name) if fitting else ())
            raise not_a_number(name, offset + found[0] + 1, found[1], label, hints)


def _fit_again(name: str) -> tuple[str]:
    """The way out for a column of a later batch of a fit that is not numbers."""
    return (f"to pass it through as it is, fit again from the first batch with exclude=[{name!r}]",)


def pandas_float64(values: Any, name: str, offset: int = 0) -> np.ndarray:
    """A pandas column as float64 (missing as NaN), a value that is no number refused
    (``offset``: the rows before it in a stream); dates, times and durations, booleans (numpy's
    ``bool``, pandas' ``boolean``, ``bool[pyarrow]``, and Python's True and False among objects)
    and complex numbers refused."""
    dtype = values.dtype
    arrow = getattr(dtype, "pyarrow_dtype", None)  # pandas' ArrowDtype
    if dtype.kind in "mM" or (arrow is not None and _temporal(arrow)):
        raise _not_numbers(name, dtype)
    if dtype.kind == "b":
        raise _booleans(name, dtype)
    if dtype.kind == "c":
        raise _complex(name, dtype)
    if dtype.kind == "O":
        for row, value in enumerate(values.tolist()):
            if isinstance(value, bool | np.bool_):
                label = index_label(values.index, row, offset)
                what = "is a boolean, not a number"
                raise not_a_number(name, offset + row + 1, value, label, what=what)
    try:
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        for row, value in enumerate(values.tolist()):
            try:
                float(value)
            except (TypeError, ValueError):
                label = index_label(values.index, row, offset)
                raise not_a_number(name, offset + row + 1, value, label) from None
        raise
