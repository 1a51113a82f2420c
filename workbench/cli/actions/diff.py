"""The body of `workbench diff` (its flags and help: `workbench/cli/diff.py`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from workbench.analysis.diff import VersionDiff, changed_excerpts, diff_versions
from workbench.format import fmt_cost, fmt_rate
from workbench.store.db import open_db


def command(
    family: str, v1: str, v2: str, run: str | None, prompts_dir: Path, flip_limit: int, as_json: bool, db: Path | None
) -> None:
    """`workbench diff` (help: the declaration)."""
    database = open_db(db, create=False)
    result = diff_versions(database, family, v1, v2, run_id=run, prompts_dir=prompts_dir, flip_limit=flip_limit)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    render(result)


def _signed(value: float | None, fmt: str = "{:+.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def _excerpt(text: str | None, width: int = 160) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def render(d: VersionDiff) -> None:
    import sys

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if d.unified:
        click.echo(d.unified, nl=False)
    else:
        click.echo(f"{d.family}/{d.v1.version} and {d.family}/{d.v2.version}: identical text")
    pct = f", {d.token_delta / d.v1.tokens:+.1%}" if d.v1.tokens else ""
    click.echo(f"Tokens: {d.v1.version} {d.v1.tokens}, {d.v2.version} {d.v2.tokens} ({d.token_delta:+d}{pct})")
    if d.run_id is None or not d.deltas:
        click.echo("No run includes both versions: run a suite with both to see result deltas.")
        return
    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False, soft_wrap=True)
    table = Table(title=f"Results in run {d.run_id}: {d.v1.version} -> {d.v2.version}")
    for col in (
        "variant",
        "model",
        "pass rate",
        "Δ pass",
        "Δ score",
        "Δ tokens in",
        "Δ tokens out",
        "Δ $/request",
        "Δ guardrail",
    ):
        table.add_column(col, justify="left" if col in ("variant", "model") else "right")
    for x in d.deltas:
        before = fmt_rate(x.before.pass_rate) if x.before else "-"
        after = fmt_rate(x.after.pass_rate) if x.after else "-"
        cost = x.cost
        table.add_row(
            escape(x.variant),
            escape(x.model),
            f"{before} -> {after}",
            _signed(None if x.pass_rate is None else x.pass_rate * 100, "{:+.1f} pt"),
            _signed(x.score, "{:+.2f}"),
            _signed(x.tokens_in),
            _signed(x.tokens_out),
            "-" if cost is None else ("+" if cost >= 0 else "-") + fmt_cost(abs(cost)),
            _signed(x.guardrail_failures),
        )
    console.print(table)
    click.echo(f"Flipped tests: {d.broke} broke, {d.fixed} fixed")
    for f in d.flips:
        name = f.description or json.dumps(f.vars, ensure_ascii=False)
        click.echo(
            f"  {f.direction:<5} test {f.test_idx} {_excerpt(name, 80)} · {f.variant} · {f.model} (repeat {f.repeat})"
        )
        before, after = changed_excerpts(f.before_output, f.after_output)  # the part that changed
        click.echo(f"    {d.v1.version}: {before}")
        click.echo(f"    {d.v2.version}: {after}")
    if d.flips_total > len(d.flips):
        click.echo(f"  … {d.flips_total - len(d.flips)} more (use --flips N or --json)")
