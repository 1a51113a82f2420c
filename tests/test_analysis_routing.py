from __future__ import annotations

from pathlib import Path

import pytest
from analysis_data import make_run, pair_results

from workbench.analysis.oracle_routing import routing_bound
from workbench.store.db import open_db


def test_oracle_bound_known_answer(db_path: Path) -> None:
    db = open_db(db_path)
    # 10 tests. big ($0.01) passes all; small ($0.001) passes tests 0-5; tiny ($0.0001) passes 0-2.
    results = pair_results(0, 0, [True] * 10, cost=0.01)
    results += pair_results(0, 1, [True] * 6 + [False] * 4, cost=0.001)
    results += pair_results(0, 2, [True] * 3 + [False] * 7, cost=0.0001)
    run = make_run(db, results, providers=["big", "small", "tiny"])
    bound = routing_bound(db, [run])
    assert bound.label.startswith("upper bound")
    assert bound.pick == "summary/v1 · none · big"  # the only acceptable pair
    assert bound.tests == 10 and bound.covered == 10
    oracle = (3 * 0.0001 + 3 * 0.001 + 4 * 0.01) / 10
    assert bound.oracle_cost == pytest.approx(oracle)
    assert bound.pick_cost == pytest.approx(0.01)
    assert bound.saving == pytest.approx(1 - oracle / 0.01)
    assert bound.routed == {
        "summary/v1 · none · big": 4,
        "summary/v1 · none · small": 3,
        "summary/v1 · none · tiny": 3,
    }


def test_uncovered_tests_fall_back_to_the_pick(db_path: Path) -> None:
    db = open_db(db_path)
    # every pair fails test 9; the pick (19/20-style target lowered) still serves it
    results = pair_results(0, 0, [True] * 9 + [False], cost=0.01)
    results += pair_results(0, 1, [True] * 5 + [False] * 5, cost=0.001)
    run = make_run(db, results, providers=["big", "small"])
    from workbench.analysis.recommend import Acceptance

    bound = routing_bound(db, [run], Acceptance(min_pass_rate=0.9))
    assert bound.covered == 9 and bound.oracle_pass_rate == pytest.approx(0.9)
    assert bound.pick_pass_rate == pytest.approx(0.9)
    assert bound.oracle_cost == pytest.approx((5 * 0.001 + 5 * 0.01) / 10)
