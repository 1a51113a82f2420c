"""The body of `workbench plan` (its flags and help: `workbench/cli/plan.py`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from workbench.errors import StoreError, UsageError
from workbench.run.suite_plan import plan_suite
from workbench.store.db import open_db
from workbench.suite import load


def print_plan(
    suite_path: Path,
    db: Path | None,
    drop: float,
    power: float,
    alpha: float,
    baseline_rate: float | None,
    icc: float | None,
    as_json: bool = False,
) -> None:
    suite = load(suite_path)
    if baseline_rate is not None and drop / 100 > baseline_rate:
        raise UsageError(f"--drop {drop:g}: larger than the baseline pass rate {baseline_rate:.0%}")
    try:
        database = open_db(db, create=False)
    except StoreError:
        database = None  # no history: the planner assumes
    plan = plan_suite(suite, database, drop=drop / 100, alpha=alpha, power=power, baseline_rate=baseline_rate, icc=icc)
    if as_json:
        click.echo(json.dumps(plan.to_dict(), indent=2))
    else:
        click.echo("\n".join(plan.lines()))


def command(suite: Path, db: Path | None, as_json: bool, **opts: float | None) -> None:
    """`workbench plan` (help: the declaration)."""
    print_plan(
        suite,
        db,
        float(opts["drop"] or 10.0),
        float(opts["power"] or 0.8),
        float(opts["alpha"] or 0.05),
        opts["baseline_rate"],
        opts["icc"],
        as_json,
    )
