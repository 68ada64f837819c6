"""The ``normkit`` command: parse options, call the library, report.

Exit codes: 0 success; 1 a data, schema or stat-file problem (one line on stderr); 2 a usage
error; 130 interrupted. A closed downstream pipe (``| head``) ends the program quietly.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import TYPE_CHECKING

import click

import normkit
from normkit import NormkitError, OptionError

if TYPE_CHECKING:
    from normkit import ReadOptions, Standardizer

from .options import (
    Momentum,
    NameList,
    affine_options,
    engine_options,
    flatten,
    output_options,
    quiet_option,
    read_options,
    stats_option,
    use_option,
)
from .progress import PartsBar, ProgressBar

EXAMPLES_FIT = """
\b
Examples:
  normkit fit data.csv -o stats.json --exclude id
  normkit fit part-*.parquet -o stats.json --columns age,income --ddof 1
  normkit fit data/ -o stats.json --engine dask --workers 4
  cat data.csv | normkit fit - > stats.json
"""

EXAMPLES_TRANSFORM = """
\b
Examples:
  normkit transform data.csv -s stats.json -o normalized.parquet
  cat data.csv | normkit transform -s stats.json - | head
  normkit transform data.parquet -s stats.json --output-format arrow | other-tool
  normkit transform data/ -s stats.json -o data_z/ --engine dask --scheduler tcp://host:8786
"""


class NormkitCliError(click.ClickException):
    """A library error shown as ``normkit: error: ...``."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"normkit: error: {self.format_message()}", err=True)


def _show_traceback(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("traceback")) or os.environ.get("NORMKIT_TRACEBACK") == "1"


