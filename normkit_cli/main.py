"""The ``normkit`` command: parse options, call one library function, report.

Exit codes: 0 success; 1 a data, schema or stat-file problem (one line on stderr); 2 a usage
error; 3 drift found; 130 interrupted (143 terminated, 129 hung up). A closed downstream pipe
(``| head``) ends the program quietly, keeping a check's verdict (drift's 3). Library errors name parameters; each command spells them as its own flags.
"""

from __future__ import annotations

import time

import click

import normkit

from .app import NormkitGroup, echo_verdict, run_to_exit
from .export import export, import_torch
from .options import (
    LibraryOption,
    affine_options,
    drift_options,
    engine_options,
    flatten,
    given_options,
    keep_text_option,
    mode_option,
    option,
    output_options,
    quiet_option,
    read_options,
    stats_option,
    use_option,
)
from .progress import PartsBar, ProgressBar
from .render import (
    caught_notes,
    count,
    echo_notes,
    fit_summary,
    note_line,
    parts_summary,
    render_drift,
    transform_summary,
    unkept_categories_note,
    unrecorded_note,
)
from .statfiles import inspect, merge_stats
from .types import Checked, NameList, parse_momentum

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


@cli.command(epilog=EXAMPLES_FIT)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option(
    "-o",
    "--output",
    cls=LibraryOption,
    default="-",
    show_default=True,
    metavar="STATS",
    help="Stat file to write ('-': standard output); written atomically.",
)
@option(
    "--columns",
    param="columns",
    type=NameList(),
    multiple=True,
    help="Columns to normalize, comma-separated (default: every numeric column); the "
    "statistics keep them in the data's order, as exported models take them.",
)
@option(
    "--exclude",
    param="exclude",
    type=NameList(),
    multiple=True,
    help="Columns never normalized (ids, labels); they pass through transforms unchanged.",
)
@option(
    "--ddof",
    param="ddof",
    default=0,
    show_default=True,
    help="Variance divides by N - ddof: 0 as scikit-learn, 1 for the N-1 estimator.",
)
@option(
    "--eps",
    param="eps",
    default=0.0,
    show_default=True,
    help="Added to the variance before the square root. With 0, a constant column gets "
    "scale 1 as in scikit-learn.",
)
@option(
    "--no-mean",
    param="with_mean",
    sets=False,
    is_flag=True,
    help="Do not center (StandardScaler's with_mean=False).",
)
@option(
    "--no-std",
    param="with_std",
    sets=False,
    is_flag=True,
    help="Do not scale (StandardScaler's with_std=False).",
)
@option(
    "--batch-size",
    param="ema.batch_size",
    default=256,
    show_default=True,
    help="Rows per logical batch of the running (EMA) statistics, in file order.",
)
@option(
    "--convention",
    param="ema.convention",
    default="torch",
    show_default=True,
    help="torch: momentum 0.1 weighs the new batch, unbiased batch variance, eps 1e-5. "
    "keras: momentum 0.99 weighs the old state, biased batch variance, eps 1e-3.",
)
@option(
    "--momentum",
    param="ema.momentum",
    type=Checked("ema.momentum", parse_momentum, "M"),
    help="Override the convention's momentum (in its own sense); 'cumulative' is PyTorch's "
    "momentum=None (the k-th batch weighs 1/k); 'default' is the convention's.",
)
@option(
    "--ema-init",
    param="ema.init",
    default="standard",
    show_default=True,
    help="Start the running statistics at mean 0, var 1 (standard) or at the first batch's.",
)
@option(
    "--drop-last",
    param="ema.drop_last",
    is_flag=True,
    help="Drop a final partial batch (by default it counts if it has at least 2 rows).",
)
@option(
    "--ema-eps",
    param="ema.eps",
    help="eps of normalizing with the running statistics (default: the convention's).",
)
@option(
    "--ema-of",
    param="ema.of",
    default="var",
    show_default=True,
    help="Average batch variances (PyTorch, Keras) or batch standard deviations (std).",
)
@option("--no-ema", param="ema", sets=None, is_flag=True, help="Skip the running (EMA) statistics.")
@option(
    "--weight-column",
    param="weight_column",
    type=str,
    metavar="NAME",
    help="Column of each row's sample weight (frequency weights: weight w counts as w rows, 0 "
    "leaves the row out; negative, infinite and missing weights are refused): the statistics "
    "equal StandardScaler().fit(X, sample_weight=w). No running (EMA) statistics: BatchNorm's "
    "have no weights. The column passes through transforms unchanged.",
)
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
    ema_of,
    no_ema,
    weight_column,
    gamma,
    beta,
    read,
    cluster,
    quiet,
):
    """Fit statistics on one or more files (one pass, bounded memory).

    Each INPUT is a CSV (optionally .gz/.bz2/.zst), Parquet or Arrow IPC file, '-' for
    standard input, a directory (walked; a hive directory's key=value is a column of its
    files' rows, passed through) or a quoted glob pattern. All files are fitted as one data set, in a stable order (a directory's files
    sorted by name, numbers compared as numbers), and must have the same columns (in any
    order: matched by name).
    """
    from normkit import EmaOptions, Standardizer

    ema = None
    ema_options = (
        "batch_size",
        "convention",
        "momentum",
        "ema_init",
        "drop_last",
        "ema_eps",
        "ema_of",
    )
    if no_ema and (given := given_options(ema_options)):
        verb = "sets" if len(given) == 1 else "set"
        raise click.UsageError(
            f"{', '.join(given)} {verb} the running statistics, which --no-ema skips"
        )
    if weight_column is not None and (given := given_options(ema_options)):
        verb = "sets" if len(given) == 1 else "set"
        raise click.UsageError(
            f"{', '.join(given)} {verb} the running statistics, which a fit with "
            "--weight-column does not compute (BatchNorm's running statistics have no weights)"
        )
    if not no_ema and weight_column is None:
        ema = EmaOptions(
            convention=convention,
            momentum="default" if momentum is None else momentum,
            init=ema_init,
            batch_size=batch_size,
            drop_last=drop_last,
            eps=ema_eps,
            of=ema_of,
        )
    estimator = Standardizer(
        columns=flatten(columns) or None,
        exclude=flatten(exclude),
        ddof=ddof,
        eps=eps,
        with_mean=not no_mean,
        with_std=not no_std,
        ema=ema,
        gamma=1.0 if gamma is None else gamma,
        beta=0.0 if beta is None else beta,
    )
    started = time.perf_counter()
    notes: list = []  # the library's, told after the progress bar
    with caught_notes(notes):
        if cluster is not None:
            from normkit.jobs.dask import fit_dask

            with PartsBar(not quiet, "fitting") as progress:
                fitted = fit_dask(
                    inputs, estimator, read, cluster, output, progress, weight_column=weight_column
                )
        else:
            with ProgressBar(not quiet, "fitting") as progress:
                fitted = normkit.fit_files(
                    inputs, estimator, read, progress, output, weight_column=weight_column
                )
    if not quiet:
        seconds = time.perf_counter() - started
        echo_notes(notes)
        click.echo(fit_summary(fitted, seconds, output), err=True)


