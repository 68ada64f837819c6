"""Text columns in the first batch of a fit in memory: a column of numbers held as text, or of
numbers with a few words among them, is refused rather than passed through raw.

scikit-learn's StandardScaler converts a column of numbers written as text and scales it, and
refuses one with a word among its numbers; normkit passes text through unchanged, so either
would come out raw without a word. Which text column is one of numbers is decided as a CSV's
columns are typed (:func:`~normkit.io.csv.columns.typed_by_majority`, over the first
:data:`JUDGED_VALUES` values, as a CSV's first block), so that a frame and the CSV it was read
from are told the same: mostly numbers, or numbers beside placeholders and missing-value words
only, is a column of numbers; codes (``"A1"``, ``"B2"``, ``"7"``) or many different words are
text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from ..errors import SchemaError
from ..io.arrow import holds_text, without_views
from ..io.csv.columns import NUMBER, typed_by_majority
from ..io.csv.integers import codes_or_identifiers
from ..io.formats import DEFAULT_NULL_VALUES
from ..io.lazy import pc
from .numbers import first_non_number, index_label, text_among_numbers

__all__ = ["JUDGED_VALUES", "refuse_numbers_as_text"]

#: The values of a text column whose kind (numbers or text) is judged, as a CSV's first block.
JUDGED_VALUES = 65_536


def _mostly_numbers(values: pa.Array) -> bool:
    """Whether the text ``values`` (no null) are a column of numbers with some words, by the
    rule that types a CSV's columns (its default missing-value strings no value), holding at
    least one number."""
    head = values.slice(0, JUDGED_VALUES).cast(pa.string())
    schema = pa.schema([("values", pa.string())])
    batch = pa.record_batch([head], schema=schema)
    typed = typed_by_majority(schema, batch, nulls=DEFAULT_NULL_VALUES)
    if not pa.types.is_floating(typed.field(0).type):
        return False
    number = re.compile(NUMBER.format(point=r"\."), re.ASCII | re.IGNORECASE)
    return any(number.fullmatch(v) for v in head.to_pylist())  # not placeholders alone


def refuse_numbers_as_text(
    table: pa.Table | pa.RecordBatch,
    names: Sequence[str],
    chosen: Sequence[str] = (),
    index: Any = None,
    offset: int = 0,
) -> None:
    """Refuse a text column of ``names`` (those a fit passes through as text) or of ``chosen``
    (chosen by name to be normalized) that holds numbers: every value a number (``"1.5"``,
    ``"2"``), or a column of numbers by the CSV's rule with a word among them (``"call"``,
    ``"N/A"``), refused at the first word, naming its row (after ``offset`` rows of a stream)
    and its pandas ``index`` label where the frame has an index of its own.

    Codes zero-padded to one width (``"02139"``) and integers beyond int64 are text, as a CSV
    keeps them, and so is a column of NaN and infinities only. A column chosen by name that is
    no column of numbers with a word is left to the choice of columns, which refuses its type."""
    wanted = set(chosen)
    for name in [*names, *chosen]:
        column = table.column(name)
        if not holds_text(column.type):
            continue
        values = without_views(column)  # polars' text: no cast kernel
        if pa.types.is_dictionary(values.type):  # pandas' category
            values = values.cast(values.type.value_type)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        present = values.drop_null()
        if len(present) == 0:
            continue
        found = first_non_number(values)
        if found is not None:
            if _mostly_numbers(present):
                row, value = found
                leave = "leave it out of columns" if name in wanted else ""
                label = index_label(index, row, offset)
                raise text_among_numbers(name, offset + row + 1, value, label, leave)
            continue  # text
        if name in wanted:
            continue  # text, or numbers as text: refused for its type by the choice of columns
        numbers = present.cast(pa.float64())
        if not pc.any(pc.is_finite(numbers)).as_py():
            continue  # "nan", "inf": no number to scale
        if codes_or_identifiers({name: present}):
            continue  # "02139", 20-digit identifiers: text, as a CSV keeps them
        raise SchemaError(
            f"column {name!r} holds numbers as text (its first is {present[0].as_py()!r}):"
            " scikit-learn's StandardScaler would scale it, and normkit passes text through "
            "unchanged",
            hints=(
                f"make it numbers (pandas: pd.to_numeric(df[{name!r}]); polars: "
                f"pl.col({name!r}).cast(pl.Float64))",
                f"pass it through as it is with exclude=[{name!r}]",
            ),
        )
