"""Row-major (C-order) arrays larger than a block of rows: their columns are read a block of
rows at a time, for speed and memory, with the same results as a column-major copy and as
scikit-learn's, and a refused value still named by its row."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from normkit import DataError, Standardizer
from normkit.estimator.apply import _BLOCK_ROWS

ROWS = 3 * _BLOCK_ROWS + 123  # blocks, and a last one cut short


@pytest.fixture
def rows_major() -> np.ndarray:
    rng = np.random.default_rng(11)
    x = rng.normal(size=(ROWS, 3)) * [1.0, 1e-3, 1e6] + [0.0, 1e9, -5.0]
    x[rng.random(ROWS) < 0.01, 1] = np.nan
    assert x.flags.c_contiguous
    return x


def test_a_row_major_array_fits_and_transforms_as_a_column_major_one(rows_major):
    by_rows = Standardizer().fit(rows_major)
    by_columns = Standardizer().fit(np.asfortranarray(rows_major))
    # normkit's own statistics do not depend on the layout (scikit-learn's last bits, which
    # mean_ and var_ take where they are as near, do: its sums follow the memory).
    for name in ("count", "n_missing", "mean", "m2", "m3", "m4", "min", "max"):
        mine, theirs = (
            getattr(by_rows.stats_.moments, name),
            getattr(by_columns.stats_.moments, name),
        )
        np.testing.assert_array_equal(mine, theirs, err_msg=name)
    np.testing.assert_array_equal(
        by_rows.stats_.running.running_var, by_columns.stats_.running.running_var
    )
    reference = StandardScaler().fit(rows_major)
    np.testing.assert_allclose(by_rows.mean_, reference.mean_, rtol=1e-12)
    np.testing.assert_allclose(by_rows.var_, reference.var_, rtol=1e-12)
    out = by_rows.transform(rows_major)
    assert out.flags.c_contiguous  # held as scikit-learn holds its output of it
    np.testing.assert_array_equal(out, (rows_major - by_rows.mean_) / by_rows.scale_)
    np.testing.assert_array_equal(out, by_rows.transform(np.asfortranarray(rows_major)))
    np.testing.assert_array_equal(
        by_rows.inverse_transform(out), by_rows.inverse_transform(np.asfortranarray(out))
    )


def test_an_infinite_value_past_the_first_block_is_named_by_its_row(rows_major):
    estimator = Standardizer().fit(rows_major)
    rows_major[2 * _BLOCK_ROWS + 7, 2] = np.inf
    with pytest.raises(DataError, match=f"column 'x2' at row {2 * _BLOCK_ROWS + 8:,}"):
        estimator.transform(rows_major)
    with pytest.raises(DataError, match=f"column 'x2' at row {2 * _BLOCK_ROWS + 8:,}"):
        Standardizer().fit(rows_major)
