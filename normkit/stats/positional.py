"""Statistics whose fit named its input columns by their places alone: an array's ``x0, x1,
...`` (the estimator's names for columns that have none), or a CSV's without a header,
``column_1, column_2, ...``. An input named so too is matched to them by position."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .fitted import FittedStats

__all__ = ["named_by_position", "renamed"]


def named_by_position(stats: FittedStats) -> bool:
    """Whether the fit's input columns were named by their places alone: an array's (or an
    unnamed frame's) ``x0, x1, ...`` (:attr:`FittedStats.unnamed`), or a CSV's without a
    header."""
    return stats.unnamed or (stats.read is not None and stats.read.header is False)


def renamed(stats: FittedStats, names: Mapping[str, str]) -> FittedStats:
    """The same statistics with columns renamed (``names``: old name -> new name)."""

    def new(name: str) -> str:
        return names.get(name, name)

    return replace(
        stats,
        names=tuple(map(new, stats.names)),
        passthrough=None
        if stats.passthrough is None
        else tuple(replace(p, name=new(p.name)) for p in stats.passthrough),
        categories=None
        if stats.categories is None
        else {new(name): counts for name, counts in stats.categories.items()},
        inputs=None if stats.inputs is None else tuple(map(new, stats.inputs)),
    )
