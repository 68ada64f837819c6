"""The options that shape the statistics themselves."""

from __future__ import annotations

from dataclasses import dataclass

from .. import params

__all__ = ["StatsOptions"]


@dataclass(frozen=True)
class StatsOptions:
    """The options that shape the statistics themselves (as ``StandardScaler``'s do).

    Parameters
    ----------
    ddof : {0, 1}, default 0
        The variance divides M2 by ``count - ddof``.
    eps : float, default 0.0
        Added to the variance before the square root (then no constant-column rule).
    with_mean, with_std : bool, default True
        Whether transforms center, and scale.
    """

    ddof: int = 0
    eps: float = 0.0
    with_mean: bool = True
    with_std: bool = True

    def __post_init__(self) -> None:
        for name in ("ddof", "eps", "with_mean", "with_std"):
            object.__setattr__(self, name, params.check(name, getattr(self, name)))
        object.__setattr__(self, "ddof", int(self.ddof))
        object.__setattr__(self, "eps", float(self.eps))
