"""The body of `workbench optimize` (its flags and help: `workbench/cli/optimize.py`)."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.optimize.optimize_command import OptimizeRequest, format_result, optimize


def command(
    target: str,
    suite: Path,
    models: tuple[str, ...],
    pass_rate: float | None,
    max_cost: float | None,
    max_candidates: int,
    significance: float | None,
    rewriter: str | None,
    compress: str | None,
    compressor_model: str,
    requests_per_day: float | None,
    no_write: bool,
    max_concurrency: int,
    db: Path | None,
) -> None:
    """`workbench optimize` (help: the declaration)."""
    request = OptimizeRequest(
        target=target,
        suite=suite,
        models=list(models),
        pass_rate=pass_rate,
        max_cost=max_cost,
        max_candidates=max_candidates,
        significance=significance,
        rewriter=rewriter,
        compress=compress,
        compressor_model=compressor_model,
        requests_per_day=requests_per_day,
        db=db,
        write=not no_write,
        max_concurrency=max_concurrency,
    )
    result = optimize(request, log=lambda line: click.echo(line, err=True))
    click.echo(format_result(result))
