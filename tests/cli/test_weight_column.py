"""``normkit fit --weight-column NAME``: frequency weights from a column of the data. The stat
file equals ``StandardScaler().fit(X, sample_weight=w)`` from CSV and Parquet, weighted shards
merge exactly with ``merge-stats``, every bad weight or column is refused in one line (no stat
file written), and running (EMA) statistics, which BatchNorm cannot weight, are neither computed
nor usable later."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import (
    ERROR,
    RTOL,
    assert_error,
    assert_means_close,
    assert_ok,
    assert_one_line_error,
    assert_usage_error,
    leftovers,
    run,
    run_normkit,
)
from numpy.testing import assert_allclose
from sklearn.preprocessing import StandardScaler

from normkit import Standardizer
from normkit.errors import DataError

NUMERIC = ["x", "offset", "count"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    rows = 2000
    x = rng.normal(5.0, 2.0, rows)
    x[rng.random(rows) < 0.1] = np.nan
    w = rng.integers(0, 4, rows) * rng.choice([0.5, 1.0, 1e-3], rows)
    return pd.DataFrame(
        {
            "id": np.arange(rows),
            "x": x,
            "offset": 1e9 + rng.normal(0.0, 1.0, rows),
            "count": rng.integers(0, 100, rows),
            "city": rng.choice(["Oslo", "Lima"], rows),
            "w": w,
        }
    )


def written(tmp_path, data: pd.DataFrame, fmt: str, name: str = "d"):
    path = tmp_path / f"{name}.{fmt}"
    if fmt == "csv":
        data.to_csv(path, index=False)
    else:
        data.to_parquet(path, index=False)
    return path


def assert_weighted(doc: dict, data: pd.DataFrame) -> None:
    X, w = data[NUMERIC].to_numpy(dtype=float), data["w"].to_numpy()
    ref = StandardScaler().fit(X, sample_weight=w)
    columns = {c["name"]: c for c in doc["columns"]}
    assert list(columns) == NUMERIC
    get = lambda key: np.array([columns[n][key] for n in NUMERIC])  # noqa: E731
    assert_allclose(get("weight"), np.broadcast_to(ref.n_samples_seen_, (3,)), rtol=RTOL)
    assert_means_close(get("mean"), ref.mean_, ref.scale_)
    assert_allclose(get("var"), ref.var_, rtol=RTOL)
    assert_allclose(get("scale"), ref.scale_, rtol=RTOL)
    assert doc["weights"] == {"column": "w"}
    assert "ema" not in doc


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_fit_with_a_weight_column_equals_scikit_learn(tmp_path, data, fmt):
    source = written(tmp_path, data, fmt)
    stats = tmp_path / "s.json"
    proc = run_normkit("fit", source, "--exclude", "id", "--weight-column", "w", "-o", stats)
    assert proc.returncode == 0, proc.stderr
    assert b"passed through: id (excluded), city (text), w (weight)" in proc.stderr
    assert b"running statistics: none (sample weights;" in proc.stderr
    assert_weighted(json.loads(stats.read_text()), data)
    # A transform passes the weight column through, as written.
    out = tmp_path / "z.csv"
    assert_ok(run("transform", source, "-s", stats, "-o", out))
    assert pd.read_csv(out)["w"].tolist() == data["w"].tolist()
    shown = run("inspect", stats)
    assert_ok(shown)
    assert "weights    sample weights (frequency weights) from column w" in shown.stdout


@pytest.mark.parametrize("formats", [("parquet", "parquet"), ("csv", "parquet")])
def test_merge_stats_of_weighted_shards_equals_the_whole(tmp_path, data, formats):
    shards = []
    for i, (rows, fmt) in enumerate(zip((slice(0, 777), slice(777, None)), formats, strict=True)):
        source = written(tmp_path, data.iloc[rows], fmt, f"shard-{i}")
        shards.append(tmp_path / f"shard-{i}.json")
        fitted = run("fit", source, "--exclude", "id", "--weight-column", "w", "-o", shards[-1])
        assert_ok(fitted)
    merged = tmp_path / "all.json"
    proc = run_normkit("merge-stats", *shards, "-o", merged)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(merged.read_text())
    assert_weighted(doc, data)
    # The columns passed through, the weights among them, are kept: a CSV's text (string) and
    # a Parquet file's (large_string) are both text. Drift on the whole data, weighted as the
    # reference was, finds none.
    kinds = {p["name"]: (p["why"], p["dtype"]) for p in doc["passthrough"]}
    assert kinds == {
        "id": ("excluded", "int64"),
        "city": ("text", "large_string"),
        "w": ("weight", "double"),
    }
    whole = written(tmp_path, data, "csv", "whole")
    drift = run_normkit("drift", whole, "-s", merged)
    assert drift.returncode == 0, drift.stderr
    assert b"weighted" in drift.stdout + drift.stderr


def test_merge_stats_keeps_the_weight_column_beside_a_column_one_shard_lacks(tmp_path, data):
    # One shard has a note column the other lacks: it is not passed through the whole, but the
    # weights still are; drift on the whole data, weighted as the reference was, finds none.
    first = written(tmp_path, data.iloc[:900].assign(note="checked"), "csv", "first")
    second = written(tmp_path, data.iloc[900:], "parquet", "second")
    shards = [tmp_path / "first.json", tmp_path / "second.json"]
    for source, stats in zip((first, second), shards, strict=True):
        assert_ok(run("fit", source, "--exclude", "id", "--weight-column", "w", "-o", stats))
    merged = tmp_path / "all.json"
    proc = run_normkit("merge-stats", *shards, "-o", merged)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(merged.read_text())
    assert_weighted(doc, data)
    assert [p["name"] for p in doc["passthrough"]] == ["id", "city", "w"]
    drift = run_normkit("drift", written(tmp_path, data, "csv", "whole"), "-s", merged)
    assert drift.returncode == 0, drift.stdout


BAD_WEIGHTS = {
    "negative": ("-1.5", "the weight is -1.5 (negative)"),
    "missing": ("", "the weight is missing (null or NaN)"),
    "NaN": ("NaN", "the weight is missing (null or NaN)"),
    "infinite": ("inf", "the weight is inf (infinite)"),
}


@pytest.mark.parametrize("name", list(BAD_WEIGHTS))
def test_a_bad_weight_stops_the_fit_in_one_line(tmp_path, name):
    token, problem = BAD_WEIGHTS[name]
    source = tmp_path / "d.csv"
    source.write_text("x,w\n1.5,1\n2.5,2\n" + "3.5,1\n" * 40 + f"4.5,{token}\n5.5,1\n")
    stats = tmp_path / "s.json"
    proc = run_normkit("fit", source, "--weight-column", "w", "-o", stats)
    line = assert_one_line_error(
        proc.returncode, proc.stderr.decode(), f"{ERROR}{source}: weight column 'w' at data row 43"
    )
    assert problem in line
    assert not stats.exists()
    assert leftovers(tmp_path) == []


def test_weights_whose_sum_overflows_the_variance_are_told_as_the_weights_doing(tmp_path):
    # 3 values from 1 to 5 of weight 5e307: M2, 8 * 5e307, overflows; the values do not.
    source, stats = tmp_path / "d.csv", tmp_path / "s.json"
    source.write_text("x,w\n1,5e307\n3,5e307\n5,5e307\n")
    proc = run_normkit("fit", source, "--weight-column", "w", "-o", stats)
    line = assert_one_line_error(proc.returncode, proc.stderr.decode(), f"{ERROR}{source}: ")
    assert "(values from 1 to 5, weighted by a sum of 1.5e+308)" in line
    assert line.endswith("divide the weights by one number (only ddof's term depends on it)")
    assert not stats.exists()
    # The same weights divided by 1e300 fit as scikit-learn fits them.
    source.write_text("x,w\n1,5e7\n3,5e7\n5,5e7\n")
    assert_ok(run("fit", source, "--weight-column", "w", "-o", stats))
    assert json.loads(stats.read_text())["columns"][0]["var"] == pytest.approx(8 / 3, rel=1e-12)
    # Values whose own range overflows a square are told as before, weighted or not.
    source.write_text("x,w\n1e200,1\n-1e200,1\n")
    proc = run_normkit("fit", source, "--weight-column", "w", "-o", stats)
    line = assert_one_line_error(proc.returncode, proc.stderr.decode(), f"{ERROR}{source}: ")
    assert line.endswith(
        "(values from -1e+200 to 1e+200); rescale the column or exclude it (--exclude x)"
    )


def test_the_weight_column_is_refused_when_absent_not_numeric_or_normalized(tmp_path, data):
    source = written(tmp_path, data, "parquet")
    out = tmp_path / "s.json"
    assert_error(
        run("fit", source, "--weight-column", "nope", "-o", out),
        1,
        f"{source}: no column 'nope' in the input (given in --weight-column)",
        "the input has columns 'id', 'x', 'offset', 'count', 'city', 'w'",
    )
    line = assert_error(
        run("fit", source, "--weight-column", "city", "-o", out),
        1,
        "the weight column 'city' has type",
        "which is not numeric; cast it to a number type (float64) where the file is written",
    )
    assert "--exclude" not in line  # the weights: not to be left out
    assert_error(
        run("fit", source, "--columns", "x,w", "--weight-column", "w", "-o", out),
        2,
        "column 'w' both chosen (--columns) and the weight column (--weight-column)",
    )
    assert not out.exists()


def test_running_statistics_options_are_refused_with_weights(tmp_path, data):
    source = written(tmp_path, data, "csv")
    result = run("fit", source, "--weight-column", "w", "--momentum", "0.2", "--batch-size", "64")
    assert_usage_error(
        result,
        "--batch-size, --momentum set the running statistics, which a fit with --weight-column "
        "does not compute (BatchNorm's running statistics have no weights)",
    )
    assert_ok(run("fit", source, "--weight-column", "w", "--no-ema", "-o", tmp_path / "s.json"))


def test_running_statistics_of_weighted_statistics_are_refused(tmp_path, data):
    source = written(tmp_path, data, "csv")
    stats = tmp_path / "s.json"
    assert_ok(run("fit", source, "--exclude", "id", "--weight-column", "w", "-o", stats))
    out = tmp_path / "z.csv"
    message = (
        f"{stats}: these statistics were fitted with sample weights, so they have no running "
        "(EMA) statistics: BatchNorm's running statistics have no weights"
    )
    assert_error(
        run("transform", source, "-s", stats, "--use", "ema", "-o", out),
        1,
        message,
        "use the exact statistics (--use exact)",
    )
    for mode in ("batch", "adaptive"):
        assert_error(
            run("transform", source, "-s", stats, "--mode", mode, "-o", out),
            1,
            message,
            "(--mode frozen)",
        )
    assert not out.exists()
    proc = run_normkit("export", "-s", stats, "--to", "onnx", "--use", "ema", "-o", tmp_path / "m")
    assert proc.returncode == 1
    assert b"fitted with sample weights" in proc.stderr


def test_text_in_the_weight_column_and_weights_all_zero_are_told_as_such(tmp_path):
    text = tmp_path / "text.csv"
    text.write_text("id,x,w\n1,1.0,1\n2,2.0,heavy\n3,3.0,1\n")
    out = tmp_path / "s.json"
    line = assert_error(
        run("fit", text, "--weight-column", "w", "-o", out),
        1,
        f"{text}: weight column 'w' at data row 2: 'heavy' is not a number",
        "weights must be finite numbers >= 0",
    )
    assert "--exclude" not in line  # excluding the weight column is not a way out
    zeros = tmp_path / "zeros.csv"
    zeros.write_text("id,x,w\n1,1.0,0\n2,2.0,0\n")
    line = assert_error(
        run("fit", zeros, "--weight-column", "w", "-o", out),
        1,
        f"{zeros}: every row has weight 0 in the weight column 'w'",
    )
    assert "--exclude" not in line
    assert not out.exists()


def test_a_csv_weight_column_typed_as_text_by_its_first_rows_is_read_as_weights(tmp_path):
    # A 20-digit integer in the first rows made the column text: it was refused as "type
    # string" (no row, no value) where the same weight further on was read; a word there
    # named neither; drift suggested --null-values for a word among the weights.
    big = tmp_path / "big.csv"
    big.write_text("a,b,w\n1,10,1\n2,20,2\n3,35,100000000000000000000\n4,41,1\n")
    stats = tmp_path / "s.json"
    proc = run_normkit("fit", big, "--weight-column", "w", "-o", stats)
    assert proc.returncode == 0, proc.stderr
    # Both columns taken for constants over that weight: the note names the one it measures.
    assert b"columns 'a', 'b' have scale 1," in proc.stderr
    assert b"the standard deviation of 'a' 2.646e-10 is within float64's rounding" in proc.stderr
    expected = StandardScaler().fit([[1.0], [2.0], [3.0], [4.0]], sample_weight=[1, 2, 1e20, 1])
    assert_allclose(json.loads(stats.read_text())["columns"][0]["mean"], expected.mean_[0])
    words = tmp_path / "words.csv"
    words.write_text("a,w\n1,x\n2,y\n")
    assert_error(
        run("fit", words, "--weight-column", "w", "-o", tmp_path / "w.json"),
        1,
        f"{words}: weight column 'w' at data row 1: 'x' is not a number",
        "weights must be finite numbers >= 0",
    )
    assert not (tmp_path / "w.json").exists()
    text = tmp_path / "text.csv"
    text.write_text("a,b,w\n1,5,1\n2,6,abc\n3,7,1\n4,8,1\n")
    line = assert_error(
        run("drift", text, "-s", stats),
        1,
        f"{text}: weight column 'w' at data row 2: 'abc' is not a number",
        "fix the data",
    )
    assert "--null-values" not in line


def test_a_column_of_no_value_passes_through_whatever_the_weights(tmp_path):
    # A column with no value at all was refused ("no values of weight above 0") as soon as one
    # weight was 0, and passed through with every weight above 0. A column whose values all
    # weigh 0 has values, none counted: refused as before, in the library too.
    fitted = {}
    for name, weights in (("zero", (1, 0, 1)), ("positive", (1, 2, 1))):
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "a,b,w\n" + "".join(f"{a},,{w}\n" for a, w in zip((1, 2, 4), weights, strict=True))
        )
        out = tmp_path / f"{name}.json"
        proc = run_normkit("fit", path, "--weight-column", "w", "-o", out)
        assert proc.returncode == 0, proc.stderr.decode()
        fitted[name] = json.loads(out.read_text())
        assert [c["name"] for c in fitted[name]["columns"]] == ["a"]
    assert fitted["zero"]["passthrough"] == fitted["positive"]["passthrough"]
    assert {p["name"]: p["why"] for p in fitted["zero"]["passthrough"]} == {
        "b": "no values",
        "w": "weight",
    }
    valued = tmp_path / "valued.csv"
    valued.write_text("a,b,w\n1,,1\n2,5,0\n4,,1\n")
    proc = run_normkit("fit", valued, "--weight-column", "w", "-o", tmp_path / "v.json")
    assert_one_line_error(
        proc.returncode,
        proc.stderr.decode(),
        f"{ERROR}{valued}: column 'b' has no values of weight above 0; exclude it with --exclude b",
    )
    assert not (tmp_path / "v.json").exists()
    weights = np.array([1.0, 0.0, 1.0])
    scaler = Standardizer().fit(pd.DataFrame({"a": [1.0, 2, 4], "b": [None] * 3}), None, weights)
    assert list(scaler.columns_) == ["a"]
    assert [(p.name, p.why) for p in scaler.stats_.passthrough] == [("b", "no values")]
    with pytest.raises(DataError, match=r"column 'b' has no values of weight above 0"):
        Standardizer().fit(pd.DataFrame({"a": [1.0, 2, 4], "b": [None, 5.0, None]}), None, weights)


def test_a_weight_written_otherwise_gets_the_hint_a_number_would(tmp_path):
    # With --decimal ',', a weight written 1.0 was told it is not a number, without the hint
    # the numeric columns get; the Dask engine told to exclude the weight column.
    path = tmp_path / "eu.csv"
    path.write_text("a;w\n1,5;1.0\n2,5;1\n3,0;2\n")
    out = tmp_path / "s.json"
    for engine in (["--engine", "local"], ["--engine", "dask", "--workers", "1"]):
        proc = run_normkit(
            "fit", path, "--decimal", ",", "--weight-column", "w", *engine, "-o", out
        )
        line = assert_one_line_error(proc.returncode, proc.stderr.decode(), ERROR)
        assert line.endswith(
            "weight column 'w' at data row 1: '1.0' is not a number; weights must be finite "
            "numbers >= 0 (a row of weight w counts as w rows); read '.' as the decimal "
            "separator (--decimal .) or fix the data"
        )
        assert not out.exists()


def test_the_weight_column_travels_into_the_library_and_refits_weighted(tmp_path, data):
    # A stat file fitted with --weight-column, loaded: its estimator names the column, so a
    # clone refit (cross_val_score, GridSearchCV and Pipeline.fit all refit) is weighted by it
    # and leaves it out of the columns normalized, as the fit did.
    from sklearn.base import clone

    import normkit

    frame = data[[*NUMERIC, "w"]]
    path, stats = written(tmp_path, frame, "parquet"), tmp_path / "s.json"
    assert_ok(run("fit", path, "--weight-column", "w", "-o", stats))
    loaded = normkit.load(stats)
    assert loaded.get_params()["weight_column"] == "w"
    refit = clone(loaded).fit(frame)
    ref = StandardScaler().fit(frame[NUMERIC].to_numpy(dtype=float), sample_weight=frame["w"])
    assert list(refit.columns_) == NUMERIC
    assert_allclose(refit.mean_, ref.mean_, rtol=1e-12)
    assert_allclose(refit.scale_, ref.scale_, rtol=1e-12)
    assert_allclose(refit.mean_, loaded.mean_, rtol=1e-12)
    assert (refit.transform(frame)["w"] == frame["w"]).all()  # passed through
    # Saved again, it keeps the column; an array names it by position.
    refit.save(tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text())["weights"] == {"column": "w"}
    by_position = normkit.Standardizer(weight_column="x3").fit(frame.to_numpy(dtype=float))
    assert_allclose(by_position.mean_, ref.mean_, rtol=1e-12)
    # The library's fit of files takes it from the estimator too.
    files = normkit.fit_files(path, normkit.Standardizer(weight_column="w"))
    assert_allclose(files.mean_, loaded.mean_, rtol=1e-15)
    assert files.get_params()["weight_column"] == "w"
    # Refusals, each naming what to do.
    weighted = normkit.Standardizer(weight_column="w")
    with pytest.raises(normkit.OptionError, match="the weights would be given twice"):
        weighted.fit(frame, sample_weight=frame["w"])
    with pytest.raises(normkit.SchemaError, match="no column 'v' \\(weight_column\\)"):
        normkit.Standardizer(weight_column="v").fit(frame)
    with pytest.raises(normkit.OptionError, match="both chosen"):
        normkit.Standardizer(weight_column="w", columns=["x", "w"]).fit(frame)
    with pytest.raises(normkit.DataError, match="weight column 'w' at row 3: the weight is -1"):
        weighted.fit(frame.assign(w=frame["w"].where(frame.index != 2, -1.0)))
    with pytest.raises(normkit.DataError, match="every row has weight 0 in the weight column"):
        weighted.fit(frame.assign(w=0.0))
    with pytest.raises(normkit.OptionError, match="two weight columns"):
        normkit.fit_files(path, normkit.Standardizer(weight_column="x"), weight_column="w")


def missing_sample(seed: int, rows: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Values of which about half are missing, each missing one of weight 1 and each value of
    weight 10: 8.5% of the rows the weights stand for are missing, 50% of those written."""
    rng = np.random.default_rng(seed)
    x = rng.normal(50.0, 10.0, rows)
    missing = rng.random(rows) < 0.5
    x[missing] = np.nan
    return x, np.where(missing, 1, 10)


