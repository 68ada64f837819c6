"""The sample's row keys (computed natively) against ``splitmix64`` written out in numpy."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from normkit.core.sketch import row_keys


def numpy_row_keys(file_index: int, first_row: int, n_rows: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = np.arange(first_row, first_row + n_rows, dtype=np.uint64)
        z += np.uint64(file_index) << np.uint64(40)
        z += np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


@given(
    file_index=st.integers(0, 2**20),
    first_row=st.integers(0, 2**40 - 2**12),
    n_rows=st.integers(0, 3000),
)
def test_native_keys_equal_the_formula(file_index, first_row, n_rows):
    keys = row_keys(file_index, first_row, n_rows)
    assert keys.dtype == np.uint64
    np.testing.assert_array_equal(keys, numpy_row_keys(file_index, first_row, n_rows))


def test_keys_depend_on_the_row_alone():
    whole = row_keys(2, 0, 10_000)
    np.testing.assert_array_equal(whole[3_000:7_000], row_keys(2, 3_000, 4_000))
    assert len(np.unique(whole)) == len(whole)
    assert not np.intersect1d(whole, row_keys(3, 0, 10_000)).size
