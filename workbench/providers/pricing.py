"""Prices: one path from a call's full usage to dollars.

Where a price comes from (first that applies):
1. the provider's `config`, then the suite's `workbench: prices: {<label, id or model>: {...}}`:
   `input_cost_per_token` / `output_cost_per_token` (USD per token, litellm's names) or
   `input_cost_per_1m` / `output_cost_per_1m`; optional `cache_read_input_token_cost` (or
   `cache_read_cost_per_1m`) for input tokens the provider served from its prompt cache;
   promptfoo's `cost` (one per-token price for both directions); or a compute price,
   `cost_per_hour: 0.5` or `machine: cpu-small|gpu` (see `machine_cost.py`);
   `price_as: <litellm model>` prices the provider as that model of litellm's map (a gateway or
   proxy in front of a known model);
2. litellm's bundled price map (`model_prices_and_context_window_backup.json`, read offline),
   looked up **within the model's provider family only**: `openai/gpt-4o-mini` may use the bare
   `gpt-4o-mini` entry because that entry's `litellm_provider` is openai, but `groq/gpt-4o-mini` or
   `together_ai/claude-haiku-4-5` never get OpenAI's or Anthropic's price. Self-hosted providers
   (`hosted_vllm/`, `ollama/`, `ollama_chat/`, `lm_studio/`, `openai_like/`, `llamafile/`) and any
   `apiBaseUrl` other than the provider's own public API are unknown unless priced as in 1.

A map price is applied by litellm's own cost computation (`litellm.cost_per_token`) on the whole
usage of the call: context tiers (`..._above_200k_tokens`), cached input tokens, reasoning tokens.
An override is linear: input tokens not served from the cache x input price, cached input tokens x
the cache-read price (the input price when none is set), output tokens x output price. A model
with no price costs None ("unknown"), never 0.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from workbench.errors import ProviderError
from workbench.providers.machine_cost import DEFAULT_LOCAL_MACHINE, MACHINES, compute_cost, machine_rate
from workbench.tokens import configure_offline

PER_TOKEN_KEYS = ("input_cost_per_token", "output_cost_per_token")
PER_1M_KEYS = ("input_cost_per_1m", "output_cost_per_1m")
CACHE_READ_KEYS = ("cache_read_input_token_cost", "cache_read_cost_per_1m")
COMPUTE_KEYS = ("cost_per_hour", "machine")
PRICE_KEYS = (*PER_TOKEN_KEYS, *PER_1M_KEYS, "cost", *COMPUTE_KEYS, "price_as")

# Providers that run on hardware you choose: no list price applies to them.
SELF_HOSTED = ("hosted_vllm", "vllm", "ollama", "ollama_chat", "lm_studio", "openai_like", "llamafile", "xinference")
# litellm provider prefix -> the map's `litellm_provider` values that price it.
FAMILIES: dict[str, tuple[str, ...]] = {
    "openai": ("openai", "text-completion-openai"),
    "text-completion-openai": ("openai", "text-completion-openai"),
    "gemini": ("gemini",),
    "vertex_ai": ("vertex_ai",),  # and every `vertex_ai-*` family
}
# The public API host of each provider: an apiBaseUrl pointing there keeps the map price.
PUBLIC_HOSTS: dict[str, tuple[str, ...]] = {
    "openai": ("api.openai.com",),
    "text-completion-openai": ("api.openai.com",),
    "anthropic": ("api.anthropic.com",),
    "gemini": ("generativelanguage.googleapis.com",),
    "groq": ("api.groq.com",),
    "mistral": ("api.mistral.ai",),
    "deepseek": ("api.deepseek.com",),
    "together_ai": ("api.together.xyz",),
    "fireworks_ai": ("api.fireworks.ai",),
    "openrouter": ("openrouter.ai",),
    "xai": ("api.x.ai",),
}
USAGE_DETAIL_KEYS = ("cached_tokens", "reasoning_tokens", "cache_creation_input_tokens")


@dataclass(frozen=True)
class Price:
    input_per_token: float
    output_per_token: float
    source: str  # "litellm:<map key>" | "config" | "suite" | "compute:<machine>"
    cache_read_per_token: float | None = None  # input tokens served from the provider's prompt cache
    litellm_key: str | None = None  # a map price: applied by litellm's cost computation
    per_hour: float | None = None  # a compute price: USD per hour of measured busy time

    @property
    def kind(self) -> str:
        return "compute" if self.per_hour is not None else "tokens"

    def cost(
        self,
        tokens_in: int | None,
        tokens_out: int | None,
        usage: dict[str, Any] | None = None,
        busy_ms: float | None = None,
    ) -> float | None:
        """USD for one call: its tokens and usage details, or its busy time for a compute price."""
        if self.per_hour is not None:
            return compute_cost(self.per_hour, busy_ms)
        if tokens_in is None or tokens_out is None:
            return None
        details = usage or {}
        if self.litellm_key is not None:
            exact = litellm_cost(self.litellm_key, tokens_in, tokens_out, details)
            if exact is not None:
                return exact
        cached = min(int(details.get("cached_tokens") or 0), tokens_in)
        cache_price = self.input_per_token if self.cache_read_per_token is None else self.cache_read_per_token
        return (tokens_in - cached) * self.input_per_token + cached * cache_price + tokens_out * self.output_per_token

    @property
    def per_1m(self) -> tuple[float, float]:
        return self.input_per_token * 1e6, self.output_per_token * 1e6

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Price | None:
        """The Price a run recorded (`to_dict()`), or None."""
        if not data:
            return None
        fields: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        if fields["input_per_token"] is None or fields["output_per_token"] is None or not fields["source"]:
            return None
        return cls(**fields)

    def to_dict(self) -> dict[str, Any]:
        """What a run records about the price it used (per-token values or $ per hour, and source)."""
        return {k: v for k, v in asdict(self).items() if v is not None} | {"kind": self.kind}

    def describe(self) -> str:
        """One line: `litellm:gpt-4o $2.50/$10.00 per 1M in/out` or `compute:cpu-small $0.0893/hour x busy time`."""
        if self.per_hour is not None:
            return f"{self.source} ${self.per_hour:g}/hour x busy time"
        pin, pout = self.per_1m
        cached = f", cached input ${self.cache_read_per_token * 1e6:g}" if self.cache_read_per_token is not None else ""
        tiers = " (+ litellm tiers)" if self.litellm_key and has_tiers(self.litellm_key) else ""
        return f"{self.source} ${pin:g}/${pout:g} per 1M in/out{cached}{tiers}"


@functools.lru_cache(maxsize=1)
def _litellm() -> Any:
    configure_offline()
    import litellm

    return litellm


def litellm_cost(key: str, tokens_in: int, tokens_out: int, details: dict[str, Any]) -> float | None:
    """litellm's own cost of a call with this usage (tiers, cached and reasoning tokens), or None."""
    entry = price_map().get(key) or {}
    try:
        litellm = _litellm()
        usage = litellm.Usage(
            prompt_tokens=tokens_in,
            completion_tokens=tokens_out,
            total_tokens=tokens_in + tokens_out,
            prompt_tokens_details={"cached_tokens": int(details.get("cached_tokens") or 0)},
            completion_tokens_details={"reasoning_tokens": int(details.get("reasoning_tokens") or 0)},
            cache_creation_input_tokens=int(details.get("cache_creation_input_tokens") or 0),
            cache_read_input_tokens=int(details.get("cached_tokens") or 0),
        )
        pin, pout = litellm.cost_per_token(
            model=key, usage_object=usage, custom_llm_provider=entry.get("litellm_provider")
        )
    except Exception:  # a map entry litellm cannot price: the linear price of the entry applies
        return None
    return float(pin) + float(pout)


