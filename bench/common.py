"""Helpers for the benchmarks: make data files, run a command and measure its time and peak RSS."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

NORMKIT = [str(Path(sys.executable).with_name("normkit"))]


# Runs a command and writes its peak RSS (KiB) and its CPU time (user + system seconds) to a
# file. Linux carries a process's high-water mark across fork and exec, so the measured command
# must be started by a small process (this one), not by the benchmark, whose own size would
# otherwise be reported.
PEAK_RSS = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "use = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "open(sys.argv[1], 'w').write(f'{use.ru_maxrss} {use.ru_utime + use.ru_stime}'); "
    "sys.exit(code)"
)


@dataclass
class Run:
    seconds: float
    peak_rss_mib: float
    cpu_seconds: float


def run(cmd: list[str], *, stdin: str | None = None, stdout: str | None = None) -> Run:
    """Run ``cmd`` with stdin from a file, from ``cat path`` (stdin="|path") or from a shell
    command's output (stdin="<command"); wall time, peak memory and CPU time of the command's
    process (with its children, not the ``cat`` or shell command feeding it)."""

    with tempfile.TemporaryDirectory() as tmp:
        peak_file = os.path.join(tmp, "peak")
        measured = [sys.executable, "-c", PEAK_RSS, peak_file, *cmd]
        line = " ".join(shlex.quote(part) for part in measured)
        if stdin and stdin.startswith("|"):
            line = f"cat {shlex.quote(stdin[1:])} | {line}"
        elif stdin and stdin.startswith("<"):  # the output of a shell command
            line = f"{stdin[1:]} | {line}"

        elif stdin:
            line += f" < {shlex.quote(stdin)}"
        line += f" > {shlex.quote(stdout or os.devnull)}"
        errors = os.path.join(tmp, "stderr")
        started = time.perf_counter()
        code = subprocess.call(["bash", "-c", f"set -o pipefail; {line} 2> {errors}"])
        seconds = time.perf_counter() - started
        if code != 0:
            detail = Path(errors).read_text()[-2000:]
            raise SystemExit(f"command failed ({code}): {line}\n{detail}")
        peak_kib, cpu = Path(peak_file).read_text().split()
    return Run(seconds, int(peak_kib) / 1024, float(cpu))


def make_csv(path: Path, rows: int, float_columns: int = 16, seed: int = 0) -> Path:
    """A CSV with a string id and ``float_columns`` float64 columns, written in slices."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    slice_rows = 500_000
    names = ["id"] + [f"f{j}" for j in range(float_columns)]
    with pa.OSFile(str(tmp), "wb") as sink:
        writer = None
        for start in range(0, rows, slice_rows):
            n = min(slice_rows, rows - start)
            columns = [pa.array([f"row{i}" for i in range(start, start + n)])]
            for j in range(float_columns):
                columns.append(pa.array(rng.normal(j * 10.0, j + 1.0, n)))
            batch = pa.record_batch(columns, names=names)
            if writer is None:
                writer = pacsv.CSVWriter(
                    sink, batch.schema, write_options=pacsv.WriteOptions(quoting_style="none")
                )
            writer.write_batch(batch)
        writer.close()
    tmp.rename(path)
    return path
