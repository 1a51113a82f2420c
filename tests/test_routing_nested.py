"""Nested cross-validation: the router's reported figures come from data its threshold never saw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from routing_data import marker_scenario, random_scenario, write_scenario

from workbench.routing.dataset import load_dataset
from workbench.routing.nested_cv import choose_point, nested_evaluation
from workbench.routing.router_summary import routing_summary
from workbench.routing.train import choose_threshold, train_router
from workbench.store.db import open_db


def test_on_noise_the_in_sample_threshold_flatters_and_the_nested_figure_does_not(tmp_path: Path) -> None:
    """Defect 4: nothing to learn (pass/fail independent of the input). The threshold picked on the
    curve it is read from lands exactly on the target at the cheapest lucky point; routed by
    thresholds chosen without them, the held-out tests need more of the strong model and cost more."""
    db = open_db(tmp_path / "wb.db")
    run_id = write_scenario(db, random_scenario(60))
    trained = train_router(db, cheap="cheap", strong="strong", runs=[str(run_id)], n_boot=200, nested_seeds=2)
    summary = routing_summary(db, router_id=trained.id)
    in_sample, nested = summary.in_sample, trained.report["nested"]
    assert in_sample.pass_rate == pytest.approx(0.9)  # exactly the target: selected on itself
    assert nested["strong_share"] > in_sample.strong_share
    assert nested["cost_per_request"] > in_sample.cost_per_request
    # what every summary reports is the nested figure
    assert summary.routed.pass_rate == nested["pass_rate"]
    assert summary.routed.cost_per_request == nested["cost_per_request"]
    assert summary.routed.strong_share == nested["strong_share"]
    assert len(nested["seeds"]) == 2 and all(len(s["thresholds"]) == 5 for s in nested["seeds"])


def test_a_learnable_router_keeps_its_figures_out_of_fold(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run_id = write_scenario(db, marker_scenario(60))
    data = load_dataset(db, [run_id]).restrict(["cheap", "strong"])
    nested = nested_evaluation(data, "cheap", "strong", min_pass_rate=0.9, seeds=1, n_boot=200)
    # the marker is learnable: held-out tests are mostly routed right; the target is met at well under
    # the strong model's cost
    assert nested["meets_target"] and nested["pass_rate"] > 0.9
    assert 0.2 < nested["strong_share"] < 0.5  # a third of the tests carry the marker; a few are misrouted
    assert nested["cost_per_request"] < 0.01 / 2
    lo, hi = nested["pass_rate_ci"]
    assert lo <= nested["pass_rate"] <= hi


def test_choose_point_is_the_stored_routers_rule() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(40)
    qc = (rng.random(40) < p).astype(float)
    qs = np.ones(40)
    cc, cs = np.full(40, 0.001), np.full(40, 0.01)
    from workbench.routing.evaluate import evaluate_predictions

    for target in (0.7, 0.9, 1.1):  # met cheaply, met dearer, never met
        report = evaluate_predictions(p, qc, qs, cc, cs, [str(i) for i in range(40)], min_pass_rate=target, n_boot=50)
        assert choose_point(p, qc, qs, cc, cs, target, True) == choose_threshold(report)
