"""``normkit drift`` and the distribution sketch (quantiles) that stat files keep for it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ERROR, assert_error, run

import normkit
from normkit.core.sketch import QUANTILE_PROBABILITIES, ColumnSamples, row_keys


def training(rows: int = 6000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 0.5, rows)
    income[rng.random(rows) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "age": rng.integers(18, 90, rows),
            "income": income,
            "score": rng.normal(0.0, 1.0, rows),
            "constant": np.full(rows, 3.0),
        }
    )


@pytest.fixture
def fitted(tmp_path) -> tuple[Path, Path, pd.DataFrame]:
    data = training()
    path = tmp_path / "train.csv"
    data.to_csv(path, index=False)
    stats = tmp_path / "stats.json"
    result = run("fit", path, "--exclude", "id", "-o", stats, "-q")
    assert result.exit_code == 0, result.stderr
    return path, stats, data


def drift_json(data_path, stats, *options) -> tuple[int, dict]:
    result = run("drift", data_path, "-s", stats, "--json", *options)
    assert result.exit_code in (0, 3), result.output
    return result.exit_code, json.loads(result.stdout)


def test_the_training_data_does_not_drift(fitted):
    path, stats, _ = fitted
    code, report = drift_json(path, stats)
    assert code == 0
    assert report["drifted"] == []
    for column in report["columns"]:
        assert column["mean_shift"] == pytest.approx(0.0, abs=1e-12)
        assert column["psi"] < 0.01, column
        assert column["ks"] < 0.01, column


@pytest.mark.parametrize("rows", [3, 30, 200])
def test_a_few_rows_of_the_training_data_score_no_psi(tmp_path, rows):
    # Half a value is added to every bin of both sides: data like the reference's scores 0
    # however few its values, discrete ones too (the new data's bins alone once were
    # smoothed: 4.6 for three rows, 0.36 for thirty integers); a shift still scores.
    rng = np.random.default_rng(rows)
    data = pd.DataFrame({"x": rng.normal(size=rows), "k": rng.integers(0, 5, rows)})
    path, stats = tmp_path / "d.csv", tmp_path / "s.json"
    data.to_csv(path, index=False)
    assert run("fit", path, "-o", stats, "-q").exit_code == 0
    code, report = drift_json(path, stats)
    assert code == 0
    for column in report["columns"]:
        assert column["psi"] == pytest.approx(0.0, abs=1e-12), column
    (data + 3 * data.std()).to_csv(path, index=False)
    _, report = drift_json(path, stats)
    for column in report["columns"]:
        assert column["psi"] > 0.2, column


def test_a_few_rows_like_a_binary_or_constant_reference_score_no_psi(tmp_path):
    # 3 ones and 7 zeros against 30% ones, 10 sevens against a constant 7: the bin above the
    # largest value, empty on both sides, was smoothed as one the smaller side had missed
    # (PSI 0.30 and 0.31, above the 0.2 of a drift).
    reference = pd.DataFrame({"b": [1] * 6000 + [0] * 14000, "c": [7.0] * 20000})
    reference.to_csv(tmp_path / "ref.csv", index=False)
    assert run("fit", tmp_path / "ref.csv", "-o", tmp_path / "s.json", "-q").exit_code == 0
    pd.DataFrame({"b": [1] * 3 + [0] * 7, "c": [7.0] * 10}).to_csv(
        tmp_path / "new.csv", index=False
    )
    code, report = drift_json(tmp_path / "new.csv", tmp_path / "s.json")
    assert code == 0
    psi = {column["name"]: column["psi"] for column in report["columns"]}
    assert psi["c"] == pytest.approx(0.0, abs=1e-12), psi
    assert psi["b"] < 0.01, psi
    # A share that moved still scores.
    pd.DataFrame({"b": [1] * 9 + [0], "c": [7.0] * 10}).to_csv(tmp_path / "new.csv", index=False)
    _, report = drift_json(tmp_path / "new.csv", tmp_path / "s.json")
    assert report["columns"][0]["psi"] > 0.2, report["columns"][0]


def test_columns_the_fit_passed_through_are_named_as_not_checked(tmp_path):
    # Dates moved 200 days and an excluded age 30 years: left out of the report without a word.
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {
            "ts": pd.date_range("2024-01-01", periods=500, freq="h"),
            "age": rng.integers(18, 90, 500),
            "x": rng.normal(size=500),
            "name": rng.choice(["a", "b"], 500),
        }
    )
    data.to_parquet(tmp_path / "ref.parquet")
    data.assign(ts=data.ts + pd.Timedelta(days=200), age=data.age + 30).to_parquet(
        tmp_path / "new.parquet"
    )
    stats = tmp_path / "s.json"
    fit = ("fit", tmp_path / "ref.parquet", "-o", stats, "-q")
    assert run(*fit, "--exclude", "age").exit_code == 0
    code, report = drift_json(tmp_path / "new.parquet", stats)
    assert code == 0
    assert report["notes"] == [
        "the fit passed columns through, not checked: 'ts' (type timestamp[us]), 'age' (excluded)"
    ]
    # Not chosen, the text column's categories are still checked: not named.
    assert run(*fit, "--columns", "x").exit_code == 0
    _, report = drift_json(tmp_path / "new.parquet", stats)
    assert [c["name"] for c in report["columns"]] == ["x", "name"]
    assert report["notes"] == [
        "the fit passed columns through, not checked: 'ts' (not chosen), 'age' (not chosen)"
    ]


def test_booleans_written_as_text_by_pandas_are_the_booleans_of_the_reference(tmp_path):
    # A CSV's True/False are booleans; the same data written to Parquet by pandas as the text
    # "True"/"False" drifted: "new: True, False; vanished: true, false".
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": rng.normal(size=2000), "flag": rng.choice(["True", "False"], 2000)})
    data.to_csv(tmp_path / "ref.csv", index=False)
    data.to_parquet(tmp_path / "text.parquet")
    assert run("fit", tmp_path / "ref.csv", "-o", tmp_path / "s.json", "-q").exit_code == 0
    code, report = drift_json(tmp_path / "text.parquet", tmp_path / "s.json")
    assert code == 0, report["drifted"]
    (flag,) = [c for c in report["columns"] if c["name"] == "flag"]
    assert flag["new_categories"] == []
    assert flag["vanished_categories"] == []
    # And the other way: fitted on the text, checked against the CSV's booleans.
    assert run("fit", tmp_path / "text.parquet", "-o", tmp_path / "t.json", "-q").exit_code == 0
    code, report = drift_json(tmp_path / "ref.csv", tmp_path / "t.json")
    assert code == 0, report["drifted"]
    # The shares still count: mostly "True" drifts.
    data.assign(flag=np.where(rng.random(2000) < 0.9, "True", "False")).to_parquet(
        tmp_path / "text.parquet"
    )
    code, report = drift_json(tmp_path / "text.parquet", tmp_path / "s.json")
    assert code == 3
    assert report["drifted"] == ["flag"]


def test_values_moved_below_the_reference_minimum_change_the_distribution(tmp_path):
    # 80% zeros moved to -0.5: they stayed in the bin of the zeros (the quantiles all 0), PSI
    # 0.003 and "ok", where the mirror column's values moved above its maximum drifted.
    def rain(seed, rows):
        rng = np.random.default_rng(seed)
        return np.where(rng.random(rows) < 0.8, 0.0, np.round(rng.gamma(2, 15, rows), 1))

    pd.DataFrame({"rain": rain(3, 20_000)}).to_csv(tmp_path / "ref.csv", index=False)
    assert run("fit", tmp_path / "ref.csv", "-o", tmp_path / "s.json", "-q").exit_code == 0
    new = rain(9, 2000)
    pd.DataFrame({"rain": new}).to_csv(tmp_path / "same.csv", index=False)
    moved = pd.DataFrame({"rain": np.where(new == 0, -0.5, new)})
    moved.to_csv(tmp_path / "moved.csv", index=False)
    code, report = drift_json(tmp_path / "same.csv", tmp_path / "s.json")
    assert code == 0, report["columns"]
    assert report["columns"][0]["psi"] < 0.01, report["columns"]
    code, report = drift_json(tmp_path / "moved.csv", tmp_path / "s.json")
    assert code == 3, report["columns"]
    (column,) = report["columns"]
    assert column["reasons"] == ["distribution"]
    assert column["ks"] == pytest.approx(np.mean(new == 0), abs=0.03)  # scipy's ks_2samp
    assert column["psi"] > 1


@pytest.mark.parametrize("column", ["age", "income", "score"])
def test_a_column_shifted_by_half_a_std_is_flagged_alone(tmp_path, fitted, column):
    _, stats, data = fitted
    shifted = data.copy()
    shifted[column] = shifted[column] + 0.5 * shifted[column].std()
    path = tmp_path / "shifted.csv"
    shifted.to_csv(path, index=False)
    code, report = drift_json(path, stats)
    assert code == 3
    assert report["drifted"] == [column]
    entry = next(c for c in report["columns"] if c["name"] == column)
    assert entry["mean_shift"] == pytest.approx(0.5, rel=1e-3)  # ddof 0 scale vs pandas' ddof 1
    assert "mean" in entry["reasons"]
    assert entry["psi"] > 0.2


def test_missing_values_and_constant_columns(tmp_path, fitted):
    _, stats, data = fitted
    changed = data.copy()
    changed.loc[changed.index[:2000], "score"] = np.nan  # a third of the rows lose their score
    changed["constant"] = 4.0  # a constant column that changed value
    path = tmp_path / "changed.csv"
    changed.to_csv(path, index=False)
    code, report = drift_json(path, stats)
    assert code == 3
    assert report["drifted"] == ["score", "constant"]
    by_name = {c["name"]: c for c in report["columns"]}
    assert by_name["score"]["reasons"] == ["missing"]
    assert by_name["score"]["missing_change"] == pytest.approx(2000 / 6000)
    assert by_name["constant"]["mean_shift"] == pytest.approx(1.0)  # scale 1, as scikit-learn
    assert by_name["constant"]["std_ratio"] == 1.0  # 0 / 0: both constant
    assert by_name["income"]["reasons"] == []  # 5% missing before and after


def test_weighted_statistics_judge_a_column_without_values(tmp_path):
    # A weighted fit's sample of the new data is empty for a column without values: it is
    # judged by its missing values (it failed with a traceback).
    train, new, stats = tmp_path / "t.csv", tmp_path / "n.csv", tmp_path / "s.json"
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300), "w": 1.0})
    frame.to_csv(train, index=False)
    frame.assign(y=np.nan).to_csv(new, index=False)
    assert run("fit", train, "--weight-column", "w", "-o", stats).exit_code == 0
    code, report = drift_json(new, stats)
    assert code == 3
    assert report["drifted"] == ["y"]
    assert {c["name"]: c["reasons"] for c in report["columns"]}["y"] == ["missing"]


def test_human_output_and_threshold(tmp_path, fitted):
    _, stats, data = fitted
    shifted = data.assign(score=data["score"] + 0.15)
    path = tmp_path / "s.csv"
    shifted.to_csv(path, index=False)
    loose = run("drift", path, "-s", stats)
    assert loose.exit_code == 0, loose.output
    assert "no drift in 4 columns (alpha 0.01 over 16 tests, threshold 0.2)" in loose.stdout
    strict = run("drift", path, "-s", stats, "--threshold", "0.1")
    assert strict.exit_code == 3
    assert "1 column of 4 drifted (alpha 0.01 over 16 tests, threshold 0.1): score" in strict.stdout
    assert "DRIFT (mean" in strict.stdout
    # The same, for that column only; a threshold for a column the stat file lacks is refused.
    only = run("drift", path, "-s", stats, "--threshold", "score=0.1,age=0.3")
    assert only.exit_code == 3
    assert "drifted (alpha 0.01 over 16 tests, threshold 0.2): score" in only.stdout
    other = run("drift", path, "-s", stats, "--threshold", "age=0.1")
    assert other.exit_code == 0, other.stdout
    assert_error(run("drift", path, "-s", stats, "--threshold", "sore=0.1"), 1, "'sore'", "score")
    for twice in (["score=0.1", "score=0.2"], ["0.1", "0.3"], ["=0.3"]):
        result = run("drift", path, "-s", stats, *[f"--threshold={t}" for t in twice])
        assert result.exit_code == 2, result.output
        assert "--threshold" in result.stderr
        assert "given once" in result.stderr or "without a column name" in (result.stderr)
    # Significance at a stricter alpha: a 0.15 sd shift over 6,000 rows is still far beyond it.
    assert run("drift", path, "-s", stats, "--threshold", "0.1", "--alpha", "1e-6").exit_code == 3


def test_errors(tmp_path, fitted):
    path, stats, data = fitted
    doc = json.loads(stats.read_text())
    doc.pop("sketch")
    for column in doc["columns"]:
        column.pop("quantiles")
        column.pop("quantile_cdf")
        column.pop("quantile_sample")
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    result = run("drift", path, "-s", old)
    assert result.exit_code == 1
    assert result.stderr.startswith(ERROR)
    assert result.stderr.startswith(f"{ERROR}{old}: ")
    assert "no distribution sketch" in result.stderr
    data.drop(columns=["score"]).to_csv(tmp_path / "less.csv", index=False)
    result = run("drift", tmp_path / "less.csv", "-s", stats)
    assert result.exit_code == 1
    assert "has column 'score' but the input has no such column" in result.stderr


# -- the sketch --------------------------------------------------------------------------------


def test_the_sketch_is_the_quantiles_of_a_uniform_sample_independent_of_chunking(fitted, tmp_path):
    path, stats, data = fitted
    chunked = tmp_path / "chunked.json"
    assert (
        run("fit", path, "--exclude", "id", "-o", chunked, "-q", "--chunk-rows", "7").exit_code == 0
    )
    a, b = normkit.load(stats), normkit.load(chunked)
    np.testing.assert_array_equal(a.sketch_.edges, b.sketch_.edges)
    # 6,000 rows fit in the sample: the quantiles are those of the data itself.
    expected = np.nanquantile(data["income"], QUANTILE_PROBABILITIES)
    np.testing.assert_allclose(a.sketch_.edges[1], expected, rtol=1e-15)
    np.testing.assert_allclose(
        a.sketch_.cdf[0][:3], [np.mean(data["age"] <= e) for e in a.sketch_.edges[0][:3]]
    )


def test_a_bottom_k_sample_equals_the_smallest_keys_of_each_columns_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50_000, 2))
    x[rng.random(50_000) < 0.98, 1] = np.nan  # a mostly missing column keeps its 1,000 values too
    sample = ColumnSamples(2, size=1000)
    for start in range(0, 50_000, 3_333):
        part = x[start : start + 3_333]
        sample.offer(list(part.T), row_keys(0, start, len(part)))
    keys = row_keys(0, 0, 50_000)
    for j in range(2):
        present = np.flatnonzero(~np.isnan(x[:, j]))
        expected = present[np.argsort(keys[present])[:1000]]
        np.testing.assert_array_equal(np.sort(sample.values(j)), np.sort(x[expected, j]))
    # Uniform: the sample's mean is the data's, within sampling error.
    assert abs(sample.values(0).mean()) < 4 / np.sqrt(1000)


def test_no_false_alarm_on_other_samples_of_the_same_distribution(tmp_path):
    # A large fit, then new samples of the same distributions, small and large: a mostly
    # missing column, ties, a heavy tail. PSI decides only with 500 values or more.
    def frame(rows, seed):
        rng = np.random.default_rng(seed)
        sparse = rng.normal(size=rows)
        sparse[rng.random(rows) < 0.995] = np.nan
        return pd.DataFrame(
            {
                "normal": rng.normal(size=rows),
                "ints": rng.integers(0, 5, rows),
                "poisson": rng.poisson(0.3, rows),
                "sparse": sparse,
                "wide": rng.lognormal(0, 0.5, rows),
            }
        )

    frame(200_000, 0).to_parquet(tmp_path / "train.parquet")
    assert run("fit", tmp_path / "train.parquet", "-o", tmp_path / "s.json", "-q").exit_code == 0
    for rows, seed in ((300, 1), (5_000, 2), (100_000, 3)):
        frame(rows, seed).to_parquet(tmp_path / f"new{seed}.parquet")
        code, report = drift_json(tmp_path / f"new{seed}.parquet", tmp_path / "s.json")
        psi = {c["name"]: c["psi"] for c in report["columns"]}
        assert code == 0, (rows, report["drifted"], psi)


def test_a_small_batch_wholly_beyond_the_reference_range_drifts(tmp_path):
    # Ages of 18 to 89, then 8 ages of over 1,000: clipped at the reference's maximum, they read
    # as a batch at its edge (p 0.016 after Holm), and the gate passed them.
    rng = np.random.default_rng(1)
    pd.DataFrame({"age": rng.integers(18, 90, 20_000), "x": rng.normal(size=20_000)}).to_csv(
        tmp_path / "ref.csv", index=False
    )
    assert run("fit", tmp_path / "ref.csv", "-o", tmp_path / "s.json", "-q").exit_code == 0
    for seed, rows in ((5, 8), (6, 5)):
        rng = np.random.default_rng(seed)
        new = pd.DataFrame({"age": rng.integers(18, 90, rows), "x": rng.normal(size=rows)})
        new.to_csv(tmp_path / "same.csv", index=False)
        new.assign(age=new["age"] + 1000).to_csv(tmp_path / "far.csv", index=False)
        code, report = drift_json(tmp_path / "far.csv", tmp_path / "s.json")
        assert code == 3, report
        assert [(c["name"], c["reasons"]) for c in report["columns"] if c["drifted"]] == [
            ("age", ["mean"])
        ]
        # Below the range by as much: the same.
        new.assign(age=new["age"] - 1000).to_csv(tmp_path / "low.csv", index=False)
        assert drift_json(tmp_path / "low.csv", tmp_path / "s.json")[0] == 3
        assert drift_json(tmp_path / "same.csv", tmp_path / "s.json")[0] == 0


def test_merged_stat_files_keep_an_approximate_sketch(tmp_path):
    data = training(20_000, seed=4)
    halves = [data.iloc[:10_000], data.iloc[10_000:]]
    for i, half in enumerate(halves):
        half.to_csv(tmp_path / f"{i}.csv", index=False)
        assert (
            run(
                "fit", tmp_path / f"{i}.csv", "--exclude", "id", "-q", "-o", tmp_path / f"{i}.json"
            ).exit_code
            == 0
        )
    merged = normkit.merge_stat_files([tmp_path / "0.json", tmp_path / "1.json"])
    truth = np.nanquantile(data["score"], QUANTILE_PROBABILITIES)
    np.testing.assert_allclose(merged.sketch_.edges[2], truth, atol=0.05)
    # The merged sketch still describes the data: neither half drifts against it.
    normkit.save(merged, tmp_path / "m.json")
    code, report = drift_json(tmp_path / "0.csv", tmp_path / "m.json")
    assert code == 0, report["drifted"]
    # Its quantiles are interpolated: the distribution is not tested, and the report says so
    # (a shape changed at the same mean and spread went by as "ok" without a word).
    assert any("merged from shards" in note for note in report["notes"])
    assert all(c["p_values"]["distribution"] is None for c in report["columns"])
    code, report = drift_json(tmp_path / "0.csv", tmp_path / "0.json")
    assert not any("merged" in note for note in report["notes"])


def test_a_merged_sketch_of_discrete_columns_keeps_its_steps(tmp_path):
    rng = np.random.default_rng(8)
    data = pd.DataFrame({"ints": rng.integers(0, 5, 20_000), "pois": rng.poisson(0.3, 20_000)})
    halves = [data.iloc[:10_000], data.iloc[10_000:]]
    for i, half in enumerate(halves):
        half.to_csv(tmp_path / f"{i}.csv", index=False)
        assert run("fit", tmp_path / f"{i}.csv", "-q", "-o", tmp_path / f"{i}.json").exit_code == 0
    result = run(
        "merge-stats", tmp_path / "0.json", tmp_path / "1.json", "-o", tmp_path / "m.json", "-q"
    )
    assert result.exit_code == 0, result.stderr
    merged = normkit.load(tmp_path / "m.json")
    np.testing.assert_array_equal(
        merged.sketch_.edges[0],
        np.quantile(data["ints"], QUANTILE_PROBABILITIES, method="inverted_cdf"),
    )
    for i in range(2):
        code, report = drift_json(tmp_path / f"{i}.csv", tmp_path / "m.json")
        assert code == 0, report["drifted"]


def test_continuing_a_loaded_fit_merges_its_sketch_with_the_rows_added(fitted):
    # As a merge of two shards merges theirs: the sketch describes all the rows, interpolated
    # (drift does not test it as a sample's and says why).
    _, stats, data = fitted
    scaler = normkit.load(stats)
    before = scaler.sketch_
    assert before is not None
    assert not before.merged
    added = data[["age", "income", "score", "constant"]] + 1e6
    scaler.partial_fit(added)
    scaler.finish()
    sketch = scaler.sketch_
    assert sketch.merged
    np.testing.assert_array_equal(sketch.counts, before.counts + added.notna().sum().to_numpy())
    age = list(scaler.columns_).index("age")
    assert sketch.edges[age, 0] < 1e5 < sketch.edges[age, -1]  # of both sets of rows
    report = normkit.drift_batches([data], scaler)
    assert any("merged with those of rows added in memory (partial_fit)" in n for n in report.notes)


# -- categorical columns and data in memory ----------------------------------------------------


def labelled(rows: int, seed: int, shares=(0.6, 0.3, 0.1)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=rows),
            "city": rng.choice(["Paris", "Lyon", "Nice"], rows, p=shares),
            "flag": rng.random(rows) < 0.3,
            "uid": [f"u{seed}-{i}" for i in range(rows)],
        }
    )


@pytest.fixture
def labelled_stats(tmp_path) -> Path:
    labelled(20_000, 1).to_parquet(tmp_path / "train.parquet")
    stats = tmp_path / "stats.json"
    assert run("fit", tmp_path / "train.parquet", "-o", stats, "-q").exit_code == 0
    return stats


def test_category_frequencies_drift_and_identifiers_do_not(tmp_path, labelled_stats):
    same = tmp_path / "same.csv"
    labelled(500, 2).to_csv(same, index=False)
    code, report = drift_json(same, labelled_stats)
    assert code == 0, report["drifted"]
    kinds = {c["name"]: c["kind"] for c in report["columns"]}
    assert kinds == {
        "x": "numeric",
        "city": "categories",
        "flag": "categories",
        "uid": "categories",
    }
    # The rarest city's share doubled (10% -> 20%) over 500 rows: found, and only there.
    doubled = tmp_path / "doubled.csv"
    labelled(500, 3, shares=(0.5, 0.3, 0.2)).to_csv(doubled, index=False)
    code, report = drift_json(doubled, labelled_stats)
    assert code == 3
    assert report["drifted"] == ["city"]
    city = next(c for c in report["columns"] if c["name"] == "city")
    assert city["reasons"] == ["frequencies"]
    assert city["largest_share_change"] == pytest.approx(np.log(2), abs=0.25)
    # A text column takes its own threshold too: a doubled share is ln 2 = 0.69.
    code, report = drift_json(doubled, labelled_stats, "--threshold", "city=1.2")
    assert code == 0, report["drifted"]
    # A share that fell is a change below 0, shown as the factor it was multiplied by (a fall
    # to a fifth was shown as 'share x5.00', as a rise).
    fallen = tmp_path / "fallen.csv"
    labelled(500, 3, shares=(0.12, 0.6, 0.28)).to_csv(fallen, index=False)
    code, report = drift_json(fallen, labelled_stats)
    city = next(c for c in report["columns"] if c["name"] == "city")
    assert code == 3
    assert city["largest_share_change"] == pytest.approx(np.log(0.2), abs=0.25)
    shown = run("drift", fallen, "-s", labelled_stats).stdout
    line = next(row for row in shown.splitlines() if row.startswith("city"))
    assert "share x0.2" in line, line
    # A new category is named; a boolean column going all true drifts too.
    changed = labelled(500, 4)
    changed.loc[:99, "city"] = "Marseille"
    changed["flag"] = True
    path = tmp_path / "changed.parquet"
    changed.to_parquet(path)
    code, report = drift_json(path, labelled_stats)
    by_name = {c["name"]: c for c in report["columns"]}
    assert report["drifted"] == ["city", "flag"]
    assert by_name["city"]["new_categories"] == ["Marseille"]
    assert by_name["flag"]["vanished_categories"] == ["false"]


def test_drift_of_data_in_memory_equals_drift_of_the_file(tmp_path, labelled_stats):
    import pyarrow as pa

    data = labelled(700, 5, shares=(0.5, 0.3, 0.2))
    path = tmp_path / "new.parquet"
    data.to_parquet(path)
    from_file = normkit.drift_files(path, labelled_stats).to_dict()
    for batches in ([data], [data.iloc[:300], data.iloc[300:]], [pa.Table.from_pandas(data)]):
        in_memory = normkit.drift_batches(batches, labelled_stats).to_dict()
        assert in_memory["drifted"] == from_file["drifted"] == ["city"]
        for a, b in zip(in_memory["columns"], from_file["columns"], strict=True):
            assert a["p_values"].keys() == b["p_values"].keys()
            for test, p in b["p_values"].items():
                assert a["p_values"][test] == (None if p is None else pytest.approx(p, rel=1e-9))
            assert a["mean_shift"] == (
                None if b["mean_shift"] is None else pytest.approx(b["mean_shift"], rel=1e-12)
            )


def test_a_constant_reference_column_tolerates_a_rare_value_but_not_a_new_spread(tmp_path):
    rng = np.random.default_rng(8)
    train = pd.DataFrame({"c": np.zeros(5000), "x": rng.normal(size=5000)})
    train.to_parquet(tmp_path / "train.parquet")
    stats = tmp_path / "s.json"
    assert run("fit", tmp_path / "train.parquet", "-o", stats, "-q").exit_code == 0
    one = pd.DataFrame({"c": np.r_[np.zeros(99), 0.5], "x": rng.normal(size=100)})
    report = normkit.drift_batches([one], stats)
    assert report.drifted == []  # one value in 100 off a constant seen 5,000 times: chance
    spread = pd.DataFrame({"c": rng.normal(0, 0.5, 300), "x": rng.normal(size=300)})
    report = normkit.drift_batches([spread], stats)
    assert report.drifted == ["c"]
    assert "std" in report.columns[0].reasons


def test_a_text_column_of_more_categories_than_the_stat_file_keeps(tmp_path):
    # 1,200 codes, each seen about 100 times: the stat file keeps 1,000 of them. The new data's
    # counts of those must be exact, not cut to its own top 1,000, or unchanged data drifts.
    rng = np.random.default_rng(12)
    codes = np.array([f"c{i}" for i in range(1200)])

    def frame(rows):
        return pd.DataFrame({"x": rng.normal(size=rows), "code": rng.choice(codes, rows)})

    frame(120_000).to_parquet(tmp_path / "train.parquet")
    stats = tmp_path / "s.json"
    assert run("fit", tmp_path / "train.parquet", "-o", stats, "-q").exit_code == 0
    new = frame(120_000)
    new.to_parquet(tmp_path / "new.parquet")
    for report in (
        normkit.drift_files(tmp_path / "new.parquet", stats),
        normkit.drift_batches([new.iloc[:50_000], new.iloc[50_000:]], stats),
    ):
        code = next(c for c in report.columns if c.name == "code")
        assert report.drifted == [], (code.p_values, code.largest_share_change)
        assert code.vanished_categories == ()


def test_merged_quantiles_are_not_tested_as_a_sample(tmp_path):
    # Two shards of a two-humped mixture: the merged quantiles are interpolated, so drift shows
    # their PSI but does not test the distribution against them (it flagged unchanged data).
    rng = np.random.default_rng(6)
    shards = []
    for i, center in enumerate((0.0, 2.5)):
        pd.DataFrame({"x": rng.normal(center, 1.0, 50_000)}).to_parquet(tmp_path / f"{i}.parquet")
        shards.append(tmp_path / f"{i}.json")
        assert run("fit", tmp_path / f"{i}.parquet", "-o", shards[-1], "-q").exit_code == 0
    merged = tmp_path / "merged.json"
    assert run("merge-stats", *shards, "-o", merged, "-q").exit_code == 0
    assert json.loads(merged.read_text())["sketch"]["merged"] is True
    new = pd.DataFrame(
        {"x": np.concatenate([rng.normal(0, 1, 20_000), rng.normal(2.5, 1, 20_000)])}
    )
    report = normkit.drift_batches([new], merged, normkit.DriftOptions(threshold=0.001))
    column = report.columns[0]
    assert column.p_values["distribution"] is None
    assert column.psi < 0.05
    assert "distribution" not in column.reasons


def test_far_values_of_a_heavy_tail_move_no_mean_but_a_shift_does():
    """Cauchy rows (no variance): two of 30 new values lie 10 times beyond the reference's
    largest; counted at the reference's extremes they move the mean by chance (the pooled
    standard error, from the reference's variance, put it 3.4 sds off and p at 1e-5). The
    same rows shifted by a third of the reference's sd still drift on the mean."""
    x = np.random.default_rng(70).standard_cauchy(530)
    stats = normkit.Standardizer().fit(pd.DataFrame({"x": x[:500]}))
    new = x[500:]
    assert (new > 10 * x[:500].max()).sum() == 2
    report = normkit.drift_batches([pd.DataFrame({"x": new})], stats)
    assert report.columns[0].mean_shift > 3
    assert report.drifted == [], report.columns[0].p_values
    shifted = normkit.drift_batches([pd.DataFrame({"x": new + 8.0})], stats)
    assert "mean" in shifted.columns[0].reasons, shifted.columns[0].p_values


