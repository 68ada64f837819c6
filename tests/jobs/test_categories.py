"""Category frequencies of text and boolean columns, counted by fit in its one pass: exact against
pandas' value_counts on CSV and Parquet (missing values, booleans, dictionary columns), the same
whatever the chunk size, merged by merge-stats as a fit of the whole, bounded for columns of
identifiers, kept in the stat file and refused there when impossible."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import assert_error, assert_ok, normkit_summary, run, run_normkit

import normkit
from normkit import CsvOptions, ReadOptions, Standardizer
from normkit.core.accumulator import Accumulator
from normkit.core.categories import MAX_CATEGORIES, CategoryCounter, CategoryCounts
from normkit.io.dataset import open_dataset
from normkit.jobs.sources import feed
from normkit.stats import statfile


def reference(series: pd.Series) -> CategoryCounts:
    """pandas' value_counts as category counts (booleans as "true" and "false")."""
    counts = {}
    for value, n in series.value_counts(dropna=True).items():
        key = str(value).lower() if isinstance(value, bool | np.bool_) else str(value)
        counts[key] = int(n)
    return CategoryCounts(counts, 0, int(series.isna().sum()))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 3000
    city = rng.choice(["Paris", "Lyon", "Nice", "a, b", "Zürich", "NA"], n).astype(object)
    city[rng.random(n) < 0.1] = None
    flag = (rng.random(n) < 0.3).astype(object)
    flag[rng.random(n) < 0.05] = None
    return pd.DataFrame({"id": np.arange(n), "x": rng.normal(size=n), "city": city, "flag": flag})


@pytest.fixture(scope="module", params=["csv", "parquet"])
def fitted(request, frame, tmp_path_factory):
    """(the file, its data as pandas reads it, the fitted statistics)."""
    path = tmp_path_factory.mktemp("categories") / f"data.{request.param}"
    if request.param == "csv":
        frame.to_csv(path, index=False)
        # Only "" is missing in text passed through, as in normkit's reading: "NA" is a city.
        data = pd.read_csv(path, keep_default_na=False, na_values=[""])
    else:
        frame.to_parquet(path)
        data = pd.read_parquet(path)
    return path, data, normkit.fit_files(path, Standardizer(exclude=["id"])).stats_


def test_counts_equal_pandas_value_counts(fitted):
    _, data, stats = fitted
    assert list(stats.categories) == ["city", "flag"]
    for name in ("city", "flag"):
        assert stats.categories[name] == reference(data[name]), name
        assert stats.categories[name].total == len(data)
    assert stats.categories["city"].counts["NA"] > 0  # a value like any other, in both
    assert set(stats.categories["flag"].counts) == {"true", "false"}


def test_the_stat_file_keeps_them_and_reads_them_back(fitted, tmp_path):
    path, data, stats = fitted
    out = tmp_path / "s.json"
    assert_ok(run("fit", path, "--exclude", "id", "-o", out))
    doc = json.loads(out.read_text())
    city = doc["categories"][0]
    assert city["name"] == "city"
    assert city["exact"] is True
    assert city["other"] == 0
    assert list(city["counts"].values()) == sorted(city["counts"].values(), reverse=True)
    again = normkit.load(out)
    assert again.categories_ == stats.categories
    shown = run("inspect", out)
    assert_ok(shown)
    top = reference(data["city"]).most_common(1)[0][0]
    assert f"city (text): {len(stats.categories['city'])} categories, top: {top} " in shown.stdout
    assert "flag (boolean): 2 categories, top: false " in shown.stdout


def test_the_pass_can_count_categories_of_new_data(fitted):
    # What drift calls: the categories of named columns, in the pass that feeds the numerics.
    path, _, stats = fitted
    sources = open_dataset(path, ReadOptions())
    accumulator, counter = Accumulator(["x"]), CategoryCounter(["flag", "city"])
    rows = feed(accumulator, sources, ["x"], categories=counter)
    assert rows == [stats.n_rows]
    assert counter.result() == {"flag": stats.categories["flag"], "city": stats.categories["city"]}


