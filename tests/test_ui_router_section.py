"""The Recommendation page's router section reads the typed router summary (RouterSummary)."""

from __future__ import annotations

from pathlib import Path

import pytest
from routing_data import CASCADE_MODELS, marker_scenario, three_tier_scenario, write_scenario
from ui_tables import shown_metrics

from workbench.format import fmt_cost
from workbench.md_escape import md
from workbench.routing.router_summary import routing_summary
from workbench.routing.train import train_router
from workbench.store.db import open_db

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "workbench" / "ui" / "app.py"


def test_router_section_shows_single_vs_routed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "wb.db"
    db = open_db(path)
    run_id = write_scenario(db, marker_scenario(30))
    train_router(db, cheap="cheap", strong="strong", runs=[str(run_id)], name="support", n_boot=100)
    expected = routing_summary(db, "support", 10_000.0)
    assert expected.single_cheapest_acceptable is not None
    monkeypatch.setenv("WORKBENCH_DB", str(path))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.query_params["run"] = str(run_id)
    at.switch_page("routes/recommendation.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Trained router: single cheapest acceptable model vs routed" in [s.value for s in at.subheader]
    metrics = {m.label: m.value for m in shown_metrics(at).values()}
    assert metrics["Single: strong"] == fmt_cost(expected.single_cheapest_acceptable.monthly_cost) + " / month"
    routed = "Routed (cheap → strong), nested CV, 5 outer folds, mean of 1 seed"
    assert metrics[routed] == fmt_cost(expected.routed.monthly_cost) + " / month"
    assert metrics["Monthly saving"] == fmt_cost(expected.monthly_saving)
    shown = [e.value for e in (*at.success, *at.info)]
    assert f"Choice: **{expected.choice}** — {expected.verdict}" in shown


def test_a_cascades_routed_figures_are_the_nested_ones_labelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cascade router: the routed $/month and the caption are the nested CV's figures, said so; the
    curve's point appears only labelled in-sample, optimistic."""
    path = tmp_path / "wb.db"
    db = open_db(path)
    run_id = write_scenario(db, three_tier_scenario(40))
    train_router(db, models=CASCADE_MODELS, runs=[str(run_id)], name="tiers", n_boot=100)
    s = routing_summary(db, "tiers", 10_000.0)
    assert s.routed.source == "nested cross-validation" and s.routed.shares is not None
    monkeypatch.setenv("WORKBENCH_DB", str(path))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.query_params["run"] = str(run_id)
    at.switch_page("routes/recommendation.py").run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in shown_metrics(at).values()}
    routed = "Routed (cheap → mid → strong), nested CV, 5 outer folds, mean of 1 seed"
    assert metrics[routed] == f"{fmt_cost(s.routed.monthly_cost)} / month"
    caption = next(str(c.value) for c in at.caption if "Routed" in str(c.value))
    mix = ", ".join(f"{v * 100:.1f}% to {m}" for m, v in s.routed.shares.items())
    assert md(f"pass {s.routed.pass_rate * 100:.1f}%") in caption and md(mix) in caption
    assert md(f"(in-sample, optimistic): pass {s.in_sample.pass_rate * 100:.1f}%") in caption
