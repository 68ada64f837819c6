"""Columns of an Arrow extension type (pandas' ``Period``, a user's registered type) are never
normalized as the numbers they are stored as: chosen by type they pass through, bit for bit and
with their extension kept; chosen by name they are refused. The command line, which imports no
pandas, reads such a type unregistered (its storage type, the field's metadata naming it), the
library registered; both decide alike."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, normkit_summary, run_normkit

import normkit

EXTENSION = b"ARROW:extension:name"


def months(path, n=200):
    """A frame of numbers beside pandas' ``Period`` months, written to ``path`` (Arrow's file
    format for ``.feather``, else Parquet); the frame."""
    frame = pd.DataFrame(
        {
            "x": np.random.default_rng(0).normal(size=n),
            "month": pd.period_range("2020-01", periods=n, freq="M"),
        }
    )
    if path.suffix == ".feather":
        frame.to_feather(path)
    else:
        frame.to_parquet(path)
    return frame


def read(path) -> pa.Table:
    """A table as pyarrow reads it (unregistered extensions as their storage and metadata)."""
    return (
        feather.read_table(path) if path.suffix in (".feather", ".arrow") else pq.read_table(path)
    )


@pytest.mark.parametrize("given", ["per.feather", "per.parquet"])
@pytest.mark.parametrize("written", ["z.arrow", "z.parquet"])
def test_a_period_column_passes_through_with_its_extension(tmp_path, given, written):
    # The months were fitted as int64 ordinals ("fitted 2 columns") and written as float64
    # z-scores under the schema's 'extension<pandas.period>': garbage to pandas, exit 0.
    data, stats, out = tmp_path / given, tmp_path / "s.json", tmp_path / written
    frame = months(data)
    summary = normkit_summary("fit", data, "-o", stats)
    assert "fitted 1 column on 200 rows" in summary
    assert "passed through: month (extension pandas.period)" in summary
    recorded = json.loads(stats.read_text())
    assert [c["name"] for c in recorded["columns"]] == ["x"]
    normkit_summary("transform", data, "-s", stats, "-o", out)
    before, after = read(data), read(out)
    assert after.column("month").equals(before.column("month"))
    field = after.schema.field("month")
    assert field.equals(before.schema.field("month"), check_metadata=True)
    assert isinstance(field.type, pa.BaseExtensionType)  # pandas, imported here, registered it
    back = pd.read_feather(out) if written.endswith(".arrow") else pd.read_parquet(out)
    pd.testing.assert_series_equal(back["month"], frame["month"])
    x = frame["x"].to_numpy()
    np.testing.assert_allclose(back["x"], (x - x.mean()) / x.std(), rtol=1e-12)
    restored = tmp_path / f"back{out.suffix}"
    normkit_summary("inverse", out, "-s", stats, "-o", restored)
    assert read(restored).column("month").equals(before.column("month"))


@pytest.mark.parametrize("given", ["per.feather", "per.parquet"])
def test_a_period_column_chosen_by_name_is_refused(tmp_path, given):
    data = tmp_path / given
    months(data)
    line = normkit_error(1, "fit", data, "--columns", "x,month", "-o", tmp_path / "s.json")
    assert line == (
        f"{data}: column 'month' has the extension type pandas.period (stored as int64), "
        "which is not numeric; leave it out of the columns chosen (--columns)"
    )
    assert not (tmp_path / "s.json").exists()


def test_statistics_of_numbers_refuse_them_as_a_period(tmp_path):
    # Statistics fitted on the ordinals as plain int64 took the months for those numbers in
    # transform and drift (drift tested 'month' as a number), exit 0.
    data, plain, stats = tmp_path / "per.feather", tmp_path / "plain.arrow", tmp_path / "s.json"
    months(data)
    table = read(data)
    ordinals = pa.chunked_array([chunk.storage for chunk in table.column("month").chunks])
    feather.write_feather(table.set_column(1, "month", ordinals), plain)
    normkit_summary("fit", plain, "-o", stats)
    expected = (
        f"{data}: column 'month' has the extension type pandas.period (stored as int64), "
        "which is not numeric; write it as numbers where the file is written, as it was fitted on"
    )
    assert normkit_error(1, "transform", data, "-s", stats, "-o", tmp_path / "z.arrow") == (
        expected
    )
    assert normkit_error(1, "drift", data, "-s", stats) == expected


def test_drift_leaves_the_months_passed_through_unchecked(tmp_path):
    data, stats = tmp_path / "per.parquet", tmp_path / "s.json"
    months(data)
    normkit_summary("fit", data, "-o", stats)
    proc = run_normkit("drift", data, "-s", stats)
    assert proc.returncode == 0, proc.stderr
    report = proc.stdout.decode()
    assert "no drift in 1 column" in report
    assert "not checked: 'month' (extension pandas.period)" in report


class Cents(pa.ExtensionType):
    """A user's extension type, of no ``__hash__``: pyarrow's ``ExtensionType`` has none."""

    def __init__(self):
        super().__init__(pa.int64(), "shop.cents")

    def __arrow_ext_serialize__(self):
        return b""

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type, serialized):
        return cls()


@pytest.fixture
def cents_file(tmp_path):
    """An Arrow file of numbers beside prices of the extension type ``shop.cents``."""
    prices = pa.ExtensionArray.from_storage(Cents(), pa.array(np.arange(100) * 25, pa.int64()))
    table = pa.table({"x": np.linspace(0.0, 1.0, 100), "price": prices})
    path = tmp_path / "cents.arrow"
    feather.write_feather(table, path)
    return path


@pytest.fixture
def cents_registered():
    pa.register_extension_type(Cents())
    yield
    pa.unregister_extension_type("shop.cents")


def test_a_user_extension_type_unregistered_passes_through_the_command_line(tmp_path, cents_file):
    stats, out = tmp_path / "s.json", tmp_path / "z.parquet"
    summary = normkit_summary("fit", cents_file, "-o", stats)
    assert "passed through: price (extension shop.cents)" in summary
    normkit_summary("transform", cents_file, "-s", stats, "-o", out)
    assert read(out).column("price").equals(read(cents_file).column("price"))
    assert read(out).schema.field("price").metadata[EXTENSION] == b"shop.cents"
    assert normkit_error(1, "fit", cents_file, "--columns", "price", "-o", stats).startswith(
        f"{cents_file}: column 'price' has the extension type shop.cents (stored as int64)"
    )


def test_a_user_extension_type_is_no_weight_column(tmp_path, cents_file):
    line = normkit_error(1, "fit", cents_file, "--weight-column", "price", "-o", tmp_path / "s")
    assert line == (
        f"{cents_file}: the weight column 'price' has the extension type shop.cents (stored as "
        "int64), which is not numeric"
    )


@pytest.mark.parametrize("registered", [False, True])
def test_the_library_passes_a_user_extension_type_through(
    tmp_path, cents_file, registered, request
):
    # Registered, a type without __hash__ stopped a fit with "TypeError: unhashable type:
    # 'Cents'"; unregistered, its int64 storage was fitted as numbers.
    if registered:
        request.getfixturevalue("cents_registered")
    table = feather.read_table(cents_file)
    assert isinstance(table.schema.field("price").type, Cents) == registered
    scaler = normkit.Standardizer().fit(table)
    assert list(scaler.columns_) == ["x"]
    z = scaler.transform(table)
    assert z.column("price").equals(table.column("price"))
    with pytest.raises(normkit.SchemaError, match=r"'price' has the extension type shop\.cents"):
        normkit.Standardizer(columns=["x", "price"]).fit(table)
    storage = table.column("price")
    if registered:
        storage = pa.chunked_array([chunk.storage for chunk in storage.chunks])
    numbers = normkit.Standardizer().fit(table.set_column(1, "price", storage))
    assert list(numbers.columns_) == ["x", "price"]
    with pytest.raises(normkit.SchemaError, match=r"'price' has the extension type shop\.cents"):
        numbers.transform(table)


def test_files_of_a_registered_user_extension_type_are_written(
    tmp_path, cents_file, cents_registered
):
    # Writing Parquet and CSV looked the types up in sets and dicts: 'unhashable type'.
    stats = normkit.fit_files([cents_file])
    for name in ("z.parquet", "z.csv", "z.arrow"):
        normkit.transform_file(cents_file, stats, tmp_path / name)
    assert pq.read_table(tmp_path / "z.parquet").column("price").type == Cents()
    assert (tmp_path / "z.csv").read_text().splitlines()[1].endswith(",0")


def test_the_library_fits_beside_a_registered_user_extension_type(cents_file, cents_registered):
    # "TypeError: unhashable type: 'Cents'", looking its type up among the text types.
    table = feather.read_table(cents_file)
    assert isinstance(table.schema.field("price").type, Cents)
    scaler = normkit.Standardizer().fit(table)
    assert list(scaler.columns_) == ["x"]
    assert scaler.transform(table).column("price").equals(table.column("price"))
