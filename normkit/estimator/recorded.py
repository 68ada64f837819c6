"""Arrow tables in memory that keep normkit's record of how they were made
(:mod:`normkit.stats.recipe`: a Parquet or Arrow output of ``normkit transform`` read back), and
pandas frames that keep it in their ``attrs`` (such a Parquet file read by ``read_parquet``), are
transformed by the record's rules, as their files are: an inverse undoes what the record says
(and refuses statistics or options that contradict it), a transform refuses data the record says
is already normalized."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import InputError
from ..stats.fitted import FittedStats
from ..stats.recipe import (
    ATTRS_KEY,
    METADATA_KEY,
    InMemory,
    Recipe,
    inverse_settings,
    record_text,
    recorded_in,
    refuse_renormalizing,
)
from .tables import is_pandas

__all__ = [
    "alike_records",
    "recorded_settings",
    "stream_head",
    "without_record",
    "without_records",
]

Affine = float | Mapping[str, float] | np.ndarray | None


def _recorded(X: Any) -> InMemory | None:
    """``X`` as the record's rules read it, if it keeps a record: an Arrow table, batch or
    stream of batches (a reader) in its schema metadata, a pandas frame in its ``attrs``."""
    arrow = pa.Table | pa.RecordBatch | pa.RecordBatchReader
    if isinstance(X, arrow) and record_text(X.schema.metadata or {}) is not None:
        return InMemory(X.schema)
    if is_pandas(X) and ATTRS_KEY in X.attrs:
        try:
            text = json.dumps(X.attrs[ATTRS_KEY])
        except (TypeError, ValueError):
            text = "{"  # not a record normkit wrote: damaged, as Recipe.of says
        metadata = {METADATA_KEY: text.encode("utf-8")}
        schema = pa.schema([], metadata=metadata)
        return InMemory(schema, "the DataFrame", kept_in="its attrs", says_so="its attrs say so")
    return None


def _record(X: Any) -> Recipe | None:
    source = _recorded(X)
    return Recipe.of(source) if source is not None else None


def _record_text(X: Any) -> bytes | None:
    """The text of the record ``X`` keeps, if any: equal texts are equal records, cheaply."""
    source = _recorded(X)
    return record_text(source.schema.metadata or {}) if source is not None else None


def stream_head(stream: Iterable[Any]) -> tuple[Any, Iterator[Any] | pa.RecordBatchReader]:
    """The table of ``stream`` that tells whether it keeps a record (a reader tells by its
    schema; other streams by their first table, None if they are empty) and the stream whole
    again: a stream of a file's batches (``ParquetFile.iter_batches``) keeps the record in
    each."""
    if isinstance(stream, pa.RecordBatchReader):
        return stream, stream
    items = iter(stream)
    first = next(items, None)
    return first, items if first is None else itertools.chain([first], items)


def alike_records(batches: Iterable[Any], head: Any) -> Iterator[Any]:
    """The Arrow tables of a stream whose first table is ``head``, refusing one whose record of
    how it was made differs from the first's (a normalized file's batches after a raw one's, or
    after another normalization's): the first's record decides the stream's transform.

    Raises
    ------
    InputError
        Naming the first row of the batch that was made otherwise.
    """
    if isinstance(batches, pa.RecordBatchReader):
        yield from batches  # a reader's batches share its schema
        return
    first, recipe = _record_text(head), _record(head)
    done = 0
    for batch in batches:
        text = _record_text(batch)  # parsed only where it differs from the first's
        kept = recipe if text == first else _record(batch)
        if kept != recipe:
            if recipe is None:
                made = "is normalized (its record says so), and the first is not"
            elif kept is None:
                made = "records no normalization, and the first does"
            else:
                made = "was normalized otherwise than the first (their records say so)"
            raise InputError(
                f"the batch of the stream from row {done + 1:,} {made}: they were not made "
                "alike; give them separately"
            )
        done += batch.num_rows if isinstance(batch, pa.Table | pa.RecordBatch) else len(batch)
        yield batch


def without_records(batches: Iterable[Any], head: Any, inverse: bool) -> Iterator[Any]:
    """:func:`without_record` of each batch of a stream whose first table is ``head``."""
    recipe = _record(head)
    for batch in batches:
        yield _without(batch, recipe, inverse)


def recorded_settings(
    X: Any,
    stats: FittedStats,
    use: str | None,
    gamma: Affine,
    beta: Affine,
    inverse: bool,
    renormalize: bool,
) -> tuple[str | None, Affine, Affine]:
    """The statistics used, gamma and beta for a transform (or ``inverse``) of ``X`` with
    ``stats``: as given, but for a table whose record says how it was normalized, which an
    inverse undoes as recorded.

    Raises
    ------
    InputError
        If the record says ``X`` is already normalized and ``renormalize`` is not given, or
        (an inverse) that it was normalized with other statistics or in a mode that cannot be
        inverted.
    OptionError
        If an inverse is given a use, gamma or beta that contradicts the record.
    """
    source = _recorded(X)
    if source is None:
        return use, gamma, beta
    if not inverse:
        refuse_renormalizing([source], stats, renormalize)
        return use, gamma, beta
    asked = (use is not None, gamma is not None, beta is not None)
    return inverse_settings([source], stats, use, *stats.affine(gamma, beta), asked)


def without_record(out: Any, X: Any, inverse: bool) -> Any:
    """``out``, the transform (or ``inverse``) of ``X``, without the record ``X`` kept, which
    no longer describes it; an inverse of data normalized twice keeps the record of the first
    normalization, which it still bears."""
    return _without(out, _record(X), inverse)


def _without(out: Any, recipe: Recipe | None, inverse: bool) -> Any:
    """``out`` without the record ``recipe`` (its input's, if any; see :func:`without_record`)."""
    if recipe is None:
        return out
    kept = recipe.previous if inverse else None
    if isinstance(out, pa.Table | pa.RecordBatch):
        return out.replace_schema_metadata(recorded_in(out.schema.metadata, kept) or None)
    if is_pandas(out):  # its attrs are the input's (pandas' rule)
        out.attrs.pop(ATTRS_KEY, None)
        if kept is not None:
            out.attrs[ATTRS_KEY] = kept.document()
    return out
