"""The categories of a data set's text and boolean columns, counted in the pass that fits the
numeric ones (:func:`normkit.jobs.sources.feed`), for the stat file's ``categories`` (drift's
reference for those columns).

Each batch's column is counted on the reading thread, where it overlaps with the numerics (text as
a CSV gives it by the native engine, other columns by Arrow), and its distinct values go to a
:class:`~normkit.core.categories.CategoryCounter`. Categories are strings: booleans are
``"true"`` and ``"false"``, whether the input has them typed (Parquet, Arrow) or as a CSV's text
(``True``, ``TRUE``, ``1``...: the spellings that made the column boolean). Missing values are
nulls and, in a CSV's text, the empty field and the missing-value strings named (``--null-values``:
as the text passed through reads them, so that a CSV and a Parquet file made of it count alike);
its booleans, the missing-value strings (``NA`` too), as a typed column reads them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa

from ..core.categories import CategoryCounter, CategoryCounts
from ..io.arrow import text_array
from ..io.categories import TextCounts, value_counts
from ..io.lazy import pc
from ..io.reader import Reader
from ..stats.fitted import PassedThrough

__all__ = [
    "GROUP_BYTES",
    "GROUP_ROWS",
    "Counted",
    "add_counts",
    "booleans_as_found",
    "count_batches",
]


def booleans_as_found(
    passthrough: Sequence[PassedThrough], counts: Mapping[str, CategoryCounts]
) -> list[PassedThrough]:
    """``passthrough`` with the columns a CSV's first rows typed as booleans, but that hold
    other text further on (``maybe`` among ``true`` and ``false``: a category of its own in
    ``counts``), passed through as text: what the whole data shows, as the fit's numbers check
    integers over the whole data."""
    out = []
    for p in passthrough:
        found = counts.get(p.name)
        odd = found is not None and (found.other or set(found.counts) - {"true", "false"})
        if p.dtype == "bool" and odd:  # passed through as text, or for its own reason
            p = PassedThrough(p.name, "string", "text" if p.why == "boolean" else p.why)
        out.append(p)
    return out


#: Rows, or bytes of the counted columns, gathered before they are counted by Arrow: small
#: batches (a CSV's blocks) are counted together, so that a column of identifiers costs at most
#: the working cap's Python strings per group rather than one per row. (Text as a CSV gives it
#: is counted by the native engine as it comes, with no Python strings: see
#: :class:`~normkit.io.categories.TextCounts`.)
GROUP_ROWS = 65_536
GROUP_BYTES = 16 << 20

#: Value counts of some batches: per count, the index of its column among those counted, its
#: categories, their counts, its missing values, and the rows of categories left out (see
#: :func:`value_counts`). A column may have several.
Counted = list[tuple[int, list[str], np.ndarray, int, int]]


def count_batches(
    batches: Iterator[pa.RecordBatch],
    source: Reader,
    counter: CategoryCounter,
    weight_column: str | None = None,
) -> Iterator[tuple[pa.RecordBatch | None, Counted | None]]:
    """Each batch of ``source``, with the value counts of ``counter``'s columns in the batches
    up to it not handed on yet (or None while they are gathered), then ``(None, counts)`` of the
    last ones. The counting runs here, on the thread that reads ahead; :func:`add_counts` adds
    the counts to the counter. With a ``weight_column`` (float64 in the batches), only the rows
    of weight above 0 are counted (see :mod:`normkit.jobs.weights`)."""
    booleans = {n for n in counter.names if pa.types.is_boolean(source.schema.field(n).type)}
    booleans |= counter.booleans  # booleans to the statistics checked against (drift)
    # Booleans spelled in a CSV's text are missing where a typed column is null (``NA`` too);
    # other text only at its empty field and the strings named (a region ``NA`` is text).
    missing = {True: source.missing_text, False: source.text_nulls}
    missing_arrays = {k: text_array(v) for k, v in missing.items()}
    tables: list[TextCounts | None] = [None] * len(counter.names)

    def spelled(j: int, dtype: pa.DataType) -> bool:
        return counter.names[j] in booleans and not pa.types.is_boolean(dtype)

    def count(pending: list[list[pa.Array]]) -> Counted:
        counted = []
        for j, (arrays, keep) in enumerate(zip(pending, counter.keep, strict=True)):
            if not arrays:
                continue
            column = pa.chunked_array(arrays, type=arrays[0].type)
            found = value_counts(
                column,
                counter.cap,
                missing_text=missing_arrays[spelled(j, column.type)],
                spelled_booleans=spelled(j, column.type),
                keep=sorted(keep),
            )
            counted.append((j, *found))
        return counted

    pending: list[list[pa.Array]] = [[] for _ in counter.names]
    rows = size = 0
    for batch in batches:
        # Rows of weight 0 are as if absent (a missing or bad weight stops the fit elsewhere).
        positive = None if weight_column is None else pc.greater(batch.column(weight_column), 0)
        for j, name in enumerate(counter.names):
            array = batch.column(name)
            if positive is not None:
                array = array.filter(positive)
            if pa.types.is_floating(array.type):  # NaN is no value, as the fit counts it
                array = pc.if_else(pc.is_nan(array), pa.scalar(None, array.type), array)
            if TextCounts.takes(array):
                if tables[j] is None:
                    tables[j] = TextCounts(
                        counter.cap,
                        missing[spelled(j, array.type)],
                        counter.keep[j],
                        spelled_booleans=spelled(j, array.type),
                    )
                tables[j].add(array)
                continue
            pending[j].append(array)
            size += array.nbytes
        rows += batch.num_rows
        if rows >= GROUP_ROWS or size >= GROUP_BYTES:
            yield batch, count(pending)
            pending, rows, size = [[] for _ in counter.names], 0, 0
        else:
            yield batch, None
    last = count(pending) + [(j, *t.result()) for j, t in enumerate(tables) if t is not None]
    if last:
        yield None, last


def add_counts(counter: CategoryCounter, counted: Counted | None) -> None:
    """Add the counts of a group of batches (from :func:`count_batches`) to ``counter``."""
    for j, values, counts, missing, other in counted or ():
        counter.update(j, values, counts, missing, other)
