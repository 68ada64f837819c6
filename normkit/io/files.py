"""Files written whole or not at all, and checks on paths before any work is done."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import threading
import weakref
from collections.abc import Callable, Collection, Mapping
from typing import TextIO

import pyarrow as pa

from ..errors import OptionError, OutputError
from .formats import STDIO, Format, descriptor_of, format_named
from .pipes import PipeStream, in_place
from .staging import new_file_in
from .stops import signals_deferred

#: The end of the name of a CSV's record (:func:`record_path`).
_RECORD_SUFFIX = ".normkit.json"

__all__ = [
    "AtomicFile",
    "StagedDirectory",
    "check_output_path",
    "os_reason",
    "record_path",
    "refuse_non_utf8_name",
    "refuse_overwrite",
    "refuse_stdin",
    "same_file",
    "same_path",
    "signals_deferred",
    "standard_output",
    "standard_output_stream",
    "umask",
    "write_in_pieces",
]


def standard_output() -> TextIO:
    """``sys.stdout``, refused where it is closed (``>&-``: Python holds None there)."""
    if sys.stdout is None:
        raise OutputError("<stdout>: standard output is closed")
    return sys.stdout


def standard_output_stream() -> tuple[pa.NativeFile, PipeStream | None]:
    """A pyarrow stream writing to standard output, through its descriptor
    (:func:`~normkit.io.pipes.in_place`: what was printed before is flushed first), and that
    :class:`PipeStream`; or, where standard output has no descriptor (a test's captured output),
    through ``sys.stdout.buffer``, and None."""
    out = standard_output()
    out.flush()
    try:
        fd = out.fileno()
    except (OSError, ValueError):  # io.UnsupportedOperation: no descriptor
        return pa.PythonFile(out.buffer, mode="w"), None
    return in_place(fd, owned=False)


def refuse_non_utf8_name(path: str, error: type[Exception]) -> None:
    """Raise ``error`` if the file name is not UTF-8 (bytes the file system gave, which Python
    holds as lone surrogates): Arrow's files take UTF-8 paths only."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise error(
            f"{shown}: the file name is not UTF-8, which normkit's files need; rename the file"
        ) from None


def check_output_path(path: str, directory: bool = False) -> None:
    """Raise :class:`OutputError` now if ``path`` cannot be written (before hours of work).

    ``directory``: the output is a directory to create (the Dask engine's part files), so a
    name ending in a separator is one; any other output is a file, whose name cannot.
    """
    if path == STDIO or descriptor_of(path) is not None:
        return
    if not path:
        raise OptionError("the output path is empty; give a file, or '-' for standard output")
    refuse_non_utf8_name(path, OutputError)
    if not directory and path.endswith(("/", os.sep)) and not os.path.isdir(path):
        raise OutputError(f"{path}: ends in '{path[-1]}', as a directory does; give a file path")
    parent = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(parent):
        if os.path.exists(parent):
            raise OutputError(f"{path}: {parent} is a file, not a directory")
        raise OutputError(f"{path}: the directory {parent} does not exist")
    if os.path.isdir(path):
        raise OutputError(f"{path}: is a directory; give a file path")
    if not os.access(parent, os.W_OK):
        if _read_only_mount(parent):
            raise OutputError(f"{path}: {parent} is on a read-only file system")
        raise OutputError(f"{path}: permission denied (cannot create files in {parent})")


def _read_only_mount(directory: str) -> bool:
    """Whether ``directory`` is on a file system mounted read-only (no permission helps)."""
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows): the permission message stands
        return False


