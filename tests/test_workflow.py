"""The GitHub workflow users copy: valid YAML, real steps, and every workbench command/flag it calls exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import yaml

from workbench.cli.main import COMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "prompt-regression.yml"


def load() -> dict:
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(doc, dict)
    return doc


def steps() -> list[dict]:
    (job,) = load()["jobs"].values()
    return job["steps"]


def workbench_calls(script: str) -> list[list[str]]:
    calls = []
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        for i, w in enumerate(words):
            if w.endswith("/workbench") or w == "workbench":
                calls.append(words[i + 1 :])
    return calls


def test_triggers_and_permissions() -> None:
    doc = load()
    on = doc.get("on", doc.get(True))  # PyYAML reads the bare key `on` as true
    assert on["pull_request"]["paths"] == ["prompts/**", "suites/**"]
    assert doc["permissions"]["pull-requests"] == "write"


def test_steps_are_real() -> None:
    uses = [s["uses"].split("@")[0] for s in steps() if "uses" in s]
    assert uses == [
        "actions/checkout",
        "actions/setup-python",
        "actions/cache",
        "actions/github-script",
        "actions/upload-artifact",
    ]
    checkout = steps()[0]
    assert checkout["with"]["fetch-depth"] == 0
    for s in steps():
        assert "name" in s and ("run" in s) != ("uses" in s)
        text = (s.get("run") or "") + str(s.get("with") or "")
        assert not re.search(r"TODO|placeholder|echo \"?(run|replace)", text, re.I)
    runs = [s["run"] for s in steps() if "run" in s]
    assert runs[0] == "make install" and re.search(r"^install:", (ROOT / "Makefile").read_text(), re.M)
    assert runs[1].startswith("git worktree add --detach ")
    cache = next(s for s in steps() if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == "results/workbench.db"  # the response cache lives in the results DB
    assert "hashFiles('suites/**', 'prompts/**')" in cache["with"]["key"]
    script = next(s for s in steps() if s.get("uses", "").startswith("actions/github-script"))["with"]["script"]
    assert "createComment" in script and "report.md" in script


def test_every_workbench_call_exists() -> None:
    calls = [c for s in steps() if "run" in s for c in workbench_calls(s["run"])]
    assert [c[0] for c in calls] == ["run", "run", "compare"]
    ctx = click.Context(cli)
    for args in calls:
        assert args[0] in COMMANDS
        command = cli.get_command(ctx, args[0])
        assert command is not None
        known = {opt for p in command.params for opt in getattr(p, "opts", [])}
        for word in args[1:]:
            if word.startswith("-"):
                assert word in known, f"workbench {args[0]} has no option {word}"
    compare = calls[2]
    assert "--fail-on-regression" in compare and "report.md" in compare
    assert all("--label" in c for c in calls[:2])


def test_compare_call_parses(tmp_path: Path) -> None:
    """The exact compare command line of the workflow parses (a missing database is the only error)."""
    from click.testing import CliRunner

    step = next(s for s in steps() if s.get("name") == "Compare and gate")
    (args,) = workbench_calls(step["run"])
    args = [a.replace("$BASE_LABEL", "base").replace("$HEAD_LABEL", "head") for a in args]
    res = CliRunner().invoke(cli, [*args, "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 2  # bad input, not an internal error
    assert "no such database" in res.stderr
