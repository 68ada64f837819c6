"""Stat files from and to estimators, and what jobs accept as statistics."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .. import params
from ..stats import statfile
from ..stats.fitted import FittedStats
from ..stats.merging import merge
from .standardizer import Standardizer

__all__ = ["as_stats", "dumps", "load", "loads", "merge_stat_files", "save", "saved", "stats_path"]


#: What a parameter taking statistics accepts.
STATS = "a normkit.Standardizer, a normkit.FittedStats or the path of a stat file"


def as_stats(
    stats: Standardizer | FittedStats | str | os.PathLike[str], name: str = "stats"
) -> FittedStats:
    """The fitted statistics of an estimator, the statistics themselves, or those of the stat
    file at a path (read and validated); an estimator's checked as :meth:`Standardizer.fit`
    checks them (after :meth:`~Standardizer.partial_fit` of no rows, or of a column without
    values, they are refused: exported or saved, their values would be NaN)."""
    if isinstance(stats, Standardizer):
        return stats._applied_stats()
    if isinstance(stats, FittedStats):
        return stats
    return statfile.read(params.check_type(name, stats, (str, os.PathLike), STATS))


def stats_path(stats: object) -> str | None:
    """The path of a stat file given as statistics, for messages (None for values)."""
    return os.fspath(stats) if isinstance(stats, str | os.PathLike) else None


def load(path: str | os.PathLike[str]) -> Standardizer:
    """Read and validate a stat file (see :mod:`normkit.stats.statfile`)."""
    return Standardizer.load(params.path("path", path))


def loads(text: str, source: str = "<string>") -> Standardizer:
    """Parse and validate the text of a stat file."""
    params.check_type("text", text, str, "the text of a stat file (a str; bytes: decode them)")
    return Standardizer.from_stats(statfile.parse(text, source))


def dumps(stats: Standardizer | FittedStats) -> str:
    """The stat file of fitted statistics, as text."""
    return statfile.to_text(as_stats(_fitted(stats)))


def save(stats: Standardizer | FittedStats, path: str | os.PathLike[str]) -> None:
    """Write the stat file of fitted statistics, atomically (``"-"``: standard output)."""
    statfile.write(as_stats(_fitted(stats)), params.path("path", path))


def _fitted(stats: object) -> Standardizer | FittedStats:
    """Statistics to write: values, not a path (taken for one, a dict would be a file name)."""
    accepted = "a fitted normkit.Standardizer or a normkit.FittedStats"
    return params.check_type("stats", stats, (Standardizer, FittedStats), accepted)


def saved(fitted: Standardizer, output: str | os.PathLike[str] | None) -> Standardizer:
    """``fitted``, its stat file written to ``output`` first where one is named (the ``output``
    of a fit or an import, which writes what it returns)."""
    if output is not None:
        fitted.save(output)
    return fitted


def merge_stat_files(paths: Sequence[str | os.PathLike[str]]) -> Standardizer:
    """The statistics of the union of the data several stat files were fitted on (see
    :func:`normkit.stats.merging.merge`)."""
    return Standardizer.from_stats(merge(paths))
