"""Shared fixtures: data sets made by the tests, and the sample data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# tests/data holds data and the scripts that made it (which may need torch): not tests.
collect_ignore_glob = ["data/*"]

SAMPLE_CSV = ROOT / "sample_data" / "sample.csv"
SAMPLE_PARQUET = ROOT / "sample_data" / "sample.parquet"

# CI runs every property with at least 200 examples; `HYPOTHESIS_PROFILE=dev` runs fewer.
settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """A small mixed table: id, text, ints, floats with offsets and NaNs, a constant column."""
    rng = np.random.default_rng(7)
    n = 500
    x = rng.normal(5.0, 2.0, n)
    x[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "label": rng.choice(["a", "b, c", 'say "hi"'], n),
            "count": rng.integers(0, 100, n),
            "x": x,
            "offset": 1e9 + rng.normal(0.0, 1.0, n),
            "tiny": rng.normal(0.0, 1e-6, n),
            "constant": np.full(n, 4.2),
        }
    )


@pytest.fixture
def mixed_csv(tmp_path: Path, mixed_frame: pd.DataFrame) -> Path:
    path = tmp_path / "mixed.csv"
    mixed_frame.to_csv(path, index=False)
    return path
