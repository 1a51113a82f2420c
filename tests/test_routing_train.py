"""Training, storing, loading and applying a router; the routing summary; the m002 migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from routing_data import Outcome, Scenario, marker_scenario, random_scenario, write_scenario
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from workbench.errors import StoreError, UsageError
from workbench.routing.predict import load_router, predict
from workbench.routing.router_summary import routing_summary
from workbench.routing.stored_routers import list_routers
from workbench.routing.train import train_router
from workbench.store.db import open_db
from workbench.store.schema import m001_initial

MARKER = "Answer the customer ticket: ticket 900: shipping delay parcel contains legal clause arbitration"
PLAIN = "Answer the customer ticket: ticket 901: shipping delay parcel please help"


def test_trained_router_sends_marker_inputs_to_the_strong_model(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run = write_scenario(db, marker_scenario(60, repeats=2))
    trained = train_router(db, cheap="cheap", strong="strong", runs=[str(run)], name="support", n_boot=200)
    assert trained.fitted == "logistic+sigmoid-calibration"
    assert trained.report["beats_random"] is True
    router = load_router(db, "support")
    assert (router.cheap_model, router.strong_model, router.threshold) == ("cheap", "strong", trained.threshold)
    hard = predict(router, MARKER, {"ticket": MARKER[28:]})
    easy = predict(router, PLAIN, {"ticket": PLAIN[28:]})
    assert hard.model == "strong" and easy.model == "cheap"
    assert hard.p_pass_cheap < trained.threshold <= easy.p_pass_cheap
    assert easy.p_pass_cheap > 0.8


def test_versions_list_and_summary(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run = write_scenario(db, marker_scenario(45))
    first = train_router(db, cheap="cheap", strong="strong", runs=[run], name="r", n_boot=100)
    second = train_router(db, cheap="cheap", strong="strong", runs=[run], name="r", min_pass_rate=1.0, n_boot=100)
    assert second.id == first.id + 1
    assert load_router(db, "r").id == second.id  # newest version of a name
    assert load_router(db, router_id=first.id).threshold == first.threshold
    listed = list_routers(db)
    assert [(r["id"], r["name"], r["tests"], r["beats_random"]) for r in listed] == [
        (second.id, "r", 45, True),
        (first.id, "r", 45, True),
    ]
    s = routing_summary(db, "r", requests_per_day=1000, router_id=first.id)
    routed = s.routed
    assert routed.threshold == first.threshold
    assert routed.monthly_cost == pytest.approx(1000 * 30 * routed.cost_per_request)
    assert s.single_cheapest_acceptable.model == "strong"
    assert s.single_cheapest_acceptable.monthly_cost == pytest.approx(1000 * 30 * 0.01)
    assert s.monthly_saving == pytest.approx(s.single_cheapest_acceptable.monthly_cost - routed.monthly_cost)
    assert s.choice == "routed"
    # a 100 % target: the chosen point must reach it
    assert routing_summary(db, "r").routed.pass_rate == 1.0


def test_random_labels_summary_says_single_model(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run = write_scenario(db, random_scenario(50))
    train_router(db, cheap="cheap", strong="strong", runs=[run], name="noise", n_boot=200)
    s = routing_summary(db, "noise", 2000)
    assert s.beats_random is False
    assert s.choice == "single"
    assert "no better than random routing" in s.verdict


def test_unknown_prices_give_unknown_dollars(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    sc = marker_scenario(30)
    for o in sc.outcomes:
        if o.provider == 0:
            o.cost = None
    run = write_scenario(db, sc)
    train_router(db, cheap="cheap", strong="strong", runs=[run], name="u", n_boot=100)
    s = routing_summary(db, "u", 1000)
    assert s.costs_known is False
    assert s.routed.cost_per_request is None and s.routed.monthly_cost is None
    assert s.monthly_saving is None
    assert "$ figures are unknown" in s.verdict


def test_one_class_labels_give_a_constant_router(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    tests = [{"description": f"t{i}", "vars": {"ticket": f"case {i}"}} for i in range(6)]
    outcomes = [Outcome(i, p, ok=True, cost=0.001 if p == 0 else 0.01) for i in range(6) for p in (0, 1)]
    run = write_scenario(db, Scenario(tests, outcomes))
    trained = train_router(db, cheap="cheap", strong="strong", runs=[run], n_boot=50)
    assert trained.fitted == "constant"
    assert trained.name == "cheap->strong"
    assert predict(load_router(db, trained.name), "anything").model == "cheap"
    assert "routing cannot help" in trained.report["verdict"]


def test_usage_errors(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run = write_scenario(db, marker_scenario(6))
    with pytest.raises(UsageError, match="--cheap and --strong are the same model"):
        train_router(db, cheap="cheap", strong="cheap", runs=[run])
    with pytest.raises(UsageError, match="router 'missing' not found"):
        load_router(db, "missing")


def test_corrupt_artifact_is_a_store_error(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run = write_scenario(db, marker_scenario(12))
    trained = train_router(db, cheap="cheap", strong="strong", runs=[run], name="c", n_boot=50)
    db.execute("update routers set artifact = ? where id = ?", [b"not a pickle", trained.id])
    db.conn.commit()
    with pytest.raises(StoreError, match=r"router 'c' \(id 1\) cannot be loaded"):
        load_router(db, "c")


def test_m002_migrates_a_database_made_by_m001(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(str(path)))
    only_first = Migrations("workbench")
    only_first()(m001_initial)
    only_first.apply(old)
    assert "routers" not in old.table_names()
    old.conn.close()
    db = open_db(path)
    assert "routers" in db.table_names()
    assert {c.name for c in db["routers"].columns} >= {"artifact", "threshold", "metrics", "run_ids", "models"}
