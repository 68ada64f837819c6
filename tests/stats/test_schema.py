"""The stat file's JSON Schema, generated from the field table: up to date in docs/, a valid
draft 2020-12 schema, accepting every kind of file normkit writes and refusing what the layout
forbids (checked with the jsonschema package, as any other tool would)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from conftest import assert_ok, run

import normkit
from normkit.stats.schema import json_schema, to_text

DOCS = Path(__file__).parents[2] / "docs" / "stat-file.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_in_docs_is_the_generated_one():
    assert DOCS.read_text() == to_text(), "regenerate: python -c 'from normkit.stats.schema ...'"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """Stat files of every kind normkit writes."""
    tmp = tmp_path_factory.mktemp("schema")
    rng = np.random.default_rng(2)
    n = 3000
    data = pd.DataFrame(
        {
            "id": np.arange(n),
            "x": rng.normal(size=n),
            "gappy": np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(size=n)),
            "constant": np.full(n, 7.0),
            "city": rng.choice(["Oslo", "Lima", None], n),
            "flag": rng.random(n) < 0.4,
        }
    )
    csv, parquet = tmp / "d.csv", tmp / "d.parquet"
    data.to_csv(csv, index=False)
    data.to_parquet(parquet)
    out = {}
    for name, args in {
        "default": [csv, "--exclude", "id"],
        "no-ema": [parquet, "--no-ema"],
        "ddof-affine": [csv, "--ddof", "1", "--gamma", "x=2", "--beta", "0.5", "--eps", "1e-5"],
        "keras-cumulative": [parquet, "--convention", "keras", "--momentum", "cumulative"],
    }.items():
        out[name] = tmp / f"{name}.json"
        assert_ok(run("fit", *args, "-o", out[name], "-q"))
    out["merged"] = tmp / "merged.json"
    halves = []
    for i, half in enumerate((data.iloc[:1000], data.iloc[1000:])):
        path = tmp / f"h{i}.parquet"
        half.to_parquet(path)
        halves.append(tmp / f"h{i}.json")
        assert_ok(run("fit", path, "-o", halves[-1], "-q"))
    assert_ok(run("merge-stats", *halves, "-o", out["merged"], "-q"))
    out["sklearn"] = tmp / "sklearn.json"
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(data[["x", "constant"]].to_numpy())
    normkit.Standardizer.from_sklearn(scaler).save(out["sklearn"])
    out["saved"] = tmp / "saved.json"
    mode = ("--mode", "adaptive", "--save-stats", out["saved"])
    assert_ok(run("transform", csv, "-s", out["default"], *mode, "-o", tmp / "z.csv", "-q"))
    out["continued"] = tmp / "continued.json"
    fitted = normkit.load(out["no-ema"])
    fitted.partial_fit(data[list(fitted.feature_names_in_)].iloc[:10]).save(out["continued"])
    out["imported"] = tmp / "imported.json"
    assert_ok(run("export", "-s", out["default"], "--to", "torch", "-o", tmp / "bn.safetensors"))
    assert_ok(run("import-torch", tmp / "bn.safetensors", "-o", out["imported"], "-q"))
    return out


KINDS = [
    "default",
    "no-ema",
    "ddof-affine",
    "keras-cumulative",
    "merged",
    "sklearn",
    "saved",
    "continued",
    "imported",
]


def test_every_provenance_key_normkit_writes_is_described(written):
    # merged_from, updated, continued and imported were written but not in the schema.
    described = json_schema()["properties"]["provenance"]["properties"]
    for kind in KINDS:
        provenance = json.loads(written[kind].read_text())["provenance"]
        assert set(provenance) <= set(described), kind
        for source in provenance.get("sources", []):
            assert set(source) <= set(described["sources"]["items"]["properties"]), kind


@pytest.mark.parametrize("kind", KINDS)
def test_every_file_normkit_writes_is_valid(validator, written, kind):
    doc = json.loads(written[kind].read_text())
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []


def _broken(doc: dict, how: str) -> dict:
    doc = json.loads(json.dumps(doc))
    column = doc["columns"][0]
    if how == "unknown key":
        column["mena"] = 1.0
    elif how == "text count":
        column["count"] = "3000"
    elif how == "ddof 2":
        doc["options"]["ddof"] = 2
    elif how == "ema without its column fields":
        del column["ema"]
    elif how == "category count 0":
        doc["categories"][0]["counts"]["Oslo"] = 0
    elif how == "no columns":
        doc["columns"] = []
    elif how == "other format":
        doc["format"] = "something.else"
    elif how == "negative m4":
        column["m4"] = -1.0
    elif how == "updated a number":  # provenance keys were described, not checked
        doc["provenance"]["updated"] = 5
    elif how == "merged_from not paths":
        doc["provenance"]["merged_from"] = ["a.json", 5]
    return doc


@pytest.mark.parametrize(
    "how",
    [
        "unknown key",
        "text count",
        "ddof 2",
        "ema without its column fields",
        "category count 0",
        "no columns",
        "other format",
        "negative m4",
        "updated a number",
        "merged_from not paths",
    ],
)
def test_what_the_layout_forbids_is_refused_by_the_schema_and_by_normkit(
    validator, written, tmp_path, how
):
    doc = _broken(json.loads(written["default"].read_text()), how)
    assert not validator.is_valid(doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    result = run("inspect", path)
    assert result.exit_code == 1, result.output
