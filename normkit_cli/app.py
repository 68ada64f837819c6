"""How the command runs: library errors, usage errors, Ctrl-C, termination and closed pipes turned into one line
on stderr and an exit code, and the process ended cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence

import click

from normkit.errors import EXIT_CODES, NormkitError, quoted
from normkit.io.stops import (
    ENDING_SIGNALS,
    note_stop,
    outputs_moved,
    stop_noted,
    stop_requested,
    stops_noted,
)

from . import STOP_WORDS
from .spelling import Spelling
from .types import one_line

__all__ = [
    "NormkitCliError",
    "NormkitCommand",
    "NormkitGroup",
    "Terminated",
    "echo_result",
    "echo_verdict",
    "run_to_exit",
    "usage_line",
]


class NormkitCliError(click.ClickException):
    """A library error shown as ``normkit: error: ...``."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"normkit: error: {one_line(self.format_message())}", err=True)


def _flag(param: click.Parameter) -> str:
    """How a message names an option (its long flag) or an argument (its metavar)."""
    if isinstance(param, click.Option):
        return next((o for o in param.opts if o.startswith("--")), param.opts[0])
    return param.human_readable_name


def _has_option(ctx: click.Context, flag: str) -> bool:
    """Whether the command of ``ctx`` has the option ``flag``."""
    return any(isinstance(p, click.Option) and flag in p.opts for p in ctx.command.params)


def usage_line(exc: click.UsageError) -> str:
    """A usage error of click's in one line, in normkit's words: what was given, which option
    or argument, and what to do (click's own is a usage block of four lines)."""
    command = exc.ctx.command_path if exc.ctx is not None else "normkit"
    see = f"see '{command} --help'"
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        what = f"{command} needs {_flag(exc.param)}"
        extra = exc.param.type.get_missing_message(param=exc.param, ctx=exc.ctx)
        return f"{what}: {extra}" if extra else f"{what}; {see}"
    if isinstance(exc, click.BadParameter):
        message = exc.message.rstrip(".")
        where = _flag(exc.param) if exc.param is not None else exc.param_hint
        if not where:
            return message
        # The types' messages follow the flag ("--ddof must be 0 or 1, not 'x'").
        return f"{where} {message}" if message.startswith("must ") else f"{where}: {message}"
    if isinstance(exc, click.NoSuchOption | click.exceptions.NoSuchCommand):
        if isinstance(exc, click.NoSuchOption):
            what = f"{command} has no option {exc.option_name}"
            root = exc.ctx.find_root() if exc.ctx is not None else None
            if root is not None and root is not exc.ctx and _has_option(root, exc.option_name):
                name = root.command_path
                sub = command.removeprefix(name).strip()
                return (
                    f"{exc.option_name} is an option of {name} itself: give it before the "
                    f"command ({name} {exc.option_name} {sub} ...)"
                )
        else:
            what = f"{command} has no command {quoted(exc.command_name)}"
        if exc.possibilities:
            what += f" (did you mean {' or '.join(sorted(exc.possibilities))}?)"
        return f"{what}; {see}"
    if isinstance(exc, click.BadOptionUsage) and "requires" in exc.message:
        return f"{exc.option_name} needs a value"
    if isinstance(exc, click.BadOptionUsage) and "does not take a value" in exc.message:
        return f"{exc.option_name} is a flag: it takes no value"
    message = exc.format_message().rstrip(".")
    if message.startswith("Got unexpected extra argument"):
        extra = message.partition("(")[2].rstrip(")")
        return f"{command} got more arguments than it takes: {extra}; {see}"
    return message


def _show_traceback(ctx: click.Context) -> bool:
    root = ctx.find_root()
    return bool(root.params.get("traceback")) or os.environ.get("NORMKIT_TRACEBACK") == "1"


class NormkitCommand(click.Command):
    """Turns the library's errors into one line that names this command's flags."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NormkitError as exc:
            if _show_traceback(ctx):
                raise
            code = next(c for kind, c in EXIT_CODES.items() if isinstance(exc, kind))
            raise NormkitCliError(exc.render(Spelling(self)), code) from None


class NormkitGroup(click.Group):
    """Turns Ctrl-C, termination and closed pipes into messages and exit codes."""

    command_class = NormkitCommand

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise NormkitCliError(usage_line(exc), exc.exit_code) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            # Every command's usage errors, click's and normkit's own, in one line.
            raise NormkitCliError(usage_line(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise _stopped(signal.SIGINT) from None
        except Terminated as exc:
            raise _stopped(exc.args[0] if exc.args else signal.SIGTERM) from None
        except BrokenPipeError:
            # The reader went away (`| head`): that is not an error.
            _stdout_to_null()
            raise click.exceptions.Exit(0) from None
        except (MemoryError, RuntimeError) as exc:
            # Under a memory limit (ulimit -v, a container's): numpy's allocations and the
            # threads that could not start raised, shown as a traceback.
            if _show_traceback(ctx) or not _out_of_memory(exc):
                raise
            from normkit.errors import OUT_OF_MEMORY, OUT_OF_MEMORY_HINTS

            raise NormkitCliError(f"{OUT_OF_MEMORY}; {' or '.join(OUT_OF_MEMORY_HINTS)}") from None
        except OSError as exc:
            # Writing the report itself failed (a full disk behind stdout): say so in one line.
            if _show_traceback(ctx):
                raise
            reason = exc.strerror or str(exc)
            where = exc.filename or "<stdout>"  # stderr's own failures are dropped (_Lossy)
            raise NormkitCliError(f"{where}: cannot write: {reason}") from None


def _out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says that memory, or a thread for want of it, could not be had."""
    return isinstance(exc, MemoryError) or "can't start new thread" in str(exc)


