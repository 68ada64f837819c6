"""Parameter rules declared once (normkit.params), used by the library's options objects, the
stat-file validator and the command line; errors that name parameters, spelled per front end."""

from __future__ import annotations

import json
import math

import click
import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_CSV, assert_error, assert_usage_error, run

import normkit
from normkit import CsvOptions, EmaOptions, ReadOptions, Standardizer, TransformOptions
from normkit.errors import DataError, OptionError, param
from normkit.jobs.dask import ClusterOptions
from normkit.jobs.drift import DriftOptions
from normkit.params import RULES, Interval, OneOf, check
from normkit.stats.fitted import StatsOptions
from normkit_cli.main import cli
from normkit_cli.options import LibraryOption
from normkit_cli.spelling import Spelling


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("ddof", [0, 1], [2, -1, True, 0.5, "0"]),
        ("eps", [0, 0.0, 1e-5], [-1e-9, math.inf, math.nan, "1"]),
        ("ema.momentum", [0.1, 1, 0, "cumulative", "default"], [1.5, -0.1, "fast", True, None]),
        ("ema.batch_size", [2, 10**6], [1, 0, 2.0, True]),
        ("csv.block_size", [4096, 1 << 30], [4095, (1 << 30) + 1, 3 << 30]),
        ("csv.delimiter", [",", "\t", ";", None], ["ab", '"', "\n", "é", ""]),
        ("gamma", [2.0, -1, {"x": 0.5}], [0, 0.0, math.inf, {"x": 0}]),
        ("threshold", [0.1, 5], [0, -1, math.inf]),
        ("mode", ["frozen", "batch", "adaptive"], ["train", None]),
        # Character sets, not codecs that respell text (an output in punycode moved every
        # accented letter to the end of the file; idna and unicode_escape gave tracebacks).
        (
            "csv.encoding",
            ["latin-1", "cp1252", "utf-16", "utf-16-be", "utf-8-sig", "gb18030", "cp500", None],
            ["punycode", "idna", "unicode_escape", "raw_unicode_escape", "rot13", "hex", "x", 5],
        ),
    ],
)
def test_a_rule_accepts_its_values_and_refuses_others_naming_the_parameter(name, good, bad):
    for value in good:
        assert check(name, value) is value
    for value in bad:
        with pytest.raises(OptionError) as info:
            check(name, value)
        assert info.value.param == name
        assert str(info.value).startswith(f"{name} must be ")


def test_the_options_objects_check_with_the_rules():
    cases = [
        (lambda: EmaOptions(batch_size=1), "ema.batch_size"),
        (lambda: EmaOptions(momentum=2.0), "ema.momentum"),
        (lambda: EmaOptions(eps=-1.0), "ema.eps"),
        (lambda: CsvOptions(block_size=3 << 30), "csv.block_size"),
        (lambda: CsvOptions(delimiter="ab"), "csv.delimiter"),
        (lambda: ReadOptions(chunk_rows=0), "chunk_rows"),
        (lambda: StatsOptions(ddof=2), "ddof"),
        (lambda: TransformOptions(mode="train"), "mode"),
        (lambda: TransformOptions(mode="batch", use="ema"), "use"),
        (lambda: TransformOptions(save_stats="s.json"), "save_stats"),
        (lambda: DriftOptions(threshold=0), "threshold"),
        (lambda: ClusterOptions(workers=0), "workers"),
        (lambda: ClusterOptions(scheduler="tcp://x:1", workers=2), "workers"),
        (lambda: Standardizer(ddof=3).validate_params(), "ddof"),
        (lambda: Standardizer(gamma={"x": 0.0}).validate_params(), "gamma"),
    ]
    for make, name in cases:
        with pytest.raises(OptionError) as info:
            make()
        assert info.value.param == name, (name, info.value)


def command_option(command: click.Command, library_param: str) -> LibraryOption:
    return next(
        p
        for p in command.params
        if isinstance(p, LibraryOption) and p.library_param == library_param
    )


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("fit", "ddof"),
        ("fit", "eps"),
        ("fit", "ema.batch_size"),
        ("fit", "ema.convention"),
        ("fit", "ema.init"),
        ("fit", "chunk_rows"),
        ("transform", "batch_size"),
        ("transform", "mode"),
        ("transform", "use"),
        ("drift", "alpha"),
        ("report", "sample_rows"),
    ],
)
def test_the_command_line_takes_its_ranges_and_choices_from_the_rules(command, name):
    option = command_option(cli.commands[command], name)
    rule = RULES[name]
    interval, choice = rule.find(Interval), rule.find(OneOf)
    kind = option.type
    if isinstance(kind, click.Choice):
        assert list(kind.choices) == [str(v) for v in choice.values]
    elif interval is not None:
        assert (kind.min, kind.max) == (interval.low, interval.high)
        assert (kind.min_open, kind.max_open) == (interval.low_open, interval.high_open)
    else:
        assert (kind.min, kind.max) == (min(choice.values), max(choice.values))


