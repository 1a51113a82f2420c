"""A cascade router over three models: the cheapest model predicted to pass each input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from routing_data import CASCADE_COSTS as COSTS
from routing_data import CASCADE_MODELS as MODELS
from routing_data import TEMPLATE, three_tier_scenario, write_scenario

from workbench.cli.main import cli
from workbench.routing.cascade import cascade_choice, evaluate_cascade_predictions
from workbench.routing.predict import load_router, predict
from workbench.store.db import open_db


def test_choice_and_curve_by_hand() -> None:
    import numpy as np

    # P(pass) for cheap and mid; 4 inputs, one test each.
    probs = [[0.9, 0.9], [0.2, 0.8], [0.1, 0.3], [0.6, 0.4]]
    assert cascade_choice(np.asarray(probs), 0.5).tolist() == [0, 1, 2, 0]
    assert cascade_choice(np.asarray(probs), 0.85).tolist() == [0, 2, 2, 2]
    passes = [[1, 1, 1], [0, 1, 1], [0, 0, 1], [1, 0, 1]]
    costs = [COSTS] * 4
    rep = evaluate_cascade_predictions(probs, passes, costs, ["a", "b", "c", "d"], MODELS, n_boot=50)
    first, last = rep["points"][0], rep["points"][-1]
    assert first["shares"] == {"cheap": 1.0, "mid": 0.0, "strong": 0.0} and first["pass_rate"] == 0.5
    assert last["shares"] == {"cheap": 0.0, "mid": 0.0, "strong": 1.0} and last["pass_rate"] == 1.0
    at = {p["threshold"]: p for p in rep["points"]}
    p = at[0.6]  # thresholds are the distinct probabilities: 0.6 -> choices [0, 1, 2, 0]
    assert p["shares"] == {"cheap": 0.5, "mid": 0.25, "strong": 0.25}
    assert p["pass_rate"] == 1.0
    assert p["cost_per_request"] == pytest.approx((0.001 + 0.004 + 0.01 + 0.001) / 4)
    # position by cost: mid sits at (0.004 - 0.001) / (0.01 - 0.001) = 1/3 of the way
    assert p["strong_share"] == pytest.approx((0 + 1 / 3 + 1 + 0) / 4)
    # 0.3 sends input c to mid (which fails it): 75 %; 0.4 to 0.6 give the same mix at 100 %: the
    # cheapest point reaching 90 % is the first of them
    assert at[0.3]["pass_rate"] == 0.75 and at[0.4]["shares"] == p["shares"]
    assert rep["recommended"]["threshold"] == 0.4
    assert rep["oracle"]["cost_per_request"] == pytest.approx((0.001 + 0.004 + 0.01 + 0.001) / 4)
    assert rep["single_cheapest_acceptable"]["model"] == "strong"
    assert [s["pass_rate"] for s in rep["model_stats"]] == [0.5, 0.5, 1.0]


def run(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res.stdout


def test_cascade_learns_three_tiers(tmp_path: Path) -> None:
    db_file = str(tmp_path / "wb.db")
    write_scenario(open_db(db_file), three_tier_scenario())
    out = run("route", "train", "--runs", "1", "--models", "strong,cheap,mid", "--name", "tiers", "--db", db_file)
    assert out.startswith("Trained router 'tiers' (id 1): cheap -> mid -> strong, 60 tests from runs 1, ")
    assert "The router beats random routing at the same cost" in out

    data = json.loads(run("route", "eval", "--name", "tiers", "--requests-per-day", "1000", "--json", "--db", db_file))
    s, ev = data["summary"], data["evaluation"]
    assert s["models"] == MODELS and ev["oracle"]["pass_rate"] == 1.0
    r = s["routed"]
    assert r["pass_rate"] >= 0.9 and s["routed_meets_target"]
    # the oracle mix is half cheap, a quarter mid, a quarter strong; the router comes close
    assert r["shares"]["cheap"] >= 0.4 and r["shares"]["mid"] >= 0.15 and r["shares"]["strong"] <= 0.35
    assert r["cost_per_request"] < 0.6 * ev["strong"]["cost_per_request"]
    assert s["single_cheapest_acceptable"]["model"] == "strong" and s["monthly_saving"] > 0

    # the reported figures are the nested CV's (thresholds chosen without the outer fold)
    n = ev["nested"]
    assert (r["source"], r["pass_rate"], r["shares"]) == ("nested cross-validation", n["pass_rate"], n["shares"])
    text = run("route", "eval", "--name", "tiers", "--db", db_file)
    assert "  alone: cheap" in text and "  Cascade: each input goes to the cheapest model" in text
    chosen = next(line for line in text.splitlines() if line.startswith("Chosen threshold"))
    assert "(in-sample, optimistic: picked on the data it is measured on)" in chosen
    assert " to cheap, " in chosen and " to mid, " in chosen and " to strong," in chosen
    nested = next(line for line in text.splitlines() if line.startswith("Nested CV (5 outer folds"))
    shares = ", ".join(f"{v * 100:.1f}% to {m}" for m, v in n["shares"].items())
    assert f"mean of 1 seed): {shares}, pass {r['pass_rate'] * 100:.1f}%" in nested

    router = load_router(open_db(db_file), "tiers")
    assert router.models == MODELS
    base = "Answer the customer ticket: ticket 901: shipping delay parcel please"
    assert predict(router, base + " threatens a lawsuit in court").model == "strong"
    assert predict(router, base + " contains legal clause arbitration").model == "mid"
    plain = predict(router, base)
    assert plain.model == "cheap" and plain.p_pass is not None and set(plain.p_pass) == {"cheap", "mid"}
    assert TEMPLATE.startswith("Answer the customer ticket")

    rec = run("recommend", "--db", db_file)
    assert "Routed (trained router 'tiers', id 1: cheap -> mid -> strong, 60 tests" in rec
    assert f"  routed (nested CV, 5 outer folds, mean of 1 seed: {shares}; stored threshold" in rec


def test_models_flag_errors(tmp_path: Path) -> None:
    db_file = str(tmp_path / "wb.db")
    write_scenario(open_db(db_file), three_tier_scenario(12))
    res = CliRunner().invoke(cli, ["route", "train", "--runs", "1", "--models", "cheap", "--db", db_file])
    assert res.exit_code == 2 and "Error: --models needs two or more different models, got cheap" in res.output
    res = CliRunner().invoke(
        cli, ["route", "train", "--runs", "1", "--models", "cheap,mid", "--cheap", "cheap", "--db", db_file]
    )
    assert res.exit_code == 2 and "Error: give --models, or --cheap and --strong, not both" in res.output
    res = CliRunner().invoke(cli, ["route", "train", "--runs", "1", "--cheap", "cheap", "--db", db_file])
    assert res.exit_code == 2 and "Error: give --cheap and --strong (or --models A,B,C)" in res.output


def test_two_models_given_with_models_are_ordered_by_cost(tmp_path: Path) -> None:
    db_file = str(tmp_path / "wb.db")
    write_scenario(open_db(db_file), three_tier_scenario(20))
    out = run("route", "train", "--runs", "1", "--models", "strong,cheap", "--db", db_file)
    assert out.startswith("Trained router 'cheap->strong' (id 1): cheap -> strong, 20 tests from runs 1, ")


def test_predict_cli_shows_each_models_probability(tmp_path: Path) -> None:
    db_file = str(tmp_path / "wb.db")
    write_scenario(open_db(db_file), three_tier_scenario(20))
    run("route", "train", "--runs", "1", "--models", "cheap,mid,strong", "--name", "t", "--db", db_file)
    out = run("route", "predict", "--name", "t", "Answer the customer ticket: a lawsuit", "--db", db_file)
    assert out.split("  (P(pass): cheap ")[0] in MODELS and ", mid " in out and ", router 't' id 1)" in out
    decision = json.loads(run("route", "predict", "--name", "t", "--json", "hello", "--db", db_file))
    assert set(decision) == {"router", "id", "model", "p_pass_cheap", "threshold", "p_pass"}
    assert decision["p_pass_cheap"] == decision["p_pass"]["cheap"]
