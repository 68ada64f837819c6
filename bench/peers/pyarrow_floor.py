"""The floor: stream the input with pyarrow and compute nothing.

``fit`` reads every batch and drops it (no statistics are written; the stat file argument is
accepted for a uniform command line). ``transform`` writes the batches it reads unchanged, to
CSV (``pyarrow.csv.CSVWriter``) or Parquet (``pyarrow.parquet.ParquetWriter``, snappy). This is
what reading and writing the data costs with the same I/O library normkit uses, not a peer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from statfile import parse_args


def batches(path: str, fmt: str) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The schema and a streaming iterator over the record batches of a CSV or Parquet file."""
    if fmt == "csv":
        reader = pacsv.open_csv(path)
        return reader.schema, iter(reader)
    parquet = pq.ParquetFile(path)
    return parquet.schema_arrow, parquet.iter_batches()


def main() -> None:
    args = parse_args()
    schema, stream = batches(args.input, args.input_format)
    if args.command == "fit":
        rows = 0
        for batch in stream:
            rows += batch.num_rows
        return
    assert args.output is not None
    if args.output_format == "csv":
        writer = pacsv.CSVWriter(args.output, schema)
    else:
        writer = pq.ParquetWriter(args.output, schema, compression="snappy")
    with writer:
        for batch in stream:
            writer.write_batch(batch)


if __name__ == "__main__":
    main()
