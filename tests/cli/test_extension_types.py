"""Columns of an Arrow extension type: a user's registered type is passed through and written as
any other column, though its Python class has no hash."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import normkit


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
