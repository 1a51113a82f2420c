from __future__ import annotations

from pathlib import Path

import pytest
from analysis_data import R, make_run, pair_results, prompt

from workbench.analysis.pairs import pair_stats
from workbench.store.db import open_db


def by_model(stats: list) -> dict:
    return {p.model: p for p in stats}


def test_pair_statistics_known_answers(db_path: Path) -> None:
    db = open_db(db_path)
    results = [
        R(0, 0, 0, ok=True, cost=0.002, latency=100, named={"fluency": 1.0}),
        R(0, 0, 1, ok=False, cost=0.004, latency=300, named={"fluency": 0.5}),
        R(0, 0, 2, ok=True, cost=0.003, cached=True, latency=200, attempts=2),
        R(0, 0, 3, ok=True, cost=0.003, guardrail_fail=True, latency=400, fallback="backup"),
        R(0, 0, 4, error="HTTP 500", cost=None, latency=50),
    ]
    run = make_run(db, results, providers=["m"])
    (p,) = pair_stats(db, [run])
    assert (p.prompt, p.variant, p.model) == ("summary/v1", "none", "m")
    assert (p.n, p.passes, p.errors) == (5, 2, 1)
    assert p.pass_rate == pytest.approx(0.4)
    assert p.guardrail_failures == 1 and p.guardrail_failed_results == 1
    # uncached cost: the cache hit counts at its original $0.003; the error row has no price
    assert p.mean_cost == pytest.approx((0.002 + 0.004 + 0.003 + 0.003) / 4)
    assert p.actual_cost == pytest.approx(0.002 + 0.004 + 0.0 + 0.003)
    assert p.cost_per_pass == pytest.approx(0.012 / 2)
    assert p.cache_hit_rate == pytest.approx(0.2)
    assert p.retry_share == pytest.approx(0.2) and p.fallback_share == pytest.approx(0.2)
    assert p.p95_latency_ms == 400 and p.mean_latency_ms == pytest.approx(210)
    assert p.named_scores == {"fluency": pytest.approx(0.75)}
    assert p.unknown_cost == 0


def test_repeats_are_samples_and_unknown_price_stays_unknown(db_path: Path) -> None:
    db = open_db(db_path)
    results = [R(0, 0, t, ok=(t + rep) % 2 == 0, repeat=rep) for t in range(3) for rep in range(2)]
    results += [R(0, 1, 0, cost=None), R(0, 1, 1, cost=0.001)]
    run = make_run(db, results, providers=["a", "b"])
    stats = by_model(pair_stats(db, [run]))
    assert (stats["a"].n, stats["a"].passes) == (6, 3)
    assert stats["b"].mean_cost is None and stats["b"].unknown_cost == 1
    assert stats["b"].actual_cost is None


def test_variants_and_versions_are_separate_pairs_and_runs_pool(db_path: Path) -> None:
    db = open_db(db_path)
    prompts = [prompt("summary", "v1", "A {{text}}"), prompt("summary", "v2", "B {{text}}")]
    results = pair_results(0, 0, [True, True]) + pair_results(1, 0, [False, True])
    results += pair_results(0, 0, [False, False], variant="llmlingua:0.5")
    r1 = make_run(db, results, prompts=prompts)
    r2 = make_run(db, pair_results(0, 0, [True, False]), prompts=prompts)
    keys = {p.key: p for p in pair_stats(db, [r1])}
    assert set(keys) == {
        ("summary/v1", "none", "model-a"),
        ("summary/v1", "llmlingua:0.5", "model-a"),
        ("summary/v2", "none", "model-a"),
    }
    assert keys[("summary/v2", "none", "model-a")].pass_rate == 0.5
    pooled = {p.key: p for p in pair_stats(db, [r1, r2])}
    v1 = pooled[("summary/v1", "none", "model-a")]
    assert (v1.n, v1.passes) == (4, 3)
    assert v1.p95_latency_ms == 100.0  # the window-function path used for several runs


def test_prices_are_fitted_from_results(db_path: Path) -> None:
    db = open_db(db_path)
    price_in, price_out = 1e-6, 4e-6
    results = [
        R(0, 0, i, tokens_in=tin, tokens_out=tout, cost=tin * price_in + tout * price_out)
        for i, (tin, tout) in enumerate([(100, 10), (300, 50), (1000, 20)])
    ]
    run = make_run(db, results)
    (p,) = pair_stats(db, [run])
    assert p.input_price == pytest.approx(price_in, rel=1e-6)
    assert p.output_price == pytest.approx(price_out, rel=1e-6)
