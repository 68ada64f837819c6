"""The report's histograms: what frame they show, how they bin, and how statistics are marked.

- The frame is the data's: from its smallest to its largest value, or, when a few values lie
  far out (that range is more than twice as wide as the 0.5%..99.5% quantile range), those
  quantiles; never stretched to reach a statistic. A statistic outside the frame is a triangle
  at the edge, labelled with its value; values outside the frame are counted in the title.
- Integer-valued columns get one bin per integer (edges at ``k - 1/2``, ``k + 1/2``) when at
  most :data:`MAX_INTEGER_BINS` integers are in the frame, else bins a whole number of
  integers wide: 60 bins over 18..189 would cover 2 or 3 integers each and draw a comb.
- Normalized histograms map the raw bin edges through ``(x - mean) / scale`` (unit bins become
  ``1 / scale`` wide, centred on the normalized integers) and are densities over all the
  sampled values, so they compare with the standard normal density drawn over the same frame.
- Text is drawn as written: a column named ``price $US$`` is not math text.
- Numbers in legends and titles print as many significant digits as needed to resolve a
  thousandth of the column's scale and to tell apart the distinct values shown together:
  ``1000000.008``, not ``1e+06``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import OptionError

__all__ = [
    "MAX_BINS",
    "MAX_INTEGER_BINS",
    "Frame",
    "StatLine",
    "data_frame",
    "draw_histogram",
    "draw_normal_density",
    "draw_stat_lines",
    "format_values",
    "integer_valued",
    "literal_text",
    "normalized_frame",
    "pyplot",
    "readable_ticks",
]

#: Bins of a histogram of real values at most.
MAX_BINS = 60
#: Integers in a frame at most for one bin per integer.
MAX_INTEGER_BINS = 100
#: The quantiles that frame the data when its extremes lie far out.
FRAME_QUANTILES = (0.005, 0.995)
#: The normalized frame reaches at least this far, the standard normal's bulk, unless the data
#: lie far from it.
NORMAL_REACH = 3.5


def pyplot():
    """matplotlib's pyplot on its headless Agg backend; a clear error when it is not installed."""
    try:
        import matplotlib
    except ImportError:
        raise OptionError(
            "normkit report draws with matplotlib: pip install 'normkit[report]'"
        ) from None
    matplotlib.use("Agg")  # headless: no display is needed or used
    import matplotlib.pyplot as plt

    return plt


@contextlib.contextmanager
def literal_text() -> Iterator[None]:
    """Inside (or as a decorator of a function that draws a figure), every text made is drawn
    as written: matplotlib reads text between two ``$`` as math (``price $US$`` drawn in math
    italic without its dollars, ``cost $\\frac$`` a parse error), and column names are no math."""
    plt = pyplot()
    with plt.rc_context({"text.parse_math": False}):
        yield


@dataclass(frozen=True)
class Frame:
    """The x range a histogram shows and its bins.

    ``edges`` is None when the values cannot be binned (none, or all equal and not an
    integer); ``below`` and ``above`` count the values outside the bins; ``integer``: the
    values are integers, binned whole.
    """

    low: float
    high: float
    edges: np.ndarray | None
    below: int = 0
    above: int = 0
    integer: bool = False

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class StatLine:
    """A statistic drawn over a histogram: a vertical line, or a triangle at the frame's edge."""

    label: str
    value: float
    color: str
    style: str = "-"


def integer_valued(values: np.ndarray) -> bool:
    """Whether every value is an integer small enough that ``k +- 1/2`` is exact in float64."""
    return bool(
        len(values) and np.abs(values).max() < 2.0**52 and np.array_equal(values, np.round(values))
    )


