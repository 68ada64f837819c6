"""Later batches of :meth:`~normkit.estimator.standardizer.Standardizer.partial_fit` whose columns
have other types than the batches fitted so far: a column passed through for its type (boolean,
text, dates) that holds numbers in a later batch would be left out of the statistics, and passed
through raw by transform, as a column the first batch did not have would be: refused."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from ..errors import SchemaError, param
from ..io.arrow import is_numeric_type
from ..stats.fitted import PassedThrough

__all__ = ["refuse_numbers_passed_through"]


def _for_its_type(why: str) -> bool:
    """Whether a column was passed through for its type (not chosen away, an index, a weight,
    or empty: those a later batch's numbers do not change)."""
    return why in ("boolean", "text") or why.startswith("type ")


def refuse_numbers_passed_through(
    schema: pa.Schema, passthrough: Sequence[PassedThrough] | None
) -> None:
    """Refuse a batch (``schema``) in which a column that the batches fitted so far passed
    through for its type is numeric (one ``X`` has one type per column: the rows fitted before
    are :meth:`~normkit.estimator.standardizer.Standardizer.partial_fit`'s to tell)."""
    for passed in passthrough or ():
        if passed.name not in schema.names or not _for_its_type(passed.why):
            continue
        dtype = schema.field(passed.name).type
        if not is_numeric_type(dtype):
            continue
        raise SchemaError(
            f"column {passed.name!r} is {dtype}, but {passed.dtype} in the batches fitted "
            "so far, which pass it through: its numbers would be left out of the statistics",
            hints=(
                "give it as numbers from the first batch on (fit a new estimator)",
                f"pass it through as it is ({param('exclude', [passed.name])})",
            ),
        )