def test_a_stuck_column_against_statistics_without_their_data_is_bounded_by_cantelli():
    """Statistics without min, max or sample (from scikit-learn, or a model's BatchNorm layer):
    a new column stuck at one value is flagged when no distribution with that mean and
    variance could put so many values there (Cantelli: at most var / (var + d**2)), and not
    when one could (a value at the mean)."""
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(11)
    train = rng.normal(size=(2_000, 2))
    stats = normkit.Standardizer.from_sklearn(StandardScaler().fit(train), ["a", "b"])
    assert stats.sketch_ is None
    far = pd.DataFrame({"a": np.full(200, 0.8), "b": rng.normal(size=200)})
    report = normkit.drift_batches([far], stats)
    assert report.drifted == ["a"]  # share <= 1 / (1 + 0.64), ** 200
    at_mean = pd.DataFrame({"a": np.full(200, float(stats.mean_[0])), "b": rng.normal(size=200)})
    assert normkit.drift_batches([at_mean], stats).drifted == []
    # Without the kurtosis, the spread's test takes the new data's tails: the notes say that a
    # heavy-tailed column then drifts by chance more often than alpha (they did not).
    (note,) = [n for n in report.notes if "no sample or range" in n]
    assert "without their kurtosis" in note
    assert "more often than alpha" in note