def _transform(inputs, stats_path, output, read, quiet, cluster, options) -> None:
    """Run a transform (or inverse) and say what it wrote."""
    started = time.perf_counter()
    caught: list = []  # the library's notes
    if cluster is not None:
        from normkit.jobs.dask import transform_dask

        with PartsBar(not quiet, "transforming") as progress, caught_notes(caught):
            parts = transform_dask(
                inputs, stats_path, output, options, read, cluster, progress=progress
            )
        if not quiet:
            click.echo("".join(f"{note_line(note)}\n" for note in caught), err=True, nl=False)
            click.echo(parts_summary(parts, time.perf_counter() - started), err=True)
        return
    action = "inverting" if options.inverse else "transforming"
    with ProgressBar(not quiet, action) as progress, caught_notes(caught):
        result = normkit.transform_file(
            inputs, stats_path, output, options, read, progress=progress
        )
    notes = [unrecorded_note(options, result, output), unkept_categories_note(result)]
    notes += map(note_line, caught)
    for note in notes:
        if note and not quiet:
            click.echo(note, err=True)
    if not quiet and output != "-":
        seconds = time.perf_counter() - started
        click.echo(transform_summary(result, options.inverse, output, seconds), err=True)


@cli.command(epilog=EXAMPLES_TRANSFORM)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@stats_option
@output_options
@mode_option(
    "frozen: the saved statistics (BatchNorm eval). batch: each logical batch with its "
    "own mean and biased variance plus eps (BatchNorm train). adaptive: each batch with the "
    "running statistics as they stood before it, then updated with it."
)
@use_option
@option(
    "--batch-size",
    param="batch_size",
    help="Logical batch size of batch and adaptive modes (default: the stat file's).",
)
@affine_options
@option(
    "--save-stats",
    param="save_stats",
    metavar="PATH",
    help="After a batch or adaptive transform, write the statistics with the updated running "
    "statistics here (atomically), to continue the stream in a later run.",
)
@option(
    "--renormalize",
    param="renormalize",
    is_flag=True,
    help="Normalize a file even though it looks normalized already: one whose record says "
    "normkit normalized it, or a CSV without a record whose columns have about the mean and "
    "spread normalized data has (refused by default).",
)
@keep_text_option
@engine_options
@read_options
@quiet_option
def transform(
    inputs,
    stats_path,
    output,
    output_format,
    mode,
    use,
    batch_size,
    gamma,
    beta,
    save_stats,
    renormalize,
    keep_text,
    cluster,
    read,
    quiet,
):
    """Normalize INPUT with saved statistics: z = gamma * (x - mean) / scale + beta.

    Columns of the stat file become float64; every other column passes through unchanged, in
    its place (one the fit found no value in must hold none). Missing values stay missing.
    Several inputs (files, directories, glob patterns) are written one after the other into the
    one output, in the order fit reads them. CSV output keeps every float64 exactly (shortest
    round-trip form).

    Outputs record how they were made (the statistics' fingerprint, --use, gamma, beta, the
    mode): Parquet and Arrow in their metadata, a CSV file in a hidden file beside it
    (.NAME.normkit.json). inverse reads it back, and normalizing such a file again is refused.
    A CSV without a record (standard output) whose columns look normalized already (about the
    mean and spread normalized data has) is refused too; its inverse needs --use, --gamma or
    --beta.

    With --engine dask, -o names a directory: each input file becomes one part file in it
    (written atomically), with an index of the parts, _parts.json.
    """
    from normkit import TransformOptions

    options = TransformOptions(
        mode=mode,
        use=use,
        gamma=gamma,
        beta=beta,
        batch_size=batch_size,
        save_stats=save_stats,
        output_format=output_format,
        renormalize=renormalize,
        keep_text=keep_text,
    )
    _transform(inputs, stats_path, output, read, quiet, cluster, options)


