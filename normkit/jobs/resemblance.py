"""What an input without a record of how it was made looks like: the data the statistics were
fitted on, or what a frozen transform makes of it (:class:`Resemblance`), judged on a sample of
rows spread over the input."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from ..core.quantiles import nan_quantiles
from ..errors import InputError, NormkitError, param
from ..io.arrow import rows_float64
from ..stats.fitted import Affine, FittedStats
from .batchruns import RUN_COLUMNS, RUN_ROWS, BatchRuns, batch_runs

if TYPE_CHECKING:
    from ..io.dataset import Concatenated

__all__ = [
    "LOOK_EVERY",
    "LOOK_ROWS",
    "Resemblance",
    "affine_image",
    "first_rows",
    "looked_at",
    "looks_at",
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

#: How near (:func:`_distance`) a column to invert with the exact statistics must be to the
#: running statistics' image of the fitted data to point to them: means half a deviation apart.
NEAR = 0.5

#: How far apart (:func:`_distance`) the fitted data and its image must be for one column to
#: decide alone (:meth:`Resemblance.clearly`): ages of mean 40 and deviation 12 are 5.8 apart.
APART = 4.0

#: The interquartile range of the standard normal distribution: an interquartile range over it
#: is a spread comparable with a standard deviation.
IQR_OF_NORMAL = 1.3489795003921634


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
    input is judged one or the other if every column that decides agrees, so drifted data,
    which looks like neither, is not refused; or by one column beyond doubt (:meth:`clearly`).

    Moments are not robust (an outlier, a heavy tail). Where the fitted data's quartiles
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
    other : tuple of (str, Affine), or None
        For an ``inverse`` with the exact statistics that nobody asked for: the running
        statistics' transform (``("ema", affine)``). An input that looks like what it makes of
        the fitted data rather than like what ``affine`` makes of it (:meth:`_refuse_other`) is
        refused: it was normalized with the running statistics, and inverting it with the exact
        ones would not give the data back.
    assumed : bool, default False
        For an ``inverse``: whether ``affine``'s gamma and beta were assumed (the stat file's),
        nobody having said both. An input whose columns, all alike, look like what another
        gamma and beta make of the fitted data (:meth:`refuse`) is then refused.
    batch_eps : float or None, default None
        For an ``inverse`` with statistics that have running ones (a batch mode could have
        used them): the batch mode's eps. An input whose first rows come in the runs a batch
        mode leaves (:func:`~normkit.jobs.batchruns.batch_runs`) is then refused.
    """

    def __init__(
        self,
        names: Sequence[str],
        mean: np.ndarray,
        std: np.ndarray,
        affine: Affine,
        inverse: bool,
        quartiles: np.ndarray | None = None,
        other: tuple[str, Affine] | None = None,
        assumed: bool = False,
        batch_eps: float | None = None,
    ):
        self.names = list(names)
        self.inverse = inverse
        self.affine = affine
        self.assumed = assumed and inverse
        n = len(self.names)
        if quartiles is None:
            quartiles = np.full((n, 3), np.nan)
        self.raw = (np.asarray(mean, np.float64), np.asarray(std, np.float64))
        self.normalized = affine_image(*self.raw, affine)
        self.raw_quartiles = (quartiles[:, 1], (quartiles[:, 2] - quartiles[:, 0]) / IQR_OF_NORMAL)
        self.normalized_quartiles = affine_image(*self.raw_quartiles, affine)
        self.other = None
        if other is not None and inverse:
            use, transform = other
            self.other = (
                use,
                affine_image(*self.raw, transform),
                affine_image(*self.raw_quartiles, transform),
            )
        # Sums of the values looked at, less ``shift`` (the center the input should have).
        self.shift = np.nan_to_num(self.normalized[0] if inverse else self.raw[0])
        self.count = np.zeros(n)
        self.sum = np.zeros(n)
        self.squares = np.zeros(n)
        # The first values looked at, for their quartiles (where the fitted data's are known).
        quantiled = bool(np.isfinite(quartiles).any())
        self._room = max(LOOK_MIN_VALUES, LOOK_SAMPLE_VALUES // max(n, 1)) if quantiled else 0
        self._kept: list[np.ndarray] = []
        # For an inverse: the batches a transform in batch mode would have left in the first
        # rows, if they show them (:func:`batch_runs`).
        self.batches: BatchRuns | None = None
        self._batch_eps = batch_eps if inverse else None

    @classmethod
    def of(
        cls,
        stats: FittedStats,
        names: Sequence[str],
        affine: Affine,
        inverse: bool,
        shift: tuple,
        unasked: bool,
        assumed: bool,
    ) -> Resemblance:
        """How an input to normalize (or, ``inverse``, to invert) with ``affine`` is judged
        against the fitted data of ``stats``: their mean, their standard deviation over their
        rows (or over the sum of their weights, as the variance with ddof 0 takes it), their
        quartiles where known; for an inverse with the exact statistics nobody asked for
        (``unasked``), the running statistics' transform with ``shift`` (gamma and beta) too;
        and the batch mode's eps, where the statistics have running ones."""
        weight = stats.weight
        spread = np.sqrt(stats.m2 / np.where(weight > 0, weight, 1.0))
        quartiles = None if stats.sketch is None else stats.sketch.quartiles()
        other = _running_transform(stats, *shift) if unasked else None
        eps = stats.running.options.eps if stats.running is not None else None
        return cls(names, stats.mean, spread, affine, inverse, quartiles, other, assumed, eps)

    def rows_wanted(self, i: int) -> int:
        """Rows of its input's ``i``-th batch (0-based) to show :meth:`update`: of the first,
        for an inverse that looks for a batch mode's runs, :func:`first_rows`."""
        return first_rows(len(self.names)) if i == 0 and self._batch_eps is not None else LOOK_ROWS

    def update(self, rows: np.ndarray) -> None:
        """Look at the first :data:`LOOK_ROWS` rows of a batch (a row of ``rows`` per record, a
        column per name; NaN: missing), and for an inverse at the first :func:`first_rows` of
        the input's first batch for the runs of a batch mode. ``rows``, a float64 array of the
        caller's, is overwritten: a batch of many columns is looked at without a copy of it."""
        if self._batch_eps is not None:  # the input's first rows
            a, eps = self.affine, self._batch_eps
            self.batches = batch_runs(rows[:RUN_ROWS], a.gamma, a.beta, eps, self.raw[1])
            self._batch_eps = None
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

    def _views(self, references: tuple | None = None) -> list[tuple]:
        """Each view's columns: which decide, which look normalized, which raw; or, with
        ``references`` (moments and quartiles of two distributions, the first for raw and the
        second for normalized: ``((raw, normalized), (raw_quartiles, normalized_quartiles))``),
        which look like the second and which like the first."""
        mean, std = self.mean_and_std()
        median, spread, count = self.median_and_spread()
        if references is None:
            references = (
                (self.raw, self.normalized),
                (self.raw_quartiles, self.normalized_quartiles),
            )
        views = []
        for name, (center, width, n), (raw, normalized) in (
            ("moments", (mean, std, self.count), references[0]),
            ("quartiles", (median, spread, count), references[1]),
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
        if self.batches is not None:
            self._refuse_batches(name)
        views = self._views()
        verdict = self._verdict(views)
        wrong = "raw" if self.inverse else "normalized"
        if verdict is None or verdict[0] != wrong:
            if self.other is not None:
                self._refuse_other(name)
            if self.assumed:
                self._refuse_other_affine(name)
            # For an inverse, one column raw beyond doubt, whatever the others look like (a
            # file normalized in part): after the refusals above, whose output can look so too
            # (running statistics barely moved from 0 and 1 leave data as it was). Not for a
            # transform: raw rows chosen by a column's own values (the first of time-sorted
            # data, a class of low pixels) can look standardized in that column.
            verdict = (wrong, self.clearly(wrong) if self.inverse else None)
            if verdict[1] is None:
                return
        seen, expected = self._evidence(views, verdict[1])
        if self.inverse:
            raise InputError(
                f"{name} does not look normalized with these statistics ({seen}, as the data "
                f"they were fitted on: about {expected}); inverting it would not give back data",
                param="assume_normalized",
                hints=(f"invert it all the same ({param('assume_normalized', True)})",),
            )
        raise InputError(
            f"{self._normalized_already(name, seen, expected)}; normalizing it again would not "
            "give what you expect",
            param="renormalize",
            hints=(f"normalize it all the same ({param('renormalize', True)})",),
        )

    def normalized_already(self, name: str) -> str | None:
        """What says that an input to normalize (not ``inverse``) looks normalized already,
        judged as :meth:`refuse` judges it; None where it does not."""
        views = self._views()
        verdict = self._verdict(views)
        if self.inverse or verdict is None or verdict[0] != "normalized":
            return None
        return self._normalized_already(name, *self._evidence(views, verdict[1]))

    def clearly(self, kind: str) -> int | None:
        """The first column that looks ``kind`` (``"raw"``, ``"normalized"``) beyond doubt, or
        None: by every view that decides, four times nearer that image (:data:`APART` apart),
        and no farther by its center, nor by a spread twofold apart (drift moves one only)."""
        mean, std = self.mean_and_std()
        median, spread, count = self.median_and_spread()
        n = len(self.names)
        near, far = np.zeros(n, bool), np.zeros(n, bool)
        for center, width, seen, raw, normalized in (
            (mean, std, self.count, self.raw, self.normalized),
            (median, spread, count, self.raw_quartiles, self.normalized_quartiles),
        ):
            target, other = (raw, normalized) if kind == "raw" else (normalized, raw)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                deciding = (seen >= LOOK_MIN_VALUES) & np.isfinite(center) & (width > 0)
                deciding &= (raw[1] > 0) & (normalized[1] > 0)
                deciding &= _distance(*raw, *normalized) >= APART
                mine, theirs = _parts(center, width, *target), _parts(center, width, *other)
                apart = _parts(*target, *other)  # a part tells where the images differ by it
                close = deciding & (sum(mine) * 4 < sum(theirs)) & (mine[0] <= theirs[0])
                close &= (mine[1] <= theirs[1]) | (apart[1] < np.log(2))
            near |= close
            far |= deciding & ~close
        found = np.flatnonzero(near & ~far)
        return int(found[0]) if len(found) else None

    @staticmethod
    def _normalized_already(name: str, seen: str, expected: str) -> str:
        return f"{name} looks normalized already ({seen}, where these statistics expect about {expected})"

    def _evidence(self, views: list, j: int) -> tuple[str, str]:
        """What column ``j``, which decided the verdict, has, and what the fitted data had: by
        its moments where they decided, else by its quartiles."""
        column = self.names[j]
        if views[0][3 if self.inverse else 2][j]:
            mean, std = self.mean_and_std()
            seen = f"column {column!r} has mean {mean[j]:.4g} and standard deviation {std[j]:.4g}"
            return seen, f"{self.raw[0][j]:.4g} and {self.raw[1][j]:.4g}"
        median, spread, _ = self.median_and_spread()
        iqr = spread[j] * IQR_OF_NORMAL
        seen = f"column {column!r} has median {median[j]:.4g} and interquartile range {iqr:.4g}"
        raw_iqr = self.raw_quartiles[1][j] * IQR_OF_NORMAL
        return seen, f"{self.raw_quartiles[0][j]:.4g} and {raw_iqr:.4g}"

    def _refuse_batches(self, name: str) -> None:
        """Refuse an input to invert whose first rows are runs of one length, each with mean
        beta and a spread of at most |gamma| (:attr:`batches`): what a transform in batch mode
        writes."""
        runs = self.batches
        assert runs is not None
        column = self.names[runs.column]
        raise InputError(
            f"{name} looks like the output of a transform in batch mode: its first rows come "
            f"in runs of {runs.length}, each with mean beta and a standard deviation of at most "
            f"|gamma| in every column (column {column!r}: mean {runs.mean:.3g}, standard "
            f"deviation {runs.std:.4g} in the first run), as when each batch is normalized with "
            "statistics of its own, which cannot be inverted; a CSV does not record how it was "
            "made",
            param="assume_normalized",
            hints=(
                "invert what a frozen transform writes (transform's default mode)",
                f"invert it all the same ({param('assume_normalized', True)})",
            ),
        )

    def _refuse_other(self, name: str) -> None:
        """Refuse an input to invert that looks like what the other statistics (:attr:`other`)
        make of the fitted data rather than like what the ones used make of it.

        Column by column, by each view that decides (:meth:`_views`, the two images far
        apart): a column points to the running statistics where it is three times nearer their
        image than the exact ones' and near it (within :data:`NEAR`), to the exact ones where
        it is three times nearer theirs; pointed both ways by its two views, or neither way
        (a heavy tail, drift, another gamma or beta), it tells nothing. The input is refused
        where no column points to the exact statistics and at least two thirds of the deciding
        ones (and one) point to the running ones: one heavy-tailed or drifted column in
        thirty does not let it through, data that drifted from both images (every column its
        own way) is not refused."""
        use, other, other_quartiles = self.other  # type: ignore[misc]
        references = ((self.normalized, other), (self.normalized_quartiles, other_quartiles))
        views = self._views(references)
        mean, std = self.mean_and_std()
        median, spread, _ = self.median_and_spread()
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            near = (
                _distance(mean, std, *other) < NEAR,
                _distance(median, spread, *other_quartiles) < NEAR,
            )
        deciding = views[0][1] | views[1][1]
        to_other = (views[0][2] & near[0]) | (views[1][2] & near[1])
        to_used = views[0][3] | views[1][3]
        running = to_other & ~to_used
        if to_used.any() or not running.any() or running.sum() * 3 < deciding.sum() * 2:
            return
        j = int(np.argmax(running))
        column = self.names[j]
        if views[0][2][j] and near[0][j]:  # by its moments
            seen = f"column {column!r} has mean {mean[j]:.4g} and standard deviation {std[j]:.4g}"
            theirs, ours = (
                (other[0][j], other[1][j]),
                (self.normalized[0][j], self.normalized[1][j]),
            )
        else:
            iqr = spread[j] * IQR_OF_NORMAL
            seen = f"column {column!r} has median {median[j]:.4g} and interquartile range {iqr:.4g}"
            theirs = (other_quartiles[0][j], other_quartiles[1][j] * IQR_OF_NORMAL)
            ours = (
                self.normalized_quartiles[0][j],
                self.normalized_quartiles[1][j] * IQR_OF_NORMAL,
            )
        raise InputError(
            f"{name} looks more like what the running statistics make of the fitted data than "
            f"what the exact ones make ({seen}; the running statistics make about "
            f"{theirs[0]:.4g} and {theirs[1]:.4g}, the exact ones {ours[0]:.4g} and "
            f"{ours[1]:.4g}), and a CSV does not record which normalized it (drifted data can "
            "look so too); inverting it with the wrong ones would not give the data back",
            param="use",
            hints=(f"say which ({param('use', 'exact')} or {param('use', use)})",),
        )

    def _refuse_other_affine(self, name: str) -> None:
        """Refuse an input to invert whose columns all look like what one other gamma and beta
        make of the fitted data (normalized with ``--gamma`` or ``--beta`` into a file that does
        not record them), where the assumed ones were not said.

        Each column's mean and standard deviation tell the gamma and beta that take the fitted
        data's to them (the sign of gamma is not told: it is taken as the assumed one's). Drifted
        data tells each column's own; the transform's parameters, one number for every column,
        tell the same in every column, but for a few (one sorted, whose first rows are not like
        the rest). So the input is refused only where at least two columns, and two thirds of
        those that tell them, tell them alike (within :data:`ALIKE` of their median), far from
        the assumed ones: a gamma :data:`OTHER_GAMMA` times larger, or the same gamma (within a
        factor :data:`SAME_GAMMA`) and a beta :data:`OTHER_BETA` standard deviations apart. A
        narrower spread alike in every column is what a model's predictions (shrunk towards the
        mean) or rows chosen by a value of correlated columns give: it goes through."""
        a = self.affine
        mean, std = self.mean_and_std()
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            center = (self.raw[0] - a.center) / a.scale  # of the fitted data, normalized
            spread = self.raw[1] / a.scale
            gamma = np.copysign(std / spread, a.gamma)
            beta = mean - gamma * center
            deciding = (
                (self.count >= LOOK_MIN_VALUES)
                & (std > 0)
                & (spread > 0)
                & np.isfinite(gamma)
                & np.isfinite(beta)
            )
        if deciding.sum() < 2:
            return
        g, b = gamma[deciding], beta[deciding]
        common_gamma, common_beta = float(np.median(g)), float(np.median(b))
        width = abs(common_gamma)
        alike = (np.abs(g / common_gamma - 1) < ALIKE) & (np.abs(b - common_beta) < ALIKE * width)
        if alike.sum() < 2 or alike.sum() * 3 < len(alike) * 2:
            return
        assumed_gamma, assumed_beta = a.gamma[deciding][alike], a.beta[deciding][alike]
        ratio = np.abs(common_gamma / assumed_gamma)
        shifted = np.abs(common_beta - assumed_beta) >= OTHER_BETA * np.abs(assumed_gamma)
        far = (ratio >= OTHER_GAMMA) | ((np.abs(np.log(ratio)) <= np.log(SAME_GAMMA)) & shifted)
        if not far.all():
            return
        j = int(np.flatnonzero(deciding)[alike][0])
        column = self.names[j]
        others = (
            "another column looks alike" if alike.sum() == 2 else f"{alike.sum() - 1} others do"
        )
        uniform = bool((a.gamma == a.gamma[j]).all() and (a.beta == a.beta[j]).all())
        given = (
            f"{param('gamma', float(a.gamma[j]))} {param('beta', float(a.beta[j]))}"
            if uniform
            else f"{param('gamma')} and {param('beta')} of each column"
        )
        raise InputError(
            f"{name} looks normalized with gamma about {common_gamma:.3g} and beta about "
            f"{common_beta:.3g} (column {column!r} has mean {mean[j]:.4g} and standard "
            f"deviation {std[j]:.4g}, and {others}), not with "
            f"gamma {float(a.gamma[j]):g} and beta {float(a.beta[j]):g} that it would be inverted "
            "with (the stat file's where not given: it keeps no record of how it was "
            "normalized); inverting it with those would not give the data back",
            param="gamma",
            hints=(
                f"give the ones it was normalized with ({param('gamma')} and {param('beta')}, "
                "which transform named as it wrote it)",
                f"invert it with these all the same ({given})",
            ),
        )


#: How alike every column's gamma and beta must be (:meth:`Resemblance._refuse_other_affine`):
#: within a fifth of their median gamma.
ALIKE = 0.2

#: How far from the assumed gamma and beta the columns' must be for an inverse to be refused:
#: gamma 1.4 times larger, or gamma within a factor 1.25 and beta 0.4 standard deviations
#: apart (a margin for the sample's estimate of a gamma of 1.5 or a beta of 0.5).
OTHER_GAMMA = 1.4
SAME_GAMMA = 1.25
OTHER_BETA = 0.4


def first_rows(n_columns: int) -> int:
    """Rows of an input's first batch to look at (those of the others: :data:`LOOK_ROWS`):
    :data:`RUN_ROWS` where they hold at most a quarter of a million values, else fewer, down to
    :data:`LOOK_ROWS`."""
    return max(LOOK_ROWS, min(RUN_ROWS, (RUN_ROWS * RUN_COLUMNS) // max(n_columns, 1)))


def _running_transform(stats: FittedStats, gamma, beta) -> tuple[str, Affine] | None:
    """The running statistics' frozen transform, to tell their output from the exact ones'; None
    without them, or where they cannot make one (a running variance of 0 without eps)."""
    if stats.running is None:
        return None
    try:
        return "ema", stats.frozen("ema", gamma, beta)
    except NormkitError:
        return None


def affine_image(center: np.ndarray, spread: np.ndarray, affine: Affine):
    """Where ``gamma * (x - center) / scale + beta`` takes a distribution of this center and
    spread (column by column)."""
    a = affine
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return (
            a.gamma * (center - a.center) / a.scale + a.beta,
            np.abs(a.gamma) * spread / a.scale,
        )


def _parts(mean_a: np.ndarray, std_a: np.ndarray, mean_b: np.ndarray, std_b: np.ndarray):
    """How far apart two distributions are, column by column, by their means (in units of the
    larger standard deviation) and by their spreads (log ratio)."""
    return np.abs(mean_a - mean_b) / np.maximum(std_a, std_b), np.abs(np.log(std_a / std_b))


def _distance(*distributions: np.ndarray):
    """:func:`_parts` together."""
    return sum(_parts(*distributions))


def looked_at(
    given: Iterable[pa.RecordBatch],
    batches: Concatenated,
    names: list[str],
    looks: dict[str, Resemblance],
    first_look: Callable[[str], None] | None = None,
) -> Iterator[pa.RecordBatch]:
    """The batches ``given`` (those of ``batches``, checked on their way), the first rows of some
    shown to the :class:`Resemblance` of their input (if it has one): of each input's first
    :data:`LOOK_EVERY` batches, then of every :data:`LOOK_EVERY`-th, so that the sample spans
    the whole input at a small cost. ``first_look(name)`` is called once an input's first
    batch has been looked at, before that batch is given on."""
    rows, seen = 0, {}
    for batch in given:
        name = batches.source_of(rows)[0].name if batch.num_rows else ""
        rows += batch.num_rows
        look = looks.get(name)
        if look is not None:
            i = seen[name] = seen.get(name, -1) + 1
            if looks_at(i):
                look.update(rows_float64(batch.select(names).slice(0, look.rows_wanted(i))))
            if i == 0 and first_look is not None:
                first_look(name)
        yield batch
