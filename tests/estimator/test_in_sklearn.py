"""``Standardizer`` where scikit-learn puts a StandardScaler: Pipeline, cross-validation, grid
search, ColumnTransformer and clone, with StandardScaler's scores; unfitted use raises
scikit-learn's NotFittedError. (scikit-learn's own estimator checks are not run yet.)"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import Standardizer


@pytest.mark.parametrize("load", [load_breast_cancer, load_wine], ids=["cancer", "wine"])
def test_cross_validated_pipeline_scores_equal_standard_scalers(load):
    X, y = load(return_X_y=True)
    model = LogisticRegression(max_iter=5000)
    ours = cross_val_score(make_pipeline(Standardizer(), model), X, y, cv=5)
    theirs = cross_val_score(make_pipeline(StandardScaler(), model), X, y, cv=5)
    np.testing.assert_array_equal(ours, theirs)


def test_fit_transform_grid_search_column_transformer_and_clone():
    frame = load_breast_cancer(as_frame=True)
    X, y = frame.data, frame.target
    z = Standardizer().fit_transform(X.to_numpy(), y)
    np.testing.assert_allclose(
        z, StandardScaler().fit_transform(X.to_numpy()), rtol=1e-12, atol=1e-12
    )
    search = GridSearchCV(
        make_pipeline(Standardizer(), LogisticRegression(max_iter=5000)),
        {"standardizer__with_mean": [True, False]},
        cv=3,
    ).fit(X, y)
    assert search.best_params_ in (
        {"standardizer__with_mean": True},
        {"standardizer__with_mean": False},
    )
    columns = list(X.columns[:4])
    ours = ColumnTransformer(
        [("z", Standardizer(), columns)], remainder="passthrough"
    ).fit_transform(X)
    theirs = ColumnTransformer(
        [("z", StandardScaler(), columns)], remainder="passthrough"
    ).fit_transform(X)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    copy = clone(Standardizer(ddof=1, eps=1e-3))
    assert copy.get_params()["ddof"] == 1
    assert "stats_" not in vars(copy)


def test_unfitted_use_raises_scikit_learns_not_fitted_error():
    X = np.ones((3, 2))
    with pytest.raises(NotFittedError, match="not fitted"):
        Standardizer().transform(X)
    with pytest.raises(normkit.OptionError):
        Standardizer().transform(X)