def test_new_data_with_the_weight_column_is_weighted_as_the_reference_was(tmp_path):
    """A weighted reference (weights that move the mean) against new samples of the same
    weighted population: no alarm when the new data carries its weights, as the stat file's
    weight column says; read unweighted (no such column) it differs, and the report says why."""

    def sample(seed: int, n: int) -> pd.DataFrame:
        x = np.random.default_rng(seed).normal(size=n)
        return pd.DataFrame({"x": x, "w": np.where(x > 0, 3.0, 1.0)})

    train = tmp_path / "train.csv"
    sample(0, 20_000).to_csv(train, index=False)
    stats = tmp_path / "s.json"
    run("fit", train, "--weight-column", "w", "-o", stats)
    alarms = 0
    for seed in range(1, 6):
        new = sample(seed, 3_000)
        report = normkit.drift_batches([new], stats)
        assert "weighted by its column 'w'" in report.notes[0]
        alarms += bool(report.drifted)
        path = tmp_path / f"new{seed}.csv"
        new.to_csv(path, index=False)
        alarms += bool(normkit.drift_files(path, stats).drifted)
    assert alarms == 0
    unweighted = normkit.drift_batches([sample(7, 3_000)[["x"]]], stats)
    assert unweighted.drifted == ["x"]
    assert "no weight column 'w'" in unweighted.notes[0]