@cli.command(
    epilog="\b\nExample:\n  normkit inverse normalized.csv -s stats.json -o restored.csv\n"
)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@stats_option
@output_options
@mode_option("The mode of the transform to undo; only frozen output can be inverted.")
@use_option
@affine_options
@option(
    "--keep-float",
    param="restore_types",
    sets=False,
    is_flag=True,
    help="Write restored columns as float64, not as the types the stat file records "
    "(integers, decimals, float32, float16).",
)
@option(
    "--assume-normalized",
    param="assume_normalized",
    is_flag=True,
    help="Invert a CSV without a record of how it was made even though its columns look like "
    "the raw data the statistics were fitted on rather than normalized data (refused by "
    "default).",
)
@keep_text_option
@engine_options
@read_options
@quiet_option
def inverse(
    inputs,
    stats_path,
    output,
    output_format,
    mode,
    use,
    gamma,
    beta,
    keep_float,
    assume_normalized,
    keep_text,
    cluster,
    read,
    quiet,
):
    """Undo a frozen 'normkit transform': x = (z - beta) / gamma * scale + mean.

    An input records how it was normalized (Parquet and Arrow in their metadata, a CSV file in
    .NAME.normkit.json beside it): the inverse undoes exactly that (--use, --gamma and --beta
    may be left out, and are refused if they contradict it). An input without a record
    (standard input, a CSV renamed, decompressed or copied without it) is refused unless
    --use, --gamma or --beta says how it was normalized (those not given: the exact
    statistics, the stat file's gamma and beta); one whose columns look like raw data
    rather than normalized data is refused, and so is one that
    looks normalized with the running statistics where --use is not given, or with another
    gamma and beta, alike in its columns, where --gamma and --beta are not. Columns the stat
    file records as integers are written as integers again.
    """
    from normkit import TransformOptions

    options = TransformOptions(
        mode=mode,
        use=use,
        gamma=gamma,
        beta=beta,
        inverse=True,
        output_format=output_format,
        restore_types=not keep_float,
        assume_normalized=assume_normalized,
        keep_text=keep_text,
    )
    _transform(inputs, stats_path, output, read, quiet, cluster, options)