def test_excluded_and_numeric_columns_are_not_counted(fitted):
    path, _, _ = fitted
    stats = normkit.fit_files(path, Standardizer(exclude=["city"])).stats_
    assert list(stats.categories) == ["flag"]
    stats = normkit.fit_files(path, Standardizer(columns=["x"])).stats_
    assert list(stats.categories) == ["city", "flag"]  # not chosen, but text: counted
    # In memory the same columns are counted, with the same counts (pandas reads what normkit
    # reads), whole or in batches; a fit continuing a loaded one has none (not all its rows).
    if path.suffix == ".parquet":
        in_memory = pd.read_parquet(path)
    else:  # only "" missing in text, as normkit reads it
        in_memory = pd.read_csv(path, keep_default_na=False, na_values=[""])
    whole = normkit.fit_files(path, Standardizer(exclude=["id"])).categories_
    assert Standardizer(exclude=["id"]).fit(in_memory).categories_ == whole
    parts = [in_memory.iloc[:1000], in_memory.iloc[1000:]]
    assert Standardizer(exclude=["id"]).fit(parts).categories_ == whole
    assert Standardizer(exclude=["city", "flag"]).fit(in_memory).categories_ == {}


def test_dictionary_columns_of_parquet(tmp_path, frame):
    path = tmp_path / "d.parquet"
    data = frame.assign(city=frame["city"].astype("category"))
    data.to_parquet(path)
    assert pa.types.is_dictionary(pq.read_schema(path).field("city").type)
    stats = normkit.fit_files(path, Standardizer(exclude=["id"])).stats_
    assert stats.categories["city"] == reference(frame["city"])


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_counts_do_not_depend_on_the_chunk_size(tmp_path, suffix):
    # More categories than a stat file keeps (but fewer than counting keeps): the most frequent
    # 1,000 with exact counts (ties by name), the rest in other, whatever the batches.
    rng = np.random.default_rng(3)
    n = 20_000
    names = np.array([f"c{i:04d}" for i in range(2500)])
    city = names[np.minimum(rng.zipf(1.3, n), 2500) - 1].astype(object)
    city[rng.random(n) < 0.02] = None
    data = pd.DataFrame({"x": rng.normal(size=n), "city": city})
    path = tmp_path / f"z.{suffix}"
    data.to_csv(path, index=False) if suffix == "csv" else data.to_parquet(path)
    expected = reference(data["city"]).truncated(MAX_CATEGORIES)
    assert not expected.exact
    sections = []
    for chunk in ([], ["--chunk-rows", 7], ["--chunk-rows", 999]):
        out = tmp_path / "s.json"
        assert_ok(run("fit", path, *chunk, "-o", out))
        sections.append(json.loads(out.read_text())["categories"])
        assert normkit.load(out).categories_["city"] == expected
    assert sections[0] == sections[1] == sections[2]
    assert sections[0][0]["exact"] is False


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_column_of_identifiers_is_cut_to_the_cap_with_exact_totals(tmp_path, suffix):
    # 25,000 distinct values (beyond what counting keeps), and 10 frequent ones throughout:
    # counted by Arrow in groups (Parquet, with nulls) or by the native engine (CSV's text).
    rng = np.random.default_rng(4)
    singles = [f"u{i}" for i in range(25_000)]
    frequent = [f"top{i}" for i in range(10)] * 500
    user = np.array(singles + frequent, dtype=object)
    rng.shuffle(user)
    user[rng.random(len(user)) < 0.01] = None
    data = pd.DataFrame({"x": rng.normal(size=len(user)), "user": user})
    path = tmp_path / f"ids.{suffix}"
    if suffix == "csv":
        data.to_csv(path, index=False)
    else:
        data.to_parquet(path)
    # (A block size is for CSV only: given for Parquet, it is refused.)
    csv = CsvOptions(block_size=64 << 10) if suffix == "csv" else CsvOptions()
    read = ReadOptions(chunk_rows=4096, csv=csv)
    counts = normkit.fit_files(path, read=read).stats_.categories["user"]
    assert len(counts) == MAX_CATEGORIES
    assert not counts.exact
    assert counts.total == len(data)
    assert counts.missing == int(data["user"].isna().sum())
    assert counts.other == counts.n_values - sum(counts.counts.values())
    for name, n in data["user"].value_counts().items():
        if name.startswith("top"):
            assert counts.counts[name] == n  # frequent in every batch: never folded
    if suffix == "csv":
        # Counted as they come, the others kept are the first by name (each counted once: ties,
        # broken by name); Arrow's groups are cut in an order of their own.
        met = sorted(v for v in data["user"].dropna() if not v.startswith("top"))
        kept = sorted(name for name in counts.counts if not name.startswith("top"))
        assert kept == met[: MAX_CATEGORIES - 10]