def test_statistics_weighted_in_memory_say_the_new_data_is_read_unweighted(tmp_path):
    # Fitted with sample_weight=, the statistics have no weight column to weigh new data by: a
    # fresh sample of the same population drifted every time, the report saying nothing of
    # weights (only that the data has a column 'w' the fit did not have).
    def sample(seed: int, n: int) -> pd.DataFrame:
        x = np.random.default_rng(seed).normal(size=n)
        return pd.DataFrame({"x": x, "w": np.where(x > 0, 3.0, 1.0)})

    train = sample(0, 20_000)
    fitted = normkit.Standardizer().fit(train[["x"]], sample_weight=train["w"])
    fitted.save(tmp_path / "s.json")
    new = sample(1, 3_000)
    new.to_csv(tmp_path / "new.csv", index=False)
    said = "the statistics were weighted by sample weights of no recorded column (given in memory"
    for report in (
        normkit.drift_batches([new], fitted),
        normkit.drift_files(tmp_path / "new.csv", tmp_path / "s.json"),
    ):
        assert report.drifted == ["x"]
        assert any(note.startswith(said) for note in report.notes), report.notes
    unweighted = normkit.Standardizer().fit(train[["x"]])
    assert not any(
        "weight" in note for note in normkit.drift_batches([new[["x"]]], unweighted).notes
    )


