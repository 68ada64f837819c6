"""The fingerprint outputs record covers what a transform with the statistics computes, and
nothing else: statistics with the same numbers in another stat file (another order of columns,
without the moments or categories a transform does not read, back from PyTorch) are known as
the ones that normalized the data, by inverse, transform, fit and drift alike; other numbers
are not. Outputs that record a fingerprint by the first rule keep being read by it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import ERROR, run_normkit

from normkit.stats import statfile
from normkit.stats.fingerprints import whole_file_fingerprint


def ok(*args) -> str:
    proc = run_normkit(*args, "-q")
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def refused(code: int, *args) -> str:
    proc = run_normkit(*args, "-q")
    stderr = proc.stderr.decode()
    assert proc.returncode == code, stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith(ERROR)
    return line


@pytest.fixture
def fitted(tmp_path):
    """A CSV, its stat file, and the data normalized with it (Parquet)."""
    rng = np.random.default_rng(1)
    n = 2000
    data = tmp_path / "d.csv"
    pd.DataFrame(
        {
            "x": rng.normal(10, 3, n),
            "y": rng.lognormal(2, 0.5, n),
            "city": rng.choice(["a", "b", "c"], n),
        }
    ).to_csv(data, index=False)
    stats, z = tmp_path / "st.json", tmp_path / "z.parquet"
    ok("fit", data, "-o", stats)
    ok("transform", data, "-s", stats, "-o", z)
    return data, stats, z


def edited(path, out, edit) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    out.write_text(json.dumps(doc))


def _reorder(doc):
    doc["columns"].reverse()
    doc["inputs"] = ["y", "x", "city"]


def _no_categories(doc):
    del doc["categories"]


def _no_higher_moments(doc):
    for column in doc["columns"]:
        del column["m3"], column["m4"]


def test_statistics_back_from_torch_invert_what_they_normalized(tmp_path, fitted):
    _data, stats, z = fitted
    bn, back = tmp_path / "bn.safetensors", tmp_path / "back.json"
    ok("export", "-s", stats, "--to", "torch", "--dtype", "float64", "-o", bn)
    ok("import-torch", bn, "-o", back)
    restored, expected = tmp_path / "back.csv", tmp_path / "expected.csv"
    ok("inverse", z, "-s", back, "--use", "exact", "-o", restored)
    ok("inverse", z, "-s", stats, "-o", expected)
    assert restored.read_bytes() == expected.read_bytes()
    # Normalizing again is refused as normalizing with the same statistics.
    line = refused(1, "transform", z, "-s", back, "-o", tmp_path / "zz.parquet")
    assert "is already normalized with these statistics" in line


@pytest.mark.parametrize(
    "edit", [_reorder, _no_categories, _no_higher_moments], ids=lambda f: f.__name__
)
def test_what_a_transform_does_not_read_is_not_in_the_fingerprint(tmp_path, fitted, edit):
    _data, stats, z = fitted
    other = tmp_path / "other.json"
    edited(stats, other, edit)
    restored, expected = tmp_path / "back.csv", tmp_path / "expected.csv"
    ok("inverse", z, "-s", other, "-o", restored)
    ok("inverse", z, "-s", stats, "-o", expected)
    assert restored.read_bytes() == expected.read_bytes()


def test_a_variance_written_as_negative_zero_is_the_same_statistics(tmp_path):
    data = tmp_path / "c.csv"
    pd.DataFrame({"c": [5.0] * 50, "x": np.arange(50.0)}).to_csv(data, index=False)
    stats, other, z = tmp_path / "st.json", tmp_path / "other.json", tmp_path / "z.parquet"
    ok("fit", data, "--no-ema", "-o", stats)
    ok("transform", data, "-s", stats, "-o", z)
    edited(stats, other, lambda doc: doc["columns"][0].update(var=-0.0))
    assert json.loads(other.read_text())["columns"][0]["var"] == 0.0
    ok("inverse", z, "-s", other, "-o", tmp_path / "back.csv")


def test_other_numbers_are_other_statistics(tmp_path, fitted):
    _data, stats, z = fitted
    other = tmp_path / "other.json"

    def nudged(doc):
        doc["columns"][0]["mean"] = float(np.nextafter(doc["columns"][0]["mean"], np.inf))

    edited(stats, other, nudged)
    line = refused(1, "inverse", z, "-s", other, "-o", tmp_path / "back.csv")
    assert line.startswith(f"{ERROR}{z} was normalized with other statistics than these")
    line = refused(1, "transform", z, "-s", other, "-o", tmp_path / "zz.parquet")
    assert "is already normalized with other statistics than these" in line


def test_files_normalized_with_equal_statistics_are_on_one_scale(tmp_path, fitted):
    data, stats, z = fitted
    other, z2 = tmp_path / "other.json", tmp_path / "z2.parquet"
    edited(stats, other, _no_categories)
    ok("transform", data, "-s", other, "-o", z2)
    # A fit of both, and drift of one against statistics of the other.
    both = tmp_path / "both.json"
    ok("fit", z, z2, "-o", both)
    zs = tmp_path / "zs.json"
    ok("fit", z, "-o", zs)
    proc = run_normkit("drift", z2, "-s", zs, "-q")
    assert proc.returncode == 0, proc.stderr.decode()


def test_an_output_recording_a_whole_file_fingerprint_is_still_inverted(tmp_path, fitted):
    _data, stats, z = fitted
    table = pq.read_table(z)
    record = json.loads(table.schema.metadata[b"normkit.transform"])
    record["stats"] = whole_file_fingerprint(statfile.read(stats))
    old = tmp_path / "old.parquet"
    metadata = {**table.schema.metadata, b"normkit.transform": json.dumps(record).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), old)
    restored, expected = tmp_path / "back.csv", tmp_path / "expected.csv"
    ok("inverse", old, "-s", stats, "-o", restored)
    ok("inverse", z, "-s", stats, "-o", expected)
    assert restored.read_bytes() == expected.read_bytes()
    line = refused(1, "transform", old, "-s", stats, "-o", tmp_path / "zz.parquet")
    assert "is already normalized with these statistics" in line
    # Beside an output fingerprinted by the current rule, a fit cannot tell their scales apart.
    line = refused(1, "fit", old, z, "-o", tmp_path / "both.json")
    assert line == (
        f"{ERROR}{old} and {z} are normalized with statistics fingerprinted by two rules (one by "
        "an older normkit) (their metadata says so): whether they are on one scale cannot be "
        "told; normalize both with this normkit or fit them apart, or leave one out of the inputs"
    )
