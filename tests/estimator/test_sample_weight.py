"""``sample_weight`` in the estimator: StandardScaler's weighted statistics to 1e-12, batch by
batch with partial_fit, through to_sklearn, and the refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from normkit import Standardizer

RTOL = 1e-12


@pytest.fixture(scope="module")
def data():
    X, _ = load_diabetes(return_X_y=True)
    X = X * 1e3 + 1e6  # a large offset, where a careless weighted mean loses digits
    rng = np.random.default_rng(3)
    X[rng.random(X.shape) < 0.05] = np.nan
    w = rng.gamma(0.5, 2.0, size=len(X))
    w[rng.random(len(X)) < 0.1] = 0.0
    return X, w


def test_weighted_statistics_equal_standard_scalers(data):
    X, w = data
    ref = StandardScaler().fit(X, sample_weight=w)
    ours = Standardizer().fit(X, sample_weight=w)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=RTOL)
    np.testing.assert_allclose(ours.var_, ref.var_, rtol=RTOL)
    np.testing.assert_allclose(ours.n_samples_seen_, ref.n_samples_seen_, rtol=RTOL)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-9, atol=1e-9)
    assert ours.ema_ is None
    back = ours.to_sklearn()
    np.testing.assert_allclose(back.n_samples_seen_, ref.n_samples_seen_, rtol=RTOL)
    with pytest.raises(ValueError, match="fitted with sample weights"):
        Standardizer.from_sklearn(ref)


def test_integer_weights_equal_repeated_rows(data):
    X, _ = data
    w = np.random.default_rng(5).integers(0, 4, size=len(X))
    weighted = Standardizer().fit(X, sample_weight=w)
    repeated = Standardizer().fit(np.repeat(X, w, axis=0))
    np.testing.assert_allclose(weighted.mean_, repeated.mean_, rtol=RTOL)
    np.testing.assert_allclose(weighted.var_, repeated.var_, rtol=RTOL)
    np.testing.assert_array_equal(weighted.min_, repeated.min_)  # weight 0: as if absent


@pytest.mark.parametrize("table", [pd.DataFrame, pl.DataFrame], ids=["pandas", "polars"])
def test_partial_fit_of_weighted_batches_equals_one_fit(data, table):
    X, w = data
    frame = table({f"c{j}": X[:, j] for j in range(X.shape[1])})
    one = Standardizer().fit(frame, sample_weight=w)
    parts = Standardizer()
    for start in range(0, len(X), 100):
        parts.partial_fit(frame[start : start + 100], sample_weight=w[start : start + 100])
    np.testing.assert_allclose(parts.mean_, one.mean_, rtol=RTOL)
    np.testing.assert_allclose(parts.var_, one.var_, rtol=RTOL)


def test_bad_weights_are_refused_with_their_row():
    X = np.ones((4, 2))
    with pytest.raises(ValueError, match=r"row 3.*-1\.0 \(negative\)"):
        Standardizer().fit(X, sample_weight=[1, 1, -1, 1])
    with pytest.raises(ValueError, match=r"row 2.*inf"):
        Standardizer().fit(X, sample_weight=[1, np.inf, 1, 1])
    with pytest.raises(ValueError, match=r"row 1.*missing"):
        Standardizer().fit(X, sample_weight=[np.nan, 1, 1, 1])
    with pytest.raises(ValueError, match="at least one non-zero"):
        Standardizer().fit(X, sample_weight=np.zeros(4))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        Standardizer().fit(X, sample_weight=[1, 1, 1])
    # Of another length and all 0: the length is told (it was "every row of X has weight 0").
    for table in (X, pd.DataFrame(X), pl.DataFrame(X)):
        with pytest.raises(ValueError, match=r"sample_weight has shape \(10,\), but X has 4 rows"):
            Standardizer().fit(table, sample_weight=np.zeros(10))
    with pytest.raises(ValueError, match="stream of batches"):
        Standardizer().fit([pd.DataFrame(X)], sample_weight=[1, 1, 1, 1])


def test_a_first_partial_fit_of_weights_0_is_refused_as_scikit_learn_refuses_it():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    with pytest.raises(ValueError, match="at least one non-zero"):
        StandardScaler().partial_fit(X, sample_weight=np.zeros(3))
    fresh = Standardizer()
    # It left every mean NaN, and transform suggested excluding the columns.
    with pytest.raises(ValueError, match="at least one non-zero number: every row of X"):
        fresh.partial_fit(X, sample_weight=np.zeros(3))
    assert not hasattr(fresh, "n_features_in_")  # nothing kept
    frame = pd.DataFrame({"a": X[:, 0], "w": 0.0})
    with pytest.raises(ValueError, match="every row has weight 0 in the weight column 'w'"):
        Standardizer(weight_column="w").partial_fit(frame)
    # A stream fitted whose first batch weighs 0 throughout: fitted on the others (refused).
    batches = [frame, pd.DataFrame({"a": [5.0, 7.0], "w": [1.0, 2.0]})]
    streamed = Standardizer(weight_column="w").fit(batches)
    np.testing.assert_allclose(streamed.mean_, [(5 + 14) / 3], rtol=RTOL)
    with pytest.raises(ValueError, match="every row has weight 0 in the weight column 'w'"):
        Standardizer(weight_column="w").fit([frame, frame])
    # A first batch of no rows weighs nothing: taken, as an unweighted one is.
    empty = Standardizer(weight_column="w").partial_fit(frame[:0])
    np.testing.assert_allclose(empty.partial_fit(batches[1]).mean_, [(5 + 14) / 3], rtol=RTOL)
    # After rows of weight above 0, a batch of weights 0 adds nothing (a stream may hold one).
    fresh.partial_fit(X, sample_weight=[1, 2, 1]).partial_fit(X, sample_weight=np.zeros(3))
    reference = StandardScaler().fit(X, sample_weight=[1, 2, 1])
    np.testing.assert_allclose(fresh.mean_, reference.mean_, rtol=RTOL)
    np.testing.assert_allclose(fresh.var_, reference.var_, rtol=RTOL)


def test_weights_float64_cannot_hold_are_refused_not_rounded():
    X = np.random.default_rng(2).normal(size=(100, 2))
    with pytest.raises(ValueError, match=r"row 1: the weight is 1e-320, too small"):
        Standardizer().fit(X, sample_weight=np.full(100, 1e-320))
    # The row where the sum overflows (it named the batch's last row, 100, and no value).
    with pytest.raises(ValueError, match=r"row 18: the sum of the weights overflows float64 "):
        Standardizer().fit(X, sample_weight=np.full(100, 1e307))
    Y = X.copy()
    Y[:30] = np.nan  # the weights of the values: their sums overflow 30 rows later
    with pytest.raises(ValueError, match=r"row 48: the sum of the weights overflows .* 1e\+307"):
        Standardizer().fit(Y, sample_weight=np.full(100, 1e307))
    # A weight beyond 2**1023 (1e308) whose sum float64 holds: it was scaled by 2**1024, which
    # is infinite, and refused as an overflowing sum at a row of weight 1.
    w = np.ones(100)
    w[10] = 1e308
    huge = Standardizer().fit(X, sample_weight=w)
    reference = StandardScaler().fit(X, sample_weight=w)
    np.testing.assert_allclose(huge.mean_, reference.mean_, rtol=1e-12)
    assert huge.stats_.weight.tolist() == [1e308 + 99] * 2
    tiny = Standardizer().fit(X, sample_weight=np.full(100, 1e-300))
    np.testing.assert_allclose(tiny.mean_, X.mean(axis=0), rtol=1e-13)


def test_weights_with_a_lazy_frame_or_of_text_are_refused():
    frame = pl.DataFrame({"x": np.arange(10.0)})
    with pytest.raises(ValueError, match="lazy frame"):
        Standardizer(ema=False).fit(frame.lazy(), sample_weight=np.ones(10))
    with pytest.raises(ValueError, match="sample_weight at row 1: 'a' is not a number; weights"):
        Standardizer().fit(frame, sample_weight=["a"] * 10)
    # The first word among numbers (in text, as read from a file) named with its row.
    weights = [str(k) for k in range(1, 11)]
    weights[6] = "heavy"
    with pytest.raises(ValueError, match=r"sample_weight at row 7: 'heavy' is not a number"):
        Standardizer().fit(frame, sample_weight=weights)
    with pytest.raises(ValueError, match=r"^sample_weight: 'heavy' is not a number"):
        Standardizer().fit(frame, sample_weight="heavy")  # one for every row: no row named


def test_categories_are_counted_over_rows_of_weight_above_zero_as_in_a_file_fit(tmp_path):
    import normkit

    frame = pd.DataFrame({"x": [1.0, 2, 3, 4], "t": ["a", "a", "b", "b"], "w": [1.0, 1, 0, 0]})
    in_memory = Standardizer(ema=False, exclude=["w"]).fit(frame, sample_weight=frame["w"])
    path = tmp_path / "cw.csv"
    frame.to_csv(path, index=False)
    from_file = normkit.fit_files([path], Standardizer(ema=False), weight_column="w")
    assert dict(in_memory.categories_["t"].counts) == dict(from_file.categories_["t"].counts)
    assert dict(in_memory.categories_["t"].counts) == {"a": 2}
