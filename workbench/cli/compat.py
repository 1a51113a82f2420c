"""`workbench compat DIR`: run a directory of promptfoo configs and report agreement with promptfoo.

For users migrating from promptfoo: each case is a directory holding `promptfooconfig.yaml` and
promptfoo's stored output (`promptfoo eval -o oracle.json`, or the corpus' normalized
`expected.json`). The work is `workbench.run.compat_check.check_directory`; this module only renders.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from workbench.cli.options import FINITE_FLOAT
from workbench.errors import UsageError
from workbench.run.compat_check import check_directory

EXIT_DISAGREE = 100
MAX_DIFFS_SHOWN = 5


@click.command("compat")
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--expected",
    "expected_name",
    metavar="NAME",
    help="File holding promptfoo's output in each case [default: expected.json, else oracle.json, else output.json].",
)
@click.option("--tolerance", type=FINITE_FLOAT, default=1e-6, show_default=True, help="Score tolerance.")
def command(directory: Path, expected_name: str | None, tolerance: float) -> None:
    """Run every promptfoo config under DIRECTORY and compare with promptfoo's stored verdicts.

    A case is DIRECTORY itself or each subdirectory with a promptfooconfig.yaml. A row agrees when
    pass, score, the error flag and every assertion's (type, pass, score) match. Exit 0 when all
    rows agree (accepted differences allowed), 100 when any row disagrees.
    """
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
