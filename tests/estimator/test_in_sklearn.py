"""``Standardizer`` where scikit-learn puts a StandardScaler: Pipeline, cross-validation, grid
search, ColumnTransformer and clone, with StandardScaler's scores; unfitted use raises
scikit-learn's NotFittedError; sample weights routed through a pipeline; set_output through a
pipeline. (scikit-learn's own estimator checks: test_sklearn_checks.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_normkit
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
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


@pytest.mark.parametrize("as_frame", [False, True], ids=["array", "frame"])
@pytest.mark.parametrize("load", [load_diabetes, load_digits], ids=["diabetes", "digits"])
def test_regression_pipeline_scores_and_transforms_are_standard_scalers_bit_for_bit(load, as_frame):
    """In memory the statistics are StandardScaler's own bits (where they are within 1e-12 of
    normkit's exact ones), so even scores that a last-digit difference would change agree; a
    DataFrame comes out held as it came in (row by row, or column by column), as StandardScaler
    keeps its input's layout, on which a model's last bits depend."""
    X, y = load(return_X_y=True, as_frame=as_frame)
    ours = cross_val_score(make_pipeline(Standardizer(), Ridge()), X, y, cv=5)
    theirs = cross_val_score(make_pipeline(StandardScaler(), Ridge()), X, y, cv=5)
    np.testing.assert_array_equal(ours, theirs)
    rows = X.iloc[:400] if as_frame else X[:400]  # a view of some rows: held as its base
    sliced = np.asfortranarray(X.to_numpy() if as_frame else X)[:400]
    for given in (X, X.copy() if as_frame else np.asfortranarray(X), rows, sliced):
        z, expected = Standardizer().fit_transform(given), StandardScaler().fit_transform(given)
        values = z.to_numpy() if hasattr(z, "to_numpy") else z
        np.testing.assert_array_equal(values, expected)
        assert values.flags.c_contiguous == expected.flags.c_contiguous
        assert values.flags.f_contiguous == expected.flags.f_contiguous
    # A grid search over the options ranks them by the same scores.
    grid = {"with_mean": [True, False], "with_std": [True, False]}
    searches = [
        GridSearchCV(make_pipeline(scaler, Ridge()), {f"{name}__{k}": v for k, v in grid.items()})
        for scaler, name in ((Standardizer(), "standardizer"), (StandardScaler(), "standardscaler"))
    ]
    ours, theirs = (search.fit(X, y).cv_results_["mean_test_score"] for search in searches)
    np.testing.assert_array_equal(ours, theirs)


def test_a_polars_frame_gets_standard_scalers_own_bits():
    # Converted row by row it summed in another order than scikit-learn, which takes a polars
    # frame column by column: within 1e-12, but not the last bits the README promises.
    import polars as pl

    X = load_diabetes().data * [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] + 0.5
    frame = pl.DataFrame(X, schema=[f"c{j}" for j in range(X.shape[1])])
    ours, theirs = Standardizer().fit(frame), StandardScaler().fit(frame)
    for name in ("mean_", "var_", "scale_"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name))
    np.testing.assert_array_equal(ours.transform(frame).to_numpy(), theirs.transform(frame))


@pytest.mark.parametrize("kind", ["polars", "pandas", "numpy", "numpy-by-column"])
def test_each_kind_of_input_gets_standard_scalers_own_bits_on_that_input(kind):
    """StandardScaler's bits are those of its sums' order, which the input's layout sets: on
    breast-cancer data a polars frame (taken column by column) gives it statistics up to a few
    units in the last place from the pandas frame's. normkit's are its own on each input."""
    import polars as pl

    frame = load_breast_cancer(as_frame=True).data
    given = {
        "polars": lambda: pl.from_pandas(frame),
        "pandas": lambda: frame,
        "numpy": frame.to_numpy,
        "numpy-by-column": lambda: np.asfortranarray(frame.to_numpy()),
    }[kind]()
    ours, theirs = Standardizer().fit(given), StandardScaler().fit(given)
    for name in ("mean_", "var_", "scale_"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name))
    z = ours.transform(given)
    values = z.to_numpy() if hasattr(z, "to_numpy") else z
    np.testing.assert_array_equal(values, theirs.transform(given))


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


def test_from_sklearn_of_an_unfitted_scaler_or_another_object_raises_what_scikit_learn_would():
    # An unfitted scaler raised OptionError; object() said "the StandardScaler is not fitted".
    with pytest.raises(NotFittedError, match="StandardScaler is not fitted"):
        Standardizer.from_sklearn(StandardScaler())
    with pytest.raises(
        TypeError, match=r"takes a fitted sklearn\.preprocessing\.StandardScaler, not object"
    ):
        Standardizer.from_sklearn(object())


def test_sample_weights_through_a_pipeline_give_standard_scalers_model():
    X, y = load_breast_cancer(return_X_y=True)
    w = np.random.default_rng(7).integers(0, 4, size=len(y)).astype(float)
    model = LogisticRegression(max_iter=5000)
    ours = make_pipeline(Standardizer(), model).fit(X, y, standardizer__sample_weight=w)
    theirs = make_pipeline(StandardScaler(), clone(model)).fit(
        X, y, standardscaler__sample_weight=w
    )
    scaler = ours[0]
    np.testing.assert_allclose(scaler.mean_, theirs[0].mean_, rtol=1e-12)
    np.testing.assert_allclose(scaler.var_, theirs[0].var_, rtol=1e-12)
    assert scaler.ema_ is None  # BatchNorm's running statistics have no sample weights
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-7, atol=1e-9)


def test_running_options_are_tuned_like_any_parameter_and_pipelines_set_polars_output():
    import polars as pl

    frame = load_wine(as_frame=True)
    search = GridSearchCV(
        make_pipeline(Standardizer(), LogisticRegression(max_iter=5000)),
        {"standardizer__batch_size": [8, 32], "standardizer__momentum": [0.1, 0.5]},
        cv=3,
    ).fit(frame.data, frame.target)
    assert search.best_estimator_[0].ema_.options.batch_size in (8, 32)
    pipe = make_pipeline(Standardizer(exclude=["proline"])).set_output(transform="polars")
    out = pipe.fit_transform(frame.data)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == list(frame.data.columns)
    np.testing.assert_array_equal(out["proline"].to_numpy(), frame.data["proline"].to_numpy())


def test_an_in_memory_fit_saved_and_loaded_keeps_its_bits_and_its_exact_moments(tmp_path):
    """The stat file holds the mean shown (StandardScaler's bits) and, in mean_error, what the
    exact mean adds to it: the loaded statistics transform identically and merge exactly."""
    X = np.random.default_rng(9).normal(1e3, 1.0, size=(500, 3))
    fitted = Standardizer(ema=False).fit(X)
    fitted.save(tmp_path / "s.json")
    loaded = Standardizer.load(tmp_path / "s.json")
    for name in ("mean_", "var_", "scale_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(fitted, name))
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(loaded.stats_.moments.mean, fitted.stats_.moments.mean)
    other = Standardizer(ema=False).fit(X[::2] + 0.5)
    np.testing.assert_array_equal(loaded.merge(other).mean_, fitted.merge(other).mean_)


@pytest.fixture
def metadata_routing():
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_metadata_routing_asks_for_sample_weight_as_standard_scaler_does(metadata_routing):
    # Without set_fit_request and get_metadata_routing, a pipeline routing metadata took
    # Standardizer for a step that asks for none and fitted it without its weights.
    from sklearn.exceptions import UnsetMetadataPassedError
    from sklearn.linear_model import LinearRegression

    X, y = load_diabetes(return_X_y=True)
    w = np.random.default_rng(0).uniform(0.0, 3.0, size=len(X))
    model = LinearRegression().set_fit_request(sample_weight=False)
    for unset in (StandardScaler(), Standardizer()):
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            make_pipeline(unset, model).fit(X, y, sample_weight=w)
    ref = make_pipeline(StandardScaler().set_fit_request(sample_weight=True), model)
    ours = make_pipeline(Standardizer().set_fit_request(sample_weight=True), clone(model))
    ref.fit(X, y, sample_weight=w)
    ours.fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(ours[0].mean_, ref[0].mean_)
    np.testing.assert_array_equal(ours[0].transform(X), ref[0].transform(X))
    # The request survives clone (a grid search's), and can be declined.
    assert clone(ours[0]).get_metadata_routing().fit.requests == {"sample_weight": True}
    unchanged = ours[0].set_fit_request().set_partial_fit_request(sample_weight="w")
    assert unchanged.get_metadata_routing().fit.requests == {"sample_weight": True}
    assert unchanged.get_metadata_routing().partial_fit.requests == {"sample_weight": "w"}
    weighted_model = LinearRegression().set_fit_request(sample_weight=True)
    declined = make_pipeline(Standardizer().set_fit_request(sample_weight=False), weighted_model)
    np.testing.assert_array_equal(declined.fit(X, y, sample_weight=w)[0].mean_, X.mean(axis=0))


def test_requests_need_routing_on_as_scikit_learns_do():
    with pytest.raises(RuntimeError, match="only available when metadata routing is enabled"):
        Standardizer().set_fit_request(sample_weight=True)


def test_a_cli_fit_excluding_the_target_in_a_cross_validation_tells_the_way_out(tmp_path):
    # Each fold refused "no column 'y' in the input (given in exclude)", with no way out: a
    # loaded estimator, and its clones, exclude what `normkit fit --exclude y` excluded.
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :5]
    X.assign(y=y).to_csv(tmp_path / "health.csv", index=False)
    fit = run_normkit("fit", tmp_path / "health.csv", "--exclude", "y", "-o", tmp_path / "s.json")
    assert fit.returncode == 0, fit.stderr
    model = LogisticRegression(max_iter=5000)
    loaded = normkit.load(tmp_path / "s.json")
    with pytest.raises(normkit.SchemaError) as error:
        cross_val_score(make_pipeline(loaded, model), X, y, cv=3, error_score="raise")
    # Each hint a way out ('... or give X with column 'y' or the input has columns ...' read
    # the columns X has as a third one).
    assert str(error.value) == (
        "no column 'y' in the input (given in exclude): X has columns 'mean radius', "
        "'mean texture', 'mean perimeter', 'mean area', 'mean smoothness'; exclude only columns "
        "X has (set_params(exclude=[]); an estimator loaded from a stat file, and its clones, "
        "exclude the columns its fit excluded) or give X with column 'y'"
    )
    ours = cross_val_score(make_pipeline(loaded.set_params(exclude=[]), model), X, y, cv=3)
    theirs = cross_val_score(make_pipeline(StandardScaler(), model), X, y, cv=3)
    np.testing.assert_array_equal(ours, theirs)
    # A name in another case is a slip: told the name meant alone, not to drop it.
    with pytest.raises(normkit.SchemaError) as error:
        Standardizer(exclude=["MEAN RADIUS"]).fit(X)
    assert str(error.value) == (
        "no column 'MEAN RADIUS' in the input (given in exclude); the input has 'mean radius', "
        "which differs from 'MEAN RADIUS' in case or spaces"
    )


def test_numpy_booleans_and_column_lists_are_taken_as_scikit_learn_takes_them(tmp_path):
    # A grid over np.array([True, False]) hands NumPy booleans to with_mean: all its fits
    # failed. df.columns[:3] (a pandas Index) and NumPy arrays of names were refused too.
    import pandas as pd

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    grids = [
        GridSearchCV(make_pipeline(scaler, Ridge()), {key: np.array([True, False])}, cv=3)
        for scaler, key in (
            (StandardScaler(), "standardscaler__with_mean"),
            (Standardizer(), "standardizer__with_mean"),
        )
    ]
    for grid in grids:
        grid.fit(X.to_numpy(), y)
    assert grids[1].best_score_ == grids[0].best_score_
    np.testing.assert_array_equal(
        grids[1].cv_results_["mean_test_score"], grids[0].cv_results_["mean_test_score"]
    )
    # ema too, weighted or not (np.False_ lets sample weights in, as False does): the exact
    # transform either way, StandardScaler's scores.
    grid = GridSearchCV(
        make_pipeline(Standardizer(), Ridge()), {"standardizer__ema": np.array([True, False])}, cv=3
    )
    scores = grid.fit(X.to_numpy(), y).cv_results_["mean_test_score"]
    expected = cross_val_score(make_pipeline(StandardScaler(), Ridge()), X.to_numpy(), y, cv=3)
    assert list(scores) == [expected.mean()] * 2
    assert Standardizer(ema=np.True_).fit(X).ema_ is not None
    weighted = Standardizer(ema=np.False_, momentum=0.3).fit(X, sample_weight=np.arange(1.0, 443.0))
    assert weighted.ema_ is None
    off = Standardizer(with_mean=np.False_, with_std=np.True_).fit(X)
    off.save(tmp_path / "stats.json")  # written as JSON's false
    assert normkit.load(tmp_path / "stats.json").stats_.options.with_mean is False
    for chosen in (
        X.columns[:3],
        np.array(["age", "sex", "bmi"]),
        pd.Series(["age", "sex", "bmi"]),
    ):
        assert list(Standardizer(columns=chosen).fit(X).columns_) == ["age", "sex", "bmi"]
    kept = Standardizer(exclude=X.columns[:1]).fit(X)
    assert list(kept.columns_) == list(X.columns[1:])
    with pytest.raises(normkit.OptionError, match="columns must be"):
        Standardizer(columns=pd.Index([1, 2])).fit(X)  # not names
    with pytest.raises(normkit.OptionError, match="with_mean must be True or False"):
        Standardizer(with_mean=np.array([True, False])).fit(X)


def test_a_list_of_names_of_another_kind_is_refused_in_one_line_naming_its_type():
    import polars as pl
    import pyarrow as pa

    X = load_diabetes(as_frame=True).data
    for given, told in (
        (pa.array(["age"]), "a pyarrow StringArray"),
        (pl.Series(["age"]), "a polars Series"),
    ):
        with pytest.raises(normkit.OptionError) as caught:
            Standardizer(columns=given).fit(X)
        assert str(caught.value) == f"columns must be a list of column names or None, not {told}"
