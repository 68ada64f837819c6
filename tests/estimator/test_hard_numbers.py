"""Numerically hard data, checked against exact rational arithmetic and against scikit-learn."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import ReadOptions, Standardizer


def exact(values: np.ndarray) -> tuple[Fraction, Fraction]:
    """Mean and population variance of the non-NaN float64 values, with no rounding at all."""
    xs = [Fraction(float(v)) for v in values if not np.isnan(v)]
    mean = sum(xs, Fraction(0)) / len(xs)
    return mean, sum(((x - mean) ** 2 for x in xs), Fraction(0)) / len(xs)


magnitude = st.sampled_from([1e-150, 1e-20, 1e-3, 1.0, 1e3, 1e20, 1e150])
offset = st.sampled_from([0.0, 1.0, -1e6, 1e9, 1e12])


@st.composite
def hard_columns(draw):
    """A column of 1-50 values: spread of any magnitude around any offset, some NaN."""
    n = draw(st.integers(1, 50))
    unit = draw(magnitude)
    base = draw(offset)
    noise = draw(arrays(np.float64, n, elements=st.floats(-1.0, 1.0)))
    x = base + noise * unit
    missing = draw(arrays(np.bool_, n))
    missing[draw(st.integers(0, n - 1))] = False  # at least one value
    x[missing] = np.nan
    return x


@given(hard_columns(), st.integers(1, 60))
def test_moments_equal_exact_arithmetic(x, chunk):
    table = pa.table({"x": x})
    stats = Standardizer().fit(table.to_batches(max_chunksize=chunk))
    mean, var = exact(x)
    spread = float(var) ** 0.5
    assert abs(stats.mean_[0] - float(mean)) <= 1e-15 * (abs(float(mean)) + spread) * 4
    assert abs(stats.var_[0] - float(var)) <= 1e-12 * float(var) + 1e-300
    if float(var) > 0 and stats.scale_[0] != 1.0:
        assert abs(stats.scale_[0] / spread - 1) <= 1e-12


@given(hard_columns(), hard_columns(), hard_columns())
def test_merging_shards_is_associative_and_commutative(a, b, c):
    fit = [Standardizer().fit(pa.table({"x": v})) for v in (a, b, c)]
    try:
        left = fit[0].merge(fit[1]).merge(fit[2])
        right = fit[0].merge(fit[1].merge(fit[2]))
        swapped = fit[2].merge(fit[0]).merge(fit[1])
    except normkit.OptionError as refused:
        # Shards of the same statistics are, to a merge, the same rows given twice.
        if "the same statistics as" not in str(refused):
            raise
        reject()
    mean, var = exact(np.concatenate([a, b, c]))
    spread = float(var) ** 0.5
    for merged in (left, right, swapped):
        assert merged.n_samples_seen_ == np.count_nonzero(~np.isnan(np.concatenate([a, b, c])))
        assert abs(merged.mean_[0] - float(mean)) <= 1e-14 * (abs(float(mean)) + spread)
        assert abs(merged.var_[0] - float(var)) <= 1e-12 * float(var) + 1e-300


# Fitted on named columns, applied to an array: scikit-learn's warning is expected.
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@given(hard_columns())
def test_inverse_of_transform_restores_the_data(x):
    stats = Standardizer().fit(pa.table({"x": x}))
    z = stats.transform(x.reshape(-1, 1))
    back = stats.inverse_transform(z)[:, 0]
    tol = 1e-15 * (np.abs(x) + abs(stats.mean_[0]) + stats.scale_[0]) * 4
    np.testing.assert_array_equal(np.isnan(back), np.isnan(x))
    assert np.all(np.nan_to_num(np.abs(back - x)) <= np.nan_to_num(tol))


@given(
    arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e6, 1e6, width=64)),
    st.integers(1, 50),
)
def test_csv_and_parquet_paths_agree(tmp_path_factory, x, chunk):
    d = tmp_path_factory.mktemp("paths")
    frame = pd.DataFrame({"id": np.arange(len(x)), "x": x})
    frame.to_csv(d / "x.csv", index=False)
    frame.to_parquet(d / "x.parquet", index=False)
    read = ReadOptions(chunk_rows=chunk)
    by_csv = normkit.fit_files(d / "x.csv", Standardizer(exclude=["id"]), read)
    by_parquet = normkit.fit_files(d / "x.parquet", Standardizer(exclude=["id"]), read)
    # The same values (shortest repr reads back exactly) in the same chunks: the same bits.
    np.testing.assert_array_equal(by_csv.mean_, by_parquet.mean_)
    np.testing.assert_array_equal(by_csv.var_, by_parquet.var_)
    np.testing.assert_array_equal(by_csv.ema_.running_mean, by_parquet.ema_.running_mean)


def test_mean_1e12_std_1e_3():
    rng = np.random.default_rng(3)
    x = 1e12 + rng.normal(0.0, 1e-3, 200_000)
    mean, var = exact(x[:20_000])
    stats = Standardizer().fit(pa.table({"x": x[:20_000]}).to_batches(max_chunksize=999))
    assert abs(stats.var_[0] / float(var) - 1) < 1e-12
    assert stats.mean_[0] == float(mean)
    # scikit-learn's rounding bound calls such a column constant (scale 1); so does normkit.
    ref = StandardScaler().fit(x[:20_000].reshape(-1, 1))
    assert stats.scale_[0] == ref.scale_[0]


def test_ten_million_identical_values(tmp_path):
    path = tmp_path / "same.parquet"
    pq.write_table(pa.table({"x": np.full(10_000_000, 0.1)}), path)
    stats = normkit.fit_files(path)
    assert stats.mean_[0] == 0.1
    assert stats.var_[0] == 0.0
    assert stats.scale_[0] == 1.0  # as StandardScaler decides for a constant column
    out = stats.transform(pa.table({"x": [0.1, 0.1]}))
    assert out.column("x").to_pylist() == [0.0, 0.0]


def test_a_variance_beyond_float64_is_refused_not_returned():
    x = np.array([1e-300, 1e300] * 50)
    with pytest.raises(normkit.DataError, match="its variance overflows float64"):
        Standardizer().fit(pa.table({"x": x}))


def test_float32_input_is_exact_in_float64():
    rng = np.random.default_rng(4)
    x = (1000 + rng.normal(size=5_000)).astype(np.float32)
    stats = Standardizer().fit(pa.table({"x": x}).to_batches(max_chunksize=333))
    mean, var = exact(x.astype(np.float64))
    assert abs(stats.mean_[0] - float(mean)) <= 1e-15 * float(mean)
    assert abs(stats.var_[0] / float(var) - 1) <= 1e-13
    assert stats.transform(pa.table({"x": x})).schema.field("x").type == pa.float64()


@pytest.mark.parametrize("n", [1, 2])
def test_one_and_two_row_inputs(tmp_path, n):
    path = tmp_path / "tiny.csv"
    path.write_text("x\n" + "".join(f"{v}\n" for v in (3.5, 7.25)[:n]))
    stats = normkit.fit_files(path)
    ref = StandardScaler().fit(np.array([3.5, 7.25][:n]).reshape(-1, 1))
    assert stats.mean_[0] == ref.mean_[0]
    assert stats.scale_[0] == ref.scale_[0]
