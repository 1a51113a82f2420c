"""Dry-run estimate: exact input tokens, output from max_tokens / history / default, prices."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAI

from workbench.run.config import RunConfig
from workbench.run.engine import run_suite
from workbench.run.estimate import estimate_suite, format_estimate
from workbench.store.db import open_db
from workbench.suite import load
from workbench.tokens import count_message_tokens

QUESTIONS = ["What is the capital of France?", "Summarize the ticket in one line.", "Is 17 prime?"]


def write_suite(tmp_path: Path, providers: str) -> Path:
    tests = "\n".join(f"  - vars: {{q: '{q}'}}" for q in QUESTIONS)
    path = tmp_path / "suite.yaml"
    path.write_text(
        f"prompts: ['Q: {{{{q}}}}', 'Answer briefly. {{{{q}}}}']\nproviders:\n{providers}\ntests:\n{tests}\n"
    )
    return path


def tokens(template: str, model: str) -> int:
    return sum(count_message_tokens([{"role": "user", "content": template.format(q=q)}], model) for q in QUESTIONS)


def test_numbers(tmp_path: Path) -> None:
    suite = load(
        write_suite(
            tmp_path,
            "  - {id: 'openai:gpt-4o-mini', config: {max_tokens: 50}}\n"
            "  - {id: 'openai:my-model', config: {input_cost_per_1m: 1, output_cost_per_1m: 4}}\n"
            "  - openai:unpriced-model\n",
        )
    )
    est = estimate_suite(suite, RunConfig(repeat=2))
    assert len(est.rows) == 6 and est.calls == 2 * 3 * 3 * 2
    r = est.rows[0]
    assert (r.prompt_idx, r.provider, r.calls) == (0, "openai:gpt-4o-mini", 6)
    assert r.tokens_in == 2 * tokens("Q: {q}", "gpt-4o-mini")
    assert (r.out_source, r.tokens_out) == ("max_tokens", 6 * 50)
    assert r.cost == pytest.approx((r.tokens_in * 0.15 + 300 * 0.6) / 1e6)
    custom = est.rows[1]
    assert custom.out_source == "default" and custom.tokens_out == 6 * est.default_output_tokens
    assert custom.cost == pytest.approx((custom.tokens_in * 1 + custom.tokens_out * 4) / 1e6)
    unpriced = est.rows[2]
    assert unpriced.cost is None
    assert est.cost == pytest.approx(sum(x.cost for x in est.rows if x.cost is not None))
    assert est.unpriced_rows == 2
    text = format_estimate(est)
    assert "unknown" in text and "total" in text and "(+ 2 row(s) with unknown price)" in text


def test_output_from_history(fake_openai: FakeOpenAI, tmp_path: Path, db_path: Path) -> None:
    fake_openai.queue(*({"usage": {"prompt_tokens": 5, "completion_tokens": n}} for n in (10, 20, 30, 40, 50, 60)))
    provider = f"  - {{id: 'openai:chat:gpt-4o-mini', config: {{apiBaseUrl: '{fake_openai.base_url}', apiKey: k}}}}\n"
    suite = load(write_suite(tmp_path, provider))
    db = open_db(db_path)
    before = estimate_suite(suite, RunConfig(), db)
    assert {r.out_source for r in before.rows} == {"default"}
    run_suite(suite, RunConfig(max_concurrency=1), db)
    after = estimate_suite(suite, RunConfig(), db)
    assert {r.out_source for r in after.rows} == {"history"}
    # cells run tests-outer, prompts-inner: prompt 0 got 10, 30, 50 and prompt 1 got 20, 40, 60
    assert [r.out_per_call for r in after.rows] == [30.0, 40.0]
    assert [r.tokens_out for r in after.rows] == [90, 120]
    assert fake_openai.count == 6  # estimating made no calls


def test_provider_output_tests_make_no_calls(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "prompts: ['x {{q}}']\nproviders: [openai:gpt-4o-mini]\ntests:\n  - vars: {q: a}\n    providerOutput: hi\n"
    )
    assert estimate_suite(load(path), RunConfig()).calls == 0


def test_cli_dry_run_makes_no_calls_and_writes_nothing(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from workbench.cli.main import cli

    provider = (
        f"  - {{id: 'openai:chat:gpt-4o-mini', config: {{apiBaseUrl: '{fake_openai.base_url}', max_tokens: 10,"
        f" price_as: gpt-4o-mini}}}}\n"
    )
    suite = write_suite(tmp_path, provider)
    db = tmp_path / "dry.db"
    out = CliRunner().invoke(cli, ["run", str(suite), "--db", str(db), "--dry-run"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == f"Dry run: {suite} (no calls made)"
    assert lines[1].split() == [
        "prompt",
        "provider",
        "calls",
        "tokens",
        "in",
        "tokens",
        "out",
        "(est)",
        "out",
        "source",
        "est.",
        "cost",
    ]
    n_in = tokens("Q: {q}", "gpt-4o-mini")
    assert lines[3].split()[:7] == ["Q:", "{{q}}", "openai:chat:gpt-4o-mini", "3", str(n_in), "30", "max_tokens"]
    total = next(line for line in lines if line.startswith("total"))
    assert total.split()[:2] == ["total", "6"]
    # the batchable rows priced as a batch too, after the table
    assert lines[-1].startswith("As a batch (--batch, answers within 24 h): ")
    assert fake_openai.count == 0 and not db.exists()
