"""The exceptions normkit raises for problems in a user's data, files or options.

Every exception derives from :class:`NormkitError`; those about a value given (:class:`SchemaError`,
:class:`DataError`, :class:`OptionError`) are also ``ValueError``, which scikit-learn's tools and
Python code expect for bad input; the command line turns any of them into one line on
stderr (``normkit: error: ...``) and an exit code (:data:`EXIT_CODES`). Anything else that escapes
is a bug in normkit. :class:`NormkitNote` is the warning of a result that is right but may
surprise (running statistics far from the exact ones), which the command line prints as a note.

Messages may name parameters (``momentum``, ``csv.null_values``) with :func:`param`: the library
spells them as in Python, the command line as the flag of the command that was run. A message may
end with hints, ways out that name a parameter (``exclude the column (exclude='b')``); a front end
leaves out a hint whose parameter it has no way to set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Mapping, Sequence

__all__ = [
    "EXIT_CODES",
    "DataError",
    "InputError",
    "NormkitError",
    "NormkitNote",
    "OptionError",
    "OutputError",
    "SchemaError",
    "StatsFileError",
    "Written",
    "alike_names",
    "caller_level",
    "infinite_error",
    "infinite_output_error",
    "infinity_hints",
    "listed",
    "mentions",
    "param",
    "plain_value",
    "quoted",
    "refuse_two_readings",
]

# Marks a parameter reference inside a message: "\x1f" name ["\x1e" value] "\x1f". No column
# name or value a message quotes is likely to hold these control characters, and
# :func:`_quoted` keeps them out of the values it is given.
_MARK = "\x1f"
_VALUE = "\x1e"

#: Spells a parameter reference: (name, value or None) -> text, or None to leave a hint out.
Speller = Callable[[str, "str | None"], "str | None"]


def param(name: str, value: object = None) -> str:
    """A reference to the parameter ``name`` (optionally with a value to give it) inside a
    message; :meth:`NormkitError.render` spells it.

    >>> str(OptionError(f"{param('ddof')} must be 0 or 1, not 3"))
    'ddof must be 0 or 1, not 3'
    >>> str(OptionError(f"exclude it ({param('exclude', 'b')})"))
    "exclude it (exclude='b')"
    """
    if value is None:
        return f"{_MARK}{name}{_MARK}"
    # A string value is quoted in Python's spelling; others (True, 4) are written as they are;
    # a list of names is a list.
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, list | tuple):
        text = repr([str(v) for v in value])
    elif isinstance(value, Mapping):  # per column: {'q': 2.0}
        text = repr({str(k): v for k, v in value.items()})
    else:
        text = str(value)
    clean = text.replace(_MARK, "").replace(_VALUE, "")
    return f"{_MARK}{name}{_VALUE}{clean}{_MARK}"


def mentions(text: str, names: Collection[str]) -> bool:
    """Whether ``text`` (a message or a hint) refers to one of the parameters ``names`` (as
    :func:`param` refers to them).

    >>> mentions(f"exclude the column ({param('exclude', 'b')})", ("exclude", "columns"))
    True
    """
    return any(part.partition(_VALUE)[0] in names for part in text.split(_MARK)[1::2])


def quoted(text: str) -> str:
    r"""A string in quotes as its user typed it: a backslash stays one (``repr`` doubles it), and
    only characters that would not show (a tab, a line break) are escaped as ``repr`` does.

    >>> print(quoted("\\"), quoted("it's"), quoted("a\tb"))
    '\' "it's" 'a\tb'
    """
    quote = '"' if "'" in text and '"' not in text else "'"
    inner = "".join(
        "\\" + c if c == quote else c if c.isprintable() else repr(c)[1:-1] for c in text
    )
    return f"{quote}{inner}{quote}"


def times(n: int) -> str:
    """``twice``, or ``N times``: how often something was given."""
    return "twice" if n == 2 else f"{n:,} times"


def listed(names: Sequence[str], noun: str = "column", limit: int = 10) -> str:
    """Names as a message lists them: ``column 'a'``, ``columns 'a', 'b' and 3 more``."""
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f" and {len(names) - limit:,} more" if len(names) > limit else ""
    return f"{noun}{'s' if len(names) > 1 else ''} {shown}{more}"


def alike_names(
    absent: Sequence[str],
    present: Sequence[str],
    limit: int = 3,
    *,
    given: bool = False,
    whose: str = "the input has",
) -> tuple[str, ...]:
    """Hints for names that are not there (``absent``) where the names that are (``present``)
    hold one they may have meant: the same in another case or with spaces around it ('Price'
    for 'price '), or the same text in another Unicode form (a 'café' with its accent as a
    character of its own, NFD, beside one of a single character, NFC: they look alike, and are
    shown escaped), or with invisible characters (a byte-order mark left in a Parquet field's
    name, a zero-width space) or in full-width letters (``temp`` written in U+FF54...). Names
    ``given`` in a list (an option's ``a,b``, which strips each name and splits at commas):
    one with spaces at its ends, or holding a comma, is written in double quotes."""
    import unicodedata

    def plain(name: str) -> str:
        return unicodedata.normalize("NFC", name).strip().casefold()

    def key(name: str) -> str:  # invisible characters (a BOM, a zero-width space) left out
        text = unicodedata.normalize("NFKC", name)  # full-width letters as letters
        return "".join(c for c in text if unicodedata.category(c) != "Cf").strip().casefold()

    by_key: dict[str, list[str]] = {}
    for name in present:
        by_key.setdefault(key(name), []).append(name)
    hints = []
    for name in absent:
        alike = by_key.get(key(name), [])
        have = alike[0] if alike else None
        if have is None or have == name:
            continue
        if unicodedata.normalize("NFC", have) == unicodedata.normalize("NFC", name):
            hints.append(
                f"{whose} {have!a}, which is {name!a} in another Unicode form (they look "
                "alike): write the names alike"
            )
        elif plain(have) != plain(name):
            if any(unicodedata.category(c) == "Cf" for c in have + name):
                how = f"{have!a}, which is {name!a} with invisible characters (shown escaped)"
            else:
                how = f"{have!r}, which is {name!r} in letters of another width"
            hints.append(f"{whose} {how}: write the names alike")
        elif given and have.strip() == name:  # a list of names strips its names
            hints.append(
                f"{whose} {have!r}, with spaces at its ends (in a list of names on the "
                f"command line, written in double quotes: '\"{have}\"')"
            )
        elif len(alike) > 1:  # 'Age' and 'age' beside each other: either may be meant
            shown = ", ".join(map(repr, alike[:-1])) + f" and {alike[-1]!r}"
            hints.append(f"{whose} {shown}, which differ from {name!r} in case or spaces")
        else:
            hints.append(f"{whose} {have!r}, which differs from {name!r} in case or spaces")
    split = [p for p in present if "," in p and set(map(str.strip, p.split(","))) & set(absent)]
    if given and split:
        hints.append(
            f"{whose} {split[0]!r}, holding a comma (in a list of names on the command "
            f"line, written in double quotes: '\"{split[0]}\"')"
        )
    return tuple(hints[:limit])


def absent_name_hints(
    absent: Sequence[str], present: Sequence[str], whose: str = "the input has", given: bool = False
) -> tuple[str, ...]:
    """The hint of names not there: the one meant where a name differs only in case or spaces
    (:func:`alike_names`), else every name there is (``whose``: ``"the input has"``)."""
    return alike_names(absent, present, given=given, whose=whose) or (f"{whose} {listed(present)}",)


class Written(str):
    """A column name read from text that reads otherwise too: ``written``, the text as written
    (the command line's ``"q"``, whose quotes read as quoting: the name ``q``)."""

    __slots__ = ("written",)

    def __new__(cls, name: str, written: str) -> Written:
        self = super().__new__(cls, name)
        self.written = written
        return self


def refuse_two_readings(
    name: str, given: Sequence[str] | Mapping[str, object] | None, present: Collection[str]
) -> None:
    """Refuse a name of the parameter ``name`` (``given``: names, or a mapping of column to
    value such as gamma's) whose two readings (a :class:`Written`'s) both name a column of
    ``present``: which is meant cannot be told.

    Raises
    ------
    OptionError
        Naming both columns and how to give each.
    """
    for column in given or ():
        written = getattr(column, "written", None)
        if written is None or written == column or column not in present or written not in present:
            continue
        plain = str(column)
        value = given[column] if isinstance(given, Mapping) else None
        ways = [{n: value} if isinstance(given, Mapping) else n for n in (plain, written)]
        raise OptionError(
            f"{param(name)} names {quoted(written)}, which reads as the column {quoted(plain)} "
            f"(its quotes as quoting) and as the column {quoted(written)} (as written): which "
            "is meant cannot be told",
            param=name,
            hints=(
                f"for {quoted(plain)} give {param(name, ways[0])}",
                f"for {quoted(written)} give {param(name, ways[1])}",
            ),
        )


def python_spelling(name: str, value: str | None) -> str:
    """How the library names a parameter in its messages: ``exclude='b'``, ``momentum``."""
    return name if value is None else f"{name}={value}"


def plain_value(value: str) -> str | list[str] | dict[str, float]:
    """A value of a parameter reference without Python's quotes (for a command line): a string,
    a list of them, or a mapping of column to number."""
    if len(value) >= 2 and ((value[0] == value[-1] and value[0] in "'\"") or value[0] in "[{"):
        import ast

        literal = ast.literal_eval(value)
        if isinstance(literal, dict):
            return {str(k): float(v) for k, v in literal.items()}
        return [str(v) for v in literal] if isinstance(literal, list) else str(literal)
    return value


def _render(template: str, spell: Speller) -> str | None:
    parts = template.split(_MARK)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(part)
            continue
        name, _, value = part.partition(_VALUE)
        spelled = spell(name, value or None)
        if spelled is None:
            return None
        out.append(spelled)
    return "".join(out)


class NormkitError(Exception):
    """Base class of every error normkit reports to its user.

    Parameters
    ----------
    message : str
        What is wrong (naming the file, column, row and value where known); parameter references
        made with :func:`param`.
    param : str or None
        The parameter whose value is at fault, if one is.
    hints : sequence of str
        Ways out, joined with "or" after the message (``"exclude the column (" +
        param("exclude", "b") + ")"``); a front end drops the hints it cannot spell.
    """

    def __init__(self, message: str, *, param: str | None = None, hints: Sequence[str] = ()):
        super().__init__(message)
        self.message = message
        self.param = param
        self.hints = tuple(hints)

    def render(self, spell: Speller = python_spelling) -> str:
        """The message and the hints ``spell`` can name, parameters spelled by it."""
        text = _render(self.message, spell)
        if text is None:  # the message itself names what the caller cannot spell
            text = _render(self.message, python_spelling)
        hints = [h for h in (_render(hint, spell) for hint in self.hints) if h]
        return f"{text}; {' or '.join(hints)}" if hints else text

    def __str__(self) -> str:
        return self.render()

    def with_hints(self, hints: Sequence[str]) -> NormkitError:
        """The same error with more ways out (the first ones first)."""
        error = type(self)(self.message, param=self.param, hints=(*hints, *self.hints))
        error.__cause__ = self.__cause__
        return error

    def within(self, where: str) -> NormkitError:
        """The same error, its message prefixed with ``where: `` (a file name, say), unless it
        already starts so."""
        prefix = f"{where}: "
        message = self.message if self.message.startswith(prefix) else prefix + self.message
        error = type(self)(message, param=self.param, hints=self.hints)
        error.__cause__ = self.__cause__
        return error


class InputError(NormkitError):
    """An input file cannot be opened, decoded or parsed."""


class SchemaError(NormkitError, ValueError):
    """The columns of an input do not fit what was asked or what a stat file holds."""


class DataError(NormkitError, ValueError):
    """A value in the data cannot be used (not a number, infinite, too few values)."""


class StatsFileError(NormkitError):
    """A stat file is missing, malformed, of another version or inconsistent."""


class OutputError(NormkitError):
    """An output cannot be written (bad path, output is an input, disk full)."""


class OptionError(NormkitError, ValueError):
    """An option given to the library has a value it cannot use."""


def caller_level() -> int:
    """The ``stacklevel`` of :func:`warnings.warn`, called by the function that calls this, that
    tells the warning at the line that called normkit (its user's, or a library's such as
    scikit-learn's pipelines), however deep in normkit the warning is raised."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


class NormkitNote(UserWarning):
    """A result that is what was asked but not what its user may expect (a warning, no error).

    Its message names parameters with :func:`param` and may end with hints, as an error's:
    :meth:`render` spells them, the command line as the flags of the command that was run
    (printed as ``normkit: note: ...``), ``str`` as in Python (what :func:`warnings.warn`
    shows).
    """

    def __init__(self, message: str, *, hints: Sequence[str] = ()):
        super().__init__(message)
        self.message = message
        self.hints = tuple(hints)

    def render(self, spell: Speller = python_spelling) -> str:
        """The message and the hints ``spell`` can name, parameters spelled by it."""
        return NormkitError(self.message, hints=self.hints).render(spell)

    def __str__(self) -> str:
        return self.render()


#: The exit code of the command line for each kind of problem: the same in every command.
EXIT_CODES: dict[type[NormkitError], int] = {
    OptionError: 2,
    InputError: 1,
    SchemaError: 1,
    DataError: 1,
    StatsFileError: 1,
    OutputError: 1,
}


#: What a job that ran out of memory says of it (after the file where one is known).
OUT_OF_MEMORY = (
    "out of memory (nothing was written): normkit reads in batches, but a Parquet row group or "
    "an Arrow record batch is read whole, and every thread needs memory of its own"
)
#: The ways out of :data:`OUT_OF_MEMORY`.
OUT_OF_MEMORY_HINTS = ("give it more memory", "write the data in smaller row groups or batches")


def infinite_error(where: str, value: float, hints: Sequence[str] = ()) -> DataError:
    """The refusal of an infinite value found ``where`` (``"column 'a' at data row 5"``), in
    data fitted or transformed alike."""
    return DataError(
        f"{where}: {value!r} is not finite (out of float64's range, or written as infinite; "
        "scikit-learn refuses infinite values too)",
        hints=hints or ("make it a missing value (NaN), which passes through as missing",),
    )


def infinity_hints(in_memory: bool) -> tuple[str, ...]:
    """The ways out of an infinite value in data fitted or transformed: for files, a read
    option that takes infinities as missing; in memory (arrays and DataFrames), the same made
    by hand, since the estimator reads nothing."""
    if in_memory:
        return (
            "fix the data",
            "make infinities missing values, which are ignored (a DataFrame: "
            "X.replace([np.inf, -np.inf], np.nan); an array: np.where(np.isinf(X), np.nan, X))",
        )
    return ("fix the data", f"read infinities as missing ({param('inf_as_missing', True)})")


def infinite_output_error(
    where: str, value: float, output: float, hints: Sequence[str], inverse: bool = False
) -> DataError:
    """The error of an infinite output, as scikit-learn's transform refuses it: from an
    infinite input ``value``, or from a finite one that gamma, beta or a tiny scale took beyond
    float64's range (``inverse``: that an inverse took there, undoing what did not make it)."""
    if value in (float("inf"), float("-inf")):
        return infinite_error(where, value, hints)
    value, output = float(value), float(output)  # as Python writes them, not np.float64(inf)
    if inverse:
        return DataError(
            f"{where}: the restored value of {value!r} is {output!r}, beyond float64's range, with these "
            "statistics, gamma and beta: the input was likely not normalized with them (but "
            "with other statistics, gamma or beta, or not normalized at all)",
            hints=("invert it with the statistics, gamma and beta that normalized it",),
        )
    return DataError(
        f"{where}: the output of {value!r} is {output!r}, beyond float64's range, with these "
        "statistics, gamma and beta",
        hints=("give a gamma (or beta) that keeps the values in range",),
    )
