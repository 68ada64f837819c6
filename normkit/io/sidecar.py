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
file was written again by something else) is refused, not believed. A CSV copied without its
record reads as one without a record; standard output and pipes have none.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os

from ..errors import InputError, OutputError
from .files import AtomicFile, os_reason

__all__ = ["RECORD_KEY_PREFIX", "read_record", "record_path", "remove_record", "write_record"]

#: Schema metadata keys kept in a CSV's record: normkit's own.
RECORD_KEY_PREFIX = b"normkit."

_FORMAT = "normkit.csv-record"
_VERSION = 1
_SUFFIX = ".normkit.json"
#: Bytes of each end of the file in its digest (whole files would cost a second reading).
_ENDS = 64 << 10


def record_path(path: str) -> str:
    """Where the record of the file ``path`` is kept: ``DIR/.NAME.normkit.json``."""
    directory, name = os.path.split(path)
    return os.path.join(directory, f".{name}{_SUFFIX}")


def _digest(path: str) -> tuple[int, str]:
    """The size of the file and the SHA-256 of its first and last :data:`_ENDS` bytes."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        digest = hashlib.sha256(f.read(_ENDS))
        if size > _ENDS:
            f.seek(max(size - _ENDS, _ENDS))
            digest.update(f.read(_ENDS))
    return size, digest.hexdigest()


def remove_record(path: str) -> None:
    """Remove the record of ``path``, if there is one (the file is being replaced)."""
    try:
        os.unlink(record_path(path))
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise OutputError(f"{record_path(path)}: cannot remove: {os_reason(exc)}") from None


def write_record(path: str, metadata: dict[bytes, bytes] | None) -> None:
    """Record the ``normkit.`` keys of ``metadata`` beside the file ``path``, as it now is
    (none of them: no record). The values are JSON text, kept as JSON."""
    kept = {k: v for k, v in (metadata or {}).items() if k.startswith(RECORD_KEY_PREFIX)}
    if not kept:
        remove_record(path)
        return
    size, digest = _digest(path)
    document = {
        "format": _FORMAT,
        "version": _VERSION,
        "file": os.path.basename(path),
        "bytes": size,
        "ends_sha256": digest,
        "metadata": {k.decode("utf-8"): json.loads(v) for k, v in kept.items()},
    }
    with AtomicFile(record_path(path)) as f:
        f.stream.write(json.dumps(document, indent=1).encode("utf-8") + b"\n")


def read_record(path: str, name: str) -> dict[bytes, bytes]:
    """The metadata recorded beside the file ``path`` (empty without a record).

    Raises
    ------
    InputError
        If the record is damaged, or describes the file otherwise than it now is.
    """
    where = record_path(path)
    try:
        with open(where, "rb") as f:
            text = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise InputError(f"{where}: cannot read the record of {name}: {os_reason(exc)}") from None
    try:
        document = json.loads(text)
        if document.get("format") != _FORMAT or document.get("version") != _VERSION:
            raise ValueError("another format")
        size, digest = int(document["bytes"]), str(document["ends_sha256"])
        metadata = {
            str(k).encode("utf-8"): json.dumps(v).encode("utf-8")
            for k, v in dict(document["metadata"]).items()
        }
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise InputError(
            f"{where}: the record normkit keeps of how {name} was made is damaged",
            hints=(f"delete {where} if {name} is to be read as a CSV without a record",),
        ) from None
    with contextlib.suppress(OSError):  # an unreadable file fails when read, with its name
        if _digest(path) != (size, digest):
            raise InputError(
                f"{name} is not the file that {where} describes (it was written again since "
                "normkit wrote it)",
                hints=(f"delete {where} if {name} is to be read as a CSV without a record",),
            )
    return metadata
