"""The litellm provider against a real loopback OpenAI-compatible server: ids, params, attempts,
Retry-After, timeouts, dropped connections, malformed bodies, tokens and cost."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from fake_openai_server import FakeOpenAI, spec_for

from workbench.errors import ProviderError
from workbench.providers.ids import to_litellm_model
from workbench.providers.litellm_provider import LiteLLMProvider
from workbench.providers.pricing import model_price
from workbench.providers.resolution import resolve
from workbench.providers.stack import build_provider
from workbench.suite.settings import parse_settings
from workbench.types import ProviderRequest, ProviderSpec


@pytest.fixture(autouse=True, scope="module")
def _warm_litellm() -> None:
    """Pay litellm's import and first-call set-up once, outside the per-attempt timeouts below."""
    server = FakeOpenAI().start()
    try:
        asyncio.run(resolve(spec_for(server)).call(request()))
    finally:
        server.stop()


def request(text: str = "hello there", **params: Any) -> ProviderRequest:
    return ProviderRequest(prompt=text, messages=[{"role": "user", "content": text}], params=params)


def call(provider: Any, req: ProviderRequest | None = None) -> Any:
    return asyncio.run(provider.call(req or request()))


@pytest.mark.parametrize(
    ("pid", "model"),
    [
        ("openai:gpt-4o-mini", "openai/gpt-4o-mini"),
        ("openai:chat:gpt-4o-mini", "openai/gpt-4o-mini"),
        ("openai/gpt-4o-mini", "openai/gpt-4o-mini"),
        ("anthropic:messages:claude-3-5-haiku-20241022", "anthropic/claude-3-5-haiku-20241022"),
        ("ollama:chat:llama3", "ollama_chat/llama3"),
        ("ollama:llama3", "ollama/llama3"),
        ("litellm:groq/llama3-8b-8192", "groq/llama3-8b-8192"),
        ("echo", None),
        ("nosuch:model", None),
        ("file://provider.py", None),
        ("notaprovider/x", None),
    ],
)
def test_id_forms(pid: str, model: str | None) -> None:
    assert to_litellm_model(pid) == model


def test_unknown_id_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="unknown provider id 'nosuch:model'"):
        resolve(ProviderSpec(id="nosuch:model"))


