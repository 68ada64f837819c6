"""Backslash escapes of quotes in a CSV's head: its records read as the engine reads them, with
and without the escape, and which reading the dialect's detection takes (:mod:`.sniff`)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Protocol, TypeVar

from ...errors import InputError, param, quoted

__all__ = ["Record", "escape_decided", "records", "refuse_unescaped"]


@dataclass
class Record:
    """One record of :func:`records`."""

    line: int  # the index of the line it starts on
    fields: list[str]
    runs_on: list[str]  # its quoted fields that go on after their closing quote ("a"b), raw
    open: bool  # its last field's quote is never closed


def records(lines: list[str], delimiter: str, quote: str, escape: str | None) -> list[Record]:
    """The records of ``lines`` (with their line ends) as the engine reads them (its scanner's
    grammar, :mod:`normkit._native`): a quote opens a field only at its start (after spaces
    too); inside, a doubled quote, and with ``escape`` an escaped quote or escape (``\\"``,
    ``\\\\``), stands for one, and the first other quote closes it; what follows up to the
    separator is text (spaces alone are none), a quote too; elsewhere ``escape`` is text
    (:mod:`csv` drops it before any character).

    Examples
    --------
    >>> [r.fields for r in records(['1,"O\\\\"Brien",\\\\N\\n'], ",", '"', "\\\\")]
    [['1', 'O"Brien', '\\\\N']]
    >>> [(r.fields, r.runs_on) for r in records(['1,"O\\\\"Brien"\\n'], ",", '"', None)]
    [(['1', 'O\\\\Brien"'], ['"O\\\\"Brien"'])]
    """
    d, q = re.escape(delimiter), re.escape(quote)
    e = re.escape(escape) if escape else ""
    inner = rf"[^{q}{e}]|{e}[{q}{e}]|{e}(?![{q}{e}])|{q}{q}" if escape else rf"[^{q}]|{q}{q}"
    space = "" if delimiter == " " else " *"  # spaces around a quoted field are no text
    field = re.compile(
        rf"(?:{space}{q}(?P<quoted>(?:{inner})*)"
        rf"(?:{q}(?:{space}(?=[{d}\r\n]|\Z)|(?P<after>[^{d}\r\n]*))|(?P<open>\Z))"
        rf"|(?P<plain>[^{d}\r\n]*))(?P<end>{d}|\r\n|\r|\n|\Z)"
    )
    unescape = re.compile(rf"{q}({q})|{e}([{q}{e}])" if escape else rf"{q}({q})")
    text = "".join(lines)
    starts = list(accumulate((len(line) for line in lines), initial=0))
    found: list[Record] = []
    pos, record = 0, None
    while pos < len(text):
        if record is None:
            record = Record(bisect_right(starts, pos) - 1, [], [], False)
            found.append(record)
        m = field.match(text, pos)
        if m["quoted"] is None:
            record.fields.append(m["plain"])
        else:
            value = unescape.sub(lambda g: g[1] or g[2], m["quoted"])
            record.fields.append(value + (m["after"] or ""))
            if m["after"]:
                record.runs_on.append(text[m.start() : m.end("after")])
            record.open = m["open"] is not None
        pos = m.end()
        if m["end"] != delimiter:
            record = None
    if record is not None:  # a separator ends the text: an empty field after it
        record.fields.append("")
    return found


def refuse_unescaped(lines: list[int], runs_on: list[list[str]], quote: str) -> None:
    """Refuse a table read without an escape (the reading with one does not split it evenly)
    where a quoted field goes on after a closing quote that a backslash stands before
    (``"O\\"Brien"`` beside ``"C:\\dir\\"``): an escaped quote, or a backslash ending the text?
    ``lines``: the line each record starts on; ``runs_on``: its fields going on so, raw."""
    for line, raw in ((i, f) for i, fields in zip(lines, runs_on, strict=True) for f in fields):
        if "\\" + quote in raw:
            shown = raw if len(raw) <= 100 else raw[:100] + "..."
            raise InputError(
                f"line {line + 1:,}: the quoted field {quoted(shown)} goes on after its closing "
                "quote, which a backslash stands before: an escaped quote, or a backslash ending "
                "the text? Some fields of the head read right only with a backslash escape, "
                "others only without it",
                param="csv.escape",
                hints=(
                    f"if backslashes escape quotes, read with {param('csv.escape', chr(92))} "
                    "(the records that do not split are then named)",
                    f"read the fields as written with {param('csv.escape', '')}",
                ),
            )


class Reading(Protocol):
    """A reading of the head by one separator, quote and escape (:mod:`.sniff`'s)."""

    delimiter: str
    quote: str | None
    escape: str | None
    starts: list[int]  # the line each record starts on
    runs_on: list[list[str]]  # each record's quoted fields going on after their closing quote
    covered: int  # the lines spanned by the table's records of its field count
    start: int  # the table's first record

    @property
    def consistent(self) -> bool: ...  # every record of the table has its field count


R = TypeVar("R", bound=Reading)


def escape_decided(readings: Sequence[R]) -> list[R]:
    """``readings`` with one of each separator and quote's two, with and without the escape: the
    escape's where it reads the table evenly and better (more lines, or evenly where the other
    does not), or as well, into the same records, with fewer quoted fields going on after
    their closing quote (``"O\\"Brien"``: it reads fields otherwise, not records); else the
    one without."""

    def rank(r: R) -> tuple:
        return (r.covered, r.consistent, -r.start)

    def runs_on(r: R) -> int:
        return sum(map(len, r.runs_on))

    def wins(escaped: R, plain: R) -> bool:
        if not escaped.consistent or rank(escaped) != rank(plain):
            return escaped.consistent and rank(escaped) > rank(plain)
        return plain.starts == escaped.starts and runs_on(escaped) < runs_on(plain)

    twins = {(r.delimiter, r.quote): r for r in readings if r.escape is not None}
    plain = [r for r in readings if r.escape is None]
    twin = [twins.get((r.delimiter, r.quote)) for r in plain]
    return [e if e is not None and wins(e, r) else r for r, e in zip(plain, twin, strict=True)]
