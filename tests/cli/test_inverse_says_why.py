"""An inverse that cannot give the data back says why, in the words of an inverse: which
statistics made the input, and what likely went wrong. The command runs as a real process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import ERROR, normkit_error, run_normkit

import normkit


def ok(*args) -> None:
    proc = run_normkit(*args, "-q")
    assert proc.returncode == 0, proc.stderr.decode()


def refused(*args) -> str:
    """The one line a refusal prints (exit 1, no traceback), its prefix kept."""
    return ERROR + normkit_error(1, *args, "-q")


def test_output_of_the_running_statistics_inverted_with_a_stat_file_without_them(tmp_path):
    # It said "normalized with other statistics than these (their fingerprints differ: v2:...
    # and v2:...)": true, but not why. The stat file of the same data has no running ones.
    rng = np.random.default_rng(4)
    data = tmp_path / "d.csv"
    pd.DataFrame({"a": rng.normal(10, 2, 600), "b": rng.normal(50, 5, 600)}).to_csv(
        data, index=False
    )
    running, exact = tmp_path / "s.json", tmp_path / "no_ema.json"
    ok("fit", data, "--batch-size", "64", "-o", running)
    ok("fit", data, "--no-ema", "-o", exact)
    back = tmp_path / "back.csv"
    for z in (tmp_path / "z.parquet", tmp_path / "z.csv"):  # the CSV's record is beside it
        ok("transform", data, "-s", running, "--use", "ema", "-o", z)
        assert refused("inverse", z, "-s", exact, "-o", back) == (
            f"{ERROR}{z} was normalized with the running (EMA) statistics (--use ema), and these "
            "statistics have none: they are not the ones that normalized it; give the stat file "
            "it was normalized with"
        )
        assert not back.exists()
        ok("inverse", z, "-s", running, "-o", back)
        back.unlink()


@pytest.mark.parametrize("output", ["back.csv", "back.parquet"])
def test_an_inverse_beyond_float64s_range_names_its_likely_cause(tmp_path, output):
    # It gave a transform's advice: "give a gamma (or beta) that keeps the values in range".
    data, stats = tmp_path / "d.csv", tmp_path / "s.json"
    pd.DataFrame({"a": np.linspace(0, 100, 50)}).to_csv(data, index=False)
    ok("fit", data, "-o", stats)
    huge = tmp_path / "huge.csv"
    huge.write_text("a\n0.5\n1e308\n")  # not normalized data, inverted all the same
    back = tmp_path / output
    line = refused(
        "inverse", huge, "-s", stats, "--use", "exact", "--assume-normalized", "-o", back
    )
    assert line == (
        f"{ERROR}{huge}: column 'a' at data row 2: the restored value of 1e+308 is inf, beyond "
        "float64's range, with these statistics, gamma and beta: the input was likely not "
        "normalized with them (but with other statistics, gamma or beta, or not normalized at "
        "all); invert it with the statistics, gamma and beta that normalized it"
    )
    assert not back.exists()
    # A transform's output beyond the range keeps a transform's advice.
    line = refused("transform", huge, "-s", stats, "--gamma", "1e10", "--renormalize", "-o", back)
    assert line.endswith("give a gamma (or beta) that keeps the values in range")


def test_the_estimator_s_inverse_beyond_float64s_range_names_its_likely_cause():
    X = pd.DataFrame({"x": np.arange(100.0)})
    fitted = normkit.Standardizer().fit(X)
    Z = pd.DataFrame({"x": [0.0, 1e308]})
    message = (
        r"column 'x' at row 2: the restored value of 1e\+308 is inf, .* not normalized at all\)"
    )
    table = pa.Table.from_pandas(Z, preserve_index=False)
    for kind in (Z, table):
        with pytest.raises(normkit.DataError, match=message):
            fitted.inverse_transform(kind)
    with pytest.raises(normkit.DataError, match=message):
        list(fitted.inverse_transform(iter([table])))
