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
from conftest import normkit_summary
from sklearn.preprocessing import StandardScaler


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
