"""`workbench failures`: failing results clustered into failure modes, per prompt version, variant and model."""

from __future__ import annotations

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import db_option


@click.command("failures", cls=LazyCommand, action="workbench.cli.actions.failures:command")
@click.option("--run", "run", help="Run id or label [default: the newest run; with --family/--version: all runs].")
@click.option("--family", help="Prompt family (with --version).")
@click.option("--version", "version", help="Prompt version (with --family).")
@click.option("--model", help="Only this model (provider label).")
@click.option("--max-k", type=click.IntRange(2, 30), default=8, show_default=True, help="Most clusters to try.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@db_option
def command() -> None:
    """Cluster failing results (their assertion reasons, errors and outputs) into failure modes.

    TF-IDF + k-means, k chosen by silhouette; each cluster shows its top terms, the most typical
    failure and how many failures each prompt version and model contributed.
    """
