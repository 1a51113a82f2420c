"""Issue 15, defect 7: the projection uses production's cache hit rate, prices growth exactly, and
never shows an all-error pair at $0."""

from __future__ import annotations

from pathlib import Path

import pytest
from cost_suites import cli_run, provider, recommend_json, write_suite
from fake_openai_server import FakeOpenAI

from workbench.providers.pricing import model_price


def test_with_cache_uses_the_production_rate_not_the_evals(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    suite = write_suite(tmp_path / "s.yaml", [provider(fake_openai, "m", (1, 2))], n_tests=4)
    cli_run("run", str(suite), "--db", str(db))
    cli_run("run", str(suite), "--db", str(db))  # a re-run: every call a cache hit
    rec = recommend_json(db, "--requests-per-day", "1000")
    (proj,) = rec["projections"]
    per_request = (11 * 1 + 7 * 2) / 1e6
    assert proj["eval_cache_hit_rate"] == 1.0  # shown as information
    assert proj["monthly_cost"] == pytest.approx(1000 * 30 * per_request)
    assert proj["monthly_cost_cached"] is None  # old: $0/month "with cache"
    rec = recommend_json(db, "--requests-per-day", "1000", "--cache-hit-rate", "0.3")
    assert rec["projections"][0]["monthly_cost_cached"] == pytest.approx(1000 * 30 * per_request * 0.7)
    _code, out = cli_run("recommend", "--db", str(db), "--requests-per-day", "1000")
    assert "give --cache-hit-rate" in out


def test_growth_is_priced_exactly(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """Every call has the same in/out ratio, so the old fit failed and the x2/x4 figures were marked
    approximate (and overestimated); the recorded price makes them exact."""
    db = tmp_path / "wb.db"
    suite = write_suite(tmp_path / "s.yaml", [provider(fake_openai, "gpt-4o", price_as="gpt-4o")], n_tests=3)
    cli_run("run", str(suite), "--db", str(db))
    rec = recommend_json(db, "--requests-per-day", "100")
    price = model_price("gpt-4o")
    assert price is not None
    base = 11 * price.input_per_token + 7 * price.output_per_token
    _x1, x2, x4 = rec["avalanche"]
    assert not x2["approximate"] and not x4["approximate"]
    assert x2["cost_per_request"] == pytest.approx(base + 11 * price.input_per_token)
    assert x4["cost_per_request"] == pytest.approx(base + 33 * price.input_per_token)


def test_growth_past_a_price_tier_costs_the_higher_tier(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    import litellm

    fake_openai.default = {"content": "echo", "usage": {"prompt_tokens": 150_000, "completion_tokens": 100}}
    db = tmp_path / "wb.db"
    pro = provider(fake_openai, "gemini-2.5-pro", price_as="gemini/gemini-2.5-pro")
    cli_run("run", str(write_suite(tmp_path / "s.yaml", [pro], n_tests=2)), "--db", str(db))
    rec = recommend_json(db, "--requests-per-day", "10")

    def exact(tin: int) -> float:
        usage = litellm.Usage(prompt_tokens=tin, completion_tokens=100, total_tokens=tin + 100)
        return float(sum(litellm.cost_per_token(model="gemini/gemini-2.5-pro", usage_object=usage)))

    x1, x2, _ = rec["avalanche"]
    assert x1["cost_per_request"] == pytest.approx(exact(150_000))
    assert x2["cost_per_request"] == pytest.approx(exact(300_000))  # above 200k: the higher tier
    assert x2["cost_per_request"] > 2 * x1["cost_per_request"]


def test_an_all_error_pair_is_unknown_not_zero(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.by_model["broken"] = {"status": 500}
    db = tmp_path / "wb.db"
    suite = write_suite(tmp_path / "s.yaml", [provider(fake_openai, "broken", (1, 2), max_attempts=1)], n_tests=2)
    _code, out = cli_run("run", str(suite), "--db", str(db))
    row = next(line for line in out.splitlines() if " broken " in f" {line} " and "none" in line)
    assert "unknown" in row and "$0 " not in row + " "
    rec = recommend_json(db, "--requests-per-day", "100", "--allow-errors")
    assert rec["pairs"][0]["mean_cost"] is None
    assert rec["projections"] == []  # nothing to project: no $0/month
