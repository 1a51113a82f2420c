"""Options shared by several commands."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

db_option = click.option(
    "--db", type=click.Path(path_type=Path), help="SQLite database [default: $WORKBENCH_DB or results/workbench.db]."
)


def outputs_option(help: str) -> Any:
    """`-o/--output FILE`, repeatable, into the `outputs` parameter; the format follows the suffix."""
    return click.option("-o", "--output", "outputs", multiple=True, type=click.Path(path_type=Path), help=help)


class FiniteFloatRange(click.FloatRange):
    """click's FloatRange that also refuses nan and ±inf (a comparison with nan is always false,
    so `FloatRange(min=0)` alone lets `--max-cost nan` through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        rv = super().convert(value, param, ctx)
        if isinstance(rv, float) and not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return rv


FINITE_FLOAT = FiniteFloatRange()
