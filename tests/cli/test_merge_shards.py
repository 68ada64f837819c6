"""Merging the stat files of a data set's shards keeps what the shards agree on: a shard without
a value of a column adds nothing to its sketch, and the input columns' order the shards share
is kept; the same rows merged twice are refused with one exit code, however it is seen."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import ERROR, SAMPLE_CSV, normkit_error, normkit_summary, run_normkit

import normkit

SKETCH_KEYS = ("quantiles", "quantile_cdf", "quantile_sample")


def ok(*args) -> dict:
    proc = run_normkit(*args, "-q")
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout) if proc.stdout else {}


def merge_notes(tmp_path, first, second, *first_options) -> str:
    """What merge-stats says (its exit 0) of the fits of CSVs ``first`` (with
    ``first_options``) and ``second``."""
    ok("fit", first, *first_options, "-o", tmp_path / "a.json")
    ok("fit", second, "-o", tmp_path / "b.json")
    proc = run_normkit("merge-stats", tmp_path / "a.json", tmp_path / "b.json", "-o", "-")
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stderr.decode()


def column(doc: dict, name: str) -> dict:
    return next(c for c in doc["columns"] if c["name"] == name)


@pytest.fixture
def shards(tmp_path):
    """The sample's first 2,500 rows, and the rest with ``temperature_c`` all missing."""
    data = pd.read_csv(SAMPLE_CSV)
    first, rest = tmp_path / "t1.csv", tmp_path / "tnan.csv"
    data[:2500].to_csv(first, index=False)
    empty = data[2500:].copy()
    empty["temperature_c"] = np.nan
    empty.to_csv(rest, index=False)
    return first, rest


def test_a_shard_without_values_adds_nothing_to_a_columns_sketch(tmp_path, shards):
    first, rest = shards
    a, b = tmp_path / "t1.json", tmp_path / "tnan.json"
    ok("fit", first, "--exclude", "id", "-o", a)
    ok("fit", rest, "--exclude", "id", "-o", b)
    merged = ok("merge-stats", a, b, "-o", "-")
    alone = json.loads(a.read_text())
    for key in SKETCH_KEYS:
        assert column(merged, "temperature_c")[key] == column(alone, "temperature_c")[key]
    reverse = ok("merge-stats", b, a, "-o", "-")
    for key in SKETCH_KEYS:
        assert column(reverse, "temperature_c")[key] == column(alone, "temperature_c")[key]
    assert merged["sketch"]["merged"] is True  # the other columns are mixed from both shards
    assert merged["inputs"] == alone["inputs"]


def test_the_input_order_is_kept_where_the_shards_agree_on_it(tmp_path, shards):
    first, rest = shards
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    ok("fit", first, "--exclude", "id", "-o", a)
    ok("fit", rest, "--exclude", "id", "--exclude", "city", "-o", b)
    merged = ok("merge-stats", a, b, "-o", "-")
    assert merged["inputs"] == json.loads(a.read_text())["inputs"]
    # Passed through as excluded where one shard excluded it: its values (counted by the
    # other shard) do not travel with the merged statistics.
    city = next(p for p in merged["passthrough"] if p["name"] == "city")
    assert city["why"] == "excluded"
    assert "city" not in [c["name"] for c in merged.get("categories", [])]


def test_the_same_rows_merged_twice_are_refused_alike_however_seen(tmp_path, shards):
    first, rest = shards
    a, b, merged = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "m.json"
    ok("fit", first, "--exclude", "id", "-o", a)
    ok("fit", rest, "--exclude", "id", "-o", b)
    ok("merge-stats", a, b, "-o", merged)
    # The same file twice, and a file whose rows the other already holds: one exit code.
    twice = run_normkit("merge-stats", a, a, "-o", tmp_path / "x.json")
    again = run_normkit("merge-stats", merged, a, "-o", tmp_path / "x.json")
    assert (twice.returncode, again.returncode) == (2, 2), again.stderr.decode()
    assert again.stderr.decode() == (
        f"{ERROR}{a}: both were fitted on {first} (2,500 rows): merged, its rows would count "
        f"twice (merging into those of {merged}); leave out one of the stat files\n"
    )
    assert not (tmp_path / "x.json").exists()


