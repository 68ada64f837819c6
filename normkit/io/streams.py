"""Byte streams: a stream read again from its start, and reads of an exact size from pipes."""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Sequence
from typing import BinaryIO

import pyarrow as pa

from ..errors import InputError, param, quoted

__all__ = [
    "TAIL_BYTES",
    "MisreadWatch",
    "PrefixedStream",
    "Tape",
    "TranscodedStream",
    "big_endian",
    "input_encoding",
    "invalid_utf8",
    "misread_error",
    "misread_names_hints",
    "misread_utf8",
    "misread_word",
    "not_text",
    "read_up_to",
    "sniff_encoding",
    "utf8_hints",
]

#: Bytes kept from the end of a stream, to check how it ends (a CSV's last quoted field).
TAIL_BYTES = 64 << 10


class PrefixedStream(io.RawIOBase):
    """A readable stream that first returns ``prefix``, then the rest of ``stream``.

    Lets normkit look at the start of a pipe (to learn the CSV header and column types) without
    losing those bytes for the reader that follows.
    """

    def __init__(self, prefix: bytes, stream: BinaryIO | pa.NativeFile):
        self._prefix = memoryview(prefix)
        self._stream = stream
        self.head = bytes(prefix)  # the first bytes, looked at before
        self.tail = b""  # the last bytes returned, to check how the input ends

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._prefix.nbytes:
            n = min(len(buffer), self._prefix.nbytes)
            data = self._prefix[:n].tobytes()
            self._prefix = self._prefix[n:]
        else:
            data = self._stream.read(len(buffer))
            n = len(data)
        buffer[:n] = data
        if n >= TAIL_BYTES:
            self.tail = bytes(data[-TAIL_BYTES:])
        elif n:
            self.tail = (self.tail + bytes(data))[-TAIL_BYTES:]
        return n


class Tape:
    """The start of a pipe, kept as it is read, to be read again from its first byte.

    Each :meth:`reader` reads the bytes kept, then reads on from the pipe and keeps what it
    reads, so a look at the start may go as far as it needs (a first record of megabytes);
    :meth:`replay` then gives every byte from the first, the pipe's rest after those kept.
    """

    def __init__(self, stream: BinaryIO):
        self.kept = bytearray()
        self._stream = stream

    def reader(self) -> io.BufferedReader:
        """A stream of the pipe's bytes from the first."""
        return io.BufferedReader(_TapeReader(self))

    def replay(self) -> PrefixedStream:
        """The pipe's bytes from the first, those kept then the rest (read once: the bytes
        kept are let go, not held beside the stream's copy for the whole run)."""
        kept, self.kept = bytes(self.kept), bytearray()
        return PrefixedStream(kept, self._stream)

    def _more(self, size: int) -> int:
        data = self._stream.read(size)
        self.kept += data
        return len(data)


class _TapeReader(io.RawIOBase):
    def __init__(self, tape: Tape):
        self._tape = tape
        self._at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        kept = self._tape.kept
        if self._at == len(kept) and not self._tape._more(len(buffer)):
            return 0
        n = min(len(buffer), len(kept) - self._at)
        buffer[:n] = kept[self._at : self._at + n]
        self._at += n
        return n


def read_up_to(stream, size: int) -> bytes:
    """Read ``size`` bytes, or fewer at the end of the stream (a pipe may return short reads)."""
    parts = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(bytes(chunk))
        remaining -= len(chunk)
    return b"".join(parts)


class TranscodedStream(io.RawIOBase):
    """A readable stream of UTF-8 bytes decoded from ``stream`` in ``encoding``: what the CSV
    reader's byte scanning and pyarrow's parser need, whatever the input's encoding.

    A byte that is not valid in ``encoding`` raises :class:`UnicodeDecodeError` with its offset
    in the input (``error.start``). ``recorded``: the name of the input, whose ``encoding`` is
    a stat file's: every chunk is looked at for UTF-8 (see :class:`MisreadWatch`).
    """

    def __init__(
        self,
        stream: BinaryIO | pa.NativeFile,
        encoding: str,
        chunk: int = 1 << 20,
        *,
        complete: bool = True,
        recorded: str | None = None,
    ):
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._watch = MisreadWatch(recorded, encoding) if recorded is not None else None
        self._chunk = chunk
        # False for the first bytes of a pipe, which may end in the middle of a character.
        self._complete = complete
        self._pending = b""
        self._consumed = 0  # input bytes decoded so far
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while not self._pending and not self._eof:
            data = self._stream.read(self._chunk)
            if not data:
                self._eof = True
            elif self._watch is not None:
                self._watch.check(data)
            # Bytes of an unfinished character wait in the decoder: offsets count from them.
            base = self._consumed - len(self._decoder.getstate()[0])
            try:
                text = self._decoder.decode(bytes(data), final=not data and self._complete)
            except UnicodeDecodeError as exc:
                exc.start += base
                exc.end += base
                raise
            self._consumed += len(data)
            self._pending = text.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


