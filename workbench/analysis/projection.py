"""Monthly cost projection for a pair, with and without the cache, and prompt-growth scenarios.

monthly = requests/day x days x cost per request. A cache hit costs nothing, so with a production
cache hit rate h (`--cache-hit-rate`) the cached figure is monthly x (1 - h). Without one there is
no "with cache" figure: the eval's own hit rate (`eval_cache_hit_rate`, a re-run hits 100 %) says
how the evaluation ran, not how production will, and is shown only as information.

`context_growth` multiplies the input tokens (the seeds' "token avalanche": context x2, x4). The
growth is priced exactly with the price the run recorded for the model: mean cost + price(g x
mean input, mean output) - price(mean input, mean output), through the same `Price.cost` the calls
used (litellm's tiers included: a context pushed past 200k tokens costs the higher tier). Only
without a recorded token price (runs stored before m008) is the input price fitted from the
results (`pairs.fit_prices`), and failing that the growth is applied to the input share of the
tokens and marked approximate; a compute price (local models) is scaled the same way, approximate.
A pair with no priced result (all errors, or an unknown price) projects `unknown`, never $0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from workbench.analysis.pairs import PairStats
from workbench.errors import UsageError
from workbench.providers.pricing import Price, map_batch_price

DAYS_PER_MONTH = 30
AVALANCHE = (1.0, 2.0, 4.0)


@dataclass
class Projection:
    pair: str
    requests_per_day: float
    days: int
    context_growth: float
    cache_hit_rate: float | None  # the production hit rate given; None = not given
    cost_per_request: float | None  # uncached, after growth; None = price unknown
    monthly_cost: float | None  # without the cache
    monthly_cost_cached: float | None  # with the production hit rate; None when none was given
    approximate: bool = False  # growth applied without the per-token prices
    eval_cache_hit_rate: float = 0.0  # the evaluation's own hit rate (information only)
    monthly_cost_batch: float | None = None  # through the provider's batch API; None = no batch API/price

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def project(
    pair: PairStats,
    requests_per_day: float,
    cache_hit_rate: float | None = None,
    context_growth: float = 1.0,
    days: int = DAYS_PER_MONTH,
) -> Projection:
    """Project a pair's monthly cost; `cache_hit_rate` is production's (None: no cached figure)."""
    if requests_per_day < 0:
        raise UsageError(f"requests per day must be >= 0, got {requests_per_day}")
    if context_growth <= 0:
        raise UsageError(f"context growth must be > 0, got {context_growth}")
    hit = cache_hit_rate
    if hit is not None and not 0 <= hit <= 1:
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
        monthly_cost_cached=None if monthly is None or hit is None else monthly * (1 - hit),
        approximate=approximate,
        eval_cache_hit_rate=pair.cache_hit_rate,
        monthly_cost_batch=_batch_monthly(pair, requests_per_day * days, context_growth),
    )


def avalanche(
    pair: PairStats,
    requests_per_day: float,
    cache_hit_rate: float | None = None,
    growths: Sequence[float] = AVALANCHE,
) -> list[Projection]:
    """The same projection with the context multiplied by each growth factor (x1, x2, x4)."""
    return [project(pair, requests_per_day, cache_hit_rate, g) for g in growths]


def _batch_monthly(pair: PairStats, requests: float, growth: float) -> float | None:
    """The same volume sent as provider batches (`workbench run --batch`), at the batch rate."""
    batch = map_batch_price(Price.from_dict(pair.price))
    if batch is None or pair.mean_tokens_in is None or pair.mean_tokens_out is None or pair.mean_cost is None:
        return None
    per_request = batch.cost(round(growth * pair.mean_tokens_in), round(pair.mean_tokens_out))
    return None if per_request is None else requests * per_request


def _cost_per_request(pair: PairStats, growth: float) -> tuple[float | None, bool]:
    if pair.mean_cost is None:
        return None, False
    if growth == 1.0:
        return pair.mean_cost, False
    tin = pair.mean_tokens_in or 0.0
    tout = pair.mean_tokens_out or 0.0
    price = Price.from_dict(pair.price)
    if price is not None and price.per_hour is None:
        grown, now = price.cost(round(growth * tin), round(tout)), price.cost(round(tin), round(tout))
        if grown is not None and now is not None:
            return pair.mean_cost + grown - now, False
    if pair.input_price is not None and (price is None or price.per_hour is None):
        return pair.mean_cost + (growth - 1) * tin * pair.input_price, False
    share = tin / (tin + tout) if tin + tout else 0.0
    return pair.mean_cost * (1 + (growth - 1) * share), True
