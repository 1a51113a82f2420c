"""The body of `workbench failures` (its flags and help: `workbench/cli/failures.py`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from workbench.routing.clusters import FailureReport, failure_clusters
from workbench.store.db import open_db


def command(
    run: str | None,
    family: str | None,
    version: str | None,
    model: str | None,
    max_k: int,
    as_json: bool,
    db: Path | None,
) -> None:
    """`workbench failures` (help: the declaration)."""
    report = failure_clusters(
        open_db(db, create=False), run=run, family=family, version=version, model=model, max_k=max_k
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(render(report))


def render(report: FailureReport, width: int = 100) -> str:
    runs = ", ".join(map(str, report.run_ids))
    head = f"{report.failures} failing of {report.results} results (runs {runs})"
    if not report.clusters:
        return head + ": nothing to cluster."
    sil = f", silhouette {report.silhouette:.2f}" if report.silhouette is not None else ""
    lines = [f"{head}: {len(report.clusters)} failure mode(s), {report.method}{sil}.", ""]
    for c in report.clusters:
        terms = ", ".join(c.terms) if c.terms else "(identical failures)"
        lines.append(f"#{c.id}  {c.size} failure(s)  [{terms}]")
        for group, n in c.by_group.items():
            lines.append(f"      {n:>4}  {group}")
        ex = c.example
        lines.append(f"      e.g. run {ex.run_id} test {ex.test_idx} ({ex.pair}):")
        if ex.reason:
            lines.append(f"        reason: {_clip(ex.reason, width)}")
        lines.append(f"        output: {_clip(ex.output, width)}")
        lines.append("")
    return "\n".join(lines).rstrip()


def _clip(text: str, width: int) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"
