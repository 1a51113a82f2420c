"""`workbench diff`: what changed between two versions of a prompt family."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import db_option


@click.command("diff", cls=LazyCommand, action="workbench.cli.actions.diff:command")
@click.argument("family")
@click.argument("v1")
@click.argument("v2")
@click.option("--run", "run", help="Run id or label holding both versions [default: the newest such run].")
@click.option(
    "--prompts-dir",
    type=click.Path(path_type=Path),
    default=Path("prompts"),
    show_default=True,
    help="Where to find versions not stored in the database.",
)
@click.option("--flips", "flip_limit", default=20, show_default=True, help="How many flipped tests to show.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@db_option
def command() -> None:
    """Diff versions V1 and V2 of prompt FAMILY: unified text diff with token counts, and from a
    run that includes both, the per model/variant deltas and the tests that flipped."""
