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
from ..io.arrow import is_numeric_field, is_text_type, not_numeric
from ..io.dataset import reference_reader
from ..io.reader import Reader, not_numeric_error
from ..stats.passthrough import PassedThrough, mark_weight

__all__ = [
    "chosen_weight_column",
    "mark_weight",
    "reading_weights",
    "require_some_weight",
    "weights_as_read",
    "without_weight",
]


@contextmanager
def reading_weights(weight_column: str | None, passed_through: bool = False) -> Iterator[None]:
    """A reader's refusal of a value of the weight column (text where a number must be) says
    it is the weight column, with what weights must be, not how to leave a data column out:
    the reader's ways out that read the value as a number (another decimal separator, no
    thousands separators, the file's encoding) are kept, those that leave the column out or
    read the value as missing (:data:`_NOT_FOR_WEIGHTS`; a missing weight is refused too) are
    not. ``passed_through``: a transform's, which does not apply the weights (nor says what they
    must be) and may keep them as text."""
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
        if passed_through:  # a transform's: the weights are not applied, only kept as numbers
            text = f"keep the columns passed through as text ({param('keep_text', True)})"
            raise InputError(message, hints=(*kept, "fix the data", text)) from None
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
    # A CSV's types are its first rows' guess: its weight column is read as numbers whatever
    # they say, and a word there is refused with its row and value (a column typed as text
    # for one integer beyond int64 in its first rows holds weights all the same).
    if reference.typed and not is_numeric_field(field):
        # Its type is the file's own: the way out is numbers where it is written, as for any
        # column a typed file holds where numbers are read (not its exclusion: it is the weights).
        how = not_numeric_error(reference.name, weight_column, field).hints[:1]
        how = how if is_text_type(str(field.type)) else ()  # the others' speak of a transform
        raise SchemaError(
            f"{reference.name}: the weight column {weight_column!r} {not_numeric(field)}",
            param="weight_column",
            hints=how,
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


def weights_as_read(
    passthrough: Sequence[PassedThrough], sources: Sequence[Reader], weight_column: str | None
) -> list[PassedThrough]:
    """``passthrough`` with the weight column typed ``double`` where transforms pass it through
    as the float64 weights fitted: read from a CSV, whose types are its first rows' guess (a
    column of integers there may hold fractions further on; see
    :func:`~normkit.jobs.columntypes.settle_as_recorded`), or given other types by the
    inputs, not all integers (int64 in one file, double in another)."""
    if weight_column is None:
        return list(passthrough)
    types = {s.schema.field(weight_column).type for s in sources if weight_column in s.schema.names}
    mixed = len(types) > 1 and not all(pa.types.is_integer(t) for t in types)
    if not mixed and all(s.typed for s in sources):
        return list(passthrough)
    return [PassedThrough(p.name, "double", p.why) if p.why == "weight" else p for p in passthrough]
