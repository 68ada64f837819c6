"""``normkit report``: an HTML page with one section of plots per column, and PNG files."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_CSV, run

import normkit
from normkit.core.accumulator import Accumulator
from normkit.core.running import EmaOptions
from normkit.jobs.report import TRAJECTORY_POINTS, Trajectory

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample_stats(tmp_path_factory) -> Path:
    stats = tmp_path_factory.mktemp("stats") / "stats.json"
    result = run("fit", SAMPLE_CSV, "--exclude", "id", "-o", stats, "-q")
    assert result.exit_code == 0, result.stderr
    return stats


def sections(page: str) -> dict[str, bytes]:
    """Column name -> the PNG embedded in its section."""
    found = re.findall(
        r'<section id="col-[^"]*" class="column"><h2>([^<]*)</h2>'
        r'<img alt="[^"]*" src="data:image/png;base64,([^"]*)"></section>',
        page,
    )
    return {name: base64.b64decode(data) for name, data in found}


def test_the_report_of_the_sample_data_has_a_section_per_column(tmp_path, sample_stats):
    out, pngs = tmp_path / "report.html", tmp_path / "pngs"
    result = run("report", SAMPLE_CSV, "-s", sample_stats, "-o", out, "--png", pngs)
    assert result.exit_code == 0, result.output
    page = out.read_text()
    names = list(normkit.load(sample_stats).columns_)
    embedded = sections(page)
    assert list(embedded) == names
    for image in embedded.values():
        assert image.startswith(PNG_MAGIC)
        assert matplotlib.image.imread(__import__("io").BytesIO(image)).shape[2] in (3, 4)
    assert "<strong>up to 10,000 values</strong> per column" in page
    assert "raw values (3,883 sampled)" not in page  # the count is drawn in the image
    # The summary table: one row per column, linking to its section.
    assert page.count('<td><a href="#col-') == len(names)
    assert sorted(p.name for p in pngs.iterdir()) == sorted(f"{n}.png" for n in names)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_missing_values_and_constant_columns(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=3000)
    x[rng.random(3000) < 0.3] = np.nan
    frame = pd.DataFrame({"x": x, "constant": 7.0, "mostly_missing": np.nan})
    frame.loc[:4, "mostly_missing"] = [1.0, 2.0, 3.0, 4.0, 5.0]
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert run("fit", tmp_path / "d.csv", "-o", tmp_path / "s.json", "-q").exit_code == 0
    result = run(
        "report",
        tmp_path / "d.csv",
        "-s",
        tmp_path / "s.json",
        "-o",
        tmp_path / "r.html",
        "--sample",
        "500",
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text()
    assert list(sections(page)) == ["x", "constant", "mostly_missing"]
    assert "<strong>up to 500 values</strong> per column" in page


def test_a_page_of_weighted_statistics_says_that_this_data_is_read_unweighted(tmp_path):
    # Its "mean (this data)" is unweighted beside the stat file's weighted one: it did not say.
    data = tmp_path / "d.csv"
    pd.DataFrame({"x": [1.0, 2.0, 5.0, 7.0], "w": [1, 3, 1, 2]}).to_csv(data, index=False)
    for weighted, stats in ((["--weight-column", "w"], "w.json"), ([], "u.json")):
        assert run("fit", data, *weighted, "-o", tmp_path / stats, "-q").exit_code == 0
        assert run("report", data, "-s", tmp_path / stats, "-o", tmp_path / "r.html").exit_code == 0
        said = "The stat file&#x27;s statistics are weighted (by column &#x27;w&#x27;); this data"
        assert (said in (tmp_path / "r.html").read_text()) == bool(weighted)


def test_a_column_without_values_here_shows_no_running_statistics_of_this_data(tmp_path):
    """No batch of this data updated the running statistics of a column it has no value in:
    BatchNorm's start (0 and 1) is no statistic of it, and is not shown as one."""
    from normkit.jobs.report import ReportOptions, collect
    from normkit.jobs.report_page import summary_rows

    rng = np.random.default_rng(4)
    fitted = pd.DataFrame({"a": rng.normal(5, 1, 3000), "b": rng.normal(2, 1, 3000)})
    fitted.to_csv(tmp_path / "f.csv", index=False)
    here = pd.DataFrame({"a": rng.normal(5, 1, 600), "b": np.nan})
    here.to_csv(tmp_path / "h.csv", index=False)
    assert run("fit", tmp_path / "f.csv", "-o", tmp_path / "s.json", "-q").exit_code == 0
    options = ReportOptions(html=tmp_path / "r.html")
    rows = summary_rows(collect([tmp_path / "h.csv"], tmp_path / "s.json", options))
    a, b = rows
    assert b[1:3] == ["0", "600"]
    assert b[-4:] == ["", "", "", ""]  # this data's mean, std, EMA mean and EMA std
    assert all(a[-4:])  # a column with values shows all four
    assert all(b[3:7])  # and the stat file's own statistics are shown for both


