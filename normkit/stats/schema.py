"""The stat file's JSON Schema (draft 2020-12), generated from the field table that the writer and
the validator walk (:mod:`normkit.stats.fields`), so that the three never disagree.

The schema says what a JSON validator can: the keys, their types and ranges, the parameters'
rules, which keys each group (``ema``, ``sketch``, ``categories``...) requires, and that no other
key is allowed. What relates numbers to one another (a variance that is ``m2 / (count - ddof)``,
counts adding up to the rows) only normkit's reader checks. ``docs/stat-file.schema.json`` is
this schema as written by :func:`to_text`; the suite checks that it is up to date.
"""

from __future__ import annotations

import json

from .. import params
from .fields import FORMAT, GROUPS, STAT_FILE, VERSION, Field, Section
from .kinds import Nullable

__all__ = ["json_schema", "to_text"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema() -> dict:
    """The stat file's layout as a JSON Schema."""
    schema = {
        "$schema": _DIALECT,
        "title": "normkit stat file",
        "description": f"{STAT_FILE.doc} Format {FORMAT!r}, version {VERSION}.",
        **_object(STAT_FILE, top=True),
    }
    # A group's fields (a column's "ema", say) are required exactly when the file has the
    # group's top-level object.
    dependent = {}
    for group in GROUPS:
        required = _group_requirements(STAT_FILE, group)
        if required:
            dependent[group] = required
    if dependent:
        schema["dependentSchemas"] = dependent
    return schema


def to_text() -> str:
    """The schema as the file in docs/ holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _object(section: Section, top: bool = False) -> dict:
    properties: dict = {}
    required = []
    for item in section.fields:
        if isinstance(item, Section):
            inner = _object(item)
            if item.each is not None:
                inner = {
                    "type": "array",
                    "items": inner,
                    **({"minItems": 1} if item.per_column else {}),
                }
            properties[item.key] = {"description": item.doc, **inner}
            if item.group is None and not (top and item.key in GROUPS):
                required.append(item.key)
            continue
        properties[item.key] = _field(item)
        if not item.optional and item.group is None:
            required.append(item.key)
    out: dict = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _field(item: Field) -> dict:
    schema = {"description": item.doc, **item.kind.schema()}
    if item.key == "format":
        schema["const"] = FORMAT
    elif item.key == "version":
        schema["const"] = VERSION
    if item.rule is not None:
        rule = _rule(item.rule)
        if rule is not None and isinstance(item.kind, Nullable) and not _allows_null(rule):
            rule = {"anyOf": [rule, {"type": "null"}]}  # null is the field's own, not the rule's
        if rule is not None:
            schema = {"allOf": [schema, rule]}
    return schema


def _allows_null(schema: dict) -> bool:
    return schema.get("type") == "null" or any(map(_allows_null, schema.get("anyOf", ())))


def _rule(name: str) -> dict | None:
    """A parameter's rule (:mod:`normkit.params`) as a schema, where it is one of a few values
    or a range; None where JSON Schema cannot say it (a text encoding's name, say)."""
    options = []
    for constraint in params.RULES[name].constraints:
        if isinstance(constraint, params.OneOf):
            options.append({"enum": list(constraint.values)})
        elif isinstance(constraint, params.NoneValue):
            options.append({"type": "null"})
        elif isinstance(constraint, params.Interval):
            bounds: dict = {"type": "integer" if constraint.kind is int else "number"}
            if constraint.low is not None:
                key = "exclusiveMinimum" if constraint.low_open else "minimum"
                bounds[key] = constraint.low
            if constraint.high is not None:
                key = "exclusiveMaximum" if constraint.high_open else "maximum"
                bounds[key] = constraint.high
            options.append(bounds)
        else:
            return None
    return options[0] if len(options) == 1 else {"anyOf": options}


def _group_requirements(section: Section, group: str) -> dict | None:
    """A schema requiring the fields of ``group`` inside ``section`` (nested objects and lists
    included; an optional field is not required), or None if it has none."""
    properties: dict = {}
    required = [
        item.key
        for item in section.fields
        if item.group == group and not (isinstance(item, Field) and item.optional)
    ]
    for item in section.fields:
        if isinstance(item, Section) and item.group is None:
            inner = _group_requirements(item, group)
            if inner is not None:
                properties[item.key] = {"items": inner} if item.each is not None else inner
    if not required and not properties:
        return None
    out: dict = {}
    if required:
        out["required"] = required
    if properties:
        out["properties"] = properties
    return out
