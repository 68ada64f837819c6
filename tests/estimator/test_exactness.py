"""Exactness against scikit-learn's StandardScaler, whatever the chunking, and on hard data.

Tolerances follow the conditioning of each quantity: a mean compares at 1e-12 relative to
|mean| + scale, a variance at 1e-12 relative, and a transformed value at 1e-12 relative to
(|x| + |mean|) / scale, the factor by which the rounding of x and of the mean is amplified.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import ReadOptions, Standardizer

NUMERIC = ["count", "x", "offset", "tiny", "constant"]


def assert_stats_match(ours: Standardizer, ref: StandardScaler) -> None:
    scale = np.asarray(ref.scale_)
    np.testing.assert_array_less(
        np.abs(ours.mean_ - ref.mean_), 1e-12 * (np.abs(ref.mean_) + scale) + 1e-300
    )
    np.testing.assert_allclose(ours.var_, ref.var_, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-12)
    np.testing.assert_array_equal(
        ours.n_samples_seen_, np.broadcast_to(ref.n_samples_seen_, ours.n_samples_seen_.shape)
    )


def assert_transform_match(ours: np.ndarray, ref: np.ndarray, x: np.ndarray, scaler) -> None:
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    bound = 1e-12 * ((np.abs(x) + np.abs(scaler.mean_)) / scaler.scale_ + 1.0)
    diff = np.abs(np.nan_to_num(ours - ref))
    assert np.all(diff <= np.nan_to_num(bound)), float(np.nanmax(diff / bound))


@pytest.mark.parametrize("chunk_rows", [None, 1, 3, 64, 499, 1_000_000])
def test_fit_csv_equals_standard_scaler(mixed_csv, mixed_frame, chunk_rows):
    ours = normkit.fit_files(
        mixed_csv, Standardizer(exclude=["id"]), ReadOptions(chunk_rows=chunk_rows)
    )
    assert list(ours.columns_) == NUMERIC
    assert_stats_match(ours, StandardScaler().fit(mixed_frame[NUMERIC]))


def test_constant_column_gets_scale_one_as_in_sklearn(mixed_frame):
    ours = Standardizer(exclude=["id"]).fit(mixed_frame)
    ref = StandardScaler().fit(mixed_frame[NUMERIC])
    j = NUMERIC.index("constant")
    assert ref.scale_[j] == 1.0
    assert ours.scale_[j] == 1.0
    np.testing.assert_array_equal(ours.transform(mixed_frame)["constant"], 0.0)


@pytest.mark.parametrize("chunk_rows", [None, 7])
def test_transform_file_equals_standard_scaler(tmp_path, mixed_csv, mixed_frame, chunk_rows):
    read = ReadOptions(chunk_rows=chunk_rows)
    stats = normkit.fit_files(mixed_csv, Standardizer(exclude=["id"]), read)
    out = tmp_path / "out.parquet"
    normkit.transform_file(mixed_csv, stats, out, read=read)
    got = pd.read_parquet(out)
    ref = StandardScaler().fit(mixed_frame[NUMERIC])
    expected = ref.transform(mixed_frame[NUMERIC])
    for j, name in enumerate(NUMERIC):
        assert got[name].dtype == np.float64
        assert_transform_match(
            got[name].to_numpy(np.float64, na_value=np.nan),
            expected[:, j],
            mixed_frame[name].to_numpy(np.float64),
            _column(ref, j),
        )
    assert list(got.columns) == list(mixed_frame.columns)
    assert got["id"].astype(np.int64).tolist() == mixed_frame["id"].tolist()
    assert got["label"].tolist() == mixed_frame["label"].tolist()


def _column(ref: StandardScaler, j: int):
    class One:
        mean_ = ref.mean_[j]
        scale_ = ref.scale_[j]

    return One


@pytest.mark.parametrize(
    ("kwargs", "sk_kwargs"),
    [
        ({"with_mean": False}, {"with_mean": False}),
        ({"with_std": False}, {"with_std": False}),
    ],
)
def test_with_mean_with_std_switches_match_sklearn(mixed_frame, kwargs, sk_kwargs):
    data = mixed_frame[NUMERIC]
    ours = Standardizer(**kwargs).fit(data)
    ref = StandardScaler(**sk_kwargs).fit(data)
    got = ours.transform(data).to_numpy(np.float64)
    expected = ref.transform(data)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    sk = ours.to_sklearn()
    assert (sk.scale_ is None) == (ref.scale_ is None)
    np.testing.assert_allclose(sk.transform(data), expected, rtol=1e-12, atol=1e-12)


def test_ddof_one_is_the_unbiased_estimator(mixed_frame):
    data = mixed_frame[NUMERIC].astype(np.float64)
    ours = Standardizer(ddof=1).fit(data)
    np.testing.assert_allclose(ours.var_[:-1], data.var(ddof=1).to_numpy()[:-1], rtol=1e-12)
    np.testing.assert_allclose(ours.scale_[:-1], np.sqrt(ours.var_[:-1]), rtol=0)


def test_eps_is_added_to_the_variance(mixed_frame):
    data = mixed_frame[NUMERIC]
    ours = Standardizer(eps=1e-5).fit(data)
    ref = StandardScaler().fit(data)
    np.testing.assert_allclose(ours.scale_, np.sqrt(ref.var_ + 1e-5), rtol=1e-12)


def test_large_offset_std_right_to_1e9(tmp_path):
    """Mean 1e9, std 1, a million rows: the std is right to 1e-9 relative, any chunking."""
    rng = np.random.default_rng(1)
    # Deviations on a 2**-10 grid are exact when added to 1e9, so the true variance is that of d.
    d = np.round(rng.normal(0.0, 1.0, 1_000_000) * 1024) / 1024
    path = tmp_path / "offset.parquet"
    pq.write_table(pa.table({"x": 1e9 + d}), path)
    true_std = np.std(d)
    for chunk_rows in (None, 1_000, 99_999):
        stats = normkit.fit_files(path, read=ReadOptions(chunk_rows=chunk_rows))
        assert abs(stats.scale_[0] / true_std - 1) < 1e-9, chunk_rows
        assert abs(stats.mean_[0] - (1e9 + np.mean(d))) <= 1e-12 * 1e9


def test_float32_input_is_accumulated_in_float64():
    rng = np.random.default_rng(2)
    x = (1000 + rng.normal(size=10_000)).astype(np.float32)
    table = pa.table({"x": x})
    stats = Standardizer().fit(table)
    ref = StandardScaler().fit(x.reshape(-1, 1))
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(stats.mean_[0], x64.mean(), rtol=1e-14)
    np.testing.assert_allclose(stats.var_[0], ref.var_[0], rtol=1e-9)


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
cells = st.one_of(finite, st.just(np.nan))


@st.composite
def frames(draw):
    n_rows = draw(st.integers(1, 60))
    n_cols = draw(st.integers(1, 4))
    data = draw(arrays(np.float64, (n_rows, n_cols), elements=cells))
    # Some columns get an offset and a small spread, which stresses the centered sums.
    offsets = draw(arrays(np.float64, n_cols, elements=st.sampled_from([0.0, 1e6, -3e8])))
    data = data / 1e3 + offsets
    # scikit-learn (like normkit) needs at least one value per column.
    for j in range(n_cols):
        if np.isnan(data[:, j]).all():
            data[0, j] = offsets[j]
    return data


# Fitted on named columns, applied to an array: scikit-learn's warning is expected.
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@given(frames(), st.integers(1, 70))
def test_any_data_any_chunking_matches_sklearn(data, chunk):
    table = pa.table({f"c{j}": data[:, j] for j in range(data.shape[1])})
    batches = pa.Table.from_batches(table.to_batches(max_chunksize=chunk))
    ours = Standardizer().fit(batches.to_batches())
    ref = StandardScaler().fit(data)
    assert_stats_match(ours, ref)
    got = ours.transform(data)
    expected = ref.transform(data)
    assert_transform_match(got, expected, data, ref)
    back = ours.inverse_transform(got)
    tol = 1e-12 * (np.abs(data) + np.abs(ours.mean_) + ours.scale_)
    assert np.all(np.nan_to_num(np.abs(back - data)) <= np.nan_to_num(tol) * 4)


@pytest.mark.parametrize(
    "name", ["load_diabetes", "load_wine", "load_breast_cancer", "load_digits"]
)
@pytest.mark.parametrize("chunk_rows", [None, 1, 17])
def test_real_data_sets_shipped_with_sklearn(tmp_path, name, chunk_rows):
    """Real public data sets (bundled with scikit-learn) written to CSV and fitted from the file."""
    import sklearn.datasets

    frame = getattr(sklearn.datasets, name)(as_frame=True).data
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    ours = normkit.fit_files(path, read=ReadOptions(chunk_rows=chunk_rows))
    reread = pd.read_csv(path)  # the values as written to the file
    ref = StandardScaler().fit(reread)
    numeric = list(reread.columns)
    assert list(ours.columns_) == numeric
    assert_stats_match(ours, ref)
    out = tmp_path / "z.parquet"
    normkit.transform_file(path, ours, out, read=ReadOptions(chunk_rows=chunk_rows))
    got = pd.read_parquet(out).to_numpy(np.float64)
    assert_transform_match(got, ref.transform(reread), reread.to_numpy(np.float64), ref)


# -- a record batch's columns mapped at once: the bits of the kernels one column at a time ------

special = st.sampled_from([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e308, 5e-324])
values64 = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), special)


@given(
    st.integers(1, 6).flatmap(
        lambda k: st.tuples(
            st.lists(
                st.lists(st.one_of(st.none(), values64), min_size=4, max_size=4),
                min_size=k,
                max_size=k,
            ),
            st.lists(
                st.tuples(
                    values64,
                    st.floats(1e-300, 1e300),
                    st.sampled_from([1.0, 2.0, -0.5]),
                    st.sampled_from([0.0, -0.0, 0.25]),
                ),
                min_size=k,
                max_size=k,
            ),
            st.lists(st.sampled_from(["double", "float", "int64"]), min_size=k, max_size=k),
        )
    ),
    st.booleans(),
    st.integers(0, 2),
)
def test_a_batch_mapped_at_once_equals_the_kernels_column_by_column(table, inverse, offset):
    from normkit.core import kernels
    from normkit.estimator.apply import affine_map, map_columns
    from normkit.stats.fitted import Affine

    columns, params, types = table
    arrays = []
    for values, dtype in zip(columns, types, strict=True):
        if dtype == "int64":
            values = [
                None if v is None or not np.isfinite(v) else int(max(min(v, 1e15), -1e15))
                for v in values
            ]
        elif dtype == "float":
            values = [
                None if v is None else float(np.float32(np.clip(v, -3e38, 3e38))) for v in values
            ]
        arrays.append(pa.array([0, *values], type=dtype).slice(offset % 2))  # an offset too
    names = [f"c{j}" for j in range(len(arrays))]
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["t"] * len(arrays[0])), *arrays], names=["text", *names]
    )
    center, scale, gamma, beta = (np.array(p, dtype=np.float64) for p in zip(*params, strict=True))
    out = map_columns(batch, names, affine_map(Affine(center, scale, gamma, beta), inverse))
    kernel = kernels.inverse_standardize if inverse else kernels.standardize
    assert out.column("text").equals(batch.column("text"))
    for j, name in enumerate(names):
        given_ = batch.column(name)
        x = np.array([np.nan if v is None else v for v in given_.to_pylist()], dtype=np.float64)
        with np.errstate(all="ignore"):
            want = kernel(x, center[j], scale[j], gamma[j], beta[j])
        got = out.column(name)
        assert got.type == pa.float64()
        assert got.is_null().to_pylist() == given_.is_null().to_pylist()
        valid = ~np.asarray(given_.is_null())
        got_values = np.array([np.nan if v is None else v for v in got.to_pylist()])
        # Bit for bit, signed zeros included; a NaN is a NaN (its payload is not data).
        nan = np.isnan(want)
        assert (np.isnan(got_values) == nan)[valid].all()
        assert got_values[valid & ~nan].tobytes() == want[valid & ~nan].tobytes()


@pytest.mark.parametrize("other", ["double", "int64", "double with nulls"])
def test_a_long_batch_is_mapped_as_the_kernels_map_it_column_by_column(other):
    """Longer than AT_ONCE_ROWS: at once where every fitted column is read in place (float64
    without nulls), column by column otherwise; the same bits either way."""
    from normkit.core import kernels
    from normkit.estimator.apply import AT_ONCE_ROWS, affine_map, map_columns
    from normkit.stats.fitted import Affine

    rows = AT_ONCE_ROWS + 1001
    rng = np.random.default_rng(7)
    x = rng.standard_normal(rows) * 1e3
    x[:5] = [np.inf, -np.inf, np.nan, -0.0, 5e-324]
    if other == "int64":
        y = pa.array(rng.integers(-(10**12), 10**12, rows))
    elif other == "double":
        y = pa.array(rng.standard_normal(rows))
    else:
        y = pa.array([None if i % 11 == 0 else float(i) for i in range(rows)], pa.float64())
    batch = pa.RecordBatch.from_arrays([pa.array(x), y], names=["x", "y"])
    center, scale = np.array([3.25, -1e6]), np.array([7.5, 0.3])
    gamma, beta = np.array([2.0, 1.0]), np.array([0.25, -0.0])
    for inverse in (False, True):
        out = map_columns(
            batch, ["x", "y"], affine_map(Affine(center, scale, gamma, beta), inverse)
        )
        kernel = kernels.inverse_standardize if inverse else kernels.standardize
        for j, name in enumerate(["x", "y"]):
            given_ = batch.column(name)
            values = np.asarray(given_.to_numpy(zero_copy_only=False), dtype=np.float64)
            with np.errstate(all="ignore"):
                want = kernel(values, center[j], scale[j], gamma[j], beta[j])
            got = out.column(name)
            assert got.null_count == given_.null_count
            valid = ~np.asarray(given_.is_null())
            got_values = got.to_numpy(zero_copy_only=False)
            assert got_values[valid].tobytes() == want[valid].tobytes()
