"""The signals that end a job (Ctrl-C, ``kill``, a closed terminal): held while outputs are moved
into place, and acted on again where the exception their handler raised was lost.

A handler's exception raised while Python runs a weak reference's callback or a destructor (the
import system's locks have such callbacks) is printed as "Exception ignored" and dropped: the
job would run on and exit 0, its output moved into place after a SIGTERM. The command line's
handlers therefore note each signal (:func:`note_stop`) before they raise, and the next output
moved into place, or the next chunk of input read, runs the handler again
(:func:`check_stop`)."""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["ENDING_SIGNALS", "check_stop", "note_stop", "signals_deferred", "stop_noted"]

#: The signals that end a job, deferred while outputs are moved into place.
ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

#: The ending signals that came, noted by the handlers (in the main thread, where Python runs
#: them).
_NOTED: list[int] = []


def note_stop(signum: int) -> None:
    """Note that ``signum`` came, before its handler raises."""
    _NOTED.append(signum)


def stop_noted() -> int | None:
    """The first ending signal that came (:func:`note_stop`), if any."""
    return _NOTED[0] if _NOTED else None


def check_stop() -> None:
    """Run the handler of an ending signal that came (:func:`note_stop`) again: its exception,
    if it was lost, is raised here. Nothing without one, or outside the main thread."""
    if _NOTED and threading.current_thread() is threading.main_thread():
        signal.raise_signal(_NOTED[0])


@contextlib.contextmanager
def signals_deferred():
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block is done, then act on the first that came,
    as if it came just after: outputs moved into place together (a file and its record, a
    transform's output and its updated statistics) land all or none. In the main thread only,
    where Python runs its signal handlers; elsewhere the block runs as is. One that came before
    and whose exception was lost is acted on first (:func:`check_stop`): nothing is moved."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    check_stop()
    pending: list[int] = []
    # Only handlers Python can put back: one a host program installed in C (None here) is
    # left alone, and so is an ignored signal.
    held = [s for s in ENDING_SIGNALS if signal.getsignal(s) not in (None, signal.SIG_IGN)]
    saved = {s: signal.signal(s, lambda signum, frame: pending.append(signum)) for s in held}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
        if pending:
            signal.raise_signal(pending[0])
