"""Polars with its streaming engine (lazy scans, ``collect(engine="streaming")``, sinks).

``fit`` selects ``mean()`` and ``std(ddof=0)`` of every column but ``id``. ``transform``
replaces each column of a normkit stat file by ``(x - mean) / scale`` and sinks the result to
CSV or Parquet (snappy).
"""

from __future__ import annotations

import polars as pl
from statfile import ID_COLUMN, parse_args, read_normkit_stats, write_stats


def scan(path: str, fmt: str) -> pl.LazyFrame:
    return pl.scan_csv(path) if fmt == "csv" else pl.scan_parquet(path)


def main() -> None:
    args = parse_args()
    frame = scan(args.input, args.input_format)
    if args.command == "fit":
        columns = [name for name in frame.collect_schema().names() if name != ID_COLUMN]
        result = frame.select(
            *(pl.col(name).mean().alias(f"mean:{name}") for name in columns),
            *(pl.col(name).std(ddof=0).alias(f"std:{name}") for name in columns),
        ).collect(engine="streaming")
        row = result.row(0, named=True)
        stats = {name: (row[f"mean:{name}"], row[f"std:{name}"]) for name in columns}
        write_stats(args.stats, "Polars", stats)
        return
    stats = read_normkit_stats(args.stats)
    normalized = frame.with_columns(
        ((pl.col(name) - mean) / scale).alias(name) for name, (mean, scale) in stats.items()
    )
    if args.output_format == "csv":
        normalized.sink_csv(args.output)
    else:
        normalized.sink_parquet(args.output, compression="snappy")


if __name__ == "__main__":
    main()
