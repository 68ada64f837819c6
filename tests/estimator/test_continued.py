"""Statistics loaded from a stat file and continued with ``partial_fit``: how the files were
read still holds, the sketch and category counts describe all the rows, and the provenance says
that rows were added in memory."""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import normkit_summary, run_normkit

import normkit
from normkit.errors import StatsFileError


def test_continuing_a_stat_file_keeps_its_read_settings_sketch_and_categories(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(20, 5, 10_000)
    x[rng.random(10_000) < 0.05] = -999
    city = rng.choice(["Paris", "Lyon"], 10_000)
    train = pd.DataFrame({"temp": x, "age": rng.integers(18, 90, 10_000), "city": city})
    train.to_csv(tmp_path / "train.csv", index=False)
    more = train.iloc[:100].assign(city="Nice")
    more.to_csv(tmp_path / "more.csv", index=False)
    normkit_summary("fit", tmp_path / "train.csv", "--null-values=-999", "-o", tmp_path / "s.json")
    stats = normkit.load(tmp_path / "s.json")
    stats.partial_fit(pd.read_csv(tmp_path / "more.csv", na_values=[-999]))
    normkit.save(stats, tmp_path / "s2.json")
    written = json.loads((tmp_path / "s2.json").read_text())
    assert "-999" in written["read"]["null_values"]
    assert written["sketch"]["merged"] is True
    counts = {c["name"]: c["counts"] for c in written["categories"]}["city"]
    assert counts == {**dict(train["city"].value_counts()), "Nice": 100}
    assert written["provenance"]["continued"]["rows"] == 100
    # The placeholders are missing values, as the stat file fitted on the file says.
    normkit_summary(
        "transform", tmp_path / "train.csv", "-s", tmp_path / "s2.json", "-o", tmp_path / "z.csv"
    )
    z = pd.read_csv(tmp_path / "z.csv")
    assert z["temp"].isna().sum() == (x == -999).sum()
    assert z["temp"].min() > -10
    drift = run_normkit("drift", tmp_path / "train.csv", "-s", tmp_path / "s2.json")
    assert drift.returncode == 0, drift.stderr
    assert b"merged with those of rows added in memory (partial_fit)" in drift.stdout
    shown = run_normkit("inspect", tmp_path / "s2.json").stdout.decode()
    assert "continued  100 rows added in memory (partial_fit)" in shown


def test_drift_says_why_statistics_continued_from_some_without_a_sketch_have_none():
    frame = pd.DataFrame({"x": np.arange(50.0)})
    fitted = normkit.Standardizer().fit(frame).stats_
    without = normkit.Standardizer.from_stats(replace(fitted, sketch=None, provenance={"a": 1}))
    without.partial_fit(frame)
    with pytest.raises(StatsFileError) as raised:
        normkit.drift_batches([frame], without)
    assert "it holds statistics continued in memory (partial_fit) from some that had none" in (
        raised.value.message
    )


def test_a_number_the_fit_read_as_missing_is_refused_in_memory(tmp_path):
    # Fitted on a file read with --null-values -999: a DataFrame of the same data read without
    # them holds -999 as a number, which would move the statistics continued with partial_fit,
    # or come out of a transform far out, without a word. Refused, naming the column, the row
    # and the way out; NaN in its place goes through, as the CLI reads the file.
    path = tmp_path / "a.csv"
    path.write_text("t,z\n20.5,a\n-999,b\n19.0,unknown\n21.2,a\n")
    stats = tmp_path / "a.json"
    assert run_normkit("fit", path, "--null-values", "-999,unknown", "-o", stats).returncode == 0
    frame = pd.read_csv(path)
    loaded = normkit.load(stats)
    with pytest.raises(normkit.DataError, match=r"column 't' at row 2: -999 is a missing value"):
        loaded.transform(frame)
    with pytest.raises(normkit.DataError, match=r"df.replace\(-999, np.nan\)"):
        normkit.load(stats).partial_fit(frame)
    with pytest.raises(normkit.DataError, match=r"column 't' at row 2: -999 is a missing value"):
        list(normkit.load(stats).transform_stream([pa.Table.from_pandas(frame)], "adaptive"))
    cleaned = frame.replace(-999, np.nan)
    out = loaded.transform(cleaned)
    assert np.isnan(out["t"][1])
    np.testing.assert_allclose(loaded.inverse_transform(out)["t"], cleaned["t"], rtol=1e-12)
    continued = normkit.load(stats).partial_fit(cleaned)
    np.testing.assert_allclose(continued.mean_, loaded.mean_, rtol=1e-15)
    # Its text column's word for missing ('unknown') counts as missing there, as in the file.
    counts = continued.categories_["z"]
    assert (dict(counts.counts), counts.missing) == ({"a": 4, "b": 2}, 2)


@pytest.mark.parametrize(
    "given",
    [
        {"momentum": 0.05},
        {"convention": "keras", "batch_size": 64},
        {"momentum": "cumulative"},
        {"weight_column": "w"},  # no running statistics, as the default asks of weights
    ],
)
def test_a_loaded_estimator_has_the_parameters_of_the_fitted_one(tmp_path, given):
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(10, 2, 2_000), "w": rng.integers(1, 3, 2_000)})
    if "weight_column" not in given:
        df = df.drop(columns="w")
    fitted = normkit.Standardizer(**given).fit(df)
    fitted.save(tmp_path / "m.json")
    loaded = normkit.load(tmp_path / "m.json")
    assert loaded.get_params() == fitted.get_params()
    # So a clone of it is tuned as one of the fitted estimator is (GridSearchCV); weighted
    # statistics have no running ones to tune.
    tuned = {} if "weight_column" in given else {"batch_size": 100}
    refitted = clone(loaded).set_params(**tuned).fit(df)
    expected = clone(fitted).set_params(**tuned).fit(df)
    assert refitted.mean_.tolist() == expected.mean_.tolist()
    if expected.ema_ is not None:
        assert refitted.ema_.running_mean.tolist() == expected.ema_.running_mean.tolist()


