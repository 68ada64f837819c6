"""Peak memory of `normkit fit` and `normkit transform` on a CSV of 10 million rows.

    python bench/memory.py [--rows 10000000] [--dir /tmp/normkit-bench]

Prints the wall time and the peak resident set size of each command (whole process, from
wait4's ru_maxrss). normkit streams, so the peak must not grow with the number of rows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import NORMKIT, make_csv, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/normkit-bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    data = make_csv(args.dir / f"rows{args.rows}_cols{args.columns}.csv", args.rows, args.columns)
    stats = args.dir / "memory-stats.json"
    size_mb = data.stat().st_size / 1e6
    print(f"input: {data} ({args.rows:,} rows, {size_mb:,.0f} MB)")
    transform = [*NORMKIT, "transform", str(data), "-s", str(stats), "-q"]
    jobs = {
        "fit (file)": (
            [*NORMKIT, "fit", str(data), "--exclude", "id", "-q", "-o", str(stats)],
            None,
        ),
        "transform csv -> csv": ([*transform, "-o", str(args.dir / "out.csv")], None),
        "transform csv -> parquet": ([*transform, "-o", str(args.dir / "out.parquet")], None),
        "fit stdin (cat |)": (
            [*NORMKIT, "fit", "-", "--exclude", "id", "-q", "-o", str(stats)],
            f"|{data}",
        ),
        "transform stdin -> stdout": (
            [*NORMKIT, "transform", "-s", str(stats), "-q", "-"],
            f"|{data}",
        ),
    }
    for name, (cmd, stdin) in jobs.items():
        result = run(cmd, stdin=stdin)
        print(f"{name:28s} {result.seconds:7.2f} s   peak RSS {result.peak_rss_mib:6.0f} MiB")


if __name__ == "__main__":
    main()