def test_success_usage_tokens_and_exact_cost(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue({"content": "Paris", "usage": {"prompt_tokens": 1000, "completion_tokens": 500}})
    r = call(resolve(spec_for(fake_openai)))
    assert r.error is None
    assert r.output == "Paris"
    assert (r.tokens_in, r.tokens_out, r.token_source) == (1000, 500, "usage")
    price = model_price("openai/gpt-4o-mini")
    assert price is not None
    assert r.cost == pytest.approx(1000 * price.input_per_token + 500 * price.output_per_token)
    assert r.cost == pytest.approx(1000 * 0.15e-6 + 500 * 0.6e-6)  # the published gpt-4o-mini price
    assert r.attempts == 1 and r.model == "openai/gpt-4o-mini" and r.finish_reason == "stop"


def test_missing_usage_falls_back_to_tiktoken(fake_openai: FakeOpenAI) -> None:
    from workbench.tokens import count_message_tokens, count_tokens

    fake_openai.queue({"content": "one two three", "usage": None})
    r = call(resolve(spec_for(fake_openai)), request("count me please"))
    assert r.token_source == "tiktoken"
    assert r.tokens_in == count_message_tokens([{"role": "user", "content": "count me please"}], "gpt-4o-mini")
    assert r.tokens_out == count_tokens("one two three", "gpt-4o-mini")


def test_config_params_are_passed_and_workbench_keys_are_not(fake_openai: FakeOpenAI) -> None:
    spec = spec_for(
        fake_openai, temperature=0.3, max_tokens=42, top_p=0.9, seed=7, stop=["\n\n"], max_attempts=2, rpm=600
    )
    call(resolve(spec), request("x", temperature=0.1))
    body = fake_openai.requests[-1]["body"]
    assert body["temperature"] == 0.1  # the request (prompt config) wins over the provider config
    assert (body["max_tokens"], body["top_p"], body["seed"], body["stop"]) == (42, 0.9, 7, ["\n\n"])
    for key in ("max_attempts", "rpm", "apiBaseUrl", "retry_base_delay", "apiKey"):
        assert key not in body
    assert fake_openai.requests[-1]["headers"]["authorization"] == "Bearer sk-test-SECRET-123"


def test_api_key_from_envar(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY_VAR", "sk-from-env")
    spec = ProviderSpec(id="openai/gpt-4o-mini", config={"api_base": fake_openai.base_url, "apiKeyEnvar": "MY_KEY_VAR"})
    assert call(resolve(spec)).error is None
    assert fake_openai.requests[-1]["headers"]["authorization"] == "Bearer sk-from-env"
    with pytest.raises(ProviderError, match="apiKeyEnvar NOT_SET_VAR is not set"):
        resolve(ProviderSpec(id="openai/gpt-4o-mini", config={"apiKeyEnvar": "NOT_SET_VAR"}))


def test_two_failures_then_success_is_three_attempts(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue({"status": 500}, {"status": 503})
    r = call(resolve(spec_for(fake_openai)))
    assert r.error is None and r.output.startswith("echo:")
    assert r.attempts == 3 == fake_openai.count
    assert r.wall_ms >= r.latency_ms


def test_retries_exhausted_is_an_error_with_the_final_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue({"status": 500}, {"status": 500}, {"status": 429})
    r = call(resolve(spec_for(fake_openai, max_attempts=3)))
    assert r.output is None
    assert r.error is not None and "RateLimitError" in r.error and "429" in r.error
    assert r.attempts == 3 == fake_openai.count
    assert "sk-test-SECRET-123" not in r.error


def test_client_errors_are_not_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue({"status": 400})
    r = call(resolve(spec_for(fake_openai, max_attempts=4)))
    assert r.error is not None and "BadRequest" in r.error
    assert r.attempts == 1 == fake_openai.count


def test_retry_after_is_honoured(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue({"status": 429, "retry_after": 1})
    r = call(resolve(spec_for(fake_openai, retry_base_delay=0.001)))
    assert r.error is None and r.attempts == 2
    t = [req["t"] for req in fake_openai.requests]
    assert t[1] - t[0] >= 0.95  # waited what the server asked, not the 1 ms backoff


def test_timeout_per_attempt(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue({"hang": 10}, {"hang": 10})
    start = time.monotonic()
    r = call(resolve(spec_for(fake_openai, timeout=0.5, max_attempts=3)))
    assert r.error is None  # the third attempt answers
    assert r.attempts == 3 == fake_openai.count
    assert time.monotonic() - start < 5


def test_timeouts_exhausted(fake_openai: FakeOpenAI) -> None:
    fake_openai.default = {"hang": 10}
    r = call(resolve(spec_for(fake_openai, timeout=0.3, max_attempts=2)))
    assert r.error is not None and "Timeout" in r.error
    assert r.attempts == 2 == fake_openai.count


def test_dropped_connection_and_malformed_body_are_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue({"drop": True}, {"malformed": True})
    r = call(resolve(spec_for(fake_openai)))
    assert r.error is None
    assert r.attempts == 3 == fake_openai.count


def test_malformed_every_time_is_an_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.default = {"malformed": True}
    r = call(resolve(spec_for(fake_openai, max_attempts=2)))
    assert r.error is not None and r.attempts == 2


def test_unknown_price_is_none_not_zero(fake_openai: FakeOpenAI) -> None:
    r = call(resolve(spec_for(fake_openai, model="my-private-model")))
    assert r.error is None and r.tokens_in == 11
    assert r.cost is None


def test_price_override_in_config(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue({"usage": {"prompt_tokens": 2_000_000, "completion_tokens": 1_000_000}})
    spec = spec_for(fake_openai, model="my-private-model", input_cost_per_1m=0.5, output_cost_per_1m=2)
    r = call(resolve(spec))
    assert r.cost == pytest.approx(2 * 0.5 + 1 * 2)


def test_suite_retries_and_prices_through_build_provider(fake_openai: FakeOpenAI) -> None:
    class Opts:
        use_cache = False
        cache_ttl_s = None
        provider_wrapper = None

    settings = parse_settings(
        {
            "retries": {"max_attempts": 2, "retry_base_delay": 0.001},
            "prices": {"openai:chat:my-model": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}},
        },
        None,
    )
    fake_openai.default = {"status": 500}
    spec = ProviderSpec(id="openai:chat:my-model", config={"apiBaseUrl": fake_openai.base_url})
    provider = build_provider(spec, None, db=None, run_options=Opts(), settings=settings)
    assert isinstance(provider, LiteLLMProvider)
    r = call(provider)
    assert r.attempts == 2 and r.error
    fake_openai.default = {}
    r = call(provider)
    assert r.cost == pytest.approx(11 * 1e-6 + 7 * 2e-6)


def test_concurrency_limit(fake_openai: FakeOpenAI) -> None:
    fake_openai.default = {"delay": 0.2}
    provider = resolve(spec_for(fake_openai, max_concurrency=2))

    async def many() -> list[Any]:
        return await asyncio.gather(*(provider.call(request(f"q{i}")) for i in range(6)))

    start = time.monotonic()
    results = asyncio.run(many())
    wall = time.monotonic() - start
    assert all(r.error is None for r in results)
    assert wall >= 0.55  # 6 calls, 2 at a time, 0.2 s each: at least 3 rounds
    times = sorted(req["t"] for req in fake_openai.requests)
    assert times[2] - times[0] >= 0.15  # the third request waited for a slot


@pytest.mark.parametrize("transport", ["litellm", "openai-compatible"])
def test_both_transports_give_the_same_result_under_faults(fake_openai: FakeOpenAI, transport: str) -> None:
    fake_openai.queue(
        {"status": 500},
        {"drop": True},
        {"malformed": True},
        {"hang": 10},
        {"status": 429, "retry_after": 0.2},
        {"content": "fine", "usage": {"prompt_tokens": 100, "completion_tokens": 20}},
    )
    r = call(resolve(spec_for(fake_openai, transport=transport, timeout=1.0, max_attempts=6)))
    assert r.error is None, r.error
    assert (r.output, r.attempts, fake_openai.count) == ("fine", 6, 6)
    assert (r.tokens_in, r.tokens_out, r.token_source) == (100, 20, "usage")
    assert r.cost == pytest.approx(100 * 0.15e-6 + 20 * 0.6e-6)
    body = fake_openai.requests[-1]["body"]
    assert body["model"] == "gpt-4o-mini" and body["messages"] == [{"role": "user", "content": "hello there"}]


def test_openai_compatible_errors_and_settings(fake_openai: FakeOpenAI) -> None:
    fake_openai.default = {"status": 400}
    r = call(resolve(spec_for(fake_openai, transport="openai-compatible", max_attempts=3)))
    assert r.error == "BadRequestError: HTTP 400: fake error 400" and r.attempts == 1
    fake_openai.default = {"usage": None, "content": "a b c"}
    r = call(resolve(spec_for(fake_openai, transport="openai-compatible", temperature=0, seed=1)))
    assert r.token_source == "tiktoken" and r.tokens_out == 3
    assert fake_openai.requests[-1]["body"]["seed"] == 1
    with pytest.raises(ProviderError, match="transport must be one of litellm, openai-compatible"):
        resolve(spec_for(fake_openai, transport="grpc"))
    with pytest.raises(ProviderError, match="needs apiBaseUrl"):
        resolve(ProviderSpec(id="openai:gpt-4o-mini", config={"transport": "openai-compatible"}))


def test_a_key_echoed_in_an_error_is_redacted(fake_openai: FakeOpenAI) -> None:
    fake_openai.queue({"status": 401, "message": "Incorrect API key provided: sk-test-SECRET-123"})
    r = call(resolve(spec_for(fake_openai, max_attempts=3)))
    assert r.error is not None and "Incorrect API key provided: [redacted]" in r.error
    assert "sk-test-SECRET-123" not in r.error and r.attempts == 1
