"""Fitted statistics compare as values: two reads of one stat file are equal, down to their
running statistics, sketch and moments, and statistics that differ are not."""

from __future__ import annotations

import numpy as np
import pandas as pd

import normkit


def test_two_reads_of_one_stat_file_are_equal_and_other_statistics_are_not(tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(5, 2, 300), "b": rng.normal(size=300)})
    frame.to_csv(tmp_path / "train.csv", index=False)
    normkit.fit_files(
        tmp_path / "train.csv", normkit.Standardizer(batch_size=64), output=tmp_path / "s.json"
    )
    one, two = normkit.load(tmp_path / "s.json").stats_, normkit.load(tmp_path / "s.json").stats_
    assert one.running is not None
    assert one.sketch is not None
    assert one.running == two.running
    assert one.sketch == two.sketch
    assert one.moments == two.moments
    assert one == two
    assert hash(one) == hash(two)
    other = normkit.fit_files(tmp_path / "train.csv", normkit.Standardizer(ddof=1)).stats_
    assert one != other
    assert one.running != normkit.fit_files(tmp_path / "train.csv").stats_.running
