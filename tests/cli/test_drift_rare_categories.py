"""A rare category's share surging in a text or boolean column, checked by ``normkit drift``
(the real command, on real files): the size of the change is measured on the cells the
frequency test compares, so a batch too small to give the rare category a cell of its own
still shows the change the test found; and unchanged batches of any size stay quiet."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_normkit

import normkit


def fitted(tmp_path, frame: pd.DataFrame):
    frame.to_csv(tmp_path / "train.csv", index=False)
    stats = tmp_path / "stats.json"
    assert run_normkit("fit", tmp_path / "train.csv", "-q", "-o", stats).returncode == 0
    return stats


def drift(tmp_path, stats, frame: pd.DataFrame) -> tuple[int, dict]:
    path = tmp_path / "new.csv"
    frame.to_csv(path, index=False)
    proc = run_normkit("drift", path, "-s", stats, "--json")
    assert proc.returncode in (0, 3), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def column(report: dict, name: str) -> dict:
    return next(c for c in report["columns"] if c["name"] == name)


def test_a_rare_status_surging_in_a_small_batch_drifts(tmp_path):
    # 5% errors in 20,000 rows, 50% in 150: too few rows for 'error' to be a cell of its own,
    # so Fisher's test compared 'ok' with the rest (p 4e-48) while the size was measured on
    # one merged cell (share x1.00): exit 0, 'no drift'.
    rng = np.random.default_rng(0)

    def frame(rows, error):
        status = rng.choice(["ok", "error"], rows, p=[1 - error, error])
        return pd.DataFrame({"latency": rng.lognormal(3, 1, rows).round(2), "status": status})

    stats = fitted(tmp_path, frame(20_000, 0.05))
    code, report = drift(tmp_path, stats, frame(150, 0.5))
    assert code == 3, report
    status = column(report, "status")
    assert status["reasons"] == ["frequencies"]
    assert status["largest_share_change"] > np.log(5)  # 5% -> about 50%
    shown = run_normkit("drift", tmp_path / "new.csv", "-s", stats).stdout.decode()
    assert "DRIFT (frequencies)" in next(r for r in shown.splitlines() if r.startswith("status"))
    code, report = drift(tmp_path, stats, frame(150, 0.05))
    assert code == 0, report


@pytest.mark.parametrize(
    ("reference", "share", "rows", "new_share"),
    [(50_000, 0.01, 500, 0.26), (5_000, 0.3, 30, 1.0), (5_000, 0.3, 30, 0.0)],
)
def test_a_boolean_far_from_its_share_drifts_in_few_rows(
    tmp_path, reference, share, rows, new_share
):
    # 1% true in 50,000 rows and 26% in 500 (p 4e-134), or 30 rows all true against 30%: ok.
    rng = np.random.default_rng(reference + rows)
    x = rng.normal(size=reference)
    stats = fitted(tmp_path, pd.DataFrame({"x": x, "flag": rng.random(reference) < share}))
    new = pd.DataFrame({"x": x[:rows], "flag": np.arange(rows) < round(new_share * rows)})
    code, report = drift(tmp_path, stats, new)
    assert code == 3, report
    assert abs(column(report, "flag")["largest_share_change"]) > 1.0


def test_unchanged_small_batches_of_rare_categories_do_not_drift():
    # Samples of the reference's own distribution, 20 to 1,000 rows: the sizes now measured
    # on Fisher's two cells must not turn chance into alarms.
    rng = np.random.default_rng(5)

    def frame(rows: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "x": rng.normal(size=rows),
                "status": rng.choice(["ok", "error"], rows, p=[0.95, 0.05]),
                "rare": rng.random(rows) < 0.01,
                "level": rng.choice(list("abcde"), rows, p=[0.6, 0.25, 0.1, 0.04, 0.01]),
                "word": [f"w{v}" for v in np.minimum(rng.zipf(1.3, rows), 10**6)],
            }
        )

    stats = normkit.Standardizer().fit(frame(20_000))
    alarms = sum(
        bool(normkit.drift_batches([frame(rows)], stats).drifted)
        for rows in (20, 30, 50, 100, 150, 300, 1000)
        for _ in range(10)
    )
    assert alarms <= 1, alarms  # 70 checks at alpha 0.01


def test_new_and_vanished_categories_have_a_column_of_their_own(tmp_path):
    # They were printed in the 'std ratio' column: '-true', '-S202', and a column that had no
    # value listed its new numbers there too, '+0.9499053428010029 +1.0387...'.
    rng = np.random.default_rng(2)
    codes = [f"S{i}" for i in range(200, 215)]
    stats = fitted(
        tmp_path,
        pd.DataFrame(
            {
                "x": rng.normal(size=3000),
                "flag": rng.random(3000) < 0.3,
                "sku": rng.choice(codes, 3000),
                "empty": [None] * 3000,
            }
        ),
    )
    new = pd.DataFrame(
        {
            "x": rng.normal(size=500),
            "flag": np.zeros(500, dtype=bool),
            "sku": rng.choice([*codes[4:], "S300"], 500),
            "empty": np.round(rng.normal(1, 0.1, 500), 3),
        }
    )
    new.to_csv(tmp_path / "new.csv", index=False)
    proc = run_normkit("drift", tmp_path / "new.csv", "-s", stats)
    assert proc.returncode == 3
    header, *rows = proc.stdout.decode().split("\n\n")[0].splitlines()
    assert header.split() == [
        *["column", "mean", "shift", "std", "ratio", "missing", "PSI", "KS", "p", "categories"]
    ]
    at = header.index("std ratio")
    cells = {row.split()[0]: row for row in rows}
    for name in ("flag", "sku", "empty"):
        assert cells[name][at : at + len("std ratio")].strip() == "-", cells[name]
    assert cells["flag"].endswith("vanished: true")
    listed = cells["sku"].split("DRIFT (frequencies)")[1].strip()
    new_part, vanished_part = listed.split("; ")
    assert new_part == "new: S300"
    assert vanished_part.startswith("vanished: ")
    assert vanished_part.endswith(", ...")
    assert sorted(vanished_part[len("vanished: ") : -5].split(", ")) == ["S200", "S201", "S202"]
    assert cells["x"].endswith("ok")  # nothing in the last column of a numeric one
    assert "new: " in cells["empty"]
    # Without any new or vanished category, the table has no such column.
    proc = run_normkit("drift", tmp_path / "train.csv", "-s", stats)
    assert proc.returncode == 0
    assert "categories" not in proc.stdout.decode().splitlines()[0]
