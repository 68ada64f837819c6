"""Inputs that keep no record of how they were normalized (a CSV sent to standard output, a
Parquet file rewritten by another library) are judged by what their columns look like
(normkit.jobs.resemblance): each case here was once an exit 0 with wrong numbers. The command
runs as a real process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import ERROR, normkit_error, run_normkit
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.preprocessing import StandardScaler

SAY_WHICH = "say which (--use exact or --use ema)"


def ok(*args) -> str:
    proc = run_normkit(*args, "-q")
    assert proc.returncode == 0, proc.stderr.decode()
    assert not proc.stderr, proc.stderr.decode()
    return proc.stdout.decode()


def piped(path, *args) -> None:
    """``normkit transform ARGS -o - > path``: a CSV that keeps no record of how it was made."""
    path.write_text(ok("transform", *args, "-o", "-"))


def refused(*args) -> str:
    """The one line a refusal prints (exit 1, no traceback), its prefix kept."""
    return ERROR + normkit_error(1, *args, "-q")


def _split(frame: pd.DataFrame, train_rows: int, tmp_path) -> tuple:
    frame = frame.sample(frac=1, random_state=0)
    frame.columns = [c.replace(" ", "_") for c in frame.columns]
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    frame.iloc[:train_rows].to_csv(train, index=False)
    frame.iloc[train_rows:].to_csv(test, index=False)
    return train, test


def _generated() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 700
    return pd.DataFrame(
        {
            "normal": rng.normal(40, 6, n),
            "lognormal": rng.lognormal(3, 0.9, n),
            "counts": rng.poisson(12, n).astype(float),
            "heavy": rng.standard_t(3, n) * 4 + 25,
        }
    )


# -- statistics: the running ones, or the exact ones ---------------------------------------------


def test_running_statistics_output_with_one_heavy_tailed_column_is_refused(tmp_path):
    # A new user's held-out set, normalized with the running statistics and inverted with the
    # exact ones (--use forgotten): 29 columns of 30 near the running statistics' output, one
    # heavy-tailed (area_error) a little farther by its moments, every one far from the exact
    # ones' output. It went through with exit 0: mean_radius 11.80 came back as 22.95.
    data = load_breast_cancer(as_frame=True).frame.drop(columns="target")
    train, test = _split(data, 300, tmp_path)
    stats, back = tmp_path / "s.json", tmp_path / "back.csv"
    ok("fit", train, "--batch-size", "64", "-o", stats)
    z, z_exact = tmp_path / "z.csv", tmp_path / "z_exact.csv"
    for made, inverted in ((["--gamma", "2"], ["--gamma", "2"]), ([], ["--beta", "0"])):
        piped(z, test, "-s", stats, "--use", "ema", *made)
        back.unlink(missing_ok=True)
        line = refused("inverse", z, "-s", stats, *inverted, "-o", back)
        assert f"{z} looks more like what the running statistics make" in line
        assert line.endswith(SAY_WHICH)
        assert not back.exists()
        ok("inverse", z, "-s", stats, "--use", "ema", *inverted, "-o", back)
        np.testing.assert_allclose(pd.read_csv(back), pd.read_csv(test), rtol=1e-9, atol=1e-12)
        # The exact statistics' output of the same rows goes through, as it should.
        piped(z_exact, test, "-s", stats, *made)
        ok("inverse", z_exact, "-s", stats, *inverted, "-o", back)
        np.testing.assert_allclose(pd.read_csv(back), pd.read_csv(test), rtol=1e-9, atol=1e-12)
    # Parquet rewritten without its schema metadata keeps no record either.
    written, stripped = tmp_path / "z.parquet", tmp_path / "stripped.parquet"
    ok("transform", test, "-s", stats, "--use", "ema", "-o", written)
    pq.write_table(pq.read_table(written).replace_schema_metadata(None), stripped)
    back.unlink()
    line = refused("inverse", stripped, "-s", stats, "--gamma", "1", "-o", back)
    assert line.endswith(SAY_WHICH)
    assert not back.exists()


@pytest.mark.parametrize(
    ("name", "batch_size"),
    [("breast_cancer", 64), ("wine", 32), ("diabetes", 64), ("generated", 64)],
)
def test_running_or_exact_statistics_output_of_held_out_and_fitted_rows(tmp_path, name, batch_size):
    """Held-out and fitted rows of several data sets: what the running statistics make of them
    inverted with the exact ones is refused; what the exact ones make goes through."""
    frame = {
        "breast_cancer": lambda: load_breast_cancer(as_frame=True).frame.drop(columns="target"),
        "wine": lambda: load_wine(as_frame=True).frame.drop(columns="target"),
        "diabetes": lambda: load_diabetes(as_frame=True, scaled=False).frame,
        "generated": _generated,
    }[name]()
    train, test = _split(frame, len(frame) * 6 // 10, tmp_path)
    stats, z, back = tmp_path / "s.json", tmp_path / "z.csv", tmp_path / "back.csv"
    ok("fit", train, "--batch-size", batch_size, "-o", stats)
    for rows in (test, train):
        piped(z, rows, "-s", stats, "--use", "ema")
        assert refused("inverse", z, "-s", stats, "--gamma", "1", "-o", back).endswith(SAY_WHICH)
        piped(z, rows, "-s", stats)
        ok("inverse", z, "-s", stats, "--gamma", "1", "-o", back)
        np.testing.assert_allclose(pd.read_csv(back), pd.read_csv(rows), rtol=1e-9, atol=1e-12)


def test_held_out_classes_of_digits_are_neither_taken_for_normalized_nor_for_raw(tmp_path):
    # Pixels mostly 0 in a class held out: drift, not normalization. Their raw rows transform,
    # and scikit-learn's output of them inverts, with no record to tell either.
    frame = load_digits(as_frame=True).frame
    for held in (3, 4):
        train, test = frame[frame.target != held], frame[frame.target == held]
        data, stats = tmp_path / f"tr{held}.csv", tmp_path / f"s{held}.json"
        raw, z, back = tmp_path / f"te{held}.csv", tmp_path / f"z{held}.csv", tmp_path / "b.csv"
        train.to_csv(data, index=False)
        test.to_csv(raw, index=False)
        ok("fit", data, "-o", stats)
        ok("transform", raw, "-s", stats, "-o", tmp_path / "out.csv")
        scaler = StandardScaler().fit(train)
        pd.DataFrame(scaler.transform(test), columns=frame.columns).to_csv(z, index=False)
        ok("inverse", z, "-s", stats, "--use", "exact", "-o", back)
        np.testing.assert_allclose(pd.read_csv(back).to_numpy(), test.to_numpy(), atol=1e-12)


def test_a_file_normalized_in_part_is_refused_by_a_column_beyond_doubt(tmp_path):
    """Wine's last 58 rows (other classes than the first 120), normalized but for `proline`,
    through pandas: inverting them with the statistics of all the columns turned proline's 596
    on average into 208,000 (exit 0), since the other columns looked normalized. One column far
    from what it should look like and four times nearer the raw data (the two at least 4
    apart: mean 820 and spread 348 against 0 and 1) refuses the file, whatever the others
    look like."""
    frame = load_wine(as_frame=True).frame.drop(columns="target")
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    frame.iloc[:120].to_csv(train, index=False)
    frame.iloc[120:].to_csv(test, index=False)
    stats, back = tmp_path / "s.json", tmp_path / "back.csv"
    ok("fit", train, "-o", stats)
    held = frame.iloc[120:].reset_index(drop=True)
    z = pd.DataFrame(StandardScaler().fit(frame.iloc[:120]).transform(held), columns=held.columns)
    mixed, raw_mixed = tmp_path / "mixed.csv", tmp_path / "raw_mixed.csv"
    z.assign(proline=held.proline).to_csv(mixed, index=False)
    line = refused("inverse", mixed, "-s", stats, "--use", "exact", "-o", back)
    assert line.startswith(
        f"{ERROR}{mixed} does not look normalized with these statistics (column 'proline' has "
        "mean 596 and standard deviation 133.3"
    ), line
    assert line.endswith("invert it all the same (--assume-normalized)"), line
    assert not back.exists()
    # A transform's input is not judged so: raw rows chosen by a column's own values look
    # standardized in it (below), as a column standardized already does.
    held.assign(alcohol=z.alcohol).to_csv(raw_mixed, index=False)
    ok("transform", raw_mixed, "-s", stats, "-o", back)
    # Whole, either goes through: the same rows normalized, and raw.
    z.to_csv(mixed, index=False)
    ok("inverse", mixed, "-s", stats, "--use", "exact", "-o", back)
    np.testing.assert_allclose(pd.read_csv(back), held, rtol=1e-9)
    ok("transform", test, "-s", stats, "-o", back)


def test_a_raw_column_that_only_drifted_is_not_taken_for_a_normalized_one(tmp_path):
    """Pressure 1,000 lower in new sensor data (mean 13, its spread the fitted 8), and a
    temperature in Celsius against statistics fitted in Kelvin: by their spreads they are raw
    data, drifted; the rule of one column beyond doubt refused them as normalized already."""
    rng = np.random.default_rng(1)

    def readings(n, pressure, kelvin=0.0):
        return pd.DataFrame(
            {
                "temp": rng.normal(22, 3, n) + kelvin,
                "hum": rng.normal(50, 10, n),
                "pres": rng.normal(pressure, 8, n),
            }
        )

    new = tmp_path / "new.csv"
    readings(2000, 13).to_csv(new, index=False)
    for kelvin, pressure in ((0.0, 1013), (273.15, 13)):
        train, stats = tmp_path / "train.csv", tmp_path / "s.json"
        readings(3000, pressure, kelvin).to_csv(train, index=False)
        ok("fit", train, "-o", stats)
        ok("transform", new, "-s", stats, "-o", tmp_path / "z.csv")
        piped(tmp_path / "piped.csv", new, "-s", stats)


def test_raw_rows_chosen_by_a_columns_own_values_are_normalized(tmp_path):
    """The first 200 rows of time-sorted data with a trend (`level` from 0 to 200: 1 and 1.2
    there), and digits whose `pixel_1_5` is in its lowest 30% fitted on the others (0.66 and
    1.06 there): raw, though that column looks standardized; they were refused as normalized
    already while every other column was plainly raw."""
    rng = np.random.default_rng(0)
    t = np.arange(20_000)
    series = pd.DataFrame(
        {"t": t, "price": rng.normal(20, 2, t.size), "level": 0.01 * t + rng.normal(0, 1, t.size)}
    )
    digits = load_digits(as_frame=True).frame.drop(columns="target")
    digits.columns = [c.replace(" ", "_") for c in digits.columns]
    low = digits.pixel_1_5 <= digits.pixel_1_5.quantile(0.3)
    for train, new in ((series, series.iloc[:200]), (digits[~low], digits[low])):
        data, head, stats = tmp_path / "train.csv", tmp_path / "new.csv", tmp_path / "s.json"
        train.to_csv(data, index=False)
        new.to_csv(head, index=False)
        ok("fit", data, "-o", stats)
        ok("transform", head, "-s", stats, "-o", tmp_path / "z.csv")
        piped(tmp_path / "piped.csv", head, "-s", stats)
