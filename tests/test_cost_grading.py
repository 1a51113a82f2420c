"""Issue 15, defect 2: grading is part of the bill (summary, reports, runs, recommend) and `--max-cost`
bounds model + grader spend. An llm-rubric grader on the loopback server costs ~24x the graded call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cost_suites import cli_run, provider, recommend_json, write_suite
from fake_openai_server import FakeOpenAI

from workbench.store.db import open_db

MODEL = (1, 2)  # $ per 1M: 11 in + 7 out -> $0.000025 per call
GRADER = (10, 20)  # 500 in + 50 out -> $0.006 per grading
PER_CALL = (11 * MODEL[0] + 7 * MODEL[1]) / 1e6
PER_GRADING = (500 * GRADER[0] + 50 * GRADER[1]) / 1e6


def graded_suite(server: FakeOpenAI, tmp_path: Path, n_tests: int = 10) -> Path:
    server.by_model["grader"] = {
        "content": json.dumps({"pass": True, "score": 1, "reason": "answers the question"}),
        "usage": {"prompt_tokens": 500, "completion_tokens": 50, "total_tokens": 550},
    }
    grader: dict[str, Any] = provider(server, "grader", GRADER)
    return write_suite(
        tmp_path / "graded.yaml",
        [provider(server, "answerer", MODEL)],
        n_tests,
        asserts=[{"type": "llm-rubric", "value": "answers the question", "provider": grader}],
    )


def test_grader_spend_is_in_the_summary_reports_runs_and_recommend(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    suite = graded_suite(fake_openai, tmp_path)
    out_json, out_md = tmp_path / "out.json", tmp_path / "out.md"
    code, out = cli_run("run", str(suite), "--db", str(db), "-o", str(out_json), "-o", str(out_md))
    assert code == 0, out
    model, grading = 10 * PER_CALL, 10 * PER_GRADING
    total = model + grading
    # The summary says what the run cost, model and grading apart and together (old: "cost $0.00025").
    assert "cost $0.0602 (model $0.00025 + grading $0.0600, grading 99.6%)" in out
    assert "actual: $0.00025 (+ grading $0.0600, not estimated)" in out
    run = open_db(db).execute("select cost, grader_cost from runs").fetchone()
    assert run == (pytest.approx(model), pytest.approx(grading))
    # promptfoo's JSON: gradingResult.tokensUsed is filled (it was all zeros), stats too.
    data = json.loads(out_json.read_text())
    rows = data["results"]["results"]
    assert rows[0]["gradingResult"]["tokensUsed"] == {
        "total": 550,
        "prompt": 500,
        "completion": 50,
        "cached": 0,
        "numRequests": 1,
    }
    assert rows[0]["workbench"]["graderCost"] == pytest.approx(PER_GRADING)
    assert data["results"]["stats"]["tokenUsage"]["assertions"]["total"] == 5500
    assert "grading" in out_md.read_text()
    # `runs` shows the whole bill.
    code, listing = cli_run("runs", "--db", str(db), "--json")
    assert json.loads(listing)[0]["total_cost"] == pytest.approx(total)
    # recommend: the cost of serving (per request) apart from the cost of evaluating.
    rec = recommend_json(db)
    assert rec["pick"]["mean_cost"] == pytest.approx(PER_CALL)  # serving: the model call only
    assert rec["pick"]["grader_cost"] == pytest.approx(grading)  # evaluation: grading spend
    assert rec["evaluation_cost"] == pytest.approx(total)


def test_max_cost_bounds_model_plus_grader_spend(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """Old code: `--max-cost 0.02` let a run whose grading costs 0.006 per output spend 0.06."""
    db = tmp_path / "wb.db"
    suite = graded_suite(fake_openai, tmp_path)
    _code, _out = cli_run("run", str(suite), "--db", str(db), "--max-cost", "0.02")
    cost, grader, status = open_db(db).execute("select cost, grader_cost, status from runs").fetchone()
    assert status == "budget_exceeded"
    assert cost + grader <= 0.02
    assert cost + grader >= 0.02 - PER_CALL - PER_GRADING  # it used the budget, it did not stop early


def test_max_cost_bounds_a_compute_priced_model(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """A model priced by compute ($/hour x busy time) has no token estimate; the cap holds the
    largest cost one of its calls has had (old code: unpriced, never bounded: all 20 calls ran)."""
    fake_openai.by_model["own-box"] = {"delay": 0.2}
    db = tmp_path / "wb.db"
    suite = write_suite(tmp_path / "s.yaml", [provider(fake_openai, "own-box", cost_per_hour=3.6)], n_tests=20)
    per_call = 3.6 * 0.2 / 3600  # >= $0.0002 a call
    cli_run("run", str(suite), "--db", str(db), "--max-cost", str(5 * per_call), "--max-concurrency", "2")
    cost, results, status = open_db(db).execute("select cost, results, status from runs").fetchone()
    assert status == "budget_exceeded" and results < 20
    assert cost <= 5 * per_call * 1.5  # the cap, give or take the spread of busy times
