"""``normkit inspect`` and ``normkit merge-stats``: commands on stat files themselves."""

from __future__ import annotations

import click

from .app import NormkitCommand, echo_result
from .options import LibraryOption, quiet_option
from .render import caught_notes, echo_notes, merge_summary, render_stats


@click.command(
    cls=NormkitCommand,
    epilog="\b\nExamples:\n  normkit inspect stats.json\n  normkit inspect stats.json --json | jq .columns\n",
)
@click.argument("stats_path", metavar="STATS")
@click.option("--json", "as_json", is_flag=True, help="Print the stat file as JSON.")
def inspect(stats_path, as_json):
    """Show a stat file: options, provenance and per-column statistics."""
    from normkit.stats import statfile

    stats = statfile.read(stats_path)
    if as_json:
        # The file as written (validated above), not as this normkit would write it now: its
        # text, whichever Unicode form it was saved in.
        echo_result(statfile.read_text(stats_path), nl=False)
        return
    echo_result(render_stats(stats_path, stats))


@click.command(
    "merge-stats",
    cls=NormkitCommand,
    epilog="\b\nExample:\n  normkit merge-stats shard-*.json -o all.json\n",
)
@click.argument("stats_paths", nargs=-1, required=True, metavar="STATS...")
@click.option(
    "-o",
    "--output",
    cls=LibraryOption,
    default="-",
    show_default=True,
    metavar="PATH",
    help="The merged stat file ('-': standard output), written atomically.",
)
@quiet_option
def merge_stats(stats_paths, output, quiet):
    """Merge stat files fitted on separate shards into the statistics of all their rows.

    Exact: equal to fitting the shards together. The files must have the same columns and
    options. Running (EMA) statistics are not merged: they follow the order of the batches
    across files, which stat files do not record; fit the shards together for them.
    """
    from normkit.stats import merging, statfile

    notes: list = []  # the library's, told once the merged file is written
    with caught_notes(notes):
        merged = merging.merge(stats_paths, output=output)
    statfile.write(merged, output)
    if not quiet:
        shards = [statfile.read(p) for p in stats_paths]
        echo_notes(notes)
        click.echo(merge_summary(shards, merged, output), err=True)
