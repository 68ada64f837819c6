"""Memory stays bounded by the batch size: a long CSV stream through a pipe, peak RSS measured.

Not a timing test: it asserts the peak resident memory of the normkit process (from wait4), which
would grow with the number of rows if anything held the data.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import NORMKIT

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


# Runs a command and writes its peak RSS (KiB) to a file. Linux carries a process's high-water
# mark across fork and exec, so normkit must be started by a small process (this one), not by
# pytest, whose own size would otherwise be reported.
PEAK_RSS = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(code)"
)


def run_with_peak_rss(pipeline: str, normkit_args: str, cwd: Path) -> tuple[int, float, str]:
    """Run ``pipeline`` in bash with NORMKIT replaced by ``normkit ARGS``: exit status, peak RSS
    of the normkit process in MiB, stderr."""
    measured = f'{sys.executable} -c "{PEAK_RSS}" peak.txt {NORMKIT} {normkit_args}'
    command = "set -o pipefail; " + pipeline.replace("NORMKIT", measured)
    with open(cwd / "stderr.txt", "wb") as errors:
        code = subprocess.call(["bash", "-c", command], cwd=cwd, stderr=errors)
    peak = int((cwd / "peak.txt").read_text()) / 1024
    return code, peak, (cwd / "stderr.txt").read_text()


@pytest.fixture(scope="module")
def generator(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "gen.py"
    path.write_text(GENERATOR)
    return path


def test_fit_and_transform_of_a_long_stream_stay_under_300_mib(tmp_path, generator):
    gen = f"{sys.executable} {generator}"
    code, peak, err = run_with_peak_rss(
        f"{gen} | NORMKIT", "fit - --exclude id -q -o stats.json", tmp_path
    )
    assert code == 0, err
    assert peak < LIMIT_MIB, f"fit peak RSS {peak:.0f} MiB"
    code, peak, err = run_with_peak_rss(
        f"{gen} | NORMKIT | wc -l > lines.txt", "transform -s stats.json -q -", tmp_path
    )
    assert code == 0, err
    assert peak < LIMIT_MIB, f"transform peak RSS {peak:.0f} MiB"
    assert int((tmp_path / "lines.txt").read_text()) == ROWS + 1