def has_tiers(key: str) -> bool:
    return any("above_" in k for k in (price_map().get(key) or {}))


def map_path() -> Path | None:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.origin:
        return None
    p = Path(spec.origin).parent / "model_prices_and_context_window_backup.json"
    return p if p.is_file() else None


@functools.lru_cache(maxsize=1)
def price_map() -> dict[str, dict[str, Any]]:
    """litellm's model map (`sample_spec` removed); {} when litellm is not installed."""
    path = map_path()
    if path is None:
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("sample_spec", None)
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def provider_of(model: str) -> str | None:
    return model.split("/", 1)[0] if "/" in model else None


def is_self_hosted(model: str | None, api_base: str | None = None) -> bool:
    """A model served by hardware you run: a self-hosted provider, or an endpoint other than the provider's API."""
    if not model:
        return False
    provider = provider_of(model)
    if provider in SELF_HOSTED:
        return True
    if api_base:
        host = (urlparse(api_base).hostname or "").lower()
        return host not in PUBLIC_HOSTS.get(provider or "openai", ())
    return False


def _same_family(provider: str | None, entry: dict[str, Any]) -> bool:
    if provider is None:  # a bare model name: litellm's own default provider applies
        return True
    owner = str(entry.get("litellm_provider") or "")
    family = FAMILIES.get(provider, (provider,))
    return owner in family or any(owner.startswith(f + "-") for f in family)


