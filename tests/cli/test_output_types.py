"""The types of a transform's and an inverse's Parquet and Arrow outputs: a column declared not
null stays so, pandas' record of the normalized columns comes back with the inverse, a
dictionary of numbers comes back with its categories, and an Arrow IPC file holds one
dictionary a column, the batches' dictionaries united."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, normkit_summary, read_arrow, run_normkit

import normkit
from normkit.io.sinks import open_sink


def _not_null_table(n: int = 1000) -> pa.Table:
    """A table as a database writes one with every column declared not null (DuckDB's
    ``create table t(id int not null, qty int not null, price double not null, w decimal(8,2)
    not null)``)."""
    rng = np.random.default_rng(3)
    schema = pa.schema(
        [
            pa.field("id", pa.int32(), nullable=False),
            pa.field("qty", pa.int32(), nullable=False),
            pa.field("price", pa.float64(), nullable=False),
            pa.field("w", pa.decimal128(8, 2), nullable=False),
            pa.field("f", pa.float32(), nullable=False),
        ]
    )
    cents = rng.integers(-99999, 99999, n)
    columns = {
        "id": np.arange(n, dtype=np.int32),
        "qty": rng.integers(0, 500, n).astype(np.int32),
        "price": rng.normal(20, 5, n),
        "w": pa.array([f"{c / 100:.2f}" for c in cents]).cast(pa.decimal128(8, 2)),
        "f": rng.normal(0, 3, n).astype(np.float32),
    }
    return pa.table(columns, schema=schema)


@pytest.mark.parametrize("suffix", ["parquet", "arrow", "arrows", "csv"])
def test_columns_declared_not_null_are_transformed_and_restored_not_null(tmp_path, suffix):
    # A fitted column declared not null that is not float64 was refused by every output: "a
    # batch with columns [...] does not fit an output of [...] (or their types differ)".
    table = _not_null_table()
    data, stats = tmp_path / "t.parquet", tmp_path / "s.json"
    z, back = tmp_path / f"z.{suffix}", tmp_path / "back.parquet"
    pq.write_table(table, data)
    normkit_summary("fit", data, "--exclude", "id", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    if suffix != "csv":
        written = read_arrow(z) if suffix.startswith("arrow") else pq.read_table(z)
        # A value normalized is a value: the columns stay declared not null.
        assert written.schema == pa.schema(
            [
                pa.field(n, pa.int32() if n == "id" else pa.float64(), False)
                for n in table.column_names
            ]
        )
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    restored = pq.read_table(back)
    # A CSV's record keeps the types of its columns and which were declared not null.
    assert restored.schema.remove_metadata() == table.schema
    for name in ("id", "qty", "w", "f"):
        assert restored.column(name).equals(table.column(name)), name
    np.testing.assert_allclose(restored.column("price"), table.column("price"), rtol=1e-14)


def test_infinities_read_as_missing_make_a_not_null_column_nullable(tmp_path):
    # Read as missing, an infinity is a null in a column declared not null: the writer refused
    # it ("declared as non-nullable but contains null values").
    schema = pa.schema([pa.field("x", pa.float64(), False), pa.field("n", pa.int32(), False)])
    table = pa.table({"x": [1.0, 2.0, np.inf, 4.0], "n": pa.array([1, 2, 3, 5], pa.int32())})
    data, stats, z = tmp_path / "t.parquet", tmp_path / "s.json", tmp_path / "z.parquet"
    pq.write_table(table.cast(schema), data)
    normkit_summary("fit", data, "--inf-as-missing", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    written = pq.read_table(z)
    assert [f.nullable for f in written.schema] == [True, True]
    assert written.column("x").null_count == 1
    # Through a CSV, whose record says so, and back.
    z, back = tmp_path / "z.csv", tmp_path / "back.parquet"
    normkit_summary("transform", data, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    restored = pq.read_table(back)
    assert [f.nullable for f in restored.schema] == [True, True]  # as in Parquet
    assert restored.column("x").to_pylist() == [1.0, 2.0, None, 4.0]


def test_a_data_set_of_not_null_and_nullable_files_is_written_nullable(tmp_path):
    (tmp_path / "d").mkdir()
    strict = pa.schema([pa.field("x", pa.float64(), False), pa.field("s", pa.string(), False)])
    pq.write_table(
        pa.table({"x": [1.0, 2.0, 3.0], "s": list("abc")}, strict), tmp_path / "d/a.parquet"
    )
    pq.write_table(
        pa.table({"x": [4.0, None, 5.0], "s": ["a", None, "c"]}), tmp_path / "d/b.parquet"
    )
    stats, z = tmp_path / "s.json", tmp_path / "z.parquet"
    normkit_summary("fit", tmp_path / "d", "-o", stats)
    normkit_summary("transform", tmp_path / "d", "-s", stats, "-o", z)
    written = pq.read_table(z)
    assert [f.nullable for f in written.schema] == [True, True]
    assert written.column("s").to_pylist() == ["a", "b", "c", "a", None, "c"]


def test_a_batch_of_other_types_than_the_output_s_names_the_column_and_both_types(tmp_path):
    schema = pa.schema([pa.field("a", pa.int32()), pa.field("b", pa.float64(), False)])
    batch = pa.record_batch({"a": pa.array([1], pa.int32()), "b": [1.0]})
    with (
        pytest.raises(normkit.SchemaError) as caught,
        open_sink(tmp_path / "o.parquet", schema) as sink,
    ):
        sink.write(batch)
    assert str(caught.value) == (
        f"{tmp_path / 'o.parquet'}: column 'b' is double in a batch, but double not null in "
        "the output"
    )
    assert not (tmp_path / "o.parquet").exists()


@pytest.mark.parametrize("given", ["parquet", "feather"])
@pytest.mark.parametrize("through", ["parquet", "feather", "csv"])
def test_an_inverse_gives_pandas_nullable_floats_back(tmp_path, given, through):
    # pandas' record of a Float64 column was kept by the transform but given back only with a
    # type that the inverse restores: float64 in Arrow either way, it came back float64 (exit
    # 0). Through a CSV, Int64 came back int64 too.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "score": pd.array(
                np.where(rng.random(200) < 0.1, None, rng.normal(5, 1, 200)), "Float64"
            ),
            "age": pd.array(rng.integers(18, 90, 200), dtype="Int64"),
        }
    )
    data, stats = tmp_path / f"in.{given}", tmp_path / "s.json"
    z, back = tmp_path / f"z.{through}", tmp_path / f"back.{given}"
    getattr(frame, f"to_{given}")(data)
    normkit_summary("fit", data, "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    restored = getattr(pd, f"read_{given}")(back)
    assert restored.dtypes.to_dict() == {"score": pd.Float64Dtype(), "age": pd.Int64Dtype()}
    pd.testing.assert_frame_equal(restored, frame, check_exact=False, rtol=1e-14)


def _doses(rng: np.random.Generator, n: int = 500) -> pd.DataFrame:
    """A pandas ``category`` of floats, with an unused category, beside a column of floats."""
    dose = pd.Categorical(rng.choice([0.5, 1.5, 2.25], n), categories=[2.25, 0.5, 1.5, 9.75])
    return pd.DataFrame({"dose": dose, "x": rng.normal(size=n)})


@pytest.mark.parametrize("through", ["feather", "parquet", "csv"])
def test_a_dictionary_of_floats_comes_back_with_its_categories(tmp_path, through):
    # The inverse unwrapped the dictionary to float64 and refused it as a narrow float: "the
    # restored value 0.5 may be another float64 than the one transformed".
    frame = _doses(np.random.default_rng(0))
    data, stats = tmp_path / "dose.feather", tmp_path / "s.json"
    z, back = tmp_path / f"z.{through}", tmp_path / "back.feather"
    frame.to_feather(data)
    normkit_summary("fit", data, "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    # Many batches, each of its own values: one dictionary, the input's, in every batch.
    normkit_summary("inverse", z, "-s", stats, "-o", back, "--chunk-rows", "64")
    restored = pd.read_feather(back)
    assert list(restored.dose.cat.categories) == [2.25, 0.5, 1.5, 9.75]
    pd.testing.assert_series_equal(restored.dose, frame.dose)
    # Back into a CSV: it raised AttributeError (a name for the record's fields had taken the
    # name of the dictionaries' categories).
    normkit_summary("inverse", z, "-s", stats, "-o", tmp_path / "back.csv")
    assert pd.read_csv(tmp_path / "back.csv").dose.tolist() == frame.dose.astype(float).tolist()


@pytest.mark.parametrize("through", ["arrows", "csv"])
def test_floats_categories_united_beyond_their_codes_come_back_exact(tmp_path, through):
    # 100 float categories in pandas' int8 codes in each of two files: united, 200 are more
    # than int8 holds, and the record kept none of them. The inverse gave the fitted column's
    # values back off by its roundings (1.7699999999999996 for 1.77, exit 0), and a column of
    # them passed through came back as floats, not categories.
    rng = np.random.default_rng(5)
    doses = np.round(np.arange(200) * 0.07 + 0.02, 2)
    parts = []
    for i, own in enumerate((doses[:100], doses[100:])):
        frame = pd.DataFrame(
            {"x": rng.normal(size=300), "dose": pd.Categorical(rng.choice(own, 300), own)}
        )
        assert frame.dose.cat.codes.dtype == np.int8
        frame.to_feather(tmp_path / f"p{i}.feather")
        parts.append(frame)
    inputs = [tmp_path / "p0.feather", tmp_path / "p1.feather"]
    whole = pd.concat(parts, ignore_index=True)
    for fitted in (["--columns", "x", "--columns", "dose"], ["--columns", "x"]):
        stats, z = tmp_path / "s.json", tmp_path / f"z.{through}"
        normkit_summary("fit", *inputs, *fitted, "-o", stats)
        normkit_summary("transform", *inputs, "-s", stats, "-o", z)
        back = tmp_path / "back.arrows"
        normkit_summary("inverse", z, "-s", stats, "-o", back)
        dose = read_arrow(back).column("dose")
        assert dose.to_pylist() == whole.dose.astype(float).tolist(), fitted
        if through == "csv" or "dose" in fitted:  # else each batch's own, as the input's
            assert dose.type == pa.dictionary(pa.int32(), pa.float64()), fitted
            assert dose.chunk(0).dictionary.to_pylist() == doses.tolist()


def test_numbers_of_more_categories_than_a_record_keeps_come_back_as_their_values(tmp_path):
    # They came back as a dictionary of categories in the order the rows gave, 1,620 of them
    # not the column's (0.5090000000000003), exit 0, or were refused into an Arrow file.
    rng = np.random.default_rng(6)
    doses = np.round(np.arange(10_001) * 0.001 + 0.1, 3)
    frame = pd.DataFrame(
        {
            "dose": pd.Categorical(rng.choice(doses, 30_000), doses),
            "level": pd.Categorical(rng.choice(10_001, 30_000), np.arange(10_001)),
        }
    )
    data, stats, z = tmp_path / "d.feather", tmp_path / "s.json", tmp_path / "z.arrow"
    frame.to_feather(data)
    normkit_summary("fit", data, "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    for out in ("back.arrows", "back.arrow"):
        normkit_summary("inverse", z, "-s", stats, "-o", tmp_path / out)
        back = read_arrow(tmp_path / out)
        assert back.schema.field("dose").type == pa.float64()
        assert back.schema.field("level").type == pa.int64()
        np.testing.assert_allclose(back.column("dose"), frame.dose.astype(float), rtol=1e-14)
        assert back.column("level").to_pylist() == frame.level.astype(int).tolist()
        restored = back.to_pandas()  # pandas' record says no category of them either
        assert restored.dtypes.to_dict() == {"dose": np.float64, "level": np.int64}


def test_a_restored_value_that_is_none_of_the_categories_is_refused(tmp_path):
    frame = _doses(np.random.default_rng(1))
    data, stats = tmp_path / "dose.feather", tmp_path / "s.json"
    z, edited = tmp_path / "z.parquet", tmp_path / "edited.parquet"
    frame.to_feather(data)
    normkit_summary("fit", data, "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)
    table = pq.read_table(z)
    zs = table.column("dose").to_numpy().copy()
    zs[6] = (zs[zs == zs.min()][0] + zs[zs == zs.max()][0]) / 2  # between two categories
    pq.write_table(table.set_column(0, "dose", pa.array(zs)), edited)
    line = normkit_error(1, "inverse", edited, "-s", stats, "-o", tmp_path / "back.feather")
    assert line.startswith(f"{edited}: column 'dose' at data row 7: the restored value ")
    assert line.endswith(
        "is none of the 4 categories of its dictionary, which the input's record keeps (the "
        "nearest: 1.5); keep float64 (--keep-float)"
    )


@pytest.mark.parametrize("given", ["arrows", "parquet"])
def test_an_arrow_file_holds_the_categories_of_every_batch_united(tmp_path, given):
    # An Arrow IPC file output was refused where the input's batches have different
    # dictionaries ("column 'c' has other categories (its dictionary) in a later batch"),
    # though the same data through a CSV and back writes them united in order.
    rng = np.random.default_rng(4)
    batches = [
        pa.record_batch(
            {
                "c": pa.array(rng.choice(labels, 50)).dictionary_encode(),
                "x": rng.normal(size=50),
            }
        )
        for labels in (["b", "a"], ["a", "c"], ["d", "b"])
    ]
    table = pa.Table.from_batches(batches)
    united = list(dict.fromkeys(v for b in batches for v in b.column("c").dictionary.to_pylist()))
    assert len(united) == 4
    data, stats = tmp_path / f"d.{given}", tmp_path / "s.json"
    if given == "parquet":
        pq.write_table(table, data, row_group_size=50)
    else:
        with pa.ipc.new_stream(data, table.schema) as writer:
            writer.write_table(table)
    normkit_summary("fit", data, "-o", stats)
    for out in ("z.arrow", "z.feather"):
        normkit_summary("transform", data, "-s", stats, "-o", tmp_path / out)
        written = pa.ipc.open_file(tmp_path / out)
        assert written.num_record_batches == 3
        for i in range(3):  # one dictionary, the batches' united in order
            column = written.get_batch(i).column("c")
            assert column.dictionary.to_pylist() == united
        assert written.read_all().column("c").to_pylist() == table.column("c").to_pylist()
    normkit_summary("inverse", tmp_path / "z.arrow", "-s", stats, "-o", tmp_path / "back.arrow")
    back = read_arrow(tmp_path / "back.arrow")
    assert back.column("c").to_pylist() == table.column("c").to_pylist()


def test_a_parquet_output_holds_the_categories_of_every_file_united_in_order(tmp_path):
    """Two pandas files whose categories differ: the Parquet output's read back in the order
    their values first came, the unused ones lost, exit 0, where the Arrow output and pandas'
    union keep them in order. (Ordered ones: the next test.)"""
    ordered = False
    first, second = tmp_path / "p1.parquet", tmp_path / "p2.parquet"
    pd.DataFrame(
        {"x": [1.0, 2.0, 3.0], "c": pd.Categorical(["lo", "mid", "lo"], ["lo", "mid"], ordered)}
    ).to_parquet(first)
    later = pd.Categorical(["top", "hi", "lo"], ["lo", "hi", "top", "spare"], ordered)
    pd.DataFrame({"x": [4.0, 5.0, 6.0], "c": later}).to_parquet(second)
    united = ["lo", "mid", "hi", "top", "spare"]
    if not ordered:  # pandas' own union, where it unites them (not ordered ones that differ)
        frames = [pd.read_parquet(first).c, pd.read_parquet(second).c]
        assert list(pd.api.types.union_categoricals(frames).categories) == united
    stats, z = tmp_path / "s.json", tmp_path / "z.parquet"
    normkit_summary("fit", first, second, "-o", stats)
    normkit_summary("transform", first, second, "-s", stats, "-o", z)
    written = pd.read_parquet(z).c
    assert list(written.cat.categories) == united
    assert written.cat.ordered is ordered
    assert written.tolist() == ["lo", "mid", "lo", "top", "hi", "lo"]
    normkit_summary("inverse", z, "-s", stats, "-o", tmp_path / "back.parquet")
    assert list(pd.read_parquet(tmp_path / "back.parquet").c.cat.categories) == united


def test_categories_united_beyond_their_codes_type_are_written_with_wider_codes(tmp_path):
    """Two pandas files of 70 stores each (int8 codes): united, 140 categories were written
    with int8 codes, a Parquet file that pandas, Polars and normkit's inverse could not read
    ('Integer value 128 not in range: -128 to 127'), exit 0; an Arrow file was refused. Both
    now hold int32 codes there; from a pipe, whose categories cannot be united first, a
    Parquet output is refused instead."""
    paths = [tmp_path / f"day{k}.parquet" for k in (0, 1)]
    for k, path in enumerate(paths):
        stores = pd.Categorical([f"s{k}_{i}" for i in range(70)])
        pd.DataFrame({"store": stores, "x": np.arange(70.0)}).to_parquet(path, index=False)
    stats = tmp_path / "s.json"
    normkit_summary("fit", *paths, "-o", stats)
    values = [f"s{k}_{i}" for k in (0, 1) for i in range(70)]
    expected = sorted(values[:70]) + sorted(values[70:])  # pandas sorts each file's
    for out in ("z.parquet", "z.arrow"):
        normkit_summary("transform", *paths, "-s", stats, "-o", tmp_path / out)
        back = tmp_path / f"back.{out.split('.')[1]}"
        normkit_summary("inverse", tmp_path / out, "-s", stats, "-o", back)
        for written in (tmp_path / out, back):
            read = pd.read_parquet if out.endswith("parquet") else pd.read_feather
            column = read(written).store
            assert list(column.cat.categories) == expected
            assert column.tolist() == values
    stream = tmp_path / "both.arrows"
    table = pa.concat_tables([pq.read_table(p) for p in paths], promote_options="permissive")
    with pa.ipc.new_stream(stream, table.schema) as writer:
        writer.write_table(table)
    out = tmp_path / "piped.parquet"
    proc = run_normkit(
        "transform", "-", "--input-format", "arrow", "-s", stats, "-o", out,
        stdin=stream.read_bytes(),
    )  # fmt: skip
    assert proc.returncode == 1
    assert "its batches' categories (its dictionaries) number 140 together" in (
        proc.stderr.decode()
    )
    assert not out.exists()


def test_row_groups_of_other_dictionaries_beyond_their_codes_are_counted(tmp_path):
    """One Parquet file written in two parts, 100 categories each in int8 codes, 160 in all:
    counting its categories raised ArrowIndexError (Arrow united the row groups' dictionaries in
    int8 codes: index -100 out of bounds) instead of a fit."""
    path, stats = tmp_path / "rg.parquet", tmp_path / "s.json"
    rng = np.random.default_rng(1)
    parts = []
    for first in (0, 60):
        stores = [f"s{i}" for i in range(first, first + 100)]
        frame = pd.DataFrame(
            {"x": rng.normal(size=300), "store": pd.Categorical(rng.choice(stores, 300), stores)}
        )
        parts.append(pa.Table.from_pandas(frame, preserve_index=False))
    with pq.ParquetWriter(path, parts[0].schema) as writer:
        for part in parts:
            writer.write_table(part)
    normkit_summary("fit", path, "-o", stats)
    counts = json.loads(stats.read_text())["categories"][0]["counts"]
    expected = pd.read_parquet(path).store.astype(str).value_counts().to_dict()
    assert counts == expected
    normkit_summary("transform", path, "-s", stats, "-o", tmp_path / "z.parquet")
    written = pd.read_parquet(tmp_path / "z.parquet").store.astype(str)
    assert written.tolist() == pd.read_parquet(path).store.astype(str).tolist()


def test_categories_in_codes_of_other_widths_make_one_output(tmp_path):
    """pandas gives 100 categories int8 codes and 200 int16 ones: two such files were refused
    ('one output cannot hold both'); the output takes the wider codes."""
    data = tmp_path / "two"
    data.mkdir()
    rng = np.random.default_rng(0)
    for name, count in (("a", 100), ("b", 200)):
        stores = pd.Categorical(
            [f"s{i % count}" for i in range(50)], [f"s{i}" for i in range(count)]
        )
        pd.DataFrame({"x": rng.normal(size=50), "store": stores}).to_parquet(
            data / f"{name}.parquet"
        )
    stats = tmp_path / "s.json"
    normkit_summary("fit", data, "-o", stats)
    for out in ("z.parquet", "z.arrow", "z.csv"):
        normkit_summary("transform", data, "-s", stats, "-o", tmp_path / out)
    written = pd.read_parquet(tmp_path / "z.parquet").store
    assert len(written.cat.categories) == 200
    assert written.astype(str).tolist() == [f"s{i}" for i in range(50)] * 2
    # The CSV's record keeps the wider type: back into Arrow, a category again (it came back
    # as text, and so did every other column passed through).
    normkit_summary("inverse", tmp_path / "z.csv", "-s", stats, "-o", tmp_path / "back.arrow")
    back = pd.read_feather(tmp_path / "back.arrow").store
    assert len(back.cat.categories) == 200
    assert back.astype(str).tolist() == written.astype(str).tolist()


def test_ordered_categories_are_united_in_the_order_both_keep_or_refused(tmp_path):
    """`low, high` and `low, mid, high` (ordered) were united as `low, high, mid`: `g > 'mid'`
    lost every `high`, exit 0. They are merged as `low, mid, high`; orders that conflict
    (`z, a` and `a, m, z`) are refused, as pandas' union_categoricals refuses them."""
    frames = {
        "a": (["low", "high"], ["low", "high"]),
        "b": (["mid", "high", "low"], ["low", "mid", "high"]),
        "c": (["z", "a"], ["z", "a"]),
        "d": (["a", "m", "z"], ["a", "m", "z"]),
    }
    for name, (values, order) in frames.items():
        g = pd.Categorical(values, categories=order, ordered=True)
        pd.DataFrame({"g": g, "x": np.arange(len(values), dtype=float)}).to_parquet(
            tmp_path / f"{name}.parquet", index=False
        )
    inputs = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    stats = tmp_path / "s.json"
    normkit_summary("fit", *inputs, "-o", stats)
    for out in ("z.parquet", "z.arrow"):
        normkit_summary("transform", *inputs, "-s", stats, "-o", tmp_path / out)
        read = pd.read_parquet if out.endswith("parquet") else pd.read_feather
        g = read(tmp_path / out).g
        assert (list(g.cat.categories), g.cat.ordered) == (["low", "mid", "high"], True)
        assert g[g > "mid"].tolist() == ["high", "high"]
    inputs = [tmp_path / "c.parquet", tmp_path / "d.parquet"]
    normkit_summary("fit", *inputs, "-o", stats)
    for out in ("y.parquet", "y.csv"):  # into a CSV the message named no file
        proc = run_normkit("transform", *inputs, "-s", stats, "-o", tmp_path / out)
        assert proc.returncode == 1
        assert f"{inputs[1]}: column 'g': its ordered categories come in orders that do not " in (
            proc.stderr.decode()
        )
        assert not (tmp_path / out).exists()


