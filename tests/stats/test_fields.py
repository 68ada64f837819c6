"""The stat file's field table: what the writer lays out is what the validator reads, field by
field, and every field is documented."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import normkit
from normkit import EmaOptions, Standardizer, StatsFileError
from normkit.stats import statfile
from normkit.stats.fields import STAT_FILE, Field, Section, describe


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict:
    """A stat file with every part: running statistics, a sketch, gamma and beta, how the file
    was read, the columns passed through."""
    path = tmp_path_factory.mktemp("fields") / "d.csv"
    # Means that float64 rounds (0.1 + 0.2 + 0.6 ...): each column gets a mean_error.
    pd.DataFrame(
        {"x": [1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.6], "y": [0.1, 0.3, 0.2], "t": ["a", "b", "c"]}
    ).to_csv(path, index=False)
    estimator = Standardizer(ema=EmaOptions(batch_size=2), gamma={"x": 2.0})
    # A block size above the default: recorded (read.block_size); a missing-value string named
    # (read.text_null_values).
    csv = normkit.CsvOptions(block_size=2 << 20, add_null_values=("?",))
    read = normkit.ReadOptions(csv=csv)
    fitted = normkit.fit_files(path, estimator, read=read)
    return json.loads(statfile.to_text(fitted.stats_))


@pytest.fixture(scope="module")
def weighted_document(tmp_path_factory) -> dict:
    """A stat file of a weighted fit: the parts that exclude running statistics."""
    path = tmp_path_factory.mktemp("fields") / "w.csv"
    pd.DataFrame(
        {"x": [1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.6], "t": ["a", "b", "c"], "w": [1.0, 0.5, 2.0]}
    ).to_csv(path, index=False)
    fitted = normkit.fit_files(path, Standardizer(), weight_column="w")
    return json.loads(statfile.to_text(fitted.stats_))


@pytest.fixture(scope="module")
def pending_document() -> dict:
    """A stat file saved during a stream, inside a logical batch: its unfinished batch."""
    frame = pd.DataFrame({"x": [1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.6], "y": [0.1, 0.3, 0.2]})
    estimator = Standardizer(batch_size=4).partial_fit(frame)  # 3 rows of 4: used
    return json.loads(statfile.to_text(estimator.stats_))


@pytest.fixture(scope="module")
def unnamed_document() -> dict:
    """A stat file of a fit on an array: its columns had no names."""
    estimator = Standardizer().fit(np.array([[1.0, 2.0], [3.0, 5.0]]))
    return json.loads(statfile.to_text(estimator.stats_))


@pytest.fixture(scope="module")
def applied_document() -> dict:
    """A stat file whose running statistics a transform uses unless told (as ``import-torch``
    writes one of a layer normkit exported with them)."""
    estimator = Standardizer(batch_size=2).fit(pd.DataFrame({"x": [1.0, 2.0, 4.0, 8.0]}))
    return json.loads(statfile.to_text(replace(estimator.stats_, default_use="ema")))


@pytest.fixture
def documents(document, weighted_document, pending_document, unnamed_document, applied_document):
    """The document that has a field: the weighted one for the fields of weighted fits, the
    one saved inside a batch for those of its unfinished batch, the one of an array for
    ``unnamed``, the one applying its running statistics for ``ema.applied``."""

    def having(path: tuple, field: Field) -> dict:
        if path[0] == "unnamed":
            return unnamed_document
        if path == ("ema", "applied"):
            return applied_document
        if path[0] == "weights" or field.group == "weights":
            return weighted_document
        return pending_document if "ema_pending" in (path[0], field.group) else document

    return having


def paths(section: Section = STAT_FILE, where: tuple = ()) -> list[tuple[tuple, Field]]:
    """Every field of the table, with its path in a document (column sections at column 0)."""
    found = []
    for item in section.fields:
        here = (*where, item.key) if item.key else where
        if isinstance(item, Section):
            found += paths(item, (*here, 0) if item.each else here)
        else:
            found.append((here, item))
    return found


FIELDS = paths()


def test_the_writer_lays_out_the_table_in_order(documents):
    def keys(section: Section, obj: dict) -> None:
        expected = [item.key for item in section.fields if item.key in obj]
        assert list(obj) == expected, (section.key, list(obj))
        for item in section.fields:
            if isinstance(item, Section) and item.key in obj:
                for entry in obj[item.key] if item.each else [obj[item.key]]:
                    keys(item, entry)

    # Every field of the table is written when the statistics have every part (running
    # statistics or sample weights: a weighted fit has no running statistics).
    for path, field in FIELDS:
        value = copy.deepcopy(documents(path, field))
        keys(STAT_FILE, value)
        for step in path:
            assert isinstance(step, int) or step in value, path
            value = value[step]


@pytest.mark.parametrize(("path", "field"), FIELDS, ids=[".".join(map(str, p)) for p, _ in FIELDS])
def test_every_field_is_documented_and_required_ones_are_checked(documents, path, field):
    assert field.doc.strip()
    assert field.key in describe()
    doc = copy.deepcopy(documents(path, field))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    text = json.dumps(doc)
    if field.optional:
        statfile.parse(text)  # its default stands in
        return
    with pytest.raises(StatsFileError) as info:
        statfile.parse(text, source="s.json")
    if path[0] == "format":
        assert "not a normkit stat file" in str(info.value)
    else:
        assert f"{field.key!r}" in str(info.value)


# Provenance is an object of free-form keys (its documented ones are checked in test_statfile).
TYPED = [(p, f) for p, f in FIELDS if p != ("provenance",)]


@pytest.mark.parametrize(("path", "field"), TYPED, ids=[".".join(map(str, p)) for p, _ in TYPED])
def test_a_value_of_the_wrong_type_is_refused_by_name(documents, path, field):
    doc = copy.deepcopy(documents(path, field))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = {"not": "a value"}
    with pytest.raises(StatsFileError) as info:
        statfile.parse(json.dumps(doc), source="s.json")
    assert str(info.value).startswith("s.json: ")
    assert field.key in str(info.value) or path[0] == "format"
