"""Text that the commands print: the tables of ``inspect`` and ``drift``."""

from __future__ import annotations

import math
import os
import shlex
from contextlib import contextmanager
from typing import TYPE_CHECKING

from normkit.errors import listed, quoted

from .render_categories import category_lines, changed_categories
from .types import one_line, quote_name, size_text

if TYPE_CHECKING:
    from normkit.errors import NormkitNote
    from normkit.jobs.drift import DriftReport
    from normkit.stats.fitted import FittedStats


def _share_ratio(change: float) -> str:
    """A category share's change, ``ln`` of its ratio, as the factor it was multiplied by (a
    fall to a fifth is ``x0.20``, not ``x5.00``); beyond a thousandfold, the ratio of a share
    from or to none (half a value counted) tells nothing more: ``x>1000``, ``x<0.001``."""
    if change != change:
        return "-"
    ratio = math.exp(change)
    if ratio > 1000:
        return "share x>1000"
    if ratio < 0.001:
        return "share x<0.001"
    return f"share x{ratio:.2f}" if ratio >= 0.01 else f"share x{ratio:.2g}"


def render_drift(report: DriftReport) -> str:
    """The drift table, one row per column, and a summary."""
    headers = ["column", "mean shift", "std ratio", "missing", "PSI", "KS", "p", ""]
    # Categories new or vanished, where any column has some: a last column of their own.
    changed = [changed_categories(c.new_categories, c.vanished_categories) for c in report.columns]
    any_changed = any(changed)  # once: asked again for each row, it took 2.5 s of 20,000
    if any_changed:
        headers.append("categories")
    rows = []
    for c, names in zip(report.columns, changed, strict=True):
        verdict = f"DRIFT ({', '.join(c.reasons)})" if c.drifted else "ok"
        if c.untested and not c.drifted:
            verdict = f"NOT TESTED ({', '.join(c.untested)}: above the threshold)"
        if c.kind == "categories":
            shift, spread = _share_ratio(c.largest_share_change), "-"
        elif c.count:
            shift = f"{c.mean_shift:+.3f} sd"
            spread = "-" if c.std_ratio != c.std_ratio else f"{c.std_ratio:.3f}"  # one value
        else:  # no value in the data: only its missing rate is judged
            shift, spread = "-", "-"
        rows.append(
            [
                quote_name(c.name),
                shift,
                spread,
                f"{_rate(c.reference_missing_rate)} -> {_rate(c.missing_rate)}",
                "-" if c.kind == "categories" or c.psi != c.psi else f"{c.psi:.3f}",
                "-" if c.kind == "categories" or c.ks != c.ks else f"{c.ks:.3f}",
                _p(c.p_value),
                verdict,
                *([names] if any_changed else []),
            ]
        )
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in [headers, *rows]
    ]
    drifted = report.drifted
    judged = f"alpha {report.alpha:g} over {count(report.tests, 'test')}, threshold "
    judged += f"{report.threshold:g}"
    summary = (
        f"{count(len(drifted), 'column')} of {len(report.columns):,} drifted ({judged}): "
        f"{', '.join(drifted)}"
        if drifted
        else f"no drift in {count(len(report.columns), 'column')} ({judged})"
    )
    untested = [c for c in report.columns if c.untested and not c.drifted]
    if untested:
        if not drifted:
            summary = summary.replace("no drift in", "no drift found by the tests made of", 1)
        what = ", ".join(
            f"the {' and '.join(c.untested)} of {quote_name(c.name)}" for c in untested
        )
        summary += (
            f"; not tested: {what} (its size above the threshold, and significant if tested: "
            "see the notes), so not passed"
        )
    if report.normalized is not None:
        summary += f"; but {report.normalized}"
    notes = [
        f"{count(report.rows, 'row')} checked; {summary}",
        "p: the smallest Holm-adjusted p-value of a column's tests (mean, std, missing, "
        "distribution; for text and boolean columns, category frequencies and missing)",
        *report.notes,
    ]
    return "\n".join([*lines, "", *notes])


def _rate(value: float) -> str:
    return "?" if value != value else f"{value:.1%}"


