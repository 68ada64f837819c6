"""A pandas ``category`` (an Arrow dictionary) through a CSV and back: the CSV's record keeps its
categories in their order, unused ones too, and whether they are ordered
(normkit.jobs.texttypes), so that Parquet and Arrow read from the CSV give pandas the same
categories and codes; where the record cannot keep them, the column comes back as its values and
the transform says so, never with categories of the text's making."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from conftest import ERROR, normkit_summary, run_normkit

from normkit.jobs.texttypes import MAX_CATEGORIES


def _frame(ordered: bool) -> pd.DataFrame:
    # Categories in another order than the rows first give them, one never used.
    return pd.DataFrame(
        {
            "v": np.arange(6.0),
            "size": pd.Categorical(
                list("MSLSML"), categories=["S", "M", "L", "XL"], ordered=ordered
            ),
            "flag": pd.Categorical(list("yxyxyx"), categories=["x", "y"]),
        },
        index=pd.CategoricalIndex(list("bacbac"), categories=["c", "b", "a", "z"], name="key"),
    )


def _assert_same_categories(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    for name in ("size", "flag"):
        assert got[name].cat.categories.tolist() == expected[name].cat.categories.tolist(), name
        assert got[name].cat.ordered == expected[name].cat.ordered, name
        assert got[name].cat.codes.tolist() == expected[name].cat.codes.tolist(), name
    assert got.index.categories.tolist() == expected.index.categories.tolist()
    assert got.index.codes.tolist() == expected.index.codes.tolist()


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
def test_categories_come_back_through_csv_in_their_order(tmp_path, ordered):
    frame = _frame(ordered)
    data, stats = tmp_path / "in.parquet", tmp_path / "s.json"
    frame.to_parquet(data)
    normkit_summary("fit", data, "-o", stats)
    z = tmp_path / "z.csv"
    normkit_summary("transform", data, "-s", stats, "-o", z)
    for back in ("back.parquet", "back.arrow"):
        normkit_summary("inverse", z, "-s", stats, "-o", tmp_path / back)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "back.parquet"), frame)
    _assert_same_categories(feather.read_feather(tmp_path / "back.arrow"), frame)
    # Inverted to CSV, then normalized into Parquet or Arrow, to CSV and inverted from there.
    raw, z_csv, back_csv = tmp_path / "raw.csv", tmp_path / "z2.csv", tmp_path / "back2.parquet"
    normkit_summary("inverse", z, "-s", stats, "-o", raw)
    for again in ("z2.parquet", "z2.arrow"):
        normkit_summary("transform", raw, "-s", stats, "-o", tmp_path / again)
    _assert_same_categories(pd.read_parquet(tmp_path / "z2.parquet"), frame)
    _assert_same_categories(feather.read_feather(tmp_path / "z2.arrow"), frame)
    normkit_summary("transform", raw, "-s", stats, "-o", z_csv)
    normkit_summary("inverse", z_csv, "-s", stats, "-o", back_csv)
    pd.testing.assert_frame_equal(pd.read_parquet(back_csv), frame)


def test_dictionaries_that_change_between_batches_come_back_as_pandas_reads_them(tmp_path):
    # pandas reads a column of several dictionaries by uniting them in order: q, p, u, r (the
    # rows give p, q, r).
    batches = [
        pa.record_batch(
            {
                "v": [1.0 + i, 2.0],
                "c": pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), dictionary),
            }
        )
        for i, (codes, dictionary) in enumerate((([1, 0], ["q", "p", "u"]), ([0, 1], ["r", "p"])))
    ]
    data, stats = tmp_path / "in.arrows", tmp_path / "s.json"
    with ipc.new_stream(data, batches[0].schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    normkit_summary("fit", data, "--columns", "v", "-o", stats)
    direct, z, back = tmp_path / "direct.parquet", tmp_path / "z.csv", tmp_path / "back.parquet"
    normkit_summary("transform", data, "-s", stats, "-o", direct)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    expected = pd.read_parquet(direct)["c"]
    assert expected.cat.categories.tolist() == ["q", "p", "u", "r"]
    got = pd.read_parquet(back)["c"]
    assert got.cat.categories.tolist() == ["q", "p", "u", "r"]
    assert got.cat.codes.tolist() == expected.cat.codes.tolist() == [1, 0, 3, 1]


def test_a_value_that_is_not_one_of_the_categories_names_its_cell(tmp_path):
    # An edit in the middle of a large CSV that keeps its size is not seen by its record.
    n = 20_000
    frame = pd.DataFrame(
        {"v": np.arange(float(n)), "size": pd.Categorical(["M", "S"] * (n // 2), ["S", "M", "L"])}
    )
    data, stats, z = tmp_path / "in.parquet", tmp_path / "s.json", tmp_path / "z.csv"
    frame.to_parquet(data, index=False)
    normkit_summary("fit", data, "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    lines = z.read_text().splitlines(keepends=True)
    assert lines[10_001].endswith(",M\n")
    lines[10_001] = lines[10_001][:-2] + "X\n"
    z.write_text("".join(lines))
    proc = run_normkit("inverse", z, "-s", stats, "-o", tmp_path / "back.parquet")
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"{ERROR}{z}: column 'size' at data row 10,001: the text 'X' is not one of the 3 "
        "categories the column had when normkit wrote it (its record keeps them); keep the "
        "columns passed through as text (--keep-text)\n"
    )
    assert not (tmp_path / "back.parquet").exists()


def test_more_categories_than_a_record_keeps_come_back_as_values_and_are_told(tmp_path):
    many = [f"id{i:05d}" for i in range(MAX_CATEGORIES + 1)]
    frame = pd.DataFrame(
        {
            "v": np.arange(float(len(many))),
            "id": pd.Categorical(many, categories=many[::-1]),
            "size": pd.Categorical(["S"] * len(many), categories=["M", "S"]),
        }
    )
    data, stats, z = tmp_path / "in.parquet", tmp_path / "s.json", tmp_path / "z.csv"
    frame.to_parquet(data, index=False)
    normkit_summary("fit", data, "-o", stats)
    told = normkit_summary("transform", data, "-s", stats, "-o", z)
    assert told.splitlines()[0] == (
        f"normkit: {z}'s record keeps no categories of 'id' (more than 10,000): read back into "
        "Parquet or Arrow, such a column is its values, not a category"
    )
    back = tmp_path / "back.parquet"
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    got = pd.read_parquet(back)
    assert not isinstance(got["id"].dtype, pd.CategoricalDtype)
    assert got["id"].tolist() == many
    assert got["size"].cat.categories.tolist() == ["M", "S"]


def test_categories_the_record_does_not_keep_are_not_made_up(tmp_path):
    # A record of an older normkit (types without categories), and CSVs whose records keep
    # other categories of a column: their rows would make categories in the order they come.
    data, stats, z = tmp_path / "in.parquet", tmp_path / "s.json", tmp_path / "z.csv"
    _frame(True).to_parquet(data)
    normkit_summary("fit", data, "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    where = tmp_path / ".z.csv.normkit.json"
    document = json.loads(where.read_text())
    del document["metadata"]["normkit.transform"]["categories"]
    where.write_text(json.dumps(document))
    back = tmp_path / "back.parquet"
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    assert pd.read_parquet(back)["size"].tolist() == list("MSLSML")
    assert pq.read_schema(back).field("size").type == pa.string()

    (tmp_path / "csv").mkdir()
    for i, categories in enumerate((["S", "M", "L"], ["L", "M", "S"])):
        part = tmp_path / f"p{i}.parquet"
        sizes = pd.Categorical(["S", "M", "L"], categories=categories)
        pd.DataFrame({"v": [1.0 + i, 2.0, 4.0], "size": sizes}).to_parquet(part, index=False)
        normkit_summary("transform", part, "-s", stats, "-o", tmp_path / "csv" / f"p{i}.csv")
    both = tmp_path / "both.parquet"
    normkit_summary("inverse", tmp_path / "csv", "-s", stats, "-o", both)
    assert pq.read_schema(both).field("size").type == pa.string()
    assert pd.read_parquet(both)["size"].tolist() == ["S", "M", "L"] * 2


def test_text_equal_to_a_missing_value_string_comes_back_as_text(tmp_path):
    # From Parquet, a CSV output writes a missing value one way ('') and records it: text
    # "NA" (North America) or "null" reads back as text, not as missing (137 of 200 rows were
    # lost, exit 0), as a category or plain text.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=200),
            "region": pd.Categorical(rng.choice(["NA", "EU", "null"], 200)),
            "note": rng.choice(["NA", "None", "ok"], 200).astype(object),
        }
    )
    frame.loc[3, "note"] = None
    given, stats = tmp_path / "in.parquet", tmp_path / "s.json"
    frame.to_parquet(given, index=False)
    z, back = tmp_path / "z.csv", tmp_path / "back.parquet"
    normkit_summary("fit", given, "-o", stats)
    normkit_summary("transform", given, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    # And through a second CSV, whose record says how its input's was written.
    back_csv, z2, back2 = tmp_path / "back.csv", tmp_path / "z2.parquet", tmp_path / "b2.parquet"
    normkit_summary("inverse", z, "-s", stats, "-o", back_csv)
    normkit_summary("transform", back_csv, "-s", stats, "-o", z2)
    normkit_summary("inverse", z2, "-s", stats, "-o", back2)
    for path in (back, back2):
        restored = pd.read_parquet(path)
        regions = restored["region"].astype(object).tolist()
        assert regions == frame["region"].astype(object).tolist()
        assert restored["note"].isna().tolist() == frame["note"].isna().tolist()
        assert restored["note"].dropna().tolist() == frame["note"].dropna().tolist()
