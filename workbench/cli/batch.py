"""`workbench batch status|collect`: provider batch jobs submitted by `workbench run --batch`."""

from __future__ import annotations

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import db_option


@click.group("batch")
def command() -> None:
    """Provider batch jobs (`workbench run --batch`): list them, or collect finished ones."""


@command.command("status", cls=LazyCommand, action="workbench.cli.actions.batch:status_cmd")
@db_option
def status_cmd() -> None:
    """Every stored batch: provider, status, request counts."""


@command.command("collect", cls=LazyCommand, action="workbench.cli.actions.batch:collect_cmd")
@db_option
@click.option(
    "--poll", "poll_s", type=click.FloatRange(min=0.01), default=30.0, show_default=True, help="Seconds between polls."
)
@click.option(
    "--wait", "wait_s", type=click.FloatRange(min=0), help="Give up after this many seconds [default: 0, one poll]."
)
def collect_cmd() -> None:
    """Poll open batches and store the answers of finished ones; `workbench run --batch` then grades them."""