@cli.command(
    epilog="\b\nExamples:\n  normkit report data.csv -s stats.json -o report.html\n"
    "  normkit report 'parts/*.parquet' -s stats.json --png plots/\n"
)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@stats_option
@option(
    "-o",
    "--output",
    param="html",
    metavar="PATH",
    help="The HTML page (self-contained; images embedded).",
)
@option(
    "--png", "png_dir", param="png_dir", metavar="DIR", help="Also write one PNG per column here."
)
@option(
    "--columns",
    param="columns",
    type=NameList(),
    multiple=True,
    help="Only these columns of the stat file (drawing takes about 0.4 s per column).",
)
@option(
    "--sample",
    "sample_rows",
    param="sample_rows",
    metavar="N",
    help="Values sampled per column for the histograms (default: 10,000, fewer for very wide data).",
)
@read_options
@quiet_option
def report(inputs, stats_path, output, png_dir, columns, sample_rows, read, quiet):
    """Plot data against saved statistics: an HTML page and/or PNG files.

    Per column: histograms of raw and normalized values (from a uniform sample taken in one
    streaming pass), the exact and EMA means and standard deviations, and the running (EMA)
    statistics over the data's batches. Needs matplotlib: pip install 'normkit[report]'.
    """
    from normkit.jobs.report import ReportOptions, report_files

    options = ReportOptions(output, png_dir, sample_rows, flatten(columns) or None)
    started = time.perf_counter()
    with ProgressBar(not quiet, "reading") as progress:
        result = report_files(inputs, stats_path, options, read, progress)
    if not quiet:
        click.echo(
            f"normkit: report of {count(result.columns, 'column')} on "
            f"{count(result.rows, 'row')} (up to {result.sample_size:,} values sampled per "
            f"column) in {time.perf_counter() - started:.2f} s: "
            f"{result.written[-1] if output else png_dir}",
            err=True,
        )


@cli.command(
    epilog="\b\nExamples:\n  normkit drift new.csv -s stats.json\n"
    "  normkit drift 'live/*.parquet' -s stats.json --json | jq .drifted\n"
    "  normkit drift batch.csv -s stats.json --threshold 0.1 --threshold income=0.5\n"
    "  normkit drift batch.csv -s stats.json -q || echo 'retrain?'\n"
)
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@stats_option
@drift_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@read_options
@quiet_option
def drift(inputs, stats_path, judging, as_json, read, quiet):
    """Check new data against saved statistics; exit 3 if any column drifted.

    Streams INPUT once and tests per column, against the stat file (whose counts make the
    reference a sample too): the mean, the spread, the missing rate and the distribution over
    the stat file's quantiles; for text and boolean columns, the categories' frequencies. A
    column drifts when a change is both significant (Holm-adjusted p <= --alpha over the whole
    run) and larger than --threshold. Exit code 0: no drift; 3: some column drifted, or a test
    the stat file cannot make (the distribution against merged quantiles) was not made where it
    would have flagged a column (so it can gate a pipeline); 1: an error; 2: a usage error.
    """
    from normkit.jobs.drift import drift_files

    with ProgressBar(not quiet and not as_json, "checking") as progress:
        result = drift_files(inputs, stats_path, judging, read, progress)
    if as_json:
        import json

        text = json.dumps(result.to_dict(), indent=2, allow_nan=False)
    else:
        text = render_drift(result)
    echo_verdict(text, 3 if result.drifted or result.untested else 0, inputs)


cli.add_command(export)
cli.add_command(import_torch)
cli.add_command(inspect)
cli.add_command(merge_stats)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point.

    Ends the process with ``os._exit`` once the command is done and its outputs are committed or
    discarded: pyarrow's reader threads may still be blocked on a pipe (the reader of our
    output went away, or our input's writer has not), and a normal interpreter shutdown would
    wait on them forever, or abort.
    """
    run_to_exit(cli, argv)


if __name__ == "__main__":
    main()
