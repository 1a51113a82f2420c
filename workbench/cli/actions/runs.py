"""The body of `workbench runs` (its flags and help: `workbench/cli/runs.py`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from workbench.analysis.trend import list_run_summaries
from workbench.format import fmt_rate, fmt_spend
from workbench.report.summary import print_summary
from workbench.store.db import open_db
from workbench.store.queries import resolve_run

PIPED_WIDTH = 1000


def command(run: str | None, db: Path | None, suite: str | None, limit: int, as_json: bool) -> None:
    """`workbench runs` (help: the declaration)."""
    from rich.console import Console
    from rich.table import Table

    database = open_db(db, create=False)
    if run is not None:
        print_summary(database, resolve_run(database, run))
        return
    runs = list_run_summaries(database, limit=limit, suite=suite)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in runs], indent=2))
        return
    if not runs:
        click.echo("No runs yet. Start with: workbench run suites/ticket_summary.yaml")
        return
    table = Table(
        "id",
        "label",
        "suite",
        "started",
        "status",
        "results",
        "pass rate",
        "errors",
        "tokens in/out",
        "cost (model + grading)",
    )
    for r in runs:
        table.add_row(
            str(r.id),
            r.label or "",
            r.suite,
            (r.started_at or "")[:19].replace("T", " "),
            r.status or "",
            str(r.results),
            fmt_rate(r.pass_rate),
            str(r.errors),
            f"{r.tokens_in}/{r.tokens_out}",
            fmt_spend(r.cost, r.grader_cost),
        )
    # Piped or redirected: never squeeze the table to 80 columns (rich's default off a terminal).
    Console(width=None if sys.stdout.isatty() else PIPED_WIDTH).print(table)
