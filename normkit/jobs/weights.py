"""The weight column of a weighted fit of files (``weight_column``): checked against the data
set and the columns chosen, kept out of the columns normalized, and recorded among the columns
passed through (``why`` ``"weight"``), so that the stat file names it and transforms pass it
through unchanged.

Weights are frequency weights (a row of weight ``w`` counts as ``w`` rows; see
:mod:`normkit.core.moments`). The categories of text and boolean columns are counted per row,
unweighted, over the rows of weight above 0 (a row of weight 0 is as if absent, as it is for the
numeric columns): counts of rows are what drift's tests of frequencies (chi-square, Fisher's
exact test) need, and a row counted ``w`` times would make them claim ``w`` times the evidence.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pyarrow as pa

from .. import params
from ..core.accumulator import WEIGHTS_RULE, zero_weights_error
from ..core.moments import Moments
from ..errors import (
    InputError,
    OptionError,
    SchemaError,
    absent_name_hints,
    mentions,
    param,
)
from ..estimator.standardizer import Standardizer, names_param
from ..io.arrow import holds_integers, is_numeric_field, not_numeric, numeric_type_named
from ..io.dataset import reference_reader
from ..io.reader import Reader
from ..stats.passthrough import PassedThrough, mark_weight

__all__ = [
    "WeightType",
    "chosen_weight_column",
    "mark_weight",
    "reading_weights",
    "require_some_weight",
    "without_weight",
]


@contextmanager
def reading_weights(weight_column: str | None) -> Iterator[None]:
    """A reader's refusal of a value of the weight column (text where a number must be) says
    it is the weight column, with what weights must be, not how to leave a data column out:
    the reader's ways out that read the value as a number (another decimal separator, no
    thousands separators, the file's encoding) are kept, those that leave the column out or
    read the value as missing (:data:`_NOT_FOR_WEIGHTS`; a missing weight is refused too) are
    not."""
    try:
        yield
    except InputError as error:
        named = None if weight_column is None else f"column {weight_column!r}"
        if (
            named is None
            or f"{named} at " not in error.message
            or "not a number" not in error.message
        ):
            raise
        message = error.message.replace(named, f"weight {named}", 1)
        kept = [h for h in error.hints if not mentions(h, _NOT_FOR_WEIGHTS)]
        raise InputError(f"{message}; {WEIGHTS_RULE}", hints=(*kept, "fix the data")) from None


#: The parameters of the ways out of a value that is no number which a weight column has not:
#: it is neither excluded nor chosen, and a missing weight is refused.
_NOT_FOR_WEIGHTS = ("exclude", "columns", "csv.null_values")


def require_some_weight(moments: Moments, weight_column: str | None, where: str | None) -> None:
    """Refuse weights that are 0 in every row of the data whose ``moments`` were weighted by
    ``weight_column`` (a fit would otherwise say each column has no values, and suggest its
    exclusion; drift, that nothing drifted, having tested nothing)."""
    if weight_column is None or moments.weight is None or moments.n_columns == 0:
        return
    # A row of weight 0 is counted neither as a value nor as missing: no row counted, no weight.
    if not np.any(moments.count + moments.n_missing):
        raise zero_weights_error(weight_column, where)


def without_weight(
    estimator: Standardizer, sources: Sequence[Reader], names: list[str], weight_column: str
) -> list[str]:
    """The columns to normalize, ``names`` (chosen by ``estimator``), without the weight column.

    Raises
    ------
    SchemaError
        If the data set has no such column, or it is not numeric, or it is the only one.
    OptionError
        If the weight column is also chosen to be normalized.
    """
    reference = reference_reader(sources)
    schema = reference.schema
    if weight_column not in schema.names:
        raise SchemaError(
            f"{reference.name}: no column {weight_column!r} in the input (given in "
            f"{param('weight_column')})",
            param="weight_column",
            hints=absent_name_hints([weight_column], schema.names, given=True),
        )
    chosen = estimator.columns
    if chosen is not None and weight_column in names_param(chosen):
        raise OptionError(
            f"column {weight_column!r} both chosen ({param('columns')}) and the weight column "
            f"({param('weight_column')}): the weights are not normalized",
            param="weight_column",
            hints=("give it to one of them",),
        )
    field = schema.field(weight_column)
    # A CSV's types are its first rows' guess: a column with no value there (null) may hold
    # numbers; its text is not numbers (the first block is mostly words).
    if not (is_numeric_field(field) or (pa.types.is_null(field.type) and not reference.typed)):
        raise SchemaError(
            f"{reference.name}: the weight column {weight_column!r} {not_numeric(field)}",
            param="weight_column",
        )
    names = [name for name in names if name != weight_column]
    if not names:
        raise SchemaError(
            f"{reference.name}: no numeric column to normalize besides the weight column "
            f"{weight_column!r}",
            hints=(f"choose some with {param('columns')}",),
        )
    return names


def chosen_weight_column(estimator: Standardizer, weight_column: str | None) -> str | None:
    """The weight column of a fit of files: the one given, else the estimator's own
    (``Standardizer(weight_column=...)``, a loaded stat file's).

    Raises
    ------
    OptionError
        If both are given and differ.
    TypeError
        If ``weight_column`` is no name.
    """
    params.check_type("weight_column", weight_column, (str, type(None)), "a column name or None")
    own = estimator.weight_column
    if weight_column is not None and own is not None and weight_column != own:
        raise OptionError(
            f"two weight columns: {weight_column!r} given, and the estimator's {own!r}",
            param="weight_column",
            hints=("give one of them",),
        )
    return weight_column if weight_column is not None else own


class WeightType:
    """The type a weight column is recorded as, which a transform reads it as: a CSV's guess
    from its first rows (``int64``) while every weight read is an integer of it, else
    ``double``. A weight column typed by its first rows' integers and holding fractions further
    on is so passed through to Parquet as the float64 it was fitted as, not refused at its first
    fraction (whose way out, its text, is no weight column for a later fit).

    Called with each batch's weights (``feed(..., weights_read=...)``); then
    :meth:`recorded` types the column passed through.
    """

    def __init__(self, passthrough: Sequence[PassedThrough], weight_column: str | None):
        field = next((p for p in passthrough if p.name == weight_column), None)
        self._type = None if field is None else numeric_type_named(field.dtype)
        self._integers = self._type is not None and pa.types.is_integer(self._type)

    def __call__(self, weights: np.ndarray) -> None:
        if self._integers and not np.all(holds_integers(self._type, weights)):
            self._integers = False
            self._type = pa.float64()

    def merged(self, other: WeightType | None) -> WeightType:
        """The type of the weights read here and by ``other`` (the Dask engine's parts)."""
        if other is not None and not other._integers and self._integers:
            self._integers, self._type = False, pa.float64()
        return self

    def recorded(self, passthrough: Sequence[PassedThrough]) -> list[PassedThrough]:
        """``passthrough`` with the weight column of the type read (see the class)."""
        return [
            PassedThrough(p.name, "double", p.why)
            if p.why == "weight" and self._type == pa.float64()
            else p
            for p in passthrough
        ]
