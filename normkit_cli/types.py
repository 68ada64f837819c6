"""The value types of the options: ranges and choices built from the library's rules
(:mod:`normkit.params`), lists of names, sizes, numbers per column. A refused value is told in
the rule's words, after the option's flag, as it was typed (``--ddof must be 0 or 1, not 'x'``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

from normkit import params
from normkit.errors import OptionError, Written, quoted
from normkit.params import RULES, Interval, OneOf


def must_be(name: str, value: str) -> str:
    """A refused value of the parameter ``name`` in the words of its rule, the value as typed."""
    return f"must be {RULES[name].must_be(none=False)}, not {quoted(value)}"


class Checked(click.ParamType):
    """Text parsed by ``parse``, then checked by the library parameter's rule. ``parse`` raises
    ValueError with a message that follows the option's flag, or without one to be told in the
    rule's words."""

    def __init__(
        self,
        param: str,
        parse: Callable[[str], Any],
        metavar: str,
        as_text: Callable[[str], str] | None = None,
    ):
        self.param = param
        self.parse = parse
        self.name = metavar
        if as_text is not None:
            self.as_text = as_text  # how a value is written on the command line

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            parsed = self.parse(value)
        except ValueError as exc:
            self.fail(str(exc) or must_be(self.param, value), param, ctx)
        try:
            params.check(self.param, parsed)
        except OptionError:
            self.fail(must_be(self.param, value), param, ctx)
        return parsed


class _Ruled:
    """A click range whose refusals are the rule's (``--ddof must be 0 or 1, not 'x'``), and
    which the rule checks too (a float range lets infinity and NaN through)."""

    rule: str

    def convert(self, value, param, ctx):
        try:
            converted = super().convert(value, param, ctx)  # type: ignore[misc]
        except click.BadParameter:
            self.fail(must_be(self.rule, str(value)), param, ctx)  # type: ignore[attr-defined]
        if not RULES[self.rule].accepts(converted):
            self.fail(must_be(self.rule, str(value)), param, ctx)  # type: ignore[attr-defined]
        return converted


class IntRange(_Ruled, click.IntRange):
    pass


class FloatRange(_Ruled, click.FloatRange):
    pass


class Choice(click.Choice):
    """A choice whose refusal and absence are said in one line, the value as typed."""

    def get_invalid_choice_message(self, value, ctx) -> str:
        return f"must be {OneOf(*self.choices).describe()}, not {quoted(str(value))}"

    def get_missing_message(self, param, ctx) -> str:
        return f"give {OneOf(*self.choices).describe()}"


def click_type(name: str) -> click.ParamType:
    """The click type of a parameter: a range or a choice, from its rule."""
    rule = RULES[name]
    interval = rule.find(Interval)
    choice = rule.find(OneOf)
    kind: click.ParamType
    if interval is not None and choice is None:
        make = IntRange if interval.kind is int else FloatRange
        kind = make(
            min=interval.low,
            max=interval.high,
            min_open=interval.low_open,
            max_open=interval.high_open,
        )
    elif choice is not None and interval is None:
        if not all(isinstance(v, int) for v in choice.values):
            return Choice([str(v) for v in choice.values])
        kind = IntRange(min(choice.values), max(choice.values))
    else:
        raise ValueError(f"no click type for the parameter {name!r}: give one")
    kind.rule = name
    return kind


def split_names(text: str) -> list[str]:
    r"""A comma-separated list in which a member may be double-quoted, as in CSV: ``a, "b,c",
    " d "`` is ``["a", "b,c", " d "]``. Unquoted members lose their surrounding spaces; quoted
    ones are kept exactly (a quote inside doubled).

    >>> split_names('a, "b,c", " d ","say \"\"hi\"\""')
    ['a', 'b,c', ' d ', 'say "hi"']
    """
    return [member for member, _ in split_members(text)]


