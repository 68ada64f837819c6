"""What a transform writes beside its data: the paths of its output and of its updated
statistics, checked before any work, and the updated statistics withheld from a stream its
output's reader did not take whole."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

from ..errors import OptionError, OutputError, param
from ..io.files import check_output_path, refuse_overwrite, same_path
from ..io.reader import Reader
from ..stats import statfile

__all__ = ["check_outputs", "saved_only_whole"]


def check_outputs(
    output: str,
    save_stats: str | os.PathLike[str] | None,
    sources: Sequence[Reader],
    stats_file: str | None,
    protected: Sequence[str | os.PathLike[str]] = (),
) -> None:
    """Refuse, before any work, an output or a ``save_stats`` path that cannot be written, or
    that would overwrite the inputs, the stat file read, a file of ``protected``, or a CSV's
    record (the inputs', and the output's for ``save_stats``).

    Raises
    ------
    OptionError
        If ``save_stats`` is the output.
    OutputError
        If a path cannot be written or would overwrite a file kept.
    """
    if save_stats is not None and same_path(output, save_stats):
        raise OptionError(
            f"{save_stats}: {param('save_stats')} and the output are the same file or stream",
            param="save_stats",
        )
    if save_stats is not None:
        statfile.check_stat_path(save_stats, "save_stats")
    kept = {
        **dict.fromkeys(map(os.fspath, protected), "the file"),
        **dict.fromkeys((s.path for s in sources), "the input"),
    }
    if stats_file is not None:
        kept[stats_file] = "the stat file"
    for written, what in ((output, "the output"), (save_stats, param("save_stats"))):
        if written is None:
            continue
        check_output_path(os.fspath(written))  # '-': nothing to check
        refuse_overwrite(written, kept, what)
        kept[os.fspath(written)] = what  # and its record, which the output writes beside it


@contextlib.contextmanager
def saved_only_whole(save_stats: str | os.PathLike[str] | None) -> Iterator[None]:
    """Around the writing of a transform's output: where its reader closes it early (``|
    head``), the running statistics have not seen the whole input, so none are saved; with
    ``save_stats`` given, that is an :class:`OutputError` naming it, not the quiet end of a
    closed pipe (a stream continued from the stale statistics would go unnoticed).

    Raises
    ------
    OutputError
        With ``save_stats``, on a closed output (else ``BrokenPipeError`` goes on).
    """
    try:
        yield
    except BrokenPipeError:
        if save_stats is None:
            raise
        raise OutputError(
            f"{os.fspath(save_stats)}: {param('save_stats')} was not written: the output "
            "closed before the end of the input (its reader stopped reading), so the running "
            "statistics were not updated with all of it",
            hints=(
                "let the reader take the whole output",
                f"write it to a file ({param('output')}) and read that",
            ),
        ) from None
