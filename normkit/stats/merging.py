"""Merging stat files: the statistics of the union of the data several files were fitted on."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .. import params
from ..core.accumulator import DIVIDE_WEIGHTS, SUMS_OVERFLOW, overflowing_weight
from ..errors import OptionError, SchemaError, StatsFileError
from ..io.dataset import refuse_duplicates
from ..io.files import refuse_overwrite
from .constant_note import warn_fit_notes
from .fitted import FittedStats
from .scales import check_new_data, check_same_scale
from .statfile import check_stat_path, now, read

__all__ = ["merge", "merged_provenance", "refuse_running_import"]


def merge(
    paths: Sequence[str | os.PathLike[str]], output: str | os.PathLike[str] | None = None
) -> FittedStats:
    """The statistics of the union of the data that several stat files were fitted on.

    Exact statistics merge exactly (Chan et al.'s update) whatever the order of the files. The
    running (EMA) statistics are not kept: they depend on the order of the rows and on where
    each file's logical batches began, which a stat file does not record; fit the files together
    (a data set of several files, or the Dask engine) to have them.

    Parameters
    ----------
    paths : path or sequence of paths
        Stat files fitted with the same columns and options (ddof, eps, centering, scaling,
        gamma and beta), each given once.
    output : path or None
        Where the caller will save the result; refused if it is one of the files.

    Returns
    -------
    FittedStats
        With ``provenance["sources"]`` the sources of every file, in order.

    Raises
    ------
    StatsFileError
        If a file cannot be read or is invalid, or its columns or options differ from the
        first file's (naming the file).
    OptionError
        If a file is given twice, or two are of the same data (fitted on one file, or of the
        same statistics to rounding): its rows would count twice.
    """
    params.not_data(
        "paths", paths, "for statistics in memory: a fitted Standardizer's merge(other)"
    )
    paths = params.one_or_many("paths", paths)
    if not paths:
        raise OptionError("no stat file to merge")
    if output is not None:
        check_stat_path(output)
    refuse_duplicates(paths)
    if output is not None:
        inputs = dict.fromkeys(map(os.fspath, paths), "the input")
        refuse_overwrite(output, inputs, replaces=("the input",))  # a shard brought up to date
    first = os.fspath(paths[0])
    merged = read(first)
    refuse_running_import(first, merged)
    sources = list(merged.provenance.get("sources", []))
    earlier = {first: merged}  # each file's statistics, as read
    for path in paths[1:]:
        path = os.fspath(path)
        other = read(path)
        refuse_running_import(path, other)
        try:
            check_same_scale(merged.provenance, other.provenance)
            together = merged.merge(other, (first, path))
            if (j := overflowing_weight(together.moments)) is not None:
                raise SchemaError(
                    f"column {together.names[j]!r}: {SUMS_OVERFLOW} once the files' sums are added",
                    hints=(DIVIDE_WEIGHTS,),
                )
        except (SchemaError, OptionError) as exc:
            # Statistics that do not fit together are a problem of the files, whichever part
            # differs: one kind of error, one exit code.
            into = "" if first in exc.message else f" (merging into those of {first})"
            raise StatsFileError(f"{path}: {exc.message}{into}", hints=exc.hints) from None
        # Statistics that would fit together, but of the same rows: a choice of files.
        check_new_data(earlier, path, other, merged)
        earlier[path] = other
        merged = together
        sources += other.provenance.get("sources", [])
        # The sources so far, for the next file's scale to be checked against theirs.
        merged = merged.with_provenance({"sources": sources})
    provenance = merged_provenance([s.provenance for s in earlier.values()])
    warn_fit_notes(merged)
    return merged.with_provenance(
        {**provenance, "merged_from": [os.path.abspath(os.fspath(p)) for p in paths]}
    )


def merged_provenance(provenances: Sequence[dict]) -> dict:
    """The provenance of merged statistics, from each one's: the sources of all, in order, and
    what they say of rows no source names (:func:`_kept_provenance`), so that a later merge
    still tells which files' rows they hold."""
    sources = [s for p in provenances for s in p.get("sources", [])]
    return {"sources": sources, "created": now(), **_kept_provenance(provenances)}


def refuse_running_import(where: str, stats: FittedStats) -> None:
    """Refuse statistics imported from a BatchNorm layer's running buffers (not those a normkit
    export embedded), ``where`` naming them: their count is the moving averages' window (its
    batches times the batch size), not the rows behind them, so a merge would weigh each by
    its momentum, not its data (layers that saw as many rows at momentums 0.1 and 0.01,
    weighed 1 to 10)."""
    imported = stats.provenance.get("imported")
    if isinstance(imported, dict) and imported.get("unknown"):
        raise StatsFileError(
            f"{where}: the statistics are a BatchNorm layer's running averages (imported), "
            "whose count is the averages' window, not the rows behind them: merged, they would "
            "be weighed by their momentum, not their data",
            hints=("merge statistics fitted on the layers' data (normkit fit) instead",),
        )


def _kept_provenance(provenances: Sequence[dict]) -> dict:
    """What the merged files' provenances say of rows no source names, kept in the merge's:
    the rows a ``partial_fit`` added in memory (``continued``, summed; when last), and
    statistics imported from a BatchNorm layer (``imported``: what none of them knows, and each
    one's record), so that the sources' rows and the statistics' still tell them apart."""
    kept: dict = {}
    continued = [p["continued"] for p in provenances if isinstance(p.get("continued"), dict)]
    if continued:
        kept["continued"] = {
            "rows": sum(int(c.get("rows", 0)) for c in continued),
            "updated": max(str(c.get("updated", "")) for c in continued),
        }
    imported = [p["imported"] for p in provenances if isinstance(p.get("imported"), dict)]
    if imported:
        unknown = sorted({u for i in imported for u in i.get("unknown", ()) if isinstance(u, str)})
        kept["imported"] = {
            "from": f"{len(imported)} of the {len(provenances)} stat files merged, imported "
            "from BatchNorm layers' state dicts",
            "unknown": unknown,
            "merged": imported,
        }
    return kept
