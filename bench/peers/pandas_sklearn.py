"""pandas + scikit-learn, the way most users write it: whole file in memory.

``fit`` reads the file with ``pd.read_csv`` / ``pd.read_parquet`` and fits
``StandardScaler`` on every column but ``id``. ``transform`` does not fit: it computes
``(x - mean) / scale`` with the mean and scale of a normkit stat file and writes with
``DataFrame.to_csv`` / ``DataFrame.to_parquet`` (snappy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler
from statfile import ID_COLUMN, parse_args, read_normkit_stats, write_stats


def read(path: str, fmt: str) -> pd.DataFrame:
    return pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)


def main() -> None:
    args = parse_args()
    df = read(args.input, args.input_format)
    if args.command == "fit":
        columns = [name for name in df.columns if name != ID_COLUMN]
        scaler = StandardScaler().fit(df[columns])
        stats = {
            name: (float(mean), float(scale))
            for name, mean, scale in zip(columns, scaler.mean_, scaler.scale_, strict=True)
        }
        write_stats(args.stats, "pandas+StandardScaler", stats)
        return
    stats = read_normkit_stats(args.stats)
    columns = list(stats)
    mean = np.array([stats[name][0] for name in columns])
    scale = np.array([stats[name][1] for name in columns])
    df[columns] = (df[columns].to_numpy() - mean) / scale
    if args.output_format == "csv":
        df.to_csv(args.output, index=False)
    else:
        df.to_parquet(args.output, compression="snappy", index=False)


if __name__ == "__main__":
    main()