@pytest.mark.parametrize("cut", [1000, 1199, 901, 900])
def test_statistics_saved_during_a_stream_go_on_as_the_estimator_would(tmp_path, cut):
    import pickle

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(10, 2, 5_000), "y": rng.normal(size=5_000)})
    df.loc[rng.random(5_000) < 0.3, "y"] = np.nan
    full = normkit.Standardizer(batch_size=300).fit(df)
    begun = normkit.Standardizer(batch_size=300).partial_fit(df.iloc[:cut])
    begun.save(tmp_path / "ckpt.json")
    loaded = normkit.load(tmp_path / "ckpt.json")
    # As if the data ended there: the unfinished batch is a final partial batch.
    assert loaded.ema_.running_mean.tolist() == begun.ema_.running_mean.tolist()
    assert loaded.ema_.n_batches == begun.ema_.n_batches
    resumed = pickle.loads(pickle.dumps(begun))
    for start in range(cut, 5_000, 377):
        loaded.partial_fit(df.iloc[start : start + 377])
        resumed.partial_fit(df.iloc[start : start + 377])
    for running in (resumed.ema_, loaded.ema_):
        np.testing.assert_allclose(running.running_mean, full.ema_.running_mean, rtol=1e-12)
        np.testing.assert_allclose(running.running_var, full.ema_.running_var, rtol=1e-12)
        assert running.n_batches == full.ema_.n_batches
        assert running.n_updates.tolist() == full.ema_.n_updates.tolist()
    loaded.save(tmp_path / "again.json")  # and saved again, the same
    again = normkit.load(tmp_path / "again.json")
    assert again.ema_.running_mean.tolist() == loaded.ema_.running_mean.tolist()


def test_a_pending_batch_that_contradicts_its_stat_file_is_refused(tmp_path):
    df = pd.DataFrame({"x": np.random.default_rng(0).normal(10, 2, 1_000)})
    normkit.Standardizer(batch_size=300).partial_fit(df).save(tmp_path / "ckpt.json")
    doc = json.loads((tmp_path / "ckpt.json").read_text())
    assert doc["ema_pending"] == {"rows": 100}
    doc["ema_pending"]["rows"] = 300
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(StatsFileError, match=r"ema_pending.rows \(300\) is not below"):
        normkit.load(tmp_path / "bad.json")
    doc["ema_pending"]["rows"] = 50
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(StatsFileError, match=r"column 'x': ema.pending_count \(100\) is above"):
        normkit.load(tmp_path / "bad.json")