def _p(value: float) -> str:
    if value != value:  # NaN: no test could be made
        return "-"
    return "<1e-12" if value < 1e-12 else f"{value:.2g}"


def merge_summary(shards: list[FittedStats], merged: FittedStats, output: str) -> str:
    """What ``merge-stats`` says it did, and what it could not merge."""
    dropped = merged.running is None and any(s.running is not None for s in shards)
    passed = {p.name for p in merged.passthrough or ()}
    unpassed = sorted({p.name for s in shards for p in s.passthrough or ()} - passed)
    unordered = merged.inputs is None and any(s.inputs is not None for s in shards)
    recorded = all(s.inputs is not None for s in shards)  # imported statistics record none
    why_unordered = "the files' differ" if recorded else "not every file records it"
    counted = {n for s in shards for n in s.categories or ()} - set(merged.categories or ())
    uncounted = (
        f"categories of {listed(sorted(counted))} not merged (not counted alike in "
        "every file; drift will not check them); "
        if counted
        else ""
    )
    return (
        f"normkit: merged {count(len(shards), 'stat file')} ({count(merged.n_rows, 'row')}); "
        + ("running (EMA) statistics not merged; " if dropped else "")
        + uncounted
        + (
            f"{listed(unpassed)} not recorded as passed through (not passed "
            "through alike by every file); "
            if unpassed
            else ""
        )
        + (f"the input columns' order not kept ({why_unordered}); " if unordered else "")
        + f"stat file: {'standard output' if output == '-' else one_line(output)}"
    )


def passed_through(stats: FittedStats, limit: int = 8) -> str:
    """The columns a fit passed through, and why: ``id (excluded), city (text)``."""
    shown = [f"{quote_name(p.name)} ({p.why})" for p in (stats.passthrough or ())]
    more = len(shown) - limit
    return ", ".join(shown[:limit]) + (f" and {more:,} more" if more > 0 else "")


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _keyed(keys) -> str:
    """Hive partition keys as a summary names them: ``partition keys year, country``."""
    return f"partition key{'s' if len(keys) > 1 else ''} {', '.join(keys)}"


def transform_summary(result, inverse: bool, output: str, seconds: float) -> str:
    """The line a local ``transform`` or ``inverse`` ends with: rows, columns normalized (or
    restored), the inputs' hive partition keys kept as columns, where and how it wrote."""
    keys = f"; {_keyed(result.keys)} from the directories" if result.keys else ""
    return (
        f"normkit: wrote {count(result.rows, 'row')} ({count(result.columns, 'column')} "
        f"{'restored' if inverse else 'normalized'}{keys}) to {one_line(output)} "
        f"({written_as(result)}) in {seconds:.2f} s"
    )


def parts_summary(parts, seconds: float) -> str:
    """The line a Dask transform ends with: rows, parts, their format and directory (and the
    hive partition keys its directories keep)."""
    keys = f", in the directories of {_keyed(parts.keys)}" if parts.keys else ""
    return (
        f"normkit: wrote {count(parts.rows, 'row')} in {count(parts.parts, 'part')} "
        f"({parts.format}) to {one_line(parts.output)}{keys} in {seconds:.2f} s"
    )


def _g(value: float) -> str:
    return f"{value:.10g}"


def _known(value: float) -> str:
    """A number as :func:`_g` shows it, ``?`` where unknown (NaN)."""
    return "?" if value != value else _g(value)


def _shown(char: str | None, none: str = "none", unknown: str = "not recorded") -> str:
    """A recorded character for the reader: ``';'``, ``tab``, ``none`` (empty), or unknown."""
    if char is None:
        return unknown
    if char == "":
        return none
    return "tab" if char == "\t" else quoted(char)