class AtomicFile:
    """A file written beside its target and renamed over it by :meth:`commit`.

    Until the commit the target is untouched; :meth:`discard` (or an exception inside a ``with``
    block) removes the temporary file, as does the file's garbage collection or the
    interpreter's exit without a commit (:func:`~normkit.io.staging.new_file_in`). The result gets the target's permissions if it existed,
    else the umask's, as a plain ``open`` would. A target that exists but is not a regular file
    (a named pipe, a device such as ``/dev/null``) is written in place: it cannot be replaced
    and there is nothing on it to protect. A path naming a descriptor of the process
    (``/dev/stdout``, :func:`~normkit.io.formats.descriptor_of`) is written through it, whatever
    the shell redirected it to: ``>>`` appends. Both are written through :attr:`pipe`, a
    :class:`~normkit.io.pipes.PipeStream`, which Ctrl-C and termination interrupt.

    A path that is a symbolic link is written through: the file it points to is replaced
    (:attr:`target`), as ``>`` in a shell writes through a link, not the link.

    With ``streaming`` (large outputs written over seconds), the bytes written so far are sent
    to the disk in the background as the file grows (:class:`_Writeback`), so that the commit's
    flush waits only for the last of them. Without ``durable`` the commit does not wait for the
    disk (a small file that can be made again). ``mode`` sets the permissions of the result.
    """

    def __init__(
        self, path: str, streaming: bool = False, durable: bool = True, mode: int | None = None
    ):
        check_output_path(path)
        self.path = path
        #: The file replaced: ``path``, or the file a link at ``path`` points to.
        self.target = os.path.realpath(path) if os.path.islink(path) else path
        self._tmp: str | None = None
        self._mode: int | None = mode
        self._group: int | None = None  # the group of the file replaced, kept as its mode is
        self._durable = durable
        #: Stops the writeback thread: when committed, discarded, or collected unclosed (a
        #: forgotten output must not leave a thread and a descriptor behind).
        self._writeback: weakref.finalize | None = None
        #: What an output written in place goes through (None for a temporary file).
        self.pipe: PipeStream | None = None
        descriptor = descriptor_of(path)
        if descriptor is not None:  # /dev/stdout: written through, as '-' is
            try:
                self.stream, self.pipe = in_place(os.dup(descriptor), owned=True)
            except OSError as exc:  # a closed descriptor
                raise OutputError(f"{path}: cannot write: {os_reason(exc)}") from None
            return
        try:
            existing = os.stat(path)
        except FileNotFoundError:
            existing = None
        except OSError as exc:  # a loop of links, a name too long
            raise OutputError(f"{path}: cannot write: {os_reason(exc)}") from None
        try:
            if existing is not None and not stat.S_ISREG(existing.st_mode):
                flags = os.O_WRONLY | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
                self.stream, self.pipe = in_place(os.open(path, flags), owned=True)
                return
            if existing is not None:
                self._group = existing.st_gid
                if self._mode is None:
                    self._mode = stat.S_IMODE(existing.st_mode)
            parent = os.path.dirname(os.path.abspath(self.target))
            self._tmp, self._remove = new_file_in(parent, os.path.basename(self.target), self)
            self.stream = pa.OSFile(self._tmp, "wb")
            if streaming and _Writeback.supported:
                with contextlib.suppress(OSError, RuntimeError):  # advice only: go without
                    self._writeback = weakref.finalize(self, _Writeback(self._tmp).stop)
        except OSError as exc:
            self.discard()
            raise OutputError(f"{path}: cannot write: {os_reason(exc)}") from None
        except BaseException:  # Ctrl-C or SIGTERM once the temporary file exists
            self.discard()
            raise

    @property
    def retractable(self) -> bool:
        """Whether the output can still be discarded: a temporary file, not yet in place (not a
        pipe, a device or a descriptor, written in place)."""
        return self._tmp is not None

    def commit(
        self,
        before: Callable[[str, int], None] | None = None,
        after: Callable[[], None] | None = None,
    ) -> None:
        """Close, flush to disk and move into place; ``before(file, mode)``, if given, is
        called on the complete file (its temporary path, and its permissions) just before, and
        ``after()`` just after (another output moved into place with it), the three with
        Ctrl-C and termination held until they are done (:func:`signals_deferred`)."""
        self.stream.close()
        self._stop_writeback()
        if self._tmp is None:
            if after is not None:
                after()
            return
        if self._durable:
            _fsync(self._tmp)
        if self._mode is None:
            self._mode = 0o666 & ~umask()
        if self._group is not None:  # where the owner may give it (a group of theirs)
            with contextlib.suppress(OSError):
                os.chown(self._tmp, -1, self._group)
        os.chmod(self._tmp, self._mode)  # after: a change of group may clear set-group-ID
        with signals_deferred():
            if before is not None:
                before(self._tmp, self._mode)
            os.replace(self._tmp, self.target)
            self._remove.detach()  # in place: no longer to be removed
            self._tmp = None
            if after is not None:
                after()

    def discard(self) -> None:
        """Forget the output: the target keeps what it had."""
        stream = getattr(self, "stream", None)
        try:
            if stream is not None and not stream.closed:
                stream.close()
        finally:
            self._stop_writeback()
        if self._tmp is not None:
            self._remove()  # and not again when this is collected
            self._tmp = None

    def _stop_writeback(self) -> None:
        writeback, self._writeback = getattr(self, "_writeback", None), None
        if writeback is not None:
            writeback()

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """Commit, or discard on an exception; a failed write (a full disk), here or in the
        block, is an :class:`OutputError` naming the path (a closed pipe goes on as it is)."""
        try:
            if exc_type is None:
                self.commit()
                return
            self.discard()
        except OSError as error:
            if isinstance(error, BrokenPipeError):
                raise
            self.discard()
            raise self.write_error(error) from None
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise self.write_error(exc) from None

    def write_error(self, exc: OSError) -> OutputError:
        """The refusal of a failed write (a full disk), naming the path and the system's
        reason."""
        return OutputError(f"{self.path}: cannot write: {os_reason(exc)}")