def drift_json(new, stats) -> dict:
    proc = run_normkit("drift", new, "-s", stats, "--json")
    assert proc.returncode in (0, 3), proc.stderr
    report = json.loads(proc.stdout)
    assert (proc.returncode == 3) == bool(report["drifted"])
    return report


def test_drift_compares_the_weighted_missing_rate_scale_free(tmp_path):
    # Weighted statistics and those of the same rows repeated as often as their weights say are
    # one population's: a new sample of it (its rows repeated, read unweighted) has the same
    # verdict against both, and the missing rate compared is of weights, not of rows written.
    x, w = missing_sample(1)
    sample = tmp_path / "m.csv"
    pd.DataFrame({"x": x, "w": w}).to_csv(sample, index=False)
    scaled = tmp_path / "m1000.csv"
    pd.DataFrame({"x": x, "w": w * 1000}).to_csv(scaled, index=False)
    repeated = tmp_path / "mrep.csv"
    pd.DataFrame({"x": np.repeat(x, w)}).to_csv(repeated, index=False)
    x2, w2 = missing_sample(2)
    new = tmp_path / "new.csv"
    pd.DataFrame({"x": np.repeat(x2, w2)}).to_csv(new, index=False)
    fitted = {}
    for source, extra in ((sample, ["--weight-column", "w"]), (scaled, ["--weight-column", "w"])):
        fitted[source.stem] = tmp_path / f"{source.stem}.json"
        assert_ok(run("fit", source, *extra, "-o", fitted[source.stem]))
    fitted["mrep"] = tmp_path / "mrep.json"
    assert_ok(run("fit", repeated, "--no-ema", "-o", fitted["mrep"]))
    doc = json.loads(fitted["m"].read_text())["columns"][0]
    assert doc["missing_weight"] == int(np.isnan(x).sum())  # each of weight 1
    reports = {name: drift_json(new, path) for name, path in fitted.items()}
    for report in reports.values():
        assert report["drifted"] == []
        assert_allclose(report["columns"][0]["missing_rate"], np.isnan(np.repeat(x2, w2)).mean())
    rate = doc["missing_weight"] / (doc["missing_weight"] + doc["weight"])
    assert_allclose(reports["m"]["columns"][0]["reference_missing_rate"], rate, rtol=RTOL)
    assert_allclose(
        reports["m"]["columns"][0]["reference_missing_rate"],
        reports["mrep"]["columns"][0]["reference_missing_rate"],
        rtol=RTOL,
    )
    # The test's size is the rows, not the weights: weights 1,000 times larger test alike.
    p_values = [reports[name]["columns"][0]["p_values"] for name in ("m", "m1000")]
    assert p_values[0].keys() == p_values[1].keys()
    for test, p in p_values[0].items():
        assert_allclose(p_values[1][test], p, rtol=1e-9, err_msg=test)


