"""Options shared by several commands."""

from __future__ import annotations

import math
from collections.abc import Callable
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


class GroupedOption(click.Option):
    """An option whose value reaches the action inside one parameter, `group`, with the group's
    other options: `build` ("module:function", imported when the command runs) is called with
    them by name and its result is the parameter (lazy_command.fold_option_groups)."""

    def __init__(self, *args: Any, group: str, build: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = group
        self.build = build


GATE_CONFIG = "workbench.cli.actions.compare:gate_config"


def gate_option(*decls: str, **attrs: Any) -> Any:
    """One gate flag: the action receives them all as one `gates: ci.gates.GateConfig`."""
    return click.option(*decls, cls=GroupedOption, group="gates", build=GATE_CONFIG, **attrs)


def gate_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The gate flags, shared by `compare` and `run --baseline`."""
    options = [
        gate_option(
            "--fail-on-regression", is_flag=True, help="Gate: fail when any test passed in BASE and fails in HEAD."
        ),
        gate_option(
            "--max-pass-rate-drop",
            type=FiniteFloatRange(min=0),
            metavar="PTS",
            help="Gate: fail when a pair's (or the overall) matched pass rate drops more than PTS percentage points.",
        ),
        gate_option(
            "--max-new-guardrail-failures",
            type=click.IntRange(min=-1),
            default=0,
            show_default=True,
            metavar="N",
            help="Gate: fail when more than N tests newly fail a guardrail (-1: off).",
        ),
        gate_option(
            "--max-cost-increase",
            type=FiniteFloatRange(min=0),
            metavar="PCT",
            help="Gate: fail when a pair's cost per request rises more than PCT percent.",
        ),
        gate_option(
            "--max-prompt-token-growth",
            type=FiniteFloatRange(min=0),
            metavar="PCT",
            help="Gate (prompt bloat): fail when a pair's input tokens per request grow more than PCT percent.",
        ),
        gate_option(
            "--significance",
            type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
            metavar="ALPHA",
            help="With --fail-on-regression: trip only on regressions significant at ALPHA (exact McNemar test"
            " on the flips, per pair and overall) [default: any flip trips].",
        ),
        gate_option(
            "--missing",
            type=click.Choice(["fail", "ignore"]),
            default="fail",
            show_default=True,
            help="With --fail-on-regression: whether tests that passed in BASE and are missing in HEAD fail.",
        ),
        gate_option(
            "--allow-empty",
            is_flag=True,
            help="Accept a comparison with no matched (test, pair) row (else exit 2 saying what did not match).",
        ),
        gate_option(
            "--predecessor",
            "predecessors",
            multiple=True,
            metavar="FAMILY/NEW=OLD",
            help="Compare new version NEW of FAMILY with OLD [default: the previous version BASE has]; repeatable.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f