def split_members(text: str) -> list[tuple[str, bool]]:
    """:func:`split_names`' members, each with whether it was quoted (``""`` is a name: the
    empty one; an unquoted empty member is nothing)."""
    members, i, n = [], 0, len(text)
    while True:
        while i < n and text[i] == " ":
            i += 1
        if i < n and text[i] == '"':
            name, i = _quoted_at(text, i)
            members.append((name, True))
            while i < n and text[i] == " ":
                i += 1
            if i < n and text[i] != ",":
                raise ValueError(f"{quoted(text)}: a quoted name must end its member")
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            members.append((text[i:end].strip(), False))
            i = end
        if i >= n:
            return members
        i += 1  # the comma


def _quoted_at(text: str, i: int) -> tuple[str, int]:
    """The double-quoted name opening at ``text[i]`` (a quote inside doubled), and the place
    after its closing quote."""
    member, i = [], i + 1
    while True:
        end = text.find('"', i)
        if end < 0:
            raise ValueError(f"{quoted(text)}: a quoted name is not closed")
        member.append(text[i:end])
        if text[end + 1 : end + 2] != '"':
            return "".join(member), end + 1
        member.append('"')
        i = end + 2


class NoName(ValueError):
    """A ``col=value`` member without its name (``=2``; the empty name is written ``""=2``)."""


def split_pairs(text: str) -> list[tuple[str, str]]:
    """The ``col=value`` members of a comma-separated list, a name double-quoted where it holds
    a comma or spaces at its ends, as in :func:`split_names`: ``"a,b"=2, " b "=3``. An unquoted
    name ends at its member's last ``=`` (``a=b=2`` names ``a=b``) and loses its spaces."""
    pairs, i, n = [], 0, len(text)
    while i < n:
        while i < n and text[i] == " ":
            i += 1
        if text[i : i + 1] == '"':
            start = i
            name, i = _quoted_at(text, i)
            # Read as written too (a column '"q"' beside 'q'), as NameList's names are.
            name = Written(name, text[start:i])
            while i < n and text[i] == " ":
                i += 1
            if text[i : i + 1] != "=":
                raise ValueError(f"{quoted(text)}: a quoted name must be followed by =")
            end = text.find(",", i)
            end = n if end < 0 else end
            value = text[i + 1 : end]
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            member = text[i:end]
            if not member.strip():  # an empty member (a trailing comma) is nothing
                i = end + 1
                continue
            if "=" not in member:
                raise ValueError(f"{quoted(text)}: a member without =")
            name, value = member.rsplit("=", 1)
            name = name.strip()
            if not name:  # the empty name is written "" (a CSV column without a header)
                raise NoName(f"{quoted(text)} gives a value without a column name (col=number)")
        pairs.append((name, value.strip()))
        i = end + 1
    return pairs


