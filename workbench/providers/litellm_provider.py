"""litellm-backed providers: promptfoo ids (`openai:gpt-4o-mini`) and litellm ids (`openai/gpt-4o-mini`).

One call = up to `RetryPolicy.max_attempts` real HTTP attempts through `litellm.acompletion` with
litellm's own retries off (`num_retries=0`, `max_retries=0`), each attempt inside the provider's
concurrency/rpm limiter and bounded by the per-attempt timeout. Tokens come from the response's
usage, else tiktoken (`token_source` says which); the usage details that change a price (cached
input, reasoning, cache writes) are kept in `usage`; cost is `Price.cost` of the whole usage
(litellm's own computation for map prices), None when the price is unknown. API keys are resolved here and never leave this object (not in
`identity()`, not in errors, not in metadata).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from workbench.errors import ProviderError
from workbench.providers.ids import to_litellm_model
from workbench.providers.limits import Limiter
from workbench.providers.loop_cleanup import on_loop_shutdown
from workbench.providers.openai_compat import chat_completion
from workbench.providers.openai_endpoints import lean_endpoint
from workbench.providers.pricing import Price, resolve_price, usage_details
from workbench.providers.retry import RetryPolicy, call_with_retries, describe
from workbench.tokens import configure_offline, count_message_tokens, count_tokens
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

# Config keys sent to the model. Everything else in `config` is workbench's (endpoint, key,
# retries, limits, prices, fallbacks) or unknown to litellm, and is not sent.
CALL_PARAMS = {
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "seed",
    "stop",
    "frequency_penalty",
    "presence_penalty",
    "response_format",
    "tools",
    "tool_choice",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "reasoning_effort",
    "user",
}
# promptfoo spellings -> OpenAI names.
ALIASES = {
    "maxTokens": "max_tokens",
    "topP": "top_p",
    "frequencyPenalty": "frequency_penalty",
    "presencePenalty": "presence_penalty",
    "responseFormat": "response_format",
    "stopSequences": "stop",
}
API_BASE_KEYS = ("api_base", "apiBaseUrl", "apiHost", "base_url", "baseUrl")
NO_KEY = "sk-workbench-no-key"
# litellm's environment variable for each hosted API (a model whose key is unset is skipped before the run)
KEY_ENV = {
    "openai": "OPENAI_API_KEY",
    "text-completion-openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "cohere": "COHERE_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "xai": "XAI_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "perplexity": "PERPLEXITYAI_API_KEY",
}
TRANSPORTS = ("litellm", "openai-compatible")  # OpenAI-compatible servers without auth still need a non-empty key


@functools.lru_cache(maxsize=1)
def litellm_module() -> Any:
    """litellm, imported once, offline and quiet."""
    configure_offline()
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    litellm.set_verbose = False
    litellm.drop_params = True  # a param a provider does not support is dropped, not an error
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx", "openai"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return litellm


async def close_litellm_clients() -> None:
    """Close litellm's cached HTTP clients (they are bound to the loop that is shutting down)."""
    from litellm.llms.custom_httpx.async_client_cleanup import close_litellm_async_clients

    await close_litellm_async_clients()
    cache = getattr(litellm_module().in_memory_llm_clients_cache, "cache_dict", None)
    if isinstance(cache, dict):
        cache.clear()


def call_params(*configs: dict[str, Any]) -> dict[str, Any]:
    """The model parameters from provider config and request params (later ones win)."""
    out: dict[str, Any] = {}
    for cfg in configs:
        for k, v in (cfg or {}).items():
            name = ALIASES.get(k, k)
            if name in CALL_PARAMS and v is not None:
                out[name] = v
    return out


def policy_from(config: dict[str, Any], base: RetryPolicy | None = None) -> RetryPolicy:
    """Retry settings: `max_attempts` (or `retries` = attempts - 1), `timeout` (s), `retry_base_delay`."""
    p = base or RetryPolicy()
    fields: dict[str, Any] = {}
    try:
        if "max_attempts" in config:
            fields["max_attempts"] = int(config["max_attempts"])
        elif "retries" in config:
            fields["max_attempts"] = int(config["retries"]) + 1
        if "timeout" in config:
            fields["timeout"] = float(config["timeout"]) if config["timeout"] is not None else None
        if "retry_base_delay" in config:
            fields["base_delay"] = float(config["retry_base_delay"])
        if "retry_max_delay" in config:
            fields["max_delay"] = float(config["retry_max_delay"])
    except (TypeError, ValueError) as e:
        raise ProviderError(f"provider config: retry settings must be numbers ({e})") from None
    if fields.get("max_attempts", 1) < 1:
        raise ProviderError("provider config: max_attempts must be at least 1")
    from dataclasses import replace

    return replace(p, **fields)


