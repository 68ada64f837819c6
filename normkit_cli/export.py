"""``normkit export`` and ``normkit import-torch``: fitted statistics where models run, and a
model's BatchNorm statistics back (see :mod:`normkit.jobs.export` and :mod:`normkit.jobs.torch_import`)."""

from __future__ import annotations

import click

from .app import NormkitCommand
from .options import LibraryOption, affine_options, flatten, option, quiet_option, stats_option
from .render import caught_notes, note_line
from .types import Checked, Choice, NameList, parse_momentum, quote_name


@click.command(
    "export",
    cls=NormkitCommand,
    epilog="\b\nExamples:\n  normkit export -s stats.json --to onnx -o scaler.onnx\n"
    "  normkit export -s stats.json --to onnx --inputs columns --use ema -o bn.onnx\n"
    "  normkit export -s stats.json --to numpy -o stats.npz\n"
    "  normkit export -s stats.json --to torch -o bn.safetensors\n"
    "  normkit export -s stats.json --to torch --use exact --dtype float64 -o bn.safetensors\n",
)
@stats_option
@click.option(
    "--to",
    "to",
    cls=LibraryOption,
    required=True,
    type=Choice(["onnx", "numpy", "torch"]),
    help="onnx: a model of the frozen transform (Sub, then Div, as scikit-learn); numpy: an .npz "
    "of the statistics; torch: a BatchNorm1d state dict (safetensors) of the running statistics "
    "when fitted (--use exact: of the exact ones).",
)
@click.option(
    "-o",
    "--output",
    cls=LibraryOption,
    required=True,
    metavar="PATH",
    help="The file to write ('-': standard output), atomically.",
)
@option(
    "--inputs",
    param="inputs",
    type=Choice(["matrix", "columns"]),
    default="matrix",
    show_default=True,
    help="ONNX input: one float64 matrix X (rows x columns), or one input per column named "
    "after it.",
)
@option(
    "--dtype",
    param="dtype",
    help="torch: the type of the layer's tensors [default: float32, torch's default].",
)
@option(
    "--use",
    param="use",
    help="The statistics: exact or the running (EMA) ones, as BatchNorm's eval mode normalizes "
    "with them: (x - running_mean) / sqrt(running_var + eps). Default: for onnx, those "
    "'normkit transform' uses (exact, but running for the statistics of a layer 'import-torch' "
    "gave back with them); for torch the running ones when the stat file has them. Not for "
    "numpy, whose .npz holds every statistic as fitted.",
)
@affine_options
@quiet_option
def export(stats_path, to, output, inputs, dtype, use, gamma, beta, quiet):
    """Write the statistics of STATS for another runtime: an ONNX model, NumPy arrays, or a
    PyTorch BatchNorm1d state dict.

    The torch state dict (weight, bias, running_mean, running_var, num_batches_tracked) loads
    into torch.nn.BatchNorm1d(len(columns), eps=EPS, momentum=MOMENTUM) with
    load_state_dict(strict=True); EPS, MOMENTUM and the columns are in the file's metadata.
    Exact statistics are written with eps 0 and running_var = scale**2, so that eval mode
    divides by normkit's scale; PyTorch trains a layer only with eps > 0: set the layer's eps
    (1e-5, say) before training it.
    """
    from normkit.jobs.export import export_stats

    notes = []
    with caught_notes(notes):
        written = export_stats(
            stats_path, to, output, use=use, gamma=gamma, beta=beta, inputs=inputs, dtype=dtype
        )
    if not quiet:
        for note in notes:
            click.echo(note_line(note), err=True)
    if written != "-" and not quiet:
        # The order the model takes its columns in: the data's, not the one --columns named.
        from normkit import load
        from normkit.errors import listed

        names = list(load(stats_path).stats_.names)
        order = f"; {listed(names)} in this order" if to != "onnx" or inputs == "matrix" else ""
        click.echo(f"normkit: wrote {quote_name(written)} ({to}{order})", err=True)


