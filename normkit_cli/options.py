"""Options of the commands: each tied to the library parameter it sets, its type and range taken
from that parameter's rule (:mod:`normkit.params`); groups that several commands share are
written once, as decorators."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import click

from normkit.errors import quoted, times
from normkit.io.formats import DEFAULT_NULL_VALUES, Format
from normkit.params import RULES

from .types import (
    Affine,
    Checked,
    Choice,
    StringList,
    Threshold,
    click_type,
    delimiter_text,
    parse_delimiter,
    parse_size,
    size_text,
)

FORMAT_NAMES = [f.value for f in Format]


class LibraryOption(click.Option):
    """A click option that sets the library parameter ``library_param`` (its name in
    :mod:`normkit.params`, such as ``ema.momentum``), so that a library error about that
    parameter names this option's flag."""

    def __init__(
        self,
        *args: Any,
        library_param: str | None = None,
        sets: object = True,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.library_param = library_param or self.name
        self.sets = sets  # for a flag: the value it gives the library parameter

    @property
    def flag(self) -> str:
        long = [o for o in self.opts if o.startswith("--")]
        return (long or self.opts)[0]

    @property
    def _is_pair(self) -> bool:
        return self.is_bool_flag and bool(self.secondary_opts) and not self.multiple

    @property
    def _takes_one_value(self) -> bool:
        return not self.is_flag and not self.multiple and not self.count and self.nargs == 1

    def add_to_parser(self, parser, ctx: click.Context) -> None:
        if self._takes_one_value:
            # Every value collected, so that two different ones are refused rather than the last
            # silently winning (--gamma 2 --gamma a=3 dropped the 2).
            parser.add_option(obj=self, opts=self.opts, dest=self.name, action="append")
            return None
        if not self._is_pair:
            return super().add_to_parser(parser, ctx)
        # Both spellings of a pair (--header/--no-header) collected, so that giving both is
        # refused rather than the last one silently winning.
        for opts, const in ((self.opts, True), (self.secondary_opts, False)):
            parser.add_option(
                obj=self, opts=opts, dest=self.name, action="append_const", const=const
            )
        return None

    def consume_value(self, ctx: click.Context, opts):
        value, source = super().consume_value(ctx, opts)
        if self._is_pair and isinstance(value, list):
            if len(set(value)) > 1:
                raise click.UsageError(
                    f"{self.flag} and {self.secondary_opts[0]} contradict each other: give one",
                    ctx,
                )
            value = value[0]
        elif self._takes_one_value and isinstance(value, list):
            if len(set(value)) > 1:
                shown = " and ".join(quoted(v) for v in dict.fromkeys(value))
                raise click.UsageError(
                    f"{self.flag} was given {times(len(value))} ({shown}): give it once", ctx
                )
            value = value[0]
        return value, source


def option(*decls: str, param: str | None = None, **kwargs: Any) -> Callable:
    """A :class:`LibraryOption`; with ``param`` and no ``type``, its type comes from the
    parameter's rule. A flag says with ``sets=`` the value it gives the parameter (``--no-mean``
    sets ``with_mean`` to False)."""
    if param in RULES and "type" not in kwargs and not kwargs.get("is_flag"):
        kwargs["type"] = click_type(param)
    return click.option(*decls, cls=LibraryOption, library_param=param, **kwargs)


def given_options(names: Sequence[str]) -> list[str]:
    """The options of the current command among ``names`` that the user gave (not defaults)."""
    context = click.get_current_context()
    return [
        f"--{name.replace('_', '-')}"
        for name in names
        if context.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)
    ]


