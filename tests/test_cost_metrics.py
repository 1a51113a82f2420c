"""Issue 15, defect 9: the system metrics are visible in the run summary and `recommend` (not only
in `recommend --json`): fallbacks' share of spend, grading share, prompt-token growth warned by
default."""

from __future__ import annotations

import json
from pathlib import Path

from cost_suites import cli_run, provider, recommend_json
from fake_openai_server import FakeOpenAI


def project(tmp_path: Path, server: FakeOpenAI) -> Path:
    family = tmp_path / "prompts" / "answer"
    family.mkdir(parents=True)
    (family / "v1.txt").write_text("Answer briefly: {{q}}\n")
    (family / "v2.txt").write_text(
        "You are a helpful, careful and precise support assistant. Read the question, think about what"
        " the customer needs, and answer briefly and politely: {{q}}\n"
    )
    server.by_model["flaky"] = {"status": 500}
    server.default = {"usage": None}  # tokens counted from the prompt: v2 is longer
    primary = provider(server, "flaky", (1, 2), max_attempts=1)
    primary["config"]["fallbacks"] = [provider(server, "backup", (3, 6))]
    doc = {
        "prompts": ["file://prompts/answer/*.txt"],
        "providers": [primary],
        "tests": [
            {"vars": {"q": f"question {i}"}, "assert": [{"type": "icontains", "value": "echo"}]} for i in range(3)
        ],
    }
    suite = tmp_path / "s.yaml"
    suite.write_text(json.dumps(doc))
    return suite


def test_metrics_and_growth_warning_in_the_summary_and_recommend(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    code, out = cli_run("run", str(project(tmp_path, fake_openai)), "--db", str(db))
    assert code == 0, out
    assert "Prices: flaky: config $1/$2 per 1M in/out" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("answer/v1 · none · flaky:"))
    assert "fallbacks 100.0% (100.0% of spend)" in line  # every answer came from (and was paid to) the fallback
    assert "retries" in line and "cache hits 0.0%" in line and "$/pass" in line and "tokens/pass" in line
    assert "warning: prompt tokens of answer/v2 · none · flaky grew" in out  # no flag needed
    code, text = cli_run("recommend", "--db", str(db))
    assert "System metrics:" in text and "fallbacks 100.0% (100.0% of spend)" in text
    assert "warning: prompt tokens of answer/v2" in text
    rec = recommend_json(db)
    v2 = next(m for m in rec["metrics"] if m["pair"].startswith("answer/v2"))
    assert v2["prompt_growth"] > 0.2 and v2["previous_version"] == "answer/v1"
    assert v2["fallback_spend_share"] == 1.0
