"""`workbench models`: known models with $ per 1M tokens in/out and context window; local models."""

from __future__ import annotations

import click

from workbench.cli.lazy_command import LazyCommand


@click.command("models", cls=LazyCommand, action="workbench.cli.actions.models:command")
@click.argument("query", required=False)
@click.option(
    "--provider", "provider", metavar="NAME", help="Only models of this litellm provider (openai, anthropic, ...)."
)
@click.option("--priced", is_flag=True, help="Only models with a known price.")
@click.option("--all-modes", is_flag=True, help="Include embedding, image and audio models (default: chat only).")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="At most N rows (0: all).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
def command() -> None:
    """Known models (litellm's bundled price map, offline) and embedded local models.

    QUERY filters by substring of the model id. Prices are USD per 1M tokens; a model without
    a known price shows `unknown`. Use a model as `openai:gpt-4o-mini` or `openai/gpt-4o-mini`.
    """
