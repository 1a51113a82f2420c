"""Cost by model, version and variant; what compression variants save; projections."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_data import R, make_run, prompt

from workbench.analysis.cost import cost_by, projections, run_cache_hit_rate, variant_savings
from workbench.analysis.pairs import pair_stats
from workbench.errors import UsageError
from workbench.store.db import open_db


@pytest.fixture
def run(db_path: Path) -> tuple[object, int]:
    db = open_db(db_path)
    prompts = [prompt("f", "v1", "a {{text}}")]
    results = []
    for t in range(4):
        results.append(R(0, 0, t, cost=0.01, tokens_in=1000, cached=t == 0))  # model a, none
        results.append(R(0, 0, t, variant="llmlingua:0.5", cost=0.006, tokens_in=500, ok=t != 3))
        results.append(R(0, 1, t, cost=None if t == 2 else 0.1))  # model b: one unknown price
    return db, make_run(db, results, prompts=prompts, providers=["a", "b"])


def test_cost_by_dimension(run: tuple) -> None:
    db, rid = run
    by_model = {g.name: g for g in cost_by(db, rid, "model")}
    a = by_model["a"]
    assert a.n == 8 and a.passes == 7
    assert a.mean_cost == pytest.approx((4 * 0.01 + 4 * 0.006) / 8)  # uncached: the cache hit counts its price
    assert a.spent == pytest.approx(3 * 0.01 + 4 * 0.006)  # what was paid: the hit was free
    assert a.cost_per_pass == pytest.approx((4 * 0.01 + 4 * 0.006) / 7)
    assert a.cache_hit_rate == pytest.approx(1 / 8)
    b = by_model["b"]
    assert b.mean_cost is None and b.spent is None and b.cost_per_pass is None and b.unknown == 1
    assert [g.name for g in cost_by(db, rid, "model")] == ["a", "b"]  # known costs first, unknown last
    assert {g.name for g in cost_by(db, rid, "version")} == {"f/v1"}
    variants = {g.name: g for g in cost_by(db, rid, "variant")}
    assert variants["llmlingua:0.5"].mean_cost == pytest.approx(0.006)
    assert variants["llmlingua:0.5"].tokens_in == 2000
    with pytest.raises(UsageError, match="cost dimension"):
        cost_by(db, rid, "color")
    assert run_cache_hit_rate(db, rid) == pytest.approx(1 / 12)


def test_finished_run_groups_from_stored_pair_totals_match_the_results(run: tuple) -> None:
    """A finished run's cost groups are sums of its stored pair totals; without them (a running or
    pre-m004 run) the same groups are computed from the results: the two must be identical."""
    db, rid = run
    assert db.execute("select count(*) from pair_totals where run_id = ?", [rid]).fetchone()[0] == 3
    stored = {d: cost_by(db, rid, d) for d in ("model", "version", "variant")}
    hit = run_cache_hit_rate(db, rid)
    db.execute("delete from pair_totals where run_id = ?", [rid])
    db.execute("update runs set cache_hit_ratio = null where id = ?", [rid])

    def rounded(groups: list) -> list[dict]:
        return [{k: round(v, 12) if isinstance(v, float) else v for k, v in g.to_dict().items()} for g in groups]

    for d, groups in stored.items():
        assert rounded(cost_by(db, rid, d)) == rounded(groups), d
    assert run_cache_hit_rate(db, rid) == pytest.approx(hit) == pytest.approx(1 / 12)


def test_variant_savings_and_projection(run: tuple) -> None:
    db, rid = run
    [s] = variant_savings(db, rid)
    assert (s.prompt, s.model, s.variant) == ("f/v1", "a", "llmlingua:0.5")
    assert s.saved_per_request == pytest.approx(0.004)
    assert s.saved_share == pytest.approx(0.4)
    assert (s.baseline_tokens_in, s.variant_tokens_in) == (1000, 500)
    assert s.pass_rate_delta == pytest.approx(-0.25)
    assert s.monthly_saved(1000) == pytest.approx(0.004 * 1000 * 30)
    pairs = pair_stats(db, [rid])
    proj = {p.pair: p for p in projections(pairs, 100, 0.25)}
    none_a = proj["f/v1 · none · a"]
    assert none_a.monthly_cost == pytest.approx(0.01 * 100 * 30)
    assert none_a.monthly_cost_cached == pytest.approx(0.01 * 100 * 30 * 0.75)  # the production rate given
    assert none_a.eval_cache_hit_rate == pytest.approx(0.25)  # the eval's own: information only
    assert proj["f/v1 · none · b"].monthly_cost is None
