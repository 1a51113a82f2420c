from __future__ import annotations

import json
from pathlib import Path

from analysis_data import make_run, pair_results
from click.testing import CliRunner

from workbench.cli.main import cli
from workbench.store.db import open_db


def seed(db_path: Path) -> int:
    db = open_db(db_path)
    results = pair_results(0, 0, [True] * 20, cost=0.01)
    results += pair_results(0, 1, [True] * 19 + [False], cost=0.002)
    results += pair_results(0, 2, [True] * 20, cost=None)
    return make_run(db, results, providers=["gpt-big", "gpt-mini", "mystery"], label="main")


def test_text_output(db_path: Path) -> None:
    seed(db_path)
    res = CliRunner().invoke(cli, ["recommend", "--db", str(db_path), "--requests-per-day", "1000"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Run 1: 3 pairs; acceptable = pass rate >= 90.0%, no guardrail failures, no errors" in out
    assert "Pick: summary/v1 · none · gpt-mini  $0.002/request, pass rate 95.0% (19/20, 95% CI 76.4%–99.1%)" in out
    assert "Runner-up: summary/v1 · none · gpt-big  $0.0100/request, pass rate 100.0% (20/20" in out
    assert "Verdict: not clearly better than the runner-up: the pass-rate intervals overlap" in out
    assert "summary/v1 · none · mystery: price unknown (20 results without a price)" in out
    assert "Monthly projection at 1,000 requests/day (30 days)" in out
    assert "$60.00" in out and "$300" in out  # 1000 x 30 x $0.002, x $0.01
    assert "Token avalanche (pick, context x1/x2/x4, per month): x1 $60.00" in out


def test_json_output_and_flags(db_path: Path) -> None:
    seed(db_path)
    res = CliRunner().invoke(
        cli, ["recommend", "--db", str(db_path), "--run", "main", "--min-pass-rate", "0.97", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["pick"]["model"] == "gpt-big"
    assert data["acceptance"] == {"min_pass_rate": 0.97, "allow_guardrail_failures": False, "allow_errors": False}
    assert {e["pair"]: e["reasons"] for e in data["excluded"]} == {
        "summary/v1 · none · gpt-mini": ["pass rate 95.0% (19/20) below target 97.0%"],
        "summary/v1 · none · mystery": ["price unknown (20 results without a price)"],
    }


def test_errors_exit_2_with_one_line(db_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(cli, ["recommend", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 2
    assert res.output == f"Error: {tmp_path / 'none.db'}: no such database (run `workbench run` first, or pass --db)\n"
    seed(db_path)
    res = runner.invoke(cli, ["recommend", "--db", str(db_path), "--run", "nope"])
    assert res.exit_code == 2
    assert res.output == "Error: run 'nope' not found: pass a run id or label (list them with `workbench runs`)\n"
    res = runner.invoke(cli, ["recommend", "--db", str(db_path), "--min-pass-rate", "2"])
    assert res.exit_code == 2 and "is not in the range 0<=x<=1" in res.output


def test_end_to_end_on_the_example_suite(db_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    suite = root / "suites" / "ticket_summary.yaml"
    runner = CliRunner()
    res = runner.invoke(cli, ["run", str(suite), "--db", str(db_path), "--label", "e2e"])
    assert res.exit_code in (0, 100), res.output
    res = runner.invoke(cli, ["recommend", "--db", str(db_path), "--suite", str(suite), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {p["prompt"] for p in data["pairs"]} == {"ticket_summary/v1", "ticket_summary/v2", "ticket_summary/v3"}
    judged = {e["pair"] for e in data["excluded"]} | set(data["acceptable"])
    assert judged == {p["name"] for p in data["pairs"]}
    res = runner.invoke(cli, ["diff", "ticket_summary", "v1", "v2", "--db", str(db_path), "--run", "e2e"])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("--- ticket_summary/v1 (")
    assert "Results in run 1: v1 -> v2" in res.output
