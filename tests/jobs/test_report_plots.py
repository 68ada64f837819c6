"""The report's plots show the data: frames of the data's range, statistics beyond it marked at the
edge, unit bins for counts, and legends with the digits that tell the numbers apart. Checked on
the matplotlib figures that ``column_figure`` returns for real files."""

from __future__ import annotations

import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import run, run_normkit

from normkit.jobs.plots import data_frame, format_values
from normkit.jobs.report import ReportOptions, collect, column_figure

RAW, NORMALIZED, RUNNING_MEAN, RUNNING_STD = range(4)


def report_of(tmp_path, frame: pd.DataFrame, fitted_on: pd.DataFrame | None = None):
    """Fit a stat file on ``fitted_on`` (default: the data itself) and collect a report of the
    data against it."""
    frame.to_csv(tmp_path / "data.csv", index=False)
    source = tmp_path / "data.csv"
    if fitted_on is not None:
        fitted_on.to_csv(tmp_path / "fitted.csv", index=False)
        source = tmp_path / "fitted.csv"
    result = run("fit", source, "-o", tmp_path / "stats.json", "-q")
    assert result.exit_code == 0, result.stderr
    return collect(
        tmp_path / "data.csv", tmp_path / "stats.json", ReportOptions(html=tmp_path / "r.html")
    )


@pytest.fixture
def figure(request):
    """Draw with ``figure(report, j)``; every figure drawn is checked to keep its lines, bars and
    texts inside their axes, then closed."""
    drawn = []

    def draw(report, j):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig = column_figure(report, j)
        fig.canvas.draw()
        drawn.append(fig)
        return fig

    yield draw
    for fig in drawn:
        for ax in fig.axes:
            assert_inside(ax)
        plt.close(fig)


def assert_inside(ax) -> None:
    box = ax.bbox
    tolerance = 1.0  # pixels
    for line in ax.lines:
        xy = line.get_transform().transform(line.get_xydata())
        assert np.all(xy[:, 0] >= box.x0 - tolerance), line.get_label()
        assert np.all(xy[:, 0] <= box.x1 + tolerance), line.get_label()
        assert np.all(xy[:, 1] >= box.y0 - tolerance), line.get_label()
        assert np.all(xy[:, 1] <= box.y1 + tolerance), line.get_label()
    low, high = ax.get_xlim()
    bottom, top = ax.get_ylim()
    for bar in ax.patches:
        assert low <= bar.get_x()
        assert bar.get_x() + bar.get_width() <= high
        assert bottom <= bar.get_y()
        assert bar.get_y() + bar.get_height() <= top
    for text in ax.texts:
        extent = text.get_window_extent()
        assert box.x0 - tolerance <= extent.x0, text
        assert extent.x1 <= box.x1 + tolerance, text
        assert box.y0 - tolerance <= extent.y0, text
        assert extent.y1 <= box.y1 + tolerance, text


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def tick_labels(axis) -> list[str]:
    """The tick labels, with matplotlib's minus sign read as ``-``."""
    return [t.get_text().replace("\N{MINUS SIGN}", "-") for t in axis.get_ticklabels()]


def test_a_mean_of_1e6_prints_with_its_decimals_and_the_ticks_are_plain(tmp_path, figure):
    x = np.random.default_rng(1).normal(size=4000)
    x = (x - x.mean()) / x.std() * 10 + 1e6 + 0.008
    report = report_of(tmp_path, pd.DataFrame({"big": x}))
    assert abs(report.stats.mean[0] - 1000000.008) < 1e-6
    fig = figure(report, 0)
    raw, normal = fig.axes[RAW], fig.axes[NORMALIZED]
    assert "mean (stat file) 1000000.008" in legend_texts(raw)
    assert not [t for t in legend_texts(raw) if "1e+06" in t]
    assert normal.get_title() == "normalized: (x - 1000000.008) / 10"
    # Whole numbers around 1e6 on the raw axis: no "1e6" offset or multiplier in a corner.
    labels = tick_labels(raw.xaxis)
    assert "1000000" in labels
    assert all(label.lstrip("-").isdigit() for label in labels), labels
    assert raw.xaxis.get_offset_text().get_text() == ""
    # The frame is the data's: about 1e6 +- 40, not stretched to the EMA mean (far off after a
    # few batches from 0).
    low, high = raw.get_xlim()
    assert x.min() - 10 < low <= x.min()
    assert x.max() <= high < x.max() + 10


