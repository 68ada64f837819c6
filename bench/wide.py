"""Wide data: normkit against pandas on a CSV of few rows and many columns, whole processes.

    python bench/wide.py [--rows 300] [--columns 20000] [--repeat 5] [--data-dir bench/data]

The CSV (a string ``id`` and ``--columns`` float64 columns, written once into the data
directory with a fixed seed) is fitted and transformed by normkit, and read by pandas'
``read_csv`` alone and with the mean and standard deviation of every column. Each round runs
every command once, in turn, so that noise on the machine hits all alike; the figures are
medians of whole-process wall time and peak memory (start-up included, for pandas as for
normkit), then normkit's time as a multiple of pandas'. normkit's statistics are checked
against pandas' (``mean`` and ``std(ddof=0)``, 1e-12 relative) before anything is reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from common import NORMKIT, Run, make_csv, run

BENCH = Path(__file__).resolve().parent

READ = "import pandas as pd, sys; pd.read_csv(sys.argv[1])"
READ_STATS = (
    "import pandas as pd, sys; frame = pd.read_csv(sys.argv[1]).drop(columns='id'); "
    "frame.mean(); frame.std(ddof=0)"
)


def check(stat_file: Path, csv: Path) -> None:
    """normkit's mean and scale equal pandas' to 1e-12 relative, column by column."""
    frame = pd.read_csv(csv).drop(columns="id")
    columns = json.loads(stat_file.read_text())["columns"]
    mean = np.array([c["mean"] for c in columns])
    scale = np.array([c["scale"] for c in columns])
    if [c["name"] for c in columns] != list(frame.columns):
        raise SystemExit("normkit fitted other columns than pandas read")
    np.testing.assert_allclose(mean, frame.mean().to_numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scale, frame.std(ddof=0).to_numpy(), rtol=1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--columns", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds; medians are reported")
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    args = parser.parse_args()

    args.data_dir.mkdir(parents=True, exist_ok=True)
    csv = make_csv(args.data_dir / f"wide_{args.rows}x{args.columns}.csv", args.rows, args.columns)
    with tempfile.TemporaryDirectory() as tmp:
        stat_file = Path(tmp) / "stats.json"
        commands = {
            "pandas read_csv": [sys.executable, "-c", READ, str(csv)],
            "pandas read_csv + mean + std": [sys.executable, "-c", READ_STATS, str(csv)],
            "normkit fit": [*NORMKIT, "fit", str(csv), "--exclude", "id", "-o", str(stat_file)],
            "normkit transform CSV -> CSV": [
                *NORMKIT,
                "transform",
                str(csv),
                "-s",
                str(stat_file),
                "-o",
                f"{tmp}/out.csv",
            ],
            "normkit transform CSV -> Parquet": [
                *NORMKIT,
                "transform",
                str(csv),
                "-s",
                str(stat_file),
                "-o",
                f"{tmp}/out.parquet",
            ],
        }
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, cmd in commands.items():
                runs[name].append(run(cmd))
        check(stat_file, csv)

    size = csv.stat().st_size / 1e6
    print(
        f"{args.rows} rows x {args.columns:,} float columns, {size:.0f} MB of CSV; "
        f"medians of {args.repeat} rounds (whole processes)"
    )
    seconds = {name: statistics.median(r.seconds for r in rs) for name, rs in runs.items()}
    print(f"{'command':34} {'seconds':>8} {'range':>13} {'peak MiB':>9} {'x pandas':>9}")
    for name, rs in runs.items():
        times = sorted(r.seconds for r in rs)
        rss = statistics.median(r.peak_rss_mib for r in rs)
        versus = "read_csv + mean + std" if name == "normkit fit" else "read_csv"
        ratio = (
            f"{seconds[name] / seconds['pandas ' + versus]:.2f}x"
            if name.startswith("normkit")
            else ""
        )
        spread = f"{times[0]:.2f}-{times[-1]:.2f}"
        print(f"{name:34} {seconds[name]:8.2f} {spread:>13} {rss:9.0f} {ratio:>9}")
    print("fit is held against pandas' read_csv + mean + std, transforms against read_csv")


if __name__ == "__main__":
    main()
