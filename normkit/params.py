"""Every parameter rule, declared once: what values each parameter of normkit accepts.

In the manner of scikit-learn's ``_parameter_constraints``: a parameter's rule is a list of
constraints, and a value is valid if any of them accepts it. The estimator, the options objects
(:class:`~normkit.core.running.EmaOptions`, :class:`~normkit.io.options.CsvOptions`, ...), the
stat-file validator and the command line all check values with :func:`check`, and the command line
builds its option types from the same rules (ranges and choices), so no rule is written twice.

Names are the ones a Python user writes (``ddof``, ``ema.momentum``, ``csv.block_size``); a
failed check raises :class:`~normkit.errors.OptionError` whose ``param`` is that name, which the
command line turns into the flag of the command that was run.

Pure Python: the command line imports this module before any data is read, so it must stay free
of numpy and pyarrow.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Mapping
from typing import Any

from .constraints import (
    Boolean,
    Character,
    Codec,
    Constraint,
    Interval,
    Name,
    NoneValue,
    NonZero,
    OneOf,
    PerColumn,
    Strings,
    is_numpy_bool,
)
from .errors import OptionError, param, quoted

__all__ = [
    "MODES",
    "NAMES",
    "PATH",
    "PATHS",
    "RULES",
    "Interval",
    "OneOf",
    "Rule",
    "check",
    "check_momentum",
    "check_type",
    "describe",
    "names",
    "not_data",
    "one_or_many",
    "or_default",
    "path",
    "wrong_type",
]


class Rule:
    """The constraints of one parameter, and a one-line description of its meaning; ``text``
    says what the values must be where the constraints' own words are clumsy."""

    __slots__ = ("constraints", "doc", "name", "text")

    def __init__(
        self, name: str, constraints: tuple[Constraint, ...], doc: str, text: str | None = None
    ):
        self.name, self.constraints, self.doc, self.text = name, constraints, doc, text

    def accepts(self, value: Any) -> bool:
        return any(c.accepts(value) for c in self.constraints)

    def must_be(self, *, none: bool = True) -> str:
        """What the values must be, in words (``none=False``: leaving out None, which a command
        line never passes)."""
        if self.text:
            return self.text
        shown = [c for c in self.constraints if none or not isinstance(c, NoneValue)]
        return " or ".join(c.describe() for c in shown)

    def find(self, kind: type[Constraint]) -> Constraint | None:
        """The first constraint of this kind (the command line builds its types from them)."""
        return next((c for c in self.constraints if isinstance(c, kind)), None)


#: The modes of a transform (BatchNorm's eval mode, train mode, and online normalization).
MODES = ("frozen", "batch", "adaptive")

#: Largest CSV block: a block is parsed as one piece, whose offsets must fit in 32 bits.
MAX_BLOCK_SIZE = 1 << 30
#: Most rows held at once by one logical batch (waiting to be whole), I/O batch or sample.
MAX_BATCH_ROWS = 1 << 20
MAX_CHUNK_ROWS = 1 << 22
MAX_SAMPLE_ROWS = 10_000_000

_FINITE_NONNEGATIVE = Interval(float, 0.0)
_NAMES = Strings()

#: The running statistics' momentum in each convention's sense, a range that keeps them moving:
#: PyTorch's weighs the new batch, Keras' the old state (its 1 would keep the start for ever,
#: its 0 only the latest batch, as Keras allows).
MOMENTUM_RANGES = {
    "torch": Interval(float, 0.0, 1.0, low_open=True),
    "keras": Interval(float, 0.0, 1.0, high_open=True),
}

