"""A tiny promptfoo-compatible project on the echo provider, for the CI/compare/merge tests.

echo returns the rendered prompt, so editing a prompt file changes outputs deterministically:
`BREAKING` fails the alice and bob tests, `BLOATED` passes everything with many more tokens,
`HARMLESS` passes everything with two more words.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from workbench.cli.main import cli

ORIGINAL = "Say hello to {{name}} politely. Mention {{topic}}.\n"
BREAKING = "Say hi to {{name}}. Talk about {{topic}}.\n"
BLOATED = (
    ORIGINAL
    + (
        "Before you answer, restate the request in full, list every assumption you make, explain your reasoning"
        " step by step, and finish with a short summary of what you said and why it matters to the customer.\n"
    )
    * 3
)
HARMLESS = "Say hello to {{name}} politely, please. Mention {{topic}}.\n"

TESTS = [
    {
        "description": "alice",
        "vars": {"name": "Alice", "topic": "cats"},
        "assert": [{"type": "contains", "value": "politely"}],
    },
    {
        "description": "bob",
        "vars": {"name": "Bob", "topic": "dogs"},
        "assert": [{"type": "contains", "value": "Mention"}],
    },
    {
        "description": "carol",
        "vars": {"name": "Carol", "topic": "fish"},
        "assert": [
            {"type": "contains", "value": "Carol"},
            {"type": "not-contains", "value": "SECRET", "metric": "guardrail/leak"},
        ],
    },
]


def write_suite(
    root: Path, name: str = "greet", family: str = "greet", tests: list | None = None, **extra: object
) -> Path:
    """suites/<name>.yaml using prompts/<family>/*.txt (JSON is valid YAML), in a git repository as a
    checkout in CI is: its root is the project root that file:// reads are confined to."""
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, capture_output=True)
    suite = {
        "description": name,
        "prompts": [f"file://../prompts/{family}/*.txt"],
        "providers": ["echo"],
        "tests": TESTS if tests is None else tests,
        **extra,
    }
    path = root / "suites" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(suite, indent=2), encoding="utf-8")
    return path


def write_prompt(root: Path, text: str, family: str = "greet", version: str = "v1") -> Path:
    path = root / "prompts" / family / f"{version}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def project(root: Path, text: str = ORIGINAL) -> Path:
    write_prompt(root, text)
    return write_suite(root)


def wb(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)
