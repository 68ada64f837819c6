"""Fitting files with a weight column (``fit_files(..., weight_column=...)``): the statistics
equal ``StandardScaler().fit(X, sample_weight=w)``, the stat file records the weights and no
running statistics, weighted stat files merge exactly (with unweighted ones too), transforms
pass the weight column through, later jobs refuse running statistics, and drift judges new data
against the weighted distribution."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import RTOL, assert_means_close, normkit_error, write_dataset
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.preprocessing import StandardScaler

import normkit
from normkit import EmaOptions, Standardizer
from normkit.errors import DataError, OptionError, SchemaError, StatsFileError
from normkit.jobs.drift import drift_files
from normkit.stats import merging, statfile

NUMERIC = ["x", "offset", "count"]


def frame(rows: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(5.0, 2.0, rows)
    x[rng.random(rows) < 0.1] = np.nan
    w = rng.exponential(1.0, rows)
    w[rng.random(rows) < 0.1] = 0.0
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "label": rng.choice(["a", "b", "c"], rows, p=[0.5, 0.3, 0.2]),
            "x": x,
            "offset": 1e9 + rng.normal(0.0, 1.0, rows),
            "count": rng.integers(0, 100, rows),
            "w": w,
        }
    )


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return frame(3000)


def assert_weighted_like_sklearn(stats, X: np.ndarray, w: np.ndarray) -> None:
    ref = StandardScaler().fit(X, sample_weight=w)
    assert stats.weighted
    assert_allclose(stats.weight, np.broadcast_to(ref.n_samples_seen_, (X.shape[1],)), rtol=RTOL)
    assert_means_close(stats.mean, ref.mean_, ref.scale_)
    assert_allclose(stats.var, ref.var_, rtol=RTOL)
    assert_allclose(stats.scale, ref.scale_, rtol=RTOL)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_weighted_fit_of_files_equals_scikit_learn(tmp_path, data, fmt):
    paths = write_dataset(tmp_path, fmt, data, {"part-1": 1000, "part-2": 1, "part-3": 1999})
    fitted = normkit.fit_files(
        tmp_path, Standardizer(exclude=["id"], ema=EmaOptions()), weight_column="w"
    )
    stats = fitted.stats_
    assert list(stats.names) == NUMERIC
    X, w = data[NUMERIC].to_numpy(dtype=float), data["w"].to_numpy()
    assert_weighted_like_sklearn(stats, X, w)
    present = ~np.isnan(X) & (w[:, None] > 0)
    assert_array_equal(stats.count, present.sum(axis=0))
    assert stats.n_rows == len(data)
    assert len(paths) == 3
    assert stats.running is None  # BatchNorm's running statistics have no weights
    assert [(p.name, p.why) for p in stats.passthrough] == [
        ("id", "excluded"),
        ("label", "text"),
        ("w", "weight"),
    ]
    # Categories are counted per row, over the rows of weight above 0.
    kept = data[data["w"] > 0]["label"].value_counts().to_dict()
    assert stats.categories["label"].counts == kept
    # The stat file records the weights and reads back as written.
    doc = json.loads(statfile.to_text(stats))
    assert doc["weights"] == {"column": "w"}
    assert "ema" not in doc
    assert [c["weight"] for c in doc["columns"]] == stats.weight.tolist()
    back = statfile.parse(statfile.to_text(stats))
    assert back.weighted
    assert back.passthrough == stats.passthrough
    assert_array_equal(back.weight, stats.weight)
    assert_array_equal(back.var, stats.var)


def test_weighted_stat_files_merge_exactly(tmp_path, data):
    estimator = Standardizer(exclude=["id"])
    whole = normkit.fit_files(_csv(tmp_path / "all.csv", data), estimator, weight_column="w")
    parts = []
    for i, rows in enumerate((slice(0, 1234), slice(1234, None))):
        path = _csv(tmp_path / f"shard-{i}.csv", data.iloc[rows])
        parts.append(tmp_path / f"shard-{i}.json")
        normkit.fit_files(path, estimator, weight_column="w").save(parts[-1])
    merged = merging.merge(parts)
    X, w = data[NUMERIC].to_numpy(dtype=float), data["w"].to_numpy()
    assert_weighted_like_sklearn(merged, X, w)
    assert_allclose(merged.weight, whole.stats_.weight, rtol=RTOL)
    assert_allclose(merged.var, whole.var_, rtol=RTOL)
    assert_array_equal(merged.count, whole.stats_.count)
    assert merged.passthrough == whole.stats_.passthrough  # the weight column is still known


def test_weighted_and_unweighted_statistics_merge_as_weights_of_one(tmp_path, data):
    # Statistics of data without the weight column: its rows weigh 1, as drift reads them, and
    # the union records the column, to weigh new data by.
    first, second = data.iloc[:1000], data.iloc[1000:]
    weighted = normkit.fit_files(
        _csv(tmp_path / "a.csv", first), Standardizer(exclude=["id"]), weight_column="w"
    )
    plain = normkit.fit_files(
        _csv(tmp_path / "b.csv", second.drop(columns="w")), Standardizer(exclude=["id"])
    )
    w = np.concatenate([first["w"].to_numpy(), np.ones(len(second))])
    for merged in (weighted.stats_.merge(plain.stats_), plain.stats_.merge(weighted.stats_)):
        assert_weighted_like_sklearn(merged, data[NUMERIC].to_numpy(dtype=float), w)
        assert [p.name for p in merged.passthrough if p.why == "weight"] == ["w"]


def test_statistics_weighted_by_a_column_do_not_merge_with_others_of_data_holding_it(
    tmp_path, data
):
    # Fitted without weights on data with the column 'w' (left out), its rows counted once
    # whatever 'w' held: the union would be weighted by 'w' in some rows only. Before, the
    # merge wrote "weights": {"column": null}, and drift said the weights were given in memory.
    first, second = data.iloc[:1000], data.iloc[1000:]
    weighted = normkit.fit_files(
        _csv(tmp_path / "a.csv", first), Standardizer(exclude=["id"]), weight_column="w"
    )
    weighted.save(tmp_path / "a.json")
    plain = normkit.fit_files(_csv(tmp_path / "b.csv", second), Standardizer(exclude=["id", "w"]))
    plain.save(tmp_path / "b.json")
    memory = Standardizer().fit(second[NUMERIC], sample_weight=second["w"])
    said = {
        plain: "fitted without sample weights, on data with a column 'w' (the other)",
        memory: "weighted by sample weights given in memory (the other)",
    }
    for other, how in said.items():
        with pytest.raises(
            OptionError, match=re.escape(f"weighted by column 'w' (these) with statistics {how}")
        ):
            weighted.stats_.merge(other.stats_)
    with pytest.raises(StatsFileError, match="their rows would not be weighted alike"):
        normkit.merge_stat_files([tmp_path / "b.json", tmp_path / "a.json"])
    said = normkit_error(
        1, "merge-stats", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m.json"
    )
    assert said.startswith(
        f"{tmp_path / 'b.json'}: cannot merge statistics weighted by column 'w' "
        f"({tmp_path / 'a.json'}) with statistics fitted without sample weights, on data with a "
        f"column 'w' ({tmp_path / 'b.json'})"
    ), said
    assert not (tmp_path / "m.json").exists()


def test_transforms_pass_the_weight_column_through_and_refuse_running_statistics(tmp_path, data):
    source = tmp_path / "d.parquet"
    data.to_parquet(source, index=False)
    fitted = normkit.fit_files(source, Standardizer(exclude=["id"]), weight_column="w")
    fitted.save(tmp_path / "s.json")
    out = tmp_path / "z.parquet"
    normkit.transform_file(source, tmp_path / "s.json", out)
    table = pq.read_table(out)
    assert table.column("w").equals(pa.chunked_array([pa.array(data["w"])]))
    X = data[NUMERIC].to_numpy(dtype=float)
    ref = StandardScaler().fit(X, sample_weight=data["w"])
    expected = ref.transform(X)
    for j, name in enumerate(NUMERIC):
        z = table.column(name).to_numpy()
        # Relative to the column's conditioning: scikit-learn's own weighted mean of values
        # near 1e9 is only that exact.
        conditioning = np.nanmax(np.abs(X[:, j])) / ref.scale_[j] + 1.0
        assert_allclose(z, expected[:, j], rtol=0, atol=RTOL * conditioning)
        assert_array_equal(z, (X[:, j] - fitted.mean_[j]) / fitted.scale_[j])
    for options in (
        normkit.TransformOptions(use="ema"),
        normkit.TransformOptions(mode="batch"),
        normkit.TransformOptions(mode="adaptive"),
    ):
        with pytest.raises(StatsFileError, match="fitted with sample weights"):
            normkit.transform_file(source, tmp_path / "s.json", tmp_path / "e.parquet", options)
    with pytest.raises(StatsFileError, match="fitted with sample weights"):
        fitted.stats_.frozen("ema")


def test_drift_judges_new_rows_against_the_weighted_distribution(tmp_path):
    rng = np.random.default_rng(12)
    values = rng.normal(0.0, 1.0, 3000)
    w = np.where(values > 0, 4.0, 1.0)  # the weighted distribution leans to the right
    reference = tmp_path / "ref.csv"
    pd.DataFrame({"x": values, "w": w}).to_csv(reference, index=False)
    fitted = normkit.fit_files(reference, weight_column="w")
    # New rows drawn from the weighted distribution (each row as often as its weight says).
    new = rng.choice(values, 4000, p=w / w.sum())
    frame_new = tmp_path / "new.csv"
    pd.DataFrame({"x": new}).to_csv(frame_new, index=False)
    report = drift_files(frame_new, fitted)
    assert report.drifted == [], report.to_dict()
    # The unweighted values themselves are another distribution: they drift.
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"x": rng.normal(0.0, 1.0, 4000)}).to_csv(plain, index=False)
    assert drift_files(plain, fitted).drifted == ["x"]


def test_the_weight_column_is_checked(tmp_path, data):
    path = tmp_path / "d.parquet"
    data.assign(text=data["label"]).to_parquet(path, index=False)
    with pytest.raises(SchemaError, match=r"no column 'nope' in the input .*weight_column"):
        normkit.fit_files(path, weight_column="nope")
    with pytest.raises(SchemaError, match=r"the weight column 'text' has type .*string, which"):
        normkit.fit_files(path, weight_column="text")
    with pytest.raises(OptionError, match="'w' both chosen"):
        normkit.fit_files(path, Standardizer(columns=["x", "w"]), weight_column="w")
    only = tmp_path / "only.parquet"
    data[["label", "w"]].to_parquet(only, index=False)
    with pytest.raises(SchemaError, match="no numeric column to normalize besides the weight"):
        normkit.fit_files(only, weight_column="w")


def test_bad_weights_stop_the_fit_naming_file_row_and_value(tmp_path, data):
    bad = data.copy()
    bad.loc[1500, "w"] = -2.0
    paths = write_dataset(tmp_path, "parquet", bad, {"part-1": 1000, "part-2": 2000})
    with pytest.raises(DataError) as info:
        normkit.fit_files(tmp_path, weight_column="w")
    assert str(info.value).startswith(
        f"{paths[1]}: weight column 'w' at data row 501: the weight is -2.0 (negative)"
    )


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_fit_files_refuses_running_options_with_a_weight_column_as_fit_does(tmp_path, data):
    path = _csv(tmp_path / "d.csv", data)
    with pytest.raises(normkit.OptionError, match="momentum, batch_size"):
        normkit.fit_files(path, Standardizer(momentum=0.2, batch_size=32), weight_column="w")
    fitted = normkit.fit_files(path, Standardizer(exclude=["id"]), weight_column="w")
    assert fitted.ema_ is None  # default options: simply none
