"""The body of `workbench plugins` (its flags and help: `workbench/cli/plugins.py`)."""

from __future__ import annotations

import dataclasses
import json

import click

from workbench.run.plugin_list import installed


def command(as_json: bool) -> None:
    """`workbench plugins` (help: the declaration)."""
    entries = installed()
    if as_json:
        for e in entries:
            click.echo(json.dumps(dataclasses.asdict(e)))
        return
    for e in entries:
        head = e.name if e.dist is None else f"{e.name} ({e.dist})"
        click.echo(head)
        for label, names in (("providers", e.providers), ("assertions", e.assertions), ("compressors", e.compressors)):
            if names:
                shown = names if e.dist is not None or len(names) <= 8 else [*names[:8], f"... {len(names) - 8} more"]
                click.echo(f"  {label}: {', '.join(shown)}")
    if len(entries) == 1:
        click.echo("no outside plugins installed (entry-point group workbench.plugins; see docs/plugins.md)")
