"""`workbench models`: litellm's price map per 1M tokens, context windows, local models."""

from __future__ import annotations

import json

from click.testing import CliRunner

from workbench.cli.main import cli


def test_table_for_a_query() -> None:
    out = CliRunner().invoke(cli, ["models", "gpt-4o-mini", "--provider", "openai", "--limit", "0"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].split() == ["model", "provider", "$/1M", "in", "$/1M", "out", "context"]
    row = next(line.split() for line in lines if line.split()[0] == "openai/gpt-4o-mini")
    assert row == ["openai/gpt-4o-mini", "openai", "0.15", "0.6", "128,000"]
    assert not any("local:" in line for line in lines)


def test_json_and_local_models() -> None:
    out = CliRunner().invoke(cli, ["models", "smollm2", "--json"])
    assert out.exit_code == 0
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert rows[0]["id"] == "local:smollm2-135m" and rows[0]["installed"] is True
    assert rows[0]["input_per_1m"] is None  # priced by the suite, else unknown


def test_limit_and_unknown_prices() -> None:
    out = CliRunner().invoke(cli, ["models", "--limit", "3"])
    assert out.exit_code == 0
    assert out.output.splitlines()[-1].startswith("... ") and "more" in out.output
    priced = CliRunner().invoke(cli, ["models", "--priced", "--json", "--limit", "0"])
    assert all(json.loads(line)["input_per_1m"] is not None for line in priced.output.splitlines())
