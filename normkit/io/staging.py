"""The temporary file an output is written to before it is moved into place, and its removal
wherever it is not: discarded, or left by a writer never closed (a sink opened in a session
and forgotten), when the writer is garbage-collected or the interpreter exits."""

from __future__ import annotations

import contextlib
import os
import weakref

__all__ = ["new_file_in"]


def new_file_in(parent: str, name: str, owner: object) -> tuple[str, weakref.finalize]:
    """A new empty file ``.NAME.RANDOM.normkit-tmp`` in ``parent``, made as
    ``tempfile.mkstemp`` makes one: created only if no file has that name (mode 0600), another
    name tried if one has; and the finalizer that removes it. Call the finalizer to discard the
    file, detach it once the file is moved into place; left alone, it runs when ``owner`` is
    garbage-collected, or at the interpreter's exit. It is set before the file is made, so that
    Ctrl-C or SIGTERM (an exception between any two steps) never leaves the file behind.
    (Importing ``tempfile`` imports ``shutil``, ``random``, ``bz2`` and ``lzma``: 7 ms of a
    small fit's start-up.)"""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    # A long name is cut so that the temporary one fits in 255 bytes, the usual limit.
    room = 255 - len(".") - len(".0123456789ab.normkit-tmp")
    name = os.fsencode(name)[:room].decode("utf-8", "ignore")
    for _ in range(100):
        path = os.path.join(parent, f".{name}.{os.urandom(6).hex()}.normkit-tmp")
        remove = weakref.finalize(owner, _remove, path)
        try:
            os.close(os.open(path, flags, 0o600))
        except FileExistsError:  # another's: not to be removed
            remove.detach()
            continue
        return path, remove
    raise FileExistsError(f"no free temporary name in {parent}")


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