def test_merging_onto_an_input_says_how_to_replace_it(tmp_path, shards):
    # Refused with no way out: a shard brought up to date is a merge onto itself.
    first, rest = shards
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    ok("fit", first, "-o", a)
    ok("fit", rest, "-o", b)
    before = a.read_bytes()
    proc = run_normkit("merge-stats", a, b, "-o", a)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"{ERROR}{a}: the output would overwrite the input {a}; write it to another path, then "
        f"move that over {a} if that is what you want\n"
    )
    assert a.read_bytes() == before


def test_a_file_written_again_with_other_data_is_merged_and_the_same_data_refused(tmp_path):
    # A daily export written at one path, of the same size each day (Parquet's floats): the
    # second day's statistics were refused as the first day's rows counted twice, no way round.
    rng = np.random.default_rng(1)
    path = tmp_path / "today.parquet"
    days = [pd.DataFrame(rng.normal(10 * d, 1, (1000, 2)), columns=["a", "b"]) for d in (1, 2)]
    for day, frame in enumerate(days):
        frame.to_parquet(path)
        ok("fit", path, "-o", tmp_path / f"day{day}.json")
    assert (
        json.loads((tmp_path / "day0.json").read_text())["provenance"]["sources"][0]["bytes"]
        == json.loads((tmp_path / "day1.json").read_text())["provenance"]["sources"][0]["bytes"]
    )
    merged = ok("merge-stats", tmp_path / "day0.json", tmp_path / "day1.json", "-o", "-")
    both = pd.concat(days).to_numpy()
    np.testing.assert_allclose([column(merged, n)["mean"] for n in "ab"], both.mean(axis=0))
    # Fitted twice on the same data: its rows would count twice, refused as before.
    ok("fit", path, "-o", tmp_path / "again.json")
    proc = run_normkit("merge-stats", tmp_path / "day1.json", tmp_path / "again.json", "-o", "-")
    assert proc.returncode == 2
    assert "its rows would count twice" in proc.stderr.decode()


@pytest.mark.parametrize("cut", [("--chunk-rows", "1000"), ("--csv-block-size", "64K")])
def test_the_same_file_fitted_in_other_chunks_is_still_refused_as_counted_twice(tmp_path, cut):
    # Rows cut into other chunks give moments a few units in the last place apart: the same
    # data, which was merged (counted twice, exit 0) as if the file had been written again.
    path = tmp_path / "day.csv"
    pd.DataFrame({"x": np.random.default_rng(1).normal(5, 2, 20_000)}).to_csv(path, index=False)
    ok("fit", path, "-o", tmp_path / "a.json")
    ok("fit", path, *cut, "-o", tmp_path / "b.json")
    a, b = (json.loads((tmp_path / f"{n}.json").read_text())["columns"][0] for n in "ab")
    assert (a["m3"], a["m4"]) != (b["m3"], b["m4"])  # the bits differ: other chunks
    proc = run_normkit("merge-stats", tmp_path / "a.json", tmp_path / "b.json", "-o", "-")
    assert proc.returncode == 2, proc.stderr.decode()
    assert "its rows would count twice" in proc.stderr.decode()


def test_inspect_says_what_was_merged_and_when_a_transform_updated_the_statistics(tmp_path):
    # A merged file never showed merged_from; a --save-stats file showed the fit's time as
    # "written", not the update's.
    halves = []
    data = pd.read_csv(SAMPLE_CSV)
    for i, part in enumerate((data[:2000], data[2000:])):
        path = tmp_path / f"p{i}.csv"
        part.to_csv(path, index=False)
        halves.append(tmp_path / f"p{i}.json")
        ok("fit", path, "-o", halves[-1])
    ok("merge-stats", *halves, "-o", tmp_path / "m.json")
    shown = run_normkit("inspect", tmp_path / "m.json").stdout.decode().splitlines()
    assert shown[1].startswith("merged     ")
    assert shown[2] == f"           from {halves[0]}, {halves[1]}"
    saved = tmp_path / "saved.json"
    mode = ("--mode", "adaptive", "--save-stats", saved)
    ok("transform", tmp_path / "p0.csv", "-s", halves[0], *mode, "-o", tmp_path / "z.csv")
    updated = json.loads(saved.read_text())["provenance"]["updated"]
    shown = run_normkit("inspect", saved).stdout.decode().splitlines()
    assert shown[1].startswith("fitted     ")
    assert shown[2] == f"updated    {updated} (running statistics, by a transform)"


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_fits_of_one_file_through_a_link_are_refused_as_counted_twice(tmp_path, link):
    # Provenance names the path given: a fit through a link and one of the file merged, their
    # rows counted twice (exit 0), where a fit of both refuses them.
    path = tmp_path / "daily.csv"
    pd.read_csv(SAMPLE_CSV)[:500].to_csv(path, index=False)
    linked = tmp_path / "link.csv"
    if link == "symbolic":
        linked.symlink_to(path)
    else:
        linked.hardlink_to(path)
    ok("fit", path, "-o", tmp_path / "a.json")
    ok("fit", linked, "-o", tmp_path / "b.json")
    proc = run_normkit("merge-stats", tmp_path / "a.json", tmp_path / "b.json", "-o", "-")
    assert proc.returncode == 2
    assert proc.stderr.decode() == (
        f"{ERROR}{tmp_path / 'b.json'}: both were fitted on one file ({path} and {linked} reach "
        f"it; 500 rows): merged, its rows would count twice (merging into those of "
        f"{tmp_path / 'a.json'}); leave out one of the stat files\n"
    )