def test_merge_stats_adds_the_weight_of_missing_values_to_unweighted_missing_rows(tmp_path):
    x, w = missing_sample(3, 500)
    weighted, plain = tmp_path / "w.csv", tmp_path / "p.csv"
    pd.DataFrame({"x": x, "w": w}).to_csv(weighted, index=False)
    pd.DataFrame({"x": x[:100]}).to_csv(plain, index=False)  # no weight column: rows weigh 1
    assert_ok(run("fit", weighted, "--weight-column", "w", "-o", tmp_path / "w.json"))
    assert_ok(run("fit", plain, "-o", tmp_path / "p.json"))
    merged = tmp_path / "all.json"
    assert_ok(run("merge-stats", tmp_path / "w.json", tmp_path / "p.json", "-o", merged))
    (column,) = json.loads(merged.read_text())["columns"]
    missing = np.isnan(x)
    assert column["missing_weight"] == w[missing].sum() + missing[:100].sum()
    assert column["missing"] == missing.sum() + missing[:100].sum()
    shown = run("inspect", merged)
    assert_ok(shown)
    assert "missing weight" in shown.stdout.splitlines()[-2]
    assert f"{column['missing_weight']:.10g}" in shown.stdout.splitlines()[-1].split()


def test_drift_of_a_weighted_stat_file_without_the_weight_of_missing_values(tmp_path):
    # Written before normkit kept it: the missing count is of rows, which no rate of weights
    # can be compared with. The missing rate is not tested, and the notes say why; data in
    # which nothing at all can be tested is refused rather than said not to have drifted.
    x, w = missing_sample(4, 1000)
    sample = tmp_path / "m.csv"
    pd.DataFrame({"x": x, "w": w}).to_csv(sample, index=False)
    stats = tmp_path / "m.json"
    assert_ok(run("fit", sample, "--weight-column", "w", "-o", stats))
    doc = json.loads(stats.read_text())
    del doc["columns"][0]["missing_weight"]
    stats.write_text(json.dumps(doc))
    shown = run("inspect", stats)
    assert_ok(shown)
    assert shown.stdout.splitlines()[-1].split()[5] == "?"
    new = tmp_path / "new.csv"
    pd.DataFrame({"x": np.repeat(x, w)}).to_csv(new, index=False)
    report = drift_json(new, stats)
    (column,) = report["columns"]
    assert column["reference_missing_rate"] is None
    assert column["p_values"]["missing"] is None
    assert report["drifted"] == []
    assert any(
        "missing rate of column 'x' is not tested" in note and "fit it again" in note
        for note in report["notes"]
    ), report["notes"]
    empty = tmp_path / "empty.csv"
    empty.write_text("x,w\n,1\n,2\n")
    assert_error(
        run("drift", empty, "-s", stats),
        1,
        f"{empty}: no test of drift could be made of any column (column 'x' has no value in it)",
        "fit the statistics again",
    )