def data_frame(values: np.ndarray, empty: tuple[float, float] = (-1.0, 1.0)) -> Frame:
    """The frame and bins of a histogram of ``values`` (finite floats, any order).

    Parameters
    ----------
    values : ndarray of shape (n,)
    empty : (float, float), default (-1, 1)
        The frame when there are no values.

    Returns
    -------
    Frame
        ``low``..``high`` is min..max, or the 0.5%..99.5% quantiles when min..max is more than
        twice as wide, padded a little so the outer bars show; one bin per integer for
        integer-valued data over at most :data:`MAX_INTEGER_BINS` integers.

    Examples
    --------
    >>> frame = data_frame(np.array([0.0, 1.0, 1.0, 3.0]))
    >>> frame.edges
    array([-0.5,  0.5,  1.5,  2.5,  3.5])
    """
    if not len(values):
        return Frame(*empty, None)
    low, high = float(values.min()), float(values.max())
    q_low, q_high = (float(q) for q in np.quantile(values, FRAME_QUANTILES, method="inverted_cdf"))
    if q_high > q_low and high - low > 2 * (q_high - q_low):
        low, high = q_low, q_high
    if integer_valued(values):
        edges = _integer_edges(low, high)
        # Padded a little, and to 5 integers at least: one value is one bar among empty ones.
        pad = max(0.02 * (edges[-1] - edges[0]), (5 - (edges[-1] - edges[0])) / 2)
        return _counted(values, edges[0] - pad, edges[-1] + pad, edges, integer=True)
    if low == high:
        # One value: a frame around it (a histogram has no width); 1% of it stays finite.
        half = 0.01 * abs(low) or 1.0
        return _counted(values, low - half, high + half, None)
    # Bins narrower than a few float64 steps at this magnitude cannot be told apart.
    step = float(np.spacing(max(abs(low), abs(high))))
    n_bins = int(max(1, min(MAX_BINS, 2 * math.sqrt(len(values)) + 8, (high - low) / (4 * step))))
    edges = np.linspace(low, high, n_bins + 1)
    pad = 0.04 * (high - low)
    return _counted(values, low - pad, high + pad, edges)


def _integer_edges(low: float, high: float) -> np.ndarray:
    n_integers = int(high - low) + 1
    width = 1 if n_integers <= MAX_INTEGER_BINS else math.ceil(n_integers / MAX_BINS)
    n_bins = math.ceil(n_integers / width)
    return low - 0.5 + width * np.arange(n_bins + 1, dtype=np.float64)


def _counted(
    values: np.ndarray, low: float, high: float, edges: np.ndarray | None, integer: bool = False
) -> Frame:
    # Values beyond the outer bin edges are not drawn, even inside the padding.
    first, last = (low, high) if edges is None else (edges[0], edges[-1])
    return Frame(
        low,
        high,
        edges,
        int(np.count_nonzero(values < first)),
        int(np.count_nonzero(values > last)),
        integer,
    )


def normalized_frame(frame: Frame, z: np.ndarray, mean: float, scale: float) -> Frame:
    """The frame of the normalized values ``z = (x - mean) / scale``: the raw frame mapped
    (bins keep their place: unit bins become ``1 / scale`` wide), widened to the standard
    normal's bulk (``-3.5..3.5``) unless the data lie so far from it that they would be
    squeezed into a third of the plot."""
    if frame.edges is not None:
        edges = (frame.edges - mean) / scale
        z_frame = Frame(
            (frame.low - mean) / scale, (frame.high - mean) / scale, edges, frame.below, frame.above
        )
    else:
        z_frame = data_frame(z)
    low, high = min(z_frame.low, -NORMAL_REACH), max(z_frame.high, NORMAL_REACH)
    if high - low <= max(3 * (z_frame.high - z_frame.low), 3 * NORMAL_REACH):
        return Frame(low, high, z_frame.edges, z_frame.below, z_frame.above)
    return z_frame


def draw_histogram(ax, values: np.ndarray, frame: Frame, color: str, density: bool) -> float:
    """Draw the histogram of ``values`` over ``frame`` on ``ax``; its tallest bar's height.

    With ``density``, bars are densities over all the values, those outside the frame included
    (the area of the bars is the share of values in the frame), so that they compare with a
    probability density; otherwise counts.
    """
    if frame.edges is None:
        if len(values):  # all equal: a thick line where they are
            ax.axvline(values[0], color=color, lw=6)
        return 0.0
    widths = np.diff(frame.edges)
    counts, _ = np.histogram(values, bins=frame.edges)
    heights = counts / (len(values) * widths) if density else counts.astype(np.float64)
    ax.bar(frame.edges[:-1], heights, width=widths, align="edge", color=color, linewidth=0)
    return float(heights.max()) if len(heights) else 0.0


def draw_normal_density(ax, frame: Frame) -> float:
    """Draw the standard normal density over the frame (and only there); its highest point."""
    grid = np.linspace(frame.low, frame.high, 400)
    density = np.exp(-(grid**2) / 2) / math.sqrt(2 * math.pi)
    ax.plot(grid, density, "k--", lw=1, label="N(0, 1)")
    return float(density.max())


