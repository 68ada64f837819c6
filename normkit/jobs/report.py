"""A report of data against its statistics: one self-contained HTML page (and PNG files).

One streaming pass over the data collects, in bounded memory:

- a uniform sample of each column's values (the same bottom-k samples as fit's sketch,
  :mod:`normkit.core.sketch`), for histograms of raw and of normalized values;
- the exact moments of the data, to set beside the stat file's;
- the running (EMA) statistics over the data's logical batches, with the stat file's EMA options,
  recorded after every batch (thinned evenly to fewer than ``2 * TRAJECTORY_POINTS`` points).

Per column the page shows four plots (raw histogram with the stat file's exact and EMA means and
this data's mean where it differs, normalized histogram with the standard normal density,
running mean and running standard deviation over batches beside the exact values), and a summary
table for all columns. Histograms frame the data, not the statistics (a statistic beyond the
frame is a triangle on its edge), and bin integers one per integer: :mod:`normkit.jobs.plots`.
Plots are drawn with matplotlib (the ``report`` extra) on its headless Agg backend and embedded
as base64 PNG.
"""

from __future__ import annotations

import io
import math
import os
import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .. import params
from ..core.accumulator import Accumulator
from ..core.running import EmaOptions, StepRecord
from ..core.sketch import sample_size
from ..errors import (
    OptionError,
    OutputError,
    SchemaError,
    absent_name_hints,
    param,
    refuse_two_readings,
)
from ..estimator.files import as_stats, stats_path
from ..estimator.standardizer import Standardizer
from ..io.dataset import expand_inputs, open_dataset
from ..io.files import AtomicFile, StagedDirectory, check_output_path, refuse_overwrite
from ..io.formats import STDIO
from ..io.options import ReadOptions
from ..stats.fitted import FittedStats, StatsOptions
from .plots import (
    NORMAL_REACH,
    Frame,
    StatLine,
    data_frame,
    draw_histogram,
    draw_normal_density,
    draw_stat_lines,
    format_values,
    literal_text,
    normalized_frame,
    pyplot,
    readable_ticks,
)
from .recipes import refuse_other_scale
from .report_page import TRAJECTORY_POINTS, ReportData, html_page
from .sources import Progress, feed, require_rows, stats_for_dataset

__all__ = [
    "TRAJECTORY_POINTS",
    "ReportData",
    "ReportOptions",
    "ReportResult",
    "Trajectory",
    "check_outputs",
    "collect",
    "report_files",
    "write_report",
]