def _stdout_to_null() -> None:
    """Point standard output, whose reader went away, at /dev/null, so that the interpreter's
    final flush does not complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def echo_result(text: str, nl: bool = True) -> None:
    """Print a command's result on standard output, refused where it is closed (``>&-``): the
    result would be lost with exit 0."""
    from normkit.io.files import standard_output

    standard_output()
    click.echo(text, nl=nl)


def echo_verdict(text: str, code: int, inputs: Sequence[str] = ()) -> None:
    """Print a check's report on standard output and end with ``code``, its verdict (0: nothing
    found), unless standard output is one of the ``inputs`` it checked (``>> data.csv``). A
    reader that closes standard output before reading it (``| true``, ``| head -0``) loses the
    report, not the verdict: the exit code is the check's result."""
    from normkit.io.files import refuse_overwrite
    from normkit.io.formats import STDIO

    refuse_overwrite(STDIO, dict.fromkeys(map(os.fspath, inputs), "the input"), "the report")
    try:
        echo_result(text)
    except BrokenPipeError:
        _stdout_to_null()
    if code:
        raise click.exceptions.Exit(code)


class Terminated(BaseException):
    """SIGTERM (from timeout, a scheduler, a container runtime) or SIGHUP (the terminal or the
    ssh session closed), raised where the program is so that outputs are discarded and
    temporary files removed as on Ctrl-C; its argument is the signal's number."""


def _terminate(signum, frame) -> None:
    # Noted, and acted on again where this exception is lost; while the outputs are in place,
    # at the next chunk read or output moved, if any (normkit.io.stops).
    if stop_requested(signum):
        raise Terminated(signum)


def _interrupt(signum, frame) -> None:
    if stop_requested(signum):
        raise KeyboardInterrupt


def _quiet_when_stopped(hook: Callable) -> Callable:
    """``sys.unraisablehook`` that prints nothing for the exception of an ending signal raised
    where Python drops it (a weak reference's callback): it is acted on again (see
    :mod:`normkit.io.stops`), and the command ends with its one line."""

    def quiet(unraisable) -> None:
        if not isinstance(unraisable.exc_value, (KeyboardInterrupt, Terminated)):
            hook(unraisable)

    return quiet


def _ending() -> None:
    """From now on an ending signal is noted, not raised: the command is ending (a second
    signal would break its end with a traceback, or a second line)."""
    for signum in ENDING_SIGNALS:
        if signal.getsignal(signum) not in (None, signal.SIG_IGN):
            signal.signal(signum, lambda number, frame: note_stop(number))


def _stopped(signum: int) -> click.exceptions.Exit:
    """The end of a command an ending signal stopped: its word, and 128 plus its number."""
    _ending()
    click.echo(f"normkit: {STOP_WORDS.get(signum, 'terminated')}", err=True)
    return click.exceptions.Exit(128 + signum)


class _Lossy:
    """stderr that drops what it cannot write (a full device): the messages are lost, not
    the job (an output written whole, then exit 1 because its summary line was not)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError:
            return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError):
            self._stream.flush()

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _messages_stream() -> None:
    """stderr for the messages: a closed one (``2>&-``, a daemon's) is /dev/null, its descriptor
    taken so that no output file opened later gets it (a panic's text would go into that file);
    every command failed with nothing written before."""
    if sys.stderr is None:
        null = os.open(os.devnull, os.O_WRONLY)
        if null != 2:
            os.dup2(null, 2)
            os.close(null)
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115 (the process's own, for its life)
    sys.stderr = _Lossy(sys.stderr)


def _shown_as_notes(show: Callable) -> Callable:
    """``warnings.showwarning`` that prints the library's notes (:class:`NormkitNote`) not
    caught by the command as one line, ``normkit: note: ...`` (none with ``--quiet``), and
    other warnings with ``show``."""
    from normkit.errors import NormkitNote

    def shown(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, NormkitNote):
            return show(message, category, filename, lineno, file, line)
        from .render import note_line

        context = click.get_current_context(silent=True)
        if context is None or not context.params.get("quiet"):
            click.echo(note_line(message) if context else f"normkit: note: {message}", err=True)
        return None

    return shown


def run_to_exit(group: click.Group, argv: list[str] | None) -> None:
    """Run the command and end the process with its exit code (see :func:`normkit_cli.main.main`)."""
    _messages_stream()
    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # nohup's choice is kept
        signal.signal(signal.SIGHUP, _terminate)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # after the start's (__init__)
        signal.signal(signal.SIGINT, _interrupt)
    sys.unraisablehook = _quiet_when_stopped(sys.unraisablehook)
    # numpy's warnings (a division by zero, an overflow) would break the one-line rule; the
    # results they are about are checked and refused with their row where they matter.
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    warnings.showwarning = _shown_as_notes(warnings.showwarning)
    try:
        group.main(args=argv, prog_name="normkit")
        code = 0
    except SystemExit as exc:
        _ending()
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        _ending()
        # A failure after an ending signal whose exception was lost on its way (an import
        # interrupted, a panic of the native engine it caused): the signal's end, not a trace.
        if stop_noted() is None:
            raise
        code = 1
    _ending()
    signum = stop_noted()
    stop_codes = {128 + s for s in stops_noted()}
    if signum is not None and code not in stop_codes and not (code == 0 and outputs_moved()):
        # Its exception lost, the command may have ended otherwise: as stopped, whatever else;
        # but a job whose outputs were in place when it came ended whole.
        code = _stopped(signum).exit_code
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe: nothing more to say
    os._exit(code)