def test_counts_get_one_bin_per_integer_and_a_density_over_the_normal_curve(tmp_path, figure):
    counts = np.random.default_rng(2).poisson(3, size=5000)
    report = report_of(tmp_path, pd.DataFrame({"visits": counts}))
    mean, scale = float(report.stats.mean[0]), float(report.stats.scale[0])
    fig = figure(report, 0)
    raw, normal = fig.axes[RAW], fig.axes[NORMALIZED]
    integers = np.arange(counts.min(), counts.max() + 1)
    left = np.array([bar.get_x() for bar in raw.patches])
    np.testing.assert_array_equal(left, integers - 0.5)
    np.testing.assert_array_equal([bar.get_width() for bar in raw.patches], 1.0)
    np.testing.assert_array_equal(
        [bar.get_height() for bar in raw.patches], np.bincount(counts)[integers]
    )
    assert all(float(label).is_integer() for label in tick_labels(raw.xaxis))
    # Normalized: bins 1 / scale wide, centred on the normalized integers; a density.
    widths = np.array([bar.get_width() for bar in normal.patches])
    centers = np.array([bar.get_x() for bar in normal.patches]) + widths / 2
    np.testing.assert_allclose(widths, 1 / scale, rtol=1e-12)
    np.testing.assert_allclose(centers, (integers - mean) / scale, rtol=1e-12, atol=1e-12)
    heights = np.array([bar.get_height() for bar in normal.patches])
    assert math.isclose(float(np.sum(heights * widths)), 1.0, rel_tol=1e-12)
    (curve,) = [line for line in normal.lines if line.get_label() == "N(0, 1)"]
    assert math.isclose(max(curve.get_ydata()), 1 / math.sqrt(2 * math.pi), rel_tol=1e-3)
    low, high = normal.get_xlim()
    assert low <= -3.5
    assert high >= 3.5
    assert curve.get_xdata()[0] == low
    assert curve.get_xdata()[-1] == high


def test_a_statistic_beyond_the_frame_is_marked_at_its_edge(tmp_path, figure):
    rng = np.random.default_rng(3)
    fitted = pd.DataFrame({"x": rng.normal(size=3000)})
    data = pd.DataFrame({"x": rng.normal(size=3000) + 100.0})
    report = report_of(tmp_path, data, fitted_on=fitted)
    fig = figure(report, 0)
    raw = fig.axes[RAW]
    values = data["x"].to_numpy()
    low, high = raw.get_xlim()
    assert values.min() - 1 < low <= values.min()
    assert values.max() <= high < values.max() + 1
    stat_mean = float(report.stats.mean[0])
    assert not low <= stat_mean <= high
    (shown,) = format_values([stat_mean], 1e-3 * float(report.stats.scale[0]))
    marks = [t.get_text() for t in raw.texts]
    assert f"mean (stat file) {shown}" in marks
    triangles = [line for line in raw.lines if line.get_marker() == "<"]
    assert triangles  # the stat file's mean and EMA mean
    assert all(t.get_xdata()[0] < 0.05 for t in triangles)  # on the left edge, in axes units
    assert not [line for line in raw.lines if line.get_marker() == ">"]
    # This data's mean, which differs, is a line in the frame.
    (label,) = [t for t in legend_texts(raw) if t.startswith("mean (this data) ")]
    assert abs(float(label.split()[-1]) - values.mean()) < 1e-3
    # The normalized values are near 100 too: the standard normal's centre is marked.
    normal = fig.axes[NORMALIZED]
    assert normal.get_xlim()[0] > 50
    assert "N(0, 1) mean 0" in [t.get_text() for t in normal.texts]


def test_far_outliers_leave_the_frame_to_the_quantiles(tmp_path, figure):
    x = np.random.default_rng(4).normal(size=5000)
    x[:5] = 1e4
    report = report_of(tmp_path, pd.DataFrame({"x": x}))
    fig = figure(report, 0)
    raw = fig.axes[RAW]
    q_low, q_high = np.quantile(x, [0.005, 0.995], method="inverted_cdf")
    low, high = raw.get_xlim()
    width = q_high - q_low
    assert q_low - 0.1 * width < low < q_low
    assert q_high < high < q_high + 0.1 * width
    below, above = int(np.sum(x < q_low)), int(np.sum(x > q_high))
    assert (below, above) == (24, 25)
    assert raw.get_title() == "raw values (5,000 sampled; 24 below and 25 above the frame)"
    # The mean (pulled to 10 by the outliers) is in the frame; the bars hold the rest.
    assert sum(bar.get_height() for bar in raw.patches) == 5000 - below - above


def test_constant_missing_and_huge_columns_draw_without_warnings(tmp_path, figure):
    frame = pd.DataFrame(
        {
            "constant": np.full(300, 3.0),
            "huge": np.full(300, 1e300),
            "big_ints": 1e17 + 16 * np.arange(300.0),
            "missing": np.nan,
        }
    )
    frame.loc[:2, "missing"] = [1.0, 2.0, 3.5]
    report = report_of(tmp_path, frame)
    for j in range(len(report.names)):
        fig = figure(report, j)
        raw = fig.axes[RAW]
        low, high = raw.get_xlim()
        assert low < high
    constant = figure(report, 0).axes[RAW]
    (bar,) = constant.patches
    assert (bar.get_x(), bar.get_width(), bar.get_height()) == (2.5, 1.0, 300)
    low, high = constant.get_xlim()
    assert high - low >= 5


