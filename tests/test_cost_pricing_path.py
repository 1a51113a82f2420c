"""Issue 15, defects 1, 3, 4: one pricing path, prices applied consistently, no borrowed prices.

Every scenario runs on the loopback OpenAI-compatible server, so the usage (and with it the
exact cost) is known in advance.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from cost_suites import cli_run, provider, recommend_json, write_suite
from fake_openai_server import FakeOpenAI

from workbench.providers.pricing import model_price, resolve_price
from workbench.providers.stack import build_provider
from workbench.store.db import open_db
from workbench.types import ProviderRequest, ProviderSpec

REQ = ProviderRequest(prompt="hi", messages=[{"role": "user", "content": "hi"}])
PER_CALL_IN, PER_CALL_OUT = 11, 7  # the fake server's default usage


def per_request(price: tuple[float, float]) -> float:
    return (PER_CALL_IN * price[0] + PER_CALL_OUT * price[1]) / 1e6


def test_cached_rows_are_repriced_when_the_price_changes(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """Defect 1: run 1 prices cb-low at $5/$10; run 2 at $1/$2 with every cb-low call a cache hit.
    The old code kept the $5/$10 cost in the hits and called cb-low a tie with cb-hi; now the hits
    cost what cb-low costs now, and cb-low is the pick."""
    db = tmp_path / "wb.db"
    first = write_suite(
        tmp_path / "one.yaml",
        [provider(fake_openai, "cb-cheap", (1, 2)), provider(fake_openai, "cb-low", (5, 10))],
    )
    assert cli_run("run", str(first), "--db", str(db), "--label", "one")[0] == 0
    calls = fake_openai.count
    second = write_suite(
        tmp_path / "two.yaml",
        [provider(fake_openai, "cb-low", (1, 2)), provider(fake_openai, "cb-hi", (5, 10))],
    )
    assert cli_run("run", str(second), "--db", str(db), "--label", "two")[0] == 0
    assert fake_openai.count == calls + 10  # cb-low: all hits; cb-hi: 10 calls
    rec = recommend_json(db, "--run", "two", "--min-pass-rate", "0.7")
    assert rec["pick"]["model"] == "cb-low"
    assert rec["pick"]["mean_cost"] == pytest.approx(per_request((1, 2)))
    assert rec["runner_up"]["mean_cost"] == pytest.approx(per_request((5, 10)))
    assert rec["tie"] is False
    assert rec["pick"]["cache_hit_rate"] == 1.0
    assert rec["pick"]["price"]["source"] == "config"  # the run says which price it used
    assert rec["pick"]["price"]["input_per_token"] == pytest.approx(1e-6)


def test_an_override_prices_rows_cached_before_it_existed(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    unpriced = write_suite(tmp_path / "a.yaml", [provider(fake_openai, "cb-new")], n_tests=4)
    cli_run("run", str(unpriced), "--db", str(db), "--label", "a")
    priced = write_suite(tmp_path / "b.yaml", [provider(fake_openai, "cb-new", (2, 4))], n_tests=4)
    calls = fake_openai.count
    cli_run("run", str(priced), "--db", str(db), "--label", "b")
    assert fake_openai.count == calls  # every call a hit
    rec = recommend_json(db, "--run", "b")
    assert rec["pick"]["model"] == "cb-new"
    assert rec["pick"]["mean_cost"] == pytest.approx(per_request((2, 4)))
    conn = open_db(db)
    costs = [r[0] for r in conn.execute("select cached_cost from results where run_id = 2")]
    assert costs == [pytest.approx(per_request((2, 4)))] * 4  # no row keeps the old (unknown) price


def _call(spec: ProviderSpec) -> object:
    return asyncio.run(build_provider(spec, None, db=None).call(REQ))


def test_tiered_prices_follow_litellm(fake_openai: FakeOpenAI) -> None:
    """Defect 3: gemini-2.5-pro above 200k input tokens is billed at the higher tier."""
    import litellm

    fake_openai.default = {"content": "ok", "usage": {"prompt_tokens": 250_000, "completion_tokens": 1000}}
    spec = ProviderSpec(
        id="openai:chat:gemini-2.5-pro",
        config={"apiBaseUrl": fake_openai.base_url, "apiKey": "sk", "price_as": "gemini/gemini-2.5-pro"},
    )
    r = _call(spec)
    usage = litellm.Usage(prompt_tokens=250_000, completion_tokens=1000, total_tokens=251_000)
    pin, pout = litellm.cost_per_token(model="gemini/gemini-2.5-pro", usage_object=usage)
    assert r.cost == pytest.approx(pin + pout)  # type: ignore[attr-defined]
    assert r.cost == pytest.approx(250_000 * 2.5e-6 + 1000 * 1.5e-5)  # type: ignore[attr-defined]  # not 1.25e-6/1e-5


def test_cached_input_tokens_are_billed_at_the_cache_price(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """Defect 3: gpt-4o with 800 of 1,000 input tokens from the provider's prompt cache costs $0.0025."""
    usage = {"prompt_tokens": 1000, "completion_tokens": 100, "prompt_tokens_details": {"cached_tokens": 800}}
    fake_openai.default = {"content": "echo", "usage": usage}
    db = tmp_path / "wb.db"
    suite = write_suite(tmp_path / "s.yaml", [provider(fake_openai, "gpt-4o", price_as="gpt-4o")], n_tests=2)
    assert cli_run("run", str(suite), "--db", str(db))[0] == 0
    rows = open_db(db).execute("select cost, usage from results").fetchall()
    assert [r[0] for r in rows] == [pytest.approx(0.0025)] * 2  # 200 x 2.5e-6 + 800 x 1.25e-6 + 100 x 1e-5
    assert json.loads(rows[0][1]) == {"cached_tokens": 800}  # the usage details are stored with the result
    # an override with a cache-read price is applied the same way
    p = resolve_price("openai/x", {"input_cost_per_1m": 2, "output_cost_per_1m": 8, "cache_read_cost_per_1m": 0.5})
    assert p is not None and p.cost(1000, 100, {"cached_tokens": 800}) == pytest.approx(
        (200 * 2 + 800 * 0.5 + 800) / 1e6
    )