class StagedDirectory:
    """Files written into a hidden directory and moved into the directory ``path`` together by
    :meth:`commit`: all of them or none, as :class:`AtomicFile` does for one file.

    The hidden directory (``.NAME.RANDOM.normkit-tmp``) is made inside ``path`` where it exists,
    and beside it where it does not (its parent must exist, as any output's must:
    :func:`check_output_path`), so that the files move on one file system. :meth:`discard` (or
    an exception inside a ``with`` block) removes it with what it holds: a directory that did
    not exist is not made, and the files of one that did are left as they were.
    """

    def __init__(self, path: str):
        self.path = path
        self._new = not os.path.isdir(path)
        if self._new:
            check_output_path(path, directory=True)
        self._names: list[str] = []
        self._staging: str | None = None
        parent = os.path.dirname(os.path.abspath(path)) if self._new else path
        name = os.path.basename(os.path.abspath(path))
        try:
            for _ in range(100):
                # Noted before it is made: Ctrl-C between the two leaves nothing unnoted.
                self._staging = os.path.join(parent, f".{name}.{os.urandom(6).hex()}.normkit-tmp")
                try:
                    os.mkdir(self._staging)  # the umask's permissions, as the directory's will
                except FileExistsError:  # another's: not to be removed
                    self._staging = None
                    continue
                return
            raise FileExistsError(f"no free temporary name in {parent}")
        except OSError as exc:
            self._staging = None
            raise OutputError(f"{path}: cannot create the directory: {os_reason(exc)}") from None

    def write(self, name: str, data: bytes) -> None:
        """Write the file ``name`` (to appear in ``path`` at the commit), flushed to disk."""
        assert self._staging is not None, "written after commit or discard"
        file = os.path.join(self.path, name)
        try:
            self._names.append(name)  # before the file exists: discard removes it either way
            with open(os.path.join(self._staging, name), "xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            raise OutputError(f"{file}: cannot write: {os_reason(exc)}") from None

    def commit(self) -> None:
        """Move every file written into ``path`` (the hidden directory itself, if ``path`` did
        not exist), with Ctrl-C and termination held until it is done."""
        assert self._staging is not None, "committed twice, or after discard"
        try:
            with signals_deferred():
                if self._new:
                    os.rename(self._staging, self.path)
                else:
                    for name in self._names:
                        os.replace(os.path.join(self._staging, name), os.path.join(self.path, name))
                    os.rmdir(self._staging)
                self._staging = None
        except OSError as exc:
            self.discard()
            raise OutputError(f"{self.path}: cannot write: {os_reason(exc)}") from None

    def discard(self) -> None:
        """Remove the hidden directory and the files written: ``path`` keeps what it had."""
        staging, self._staging = self._staging, None
        if staging is None:
            return
        for name in self._names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(staging, name))
        with contextlib.suppress(OSError):
            os.rmdir(staging)

    def __enter__(self) -> StagedDirectory:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


