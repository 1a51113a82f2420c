"""Nested cross-validation: the router's reported figures come from data its threshold never saw."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from routing_data import (
    CASCADE_MODELS,
    marker_scenario,
    random_cascade_scenario,
    random_scenario,
    three_tier_scenario,
    write_scenario,
)

from workbench.cli.main import cli
from workbench.routing.cascade import evaluate_cascade_predictions
from workbench.routing.dataset import load_dataset
from workbench.routing.evaluate import evaluate_predictions
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
    nested = nested_evaluation(data, ["cheap", "strong"], min_pass_rate=0.9, seeds=1, n_boot=200)
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
    q, c = np.column_stack([qc, qs]), np.column_stack([cc, cs])
    for target in (0.7, 0.9, 1.1):  # met cheaply, met dearer, never met
        report = evaluate_predictions(p, qc, qs, cc, cs, [str(i) for i in range(40)], min_pass_rate=target, n_boot=50)
        assert choose_point(p[:, None], q, c, target, True) == choose_threshold(report)


def test_choose_point_is_the_stored_cascades_rule() -> None:
    rng = np.random.default_rng(5)
    probs = rng.random((40, 2))
    q = np.column_stack([rng.random(40) < probs[:, 0], rng.random(40) < probs[:, 1], np.ones(40)]).astype(float)
    c = np.tile([0.001, 0.004, 0.01], (40, 1))
    for target in (0.7, 0.9, 1.1):
        report = evaluate_cascade_predictions(
            probs, q, c.tolist(), [str(i) for i in range(40)], CASCADE_MODELS, min_pass_rate=target, n_boot=50
        )
        assert choose_point(probs, q, c, target, True) == choose_threshold(report)


def test_a_cascade_on_noise_reports_nested_figures_not_its_lucky_in_sample_point(tmp_path: Path) -> None:
    """Defect 4 for cascades: three models whose pass/fail is independent of the input. The threshold
    picked on the curve it is read from moves one input a step at a time towards dearer models and
    stops at the first point reaching the target, so its pass rate is exactly the 90 % target
    (54 of 60) at a lucky cost. Routed by thresholds chosen without them, the held-out tests need
    more of the strong model and cost more; every summary reports those nested figures."""
    db_file = tmp_path / "wb.db"
    db = open_db(db_file)
    run_id = write_scenario(db, random_cascade_scenario(60))
    trained = train_router(db, models=CASCADE_MODELS, runs=[str(run_id)], n_boot=200, nested_seeds=2)
    summary = routing_summary(db, router_id=trained.id)
    in_sample, nested, routed = summary.in_sample, trained.report["nested"], summary.routed
    assert in_sample.pass_rate == pytest.approx(0.9)  # exactly the target: selected on itself
    assert in_sample.shares is not None and in_sample.cost_per_request is not None
    assert nested["shares"]["strong"] > in_sample.shares["strong"]
    assert nested["cost_per_request"] > in_sample.cost_per_request
    assert len(nested["seeds"]) == 2 and all(len(s["thresholds"]) == 5 for s in nested["seeds"])
    assert sum(nested["shares"].values()) == pytest.approx(1.0)
    # what every summary reports is the nested figure, labelled as such
    assert routed.source == "nested cross-validation"
    assert routed.label == "nested CV, 5 outer folds, mean of 2 seeds"
    for key in ("pass_rate", "cost_per_request", "strong_share", "shares", "pass_rate_ci", "cost_ci", "shares_ci"):
        assert getattr(routed, key) == nested[key], key
    lo, hi = routed.pass_rate_ci
    assert lo <= routed.pass_rate <= hi
    for m, (a, b) in nested["shares_ci"].items():
        assert a <= nested["shares"][m] <= b
    cost_lo, cost_hi = nested["cost_ci"]
    assert cost_lo <= nested["cost_per_request"] <= cost_hi
    assert summary.single_cheapest_acceptable is not None
    assert summary.single_cheapest_acceptable.monthly_cost is not None
    assert summary.monthly_saving == pytest.approx(
        summary.single_cheapest_acceptable.monthly_cost - 1000 * 30 * nested["cost_per_request"]
    )

    # the CLI: the in-sample point only labelled optimistic; the headline figures are the nested ones
    result = CliRunner().invoke(cli, ["route", "eval", "--id", str(trained.id), "--db", str(db_file)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    chosen = next(line for line in lines if line.startswith("Chosen threshold"))
    assert "(in-sample, optimistic: picked on the data it is measured on): " in chosen
    assert f"pass {in_sample.pass_rate * 100:.1f}%" in chosen
    headline = next(line for line in lines if line.startswith("Nested CV (5 outer folds"))
    assert "mean of 2 seeds): " in headline
    assert f"pass {nested['pass_rate'] * 100:.1f}% ({lo * 100:.1f}-{hi * 100:.1f}%)" in headline
    assert any(line.startswith("  over the seeds: pass ") and " to mid, " in line for line in lines)
    at = next(line for line in lines if line.startswith("At 1,000 requests/day: routed "))
    assert f"routed ${1000 * 30 * nested['cost_per_request']:,.0f}/month" in at


def test_a_learnable_cascade_keeps_its_figures_out_of_fold(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run_id = write_scenario(db, three_tier_scenario(60))
    data = load_dataset(db, [run_id]).restrict(CASCADE_MODELS)
    nested = nested_evaluation(data, CASCADE_MODELS, min_pass_rate=0.9, seeds=1, n_boot=200)
    # half the tickets are plain (cheap passes), a quarter arbitration (mid passes), a quarter
    # lawsuits (only strong passes): held-out tests are mostly routed right
    assert nested["meets_target"] and nested["pass_rate"] >= 0.9
    assert nested["shares"]["cheap"] >= 0.35 and nested["shares"]["mid"] >= 0.1 and nested["shares"]["strong"] <= 0.4
    assert nested["cost_per_request"] < 0.6 * 0.01


def test_two_models_are_the_cascade_procedure_with_one_classifier(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run_id = write_scenario(db, marker_scenario(30))
    data = load_dataset(db, [run_id]).restrict(["cheap", "strong"])
    nested = nested_evaluation(data, ["cheap", "strong"], min_pass_rate=0.9, seeds=1, n_boot=100)
    assert nested["shares"]["strong"] == pytest.approx(nested["strong_share"])
    assert nested["shares"]["cheap"] == pytest.approx(1 - nested["strong_share"])