def test_a_boolean_column_given_as_text_is_counted_as_booleans():
    # pandas spells booleans "True" and "False" (read with dtype=str): a sample of the
    # reference's own rows drifted, 'True' and 'False' new, 'true' and 'false' vanished.
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(size=5000), "flag": rng.random(5000) < 0.3})
    stats = normkit.Standardizer().fit(reference)
    rows = reference.sample(1000, random_state=1)
    for spelled in (rows.flag.astype(str), rows.flag.astype(int).astype(str)):
        assert normkit.drift_batches([rows.assign(flag=spelled)], stats).drifted == []
    other = rows.assign(flag=rows.flag.map({True: "yes", False: "no"}))  # another vocabulary
    report = normkit.drift_batches([other], stats)
    assert report.drifted == ["flag"]
    assert next(c for c in report.columns if c.name == "flag").new_categories == ("no", "yes")


def test_a_share_from_none_is_shown_beyond_a_thousandfold(tmp_path):
    # A category the reference never had taking every row: its share ratio, from half a value
    # counted, was shown as 'share x1000022122209.50'.
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(size=5000), "flag": rng.random(5000) < 0.3})
    reference.to_parquet(tmp_path / "ref.parquet")
    assert run("fit", tmp_path / "ref.parquet", "-o", tmp_path / "s.json").exit_code == 0
    other = reference.assign(flag=reference.flag.map({True: "yes", False: "no"}))
    other.to_parquet(tmp_path / "new.parquet")
    shown = run("drift", tmp_path / "new.parquet", "-s", tmp_path / "s.json").stdout
    line = next(row for row in shown.splitlines() if row.startswith("flag"))
    # Every reference category gone (a fall to none), or the new ones from none: either way
    # beyond a thousandfold, not a count of half a value made into a ratio.
    assert "share x<0.001" in line or "share x>1000" in line, line


