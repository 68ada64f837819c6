"""What statistics of two sets of rows say of their union beyond the moments: the sketch, the
category counts and the weight column (:meth:`~normkit.stats.fitted.FittedStats.merge` of
shards, and statistics continued by ``partial_fit``, whose new rows are a second set)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from ..core.categories import CategoryCounts, merge_columns
from ..core.sketch import Sketch
from ..errors import OptionError, quoted
from ..io.csv.names import refuse_renamed_apart
from ..io.options import CSV_DIALECT, ReadSettings
from .empty import Fitted, vacant_counted
from .passthrough import PassedThrough, weight_column_of

Stats = TypeVar("Stats", bound=Fitted)

__all__ = [
    "continued_stats",
    "merged_read",
    "union_categories",
    "union_passthrough",
    "union_read",
    "union_sketch",
]


def union_sketch(a: Fitted, b: Fitted) -> Sketch | None:
    """The sketch of both sets of rows, merged approximately from theirs (their samples are
    gone), each weighted by its columns' sums of weights; None unless both have one."""
    if a.sketch is None or b.sketch is None:
        return None
    return a.sketch.merge(
        b.sketch,
        (a.moments.total_weight, b.moments.total_weight),
        (a.moments.min, b.moments.min),
        (a.moments.max, b.moments.max),
    )


def union_categories(
    a: Fitted, b: Fitted, passthrough: Sequence[PassedThrough] | None
) -> dict[str, CategoryCounts] | None:
    """The category counts of the columns both count and the union passes through as both did
    (``passthrough``, None: not known); None unless both counted."""
    if a.categories is None or b.categories is None:
        return None
    kept = {p.name for p in passthrough or () if p.why != "excluded"}
    both = merge_columns(vacant_counted(a, b), vacant_counted(b, a))
    return {n: c for n, c in both.items() if passthrough is None or n in kept}


def union_read(a: Fitted, b: Fitted, names: tuple = ("these", "the other")) -> ReadSettings | None:
    """How the union's data was read (:func:`merged_read`), refused where one side's
    header had a column written with a name the other's gave a repeated one (``a_1``: a
    second ``a``), which would be merged as one column. ``names``: what to call ``a`` and
    ``b`` in a message.

    Raises
    ------
    SchemaError
        Naming both (:func:`~normkit.io.csv.names.refuse_renamed_apart`).
    """
    refuse_renamed_apart(_header(s, f"the data of {n}") for s, n in zip((a, b), names, strict=True))
    return merged_read(a.read, b.read)


def merged_read(a: ReadSettings | None, b: ReadSettings | None) -> ReadSettings | None:
    """How merged statistics' data was read. Shards whose values were told apart otherwise
    (missing-value strings, infinities) do not merge: their statistics count different
    things. A dialect they do not share (delimiter, decimal separator, encoding) is left to
    the defaults: it describes no one file. The names given to repeated header names are
    those of either.

    Raises
    ------
    OptionError
        If the missing-value strings or the handling of infinities differ.
    """
    if a is None or b is None:
        return a or b
    # In any order, the same strings (and the same of them missing in text too).
    apart = {*a.null_values} ^ {*b.null_values} | {*a.text_null_values} ^ {*b.text_null_values}
    if apart:
        shown = ", ".join(quoted(v) for v in (*a.null_values, *b.null_values) if v in apart)
        raise OptionError(
            "cannot merge statistics whose data was read with different missing-value "
            f"strings ({shown} in one and not the other): they count different values",
            param="csv.null_values",
            hints=("fit them again, reading the same strings as missing",),
        )
    if a.inf_as_missing != b.inf_as_missing:
        raise OptionError(
            "cannot merge statistics whose data was read with infinities as missing and "
            "as numbers: they count different values",
            param="inf_as_missing",
        )
    # The dialect (but the block size, the larger kept) and which of it was given.
    dialect = (*(n for n in CSV_DIALECT if n != "block_size"), "given")
    # Blocks large enough for the rows of either shard.
    larger = max(a.block_size or 0, b.block_size or 0) or None
    # A name given to a repeated header name by either is one (a later read of such a
    # header is of the same columns); one written so in the other is refused before.
    renamed = tuple(dict.fromkeys((*a.renamed, *b.renamed)))
    a = replace(a, block_size=larger, renamed=renamed)
    unshared = {n: getattr(ReadSettings(), n) for n in dialect if getattr(a, n) != getattr(b, n)}
    return replace(a, **unshared)