def test_usage_errors_come_from_the_rules():
    result = run("fit", SAMPLE_CSV, "--momentum", "2")
    assert_usage_error(result, "--momentum must be", RULES["ema.momentum"].must_be(none=False))
    result = run("fit", SAMPLE_CSV, "--csv-block-size", "3G")
    assert_usage_error(result, "--csv-block-size must be an integer in [4096, 2**30], not '3G'")


def test_drift_thresholds_are_checked_by_their_rules():
    # --threshold takes a number (rule "threshold") or col=K,... (rule "column_thresholds").
    result = run("drift", SAMPLE_CSV, "-s", SAMPLE_CSV, "--threshold", "0")
    assert_usage_error(result, "--threshold must be", RULES["threshold"].must_be(none=False))
    result = run("drift", SAMPLE_CSV, "-s", SAMPLE_CSV, "--threshold", "age=-1")
    assert_usage_error(
        result, "--threshold must be", RULES["column_thresholds"].must_be(none=False)
    )


def test_a_message_names_parameters_as_each_front_end_spells_them():
    error = DataError(
        "column 'b' at data row 3: 'abc' is not a number",
        hints=(
            f"exclude the column ({param('exclude', 'b')})",
            f"add the string to {param('csv.null_values')}",
        ),
    )
    assert str(error).endswith(
        "is not a number; exclude the column (exclude='b') or add the string to csv.null_values"
    )
    fit = Spelling(cli.commands["fit"])
    assert error.render(fit).endswith(
        "; exclude the column (--exclude b) or add the string to --null-values"
    )
    # transform has no --exclude: that hint is left out, not turned into a wrong one.
    transform = Spelling(cli.commands["transform"])
    assert error.render(transform).endswith("is not a number; add the string to --null-values")
    # A prefix (the file) keeps the references.
    assert error.within("f.csv").render(fit).startswith("f.csv: column 'b'")


def test_a_flag_is_spelled_without_its_value(tmp_path):
    (tmp_path / "inf.csv").write_text("a,b\n1,2\n3,inf\n")
    result = run("fit", tmp_path / "inf.csv", "-q")
    assert_error(result, 1, "read infinities as missing (--inf-as-missing)")


def test_the_momentums_range_follows_the_convention():
    """Keras' momentum weighs the old state: its 1 kept BatchNorm's start for ever ("updates 4"
    reported) and was accepted, its 0 (only the latest batch, valid in Keras) refused as
    outside (0, 1]. One rule (params.check_momentum) for the estimator and the command line."""
    data = pd.DataFrame({"x": np.arange(40.0) ** 1.5})
    for convention, good, bad in (("torch", [1.0, 0.5], [0.0]), ("keras", [0.0, 0.5], [1.0])):
        for value in good:
            options = EmaOptions(convention=convention, momentum=value, batch_size=16)
            assert Standardizer(ema=options).fit(data).ema_.options.momentum == value
        for value in bad:
            with pytest.raises(OptionError, match=f"in .* with the {convention} convention"):
                Standardizer(ema=EmaOptions(convention=convention, momentum=value)).fit(data)
    # A stat file from before the keras range (momentum 1) still loads: its exact statistics
    # are good; a fit continued from it is refused as above.
    old = Standardizer(ema=EmaOptions(convention="keras", momentum=0.5, batch_size=16)).fit(data)
    doc = json.loads(normkit.dumps(old))
    doc["ema"]["momentum"] = 1.0
    loaded = normkit.loads(json.dumps(doc))
    np.testing.assert_array_equal(loaded.mean_, old.mean_)
    result = run("fit", SAMPLE_CSV, "--convention", "keras", "--momentum", "1", "-o", "-")
    assert_usage_error(
        result, "--momentum must be a finite number in [0, 1) with the keras convention"
    )
    result = run("fit", SAMPLE_CSV, "--momentum", "0", "-o", "-")
    assert_usage_error(result, "--momentum must be a finite number in (0, 1] with the torch")
    # Keras' momentum 0: the statistics of the latest batch alone (biased variance, Keras').
    stats = Standardizer(ema=EmaOptions(convention="keras", momentum=0.0, batch_size=16))
    stats.fit(data)
    last = data["x"].to_numpy()[32:]
    np.testing.assert_allclose(stats.ema_.running_mean, [last.mean()], rtol=1e-15)
    np.testing.assert_allclose(stats.ema_.running_var, [last.var()], rtol=1e-15)
