"""The Recommendation page's router section reads the typed router summary (RouterSummary)."""

from __future__ import annotations

from pathlib import Path

import pytest
from routing_data import marker_scenario, write_scenario

from workbench.format import fmt_cost
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
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Single: strong"] == fmt_cost(expected.single_cheapest_acceptable.monthly_cost) + " / month"
    assert metrics["Routed (cheap → strong)"] == fmt_cost(expected.routed.monthly_cost) + " / month"
    assert metrics["Monthly saving"] == fmt_cost(expected.monthly_saving)
    shown = [e.value for e in (*at.success, *at.info)]
    assert f"Choice: **{expected.choice}** — {expected.verdict}" in shown
