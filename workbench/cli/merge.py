"""`workbench merge`: combine shard runs (databases or JSON outputs) into one run."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import outputs_option


@click.command("merge", cls=LazyCommand, action="workbench.cli.actions.merge:command")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@outputs_option("Write the merged run: .json, .jsonl, .csv, .junit.xml, .md; then every PATH is a shard.")
@click.option("--run", "run", help="In each shard database, the run to take (id or label) [default: its newest].")
@click.option("--label", help="Label of the merged run [default: the shards' common label].")
@click.option("--allow-partial", is_flag=True, help="Merge even when some shards of the split are missing.")
def command() -> None:
    """Merge shard runs into one run: `workbench merge OUT.db SHARD.db...` or `workbench merge -o merged.json SHARD...`.

    Shards are databases (from `workbench run --shard I/N --db shardI.db`) or promptfoo-shaped JSON
    outputs (`--shard I/N -o shardI.json`). The merged run holds the union of their results by cell,
    so its totals equal an unsharded run's; its `config.merged_from` records where each part came
    from. Without -o, the first PATH is the target database (created when missing) and the merged
    run is added to it.
    """
