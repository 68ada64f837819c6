"""How the command runs: library errors, Ctrl-C, termination and closed pipes turned into one line
on stderr and an exit code, and the process ended cleanly."""

from __future__ import annotations

import os
import signal
import sys
import warnings

import click

from normkit.errors import EXIT_CODES, NormkitError

from .spelling import Spelling

__all__ = ["NormkitCliError", "NormkitCommand", "NormkitGroup", "Terminated", "run_to_exit"]


class NormkitCliError(click.ClickException):
    """A library error shown as ``normkit: error: ...``."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        # One line, whatever the names and values in it hold (a column named "a\nb").
        message = self.format_message().replace("\r", "\\r").replace("\n", "\\n")
        click.echo(f"normkit: error: {message}", err=True)


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

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("normkit: interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except Terminated:
            click.echo("normkit: terminated", err=True)
            raise click.exceptions.Exit(143) from None
        except BrokenPipeError:
            # The reader went away (`| head`): that is not an error. Point stdout at /dev/null so
            # the interpreter's final flush does not complain either.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except OSError as exc:
            # Writing the report itself failed (a full disk behind stdout): say so in one line.
            if _show_traceback(ctx):
                raise
            reason = exc.strerror or str(exc)
            raise NormkitCliError(f"cannot write: {reason}") from None


class Terminated(BaseException):
    """SIGTERM (from timeout, a scheduler, a container runtime), raised where the program is so
    that outputs are discarded and temporary files removed as on Ctrl-C."""


def _terminate(signum, frame) -> None:
    raise Terminated


def run_to_exit(group: click.Group, argv: list[str] | None) -> None:
    """Run the command and end the process with its exit code (see :func:`normkit_cli.main.main`)."""
    signal.signal(signal.SIGTERM, _terminate)
    # numpy's warnings (a division by zero, an overflow) would break the one-line rule; the
    # results they are about are checked and refused with their row where they matter.
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    try:
        group.main(args=argv, prog_name="normkit")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe: nothing more to say
    os._exit(code)
