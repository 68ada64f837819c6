"""The Dask engine: fit and transform a data set of many files on a Dask cluster.

Needs the ``dask`` extra (``pip install 'normkit[dask]'``: ``dask[dataframe]`` and
``distributed``). Every worker must have normkit installed and see the files at the same paths
(shared storage). Without a scheduler address, a ``distributed.LocalCluster`` is started on this
machine for the job and stopped after it.

Fit
    Each file is a part. A worker reads it with normkit's own readers and returns its
    :class:`normkit.jobs.parts.PartFit`: exact moments, and the running statistics as an EMA segment.
    The parts are combined on the workers by a tree reduction (groups of :data:`SPLIT_EVERY`
    adjacent parts, level by level, in file order) and the result is the same stat file as the
    local engine's: the exact moments merge by Chan et al.'s update, and the EMA segments compose
    exactly because each part was computed knowing where the logical batch boundaries fall in it.

    Batch boundaries across files: batches run over the concatenation of the files in the local
    engine's order, so a batch may begin in one file and end in the next. A part must therefore
    know the index of its first row in the data set before it is fitted. A first, cheap round
    counts rows (Parquet and Arrow from metadata; CSV by counting lines, a prediction). After the
    fit, the rows actually read are checked against the counts, and any part whose first row
    fell elsewhere within its batch is fitted again with the true index, so a wrong prediction
    (a quoted line break, say) costs time, never exactness. Without running statistics there is no
    counting round.

Transform
    Each file is transformed (frozen statistics) by a worker into a part file, written atomically
    into a hidden directory beside the output; an index of the parts (``_parts.json``) is written
    last and the directory is renamed into place, so the output appears whole or not at all.
    Hive ``key=value`` directories of the input are kept in the output: the keys, columns of
    the rows read (:mod:`normkit.io.partitions`), are the parts' directories, not columns in
    them, so that the output read as a data set has them again, as the local engine writes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .. import params
from ..errors import NormkitError, NormkitNote, OptionError, OutputError, param
from ..estimator.files import as_stats, saved, stats_path
from ..estimator.standardizer import Standardizer
from ..io.dataset import (
    dataset_dtypes,
    expand_inputs,
    open_dataset,
    reference_schema,
    refuse_csv_options,
)
from ..io.files import check_output_path, umask
from ..io.formats import STDIO, Format, resolve_format
from ..io.options import ReadOptions
from ..io.reader import Reader
from ..io.sinks import open_sink
from ..stats import statfile
from ..stats.fitted import FittedStats
from ..stats.passthrough import categorical_columns
from ..stats.recipe import Recipe, inverse_settings
from ..stats.shift import per_column
from .categories import booleans_as_found
from .columntypes import check_dataset_types, passed_through_as_written, settle_as_recorded
from .fit import chosen_by_name, conclude_fit
from .outputs import before_writing
from .parts import PartFit, combine_parts, count_rows, fit_part, stats_from_parts
from .recipes import refuse_mixed_scales
from .restore import transformed_dtypes
from .sources import (
    about_stat_file,
    detected_dialect,
    identifier_check,
    read_encoding,
    renamed_columns,
    require_rows,
    select_dataset_columns,
    stats_for_dataset,
)
from .transform import TransformOptions, transform_file, warn_far
from .weights import (
    chosen_weight_column,
    mark_weight,
    reading_weights,
    weights_as_read,
    without_weight,
)

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["INDEX_NAME", "ClusterOptions", "fit_dask", "transform_dask"]

#: Parts (or partial results) combined per task of the tree reduction.
SPLIT_EVERY = 8

#: Seconds to wait for a worker to join an existing scheduler.
WAIT_FOR_WORKERS = 60

#: The index of a transform's part files, in the output directory.
INDEX_NAME = "_parts.json"

_EXTENSIONS = {Format.CSV: ".csv", Format.PARQUET: ".parquet", Format.ARROW: ".arrow"}


@dataclass(frozen=True)
class ClusterOptions:
    """Where the Dask engine runs.

    Parameters
    ----------
    scheduler : str or None
        Address of a running Dask scheduler (``tcp://host:8786``); None starts a local cluster.
    workers : int or None
        Worker processes of the local cluster (one thread each); default: one per core.
    """

    scheduler: str | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        params.check("workers", self.workers)
        if self.scheduler is not None and self.workers is not None:
            raise OptionError(
                f"{param('workers')} sizes the local cluster normkit starts; with "
                f"{param('scheduler')} the cluster is already running",
                param="workers",
            )


@contextlib.contextmanager
def connect(options: ClusterOptions) -> Iterator[Client]:
    """A client of the cluster ``options`` names (a local one is started and stopped)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise OptionError("the Dask engine needs Dask: pip install 'normkit[dask]'") from None
    # A task that fails on a user's data is reported once, as normkit's one-line error; the
    # workers' own log of it (with a traceback) would repeat it once per file.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    if options.scheduler is not None:
        try:
            client = Client(options.scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise OptionError(
                f"cannot reach the Dask scheduler at {options.scheduler}: {exc}"
            ) from None
        with client:
            try:
                client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
            except TimeoutError:
                raise OptionError(
                    f"the Dask scheduler at {options.scheduler} has no worker (waited "
                    f"{WAIT_FOR_WORKERS} s); start some with 'dask worker {options.scheduler}'"
                ) from None
            yield client
        return
    workers = options.workers or _cores()
    try:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: never clash with a running cluster
            silence_logs=logging.CRITICAL,
        )
    except RuntimeError as exc:
        # Worker processes start by importing the caller's main module: a script that starts
        # a cluster at import time (no ``if __name__ == "__main__":``) cannot be imported so.
        raise OptionError(
            f"could not start a local Dask cluster ({exc}); from a Python script, call normkit "
            "under 'if __name__ == \"__main__\":'"
        ) from None
    with cluster, Client(cluster) as client:
        yield client


def _cores() -> int:
    """The cores this process may run on (affinity), else the machine's."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


#: Called with (files done, files in all) as a Dask job progresses.
PartsProgress = Callable[[int, int], None]


def _gather(client: Client, futures: list, progress: PartsProgress | None) -> list:
    """The results of ``futures`` (small ones), reporting progress as each finishes."""
    if progress is not None:
        from distributed import as_completed

        for done, _ in enumerate(as_completed(futures), start=1):
            progress(done, len(futures))
    return client.gather(futures)


def _at_row(part: PartFit, first_row: int) -> PartFit:
    return replace(part, first_row=first_row)


def _rows(part: PartFit) -> int:
    return part.rows


def _files(sources: list[Reader]) -> list[Reader]:
    """Refuse standard input and pipes: workers open the files themselves."""
    for source in sources:
        if source.is_stream:
            raise OptionError(f"{source.name}: the Dask engine reads files, not streams")
    return sources


def _starts(counts: Sequence[int]) -> list[int]:
    starts, total = [], 0
    for count in counts:
        starts.append(total)
        total += count
    return starts


def fit_dask(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    estimator: Standardizer | None = None,
    read: ReadOptions | None = None,
    cluster: ClusterOptions | None = None,
    output: str | os.PathLike[str] | None = None,
    progress: PartsProgress | None = None,
    *,
    weight_column: str | None = None,
) -> Standardizer:
    """Fit statistics over a data set on a Dask cluster; equal to :func:`normkit.fit_files`.

    Parameters
    ----------
    inputs : path or sequence of paths
        Files, directories or glob patterns (not standard input).
    estimator : Standardizer or None
    read : ReadOptions or None
    cluster : ClusterOptions or None
        Default: a local cluster with one worker process per core.
    output : path or None
        The stat file to write, as :func:`normkit.fit_files` writes it.
    progress : callable(done, total) or None
        Called as files are fitted.
    weight_column : str or None
        The rows' sample weights, as for :func:`normkit.fit_files` (no running statistics, so
        no counting round).

    Returns
    -------
    Standardizer
    """
    estimator = params.or_default("estimator", estimator, Standardizer)
    read = params.or_default("read", read, ReadOptions)
    params.callback("progress", progress)
    cluster = params.or_default("cluster", cluster, ClusterOptions)
    output = params.path("output", output, optional=True)
    weight_column = chosen_weight_column(estimator, weight_column)
    options = estimator.stats_options()
    sources = _files(open_dataset(inputs, read, output, "the stat file", told=read))
    if output is not None:
        statfile.check_stat_path(output)
    names = select_dataset_columns(estimator, sources, weight_column)
    if weight_column is not None:
        estimator.refuse_running_with_weights()
        names = without_weight(estimator, sources, names, weight_column)
    refuse_mixed_scales(sources, names)
    dtypes = dataset_dtypes(sources, names)
    # As fit_files: chosen by its type, a typed column's integer beyond int64 is refused.
    identifiers = identifier_check(sources, dtypes, names, estimator.columns is None)
    schema = reference_schema(sources)  # as fit_files: a column empty in the first file typed
    gamma = per_column(estimator.gamma, names, "gamma", 1.0, schema.names)
    beta = per_column(estimator.beta, names, "beta", 0.0, schema.names)
    passthrough = tuple(mark_weight(estimator.passed_through(schema, names), weight_column))
    categories = categorical_columns(schema, passthrough)
    # The CSV dialect the files share, as detected here: the workers read them the same way;
    # but the quote and escape characters not given, which they detect again as found here, so
    # that what is refused where they were detected (a stray quote's rows) is refused there too.
    detected, given = detected_dialect(sources), read
    if detected is not None:
        read = replace(read, csv=replace(detected, quote=read.csv.quote, escape=read.csv.escape))
    paths = [os.path.abspath(s.path) for s in sources]
    keys = [s.partition if s.keys else None for s in sources]  # their hive directories'
    # BatchNorm's running statistics have no sample weights: a weighted fit has none.
    ema = estimator.ema_options() if weight_column is None else None
    chosen = names if estimator.columns is not None else ()  # by name: left out, not excluded
    with reading_weights(weight_column), chosen_by_name(chosen), connect(cluster) as client:
        if ema is not None:
            predicted = _starts(client.gather(client.map(count_rows, paths, read=read, pure=False)))
        else:
            predicted = [0] * len(paths)
        parts = client.map(
            fit_part,
            paths,
            range(len(paths)),
            predicted,
            keys,
            read=read,
            names=names,
            ema=ema,
            categories=categories,
            weight_column=weight_column,
            identifiers=identifiers,
            pure=False,
        )
        actual = _starts(_gather(client, client.map(_rows, parts, pure=False), progress))
        for i, (guess, start) in enumerate(zip(predicted, actual, strict=True)):
            if guess == start:
                continue
            if ema is None or guess % ema.batch_size == start % ema.batch_size:
                parts[i] = client.submit(_at_row, parts[i], start, pure=False)
            else:  # the batch boundaries fall elsewhere in this file: fit it again
                parts[i] = client.submit(
                    fit_part,
                    paths[i],
                    i,
                    start,
                    keys[i],
                    read,
                    names,
                    ema,
                    categories,
                    weight_column,
                    identifiers,
                    pure=False,
                )
        level = parts
        while len(level) > 1:
            level = [
                client.submit(combine_parts, level[i : i + SPLIT_EVERY], ema, pure=False)
                for i in range(0, len(level), SPLIT_EVERY)
            ]
        total = level[0].result()
    require_rows(total.rows, sources)
    stats = stats_from_parts(names, dtypes, total, options, ema, gamma, beta)
    # The options given, and the dialect and encoding the files were read in.
    settings = given.settings(detected, renamed_columns(sources), read_encoding(sources))
    passthrough = booleans_as_found(passthrough, stats.categories or {})
    passthrough = passed_through_as_written(passthrough, sources, names)
    passthrough = tuple(weights_as_read(passthrough, sources, weight_column))
    stats = replace(stats, read=settings, passthrough=passthrough, inputs=tuple(schema.names))
    stats = conclude_fit(stats, sources, total.sources, by_type=estimator.columns is None)
    fitted = Standardizer.from_stats(
        stats, **{**estimator.get_params(), "weight_column": weight_column}
    )
    return saved(fitted, output)


def transform_part(
    path: str,
    part_path: str,
    stats: str,
    options: TransformOptions,
    read: ReadOptions,
    order: Sequence[str],
    dtypes: Mapping[str, str] | None = None,
) -> int:
    """Transform one file into one part file (atomically), its columns in ``order`` (every
    part's, the data set's first file's), its record keeping the set's ``dtypes``; the number
    of rows written."""
    parsed = statfile.parse(stats)
    with warnings.catch_warnings():
        # The job's notes are the whole data set's, given once by transform_dask.
        warnings.simplefilter("ignore", NormkitNote)
        return transform_file(
            path, parsed, part_path, options, read, column_order=order, recorded_dtypes=dtypes
        ).rows


@dataclass(frozen=True)
class PartsResult:
    """What a transform into part files did."""

    rows: int
    output: str
    format: Format
    parts: int
    keys: tuple[str, ...] = ()  # the hive partition keys, kept as the parts' directories


def transform_dask(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    stats: Standardizer | FittedStats | str | os.PathLike[str],
    output: str | os.PathLike[str],
    options: TransformOptions | None = None,
    read: ReadOptions | None = None,
    cluster: ClusterOptions | None = None,
    *,
    protected: Sequence[str | os.PathLike[str]] = (),
    progress: PartsProgress | None = None,
) -> PartsResult:
    """Frozen transform of every file of a data set, on a Dask cluster, into a directory of part
    files (one per input file, in the same order) with an index, ``_parts.json``.

    Parameters
    ----------
    inputs : path or sequence of paths
    stats : Standardizer, FittedStats or path
        Fitted statistics, or the stat file to read them from.
    output : path
        A directory that does not exist yet (or is empty); it appears whole when the job ends.
    options : TransformOptions or None
        As for :func:`normkit.transform_file`; frozen transforms only. The part files' format
        is ``options.output_format``, else the output directory's extension's
        (``out.parquet/``), else the first input file's.
    read : ReadOptions or None
    cluster : ClusterOptions or None
    protected : sequence of paths
        Files that must not be inside the output (the stat file).
    progress : callable(done, total) or None
        Called as part files are written.

    Returns
    -------
    PartsResult
    """
    options = params.or_default("options", options, TransformOptions)
    read = params.or_default("read", read, ReadOptions)
    params.callback("progress", progress)
    cluster = params.or_default("cluster", cluster, ClusterOptions)
    output = params.path("output", output)
    protected = params.one_or_many("protected", protected)
    if options.mode != "frozen":
        raise OptionError(
            f"the Dask engine runs frozen transforms only, not {param('mode', options.mode)}: "
            "batch and adaptive modes follow the rows one batch after another",
            param="mode",
        )
    if os.fspath(output) == STDIO:
        raise OptionError(
            f"the Dask engine writes a directory of part files: name it with {param('output')}",
            param="output",
        )
    stats_file = stats_path(stats)
    if stats_file is not None:
        protected = (*protected, stats_file)
    stats = as_stats(stats)
    read = read.completed_by(stats.read, own_output=options.inverse)
    output = os.path.abspath(os.fspath(output))
    files = expand_inputs(params.one_or_many("inputs", inputs), read.format)
    sources = _files(open_dataset(files, read))
    read_paths = {s.path for s in sources}  # an empty CSV file of a data set is no part
    files = [f for f in files if f.path in read_paths]
    # The hive keys stay the directories of the parts, not columns in them (as pyarrow.dataset
    # writes a partitioned data set): read as a data set, the output has them again.
    keys = sources[0].keys
    stats = stats_for_dataset(stats, sources)
    names = list(stats.names)
    normalized = [n for n in keys if n in names]
    if normalized:
        raise OptionError(
            f"the partition key {normalized[0]!r} is normalized by the stat file, and the Dask "
            "engine keeps the keys as the parts' directories; transform with the local engine"
        )
    fmt = _parts_format(output, options.output_format, sources[0].format)
    refuse_csv_options(sources, read, writes_csv=fmt is Format.CSV)
    recorded = [Recipe.of(s) is not None for s in sources]
    before_writing(sources, fmt, options, recorded, names)
    if fmt is not Format.CSV:  # one set of types for the parts (text of either width is one)
        if not options.keep_text:  # as each part reads them (a CSV's weights as float64)
            settle_as_recorded(sources, stats)
        check_dataset_types(sources, names, options.keep_text, cast=True)
    with about_stat_file(stats_file):  # bad options fail here, not on workers
        stats.frozen(options.use, options.gamma, options.beta)
        if options.inverse:  # and inputs that cannot be inverted as asked, as a data set
            gamma, beta = stats.affine(options.gamma, options.beta)
            inverse_settings(sources, stats, options.use, gamma, beta, options.asked)
    part_options = replace(options, output_format=fmt)
    _check_output_dir(output, [s.path for s in sources], protected)
    parent, name = os.path.split(output)
    staging = tempfile.mkdtemp(prefix=f".{name}.", suffix=".normkit-tmp", dir=parent)
    try:
        part_paths = []
        for i, data in enumerate(files):
            folder = os.path.join(staging, *(f"{k}={v}" for k, v in data.partition))
            os.makedirs(folder, exist_ok=True)
            part_paths.append(os.path.join(folder, f"part-{i:05d}{_EXTENSIONS[fmt]}"))
        text = statfile.to_text(stats)
        with connect(cluster or ClusterOptions()) as client:
            futures = client.map(
                transform_part,
                [os.path.abspath(s.path) for s in sources],
                part_paths,
                stats=text,
                options=part_options,
                read=read,
                order=[n for n in sources[0].schema.names if n not in keys],
                dtypes=None if options.inverse else transformed_dtypes(sources, names),
                pure=False,
            )
            try:
                rows = _gather(client, futures, progress)
            except NormkitError as exc:  # a part named where it goes, not where it is staged
                message = exc.message.replace(staging, output)
                raise type(exc)(message, param=exc.param, hints=exc.hints) from None
        _type_empty_parts(part_paths, rows, fmt)
        index = {
            "format": "normkit.parts",
            "version": 1,
            "output_format": str(fmt),
            "rows": sum(rows),
            "created": statfile.now(),
            "parts": [
                {
                    "path": os.path.relpath(part, staging).replace(os.sep, "/"),
                    "source": os.path.abspath(source.path),
                    "rows": count,
                    "bytes": os.path.getsize(part),
                }
                for part, source, count in zip(part_paths, sources, rows, strict=True)
            ],
        }
        with open(os.path.join(staging, INDEX_NAME), "w", encoding="utf-8") as f:
            json.dump(index, f, indent=1)
            f.write("\n")
        os.chmod(staging, 0o777 & ~umask())
        os.replace(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    warn_far(stats, options)
    return PartsResult(sum(rows), output, fmt, len(part_paths), keys)


def _type_empty_parts(paths: Sequence[str], rows: Sequence[int], fmt: Format) -> None:
    """Give the part files of inputs without rows (a CSV of only a header, whose columns have
    no type to tell) the schema of the first part with rows, so that the parts read as one
    data set, as the local engine's one output has one schema."""
    if fmt is Format.CSV or all(rows) or not any(rows):
        return
    import pyarrow as pa

    from ..io.lazy import ipc, pq

    typed = paths[next(i for i, n in enumerate(rows) if n)]
    if fmt is Format.PARQUET:
        schema = pq.read_schema(typed)
    else:  # written as its name says (open_ipc_writer): the file format, or the stream's
        try:
            schema = ipc.open_file(typed).schema
        except pa.ArrowInvalid:
            with ipc.open_stream(typed) as reader:
                schema = reader.schema
    for path, count in zip(paths, rows, strict=True):
        if not count:
            with open_sink(path, schema, fmt):
                pass  # no rows: the schema alone


def _parts_format(output: str, explicit: str | Format | None, input_format: Format) -> Format:
    """The format of the part files: as given; else as the output directory's extension says
    (``out.parquet/``, as Spark names data sets); else the input's."""
    if explicit is not None:
        return resolve_format("", explicit, param_name="output_format")
    try:
        return resolve_format(output.rstrip(os.sep))
    except OptionError:
        return input_format


def _check_output_dir(output: str, inputs: Sequence[str], protected: Sequence[str]) -> None:
    if os.path.isdir(output):
        if os.listdir(output):
            raise OutputError(
                f"{output}: the output directory exists and is not empty; remove it or name another"
            )
    elif os.path.exists(output):
        raise OutputError(
            f"{output}: exists and is not a directory (the Dask engine writes a "
            "directory of part files)"
        )
    else:
        check_output_path(output, directory=True)
    inside = output.rstrip(os.sep) + os.sep
    for path in (*inputs, *protected):
        if os.path.abspath(path).startswith(inside):
            raise OutputError(f"{output}: the output directory holds the input {path}")