_RULES = [
    # The estimator (scikit-learn's StandardScaler parameters, and BatchNorm's affine ones).
    Rule("columns", (_NAMES, NoneValue()), "the columns to normalize; None: every numeric one"),
    Rule("exclude", (_NAMES,), "columns never normalized"),
    Rule("ddof", (OneOf(0, 1),), "delta degrees of freedom of the variance"),
    Rule("eps", (_FINITE_NONNEGATIVE,), "added to the variance before the square root"),
    Rule("with_mean", (Boolean(),), "whether to center"),
    Rule("with_std", (Boolean(),), "whether to scale to unit variance"),
    Rule("weight_column", (Name(), NoneValue()), "the column of the rows' sample weights"),
    Rule(
        "gamma",
        (NonZero(), PerColumn(NonZero())),
        "BatchNorm's scale",
        "a finite number other than 0, at least 2.2e-308 in size (or a mapping of column name "
        "to one)",
    ),
    Rule(
        "beta",
        (Interval(float), PerColumn(Interval(float))),
        "BatchNorm's shift",
        "a finite number (or a mapping of column name to one)",
    ),
    # Running (EMA) statistics.
    Rule("ema.convention", (OneOf("torch", "keras"),), "whose BatchNorm defaults"),
    Rule(
        "ema.momentum",
        (Interval(float, 0.0, 1.0), OneOf("cumulative", "default")),
        "weight of a new batch (torch) or of the old state (keras)",
        "a finite number in (0, 1] with the torch convention or [0, 1) with the keras one, "
        "'cumulative' or 'default'",
    ),
    Rule("ema.init", (OneOf("standard", "first"),), "the state before the first batch"),
    Rule("ema.batch_size", (Interval(int, 2, MAX_BATCH_ROWS),), "rows per logical batch"),
    Rule("ema.drop_last", (Boolean(),), "whether to drop a final partial batch"),
    Rule("ema.eps", (_FINITE_NONNEGATIVE, NoneValue()), "added to the running variance"),
    Rule("ema.of", (OneOf("var", "std"),), "the batch statistic the running one averages"),
    # Reading (formats are checked by normkit.io.formats.resolve_format, against its Format).
    Rule("csv.delimiter", (Character(), NoneValue()), "the CSV field separator"),
    Rule("csv.null_values", (Strings(non_empty=False),), "strings read as missing"),
    Rule("csv.block_size", (Interval(int, 4096, MAX_BLOCK_SIZE),), "bytes of CSV per block"),
    Rule("csv.encoding", (Codec(), NoneValue()), "the text's encoding"),
    Rule("csv.decimal", (OneOf(".", ","), NoneValue()), "the decimal separator of numbers"),
    Rule("csv.header", (Boolean(), NoneValue()), "whether the first record names the columns"),
    Rule("csv.skip_rows", (Interval(int, 0, 1 << 20), NoneValue()), "lines before the table"),
    Rule(
        "csv.quote",
        (OneOf('"', "'", ""), NoneValue()),
        "the character that quotes CSV fields ('': no quoting)",
    ),
    Rule(
        "csv.escape",
        (OneOf("\\", ""), NoneValue()),
        "the character escaping quotes inside quoted CSV fields ('': none)",
    ),
    Rule(
        "csv.inline_comments",
        (Boolean(), NoneValue()),
        "whether the comment character starts comments after values too",
    ),
    Rule(
        "csv.comment",
        (Character(), OneOf(""), NoneValue()),
        "the character that starts a comment line ('': none)",
    ),
    Rule("chunk_rows", (Interval(int, 1, MAX_CHUNK_ROWS), NoneValue()), "rows per I/O batch"),
    Rule("inf_as_missing", (Boolean(),), "whether infinite values are read as missing"),
    # Transforming.
    Rule("mode", (OneOf(*MODES),), "how batches are normalized"),
    Rule("use", (OneOf("exact", "ema"), NoneValue()), "the statistics of a frozen transform"),
    Rule("batch_size", (Interval(int, 2, MAX_BATCH_ROWS), NoneValue()), "logical batch size"),
    # Checking and reporting.
    Rule("threshold", (Interval(float, 0.0, low_open=True),), "the practical size of drift"),
    Rule(
        "column_thresholds",
        (PerColumn(Interval(float, 0.0, low_open=True)),),
        "the practical size of drift of particular columns",
    ),
    Rule(
        "alpha",
        (Interval(float, 0.0, 1.0, low_open=True, high_open=True),),
        "the chance of any false alarm in a drift check",
    ),
    Rule(
        "sample_rows",
        (Interval(int, 100, MAX_SAMPLE_ROWS), NoneValue()),
        "values sampled per column",
    ),
    # Exporting to and importing from a model's BatchNorm layer.
    Rule("dtype", (OneOf("float32", "float64"), NoneValue()), "the floating type of the tensors"),
    Rule("rows", (Interval(int, 1), NoneValue()), "rows a model's layer was trained on"),
    # The Dask engine.
    Rule("workers", (Interval(int, 1), NoneValue()), "worker processes of a local cluster"),
]

