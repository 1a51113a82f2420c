"""Monthly cost projection for a pair, with and without the cache, and prompt-growth scenarios.

monthly = requests/day x days x cost per request. A cache hit costs nothing, so with a hit rate h
the cached figure is monthly x (1 - h). `context_growth` multiplies the input tokens (the seeds'
"token avalanche": context x2, x4): cost per request becomes mean cost + (g - 1) x mean input
tokens x input price, with the input price fitted from the pair's own results (see
`pairs.fit_prices`). When the price split cannot be fitted, the growth is applied to the input
share of the tokens and the projection says it is approximate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from workbench.analysis.pairs import PairStats
from workbench.errors import UsageError

DAYS_PER_MONTH = 30
AVALANCHE = (1.0, 2.0, 4.0)


@dataclass
class Projection:
    pair: str
    requests_per_day: float
    days: int
    context_growth: float
    cache_hit_rate: float
    cost_per_request: float | None  # uncached, after growth; None = price unknown
    monthly_cost: float | None  # without the cache
    monthly_cost_cached: float | None  # with the cache hit rate applied
    approximate: bool = False  # growth applied without fitted per-token prices

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def project(
    pair: PairStats,
    requests_per_day: float,
    cache_hit_rate: float | None = None,
    context_growth: float = 1.0,
    days: int = DAYS_PER_MONTH,
) -> Projection:
    """Project a pair's monthly cost; `cache_hit_rate=None` uses the rate measured in its runs."""
    if requests_per_day < 0:
        raise UsageError(f"requests per day must be >= 0, got {requests_per_day}")
    if context_growth <= 0:
        raise UsageError(f"context growth must be > 0, got {context_growth}")
    hit = pair.cache_hit_rate if cache_hit_rate is None else cache_hit_rate
    if not 0 <= hit <= 1:
        raise UsageError(f"cache hit rate must be in [0, 1], got {hit}")
    per_request, approximate = _cost_per_request(pair, context_growth)
    monthly = None if per_request is None else requests_per_day * days * per_request
    return Projection(
        pair=pair.name,
        requests_per_day=requests_per_day,
        days=days,
        context_growth=context_growth,
        cache_hit_rate=hit,
        cost_per_request=per_request,
        monthly_cost=monthly,
        monthly_cost_cached=None if monthly is None else monthly * (1 - hit),
        approximate=approximate,
    )


def avalanche(
    pair: PairStats,
    requests_per_day: float,
    cache_hit_rate: float | None = None,
    growths: Sequence[float] = AVALANCHE,
) -> list[Projection]:
    """The same projection with the context multiplied by each growth factor (x1, x2, x4)."""
    return [project(pair, requests_per_day, cache_hit_rate, g) for g in growths]


def _cost_per_request(pair: PairStats, growth: float) -> tuple[float | None, bool]:
    if pair.mean_cost is None:
        return None, False
    if growth == 1.0:
        return pair.mean_cost, False
    tin = pair.mean_tokens_in or 0.0
    if pair.input_price is not None:
        return pair.mean_cost + (growth - 1) * tin * pair.input_price, False
    tout = pair.mean_tokens_out or 0.0
    share = tin / (tin + tout) if tin + tout else 0.0
    return pair.mean_cost * (1 + (growth - 1) * share), True
