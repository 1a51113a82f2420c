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
