"""A transform's output that would hold an infinite value, refused with the cell it comes
from, as scikit-learn's transform refuses one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa

from ..errors import infinite_output_error
from ..io.arrow import first_infinite, to_float64
from ..io.lazy import pc

__all__ = ["refuse_infinite_output"]


#: Batches of fewer rows have their output checked for infinities in one call.
_ONE_CHECK_ROWS = 8192


def refuse_infinite_output(
    batch: pa.RecordBatch,
    given: pa.RecordBatch | None,
    names: list[str],
    locate: Callable[[int, str], str],
    rows: int,
    hints: Sequence[str],
    infinite: np.ndarray | None = None,
    inverse: bool = False,
) -> None:
    """Refuse an infinite output, as scikit-learn's transform does: from an infinite input
    (``given``, the input batch of the same rows, if known) or from a finite one that gamma,
    beta or a tiny scale took beyond float64's range (``inverse``: an inverse did). ``infinite``,
    if known, says which of ``names`` may hold one: the others are not looked at again."""
    if infinite is not None:
        if not infinite.any():
            return
        names = [name for name, hit in zip(names, infinite, strict=True) if hit]
    columns = [batch.column(name) for name in names]
    # Short columns are checked all at once, then each only if one is infinite: the work per
    # column would dominate (300 rows of 20,000 columns: a fifth of the time). Long ones are
    # faster each by numpy.
    short = batch.num_rows < _ONE_CHECK_ROWS
    if short and not pc.any(pc.is_inf(pa.chunked_array(columns, pa.float64()))).as_py():
        return
    for name, column in zip(names, columns, strict=True):
        values = np.frombuffer(column.buffers()[1], np.float64, len(column), column.offset * 8)
        # Nulls hold arbitrary values: a hit is confirmed on the Arrow array itself.
        if not np.isinf(values).any():
            continue
        index = first_infinite(column)
        if index is None:
            continue
        where = locate(rows + index, name)
        value = float("nan")  # the input, where known
        if given is not None:
            value = float(to_float64(given.column(name).slice(index, 1))[0])
        raise infinite_output_error(where, value, float(values[index]), hints, inverse)
