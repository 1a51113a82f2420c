"""`workbench optimize FAMILY/VERSION --suite S`: the cheapest version of a prompt that still passes."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import db_option


@click.command("optimize", cls=LazyCommand, action="workbench.cli.actions.optimize:command")
@click.argument("target", metavar="FAMILY/VERSION")
@click.option(
    "--suite", "suite", required=True, type=click.Path(path_type=Path), help="The suite that defines 'still passes'."
)
@click.option(
    "--model",
    "models",
    multiple=True,
    metavar="ID",
    help="Provider(s) to verify on [default: the suite's]; repeatable.",
)
@click.option(
    "--target", "pass_rate", type=click.FloatRange(0, 1), help="Acceptance pass rate [default: the suite's, else 0.9]."
)
@click.option(
    "--max-cost",
    type=click.FloatRange(min=0),
    metavar="USD",
    help="Stop before the search could spend more (model + grader).",
)
@click.option(
    "--max-candidates",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    help="Candidates to evaluate at most.",
)
@click.option(
    "--significance",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    metavar="ALPHA",
    help="Accept a candidate unless an exact McNemar test calls its regression significant [default: no broken test].",
)
@click.option(
    "--rewriter",
    metavar="ID",
    help="A provider (a suite provider's id or label, or any id) that proposes a shorter rewrite of the best candidate.",
)
@click.option(
    "--compress",
    metavar="METHOD:RATE",
    help="Also try each remaining instruction unit compressed (e.g. llmlingua:0.7; facts kept by the fact guard).",
)
@click.option("--compressor-model", default="smollm2-135m", show_default=True, help="Model the compressor uses.")
@click.option("--requests-per-day", type=click.FloatRange(min=0), help="Volume for the $ saved per month.")
@click.option("--no-write", is_flag=True, help="Report the winner without writing the new version file.")
@click.option("-j", "--max-concurrency", type=click.IntRange(min=1), default=4, show_default=True)
@db_option
def command() -> None:
    """Search for a cheaper version of FAMILY/VERSION that holds the suite's acceptance.

    Removes instruction units one at a time (and, with --rewriter, asks a model for a shorter
    rewrite), verifying each candidate on the suite through the normal engine (cached, stored as
    runs). The winner is written as the next version file (prompts/FAMILY/vN+1.ext) with its
    provenance; nothing is overwritten. Exit 0 whether or not a cheaper version was found.
    """