def test_usage_and_data_errors(tmp_path, sample_stats):
    result = run("report", SAMPLE_CSV, "-s", sample_stats)
    assert result.exit_code == 2
    assert "nothing to write: give an HTML output (--output) or a PNG directory (--png)" in (
        result.stderr
    )
    pd.read_csv(SAMPLE_CSV).drop(columns=["age"]).to_csv(tmp_path / "less.csv", index=False)
    result = run("report", tmp_path / "less.csv", "-s", sample_stats, "-o", tmp_path / "r.html")
    assert result.exit_code == 1
    assert result.stderr.startswith("normkit: error: ")
    assert "has column 'age' but the input has no such column" in result.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_data_normkit_normalized_is_refused_as_drift_refuses_it(tmp_path, sample_stats, suffix):
    # The report drew the z-values as the raw histogram and normalized them again (a mean of
    # -5.6e-17 beside the stat file's), without a word; drift refused the same input.
    z = tmp_path / f"z.{suffix}"
    assert run("transform", SAMPLE_CSV, "-s", sample_stats, "-o", z, "-q").exit_code == 0
    result = run("report", z, "-s", sample_stats, "-o", tmp_path / "r.html")
    assert result.exit_code == 1, result.stderr
    assert "is data normkit normalized" in result.stderr
    assert "the statistics were fitted on raw data" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_the_trajectory_is_thinned_evenly_and_ends_at_the_running_statistics():
    options = EmaOptions(batch_size=4)
    x = np.random.default_rng(0).normal(size=(4 * 5000 + 2, 2))
    trajectory = Trajectory(2)
    observed = Accumulator(["a", "b"], running=options, observers=[trajectory])
    plain = Accumulator(["a", "b"], running=options)
    for start in range(0, len(x), 999):
        observed.update(list(x[start : start + 999].T))
        plain.update(list(x[start : start + 999].T))
    want = plain.finish().running
    got = observed.finish().running
    assert len(trajectory.batches) <= 2 * TRAJECTORY_POINTS
    steps = np.diff(trajectory.batches)
    assert (steps == trajectory.stride).all()
    np.testing.assert_array_equal(got.running_mean, want.running_mean)
    batches, means, _ = trajectory.points()
    assert batches[-1] == want.n_batches
    np.testing.assert_array_equal(means[-1], want.running_mean)
    last = trajectory.batches[-1]
    assert last > trajectory.n_batches - trajectory.stride


def test_the_report_never_overwrites_its_input_or_the_stat_file(tmp_path, sample_stats):
    # Named .html, as a report may be (any other name is refused before this check).
    data = tmp_path / "d.html"
    data.write_bytes(SAMPLE_CSV.read_bytes())
    stats = tmp_path / "s.html"
    stats.write_bytes(sample_stats.read_bytes())
    for target, role in ((data, "the input"), (stats, "the stat file")):
        before = target.read_bytes()
        result = run("report", data, "--input-format", "csv", "-s", stats, "-o", target)
        assert result.exit_code == 1, result.output
        assert (
            result.stderr
            == f"normkit: error: {target}: the report would overwrite {role} {target}\n"
        )
        assert target.read_bytes() == before