@pytest.mark.parametrize("out", ["z.parquet", "z.arrow"])
def test_the_inputs_own_schema_metadata_is_kept_and_given_back(tmp_path, out):
    # {'owner': 'team-a'} was dropped from the output without a word, and the inverse did not
    # give it back; another writer's record of the types (Spark's) is still left out.
    spark = b"org.apache.spark.sql.parquet.row.metadata"
    metadata = {b"owner": b"team-a", spark: b'{"type": "struct", "fields": []}'}
    table = pa.table({"x": [1.0, 2.0, 3.0], "n": [1, 2, 3]}).replace_schema_metadata(metadata)
    data, stats, z = tmp_path / "d.parquet", tmp_path / "s.json", tmp_path / out
    pq.write_table(table, data)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", z)

    def kept(path):
        schema = pq.read_schema(path) if path.suffix == ".parquet" else read_arrow(path).schema
        ours = (b"normkit.", b"PANDAS_ATTRS")  # the record, and its copy for pandas
        return {k: v for k, v in schema.metadata.items() if not k.startswith(ours)}

    assert kept(z) == {b"owner": b"team-a"}
    back = tmp_path / f"back{z.suffix}"
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    assert kept(back) == {b"owner": b"team-a"}


def test_a_date_beyond_the_years_a_csv_reads_back_is_refused(tmp_path):
    # Parquet to CSV wrote '-0221-09-04', exit 0, which the output's own inverse then refused
    # ("does not read back as date32[day]").
    data, stats, out = tmp_path / "d.parquet", tmp_path / "s.json", tmp_path / "z.csv"
    dated = pa.array([0, -800_000, 1], pa.date32())
    pq.write_table(pa.table({"x": [1.0, 2.0, 4.0], "d": dated}), data)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    proc = run_normkit("transform", data, "-s", stats, "-o", out)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f"normkit: error: {out}: column 'd' at row 2 holds -0221-09-04, a date outside the years "
        "1 to 9999, whose text would not read back as a date; write Parquet or Arrow\n"
    )
    assert not out.exists()
    # The years 1 and 9999 are written, and read back.
    edges = pa.array([dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23)], pa.timestamp("ms"))
    pq.write_table(pa.table({"x": [1.0, 2.0], "t": edges}), data)
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    normkit_summary("transform", data, "-s", stats, "-o", out)
    normkit_summary("inverse", out, "-s", stats, "-o", tmp_path / "back.parquet")
    assert pq.read_table(tmp_path / "back.parquet").column("t").equals(pa.chunked_array([edges]))


