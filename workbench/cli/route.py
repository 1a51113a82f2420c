"""`workbench route`: train, evaluate, list and apply a cheap/strong cost router."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import FiniteFloatRange

DB_HELP = "SQLite database [default: $WORKBENCH_DB or results/workbench.db]."


@click.group("route")
def command() -> None:
    """Train, evaluate and apply a cost router: send each input to the cheap model unless it is
    predicted to fail there.

    The router is a scikit-learn classifier (TF-IDF of the rendered prompt + token and var
    features -> logistic regression, calibrated) trained on stored results. Routers are stored
    in the database as pickled artifacts: only load databases you trust.
    """


@command.command("train", cls=LazyCommand, action="workbench.cli.actions.route:train")
@click.option("--suite", type=click.Path(path_type=Path), help="Learn from every run of this suite.")
@click.option("--runs", "runs", multiple=True, help="Run ids or labels (repeatable, or comma-separated).")
@click.option("--cheap", help="The cheap model (provider label as stored in results).")
@click.option("--strong", help="The strong model (provider label as stored in results).")
@click.option(
    "--models",
    help="Instead of --cheap/--strong: two or more models, comma-separated (a cascade: each input goes to the"
    " cheapest model predicted to pass; ordered by measured cost).",
)
@click.option("--name", help="Router name [default: CHEAP->STRONG]; training a name again adds a new version.")
@click.option("--min-pass-rate", type=FiniteFloatRange(0, 1), default=0.9, show_default=True, help="Acceptance target.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the CV split and the bootstrap.")
@click.option(
    "--nested-seeds",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Fold assignments of the nested cross-validation whose outer folds give the reported figures.",
)
@click.option("--db", type=click.Path(path_type=Path), help=DB_HELP)
def train() -> None:
    """Train a router on stored results (all runs of --suite, or --runs, or the latest run)."""


@command.command("eval", cls=LazyCommand, action="workbench.cli.actions.route:eval_")
@click.option("--name", help="Router name [default: the newest router].")
@click.option("--id", "router_id", type=int, help="A specific router version (id from `workbench route list`).")
@click.option(
    "--requests-per-day", type=FiniteFloatRange(min=0), default=1000, show_default=True, help="Volume to project."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output: summary and full evaluation.")
@click.option("--db", type=click.Path(path_type=Path), help=DB_HELP)
def eval_() -> None:
    """Show a router's cross-validated evaluation: threshold curve, PGR, random baseline, oracle,
    and single model vs routed in $ per month."""


@command.command("predict", cls=LazyCommand, action="workbench.cli.actions.route:predict_")
@click.option("--name", help="Router name [default: the newest router].")
@click.option("--id", "router_id", type=int, help="A specific router version.")
@click.option(
    "--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read the input here."
)
@click.option("--vars", "vars_json", help='The test vars as a JSON object, e.g. \'{"ticket": "..."}\'.')
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--db", type=click.Path(path_type=Path), help=DB_HELP)
@click.argument("text", required=False)
def predict_() -> None:
    """Which model to call for TEXT (the rendered prompt), and P(cheap model passes)."""


@command.command("list", cls=LazyCommand, action="workbench.cli.actions.route:list_")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--db", type=click.Path(path_type=Path), help=DB_HELP)
def list_() -> None:
    """List stored routers (newest first)."""
