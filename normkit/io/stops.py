"""The signals that end a job (Ctrl-C, ``kill``, a closed terminal): held while outputs are moved
into place, and acted on again where the exception their handler raised was lost.

A handler's exception raised while Python runs a weak reference's callback or a destructor (the
import system's locks have such callbacks) is printed as "Exception ignored" and dropped: the
job would run on and exit 0, its output moved into place after a SIGTERM. The command line's
handlers therefore note each signal (:func:`note_stop`) before they raise, and the next output
moved into place, or the next chunk of input read, runs the handler again
(:func:`check_stop`).

Once an output is in place, a stop is acted on where stopping loses nothing, the next chunk read
or output moved (:func:`outputs_moved`): a job with nothing left to do ends whole, rather than
with a stop's exit code beside the output it replaced."""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = [
    "ENDING_SIGNALS",
    "check_stop",
    "note_stop",
    "outputs_moved",
    "signals_deferred",
    "stop_noted",
    "stop_requested",
    "stops_noted",
]

#: The signals that end a job, deferred while outputs are moved into place.
ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

#: The ending signals that came, noted by the handlers (in the main thread, where Python runs
#: them).
_NOTED: list[int] = []

#: Whether an output was moved into place since input was last read (:func:`check_stop`).
_MOVED = [False]

#: Whether a handler is being run again by :func:`check_stop`.
_AGAIN = [False]


def note_stop(signum: int) -> None:
    """Note that ``signum`` came, before its handler raises."""
    _NOTED.append(signum)


def stop_requested(signum: int) -> bool:
    """A handler's first step: note ``signum``, and say whether to raise its exception now: for
    the first ending signal, or one acted on again (:func:`check_stop`); not for a second one
    (the job is stopping: a second exception would break its end), nor while the outputs are in
    place (:func:`outputs_moved`)."""
    again, _AGAIN[0] = _AGAIN[0], False
    first = not _NOTED
    note_stop(signum)
    return (first or again) and not _MOVED[0]


def stop_noted() -> int | None:
    """The first ending signal that came (:func:`note_stop`), if any."""
    return _NOTED[0] if _NOTED else None


def stops_noted() -> frozenset[int]:
    """Every ending signal that came (:func:`note_stop`)."""
    return frozenset(_NOTED)


def outputs_moved() -> bool:
    """Whether an output was moved into place and no input read since: the job's work is in
    place, and a stop waits for the next chunk read or output moved, if any."""
    return _MOVED[0]


def check_stop() -> None:
    """Before a chunk of input is read or an output moved (in the main thread): work goes on
    (:func:`outputs_moved` is False again), and an ending signal that came (:func:`note_stop`)
    has its handler run again, its exception raised here if it was lost or held."""
    if threading.current_thread() is threading.main_thread():
        _MOVED[0] = False
        if _NOTED:
            _AGAIN[0] = True
            signal.raise_signal(_NOTED[0])


@contextlib.contextmanager
def signals_deferred():
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block is done, then act on the first that came,
    as if it came just after: outputs moved into place together (a file and its record, a
    transform's output and its updated statistics) land all or none. In the main thread only,
    where Python runs its signal handlers; elsewhere the block runs as is. One that came before
    and whose exception was lost is acted on first (:func:`check_stop`): nothing is moved. After
    the block, :func:`outputs_moved` says whether it moved its outputs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    check_stop()
    pending: list[int] = []
    # Only handlers Python can put back: one a host program installed in C (None here) is
    # left alone, and so is an ignored signal.
    held = [s for s in ENDING_SIGNALS if signal.getsignal(s) not in (None, signal.SIG_IGN)]
    saved = {s: signal.signal(s, lambda signum, frame: pending.append(signum)) for s in held}
    moved = False
    try:
        yield
        moved = True
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
        _MOVED[0] = moved
        if pending:
            signal.raise_signal(pending[0])
