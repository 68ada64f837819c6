"""A file given as a stat file: its text, in whichever Unicode form it was saved, or, where it
is something else (told by its first bytes or name), what it is and what to do with it."""

from __future__ import annotations

import json
import os

from ..errors import StatsFileError, quoted
from ..io.files import refuse_stdin
from ..io.formats import COMPRESSION_SUFFIXES, compression_of

__all__ = ["other_file_hints", "read_text"]


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of the stat file at ``path``, saved as UTF-8 or UTF-16 or UTF-32 (a byte-order
    mark taken off); a file that is not a JSON object's text is refused as
    :func:`~normkit.stats.statfile.read` says."""
    path = os.fspath(path)
    refuse_stdin(path, "a stat file")
    encoding = "UTF-8"
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
            # Notepad's "Unicode" is UTF-16 with a byte-order mark; without one, the zero bytes
            # around an opening "{" tell UTF-16 and UTF-32 (as json.loads does).
            found = json.detect_encoding(head).upper()
            marked = head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))
            told = marked or head.decode(found, "ignore").lstrip().startswith("{")
            encoding = "UTF-8" if found.startswith("UTF-8") or not told else found
            _refuse_other_than_json(path, head, encoding)
            text = (head + f.read()).decode("utf-8-sig" if encoding == "UTF-8" else encoding)
    except FileNotFoundError:
        raise StatsFileError(f"{path}: no such stat file") from None
    except IsADirectoryError:
        raise StatsFileError(f"{path}: is a directory, not a stat file") from None
    except UnicodeDecodeError:
        raise StatsFileError(
            f"{path}: not a normkit stat file (not {encoding} text)",
            hints=other_file_hints(path) or ("save it as UTF-8",),
        ) from None
    except OSError as exc:
        raise StatsFileError(f"{path}: cannot read the stat file: {exc.strerror or exc}") from None
    if not text.lstrip().startswith("{") and (hints := other_file_hints(path)):
        raise StatsFileError(f"{path}: not a normkit stat file (not JSON)", hints=hints)
    return text


#: Bytes of a file given as a stat file looked at before it is read whole.
_HEAD = 1 << 16


def _refuse_other_than_json(path: str, head: bytes, encoding: str = "UTF-8") -> None:
    """Refuse, before reading it whole (a data file given as the stat file may be larger than
    memory), a file whose ``head`` (in ``encoding``) starts with something other than a JSON
    object."""
    if encoding != "UTF-8":  # its characters as UTF-8, as far as they go
        head = head.decode(encoding, "ignore").encode("utf-8", "surrogatepass")
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{") and len(head) == _HEAD and b'"normkit.stats"' not in head:
        # JSON of another kind, larger than this (a data set as records): a stat file names its
        # format first.
        raise StatsFileError(
            f'{path}: not a normkit stat file (no "format": "normkit.stats" at its start)'
        )
    if not text or text.startswith(b"{"):
        return
    sample = text[:4096]
    try:
        shown: str | None = sample.decode("utf-8")
    except UnicodeDecodeError as exc:  # but a character cut at the sample's end
        shown = sample[: exc.start].decode("utf-8") if exc.start >= len(sample) - 3 else None
    if not shown:
        why = "not UTF-8 text"
    elif "\x00" in shown:
        why = "not JSON"
    else:
        why = f"not a JSON object: it starts with {quoted(shown.splitlines()[0][:24])}"
    raise StatsFileError(f"{path}: not a normkit stat file ({why})", hints=other_file_hints(path))


def other_file_hints(path: str) -> tuple[str, ...]:
    """The way out for ``path``, given as a stat file but not JSON text, where it is a
    compressed file or a torch state dict; none otherwise (or if it cannot be read)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return ()
    suffix = compression_of(head)
    if suffix is not None:
        return (
            f"it is {COMPRESSION_SUFFIXES[suffix]}-compressed: decompress it (a stat file is "
            "read as plain JSON text)",
        )
    from ..io.tensors import is_state_dict  # 1 ms of start-up, for a file that is no stat file

    if is_state_dict(path, head):
        return (
            "it is a torch state dict (safetensors, or torch.save's .pt): 'normkit import-torch' "
            "(normkit.import_torch in Python) makes a stat file of a BatchNorm layer in it",
        )
    return ()
