"""The types of the normalized columns travel in a transform's record: an inverse gives them
back as the data transformed had them (not as the data the statistics were fitted on), the
common type where several inputs had different ones, and the stat file's where the record keeps
none (an output of an older normkit, a CSV's guess of integers)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, normkit_summary

from normkit.stats.recipe import METADATA_KEY


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ages fitted as integers, and the same ages plus a half (fractions) to transform."""
    rng = np.random.default_rng(1)
    fitted = pd.DataFrame(
        {"id": range(500), "age": rng.integers(18, 90, 500), "x": rng.normal(size=500)}
    )
    return fitted, fitted.assign(age=fitted.age + 0.5)


def _recorded_dtypes(path) -> dict | None:
    return json.loads(pq.read_schema(path).metadata[METADATA_KEY]).get("dtypes")


@pytest.mark.parametrize(
    ("given", "through"), [("csv", "parquet"), ("csv", "csv"), ("parquet", "parquet")]
)
def test_fractions_transformed_with_statistics_of_integers_come_back(tmp_path, given, through):
    # Fitted on integer ages, a file of ages with fractions was transformed (exit 0), and its
    # inverse refused: "the restored value 52.5 is not an integer, but the stat file records
    # the column as int64".
    fitted, other = _frames()
    a, b = tmp_path / f"a.{given}", tmp_path / f"b.{given}"
    for frame, path in ((fitted, a), (other, b)):
        frame.to_csv(path, index=False) if given == "csv" else frame.to_parquet(path)
    stats, z, back = tmp_path / "s.json", tmp_path / f"z.{through}", tmp_path / "back.csv"
    normkit_summary("fit", a, "--exclude", "id", "-o", stats)
    normkit_summary("transform", b, "-s", stats, "-o", z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    restored = pd.read_csv(back)
    assert restored.age.dtype == np.float64
    np.testing.assert_allclose(restored.age, other.age, rtol=1e-15)
    np.testing.assert_allclose(restored.x, other.x, rtol=1e-13)


def test_narrower_types_transformed_come_back_as_they_were(tmp_path):
    # int8 and float32 data transformed with statistics fitted on int64 and float64 came back
    # int64 and double.
    fitted, _ = _frames()
    narrow = fitted.assign(age=fitted.age.astype("int8"), x=fitted.x.astype("float32"))
    a, c = tmp_path / "a.parquet", tmp_path / "c.parquet"
    fitted.to_parquet(a)
    narrow.to_parquet(c)
    stats, z, back = tmp_path / "s.json", tmp_path / "z.parquet", tmp_path / "back.parquet"
    normkit_summary("fit", a, "--exclude", "id", "-o", stats)
    normkit_summary("transform", c, "-s", stats, "-o", z)
    assert _recorded_dtypes(z) == {"age": "int8", "x": "float"}
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    assert pq.read_table(back).equals(pq.read_table(c))
    pd.testing.assert_frame_equal(pd.read_parquet(back), narrow)


def test_inputs_of_different_types_come_back_in_the_type_that_holds_them_all(tmp_path):
    fitted, other = _frames()
    narrow = fitted.assign(age=fitted.age.astype("int8"), x=fitted.x.astype("float32"))
    paths = {name: tmp_path / f"{name}.parquet" for name in ("a", "b", "c")}
    for name, frame in zip(paths, (fitted, other, narrow), strict=True):
        frame.to_parquet(paths[name])
    stats = tmp_path / "s.json"
    normkit_summary("fit", paths["a"], "--exclude", "id", "-o", stats)
    for first, second, age in (("a", "c", pa.int64()), ("c", "b", pa.float64())):
        z, back = tmp_path / f"z{first}{second}.parquet", tmp_path / f"{first}{second}.parquet"
        normkit_summary("transform", paths[first], paths[second], "-s", stats, "-o", z)
        normkit_summary("inverse", z, "-s", stats, "-o", back)
        restored = pq.read_table(back)
        assert restored.schema.field("age").type == age
        assert restored.schema.field("x").type == pa.float64()
        given = pd.concat([pd.read_parquet(paths[first]), pd.read_parquet(paths[second])])
        np.testing.assert_allclose(restored["age"].to_numpy(), given.age, rtol=1e-15)


def test_a_csv_s_guess_of_integers_is_not_recorded(tmp_path):
    # A CSV's first rows may type as integers a column that holds fractions later: its record
    # keeps no type of it, and the inverse restores it as the stat file records it.
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("n,x,y\n1,1.5,4\n2,2.25,5\n7,3,9\n")
    b.write_text("n,x,y\n5,1,0.5\n6,2,1\n8,3,2\n")
    stats, z, back = tmp_path / "s.json", tmp_path / "z.parquet", tmp_path / "back.parquet"
    normkit_summary("fit", a, "-o", stats)
    normkit_summary("transform", b, "-s", stats, "-o", z)
    assert _recorded_dtypes(z) == {"y": "double"}
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    restored = pq.read_schema(back)
    assert [restored.field(n).type for n in "nxy"] == [pa.int64(), pa.float64(), pa.float64()]


def test_a_refusal_names_the_record_as_what_types_the_column(tmp_path):
    fitted, _ = _frames()
    a, c = tmp_path / "a.parquet", tmp_path / "c.parquet"
    fitted.to_parquet(a)
    fitted.assign(age=fitted.age.astype("int16")).to_parquet(c)
    stats, z, back = tmp_path / "s.json", tmp_path / "z.parquet", tmp_path / "back.parquet"
    normkit_summary("fit", a, "--exclude", "id", "-o", stats)
    normkit_summary("transform", c, "-s", stats, "-o", z)
    written = pq.read_table(z)
    age = written["age"].to_numpy().copy()
    age[2] += 0.001  # no longer what an integer is made into
    pq.write_table(written.set_column(1, "age", pa.array(age)), z)
    line = normkit_error(1, "inverse", z, "-s", stats, "-o", back)
    assert line.startswith(f"{z}: column 'age' at data row 3: the restored value ")
    assert line.endswith(
        "is not an integer, but the column was int16 in the data normalized (its metadata says "
        "so); keep float64 (--keep-float)"
    )
    assert not back.exists()


def test_an_output_that_records_no_types_is_restored_as_the_stat_file_says(tmp_path):
    # Outputs of an older normkit keep no types: their columns come back as the stat file's.
    fitted, _ = _frames()
    a, c = tmp_path / "a.parquet", tmp_path / "c.parquet"
    fitted.to_parquet(a)
    fitted.assign(age=fitted.age.astype("int8")).to_parquet(c)
    stats, z, back = tmp_path / "s.json", tmp_path / "z.parquet", tmp_path / "back.parquet"
    normkit_summary("fit", a, "--exclude", "id", "-o", stats)
    normkit_summary("transform", c, "-s", stats, "-o", z)
    written = pq.read_table(z)
    record = json.loads(written.schema.metadata[METADATA_KEY])
    del record["dtypes"]
    metadata = {**written.schema.metadata, METADATA_KEY: json.dumps(record).encode()}
    pq.write_table(written.replace_schema_metadata(metadata), z)
    normkit_summary("inverse", z, "-s", stats, "-o", back)
    assert pq.read_schema(back).field("age").type == pa.int64()
    assert pq.read_table(back)["age"].to_pylist() == fitted.age.tolist()
