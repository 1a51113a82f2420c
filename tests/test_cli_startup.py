"""Every command's help is served by its light declaration; its body is imported only when it runs.

`workbench COMMAND --help` must not import the library (it did: 0.36 s instead of 0.07 s for
`run --help`); the declared flags and the action function's parameters must match, or the
command would fail only when run.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from workbench.cli.lazy_command import LazyCommand, action_function, action_parameters
from workbench.cli.main import COMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent

# What `workbench --help` itself loads (the entry point and the signal handling); a command's help
# may add its own declaration module, the shared option modules and nothing else of workbench's.
LIGHT = {"workbench.store", "workbench.store.lean_import"}  # lazy_command's: stdlib only
PROBE = """
import json, sys
from workbench.cli.main import cli
try:
    cli.main(sys.argv[1:], prog_name="workbench", standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m == "workbench" or m.startswith("workbench."))))
"""


def loaded_modules(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def lazy_commands() -> list[tuple[str, LazyCommand]]:
    """(path, command) for every leaf command, through the groups."""
    ctx = click.Context(cli)
    out: list[tuple[str, LazyCommand]] = []
    todo: list[tuple[str, click.Command]] = [(n, c) for n in COMMANDS if (c := cli.get_command(ctx, n)) is not None]
    while todo:
        path, cmd = todo.pop()
        if isinstance(cmd, click.Group):
            todo.extend((f"{path} {n}", c) for n, c in cmd.commands.items())
        else:
            assert isinstance(cmd, LazyCommand), f"{path}: declare it with cls=LazyCommand"
            out.append((path, cmd))
    return sorted(out, key=lambda item: item[0])


def test_top_level_help_imports_no_command_module() -> None:
    base = loaded_modules("--help")
    assert not {m for m in base if m.startswith("workbench.cli.") and m != "workbench.cli.main"}
    assert "sqlite_utils" not in base


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_help_imports_only_declarations(name: str) -> None:
    base = loaded_modules("--help")
    loaded = loaded_modules(name, "--help")
    extra = loaded - base
    assert extra, f"{name} --help loaded nothing: the probe is broken"
    heavy = {m for m in extra if not m.startswith("workbench.cli.") or m.startswith("workbench.cli.actions")}
    assert heavy <= LIGHT, sorted(heavy - LIGHT)


def test_every_action_takes_the_declared_parameters() -> None:
    commands = lazy_commands()
    assert len(commands) >= len(COMMANDS)
    for path, cmd in commands:
        fn = action_function(cmd.action)
        params = inspect.signature(fn).parameters
        declared = action_parameters(cmd)
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            named = {n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_KEYWORD}
            assert named <= declared, path
        else:
            assert set(params) == declared, path


def test_a_lazy_command_runs_its_action() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "cache", "stats", "--db", str(ROOT / "no-such.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # the action ran (opened the database, refused the missing file with one line, exit 2)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("Error: ") and "no-such.db" in done.stderr and len(done.stderr.splitlines()) == 1


def test_grouped_options_reach_the_action_as_one_built_value() -> None:
    from workbench.ci.gates import GateConfig
    from workbench.cli.compare import command as compare
    from workbench.cli.lazy_command import fold_option_groups

    ctx = compare.make_context(
        "compare", ["a", "b", "--max-new-guardrail-failures", "-1", "--fail-on-regression", "--predecessor", "f/v2=v1"]
    )
    values = dict(ctx.params)
    fold_option_groups(compare.params, values)
    assert set(values) == {"base", "head", "db", "gates", "outputs", "as_json"}
    assert values["gates"] == GateConfig(
        fail_on_regression=True, max_new_guardrail_failures=None, predecessors=("f/v2=v1",)
    )
