"""The stat file of weighted statistics: ``weights`` (the weight column) and each column's
``weight``, checked against the other fields; an unweighted file is as it always was."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

import normkit
from normkit import Standardizer, StatsFileError
from normkit.stats import statfile


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("weighted") / "d.csv"
    rng = np.random.default_rng(31)
    pd.DataFrame(
        {
            "x": rng.normal(3.0, 1.0, 200),
            "t": rng.choice(["a", "b"], 200),
            "w": np.r_[np.zeros(20), rng.exponential(2.0, 180)],
        }
    ).to_csv(path, index=False)
    fitted = normkit.fit_files(path, Standardizer(ddof=1), weight_column="w")
    return json.loads(statfile.to_text(fitted.stats_))


def changed(document: dict, change) -> str:
    doc = copy.deepcopy(document)
    change(doc)
    return json.dumps(doc)


def test_a_weighted_stat_file_reads_back_exactly(document):
    stats = statfile.parse(json.dumps(document))
    column = document["columns"][0]
    assert stats.weighted
    assert stats.weight.tolist() == [column["weight"]]
    assert column["count"] + column["missing"] == 180  # rows of weight 0 are not counted
    assert document["rows"] == 200
    assert stats.categories["t"].total == 180
    assert statfile.to_text(stats) == statfile.to_text(statfile.parse(statfile.to_text(stats)))


def test_an_unweighted_stat_file_has_no_weights(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,w\n1,1\n2,2\n4,0\n")
    doc = json.loads(statfile.to_text(normkit.fit_files(path).stats_))
    assert "weights" not in doc
    assert all("weight" not in c for c in doc["columns"])
    assert not statfile.parse(json.dumps(doc)).weighted


def set_column(key, value):
    return lambda doc: doc["columns"][0].__setitem__(key, value)


def with_running(doc: dict) -> None:
    options = {"convention": "torch", "momentum": 0.1, "init": "standard", "batch_size": 2}
    doc["ema"] = {**options, "drop_last": False, "eps": 1e-5, "batches": 0}
    for column in doc["columns"]:
        column["ema"] = {"running_mean": 0.0, "running_var": 1.0, "updates": 0, "skipped": 0}


INCONSISTENT = {
    "no weight": (lambda doc: doc["columns"][0].pop("weight"), "missing key columns[0].'weight'"),
    "weight 0": (set_column("weight", 0.0), "columns[0].'weight' must be > 0"),
    "weight not finite": (set_column("weight", "Infinity"), "'weight' must be a finite number"),
    "weight of a file without weights": (
        lambda doc: doc.pop("weights"),
        "columns[0].'weight' without the top-level 'weights'",
    ),
    "var over the count": (
        lambda doc: doc["columns"][0].__setitem__(
            "var", doc["columns"][0]["m2"] / (doc["columns"][0]["count"] - 1)
        ),
        "is not m2 / (weight - ddof)",
    ),
    "weight not above ddof": (set_column("weight", 0.5), "weight (0.5) is not above ddof (1)"),
    "more values than rows": (set_column("missing", 100), "count + missing (180 + 100) is more"),
    "another weight column": (
        lambda doc: doc["weights"].__setitem__("column", "t"),
        "weights.'column' ('t') is not the column passed through as the weight",
    ),
    "running statistics": (lambda doc: with_running(doc), "'ema' and 'weights'"),
    "missing weight below 0": (
        set_column("missing_weight", -1.0),
        "columns[0].'missing_weight' must be >= 0",
    ),
    "missing weight without missing values": (
        set_column("missing_weight", 2.0),
        "missing_weight (2.0) is not 0, though no value is missing",
    ),
    "missing values without their weight": (
        lambda doc: doc["columns"][0].update(count=170, missing=10),
        "missing_weight is 0, though 10 values are missing",
    ),
}


@pytest.mark.parametrize("name", list(INCONSISTENT))
def test_weights_that_disagree_with_the_other_fields_are_refused(document, name):
    change, message = INCONSISTENT[name]
    with pytest.raises(StatsFileError) as info:
        statfile.parse(changed(document, change), source="s.json")
    assert str(info.value).startswith("s.json: ")
    assert message in str(info.value)


def test_a_weight_column_in_a_file_without_weights_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,w\n1,1\n2,2\n4,0\n")
    doc = json.loads(statfile.to_text(normkit.fit_files(path, Standardizer(exclude="w")).stats_))
    assert doc["passthrough"] == [{"name": "w", "dtype": "int64", "why": "excluded"}]
    doc["passthrough"][0]["why"] = "weight"
    with pytest.raises(StatsFileError, match="a weight column passed through, no weights"):
        statfile.parse(json.dumps(doc))


def test_the_weight_of_missing_values_is_kept_and_merged_with_unweighted_rows(tmp_path):
    # A missing value of weight w is w missing rows: the stat file keeps the weights' sum, and
    # statistics of data without the weight column add their missing rows, which weigh 1.
    rng = np.random.default_rng(5)
    x = rng.normal(size=300)
    x[rng.random(300) < 0.3] = np.nan
    w = rng.choice([0.0, 0.5, 4.0], 300)
    pd.DataFrame({"x": x, "w": w}).to_csv(tmp_path / "w.csv", index=False)
    pd.DataFrame({"x": x[:50]}).to_csv(tmp_path / "p.csv", index=False)
    weighted = normkit.fit_files(tmp_path / "w.csv", weight_column="w").stats_
    missing = np.isnan(x)
    assert weighted.missing_weight.tolist() == [w[missing].sum()]
    assert weighted.n_missing.tolist() == [(missing & (w > 0)).sum()]  # rows of weight 0: none
    again = statfile.parse(statfile.to_text(weighted))
    assert again.missing_weight.tolist() == weighted.missing_weight.tolist()
    merged = weighted.merge(normkit.fit_files(tmp_path / "p.csv").stats_)
    assert merged.missing_weight.tolist() == [w[missing].sum() + missing[:50].sum()]
    in_memory = Standardizer().fit(pd.DataFrame({"x": x}), sample_weight=w).stats_
    assert in_memory.missing_weight.tolist() == weighted.missing_weight.tolist()


def test_a_weighted_stat_file_without_the_weight_of_missing_values_reads_as_before(document):
    # Written before normkit kept it: unknown where values are missing (0 where none is), and
    # written back as it was, so that its text, and its fingerprint, stay the same.
    doc = copy.deepcopy(document)
    doc["columns"][0].update(count=170, missing=10)
    doc["columns"][0].pop("missing_weight")
    doc["columns"][0].pop("quantile_sample")
    doc["columns"][0].pop("quantiles")
    doc["columns"][0].pop("quantile_cdf")
    doc.pop("sketch")
    stats = statfile.parse(json.dumps(doc))
    assert np.isnan(stats.missing_weight).all()
    assert "missing_weight" not in json.loads(statfile.to_text(stats))["columns"][0]
    none_missing = copy.deepcopy(document)
    none_missing["columns"][0].pop("missing_weight")
    assert statfile.parse(json.dumps(none_missing)).missing_weight.tolist() == [0.0]
