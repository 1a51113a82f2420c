"""`workbench ui`: serve the Streamlit UI on 127.0.0.1 (never 0.0.0.0 unless asked) with usage stats off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from workbench.cli.options import db_option

APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"


def streamlit_command(host: str, port: int) -> list[str]:
    """The `streamlit run` command line `workbench ui` executes."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


@click.command("ui")
@db_option
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="Port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. The UI has no authentication: keep it on loopback unless you know why.",
)
def command(db: Path | None, port: int, host: str) -> None:
    """Serve the Streamlit UI (runs, matrix, versions, guardrails, recommendation, cost, compare)."""
    from workbench.store.db import default_db_path

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
