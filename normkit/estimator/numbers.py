"""Values of a fitted column given to a transform or a later batch in memory: text converted
where it reads as numbers (as scikit-learn converts it), else refused naming the column, row and
value; dates, times and durations refused naming the column and its type (scikit-learn refuses
them too: their numbers depend on a unit and an epoch that a fit on numbers never saw)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import DataError, SchemaError
from ..io.arrow import holds_text
from ..io.options import ReadSettings

__all__ = [
    "missing_markers",
    "not_a_number",
    "pandas_float64",
    "refuse_missing_marker",
    "refuse_non_numbers",
]

_HINTS = ("make the column numbers, a missing value None or NaN",)


def not_a_number(name: str, row: int, value: Any, label: Any = None) -> DataError:
    """The refusal of ``value`` at ``row`` (counted from 1), with its pandas index ``label``
    where that is not the row's place (a frame with an index of its own)."""
    if isinstance(label, np.generic):  # np.int64(30): 30, as pandas shows it
        label = label.item()
    if isinstance(value, np.generic):  # np.str_('a'): 'a'
        value = value.item()
    where = f"row {row:,}" if label is None else f"row {row:,} (index {label!r})"
    return DataError(f"column {name!r} at {where}: {value!r} is not a number", hints=_HINTS)


def missing_markers(read: ReadSettings | None) -> np.ndarray:
    """The numbers that the fit of statistics read as missing (``--null-values -999``): the
    finite values among their files' missing-value strings (none for statistics fitted in
    memory)."""
    found = set()
    for text in read.null_values if read is not None else ():
        try:
            value = float(text)
        except ValueError:
            continue
        if math.isfinite(value):
            found.add(value)
    return np.array(sorted(found), dtype=np.float64)


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


def _temporal(dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    return pa.types.is_temporal(dtype)


def refuse_non_numbers(
    table: pa.RecordBatch | pa.Table, names: Sequence[str], offset: int = 0
) -> None:
    """Refuse a column among ``names`` of dates, times or durations, and the first value of a
    text column among them that Arrow does not read as a number (``offset``: the rows before
    ``table`` in a stream)."""
    for name in names:
        column = table.column(name)
        if _temporal(column.type):
            raise _not_numbers(name, column.type)
        if not holds_text(column.type):
            continue
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        try:
            column.cast(pa.float64())
            continue
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        for row, value in enumerate(column.to_pylist()):
            try:
                pa.scalar(value, pa.string()).cast(pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise not_a_number(name, offset + row + 1, value) from None


def pandas_float64(values: Any, name: str, offset: int = 0) -> np.ndarray:
    """A pandas column as float64 (missing as NaN), a value that is no number refused
    (``offset``: the rows before it in a stream); dates, times and durations refused."""
    dtype = values.dtype
    arrow = getattr(dtype, "pyarrow_dtype", None)  # pandas' ArrowDtype
    if dtype.kind in "mM" or (arrow is not None and _temporal(arrow)):
        raise _not_numbers(name, dtype)
    try:
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        for row, value in enumerate(values.tolist()):
            try:
                float(value)
            except (TypeError, ValueError):
                label = values.index[row]
                # pandas' default index (0, 1, 2... in this frame, or over a stream read in
                # chunks) says no more than the row; an index of the frame's own is named.
                default = isinstance(label, int | np.integer) and label in (row, offset + row)
                raise not_a_number(
                    name, offset + row + 1, value, None if default else label
                ) from None
        raise
