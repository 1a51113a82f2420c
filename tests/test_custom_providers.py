"""promptfoo's custom providers: `file://x.py[:fn]`, `file://x.js` / `.mjs` (CommonJS and ES
modules, run in Node.js), `exec:` commands; through the provider registry, so retries, the
response cache and the budget apply as to any provider.

The provider files are real ones in tests/fixtures/custom_providers.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from workbench.errors import ProviderError
from workbench.providers.resolution import resolve
from workbench.runtimes import node
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "custom_providers"
needs_node = pytest.mark.skipif(not node.available(), reason="Node.js is not on PATH")


def call(pid: str, vars: dict[str, Any] | None = None, config: dict[str, Any] | None = None) -> ProviderResponse:
    provider = resolve(ProviderSpec(pid, config=config or {}), FIXTURES)
    request = ProviderRequest(prompt="hello world", messages=[], vars=vars or {"topic": "cats"})
    return asyncio.run(provider.call(request))


def test_python_provider_follows_the_call_api_contract() -> None:
    r = call("file://provider.py", config={"prefix": ">"})
    assert (r.output, r.error, r.tokens_in, r.tokens_out, r.token_source, r.cost) == (
        ">HELLO WORLD",
        None,
        3,
        5,
        "usage",
        0.002,
    )
    assert r.metadata == {"provider_id": "file://provider.py"}  # options.id reached the function
    assert call("python:provider.py").output == "HELLO WORLD"  # promptfoo's python: prefix
    assert call("file://provider.py:async_api").output == "async:hello world"  # async def, run to completion
    bot = call("file://provider.py:Bot.reply")  # Class.method, as promptfoo's wrapper allows
    assert (bot.output, bot.tokens_in, bot.tokens_out, bot.cost) == ("bot:cats", 2, 1, None)


def test_python_provider_errors_are_error_rows() -> None:
    assert call("file://provider.py", {"mode": "error"}).error == "planted failure from call_api"
    raised = call("file://provider.py", {"mode": "raise"})
    assert raised.error is not None and raised.error.startswith("Error: ValueError: planted exception")
    assert raised.attempts == 1  # a script's exception is not retried (promptfoo does not either)
    bad = call("file://provider.py:no_output")
    assert bad.error == (
        "The Python script `no_output` function must return an object with an `output` or `error` key,"
        " got: {'text': 'hello world'}"
    )


def test_missing_files_are_refused_at_load() -> None:
    with pytest.raises(ProviderError, match=r"provider file://nope\.py: Python file not found: .*nope\.py"):
        resolve(ProviderSpec("file://nope.py"), FIXTURES)
    with pytest.raises(ProviderError, match=r"JavaScript file not found"):
        resolve(ProviderSpec("file://nope.js"), FIXTURES)
    with pytest.raises(ProviderError, match=r"^provider file://p\.ts: TypeScript providers are not supported"):
        resolve(ProviderSpec("file://p.ts"), FIXTURES)


def test_a_cost_missing_from_the_response_comes_from_the_config_prices() -> None:
    bot = call("file://provider.py:Bot.reply", config={"input_cost_per_1m": 1_000_000, "output_cost_per_1m": 2_000_000})
    assert bot.cost == pytest.approx(2 * 1.0 + 1 * 2.0)


@needs_node
def test_javascript_providers_commonjs_and_es_modules() -> None:
    cjs = call("file://provider.js", config={"tag": "T"})  # require('./helper.js') inside
    assert (cjs.output, cjs.tokens_in, cjs.tokens_out, cjs.cost) == ("T:HELLO WORLD", 4, 6, 0.003)
    assert call("file://esm/provider.js").output == "esm:2 words:cats"  # "type": "module", import of a sibling
    assert call("file://provider.mjs").output == "mjs:11"
    assert call("file://provider.js", {"mode": "error"}).error == "planted js failure"
    assert call("file://provider.js", {"mode": "raise"}).error == "Error: planted js exception"


@needs_node
def test_javascript_providers_run_in_the_node_host_of_javascript_files(tmp_path: Path) -> None:
    """One Node.js process serves providers and assertion files; one instance per file and options;
    a file that is no provider class is an error row naming it."""
    (tmp_path / "counter.js").write_text(
        "module.exports = class { constructor(o) { this.tag = o.config.tag; this.n = 0; }\n"
        "  callApi(prompt) { this.n += 1; return {output: `${this.tag}:${process.pid}:${this.n}`}; } };\n"
    )
    (tmp_path / "pid.js").write_text("module.exports = () => process.pid;\n")
    (tmp_path / "number.js").write_text("module.exports = 42;\n")
    (tmp_path / "no_call_api.mjs").write_text("export default class { hello() { return 1; } }\n")
    request = ProviderRequest(prompt="p", messages=[], vars={})

    def output(pid: str, config: dict[str, Any]) -> ProviderResponse:
        return asyncio.run(resolve(ProviderSpec(pid, config=config), tmp_path).call(request))

    host = node.call_file_function(tmp_path / "pid.js", None, []).value
    a1, a2 = output("file://counter.js", {"tag": "a"}), output("file://counter.js", {"tag": "a"})
    b1 = output("file://counter.js", {"tag": "b"})
    assert (a1.output, a2.output, b1.output) == (f"a:{host}:1", f"a:{host}:2", f"b:{host}:1")
    number = output("file://number.js", {}).error
    assert (
        number
        == f"Error: {tmp_path / 'number.js'} must export a provider class (with a callApi method) as its default export"
    )
    no_call = output("file://no_call_api.mjs", {}).error
    assert (
        no_call
        == f"Error: {tmp_path / 'no_call_api.mjs'}: the exported provider has no callApi(prompt, context) method"
    )


def test_javascript_provider_without_node_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_NODE", "/nonexistent/node")
    with pytest.raises(ProviderError) as e:
        resolve(ProviderSpec("file://provider.js"), FIXTURES)
    assert str(e.value) == (
        "provider file://provider.js: JavaScript providers run in Node.js, which is not on PATH"
        " (install Node.js or set WORKBENCH_NODE to its executable)"
    )


def test_exec_provider_passes_prompt_options_and_context() -> None:
    r = call(f"exec:{sys.executable} exec_script.py mytag", config={"flavour": "vanilla"})
    assert (r.output, r.error) == ("mytag|hello world|vanilla|cats", None)  # ANSI codes stripped
    failed = call(f"exec:{sys.executable} exec_script.py mytag", {"mode": "error", "topic": "x"})
    assert failed.error == "Error: Command failed with exit code 3: planted exec failure"
    missing = call("exec:/nonexistent/tool arg")
    assert missing.error is not None and missing.error.startswith("Error: Command failed: /nonexistent/tool")


def test_editing_the_code_changes_the_cache_identity(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "provider.py", tmp_path / "provider.py")
    provider = resolve(ProviderSpec("file://provider.py"), tmp_path)
    request = ProviderRequest(prompt="p", messages=[], vars={"topic": "a"})
    before = provider.identity(request)  # type: ignore[attr-defined]
    assert before == provider.identity(request)  # type: ignore[attr-defined]
    (tmp_path / "provider.py").write_text((tmp_path / "provider.py").read_text() + "\n# edited\n")
    assert provider.identity(request) != before  # type: ignore[attr-defined]
    other_vars = ProviderRequest(prompt="p", messages=[], vars={"topic": "b"})
    assert provider.identity(other_vars) != provider.identity(request)  # type: ignore[attr-defined]


SUITE = """
prompts: ["Tell me about {{topic}}"]
providers:
  - id: file://provider.py
    config: {prefix: "py>"}
  - id: exec:{python} exec_script.py tag
    config: {flavour: mint}
