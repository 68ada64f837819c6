"""Usage errors, whichever command and whoever finds them (click's parser and types, or normkit's
own checks of the options): one line ``normkit: error: ...`` naming the option and the value as
typed and what to do, exit 2, no usage block and no traceback; the real command."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE_CSV, normkit_error, run_normkit

#: Every command, with arguments that are well formed apart from what a case adds.
COMMANDS = {
    "fit": ["fit", SAMPLE_CSV],
    "transform": ["transform", SAMPLE_CSV, "-s", "stats.json"],
    "inverse": ["inverse", SAMPLE_CSV, "-s", "stats.json"],
    "drift": ["drift", SAMPLE_CSV, "-s", "stats.json"],
    "report": ["report", SAMPLE_CSV, "-s", "stats.json"],
    "export": ["export", "-s", "stats.json", "--to", "numpy", "-o", "x.npz"],
    "import-torch": ["import-torch", "bn.safetensors"],
    "inspect": ["inspect", "stats.json"],
    "merge-stats": ["merge-stats", "stats.json"],
}

#: The commands that read data (and so have the read options).
READERS = ["fit", "transform", "inverse", "drift", "report"]


def usage_error(*args) -> str:
    """The one line of a usage error (exit 2) of ``normkit ARGS``."""
    line = normkit_error(2, *args, no_output=True)
    assert "Usage:" not in line
    return line


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_is_one_line_in_every_command(command):
    line = usage_error(*COMMANDS[command], "--no-such-option")
    assert line == (
        f"normkit {command} has no option --no-such-option; see 'normkit {command} --help'"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_argument_or_option_is_one_line_in_every_command(command):
    line = usage_error(command)
    assert line.startswith(f"normkit {command} needs "), line


def test_a_misspelt_option_or_command_is_told_what_was_meant():
    assert usage_error("fit", SAMPLE_CSV, "--exlude", "id") == (
        "normkit fit has no option --exlude (did you mean --exclude or --header?); see "
        "'normkit fit --help'"
    )
    assert usage_error("fitt", SAMPLE_CSV) == (
        "normkit has no command 'fitt' (did you mean fit?); see 'normkit --help'"
    )
    assert usage_error("--loud", "fit", SAMPLE_CSV) == (
        "normkit has no option --loud; see 'normkit --help'"
    )
    # It said "normkit fit has no option --traceback", though normkit has it.
    assert usage_error("fit", SAMPLE_CSV, "--traceback") == (
        "--traceback is an option of normkit itself: give it before the command (normkit "
        "--traceback fit ...)"
    )


def test_a_threshold_for_every_column_given_twice_says_which_values():
    stats = SAMPLE_CSV  # refused before the stat file is read
    assert usage_error(
        "drift", SAMPLE_CSV, "-s", stats, "--threshold", "0.1", "--threshold", "5"
    ) == (
        "--threshold must be given once without COL= (it sets every column's threshold), not "
        "twice (0.1 and 5); COL=K sets one column's"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["fit", SAMPLE_CSV, "--ddof", "x"], "--ddof must be 0 or 1, not 'x'"),
        (["fit", SAMPLE_CSV, "--ddof", "2"], "--ddof must be 0 or 1, not '2'"),
        (
            ["fit", SAMPLE_CSV, "--batch-size", "1.5"],
            "--batch-size must be an integer in [2, 2**20], not '1.5'",
        ),
        (["fit", SAMPLE_CSV, "--eps", "big"], "--eps must be a finite number >= 0, not 'big'"),
        # A float range lets infinity through; the rule does not.
        (["fit", SAMPLE_CSV, "--eps", "inf"], "--eps must be a finite number >= 0, not 'inf'"),
        (
            ["fit", SAMPLE_CSV, "--ema-eps", "inf"],
            "--ema-eps must be a finite number >= 0, not 'inf'",
        ),
        (
            ["fit", SAMPLE_CSV, "--convention", "tf"],
            "--convention must be 'torch' or 'keras', not 'tf'",
        ),
        (
            ["fit", SAMPLE_CSV, "--engine", "spark"],
            "--engine must be 'local' or 'dask', not 'spark'",
        ),
        (
            ["transform", SAMPLE_CSV, "-s", "s.json", "--mode", "train"],
            "--mode must be one of 'frozen', 'batch', 'adaptive', not 'train'",
        ),
        (
            ["transform", SAMPLE_CSV, "-s", "s.json", "--output-format", "xlsx"],
            "--output-format must be one of 'csv', 'parquet', 'arrow', not 'xlsx'",
        ),
        (
            ["drift", SAMPLE_CSV, "-s", "s.json", "--alpha", "1"],
            "--alpha must be a finite number in (0, 1), not '1'",
        ),
        (
            ["report", SAMPLE_CSV, "-s", "s.json", "--sample", "many"],
            "--sample must be an integer in [100, 10000000], not 'many'",
        ),
        (
            ["export", "-s", "s.json", "--to", "tflite", "-o", "x"],
            "--to must be one of 'onnx', 'numpy', 'torch', not 'tflite'",
        ),
        (
            ["import-torch", "bn.safetensors", "--rows", "0"],
            "--rows must be an integer >= 1, not '0'",
        ),
        (
            ["fit", SAMPLE_CSV, "--csv-block-size", "lots"],
            "--csv-block-size must be a size such as 4M, not 'lots'",
        ),
    ],
)
def test_a_bad_value_names_the_option_the_value_and_what_it_must_be(args, line):
    assert usage_error(*args) == line


def test_a_missing_choice_lists_the_choices_on_the_same_line():
    assert usage_error("export", "-s", "s.json", "-o", "x") == (
        "normkit export needs --to: give one of 'onnx', 'numpy', 'torch'"
    )


def test_an_option_without_its_value_or_a_flag_with_one_is_one_line():
    assert usage_error("fit", SAMPLE_CSV, "--ddof") == "--ddof needs a value"
    assert usage_error("fit", SAMPLE_CSV, "--quiet=yes") == "--quiet is a flag: it takes no value"


def test_extra_arguments_are_one_line():
    assert usage_error("inspect", "a.json", "b.json") == (
        "normkit inspect got more arguments than it takes: b.json; see 'normkit inspect --help'"
    )


def test_options_that_exclude_each_other_are_one_line():
    assert usage_error("fit", SAMPLE_CSV, "--no-ema", "--batch-size", "64") == (
        "--batch-size sets the running statistics, which --no-ema skips"
    )
    assert usage_error("fit", SAMPLE_CSV, "--workers", "2") == "--workers needs --engine dask"


@pytest.mark.parametrize("command", READERS)
@pytest.mark.parametrize("pair", [["--header", "--no-header"], ["--no-header", "--header"]])
def test_header_and_no_header_together_are_refused_not_the_last_one_winning(command, pair):
    assert usage_error(*COMMANDS[command], *pair) == (
        "--header and --no-header contradict each other: give one"
    )


def test_either_of_a_pair_still_works_given_once_or_repeated(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2\n3,5\n4,4\n")
    for args in (["--no-header"], ["--no-header", "--no-header"]):
        proc = run_normkit("fit", path, *args, "-o", "-", "-q")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["read"]["header"] is False


def test_a_backslash_is_shown_as_typed():
    # repr would show '\\' for the one backslash the user typed.
    assert usage_error("fit", SAMPLE_CSV, "--escape", "/") == "--escape must be '\\' or '', not '/'"
    assert usage_error("fit", SAMPLE_CSV, "--quote", "\\") == (
        "--quote must be one of '\"', \"'\", '', not '\\'"
    )
    assert usage_error("fit", SAMPLE_CSV, "--decimal", "\\") == (
        "--decimal must be '.' or ',', not '\\'"
    )


@pytest.mark.parametrize(
    ("args", "flag", "shown"),
    [
        (
            ("fit", SAMPLE_CSV, "--gamma", "2", "--gamma", "temperature_c=3"),
            "--gamma",
            "'2' and 'temperature_c=3'",
        ),
        (("fit", SAMPLE_CSV, "--ddof", "0", "--ddof", "1"), "--ddof", "'0' and '1'"),
        (("fit", SAMPLE_CSV, "-o", "a.json", "-o", "b.json"), "--output", "'a.json' and 'b.json'"),
    ],
)
def test_an_option_given_twice_with_other_values_is_refused(tmp_path, args, flag, shown):
    # --gamma 2 --gamma col=3 dropped the 2 (the last value won), exit 0.
    assert usage_error(*args) == f"{flag} was given twice ({shown}): give it once"
