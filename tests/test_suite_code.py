"""The suite's own code around a run: extension hooks see every stage (error rows included), in
promptfoo's two calling conventions; Nunjucks filters reach every template; generators get config."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from compat_runner import run_config

HOOKS = """
import json, pathlib

LOG = pathlib.Path(__file__).with_name("log.jsonl")


def _log(entry):
    with LOG.open("a") as fh:
        fh.write(json.dumps(entry) + "\\n")


def every_stage(hook_name, context):
    if hook_name == "afterEach":
        r = context["result"]
        _log([hook_name, r["testIdx"], r["success"], r["error"] is not None])
    elif hook_name == "afterAll":
        _log([hook_name, len(context["results"])])
    else:
        _log([hook_name])
    return None


def beforeAll(context, options):
    _log(["named", options["hookName"], len(context["suite"]["tests"])])
    context["suite"]["tests"].append({"vars": {"q": "added"}, "assert": [{"type": "contains", "value": "added"}]})
    return context
"""


def run(cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_config(cwd, Path("out.json"), Path("w.db"), "-q", timeout=120)


def test_hooks_see_every_stage_and_a_stage_named_hook_runs_only_there(tmp_path: Path) -> None:
    (tmp_path / "hooks.py").write_text(HOOKS)
    (tmp_path / "promptfooconfig.yaml").write_text(
        "prompts: ['Q: {{q}}']\n"
        "providers: [echo]\n"
        "extensions: [file://hooks.py:every_stage, file://hooks.py:beforeAll]\n"
        "tests:\n"
        "  - vars: {q: one}\n"
        "    assert: [{type: contains, value: one}]\n"
        "  - vars: {q: two}\n"
        "    assert: [{type: is-valid-function-call}]\n"  # not implemented: an ERROR row
    )
    proc = run(tmp_path)
    assert proc.returncode in (0, 100), proc.stderr
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert log[:2] == [["beforeAll"], ["named", "beforeAll", 2]]
    assert log[-1] == ["afterAll", 3]
    # rows may run concurrently: every row gets beforeEach and afterEach (the ERROR row too, and
    # the test beforeAll added)
    assert sorted(log[2:-1]) == sorted(
        [["beforeEach"]] * 3
        + [["afterEach", 0, True, False], ["afterEach", 1, False, True], ["afterEach", 2, True, False]]
    )
    rows = json.loads((tmp_path / "out.json").read_text())["results"]["results"]
    assert [r["success"] for r in sorted(rows, key=lambda r: r["testIdx"])] == [True, False, True]


def test_nunjucks_filters_apply_in_prompts_and_vars(tmp_path: Path) -> None:
    (tmp_path / "shout.js").write_text("module.exports = (s, mark = '!') => String(s).toUpperCase() + mark;\n")
    (tmp_path / "promptfooconfig.yaml").write_text(
        "prompts: ['{{ greeting | shout }} {{ name | shout(\"?\") }}']\n"
        "providers: [echo]\n"
        "nunjucksFilters: {shout: shout.js}\n"
        "tests:\n"
        "  - vars: {greeting: hi, name: ada}\n"
        "    assert: [{type: equals, value: 'HI! ADA?'}]\n"
    )
    proc = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads((tmp_path / "out.json").read_text())["results"]["results"]
    assert rows[0]["response"]["output"] == "HI! ADA?"


def test_a_generator_gets_its_config(tmp_path: Path) -> None:
    (tmp_path / "gen.py").write_text("def make(config):\n    return [{'vars': {'q': w}} for w in config['words']]\n")
    (tmp_path / "promptfooconfig.yaml").write_text(
        "prompts: ['{{q}}']\nproviders: [echo]\ntests:\n  - path: file://gen.py:make\n    config: {words: [a, b, c]}\n"
    )
    proc = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads((tmp_path / "out.json").read_text())["results"]["results"]
    assert sorted(r["response"]["output"] for r in rows) == ["a", "b", "c"]
