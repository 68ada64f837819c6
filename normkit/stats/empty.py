"""Columns a shard has no value in: a fit passes them through (``why`` ``"no values"``), where
a fit of all the shards together fits them on the values of the others. A merge of the shards'
statistics adds them back as columns of no value (every row missing), so that it equals that
fit (:meth:`~normkit.stats.fitted.FittedStats.merge`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from ..core.moments import Moments
from ..core.sketch import Sketch
from .passthrough import PassedThrough

__all__ = ["reordered", "vacant_counted", "with_empty_columns", "with_empty_passed_through"]


class Fitted(Protocol):
    """What this module reads of :class:`~normkit.stats.fitted.FittedStats`."""

    names: tuple[str, ...]
    dtypes: tuple[str, ...]
    moments: Moments
    n_rows: int
    options: Any
    gamma: np.ndarray
    beta: np.ndarray
    sketch: Sketch | None
    provenance: Mapping[str, Any]
    read: Any
    passthrough: tuple[PassedThrough, ...] | None
    categories: Any
    inputs: tuple[str, ...] | None
    unnamed: bool


def with_empty_columns(stats: Fitted, other: Fitted) -> dict[str, Any] | None:
    """The arguments of :meth:`~normkit.stats.fitted.FittedStats.build` for ``stats`` with the
    columns ``other`` fitted and ``stats`` passed through for having no value, as columns of no
    value, in ``other``'s order where ``stats`` then has its columns (else after its own); None
    where there is none."""
    without = {p.name for p in stats.passthrough or () if p.why == "no values"}
    added = [n for n in other.names if n not in stats.names and n in without]
    if not added:
        return None
    names = [*stats.names, *added]
    if set(names) == set(other.names):
        names = list(other.names)
    return _taken(stats, names, other)


def with_empty_passed_through(
    stats: Any, input_names: Sequence[str], among: Collection[str] | None = None
) -> Any:
    """``stats`` (a :class:`~normkit.stats.fitted.FittedStats`) without the columns that had no
    value at all (every row missing), which join the columns passed through (``why`` ``"no
    values"``), in the order of ``input_names``; ``among``: only those of these columns. For
    columns chosen by their type: a column with nothing in it (a CSV's, or a table's of type
    null) has no type to tell, and is no column of numbers the user asked for. Unchanged when no
    column is empty, or every one is (nothing is left to normalize:
    :meth:`~normkit.stats.fitted.FittedStats.check_values` refuses it).

    With sample weights, a row of weight 0 is neither counted nor missing: a column is empty
    where its rows of weight 0 hold no value either (``Moments.zero_weight_count``), whatever
    the weights; one whose values all weigh 0 is not, and is refused as a column of no value of
    weight above 0. Where that count is unknown (statistics continued from a stat file), only a
    column missing in every row is."""
    m = stats.moments
    weightless = m.weightless_values
    if weightless is None:
        weightless = np.where(m.n_missing == stats.n_rows, 0, -1)
    empty = {
        name
        for name, n, zero in zip(stats.names, m.count, weightless, strict=True)
        if n == 0 and zero == 0 and (among is None or name in among)
    }
    if not empty or len(empty) == stats.n_columns:
        return stats
    dtypes = dict(zip(stats.names, stats.dtypes, strict=True))
    entries = {p.name: p for p in stats.passthrough or ()}
    entries.update({name: PassedThrough(name, dtypes[name], "no values") for name in empty})
    order = {name: i for i, name in enumerate(input_names)}
    passthrough = sorted(entries.values(), key=lambda p: order.get(p.name, len(order)))
    kept = stats.select([name for name in stats.names if name not in empty])
    return replace(kept, passthrough=tuple(passthrough))


def vacant_counted(stats: Fitted, other: Fitted) -> dict[str, Any]:
    """``stats``' category counts, with those of the columns it passed through for having no
    value (every row missing) that ``other`` counts: merged with those, they are the counts of
    a fit of both (a column empty in both is counted by neither)."""
    from ..core.categories import CategoryCounts

    vacant = [p.name for p in stats.passthrough or () if p.why == "no values"]
    counts = dict(stats.categories or {})
    theirs = other.categories or {}
    counts.update(
        {n: CategoryCounts(missing=stats.n_rows) for n in vacant if n not in counts and n in theirs}
    )
    return counts


def reordered(stats: Fitted, names: Sequence[str]) -> dict[str, Any]:
    """The arguments of :meth:`~normkit.stats.fitted.FittedStats.build` for ``stats`` with its
    columns in the order of ``names`` (the same columns): shards that each lacked a column
    another fitted add it at their ends."""
    return _taken(stats, names, stats)


def _taken(stats: Fitted, names: Sequence[str], other: Fitted) -> dict[str, Any]:
    """``stats``' columns ``names`` in that order; those it has not, of no value, their type,
    gamma and beta ``other``'s."""
    own = {n: i for i, n in enumerate(stats.names)}
    theirs = {n: i for i, n in enumerate(other.names)}
    index = np.array([own.get(n, -1) for n in names])
    empty = index < 0
    at = np.where(empty, 0, index)

    def take(values: np.ndarray, fill: float) -> np.ndarray:
        out = values[at].astype(values.dtype, copy=True)
        out[empty] = fill
        return out

    m = stats.moments
    # A column of no value misses every row: with weights, all the rows' weight (of any
    # column, its values' and its missing values' weights together).
    row_weight = float(m.total_weight[0] + m.total_missing_weight[0]) if len(m.count) else 0.0
    moments = Moments(
        take(m.count, 0),
        take(m.n_missing, stats.n_rows),
        take(m.shift, 0.0),
        take(m.mean_offset, np.nan),
        take(m.m2, 0.0),
        take(m.min, np.nan),
        take(m.max, np.nan),
        take(m.m3, 0.0),
        take(m.m4, 0.0),
        None if m.weight is None else take(m.weight, 0.0),
        None if m.weight is None else take(m.total_missing_weight, row_weight),
        None if m.zero_weight_count is None else take(m.zero_weight_count, 0),
    )
    sketch = None
    if stats.sketch is not None:
        s = stats.sketch
        edges, cdf = s.edges[at].copy(), s.cdf[at].copy()
        edges[empty], cdf[empty] = np.nan, np.nan
        sketch = Sketch(edges, cdf, take(s.counts, 0), s.merged)

    def pick(mine: Sequence, their: Sequence) -> list:
        return [mine[own[n]] if n in own else their[theirs[n]] for n in names]

    kept = set(names)
    return {
        "names": names,
        "dtypes": pick(stats.dtypes, other.dtypes),
        "moments": moments,
        "n_rows": stats.n_rows,
        "options": stats.options,
        "gamma": np.array(pick(stats.gamma, other.gamma), dtype=np.float64),
        "beta": np.array(pick(stats.beta, other.beta), dtype=np.float64),
        "sketch": sketch,
        "provenance": stats.provenance,
        "read": stats.read,
        "passthrough": tuple(p for p in stats.passthrough or () if p.name not in kept),
        "categories": stats.categories,
        "inputs": stats.inputs,
        "unnamed": stats.unnamed,
    }
