"""Compare normkit with pandas + scikit-learn, Polars, DuckDB and a pyarrow floor.

    python bench/compare.py [--rows 4000000] [--repeat 5] [--data-dir bench/data]
        [--markdown docs/benchmarks.md] [--plot docs/benchmarks.png]
        [--scaling-rows 1000000,4000000,16000000] [--scaling-columns 16,256,4096]
        [--startup] [--startup-runs 20]

A quick end-to-end run (well under a minute):

    python bench/compare.py --rows 20000 --repeat 1 --scaling-rows 10000,20000 \\
        --scaling-columns 16,256 --startup --startup-runs 3

The data set (a string ``id`` and 16 float64 columns drawn with a fixed seed; 1.23 GB of CSV at
4 million rows) is written once as CSV and as Parquet (snappy, ``pq.write_table`` defaults) into
the data directory and reused by later runs. Five jobs are timed: fit CSV, fit Parquet,
transform CSV -> CSV, CSV -> Parquet and Parquet -> Parquet. Every tool runs as a process of its own
(the peers are the scripts in ``bench/peers/``); the figures are whole-process wall time and
peak resident memory, medians over repetitions that each run every (job, tool) pair once, so
that noise on the machine hits all tools alike.

Results are checked before they are reported: the statistics of every tool must agree, normkit's
must equal StandardScaler's to 1e-12 (relative), and normkit's transform output must equal
numpy's ``(x - mean) / scale`` bit for bit. Any failed check ends the run with an error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from common import NORMKIT, Run, make_csv, run

BENCH = Path(__file__).resolve().parent
PEERS = BENCH / "peers"
ID_COLUMN = "id"
FLOAT_COLUMNS = 16

#: normkit must equal StandardScaler to this relative difference (mean and scale).
SKLEARN_RTOL = 1e-12
#: Every tool's mean and standard deviation must agree with normkit's to this.
AGREE_RTOL = 1e-9

#: A range of times wider than this ratio is marked as noisy in the report.
NOISY = 1.3

#: Packages whose versions are reported with the results.
PACKAGES = ("normkit", "pyarrow", "numpy", "polars", "duckdb", "pandas", "scikit-learn")

#: ``{column: (mean, standard deviation or scale)}``
Stats = dict[str, tuple[float, float]]


# --- what is run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A fit or a transform of one input format (a transform writes ``output_format``, by
    default the input's)."""

    kind: str  # "fit" or "transform"
    input_format: str  # "csv" or "parquet"
    output_format: str | None = None

    @property
    def written(self) -> str:
        """The format a transform writes."""
        return self.output_format or self.input_format

    @property
    def name(self) -> str:
        fmt = FORMAT_NAMES[self.input_format]
        return (
            f"fit {fmt}"
            if self.kind == "fit"
            else f"transform {fmt} -> {FORMAT_NAMES[self.written]}"
        )


FORMAT_NAMES = {"csv": "CSV", "parquet": "Parquet"}
FIT_CSV, FIT_PARQUET = Job("fit", "csv"), Job("fit", "parquet")
TRANSFORM_CSV, TRANSFORM_PARQUET = Job("transform", "csv"), Job("transform", "parquet")
TRANSFORM_CSV_PARQUET = Job("transform", "csv", "parquet")
JOBS = (FIT_CSV, FIT_PARQUET, TRANSFORM_CSV, TRANSFORM_CSV_PARQUET, TRANSFORM_PARQUET)


@dataclass(frozen=True)
class Tool:
    """A way of doing the jobs: normkit's CLI or a peer script in ``bench/peers/``."""

    name: str
    role: str  # "normkit", "floor" (for reference) or "peer"
    script: str | None = None  # the peer script; None for normkit
    fit_options: tuple[str, ...] = ()  # extra options of `normkit fit`
    transforms: bool = True

    @property
    def slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.name.lower()).strip("-")

    def does(self, job: Job) -> bool:
        return job.kind == "fit" or self.transforms

    def command(self, job: Job, source: Path, stats: Path, output: Path | None) -> list[str]:
        """The command of ``job`` on ``source``: a fit writes ``stats``, a transform reads it."""
        if self.script is None:
            if job.kind == "fit":
                options = ["--exclude", ID_COLUMN, *self.fit_options]
                return [*NORMKIT, "fit", str(source), *options, "-o", str(stats)]
            return [*NORMKIT, "transform", str(source), "-s", str(stats), "-o", str(output)]
        command = [sys.executable, str(PEERS / self.script), job.kind, str(source), str(stats)]
        return command if output is None else [*command, str(output)]