def test_drift_of_new_rows_all_of_weight_0_is_refused_as_fit_refuses_them(tmp_path):
    rng = np.random.default_rng(0)
    train, new = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame({"x": rng.normal(size=500), "w": rng.integers(1, 4, 500)}).to_csv(
        train, index=False
    )
    pd.DataFrame({"x": rng.normal(9, 5, 500), "w": 0}).to_csv(new, index=False)
    stats = tmp_path / "a.json"
    assert_ok(run("fit", train, "--weight-column", "w", "-o", stats))
    told = "every row has weight 0 in the weight column 'w'; sample weights must contain"
    proc = run_normkit("drift", new, "-s", stats, "--json")
    assert proc.returncode == 1, proc.stdout
    assert proc.stdout == b""
    assert_one_line_error(1, proc.stderr.decode(), f"{ERROR}{new}: {told}")
    fit_told = assert_error(run("fit", new, "--weight-column", "w", "-o", tmp_path / "b.json"), 1)
    assert fit_told == f"{ERROR}{new}: {told} at least one non-zero number"


def test_the_constant_column_rule_counts_weights_as_scikit_learn_does_and_says_so(tmp_path):
    # The note said "over 20 rows" where the rule had counted weights summing to 2e11, and
    # weights of 1e-10 kept the scale of rounding noise (outputs of -2 and 0) without a word.
    rng = np.random.default_rng(2)
    a = 1000 + rng.normal(0, 0.01, 20)
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": a, "b": rng.normal(0, 1, 20), "w": 1e10}).to_csv(path, index=False)
    proc = run_normkit("fit", path, "--weight-column", "w", "-o", tmp_path / "s.json")
    assert proc.returncode == 0, proc.stderr.decode()
    scale = json.loads((tmp_path / "s.json").read_text())["columns"][0]["scale"]
    reference = StandardScaler().fit(a[:, None], sample_weight=np.full(20, 1e10))
    assert scale == reference.scale_[0] == 1.0
    assert "over a sum of weights of 2e+11 (scikit-learn counts weights as rows)" in (
        proc.stderr.decode()
    )
    tiny = tmp_path / "tiny.csv"
    tiny.write_text(
        "a,w\n0.3,1e-10\n0.30000000000000004,1e-10\n0.3,1e-10\n0.30000000000000004,1e-10\n"
    )
    proc = run_normkit("fit", tiny, "--weight-column", "w", "-o", tmp_path / "t.json")
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads((tmp_path / "t.json").read_text())["columns"][0]["scale"] != 1.0
    assert (
        "column 'a' keeps its scale although its standard deviation 2.776e-17 is within "
        "float64's rounding of its mean 0.3 over its 4 rows: scikit-learn's constant-column "
        "rule counts weights as rows, and they sum to 4e-10"
    ) in proc.stderr.decode()


