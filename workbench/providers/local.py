"""`local:<name>`: an embedded offline model (see `workbench/providers/local_model.py`), e.g. `local:smollm2-135m`.

Generation runs in a worker thread so the asyncio loop keeps serving other cells; one model
generates one request at a time (a lock per model), which keeps greedy output deterministic and
memory flat. Its price comes from the provider config or the suite (`workbench.prices`); unset,
it is a compute price: the small CPU machine's $ per hour x the measured generation time of the
call (`machine_cost.py`), labelled `compute:cpu-small`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from workbench.errors import ProviderError
from workbench.providers.local_model import (
    LOCAL_MODELS,
    PRECISIONS,
    default_precision,
    generate_chat,
    load_local,
)
from workbench.providers.pricing import Price, default_local_price, override_price
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

PREFIX = "local:"
DEFAULT_MAX_TOKENS = 128
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(name: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(name, threading.Lock())


class LocalProvider:
    def __init__(self, spec: ProviderSpec, base_dir: Path | None = None, *, price: Price | bool | None = True) -> None:
        self.spec = spec
        self.name = spec.id[len(PREFIX) :]
        if self.name not in LOCAL_MODELS and not Path(self.name).expanduser().is_dir():
            known = ", ".join(f"local:{n}" for n in sorted(LOCAL_MODELS))
            raise ProviderError(f"unknown local model {spec.id!r} (known: {known})")
        self.model = spec.id
        self.precision = str((spec.config or {}).get("precision") or default_precision(self.name))
        if self.precision not in PRECISIONS:
            raise ProviderError(
                f"provider {spec.display!r}: precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"
            )
        configured = override_price(spec.config or {}) if price is True else (price or None)
        self.price: Price | None = configured or (default_local_price() if price is True else None)

    def params(self, request: ProviderRequest) -> dict[str, Any]:
        merged = {**(self.spec.config or {}), **(request.params or {})}
        max_tokens = merged.get("max_tokens", merged.get("maxTokens", DEFAULT_MAX_TOKENS))
        stop = merged.get("stop")
        return {
            "max_new_tokens": int(max_tokens),
            "temperature": float(merged.get("temperature") or 0.0),
            "top_p": merged.get("top_p"),
            "seed": merged.get("seed"),
            "stop": [stop] if isinstance(stop, str) else stop,
        }

    def identity(self, request: ProviderRequest) -> dict[str, Any]:
        ident = {"provider": self.spec.id, "model": self.model, "params": self.params(request)}
        if self.precision != "fp32":  # fp32 keys stay as they were before int8 (the default) existed
            ident["precision"] = self.precision
        return ident

    def _generate(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> tuple[str, int, int, str, float]:
        with _lock_for(self.name):
            load_local(self.name, self.precision)  # the first call loads the model: not part of its latency
            t0 = time.perf_counter()
            text, tin, tout, finish = generate_chat(self.name, messages, precision=self.precision, **params)
            return text, tin, tout, finish, (time.perf_counter() - t0) * 1000

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        start = time.perf_counter()
        try:
            text, tin, tout, finish, ms = await asyncio.to_thread(
                self._generate, request.messages, self.params(request)
            )
        except ProviderError as e:
            return ProviderResponse(error=str(e), wall_ms=(time.perf_counter() - start) * 1000, model=self.model)
        except Exception as e:  # a provider never raises for a failed call
            return ProviderResponse(
                error=f"{type(e).__name__}: {e}", wall_ms=(time.perf_counter() - start) * 1000, model=self.model
            )
        return ProviderResponse(
            output=text,
            tokens_in=tin,
            tokens_out=tout,
            token_source="usage",  # the model's own tokenizer: exact
            cost=self.price.cost(tin, tout, None, ms) if self.price else None,
            latency_ms=ms,
            wall_ms=(time.perf_counter() - start) * 1000,
            finish_reason=finish,
            model=self.model,
        )