def test_the_page_is_named_html(tmp_path, sample_stats):
    out = tmp_path / "r.png"
    result = run("report", SAMPLE_CSV, "-s", sample_stats, "-o", out)
    assert result.exit_code == 2
    assert result.stderr == (
        f"normkit: error: {out}: the report is an HTML page: name it .html (or give --png for "
        "PNG files)\n"
    )
    assert not out.exists()


def test_the_page_to_standard_output(sample_stats):
    result = run("report", SAMPLE_CSV, "-s", sample_stats, "-o", "-", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert len(sections(result.stdout)) == 7


def test_awkward_names_and_values(tmp_path):
    long_name = "x" * 300
    frame = pd.DataFrame(
        {
            long_name: np.arange(50.0),
            "a b": np.arange(50.0),
            "a_b": np.arange(50.0),
            "A_B": np.arange(50.0),
            '<b>&"': np.arange(50.0),
            "huge": np.full(50, 1e300),  # a constant near the float64 limit
            "big_ints": 1e17 + 16 * np.arange(50.0),
        }
    )
    frame.to_csv(tmp_path / "d.csv", index=False)
    fitted = run("fit", tmp_path / "d.csv", "-o", tmp_path / "s.json", "-q", "--no-ema")
    assert fitted.exit_code == 0, fitted.stderr
    result = run(
        "report",
        tmp_path / "d.csv",
        "-s",
        tmp_path / "s.json",
        "-o",
        tmp_path / "r.html",
        "--png",
        tmp_path / "png",
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "Warning" not in result.stderr
    page = (tmp_path / "r.html").read_text()
    assert len(sections(page)) == 7
    anchors = re.findall(r'<section id="(col-[^"]*)"', page)
    assert len(set(a.lower() for a in anchors)) == 7  # unique, even ignoring case
    assert "&lt;b&gt;&amp;&quot;" in page
    assert "<b>&" not in page
    names = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert len(names) == 7
    assert all(len(n) <= 90 for n in names)
    # A name safe as it is keeps it, whatever column before it would have taken it: the plots of
    # "a b" were a_b.png, and those of "a_b" a_b_2.png.
    assert '<section id="col-a_b" class="column"><h2>a_b</h2>' in page
    assert "a_b.png" in names
    assert '<section id="col-a_b_2" class="column"><h2>a b</h2>' in page


def test_the_trajectory_stays_bounded_with_huge_chunks():
    options = EmaOptions(batch_size=2)
    trajectory = Trajectory(1)
    accumulator = Accumulator(["x"], running=options, observers=[trajectory])
    accumulator.update([np.random.default_rng(1).normal(size=200_001)])
    running = accumulator.finish().running
    batches, means, _ = trajectory.points()
    assert len(batches) <= 2 * TRAJECTORY_POINTS + 1
    assert batches[-1] == running.n_batches
    assert means[-1][0] == running.running_mean[0]


def test_columns_chosen_for_the_report(tmp_path, sample_stats):
    result = run(
        "report",
        SAMPLE_CSV,
        "-s",
        sample_stats,
        "-o",
        tmp_path / "r.html",
        "--columns",
        "income,age",
    )
    assert result.exit_code == 0, result.output
    assert list(sections((tmp_path / "r.html").read_text())) == ["age", "income"]
    result = run(
        "report", SAMPLE_CSV, "-s", sample_stats, "-o", tmp_path / "r.html", "--columns", "x"
    )
    assert result.exit_code == 1
    assert "the stat file has no column 'x'" in result.stderr
    # A column the fit passed through is in the stat file: it says so, and why.
    result = run(
        "report", SAMPLE_CSV, "-s", sample_stats, "-o", tmp_path / "r.html", "--columns", "city"
    )
    assert result.exit_code == 1
    assert (
        "the stat file normalizes no column 'city' (given in --columns): the fit passed it "
        "through (text), and the report shows normalized columns"
    ) in result.stderr


def test_names_in_any_script_name_their_files(tmp_path):
    # 温度 and 湿度 were column.png and column_2.png, ünits nits.png: no file told its column,
    # and matplotlib warned of every glyph its font lacks.
    names = ["温度", "湿度", "ünits", "Gr e"]
    rng = np.random.default_rng(0)
    pd.DataFrame({n: rng.normal(size=60) for n in names}).to_csv(tmp_path / "d.csv", index=False)
    assert run("fit", tmp_path / "d.csv", "-o", tmp_path / "s.json", "-q").exit_code == 0
    result = run("report", tmp_path / "d.csv", "-s", tmp_path / "s.json", "--png", tmp_path / "p")
    assert result.exit_code == 0, result.output
    assert "Glyph" not in result.stderr
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == sorted(
        ["温度.png", "湿度.png", "ünits.png", "Gr_e.png"]
    )


def _report_pngs(png_dir, stats, file_size_limit=None, columns=()):
    """``normkit report SAMPLE --png DIR`` as a process, its files at most ``file_size_limit``
    bytes (``ulimit -f``: a write beyond fails, as on a full disk)."""
    import resource
    import subprocess

    from conftest import NORMKIT

    def limit():
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [NORMKIT, "report", str(SAMPLE_CSV), "-s", str(stats), "--png", str(png_dir), "-q"]
        + [f"--columns={c}" for c in columns],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )


@pytest.mark.parametrize("existing", [False, True])
def test_pngs_appear_all_or_none_when_a_write_fails(tmp_path, sample_stats, existing):
    # A write failing midway left the PNGs written before it (into an existing directory, a
    # mix of new and old ones), and the directory, made before anything was drawn.
    whole = tmp_path / "whole"
    assert _report_pngs(whole, sample_stats).returncode == 0
    names = list(normkit.load(sample_stats).columns_)
    sizes = {n: (whole / f"{n}.png").stat().st_size for n in names}
    # Two columns, the first drawn fitting under the limit, the second not.
    first, second = next(
        (a, b) for i, a in enumerate(names) for b in names[i + 1 :] if sizes[a] < sizes[b]
    )
    pngs = tmp_path / "pngs"
    old = {}
    if existing:
        pngs.mkdir()
        old = {f"{n}.png": f"old {n}".encode() for n in names} | {"other.txt": b"kept"}
        for name, content in old.items():
            (pngs / name).write_bytes(content)
    proc = _report_pngs(pngs, sample_stats, sizes[second] - 1, [first, second])
    assert proc.returncode == 1
    assert proc.stderr.startswith("normkit: error: ")
    assert "File too large" in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    if existing:
        assert {p.name: p.read_bytes() for p in pngs.iterdir()} == old
    else:
        assert not pngs.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["whole", "pngs"][: 1 + existing])


