from __future__ import annotations

from pathlib import Path

import pytest
from analysis_data import R, make_run

from workbench.analysis.pairs import pair_stats
from workbench.analysis.projection import avalanche, project
from workbench.errors import UsageError
from workbench.store.db import open_db

PRICE_IN, PRICE_OUT = 2e-6, 8e-6


def priced(i: int, tin: int, tout: int, **kw: object) -> R:
    return R(0, 0, i, tokens_in=tin, tokens_out=tout, cost=tin * PRICE_IN + tout * PRICE_OUT, **kw)  # type: ignore[arg-type]


def test_monthly_cost_with_and_without_cache(db_path: Path) -> None:
    db = open_db(db_path)
    # mean uncached cost: (0.001 + 0.003) / 2 = 0.002; one of two results was a cache hit
    run = make_run(db, [R(0, 0, 0, cost=0.001), R(0, 0, 1, cost=0.003, cached=True)])
    (pair,) = pair_stats(db, [run])
    p = project(pair, requests_per_day=500)
    assert p.eval_cache_hit_rate == 0.5  # the eval's own rate: information only
    assert p.cache_hit_rate is None and p.monthly_cost_cached is None  # no production rate given
    assert p.cost_per_request == pytest.approx(0.002)
    assert p.monthly_cost == pytest.approx(500 * 30 * 0.002)  # $30
    given = project(pair, requests_per_day=500, cache_hit_rate=0.1)
    assert given.monthly_cost_cached == pytest.approx(27.0)


def test_token_avalanche_uses_fitted_input_price(db_path: Path) -> None:
    db = open_db(db_path)
    run = make_run(db, [priced(0, 1000, 100), priced(1, 3000, 300), priced(2, 2000, 50)])
    (pair,) = pair_stats(db, [run])
    mean_in = 2000
    base = pair.mean_cost
    assert base is not None
    x1, x2, x4 = avalanche(pair, requests_per_day=100, cache_hit_rate=0.0)
    assert x1.cost_per_request == pytest.approx(base)
    assert x2.cost_per_request == pytest.approx(base + mean_in * PRICE_IN)
    assert x4.cost_per_request == pytest.approx(base + 3 * mean_in * PRICE_IN)
    assert x4.monthly_cost == pytest.approx(100 * 30 * (base + 3 * mean_in * PRICE_IN))
    assert not x4.approximate


def test_growth_without_fit_is_marked_approximate(db_path: Path) -> None:
    db = open_db(db_path)
    # every result has the same in/out ratio: the price split cannot be recovered
    run = make_run(db, [R(0, 0, 0, tokens_in=300, tokens_out=100, cost=0.004)])
    (pair,) = pair_stats(db, [run])
    p = project(pair, 10, context_growth=2.0)
    assert p.approximate
    assert p.cost_per_request == pytest.approx(0.004 * (1 + 0.75))


def test_unknown_price_projects_unknown_and_bad_input_is_rejected(db_path: Path) -> None:
    db = open_db(db_path)
    run = make_run(db, [R(0, 0, 0, cost=None)])
    (pair,) = pair_stats(db, [run])
    p = project(pair, 1000)
    assert p.monthly_cost is None and p.monthly_cost_cached is None
    with pytest.raises(UsageError, match="cache hit rate must be in"):
        project(pair, 10, cache_hit_rate=1.5)
    with pytest.raises(UsageError, match="requests per day"):
        project(pair, -1)


def test_batch_projection_at_the_maps_batch_rates(db_path: Path) -> None:
    """recommend's projection shows the same volume as provider batches beside the sync cost."""
    import dataclasses

    from workbench.providers.pricing import model_price, price_map

    db = open_db(db_path)
    run = make_run(db, [priced(0, 1000, 100), priced(1, 3000, 300)])
    (pair,) = pair_stats(db, [run])
    sync = model_price("openai/gpt-4o-mini")
    assert sync is not None and sync.litellm_key is not None
    entry = price_map()[sync.litellm_key]
    p = project(dataclasses.replace(pair, price=sync.to_dict()), requests_per_day=1000)
    per_request = 2000 * entry["input_cost_per_token_batches"] + 200 * entry["output_cost_per_token_batches"]
    assert p.monthly_cost_batch == pytest.approx(1000 * 30 * per_request)
    # a self-priced model has no known batch API: no figure rather than a guess
    assert project(pair, requests_per_day=1000).monthly_cost_batch is None
    # the local model priced by compute has none either
    local = dataclasses.replace(
        pair, price={"input_per_token": 0, "output_per_token": 0, "source": "compute:cpu-small", "per_hour": 0.09}
    )
    assert project(local, requests_per_day=1000).monthly_cost_batch is None
