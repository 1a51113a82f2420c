"""`workbench ui`: loopback by default, usage stats off, the database passed through WORKBENCH_DB."""

from __future__ import annotations

from click.testing import CliRunner

from workbench.cli.main import cli
from workbench.cli.ui import APP, streamlit_command


def test_streamlit_command_is_loopback_headless_and_private() -> None:
    cmd = streamlit_command("127.0.0.1", 8765)
    assert cmd[1:4] == ["-m", "workbench.ui.server", "run"]  # Streamlit's CLI with the pages preloaded
    assert cmd[4] == str(APP) and APP.is_file()
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags["--server.address"] == "127.0.0.1"
    assert flags["--server.port"] == "8765"
    assert flags["--server.headless"] == "true"
    assert flags["--browser.gatherUsageStats"] == "false"


def test_help_shows_loopback_default() -> None:
    result = CliRunner().invoke(cli, ["ui", "--help"])
    assert result.exit_code == 0
    assert "--db PATH" in result.output
    assert "--port" in result.output and "[default: 8501;" in result.output
    assert "[default: 127.0.0.1]" in result.output
    bad = CliRunner().invoke(cli, ["ui", "--port", "0"])
    assert bad.exit_code == 2


BEFORE_EXEC = """
import json, os, sys
from workbench.cli.main import cli

def execve(path, argv, env):
    heavy = ("pandas", "numpy", "streamlit", "workbench.store.db", "workbench.store.schema")
    print(json.dumps({"argv": argv[1:4], "db": env["WORKBENCH_DB"], "loaded": [m for m in heavy if m in sys.modules]}))
    sys.exit(0)

os.execve = execve
cli.main(["ui", "--db", "x.db", "--port", sys.argv[1]], prog_name="workbench")
"""


def test_ui_becomes_the_server_without_loading_the_library(tmp_path) -> None:
    """`workbench ui` only checks the port and passes the database path on: it loads neither the
    database layer nor pandas before it becomes the server (which loads them itself)."""
    import json
    import os
    import subprocess
    import sys

    from workbench.cli.ui import port_problem

    port = next(p for p in range(47311, 47411) if port_problem("127.0.0.1", p) is None)
    out = subprocess.run(
        [sys.executable, "-c", BEFORE_EXEC, str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "WORKBENCH_DB"},
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"argv": ["-m", "workbench.ui.server", "run"], "db": str(tmp_path / "x.db"), "loaded": []}
