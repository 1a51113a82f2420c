"""`workbench batch status|collect`: provider batch jobs submitted by `workbench run --batch`."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.options import db_option
from workbench.run.batch_mode import BatchOptions, collect
from workbench.store.batches import list_batches
from workbench.store.db import open_db


@click.group("batch")
def command() -> None:
    """Provider batch jobs (`workbench run --batch`): list them, or collect finished ones."""


@command.command("status")
@db_option
def status_cmd(db: Path | None) -> None:
    """Every stored batch: provider, status, request counts."""
    rows = list_batches(open_db(db, create=False))
    if not rows:
        click.echo("No batches.")
        return
    for b in rows:
        counts = " ".join(f"{k}={v}" for k, v in sorted(b.counts.items()))
        extra = f"  ({b.message})" if b.message else ""
        click.echo(f"{b.batch_id}  {b.provider_id}  {b.status}  {b.n_items} requests  {counts}  {b.updated_at}{extra}")


@command.command("collect")
@db_option
@click.option(
    "--poll", "poll_s", type=click.FloatRange(min=0.01), default=30.0, show_default=True, help="Seconds between polls."
)
@click.option(
    "--wait", "wait_s", type=click.FloatRange(min=0), help="Give up after this many seconds [default: 0, one poll]."
)
def collect_cmd(db: Path | None, poll_s: float, wait_s: float | None) -> None:
    """Poll open batches and store the answers of finished ones; `workbench run --batch` then grades them."""
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
