"""The budget cap: reserve/settle arithmetic, and a real run that stops scheduling at max_cost."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAI

from workbench.run.budget import DEFAULT_OUTPUT_TOKENS, Budget
from workbench.run.config import RunConfig
from workbench.run.engine import run_suite
from workbench.store.db import open_db
from workbench.suite import load
from workbench.tokens import count_message_tokens
from workbench.types import ProviderResponse, ProviderSpec


def test_reserve_and_settle_amounts() -> None:
    b = Budget(1.0)
    assert b.reserve_amount(0.4) and b.reserve_amount(0.4)
    assert not b.reserve_amount(0.3)  # 0.8 in flight + 0.3 > 1.0
    assert b.refused == 1
    b.settle_amount(0.4, 0.1)  # the call cost less than estimated: room frees up
    assert b.spent == pytest.approx(0.1) and b.in_flight == pytest.approx(0.4)
    assert b.reserve_amount(0.3)
    assert b.remaining == pytest.approx(1.0 - 0.1 - 0.7)


def test_unknown_price_is_allowed_and_counted() -> None:
    b = Budget(0.0)
    assert b.reserve_amount(None)
    assert b.unpriced_calls == 1
    assert not b.reserve_amount(1e-9)


def test_estimate_of_a_call() -> None:
    b = Budget(10.0)
    spec = ProviderSpec(id="openai:gpt-4o-mini", config={"max_tokens": 100})
    est = b.estimate(spec, "What is two plus two?")
    tin = count_message_tokens([{"role": "user", "content": "What is two plus two?"}], "openai/gpt-4o-mini")
    assert (est.tokens_in, est.tokens_out) == (tin, 100)
    assert est.cost == pytest.approx(tin * 1.5e-7 + 100 * 6e-7)
    no_cap = b.estimate(ProviderSpec(id="openai:gpt-4o-mini"), "x")
    assert no_cap.tokens_out == DEFAULT_OUTPUT_TOKENS
    assert b.estimate(ProviderSpec(id="openai:unknown-model-x"), "x").cost is None
    b.reserve(spec, "What is two plus two?")
    b.settle(spec, "What is two plus two?", ProviderResponse(output="4", cost=0.001))
    assert b.in_flight == pytest.approx(0.0) and b.spent == pytest.approx(0.001)


def write_suite(tmp_path: Path, server: FakeOpenAI, n_tests: int, max_cost: float | None = None) -> Path:
    tests = "\n".join(f"  - vars: {{q: 'question number {i}'}}" for i in range(n_tests))
    extra = f"workbench:\n  max_cost: {max_cost}\n" if max_cost is not None else ""
    path = tmp_path / "suite.yaml"
    path.write_text(
        f"""prompts: ['Answer: {{{{q}}}}']
providers:
  - id: openai:chat:gpt-4o-mini
    config: {{apiBaseUrl: '{server.base_url}', apiKey: sk-x, max_tokens: 1000, price_as: gpt-4o-mini}}
tests:
{tests}
{extra}"""
    )
    return path


def test_run_stops_at_max_cost(fake_openai: FakeOpenAI, tmp_path: Path, db_path: Path) -> None:
    # each call really costs 1000 * 0.15e-6 + 1000 * 0.6e-6 = $0.00075 and is estimated at
    # (~14 tokens in, 1000 out) ~ $0.000602; a $0.003 cap allows about 4 calls of 20.
    fake_openai.default = {"usage": {"prompt_tokens": 1000, "completion_tokens": 1000}}
    suite = load(write_suite(tmp_path, fake_openai, 20))
    db = open_db(db_path)
    outcome = run_suite(suite, RunConfig(max_concurrency=1, max_cost=0.003), db)
    assert outcome.status == "budget_exceeded"
    n = db.execute("select count(*), sum(cost) from results where run_id = ?", [outcome.run_id]).fetchone()
    assert 1 <= n[0] < 20 and n[0] == fake_openai.count  # finished results are kept
    assert n[1] <= 0.003 + 1e-12
    assert db.execute("select status from runs where id = ?", [outcome.run_id]).fetchone()[0] == "budget_exceeded"


def test_max_cost_from_the_suite_and_concurrent_in_flight(
    fake_openai: FakeOpenAI, tmp_path: Path, db_path: Path
) -> None:
    fake_openai.default = {"usage": {"prompt_tokens": 10, "completion_tokens": 10}, "delay": 0.05}
    suite = load(write_suite(tmp_path, fake_openai, 30, max_cost=0.002))
    outcome = run_suite(suite, RunConfig(max_concurrency=8, use_cache=False), open_db(db_path))
    # each call is estimated at ~$0.0006 (1000 max_tokens) but really costs $0.0000075: three
    # estimates fit in flight, and the real spend slowly eats the room left for the fourth.
    assert outcome.status == "budget_exceeded"
    assert 3 <= fake_openai.count < 30


def test_generous_budget_completes(fake_openai: FakeOpenAI, tmp_path: Path, db_path: Path) -> None:
    suite = load(write_suite(tmp_path, fake_openai, 5))
    outcome = run_suite(suite, RunConfig(max_concurrency=2, max_cost=10.0), open_db(db_path))
    assert outcome.status == "completed" and fake_openai.count == 5


def test_cli_max_cost(fake_openai: FakeOpenAI, tmp_path: Path, db_path: Path) -> None:
    from click.testing import CliRunner

    from workbench.cli.main import cli

    fake_openai.default = {"usage": {"prompt_tokens": 1000, "completion_tokens": 1000}}
    suite = write_suite(tmp_path, fake_openai, 10)
    out = CliRunner().invoke(cli, ["run", str(suite), "--db", str(db_path), "--max-cost", "0.002", "-j", "1"])
    assert "(budget_exceeded)" in out.output
    assert 1 <= fake_openai.count < 10
