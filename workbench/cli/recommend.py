"""`workbench recommend`: the cheapest acceptable prompt/variant/model pair, and why."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import FiniteFloatRange, db_option


@click.command("recommend", cls=LazyCommand, action="workbench.cli.actions.recommend:command")
@click.option("--run", "run", help="Run id or label [default: the newest run, or the newest run of --suite].")
@click.option("--suite", type=click.Path(path_type=Path), help="Use the newest run of this suite (and its defaults).")
@click.option(
    "--min-pass-rate",
    type=FiniteFloatRange(0, 1),
    help="Acceptance target [default: the suite's workbench.acceptance, else 0.9].",
)
@click.option(
    "--allow-guardrail-failures/--no-allow-guardrail-failures",
    default=None,
    help="Accept pairs with guardrail failures [default: no].",
)
@click.option("--allow-errors/--no-allow-errors", default=None, help="Accept pairs with errors [default: no].")
@click.option("--requests-per-day", type=FiniteFloatRange(min=0), help="Project monthly cost at this volume.")
@click.option(
    "--cache-hit-rate",
    type=FiniteFloatRange(0, 1),
    help="Production cache hit rate for the projection's 'with cache' figure [default: none; the eval's own"
    " hit rate is shown as information only].",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@db_option
def command() -> None:
    """Recommend the cheapest acceptable (prompt version, variant, model) pair of a run.

    Acceptable = pass rate at or above the target, no guardrail failures and no errors (each
    configurable here or in the suite's `workbench: acceptance:` block). Shows the runner-up,
    whether the pick is clearly better (95 % Wilson intervals), the cost/pass-rate Pareto
    frontier, the excluded pairs with reasons, and monthly projections.
    """