@click.command(
    "import-torch",
    cls=NormkitCommand,
    epilog="\b\nExamples:\n"
    "  normkit import-torch bn.safetensors -o stats.json     # written by normkit export\n"
    "  normkit import-torch model.safetensors --layer features.1 --columns a,b,c \\\n"
    "      --batch-size 64 -o stats.json\n"
    "  normkit drift new.csv -s stats.json\n",
)
@click.argument("state_path", metavar="STATE")
@click.option(
    "-o",
    "--output",
    cls=LibraryOption,
    default="-",
    show_default=True,
    metavar="STATS",
    help="Stat file to write ('-': standard output); written atomically.",
)
@option(
    "--layer",
    param="layer",
    metavar="PREFIX",
    help="The BatchNorm layer's key prefix (features.1 for features.1.running_mean); needed "
    "when the state dict has several.",
)
@option(
    "--columns",
    param="columns",
    type=NameList(),
    multiple=True,
    help="The layer's features, in order (default: the names normkit's export recorded).",
)
@option(
    "--rows",
    param="rows",
    metavar="N",
    help="Rows the layer was trained on: how sure drift is of the reference.",
)
@option(
    "--batch-size",
    param="batch_size",
    metavar="B",
    help="Instead of --rows: the training batch size; rows = B x the batches the running "
    "statistics average over (all of num_batches_tracked, at most (2 - M) / M at momentum M).",
)
@option(
    "--momentum",
    param="ema.momentum",
    type=Checked("ema.momentum", parse_momentum, "M"),
    help="With --batch-size: the layer's momentum, in PyTorch's sense, or 'cumulative' "
    "(default: as normkit's export recorded, else PyTorch's 0.1).",
)
@option(
    "--eps",
    param="eps",
    metavar="EPS",
    help="The layer's eps (default: as normkit's export recorded, else PyTorch's 1e-5).",
)
@option(
    "--no-affine",
    param="affine",
    sets=False,
    is_flag=True,
    help="Leave the layer's weight and bias out (gamma 1, beta 0).",
)
@quiet_option
def import_torch(
    state_path, output, layer, columns, rows, batch_size, momentum, eps, no_affine, quiet
):
    """Make a stat file from a BatchNorm layer's buffers in a safetensors STATE dict.

    Per column, the running mean and variance become the mean and variance, and the layer's
    eps the statistics' eps: drift and report then check new data against what the model saw
    in training, and transform normalizes as the layer's eval mode. Min, max, higher moments,
    a sample and the raw data's missing values are unknown, so drift tests means and spreads,
    not the distribution or the missing rate. A file that normkit export wrote, untouched
    since, gives back the statistics it was made from, whole. Pickled .pt/.pth files are
    refused (they can run code when loaded).
    """
    from normkit.jobs.torch_import import import_torch as run_import

    fitted = run_import(
        state_path,
        flatten(columns) or None,
        layer=layer,
        rows=rows,
        batch_size=batch_size,
        momentum=momentum,
        eps=eps,
        affine=not no_affine,
        output=output,
    )
    if not quiet:
        stats = fitted.stats_
        told = stats.provenance["imported"]
        where = "standard output" if output == "-" else quote_name(output)
        name = told["layer"]
        # The eps the layer normalizes with: its running statistics' where it was exported with
        # them (normkit's own export), not the exact statistics' (0, as StandardScaler's).
        running = stats.running if stats.default_use == "ema" else None
        eps = stats.options.eps if running is None else running.options.eps_value
        click.echo(
            f"normkit: imported {len(stats.names):,} column{'s' if len(stats.names) != 1 else ''} "
            "of BatchNorm layer "
            f"{name or '(top level)'} ({stats.n_rows:,} rows: {told['count']}; eps "
            f"{eps:g}: {told['eps']}) -> {where}",
            err=True,
        )