def test_a_merge_keeps_the_rows_added_in_memory_and_what_was_imported(tmp_path):
    # merge-stats dropped partial_fit's continued (100 of 300 rows then had no source) and
    # import-torch's imported record (what the statistics do not know).
    import normkit

    data = pd.read_csv(SAMPLE_CSV)
    parts = [data[:1000], data[1000:2000], data[2000:3000]]
    for i, part in enumerate(parts):
        part.to_csv(tmp_path / f"d{i}.csv", index=False)
    ok("fit", tmp_path / "d0.csv", "-o", tmp_path / "s0.json")
    continued = normkit.load(tmp_path / "s0.json")
    continued.partial_fit(parts[1][list(continued.feature_names_in_)])
    continued.save(tmp_path / "s01.json")
    ok("fit", tmp_path / "d2.csv", "-o", tmp_path / "s2.json")
    ok("merge-stats", tmp_path / "s01.json", tmp_path / "s2.json", "-o", tmp_path / "m.json")
    merged = json.loads((tmp_path / "m.json").read_text())
    assert merged["provenance"]["continued"]["rows"] == 1000
    assert sum(s["rows"] for s in merged["provenance"]["sources"]) == 2000
    bn = tmp_path / "bn.safetensors"
    export = ("--to", "torch", "--use", "exact", "--dtype", "float64", "-o", bn)
    ok("export", "-s", tmp_path / "s2.json", *export)
    ok("import-torch", bn, "-o", tmp_path / "imported.json")
    ok("merge-stats", tmp_path / "s0.json", tmp_path / "imported.json", "-o", tmp_path / "m2.json")
    imported = json.loads((tmp_path / "m2.json").read_text())["provenance"]["imported"]
    original = json.loads((tmp_path / "imported.json").read_text())["provenance"]["imported"]
    assert imported["merged"] == [original]
    assert imported["unknown"] == sorted(original.get("unknown", []))


def test_a_merge_says_what_the_shards_did_not_record_alike(tmp_path):
    # A column only one shard passed through, and the input columns' order, were dropped from
    # the merged statistics without a word (a later transform of an array then refused).
    rng = np.random.default_rng(0)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame({"id": range(50), "x": rng.normal(size=50), "y": rng.normal(size=50)}).to_csv(
        first, index=False
    )
    pd.DataFrame({"y": rng.normal(size=50), "x": rng.normal(size=50)}).to_csv(second, index=False)
    said = merge_notes(tmp_path, first, second, "--exclude", "id")
    assert "'id' not recorded as passed through (not passed through alike by every file)" in said
    assert "the input columns' order not kept (the files' differ)" in said
    # Beside statistics imported from scikit-learn, which record no order, that is the reason
    # (it said the files' orders differ where they were the same).
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(rng.normal(size=(9, 2)))
    imported = normkit.Standardizer.from_sklearn(scaler, feature_names=["y", "x"])
    normkit.save(imported, tmp_path / "imported.json")
    ok("fit", second, "-o", tmp_path / "c.json")
    proc = run_normkit("merge-stats", tmp_path / "imported.json", tmp_path / "c.json", "-o", "-")
    assert "the input columns' order not kept (not every file records it)" in proc.stderr.decode()