#: Every parameter's rule, by name.
RULES: dict[str, Rule] = {rule.name: rule for rule in _RULES}


def describe(name: str) -> str:
    """What values the parameter ``name`` accepts, in words."""
    return RULES[name].must_be()


def check(name: str, value: Any) -> Any:
    """Return ``value`` if the rule of parameter ``name`` accepts it (NumPy's booleans as
    ``bool``, which JSON writes).

    Raises
    ------
    OptionError
        Naming the parameter (``error.param == name``), what it must be, and the value.

    Examples
    --------
    >>> check("ddof", 1)
    1
    >>> check("ema.batch_size", 1)
    Traceback (most recent call last):
    ...
    normkit.errors.OptionError: ema.batch_size must be an integer in [2, 2**20], not 1
    """
    rule = RULES[name]
    if not rule.accepts(value):
        raise OptionError(
            f"{param(name)} must be {rule.must_be()}, not {_shown(value)}", param=name
        )
    return bool(value) if is_numpy_bool(value) else value


def check_momentum(value: Any, convention: str) -> Any:
    """Return ``value`` if it is a momentum in ``convention``'s sense (:data:`MOMENTUM_RANGES`),
    ``"cumulative"`` or ``"default"``.

    Raises
    ------
    OptionError
        As :func:`check`, naming ``ema.momentum``.

    Examples
    --------
    >>> check_momentum(0.0, "keras")
    0.0
    >>> check_momentum(1.0, "keras")
    Traceback (most recent call last):
    ...
    normkit.errors.OptionError: ema.momentum must be a finite number in [0, 1) with the keras \
convention (the weight of the old state), 'cumulative' or 'default', not 1.0
    """
    check("ema.momentum", value)
    allowed = MOMENTUM_RANGES[convention]
    if isinstance(value, str) or allowed.accepts(value):
        return value
    sense = "a new batch" if convention == "torch" else "the old state"
    raise OptionError(
        f"{param('ema.momentum')} must be {allowed.describe()} with the {convention} convention "
        f"(the weight of {sense}), 'cumulative' or 'default', not {_shown(value)}",
        param="ema.momentum",
    )


def _shown(value: Any) -> str:
    """A value as a one-line message shows it: an object whose repr is no value (``<...>``) or
    spans lines (a pyarrow array's, a polars Series') by its type, ``a pyarrow StringArray``."""
    text = quoted(value) if isinstance(value, str) else repr(value)
    if not isinstance(value, str) and ("\n" in text or text.startswith("<")):
        kind = type(value)
        package = kind.__module__.split(".")[0]
        named = kind.__name__ if package == "builtins" else f"{package} {kind.__name__}"
        return f"{'an' if named[0].lower() in 'aeiou' else 'a'} {named}"
    return text if len(text) <= 60 else text[:57] + "..."


# -- the types of a public function's arguments --------------------------------------------------

#: What a parameter taking a path accepts, one taking paths, and one taking column names.
PATH = "a path (str or os.PathLike)"
PATHS = "a path or a sequence of paths"
NAMES = "a column name or a sequence of them"


