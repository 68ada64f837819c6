"""scikit-learn's own estimator checks on ``Standardizer``: every check that
``check_estimator`` yields, plus the set_output, feature-name and DataFrame checks that
scikit-learn runs on its own transformers, with each expected failure named and explained.

scikit-learn warns that ``Standardizer`` does not inherit from ``BaseEstimator``: it implements
the protocol itself (``get_params``, ``set_params``, ``__sklearn_tags__``, ``set_output``...)
because importing scikit-learn takes over a second, which every ``normkit`` command would pay.
"""

from __future__ import annotations

import pytest
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from normkit import Standardizer
from normkit.core.running import EmaOptions

# What normkit does differently from scikit-learn on purpose, check by check (check_estimator
# itself passes whole; these are among the checks below that scikit-learn runs on its own
# transformers).
EXPECTED_FAILURES = {
    "check_dataframe_column_names_consistency": (
        "columns of a table are matched by name, as normkit applies a stat file to any file "
        "that has the fitted columns: a table with its columns in another order is transformed "
        "column by column, not refused (a fitted column missing is refused)"
    ),
}

ESTIMATORS = [
    Standardizer(),
    Standardizer(ema=False, ddof=1),
    Standardizer(with_mean=False, eps=1e-5, ema=EmaOptions(convention="keras", batch_size=8)),
    Standardizer(gamma=2.0, beta=-1.0, batch_size=4, momentum=0.3, ema_of="std"),
]


# An estimator whose running (EMA) statistics' options are given explicitly refuses sample
# weights: BatchNorm's running statistics have no weights, and options asked for would be
# dropped without a word (with the default options a weighted fit simply has none).
WEIGHTS_REFUSED = (
    "sample weights with running statistics' options given explicitly are refused: "
    "BatchNorm's running statistics have no sample weights"
)
WEIGHT_CHECKS = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
    "check_sample_weights_list",
    "check_sample_weights_not_an_array",
    "check_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series",
    "check_sample_weights_shape",
)


def expected_failures(estimator: Standardizer) -> dict[str, str]:
    explicit = estimator.ema is not True or any(
        estimator.get_params()[name] != default
        for name, default in Standardizer().get_params().items()
        if name
        in ("convention", "momentum", "ema_init", "batch_size", "drop_last", "ema_eps", "ema_of")
    )
    return dict.fromkeys(WEIGHT_CHECKS, WEIGHTS_REFUSED) if explicit and estimator.ema else {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# Checks scikit-learn runs on its own transformers, not yielded by check_estimator.
EXTRA_CHECKS = [
    "check_set_output_transform",
    "check_set_output_transform_pandas",
    "check_global_output_transform_pandas",
    "check_set_output_transform_polars",
    "check_global_set_output_transform_polars",
    "check_transformer_get_feature_names_out",
    "check_transformer_get_feature_names_out_pandas",
    *(
        pytest.param(name, marks=pytest.mark.xfail(reason=why, strict=True))
        for name, why in EXPECTED_FAILURES.items()
    ),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
@pytest.mark.parametrize("name", EXTRA_CHECKS)
def test_scikit_learn_output_and_feature_name_checks(estimator, name):
    getattr(estimator_checks, name)("Standardizer", estimator)


def test_weights_with_explicit_running_options_are_refused_and_default_ones_dropped():
    import numpy as np

    X = np.random.default_rng(1).normal(size=(50, 2))
    w = np.full(50, 2.0)
    with pytest.raises(ValueError, match=r"sample weights with running \(EMA\) statistics"):
        Standardizer(momentum=0.3).fit(X, sample_weight=w)
    parts = Standardizer().partial_fit(X[:25])
    with pytest.raises(ValueError, match="earlier batches without sample_weight"):
        parts.partial_fit(X[25:], sample_weight=w[25:])
    assert Standardizer().fit(X, sample_weight=w).ema_ is None
    assert Standardizer(ema=False, batch_size=8).fit(X, sample_weight=w).ema_ is None


def test_the_column_name_check_fails_only_where_expected():
    """The expected failure above is the by-name matching, not something else: a table whose
    columns are reordered is transformed by name, and one missing a fitted column is refused."""
    import numpy as np
    import pandas as pd

    X = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "b", "c"])
    fitted = Standardizer().fit(X)
    reordered = fitted.transform(X[["c", "a", "b"]])
    pd.testing.assert_frame_equal(reordered[["a", "b", "c"]], fitted.transform(X))
    with pytest.raises(ValueError, match="no column 'c'"):
        fitted.transform(X[["a", "b"]])
