"""Prices: litellm's bundled map read offline, per-provider overrides, unknown -> None."""

from __future__ import annotations

import pytest

from workbench.errors import ProviderError
from workbench.providers.pricing import Price, context_window, model_price, override_price, resolve_price


def test_gpt_4o_mini_from_the_map() -> None:
    p = model_price("openai/gpt-4o-mini")
    assert p is not None
    assert (p.input_per_token, p.output_per_token) == (1.5e-07, 6e-07)
    assert p.per_1m == pytest.approx((0.15, 0.6))
    assert p.cost(1234, 567) == pytest.approx(1234 * 1.5e-07 + 567 * 6e-07)
    assert model_price("gpt-4o-mini") == Price(1.5e-07, 6e-07, "litellm:gpt-4o-mini", 7.5e-08, "gpt-4o-mini")


def test_map_matches_litellm_model_cost() -> None:
    import litellm

    for model in ("gpt-4o-mini", "claude-haiku-4-5", "gpt-4o"):
        p = model_price(model)
        assert p is not None
        assert p.input_per_token == litellm.model_cost[model]["input_cost_per_token"]
        assert p.output_per_token == litellm.model_cost[model]["output_cost_per_token"]


def test_unknown_model_has_no_price() -> None:
    assert model_price("openai/no-such-model-xyz") is None
    assert resolve_price("openai/no-such-model-xyz", {}) is None
    assert Price(1, 1, "x").cost(None, 3) is None


def test_overrides() -> None:
    assert override_price({"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}) == Price(1e-6, 2e-6, "config")
    p = override_price({"input_cost_per_1m": 3, "output_cost_per_1m": 15})
    assert p is not None and p.input_per_token == pytest.approx(3e-6) and p.output_per_token == pytest.approx(15e-6)
    assert override_price({"cost": 1e-6}) == Price(1e-6, 1e-6, "config")  # promptfoo's single `cost`
    assert override_price({"temperature": 0}) is None
    # a config override beats the map
    p = resolve_price("openai/gpt-4o-mini", {"input_cost_per_1m": 1, "output_cost_per_1m": 1})
    assert p is not None and p.source == "config" and p.cost(1_000_000, 0) == pytest.approx(1.0)
    # a suite-level price by provider id beats the map too
    p = resolve_price(
        "openai/x", None, {"openai:x": {"input_cost_per_token": 0, "output_cost_per_token": 0}}, "openai:x"
    )
    assert p is not None and p.cost(10, 10) == 0.0  # a known zero price is 0, not unknown


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"input_cost_per_token": 1e-6}, "output_cost_per_token"),
        ({"input_cost_per_token": 1e-6, "input_cost_per_1m": 1, "output_cost_per_1m": 1}, "not both"),
        ({"input_cost_per_1m": "abc", "output_cost_per_1m": 1}, "expected a number"),
        ({"input_cost_per_1m": -1, "output_cost_per_1m": 1}, "cannot be negative"),
    ],
)
def test_bad_overrides(config: dict, message: str) -> None:
    with pytest.raises(ProviderError, match=message):
        override_price(config)


def test_context_window() -> None:
    assert context_window("openai/gpt-4o-mini") == 128000
    assert context_window("nope/nope") is None