def one_line(text: str) -> str:
    """A message on one line, whatever the names and values in it hold (a column or a file
    whose name has a line break): its line breaks written as a backslash and ``n``."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def quote_name(name: str) -> str:
    """A name as :func:`split_names` reads it back (quoted where it must be); a character that
    does not print (a line break in a quoted CSV header) shown escaped, ``"a\\nb"``, so that a
    message stays on one line and a table row on its own."""
    if not name.isprintable():
        escaped = "".join(
            c if c.isprintable() else c.encode("unicode_escape").decode() for c in name
        )
        return '"' + escaped.replace('"', '""') + '"'
    if name != name.strip() or "," in name or name.startswith('"') or not name:
        return '"' + name.replace('"', '""') + '"'
    return name


class NameList(click.ParamType):
    """A comma-separated list (the option may also be repeated); a name holding a comma or
    spaces at its ends is written in double quotes (``--columns '"a,b", c'``), and so is the
    empty name (``""``: a CSV column with an empty header). Empty unquoted members are ignored;
    ``StringList`` (missing-value strings) keeps them: '' means the empty field."""

    name = "NAMES"
    keep_empty = False

    def convert(self, value, param, ctx):
        if isinstance(value, tuple | list):
            return tuple(value)
        try:
            members = split_members(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if self.keep_empty:
            return tuple(member for member, _ in members)
        # A quoted name reads as written too (a column '"q"' beside 'q'): the library refuses
        # it where both readings name a column.
        names = tuple(
            Written(member, '"' + member.replace('"', '""') + '"') if quoted else member
            for member, quoted in members
            if member or quoted
        )
        if not names:
            self.fail(f"{quoted(value)} names no column", param, ctx)
        return names

    def as_text(self, value: str) -> str:
        """A value as this option reads it back."""
        return quote_name(value)


class StringList(NameList):
    name = "STRINGS"
    keep_empty = True


def parse_size(text: str) -> int:
    """A size in bytes: 1048576, 512K, 4M, 1G."""
    units: dict[str, int] = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    number = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = number[-1:] if number[-1:] in units else ""
    try:
        size = float(number[: len(number) - len(unit)]) * units[unit]
    except ValueError:
        raise ValueError(f"must be a size such as 4M, not {quoted(text)}") from None
    if not size == size or size in (float("inf"), float("-inf")):
        raise ValueError(f"must be a size such as 4M, not {quoted(text)}")
    return int(size)


def size_text(size: str) -> str:
    """A size in bytes as :func:`parse_size` reads it back, in the largest unit that holds it
    whole (4194304: 4M); a size written with its unit already (``4M``) as it is."""
    if not size.isdigit():
        return size
    number = int(size)
    for unit, factor in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if number and number % factor == 0:
            return f"{number // factor}{unit}"
    return str(number)


def parse_momentum(text: str) -> float | str:
    if text in ("cumulative", "default"):
        return text
    try:
        return float(text)
    except ValueError:
        raise ValueError from None  # told in the rule's words


def parse_delimiter(text: str) -> str:
    # '\t' and 'tab' spell a tab, and '\x01' (Hive's separator) a control character, as the
    # summary shows them: awkward to type in a shell.
    if text in ("\\t", "tab"):
        return "\t"
    if re.fullmatch(r"\\x[01][0-9a-fA-F]", text):
        return chr(int(text[2:], 16))
    return text


def delimiter_text(char: str) -> str:
    """A separator as :func:`parse_delimiter` reads it back."""
    if char == "\t":
        return "tab"
    return f"\\x{ord(char):02x}" if ord(char) < 0x20 else char


def parse_affine(text: str) -> float | dict[str, float]:
    """One number for every column, or ``col=value,...`` per column."""
    try:
        if "=" not in text:
            return float(text)
        pairs = split_pairs(text)
        out = {name: float(number) for name, number in pairs}
    except NoName:
        raise
    except ValueError:
        raise ValueError(f"must be a number or a list of col=number, not {quoted(text)}") from None
    if len(out) < len(pairs):
        names = [n for n, _ in pairs]
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(
            f"{quoted(text)} gives {', '.join(map(quoted, twice))} more than one value"
        )
    return out


def affine_text(value: str | dict[str, float]) -> str:
    """A value as :func:`parse_affine` reads it back: ``2.0`` or ``q=2.0,"a,b"=0.5``."""
    if isinstance(value, dict):
        return ",".join(f"{quote_name(k)}={float(v)!r}" for k, v in value.items())
    return str(value)


class Affine(Checked):
    """One number for every column, or ``col=value,...`` per column."""

    def __init__(self, param: str):
        super().__init__(param, parse_affine, "VALUE", affine_text)


class Threshold(click.ParamType):
    """``--threshold``: a number (every column) or ``col=K,...``, each checked by its rule."""

    name = "K|COL=K"
    as_text = staticmethod(affine_text)

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            parsed = parse_affine(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        rule = "column_thresholds" if isinstance(parsed, dict) else "threshold"
        try:
            params.check(rule, parsed)
        except OptionError:
            self.fail(must_be(rule, value), param, ctx)
        return parsed
