"""How quotes read where they do not quote as a CSV's quotes should: the fields the reading
refuses, told from the text, so that the dialect's detection can read such a file without
quoting instead (:mod:`.sniff`)."""

from __future__ import annotations

import csv
import re

from ...errors import param

__all__ = ["open_but_not_quoted", "other_quote_hints", "quoting_breaks"]


def quoting_breaks(text: str, delimiter: str, quote: str, escape: str | None) -> bool:
    """Whether ``text`` read with ``quote`` has a quoted field that holds a line break and goes
    on after its closing quote: a stray quote closed it, and the reading refuses it. (A quote
    never closed is not told here: it may be a field cut short as much as a quote that is
    text.) As the engine reads (:mod:`normkit._native`'s scanner): a quote opens a field only
    at its start (after spaces too), a doubled quote (or, with ``escape``, an escaped one) inside stands for a
    quote, and the first other quote closes it.

    Examples
    --------
    >>> quoting_breaks('id,title\\n0,"\\n0,"!"\\n', ",", '"', None)
    True
    >>> quoting_breaks('id,title\\n0,"a\\nb"\\n1,"c"d\\n', ",", '"', None)
    False
    """
    q, e = re.escape(quote), re.escape(escape or "")
    inner = rf"[^{q}{e}]|{e}." if escape else rf"[^{q}]"
    quoted = re.compile(rf"{q}(?:{inner}|{q}{q})*{q}", re.DOTALL)
    ends = (delimiter, "\n", "\r")
    space = delimiter != " "  # spaces around a quoted field are no text
    pos = text.find(quote)
    while pos >= 0:
        start = pos
        while space and start and text[start - 1] == " ":
            start -= 1
        if start == 0 or text[start - 1] in ends:
            found = quoted.match(text, pos)
            if found is None:
                return False
            end = found.end()
            while space and text.startswith(" ", end):
                end += 1
            after = text[end : end + 1]
            if after and after not in ends and ("\n" in found[0] or "\r" in found[0]):
                return True
            pos = found.end() - 1
        pos = text.find(quote, pos + 1)
    return False


def open_but_not_quoted(rows: list[list[str]], quote: str) -> int:
    """How many of the fields of ``rows`` (read without quoting) open with ``quote`` but are no
    quoted field (``"``, ``""x``, ``"a"_b``): one may be a field cut short, several show
    quotes that are text.

    Examples
    --------
    >>> open_but_not_quoted([["0", '"'], ["0", '"!"'], ["0", '"a"_b']], '"')
    2
    """
    q = re.escape(quote)
    quoted = re.compile(rf"{q}(?:[^{q}]|{q}{q})*{q}", re.DOTALL)
    # Spaces around a field are no part of it where quoted (and no part of any where they
    # separate fields).
    fields = (f.strip(" ") for row in rows for f in row)
    return sum(1 for f in fields if f.startswith(quote) and not quoted.fullmatch(f))


def outside_quotes(text: str, quote: str | None) -> str:
    """``text`` without its quoted fields."""
    if quote and quote in text:
        q = re.escape(quote)
        inside = rf"{q}(?:[^{q}]|{q}{q})*{q}"  # spaces around it are no part of the text
        text = re.sub(rf"(?m)(?:^|(?<=[,;\t|])) *{inside} *(?=[,;\t|\r\n]|$)", "", text)
    return text


def other_quote_hints(record: str, delimiter: str, quote: str | None, expected: int) -> tuple:
    """Where a ``record`` of too many or too few fields splits into the ``expected`` number
    with ``'`` as the quote character (``'a, b'``, as written with ``quotechar="'"``): the
    option naming it."""
    if quote == "'" or "'" not in record:
        return ()
    try:
        fields = next(csv.reader([record], delimiter=delimiter, quotechar="'"), [])
    except csv.Error:
        return ()
    if len(fields) != expected:
        return ()
    return (
        f"it splits into {expected} with ' as the quote character: give it ({param('csv.quote', chr(39))})",
    )
