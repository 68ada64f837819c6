"""The HTML page of a report (:mod:`normkit.jobs.report`): a summary table of the stat file's
statistics beside the data's, then each column's plots; and what the report's pass collected
(:class:`ReportData`)."""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass

import numpy as np

from ..core.running import EmaOptions
from ..stats.fitted import FittedStats
from ..stats.passthrough import weight_column_of
from .plots import format_values

__all__ = ["SUMMARY_HEADERS", "TRAJECTORY_POINTS", "ReportData", "html_page", "summary_rows"]

#: Points kept of each running-statistics trajectory.
TRAJECTORY_POINTS = 1000


@dataclass
class ReportData:
    """What one pass over the data collected (see :mod:`normkit.jobs.report`)."""

    stats: FittedStats
    data: FittedStats
    samples: list[np.ndarray]  # per column, its sampled values
    batches: np.ndarray  # (n_points,) batch numbers
    running_mean: np.ndarray  # (n_points, n_columns)
    running_var: np.ndarray  # (n_points, n_columns)
    ema_options: EmaOptions
    ema_from_stats: bool  # False: the stat file has no EMA options, defaults were used
    sources: list[str]
    sample_size: int

    @property
    def names(self) -> list[str]:
        return list(self.stats.names)


def summary_rows(report: ReportData) -> list[list[str]]:
    """One row per column: its name, counts and the statistics of :data:`SUMMARY_HEADERS`, each
    to a millionth of the column's scale (``1000000.008``, not ``1e+06``), NaN as empty."""
    stats, data = report.stats, report.data
    rows = []
    for j, name in enumerate(report.names):
        ema_mean = ema_std = math.nan
        if stats.running is not None:
            ema_mean = float(stats.running.running_mean[j])
            ema_std = math.sqrt(float(stats.running.running_var[j]))
        numbers = [
            float(stats.mean[j]),
            math.sqrt(float(stats.var[j])),
            ema_mean,
            ema_std,
            float(data.mean[j]),
            math.sqrt(float(data.var[j])) if data.count[j] > data.options.ddof else math.nan,
        ]
        # This data's running statistics, where a batch of it updated them (a column with no
        # value here keeps BatchNorm's start, 0 and 1, which are no statistics of it).
        if data.running.n_updates[j] > 0:
            numbers.append(float(data.running.running_mean[j]))
            numbers.append(math.sqrt(float(data.running.running_var[j])))
        else:
            numbers += [math.nan, math.nan]
        shown = format_values(numbers, 1e-6 * float(stats.scale[j]), min_digits=8)
        rows.append(
            [name, f"{int(data.count[j]):,}", f"{int(data.n_missing[j]):,}"]
            + ["" if math.isnan(v) else text for v, text in zip(numbers, shown, strict=True)]
        )
    return rows


SUMMARY_HEADERS = [
    "column",
    "values",
    "missing",
    "mean (stat file)",
    "std (stat file)",
    "EMA mean (stat file)",
    "EMA std (stat file)",
    "mean (this data)",
    "std (this data)",
    "EMA mean (this data)",
    "EMA std (this data)",
]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f2f2f2; }
section { margin-top: 2.5em; }
img { max-width: 100%; }
.note { color: #555; font-size: 0.9em; }
"""


def html_page(
    report: ReportData, images: list[bytes], slugs: list[str], stats_path: str | None
) -> str:
    e = html.escape
    data, options = report.data, report.ema_options
    head = "".join(f"<th>{e(h)}</th>" for h in SUMMARY_HEADERS)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td><a href="#col-{e(slug)}">{e(row[0])}</a></td>' if i == 0 else f"<td>{e(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row, slug in zip(summary_rows(report), slugs, strict=True)
    )
    whose = (
        "the stat file's options"
        if report.ema_from_stats
        else ("default options (the stat file has none)")
    )
    weight = weight_column_of(report.stats.passthrough)
    by = f"column {weight!r}" if weight else "sample weights"
    weighted = (
        f" The stat file's statistics are weighted (by {by}); this data's, and its running "
        "statistics, are not: its rows weigh 1 each."
        if report.stats.weighted
        else ""
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>normkit report: {e(', '.join(report.sources))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>normkit report</h1>",
        f"<p>Data: {e(', '.join(report.sources))} ({int(data.n_rows):,} rows). "
        f"Statistics: {e(stats_path or 'given')}.</p>",
        '<p class="note">Histograms show a uniform sample of each column\'s values, '
        f"<strong>up to {report.sample_size:,} values</strong> per column (the number is over "
        "each histogram), drawn in the same single pass. Normalized values are "
        "(x - mean) / scale with the stat file's exact statistics. The running (EMA) statistics "
        f"are recomputed over this data in logical batches of {options.batch_size} rows with "
        f"{whose}, and shown after every batch (thinned evenly to at most "
        f"{2 * TRAJECTORY_POINTS:,} points, the last batch included).{e(weighted)}</p>",
        "<h2>Summary</h2>",
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
    ]
    for name, slug, image in zip(report.names, slugs, images, strict=True):
        encoded = base64.b64encode(image).decode("ascii")
        parts.append(
            f'<section id="col-{e(slug)}" class="column"><h2>{e(name)}</h2>'
            f'<img alt="plots of {e(name)}" src="data:image/png;base64,{encoded}"></section>'
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
