"""A CSV's record, kept beside it: what Parquet and Arrow keep in their schema metadata.

A CSV has no place for metadata, yet a later command needs what made it (an inverse must undo
the gamma, beta and statistics of the transform that wrote it). So a CSV file that normkit
writes gets its schema's ``normkit.`` metadata in a small JSON file beside it,
``.NAME.normkit.json`` (:func:`record_path`), and a CSV file read later gets that metadata back
in its schema: the jobs find it as they find a Parquet file's.

The record is hidden (its name begins with ``.``), as data-set readers skip such files
(pyarrow.dataset, Spark, Dask's and the shell's globs, normkit's own directory walk): a
directory of CSV parts reads as the parts alone. It names the size of the file it describes and
a digest of its first and last :data:`_ENDS` bytes: a record that does not match its file (the
file was written again by something else) is refused, not believed (an edit in the middle of a
large file that keeps its size goes unseen: a digest of the whole would cost a second reading).
The record also says how the CSV was written (its dialect: separator, quote character, header,
encoding...), so that a later command reads it that way whatever the stat file or the sniffing
of its first lines would say (a transform given ``--quote "'"`` writes with it; its inverse,
reading with the fit's ``"``, would keep quotes as text): see
:meth:`~normkit.io.options.CsvOptions.as_written`, which also says why the decimal separator
it records is not read with.
The record is written before its file is moved into place, so that no moment pairs a file with
another's record. A CSV copied without its record reads as one without a record (so does one
behind a link, whose record is looked for beside the link, then beside the file it points to);
standard output and pipes have none.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, OptionError, OutputError
from .files import AtomicFile, os_reason, record_path
from .options import CsvOptions

__all__ = [
    "RECORD_KEY_PREFIX",
    "Record",
    "delete_hint",
    "read_record",
    "record_path",
    "write_record",
]

#: Schema metadata keys kept in a CSV's record: normkit's own.
RECORD_KEY_PREFIX = b"normkit."

_FORMAT = "normkit.csv-record"
_VERSION = 1
#: Bytes of each end of the file in its digest (whole files would cost a second reading).
_ENDS = 64 << 10


@dataclass(frozen=True)
class Record:
    """What a CSV's record holds: its ``normkit.`` metadata, and how the CSV was written
    (``csv``: the :class:`~normkit.io.options.CsvOptions` fields of its dialect; empty in a
    record of an older normkit)."""

    metadata: dict[bytes, bytes]
    csv: dict[str, Any]


def delete_hint(where: str, name: str) -> str:
    """The way out of a record ``where`` that cannot be used: read the CSV ``name`` without it."""
    return f"delete {where} if {name} is to be read as a CSV without a record"


def _digest(path: str) -> tuple[int, str]:
    """The size of the file and the SHA-256 of its first and last :data:`_ENDS` bytes."""
    import hashlib  # 3 ms of start-up: only files with a record are digested

    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        digest = hashlib.sha256(f.read(_ENDS))
        if size > _ENDS:
            f.seek(max(size - _ENDS, _ENDS))
            digest.update(f.read(_ENDS))
    return size, digest.hexdigest()


def write_record(
    target: str,
    written: str,
    metadata: dict[bytes, bytes] | None,
    mode: int,
    csv: dict[str, Any] | None = None,
) -> bool:
    """Record beside ``target`` the ``normkit.`` keys of ``metadata`` and the dialect ``csv``
    it was written in, describing the file ``written`` (complete, about to replace
    ``target``), with the permissions ``mode``.

    Called before the file is moved into place: at every moment the file at ``target`` either
    matches its record or is refused for not matching it (never paired silently with another
    file's record). Without such keys or a dialect, a record already there is replaced by one
    that records nothing (the file it described is being replaced); none is made otherwise.
    Values that are JSON text are kept as JSON, others as text.

    Returns
    -------
    bool
        Whether the file has a record (False where its name leaves no room for the record's).
    """
    kept = {k: v for k, v in (metadata or {}).items() if k.startswith(RECORD_KEY_PREFIX)}
    where = record_path(target)
    if not kept and not csv and not os.path.lexists(where):
        return False
    as_json, as_text = {}, {}
    for key, value in kept.items():
        try:
            as_json[key.decode("utf-8")] = json.loads(value)
        except ValueError:
            as_text[key.decode("utf-8")] = value.decode("utf-8", "surrogateescape")
    size, digest = _digest(written)
    document = {
        "format": _FORMAT,
        "version": _VERSION,
        "file": os.path.basename(target),
        "bytes": size,
        "ends_sha256": digest,
        "metadata": as_json,
        **({"text": as_text} if as_text else {}),
        **({"csv": csv} if csv else {}),
    }
    try:
        # Not flushed to the disk: after a power loss a record lost or older than its file is
        # refused (it does not match), and the file is written again.
        record = AtomicFile(where, durable=False, mode=mode)
    except OutputError:
        if _name_too_long(where):
            return False
        raise
    # One field a line, each value compact (json's indented form is its slow one: 0.2 s for
    # the gamma and beta of 20,000 columns).
    fields = (f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in document.items())
    with record:
        record.stream.write(("{\n " + ",\n ".join(fields) + "\n}\n").encode("utf-8"))
    return True


def _name_too_long(path: str) -> bool:
    try:
        os.lstat(path)
    except OSError as exc:
        return exc.errno == errno.ENAMETOOLONG
    return False


def read_record(path: str, name: str) -> Record | None:
    """The record beside the file ``path``, or beside the file a link at ``path`` points to
    (None without one).

    Raises
    ------
    InputError
        If the record is damaged, of a newer normkit, or describes the file otherwise than it
        now is.
    """
    where = record_path(path)
    text = _read(where, name)
    if text is None and os.path.islink(path):
        where = record_path(os.path.realpath(path))
        text = _read(where, name)
    if text is None:
        return None
    delete = (delete_hint(where, name),)
    try:
        document = json.loads(text)
        if document.get("format") != _FORMAT:
            raise ValueError("another format")
        version = document.get("version")
        if isinstance(version, int) and version > _VERSION:
            raise InputError(
                f"{where}: the record of how {name} was made is of a newer normkit (version "
                f"{version}; this one reads {_VERSION})",
                hints=("upgrade normkit", *delete),
            )
        if version != _VERSION:
            raise ValueError("another version")
        size, digest = int(document["bytes"]), str(document["ends_sha256"])
        metadata = {
            str(k).encode("utf-8"): json.dumps(v).encode("utf-8")
            for k, v in dict(document["metadata"]).items()
        }
        for k, v in dict(document.get("text") or {}).items():
            metadata[str(k).encode("utf-8")] = str(v).encode("utf-8", "surrogateescape")
        csv = dict(document.get("csv") or {})
        CsvOptions(**csv).as_written(csv)  # fields and values of a dialect, else damaged
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OptionError):
        raise InputError(
            f"{where}: the record normkit keeps of how {name} was made is damaged", hints=delete
        ) from None
    with contextlib.suppress(OSError):  # an unreadable file fails when read, with its name
        if _digest(path) != (size, digest):
            raise InputError(
                f"{name} is not the file that {where} describes (it was written again since "
                "normkit wrote it)",
                # Without the record, an inverse must be told the settings it names (in
                # words: a hint naming options a command lacks, fit's, would not be shown).
                hints=(
                    f"{delete[0]} (an inverse of it then needs to be told the statistics used, "
                    f"gamma and beta that {where} records)",
                ),
            )
    return Record(metadata, csv)


def _read(where: str, name: str) -> bytes | None:
    """The bytes of the record file ``where``; None if there is none."""
    try:
        with open(where, "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # no room beside the file for a record's name
            return None
        raise InputError(f"{where}: cannot read the record of {name}: {os_reason(exc)}") from None
