"""A CSV header's column names: a name the header repeats renamed (``a, a`` is read as ``a,
a_1``), written back as the header had it, and the rule that keeps a renamed column apart from
a column of that name written in another header."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from ...errors import SchemaError

__all__ = [
    "header_names",
    "name_as_written",
    "names_as_written",
    "refuse_renamed_apart",
    "unique_names",
]


def header_names(
    header: list[str], unnamed_last: bool, empty_last: bool = False
) -> tuple[list[str], tuple[str, ...]]:
    """The column names of ``header`` (see :func:`unique_names`); with ``unnamed_last`` (rows
    end with a separator the header lacks), a last column named after its place, as a table
    without a header names its columns; with ``empty_last`` (the header ends with a separator
    the rows lack), without its last, empty, name."""
    if empty_last:
        header = header[:-1]
    if unnamed_last:
        header = [*header, f"column_{len(header) + 1}"]
    return unique_names(header)


def unique_names(names: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """A header's names, each one that repeats an earlier name renamed ``NAME_k`` with the
    smallest ``k`` from 1 that names no other column (``a, a, b`` is ``a, a_1, b``; an empty name
    again is ``_1``), as DuckDB renames them; and the names given, in order."""
    taken = set(names)
    seen: set[str] = set()
    out, given = [], []
    # The k to try first for each name repeated: those below it are taken, and stay taken
    # (10,000 'c' took 11 s when each repeat counted from 1).
    first_free: dict[str, int] = {}
    for name in names:
        if name in seen:
            k = first_free.get(name, 1)
            while f"{name}_{k}" in taken:
                k += 1
            first_free[name] = k + 1
            name = f"{name}_{k}"
            taken.add(name)
            given.append(name)
        seen.add(name)
        out.append(name)
    return out, tuple(given)


def name_as_written(renamed: str) -> str:
    """The header's name that :func:`unique_names` renamed ``renamed`` (``a_1``: ``a``, ``_1``:
    the empty name)."""
    return renamed.rsplit("_", 1)[0]


def names_as_written(names: Sequence[str], renamed: Sequence[str]) -> list[str]:
    """``names`` with each of ``renamed`` (those :func:`unique_names` gave to repeated header
    names) as the header had it, where reading them again gives ``names`` back (all the
    columns there, in their order); else ``names`` as they are."""
    if not renamed:
        return list(names)
    given = set(renamed)
    written = [name_as_written(name) if name in given else name for name in names]
    return written if unique_names(written)[0] == list(names) else list(names)


def refuse_renamed_apart(headers: Iterable[tuple[str, Collection[str], Collection[str]]]) -> None:
    """Refuse headers of which one has a column renamed as a repeat (``a_1``: a second ``a``)
    and another a column written with that name: matched by name, the two would be one
    column, the values of one read (or normalized) as the other's.

    Parameters
    ----------
    headers : iterable of (where, names, renamed)
        Each header: what to call it in a message (a file, ``the stat file's data``), its
        column names (empty where they come from no header: a Parquet file's, which may be a
        CSV's renamed ones) and those of them it renamed.

    Raises
    ------
    SchemaError
        Naming both places and the column.
    """
    renamed_in: dict[str, str] = {}
    written_in: dict[str, str] = {}
    for where, names, renamed in headers:
        for name in renamed:
            renamed_in.setdefault(name, where)
        given = set(renamed)
        for name in names:
            if name not in given:
                written_in.setdefault(name, where)
    for name, where in renamed_in.items():
        if name in written_in:
            repeated = name_as_written(name)
            raise SchemaError(
                f"the header of {written_in[name]} has a column {name!r}, and the header of "
                f"{where} names {repeated!r} again, read as {name!r}: different columns, "
                "which would be matched as one",
                hints=(f"rename {name!r}, or the repeated {repeated!r}, in one of the headers",),
            )
