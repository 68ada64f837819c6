"""Values of a fitted column given as text to a transform in memory: converted where they read as
numbers (as scikit-learn converts them), else refused naming the column, row and value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import DataError
from ..io.arrow import holds_text

__all__ = ["pandas_float64", "refuse_text_values"]

_HINTS = ("make the column numbers, a missing value None or NaN",)


def _not_a_number(name: str, row: int, value: Any) -> DataError:
    return DataError(f"column {name!r} at row {row:,}: {value!r} is not a number", hints=_HINTS)


def refuse_text_values(
    table: pa.RecordBatch | pa.Table, names: Sequence[str], offset: int = 0
) -> None:
    """Refuse the first value of a text column among ``names`` that Arrow does not read as a
    number (``offset``: the rows before ``table`` in a stream)."""
    for name in names:
        column = table.column(name)
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
                raise _not_a_number(name, offset + row + 1, value) from None


def pandas_float64(values: Any, name: str, offset: int = 0) -> np.ndarray:
    """A pandas column as float64 (missing as NaN), a value that is no number refused
    (``offset``: the rows before it in a stream)."""
    try:
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        for row, value in enumerate(values.tolist()):
            try:
                float(value)
            except (TypeError, ValueError):
                raise _not_a_number(name, offset + row + 1, value) from None
        raise
