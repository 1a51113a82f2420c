"""`workbench route train|eval|predict|list` and `workbench failures`: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from routing_data import marker_scenario, write_scenario

from workbench.cli.main import cli
from workbench.store.db import open_db

MARKER = "Answer the customer ticket: ticket 900: billing invoice contains legal clause arbitration"


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "wb.db"
    sc = marker_scenario(30)
    for o in sc.outcomes:
        if not o.ok:
            o.reason = "Expected output to contain the order id"
            o.output = "Sorry, I cannot help with that."
    write_scenario(open_db(path), sc)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_train_eval_predict_list(db_file: Path) -> None:
    db = str(db_file)
    code, out, _ = run(
        "route", "train", "--runs", "1", "--cheap", "cheap", "--strong", "strong", "--name", "s", "--db", db
    )
    assert code == 0, out
    first, verdict, hint = out.splitlines()
    assert first.startswith("Trained router 's' (id 1): cheap -> strong, 30 tests from runs 1, ")
    assert verdict.startswith("The router beats random routing at the same cost")
    assert hint == "See `workbench route eval --name 's'` for the full evaluation."

    code, out, _ = run("route", "eval", "--name", "s", "--requests-per-day", "2000", "--db", db)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Router 's' (id 1, ")
    assert lines[1].startswith("30 tests, runs 1; 5-fold CV grouped by test;")
    assert lines[3] == "  cheap alone      66.7%  $0.001/request"
    assert lines[4] == "  strong alone    100.0%  $0.0100/request"
    assert lines[5] == "  oracle (bound)  100.0%  $0.004/request  (33.3% to strong)"
    assert sum(line.endswith(" <") for line in lines) == 1  # the chosen threshold is marked
    assert any(line.startswith("At 2,000 requests/day: routed $") and "vs strong $600/month" in line for line in lines)
    assert lines[-1].startswith("Ship: the router. The router beats random routing")

    code, out, _ = run("route", "eval", "--name", "s", "--json", "--db", db)
    data = json.loads(out)
    assert data["summary"]["requests_per_day"] == 1000
    assert data["summary"]["single_cheapest_acceptable"]["monthly_cost"] == pytest.approx(300.0)
    assert data["evaluation"]["points"][0]["strong_share"] == 0.0

    code, out, _ = run("route", "predict", "--name", "s", MARKER, "--db", db)
    assert code == 0 and out.startswith("strong  (P(cheap passes) = ")
    code, out, _ = run("route", "predict", "--name", "s", "--json", "--vars", '{"ticket": "x"}', "hello", "--db", db)
    decision = json.loads(out)
    assert set(decision) == {"router", "id", "model", "p_pass_cheap", "threshold"}

    code, out, _ = run("route", "list", "--db", db)
    header, row = out.splitlines()
    assert header.split() == ["id", "name", "cheap", "->", "strong", "tests", "threshold", "beats", "random", "created"]
    threshold = f"{data['summary']['threshold']:.3f}"
    assert row.split()[:8] == ["1", "s", "cheap", "->", "strong", "30", threshold, "yes"]


def test_route_errors(db_file: Path, tmp_path: Path) -> None:
    db = str(db_file)
    assert run("route", "eval", "--name", "nope", "--db", db)[0:3:2] == (
        2,
        "Error: router 'nope' not found: train one with `workbench route train` (see `workbench route list`)\n",
    )
    assert run("route", "predict", "--name", "s", "--db", db)[0:3:2] == (
        2,
        "Error: give the input as TEXT or --file F (one of them)\n",
    )
    assert run("route", "predict", "--vars", "[1]", "x", "--db", db)[0:3:2] == (
        2,
        "Error: --vars: expected a JSON object\n",
    )
    code, _, err = run("route", "train", "--runs", "1", "--cheap", "cheap", "--strong", "gpt-9", "--db", db)
    assert (code, err) == (2, "Error: model 'gpt-9' has no results in runs [1] (models: cheap, strong)\n")
    missing = tmp_path / "none.db"
    code, _, err = run("route", "list", "--db", str(missing))
    assert (code, err) == (2, f"Error: {missing}: no such database (run `workbench run` first, or pass --db)\n")
    assert run("route", "list", "--db", db)[1] == (
        "No routers yet: train one with `workbench route train --cheap A --strong B`.\n"
    )


def test_failures_command(db_file: Path) -> None:
    code, out, _ = run("failures", "--db", str(db_file))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "10 failing of 60 results (runs 1): 1 failure mode(s), identical-text."
    assert lines[2] == "#1  10 failure(s)  [(identical failures)]"
    assert lines[3] == "        10  ticket/v1 · none · cheap"
    assert lines[5] == "        reason: Expected output to contain the order id"
    code, out, _ = run("failures", "--model", "cheap", "--json", "--db", str(db_file))
    data = json.loads(out)
    assert data["failures"] == 10 and data["clusters"][0]["by_group"] == {"ticket/v1 · none · cheap": 10}
    code, _, err = run("failures", "--family", "ticket", "--db", str(db_file))
    assert (code, err) == (2, "Error: --family and --version go together\n")