def limiter_from(config: dict[str, Any]) -> Limiter:
    conc = config.get("max_concurrency", config.get("concurrency"))
    rpm = config.get("rpm", config.get("requests_per_minute"))
    try:
        return Limiter(int(conc) if conc else None, float(rpm) if rpm else None)
    except (TypeError, ValueError):
        raise ProviderError(f"provider config: concurrency/rpm must be numbers (got {conc!r}, {rpm!r})") from None


class LiteLLMProvider:
    def __init__(
        self,
        spec: ProviderSpec,
        base_dir: Path | None = None,
        *,
        policy: RetryPolicy | None = None,
        limiter: Limiter | None = None,
        price: Price | bool | None = True,  # True: resolve from config and litellm's map
    ) -> None:
        model = to_litellm_model(spec.id)
        if model is None:
            raise ProviderError(f"unknown provider id {spec.id!r} (see `workbench models` for known ids)")
        self.spec = spec
        self.model = model
        config = spec.config or {}
        self.api_base: str | None = next((str(config[k]) for k in API_BASE_KEYS if config.get(k)), None)
        chosen = config.get("transport")
        if chosen is not None and chosen not in TRANSPORTS:
            raise ProviderError(f"provider {spec.display!r}: transport must be one of {', '.join(TRANSPORTS)}")
        if chosen == "openai-compatible" and not self.api_base:
            raise ProviderError(f"provider {spec.display!r}: transport openai-compatible needs apiBaseUrl")
        # Default: the lean transport wherever the endpoint speaks OpenAI's protocol (no litellm import).
        lean = lean_endpoint(model, self.api_base) if chosen is None else None
        self.transport = str(chosen or ("openai-compatible" if lean else "litellm"))
        self.lean_base: str | None = lean[0] if lean else self.api_base
        self._api_key = self._resolve_key(config, lean[1] if lean else ())
        self.policy = policy or policy_from(config)
        self.limiter = limiter or limiter_from(config)
        self.price: Price | None = (
            resolve_price(model, config, api_base=self.api_base) if price is True else (price or None)
        )

    def _resolve_key(self, config: dict[str, Any], key_env: tuple[str, ...] = ()) -> str | None:
        key = config.get("apiKey") or config.get("api_key")
        env_name = config.get("apiKeyEnvar") or config.get("api_key_env")
        if not key and env_name:
            key = os.environ.get(str(env_name))
            if not key:
                raise ProviderError(f"provider {self.spec.display!r}: apiKeyEnvar {env_name} is not set")
        if not key:  # the lean transport reads the provider's usual variable, as litellm would
            key = next((os.environ[name] for name in key_env if os.environ.get(name)), None)
        if not key and self.api_base and self.model.startswith(("openai/", "text-completion-openai/")):
            key = os.environ.get("OPENAI_API_KEY") or NO_KEY
        return str(key) if key else None

    def api_key(self) -> str | None:
        """The key this provider sends (for the batch API client); never stored or logged."""
        return self._api_key if self._api_key != NO_KEY else None

    def missing_credentials(self) -> str | None:
        """A notice when no key can be found for a hosted API (for `make demo` skipping), else None."""
        if self._api_key or self.api_base or self.model.startswith(("ollama", "hosted_vllm", "lm_studio")):
            return None
        env = KEY_ENV.get(self.model.split("/")[0])
        if env and not os.environ.get(env):
            return f"{self.spec.display}: {env} is not set"
        return None

    def warm_up(self) -> None:
        """Import litellm now, outside the event loop: a multi-second import inside it would hold
        off Ctrl-C/SIGTERM (asyncio can only cancel between steps), and it is needed anyway."""
        if self.transport == "litellm":
            litellm_module()

    def identity(self, request: ProviderRequest) -> dict[str, Any]:
        """What determines the answer (for cache keys): no key, only the endpoint and parameters."""
        return {
            "provider": self.spec.id,
            "model": self.model,
            "api_base": self.api_base,
            "params": call_params(self.spec.config, request.params),
        }

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        direct = self.transport == "openai-compatible"
        litellm: Any = None
        if not direct:  # the lean transport never pays for importing litellm
            litellm = litellm_module()
            await on_loop_shutdown("litellm", close_litellm_clients)
        params = call_params(self.spec.config, request.params)
        kwargs: dict[str, Any] = {"model": self.model, "messages": request.messages, **params}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self._api_key:
            kwargs["api_key"] = self._api_key
        timeout = self.policy.timeout
        if timeout:
            kwargs["timeout"] = timeout
        latency: list[float] = []
        body = {"model": self.model.split("/", 1)[1], "messages": request.messages, **params}

        async def attempt() -> Any:
            async with self.limiter.slot():
                t0 = time.perf_counter()
                try:
                    if direct:
                        # aiohttp's total timeout bounds the whole exchange, body included.
                        raw = await chat_completion(str(self.lean_base), self._api_key, body, timeout)
                    else:
                        coro = litellm.acompletion(num_retries=0, max_retries=0, **kwargs)
                        # A hung server must not stall the run even if litellm's timeout misses it.
                        raw = await (asyncio.wait_for(coro, timeout + 1.0) if timeout else coro)
                    extract(raw)  # a 200 that is no chat completion is a malformed body: retried, then an error row
                    return raw
                finally:
                    latency.append((time.perf_counter() - t0) * 1000)

        outcome = await call_with_retries(attempt, self.policy)
        if outcome.error is not None or outcome.value is None:
            error = describe(outcome.error) if outcome.error else "empty response"
            if self._api_key and self._api_key != NO_KEY:
                error = error.replace(self._api_key, "[redacted]")  # some servers echo the key back
            return ProviderResponse(
                error=error,
                attempts=outcome.attempts,
                latency_ms=latency[-1] if latency else None,
                wall_ms=outcome.wall_ms,
                model=self.model,
            )
        return self._response(outcome.value, request, outcome.attempts, latency[-1], outcome.wall_ms)

    def _response(
        self, raw: Any, request: ProviderRequest, attempts: int, latency_ms: float, wall_ms: float
    ) -> ProviderResponse:
        output, finish, tin, tout, logprobs, details = extract(raw)
        if tin or tout:  # litellm reports a missing usage block as zeros
            source = "usage"
        else:
            source = "tiktoken"
            tin = count_message_tokens(request.messages, self.model)
            tout = count_tokens(output if isinstance(output, str) else json.dumps(output), self.model)
        return ProviderResponse(
            output=output,
            tokens_in=int(tin or 0),
            tokens_out=int(tout or 0),
            token_source=source,
            cost=self.price.cost(tin, tout, details, latency_ms) if self.price else None,
            usage=details,
            latency_ms=latency_ms,
            wall_ms=wall_ms,
            attempts=attempts,
            finish_reason=finish,
            logprobs=logprobs,
            model=self.model,
            metadata={"price_source": self.price.source} if self.price else {},
        )