def test_stat_files_of_the_same_rows_fitted_in_memory_are_refused_as_counted_twice(tmp_path):
    # Fitted in memory (or from standard input), stat files name no file: two of the same
    # rows were merged, their counts doubled, exit 0. They are told by their numbers.
    import normkit

    data = pd.read_csv(SAMPLE_CSV)[:500]
    for name, rows in (("a", data), ("b", data), ("c", data[:250])):
        normkit.Standardizer().fit(rows).save(tmp_path / f"{name}.json")
    proc = run_normkit("merge-stats", tmp_path / "a.json", tmp_path / "b.json", "-o", "-")
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith(
        f"{ERROR}{tmp_path / 'b.json'}: the same statistics as {tmp_path / 'a.json'} (counts, "
    )
    assert "would count twice; leave out one of them" in proc.stderr.decode()
    merged = ok("merge-stats", tmp_path / "a.json", tmp_path / "c.json", "-o", "-")
    assert merged["rows"] == 750


def test_a_copy_of_a_shard_under_another_name_is_refused_as_the_same_rows(tmp_path):
    # Fits of a.csv and of its copy merged to twice the rows, exit 0: the same-numbers rule held
    # only where a fit names no file.
    rng = np.random.default_rng(5)
    for name, rows in (("a.csv", 30), ("b.csv", 40)):
        pd.DataFrame(rng.normal(size=(rows, 3)), columns=list("xyz")).to_csv(
            tmp_path / name, index=False
        )
    shutil.copy(tmp_path / "a.csv", tmp_path / "copy.csv")
    for name in ("a", "b", "copy"):
        normkit_summary("fit", tmp_path / f"{name}.csv", "-o", tmp_path / f"{name}.json")
    proc = run_normkit("merge-stats", tmp_path / "a.json", tmp_path / "copy.json")
    assert proc.returncode == 2
    assert "the same statistics as" in proc.stderr.decode()
    assert "fitted on other files (a copy of the same rows)" in proc.stderr.decode()
    merged = tmp_path / "m.json"
    normkit_summary("merge-stats", tmp_path / "a.json", tmp_path / "b.json", "-o", merged)
    assert normkit.load(merged).n_rows_seen_ == 70


def test_layers_imported_from_their_running_averages_are_not_merged(tmp_path):
    """Two layers that saw 500 batches of 64 rows each, at momentums 0.1 and 0.01, imported
    from their buffers (counts 1,216 and 12,736: windows, not rows) merged into a mean of 9.08
    where their data's is near 5, exit 0. Refused, by file and in memory."""
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    files = []
    for name, center, momentum in (("a", 0.0, 0.1), ("b", 10.0, 0.01)):
        layer = torch.nn.BatchNorm1d(1, momentum=momentum, dtype=torch.float64)
        with torch.no_grad():
            for _ in range(500):
                layer(torch.randn(64, 1, dtype=torch.float64) + center)
        save_file(layer.state_dict(), str(tmp_path / f"{name}.safetensors"))
        files.append(tmp_path / f"{name}.json")
        given = ("--columns", "x", "--batch-size", "64", "--momentum", str(momentum))
        ok("import-torch", tmp_path / f"{name}.safetensors", *given, "-o", files[-1])
    merged = tmp_path / "m.json"
    message = normkit_error(1, "merge-stats", *files, "-o", merged)
    assert message.startswith(
        f"{files[0]}: the statistics are a BatchNorm layer's running averages (imported)"
    ), message
    assert not merged.exists()
    with pytest.raises(normkit.StatsFileError, match="running averages"):
        normkit.load(files[0]).merge(normkit.load(files[1]))


def test_a_fit_continued_in_memory_is_refused_beside_a_fit_of_its_own_file(tmp_path):
    # A stat file continued by partial_fit names its file and holds more rows, as a file
    # written again with other data would: merged with a fit of that file (merge-stats, or
    # Standardizer.merge), the file's rows counted twice, exit 0.
    rng = np.random.default_rng(3)
    pd.DataFrame({"x": rng.normal(10, 2, 1000)}).to_csv(tmp_path / "day1.csv", index=False)
    ok("fit", tmp_path / "day1.csv", "-o", tmp_path / "day1.json")
    continued = normkit.load(tmp_path / "day1.json")
    continued.partial_fit(pd.DataFrame({"x": rng.normal(10, 2, 500)}))
    continued.save(tmp_path / "both.json")
    for pair in (("day1.json", "both.json"), ("both.json", "day1.json")):
        proc = run_normkit("merge-stats", *(tmp_path / p for p in pair), "-o", "-")
        assert proc.returncode == 2, proc.stderr.decode()
        assert "both were fitted on" in proc.stderr.decode()
    with pytest.raises(ValueError, match="both were fitted on"):
        normkit.load(tmp_path / "day1.json").merge(continued)
    # A merge in memory kept no sources: merged again with the file's fit, its rows counted
    # twice.
    in_memory = normkit.Standardizer().fit(pd.DataFrame({"x": rng.normal(size=50)}))
    merged = normkit.load(tmp_path / "day1.json").merge(in_memory)
    assert [s["path"] for s in merged.stats_.provenance["sources"]] == [str(tmp_path / "day1.csv")]
    with pytest.raises(ValueError, match="both were fitted on"):
        merged.merge(normkit.load(tmp_path / "day1.json"))


