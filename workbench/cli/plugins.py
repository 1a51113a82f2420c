"""`workbench plugins`: the installed plugins and what each registers (built-ins first)."""

from __future__ import annotations

import click

from workbench.cli.lazy_command import LazyCommand


@click.command("plugins", cls=LazyCommand, action="workbench.cli.actions.plugins:command")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per plugin.")
def command() -> None:
    """Plugins found in the `workbench.plugins` entry-point group, and the built-ins.

    Each line names a plugin, the distribution that installed it, and the provider factories,
    assertion types and compressors it registers. `WORKBENCH_LOAD_PLUGINS` limits which load.
    See docs/plugins.md.
    """
