"""`workbench compare BASE HEAD`: what a change did, and whether it may ship (exit 100 when a gate trips)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import FiniteFloatRange, db_option, outputs_option


def gate_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The gate flags, shared by `compare` and `run --baseline`."""
    options = [
        click.option(
            "--fail-on-regression", is_flag=True, help="Gate: fail when any test passed in BASE and fails in HEAD."
        ),
        click.option(
            "--max-pass-rate-drop",
            type=FiniteFloatRange(min=0),
            metavar="PTS",
            help="Gate: fail when a pair's (or the overall) matched pass rate drops more than PTS percentage points.",
        ),
        click.option(
            "--max-new-guardrail-failures",
            type=click.IntRange(min=-1),
            default=0,
            show_default=True,
            metavar="N",
            help="Gate: fail when more than N tests newly fail a guardrail (-1: off).",
        ),
        click.option(
            "--max-cost-increase",
            type=FiniteFloatRange(min=0),
            metavar="PCT",
            help="Gate: fail when a pair's cost per request rises more than PCT percent.",
        ),
        click.option(
            "--max-prompt-token-growth",
            type=FiniteFloatRange(min=0),
            metavar="PCT",
            help="Gate (prompt bloat): fail when a pair's input tokens per request grow more than PCT percent.",
        ),
        click.option(
            "--significance",
            type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
            metavar="ALPHA",
            help="With --fail-on-regression: trip only on regressions significant at ALPHA (exact McNemar test"
            " on the flips, per pair and overall) [default: any flip trips].",
        ),
        click.option(
            "--missing",
            type=click.Choice(["fail", "ignore"]),
            default="fail",
            show_default=True,
            help="With --fail-on-regression: whether tests that passed in BASE and are missing in HEAD fail.",
        ),
        click.option(
            "--allow-empty",
            is_flag=True,
            help="Accept a comparison with no matched (test, pair) row (else exit 2 saying what did not match).",
        ),
        click.option(
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


@click.command("compare", cls=LazyCommand, action="workbench.cli.actions.compare:command")
@click.argument("base")
@click.argument("head")
@db_option
@gate_options
@outputs_option(
    "Write the report: .md (pull-request comment), .html (static, self-contained), .junit.xml, .json; repeatable."
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison and gate verdicts as JSON.")
def command() -> None:
    """Compare run BASE with run HEAD and gate on regressions.

    BASE and HEAD are run ids, run labels (e.g. `--label base` given to `workbench run`; a label
    over several suites compares each suite with its counterpart), or promptfoo-shaped JSON files
    (`workbench run -o x.json` or `promptfoo eval -o x.json`). Tests are matched by description +
    vars; a prompt version only in HEAD is compared with its predecessor. Tests that passed in BASE
    and are missing in HEAD fail the regression gate (--missing ignore). Exit codes: 0 no gate
    tripped, 100 a gate tripped (one `gate ...:` line each on stderr), 2 invalid input or nothing
    matched. When $GITHUB_STEP_SUMMARY is set, the Markdown report is appended to it.
    """