def test_pngs_into_an_existing_directory_replace_theirs_and_keep_the_rest(tmp_path, sample_stats):
    pngs = tmp_path / "pngs"
    pngs.mkdir()
    names = list(normkit.load(sample_stats).columns_)
    (pngs / f"{names[0]}.png").write_bytes(b"old")
    (pngs / "other.txt").write_bytes(b"kept")
    assert _report_pngs(pngs, sample_stats).returncode == 0
    assert sorted(p.name for p in pngs.iterdir()) == sorted(
        [f"{n}.png" for n in names] + ["other.txt"]
    )
    assert (pngs / f"{names[0]}.png").read_bytes().startswith(PNG_MAGIC)
    assert (pngs / "other.txt").read_bytes() == b"kept"


def test_a_png_directory_in_a_missing_directory_is_refused_as_any_output(tmp_path, sample_stats):
    # --png nodir/sub/plots made nodir and nodir/sub; other outputs refuse a missing directory.
    plots = tmp_path / "nodir" / "sub" / "plots"
    result = run("report", SAMPLE_CSV, "-s", sample_stats, "--png", plots)
    assert result.exit_code == 1
    refused = run(
        "transform", SAMPLE_CSV, "-s", sample_stats, "-o", tmp_path / "nodir" / "sub" / "o.csv"
    )
    assert result.stderr == refused.stderr.replace("o.csv", "plots")
    assert (
        result.stderr == f"normkit: error: {plots}: the directory {plots.parent} does not exist\n"
    )
    assert not (tmp_path / "nodir").exists()