class _Writeback:
    """Sends a file being written to the disk in the background, and drops it from the cache.

    Every :data:`WRITEBACK_SECONDS` a thread asks the kernel (``posix_fadvise`` with
    ``POSIX_FADV_DONTNEED``, which on Linux starts writing dirty pages back without waiting for
    them) to write what the file holds once it has grown by :data:`WRITEBACK_BYTES`: the disk
    works while the output is still being computed, and the final ``fsync`` has only the last
    pieces left. A 1.3 GB CSV output took 1.2 to 2 s less to write and flush so. The pages
    dropped are the output's only: its reader, if any, reads it from the disk. Advice only: a
    failure changes nothing but the timing.
    """

    supported = hasattr(os, "posix_fadvise")

    def __init__(self, path: str):
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="normkit-writeback", daemon=True)
        try:
            self._thread.start()
        except BaseException:
            os.close(self._fd)
            raise

    def _run(self) -> None:
        advised = 0
        while not self._stopped.wait(WRITEBACK_SECONDS):
            with contextlib.suppress(OSError):
                size = os.fstat(self._fd).st_size
                if size - advised >= WRITEBACK_BYTES:
                    os.posix_fadvise(self._fd, 0, size, os.POSIX_FADV_DONTNEED)
                    advised = size

    def stop(self) -> None:
        """Stop the thread and close its descriptor (once, however often it is called; from
        the thread itself too, where a collection of the output's owner may run it)."""
        self._stopped.set()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


#: How often, and after how many new bytes, :class:`_Writeback` sends an output to the disk.
WRITEBACK_SECONDS = 0.25
WRITEBACK_BYTES = 32 << 20


#: The most bytes handed to the operating system in one write of an output. Writes of whole
#: row groups (8.7 MB each) into a new file were copied into the page cache at a fraction of the
#: speed of writes of 256 KiB: a 530 MB Parquet output spent 0.7 to 1.3 s in ``write`` against
#: 0.2 to 0.3 s, and the whole transform took 1.85 s against 1.26 s (medians of 8; writes of
#: 1 MiB: 1.79 s).
WRITE_PIECE_BYTES = 256 << 10


def write_in_pieces(stream: pa.NativeFile, data) -> None:
    """Write ``data`` (any bytes-like object) to ``stream``, at most :data:`WRITE_PIECE_BYTES`
    at a time."""
    view = memoryview(data)
    for start in range(0, len(view), WRITE_PIECE_BYTES):
        stream.write(view[start : start + WRITE_PIECE_BYTES])


def refuse_stdin(path: str, what: str) -> None:
    """Refuse ``-`` for a file that is read by its path (a stat file, whose path is its
    identity in the checks of outputs; a state dict, which safetensors maps), ``what`` it is."""
    if path == STDIO:
        raise OptionError(
            f"{what} is read from a file, not from standard input ('-'); save it to a file "
            "and give its path"
        )


def os_reason(exc: BaseException) -> str:
    """The operating system's words for an I/O error ("No space left on device"), without
    pyarrow's wrapping ("Error writing bytes to file. Detail: [errno 28] ...")."""
    text = str(exc)
    match = re.search(r"\[errno \d+\] (.*)", text)
    if match:
        return match.group(1)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return text.splitlines()[0] if text else type(exc).__name__


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_key(path: str) -> tuple[int, int] | None:
    """The file ``path`` reaches now, through links (symbolic or hard): its device and inode;
    for ``-``, the regular file standard input was redirected from (``< a.csv``). None where
    there is none (a path that does not exist, standard input from a pipe or a terminal)."""
    try:
        if path == STDIO:
            info = os.fstat(sys.stdin.fileno()) if sys.stdin is not None else None
            if info is None or not stat.S_ISREG(info.st_mode):
                return None
        else:
            info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino)


def same_file(a: str, b: str) -> bool:
    """True if two paths name the same existing file (also through links)."""
    if STDIO in (a, b):
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _same_regular_file(fd: int, other: int) -> bool:
    """Whether two descriptors are open on one regular file."""
    try:
        held, also = os.fstat(fd), os.fstat(other)
    except OSError:  # a closed descriptor
        return False
    return stat.S_ISREG(held.st_mode) and (held.st_dev, held.st_ino) == (also.st_dev, also.st_ino)