def flatten(groups: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    return tuple(name for group in groups for name in group)


def read_options(func: Callable) -> Callable:
    """Add the input options (format, delimiter, missing values, chunk size) and pass them to the
    command as one ``read: ReadOptions`` argument."""

    @option(
        "--input-format",
        param="format",
        type=Choice(FORMAT_NAMES, case_sensitive=False),
        help="Input format; by default from the extension (.csv, .tsv, .csv.gz/.bz2/.zst, "
        ".parquet, .arrow); standard input, and a file or pipe without a known extension, by "
        "its first bytes (Parquet and Arrow by their magic numbers, else CSV). Parquet from "
        "standard input is buffered in memory (Parquet needs random access), CSV and Arrow IPC "
        "streams are not.",
    )
    @option(
        "--delimiter",
        param="csv.delimiter",
        type=Checked("csv.delimiter", parse_delimiter, "CHAR", delimiter_text),
        help="CSV field separator (default: as the stat file recorded, else detected: comma, "
        "semicolon, tab or |; one column reads with a comma).",
    )
    @option(
        "--header/--no-header",
        param="csv.header",
        type=bool,
        default=None,
        help="Whether the CSV's first record names the columns (--no-header: they are named "
        "column_1, column_2...). Default: as the stat file recorded, else detected.",
    )
    @option(
        "--skip-rows",
        param="csv.skip_rows",
        metavar="N",
        help="Lines before the CSV's header, such as a title (default: as the stat file "
        "recorded, else detected).",
    )
    @option(
        "--comment",
        param="csv.comment",
        type=Checked("csv.comment", str, "CHAR"),
        help="Lines of the CSV starting with CHAR are skipped ('' for none; default: as the "
        "stat file recorded, else '#' where lines start with it and do not fit the table).",
    )
    @option(
        "--inline-comments/--no-inline-comments",
        param="csv.inline_comments",
        type=bool,
        default=None,
        help="Whether the comment character ('#' unless --comment says) starts a comment "
        "after values too, outside quoted fields: '1,2 # note' read as '1,2', and 'Apt #5' in "
        "a text field as 'Apt', as pandas' comment= reads them (default: as the stat file "
        "recorded, else detected where comment lines show the character and the rows split "
        "evenly only with those comments cut, and no row that splits evenly without them "
        "would lose text to them).",
    )
    @option(
        "--quote",
        param="csv.quote",
        type=Checked("csv.quote", str, "CHAR"),
        help="The character quoting the CSV's fields: '\"' or \"'\" ('' for none; default: "
        "detected, \"'\" where no '\"' is in the head and single-quoted fields split it as "
        "well, none where fields open with quotes they do not close, which split the head "
        "evenly as text).",
    )
    @option(
        "--escape",
        param="csv.escape",
        type=Checked("csv.escape", str, "CHAR"),
        help="The character that, inside a quoted CSV field, stands before a quote or itself "
        "for that character: '\\' (\\\" for a quote; '' for none). Default: as the stat file "
        "recorded, else detected: '\\' where quoted fields hold \\\" and the table splits "
        "evenly only with it.",
    )
    @option(
        "--null-values",
        param="csv.null_values",
        type=StringList(),
        multiple=True,
        metavar="STRINGS",
        help="Comma-separated strings also read as missing (repeatable; in normalized and in text "
        "columns; a string holding a comma in double quotes: '\"-999,0\"'), besides "
        f"the defaults ({', '.join(v for v in DEFAULT_NULL_VALUES if v)}; text keeps them: a "
        "region NA) or those the stat "
        "file recorded. An empty field is always missing; a number among them is missing in a "
        "normalized column however it is written (-999 matches -999.0, as pandas reads it).",
    )
    @option(
        "--no-default-null-values",
        param="csv.null_values",
        sets=(),
        is_flag=True,
        help="Only empty fields and the --null-values strings are missing: not the defaults "
        "(a number spelled NaN, such as nan or -nan, is still missing, as in scikit-learn).",
    )
    @option(
        "--encoding",
        param="csv.encoding",
        type=Checked("csv.encoding", str, "NAME"),
        help="The CSV's text encoding, such as latin-1 or cp1252, where it has no byte-order "
        "mark (a file's own mark, UTF-16, UTF-32 or UTF-8, decides; default: as the stat file "
        "recorded, else UTF-8); CSV outputs are written in it.",
    )
    @option(
        "--decimal",
        param="csv.decimal",
        help="The decimal separator of numbers in the CSV: '.' (default, or as the stat file "
        "recorded) or ',' (1,5); CSV outputs write numbers with it too.",
    )
    @option(
        "--chunk-rows",
        param="chunk_rows",
        metavar="N",
        help="Rows per I/O batch (default: the reader's natural blocks). A fit's statistics "
        "depend on it only in their last bits (exact merges done in another grouping); "
        "outputs do not.",
    )
    @option(
        "--csv-block-size",
        param="csv.block_size",
        type=Checked("csv.block_size", parse_size, "SIZE", size_text),
        help="Bytes of CSV per block, such as 4M (default 1M, from 4K to 1G): types are inferred "
        "from the first block, the input is read four blocks at a time, and a row must fit in "
        "four; memory grows with it.",
    )
    @option(
        "--inf-as-missing",
        param="inf_as_missing",
        is_flag=True,
        help="Read inf and -inf in normalized columns as missing values (by default they are "
        "refused, as scikit-learn refuses them, unless the stat file records that its fit read "
        "them as missing).",
    )
    @functools.wraps(func)
    def wrapper(
        *args,
        input_format,
        delimiter,
        header,
        skip_rows,
        comment,
        inline_comments,
        quote,
        escape,
        null_values,
        no_default_null_values,
        encoding,
        decimal,
        chunk_rows,
        csv_block_size,
        inf_as_missing,
        **kwargs,
    ):
        from normkit.io.options import CsvOptions, ReadOptions

        csv = CsvOptions(
            delimiter=delimiter,
            null_values=() if no_default_null_values else None,
            add_null_values=flatten(null_values),  # repeated: all of them
            block_size=csv_block_size,
            encoding=encoding,
            decimal=decimal,
            header=header,
            skip_rows=skip_rows,
            comment=comment,
            inline_comments=inline_comments,
            quote=quote,
            escape=escape,
        )
        read = ReadOptions(
            format=input_format,
            csv=csv,
            chunk_rows=chunk_rows,
            # Not given: as the stat file recorded (or refused, without one).
            inf_as_missing=True if inf_as_missing else None,
        )
        return func(*args, read=read, **kwargs)

    return wrapper


def quiet_option(func: Callable) -> Callable:
    return click.option(
        "-q", "--quiet", is_flag=True, help="No progress bar, summary or notes on stderr."
    )(func)


def output_options(func: Callable) -> Callable:
    """Add ``-o/--output`` and ``--output-format``."""
    func = option(
        "--output-format",
        param="output_format",
        type=Choice(FORMAT_NAMES, case_sensitive=False),
        help="Output format; by default from the extension, CSV for standard output.",
    )(func)
    return option(
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
        cls=LibraryOption,
        required=True,
        metavar="STATS",
        help="Stat file written by 'normkit fit'.",
    )(func)


def drift_options(func: Callable) -> Callable:
    """Add ``--threshold`` (repeatable) and ``--alpha``, passed to the command as one
    ``judging: DriftOptions`` argument."""

    @option(
        "--alpha",
        param="alpha",
        default=0.01,
        show_default=True,
        metavar="P",
        help="The chance that data from the stat file's distribution raises any alarm, over all "
        "columns and tests (p-values are Holm-adjusted).",
    )
    @option(
        "--threshold",
        "thresholds",
        param="threshold",
        type=Threshold(),
        multiple=True,
        help="The practical size of drift [default: 0.2]: a column drifts on a test that is "
        "significant and whose size is above K (mean shift in saved sds, |ln std ratio|, "
        "Cohen's h of a missing rate, |ln share ratio| of a category, PSI). Repeat with COL=K,..."
        " for particular columns.",
    )
    @functools.wraps(func)
    def wrapper(*args, thresholds, alpha, **kwargs):
        from normkit.jobs.drift import DEFAULT_THRESHOLD, DriftOptions

        every, columns = None, {}
        for value in thresholds:
            twice = sorted(set(value) & set(columns)) if isinstance(value, dict) else []
            if twice or (not isinstance(value, dict) and every is not None):
                problem = (
                    f"must be given once for column {quoted(twice[0])}, not twice"
                    if twice
                    else "must be given once without COL= (it sets every column's threshold), "
                    f"not twice ({every:g} and {value:g}); COL=K sets one column's"
                )
                raise click.BadParameter(problem, param_hint="--threshold")
            if isinstance(value, dict):
                columns.update(value)
            else:
                every = value
        every = DEFAULT_THRESHOLD if every is None else every
        return func(*args, judging=DriftOptions(every, alpha, columns), **kwargs)

    return wrapper


def affine_options(func: Callable) -> Callable:
    """Add ``--gamma`` and ``--beta`` (BatchNorm's affine parameters)."""
    func = option(
        "--beta",
        param="beta",
        type=Affine("beta"),
        help="BatchNorm's shift beta: one number, or col=value,... (default: as stored, else 0).",
    )(func)
    return option(
        "--gamma",
        param="gamma",
        type=Affine("gamma"),
        help="BatchNorm's scale gamma: one number, or col=value,... (default: as stored, else 1).",
    )(func)


def use_option(func: Callable) -> Callable:
    return option(
        "--use",
        param="use",
        help="Statistics of a frozen transform: exact (default) or the running (EMA) ones, "
        "normalized as BatchNorm's eval mode: (x - running_mean) / sqrt(running_var + eps).",
    )(func)


def keep_text_option(func: Callable) -> Callable:
    return option(
        "--keep-text",
        param="keep_text",
        is_flag=True,
        help="From CSV to Parquet or Arrow, keep the other columns as text (by default they get "
        "the types of their first rows, such as int64 or bool).",
    )(func)


def mode_option(help: str) -> Callable:
    return option("--mode", param="mode", default="frozen", show_default=True, help=help)


def engine_options(func: Callable) -> Callable:
    """Add ``--engine``, ``--scheduler`` and ``--workers``, passed to the command as one
    ``cluster`` argument: None for the local engine, else a ``ClusterOptions``."""

    @click.option(
        "--engine",
        cls=LibraryOption,
        type=Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="local: one streaming pass in this process. dask: the files are parts processed "
        "on a Dask cluster (needs normkit[dask]); statistics equal the local engine's to rounding "
        "(a few units in the last place), transforms bit for bit.",
    )
    @option(
        "--scheduler",
        metavar="ADDRESS",
        help="With --engine dask: address of a running Dask scheduler (tcp://host:8786). "
        "Default: start a local cluster for the job.",
    )
    @option(
        "--workers",
        param="workers",
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
        from normkit.jobs.dask import ClusterOptions

        return func(*args, cluster=ClusterOptions(scheduler, workers), **kwargs)

    return wrapper
