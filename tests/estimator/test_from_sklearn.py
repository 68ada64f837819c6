"""Statistics taken from a fitted StandardScaler: refused at once where a stat file would be."""

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import OptionError, Standardizer, StatsFileError
from normkit.core.moments import Moments
from normkit.stats.fitted import FittedStats


@pytest.fixture(scope="module")
def wine():
    return load_wine(as_frame=True).data


@pytest.mark.parametrize(
    ("attribute", "value", "problem"),
    [
        ("scale_", "negated", "must be > 0, not -0.809542914528517"),
        ("scale_", 0.0, "must be > 0, not 0.0"),
        ("scale_", np.nan, "must be a finite number, not nan"),
        ("mean_", np.nan, "must be a finite number, not nan"),
        ("mean_", np.inf, "must be a finite number, not inf"),
        ("var_", -1.0, "must be >= 0, not -1.0"),
    ],
)
def test_a_damaged_scaler_is_refused_naming_attribute_column_and_value(
    wine, attribute, value, problem
):
    # Accepted, its transform gave wrong numbers without a word (a sign flipped, a column of
    # NaN), or a scale of 0 a message about running statistics; only save refused it.
    scaler = StandardScaler().fit(wine)
    values = getattr(scaler, attribute)
    values[0] = -values[0] if value == "negated" else value
    with pytest.raises(OptionError) as info:
        Standardizer.from_sklearn(scaler)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(
        f"the StandardScaler's {attribute}[0] (column 'alcohol') {problem}, as a stat file's "
        f"{attribute[:-1]!r} must be"
    )


def test_a_damaged_scaler_fitted_on_an_array_is_named_by_index(wine):
    scaler = StandardScaler().fit(wine.to_numpy())
    scaler.scale_[4] = -1.0
    with pytest.raises(OptionError, match=r"^the StandardScaler's scale_\[4\] must be > 0, not"):
        Standardizer.from_sklearn(scaler)
    # feature names given name the column
    with pytest.raises(OptionError, match=r"scale_\[4\] \(column 'e'\) must be > 0"):
        Standardizer.from_sklearn(scaler, feature_names=list("abcdefghijklm"))


def test_a_column_the_scaler_saw_no_value_of_is_refused():
    X = np.array([[1.0, np.nan], [2.0, np.nan], [4.0, np.nan]])
    with pytest.warns(RuntimeWarning):
        scaler = StandardScaler().fit(X)
    with pytest.raises(OptionError, match=r"n_samples_seen_\[1\] must be >= 1, not 0"):
        Standardizer.from_sklearn(scaler)


def test_scalers_that_are_whole_are_taken(wine):
    for scaler in (
        StandardScaler().fit(wine),
        StandardScaler(with_std=False).fit(wine),
        StandardScaler(with_mean=False).fit(wine),
        StandardScaler().fit(np.column_stack([wine.to_numpy(), np.full(len(wine), 3.0)])),
    ):
        back = Standardizer.from_sklearn(scaler)
        normkit.loads(normkit.dumps(back))


def test_save_names_an_infinite_mean_as_infinite(tmp_path):
    # The file's check said "'mean' must be a finite number, not nan" of a mean of inf.
    nan = np.full(1, np.nan)
    for mean in (np.inf, -np.inf):
        moments = Moments.from_mean([3], [0], [mean], [2.0], nan, nan)
        stats = FittedStats.build(["a"], ["double"], moments, 3)
        with pytest.raises(StatsFileError, match=f"'mean' must be a finite number, not {mean}$"):
            normkit.save(stats, tmp_path / "s.json")


@pytest.mark.parametrize("factor", [2.0, 1.5])
def test_a_scale_that_is_not_the_square_root_of_the_variance_is_refused(wine, factor):
    # Each value allowed alone, together they contradict one another: taken, transform scaled
    # by the wrong amount, and only save refused them ("scale is not sqrt(var)").
    scaler = StandardScaler().fit(wine)
    scaler.scale_[3] *= factor
    with pytest.raises(OptionError) as info:
        Standardizer.from_sklearn(scaler)
    assert str(info.value).startswith(
        "the StandardScaler's statistics do not hold together: column 'alcalinity_of_ash': scale "
    )
    assert str(info.value).endswith("fit the StandardScaler again on the data")
