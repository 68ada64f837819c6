"""How transformed data was made, recorded where the data goes: Parquet and Arrow outputs keep
in their schema metadata the statistics' fingerprint, which statistics were used (exact or
running), gamma, beta, the mode, and whether it was an inverse. Later jobs read it back: an
inverse undoes exactly what was done, and a second transform is refused, with the same
statistics or others. CSV carries no metadata: an inverse of CSV uses what its options say (by
default the exact statistics, with the stat file's gamma and beta), and an input without a
record is checked by what its columns look like instead (:class:`Resemblance`): data that looks
already normalized is not normalized again, data that looks raw is not inverted, unless the user
says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..errors import InputError, OptionError, param
from ..estimator.apply import with_pandas_columns
from ..io.reader import Reader
from ..stats.fitted import Affine
from ..stats.scales import frozen, scale_words

__all__ = [
    "LOOK_EVERY",
    "LOOK_ROWS",
    "METADATA_KEY",
    "Recipe",
    "Resemblance",
    "inverse_settings",
    "looks_at",
    "recorded_scale",
    "refuse_mixed_scales",
    "refuse_other_scale",
    "refuse_renormalizing",
    "restored_pandas",
    "shared_record",
]

#: Rows of each batch of an input without a record that :class:`Resemblance` looks at (a sample
#: spread over the whole input, for a small share of the work).
LOOK_ROWS = 1024

#: Of the batches after the first ``LOOK_EVERY``, one in ``LOOK_EVERY`` is looked at.
LOOK_EVERY = 16


def looks_at(i: int) -> bool:
    """Whether the ``i``-th batch of an input (0-based) is looked at: each of the first
    :data:`LOOK_EVERY`, then every :data:`LOOK_EVERY`-th, so that the sample spans the whole
    input at a small cost."""
    return i < LOOK_EVERY or i % LOOK_EVERY == 0


#: Values of a column that :class:`Resemblance` needs before it judges the column.
LOOK_MIN_VALUES = 30

#: Values looked at (all columns together) whose quartiles :class:`Resemblance` compares with
#: the fitted data's: a quarter of a million (2 MiB).
LOOK_SAMPLE_VALUES = 1 << 18

#: The interquartile range of the standard normal distribution: an interquartile range over it
#: is a spread comparable with a standard deviation.
IQR_OF_NORMAL = 1.3489795003921634

#: Schema metadata key under which Parquet and Arrow outputs record how they were made.
METADATA_KEY = b"normkit.transform"


@dataclass(frozen=True)
class Recipe:
    """How one output was made.

    Attributes
    ----------
    mode : {"frozen", "batch", "adaptive"}
    use : {"exact", "ema"}
    inverse : bool
    stats : str or None
        The fingerprint of the statistics (:func:`normkit.stats.statfile.fingerprint`); None in
        outputs of older versions.
    gamma, beta : dict of column to float, or None
        The affine parameters per column (None in outputs of older versions).
    previous : Recipe or None
        The record of the input this output was made from, when it had one: a file normalized
        twice (``renormalize``) keeps both steps, and its inverse gets the first one back.
    pandas : dict of column to dict, or None
        pandas' record (schema metadata) of the normalized columns in the input, as it was
        before they became float64: an inverse that restores their types gives it back.
    """

    mode: str
    use: str
    inverse: bool
    stats: str | None = None
    gamma: Mapping[str, float] | None = None
    beta: Mapping[str, float] | None = None
    previous: Recipe | None = None
    pandas: Mapping[str, dict] | None = None

    def to_metadata(self) -> dict[bytes, bytes]:
        return {METADATA_KEY: json.dumps(self._document()).encode("utf-8")}

    def _document(self) -> dict:
        return {
            "mode": self.mode,
            "use": self.use,
            "inverse": self.inverse,
            "stats": self.stats,
            "gamma": dict(self.gamma) if self.gamma is not None else None,
            "beta": dict(self.beta) if self.beta is not None else None,
            "previous": self.previous._document() if self.previous is not None else None,
            "pandas": dict(self.pandas) if self.pandas else None,
        }

    @classmethod
    def _from_document(cls, doc: dict) -> Recipe:
        previous = doc.get("previous")
        return cls(
            mode=str(doc["mode"]),
            use=str(doc.get("use") or "exact"),
            inverse=bool(doc.get("inverse", False)),
            stats=doc.get("stats"),
            gamma=_per_column(doc.get("gamma")),
            beta=_per_column(doc.get("beta")),
            previous=cls._from_document(previous) if previous is not None else None,
            pandas=_pandas_entries(doc.get("pandas")),
        )

    @classmethod
    def of(cls, source: Reader) -> Recipe | None:
        """The recipe in an input's schema metadata, if it has one.

        Raises
        ------
        InputError
            If the metadata is there but damaged (it cannot be trusted, nor ignored).
        """
        metadata = source.schema.metadata or {}
        if METADATA_KEY not in metadata:
            return None
        try:
            recipe = cls._from_document(json.loads(metadata[METADATA_KEY]))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise InputError(
                f"{source.name}: its record of how it was made ({METADATA_KEY.decode()} in "
                "the schema metadata) is damaged"
            ) from None
        return recipe


def _pandas_entries(values: object) -> dict[str, dict] | None:
    if values is None:
        return None
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise TypeError("not a mapping of column entries")
    return {str(k): v for k, v in values.items()}


def _per_column(values: object) -> dict[str, float] | None:
    if values is None:
        return None
    if not isinstance(values, dict):
        raise TypeError("not a mapping")
    return {str(k): float(v) for k, v in values.items()}


def refuse_renormalizing(sources: Sequence[Reader], fingerprint: str | None, allowed: bool) -> None:
    """Refuse data that normkit already normalized, with these statistics or others (its
    record says so), unless ``allowed``: other statistics of the same data (another fit's
    options) would normalize it twice, with nothing in its columns' look to stop it."""
    if allowed:
        return
    for source in sources:
        recipe = Recipe.of(source)
        if recipe is None or recipe.inverse:
            continue
        same = recipe.stats == fingerprint
        with_what = "these statistics" if same else "other statistics than these"
        raise InputError(
            f"{source.name} is already normalized with {with_what} (its metadata says so); "
            "normalizing it again would not give what you expect",
            param="renormalize",
            hints=(
                f"invert it{'' if same else ' with the statistics that normalized it'} (if "
                "that was meant)",
                f"normalize it again all the same ({param('renormalize', True)})",
            ),
        )


