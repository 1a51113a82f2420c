"""`workbench compat DIR`: run a directory of promptfoo configs and report agreement with promptfoo.

For users migrating from promptfoo: each case is a directory holding `promptfooconfig.yaml` and
promptfoo's stored output (`promptfoo eval -o oracle.json`, or the corpus' normalized
`expected.json`). The work is `workbench.run.compat_check.check_directory`; this module only renders.
"""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import FiniteFloatRange


@click.command("compat", cls=LazyCommand, action="workbench.cli.actions.compat:command")
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--expected",
    "expected_name",
    metavar="NAME",
    help="File holding promptfoo's output in each case [default: expected.json, else oracle.json, else output.json].",
)
@click.option("--tolerance", type=FiniteFloatRange(min=0), default=1e-6, show_default=True, help="Score tolerance.")
def command() -> None:
    """Run every promptfoo config under DIRECTORY and compare with promptfoo's stored verdicts.

    A case is DIRECTORY itself or each subdirectory with a promptfooconfig.yaml. A row agrees when
    pass, score, the error flag and every assertion's (type, pass, score) match. Exit 0 when all
    rows agree (accepted differences allowed), 100 when any row disagrees.
    """