@pytest.mark.parametrize(
    "model",
    [
        "groq/gpt-4o-mini",
        "hosted_vllm/gpt-4o-mini",
        "lm_studio/gpt-4o",
        "ollama_chat/gpt-4o",
        "together_ai/claude-haiku-4-5",
    ],
)
def test_unknown_ids_do_not_borrow_another_providers_price(model: str) -> None:
    """Defect 4: the bare-name fallback stays inside the provider family; self-hosted is unpriced."""
    assert model_price(model) is None
    assert resolve_price(model, {}) is None


def test_family_fallback_still_prices_the_same_provider() -> None:
    assert model_price("openai/gpt-4o-mini") is not None  # bare `gpt-4o-mini` is an openai entry
    assert model_price("anthropic/claude-haiku-4-5") is not None
    assert model_price("groq/openai/gpt-oss-20b") is not None  # groq's own entry


@pytest.mark.parametrize("pid", ["lm_studio/gpt-4o", "hosted_vllm/gpt-4o-mini", "openai:chat:gpt-4o-mini"])
def test_a_self_hosted_endpoint_gets_no_bill_unless_priced(fake_openai: FakeOpenAI, pid: str) -> None:
    """Defect 4 end to end: a model served by your own (loopback) server is `unknown`, never OpenAI's bill."""
    spec = ProviderSpec(id=pid, config={"apiBaseUrl": fake_openai.base_url, "apiKey": "sk"})
    r = _call(spec)
    assert r.error is None and r.tokens_in == PER_CALL_IN  # type: ignore[attr-defined]
    assert r.cost is None  # type: ignore[attr-defined]
    priced = ProviderSpec(id=pid, config={**spec.config, "input_cost_per_1m": 1, "output_cost_per_1m": 2})
    assert _call(priced).cost == pytest.approx(per_request((1, 2)))  # type: ignore[attr-defined]


def test_pooled_runs_put_a_pair_on_one_price(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    """Two runs of one model at different prices, pooled: every result is costed at the newest price."""
    from workbench.analysis.recommend import recommend

    db = tmp_path / "wb.db"
    old = write_suite(tmp_path / "old.yaml", [provider(fake_openai, "cb-x", (5, 10))], n_tests=3)
    new = write_suite(tmp_path / "new.yaml", [provider(fake_openai, "cb-x", (1, 2))], n_tests=3)
    cli_run("run", str(old), "--db", str(db), "--no-cache")
    cli_run("run", str(new), "--db", str(db), "--no-cache")
    rec = recommend(open_db(db), [1, 2])
    (pair,) = rec.pairs
    assert pair.n == 6
    assert pair.mean_cost == pytest.approx(per_request((1, 2)))  # not the mean of two prices
    assert pair.price is not None and pair.price["input_per_token"] == pytest.approx(1e-6)
