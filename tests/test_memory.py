"""Memory stays bounded by the batch size: a long CSV stream through a pipe, peak RSS measured.

Not a timing test: it asserts the peak resident memory of the normkit process (from wait4), which
would grow with the number of rows if anything held the data.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

NORMKIT = str(Path(sys.executable).with_name("normkit"))
ROWS = 2_000_000
LIMIT_MIB = 300

GENERATOR = textwrap.dedent(
    f"""
    import sys
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    rng = np.random.default_rng(0)
    out = pa.output_stream(sys.stdout.buffer)
    step = 200_000
    for start in range(0, {ROWS}, step):
        cols = {{"id": pa.array(np.arange(start, start + step))}}
        for j in range(8):
            cols[f"f{{j}}"] = pa.array(rng.normal(j, j + 1.0, step))
        pacsv.write_csv(pa.table(cols), out, pacsv.WriteOptions(include_header=start == 0))
    out.flush()
    """
)


def run_with_peak_rss(command: str, cwd: Path) -> tuple[int, float, str]:
    """Run ``command`` in bash; exit status, peak RSS in MiB of its largest process, stderr."""
    with open(cwd / "stderr.txt", "wb") as errors:
        proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
    return (
        os.waitstatus_to_exitcode(status),
        usage.ru_maxrss / 1024,
        (cwd / "stderr.txt").read_text(),
    )


@pytest.fixture(scope="module")
def generator(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "gen.py"
    path.write_text(GENERATOR)
    return path


def test_fit_and_transform_of_a_long_stream_stay_under_300_mib(tmp_path, generator):
    gen = f"{sys.executable} {generator}"
    code, peak, err = run_with_peak_rss(
        f"set -o pipefail; {gen} | {NORMKIT} fit - --exclude id -q -o stats.json", tmp_path
    )
    assert code == 0, err
    assert peak < LIMIT_MIB, f"fit peak RSS {peak:.0f} MiB"
    code, peak, err = run_with_peak_rss(
        f"set -o pipefail; {gen} | {NORMKIT} transform -s stats.json -q - | wc -l > lines.txt",
        tmp_path,
    )
    assert code == 0, err
    assert peak < LIMIT_MIB, f"transform peak RSS {peak:.0f} MiB"
    assert int((tmp_path / "lines.txt").read_text()) == ROWS + 1