NORMKIT_TOOL = Tool("normkit", "normkit")
NORMKIT_NO_EMA = Tool("normkit --no-ema", "normkit", fit_options=("--no-ema",), transforms=False)
FLOOR = Tool("pyarrow floor", "floor", "pyarrow_floor.py")
PANDAS = Tool("pandas + StandardScaler", "peer", "pandas_sklearn.py")
POLARS = Tool("Polars (streaming)", "peer", "polars_streaming.py")
DUCKDB = Tool("DuckDB", "peer", "duckdb_sql.py")
TOOLS = (NORMKIT_TOOL, NORMKIT_NO_EMA, POLARS, DUCKDB, PANDAS, FLOOR)


@dataclass(frozen=True)
class Dataset:
    """The same data as CSV and as Parquet."""

    rows: int
    columns: int
    csv: Path
    parquet: Path

    def path(self, fmt: str) -> Path:
        return self.csv if fmt == "csv" else self.parquet

    def megabytes(self, fmt: str) -> float:
        return self.path(fmt).stat().st_size / 1e6


@dataclass
class Samples:
    """The runs of one command; ``error`` when a peer failed (it is then left out)."""

    runs: list[Run] = field(default_factory=list)
    error: str | None = None

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_rss_mib(self) -> float:
        return max(r.peak_rss_mib for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        """Median CPU time (user + system, all threads) of the runs."""
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def spread(self) -> str:
        """The range of the times, marked when the slowest run is 30% slower than the fastest
        (then the machine was busy and the median deserves less trust)."""
        times = [r.seconds for r in self.runs]
        if len(times) < 2:
            return ""
        noisy = " (noisy)" if max(times) > NOISY * min(times) else ""
        return f"{min(times):.2f}-{max(times):.2f}{noisy}"


@dataclass(frozen=True)
class OutputCheck:
    """How a transform's output compares with numpy's ``(x - mean) / scale``."""

    exact: bool
    max_abs_difference: float
    note: str = ""

    def describe(self) -> str:
        if self.note:
            return self.note
        if self.exact:
            return "bit for bit"
        return f"differs, max abs difference {self.max_abs_difference:.3g}"


# --- data --------------------------------------------------------------------------------------


def make_dataset(data_dir: Path, rows: int, columns: int = FLOAT_COLUMNS) -> Dataset:
    """The CSV of ``common.make_csv`` and the same table as Parquet; reused when present."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stem = f"rows{rows}_cols{columns}"
    csv = data_dir / f"{stem}.csv"
    if not csv.exists():
        print(f"writing {csv} ...", flush=True)
    make_csv(csv, rows, columns)
    parquet = data_dir / f"{stem}.parquet"
    if not parquet.exists():
        print(f"writing {parquet} ...", flush=True)
        tmp = parquet.with_name(parquet.name + ".tmp")
        pq.write_table(pacsv.read_csv(csv), tmp)  # snappy and the default row groups
        tmp.rename(parquet)
    return Dataset(rows, columns, csv, parquet)


def warm_page_cache(paths: Iterable[Path]) -> None:
    """Read the files once so that no tool pays for the first read from disk."""
    for path in paths:
        with path.open("rb") as f:
            while f.read(1 << 24):
                pass


def read_table(path: Path) -> pa.Table:
    return pacsv.read_csv(path) if path.suffix == ".csv" else pq.read_table(path)


# --- checks ------------------------------------------------------------------------------------


def read_stats(path: Path) -> Stats:
    """Mean and scale of a normkit stat file, or mean and std of a peer's statistics."""
    document = json.loads(path.read_text())
    spread = "scale" if document.get("format") == "normkit.stats" else "std"
    return {c["name"]: (float(c["mean"]), float(c[spread])) for c in document["columns"]}


def relative_difference(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


@dataclass(frozen=True)
class Difference:
    """The largest relative differences of the means and of the spreads, and where they are."""

    mean: float
    mean_column: str
    spread: float
    spread_column: str

    def within(self, limit: float) -> bool:
        return self.mean <= limit and self.spread <= limit

    def describe(self, spread: str) -> str:
        return (
            f"mean {self.mean:.2g} ({self.mean_column}), "
            f"{spread} {self.spread:.2g} ({self.spread_column})"
        )


def max_relative_difference(stats: Stats, reference: Stats) -> Difference:
    """The largest relative differences of the means and of the spreads, over all columns."""
    if list(stats) != list(reference):
        raise SystemExit(f"different columns: {list(stats)} and {list(reference)}")
    means = {c: relative_difference(stats[c][0], reference[c][0]) for c in reference}
    spreads = {c: relative_difference(stats[c][1], reference[c][1]) for c in reference}
    mean_column = max(means, key=means.__getitem__)
    spread_column = max(spreads, key=spreads.__getitem__)
    return Difference(means[mean_column], mean_column, spreads[spread_column], spread_column)


def check_output(source: pa.Table, output: Path, stats: Stats) -> OutputCheck:
    """Compare a transform's output with ``(x - mean) / scale`` computed by numpy."""
    table = read_table(output)
    if table.num_rows != source.num_rows or table.column_names != source.column_names:
        return OutputCheck(False, np.inf, f"{table.num_rows} rows, columns {table.column_names}")
    if not table[ID_COLUMN].cast(pa.string()).equals(source[ID_COLUMN].cast(pa.string())):
        return OutputCheck(False, np.inf, "the id column changed")
    exact, worst = True, 0.0
    for name, (mean, scale) in stats.items():
        expected = (source[name].to_numpy() - mean) / scale
        got = table[name].to_numpy()
        if not np.array_equal(expected, got, equal_nan=True):
            exact = False
            worst = max(worst, float(np.nanmax(np.abs(expected - got))))
    return OutputCheck(exact, worst)


@dataclass
class Checks:
    """Results of the correctness checks, as lines for the report."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, line: str, ok: bool) -> None:
        self.lines.append(("" if ok else "FAILED: ") + line)
        if not ok:
            self.failures.append(line)

    def extend(self, other: Checks) -> None:
        self.lines += other.lines
        self.failures += other.failures

    def raise_on_failure(self) -> None:
        if self.failures:
            raise SystemExit("correctness check failed:\n  " + "\n  ".join(self.failures))


def check_fits(fits: dict[tuple[Job, Tool], Stats], checks: Checks) -> None:
    """normkit equals StandardScaler (same input) to 1e-12; every tool agrees with normkit."""
    reference = fits[(FIT_CSV, NORMKIT_TOOL)]
    for job in (FIT_CSV, FIT_PARQUET):
        sklearn = fits.get((job, PANDAS))
        for tool in (NORMKIT_TOOL, NORMKIT_NO_EMA):
            if sklearn is None:
                checks.add(
                    f"{job.name}: no StandardScaler result to compare {tool.name} with", False
                )
                continue
            difference = max_relative_difference(fits[(job, tool)], sklearn)
            checks.add(
                f"{job.name}: {tool.name} vs StandardScaler: max relative difference "
                f"{difference.describe('scale')} (limit {SKLEARN_RTOL:g})",
                difference.within(SKLEARN_RTOL),
            )
    for (job, tool), stats in fits.items():
        if job == FIT_CSV and tool == NORMKIT_TOOL:
            continue
        difference = max_relative_difference(stats, reference)
        checks.add(
            f"{job.name}: {tool.name} vs normkit (fit CSV): max relative difference "
            f"{difference.describe('std')} (limit {AGREE_RTOL:g})",
            difference.within(AGREE_RTOL),
        )


# --- running -----------------------------------------------------------------------------------


def measure(tool: Tool, command: list[str], samples: Samples) -> bool:
    """Run ``command`` once into ``samples``. A failing peer is recorded and dropped; a failing
    normkit command ends the benchmark."""
    try:
        result = run(command)
    except SystemExit as exc:
        if tool.role == "normkit":
            raise
        samples.error = str(exc).strip().splitlines()[-1][:200]
        print(f"  {tool.name} FAILED, left out: {exc}", flush=True)
        return False
    samples.runs.append(result)
    return True


@dataclass
class Comparison:
    """Everything the main comparison measured and checked."""

    dataset: Dataset
    repeat: int
    samples: dict[tuple[Job, Tool], Samples]
    checks: Checks


def rotated(pairs: list[tuple[Job, Tool]], round_: int) -> list[tuple[Job, Tool]]:
    """The pairs of each job with its tools' order rotated by ``round_``: the first process of
    a job runs after another job's, whose memory the system is still reclaiming, and pays for
    it: a fixed order charged that to the same tool in every round."""
    out = []
    for job in dict.fromkeys(job for job, _ in pairs):
        tools = [pair for pair in pairs if pair[0] is job]
        k = round_ % len(tools)
        out.extend(tools[k:] + tools[:k])
    return out


def compare(dataset: Dataset, repeat: int, work: Path, skip: Sequence[Tool] = ()) -> Comparison:
    """Time every tool on every job, interleaved, and check the results of the first round;
    the peers named in ``skip`` (:func:`skipped`) are left out."""
    reference = work / "reference-stats.json"
    run(NORMKIT_TOOL.command(FIT_CSV, dataset.csv, reference, None))  # what transforms apply
    reference_stats = read_stats(reference)
    warm_page_cache([dataset.csv, dataset.parquet])
    pairs = [
        (job, tool)
        for job in JOBS
        for tool in TOOLS
        if tool.does(job) and all(tool is not left_out for left_out in skip)
    ]
    samples = {pair: Samples() for pair in pairs}
    fits: dict[tuple[Job, Tool], Stats] = {}
    if any(tool is PANDAS for tool in skip):  # StandardScaler's statistics all the same, untimed
        for job in (FIT_CSV, FIT_PARQUET):
            stats = work / f"fit-{PANDAS.slug}-{job.input_format}.json"
            run(PANDAS.command(job, dataset.path(job.input_format), stats, None))
            fits[(job, PANDAS)] = read_stats(stats)
    checks, output_checks = Checks(), Checks()
    sources: dict[str, pa.Table] = {}
    for round_ in range(repeat):
        print(f"round {round_ + 1} of {repeat}", flush=True)
        for job, tool in rotated(pairs, round_):
            pair_samples = samples[(job, tool)]
            if pair_samples.error:
                continue
            source = dataset.path(job.input_format)
            output = work / f"{tool.slug}.{job.written}" if job.kind == "transform" else None
            stats = reference if output else work / f"fit-{tool.slug}-{job.input_format}.json"
            if not measure(tool, tool.command(job, source, stats, output), pair_samples):
                continue
            last = pair_samples.runs[-1]
            print(
                f"  {job.name:30s} {tool.name:24s} {last.seconds:8.2f} s "
                f"{last.peak_rss_mib:8.0f} MiB",
                flush=True,
            )
            if round_ == 0 and job.kind == "fit" and tool.role != "floor":
                fits[(job, tool)] = read_stats(stats)
            if round_ == 0 and output is not None and tool.role != "floor":
                if job.input_format not in sources:
                    sources[job.input_format] = read_table(source)
                result = check_output(sources[job.input_format], output, reference_stats)
                line = f"{job.name}: {tool.name} output vs numpy (x - mean) / scale: "
                output_checks.add(line + result.describe(), result.exact or tool.role != "normkit")
            if output is not None:
                output.unlink(missing_ok=True)
        if round_ == 0:
            sources.clear()
            check_fits(fits, checks)
            checks.extend(output_checks)
            print("\n".join(checks.lines), flush=True)
            checks.raise_on_failure()
    return Comparison(dataset, repeat, samples, checks)


@dataclass(frozen=True)
class Case:
    """One normkit command of the scaling runs."""

    dataset: Dataset
    job: Job


def time_normkit(cases: Sequence[Case], repeat: int, work: Path) -> dict[Case, Samples]:
    """Time normkit (fit with the default EMA, frozen transform) on each case, interleaved.

    A transform applies the statistics of the fit CSV case of its data set, which must come
    first in ``cases``."""
    samples = {case: Samples() for case in cases}
    warm_page_cache({case.dataset.path(case.job.input_format) for case in cases})
    for round_ in range(repeat):
        for case in cases:
            data, job = case.dataset, case.job
            stem = data.csv.stem
            fitted = work / f"scaling-{stem}-{job.input_format}.json"
            stats = fitted if job.kind == "fit" else work / f"scaling-{stem}-csv.json"
            output = work / f"scaling-{stem}.{job.written}" if job.kind == "transform" else None
            command = NORMKIT_TOOL.command(job, data.path(job.input_format), stats, output)
            measure(NORMKIT_TOOL, command, samples[case])
            last = samples[case].runs[-1]
            print(
                f"  round {round_ + 1}: {job.name:30s} {data.rows:>11,} rows {data.columns:>5} cols"
                f" {last.seconds:8.2f} s {last.peak_rss_mib:8.0f} MiB",
                flush=True,
            )
            if output is not None:
                output.unlink(missing_ok=True)
    return samples


def scaling_rows(counts: list[int], repeat: int, data_dir: Path, work: Path) -> dict[Case, Samples]:
    """normkit on 16 columns at each row count: every job."""
    datasets = [make_dataset(data_dir, rows) for rows in counts]
    cases = [Case(data, job) for data in datasets for job in JOBS]
    return time_normkit(cases, repeat, work)


def scaling_columns(
    widths: list[int], rows16: int, repeat: int, data_dir: Path, work: Path
) -> dict[Case, Samples]:
    """normkit at about equal bytes: ``rows16 * 16 / columns`` rows; fit CSV, CSV -> CSV."""
    datasets = [
        make_dataset(data_dir, max(1, rows16 * FLOAT_COLUMNS // width), width) for width in widths
    ]
    cases = [Case(data, job) for data in datasets for job in (FIT_CSV, TRANSFORM_CSV)]
    return time_normkit(cases, repeat, work)


def wall_time(command: list[str]) -> float:
    """Wall time of a command, started directly: for start-up times of a fraction of a second,
    where the helper process of ``common.run`` would weigh in."""
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"command failed: {shlex.join(command)}\n{done.stderr.decode()[-2000:]}")
    return seconds


def startup(runs: int, data_dir: Path, work: Path) -> dict[str, list[float]]:
    """Medians of short commands: imports, `normkit --help`, a fit of 1,000 rows."""
    small = make_csv(data_dir / "rows1000_cols16.csv", 1000, FLOAT_COLUMNS)
    stats, output = work / "s.json", work / "small-out.csv"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import pyarrow.csv"': [sys.executable, "-c", "import pyarrow.csv"],
        "normkit --help": [*NORMKIT, "--help"],
        "normkit fit small.csv -o s.json": [*NORMKIT, "fit", str(small), "-o", str(stats)],
        "normkit transform small.csv -s s.json -o out.csv": [
            *NORMKIT,
            "transform",
            str(small),
            "-s",
            str(stats),
            "-o",
            str(output),
        ],
    }
    for command in commands.values():  # warm-up: the byte-code caches and the page cache
        wall_time(command)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            times[label].append(wall_time(command))
    return times


# --- reporting ---------------------------------------------------------------------------------


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def size_text(size: int) -> str:
    """Bytes as GB (10^9) or MB (10^6), whichever reads better."""
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.1f} MB"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]], right: str = "") -> str:
    """A markdown table; the columns whose index is in ``right`` (e.g. "234") align right."""
    align = ["---:" if str(i) in right else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def fastest_peer(comparison: Comparison, job: Job) -> tuple[Tool, Samples] | None:
    peers = [
        (tool, comparison.samples[(job, tool)])
        for tool in TOOLS
        if tool.role == "peer" and (job, tool) in comparison.samples
        if comparison.samples[(job, tool)].runs
    ]
    return min(peers, key=lambda peer: peer[1].seconds) if peers else None


def results_table(comparison: Comparison) -> str:
    rows = []
    for (job, tool), samples in comparison.samples.items():
        name = f"{tool.name} (reference)" if tool.role == "floor" else tool.name
        if not samples.runs:
            rows.append([job.name, name, "failed", "", "", "", samples.error or ""])
            continue
        seconds = samples.seconds
        ratio = ""
        best = fastest_peer(comparison, job)
        if tool.role == "normkit" and best is not None:
            ratio = f"{seconds / best[1].seconds:.2f}x {best[0].name}"
        throughput = comparison.dataset.megabytes(job.input_format) / seconds
        rows.append(
            [
                job.name,
                f"**{name}**" if tool.role == "normkit" else name,
                f"{seconds:.2f}",
                f"{samples.cpu_seconds:.2f}",
                f"{throughput:,.0f}",
                f"{samples.peak_rss_mib:,.0f}",
                ratio,
                samples.spread,
            ]
        )
    headers = [
        "job",
        "tool",
        "median s",
        "CPU s",
        "MB/s",
        "peak RSS MiB",
        "normkit / fastest peer",
        "range s",
    ]
    return markdown_table(headers, rows, right="2345")


def cpu_profile(comparison: Comparison) -> str:
    """Per job: the CPU time of normkit, of the pyarrow floor and of the fastest peer, and the
    least wall time that CPU time allows on this machine's cores."""
    cores = os.cpu_count() or 1
    lines = [
        f"CPU time is user + system time of all threads (median). On {plural(cores, 'core')}, "
        f"a job that needs C CPU seconds cannot finish in less than C / {cores} s, so where "
        "normkit needs more CPU than the fastest peer, no scheduling of its threads can make it "
        "as fast.",
        "",
    ]
    for job in JOBS:
        normkit = comparison.samples[(job, NORMKIT_TOOL)]
        floor = comparison.samples.get((job, FLOOR))
        best = fastest_peer(comparison, job)
        if not normkit.runs or best is None:
            continue
        peer, peer_samples = best
        parts = [
            f"normkit {normkit.cpu_seconds:.2f} CPU s in {normkit.seconds:.2f} s "
            f"({normkit.cpu_seconds / normkit.seconds:.2f} cores busy; at least "
            f"{normkit.cpu_seconds / cores:.2f} s on {cores})"
        ]
        if floor is not None and floor.runs:
            parts.append(
                f"pyarrow alone, reading{' and writing' if job.kind == 'transform' else ''} only, "
                f"{floor.cpu_seconds:.2f} CPU s"
            )
        parts.append(
            f"{peer.name} {peer_samples.cpu_seconds:.2f} CPU s in {peer_samples.seconds:.2f} s"
        )
        lines.append(f"- {job.name}: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def ema_overhead(comparison: Comparison) -> str:
    lines = []
    for job in (FIT_CSV, FIT_PARQUET):
        with_ema = comparison.samples[(job, NORMKIT_TOOL)].seconds
        without = comparison.samples[(job, NORMKIT_NO_EMA)].seconds
        lines.append(
            f"- {job.name}: {with_ema:.2f} s with EMA / {without:.2f} s with `--no-ema` = "
            f"{with_ema / without:.3f} ({100 * (with_ema / without - 1):+.1f}%)"
        )
    return "\n".join(lines)


def scaling_table(samples: dict[Case, Samples], *, per_rows: bool) -> str:
    """One row per case, by job then size; ``per_rows`` adds seconds per million rows."""
    rows = []
    for case in sorted(
        samples, key=lambda c: (JOBS.index(c.job), c.dataset.columns, c.dataset.rows)
    ):
        data, runs = case.dataset, samples[case]
        megabytes = data.megabytes(case.job.input_format)
        row = [
            case.job.name,
            f"{data.rows:,}",
            f"{data.columns:,}",
            f"{megabytes:,.0f}",
            f"{runs.seconds:.2f}",
            f"{megabytes / runs.seconds:,.0f}",
            f"{runs.peak_rss_mib:,.0f}",
        ]
        if per_rows:
            row.append(f"{runs.seconds / data.rows * 1e6:.3f}")
        rows.append(row)
    headers = ["job", "rows", "columns", "input MB", "median s", "MB/s", "peak RSS MiB"]
    if per_rows:
        headers.append("s per million rows")
    return markdown_table(headers, rows, right="1234567")


def startup_table(times: dict[str, list[float]]) -> str:
    baseline = statistics.median(times['python -c "import pyarrow.csv"'])
    rows = [
        [
            f"`{label}`",
            f"{statistics.median(t) * 1000:.0f}",
            f"{min(t) * 1000:.0f}-{max(t) * 1000:.0f}",
            f"{statistics.median(t) / baseline:.2f}",
        ]
        for label, t in times.items()
    ]
    headers = ["command", "median ms", "range ms", "/ import pyarrow.csv"]
    return markdown_table(headers, rows, right="123")


def machine() -> list[tuple[str, str]]:
    """CPU, cores, memory, OS, Python, package versions and the date, as (name, value)."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()} ({platform.machine()})"
    with contextlib.suppress(OSError, KeyError):
        system = f"{platform.freedesktop_os_release()['PRETTY_NAME']}, {system}"
    info = [
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("memory", memory),
        ("OS", system),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
    ]
    for package in PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "not installed"
        if package == "normkit":
            version += source_revision()
        info.append((package, version))
    now = datetime.datetime.now(datetime.timezone.utc)
    info.append(("date", now.strftime("%Y-%m-%d %H:%M UTC")))
    return info


def source_revision() -> str:
    """`` (commit abc1234)`` of the git work tree normkit is imported from, with a note on
    local changes; nothing when normkit is not imported from a git work tree."""
    spec = importlib.util.find_spec("normkit")
    if spec is None or spec.origin is None:
        return ""
    package = Path(spec.origin).resolve().parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=package, capture_output=True, check=True)
        return done.stdout.decode().strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--", ".", "../cli")
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f" (commit {head}{', with local changes' if changed else ''})"


METHOD = """\
- Every command is a process of its own, started the same way for every tool; the figures are
  whole-process wall time (imports included) and peak resident set size (`ru_maxrss` of the
  process). Times are medians over {rounds}; each round runs every (job, tool) pair once,
  in turn, the order of a job's tools rotated from round to round (the first process after
  another job's pays for the memory that one left). Peak RSS is the largest of the rounds. The
  inputs are in the page cache.
- MB/s is the size of the input file (1 MB = 10^6 bytes) over the median time.
- A range marked "(noisy)" has its slowest round more than 30% slower than its fastest: the
  machine was busy in some round, and the median deserves less trust.
- normkit: `normkit fit DATA --exclude id -o stats.json` (EMA statistics on, the default) and
  with `--no-ema`; `normkit transform DATA -s stats.json -o OUT` (exact statistics, frozen).
- pandas + StandardScaler: `pd.read_csv` / `pd.read_parquet` of the whole file,
  `StandardScaler().fit`; transform `(x - mean) / scale` with the stat file's numbers, written
  with `to_csv` / `to_parquet`.
- Polars: `scan_csv` / `scan_parquet`, `mean()` and `std(ddof=0)` with
  `collect(engine="streaming")`; transform `with_columns((col - mean) / scale)` and
  `sink_csv` / `sink_parquet(compression="snappy")`.
- DuckDB: `SELECT avg(c), stddev_pop(c), ... FROM read_csv(...)` / `read_parquet(...)`;
  transform `COPY (SELECT ...) TO ... (FORMAT csv, HEADER)` / `(FORMAT parquet, COMPRESSION
  snappy)`.
- pyarrow floor (a reference, not a peer): streaming read (`pyarrow.csv.open_csv`,
  `ParquetFile.iter_batches`) without any computation; for transforms the same batches are
  written back unchanged (`CSVWriter`, `ParquetWriter`). It is what the I/O alone costs with the
  library normkit reads with. It is not a strict lower bound: `open_csv` is documented as always
  single-threaded, so a reader that parses CSV blocks in parallel can beat it.
- The fastest peer is the fastest of pandas + StandardScaler, Polars and DuckDB on that job
  (of those run: `--skip` leaves some out, and the command above says which).
- The scripts of the peers are in `bench/peers/`; all tools use every core they find.
"""


def report(
    args: argparse.Namespace,
    comparison: Comparison | None,
    rows_scaling: dict[Case, Samples] | None,
    columns_scaling: dict[Case, Samples] | None,
    startup_times: dict[str, list[float]] | None,
) -> str:
    """The whole report, in markdown."""
    command = shlex.join(["python", os.path.relpath(sys.argv[0]), *sys.argv[1:]])
    parts = ["# Benchmarks", f"Produced by `{command}`."]
    parts += ["## Machine", markdown_table(["", ""], [[k, v] for k, v in machine()])]
    if comparison is not None:
        data = comparison.dataset
        csv_bytes, parquet_bytes = data.csv.stat().st_size, data.parquet.stat().st_size
        row_groups = pq.ParquetFile(data.parquet).num_row_groups
        parts += [
            "## Data",
            f"{data.rows:,} rows: a string `id` and {data.columns} float64 columns "
            f"(normal, fixed seed). CSV {csv_bytes:,} bytes ({size_text(csv_bytes)}); Parquet "
            f"{parquet_bytes:,} bytes ({size_text(parquet_bytes)}), written by "
            f"`pyarrow.parquet.write_table` with its defaults (snappy, "
            f"{plural(row_groups, 'row group')}).",
            "## Method",
            METHOD.format(rounds=plural(comparison.repeat, "round")),
            "## Results",
            results_table(comparison),
        ]
        if args.plot:
            plot_path = os.path.relpath(
                args.plot, Path(args.markdown).parent if args.markdown else "."
            )
            parts.append(f"![throughput per tool and job]({plot_path})")
        parts += [
            "### Where the time goes",
            cpu_profile(comparison),
            "### What the running (EMA) statistics cost",
            ema_overhead(comparison),
            "### Checks",
            "Run on the outputs of the first round, outside the timed part:\n\n"
            + "\n".join(f"- {line}" for line in comparison.checks.lines),
        ]
    if rows_scaling is not None:
        parts += [
            "## Scaling with rows",
            "normkit alone, 16 float64 columns. Time should grow linearly with the rows (constant "
            "seconds per million rows) and the peak memory should not grow at all.",
            scaling_table(rows_scaling, per_rows=True),
        ]
    if columns_scaling is not None:
        parts += [
            "## Scaling with columns",
            f"normkit alone, about equal bytes: {args.rows:,} x 16 / columns rows.",
            scaling_table(columns_scaling, per_rows=False),
        ]
    if startup_times is not None:
        runs = len(next(iter(startup_times.values())))
        parts += [
            "## Start-up",
            f"Medians over {runs} runs of each command, started directly (no measuring helper "
            "process); the fit and the transform are of a CSV of 1,000 rows of the same shape.",
            startup_table(startup_times),
        ]
    return "\n\n".join(parts) + "\n"


def plot(comparison: Comparison, path: Path) -> None:
    """A bar chart of throughput (MB/s) per tool, grouped by job."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {
        NORMKIT_TOOL: "#1f77b4",
        NORMKIT_NO_EMA: "#7fb2dc",
        POLARS: "#2ca02c",
        DUCKDB: "#ff7f0e",
        PANDAS: "#9467bd",
        FLOOR: "#b0b0b0",
    }
    fig, ax = plt.subplots(figsize=(11, 5.5))
    width = 0.8 / len(TOOLS)
    for i, tool in enumerate(TOOLS):
        xs, heights = [], []
        for j, job in enumerate(JOBS):
            samples = comparison.samples.get((job, tool))
            if samples is not None and samples.runs:
                xs.append(j + (i - (len(TOOLS) - 1) / 2) * width)
                heights.append(comparison.dataset.megabytes(job.input_format) / samples.seconds)
        label = f"{tool.name} (reference)" if tool.role == "floor" else tool.name
        bars = ax.bar(xs, heights, width, label=label, color=colors[tool])
        if tool.role == "floor":
            for bar in bars:
                bar.set_hatch("//")
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=2)
    ax.set_xticks(range(len(JOBS)), [job.name.replace(" ", "\n", 1) for job in JOBS])
    ax.set_ylabel("throughput, MB of input per second")
    data = comparison.dataset
    ax.set_title(
        f"{data.rows:,} rows x {data.columns} float64 columns "
        f"({size_text(data.csv.stat().st_size)} of CSV); higher is better"
    )
    ax.legend(fontsize=8, ncols=3)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --- command line ------------------------------------------------------------------------------


#: The peers ``--skip`` leaves out, by the name it knows them by.
SKIPPABLE = {"pandas": PANDAS, "polars": POLARS, "duckdb": DUCKDB, "floor": FLOOR}


def skipped(text: str) -> tuple[Tool, ...]:
    """``"pandas,floor"`` -> the tools so named (:data:`SKIPPABLE`)."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in SKIPPABLE]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"not a peer: {', '.join(unknown)} (one of {', '.join(SKIPPABLE)})"
        )
    return tuple(SKIPPABLE[name] for name in names)


def int_list(text: str) -> list[int]:
    """``"1000000,4_000_000"`` -> ``[1000000, 4000000]``."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of integers: {text}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers: {text}")
    return values


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=4_000_000, help="rows of the data set")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; medians are reported")
    parser.add_argument(
        "--data-dir", type=Path, default=BENCH / "data", help="where data files are cached"
    )
    parser.add_argument("--markdown", type=Path, help="write the report here as well")
    parser.add_argument("--plot", type=Path, help="write a bar chart of throughput here (PNG)")
    parser.add_argument(
        "--scaling-rows", type=int_list, metavar="N,N,...", help="normkit at these row counts"
    )
    parser.add_argument(
        "--scaling-columns",
        type=int_list,
        metavar="C,C,...",
        help="normkit at these column counts, at the bytes of --rows rows of 16 columns",
    )
    parser.add_argument("--startup", action="store_true", help="time start-up and small files")
    parser.add_argument(
        "--startup-runs", type=int, default=20, help="runs of each start-up command"
    )
    parser.add_argument(
        "--no-compare",
        action="store_true",
        help="skip the comparison of tools (run only the scaling or start-up parts)",
    )
    parser.add_argument(
        "--skip",
        type=skipped,
        default=(),
        metavar="PEER,...",
        help="peers left out of the comparison (pandas, duckdb, polars, floor): the slowest, "
        "pandas, takes most of a round on a slow machine; the fastest peer is then that of "
        "those run (StandardScaler still fits once, untimed, for the exactness checks)",
    )
    args = parser.parse_args()
    if args.rows < 1 or args.repeat < 1 or args.startup_runs < 1:
        parser.error("--rows, --repeat and --startup-runs must be positive")
    if args.plot and args.no_compare:
        parser.error("--plot shows the comparison; it cannot go with --no-compare")
    return args