def test_a_csvs_weights_pass_through_as_the_floats_fitted_whatever_its_first_rows_hold(
    tmp_path,
):
    # A CSV's types are its first rows' guess: a weight column of integers there may hold
    # fractions further on, in the data fitted or in new data. The stat file records the
    # weights as double, and transforms to Parquet or Arrow pass them through as the float64
    # weights fitted (the first fraction was refused as no int64, and the way out, the
    # column as text, is no weight column for a later fit).
    rng = np.random.default_rng(3)
    rows, integers = 120_000, 100_000
    w = rng.integers(1, 5, rows).astype(float)
    w[integers:] = np.round(rng.uniform(0.5, 3.5, rows - integers), 3)
    frame = pd.DataFrame({"x": rng.normal(3.0, 2.0, rows), "w": w})
    source, head = tmp_path / "d.csv", tmp_path / "head.csv"
    frame.to_csv(source, index=False, float_format="%.17g")
    frame.head(2000).to_csv(head, index=False, float_format="%.17g")
    assert source.read_text().splitlines()[1].count(".") == 1  # "x,3": the weight an integer
    expected = StandardScaler().fit(frame[["x"]], sample_weight=w)
    # Fitted on all of it, or on integers alone (new data then brings the fractions).
    for fitted in (source, head):
        stats = tmp_path / f"{fitted.stem}.json"
        assert_ok(run("fit", fitted, "--weight-column", "w", "-o", stats))
        saved = json.loads(stats.read_text())
        assert {"name": "w", "dtype": "double", "why": "weight"} in saved["passthrough"]
        for fmt in ("parquet", "arrow"):
            out = tmp_path / f"z.{fmt}"
            assert_ok(run("transform", source, "-s", stats, "-o", out))
            table = pd.read_parquet(out) if fmt == "parquet" else pd.read_feather(out)
            assert table["w"].dtype == np.float64
            np.testing.assert_array_equal(table["w"].to_numpy(), w)
            if fitted == source:
                z = expected.transform(frame[["x"]])[:, 0]
                assert_allclose(table["x"], z, rtol=RTOL, atol=RTOL)
    fitted = json.loads((tmp_path / "d.json").read_text())["columns"][0]
    assert_allclose(fitted["mean"], expected.mean_[0], rtol=RTOL)
    # ... the output refits as the same weights; a CSV output keeps their text as written.
    again = tmp_path / "again.json"
    assert_ok(run("transform", source, "-s", tmp_path / "d.json", "-o", tmp_path / "z.parquet"))
    assert_ok(run("fit", tmp_path / "z.parquet", "--weight-column", "w", "-o", again))
    assert json.loads(again.read_text())["columns"][0]["weight"] == fitted["weight"]
    assert_ok(run("transform", source, "-s", tmp_path / "d.json", "-o", tmp_path / "z.csv"))
    written_w = [line.rsplit(",", 1)[1] for line in (tmp_path / "z.csv").read_text().split()]
    assert written_w == [line.rsplit(",", 1)[1] for line in source.read_text().split()]
    # Files whose first rows type the weights differently (integers, fractions): one output.
    fractions = tmp_path / "fractions.csv"
    frame.tail(500).to_csv(fractions, index=False, float_format="%.17g")
    both = tmp_path / "both.parquet"
    assert_ok(run("transform", head, fractions, "-s", tmp_path / "d.json", "-o", both))
    np.testing.assert_array_equal(pd.read_parquet(both)["w"], np.r_[w[:2000], w[-500:]])


