"""Issue 15, defect 8: the dry-run estimate is within 10 % of the real run once the pair has history,
counts cache hits as $0, and states its error model without history."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cost_suites import cli_run, provider
from fake_openai_server import FakeOpenAI

from workbench.store.db import open_db

SENTENCE = "the order arrived late and the box was damaged so I would like a replacement or a refund"
WORDS = SENTENCE.split(" ")


def suite_file(server: FakeOpenAI, tmp_path: Path) -> Path:
    """Answers of very different lengths (the server echoes the prompt; usage is counted by tiktoken)."""
    server.default = {"usage": None}
    import json

    tests = [{"vars": {"text": " ".join(WORDS[: 2 + 5 * i] * (1 + i))}} for i in range(8)]
    doc: dict[str, Any] = {
        "prompts": ["Summarize: {{text}}"],
        "providers": [provider(server, "verbose", (1, 4), max_tokens=2000)],
        "tests": tests,
    }
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(doc))
    return path


def estimated_total(out: str) -> float:
    line = next(line for line in out.splitlines() if line.startswith("total"))
    return float(re.search(r"\$([0-9.e-]+)", line).group(1))  # type: ignore[union-attr]


def test_dry_run_within_ten_percent_with_history(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    suite = suite_file(fake_openai, tmp_path)
    code, first = cli_run("run", str(suite), "--db", str(db), "--dry-run")
    assert "error model: without history" in first  # it says what kind of number this is
    assert "max_tokens" in first
    cli_run("run", str(suite), "--db", str(db), "--no-cache")  # history: measured output lengths
    code, out = cli_run("run", str(suite), "--db", str(db), "--dry-run", "--no-cache")
    assert code == 0 and "history" in out
    estimate = estimated_total(out)
    code, out = cli_run("run", str(suite), "--db", str(db), "--no-cache")
    actual = open_db(db).execute("select cost from runs order by id desc limit 1").fetchone()[0]
    assert actual > 0
    assert estimate == pytest.approx(actual, rel=0.10)  # old: max_tokens 2000 -> many times the actual
    assert "Estimate: " in out and "actual: " in out  # every run prints estimate vs actual


def test_dry_run_counts_cache_hits_as_free(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    suite = suite_file(fake_openai, tmp_path)
    cli_run("run", str(suite), "--db", str(db))
    code, out = cli_run("run", str(suite), "--db", str(db), "--dry-run")
    assert code == 0
    assert estimated_total(out) == 0  # every call will be a cache hit (old: the full price)
    assert "response cache will answer" in out
    calls = fake_openai.count
    cli_run("run", str(suite), "--db", str(db))
    assert fake_openai.count == calls
    assert open_db(db).execute("select cost from runs order by id desc limit 1").fetchone()[0] == 0
