"""`LazyCommand`: a click command declared light, whose body is imported only when it runs.

A command module (`cli/<command>.py`) declares the command's name, arguments, options and help
with click alone; its body lives in `cli/actions/<command>.py`, which imports the library. Help
(`workbench run --help`) needs only the declaration, so it costs click's import, not the library's.

    @click.command("run", cls=LazyCommand, action="workbench.cli.actions.run:run")
    @click.option(...)
    def command() -> None:
        '''The help text.'''

The action function takes the command's parameters by name (tests/test_cli_startup.py checks
that they match), except that options declared as `options.GroupedOption` arrive together as one
parameter named after their group, built by the group's function (e.g. the nine gate flags of
`compare` and `run` arrive as `gates: GateConfig`).
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable
from typing import Any

import click

from workbench.cli import process_exit
from workbench.cli.options import GroupedOption
from workbench.store.lean_import import import_sqlite_utils_lean


def action_function(action: str) -> Callable[..., Any]:
    """`"package.module:function"` -> the function (its module imported now)."""
    module_name, _, function = action.partition(":")
    import_sqlite_utils_lean()  # before the library imports sqlite_utils: no pandas/numpy probe
    fn = getattr(importlib.import_module(module_name), function)
    if not callable(fn):
        raise TypeError(f"{action}: not a function")
    return fn


def fold_option_groups(params: list[click.Parameter], values: dict[str, Any]) -> None:
    """Replace the values of each group's `GroupedOption`s by the group's built value."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for p in params:
        if isinstance(p, GroupedOption) and p.name in values:
            groups.setdefault((p.group, p.build), {})[p.name] = values.pop(p.name)
    for (group, build), flags in groups.items():
        values[group] = action_function(build)(**flags)


def action_parameters(command: click.Command) -> set[str]:
    """The parameter names the command's action takes: its options', each group's as one."""
    return {p.group if isinstance(p, GroupedOption) else p.name for p in command.params if p.name}


class LazyCommand(click.Command):
    """A click command whose callback is `action` ("module:function"), imported when it runs."""

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action

    def invoke(self, ctx: click.Context) -> Any:
        self.callback = action_function(self.action)
        fold_option_groups(self.params, ctx.params)
        # What is imported by now lives as long as the process: the collector need not walk it
        # again (every full collection would; this halves the collector's time during a run).
        # Only in the program itself: a test process invoking commands keeps its collector as is.
        if process_exit.is_program():
            gc.freeze()
        return super().invoke(ctx)