def test_typed_files_of_integer_and_float_weights_record_them_as_double(tmp_path):
    pd.DataFrame({"x": [1.0, 2, 3], "w": [1, 2, 3]}).to_parquet(tmp_path / "p1.parquet")
    pd.DataFrame({"x": [4.0, 5, 6], "w": [0.5, 1.5, 2.5]}).to_parquet(tmp_path / "p2.parquet")
    for files, dtype in (("p1", "int64"), ("p1 p2", "double")):
        paths = [tmp_path / f"{f}.parquet" for f in files.split()]
        assert_ok(run("fit", *paths, "--weight-column", "w", "-o", tmp_path / "s.json"))
        saved = json.loads((tmp_path / "s.json").read_text())
        assert {"name": "w", "dtype": dtype, "why": "weight"} in saved["passthrough"]


def test_a_weight_column_typed_as_text_is_no_feature_and_goes_out_as_numbers(tmp_path):
    # Zero-padded weights (and one of 20 digits) make a CSV's weight column text by its first
    # rows. Read as weights since e61b081, the column was also counted as categories (drift
    # tested the weights as a feature: false drift, exit 3), went to Parquet as text (which no
    # fit takes), and a data set of it beside a file of plain weights was refused.
    rng = np.random.default_rng(1)
    rows = 3000
    for name, low in (("pad", 1), ("new", 4)):
        x, w = rng.normal(size=rows), rng.integers(low, low + 3, rows)
        body = "".join(f"{a!r},{b:03d}\n" for a, b in zip(x.tolist(), w.tolist(), strict=True))
        (tmp_path / f"{name}.csv").write_text("x,w\n" + body)
    stats = tmp_path / "s.json"
    assert_ok(run("fit", tmp_path / "pad.csv", "--weight-column", "w", "-o", stats))
    saved = json.loads(stats.read_text())
    assert saved["categories"] == []
    assert {"name": "w", "dtype": "double", "why": "weight"} in saved["passthrough"]
    drift = run_normkit("drift", tmp_path / "new.csv", "-s", stats)
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert not [line for line in drift.stdout.splitlines() if line.startswith(b"w ")]
    out = tmp_path / "z.parquet"
    assert_ok(run("transform", tmp_path / "pad.csv", "-s", stats, "-o", out))
    padded = pd.read_csv(tmp_path / "pad.csv")["w"].to_numpy(dtype=float)
    np.testing.assert_array_equal(pd.read_parquet(out)["w"], padded)
    assert_ok(run("fit", out, "--weight-column", "w", "-o", tmp_path / "again.json"))
    # Beside a file of plain weights: one data set, fitted and transformed.
    plain, big = tmp_path / "a.csv", tmp_path / "b.csv"
    plain.write_text("x,w\n1,1\n2,2\n3,1\n")
    big.write_text("x,w\n4,12345678901234567890\n5,1\n6,2\n")
    assert_ok(run("fit", plain, big, "--weight-column", "w", "-o", stats))
    assert_ok(run("transform", plain, big, "-s", stats, "-o", out))
    assert pd.read_parquet(out)["w"].tolist() == [1, 2, 1, 12345678901234567890.0, 1, 2]
    # A word among the weights further on, in a transform to Parquet: told as weights.
    late = tmp_path / "late.csv"
    late.write_text(
        "x,w\n" + "".join(f"{i % 7},{1 + i % 3}\n" for i in range(150_000)) + "1,heavy\n"
    )
    assert_error(
        run("transform", late, "-s", stats, "-o", tmp_path / "l.parquet"),
        1,
        f"{late}: weight column 'w' at data row 150,001: 'heavy' is not a number; fix the data",
        "keep the columns passed through as text (--keep-text)",  # not applied: no weights' rule
    )
    assert not (tmp_path / "l.parquet").exists()
    # The Python API: a word in a table's weight column told as a weight; text weights no feature.
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4], "w": ["1", "2", "heavy", "1"]})
    with pytest.raises(
        DataError, match=r"^weight column 'w' at row 3: 'heavy' is not a number; weights"
    ):
        Standardizer(weight_column="w").fit(frame)
    frame["w"] = ["001", "2", "3", "1"]
    fitted = Standardizer(weight_column="w").fit(frame)
    assert not fitted.stats_.categories
    np.testing.assert_allclose(fitted.mean_, [np.average([1.0, 2, 3, 4], weights=[1, 2, 3, 1])])


