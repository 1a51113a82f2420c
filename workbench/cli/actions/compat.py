"""The body of `workbench compat` (its flags and help: `workbench/cli/compat.py`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from workbench.errors import UsageError
from workbench.run.compat_check import check_directory

EXIT_DISAGREE = 100
MAX_DIFFS_SHOWN = 5


def command(directory: Path, expected_name: str | None, tolerance: float) -> None:
    """`workbench compat` (help: the declaration)."""
    reports = check_directory(directory, expected_name, tolerance)
    if not reports:
        raise UsageError(f"{directory}: no promptfooconfig.yaml here or in its subdirectories")
    for r in reports:
        click.echo(f"{'ok  ' if r.ok else 'FAIL'} {r.summary()}")
        bad = [d for d in r.diffs if not d.accepted]
        for d in bad[:MAX_DIFFS_SHOWN]:
            click.echo(f"       test {d.test_index} prompt {d.prompt_index}: {'; '.join(d.problems)}")
        if len(bad) > MAX_DIFFS_SHOWN:
            click.echo(f"       ... {len(bad) - MAX_DIFFS_SHOWN} more rows differ")
    rows = sum(r.rows for r in reports)
    agree = sum(r.agree for r in reports)
    accepted = sum(r.accepted for r in reports)
    failed = [r for r in reports if not r.ok]
    pct = 100.0 * (agree + accepted) / rows if rows else 0.0
    click.echo(
        f"compat: {agree}/{rows} rows agree, {accepted} accepted differences, "
        f"{len(reports) - len(failed)}/{len(reports)} cases ok ({pct:.1f}%)"
    )
    sys.exit(EXIT_DISAGREE if failed else 0)
