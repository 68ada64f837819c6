"""Stress run: a CSV of about 5 GB generated on the fly through a pipe, fitted and transformed.

    python bench/stress.py [--gigabytes 5]

Nothing touches the disk: a generator process writes CSV to a pipe that `normkit fit -` (then
`normkit transform -s ... -`, its output to /dev/null) reads. Prints wall time, throughput and
the peak resident memory of the normkit process, which must stay under 300 MB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

from common import NORMKIT, run

GENERATOR = textwrap.dedent(
    """
    import sys
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    target = int(sys.argv[1])
    rng = np.random.default_rng(0)
    out = pa.output_stream(sys.stdout.buffer)
    rows, written, step = 0, 0, 100_000
    while written < target:
        columns = {"id": pa.array(np.arange(rows, rows + step))}
        for j in range(16):
            columns[f"f{j}"] = pa.array(rng.normal(j * 100.0, j + 1.0, step))
        batch = pa.record_batch(columns)
        data = pa.BufferOutputStream()
        pacsv.write_csv(batch, data, pacsv.WriteOptions(include_header=rows == 0))
        buf = data.getvalue()
        out.write(buf)
        written += buf.size
        rows += step
    out.flush()
    print(f"{rows} rows, {written} bytes", file=sys.stderr)
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=5.0)
    args = parser.parse_args()
    size = int(args.gigabytes * 1e9)
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(tmp) / "gen.py"
        gen.write_text(GENERATOR)
        stats = Path(tmp) / "stats.json"
        pipe = f"{sys.executable} {gen} {size}"
        for name, cmd in (
            ("fit -", [*NORMKIT, "fit", "-", "--exclude", "id", "-q", "-o", str(stats)]),
            ("transform - (to /dev/null)", [*NORMKIT, "transform", "-s", str(stats), "-q", "-"]),
        ):
            result = run(cmd, stdin=f"<{pipe}")
            print(
                f"{name:28s} {result.seconds:7.1f} s  {size / result.seconds / 1e6:6.0f} MB/s  "
                f"peak RSS {result.peak_rss_mib:5.0f} MiB"
            )


if __name__ == "__main__":
    main()
