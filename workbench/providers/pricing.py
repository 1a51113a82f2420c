"""Prices per token, from litellm's bundled price map (read offline) or a per-provider override.

The map is litellm's own `model_prices_and_context_window_backup.json`, read as JSON: the same
numbers `litellm.model_cost` holds under LITELLM_LOCAL_MODEL_COST_MAP=True, without the ~2 s
litellm import. A model with no known price has price None and its calls cost None ("unknown"),
never 0.

Overrides (provider `config`, or `workbench: prices: {<provider id or model>: {...}}`):
`input_cost_per_token` / `output_cost_per_token` (USD per token, litellm's names), or the forms
humans write, `input_cost_per_1m` / `output_cost_per_1m` (USD per million tokens). promptfoo's
`cost` (one per-token price for both directions) is accepted too.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PER_TOKEN_KEYS = ("input_cost_per_token", "output_cost_per_token")
PER_1M_KEYS = ("input_cost_per_1m", "output_cost_per_1m")
PRICE_KEYS = (*PER_TOKEN_KEYS, *PER_1M_KEYS, "cost")


@dataclass(frozen=True)
class Price:
    input_per_token: float
    output_per_token: float
    source: str  # "litellm:<map key>" | "config" | "suite"

    def cost(self, tokens_in: int | None, tokens_out: int | None) -> float | None:
        if tokens_in is None or tokens_out is None:
            return None
        return tokens_in * self.input_per_token + tokens_out * self.output_per_token

    @property
    def per_1m(self) -> tuple[float, float]:
        return self.input_per_token * 1e6, self.output_per_token * 1e6


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


def lookup(model: str | None) -> tuple[str, dict[str, Any]] | None:
    """The map entry for a litellm model id (`openai/gpt-4o-mini`, `gpt-4o-mini`, `ollama/llama3`)."""
    if not model:
        return None
    table = price_map()
    candidates = [model]
    if "/" in model:
        provider, bare = model.split("/", 1)
        candidates.append(bare)
        if provider in ("anthropic", "openai", "text-completion-openai"):
            candidates.append(bare.split("/")[-1])
    for key in candidates:
        entry = table.get(key)
        if entry is not None:
            return key, entry
    return None


def model_price(model: str | None) -> Price | None:
    found = lookup(model)
    if found is None:
        return None
    key, entry = found
    tin, tout = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
    if not isinstance(tin, (int, float)) or not isinstance(tout, (int, float)):
        return None
    return Price(float(tin), float(tout), f"litellm:{key}")


def _num(value: Any, where: str) -> float:
    from workbench.errors import ProviderError

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProviderError(f"{where}: expected a number, got {value!r}")
    try:
        out = float(value)
    except ValueError:
        raise ProviderError(f"{where}: expected a number, got {value!r}") from None
    if out < 0:
        raise ProviderError(f"{where}: a price cannot be negative")
    return out


def override_price(config: dict[str, Any], *, source: str = "config", where: str = "config") -> Price | None:
    """A Price from override keys in `config`; None when it sets none. Both directions are required."""
    if not any(k in config for k in PRICE_KEYS):
        return None
    from workbench.errors import ProviderError

    if "cost" in config and not any(k in config for k in (*PER_TOKEN_KEYS, *PER_1M_KEYS)):
        c = _num(config["cost"], f"{where}.cost")
        return Price(c, c, source)
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
    return Price(out[0], out[1], source)


def resolve_price(
    model: str | None,
    config: dict[str, Any] | None = None,
    suite_prices: dict[str, Any] | None = None,
    provider_id: str | None = None,
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
    return model_price(model)


def context_window(model: str | None) -> int | None:
    found = lookup(model)
    if found is None:
        return None
    v = found[1].get("max_input_tokens") or found[1].get("max_tokens")
    return int(v) if isinstance(v, (int, float)) else None
