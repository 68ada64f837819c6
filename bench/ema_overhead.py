"""What the running (EMA) statistics cost on top of the exact ones in `normkit fit`.

    python bench/ema_overhead.py [--rows 6500000] [--repeat 5]

Makes a CSV of about 1 GB (a string id and 8 float64 columns), then times `normkit fit --no-ema`
and `normkit fit` (EMA over batches of 256 rows, the default) alternately, and prints the medians
and the overhead.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from common import NORMKIT, make_csv, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6_500_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/normkit-bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    data = make_csv(args.dir / f"rows{args.rows}_cols8.csv", args.rows, 8)
    print(f"input: {data} ({args.rows:,} rows, {data.stat().st_size / 1e9:.2f} GB)")
    base = [*NORMKIT, "fit", str(data), "--exclude", "id", "-q", "-o", str(args.dir / "o.json")]
    jobs = {
        "fit --no-ema": [*base, "--no-ema"],
        f"fit (EMA, B={args.batch_size})": [*base, "--batch-size", str(args.batch_size)],
    }
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(args.repeat):
        for name, cmd in jobs.items():
            times[name].append(run(cmd).seconds)
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:24s} median {medians[name]:6.2f} s   runs {', '.join(f'{x:.2f}' for x in t)}")
    without, with_ema = medians.values()
    print(f"EMA overhead: {100 * (with_ema / without - 1):+.1f}%")


if __name__ == "__main__":
    main()
