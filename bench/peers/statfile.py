"""Small helpers shared by the peer scripts: command line, stat files in and out.

Every peer script is called as

    python PEER.py fit INPUT STATS_OUT
    python PEER.py transform INPUT STATS_IN OUTPUT

where INPUT and OUTPUT are ``.csv`` or ``.parquet`` files. ``fit`` writes the mean and the
population standard deviation of every column but ``id`` as JSON; ``transform`` reads the mean
and scale of each column from a normkit stat file and writes ``(x - mean) / scale``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

#: The column that is carried through unchanged (``normkit --exclude id``).
ID_COLUMN = "id"


@dataclass(frozen=True)
class Args:
    """Parsed command line of a peer script."""

    command: str
    input: str
    stats: str
    output: str | None

    @property
    def input_format(self) -> str:
        return file_format(self.input)

    @property
    def output_format(self) -> str:
        assert self.output is not None
        return file_format(self.output)


def file_format(path: str) -> str:
    """``"csv"`` or ``"parquet"``, from the extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise SystemExit(f"{path}: expected a .csv or .parquet file")
    return suffix[1:]


def parse_args(argv: list[str] | None = None) -> Args:
    """``fit INPUT STATS_OUT`` or ``transform INPUT STATS_IN OUTPUT``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 3 and argv[0] == "fit":
        return Args("fit", argv[1], argv[2], None)
    if len(argv) == 4 and argv[0] == "transform":
        return Args("transform", argv[1], argv[2], argv[3])
    raise SystemExit(
        f"usage: {Path(sys.argv[0]).name} fit INPUT STATS_OUT | transform INPUT STATS_IN OUTPUT"
    )


def write_stats(path: str, tool: str, stats: dict[str, tuple[float, float]]) -> None:
    """Write ``{column: (mean, std)}`` as the JSON file that ``compare.py`` checks."""
    columns = [{"name": name, "mean": mean, "std": std} for name, (mean, std) in stats.items()]
    Path(path).write_text(json.dumps({"tool": tool, "columns": columns}, indent=1))


def read_normkit_stats(path: str) -> dict[str, tuple[float, float]]:
    """``{column: (mean, scale)}`` of a normkit stat file, in the file's column order."""
    document = json.loads(Path(path).read_text())
    return {column["name"]: (column["mean"], column["scale"]) for column in document["columns"]}
