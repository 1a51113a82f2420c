"""variant_deltas: quality cost and savings of each compression variant against `none`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_data import R, make_run, pair_results, prompt

from workbench.analysis.variant_deltas import format_deltas, variant_deltas
from workbench.store.db import open_db


def test_deltas_against_the_none_variant_of_the_same_version_and_model(db_path: Path) -> None:
    db = open_db(db_path)
    results = [
        # model-a: none passes 10/10 at 1,000 tokens; llmlingua:0.5 passes 8/10 at 500 tokens
        *pair_results(0, 0, [True] * 10, tokens_in=1000, cost=0.0015),
        *pair_results(0, 0, [True] * 8 + [False] * 2, variant="llmlingua:0.5", tokens_in=500, cost=0.0008),
        # model-b: unknown price for the variant -> $ saved unknown, never 0
        *pair_results(0, 1, [True] * 10, tokens_in=1000, cost=0.01),
        *pair_results(0, 1, [True] * 10, variant="llmlingua:0.5", tokens_in=400, cost=None),
    ]
    run_id = make_run(db, results, providers=["model-a", "model-b"], tests=10)
    db.execute(
        "update results set compression = ? where run_id = ? and variant != 'none' and provider_label = 'model-a'",
        [json.dumps({"ratio": 0.5, "seconds": 4.0, "cached": False}), run_id],
    )
    db.execute(
        "update results set compression = ? where run_id = ? and variant != 'none' and provider_label = 'model-b'",
        [json.dumps({"ratio": 0.4, "seconds": 0.001, "cached": True}), run_id],
    )
    db.conn.commit()
    rows = {r.model: r for r in variant_deltas(db, run_id)}
    assert set(rows) == {"model-a", "model-b"}
    a, b = rows["model-a"], rows["model-b"]
    assert (a.prompt, a.variant, a.n) == ("summary/v1", "llmlingua:0.5", 10)
    assert a.pass_rate == pytest.approx(0.8) and a.baseline_pass_rate == 1.0
    assert a.pass_rate_delta == pytest.approx(-0.2)
    assert a.score_delta == pytest.approx(-0.2)
    assert a.tokens_saved_per_request == pytest.approx(500)
    assert a.cost_saved_per_request == pytest.approx(0.0007)
    assert a.compression_ratio == pytest.approx(0.5) and a.compressor_seconds == pytest.approx(4.0)
    assert a.compressions_cached == 0
    assert not a.acceptable and a.baseline_acceptable  # 0.8 < 0.9 target
    assert b.acceptable and b.pass_rate_delta == 0
    assert b.tokens_saved_per_request == pytest.approx(600)
    assert b.cost_saved_per_request is None and b.mean_cost is None
    assert b.compressor_seconds is None and b.compressions_cached == 10
    lines = format_deltas([a, b])
    assert lines[0] == (
        "summary/v1 · llmlingua:0.5 · model-a: pass 80% (-20 pts vs none), score -0.200, "
        "saves 500 tokens / $0.0007 per request, compressor 4.0s, NOT acceptable"
    )
    assert "unknown per request, compressor cached, acceptable" in lines[1]


def test_target_and_errors_decide_acceptability(db_path: Path) -> None:
    db = open_db(db_path)
    results = [
        *pair_results(0, 0, [True] * 4),
        *pair_results(0, 0, [True, True, True, False], variant="longllmlingua:0.33"),
        R(0, 0, 4, variant="longllmlingua:0.33", error="provider timed out"),
        R(0, 0, 4),
    ]
    run_id = make_run(db, results, tests=5)
    (row,) = variant_deltas(db, run_id, target=0.5)
    assert row.pass_rate == pytest.approx(0.6)
    assert not row.acceptable  # an error row counts against it
    (row,) = variant_deltas(db, run_id, target=0.5, allow_errors=True)
    assert row.acceptable


def test_pairs_without_a_baseline_or_other_versions_are_kept_apart(db_path: Path) -> None:
    db = open_db(db_path)
    p1, p2 = prompt("kb", "v1", "A {{context}}"), prompt("kb", "v2", "B {{context}}")
    results = [
        *pair_results(0, 0, [True, True], tokens_in=300),
        *pair_results(1, 0, [True, False], variant="llmlingua:0.5", tokens_in=100),  # v2 has no `none`
        *pair_results(0, 0, [True, False], variant="llmlingua:0.5", tokens_in=150),
    ]
    run_id = make_run(db, results, prompts=[p1, p2], tests=2)
    rows = variant_deltas(db, run_id)
    assert [(r.prompt, r.variant) for r in rows] == [("kb/v1", "llmlingua:0.5")]
    assert rows[0].tokens_saved_per_request == pytest.approx(150)
    assert variant_deltas(db, run_id + 1) == []
