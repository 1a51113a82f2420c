"""The body of `workbench ui` (its flags and help: `workbench/cli/ui.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from workbench.cli.ui import port_problem, streamlit_command
from workbench.store.db_path import default_db_path


def command(db: Path | None, port: int, host: str) -> None:
    """`workbench ui` (help: the declaration)."""
    problem = port_problem(host, port)
    if problem:  # one line, before the success line (Streamlit would print it, then fail)
        raise click.UsageError(problem)
    env = dict(os.environ)
    path = (db or default_db_path()).resolve()
    env["WORKBENCH_DB"] = str(path)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    click.echo(f"workbench UI on http://{host}:{port} (database {path}); Ctrl-C to stop.", err=True)
    cmd = streamlit_command(host, port)
    if os.name == "posix":
        # Become the server process: signals (Ctrl-C, SIGTERM from a supervisor) reach it directly
        # and no orphaned child is left behind.
        sys.stderr.flush()
        os.execve(cmd[0], cmd, env)
    try:
        code = subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
