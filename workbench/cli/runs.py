"""`workbench runs`: list runs, or show one run's summary."""

from __future__ import annotations

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import db_option


@click.command("runs", cls=LazyCommand, action="workbench.cli.actions.runs:command")
@click.argument("run", required=False)
@db_option
@click.option("--suite", help="Only runs whose suite path contains this.")
@click.option("-n", "--limit", default=20, show_default=True, help="How many runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def command() -> None:
    """List runs (newest first), or show RUN (an id or label) in detail."""
