"""`build_provider`: the one call the engine makes to get a provider with everything around it.

    cache (CachedProvider) -> fallbacks (FallbackProvider) -> provider (retries + limits + price)

Settings come from the provider's `config` first, then the suite's `workbench:` block (parsed once
into `Suite.settings`, a `SuiteSettings`, which the engine passes as `settings`):

    workbench:
      retries: {max_attempts: 4, timeout: 60, retry_base_delay: 0.5}
      fallbacks: {openai:gpt-4o-mini: [anthropic:messages:claude-3-5-haiku-20241022]}
      prices: {local:smollm2-135m: {machine: gpu}, openai:my-model: {input_cost_per_1m: 1, output_cost_per_1m: 2}}
      cache: {ttl: 86400}
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from workbench.errors import ProviderError
from workbench.providers.base import Provider
from workbench.providers.custom_base import CustomProvider
from workbench.providers.fallbacks import FallbackProvider
from workbench.providers.litellm_provider import LiteLLMProvider, policy_from
from workbench.providers.local import LocalProvider
from workbench.providers.pricing import Price, override_price, resolve_price
from workbench.providers.resolution import resolve
from workbench.providers.response_cache import CachedProvider
from workbench.types import ProviderResponse, ProviderSpec, SuiteSettings

NO_CACHE_IDS = {"echo"}  # instant and free: caching would only cost a database write


class RunOptions(Protocol):
    """What `build_provider` reads of the run's options (the engine's `RunConfig` has them)."""

    use_cache: bool
    cache_ttl_s: float | None  # --cache-ttl; None: the suite's `cache: {ttl}`, else no expiry
    provider_wrapper: Callable[[Provider], Provider] | None  # batch mode, Ray's shared rate limit


def _as_spec(value: Any, where: str) -> ProviderSpec:
    if isinstance(value, str):
        return ProviderSpec(id=value)
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return ProviderSpec(id=value["id"], label=value.get("label"), config=dict(value.get("config") or {}))
    raise ProviderError(f"{where}: a fallback is a provider id or {{id, config}}, got {value!r}")


def fallback_specs(spec: ProviderSpec, settings: SuiteSettings) -> list[ProviderSpec]:
    raw = (spec.config or {}).get("fallbacks")
    where = f"providers[{spec.display}].config.fallbacks"
    if raw is None:
        table = settings.fallbacks
        raw = table.get(spec.label or "") or table.get(spec.id)
        where = f"workbench.fallbacks.{spec.label or spec.id}"
    if raw is None:
        return []
    if isinstance(raw, (str, dict)):
        raw = [raw]
    if not isinstance(raw, list):
        raise ProviderError(f"{where}: expected a list of provider ids")
    return [_as_spec(v, f"{where}[{i}]") for i, v in enumerate(raw)]


def configure(provider: Provider, spec: ProviderSpec, settings: SuiteSettings) -> Provider:
    """Apply suite-level retries and prices to a built-in provider (plugins are left as they are)."""
    prices, retries = settings.prices, settings.retries
    if isinstance(provider, LiteLLMProvider):
        provider.policy = policy_from(spec.config or {}, policy_from(retries))
        base = provider.api_base
        provider.price = resolve_price(provider.model, spec.config, prices, spec.label or spec.id, base)
        if provider.price is None and spec.label:
            provider.price = resolve_price(provider.model, None, prices, spec.id, base)
    elif isinstance(provider, CustomProvider):  # file://, exec:, http: retries and prices as for any provider
        provider.policy = policy_from(spec.config or {}, policy_from(retries, provider.policy))
        if provider.price is None and prices:
            provider.price = resolve_price(None, None, prices, spec.label or spec.id) or resolve_price(
                None, None, prices, spec.id
            )
    elif isinstance(provider, LocalProvider) and prices and override_price(spec.config or {}) is None:
        suite_price = resolve_price(None, None, prices, spec.label or spec.id) or resolve_price(
            None, None, prices, spec.id
        )
        provider.price = suite_price or provider.price
    return provider


def build_provider(
    spec: ProviderSpec,
    base_dir: Path | None,
    *,
    db: Database | None = None,
    run_options: RunOptions | None = None,
    settings: SuiteSettings | None = None,
) -> Provider:
    """The provider for `spec` with prices, retries, limits, fallbacks and (unless off) the cache.

    `run_options` is the engine's RunConfig (or None: the cache on, no wrapper); `settings` the
    suite's (`Suite.settings`: retries, fallbacks, prices, cache ttl; None: none).
    Raises ProviderError for an unknown id or bad settings (exit 2 before any call).
    """
    settings = settings or SuiteSettings()
    provider = configure(resolve(spec, base_dir), spec, settings)
    wrapper = run_options.provider_wrapper if run_options is not None else None
    if wrapper is not None:
        provider = wrapper(provider)
    fallbacks = fallback_specs(spec, settings)
    if fallbacks:
        chain = [configure(resolve(f, base_dir), f, settings) for f in fallbacks]
        provider = FallbackProvider(provider, chain)
    use_cache = run_options.use_cache if run_options is not None else True
    if db is not None and use_cache and spec.id not in NO_CACHE_IDS:
        ttl = run_options.cache_ttl_s if run_options is not None else None
        if ttl is None:
            ttl = settings.cache_ttl
        provider = CachedProvider(provider, db, ttl, reprice=repricer(provider))
    return provider


def warm_up(provider: Provider) -> None:
    """Run each provider's `warm_up()` (heavy imports) through the cache and fallback wrappers."""
    for attr in ("inner", "primary"):
        if getattr(provider, attr, None) is not None:
            warm_up(getattr(provider, attr))
    for fallback in getattr(provider, "fallbacks", None) or []:
        warm_up(fallback)
    hook = getattr(provider, "warm_up", None)
    if callable(hook):
        hook()


def _innermost(provider: Provider) -> Provider:
    while True:
        inner = getattr(provider, "inner", None) or getattr(provider, "primary", None)
        if inner is None:
            return provider
        provider = inner


def price_of(provider: Provider | None) -> Price | None:
    """The price a built provider charges (through the cache and fallback wrappers: the primary's)."""
    if provider is None:
        return None
    price = getattr(_innermost(provider), "price", None)
    return price if isinstance(price, Price) else None


def repricer(provider: Provider) -> Callable[[ProviderResponse], float | None]:
    """`fn(response) -> cost`: a stored response priced now, by the provider that answered it
    (the primary, or the fallback named in `fallback_used`); None when that price is unknown."""
    chain: dict[str | None, Provider] = {None: provider}
    for f in getattr(provider, "fallbacks", []) or []:
        chain[f.spec.id] = f

    def reprice(response: ProviderResponse) -> float | None:
        answered = chain.get(response.fallback_used, provider)
        price = price_of(answered)
        if price is None:  # a custom provider's own reported cost stands; otherwise unknown
            return response.cost if isinstance(_innermost(answered), CustomProvider) else None
        return price.cost(response.tokens_in, response.tokens_out, response.usage, response.latency_ms)

    return reprice
