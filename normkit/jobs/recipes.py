"""How transformed data was made, recorded where the data goes: Parquet and Arrow outputs keep
in their schema metadata the statistics' fingerprint, which statistics were used (exact or
running), gamma, beta, the mode, and whether it was an inverse. Later jobs read it back: an
inverse undoes exactly what was done, and a second transform with the same statistics is
refused. CSV carries no metadata: an inverse of CSV uses what its options say (by default the
exact statistics, with the stat file's gamma and beta).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, OptionError, param
from ..io.reader import Reader

__all__ = ["METADATA_KEY", "Recipe", "inverse_settings", "refuse_renormalizing"]

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
    """

    mode: str
    use: str
    inverse: bool
    stats: str | None = None
    gamma: Mapping[str, float] | None = None
    beta: Mapping[str, float] | None = None

    def to_metadata(self) -> dict[bytes, bytes]:
        recipe = {
            "mode": self.mode,
            "use": self.use,
            "inverse": self.inverse,
            "stats": self.stats,
            "gamma": dict(self.gamma) if self.gamma is not None else None,
            "beta": dict(self.beta) if self.beta is not None else None,
        }
        return {METADATA_KEY: json.dumps(recipe).encode("utf-8")}

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
            doc = json.loads(metadata[METADATA_KEY])
            recipe = cls(
                mode=str(doc["mode"]),
                use=str(doc.get("use") or "exact"),
                inverse=bool(doc.get("inverse", False)),
                stats=doc.get("stats"),
                gamma=_per_column(doc.get("gamma")),
                beta=_per_column(doc.get("beta")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InputError(
                f"{source.name}: its record of how it was made ({METADATA_KEY.decode()} in "
                "the schema metadata) is damaged"
            ) from None
        return recipe


def _per_column(values: object) -> dict[str, float] | None:
    if values is None:
        return None
    if not isinstance(values, dict):
        raise TypeError("not a mapping")
    return {str(k): float(v) for k, v in values.items()}


def refuse_renormalizing(sources: Sequence[Reader], fingerprint: str, allowed: bool) -> None:
    """Refuse data these very statistics already normalized (unless ``allowed``)."""
    if allowed:
        return
    for source in sources:
        recipe = Recipe.of(source)
        if recipe is not None and not recipe.inverse and recipe.stats == fingerprint:
            raise InputError(
                f"{source.name} is already normalized with these statistics (its metadata "
                "says so); normalizing it again would not give what you expect",
                param="renormalize",
                hints=(
                    "invert it, if that was meant",
                    f"normalize it again all the same ({param('renormalize', True)})",
                ),
            )


def inverse_settings(
    sources: Sequence[Reader],
    names: Sequence[str],
    fingerprint: str,
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