class NormkitGroup(click.Group):
    """Turns the library's errors, Ctrl-C and closed pipes into messages and exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NormkitError as exc:
            if _show_traceback(ctx):
                raise
            raise NormkitCliError(str(exc), 2 if isinstance(exc, OptionError) else 1) from None
        except KeyboardInterrupt:
            click.echo("normkit: interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except Terminated:
            click.echo("normkit: terminated", err=True)
            raise click.exceptions.Exit(143) from None
        except BrokenPipeError:
            # The reader went away (`| head`): that is not an error. Point stdout at /dev/null so
            # the interpreter's final flush does not complain either.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except OSError as exc:
            # Writing the report itself failed (a full disk behind stdout): say so in one line.
            if _show_traceback(ctx):
                raise
            reason = exc.strerror or str(exc)
            raise NormkitCliError(f"cannot write: {reason}") from None


@click.group(cls=NormkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(normkit.__version__, prog_name="normkit")
@click.option(
    "--traceback",
    is_flag=True,
    help="Show the full Python traceback of an error (also NORMKIT_TRACEBACK=1).",
)
def cli(traceback: bool) -> None:
    """Fit, save and apply centering and standardization statistics.

    Statistics equal scikit-learn's StandardScaler; files of any size are streamed in
    bounded memory; outputs are written atomically.
    """


def _parse_columns(columns, exclude):
    return (flatten(columns) or None), flatten(exclude)


@cli.command(epilog=EXAMPLES_FIT)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    metavar="STATS",
    help="Stat file to write ('-': standard output); written atomically.",
)
@click.option(
    "--columns",
    type=NameList(),
    multiple=True,
    help="Columns to normalize, comma-separated (default: every numeric column).",
)
@click.option(
    "--exclude",
    type=NameList(),
    multiple=True,
    help="Columns never normalized (ids, labels); they pass through transforms unchanged.",
)
@click.option(
    "--ddof",
    type=click.IntRange(0, 1),
    default=0,
    show_default=True,
    help="Variance divides by N - ddof: 0 as scikit-learn, 1 for the N-1 estimator.",
)
@click.option(
    "--eps",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Added to the variance before the square root. With 0, a constant column gets "
    "scale 1 as in scikit-learn.",
)
@click.option("--no-mean", is_flag=True, help="Do not center (StandardScaler's with_mean=False).")
@click.option("--no-std", is_flag=True, help="Do not scale (StandardScaler's with_std=False).")
@click.option(
    "--batch-size",
    type=click.IntRange(min=2),
    default=256,
    show_default=True,
    help="Rows per logical batch of the running (EMA) statistics, in file order.",
)
@click.option(
    "--convention",
    type=click.Choice(["torch", "keras"]),
    default="torch",
    show_default=True,
    help="torch: momentum 0.1 weighs the new batch, unbiased batch variance, eps 1e-5. "
    "keras: momentum 0.99 weighs the old state, biased batch variance, eps 1e-3.",
)
@click.option(
    "--momentum",
    type=Momentum(),
    help="Override the convention's momentum (in its own sense); 'cumulative' is PyTorch's "
    "momentum=None (the k-th batch weighs 1/k).",
)
@click.option(
    "--ema-init",
    type=click.Choice(["standard", "first"]),
    default="standard",
    show_default=True,
    help="Start the running statistics at mean 0, var 1 (standard) or at the first batch's.",
)
@click.option(
    "--drop-last",
    is_flag=True,
    help="Drop a final partial batch (by default it counts if it has at least 2 rows).",
)
@click.option(
    "--ema-eps",
    type=click.FloatRange(min=0),
    help="eps of normalizing with the running statistics (default: the convention's).",
)
@click.option("--no-ema", is_flag=True, help="Skip the running (EMA) statistics.")
@affine_options
@engine_options
@read_options
@quiet_option
def fit(
    inputs,
    output,
    columns,
    exclude,
    ddof,
    eps,
    no_mean,
    no_std,
    batch_size,
    convention,
    momentum,
    ema_init,
    drop_last,
    ema_eps,
    no_ema,
    gamma,
    beta,
    read: ReadOptions,
    cluster,
    quiet,
):
    """Fit statistics on one or more files (one pass, bounded memory).

    Each INPUT is a CSV (optionally .gz/.bz2/.zst), Parquet or Arrow IPC file, '-' for
    standard input, a directory (walked, hive-partitioned ones included) or a quoted glob
    pattern. All files are fitted as one data set, in a stable order (a directory's files
    sorted by name, numbers compared as numbers), and must have the same columns.
    """
    columns, exclude = _parse_columns(columns, exclude)
    from normkit import EmaOptions, Standardizer

    scaler = Standardizer(
        columns=columns,
        exclude=exclude,
        ddof=ddof,
        eps=eps,
        with_mean=not no_mean,
        with_std=not no_std,
        ema=None
        if no_ema
        else EmaOptions(
            convention=convention,
            momentum=momentum,
            init=ema_init,
            batch_size=batch_size,
            drop_last=drop_last,
            eps=ema_eps,
        ),
        gamma=1.0 if gamma is None else gamma,
        beta=0.0 if beta is None else beta,
    )
    started = time.perf_counter()
    if cluster is not None:
        from normkit.cluster import fit_dask

        with PartsBar(not quiet, "fitting") as progress:
            scaler = fit_dask(inputs, scaler, read, cluster, output=output, progress=progress)
    else:
        with ProgressBar(not quiet, "fitting") as progress:
            scaler = normkit.fit_files(inputs, scaler, read, progress, output=output)
    normkit.save(scaler, output)
    if not quiet:
        seconds = time.perf_counter() - started
        where = "standard output" if output == "-" else output
        click.echo(
            f"normkit: fitted {_count(scaler.n_features_in_, 'column')} on "
            f"{_count(scaler.n_rows_seen_, 'row')} "
            f"in {seconds:.2f} s; stat file: {where}",
            err=True,
        )


def _transform(input, stats_path, output, read, quiet, cluster=None, **options):
    if cluster is not None:
        _check_dask_transform(output, options)
    scaler = normkit.load(stats_path)
    inverse = options.get("inverse", False)
    started = time.perf_counter()
    if cluster is not None:
        _transform_dask(input, scaler, stats_path, output, read, quiet, cluster, **options)
        return
    with ProgressBar(not quiet, "inverting" if inverse else "transforming") as progress:
        result = normkit.transform_file(
            input,
            scaler,
            output,
            read=read,
            progress=progress,
            protected=(stats_path,),
            **options,
        )
    if not quiet and output != "-":
        seconds = time.perf_counter() - started
        click.echo(
            f"normkit: wrote {_count(result.rows, 'row')} "
            f"({_count(scaler.n_features_in_, 'column')} "
            f"{'restored' if inverse else 'normalized'}) to {output} ({result.format}) "
            f"in {seconds:.2f} s",
            err=True,
        )


def _check_dask_transform(output, options) -> None:
    """Refuse what a Dask transform cannot do, before any file is read; drop the options of
    learning modes (at their defaults)."""
    if output == "-":
        raise click.UsageError("--engine dask writes a directory of part files: give it with -o")
    if options.pop("mode", "frozen") != "frozen":
        raise click.UsageError(
            "--engine dask runs frozen transforms only: batch and adaptive modes follow the "
            "rows one batch after another"
        )
    for name in ("batch_size", "save_stats"):
        if options.pop(name, None) is not None:
            raise click.UsageError(f"--{name.replace('_', '-')} needs --mode batch or adaptive")


def _transform_dask(input, scaler, stats_path, output, read, quiet, cluster, **options):
    from normkit.cluster import transform_dask

    started = time.perf_counter()
    with PartsBar(not quiet, "transforming") as progress:
        result = transform_dask(
            input,
            scaler,
            output,
            read=read,
            cluster=cluster,
            protected=(stats_path,),
            progress=progress,
            **options,
        )
    if not quiet:
        click.echo(
            f"normkit: wrote {_count(result.rows, 'row')} in {_count(result.parts, 'part')} "
            f"({result.format}) to {result.output} in {time.perf_counter() - started:.2f} s",
            err=True,
        )


@cli.command(epilog=EXAMPLES_TRANSFORM)
@click.argument("input", nargs=-1, required=True, metavar="INPUT...")
@stats_option
@output_options
@click.option(
    "--mode",
    type=click.Choice(["frozen", "batch", "adaptive"]),
    default="frozen",
    show_default=True,
    help="frozen: the saved statistics (BatchNorm eval). batch: each logical batch with its "
    "own mean and biased variance plus eps (BatchNorm train). adaptive: each batch with the "
    "running statistics as they stood before it, then updated with it.",
)
@use_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=2),
    help="Logical batch size of batch and adaptive modes (default: the stat file's).",
)
@affine_options
@click.option(
    "--save-stats",
    metavar="PATH",
    help="After a batch or adaptive transform, write the statistics with the updated running "
    "statistics here (atomically), to continue the stream in a later run.",
)
@engine_options
@read_options
@quiet_option
def transform(input, stats_path, output, read: ReadOptions, quiet, **options):
    """Normalize INPUT with saved statistics: z = gamma * (x - mean) / scale + beta.

    Columns of the stat file become float64; every other column passes through unchanged, in
    its place. Missing values stay missing. Several inputs (files, directories, glob patterns)
    are written one after the other into the one output, in the order fit reads them. CSV
    output keeps every float64 exactly (shortest round-trip form).

    With --engine dask, -o names a directory: each input file becomes one part file in it
    (written atomically), with an index of the parts, _parts.json.
    """
    _transform(input, stats_path, output, read, quiet, **options)


@cli.command(
    epilog="\b\nExample:\n  normkit inverse normalized.csv -s stats.json -o restored.csv\n"
)
@click.argument("input", nargs=-1, required=True, metavar="INPUT...")
@stats_option
@output_options
@click.option(
    "--mode",
    type=click.Choice(["frozen", "batch", "adaptive"]),
    default="frozen",
    show_default=True,
    help="The mode of the transform to undo; only frozen output can be inverted.",
)
@use_option
@affine_options
@engine_options
@read_options
@quiet_option
def inverse(input, stats_path, output, read: ReadOptions, quiet, **options):
    """Undo a frozen 'normkit transform': x = (z - beta) / gamma * scale + mean."""
    _transform(input, stats_path, output, read, quiet, inverse=True, **options)


@cli.command(
    epilog="\b\nExamples:\n  normkit inspect stats.json\n  normkit inspect stats.json --json | jq .columns\n"
)
@click.argument("stats_path", metavar="STATS", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the stat file as JSON.")
def inspect(stats_path, as_json):
    """Show a stat file: options, provenance and per-column statistics."""
    scaler = normkit.load(stats_path)
    if as_json:
        # The file as written (validated above), not as this normkit would write it now.
        with open(stats_path, encoding="utf-8") as f:
            click.echo(f.read(), nl=False)
        return
    click.echo(render_stats(stats_path, scaler))


@cli.command(
    "merge-stats",
    epilog="\b\nExample:\n  normkit merge-stats shard-*.json -o all.json\n",
)
@click.argument("stats_paths", nargs=-1, required=True, metavar="STATS...")
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    metavar="PATH",
    help="The merged stat file ('-': standard output), written atomically.",
)
@quiet_option
def merge_stats(stats_paths, output, quiet):
    """Merge stat files fitted on separate shards into the statistics of all their rows.

    Exact: equal to fitting the shards together. The files must have the same columns and
    options. Running (EMA) statistics are not merged: they follow the order of the batches
    across files, which stat files do not record; fit the shards together for them.
    """
    seen: dict[tuple[int, int], str] = {}
    for path in stats_paths:
        if not os.path.exists(path):
            continue  # loading says so
        info = os.stat(path)
        if (info.st_dev, info.st_ino) in seen:
            raise NormkitCliError(
                f"{path}: given twice (as {seen[(info.st_dev, info.st_ino)]}); its rows would "
                "count twice",
                2,
            )
        seen[(info.st_dev, info.st_ino)] = path
        if output != "-" and os.path.exists(output) and os.path.samefile(path, output):
            raise NormkitCliError(f"{output}: the output would overwrite the input {path}")
    merged = normkit.merge_stat_files(stats_paths)
    normkit.save(merged, output)
    if not quiet:
        dropped = merged.ema_ is None and any(normkit.load(p).ema_ is not None for p in stats_paths)
        click.echo(
            f"normkit: merged {_count(len(stats_paths), 'stat file')} "
            f"({_count(merged.n_rows_seen_, 'row')}); "
            + ("running (EMA) statistics not merged; " if dropped else "")
            + f"stat file: {'standard output' if output == '-' else output}",
            err=True,
        )


@cli.command(
    epilog="\b\nExamples:\n  normkit report data.csv -s stats.json -o report.html\n"
    "  normkit report 'parts/*.parquet' -s stats.json --png plots/\n"
)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@stats_option
@click.option(
    "-o", "--output", metavar="PATH", help="The HTML page (self-contained; images embedded)."
)
@click.option("--png", "png_dir", metavar="DIR", help="Also write one PNG per column here.")
@click.option(
    "--columns",
    type=NameList(),
    multiple=True,
    help="Only these columns of the stat file (drawing takes about 0.4 s per column).",
)
@click.option(
    "--sample",
    "sample_rows",
    type=click.IntRange(min=100),
    metavar="N",
    help="Values sampled per column for the histograms (default: 10,000, fewer for very wide data).",
)
@read_options
@quiet_option
def report(inputs, stats_path, output, png_dir, columns, sample_rows, read: ReadOptions, quiet):
    """Plot data against saved statistics: an HTML page and/or PNG files.

    Per column: histograms of raw and normalized values (from a uniform sample taken in one
    streaming pass), the exact and EMA means and standard deviations, and the running (EMA)
    statistics over the data's batches. Needs matplotlib: pip install 'normkit[report]'.
    """
    if output is None and png_dir is None:
        raise click.UsageError("give -o report.html, --png DIR, or both")
    from normkit.dataset import expand_inputs
    from normkit.report import check_outputs, collect, write_report

    inputs_found = [f.path for f in expand_inputs(inputs, read.format) if f.path != "-"]
    protected = [stats_path, *inputs_found]
    check_outputs(output, png_dir, protected)
    stats = normkit.load(stats_path)
    started = time.perf_counter()
    with ProgressBar(not quiet, "reading") as progress:
        data = collect(inputs, stats, read, sample_rows, progress, flatten(columns) or None)
    written = write_report(data, output, png_dir, stats_path, protected)
    if not quiet:
        click.echo(
            f"normkit: report of {_count(len(data.names), 'column')} on "
            f"{_count(int(data.data.n_rows_seen_), 'row')} (up to {data.sample_size:,} values "
            "sampled per column) in "
            f"{time.perf_counter() - started:.2f} s: {', '.join(written[-1:] if output else [png_dir])}",
            err=True,
        )


@cli.command(
    epilog="\b\nExamples:\n  normkit drift new.csv -s stats.json\n"
    "  normkit drift 'live/*.parquet' -s stats.json --threshold 0.1 --json | jq .drifted\n"
    "  normkit drift batch.csv -s stats.json -q || echo 'retrain?'\n"
)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@stats_option
@click.option(
    "--threshold",
    type=click.FloatRange(min=0, min_open=True),
    default=0.2,
    show_default=True,
    metavar="K",
    help="A column drifts when its mean moved by more than K saved standard deviations, "
    "|ln(std ratio)| > K, its missing rate changed by more than K, or its PSI > K.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@read_options
@quiet_option
def drift(inputs, stats_path, threshold, as_json, read: ReadOptions, quiet):
    """Check new data against saved statistics; exit 3 if any column drifted.

    Streams INPUT once and reports per column: the shift of the mean in units of the saved
    standard deviation, the ratio of standard deviations, the change of the missing rate, and
    the population stability index (PSI) and Kolmogorov-Smirnov distance against the stat
    file's quantiles. Exit code 0: every column within the threshold; 3: some drifted (so it
    can gate a pipeline); 1: an error.
    """
    from normkit.drift import drift_files

    reference = normkit.load(stats_path)
    if reference.sketch_ is None:
        raise NormkitCliError(
            f"{stats_path}: the stat file has no distribution sketch (written by an older "
            "normkit, or merged from files that lacked one); fit it again to check drift"
        )
    with ProgressBar(not quiet and not as_json, "checking") as progress:
        report = drift_files(inputs, reference, read, threshold, progress)
    if as_json:
        import json

        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(render_drift(report))
    if report.drifted:
        raise click.exceptions.Exit(3)


def render_drift(report) -> str:
    headers = ["column", "mean shift", "std ratio", "missing", "PSI", "KS", ""]
    rows = []
    for c in report.columns:
        rows.append(
            [
                c.name,
                f"{c.mean_shift:+.3f} sd",
                f"{c.std_ratio:.3f}",
                f"{c.reference_missing_rate:.1%} -> {c.missing_rate:.1%}",
                f"{c.psi:.3f}" + ("" if c.psi_decides else "*"),
                f"{c.ks:.3f}",
                f"DRIFT ({', '.join(c.reasons)})" if c.drifted else "ok",
            ]
        )
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in [headers, *rows]
    ]
    drifted = report.drifted
    summary = (
        f"{_count(len(drifted), 'column')} of {len(report.columns)} drifted "
        f"(threshold {report.threshold:g}): {', '.join(drifted)}"
        if drifted
        else f"no drift in {_count(len(report.columns), 'column')} (threshold {report.threshold:g})"
    )
    notes = [f"{_count(report.rows, 'row')} checked; {summary}"]
    if not all(c.psi_decides for c in report.columns):
        notes.append("* PSI shown but not used: fewer than 500 values to compare")
    return "\n".join([*lines, "", *notes])


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _g(value: float) -> str:
    return f"{value:.10g}"


def render_stats(path: str, scaler: Standardizer) -> str:
    """A human-readable table of a stat file."""
    import numpy as np

    prov = scaler.provenance_
    lines = [f"stat file  {path}  (normkit.stats, version 1)"]
    written = prov.get("normkit_version")
    if prov.get("created") or written:
        lines.append(f"written    {prov.get('created', '?')} by normkit {written or '?'}")
    for source in prov.get("sources", []):
        size = f", {source['bytes']:,} bytes" if source.get("bytes") is not None else ""
        rows = f"{source['rows']:,} rows" if source.get("rows") is not None else "? rows"
        lines.append(f"source     {source.get('path')} ({source.get('format')}, {rows}{size})")
    lines.append(
        f"options    ddof={scaler.ddof} eps={scaler.eps:g} "
        f"with_mean={str(scaler.with_mean).lower()} with_std={str(scaler.with_std).lower()}"
    )
    lines.append(f"rows       {scaler.n_rows_seen_:,}")
    lines.append("")
    header = ["column", "dtype", "count", "missing", "mean", "std", "scale", "min", "max"]
    rows = [header]
    for i, name in enumerate(scaler.feature_names_in_):
        rows.append(
            [
                str(name),
                scaler.dtypes_[i],
                f"{scaler.n_samples_seen_[i]:,}",
                f"{scaler.n_missing_[i]:,}",
                _g(scaler.mean_[i]),
                _g(scaler.var_[i] ** 0.5),
                _g(scaler.scale_[i]),
                _g(scaler.min_[i]),
                _g(scaler.max_[i]),
            ]
        )
    lines += _table(rows, left=2)
    if np.any(scaler.gamma_ != 1.0) or np.any(scaler.beta_ != 0.0):
        lines += ["", "affine     y = gamma * z + beta"]
        rows = [["column", "gamma", "beta"]]
        rows += [
            [str(n), _g(g), _g(b)]
            for n, g, b in zip(scaler.feature_names_in_, scaler.gamma_, scaler.beta_, strict=True)
        ]
        lines += _table(rows, left=1)
    ema = scaler.ema_
    if ema is not None:
        o = ema.options
        momentum = "cumulative (1/k)" if o.cumulative else f"{o.momentum_value:g}"
        lines += [
            "",
            f"running (EMA) statistics: convention={o.convention} momentum={momentum} "
            f"init={o.init} batch_size={o.batch_size} drop_last={str(o.drop_last).lower()} "
            f"eps={o.eps_value:g} batches={ema.n_batches:,}",
            "how far they are from the exact ones: (ema mean - mean) / scale, ema std / scale",
            "",
        ]
        std = np.sqrt(scaler.var_)
        ema_std = np.sqrt(ema.running_var)
        # In units of the exact scale (1 for a constant column, as the transform uses).
        with np.errstate(over="ignore", invalid="ignore"):
            shift = (ema.running_mean - scaler.mean_) / scaler.scale_
            ratio = ema_std / scaler.scale_

        rows = [
            [
                "column",
                "mean",
                "ema mean",
                "shift/std",
                "std",
                "ema std",
                "ratio",
                "updates",
                "skipped",
            ]
        ]
        for i, name in enumerate(scaler.feature_names_in_):
            rows.append(
                [
                    str(name),
                    _g(scaler.mean_[i]),
                    _g(ema.running_mean[i]),
                    f"{shift[i]:+.3g}",
                    _g(std[i]),
                    _g(ema_std[i]),
                    f"{ratio[i]:.4g}",
                    f"{ema.n_updates[i]:,}",
                    f"{ema.n_skipped[i]:,}",
                ]
            )
        lines += _table(rows, left=1)
    return "\n".join(lines)


def _table(rows: list[list[str]], left: int) -> list[str]:
    """Rows of cells as aligned text: the first ``left`` columns left-aligned, others right."""
    widths = [max(len(r[j]) for r in rows) for j in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [
            c.ljust(w) if j < left else c.rjust(w)
            for j, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


class Terminated(BaseException):
    """SIGTERM (from timeout, a scheduler, a container runtime), raised where the program is so
    that outputs are discarded and temporary files removed as on Ctrl-C."""


def _terminate(signum, frame) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point.

    Ends the process with ``os._exit`` once the command is done and its outputs are committed or
    discarded: pyarrow's reader threads may still be blocked on a pipe (the reader of our
    output went away, or our input's writer has not), and a normal interpreter shutdown would
    wait on them forever, or abort.
    """
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli.main(args=argv, prog_name="normkit")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe: nothing more to say
    os._exit(code)


if __name__ == "__main__":
    main()