def test_one_row_has_no_spread_to_compare(fitted):
    """A single row has a mean but no standard deviation: its std and std ratio are unknown
    (null, and "-" in the table), not 0 (which would read as a collapse of the spread)."""
    path, stats, data = fitted
    one = path.with_name("one.csv")
    data.head(1).to_csv(one, index=False)
    code, report = drift_json(one, stats)
    assert code == 0
    for column in report["columns"]:
        assert column["std"] is None, column
        assert column["std_ratio"] is None, column
        assert column["mean_shift"] is not None
    table = run("drift", one, "-s", stats)
    assert table.exit_code == 0, table.output
    assert "nan" not in table.stdout
    two = path.with_name("two.csv")
    data.head(2).to_csv(two, index=False)
    _, report = drift_json(two, stats)
    assert all(c["std"] is not None for c in report["columns"] if c["name"] != "constant")


def test_a_threshold_for_a_column_not_fitted_is_refused_as_gamma_is(fitted):
    """A per-column option naming a column the statistics do not have is one kind of problem
    with one exit code (1), whichever option names it."""
    path, stats, _ = fitted
    result = run("drift", path, "-s", stats, "--threshold", "nope=0.3")
    assert_error(result, 1, "--threshold names 'nope', which the statistics do not have")
    out = path.with_name("out.csv")
    assert_error(run("transform", path, "-s", stats, "--gamma", "nope=2", "-o", out), 1, "'nope'")
    assert not out.exists()


