"""``normkit export``: fitted statistics where models run (see :mod:`normkit.jobs.export`)."""

from __future__ import annotations

import click

from .app import NormkitCommand
from .options import affine_options, option, quote_name, stats_option, use_option


@click.command(
    "export",
    cls=NormkitCommand,
    epilog="\b\nExamples:\n  normkit export -s stats.json --to onnx -o scaler.onnx\n"
    "  normkit export -s stats.json --to onnx --inputs columns --use ema -o bn.onnx\n"
    "  normkit export -s stats.json --to numpy -o stats.npz\n",
)
@stats_option
@click.option(
    "--to",
    "to",
    required=True,
    type=click.Choice(["onnx", "numpy"]),
    help="onnx: a model of the frozen transform (Sub, then Div, as scikit-learn); numpy: an .npz "
    "of the statistics.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="PATH",
    help="The file to write ('-': standard output), atomically.",
)
@option(
    "--inputs",
    param="inputs",
    type=click.Choice(["matrix", "columns"]),
    default="matrix",
    show_default=True,
    help="ONNX input: one float64 matrix X (rows x columns), or one input per column named "
    "after it.",
)
@use_option
@affine_options
def export(stats_path, to, output, inputs, use, gamma, beta):
    """Write the statistics of STATS for another runtime: an ONNX model or NumPy arrays."""
    from normkit.jobs.export import export_stats

    written = export_stats(stats_path, to, output, use=use, gamma=gamma, beta=beta, inputs=inputs)
    if written != "-":
        click.echo(f"normkit: wrote {quote_name(written)} ({to})", err=True)
