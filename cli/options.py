"""Option groups shared by several commands, each written once as a decorator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ClassVar

import click

from normkit.formats import CSV_BLOCK_SIZE, DEFAULT_NULL_VALUES, CsvOptions, Format

FORMAT_NAMES = [f.value for f in Format]


class NameList(click.ParamType):
    """A comma-separated list (the option may also be repeated). Column names must not be empty;
    ``StringList`` (missing-value strings) keeps empty members: '' means the empty field."""

    name = "NAMES"
    keep_empty = False

    def convert(self, value, param, ctx):
        if isinstance(value, tuple | list):
            return tuple(value)
        parts = tuple(part.strip() for part in value.split(","))
        if self.keep_empty:
            return parts
        names = tuple(part for part in parts if part)
        if not names:
            self.fail(f"{value!r} names no column", param, ctx)
        return names


class StringList(NameList):
    name = "STRINGS"
    keep_empty = True


class ByteSize(click.ParamType):
    """A size in bytes: 1048576, 512K, 4M, 1G."""

    name = "SIZE"
    units: ClassVar[dict[str, int]] = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = value.strip().upper().removesuffix("IB").removesuffix("B")
        unit = text[-1:] if text[-1:] in self.units else ""
        try:
            size = int(float(text[: len(text) - len(unit)]) * self.units[unit])
        except ValueError:
            self.fail(f"{value!r} is not a size such as 4M", param, ctx)
        if size < 4096:
            self.fail(f"{value!r} is below 4K", param, ctx)
        return size


class Momentum(click.ParamType):
    """A momentum in (0, 1], or 'cumulative'."""

    name = "M"

    def convert(self, value, param, ctx):
        if isinstance(value, float) or value == "cumulative":
            return value
        try:
            m = float(value)
        except ValueError:
            self.fail(f"{value!r} is neither a number nor 'cumulative'", param, ctx)
        if not 0 < m <= 1:
            self.fail(f"{value} is not in (0, 1]", param, ctx)
        return m


class Affine(click.ParamType):
    """One number for every column, or ``col=value,...`` per column."""

    name = "VALUE"

    def convert(self, value, param, ctx):
        if isinstance(value, float | dict):
            return value
        try:
            if "=" not in value:
                return float(value)
            pairs = (part.rsplit("=", 1) for part in value.split(",") if part.strip())
            return {name.strip(): float(number) for name, number in pairs}
        except ValueError:
            self.fail(f"{value!r} is not a number or a list of col=number", param, ctx)


def flatten(groups: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    return tuple(name for group in groups for name in group)


def read_options(func: Callable) -> Callable:
    """Add the input options (format, delimiter, missing values, chunk size) and pass them to the
    command as one ``read: ReadOptions`` argument."""

    @click.option(
        "--input-format",
        type=click.Choice(FORMAT_NAMES, case_sensitive=False),
        help="Input format; by default from the extension (.csv, .tsv, .csv.gz/.bz2/.zst, "
        ".parquet, .arrow). Standard input is CSV unless this says otherwise; Parquet from "
        "standard input is buffered in memory (Parquet needs random access), CSV and Arrow IPC "
        "streams are not.",
    )
    @click.option(
        "--delimiter",
        metavar="CHAR",
        help="CSV field separator (default: tab for .tsv files, comma otherwise).",
    )
    @click.option(
        "--null-values",
        type=StringList(),
        metavar="STRINGS",
        help="Comma-separated strings read as missing in normalized columns "
        f"(default: {', '.join(v for v in DEFAULT_NULL_VALUES if v)}). An empty field is "
        "always missing: --null-values '' means empty fields only.",
    )
    @click.option(
        "--chunk-rows",
        type=click.IntRange(min=1),
        metavar="N",
        help="Rows per I/O batch (default: the reader's natural blocks). Results do not "
        "depend on it.",
    )
    @click.option(
        "--csv-block-size",
        type=ByteSize(),
        metavar="SIZE",
        help="Bytes of CSV parsed per block, such as 4M (default 1M). A row must fit in one "
        "block; memory grows with it.",
    )
    @click.option(
        "--inf-as-missing",
        is_flag=True,
        help="Read inf and -inf in normalized columns as missing values (by default they are "
        "refused, as scikit-learn refuses them).",
    )
    @functools.wraps(func)
    def wrapper(
        *args,
        input_format,
        delimiter,
        null_values,
        chunk_rows,
        csv_block_size,
        inf_as_missing,
        **kwargs,
    ):
        if delimiter is not None:
            # '\t' and 'tab' spell a tab, which is awkward to type in a shell.
            delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
            if len(delimiter) != 1 or delimiter in ('"', "\n", "\r"):
                raise click.BadParameter("must be a single character", param_hint="--delimiter")
        csv = CsvOptions(
            delimiter=delimiter,
            null_values=DEFAULT_NULL_VALUES if null_values is None else null_values,
            block_size=csv_block_size or CSV_BLOCK_SIZE,
        )
        from normkit import ReadOptions

        read = ReadOptions(
            format=input_format, csv=csv, chunk_rows=chunk_rows, inf_as_missing=inf_as_missing
        )

        return func(*args, read=read, **kwargs)

    return wrapper


def quiet_option(func: Callable) -> Callable:
    return click.option(
        "-q", "--quiet", is_flag=True, help="No progress bar and no summary on stderr."
    )(func)


def output_options(func: Callable) -> Callable:
    """Add ``-o/--output`` and ``--output-format``."""
    func = click.option(
        "--output-format",
        type=click.Choice(FORMAT_NAMES, case_sensitive=False),
        help="Output format; by default from the extension, CSV for standard output.",
    )(func)
    return click.option(
        "-o",
        "--output",
        default="-",
        show_default=True,
        metavar="PATH",
        help="Output file ('-': standard output). Written to a temporary file beside it and "
        "renamed into place only when complete.",
    )(func)


def stats_option(func: Callable) -> Callable:
    return click.option(
        "-s",
        "--stats",
        "stats_path",
        required=True,
        metavar="STATS",
        type=click.Path(dir_okay=False),
        help="Stat file written by 'normkit fit'.",
    )(func)


def affine_options(func: Callable) -> Callable:
    """Add ``--gamma`` and ``--beta`` (BatchNorm's affine parameters)."""
    func = click.option(
        "--beta",
        type=Affine(),
        help="BatchNorm's shift beta: one number, or col=value,... (default: as stored, else 0).",
    )(func)
    return click.option(
        "--gamma",
        type=Affine(),
        help="BatchNorm's scale gamma: one number, or col=value,... (default: as stored, else 1).",
    )(func)


def use_option(func: Callable) -> Callable:
    return click.option(
        "--use",
        type=click.Choice(["exact", "ema"]),
        help="Statistics of a frozen transform: exact (default) or the running (EMA) ones, "
        "normalized as BatchNorm's eval mode: (x - running_mean) / sqrt(running_var + eps).",
    )(func)


def engine_options(func: Callable) -> Callable:
    """Add ``--engine``, ``--scheduler`` and ``--workers``, passed to the command as one
    ``cluster`` argument: None for the local engine, else a ``ClusterOptions``."""

    @click.option(
        "--engine",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="local: one streaming pass in this process. dask: the files are parts processed "
        "on a Dask cluster (needs normkit[dask]); results equal the local engine's.",
    )
    @click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="With --engine dask: address of a running Dask scheduler (tcp://host:8786). "
        "Default: start a local cluster for the job.",
    )
    @click.option(
        "--workers",
        type=click.IntRange(min=1),
        metavar="N",
        help="With --engine dask and no --scheduler: worker processes of the local cluster "
        "(default: one per core).",
    )
    @functools.wraps(func)
    def wrapper(*args, engine, scheduler, workers, **kwargs):
        if engine != "dask":
            for name, value in (("--scheduler", scheduler), ("--workers", workers)):
                if value is not None:
                    raise click.UsageError(f"{name} needs --engine dask")
            return func(*args, cluster=None, **kwargs)
        if scheduler is not None and workers is not None:
            raise click.UsageError(
                "--workers sizes the local cluster; with --scheduler the cluster already runs"
            )
        from normkit.cluster import ClusterOptions

        return func(*args, cluster=ClusterOptions(scheduler, workers), **kwargs)

    return wrapper