def draw_stat_lines(
    ax, lines: Sequence[StatLine], frame: Frame, resolution: float
) -> tuple[bool, bool]:
    """Draw each statistic as a vertical line in the frame (in the legend), or as a triangle at
    the edge it lies beyond, with its name and value beside it; non-finite statistics are left
    out. Values print with
    :func:`format_values` (``resolution``: the smallest difference worth showing). Whether a
    triangle is on the left and on the right."""
    lines = [line for line in lines if math.isfinite(line.value)]
    texts = format_values([line.value for line in lines], resolution)
    sides = {"left": 0, "right": 0}
    for line, text in zip(lines, texts, strict=True):
        if frame.contains(line.value):
            ax.axvline(
                line.value, color=line.color, lw=1.5, ls=line.style, label=f"{line.label} {text}"
            )
            continue
        side = "left" if line.value < frame.low else "right"
        # In axes coordinates: on the edge whatever the limits, below the legend and above the
        # bars (draw_histogram's callers leave the top third of the axes free).
        x = 0.015 if side == "left" else 0.985
        y = 0.74 - 0.08 * sides[side]
        sides[side] += 1
        ax.plot(
            [x],
            [y],
            marker="<" if side == "left" else ">",
            ms=9,
            ls="none",
            color=line.color,
            transform=ax.transAxes,
        )
        ax.text(
            x + (0.025 if side == "left" else -0.025),
            y,
            f"{line.label} {text}",
            transform=ax.transAxes,
            ha=side,
            va="center",
            fontsize=8,
            color=line.color,
        )
    return sides["left"] > 0, sides["right"] > 0


def format_values(
    values: Sequence[float], resolution: float = 0.0, min_digits: int = 4
) -> list[str]:
    """Numbers shown together, each in ``%g`` form with the fewest significant digits that show it
    to ``resolution``, and more until distinct values read differently.

    Parameters
    ----------
    values : sequence of float
    resolution : float, default 0
        The smallest difference worth showing (such as a thousandth of a column's scale); 0: only
        ``min_digits`` and distinctness count.
    min_digits : int, default 4

    Returns
    -------
    list of str
        At most as many significant digits as the shortest text that reads back as the same
        float64 (17 at most), which tells any two float64 apart.

    Examples
    --------
    >>> format_values([1000000.008, 814697.95462], resolution=0.0025)
    ['1000000.008', '814697.955']
    >>> format_values([1000000.008, 1000000.0])
    ['1000000.01', '1000000']
    """
    values = [float(v) + 0.0 for v in values]  # + 0.0: -0.0 reads as 0
    digits = [_digits(v, resolution, min_digits) for v in values]
    distinct = {v for v in values if not math.isnan(v)}
    for extra in range(18):
        labels = [
            f"{v:.{max(d, min(d + extra, _shortest(v) if math.isfinite(v) else 17))}g}"
            for v, d in zip(values, digits, strict=True)
        ]
        if len({t for t, v in zip(labels, values, strict=True) if not math.isnan(v)}) == len(
            distinct
        ):
            break
    return labels


def _digits(value: float, resolution: float, min_digits: int) -> int:
    if not math.isfinite(value) or value == 0:
        return min_digits
    exponent = math.floor(math.log10(abs(value)))
    needed = min_digits
    if resolution > 0:
        needed = max(needed, exponent - math.floor(math.log10(resolution)) + 1)
    # Never more than the shortest that reads back as the same float64 (1e+300, not
    # 1.0000000000000001e+300): digits beyond it are noise. But all the digits before the
    # point, up to 16 of them: 58163 and 1000000, not 5.816e+04 and 1e+06.
    return max(min(needed, _shortest(value)), exponent + 1 if exponent < 16 else 1)


def _shortest(value: float) -> int:
    return next(p for p in range(1, 18) if float(f"{value:.{p}g}") == value)


def readable_ticks(axis, low: float, high: float, integer: bool = False) -> None:
    """Plain tick labels (999990, 1000000, 1000010) on an axis spanning ``low``..``high`` when
    they need at most 9 digits: matplotlib's default would print 0.99999 to 1.00001 times 1e6,
    or offsets from 1e6 in a corner. Other axes keep the default formatter (offset or
    scientific). Labels of 5 digits or more come at most 6 to an axis, so they do not run into
    each other; ``integer``: ticks at integers only (counts have no 2.5)."""
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    steps = [1, 2, 5, 10] if integer else [1, 2, 2.5, 5, 10]
    magnitude, span = max(abs(low), abs(high)), high - low
    if not (math.isfinite(magnitude) and magnitude > 0 and span > 0):
        return
    digits = math.floor(math.log10(magnitude)) - math.floor(math.log10(span / 10)) + 1
    plain = 1 <= magnitude < 1e9 and digits <= 9
    if plain:
        formatter = ScalarFormatter(useOffset=False)
        formatter.set_scientific(False)
        axis.set_major_formatter(formatter)
    n_ticks = 8 if plain and magnitude < 1e4 else 5
    axis.set_major_locator(MaxNLocator(nbins=n_ticks, steps=steps, integer=integer))
