"""The body of `workbench batch` (its flags and help: `workbench/cli/batch.py`)."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.run.batch_mode import BatchOptions, collect
from workbench.store.batches import list_batches
from workbench.store.db import open_db


def status_cmd(db: Path | None) -> None:
    """`workbench batch status_cmd` (help: the declaration)."""
    rows = list_batches(open_db(db, create=False))
    if not rows:
        click.echo("No batches.")
        return
    for b in rows:
        counts = " ".join(f"{k}={v}" for k, v in sorted(b.counts.items()))
        extra = f"  ({b.message})" if b.message else ""
        click.echo(f"{b.batch_id}  {b.provider_id}  {b.status}  {b.n_items} requests  {counts}  {b.updated_at}{extra}")


def collect_cmd(db: Path | None, poll_s: float, wait_s: float | None) -> None:
    """`workbench batch collect_cmd` (help: the declaration)."""
    database = open_db(db, create=False)
    still = collect(
        database,
        options=BatchOptions(poll_s=poll_s, wait_s=wait_s if wait_s is not None else 0.0),
        log=lambda line: click.echo(line, err=True),
    )
    if still:
        click.echo(f"{len(still)} batch(es) still running: {', '.join(still)}")
    else:
        click.echo("Every batch is collected; `workbench run --batch SUITE` grades them without calling again.")
