"""Make the sample data set (fixed seed): python sample_data/make_sample.py

A few thousand rows of a plausible customer table: an id, a string category, integer and float
columns of very different scales and offsets, missing values, a boolean and a constant column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 4_000
SEED = 20261122


def make(rows: int = ROWS, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.choice(["Lisbon", "Oslo", "Nairobi", "Lima", "Osaka", "Toronto"], size=rows)
    age = rng.integers(18, 90, size=rows).astype("float64")
    income = np.round(rng.lognormal(mean=10.8, sigma=0.6, size=rows), 2)
    temperature_c = np.round(rng.normal(loc=-3.5, scale=9.0, size=rows), 1)
    score = rng.beta(2.0, 5.0, size=rows) * 1e-3  # a small scale
    altitude_m = np.round(1_000_000.0 + rng.normal(scale=2.5, size=rows), 3)  # a large offset
    visits = rng.poisson(3.0, size=rows)
    active = rng.random(rows) < 0.7
    # Missing values: a few percent in three columns.
    age[rng.random(rows) < 0.03] = np.nan
    income[rng.random(rows) < 0.05] = np.nan
    temperature_c[rng.random(rows) < 0.01] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(1, rows + 1),
            "city": city,
            "age": pd.array(age, dtype="Int64"),
            "income": income,
            "temperature_c": temperature_c,
            "score": score,
            "altitude_m": altitude_m,
            "visits": visits,
            "active": active,
            "schema_version": np.full(rows, 3),  # constant: scale 1, as scikit-learn decides
        }
    )


def main() -> None:
    here = Path(__file__).resolve().parent
    df = make()
    df.to_csv(here / "sample.csv", index=False)
    df.to_parquet(here / "sample.parquet", index=False, compression="snappy")
    print(f"wrote {len(df):,} rows to {here / 'sample.csv'} and {here / 'sample.parquet'}")


if __name__ == "__main__":
    main()