#: Byte-order marks and the encodings they begin (longest first: UTF-32's begins as UTF-16's).
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def sniff_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``head`` says: UTF-16 or UTF-32, as
    spreadsheet programs write "Unicode text", or ``utf-8-sig`` (UTF-8 with a mark, as Excel
    saves "CSV UTF-8"); None without one."""
    for mark, encoding in BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return encoding
    return None


def big_endian(head: bytes) -> bool:
    """Whether ``head`` begins with the byte-order mark of big-endian UTF-16 or UTF-32 (a CSV
    output in its encoding is written in that order, with that mark)."""
    return head.startswith((codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))


def input_encoding(head: bytes, given: str | None, recorded: bool = False) -> str | None:
    """The encoding of text that begins with ``head``: the one its byte-order mark says, whatever
    encoding is given (a mark is unambiguous: text in another encoding does not begin with those
    bytes, and read as text they would begin the first column's name); else ``given``; else
    UTF-8 (None, also for UTF-8 with a mark, which the reading skips).

    ``recorded``: ``given`` is a stat file's (the encoding its fit's data was read in): one that
    needs a mark (UTF-16 or UTF-32 without a byte order, which the fit's data had from its mark)
    reads a file without one as UTF-8.

    Raises
    ------
    InputError
        If ``given`` (not recorded) is UTF-16 or UTF-32 and the text has no mark to tell the
        order of its bytes.
    """
    encoding = sniff_encoding(head)
    if encoding is None and given is not None:
        if (name := codecs.lookup(given).name) in ("utf-16", "utf-32"):
            if recorded:
                return None
            raise InputError(
                f"the file has no byte-order mark, which the encoding {given} needs to tell the "
                "order of its bytes",
                param="csv.encoding",
                # Python's spelling: it knows utf-16-le, not utf16-le.
                hints=(f"name the order ({param('csv.encoding', f'{name}-le')} or {name}-be)",),
            )
        encoding = given
    if encoding is not None and codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return None
    return encoding


def _encoding_hint(read_in: str | None = None) -> str:
    """What to do with bytes that are not text in ``read_in`` (None: UTF-8): name the file's
    encoding (UTF-8 where another was named)."""
    other = "latin-1" if read_in is None else "utf-8"
    return f"name its encoding ({param('csv.encoding', other)} or another)"


def invalid_utf8(where: str) -> InputError:
    """The refusal of text read as UTF-8 that is not, at ``where`` (a file, or its line or
    field)."""
    return InputError(f"{where}: invalid UTF-8 text", hints=(_encoding_hint(),))


def not_text(name: str, read_in: str | None, offset: int) -> InputError:
    """The refusal of the input ``name`` whose byte at ``offset`` is not text in ``read_in``
    (None: UTF-8)."""
    return InputError(
        f"{name}: not {read_in or 'UTF-8'} text (invalid byte at offset {offset:,})",
        hints=(_encoding_hint(read_in),),
    )


def _single_byte(encoding: str) -> bool:
    """Whether ``encoding`` reads every byte as one character (Latin-1, cp1252): one that reads
    UTF-8's multi-byte characters as two or three characters each, without an error."""
    return len(bytes(range(256)).decode(encoding, errors="replace")) == 256


_BEYOND_ASCII = re.compile(r"[^\x00-\x7f]")

#: A word of text (no separator, quote or space in it) holding a character beyond ASCII.
_WORD_BEYOND_ASCII = re.compile(r"[^\s,;|\"']*[^\x00-\x7f][^\s,;|\"']*")


def misread_utf8(text: str, encoding: str | None, complete: bool = True) -> str | None:
    """``text``, read in ``encoding``, as UTF-8, where that is a single-byte encoding and the
    bytes read are UTF-8 holding multi-byte characters ('café' written in UTF-8 reads
    'cafÃ©' in Latin-1); else None. ``complete``: ``text`` is the whole input, not a head
    that may end inside a character."""
    if encoding is None or not _single_byte(encoding):
        return None
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:  # not read in that encoding
        return None
    if raw.isascii():
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if complete or exc.start < len(raw) - 3 or exc.start == 0:
            return None
        return raw[: exc.start].decode("utf-8")


def misread_error(name: str, utf8: str, encoding: str) -> InputError:
    """The refusal of the input ``name``, read in the stat file's single-byte ``encoding``,
    whose text ``utf8`` (:func:`misread_utf8`) is UTF-8 beyond ASCII."""
    word, misread = misread_word(utf8, encoding)
    return InputError(
        f"{name}: its text looks like UTF-8, and the stat file's encoding, {encoding}, would read "
        f"{quoted(word)} as {quoted(misread)}",
        hints=utf8_hints(encoding),
    )


class MisreadWatch:
    """Looks at every chunk of an input read in a stat file's ``encoding`` for UTF-8 text,
    which a single-byte encoding would read as other characters without an error (as
    :func:`misread_utf8` looks at a head): a chunk whose bytes beyond ASCII are all UTF-8's
    multi-byte characters is refused. A chunk of ASCII costs a test of its bytes; a character
    cut at a chunk's end is finished by the next chunk's first bytes."""

    def __init__(self, name: str, encoding: str):
        self._name, self._encoding = name, encoding
        self._utf8 = codecs.getincrementaldecoder("utf-8")() if _single_byte(encoding) else None
        self._before = b""  # the previous chunk's last bytes: the start of a word cut

    def check(self, data: bytes) -> None:
        """Refuse ``data``, the input's next bytes, if they are UTF-8 beyond ASCII.

        Raises
        ------
        InputError
        """
        utf8 = self._utf8
        if utf8 is None:
            return
        before, self._before = self._before, data[-40:]
        if data.isascii() and not utf8.getstate()[0]:
            return
        try:
            text = utf8.decode(data)
        except UnicodeDecodeError:  # a byte that is not UTF-8's: text of the encoding
            utf8.reset()
            return
        self._before = data[: len(data) - len(utf8.getstate()[0])][-40:]
        if not text.isascii():  # (only a character cut at the end is still waiting)
            text = before.decode("utf-8", errors="ignore") + text
            start = _BEYOND_ASCII.search(text).start()  # type: ignore[union-attr]
            raise misread_error(self._name, text[max(0, start - 40) : start + 40], self._encoding)


def misread_word(utf8: str, encoding: str) -> tuple[str, str]:
    """The first word of ``utf8`` beyond ASCII (text :func:`misread_utf8` found), as UTF-8
    reads it and as ``encoding`` does."""
    found = _WORD_BEYOND_ASCII.search(utf8)
    word = found.group()[:40] if found else utf8[:40]
    return word, word.encode("utf-8").decode(encoding, errors="replace")


def utf8_hints(encoding: str) -> tuple[str, ...]:
    """The ways out for UTF-8 text read in the single-byte ``encoding``."""
    return (
        f"read it as UTF-8 ({param('csv.encoding', 'utf-8')})",
        f"read it in {encoding} all the same ({param('csv.encoding', encoding)})",
    )


def misread_names_hints(
    present: Sequence[str], absent: Sequence[str], encoding: str | None
) -> tuple[str, ...]:
    """For an input read in ``encoding`` whose columns (``present``) lack some of ``absent``:
    where one of them is a present name read as UTF-8 (:func:`misread_utf8`), that the file
    looks like UTF-8, and how to read it so."""
    wanted = set(absent)
    for name in present:
        utf8 = misread_utf8(name, encoding)
        if utf8 is not None and utf8 in wanted:
            return (
                f"the file looks like UTF-8: read in {encoding}, its header has {quoted(name)} "
                f"for {quoted(utf8)}; read it as UTF-8 ({param('csv.encoding', 'utf-8')})",
            )
    return ()
