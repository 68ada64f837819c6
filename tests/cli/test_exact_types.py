"""Columns of other numeric types are fitted and transformed as their exact values: a decimal is
the float64 nearest it (Python's ``float(Decimal)``), so statistics equal StandardScaler's on
those floats and the output equals numpy's ``(x - mean) / scale`` bit for bit."""

from __future__ import annotations

import decimal
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import normkit_error, normkit_summary
from sklearn.preprocessing import StandardScaler

import normkit


@pytest.mark.parametrize(
    "dtype", [pa.decimal128(10, 2), pa.decimal128(18, 6), pa.decimal256(40, 3)]
)
def test_decimals_are_the_floats_nearest_them(tmp_path, dtype):
    rng = np.random.default_rng(11)
    places = dtype.scale
    texts = [f"{x:.{places}f}" for x in rng.uniform(-999, 999, 5000)]
    values = [decimal.Decimal(t) for t in texts]
    floats = np.array([float(v) for v in values])
    data, stats, out = tmp_path / "d.parquet", tmp_path / "s.json", tmp_path / "z.parquet"
    pq.write_table(pa.table({"x": pa.array(values, dtype)}), data)
    normkit_summary("fit", data, "-o", stats, "--no-ema")
    column = json.loads(stats.read_text())["columns"][0]
    scaler = StandardScaler().fit(floats[:, None])
    assert column["mean"] == pytest.approx(scaler.mean_[0], rel=1e-15)
    assert column["scale"] == pytest.approx(scaler.scale_[0], rel=1e-13)
    normkit_summary("transform", data, "-s", stats, "-o", out)
    z = pq.read_table(out).column("x").to_numpy()
    np.testing.assert_array_equal(z, (floats - column["mean"]) / column["scale"])


def _largest(dtype: pa.Decimal128Type | pa.Decimal256Type) -> decimal.Decimal:
    """The largest value of a decimal type (10**precision - 1 units of its scale)."""
    return decimal.Decimal(10**dtype.precision - 1).scaleb(-dtype.scale, decimal.Context(prec=80))


@pytest.mark.parametrize(
    "dtype",
    [
        pa.decimal128(16, 0),
        pa.decimal128(18, 0),
        pa.decimal128(19, 0),
        pa.decimal128(20, 2),
        pa.decimal128(38, 0),
        pa.decimal128(38, 30),
        pa.decimal256(76, 0),
    ],
)
@pytest.mark.parametrize("sign", [1, -1])
def test_a_decimal_at_the_ends_of_its_type_is_fitted(tmp_path, dtype, sign):
    # 10**18 - 1 is read as 1e18 in float64, as int64's 2**63 - 1 is read as 2**63: within the
    # type's range as float64 holds it (the stat file being written was refused as
    # inconsistent).
    end = _largest(dtype) if sign > 0 else _largest(dtype).copy_negate()  # not rounded to 28
    data, stats = tmp_path / "d.parquet", tmp_path / "s.json"
    values = pa.array([end, decimal.Decimal(1), decimal.Decimal(2)], dtype)
    pq.write_table(pa.table({"v": values}), data)
    # Chosen by name: chosen by its type, an integer beyond int64 is refused (an identifier).
    normkit_summary("fit", data, "--columns", "v", "-o", stats)
    column = json.loads(stats.read_text())["columns"][0]
    assert column["dtype"] == str(dtype)
    assert column["max" if sign > 0 else "min"] == float(end)
    normkit.save(normkit.Standardizer().fit(pa.table({"v": values})), tmp_path / "lib.json")
    saved = json.loads((tmp_path / "lib.json").read_text())["columns"][0]
    assert (saved["dtype"], saved["min"], saved["max"]) == (
        str(dtype),
        column["min"],
        column["max"],
    )


def test_a_decimal_beyond_its_type_as_float64_reads_it_is_refused(tmp_path):
    data, stats = tmp_path / "d.parquet", tmp_path / "s.json"
    dtype = pa.decimal128(18, 0)
    pq.write_table(pa.table({"v": pa.array([_largest(dtype), 1], dtype)}), data)
    normkit_summary("fit", data, "-o", stats)
    doc = json.loads(stats.read_text())
    beyond = float(np.nextafter(1e18, np.inf))
    doc["columns"][0]["max"] = beyond
    stats.write_text(json.dumps(doc))
    assert normkit_error(1, "transform", data, "-s", stats, "-o", tmp_path / "z.parquet") == (
        f"{stats}: inconsistent stat file: column 'v': max ({beyond}) is not a value of the "
        "column's type decimal128(18, 0)"
    )