def test_values_in_a_column_the_fit_found_none_in_are_drift(tmp_path):
    # Such a column was left out of the report: 5% of rows holding values went unnoticed.
    fit, new = tmp_path / "f.csv", tmp_path / "n.csv"
    fit.write_text("a,b\n" + "".join(f"{i % 17},\n" for i in range(2000)))
    new.write_text(
        "a,b\n" + "".join(f"{i % 17},{'7' if i % 20 == 0 else ''}\n" for i in range(2000))
    )
    stats = tmp_path / "s.json"
    assert run("fit", fit, "-o", stats).exit_code == 0
    same = json.loads(run("drift", fit, "-s", stats, "--json").stdout)
    assert same["drifted"] == []
    assert {c["name"]: c["missing_rate"] for c in same["columns"]}["b"] == 1.0
    result = run("drift", new, "-s", stats, "--json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["drifted"] == ["b"]
    b = {c["name"]: c for c in report["columns"]}["b"]
    assert (b["missing_rate"], b["reasons"], b["new_categories"]) == (0.95, ["missing"], ["7"])
    # The stat file is unchanged: the column has no categories of its own there.
    assert "categories" not in json.loads(stats.read_text()) or all(
        c["name"] != "b" for c in json.loads(stats.read_text())["categories"]
    )


def test_nan_in_a_column_the_fit_found_no_value_in_is_no_value_there_either(tmp_path):
    # Nulls at fit, NaN now: both missing to the fit, so no drift (NaN was once a category).
    import pyarrow as pa
    import pyarrow.parquet as pq

    a = np.random.default_rng(0).normal(size=3000)
    pq.write_table(pa.table({"a": a, "f": [None] * 3000}), tmp_path / "fit.parquet")
    pq.write_table(pa.table({"a": a, "f": [float("nan")] * 3000}), tmp_path / "new.parquet")
    stats = tmp_path / "s.json"
    assert run("fit", tmp_path / "fit.parquet", "-o", stats).exit_code == 0
    result = run("drift", tmp_path / "new.parquet", "-s", stats, "--json")
    assert result.exit_code == 0, result.stdout
    f = {c["name"]: c for c in json.loads(result.stdout)["columns"]}["f"]
    assert f["missing_rate"] == 1.0


@pytest.mark.parametrize(
    ("frequent", "codes", "rows"),
    [(0, 20, 30), (0, 50, 100), (0, 200, 500), (0, 3000, 300), (0, 3000, 1000), (5, 1000, 3000)],
)
def test_many_categories_from_the_reference_distribution_do_not_drift(frequent, codes, rows):
    # The frequency test's cells are merged in an order neither sample chose, and categories get
    # cells of their own only where few were seen about as often as that takes (luck decides
    # their side): ordered by the new data's shares, a column of many equally likely codes
    # drifted on nearly every sample (p < 1e-12), and so did codes each seen about 10 times.
    rng = np.random.default_rng(codes + rows)
    names = np.array([f"f{i}" for i in range(frequent)] + [f"c{i}" for i in range(codes)])
    shares = np.concatenate([np.full(frequent, 0.1), np.full(codes, 1.0)])
    shares[frequent:] *= (1 - shares[:frequent].sum()) / codes

    def sample(n: int) -> pd.DataFrame:
        return pd.DataFrame({"x": rng.normal(size=n), "code": rng.choice(names, n, p=shares)})

    reference = sample(30_000 if frequent == 0 else 20_000)
    stats = normkit.Standardizer().fit(reference)
    alarms = sum(bool(normkit.drift_batches([sample(rows)], stats).drifted) for _ in range(20))
    assert alarms <= 1, alarms  # alpha 0.01: one in 20 is already unlikely
    # Nor do samples of the reference's own rows, which keep the luck of its counts.
    subsets = (reference.sample(rows, random_state=seed) for seed in range(20))
    alarms = sum(bool(normkit.drift_batches([subset], stats).drifted) for subset in subsets)
    assert alarms <= 1, alarms
    # A real change still drifts: a new code taking half the rows.
    changed = sample(1000)
    changed.loc[:499, "code"] = "new"
    report = normkit.drift_batches([changed], stats)
    assert report.drifted == ["code"]


@pytest.mark.parametrize(
    ("codes", "reference", "replaced"),
    [
        (2000, 20_000, 1.0),
        (2000, 20_000, 0.6),
        (5000, 20_000, 1.0),
        (2000, 5000, 1.0),
        (12_000, 20_000, 1.0),
        (300, 1000, 0.6),
    ],
)
def test_codes_replaced_by_others_drift_however_many_the_stat_file_keeps(
    codes, reference, replaced
):
    # Codes each seen about 10 times, the stat file keeping the 1,000 most frequent (62% of the
    # rows): new data of other codes only was "ok" (too few values of each to test alone, none
    # gone that would have shown 5 times), a broken vocabulary passing the gate. So were codes
    # each seen fewer than 10 times (2,000 codes over 5,000 rows, 300 over 1,000), all kept or
    # not: the new data's counts of those were not exact.
    rng = np.random.default_rng(codes + reference)

    def sample(n: int, prefix: str = "s") -> pd.DataFrame:
        return pd.DataFrame(
            {"x": rng.normal(size=n), "sku": [f"{prefix}{v}" for v in rng.integers(0, codes, n)]}
        )

    stats = normkit.Standardizer().fit(sample(reference))
    new = sample(3000)
    swapped = rng.random(3000) < replaced
    new.loc[swapped, "sku"] = sample(int(swapped.sum()), prefix="t")["sku"].to_numpy()
    report = normkit.drift_batches([new], stats)
    assert report.drifted == ["sku"]
    sku = next(c for c in report.columns if c.name == "sku")
    assert sku.largest_share_change < -0.2  # a fall: the reference's codes are rarer
    alarms = sum(bool(normkit.drift_batches([sample(3000)], stats).drifted) for _ in range(10))
    assert alarms <= 1, alarms


def test_the_share_good_and_turing_expect_is_tested_with_its_own_error():
    # 3,000 codes over a reference of 100 rows, five seen twice: the reference's codes are
    # expected to hold 10% of new values and hold 3%. Tested as if 10% were a share measured
    # on 100 values, an unchanged sample of 20,000 rows drifted (p 0.006, 'share x0.31').
    rng = np.random.default_rng(77)

    def sample(n: int) -> pd.DataFrame:
        return pd.DataFrame(
            {"x": rng.normal(size=n), "c": [f"c{v}" for v in rng.integers(0, 3000, n)]}
        )

    reference = sample(100)
    assert (reference.c.value_counts() == 2).sum() == 5
    stats = normkit.Standardizer(ema=False).fit(reference)
    report = normkit.drift_batches([sample(20_000)], stats)
    assert report.drifted == [], report.columns[1]
    alarms = sum(bool(normkit.drift_batches([sample(20_000)], stats).drifted) for _ in range(10))
    assert alarms <= 1, alarms


def test_a_column_the_fit_did_not_have_is_noted(tmp_path, fitted):
    _, stats, data = fitted
    widened = data.assign(added=np.arange(len(data)) % 7)
    path = tmp_path / "widened.csv"
    widened.to_csv(path, index=False)
    code, report = drift_json(path, stats)
    assert code == 0
    assert "the data has columns the fit did not have, not checked: 'added'" in report["notes"]
    result = run("drift", path, "-s", stats)
    assert "the data has columns the fit did not have, not checked: 'added'" in result.stdout
    in_memory = normkit.drift_batches([widened], stats)  # the library says so too
    assert "the data has columns the fit did not have, not checked: 'added'" in in_memory.notes
    same = tmp_path / "same.csv"
    data.to_csv(same, index=False)
    _, report = drift_json(same, stats)
    assert not any("did not have" in note for note in report["notes"])


def test_a_long_tail_of_identifiers_in_a_few_rows_does_not_drift():
    # One identifier among 15 rows is a share of 7% of a category the reference saw at most a
    # few times: what a long tail gives any sample, not a category taking over.
    rng = np.random.default_rng(11)

    def draw(n: int) -> pd.DataFrame:
        ids = np.array([f"id{v}" for v in rng.integers(0, 10**7, n)])
        code = np.where(rng.random(n) < 0.1, ids, rng.choice(["a", "b", "c"], n))
        return pd.DataFrame({"x": rng.normal(size=n), "code": code})

    reference = draw(1_000_000)
    stats = normkit.Standardizer().fit(reference)
    for rows in (10, 15):
        fresh = sum(bool(normkit.drift_batches([draw(rows)], stats).drifted) for _ in range(20))
        own = (reference.sample(rows, random_state=seed) for seed in range(20))
        subsets = sum(bool(normkit.drift_batches([subset], stats).drifted) for subset in own)
        assert max(fresh, subsets) <= 1, (fresh, subsets)


def test_half_the_categories_vanishing_drifts_where_none_has_a_cell_of_its_own():
    # 500 codes each seen about 20 times: which side of the cells' count each falls on is
    # luck, so none has a cell of its own; half of them gone is a change all the same.
    rng = np.random.default_rng(12)
    codes = np.array([f"c{i:03d}" for i in range(500)])
    stats = normkit.Standardizer().fit(
        pd.DataFrame({"x": rng.normal(size=10_000), "code": rng.choice(codes, 10_000)})
    )
    halved = pd.DataFrame({"x": rng.normal(size=10_000), "code": rng.choice(codes[:250], 10_000)})
    report = normkit.drift_batches([halved], stats)
    assert report.drifted == ["code"]
    column = next(c for c in report.columns if c.name == "code")
    assert column.largest_share_change == pytest.approx(-np.log(2), abs=0.1)  # half gone
    same = pd.DataFrame({"x": rng.normal(size=10_000), "code": rng.choice(codes, 10_000)})
    assert normkit.drift_batches([same], stats).drifted == []


@pytest.mark.parametrize(("reference", "rows"), [(200, 1000), (200, 5000), (1000, 5000)])
def test_new_identifiers_in_more_rows_than_the_reference_do_not_drift(reference, rows):
    # Identifiers the reference saw once each are not expected again, however many rows come:
    # their absence is no vanishing (it drifted every time, 'share x1e12').
    rng = np.random.default_rng(reference + rows)

    def draw(n: int) -> pd.DataFrame:
        ids = [f"id{v}" for v in rng.integers(0, 10**12, n)]
        return pd.DataFrame({"x": rng.normal(size=n), "order_id": ids})

    stats = normkit.Standardizer(ema=False).fit(draw(reference))
    alarms = sum(bool(normkit.drift_batches([draw(rows)], stats).drifted) for _ in range(10))
    assert alarms == 0


def test_half_the_categories_vanishing_in_as_many_rows_drifts():
    # The vanishing and the chi-square test both beyond doubt (p 0.0): the larger change
    # decides, not the first (its size was 0, and the column passed).
    rng = np.random.default_rng(13)
    codes = np.array([f"c{i:03d}" for i in range(500)])
    stats = normkit.Standardizer(ema=False).fit(
        pd.DataFrame({"x": rng.normal(size=20_000), "code": rng.choice(codes, 20_000)})
    )
    halved = pd.DataFrame({"x": rng.normal(size=20_000), "code": rng.choice(codes[:250], 20_000)})
    assert normkit.drift_batches([halved], stats).drifted == ["code"]


def test_a_category_taking_over_is_found_beside_a_small_reference():
    # 26, 17 and 7 of 50 values: the count that gives a category a cell of its own climbed past
    # all three (each lay near it), so every category shared one cell and c going from 14% to
    # 80% passed as ok (share x1.47). One category near that count is no crowd of codes.
    reference = pd.DataFrame({"x": np.arange(50.0), "cat": ["a"] * 26 + ["b"] * 17 + ["c"] * 7})
    stats = normkit.Standardizer().fit(reference)
    new = pd.DataFrame({"x": np.arange(50.0), "cat": ["c"] * 40 + ["a"] * 5 + ["b"] * 5})
    assert normkit.drift_batches([new], stats).drifted == ["cat"]
    # Its own rows, shuffled: no drift.
    same = reference.sample(frac=1.0, random_state=0)
    assert normkit.drift_batches([same], stats).drifted == []


def test_a_small_reference_of_one_category_does_not_make_a_second_a_certain_drift():
    # 20 rows all 'a' from a world of 80% 'a' (a chance of 1.2%), then 21% 'b' in 1,000 new
    # rows: the share test took the reference's share (all) as known exactly, p 1e-56; Fisher's
    # test of the two samples gives 0.009, no drift at alpha 0.01 over the column's tests.
    reference = pd.DataFrame({"x": np.arange(20.0), "cat": ["a"] * 20})
    stats = normkit.Standardizer().fit(reference)
    new = pd.DataFrame({"x": np.arange(1000.0) % 20, "cat": ["a"] * 787 + ["b"] * 213})
    report = normkit.drift_batches([new], stats)
    assert "cat" not in report.drifted
    # Half the new rows 'b': drift, as before.
    half = new.assign(cat=["a"] * 500 + ["b"] * 500)
    assert "cat" in normkit.drift_batches([half], stats).drifted


def test_new_rows_all_of_weight_0_are_refused_in_memory_too(tmp_path):
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=500), "w": rng.integers(1, 4, 500)})
    stats = normkit.Standardizer(weight_column="w").fit(train)
    new = pd.DataFrame({"x": rng.normal(9, 5, 500), "w": 0})
    with pytest.raises(normkit.DataError) as info:
        normkit.drift_batches([new], stats)
    assert str(info.value) == (
        "every row has weight 0 in the weight column 'w'; sample weights must contain at least "
        "one non-zero number"
    )


def test_values_near_1e100_are_judged_not_a_traceback(tmp_path):
    # The kurtosis of values near 1e100 raised OverflowError (their fourth powers), a traceback
    # after the whole pass, where fit had taken them.
    rng = np.random.default_rng(1)
    path, stats = tmp_path / "big.csv", tmp_path / "s.json"
    pd.DataFrame({"x": rng.random(1000) * 1e100}).to_csv(path, index=False)
    assert run("fit", path, "-o", stats, "-q").exit_code == 0
    result = run("drift", path, "-s", stats, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["drifted"] == []
    assert report["columns"][0]["std_ratio"] == pytest.approx(1.0)
