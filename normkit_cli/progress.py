"""A progress bar on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from normkit.io.reader import Reader as Source


class ProgressBar:
    """Callable as the library's ``progress(source, rows)``; one tqdm bar per input.

    Counts bytes when the input's size is known (files), rows otherwise (stdin).
    """

    def __init__(self, enabled: bool, action: str):
        self.enabled = enabled and sys.stderr.isatty()
        self.action = action
        self._bar = None
        self._source: Source | None = None

    def __call__(self, source: Source, rows: int) -> None:
        if not self.enabled:
            return
        if source is not self._source:
            self.close()
            from tqdm import tqdm

            self._source = source
            size = source.size_bytes
            by_bytes = bool(size) and source.bytes_read() is not None
            self._bar = tqdm(
                total=size if by_bytes else None,
                unit="B" if by_bytes else " rows",
                unit_scale=True,
                desc=f"{self.action} {source.name}",
                file=sys.stderr,
                leave=False,
                mininterval=0.25,
            )
            self._by_bytes = by_bytes
        done = source.bytes_read() if self._by_bytes else rows
        if done is not None:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._source = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class PartsBar:
    """Callable as the Dask engine's ``progress(done, total)``: files done, on a tqdm bar."""

    def __init__(self, enabled: bool, action: str):
        self.enabled = enabled and sys.stderr.isatty()
        self.action = action
        self._bar = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, unit=" files", desc=self.action, file=sys.stderr, leave=False
            )
        self._bar.update(done - self._bar.n)

    def __enter__(self) -> PartsBar:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
