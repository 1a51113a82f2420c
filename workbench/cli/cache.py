"""`workbench cache stats|clear`: inspect or clear the response cache in the results database."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import FiniteFloatRange

DB_OPTION = click.option(
    "--db", type=click.Path(path_type=Path), help="SQLite database [default: $WORKBENCH_DB or results/workbench.db]."
)


@click.group("cache")
def command() -> None:
    """Inspect or clear the response cache (the `cache` table of the results database)."""


@command.command("stats", cls=LazyCommand, action="workbench.cli.actions.cache:stats_cmd")
@DB_OPTION
def stats_cmd() -> None:
    """Entries, hits and size, per provider and model."""


@command.command("clear", cls=LazyCommand, action="workbench.cli.actions.cache:clear_cmd")
@DB_OPTION
@click.option("--provider", metavar="ID", help="Only entries of this provider id or model.")
@click.option("--older-than", type=FiniteFloatRange(min=0), metavar="SECONDS", help="Only entries older than this.")
def clear_cmd() -> None:
    """Delete cached responses (all, or one provider's, or the old ones)."""
