"""A batch's columns as one float64 array of rows (normkit.io.arrow.rows_float64): in one copy
for float64 and int64 columns, column by column for the rest, the same values either way."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from normkit.io.arrow import rows_float64, to_float64

TYPES = [pa.float64(), pa.int64(), pa.float32(), pa.int32(), pa.uint64(), pa.decimal128(10, 2)]


def _column(draw, rows: int) -> pa.Array:
    kind = draw(st.sampled_from(TYPES))
    if pa.types.is_integer(kind):
        bits = 62 if kind == pa.int64() else 30
        values = draw(st.lists(st.integers(0, 2**bits), min_size=rows, max_size=rows))
    elif pa.types.is_decimal(kind):
        values = [
            v / 100
            for v in draw(st.lists(st.integers(-(10**8), 10**8), min_size=rows, max_size=rows))
        ]
    else:
        width = 32 if kind == pa.float32() else 64
        values = draw(st.lists(st.floats(width=width), min_size=rows, max_size=rows))
    nulls = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
    if pa.types.is_decimal(kind):
        from decimal import Decimal

        values = [Decimal(f"{v:.2f}") for v in values]
    return pa.array(values, kind, mask=np.array(nulls, bool))


@st.composite
def batches(draw) -> pa.RecordBatch:
    rows = draw(st.integers(0, 8))
    width = draw(st.integers(1, 5))
    batch = pa.record_batch(
        [_column(draw, rows) for _ in range(width)], names=[f"c{j}" for j in range(width)]
    )
    start = draw(st.integers(0, rows))
    return batch.slice(start, draw(st.integers(0, rows - start)))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return (
        a.dtype == b.dtype == np.float64
        and a.shape == b.shape
        and (np.array_equal(a, b, equal_nan=True))
    )


@settings(max_examples=300, deadline=None)
@given(batches())
def test_rows_are_the_columns_as_to_float64_gives_each(batch):
    expected = np.column_stack([to_float64(c) for c in batch.columns])
    rows = rows_float64(batch)
    assert _same(rows, expected)
    # A new array, the caller's to overwrite.
    assert rows.flags.writeable
    for column in batch.columns:
        if column.type == pa.float64() and column.buffers()[1] is not None:
            assert not np.shares_memory(rows, np.frombuffer(column.buffers()[1], np.uint8))


def test_int64_beyond_2_53_rounds_as_the_column_does():
    batch = pa.record_batch(
        [pa.array([2**53 + 1, 2**62 + 3, None], pa.int64()), pa.array([0.5, None, -0.0])],
        names=["a", "b"],
    )
    rows = rows_float64(batch)
    assert _same(rows, np.column_stack([to_float64(c) for c in batch.columns]))
    assert np.signbit(rows[2, 1])
    assert np.isnan(rows[1, 1])
    assert np.isnan(rows[2, 0])