def lookup(model: str | None) -> tuple[str, dict[str, Any]] | None:
    """The map entry for a litellm model id, within its provider family (see the module doc)."""
    if not model:
        return None
    provider = provider_of(model)
    if provider in SELF_HOSTED:
        return None
    table = price_map()
    candidates = [model]
    if provider is not None:
        bare = model.split("/", 1)[1]
        candidates.append(bare)
        if provider in ("anthropic", "openai", "text-completion-openai"):
            candidates.append(bare.split("/")[-1])
    for key in candidates:
        entry = table.get(key)
        if entry is not None and _same_family(provider, entry):
            return key, entry
    return None


def model_price(model: str | None, api_base: str | None = None) -> Price | None:
    """The map price of a litellm model id; None when unknown, self-hosted or behind your own endpoint."""
    if is_self_hosted(model, api_base):
        return None
    found = lookup(model)
    if found is None:
        return None
    key, entry = found
    tin, tout = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
    if not isinstance(tin, (int, float)) or not isinstance(tout, (int, float)):
        return None
    cache = entry.get("cache_read_input_token_cost")
    return Price(
        float(tin),
        float(tout),
        f"litellm:{key}",
        cache_read_per_token=float(cache) if isinstance(cache, (int, float)) else None,
        litellm_key=key,
    )


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProviderError(f"{where}: expected a number, got {value!r}")
    try:
        out = float(value)
    except ValueError:
        raise ProviderError(f"{where}: expected a number, got {value!r}") from None
    if out < 0:
        raise ProviderError(f"{where}: a price cannot be negative")
    return out


def _compute_price(config: dict[str, Any], source: str, where: str) -> Price:
    if "cost_per_hour" in config:
        rate = _num(config["cost_per_hour"], f"{where}.cost_per_hour")
        name = str(config.get("machine") or "custom")
    else:
        name = str(config["machine"])
        found = machine_rate(name)
        if found is None:
            raise ProviderError(f"{where}.machine: unknown machine {name!r} (known: {', '.join(MACHINES)})")
        rate = found
    return Price(0.0, 0.0, f"compute:{name}" if source in ("config", "suite") else source, per_hour=rate)


def override_price(config: dict[str, Any], *, source: str = "config", where: str = "config") -> Price | None:
    """A Price from override keys in `config`; None when it sets none. Both directions are required."""
    if not any(k in config for k in PRICE_KEYS):
        return None

    if any(k in config for k in COMPUTE_KEYS):
        return _compute_price(config, source, where)
    if "price_as" in config and not any(k in config for k in (*PER_TOKEN_KEYS, *PER_1M_KEYS, "cost")):
        as_model = str(config["price_as"])
        p = model_price(as_model)
        if p is None:
            raise ProviderError(f"{where}.price_as: {as_model!r} has no price in litellm's map")
        return p
    cache_read: float | None = None
    if CACHE_READ_KEYS[0] in config:
        cache_read = _num(config[CACHE_READ_KEYS[0]], f"{where}.{CACHE_READ_KEYS[0]}")
    elif CACHE_READ_KEYS[1] in config:
        cache_read = _num(config[CACHE_READ_KEYS[1]], f"{where}.{CACHE_READ_KEYS[1]}") / 1e6
    if "cost" in config and not any(k in config for k in (*PER_TOKEN_KEYS, *PER_1M_KEYS)):
        c = _num(config["cost"], f"{where}.cost")
        return Price(c, c, source, cache_read_per_token=cache_read)
    out: list[float] = []
    for per_token, per_1m in zip(PER_TOKEN_KEYS, PER_1M_KEYS, strict=True):
        if per_token in config and per_1m in config:
            raise ProviderError(f"{where}: set {per_token} or {per_1m}, not both")
        if per_token in config:
            out.append(_num(config[per_token], f"{where}.{per_token}"))
        elif per_1m in config:
            out.append(_num(config[per_1m], f"{where}.{per_1m}") / 1e6)
        else:
            other = PER_TOKEN_KEYS[1 - len(out)]
            raise ProviderError(f"{where}: {per_token} (or {per_1m}) is required alongside {other}")
    return Price(out[0], out[1], source, cache_read_per_token=cache_read)


