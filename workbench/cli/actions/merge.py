"""The body of `workbench merge` (its flags and help: `workbench/cli/merge.py`)."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.ci.shard_merge import merge_runs, open_shard, refuse_live_shards, shard_snapshots
from workbench.errors import UsageError
from workbench.report import check_output_paths, write_outputs
from workbench.store.db import open_db, open_memory


def command(
    paths: tuple[Path, ...], outputs: tuple[Path, ...], run: str | None, label: str | None, allow_partial: bool
) -> None:
    """`workbench merge` (help: the declaration)."""
    items = list(paths)
    check_output_paths(list(outputs))
    if outputs:
        target_path, shard_paths = None, items
    else:
        if len(items) < 2:
            raise UsageError("usage: workbench merge OUT.db SHARD.db... (or -o merged.json SHARD...)")
        target_path, shard_paths = items[0], items[1:]
        if target_path.suffix.lower() == ".json":
            raise UsageError(f"{target_path}: the target is a database; to write JSON use -o {target_path}")
    resolved_target = target_path.resolve() if target_path else None
    if resolved_target and any(p.resolve() == resolved_target for p in shard_paths):
        raise UsageError(f"{target_path}: the target database is also a shard; write the merge to a new file")
    shards = [open_shard(p, run) for p in shard_paths]
    with shard_snapshots(shards):  # the check and the merge see each shard at one moment
        refuse_live_shards(shards)  # before the target database is made
        target = open_db(target_path) if target_path else open_memory()
        outcome = merge_runs(shards, target, label=label, allow_partial=allow_partial)
    if outcome.missing_shards:
        click.echo(f"warning: shards {', '.join(map(str, outcome.missing_shards))} missing", err=True)
    write_outputs(target, outcome.run_id, list(outputs))
    click.echo(outcome.summary() + (f" in {target_path}" if target_path else ""))