@pytest.mark.parametrize(
    ("values", "resolution", "expected"),
    [
        ([1000000.008, 814697.95462], 0.0025, ["1000000.008", "814697.955"]),
        ([1000000.008, 1000000.0], 0.0, ["1000000.01", "1000000"]),
        ([1000000.008, 1000000.0], 1e-6, ["1000000.008", "1000000"]),
        ([58162.56852, 47775.3626], 36.6, ["58163", "47775"]),
        ([0.000282626418], 1.6e-7, ["0.0002826"]),
        ([1 + 2**-52, 1.0], 0.0, ["1.0000000000000002", "1"]),
        ([-0.0, 0.0, math.nan], 0.0, ["0", "0", "nan"]),
        ([1e300], 1e-3, ["1e+300"]),
    ],
)
def test_numbers_print_with_the_digits_that_tell_them_apart(values, resolution, expected):
    assert format_values(values, resolution) == expected


def test_integers_over_a_wide_range_get_bins_of_whole_integers():
    values = np.arange(18.0, 190.0)
    frame = data_frame(values)
    widths = np.diff(frame.edges)
    assert frame.integer
    np.testing.assert_array_equal(widths, 3.0)
    assert frame.edges[0] == 17.5
    assert frame.edges[-1] >= 189.5
    np.testing.assert_array_equal((frame.edges - 0.5) % 1, 0)


def test_the_note_of_default_ema_options_stays_clear_of_the_exact_mean(tmp_path, figure):
    # Statistics fitted without running ones: the note was drawn at the top left of the running
    # mean's panel, over the exact mean's line when the running means lay below it.
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"bmi": rng.normal(26, 4, 442)})
    frame.to_csv(tmp_path / "data.csv", index=False)
    assert run("fit", tmp_path / "data.csv", "--no-ema", "-o", tmp_path / "s.json").exit_code == 0
    options = ReportOptions(html=tmp_path / "r.html")
    report = collect(tmp_path / "data.csv", tmp_path / "s.json", options)
    ax = figure(report, 0).axes[RUNNING_MEAN]
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "EMA options: defaults\n(none in the stat file)"
    box = legend.get_window_extent()
    for line in ax.lines:
        xy = line.get_transform().transform(line.get_xydata())
        if line.get_label().startswith("exact"):  # a horizontal line: its height
            assert not box.y0 <= xy[0, 1] <= box.y1


def test_column_names_with_dollars_are_drawn_as_written(tmp_path, figure):
    # 'cost $\frac$' stopped the report in matplotlib's ParseSyntaxException; 'price $US$' was
    # drawn in math italic, its dollars gone. Every text of the figure is drawn as written.
    names = ["cost $\\frac$", "price $US$"]
    report = report_of(tmp_path, pd.DataFrame({names[0]: [1.0, 2, 3, 4], names[1]: [2.0, 3, 5, 4]}))
    for j, name in enumerate(names):
        fig = figure(report, j)
        assert fig.get_suptitle() == name
        texts = fig.findobj(lambda artist: hasattr(artist, "get_parse_math"))
        assert texts
        assert not any(text.get_parse_math() for text in texts)
    assert plt.rcParams["text.parse_math"]  # the caller's matplotlib is left as it was
    proc = run_normkit(
        "report",
        tmp_path / "data.csv",
        "-s",
        tmp_path / "stats.json",
        "-o",
        tmp_path / "r.html",
        "--png",
        tmp_path / "png",
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == ["cost_frac.png", "price_US.png"]


def test_a_figure_of_weighted_statistics_tells_them_from_this_datas_unweighted_ones(
    tmp_path, figure
):
    # The page's note says this data is read unweighted; the PNG files have no page: their
    # legends say it.
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"x": rng.normal(5, 1, 2000), "w": rng.integers(1, 9, 2000)})
    frame.loc[:999, "w"] = 40  # the weighted mean well off this data's
    frame.to_csv(tmp_path / "data.csv", index=False)
    for weighted in (True, False):
        told = ["--weight-column", "w"] if weighted else []
        assert (
            run("fit", tmp_path / "data.csv", *told, "-o", tmp_path / "s.json", "-q").exit_code == 0
        )
        report = collect(
            tmp_path / "data.csv", tmp_path / "s.json", ReportOptions(html=tmp_path / "r.html")
        )
        fig = figure(report, 0)
        raw, run_mean, run_std = fig.axes[0], fig.axes[2], fig.axes[3]
        labels = [*legend_texts(raw), *legend_texts(run_mean), *legend_texts(run_std)]
        if weighted:
            assert any(t.startswith("mean (stat file, weighted) ") for t in legend_texts(raw))
            assert any(t.startswith("mean (this data, unweighted) ") for t in legend_texts(raw))
            assert "exact mean (stat file, weighted)" in labels
            assert "running std (unweighted)" in labels
        else:
            assert not [t for t in labels if "weighted" in t]