def _read_lines(read) -> list[str]:
    """Every setting a fit read its data with, as the stat file records it (later jobs read
    the same way), and which dialect options were given or detected."""
    header = {True: "yes", False: "no (columns column_1...)", None: "not recorded"}[read.header]
    comment = _shown(read.comment) + (" (after values too)" if read.inline_comments else "")
    skipped = "not recorded" if read.skip_rows is None else f"{read.skip_rows:,}"
    from normkit.io.options import TRAVELLING

    labels = {"skip_rows": "lines skipped", "inline_comments": "comments after values"}
    names = {n: labels.get(n, n) for n in TRAVELLING}
    given = [names[n] for n in names if n in read.given]
    if read.block_size is not None:  # given to the fit, larger than the default
        given.append(f"block size {size_text(str(read.block_size))}")
    detected = [names[n] for n in names if n not in read.given]
    told = [f"given: {', '.join(given)} (later jobs read with them)"] if given else []
    dialect = (
        f"delimiter {_shown(read.delimiter, unknown='by extension')}, quote {_shown(read.quote)}, "
        f"decimal {quoted(read.decimal)}, header {header}, lines skipped {skipped}, comment {comment}, "
        f"escape {_shown(read.escape)}"
    )
    if read.delimiter is None and read.header is None:  # the fit read no CSV
        # But what it was given (a stat file of an older normkit, which took CSV options for
        # Parquet or Arrow inputs): later CSVs are read with that.
        but = ", but what was given" if given else ""
        dialect = f"no CSV dialect (a later CSV's is detected{but}), decimal {quoted(read.decimal)}"
    elif detected:
        told.append(f"detected: {', '.join(detected)} (detected again in each file)")
    told = ["; ".join(told)] if told else []
    lines = [
        f"read       {dialect}",
        f"           encoding {read.encoding or 'UTF-8'} (or as a byte-order mark says), "
        f"infinities {'missing' if read.inf_as_missing else 'refused'}",
        *(f"           {t}" for t in told),
        f"missing    {', '.join(map(quoted, read.null_values))}",
    ]
    if read.renamed:
        lines.append(
            f"renamed    {', '.join(repr(n) for n in read.renamed)} (repeated header names)"
        )
    return lines


