"""Helpers for the benchmarks: make data files, run a command and measure its time and peak RSS."""

from __future__ import annotations

import os
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


@dataclass
class Run:
    seconds: float
    peak_rss_mib: float
    returncode: int


def run(cmd: list[str] | str, *, shell: bool = False, stdout=subprocess.DEVNULL) -> Run:
    """Run a command; wall time and the peak resident memory of its largest process."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, shell=shell, stdout=stdout, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")[-2000:]
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"command failed ({code}): {cmd}\n{stderr}")
    return Run(seconds, usage.ru_maxrss / 1024, code)


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