def test_statistics_imported_from_scikit_learn_are_refused_merged_with_their_own(tmp_path):
    # Their extremes are unknown (NaN): the same statistics were never compared, and a merge
    # with a copy, or with a fit of the same rows, counted them twice (exit 0).
    from sklearn.preprocessing import StandardScaler

    X = np.random.default_rng(0).normal(5, 2, (1000, 2))
    imported = normkit.Standardizer.from_sklearn(StandardScaler().fit(X))
    imported.save(tmp_path / "sk.json")
    shutil.copy(tmp_path / "sk.json", tmp_path / "copy.json")
    proc = run_normkit("merge-stats", tmp_path / "sk.json", tmp_path / "copy.json", "-o", "-")
    assert proc.returncode == 2, proc.stderr.decode()
    assert "the same statistics as" in proc.stderr.decode()
    for a, b in (
        (imported, normkit.Standardizer().fit(X)),
        (normkit.Standardizer().fit(X), imported),
    ):
        with pytest.raises(ValueError, match="the same statistics as"):
            a.merge(b)
    other = imported.merge(normkit.Standardizer().fit(X[:500]))  # other rows: merged
    np.testing.assert_allclose(other.mean_, np.vstack([X, X[:500]]).mean(axis=0), rtol=1e-12)
    # Without a variance (with_std=False, stored as 0) the means and counts tell.
    scaler = StandardScaler(with_std=False).fit(X)
    centered = normkit.Standardizer.from_sklearn(scaler)
    again = normkit.Standardizer.from_sklearn(scaler)
    # What was compared is said, not what is unknown (it said extremes and variances matched).
    unknown = r"\(counts, missing values and means, to rounding; the variance and extremes of "
    for a, b in ((centered, again), (centered, normkit.Standardizer(with_std=False).fit(X))):
        with pytest.raises(ValueError, match=unknown):
            a.merge(b)
        with pytest.raises(ValueError, match=unknown):
            b.merge(a)
    merged = centered.merge(normkit.Standardizer(with_std=False).fit(X + 5))
    np.testing.assert_allclose(merged.mean_, np.vstack([X, X + 5]).mean(axis=0), rtol=1e-12)


def test_a_balanced_fold_of_binary_columns_merges_with_an_import_either_way_round(tmp_path):
    # The import may vary (its extremes unknown), the fold's binary columns tell nothing by
    # their numbers: merged one way, refused the other as the same rows.
    from sklearn.preprocessing import StandardScaler

    fold = pd.DataFrame({"p": [0, 1] * 50, "q": [1, 0] * 50})
    fold.to_csv(tmp_path / "fold.csv", index=False)
    ok("fit", tmp_path / "fold.csv", "-o", tmp_path / "fold.json")
    other = StandardScaler().fit((1 - fold).astype(float))
    normkit.save(normkit.Standardizer.from_sklearn(other), tmp_path / "imported.json")
    for pair in (("fold.json", "imported.json"), ("imported.json", "fold.json")):
        merged = ok("merge-stats", *(tmp_path / p for p in pair), "-o", "-")
        assert [column(merged, n)["count"] for n in "pq"] == [200, 200]


def test_a_merge_of_wide_shards_lists_a_few_names_and_counts_the_rest(tmp_path):
    # 95 columns passed through by one shard alone were listed one by one, in one line.
    rng = np.random.default_rng(1)
    ids = {f"id{i:03d}_{'n' * 40}": range(20) for i in range(30)}
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame({**ids, "x": rng.normal(size=20)}).to_csv(first, index=False)
    pd.DataFrame({"x": rng.normal(size=20)}).to_csv(second, index=False)
    excluded = [a for name in ids for a in ("--exclude", name)]
    said = merge_notes(tmp_path, first, second, *excluded)
    assert "columns 'id000_" in said
    assert " and 20 more not recorded as passed through" in said
    assert "id029_" not in said