def refuse_mixed_scales(sources: Sequence[Reader]) -> None:
    """Refuse to fit a data set whose files are on different scales by their records: one that
    normkit normalized (its metadata says so) beside one that it did not, or two normalized with
    different statistics. Fitted together, their rows would mix scales, and the statistics would
    describe neither. A file inverted back by normkit is raw again."""
    if len(sources) < 2:
        return
    first: tuple[Reader, tuple | None] | None = None
    for source in sources:
        scale = _scale(Recipe.of(source))
        if first is None:
            first = (source, scale)
            continue
        if scale == first[1]:
            continue
        (a, a_scale), b = first, source
        if a_scale is not None and scale is not None:
            how = (
                "a different number of times"
                if len(a_scale) != len(scale)
                else "with different statistics"
            )
            what = f"{a.name} and {b.name} are normalized {how} (their metadata says so)"
        else:
            normalized, raw = (b, a) if a_scale is None else (a, b)
            what = f"{normalized.name} is normalized (its metadata says so) and {raw.name} is not"
        raise InputError(
            f"{what}: fitted together, their rows would mix two scales",
            hints=("fit them apart, or leave one out of the inputs",),
        )


def shared_record(records: Sequence[Recipe | None]) -> Recipe | None:
    """The record the inputs share (each input's :meth:`Recipe.of`), None if they differ."""
    return records[0] if records and all(r == records[0] for r in records) else None