def render_stats(path: str, stats: FittedStats) -> str:
    """A human-readable table of a stat file."""
    import numpy as np

    prov = stats.provenance
    options = stats.options
    from normkit.stats.fields import FORMAT, VERSION
    from normkit.stats.passthrough import weight_column_of

    lines = [f"stat file  {path}  ({FORMAT}, version {VERSION})"]
    written = prov.get("normkit_version")
    merged = prov.get("merged_from")
    merged = [str(p) for p in merged] if isinstance(merged, list) else []
    if prov.get("created") or written:
        made = "merged    " if merged else "fitted    "
        lines.append(f"{made} {prov.get('created', '?')} by normkit {written or '?'}")
    if merged:
        more = f" and {len(merged) - 5:,} more" if len(merged) > 5 else ""
        lines.append(f"           from {', '.join(merged[:5])}{more}")
    if isinstance(prov.get("updated"), str):
        lines.append(f"updated    {prov['updated']} (running statistics, by a transform)")
    for source in prov.get("sources", []):
        size = f", {source['bytes']:,} bytes" if source.get("bytes") is not None else ""
        # A layer's state dict has no rows of its own (its count is given: the rows line).
        rows = f", {count(source['rows'], 'row')}" if source.get("rows") is not None else ""
        lines.append(f"source     {source.get('path')} ({source.get('format')}{rows}{size})")
    continued = prov.get("continued")
    if isinstance(continued, dict) and isinstance(continued.get("rows"), int):
        lines.append(
            f"continued  {count(continued['rows'], 'row')} added in memory (partial_fit), "
            f"last at {continued.get('updated', '?')}"
        )
    imported = prov.get("imported")
    if isinstance(imported, dict) and "merged" in imported:  # a merge of some imported
        lines.append(f"imported   {imported.get('from')}")
    elif isinstance(imported, dict):
        layer = imported.get("layer") or "(top level)"
        lines.append(
            f"imported   {imported.get('from')}, layer {layer}: {imported.get('statistics')}; "
            f"count: {imported.get('count')}; eps: {imported.get('eps')}"
        )
        if stats.default_use == "ema":
            lines.append(
                "           exported with its running statistics, which the layer normalizes "
                "with: transform uses them unless --use says"
            )
    lines.append(
        f"options    ddof={options.ddof} eps={options.eps:g} "
        f"with_mean={str(options.with_mean).lower()} with_std={str(options.with_std).lower()}"
    )
    lines.append(f"rows       {stats.n_rows:,}")
    if stats.weighted:
        column = weight_column_of(stats.passthrough)
        lines.append(
            "weights    sample weights (frequency weights)"
            + (f" from column {quote_name(column)}" if column is not None else "")
            + "; no running (EMA) statistics: BatchNorm's have no weights"
        )
    if stats.read is not None:
        lines.extend(_read_lines(stats.read))
    if stats.passthrough:
        lines.append(f"passed     {passed_through(stats, limit=20)}")
    lines.append("")
    header = ["column", "dtype", "count", "missing", "mean", "std", "scale", "min", "max"]
    if stats.weighted:
        header[3:4] = ["weight", "missing", "missing weight"]
    rows = [header]
    for i, name in enumerate(stats.names):
        weight = [_g(stats.weight[i])] if stats.weighted else []
        missing_weight = []
        if stats.weighted:  # unknown (NaN) in a stat file written before normkit kept it
            missing_weight = [_known(stats.missing_weight[i])]
        rows.append(
            [
                quote_name(str(name)),
                stats.dtypes[i],
                f"{stats.count[i]:,}",
                *weight,
                f"{stats.n_missing[i]:,}",
                *missing_weight,
                _g(stats.mean[i]),
                _g(stats.var[i] ** 0.5),
                _g(stats.scale[i]),
                _g(stats.min[i]),
                _g(stats.max[i]),
            ]
        )
    lines += _table(rows, left=2)
    if np.any(stats.gamma != 1.0) or np.any(stats.beta != 0.0):
        lines += ["", "affine     y = gamma * z + beta"]
        rows = [["column", "gamma", "beta"]]
        rows += [
            [quote_name(str(n)), _g(g), _g(b)]
            for n, g, b in zip(stats.names, stats.gamma, stats.beta, strict=True)
        ]
        lines += _table(rows, left=1)
    ema = stats.running
    if ema is not None:
        o = ema.options
        momentum = "cumulative (1/k)" if o.cumulative else f"{o.momentum_value:g}"
        lines += [
            "",
            f"running (EMA) statistics: convention={o.convention} momentum={momentum} "
            f"init={o.init} batch_size={o.batch_size} drop_last={str(o.drop_last).lower()} "
            f"eps={o.eps_value:g} batches={ema.n_batches:,}"
            + (" of=std (an average of batch standard deviations)" if o.of == "std" else ""),
            "how far they are from the exact ones: (ema mean - mean) / scale, ema std / scale",
            "",
        ]
        std = np.sqrt(stats.var)
        ema_std = np.sqrt(ema.running_var)
        from normkit.stats.running_notes import ema_gap

        shift, ratio = ema_gap(stats)

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
        for i, name in enumerate(stats.names):
            rows.append(
                [
                    quote_name(str(name)),
                    _g(stats.mean[i]),
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
    lines += category_lines(stats)
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


def unrecorded_note(options, result, output: str) -> str | None:
    """What a transform says when the record of how data was normalized is missing: an output
    that cannot keep one (standard output, a pipe), given options its inverse will need; an
    inverse of inputs without one, which the options decide."""
    if options.inverse:
        if result.inputs_recorded:
            return None
        use = options.use or "exact"
        settings = [
            f"--use {use}",
            _option_text("gamma", options.gamma) or "the stat file's gamma",
            _option_text("beta", options.beta) or "the stat file's beta",
        ]
        return (
            "normkit: the input keeps no record of how it was normalized: inverted with "
            f"{', '.join(settings)}"
        )
    where = "standard output" if output == "-" else output
    if options.mode != "frozen" and not result.recorded:
        return (
            f"normkit: {where} keeps no record of how it was normalized, and its rows cannot be "
            f"inverted: in {options.mode} mode each batch was normalized with statistics of its own"
        )
    given = [_option_text(name, getattr(options, name)) for name in ("use", "gamma", "beta")]
    if result.recorded or not any(given):
        return None
    # A file without its record where the record's name (.NAME.normkit.json) is too long.
    long = len(os.fsencode(os.path.basename(output))) + len(".normkit.json") + 1 > 255
    why = " (its name leaves no room for the record's beside it)" if long else ""
    return (
        f"normkit: {where} keeps no record of how it was normalized{why}: give inverse "
        f"{' '.join(g for g in given if g)}"
    )


def unkept_categories_note(result) -> str | None:
    """What a transform says of a CSV output's dictionary columns whose categories its record
    cannot keep: read back into Parquet or Arrow, they are their values, not categories."""
    if not result.categories_unkept:
        return None
    from normkit.jobs.texttypes import MAX_CATEGORIES

    names = ", ".join(repr(n) for n in result.categories_unkept)
    return (
        f"normkit: {result.output}'s record keeps no categories of {names} (more than "
        f"{MAX_CATEGORIES:,}): read back into Parquet or Arrow, such a column is its values, not "
        "a category"
    )


def _option_text(name: str, value) -> str | None:
    """``--name value`` as the command line takes it (None where not given)."""
    if value is None:
        return None
    if isinstance(value, dict):  # names as the option reads them back, for a shell
        pairs = ",".join(f"{quote_name(str(k))}={float(v)!r}" for k, v in value.items())
        return f"--{name} {shlex.quote(pairs)}"
    return f"--{name} {float(value)!r}" if name != "use" else f"--{name} {value}"


def written_as(result) -> str:
    """How a transform's output was written, where that is not the plain default: ``csv,
    tab-separated, utf-16`` (the format alone otherwise)."""
    parts = [str(result.format)]
    if result.delimiter not in (None, ","):
        parts.append(
            f"{'tab' if result.delimiter == chr(9) else quoted(result.delimiter)}-separated"
        )
    if result.encoding is not None:
        parts.append(result.encoding)
    return ", ".join(parts)


def note_line(note: NormkitNote | None) -> str | None:
    """A library note as the command line prints it (``normkit: note: ...``), its parameters
    spelled as the flags of the command running; None for no note."""
    if note is None:
        return None
    import click

    from .spelling import Spelling

    return f"normkit: note: {note.render(Spelling(click.get_current_context().command))}"


def echo_notes(notes: list) -> None:
    """Print the library's notes collected by :func:`caught_notes`, a line each."""
    import click

    for note in notes:
        click.echo(note_line(note), err=True)


@contextmanager
def caught_notes(notes: list):
    """Collect the library's notes (:class:`NormkitNote` warnings) issued inside into
    ``notes``, to print as :func:`note_line`s; other warnings go on as they were."""
    import warnings

    from normkit.errors import NormkitNote

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NormkitNote)
        yield
    for warning in caught:
        if isinstance(warning.message, NormkitNote):
            notes.append(warning.message)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def running_not_updated(stats: FittedStats) -> str:
    """The summary's word on running statistics that no batch updated (fewer rows than a
    batch): BatchNorm's start values, with which --use ema would leave the data as it is."""
    running = stats.running
    if running is None or running.n_updates.any():
        return ""
    size = running.options.batch_size
    return (
        f"running statistics: not updated (no whole batch of {size:,} rows; they are "
        "BatchNorm's start, mean 0 and variance 1: give a smaller --batch-size to use them); "
    )


def fit_summary(fitted, seconds: float, output: str) -> str:
    """The line ``fit`` ends with: what was fitted, on what, passed through, read as, and where
    the stat file went (the fit's notes are the library's warnings, told before it)."""
    from normkit.io.dialect_words import dialect_words

    stats = fitted.stats_
    others = passed_through(stats)
    dialect = dialect_words(stats.read)
    return (
        f"normkit: fitted {count(len(fitted.columns_), 'column')} on "
        f"{count(fitted.n_rows_seen_, 'row')} in {seconds:.2f} s; "
        + (f"passed through: {others}; " if others else "")
        + (f"read as {dialect}; " if dialect else "")
        + (
            "running statistics: none (sample weights; BatchNorm's running statistics "
            "have no weights); "
            if stats.weighted
            else ""
        )
        + running_not_updated(stats)
        + f"stat file: {'standard output' if output == '-' else one_line(output)}"
    )
