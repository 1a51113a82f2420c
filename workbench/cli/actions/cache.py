"""The body of `workbench cache` (its flags and help: `workbench/cli/cache.py`)."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.providers.response_cache import clear, stats
from workbench.store.db import open_db


def stats_cmd(db: Path | None) -> None:
    """`workbench cache stats_cmd` (help: the declaration)."""
    s = stats(open_db(db, create=False))
    click.echo(f"entries: {s['entries']}  hits: {s['hits']}  size: {s['bytes'] / 1024:.1f} KiB")
    for p in s["providers"]:
        click.echo(f"  {p['provider_id']}  {p['model'] or '-'}  entries: {p['entries']}  hits: {p['hits']}")


def clear_cmd(db: Path | None, provider: str | None, older_than: float | None) -> None:
    """`workbench cache clear_cmd` (help: the declaration)."""
    n = clear(open_db(db, create=False), provider=provider, older_than_s=older_than)
    click.echo(f"Deleted {n} cached response(s).")