def check_type(name: str, value: Any, types: type | tuple[type, ...], accepted: str) -> Any:
    """Return ``value`` if it is an instance of ``types``; else raise a ``TypeError`` naming the
    parameter, what it accepts and what was given: the one wording of a public function's
    argument of the wrong type (an estimator given where read options go, a dict as a path).

    >>> check_type("read", {"format": "csv"}, type(None), "a normkit.ReadOptions or None")
    Traceback (most recent call last):
    ...
    TypeError: read must be a normkit.ReadOptions or None, not a dict
    """
    if isinstance(value, types):
        return value
    raise wrong_type(name, value, accepted)


def wrong_type(name: str, value: Any, accepted: str, *, held: bool = False) -> TypeError:
    """The ``TypeError`` of parameter ``name`` given ``value`` (``held``: an item of the
    sequence given), where it accepts what ``accepted`` says."""
    given = f"a sequence holding {_given(value)}" if held else _given(value)
    return TypeError(f"{name} must be {accepted}, not {given}")


def callback(name: str, value: Any) -> Any:
    """A callable parameter (``progress``) or None, else :func:`wrong_type`'s ``TypeError``."""
    if value is None or callable(value):
        return value
    raise wrong_type(name, value, "a callable or None")


def or_default(name: str, value: Any, kind: type) -> Any:
    """``value``, or ``kind()`` where it is None: an options object (``read``, ``options``, an
    estimator) of its type or None, else :func:`check_type`'s ``TypeError``."""
    if value is None:
        return kind()
    return check_type(name, value, kind, f"a normkit.{kind.__name__} or None")


def path(name: str, value: Any, optional: bool = False) -> Any:
    """A path parameter given as a path (``str`` or ``os.PathLike``; with ``optional``, or
    None), else :func:`check_type`'s ``TypeError``."""
    if optional and value is None:
        return None
    return check_type(name, value, (str, os.PathLike), PATH + (" or None" if optional else ""))


def not_data(name: str, value: Any, instead: str = "") -> None:
    """Refuse a table or array (with a ``shape``: a DataFrame, an Arrow table, an ndarray) given
    for paths: iterated, a DataFrame gives its column names, taken for paths ("a: no such
    file"). ``instead``: the way for data in memory."""
    if hasattr(value, "shape") and not isinstance(value, str | os.PathLike):
        raise TypeError(f"{wrong_type(name, value, PATHS)}{'; ' + instead if instead else ''}")


def one_or_many(
    name: str,
    value: Any,
    item: type | tuple[type, ...] = (str, os.PathLike),
    accepted: str = PATHS,
) -> list:
    """The items of a parameter that takes several paths or names, where one may be given
    alone: a string (or a path) is one item, not the sequence of its characters.

    >>> one_or_many("paths", "a.json")
    ['a.json']
    >>> one_or_many("columns", ("a", "b"), str, "a column name or a list of them")
    ['a', 'b']
    >>> one_or_many("inputs", 3)
    Traceback (most recent call last):
    ...
    TypeError: inputs must be a path or a sequence of paths, not 3 (an int)
    """
    if isinstance(value, item):
        return [value]
    if not isinstance(value, Iterable) or isinstance(value, bytes | Mapping):
        check_type(name, value, (), accepted)
    items = list(value)
    for v in items:
        if not isinstance(v, item):
            raise wrong_type(name, v, accepted, held=True)
    return items


def names(name: str, value: Any) -> list[str]:
    """The column names a parameter gives, one alone as a string (:func:`one_or_many`)."""
    return one_or_many(name, value, str, NAMES)


def _given(value: Any) -> str:
    """A value given in the wrong place, as a message names it: a plain value shown (``3 (an
    int)``), an object by its type (``a dict``)."""
    kind = type(value).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    if value is None:
        return "None"
    if isinstance(value, str | bytes | bool | numbers.Number):
        shown = _shown(value) if isinstance(value, str) else repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"{shown} ({article} {kind})"
    return f"{article} {kind}"
