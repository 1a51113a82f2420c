"""`workbench ui`: serve the Streamlit UI on 127.0.0.1 (never 0.0.0.0 unless asked) with usage stats off."""

from __future__ import annotations

import errno
import socket
import sys
from pathlib import Path

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import db_option

APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"


def streamlit_command(host: str, port: int) -> list[str]:
    """The command line `workbench ui` executes: Streamlit's `run`, through workbench/ui/server.py."""
    return [
        sys.executable,
        "-m",
        "workbench.ui.server",  # Streamlit's CLI, with the pages' modules imported while it starts
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


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (in use, not an address of this machine), or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        return f"--host {host}: cannot resolve it ({e.strerror})"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is fine
        try:
            s.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use (another `workbench ui`?); pick one with --port"
            return f"cannot listen on {host}:{port} ({e.strerror})"
    return None


@click.command("ui", cls=LazyCommand, action="workbench.cli.actions.ui:command")
@db_option
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="Port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. The UI has no authentication: keep it on loopback unless you know why.",
)
def command() -> None:
    """Serve the Streamlit UI (runs, matrix, versions, guardrails, recommendation, cost, compare)."""