class MalformedCompletion(ValueError):
    """A 200 answer that is not a usable chat completion (no choices, no message, bad usage)."""


def extract(
    raw: Any,
) -> tuple[Any, str | None, int | None, int | None, list[float] | None, dict[str, int]]:
    """(output, finish reason, prompt tokens, completion tokens, logprobs, usage details) from a completion.

    `raw` is litellm's ModelResponse or the plain JSON dict of the openai-compatible transport.
    Raises MalformedCompletion (a ValueError, so it is retried) for anything else.
    """
    try:
        return _extract(raw)
    except MalformedCompletion:
        raise
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as e:
        raise MalformedCompletion(f"not a chat completion ({type(e).__name__}: {e})") from None


def _extract(raw: Any) -> tuple[Any, str | None, int | None, int | None, list[float] | None, dict[str, int]]:
    data = raw if isinstance(raw, dict) else raw.model_dump()
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices:
        raise MalformedCompletion(f"no choices in the response (choices: {json.dumps(choices)[:40]})")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise MalformedCompletion("choices[0] is not an object")
    message = choice.get("message") or {}
    if not isinstance(message, dict):
        raise MalformedCompletion("choices[0].message is not an object")
    output: Any = message.get("content")
    if not output and message.get("tool_calls"):
        output = json.dumps(message["tool_calls"])
    usage = data.get("usage") or {}
    if not isinstance(usage, dict):
        raise MalformedCompletion("usage is not an object")
    for k in ("prompt_tokens", "completion_tokens"):
        if usage.get(k) is not None and not isinstance(usage[k], int):
            raise MalformedCompletion(f"usage.{k} is not an integer")
    lp = (choice.get("logprobs") or {}).get("content") if isinstance(choice.get("logprobs"), dict) else None
    logprobs = [float(t.get("logprob", 0.0)) for t in lp] if lp else None
    return (
        "" if output is None else output,
        choice.get("finish_reason"),
        usage.get("prompt_tokens"),
        usage.get("completion_tokens"),
        logprobs,
        usage_details(usage) if isinstance(usage, dict) else {},
    )