tests:
  - vars: {topic: cats}
    assert: [{type: icontains, value: cats}]
  - vars: {topic: dogs, mode: error}
"""


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "workbench", "run", "suite.yaml", "--db", "wb.db", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": path, "WB_PROVIDER_CALLS": str(cwd / "calls.txt")},
    )


def test_custom_providers_end_to_end_with_cache_and_budget(tmp_path: Path) -> None:
    for name in ("provider.py", "exec_script.py"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "suite.yaml").write_text(SUITE.replace("{python}", sys.executable))
    first = run_cli(tmp_path, "-o", "first.json")
    assert first.returncode == 100, first.stderr  # the planted error rows fail the run
    rows = json.loads((tmp_path / "first.json").read_text())["results"]["results"]
    by = {(r["provider"]["id"].split(" ")[0], r["vars"]["topic"]): r for r in rows}
    assert by[("file://provider.py", "cats")]["response"]["output"] == "py>TELL ME ABOUT CATS"
    assert by[("file://provider.py", "dogs")]["error"] == "planted failure from call_api"
    exec_cats = next(r for k, r in by.items() if k[0].startswith("exec:") and k[1] == "cats")
    assert exec_cats["response"]["output"] == "tag|Tell me about cats|mint|cats"
    assert (tmp_path / "calls.txt").read_text().count("call") == 2
    # a rerun is served from the response cache: the Python provider is not called again
    # (errors are never cached, so the planted error row calls it once more)
    second = run_cli(tmp_path, "-o", "second.json")
    assert second.returncode == 100, second.stderr
    assert (tmp_path / "calls.txt").read_text().count("call") == 3
    again = json.loads((tmp_path / "second.json").read_text())["results"]["results"]
    cats = next(r for r in again if r["provider"]["id"] == "file://provider.py" and r["vars"]["topic"] == "cats")
    assert cats["response"]["output"] == "py>TELL ME ABOUT CATS" and cats["response"]["cached"] is True
    # the budget counts the provider's reported cost: $0.002 a call, cap $0.003. After the first
    # call the next one's estimate (the cost seen so far) would pass the cap, so the run stops at one
    # call and never spends more than the cap
    (tmp_path / "calls.txt").write_text("")
    (tmp_path / "suite.yaml").write_text(
        "prompts: ['{{topic}}']\nproviders: [file://provider.py]\n"
        "tests:\n" + "".join(f"  - vars: {{topic: t{i}}}\n" for i in range(6))
    )
    capped = run_cli(tmp_path, "--max-cost", "0.003", "--no-cache", "-j", "1")
    assert (tmp_path / "calls.txt").read_text().count("call") == 1, capped.stdout + capped.stderr
    with sqlite3.connect(tmp_path / "wb.db") as conn:
        status, spent = conn.execute(
            "select status, (select sum(cost) from results where run_id = runs.id) from runs order by id desc limit 1"
        ).fetchone()
    assert status == "budget_exceeded" and spent <= 0.003
