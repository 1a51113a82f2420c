"""The routing training table: repeats and runs fold into one row per test, errors fail, $ honest."""

from __future__ import annotations

from pathlib import Path

import pytest
from routing_data import Outcome, Scenario, write_scenario

from workbench.errors import UsageError
from workbench.routing.dataset import load_dataset, resolve_runs
from workbench.routing.features import numeric_features
from workbench.store.db import open_db

TESTS = [
    {"description": "a", "vars": {"ticket": "refund please", "n": 3}},
    {"description": "b", "vars": {"ticket": "arbitration clause", "n": 40}},
]


def test_repeats_and_runs_fold_into_one_row_per_test(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    first = write_scenario(
        db,
        Scenario(
            TESTS,
            [
                Outcome(0, 0, ok=True, repeat=0, cost=0.001),
                Outcome(0, 0, ok=False, repeat=1, cost=0.003),
                Outcome(0, 1, ok=True, cost=0.01),
                Outcome(1, 0, ok=False, error="timeout", cost=None),
                Outcome(1, 1, ok=True, cost=0.02),
            ],
        ),
    )
    second = write_scenario(
        db, Scenario(TESTS, [Outcome(0, 0, ok=True, cost=0.002), Outcome(1, 1, ok=False, cost=0.03)])
    )
    data = load_dataset(db, [first, second])
    assert data.models == ["cheap", "strong"]  # cheapest mean cost first
    assert len(data.inputs) == 2
    a, b = sorted(data.inputs, key=lambda i: i.description or "")
    assert a.text == "Answer the customer ticket: refund please"
    assert a.vars == {"ticket": "refund please", "n": 3}
    assert (a.n["cheap"], a.passes["cheap"]) == (3, 2)
    assert a.cost["cheap"] == pytest.approx(0.002)
    # an ERROR result is a failure; its missing price does not make the model unknown
    assert (b.n["cheap"], b.passes["cheap"]) == (1, 0)
    assert b.cost["cheap"] == pytest.approx(0.002)  # no priced result for b: the model's mean
    assert (b.n["strong"], b.passes["strong"]) == (2, 1)
    assert b.cost["strong"] == pytest.approx(0.025)
    assert data.model_cost == {"cheap": pytest.approx(0.002), "strong": pytest.approx(0.02)}
    _records, labels, groups = data.expanded("cheap")
    assert sorted(zip(groups, labels, strict=True)) == sorted(
        [(a.identity, 1), (a.identity, 1), (a.identity, 0), (b.identity, 0)]
    )
    rows = {i.identity: row for i, row in zip(data.inputs, data.pass_matrix(), strict=True)}
    assert rows == {a.identity: [2 / 3, 1.0], b.identity: [0.0, 0.5]}


def test_an_unpriced_result_makes_the_model_cost_unknown(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run = write_scenario(
        db,
        Scenario(
            TESTS,
            [Outcome(0, 0, ok=True, cost=None), Outcome(1, 0, ok=True, cost=0.001), Outcome(0, 1, ok=True, cost=0.01)],
        ),
    )
    data = load_dataset(db, [run])
    assert data.model_cost["cheap"] is None
    assert all(i.cost.get("cheap") is None for i in data.inputs)
    assert data.models == ["strong", "cheap"]  # unknown prices sort last
    # only inputs with both models survive the restriction
    assert len(data.restrict(["cheap", "strong"]).inputs) == 1


def test_unknown_model_and_missing_suite_runs_are_usage_errors(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run = write_scenario(db, Scenario(TESTS, [Outcome(0, 0, ok=True)]))
    with pytest.raises(UsageError, match=r"model 'gpt-9' has no results in runs \[1\] \(models: cheap\)"):
        load_dataset(db, [run]).restrict(["cheap", "gpt-9"])
    suite = tmp_path / "suite.yaml"
    suite.write_text("prompts: []\n")
    with pytest.raises(UsageError, match="no run of this suite in the database"):
        resolve_runs(db, suite, None)
    assert resolve_runs(db, None, None) == [run]


def test_suite_runs_are_found_by_path(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    suite = tmp_path / "suite.yaml"
    suite.write_text("prompts: []\n")
    r1 = write_scenario(db, Scenario(TESTS, [Outcome(0, 0, ok=True)]), suite_path=suite)
    write_scenario(db, Scenario(TESTS, [Outcome(0, 0, ok=True)]))
    r3 = write_scenario(db, Scenario(TESTS, [Outcome(0, 0, ok=True)]), suite_path=suite)
    assert resolve_runs(db, suite, None) == [r1, r3]


def test_numeric_features_of_vars() -> None:
    f = numeric_features({"text": "hello world", "vars": {"doc": "abc", "n": 9, "flag": True, "qty": "12", "xs": [1]}})
    assert f["len:doc"] == pytest.approx(1.3862943611198906)  # log1p(3)
    assert f["num:n"] == pytest.approx(2.302585092994046)  # log1p(9)
    assert f["num:flag"] == 1.0
    assert f["num:qty"] == pytest.approx(2.5649493574615367)  # numeric strings count as numbers too
    assert f["len:xs"] == pytest.approx(1.3862943611198906)  # len("[1]") = 3
    assert f["tokens"] == pytest.approx(1.0986122886681098)  # 2 tokens
