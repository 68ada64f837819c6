"""Fit throughput of the Dask engine with 1 and 2 local workers, against the local engine.

    python bench/dask_workers.py [--files 16] [--rows-per-file 250000] [--repeat 3]

Writes a data set of CSV files (a string id and 16 float64 columns, fixed seed) and its Parquet
copy under bench/data/, then times whole processes, interleaved, and prints medians:
``normkit fit DIR`` (local engine) and ``normkit fit DIR --engine dask --workers N``. A Dask run
includes starting and stopping its LocalCluster, as a user's command does. The stat files of
every run must agree with the local engine's (exact and EMA statistics, 1e-12 relative).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from common import NORMKIT, make_csv, run

BENCH = Path(__file__).resolve().parent


def make_dataset(root: Path, files: int, rows: int) -> dict[str, Path]:
    csv_dir, parquet_dir = root / "csv", root / "parquet"
    csv_dir.mkdir(parents=True, exist_ok=True)
    parquet_dir.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        csv = make_csv(csv_dir / f"part-{i}.csv", rows, seed=i)
        parquet = parquet_dir / f"part-{i}.parquet"
        if not parquet.exists():
            pq.write_table(pacsv.read_csv(csv), parquet)
    return {"csv": csv_dir, "parquet": parquet_dir}


def close(a: float, b: float, scale: float) -> bool:
    return abs(a - b) <= 1e-12 * scale


def check_same(reference: dict, other: dict, label: str) -> None:
    for ca, cb in zip(reference["columns"], other["columns"], strict=True):
        spread = abs(ca["mean"]) + ca["scale"]
        ok = close(ca["mean"], cb["mean"], spread) and close(ca["var"], cb["var"], ca["var"])
        ea, eb = ca["ema"], cb["ema"]
        ok = ok and close(ea["running_mean"], eb["running_mean"], spread)
        ok = ok and close(ea["running_var"], eb["running_var"], ea["running_var"])
        if not ok:
            sys.exit(f"{label}: statistics of column {ca['name']} differ from the local engine's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--rows-per-file", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data")
    args = parser.parse_args()
    root = args.data_dir / f"dask_{args.files}x{args.rows_per_file}"
    dirs = make_dataset(root, args.files, args.rows_per_file)
    work = root / "out"
    work.mkdir(exist_ok=True)
    engines = {
        "local engine": [],
        "dask, 1 worker": ["--engine", "dask", "--workers", "1"],
        "dask, 2 workers": ["--engine", "dask", "--workers", "2"],
    }
    rows = args.files * args.rows_per_file
    print(f"{args.files} files x {args.rows_per_file:,} rows = {rows:,} rows, 16 float64 columns")
    for fmt, directory in dirs.items():
        size = sum(p.stat().st_size for p in directory.iterdir())
        times: dict[str, list[float]] = {name: [] for name in engines}
        results: dict[str, dict] = {}
        for _ in range(args.repeat):
            for name, options in engines.items():
                out = work / f"{fmt}-{name.replace(' ', '_').replace(',', '')}.json"
                cmd = [*NORMKIT, "fit", str(directory), "--exclude", "id", "-q", "-o", str(out)]
                times[name].append(run([*cmd, *options]).seconds)
                results[name] = json.loads(out.read_text())
        for name in engines:
            check_same(results["local engine"], results[name], f"{fmt}, {name}")
        print(f"\n{fmt.upper()} ({size / 1e6:,.0f} MB), median of {args.repeat}:")
        base = statistics.median(times["dask, 1 worker"])
        for name, values in times.items():
            seconds = statistics.median(values)
            speedup = f"  {base / seconds:.2f}x dask 1 worker" if name.startswith("dask") else ""
            print(
                f"  {name:16s} {seconds:6.2f} s  {size / seconds / 1e6:6.0f} MB/s  "
                f"(range {min(values):.2f}-{max(values):.2f}){speedup}"
            )
    print("\nstatistics of every run equal the local engine's (1e-12 relative, exact and EMA)")


if __name__ == "__main__":
    main()