def test_weights_typed_as_text_merge_as_weights_and_old_counts_of_them_are_no_feature(tmp_path):
    # The Python API recorded a text weight column as large_string, a CSV's as double: their
    # merge dropped the weight column (exit 0), and drift then read the data unweighted
    # (false drift). A stat file that counted the weights as categories (as an older normkit
    # did) made drift test them.
    rng = np.random.default_rng(0)
    x = rng.normal(size=4000)
    frame = pd.DataFrame({"x": x, "w": [f"{v:03d}" for v in np.where(x > 0, 9, 1)]})
    frame.iloc[:2000].to_csv(tmp_path / "a.csv", index=False)
    frame.iloc[2000:].to_csv(tmp_path / "b.csv", index=False)
    frame.to_csv(tmp_path / "all.csv", index=False)
    api = Standardizer(weight_column="w").fit(pd.read_csv(tmp_path / "a.csv", dtype={"w": str}))
    assert [(p.name, p.dtype, p.why) for p in api.stats_.passthrough] == [("w", "double", "weight")]
    api.save(tmp_path / "a.json")
    assert_ok(run("fit", tmp_path / "b.csv", "--weight-column", "w", "-o", tmp_path / "b.json"))
    merged = tmp_path / "ab.json"
    assert_ok(run("merge-stats", tmp_path / "a.json", tmp_path / "b.json", "-o", merged))
    assert json.loads(merged.read_text())["weights"] == {"column": "w"}
    drift = run_normkit("drift", tmp_path / "all.csv", "-s", merged)
    assert drift.returncode == 0, drift.stdout + drift.stderr
    # Categories of the weights in a stat file: not tested.
    saved = json.loads((tmp_path / "b.json").read_text())
    counts = {
        "name": "w",
        "counts": {"1": 1000, "9": 1000},
        "other": 0,
        "missing": 0,
        "exact": True,
    }
    saved["categories"] = [counts]
    (tmp_path / "old.json").write_text(json.dumps(saved))
    drift = run_normkit("drift", tmp_path / "all.csv", "-s", tmp_path / "old.json")
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert not [line for line in drift.stdout.splitlines() if line.startswith(b"w ")]


def test_the_python_api_tells_a_word_in_a_weight_column_of_any_type_as_a_weight():
    x = [1.0, 2, 3, 4]
    for w in (
        pd.Series([1, 2, "heavy", 4], dtype=object),
        pd.Series([None, b"2", b"heavy", b"4"], dtype=object),
        ["1", "2", "heavy", "1"],
    ):
        with pytest.raises(DataError, match=r"^weight column 'w' at row 3: '?b?'heavy' is not a"):
            Standardizer(weight_column="w").fit(pd.DataFrame({"x": x, "w": w}))
    numbers = pd.Series([b"1", b"2", b"3", b"4"], dtype=object)
    fitted = Standardizer(weight_column="w").fit(pd.DataFrame({"x": x, "w": numbers}))
    np.testing.assert_allclose(fitted.mean_, [3.0])