def resolve_price(
    model: str | None,
    config: dict[str, Any] | None = None,
    suite_prices: dict[str, Any] | None = None,
    provider_id: str | None = None,
    api_base: str | None = None,
) -> Price | None:
    """Provider config override, else the suite's `workbench.prices` entry, else litellm's map."""
    if config:
        p = override_price(config)
        if p is not None:
            return p
    for key in (provider_id, model):
        if suite_prices and key and isinstance(suite_prices.get(key), dict):
            p = override_price(suite_prices[key], source="suite", where=f"workbench.prices.{key}")
            if p is not None:
                return p
    return model_price(model, api_base)


def default_local_price() -> Price:
    """The embedded local models' price when none is configured: the small CPU machine's hourly cost."""
    rate = machine_rate(DEFAULT_LOCAL_MACHINE)
    assert rate is not None
    return Price(0.0, 0.0, f"compute:{DEFAULT_LOCAL_MACHINE}", per_hour=rate)


def usage_details(usage: dict[str, Any]) -> dict[str, int]:
    """The usage details that change a price (cached input, cache writes, reasoning), from an
    OpenAI-shaped usage block (litellm normalizes Anthropic's and Gemini's to it)."""
    out: dict[str, int] = {}
    prompt = usage.get("prompt_tokens_details") or {}
    completion = usage.get("completion_tokens_details") or {}
    cached = (prompt.get("cached_tokens") if isinstance(prompt, dict) else None) or usage.get("cache_read_input_tokens")
    reasoning = completion.get("reasoning_tokens") if isinstance(completion, dict) else None
    for key, value in (
        ("cached_tokens", cached),
        ("reasoning_tokens", reasoning),
        ("cache_creation_input_tokens", usage.get("cache_creation_input_tokens")),
    ):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            out[key] = int(value)
    return out


BATCH_PROVIDERS = ("openai", "anthropic")  # batch APIs `workbench run --batch` speaks
BATCH_DISCOUNT = 0.5  # both providers' published batch discount, used when the map has no batch rate


def map_batch_price(price: Price | None) -> Price | None:
    """The batch rate of a map-priced model: the map's `*_batches` rates, else half the sync rate
    for OpenAI and Anthropic models; None when the model has no batch API or no map entry."""
    key = price.litellm_key if price is not None else None
    entry = price_map().get(key) if key else None
    if price is None or entry is None or price.per_hour is not None:
        return None
    tin, tout = entry.get("input_cost_per_token_batches"), entry.get("output_cost_per_token_batches")
    if isinstance(tin, (int, float)) and isinstance(tout, (int, float)):
        cache = entry.get("cache_read_input_token_cost_batches")
        return Price(
            float(tin),
            float(tout),
            f"litellm-batch:{key}",
            cache_read_per_token=float(cache) if isinstance(cache, (int, float)) else None,
        )
    if entry.get("litellm_provider") in BATCH_PROVIDERS:
        return half_price(price)
    return None


def half_price(price: Price) -> Price:
    return Price(
        price.input_per_token * BATCH_DISCOUNT,
        price.output_per_token * BATCH_DISCOUNT,
        f"{price.source} x{BATCH_DISCOUNT:g} (batch)",
    )


def context_window(model: str | None) -> int | None:
    found = lookup(model)
    if found is None:
        return None
    v = found[1].get("max_input_tokens") or found[1].get("max_tokens")
    return int(v) if isinstance(v, (int, float)) else None