def same_path(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """The same file, through links, or the same path (a file that does not exist yet); or
    the same descriptor (``-`` and ``/dev/stdout`` are standard output), or a descriptor and
    the file it writes (``-o - > stats.json``, ``-o - >> input.csv``)."""
    a, b = os.fspath(a), os.fspath(b)
    streams = [1 if p == STDIO else descriptor_of(p) for p in (a, b)]
    if None not in streams:  # one descriptor, or two of one file (``< data.csv >> data.csv``)
        return streams[0] == streams[1] or _same_regular_file(*streams)
    if streams != [None, None]:
        fd, path = (streams[0], b) if streams[0] is not None else (streams[1], a)
        if path == STDIO:
            return False
        try:
            held, named = os.fstat(fd), os.stat(path)
        except OSError:  # a closed descriptor, a file that does not exist yet
            return False
        return stat.S_ISREG(held.st_mode) and (held.st_dev, held.st_ino) == (
            named.st_dev,
            named.st_ino,
        )
    return same_file(a, b) or os.path.abspath(a) == os.path.abspath(b)


def umask() -> int:
    """The process's file creation mask."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def refuse_overwrite(
    output: str | os.PathLike[str],
    kept: Mapping[str, str],
    what: str = "the output",
    replaces: Collection[str] = (),
) -> None:
    """Refuse an output that is one of the files to keep, or the record beside one: ``kept``
    maps each path to what it is (``"the input"``, ``"the stat file"``); the refusal of one
    whose role is in ``replaces`` (the output a newer version of it) says how to replace it.

    Raises
    ------
    OutputError
        ``OUTPUT: the output would overwrite the input PATH``; or the same for the record
        normkit keeps beside a CSV file of ``kept`` (:func:`record_path`): written over, it
        would be refused as damaged, and the file with it.
    """
    output = os.fspath(output)
    shown = "<stdout>" if output == STDIO else output
    # Only an output named as a record is looked at (not a link to one): this runs for every
    # kept file, and a report checks each of its PNG files against every input.
    directory, name = os.path.split(output)
    record_named = name.startswith(".") and name.endswith(_RECORD_SUFFIX)
    for path, role in kept.items():
        if path == STDIO:
            # Read from standard input: a file redirected to it (``< data.csv``) is kept too.
            if same_path("/dev/stdin", output):
                raise OutputError(
                    f"{shown}: {what} would overwrite {role}, read from standard input"
                )
            continue
        if same_path(path, output):  # read as the output is written: replaced by a move after
            moved = f"write it to another path, then move that over {path} if that is what you want"
            hints = (moved,) if role in replaces else ()
            raise OutputError(f"{shown}: {what} would overwrite {role} {path}", hints=hints)
        if record_named and _may_have_record(path) and same_path(record_path(path), output):
            raise _record_overwrite(shown, what, f"{role} {path}")
    owner = os.path.join(directory, name[1 : -len(_RECORD_SUFFIX)])  # another CSV file's record
    if record_named and (os.path.lexists(output) or os.path.lexists(owner)):
        raise _record_overwrite(shown, what, owner)


def _record_overwrite(shown: str, what: str, owner: str) -> OutputError:
    return OutputError(
        f"{shown}: {what} would overwrite the record normkit keeps beside {owner} (how it was "
        "made, which later commands read back with it)",
        hints=("name another file",),
    )


def record_path(path: str) -> str:
    """Where the record of the CSV file ``path`` is kept: ``DIR/.NAME.normkit.json``
    (:mod:`normkit.io.sidecar`)."""
    directory, name = os.path.split(path)
    return os.path.join(directory, f".{name}{_RECORD_SUFFIX}")


def _may_have_record(path: str) -> bool:
    """Whether a record beside ``path`` is, or may become, that file's: it is named as a CSV
    (normkit writes CSV records only), or a record is there."""
    return format_named(path) is Format.CSV or os.path.lexists(record_path(path))
