"""The docs tell the truth about the CLI: every command has help text and is in the README."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

from workbench.cli.main import COMMANDS, cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _cli_reference() -> str:
    start = README.index("## CLI reference")
    end = README.index("\n## ", start + 1)
    return README[start:end]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {name}" in result.output or f"Usage: workbench {name}" in result.output
    body = result.output.split("\n", 2)[2].strip()
    assert len(body) > 20, f"`workbench {name} --help` has no description"
    assert f"`workbench {name}" in _cli_reference(), f"`workbench {name}` is missing from the README's CLI reference"


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert re.search(rf"^\s+{re.escape(name)}\s", result.output, re.M), name


def test_readme_links_point_at_files() -> None:
    for target in re.findall(r"\]\(((?:docs|\.github)/[^)#]+)\)", README):
        assert (ROOT / target).exists(), target


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in README
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1] == "make test"