def restored_pandas(
    schema: pa.Schema, records: Sequence[Recipe | None], restored: Mapping[str, pa.DataType]
) -> pa.Schema:
    """``schema`` with pandas' record of the ``restored`` columns as the inputs' shared record
    kept it from before their transform (a nullable Int64 column is read as Int64 again)."""
    shared = shared_record(records)
    if not restored or shared is None or not shared.pandas:
        return schema
    return with_pandas_columns(schema, {k: v for k, v in shared.pandas.items() if k in restored})


def refuse_other_scale(sources: Sequence[Reader], stats_scale: frozenset | None) -> None:
    """Refuse inputs whose records say that normkit normalized them, where the statistics were
    fitted on data of another scale (``stats_scale``: :func:`~normkit.stats.scales.data_scale`;
    None: raw): drift of normalized data against raw data's statistics finds every column
    moved. An input without a record (a CSV) is not judged."""
    fitted = stats_scale or frozenset({None})
    for source in sources:
        scale = frozen(recorded_scale(source))
        if scale is not None and scale not in fitted:
            raise InputError(
                f"{source.name} is {scale_words(frozenset({scale}))} (its metadata says so), but "
                f"the statistics were fitted on {scale_words(fitted)}",
                hints=("compare data of their scale (normkit inverse undoes a transform)",),
            )


def recorded_scale(source: Reader) -> list[dict] | None:
    """What a source's record says of its scale, as a stat file's provenance keeps it (so that
    ``merge-stats`` can refuse statistics of data on different scales): each step that
    normalized it, the last first (the statistics' fingerprint, the mode, which statistics);
    None for raw data, or a record that cannot be read (a fit does not need it)."""
    try:
        scale = _scale(Recipe.of(source))
    except InputError:
        return None
    if scale is None:
        return None
    return [{"stats": stats, "mode": mode, "use": use} for stats, mode, use in scale]


def _scale(recipe: Recipe | None) -> tuple | None:
    """What a record says of its data's scale: None for raw data (no record, or an inverse),
    else each step that normalized it (statistics, mode, which statistics), the last first."""
    steps = []
    while recipe is not None and not recipe.inverse:
        steps.append((recipe.stats, recipe.mode, recipe.use))
        recipe = recipe.previous
    return tuple(steps) or None


def inverse_settings(
    sources: Sequence[Reader],
    names: Sequence[str],
    fingerprint: str | None,
    use: str | None,
    gamma: np.ndarray,
    beta: np.ndarray,
    asked: tuple[bool, bool, bool],
) -> tuple[str | None, np.ndarray, np.ndarray]:
    """What an inverse must undo: the statistics, gamma and beta its inputs record (Parquet,
    Arrow), checked against the statistics given and the options asked (``asked``: whether use,
    gamma and beta were given); without a record, the options as given.

    Raises
    ------
    InputError
        If an input was not made by a frozen transform with these statistics.
    OptionError
        If the options contradict how it was made.
    """
    found: list[tuple[Reader, Recipe]] = []
    for source in sources:
        recipe = Recipe.of(source)
        if recipe is None:
            continue
        if recipe.inverse:
            raise InputError(
                f"{source.name} holds data an inverse restored, not normalized data; there is "
                "nothing to undo"
            )
        if recipe.mode != "frozen":
            raise InputError(
                f"{source.name} was written by a transform in {recipe.mode} mode, which cannot "
                "be inverted: each batch was normalized with statistics of its own"
            )
        if recipe.stats is not None and recipe.stats != fingerprint:
            raise InputError(
                f"{source.name} was normalized with other statistics than these (their "
                f"fingerprints differ: {recipe.stats} and {fingerprint})",
                hints=("give the stat file it was normalized with",),
            )
        found.append((source, recipe))
    if not found:
        return use, gamma, beta
    first, recipe = found[0]
    unrecorded = [s for s in sources if all(s is not f for f, _ in found)]
    if unrecorded:
        raise InputError(
            f"{unrecorded[0].name} records no normalization, but {first.name} does: they were "
            "not made alike; invert them separately"
        )
    for source, other in found[1:]:
        if (other.use, other.gamma, other.beta) != (recipe.use, recipe.gamma, recipe.beta):
            raise InputError(
                f"{source.name} was normalized otherwise than {first.name}; invert them separately"
            )
    use_asked, gamma_asked, beta_asked = asked
    if use_asked and use != recipe.use:
        raise _contradiction(first, "use", recipe.use)
    recorded = [
        (gamma_asked, gamma, recipe.gamma, "gamma"),
        (beta_asked, beta, recipe.beta, "beta"),
    ]
    out = []
    for was_asked, given, kept, name in recorded:
        if kept is None:  # an older output: no record of it
            out.append(given)
            continue
        values = np.array([kept.get(n, np.nan) for n in names])
        if np.isnan(values).any():
            raise InputError(f"{first.name} records no {name} for some of the statistics' columns")
        if was_asked and not np.array_equal(values, given):
            raise _contradiction(first, name, _shown(kept))
        out.append(values)
    return recipe.use, out[0], out[1]


