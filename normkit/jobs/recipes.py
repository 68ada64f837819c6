"""What the records of how inputs were made (:mod:`normkit.stats.recipe`) say of their scale, to
the jobs that read several inputs or compare data with statistics: a fit refuses files on
different scales, drift and reports refuse data on another scale than the statistics', a stat
file's provenance keeps the scale it was fitted on, and an inverse gives back pandas' record of
the types its inputs shared.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import pyarrow as pa

from ..errors import InputError
from ..estimator.apply import with_pandas_columns
from ..io.formats import Format
from ..io.reader import Reader
from ..stats.fingerprints import same_rule
from ..stats.fitted import FittedStats
from ..stats.recipe import Recipe, says
from ..stats.scales import data_scale, frozen, same_scale, scale_words

__all__ = [
    "COMPARE_SAME_SCALE",
    "recorded_scale",
    "refuse_mixed_scales",
    "refuse_other_scale",
    "restored_pandas",
    "shared_record",
]


def refuse_mixed_scales(sources: Sequence[Reader], names: Sequence[str]) -> None:
    """Refuse to fit the columns ``names`` of a data set whose files are on different scales by
    their records: one that normkit normalized (its record says so) beside one that it did not,
    or two normalized with different statistics, or gamma and beta of those columns. Fitted
    together, their rows would mix scales, and the statistics would describe neither. A file
    inverted back by normkit is raw again."""
    if len(sources) < 2:
        return
    first: tuple[Reader, tuple | None] | None = None
    for source in sources:
        scale = _scale(Recipe.of(source), names)
        if first is None:
            first = (source, scale)
            continue
        if scale == first[1]:
            continue
        (a, a_scale), b = first, source
        hints: tuple[str, ...] = ("fit them apart, or leave one out of the inputs",)
        consequence = "fitted together, their rows would mix two scales"
        if a_scale is not None and scale is not None:
            told = (
                "their metadata says so"
                if Format.CSV not in (a.format, b.format)
                else f"{says(a)}; {says(b)}"
            )
            how = "with different statistics"
            if all(x[:3] == y[:3] for x, y in zip(a_scale, scale, strict=False)):
                how = "with different gamma or beta"
            if len(a_scale) != len(scale):
                how = "a different number of times"
            elif not all(same_rule(x[0], y[0]) for x, y in zip(a_scale, scale, strict=True)):
                how = "with statistics fingerprinted by two rules (one by an older normkit)"
                consequence = "whether they are on one scale cannot be told"
                hints = ("normalize both with this normkit", *hints)
            what = f"{a.name} and {b.name} are normalized {how} ({told})"
        else:
            normalized, raw = (b, a) if a_scale is None else (a, b)
            what = f"{normalized.name} is normalized ({says(normalized)}) and {raw.name} is not"
        raise InputError(f"{what}: {consequence}", hints=hints)


def shared_record(records: Sequence[Recipe | None]) -> Recipe | None:
    """The record the inputs share (each input's :meth:`Recipe.of`), None if they differ."""
    return records[0] if records and all(r == records[0] for r in records) else None


def restored_pandas(
    schema: pa.Schema, records: Sequence[Recipe | None], restored: Collection[str]
) -> pa.Schema:
    """``schema`` with pandas' record of the ``restored`` columns (an inverse's, whose types
    come back) as the inputs' shared record kept it from before their transform: a nullable
    ``Int64`` column is read as ``Int64`` again, and a ``Float64`` one, float64 in Arrow
    either way, as ``Float64``. A ``category`` that comes back as its values (its categories
    not kept) has none."""
    shared = shared_record(records)
    if not restored or shared is None or not shared.pandas:
        return schema
    return with_pandas_columns(
        schema,
        {
            k: v
            for k, v in shared.pandas.items()
            if k in restored
            and (
                v.get("pandas_type") != "categorical"
                or pa.types.is_dictionary(schema.field(k).type)
            )
        },
    )


#: The way out for data compared with statistics of another scale.
COMPARE_SAME_SCALE = "compare data of their scale (normkit inverse undoes a transform)"


def refuse_other_scale(sources: Sequence[Reader], stats: FittedStats) -> None:
    """Refuse inputs whose records say that normkit normalized them, where ``stats`` were
    fitted on data of another scale (:func:`~normkit.stats.scales.data_scale` of their
    provenance; none said: raw): drift of normalized data against raw data's statistics finds
    every column moved, and a report draws normalized values as raw. An input without a record
    (a CSV) is not judged."""
    fitted = data_scale(stats.provenance) or frozenset({None})
    for source in sources:
        scale = frozen(recorded_scale(source))
        if scale is not None and not any(same_scale(scale, f) for f in fitted):
            raise InputError(
                f"{source.name} is {scale_words(frozenset({scale}))} ({says(source)}), but "
                f"the statistics were fitted on {scale_words(fitted)}",
                hints=(COMPARE_SAME_SCALE,),
            )


def recorded_scale(source: Reader) -> list[dict] | None:
    """What a source's record says of its scale, as a stat file's provenance keeps it (so that
    ``merge-stats`` can refuse statistics of data on different scales): each step that
    normalized it, the last first (the statistics' fingerprint, the mode, which statistics);
    None for raw data. A damaged record is refused (:meth:`Recipe.of`), not taken for raw data:
    a fit, drift or report of normalized data as raw would say nothing of it."""
    scale = _scale(Recipe.of(source))
    if scale is None:
        return None
    steps = []
    for stats, mode, use, gamma, beta in scale:  # gamma and beta: one number, or per column
        step = {"stats": stats, "mode": mode, "use": use}
        for key, value in (("gamma", gamma), ("beta", beta)):
            step[key] = dict(value) if isinstance(value, tuple) else value
        steps.append(step)
    return steps


def _scale(recipe: Recipe | None, names: Sequence[str] | None = None) -> tuple | None:
    """What a record says of its data's scale: None for raw data (no record, or an inverse),
    else each step that normalized it (statistics, mode, which statistics, gamma and beta:
    :func:`_affine`, of the columns ``names`` where given), the last first."""
    steps = []
    while recipe is not None and not recipe.inverse:
        gamma, beta = recipe.gamma, recipe.beta
        if names is not None and gamma is not None and beta is not None:
            wanted = set(names)  # once: 20,000 columns
            gamma, beta = ({n: v for n, v in d.items() if n in wanted} for d in (gamma, beta))
        affine = (frozen(_affine(gamma, 1.0)), frozen(_affine(beta, 0.0)))
        steps.append((recipe.stats, recipe.mode, recipe.use, *affine))
        recipe = recipe.previous
    return tuple(steps) or None


def _affine(values: Mapping[str, float] | None, default: float) -> float | dict:
    """A step's gamma or beta as a scale tells it: one number where every column's is alike
    (``default`` where a record of an older normkit keeps none), else per column."""
    alike = set((values or {}).values()) or {default}
    return alike.pop() if len(alike) == 1 else dict(values)
