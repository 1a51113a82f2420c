"""Suites on the loopback OpenAI-compatible server for the cost tests (issue 15), run through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from workbench.cli.main import cli


def provider(server: Any, model: str, price: tuple[float, float] | None = None, **config: Any) -> dict[str, Any]:
    """A provider entry on the loopback server; `price` in $ per 1M tokens (in, out)."""
    cfg: dict[str, Any] = {"apiBaseUrl": server.base_url, "apiKey": "sk-loop", "retry_base_delay": 0.01, **config}
    if price is not None:
        cfg["input_cost_per_1m"], cfg["output_cost_per_1m"] = price
    return {"id": f"openai:chat:{model}", "label": config.pop("label", None) or model, "config": cfg}


def write_suite(
    path: Path,
    providers: list[Any],
    n_tests: int = 10,
    *,
    asserts: list[dict[str, Any]] | None = None,
    workbench: dict[str, Any] | None = None,
    default_test: dict[str, Any] | None = None,
) -> Path:
    """A suite of `n_tests` questions; every answer passes (`contains: echo`) unless `asserts` says otherwise."""
    doc: dict[str, Any] = {
        "description": "cost",
        "prompts": ["Question {{i}}: what is {{i}} plus one?"],
        "providers": providers,
        "tests": [
            {"vars": {"i": i}, "assert": asserts if asserts is not None else [{"type": "icontains", "value": "echo"}]}
            for i in range(n_tests)
        ],
    }
    if default_test:
        doc["defaultTest"] = default_test
    if workbench:
        doc["workbench"] = workbench
    path.write_text(json.dumps(doc), encoding="utf-8")  # JSON is YAML
    return path


def cli_run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def recommend_json(db: Path, *args: str) -> dict[str, Any]:
    code, out = cli_run("recommend", "--db", str(db), "--json", *args)
    assert code == 0, out
    data: dict[str, Any] = json.loads(out)
    return data
