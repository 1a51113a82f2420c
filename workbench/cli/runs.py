"""`workbench runs`: list runs, or show one run's summary."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("runs")
@click.argument("run", required=False)
@click.option(
    "--db", type=click.Path(path_type=Path), help="SQLite database [default: $WORKBENCH_DB or results/workbench.db]."
)
@click.option("--suite", help="Only runs whose suite path contains this.")
@click.option("-n", "--limit", default=20, show_default=True, help="How many runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def command(run: str | None, db: Path | None, suite: str | None, limit: int, as_json: bool) -> None:
    """List runs (newest first), or show RUN (an id or label) in detail."""
    from rich.console import Console
    from rich.table import Table

    from workbench.format import fmt_cost, fmt_rate
    from workbench.runs import find_run, list_runs
    from workbench.store.db import open_db

    database = open_db(db, create=False)
    if run is not None:
        from workbench.report.summary import print_summary

        print_summary(database, find_run(database, run))
        return
    rows = list_runs(database, suite=suite, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No runs yet. Start with: workbench run suites/ticket_summary.yaml")
        return
    table = Table(
        "id", "label", "suite", "started", "status", "results", "pass rate", "errors", "tokens in/out", "cost"
    )
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["label"] or "",
            Path(r["suite_path"] or "").name,
            (r["started_at"] or "")[:19].replace("T", " "),
            r["status"] or "",
            str(r["results"] or 0),
            fmt_rate(r["pass_rate"]),
            str(r["errors"] or 0),
            f"{r['tokens_in'] or 0}/{r['tokens_out'] or 0}",
            fmt_cost(r["cost"]),
        )
    Console().print(table)
