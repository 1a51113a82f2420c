"""`workbench cache stats|clear`: inspect or clear the response cache in the results database."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.options import FiniteFloatRange
from workbench.providers.response_cache import clear, stats
from workbench.store.db import open_db

DB_OPTION = click.option(
    "--db", type=click.Path(path_type=Path), help="SQLite database [default: $WORKBENCH_DB or results/workbench.db]."
)


@click.group("cache")
def command() -> None:
    """Inspect or clear the response cache (the `cache` table of the results database)."""


@command.command("stats")
@DB_OPTION
def stats_cmd(db: Path | None) -> None:
    """Entries, hits and size, per provider and model."""
    s = stats(open_db(db, create=False))
    click.echo(f"entries: {s['entries']}  hits: {s['hits']}  size: {s['bytes'] / 1024:.1f} KiB")
    for p in s["providers"]:
        click.echo(f"  {p['provider_id']}  {p['model'] or '-'}  entries: {p['entries']}  hits: {p['hits']}")


@command.command("clear")
@DB_OPTION
@click.option("--provider", metavar="ID", help="Only entries of this provider id or model.")
@click.option("--older-than", type=FiniteFloatRange(min=0), metavar="SECONDS", help="Only entries older than this.")
def clear_cmd(db: Path | None, provider: str | None, older_than: float | None) -> None:
    """Delete cached responses (all, or one provider's, or the old ones)."""
    n = clear(open_db(db, create=False), provider=provider, older_than_s=older_than)
    click.echo(f"Deleted {n} cached response(s).")
