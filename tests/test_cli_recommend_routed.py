"""`workbench recommend` with a trained router for the run's suite: single model vs routed, in $/month."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from routing_data import marker_scenario, write_scenario

from workbench.cli.main import cli
from workbench.format import fmt_cost, fmt_rate
from workbench.routing.router_summary import router_for_run, routing_summary
from workbench.routing.train import train_router
from workbench.store.db import open_db


def recommend(db_path: Path, *args: str) -> str:
    res = CliRunner().invoke(cli, ["recommend", "--db", str(db_path), *args])
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.fixture
def suite_a(tmp_path: Path) -> Path:
    return tmp_path / "a.yaml"  # the runs only record the path; the file need not exist


def test_no_router_no_routed_section(db_path: Path, suite_a: Path) -> None:
    write_scenario(open_db(db_path), marker_scenario(30), suite_path=suite_a)
    assert "Routed (" not in recommend(db_path, "--requests-per-day", "2000")
    assert json.loads(recommend(db_path, "--json"))["routing"] is None


def test_routed_section_text_and_json(db_path: Path, suite_a: Path) -> None:
    db = open_db(db_path)
    write_scenario(db, marker_scenario(30), suite_path=suite_a)
    train_router(db, cheap="cheap", strong="strong", runs=[1], name="support", n_boot=200)

    data = json.loads(recommend(db_path, "--json", "--requests-per-day", "2000"))["routing"]
    assert data == routing_summary(db, "support", 2000).to_dict()
    routed, single = data["routed"], data["single_cheapest_acceptable"]
    assert single["model"] == "strong" and single["cost_per_request"] == pytest.approx(0.01)
    assert single["monthly_cost"] == pytest.approx(2000 * 30 * 0.01)
    assert routed["monthly_cost"] == pytest.approx(2000 * 30 * routed["cost_per_request"])
    assert data["monthly_saving"] == pytest.approx(single["monthly_cost"] - routed["monthly_cost"])
    assert data["choice"] == "routed" and routed["pass_rate"] >= 0.9

    out = recommend(db_path, "--requests-per-day", "2000")
    lo, hi = routed["pass_rate_ci"]
    expected = [
        "Routed (trained router 'support', id 1: cheap -> strong, 30 tests, cross-validated) at 2,000 requests/day:",
        "  single cheapest acceptable model: strong  pass 100.0%  $0.0100/request  $600/month",
        f"  routed (nested CV, 5 outer folds, mean of 1 seed: {fmt_rate(routed['strong_share'])} to strong;"
        f" stored threshold {routed['threshold']:.3f}):"
        f"  pass {fmt_rate(routed['pass_rate'])} (95% CI {fmt_rate(lo)}–{fmt_rate(hi)})"
        f"  {fmt_cost(routed['cost_per_request'])}/request  {fmt_cost(routed['monthly_cost'])}/month",
        f"  projected saving: {fmt_cost(data['monthly_saving'])}/month",
    ]
    lines = out.splitlines()
    start = lines.index(expected[0])
    assert lines[start : start + 4] == expected
    assert lines[start + 4].startswith("  Ship: the router. The router beats random routing at the same cost")

    # Without --requests-per-day the section still shows, at the default volume.
    assert "cross-validated) at 1,000 requests/day:" in recommend(db_path)


def test_router_of_the_same_suite_applies_to_a_newer_run(db_path: Path, suite_a: Path, tmp_path: Path) -> None:
    db = open_db(db_path)
    write_scenario(db, marker_scenario(30), suite_path=suite_a)
    train_router(db, cheap="cheap", strong="strong", runs=[1], name="old", n_boot=100)
    run2 = write_scenario(db, marker_scenario(30, seed=3), suite_path=suite_a)
    assert router_for_run(db, run2) == 1  # trained on run 1 of the same suite file

    other = write_scenario(db, marker_scenario(30), suite_path=tmp_path / "b.yaml")
    db.execute("update runs set suite_sha256 = 'other' where id = ?", [other])  # a different suite file
    db.conn.commit()
    assert router_for_run(db, other) is None
    assert "Routed (" not in recommend(db_path, "--run", str(other))
    assert "trained router 'old'" in recommend(db_path, "--run", str(run2))

    # A newer router of the other suite does not take over run 2; one trained on run 2 does.
    train_router(db, cheap="cheap", strong="strong", runs=[other], name="b", n_boot=100)
    assert router_for_run(db, run2) == 1 and router_for_run(db, other) == 2
    train_router(db, cheap="cheap", strong="strong", runs=[run2], name="new", n_boot=100)
    assert router_for_run(db, run2) == 3
    assert "trained router 'new'" in recommend(db_path, "--run", str(run2))