class Trajectory:
    """Records the running statistics after every batch of a pass (an observer of its
    :class:`~normkit.core.running.StepRecord` records), thinned: when ``2 * TRAJECTORY_POINTS``
    points are kept, every other one is dropped and only every ``stride``-th batch is recorded
    from then on."""

    def __init__(self, n_columns: int):
        self.n_columns = n_columns
        self.stride = 1
        self.n_batches = 0
        self.batches: list[int] = []
        self.means: list[np.ndarray] = []
        self.vars: list[np.ndarray] = []
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def observe(self, record: StepRecord) -> None:
        path = record.path
        for k in range(record.steps.n_batches):
            number = record.first_batch + k + 1
            if number % self.stride == 0:
                self.batches.append(number)
                self.means.append(path.mean[k])
                self.vars.append(path.var[k])
        self.n_batches = record.first_batch + record.steps.n_batches
        self._last = (path.mean[-1].copy(), path.var[-1].copy())
        while len(self.batches) >= 2 * TRAJECTORY_POINTS:
            self.stride *= 2
            keep = [i for i, b in enumerate(self.batches) if b % self.stride == 0]
            self.batches = [self.batches[i] for i in keep]
            self.means = [self.means[i] for i in keep]
            self.vars = [self.vars[i] for i in keep]

    def points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Batch numbers, running means and running variances recorded, the last batch's state
        always included."""
        batches, means, variances = list(self.batches), list(self.means), list(self.vars)
        if self._last is not None and (not batches or batches[-1] != self.n_batches):
            batches.append(self.n_batches)
            means.append(self._last[0])
            variances.append(self._last[1])
        n = self.n_columns
        return (
            np.array(batches, dtype=np.int64),
            np.array(means).reshape(-1, n),
            np.array(variances).reshape(-1, n),
        )


@dataclass(frozen=True)
class ReportOptions:
    """What a report shows and where it goes.

    Parameters
    ----------
    html : path or None
        The HTML page (self-contained, images embedded); ``"-"``: standard output.
    png_dir : path or None
        A directory for one PNG per column. At least one of ``html`` and ``png_dir``.
    sample_rows : int or None
        Values sampled per column for the histograms; default :func:`~normkit.core.sketch.
        sample_size`'s (10,000, fewer for very wide data).
    columns : sequence of str or None
        Only these columns of the statistics; default all.
    """

    html: str | os.PathLike[str] | None = None
    png_dir: str | os.PathLike[str] | None = None
    sample_rows: int | None = None
    columns: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.html is None and self.png_dir is None:
            raise OptionError(
                f"nothing to write: give an HTML output ({param('html')}) or a PNG directory "
                f"({param('png_dir')})"
            )
        html = None if self.html is None else os.fspath(self.html)
        if html is not None and html != STDIO and not html.lower().endswith((".html", ".htm")):
            raise OptionError(
                f"{html}: the report is an HTML page: name it .html (or give {param('png_dir')} "
                "for PNG files)",
                param="html",
            )
        params.check("sample_rows", self.sample_rows)
        if self.columns is not None:
            params.check("columns", self.columns)


@dataclass(frozen=True)
class ReportResult:
    """What a report wrote: the paths, and the rows and columns it shows."""

    written: list[str]
    rows: int
    columns: int
    sample_size: int


def report_files(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    stats: Standardizer | FittedStats | str | os.PathLike[str],
    options: ReportOptions,
    read: ReadOptions | None = None,
    progress: Progress | None = None,
) -> ReportResult:
    """Read the data once and write the report: the HTML page and/or one PNG per column.

    Outputs that would overwrite an input or the stat file are refused before anything is read.

    Parameters
    ----------
    inputs : path or sequence of paths
    stats : Standardizer, FittedStats or path
        The statistics, or the stat file to read them from.
    options : ReportOptions
    read : ReadOptions or None
    progress : callable(reader, rows) or None
    """
    read = read or ReadOptions()
    stats_file = stats_path(stats)
    kept = dict.fromkeys(
        (f.path for f in expand_inputs(_as_list(inputs), read.format) if f.path != STDIO),
        "the input",
    )
    if stats_file is not None:
        kept[stats_file] = "the stat file"
    check_outputs(options, kept)
    data = collect(inputs, stats, options, read, progress)
    written = write_report(data, options, stats_file, kept)
    return ReportResult(written, data.data.n_rows, len(data.names), data.sample_size)


def _as_list(inputs) -> list:
    return params.one_or_many("inputs", inputs)


def collect(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    stats: Standardizer | FittedStats | str | os.PathLike[str],
    options: ReportOptions,
    read: ReadOptions | None = None,
    progress: Progress | None = None,
) -> ReportData:
    """Read the data once and collect what the report shows."""
    stats = as_stats(stats)
    told = read or ReadOptions()
    read = told.completed_by(stats.read)
    if options.columns is not None:
        passed = [p.name for p in stats.passthrough or ()]
        refuse_two_readings("columns", options.columns, [*stats.names, *passed])
        columns = [str(c) for c in options.columns]
        unknown = [c for c in columns if c not in stats.names]
        if unknown:
            passed = {p.name: p.why for p in stats.passthrough or ()}
            why = passed.get(unknown[0])
            given = f"(given in {param('columns')})"
            message = (
                f"the stat file normalizes no column {unknown[0]!r} {given}: the fit passed it "
                f"through ({why}), and the report shows normalized columns"
                if why is not None
                else f"the stat file has no column {unknown[0]!r} {given}"
            )
            hints = (
                ()
                if why is not None
                else absent_name_hints(unknown, stats.names, "the stat file has")
            )
            raise SchemaError(message, param="columns", hints=hints)
        stats = stats.select(columns)
    sources = open_dataset(inputs, read, told=told)
    stats = stats_for_dataset(stats, sources)
    names = list(stats.names)
    refuse_other_scale(sources, stats)  # as drift: raw against raw
    running = stats.running.options if stats.running is not None else EmaOptions()
    size = options.sample_rows if options.sample_rows is not None else sample_size(len(names))
    trajectory = Trajectory(len(names))
    accumulator = Accumulator(names, running=running, observers=[trajectory], sample_size=size)
    feed(accumulator, sources, names, progress)
    require_rows(accumulator.n_rows, sources)
    result = accumulator.finish()
    n = len(names)
    data = FittedStats.from_pass(
        names, stats.dtypes, result, StatsOptions(ddof=stats.options.ddof), np.ones(n), np.zeros(n)
    )
    batches, running_mean, running_var = trajectory.points()
    return ReportData(
        stats=stats,
        data=data,
        samples=[result.sample.values(j) for j in range(n)],
        batches=batches,
        running_mean=running_mean,
        running_var=running_var,
        ema_options=running,
        ema_from_stats=stats.running is not None,
        sources=[s.name for s in sources],
        sample_size=size,
    )


@literal_text()
def column_figure(report: ReportData, j: int):
    """The four plots of column ``j``, as a matplotlib figure (see :mod:`normkit.jobs.plots`
    for their frames, bins and labels); its texts drawn as written (:func:`literal_text`)."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator  # after pyplot(): matplotlib is optional

    stats, data, name = report.stats, report.data, report.names[j]
    values = report.samples[j]
    values = values[np.isfinite(values)]
    mean, scale = float(stats.mean[j]), float(stats.scale[j])
    # Legends resolve a thousandth of the column's spread: the mean of data around 1e6 with a
    # standard deviation of 10 prints as 1000000.008, not 1e+06.
    resolution = 1e-3 * scale
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.2), dpi=80)
    raw, normal, run_mean, run_std = axes.ravel()

    # No values here: the frame where the stat file says they would be.
    reach = (mean - NORMAL_REACH * scale, mean + NORMAL_REACH * scale)
    frame = data_frame(values, reach if all(map(math.isfinite, reach)) else (-1.0, 1.0))
    z = (values - mean) / scale
    z_frame = normalized_frame(frame, z, mean, scale)
    # Weighted statistics beside this data's, read unweighted (as the page's note says).
    told = (", weighted", ", unweighted", " (unweighted)") if stats.weighted else ("", "", "")
    weighted, unweighted, running = told
    lines = [StatLine(f"mean (stat file{weighted})", mean, "k")]
    if stats.running is not None:
        lines.append(
            StatLine("EMA mean (stat file)", float(stats.running.running_mean[j]), "#c44e52", "--")
        )
    data_mean = float(data.mean[j])
    if abs(data_mean - mean) > resolution:  # else the same line
        lines.append(StatLine(f"mean (this data{unweighted})", data_mean, "#8172b2", ":"))
    for ax, shown, shown_frame, color, density in (
        (raw, values, frame, "#4c72b0", False),
        (normal, z, z_frame, "#55a868", True),
    ):
        top = draw_histogram(ax, shown, shown_frame, color, density)
        if ax is normal:
            top = max(top, draw_normal_density(ax, z_frame))
            left, right = draw_stat_lines(
                ax,
                [StatLine("N(0, 1) mean", 0.0, "k")] if not z_frame.contains(0.0) else [],
                z_frame,
                1e-3,
            )
        else:
            left, right = draw_stat_lines(ax, lines, frame, resolution)
        if shown_frame.edges is None and len(shown):
            ax.text(  # beside the line drawn in the frame's middle
                0.53,
                0.5,
                f"all {len(shown):,} values "
                + format_values([shown[0]], resolution if ax is raw else 1e-3)[0],
                transform=ax.transAxes,
                ha="left",
                fontsize=9,
            )
        elif not len(shown):
            # Beside the mean's line, in the middle; above the normal density's peak.
            x, y = (0.75, 0.5) if ax is raw else (0.5, 0.75)
            ax.text(x, y, "no values", transform=ax.transAxes, ha="center", fontsize=9)
        ax.set_xlim(shown_frame.low, shown_frame.high)
        # The top third is free for the legend and the marks of statistics beyond the frame.
        ax.set_ylim(0, 1.6 * (top or 1.0))
        readable_ticks(ax.xaxis, shown_frame.low, shown_frame.high, ax is raw and frame.integer)
        corner = "upper center" if left and right else "upper left" if right else "upper right"
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc=corner, fontsize=8)
    raw.set_ylabel("values")
    normal.set_ylabel("density")
    raw.set_title(f"raw values ({len(values):,} sampled{_outside(frame)})", fontsize=10)
    shown_mean, shown_scale = format_values([mean, scale], resolution)
    normal.set_title(f"normalized: (x - {shown_mean}) / {shown_scale}", fontsize=10)
    if len(report.batches):
        # A few batches: each a dot, so that one batch shows.
        dots = {"marker": "o", "ms": 3} if len(report.batches) < 30 else {}
        run_mean.plot(
            report.batches,
            report.running_mean[:, j],
            color="#c44e52",
            lw=1.2,
            label=f"running mean{running}",
            **dots,
        )
        run_std.plot(
            report.batches,
            np.sqrt(report.running_var[:, j]),
            color="#c44e52",
            lw=1.2,
            label=f"running std{running}",
            **dots,
        )
    run_mean.axhline(mean, color="k", lw=1, label=f"exact mean (stat file{weighted})")
    std = math.sqrt(float(stats.var[j]))
    run_std.axhline(std, color="k", lw=1, label=f"exact std (stat file{weighted})")
    for ax, exact, path in (
        (run_mean, mean, report.running_mean[:, j]),
        (run_std, std, np.sqrt(report.running_var[:, j])),
    ):
        # Show the exact value inside the frame, not on its edge.
        shown = np.concatenate([path[np.isfinite(path)], [exact]])
        low, high = float(shown.min()), float(shown.max())
        pad = 0.08 * (high - low) or 0.08 * max(abs(high), 1e-300)
        ax.set_ylim(low - pad, high + pad)
        readable_ticks(ax.yaxis, low - pad, high + pad)
    options = report.ema_options
    momentum = "cumulative" if options.cumulative else f"momentum {options.momentum_value:g}"
    for ax, what in ((run_mean, "mean"), (run_std, "std")):
        ax.set_title(
            f"running {what} over batches of {options.batch_size} ({momentum})", fontsize=10
        )
        ax.set_xlabel("batch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10], min_n_ticks=1))
        if len(report.batches) and report.batches[-1] < 10:  # whole batches, not 0.96..1.04
            ax.set_xlim(0.5, report.batches[-1] + 0.5)
        # The note heads the mean's legend, which "best" keeps clear of the lines (drawn at
        # the top left, it lay over an exact mean near the top).
        note = "EMA options: defaults\n(none in the stat file)"
        title = note if ax is run_mean and not report.ema_from_stats else None
        ax.legend(loc="best", fontsize=8, title=title, title_fontsize=8)
    fig.suptitle(name, fontsize=12, fontweight="bold")
    fig.tight_layout()
    return fig


def _outside(frame: Frame) -> str:
    parts = [f"{n:,} {where}" for n, where in ((frame.below, "below"), (frame.above, "above")) if n]
    return f"; {' and '.join(parts)} the frame" if parts else ""


def _png(fig) -> bytes:
    plt = pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _slugs(names: Sequence[str]) -> list[str]:
    """File and anchor names for columns: safe characters, at most 80 of them, unique even on a
    file system that ignores case. A name that is safe as it is keeps it (``a_b`` is
    ``a_b.png``, whatever column ``a b`` before it becomes), the others are numbered."""
    # Letters and digits of any script are kept (温度.png, Größe.png): a file system takes them.
    bare = [(re.sub(r"[^\w.-]+", "_", name).strip("._") or "column")[:80] for name in names]
    slugs: list[str | None] = [None] * len(names)
    used: set[str] = set()
    for i, (name, slug) in enumerate(zip(names, bare, strict=True)):
        if slug == name and slug.lower() not in used:
            slugs[i] = slug
            used.add(slug.lower())
    for i, slug in enumerate(bare):
        if slugs[i] is not None:
            continue
        candidate, k = slug, 1
        while candidate.lower() in used:
            k += 1
            candidate = f"{slug}_{k}"
        used.add(candidate.lower())
        slugs[i] = candidate
    return [slug for slug in slugs if slug is not None]


def write_report(
    report: ReportData,
    options: ReportOptions,
    stats_file: str | None = None,
    kept: Mapping[str, str] | None = None,
) -> list[str]:
    """Write the HTML page (atomically; ``"-"``: standard output) and/or one PNG per column;
    the paths written. Outputs that would overwrite a file in ``kept`` (path -> what it is) are
    refused before anything is drawn."""
    slugs = _slugs(report.names)
    check_outputs(options, kept or {}, slugs)
    html_path = None if options.html is None else os.fspath(options.html)
    png_dir = None if options.png_dir is None else os.fspath(options.png_dir)
    with warnings.catch_warnings():
        # A name in a script the plots' font lacks (温度) is drawn as boxes; the page's headings
        # and the files' names name the column, and matplotlib's warning per glyph says no more.
        warnings.filterwarnings(
            "ignore", message=r"Glyph \d+ .* missing from ", category=UserWarning
        )
        images = [_png(column_figure(report, j)) for j in range(len(report.names))]
    written = []
    # The PNG files appear all or none, and with the page: staged, then moved into place when
    # the page is (a file of the page fails, or Ctrl-C: the directory keeps what it had).
    pngs = None if png_dir is None else StagedDirectory(png_dir)
    try:
        if pngs is not None:
            for slug, image in zip(slugs, images, strict=True):
                pngs.write(f"{slug}.png", image)
                written.append(os.path.join(png_dir, f"{slug}.png"))
        commit_pngs = pngs.commit if pngs is not None else None
        if html_path is not None and html_path != STDIO:
            page = html_page(report, images, slugs, stats_file).encode("utf-8")
            html = AtomicFile(html_path)
            try:
                html.stream.write(page)
                html.commit(after=commit_pngs)
            except OSError as exc:
                html.discard()
                if isinstance(exc, BrokenPipeError):
                    raise
                raise html.write_error(exc) from None
            except BaseException:
                html.discard()
                raise
        elif commit_pngs is not None:
            commit_pngs()
        if html_path == STDIO:
            sys.stdout.buffer.write(html_page(report, images, slugs, stats_file).encode("utf-8"))
            sys.stdout.buffer.flush()
        if html_path is not None:
            written.append(html_path)
    except BaseException:
        if pngs is not None:
            pngs.discard()
        raise
    return written


def check_outputs(
    options: ReportOptions, kept: Mapping[str, str], slugs: Sequence[str] = ()
) -> None:
    """Refuse outputs that cannot be written or would overwrite a file in ``kept`` (path ->
    what it is: the inputs, the stat file); ``slugs`` name the PNG files."""
    if options.html is not None and os.fspath(options.html) != STDIO:
        check_output_path(os.fspath(options.html))
        refuse_overwrite(options.html, kept, "the report")
    if options.png_dir is not None:
        png_dir = os.fspath(options.png_dir)
        if os.path.exists(png_dir) and not os.path.isdir(png_dir):
            raise OutputError(f"{png_dir}: exists and is not a directory")
        if not os.path.isdir(png_dir):
            check_output_path(png_dir, directory=True)
        for slug in slugs:
            path = os.path.join(png_dir, f"{slug}.png")
            if os.path.lexists(path):  # a directory where a PNG goes, a directory not writable
                check_output_path(path)
            refuse_overwrite(path, kept, "a PNG")
