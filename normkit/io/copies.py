"""Copies in a directory: files of one name in several formats (``part0.csv``,
``part0.parquet``, ``part0.arrow``), the same data written once per format, which a walk of the
directory would read each of, counting its rows two or three times."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import OptionError
from .formats import split_compression

__all__ = ["refuse_copies"]


def refuse_copies(root: str, paths: Sequence[str]) -> None:
    """Refuse the files ``paths`` that a walk of the directory ``root`` found where two of them
    differ only by their extensions (a format's, a compression's): their rows would count once
    per copy. Files given one by one are read as given; a glob of one extension
    (``dir/*.parquet``) reads one copy.

    Raises
    ------
    OptionError
    """
    by_stem: dict[str, list[str]] = {}
    for path in paths:
        stem, suffix = os.path.splitext(split_compression(path)[0])
        if suffix:
            by_stem.setdefault(stem, []).append(path)
    copies = next((found for found in by_stem.values() if len(found) > 1), None)
    if copies is None:
        return
    shown = ", ".join(os.path.relpath(p, root) for p in copies)
    extension = split_compression(copies[-1])[0]
    pattern = os.path.join(root, "*" + os.path.splitext(extension)[1])
    raise OptionError(
        f"{root}: {shown} are one name with {len(copies)} extensions, the same data written "
        f"{len(copies)} times perhaps: reading the directory would count their rows once per copy",
        hints=(f"give one format, as a glob such as '{pattern}'",),
    )