def test_a_pending_batch_without_a_value_of_a_column_is_saved_and_continued(tmp_path):
    # Its pending mean is NaN (no value yet): the file's own check refused what save wrote
    # ("columns[1].ema.'pending_mean' must be a finite number, not nan").
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": rng.normal(size=9), "b": rng.normal(size=9)})
    df.loc[6:, "b"] = np.nan  # the rows after the last whole batch: no value of b
    more = pd.DataFrame({"a": rng.normal(size=7), "b": rng.normal(size=7)})
    whole = normkit.Standardizer(batch_size=3).partial_fit(pd.concat([df, more]))
    for first in (df, df.iloc[:7]):  # no pending batch, then one of a row without b
        resumed = normkit.Standardizer(batch_size=3).partial_fit(first)
        resumed.save(tmp_path / "ckpt.json")
        loaded = normkit.load(tmp_path / "ckpt.json")
        loaded.partial_fit(df.iloc[len(first) :]).partial_fit(more)
        np.testing.assert_allclose(loaded.ema_.running_mean, whole.ema_.running_mean, rtol=1e-12)
        np.testing.assert_allclose(loaded.ema_.running_var, whole.ema_.running_var, rtol=1e-12)
        assert loaded.ema_.n_updates.tolist() == whole.ema_.n_updates.tolist()
    doc = json.loads((tmp_path / "ckpt.json").read_text())
    assert doc["columns"][1]["ema"]["pending_mean"] == "NaN"
    edits = [  # a mean without values, or none of a value; a spread of fewer than 2
        ("pending_mean", {"pending_count": 1, "pending_mean": "NaN"}),
        ("pending_mean", {"pending_count": 0, "pending_mean": 1.5}),
        ("pending_mean", {"pending_count": 0, "pending_mean": "Infinity"}),
        ("pending_m2", {"pending_count": 1, "pending_mean": 1.5, "pending_m2": 3.0}),
    ]
    for key, edit in edits:
        bad = copy.deepcopy(doc)
        bad["columns"][1]["ema"].update(edit)
        (tmp_path / "bad.json").write_text(json.dumps(bad))
        with pytest.raises(StatsFileError, match=rf"column 'b': ema.{key} \(.* cannot be that"):
            normkit.load(tmp_path / "bad.json")


def test_continued_statistics_refuse_values_of_a_column_they_had_none_of(tmp_path):
    rng = np.random.default_rng(0)
    empty = pd.DataFrame({"x": rng.normal(size=500), "y": [None] * 500})
    full = pd.DataFrame({"x": rng.normal(size=500), "y": rng.normal(50, 5, 500)})
    finished = normkit.Standardizer().fit(empty)
    finished.partial_fit(empty)  # still none: goes on
    assert finished.n_rows_seen_ == 1_000
    finished.save(tmp_path / "s.json")
    for continued in (finished, normkit.load(tmp_path / "s.json")):
        # Its values would be left out of statistics that pass the column through.
        with pytest.raises(
            normkit.DataError,
            match=r"^this batch, after 1,000 rows fitted: column 'y' at row 1: holds '55\.9",
        ):
            continued.partial_fit(full)


def test_a_value_refused_in_a_later_batch_is_named_by_its_row_in_that_batch(tmp_path):
    # The rows fitted before were counted in ("row 2,024" after a stat file of 2,000 rows, "row
    # 106" after a fit of 100): no such row in the frame passed.
    from scipy import sparse

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=2_000), "b": rng.normal(size=2_000)})
    frame.to_csv(tmp_path / "eu.csv", index=False)
    assert run_normkit("fit", tmp_path / "eu.csv", "-o", tmp_path / "eu.json").returncode == 0
    batch = frame.head(1_000).copy()
    batch.loc[23, "b"] = np.inf
    told = "^this batch, after 2,000 rows fitted: column 'b' at row 24: inf is not finite"
    with pytest.raises(normkit.DataError, match=told):
        normkit.load(tmp_path / "eu.json").partial_fit(batch)
    fitted = normkit.Standardizer().fit(frame.head(100))
    small = frame.tail(10).reset_index(drop=True)
    small.loc[5, "a"] = np.inf
    told = "^this batch, after 100 rows fitted: column 'a' at row 6: inf is not finite"
    indexed = r"^this batch, after 100 rows fitted: column 'a' at row 6 \(index 205\): inf "
    for X, at in (
        (small, told),
        (small.set_axis(range(200, 210)), indexed),  # its index of its own named too
        (small.to_numpy(), told),  # the array by position
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # X has no feature names
            with pytest.raises(normkit.DataError, match=at):
                fitted.partial_fit(X)
    # A sparse matrix is fitted in blocks of rows: its rows count from its first, not a block's.
    values = sparse.lil_matrix((10_000, 1_000))  # blocks of 4,194 rows
    values[::7, 0] = 1.0
    values[9_000, 7] = np.inf
    scaler = normkit.Standardizer(with_mean=False).fit(values[:100].tocsr())
    with pytest.raises(normkit.DataError, match="100 rows fitted: column 'x7' at row 9,001: "):
        scaler.partial_fit(values.tocsr())