def _header(stats: Fitted, where: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The header ``stats`` were fitted on, as :func:`refuse_renamed_apart` takes it: its
    columns where a CSV header named them (the other columns' names may be a CSV's renamed
    ones, as a Parquet output keeps them)."""
    if stats.read is None:
        return where, (), ()
    passed = tuple(p.name for p in stats.passthrough or ())
    written = (*stats.names, *passed, *(stats.inputs or ())) if stats.read.header else ()
    return where, written, tuple(stats.read.renamed)


def union_passthrough(
    a: Fitted, b: Fitted, names: tuple = ("these", "the other")
) -> tuple[PassedThrough, ...] | None:
    """The columns the union passes through (:meth:`PassedThrough.merged`), the weight column
    among them where one side was weighted by a column and the other's data had no such
    column: its rows weigh 1, as a row without a weight does (drift reads such rows so).
    ``names``: what to call ``a`` and ``b`` in a message.

    Raises
    ------
    OptionError
        If one is weighted by a column and the other not by it though its data may hold it
        (its rows counted once whatever the column held), or is weighted otherwise.
    """
    merged = PassedThrough.merged(a.passthrough, b.passthrough)
    columns = weight_column_of(a.passthrough), weight_column_of(b.passthrough)
    if columns[0] == columns[1]:
        return merged
    at = 0 if columns[0] is not None else 1  # the statistics weighted by a column
    column, other, lacking = columns[at], (a, b)[1 - at], names[1 - at]
    if columns[1 - at] is not None:
        how = f"weighted by column {columns[1 - at]!r}"
    elif other.moments.weight is not None:
        how = "weighted by sample weights given in memory"
    elif other.passthrough is None:
        how = "fitted without sample weights, on data whose other columns are not recorded"
    elif column in {*other.names, *(p.name for p in other.passthrough), *(other.inputs or ())}:
        how = f"fitted without sample weights, on data with a column {column!r}"
    else:  # data without the weight column: rows of weight 1
        weight = next(p for p in (a, b)[at].passthrough or () if p.name == column)
        return (*(merged or ()), weight)
    raise OptionError(
        f"cannot merge statistics weighted by column {column!r} ({names[at]}) with statistics "
        f"{how} ({lacking}): their rows would not be weighted alike",
        param="weight_column",
        hints=(
            f"fit the data of {lacking} again weighted by its column {column!r} (1 where a row "
            "counts once), or merge only statistics weighted alike",
        ),
    )


def continued_stats(previous: Fitted, stats: Stats, added: Fitted, at: str) -> Stats:
    """Statistics ``previous`` continued over more rows in memory (``partial_fit``): ``stats``,
    their moments and running statistics gone on over the rows of ``added`` (those rows
    alone), with the sketch and category counts of the union (as a merge of two shards has
    them), and provenance saying that the statistics were continued in memory, and when
    (``at``): ``"continued"``, the rows added in memory since the sources were fitted."""
    provenance = dict(previous.provenance)
    before = provenance.get("continued")
    rows = before.get("rows", 0) if isinstance(before, dict) else 0
    provenance["continued"] = {"rows": int(rows) + added.n_rows, "updated": at}
    return replace(
        stats,
        sketch=union_sketch(previous, added),
        categories=union_categories(previous, added, stats.passthrough),
        provenance=provenance,
    )
