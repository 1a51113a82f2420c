"""Fallbacks: the next provider answers when the first fails for good; recorded on the result."""

from __future__ import annotations

import asyncio

from fake_openai_server import FakeOpenAI, spec_for

from workbench.providers.fallbacks import FallbackProvider
from workbench.providers.stack import build_provider
from workbench.suite.settings import parse_settings
from workbench.types import ProviderRequest, ProviderSpec

REQ = ProviderRequest(prompt="hi", messages=[{"role": "user", "content": "hi"}])


class Opts:
    use_cache = False
    cache_ttl_s = None
    provider_wrapper = None


def test_fallback_from_provider_config(fake_openai: FakeOpenAI) -> None:
    fake_openai.by_model["bad-model"] = {"status": 500}
    fallback = {
        "id": "openai:chat:gpt-4o-mini",
        "config": {"apiBaseUrl": fake_openai.base_url, "apiKey": "sk-x", "price_as": "gpt-4o-mini"},
    }
    spec = spec_for(fake_openai, model="bad-model", max_attempts=2, fallbacks=[fallback])
    provider = build_provider(spec, None, db=None, run_options=Opts())
    assert isinstance(provider, FallbackProvider)
    r = asyncio.run(provider.call(REQ))
    assert r.error is None
    assert r.fallback_used == "openai:chat:gpt-4o-mini"
    assert r.attempts == 3  # 2 failed attempts on the primary + 1 on the fallback
    assert r.model == "openai/gpt-4o-mini"
    assert r.cost is not None  # priced as the model that answered
    assert r.metadata["fallback_errors"][0]["provider"] == "openai:chat:bad-model"
    assert [q["body"]["model"] for q in fake_openai.requests] == ["bad-model", "bad-model", "gpt-4o-mini"]


def test_fallback_from_workbench_block_and_all_failing(fake_openai: FakeOpenAI) -> None:
    fake_openai.default = {"status": 503}
    primary = spec_for(fake_openai, model="m1", max_attempts=1)
    primary.label = "main"
    settings = {"fallbacks": {"main": ["openai:chat:m2"]}, "retries": {"max_attempts": 2, "retry_base_delay": 0.001}}
    # the fallback reaches the server through its own config
    settings["fallbacks"]["main"] = [{"id": "openai:chat:m2", "config": {"apiBaseUrl": fake_openai.base_url}}]
    r = asyncio.run(
        build_provider(primary, None, db=None, run_options=Opts(), settings=parse_settings(settings, None)).call(REQ)
    )
    assert r.error is not None and "ServiceUnavailable" in r.error
    assert r.fallback_used is None
    assert r.attempts == 1 + 2  # primary's own max_attempts wins over the suite default
    assert len(r.metadata["fallback_errors"]) == 2


def test_no_fallback_needed(fake_openai: FakeOpenAI) -> None:
    spec = spec_for(fake_openai, fallbacks=["echo"])
    r = asyncio.run(build_provider(spec, None, db=None, run_options=Opts()).call(REQ))
    assert r.error is None and r.fallback_used is None and r.attempts == 1
    assert "fallback_errors" not in r.metadata


def test_echo_as_last_resort(fake_openai: FakeOpenAI) -> None:
    fake_openai.default = {"status": 500}
    spec = spec_for(fake_openai, max_attempts=1, fallbacks="echo")
    r = asyncio.run(build_provider(spec, None, db=None, run_options=Opts()).call(REQ))
    assert r.output == "hi" and r.fallback_used == "echo" and r.attempts == 2
    assert ProviderSpec(id="echo").id == r.fallback_used
