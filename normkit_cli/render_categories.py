"""The lines of ``inspect`` about the category frequencies of text and boolean columns, and the
categories a drift table names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .types import quote_name

if TYPE_CHECKING:
    from normkit.core.categories import CategoryCounts
    from normkit.stats.fitted import FittedStats

#: Categories shown per column, and the characters shown of each.
SHOWN = 3
WIDTH = 24


def category_lines(stats: FittedStats) -> list[str]:
    """One line per column whose categories the stat file keeps, after a blank line and a
    heading (none if it keeps none): ``city (text): 12 categories, top: Paris 41%, Lyon 20%,
    Nice 8%, ...; missing 2.0%``."""
    if not stats.categories:
        return []
    kinds = {p.name: p.dtype for p in stats.passthrough or ()}
    lines = ["", "categories (shares of the values; text and boolean columns passed through)"]
    for name, counts in stats.categories.items():
        dtype = kinds.get(name)
        kind = "" if dtype is None else (" (boolean)" if dtype == "bool" else " (text)")
        lines.append(f"  {quote_name(name)}{kind}: {describe_counts(counts)}")
    return lines


def describe_counts(counts: CategoryCounts) -> str:
    """How many categories, the most frequent ones with their shares, the missing rate."""
    n = len(counts)
    if counts.exact:
        size = f"{n:,} categor{'y' if n == 1 else 'ies'}"
    else:
        share = counts.other / counts.n_values
        size = f"more than {n:,} categories (the {n:,} most frequent kept; others {share:.1%})"
    parts = [size]
    if counts.n_values:
        top = [
            f"{short_name(k)} {_share(c / counts.n_values)}" for k, c in counts.most_common(SHOWN)
        ]
        parts.append("top: " + ", ".join(top) + (", ..." if n > SHOWN else ""))
    text = ", ".join(parts)
    if counts.missing:
        text += f"; missing {counts.missing / counts.total:.1%}"
    return text


def changed_categories(new: Sequence[str], vanished: Sequence[str]) -> str:
    """The categories new in a drift report's column and those vanished from it, the first
    :data:`SHOWN` of each: ``new: warn, fatal; vanished: true``; empty if none."""
    parts = [
        f"{what}: "
        + ", ".join(map(short_name, names[:SHOWN]))
        + (", ..." if len(names) > SHOWN else "")
        for what, names in (("new", new), ("vanished", vanished))
        if names
    ]
    return "; ".join(parts)


def short_name(category: str) -> str:
    """A category as a table shows it: quoted where it must be, cut to :data:`WIDTH`."""
    shown = quote_name(category)
    return shown if len(shown) <= WIDTH else shown[: WIDTH - 3] + "..."


def _share(share: float) -> str:
    """A category's share in whole percents, or with two significant digits below 1% (a share
    of 0.3% is not 0%)."""
    return f"{share:.0%}" if share >= 0.01 or share == 0 else f"{share * 100:.2g}%"
