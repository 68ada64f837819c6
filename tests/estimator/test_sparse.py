"""scipy sparse matrices, as ``StandardScaler(with_mean=False)`` takes them: the statistics
equal scikit-learn's, fitted in blocks of rows made dense one at a time; the transform scales
without centering, keeps zeros and gives a CSR matrix equal bit for bit to StandardScaler's;
centering, a beta, an infinite value and a DataFrame output are refused."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

import normkit
from normkit.estimator.sparse import BLOCK_CELLS


def matrix(rows: int = 2000, columns: int = 40, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    X = sp.random(
        rows,
        columns,
        density=0.05,
        format="csr",
        random_state=seed,
        data_rvs=lambda n: rng.normal(3.0, 2.0, n),
    ).tolil()
    X[5, 3] = np.nan  # ignored by the fit, kept by the transform
    return X.tocsr()


@pytest.mark.parametrize("kind", ["csr_matrix", "csc_matrix", "coo_matrix", "csr_array"])
def test_sparse_statistics_and_transform_equal_standard_scalers(kind):
    X = getattr(sp, kind)(matrix())
    ref = StandardScaler(with_mean=False).fit(X)
    stats = normkit.Standardizer(with_mean=False).fit(X)
    np.testing.assert_allclose(stats.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(stats.var_, ref.var_, rtol=1e-12)
    np.testing.assert_allclose(stats.scale_, ref.scale_, rtol=1e-12)
    np.testing.assert_array_equal(stats.n_samples_seen_, ref.n_samples_seen_)
    out = stats.transform(X)
    assert sp.issparse(out)
    assert out.format == "csr"
    assert isinstance(out, sp.sparray) == isinstance(X, sp.sparray)
    assert out.nnz == sp.csr_matrix(X).nnz  # zeros stay zeros
    # StandardScaler's own bits, statistics and output (it scales a sparse matrix by the
    # reciprocal of the scale); the dense transform's to the last bits; NaN kept.
    np.testing.assert_array_equal(stats.var_, ref.var_)
    np.testing.assert_array_equal(out.toarray(), ref.transform(X).toarray())
    np.testing.assert_allclose(out.toarray(), stats.transform(X.toarray()), rtol=1e-15)
    back = stats.inverse_transform(out).toarray()
    np.testing.assert_allclose(back, X.toarray(), rtol=1e-12)
    # Weighted, as StandardScaler(with_mean=False).fit(X, sample_weight=w).
    w = np.random.default_rng(1).integers(0, 3, X.shape[0]).astype(float)
    weighted = normkit.Standardizer(with_mean=False).fit(X, sample_weight=w)
    ref = StandardScaler(with_mean=False).fit(X, sample_weight=w)
    np.testing.assert_allclose(weighted.scale_, ref.scale_, rtol=1e-12)


def test_a_wide_matrix_is_fitted_in_blocks_as_one():
    # More columns than a block of BLOCK_CELLS cells holds rows of: several blocks, the same
    # statistics (exact moments, Chan's merge) as the dense matrix fitted at once.
    columns = 50_000
    assert BLOCK_CELLS // columns < 100
    X = sp.random(100, columns, density=0.002, format="csr", random_state=3)
    sparse = normkit.Standardizer(with_mean=False, ema=False).fit(X)
    dense = normkit.Standardizer(with_mean=False, ema=False).fit(X.toarray())
    np.testing.assert_allclose(sparse.var_, dense.var_, rtol=1e-13, atol=1e-300)
    np.testing.assert_array_equal(sparse.n_samples_seen_, dense.n_samples_seen_)


def test_what_would_move_the_zeros_is_refused():
    X = matrix()
    for estimator in (normkit.Standardizer(), StandardScaler()):
        with pytest.raises(ValueError, match="Cannot center sparse matrices"):
            estimator.fit(X)
    stats = normkit.Standardizer(with_mean=False).fit(X)
    with pytest.raises(normkit.OptionError, match="a beta other than 0 would make every zero"):
        stats.transform(X, beta=1.0)
    np.testing.assert_allclose(
        stats.transform(X, gamma=2.0).toarray(), 2 * stats.transform(X).toarray(), rtol=1e-15
    )
    bad = X.tolil()
    bad[7, 9] = np.inf
    with pytest.raises(normkit.DataError, match="column 'x9' at row 8: inf is not finite"):
        stats.transform(bad.tocsr())
    # A finite value that the scale takes beyond float64's range: told as Python writes it (it
    # was "np.float64(inf)"), with the value.
    bad[7, 9] = 1e308
    told = r"column 'x9' at row 8: the output of 1e\+308 is inf, beyond float64's range"
    with pytest.raises(normkit.DataError, match=told):
        stats.transform(bad.tocsr(), gamma=1e10)
    with pytest.raises(normkit.DataError, match=r"the restored value of 1e\+308 is inf"):
        stats.inverse_transform(bad.tocsr(), gamma=1e-10)
    with pytest.raises(normkit.OptionError, match="pandas output does not support sparse"):
        stats.set_output(transform="pandas").transform(X)
    # A column excluded passes through unchanged, in its place; the fitted ones alone are taken.
    excluded = normkit.Standardizer(with_mean=False, exclude=["x1"]).fit(X)
    out = excluded.transform(X)
    np.testing.assert_array_equal(out[:, [1]].toarray(), X[:, [1]].toarray())
    alone = excluded.transform(X[:, [j for j in range(X.shape[1]) if j != 1]])
    np.testing.assert_array_equal(alone.toarray(), np.delete(out.toarray(), 1, axis=1))


def test_values_stay_in_the_inputs_order_as_standard_scaler_keeps_them():
    # A TfidfVectorizer's rows are not sorted by column. The transform sorted them: equal
    # matrices, but a model sums a row in storage order, and its output moved in the last digit.
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X = matrix(rows=600, columns=30, seed=4)
    X.data = np.nan_to_num(X.data)
    # Each row's values in reverse column order (still a valid CSR matrix).
    indices, data = X.indices.copy(), X.data.copy()
    for start, end in zip(X.indptr[:-1], X.indptr[1:], strict=True):
        indices[start:end], data[start:end] = indices[start:end][::-1], data[start:end][::-1]
    X = sp.csr_matrix((data, indices, X.indptr.copy()), shape=X.shape)
    assert not X.has_sorted_indices
    ref = StandardScaler(with_mean=False).fit(X).transform(X)
    out = normkit.Standardizer(with_mean=False).fit(X).transform(X)
    np.testing.assert_array_equal(out.indptr, ref.indptr)
    np.testing.assert_array_equal(out.indices, ref.indices)
    assert out.data.tobytes() == ref.data.tobytes()
    y = (np.asarray(X.sum(axis=1)).ravel() > np.median(np.asarray(X.sum(axis=1)))).astype(int)
    pipelines = [
        make_pipeline(s, LogisticRegression(max_iter=500))
        for s in (
            StandardScaler(with_mean=False),
            normkit.Standardizer(with_mean=False),
        )
    ]
    probabilities = [p.fit(X, y).predict_proba(X) for p in pipelines]
    assert probabilities[0].tobytes() == probabilities[1].tobytes()
