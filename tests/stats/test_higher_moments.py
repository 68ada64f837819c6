"""The third and fourth central moments (M3, M4) that drift's tests use: exact against direct sums
for every way of fitting (in memory, files with and without running statistics, in parts), kept in
the stat file, merged exactly by merge-stats, and unknown (not invented) where a source lacks them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import assert_error, assert_ok, run

import normkit
from normkit import EmaOptions, Standardizer
from normkit.core.moments import batch_moments, merge_moments


def direct(x: np.ndarray) -> tuple[float, float]:
    x = x[~np.isnan(x)]
    dev = x - x.mean()
    return float(np.sum(dev**3)), float(np.sum(dev**4))


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 5_000
    return pd.DataFrame(
        {
            "lognormal": 1e6 + rng.lognormal(0.0, 1.0, n),  # skewed, far from 0
            "counts": rng.poisson(3.0, n).astype(float),
            "gappy": np.where(rng.random(n) < 0.3, np.nan, rng.normal(-2.0, 5.0, n)),
        }
    )


def test_pebay_merge_equals_the_direct_sums_in_any_split():
    rng = np.random.default_rng(0)
    x = rng.gamma(0.5, 3.0, 1001) + 100.0
    m3, m4 = direct(x)
    for cut in (1, 17, 500, 1000):
        merged = merge_moments(batch_moments([x[:cut]]), batch_moments([x[cut:]]))
        assert merged.m3[0] == pytest.approx(m3, rel=1e-9)
        assert merged.m4[0] == pytest.approx(m4, rel=1e-12)


@pytest.mark.parametrize("ema", [None, EmaOptions(batch_size=64)], ids=["exact", "ema"])
def test_file_fits_keep_exact_m3_m4(tmp_path, data, ema):
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    fitted = normkit.fit_files(path, Standardizer(ema=ema))
    for j, name in enumerate(data.columns):
        m3, m4 = direct(data[name].to_numpy())
        scale = max(abs(m3), np.sqrt(fitted.stats_.m2[j] * m4))
        assert abs(fitted.stats_.m3[j] - m3) <= 1e-9 * scale, name
        assert fitted.stats_.m4[j] == pytest.approx(m4, rel=1e-10), name
    # The stat file keeps them, and reads them back as written.
    out = tmp_path / "stats.json"
    fitted.save(out)
    column = json.loads(out.read_text())["columns"][0]
    assert {"m3", "m4"} <= column.keys()
    again = normkit.load(out)
    np.testing.assert_array_equal(again.stats_.m3, fitted.stats_.m3)
    np.testing.assert_array_equal(again.stats_.m4, fitted.stats_.m4)


def test_merge_stats_of_halves_equals_the_whole(tmp_path, data):
    halves = [data.iloc[:2000], data.iloc[2000:]]
    paths = []
    for i, half in enumerate(halves):
        csv = tmp_path / f"half{i}.csv"
        half.to_csv(csv, index=False)
        paths.append(tmp_path / f"half{i}.json")
        assert_ok(run("fit", csv, "-o", paths[-1]))
    merged = tmp_path / "merged.json"
    assert_ok(run("merge-stats", *paths, "-o", merged))
    columns = {c["name"]: c for c in json.loads(merged.read_text())["columns"]}
    for name in data.columns:
        m3, m4 = direct(data[name].to_numpy())
        assert columns[name]["m4"] == pytest.approx(m4, rel=1e-10)
        assert columns[name]["m3"] == pytest.approx(m3, rel=1e-6, abs=1e-9 * abs(m4) ** 0.75)


def test_statistics_without_m3_m4_stay_unknown(tmp_path, data):
    # A stat file from before M3/M4 were kept reads as unknown, and merging it with a newer one
    # leaves them unknown rather than half counted.
    csv = tmp_path / "data.csv"
    data.to_csv(csv, index=False)
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    shard = tmp_path / "shard.csv"  # other rows: the same rows twice are not merged
    data.iloc[:-1].to_csv(shard, index=False)
    assert_ok(run("fit", csv, "-o", new))
    assert_ok(run("fit", shard, "-o", old))
    doc = json.loads(old.read_text())
    for column in doc["columns"]:
        del column["m3"], column["m4"]
    old.write_text(json.dumps(doc))
    assert np.isnan(normkit.load(old).stats_.m4).all()
    merged = tmp_path / "merged.json"
    assert_ok(run("merge-stats", new, old, "-o", merged))
    assert all("m4" not in c for c in json.loads(merged.read_text())["columns"])


def test_impossible_m4_is_refused(tmp_path, data):
    csv = tmp_path / "data.csv"
    data.to_csv(csv, index=False)
    path = tmp_path / "stats.json"
    assert_ok(run("fit", csv, "-o", path))
    doc = json.loads(path.read_text())
    column = doc["columns"][1]
    column["m4"] = column["m2"] ** 2 / column["count"] / 2  # below what any data has
    path.write_text(json.dumps(doc))
    message = assert_error(run("inspect", path), 1, "m4", "counts")
    assert "below m2**2 / count" in message
    column["m4"] = column["m2"] ** 2  # a kurtosis of count: above what count values can have
    path.write_text(json.dumps(doc))
    assert_error(run("inspect", path), 1, "m4", "above what 5,000 values")
    column["m4"] = column["m2"] ** 2 / column["count"] * 3
    column["m3"] = 2 * column["m2"] ** 1.5 / column["count"] ** 0.5  # skewness 2: needs kurtosis 5
    path.write_text(json.dumps(doc))
    assert_error(run("inspect", path), 1, "m3", "beyond what that m2 and m4 allow")
