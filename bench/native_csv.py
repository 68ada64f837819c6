"""The native CSV engine against pyarrow's CSV reader, parsing alone, in one process.

Generates (once, cached in ``bench/data/``) a CSV of ``--rows`` rows of a string id and 16
float64 columns, as ``bench/compare.py`` does, reads it into memory, and parses the 16 float
columns with ``normkit._native.CsvEngine`` (1 and 2 threads) and with ``pyarrow.csv.read_csv``
(``use_threads`` False and True). Prints the best of ``--repeat`` runs: wall seconds, MB/s of
wall time and MB/s per CPU second (user + system of this process), the figure to hold against
the limit of correctly rounded float parsing (about 1 GB/s per core).

Run: ``.venv/bin/python bench/native_csv.py --rows 1000000``
"""

from __future__ import annotations

import argparse
import io
import resource
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from common import make_csv

from normkit import _native


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def best_of(repeat: int, run) -> tuple[float, float]:
    """The fastest (wall, cpu) of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        cpu, wall = cpu_seconds(), time.perf_counter()
        run()
        runs.append((time.perf_counter() - wall, cpu_seconds() - cpu))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(__file__).parent / "data"
    folder.mkdir(exist_ok=True)
    path = make_csv(folder / f"native_{args.rows}.csv", args.rows)
    data = path.read_bytes()
    header_end = data.index(b"\n") + 1
    names = [n.strip('"') for n in data[: header_end - 1].decode().split(",")]
    body = data[header_end:]
    size = len(data) / 1e6
    print(f"{path.name}: {size:,.0f} MB, {args.rows:,} rows, {len(names) - 1} float columns")
    print(f"{'reader':<28} {'wall s':>8} {'MB/s':>8} {'MB/s per CPU s':>15}")

    def show(name: str, wall: float, cpu: float) -> None:
        print(f"{name:<28} {wall:>8.3f} {size / wall:>8,.0f} {size / cpu:>15,.0f}")

    kinds = [0] + [1] * (len(names) - 1)  # the id skipped, the floats parsed
    for threads in (1, 2):
        engine = _native.CsvEngine(
            delimiter=",", quote='"', decimal_point=".", nulls=[""], kinds=kinds, threads=threads
        )
        show(
            f"native, {threads} thread(s)",
            *best_of(args.repeat, lambda engine=engine: engine.parse(body, True, 1, 2)),
        )
    types = {n: pa.float64() for n in names[1:]}
    for threads in (False, True):

        def read(threads=threads) -> None:
            pacsv.read_csv(
                io.BytesIO(data),
                read_options=pacsv.ReadOptions(use_threads=threads),
                convert_options=pacsv.ConvertOptions(column_types=types, include_columns=names[1:]),
            )

        show(f"pyarrow, use_threads={threads}", *best_of(args.repeat, read))


if __name__ == "__main__":
    main()