def _shown(values: Mapping[str, float]) -> str:
    distinct = set(values.values())
    if len(distinct) == 1:
        return f"{distinct.pop():g}"
    return ",".join(f"{k}={v:g}" for k, v in values.items())


def _contradiction(source: Reader, name: str, recorded: str) -> OptionError:
    return OptionError(
        f"{source.name} was normalized with {param(name, recorded)}; an inverse with other "
        f"values would not restore it",
        param=name,
        hints=(f"leave {param(name)} out",),
    )


class Resemblance:
    """Whether an input without a record of how it was made looks like the data the statistics
    were fitted on or like what a frozen transform makes of it.

    Data like the fitted data has about their mean and standard deviation; the transform
    ``gamma * (x - center) / scale + beta`` takes it to about ``gamma * (mean - center) / scale
    + beta`` and ``|gamma| * std / scale`` (0 and 1 with the exact statistics and no affine
    parameters; elsewhere with the running ones). The mean and standard deviation of a sample of
    the input (the first :data:`LOOK_ROWS` rows of some batches) are compared with both. A
    column decides only where the two are far apart (their means a standard deviation apart, or
    their spreads a factor 2.7 apart) and the input is three times closer to one of them; the
    input is judged one or the other only if every column that decides agrees, so drifted
    data, which looks like neither, is never refused.

    Moments are not robust: one outlier of the fitted data, or a heavy tail, sets a mean and a
    standard deviation that no sample without it comes near. Where the fitted data's quartiles
    are known (``quartiles``, from the stat file's sketch), each column is also judged the same
    way by its median and interquartile range (over 1.349, a standard deviation for normal
    data), those of the first :data:`LOOK_SAMPLE_VALUES` values looked at: a column is then like
    the data one view finds it like, unless the other finds it like the other (it is like
    neither then).

    Parameters
    ----------
    names : sequence of str
    mean, std : ndarray
        The fitted data's mean and standard deviation.
    affine : Affine
        The transform whose output the input is (``inverse``) or is about to become.
    inverse : bool
    quartiles : ndarray of shape (n_columns, 3), or None
        The fitted data's 25%, 50% and 75% quantiles (NaN or None: not known).
    """

    def __init__(
        self,
        names: Sequence[str],
        mean: np.ndarray,
        std: np.ndarray,
        affine: Affine,
        inverse: bool,
        quartiles: np.ndarray | None = None,
    ):
        self.names = list(names)
        self.inverse = inverse
        n = len(self.names)
        if quartiles is None:
            quartiles = np.full((n, 3), np.nan)
        self.raw = (np.asarray(mean, np.float64), np.asarray(std, np.float64))
        self.normalized = affine_image(*self.raw, affine)
        self.raw_quartiles = (quartiles[:, 1], (quartiles[:, 2] - quartiles[:, 0]) / IQR_OF_NORMAL)
        self.normalized_quartiles = affine_image(*self.raw_quartiles, affine)
        # Sums of the values looked at, less ``shift`` (the center the input should have).
        self.shift = np.nan_to_num(self.normalized[0] if inverse else self.raw[0])
        self.count = np.zeros(n)
        self.sum = np.zeros(n)
        self.squares = np.zeros(n)
        # The first values looked at, for their quartiles (where the fitted data's are known).
        quantiled = bool(np.isfinite(quartiles).any())
        self._room = max(LOOK_MIN_VALUES, LOOK_SAMPLE_VALUES // max(n, 1)) if quantiled else 0
        self._kept: list[np.ndarray] = []

    def update(self, rows: np.ndarray) -> None:
        """Look at the first :data:`LOOK_ROWS` rows of a batch (a row of ``rows`` per record, a
        column per name; NaN: missing). ``rows``, a float64 array of the caller's, is
        overwritten: a batch of many columns is looked at without a copy of it."""
        d = rows[:LOOK_ROWS]
        if self._room > 0:
            kept = d[: self._room].copy()
            self._kept.append(kept)
            self._room -= len(kept)
        d -= self.shift
        invalid = np.isnan(d)
        d[invalid] = 0.0
        valid = ~invalid
        self.count += valid.sum(axis=0)
        self.sum += d.sum(axis=0)
        self.squares += np.einsum("ij,ij->j", d, d)

    def mean_and_std(self) -> tuple[np.ndarray, np.ndarray]:
        """The mean and standard deviation of the values looked at (NaN where none)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            offset = self.sum / self.count
            var = np.maximum(self.squares / self.count - offset * offset, 0.0)
        return self.shift + offset, np.sqrt(var)

    def median_and_spread(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The median of the first values looked at, their interquartile range over 1.349, and
        how many there are (NaN where too few)."""
        n = len(self.names)
        if not self._kept:
            return np.full(n, np.nan), np.full(n, np.nan), np.zeros(n)
        sample = np.concatenate(self._kept)
        count = (~np.isnan(sample)).sum(axis=0)
        q = nan_quantiles(sample, count, (0.25, 0.5, 0.75))
        return q[1], (q[2] - q[0]) / IQR_OF_NORMAL, count

    def _views(self) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
        """Each view's columns: which decide, which look normalized, which raw."""
        mean, std = self.mean_and_std()
        median, spread, count = self.median_and_spread()
        views = []
        for name, (center, width, n), raw, normalized in (
            ("moments", (mean, std, self.count), self.raw, self.normalized),
            ("quartiles", (median, spread, count), self.raw_quartiles, self.normalized_quartiles),
        ):
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                # A column tells something where enough finite values were seen, neither it
                # nor the two references is constant, and the references are far apart.
                deciding = (
                    (n >= LOOK_MIN_VALUES)
                    & np.isfinite(center)
                    & (width > 0)
                    & (raw[1] > 0)
                    & (normalized[1] > 0)
                    & (_distance(*raw, *normalized) >= 1.0)
                )
                to_raw = _distance(center, width, *raw)
                to_normalized = _distance(center, width, *normalized)
            views.append(
                (
                    name,
                    deciding,
                    deciding & (to_normalized * 3 < to_raw),
                    deciding & (to_raw * 3 < to_normalized),
                )
            )
        return views

    def verdict(self) -> tuple[str, int] | None:
        """``("raw", j)`` or ``("normalized", j)`` where every deciding column agrees (``j``:
        the first of them), else None."""
        return self._verdict(self._views())

    def _verdict(self, views: list) -> tuple[str, int] | None:
        deciding = np.logical_or.reduce([v[1] for v in views])
        is_normalized = np.logical_or.reduce([v[2] for v in views])
        is_raw = np.logical_or.reduce([v[3] for v in views])
        # Like one by a view and like the other by another: like neither.
        either = is_normalized ^ is_raw
        is_normalized &= either
        is_raw &= either
        if (deciding & ~is_normalized & ~is_raw).any():
            return None  # a column like neither: drifted data, or other statistics
        if is_normalized.any() == is_raw.any():  # none decides, or they disagree
            return None
        kind, which = ("normalized", is_normalized) if is_normalized.any() else ("raw", is_raw)
        return kind, int(np.argmax(which))

    def refuse(self, name: str, allowed: bool) -> None:
        """Refuse an input that looks already normalized (for a transform) or raw (for an
        inverse), unless ``allowed``."""
        if allowed:
            return
        views = self._views()
        verdict = self._verdict(views)
        wrong = "raw" if self.inverse else "normalized"
        if verdict is None or verdict[0] != wrong:
            return
        j = verdict[1]
        column = self.names[j]
        by_moments = views[0][3 if self.inverse else 2][j]
        if by_moments:
            mean, std = self.mean_and_std()
            seen = f"column {column!r} has mean {mean[j]:.4g} and standard deviation {std[j]:.4g}"
            expected = f"{self.raw[0][j]:.4g} and {self.raw[1][j]:.4g}"
        else:
            median, spread, _ = self.median_and_spread()
            iqr = spread[j] * IQR_OF_NORMAL
            seen = f"column {column!r} has median {median[j]:.4g} and interquartile range {iqr:.4g}"
            raw_iqr = self.raw_quartiles[1][j] * IQR_OF_NORMAL
            expected = f"{self.raw_quartiles[0][j]:.4g} and {raw_iqr:.4g}"
        if self.inverse:
            raise InputError(
                f"{name} does not look normalized with these statistics ({seen}, as the data "
                f"they were fitted on: about {expected}); inverting it would not give back data",
                param="assume_normalized",
                hints=(f"invert it all the same ({param('assume_normalized', True)})",),
            )
        raise InputError(
            f"{name} looks normalized already ({seen}, where these statistics expect about "
            f"{expected}); normalizing it again would not give what you expect",
            param="renormalize",
            hints=(f"normalize it all the same ({param('renormalize', True)})",),
        )


def nan_quantiles(sample: np.ndarray, count: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """The quantiles ``qs`` of each column of ``sample`` without its NaN (``count`` values in
    each), shape ``(len(qs), n_columns)``, NaN for a column without values: numpy's
    ``nanquantile(sample, qs, axis=0)`` (linear interpolation), in one sort of every column
    rather than a call per column (20,000 columns: a second)."""
    ordered = np.sort(sample, axis=0)  # NaN last
    top = np.maximum(count - 1, 0)
    result = np.empty((len(qs), sample.shape[1]))
    for i, q in enumerate(qs):
        at = q * top
        lo = np.floor(at).astype(np.intp)
        hi = np.minimum(lo + 1, top)
        t = at - lo
        a = np.take_along_axis(ordered, lo[None, :], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None, :], axis=0)[0]
        with np.errstate(invalid="ignore"):
            diff = b - a
            # numpy's lerp: from the nearer end, so that the result stays between a and b.
            result[i] = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    result[:, count == 0] = np.nan
    return result


def affine_image(center: np.ndarray, spread: np.ndarray, affine: Affine):
    """Where ``gamma * (x - center) / scale + beta`` takes a distribution of this center and
    spread (column by column)."""
    a = affine
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return (
            a.gamma * (center - a.center) / a.scale + a.beta,
            np.abs(a.gamma) * spread / a.scale,
        )


def _distance(mean_a: np.ndarray, std_a: np.ndarray, mean_b: np.ndarray, std_b: np.ndarray):
    """How far apart two distributions are, column by column, by their means (in units of the
    larger standard deviation) and their spreads (log ratio)."""
    return np.abs(mean_a - mean_b) / np.maximum(std_a, std_b) + np.abs(np.log(std_a / std_b))
