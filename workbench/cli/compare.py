"""`workbench compare BASE HEAD`: what a change did, and whether it may ship (exit 100 when a gate trips)."""

from __future__ import annotations

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import db_option, gate_options, outputs_option


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