def test_merge_stats_of_shards_equals_a_fit_of_the_whole(tmp_path, frame):
    paths = []
    for i, shard in enumerate((frame.iloc[:1234], frame.iloc[1234:])):
        csv = tmp_path / f"shard{i}.csv"
        shard.to_csv(csv, index=False)
        paths.append(tmp_path / f"shard{i}.json")
        assert_ok(run("fit", csv, "--exclude", "id", "-o", paths[-1]))
    merged = tmp_path / "merged.json"
    assert_ok(run("merge-stats", *paths, "-o", merged))
    whole = tmp_path / "whole.csv"
    frame.to_csv(whole, index=False)
    fitted = normkit.fit_files(whole, Standardizer(exclude=["id"]))
    assert normkit.load(merged).categories_ == fitted.categories_
    written = json.loads(merged.read_text())["categories"]
    assert written == statfile.to_document(fitted.stats_)["categories"]


def test_merge_stats_of_a_boolean_shard_and_a_text_one_equals_a_fit_of_the_whole(tmp_path):
    # The first shard's flags are all booleans, the second's hold other words: a fit of both
    # passes the column through as text with all its categories; so must the merge.
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("x,flag\n1,true\n2,false\n3,True\n")
    second.write_text("x,flag\n4,yes\n5,no\n6,\n7,maybe\n")
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    for csv, path in zip((first, second), paths, strict=True):
        assert_ok(run("fit", csv, "-o", path))
    merged, whole = tmp_path / "merged.json", tmp_path / "whole.json"
    result = run("merge-stats", *paths, "-o", merged)
    assert_ok(result)
    assert "not merged (" not in result.stderr
    assert_ok(run("fit", first, second, "-o", whole))
    merged_doc, whole_doc = json.loads(merged.read_text()), json.loads(whole.read_text())
    assert merged_doc["passthrough"] == whole_doc["passthrough"]
    assert merged_doc["passthrough"] == [{"name": "flag", "dtype": "string", "why": "text"}]
    assert merged_doc["categories"] == whole_doc["categories"]
    assert normkit.load(merged).categories_ == normkit.load(whole).categories_


@pytest.mark.parametrize("empty_first", [False, True])
def test_merge_stats_of_a_text_column_one_shard_has_no_value_in_equals_a_fit(tmp_path, empty_first):
    # The column was dropped from the merge (passed through for other reasons in each shard),
    # so drift said it was a column "the fit did not have": exit 0, not checked.
    texts, empty = tmp_path / "a.csv", tmp_path / "b.csv"
    texts.write_text("x,code\n1,p\n2,q\n3,p\n")
    empty.write_text("x,code\n4,\n5,\n6,\n7,\n")
    shards = [empty, texts] if empty_first else [texts, empty]
    paths = [tmp_path / "1.json", tmp_path / "2.json"]
    for csv, path in zip(shards, paths, strict=True):
        assert_ok(run("fit", csv, "-o", path))
    merged, whole = tmp_path / "merged.json", tmp_path / "whole.json"
    result = run("merge-stats", *paths, "-o", merged)
    assert_ok(result)
    assert "not merged (" not in result.stderr
    assert_ok(run("fit", texts, empty, "-o", whole))
    merged_doc, whole_doc = json.loads(merged.read_text()), json.loads(whole.read_text())
    assert merged_doc["passthrough"] == whole_doc["passthrough"]
    assert merged_doc["passthrough"] == [{"name": "code", "dtype": "string", "why": "text"}]
    assert merged_doc["categories"] == whole_doc["categories"]
    # Empty in both: no counts, as a fit of both has none.
    texts.write_text("x,code\n1,\n2,\n")
    assert_ok(run("fit", texts, "-o", paths[shards.index(texts)]))
    assert_ok(run("merge-stats", *paths, "-o", merged))
    assert_ok(run("fit", texts, empty, "-o", whole))
    merged_doc, whole_doc = json.loads(merged.read_text()), json.loads(whole.read_text())
    assert merged_doc["categories"] == whole_doc["categories"] == []
    assert merged_doc["passthrough"] == whole_doc["passthrough"]


