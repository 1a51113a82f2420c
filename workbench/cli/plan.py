"""`workbench plan SUITE`: how many tests x repeats a verdict needs, and what they cost (no calls)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import db_option

PLAN_OPTIONS = (
    click.option(
        "--drop",
        type=click.FloatRange(min=0, max=100, min_open=True),
        default=10.0,
        show_default=True,
        metavar="PTS",
        help="The pass-rate drop to detect, in percentage points.",
    ),
    click.option("--power", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.8, show_default=True),
    click.option(
        "--alpha",
        type=click.FloatRange(0, 1, min_open=True, max_open=True),
        default=0.05,
        show_default=True,
        help="Two-sided significance level.",
    ),
    click.option(
        "--baseline-rate",
        type=click.FloatRange(0, 1, min_open=True),
        help="The pass rate before the drop [default: the newest stored run of the suite, else 0.9].",
    ),
    click.option(
        "--icc",
        type=click.FloatRange(0, 1),
        help="How much repeats of one test agree (0 independent, 1 identical) [default: measured on the newest"
        " stored run with repeats, else 1].",
    ),
)


def plan_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--drop, --power, --alpha, --baseline-rate, --icc: shared by `plan` and `run --plan`."""
    for option in reversed(PLAN_OPTIONS):
        f = option(f)
    return f


@click.command("plan", cls=LazyCommand, action="workbench.cli.actions.plan:command")
@click.argument("suite", type=click.Path(path_type=Path))
@db_option
@plan_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def command() -> None:
    """How many tests x repeats SUITE needs to detect a pass-rate drop, and what that costs.

    The samples per pair and side for a two-sided two-proportion test at --alpha with --power,
    turned into tests x repeats with the correlation of repeats (--icc), priced with the dry-run
    estimate. No calls are made and nothing is written.
    """
