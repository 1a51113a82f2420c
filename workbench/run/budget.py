"""The budget cap: stop scheduling calls once spent + in-flight estimates would pass `max_cost`.

Before a call the engine asks `reserve(spec, text)`; the call's estimated cost (exact input
tokens, `max_tokens` or a default for the output, the provider's price) is held as in flight.
After the call `settle(spec, text, response)` releases that estimate and adds what the call
really cost (0 for a cache hit). A call whose price is unknown cannot be bounded: it is allowed
and counted in `unpriced_calls`, so the report can say the cap did not cover it, until what the
calls reported spending (a custom provider's own `cost`) reaches the cap.

Grading is part of the bill: the engine reports each output's grader spend with
`add_grading(cost)`, which counts towards `spent`, and every later call also holds the largest
grading cost seen so far, so `max_cost` bounds model + grader spend together. Until the first
output is graded the engine runs cells one at a time (`graded`), so that hold is measured before
calls run in parallel; a grading that costs more than any before it can still pass the cap by
its excess.

The amount-level pair `reserve_amount(estimate) -> bool` / `settle_amount(estimate, actual)` is
the same thing for callers that price calls themselves.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from workbench.providers.ids import to_litellm_model
from workbench.providers.pricing import resolve_price
from workbench.tokens import count_message_tokens
from workbench.types import ProviderResponse, ProviderSpec

DEFAULT_OUTPUT_TOKENS = 256  # when a provider sets no max_tokens


@dataclass
class CallEstimate:
    tokens_in: int
    tokens_out: int
    cost: float | None  # None: unknown price


def output_tokens_cap(config: dict[str, Any] | None) -> int | None:
    cfg = config or {}
    for k in ("max_tokens", "maxTokens", "max_completion_tokens", "max_output_tokens"):
        v = cfg.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
            return int(v)
    return None


def api_base_of(config: dict[str, Any] | None) -> str | None:
    """The endpoint a provider config points at (apiBaseUrl and its spellings), else None."""
    for key in ("api_base", "apiBaseUrl", "apiHost", "base_url", "baseUrl"):
        value = (config or {}).get(key)
        if value:
            return str(value)
    return None


def model_for(spec: ProviderSpec) -> str | None:
    return to_litellm_model(spec.id)


class Budget:
    def __init__(self, max_cost: float, *, prices: dict[str, Any] | None = None) -> None:
        self.max_cost = float(max_cost)
        self.prices = prices if isinstance(prices, dict) else None
        self.spent = 0.0
        self.in_flight = 0.0
        self.calls = 0
        self.refused = 0
        self.unpriced_calls = 0
        self.grader_spent = 0.0
        self.unpriced_gradings = 0
        self.grading_hold = 0.0  # held per call for its grading: the largest grading cost so far
        self.graded = False  # an output has been graded: grading_hold is measured
        self._holds: dict[str, float] = {}  # cell key -> grading hold not yet released
        self._call_holds: dict[str, float | None] = {}  # cell key -> the call estimate held
        self._seen: dict[str, float] = {}  # provider -> the largest cost one of its calls has had

    # -- amounts --------------------------------------------------------------------------------
    def reserve_amount(self, estimate: float | None) -> bool:
        """Hold `estimate` USD for one call, unless it would take spending past the cap."""
        if estimate is None:
            if 0 < self.max_cost <= self.spent:  # what unpriced calls reported (custom providers) used it up
                self.refused += 1
                return False
            self.unpriced_calls += 1
            self.calls += 1
            return True
        if self.spent + self.in_flight + estimate > self.max_cost + 1e-12:
            self.refused += 1
            return False
        self.in_flight += estimate
        self.calls += 1
        return True

    def settle_amount(self, estimate: float | None, actual: float | None) -> None:
        if estimate is not None:
            self.in_flight = max(0.0, self.in_flight - estimate)
        if actual is not None:
            self.spent += actual

    @property
    def remaining(self) -> float:
        return self.max_cost - self.spent - self.in_flight

    # -- the engine's hooks -----------------------------------------------------------------------
    def estimate(self, spec: ProviderSpec, text: str) -> CallEstimate:
        return _estimate(spec.id, spec.label, _freeze(spec.config), text, _freeze(self.prices))

    def _call_estimate(self, spec: ProviderSpec, text: str) -> float | None:
        """The call's estimate; for a price that tokens cannot give (a compute price: $/hour x busy
        time), the largest cost a call of this provider has had so far."""
        cost = self.estimate(spec, text).cost
        return cost if cost is not None else self._seen.get(spec.label or spec.id)

    def reserve(self, spec: ProviderSpec, text: str, key: str = "") -> bool:
        """Hold the call's estimate plus, until its output is graded, the grading hold (under `key`)."""
        cost = self._call_estimate(spec, text)
        ok = self.reserve_amount(None if cost is None else cost + self.grading_hold)
        if ok:
            self._call_holds[key] = cost
        if ok and cost is not None and self.grading_hold:
            self._holds[key] = self.grading_hold  # already in in_flight
        return ok

    def settle(self, spec: ProviderSpec, text: str, response: ProviderResponse, key: str = "") -> None:
        # An unknown price (cost None) adds nothing: it was counted in unpriced_calls at reserve.
        # The grading hold stays until add_grading/release: the output is not graded yet.
        held = self._call_holds.pop(key) if key in self._call_holds else self._call_estimate(spec, text)
        self.settle_amount(held, response.cost)
        if response.cost is not None and not response.cached:
            name = spec.label or spec.id
            self._seen[name] = max(self._seen.get(name, 0.0), response.cost)

    def release(self, key: str = "") -> None:
        """Drop a cell's grading hold (its output was graded, or will never be)."""
        held = self._holds.pop(key, 0.0)
        self.in_flight = max(0.0, self.in_flight - held)

    def add_grading(self, cost: float | None, key: str = "") -> None:
        """One output's grader spend (None: a grader with an unknown price, which the cap cannot bound)."""
        self.graded = True
        self.release(key)
        if cost is None:
            self.unpriced_gradings += 1
            return
        self.spent += cost
        self.grader_spent += cost
        self.grading_hold = max(self.grading_hold, cost)

    def summary(self) -> dict[str, Any]:
        return {
            "max_cost": self.max_cost,
            "spent": self.spent,
            "calls": self.calls,
            "refused": self.refused,
            "unpriced_calls": self.unpriced_calls,
            "grader_spent": self.grader_spent,
            "unpriced_gradings": self.unpriced_gradings,
        }


def _freeze(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


@functools.lru_cache(maxsize=4096)
def _estimate(pid: str, label: str | None, config_json: str, text: str, prices_json: str) -> CallEstimate:
    import json

    config = json.loads(config_json) or {}
    prices = json.loads(prices_json)
    model = model_for(ProviderSpec(id=pid))
    tin = count_message_tokens([{"role": "user", "content": text}], model)
    tout = output_tokens_cap(config) or DEFAULT_OUTPUT_TOKENS
    base = api_base_of(config)
    price = resolve_price(model, config, prices, label or pid, base) or resolve_price(model, None, prices, pid, base)
    return CallEstimate(tin, tout, price.cost(tin, tout) if price else None)