def test_a_stat_file_without_categories_reads_as_none(fitted, tmp_path):
    _, _, stats = fitted
    doc = statfile.to_document(stats)
    del doc["categories"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    assert normkit.load(path).categories_ is None
    shown = run("inspect", path)
    assert_ok(shown)
    assert "\ncategories (" not in shown.stdout


def _edit_city(change):
    def edit(doc: dict) -> None:
        city = next(c for c in doc["categories"] if c["name"] == "city")
        change(doc, city)

    return edit


TAMPERED = {
    "negative count": (
        _edit_city(lambda doc, c: c["counts"].update(Paris=-3)),
        "has count -3",
    ),
    "count beyond the rows": (
        _edit_city(lambda doc, c: c["counts"].update(Paris=doc["rows"] + 1)),
        "more than the file's rows",
    ),
    "counts that do not add up": (
        _edit_city(lambda doc, c: c.update(missing=c["missing"] + 1)),
        "is not rows",
    ),
    "exact with other": (
        _edit_city(lambda doc, c: c.update(other=1, missing=c["missing"] - 1)),
        "exact is true but other is 1",
    ),
    "too many categories": (
        _edit_city(
            lambda doc, c: c.update(
                counts={f"v{i}": 1 for i in range(MAX_CATEGORIES + 1)},
                other=0,
                missing=doc["rows"] - MAX_CATEGORIES - 1,
            )
        ),
        f"{MAX_CATEGORIES + 1:,} categories, more than {MAX_CATEGORIES:,}",
    ),
}


@pytest.mark.parametrize(("edit", "fragment"), TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_stat_file_is_refused_naming_file_and_column(tmp_path, frame, edit, fragment):
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    path = tmp_path / "s.json"
    assert_ok(run("fit", data, "--exclude", "id", "-o", path))
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    assert_error(run("inspect", path), 1, f"{path}: ", "column 'city'", fragment)


def test_a_counted_column_that_is_also_numeric_is_refused(tmp_path, frame):
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    path = tmp_path / "s.json"
    assert_ok(run("fit", data, "--exclude", "id", "-o", path))
    doc = json.loads(path.read_text())
    doc["categories"][0]["name"] = "x"
    path.write_text(json.dumps(doc))
    assert_error(run("inspect", path), 1, f"{path}: ", "column 'x' is a numeric column")
    doc["categories"][0]["name"] = "flag"  # the boolean column's name, with city's categories
    path.write_text(json.dumps(doc))
    assert_error(run("inspect", path), 1, "column 'flag'", "of a boolean column")
    doc["categories"][0]["name"] = "id"  # excluded: never counted
    path.write_text(json.dumps(doc))
    assert_error(run("inspect", path), 1, "column 'id' is not a text or boolean column")
    doc["categories"][0] = dict(doc["categories"][1])  # the same column twice
    path.write_text(json.dumps(doc))
    assert_error(run("inspect", path), 1, "is counted twice")


def test_merge_stats_says_which_categories_it_could_not_merge(tmp_path, frame):
    # A shard fitted with the text column excluded has no counts for it: the merged file
    # cannot have them, and merge-stats says so rather than dropping them silently.
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    half = len(frame) // 2
    frame.iloc[:half].to_csv(one, index=False)
    frame.iloc[half:].to_csv(two, index=False)
    both, without = tmp_path / "both.json", tmp_path / "without.json"
    assert_ok(run("fit", one, "--exclude", "id", "-o", both))
    assert_ok(run("fit", two, "--exclude", "id,city", "-o", without))
    merged = tmp_path / "merged.json"
    result = run("merge-stats", both, without, "-o", merged)
    assert_ok(result)
    assert "categories of column 'city' not merged" in result.stderr
    names = [c["name"] for c in json.loads(merged.read_text())["categories"]]
    assert "city" not in names
    assert "flag" in names


@pytest.mark.parametrize("categorical", [False, True])
def test_polars_text_in_arrow_files_is_text(tmp_path, frame, categorical):
    # Polars writes text to Arrow IPC as string_view, its Categorical as a dictionary of
    # string_view: passed through as 'type string_view', uncounted, unchecked by drift, and
    # unmerged with a Parquet fit of the same data.
    data = pl.from_pandas(frame.drop(columns="flag"))
    if categorical:
        data = data.with_columns(pl.col("city").cast(pl.Categorical))
    arrow, parquet = tmp_path / "d.arrow", tmp_path / "d.parquet"
    data.write_ipc(arrow, compression="uncompressed")
    frame.drop(columns="flag").to_parquet(parquet)
    view = pa.ipc.open_file(arrow).schema.field("city").type
    assert (view.value_type if categorical else view) == pa.string_view()
    stats = {path: tmp_path / f"{path.suffix[1:]}.json" for path in (arrow, parquet)}
    for path, out in stats.items():
        normkit_summary("fit", path, "--exclude", "id", "-o", out)
    doc = json.loads(stats[arrow].read_text())
    assert doc["passthrough"][1] == {"name": "city", "dtype": str(view), "why": "text"}
    assert normkit.load(stats[arrow]).categories_ == normkit.load(stats[parquet]).categories_
    assert normkit.load(stats[arrow]).categories_["city"] == reference(frame["city"])
    # Merged with a Parquet fit of other rows (the same rows twice are not merged).
    fewer, merged = tmp_path / "fewer.parquet", tmp_path / "merged.json"
    frame.drop(columns="flag").iloc[:-1].to_parquet(fewer)
    normkit_summary("fit", fewer, "--exclude", "id", "-o", tmp_path / "fewer.json")
    shards = (stats[arrow], tmp_path / "fewer.json")
    assert "not merged (" not in normkit_summary("merge-stats", *shards, "-o", merged)
    both = reference(pd.concat([frame["city"], frame["city"].iloc[:-1]]))
    assert json.loads(merged.read_text())["categories"][0]["counts"] == both.counts
    # Half the rows one city: its share drifts, in the same kind of file.
    shifted = data.with_columns(
        pl.when(pl.col("id") % 2 == 0).then(pl.lit("Nice")).otherwise(pl.col("city")).alias("city")
    )
    if categorical:
        shifted = shifted.with_columns(pl.col("city").cast(pl.Categorical))
    shifted.write_ipc(tmp_path / "new.arrow", compression="uncompressed")
    result = run_normkit("drift", tmp_path / "new.arrow", "-s", stats[arrow], "--json")
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert report["drifted"] == ["city"]
    city = next(c for c in report["columns"] if c["name"] == "city")
    assert city["kind"] == "categories"
    assert "frequencies" in city["reasons"]
    # In memory too: a table of views, and the polars frame.
    for table in (pa.ipc.open_file(arrow).read_all(), pl.read_ipc(arrow)):
        assert (
            Standardizer(exclude=["id"]).fit(table).categories_
            == normkit.load(stats[parquet]).categories_
        )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_long_text_value_is_counted_in_other_not_kept_in_the_stat_file(tmp_path, suffix):
    # One 2 MB field was kept whole among the categories: the stat file kept beside a model
    # grew to the size of the text (218 MB for a 200 MB field).
    note = "x" * 2_000_000
    frame = pd.DataFrame({"v": np.arange(6.0), "t": ["a", "b", "a", note, "a" * 257, "a" * 256]})
    data, stats = tmp_path / f"d{suffix}", tmp_path / "s.json"
    frame.to_csv(data, index=False) if suffix == ".csv" else frame.to_parquet(data)
    assert run_normkit("fit", data, "-q", "-o", stats).returncode == 0
    assert stats.stat().st_size < 10_000
    counts = statfile.read(stats).categories["t"]
    assert counts.counts == {"a": 2, "a" * 256: 1, "b": 1}
    assert (counts.other, counts.missing) == (2, 0)
    # The same data drifts no more than before: its long values count alike.
    assert run_normkit("drift", data, "-s", stats, "-q").returncode == 0


def test_inspect_shows_a_share_under_one_percent_as_such(tmp_path):
    # 300 codes of about 0.3% each: their shares read 0.33%, not 0%.
    path = tmp_path / "codes.csv"
    pd.DataFrame({"code": [f"SKU-{i % 300:05d}" for i in range(3000)], "x": range(3000)}).to_csv(
        path, index=False
    )
    out = tmp_path / "s.json"
    assert_ok(run("fit", path, "-o", out))
    shown = run("inspect", out).stdout
    assert "top: SKU-00000 0.33%, " in shown
    assert " 0%" not in shown