def test_columns_whose_parquet_type_pyarrow_cannot_write_are_named(tmp_path):
    # DuckDB's INTERVAL and TIME WITH TIME ZONE came back as BLOB and TIME, exit 0, without a
    # word. The file: duckdb.sql("copy (select i * 1.5 + 1 x, interval (i) minute iv,
    # '12:00:00+05'::timetz ttz from range(4) t(i)) to 'duckdb_interval_timetz.parquet'").
    data = Path(__file__).parents[1] / "data" / "duckdb_interval_timetz.parquet"
    stats = tmp_path / "s.json"
    normkit_summary("fit", data, "--columns", "x", "-o", stats)
    proc = run_normkit("transform", data, "-s", stats, "-o", tmp_path / "z.parquet")
    assert proc.returncode == 0
    assert (
        f"normkit: note: {data}: 'iv' (a Parquet INTERVAL, read as 12 bytes), 'ttz' (a TIME "
        "adjusted to UTC, read as a time of day) pass through with their values, not their types"
    ) in proc.stderr.decode()
    back = pq.read_table(tmp_path / "z.parquet")
    assert back.column("iv").equals(pq.read_table(data).column("iv"))  # the bytes kept
    # pyarrow's own time columns are no such columns: no note.
    times = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0], "t": pa.array([1, 2], pa.time64("us"))}), times)
    normkit_summary("fit", times, "--columns", "x", "-o", stats)
    proc = run_normkit("transform", times, "-s", stats, "-o", tmp_path / "t_z.parquet")
    assert "note" not in proc.stderr.decode(), proc.stderr