def compile_normkit() -> None:
    """Byte-compile normkit as an install does, so that no run pays for compiling a module
    changed since (interpreters told not to write bytecode would compile it every time)."""
    import compileall

    import normkit
    import normkit_cli

    for package in (normkit, normkit_cli):
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)


def main() -> None:
    args = parse_args()
    compile_normkit()
    work = args.data_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    comparison = rows_scaling = columns_scaling = startup_times = None
    if not args.no_compare:
        dataset = make_dataset(args.data_dir, args.rows)
        comparison = compare(dataset, args.repeat, work, args.skip)
        print()
        print(results_table(comparison))
        print()
        print("EMA overhead (normkit fit / normkit fit --no-ema):")
        print(ema_overhead(comparison))
        if args.plot:
            plot(comparison, args.plot)
            print(f"\nplot: {args.plot}")
    if args.scaling_rows:
        print("\nscaling with rows", flush=True)
        rows_scaling = scaling_rows(args.scaling_rows, args.repeat, args.data_dir, work)
        print(scaling_table(rows_scaling, per_rows=True))
    if args.scaling_columns:
        print("\nscaling with columns", flush=True)
        columns_scaling = scaling_columns(
            args.scaling_columns, args.rows, args.repeat, args.data_dir, work
        )
        print(scaling_table(columns_scaling, per_rows=False))
    if args.startup:
        print("\nstart-up", flush=True)
        startup_times = startup(args.startup_runs, args.data_dir, work)
        print(startup_table(startup_times))
    if args.markdown:
        text = report(args, comparison, rows_scaling, columns_scaling, startup_times)
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
        print(f"\nreport: {args.markdown}")


if __name__ == "__main__":
    main()
