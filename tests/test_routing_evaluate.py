"""Router evaluation: hand-computed numbers, a learnable planted marker, and random labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from routing_data import marker_scenario, random_scenario, write_scenario

from workbench.routing.dataset import load_dataset
from workbench.routing.evaluate import evaluate_dataset, evaluate_predictions
from workbench.store.db import open_db


def test_numbers_match_a_hand_computation() -> None:
    # 4 tests; the cheap model fails only test "a", which the router ranks lowest.
    rep = evaluate_predictions(
        [0.1, 0.4, 0.6, 0.9],
        [0, 1, 1, 1],
        [1, 1, 1, 1],
        [1.0] * 4,
        [10.0] * 4,
        ["a", "b", "c", "d"],
        min_pass_rate=0.9,
        n_boot=200,
    )
    pts = [(p["threshold"], p["strong_share"], p["pass_rate"], p["cost_per_request"]) for p in rep["points"]]
    assert pts == [
        (0.1, 0.0, 0.75, 1.0),
        (0.4, 0.25, 1.0, 3.25),
        (0.6, 0.5, 1.0, 5.5),
        (0.9, 0.75, 1.0, 7.75),
        (1.0, 1.0, 1.0, 10.0),
    ]
    assert [p["random_pass_rate"] for p in rep["points"]] == [0.75, 0.8125, 0.875, 0.9375, 1.0]
    assert [p["pgr"] for p in rep["points"]] == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert rep["points"][1]["gain_over_random"] == pytest.approx(0.1875)
    # area under the curve: 0.25 * (0.75 + 1) / 2 + 0.75 * 1 = 0.96875; random line: 0.875
    assert rep["area_gain_over_random"] == pytest.approx(0.09375)
    assert rep["apgr"] == pytest.approx(0.875)
    assert rep["oracle"] == {"pass_rate": 1.0, "strong_share": 0.25, "cost_per_request": 3.25}
    assert rep["recommended"]["threshold"] == 0.4
    assert rep["recommended"]["cost_per_request"] == 3.25
    assert rep["single_cheapest_acceptable"] == {"model": "strong", "pass_rate": 1.0, "cost_per_request": 10.0}
    assert rep["cheap"] == {"pass_rate": 0.75, "cost_per_request": 1.0}
    # both ends are the single models: no gain over random, with a zero-width interval
    assert rep["points"][0]["gain_over_random_ci"] == [0.0, 0.0]
    lo, hi = rep["area_gain_ci"]
    assert lo <= rep["area_gain_over_random"] <= hi


def test_ties_route_together_and_unknown_costs_stay_unknown() -> None:
    rep = evaluate_predictions(
        [0.5, 0.5, 0.8], [0, 1, 1], [1, 1, 1], [None, None, None], [0.01, 0.01, 0.01], ["a", "b", "c"], n_boot=50
    )
    assert [p["strong_share"] for p in rep["points"]] == pytest.approx([0.0, 2 / 3, 1.0])
    assert all(p["cost_per_request"] is None for p in rep["points"])
    assert rep["costs_known"] is False
    assert rep["oracle"]["cost_per_request"] is None
    # $ unknown: the cheapest point is the one with the lowest strong share that meets the target
    assert rep["recommended"]["strong_share"] == pytest.approx(2 / 3)
    assert "$ figures are unknown" in rep["verdict"]


def test_strong_no_better_than_cheap_says_so() -> None:
    rep = evaluate_predictions([0.2, 0.8], [1, 1], [1, 1], [1.0, 1.0], [2.0, 2.0], ["a", "b"], n_boot=50)
    assert rep["gap"] == 0
    assert rep["beats_random"] is False
    assert rep["apgr"] is None
    assert rep["verdict"] == (
        "The strong model passes no more tests than the cheap model here: routing cannot help; use the cheap model."
    )


def test_router_learns_the_planted_marker(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run_id = write_scenario(db, marker_scenario(60, repeats=2))
    data = load_dataset(db, [run_id]).restrict(["cheap", "strong"])
    rep = evaluate_dataset(data, "cheap", "strong", n_boot=300)
    assert rep["tests"] == 60 and rep["inputs"] == 60
    assert rep["cheap"]["pass_rate"] == pytest.approx(40 / 60)
    assert rep["beats_random"] is True
    assert rep["area_gain_ci"][0] > 0.05
    # out of fold, the marker inputs are ranked below every other input: perfect ranking
    assert rep["apgr"] == pytest.approx(5 / 6)  # (area 17/18 - 2/3) / (1/3), the ideal ordering
    rec = rep["recommended"]
    assert rec["pass_rate"] >= 0.9
    assert rec["cost_per_request"] < rep["strong"]["cost_per_request"] / 2
    assert "beats random routing" in rep["verdict"]


def test_random_labels_are_reported_as_no_better_than_random(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run_id = write_scenario(db, random_scenario(60))
    data = load_dataset(db, [run_id]).restrict(["cheap", "strong"])
    rep = evaluate_dataset(data, "cheap", "strong", n_boot=300)
    assert rep["beats_random"] is False
    assert rep["area_gain_ci"][0] <= 0
    assert "no better than random routing" in rep["verdict"]
