"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

db_option = click.option(
    "--db", type=click.Path(path_type=Path), help="SQLite database [default: $WORKBENCH_DB or results/workbench.db]."
)
