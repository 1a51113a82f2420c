"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

db_option = click.option(
    "--db", type=click.Path(path_type=Path), help="SQLite database [default: $WORKBENCH_DB or results/workbench.db]."
)


def outputs_option(help: str) -> Any:
    """`-o/--output FILE`, repeatable, into the `outputs` parameter; the format follows the suffix."""
    return click.option("-o", "--output", "outputs", multiple=True, type=click.Path(path_type=Path), help=help)
