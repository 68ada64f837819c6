"""``--ema-of std``: the running statistic averages batch standard deviations (sigma_B over
N_B - 1), checked against that formula written out here batch by batch, through a fit of files,
its stat file, the frozen transform it gives, and a fit continued from a loaded file."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import assert_ok, run
from sklearn.datasets import load_diabetes

import normkit
from normkit import EmaOptions, Standardizer, TransformOptions


def lecture_ema(values: np.ndarray, batch: int, momentum: float, init: str) -> tuple[float, float]:
    """mu <- (1 - m) mu + m mu_B and sigma <- (1 - m) sigma + m sigma_B, sigma_B over N_B - 1,
    a final partial batch of 2 or more rows included, batches of fewer than 2 skipped."""
    mu, sigma, first = 0.0, 1.0, True
    for start in range(0, len(values), batch):
        part = [float(v) for v in values[start : start + batch] if not math.isnan(v)]
        if len(part) < 2:
            continue
        mu_b, sigma_b = statistics.fmean(part), statistics.stdev(part)
        if init == "first" and first:
            mu, sigma = mu_b, sigma_b
        else:
            mu = (1 - momentum) * mu + momentum * mu_b
            sigma = (1 - momentum) * sigma + momentum * sigma_b
        first = False
    return mu, sigma


@pytest.mark.parametrize(("momentum", "init", "batch"), [(0.1, "standard", 32), (0.3, "first", 7)])
def test_running_std_is_the_average_of_batch_stds(tmp_path, momentum, init, batch):
    data = load_diabetes(as_frame=True, scaled=False).data
    data.iloc[::13, 2] = np.nan
    path = tmp_path / "d.parquet"
    data.to_parquet(path)
    ema = EmaOptions(momentum=momentum, init=init, batch_size=batch, of="std")
    fitted = normkit.fit_files(path, Standardizer(ema=ema))
    for j, name in enumerate(data.columns):
        mu, sigma = lecture_ema(data[name].to_numpy(), batch, momentum, init)
        assert fitted.ema_.running_mean[j] == pytest.approx(mu, rel=1e-12, abs=1e-12)
        assert math.sqrt(fitted.ema_.running_var[j]) == pytest.approx(sigma, rel=1e-12)
    # The default averages variances: by Jensen's inequality its scale is the larger one.
    by_var = normkit.fit_files(
        path, Standardizer(ema=EmaOptions(momentum=momentum, init=init, batch_size=batch))
    )
    assert np.all(by_var.ema_.running_var >= fitted.ema_.running_var)


def test_the_stat_file_records_it_and_transform_and_continuation_follow(tmp_path):
    rng = np.random.default_rng(4)
    data = pd.DataFrame({"x": rng.lognormal(size=2000), "y": rng.normal(5, 2, 2000)})
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    data.iloc[:1000].to_parquet(first)
    data.iloc[1000:].to_parquet(second)
    stats = tmp_path / "s.json"
    assert_ok(run("fit", first, second, "--ema-of", "std", "--batch-size", "50", "-o", stats))
    doc = json.loads(stats.read_text())
    assert doc["ema"]["of"] == "std"
    loaded = normkit.load(stats)
    assert loaded.ema_.options.of == "std"
    # Eval mode divides by sqrt(sigma**2 + eps), sigma the running standard deviation.
    out = tmp_path / "z.parquet"
    normkit.transform_file(first, stats, out, TransformOptions(use="ema"))
    z = pq.read_table(out).column("x").to_numpy()
    sigma = math.sqrt(loaded.ema_.running_var[0])
    expected = (data["x"].iloc[:1000].to_numpy() - loaded.ema_.running_mean[0]) / math.sqrt(
        sigma * sigma + 1e-5
    )
    np.testing.assert_allclose(z, expected, rtol=1e-15)
    # A fit of the first file, saved and continued over the second, equals the fit of both.
    part = tmp_path / "part.json"
    assert_ok(run("fit", first, "--ema-of", "std", "--batch-size", "50", "-o", part))
    continued = normkit.load(part).partial_fit(pd.read_parquet(second)).finish()
    np.testing.assert_allclose(continued.ema_.running_var, loaded.ema_.running_var, rtol=1e-13)
    # Older stat files (no "of") read as the variance average.
    del doc["ema"]["of"]
    stats.write_text(json.dumps(doc))
    assert normkit.load(stats).ema_.options.of == "var"
