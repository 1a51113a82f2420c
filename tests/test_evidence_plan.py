"""`workbench plan SUITE` / `run --plan`, and the evidence an inconclusive comparison lacks."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from ci_project import BREAKING, project, wb, write_prompt

from workbench.run.engine import RunConfig
from workbench.run.estimate import estimate_suite
from workbench.run.suite_plan import plan_suite
from workbench.suite import load


def test_plan_for_a_deterministic_suite_says_add_tests(tmp_path: Path) -> None:
    suite = project(tmp_path)
    res = wb("plan", suite, "--db", tmp_path / "none.db", "--drop", "10")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == (
        f"Plan for {suite}: detect a 10-point pass-rate drop below 90.0% (assumed; pass --baseline-rate) with"
        " power 80% at two-sided alpha 0.05"
    )
    assert lines[1].startswith("Needs 199 independent samples per pair on each side (BASE and HEAD); 1 pair;")
    assert "ICC 1.00 (assumed: no stored run with repeats" in lines[1]
    assert lines[3].split() == ["1", "199", "199", "$0"]
    assert lines[-1] == (
        "This suite's 3 tests cannot reach it by repeating (worth at most 3.0 samples per pair at ICC 1.00,"
        " however many repeats): add tests, at least 199 at 1 repeat."
    )
    # independent repeats: the suite's 3 tests get there by repeating
    res = wb("plan", suite, "--db", tmp_path / "none.db", "--icc", "0", "--baseline-rate", "0.9", "--drop", "20")
    assert res.stdout.splitlines()[-1] == (
        "This suite's 3 tests reach it with --repeat 21 (63 cells per pair, $0 per run; run BASE and HEAD)."
    )
    res = wb("plan", suite, "--db", tmp_path / "none.db", "--icc", "0", "--json")
    plan = json.loads(res.stdout)
    assert (plan["samples"], plan["suite_repeats"], plan["rate_source"]) == (199, None, "assumed; pass --baseline-rate")
    assert "more than 50 repeats" in wb("plan", suite, "--db", tmp_path / "none.db", "--icc", "0").stdout
    assert (
        wb("run", suite, "--plan", "--db", tmp_path / "none.db").stdout
        == wb("plan", suite, "--db", tmp_path / "none.db").stdout
    )
    assert not (tmp_path / "none.db").exists()  # nothing written
    bad = wb("plan", suite, "--drop", "50", "--baseline-rate", "0.3")
    assert (bad.exit_code, bad.stderr) == (2, "Error: --drop 50: larger than the baseline pass rate 30%\n")


def test_plan_measures_rate_and_icc_from_stored_runs(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path, BREAKING)  # 1 of 3 tests passes, every repeat the same
    wb("run", suite, "--db", db, "-q", "--repeat", "3", "--pass-rate-threshold", "0")
    plan = json.loads(wb("plan", suite, "--db", db, "--drop", "20", "--json").stdout)
    assert plan["rate_source"] == "run 1" and abs(plan["baseline_rate"] - 1 / 3) < 1e-9
    assert (plan["icc"], plan["icc_source"]) == (1.0, "measured on run 1")


def test_plan_cost_is_the_dry_run_estimate_scaled(tmp_path: Path) -> None:
    suite_path = project(tmp_path)
    doc = yaml.safe_load(suite_path.read_text())
    doc["providers"] = [
        {
            "id": "openai:chat:gpt-4o-mini",
            "config": {"apiBaseUrl": "http://127.0.0.1:9", "max_tokens": 50, "price_as": "gpt-4o-mini"},
        }
    ]
    suite_path.write_text(yaml.safe_dump(doc))
    suite = load(suite_path)
    est = estimate_suite(suite, RunConfig(repeat=1), None)
    assert est.cost > 0 and est.calls == 3
    plan = plan_suite(suite, None, drop=0.1, baseline_rate=0.9, icc=0.0)
    one = plan.options[0]
    assert one.cost_per_run is not None and abs(one.cost_per_run - est.cost / 3 * 199) < 1e-12
    assert abs(plan.options[1].cost_per_run - est.cost / 3 * 200) < 1e-12  # 100 tests x 2 repeats


def test_inconclusive_compare_says_what_would_settle_it(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "--label", "base", "-q")
    write_prompt(tmp_path, BREAKING, version="v2")
    wb("run", suite, "--db", db, "--label", "head", "-q")
    res = wb("compare", "base", "head", "--db", db, "-o", tmp_path / "r.md")
    # 2 flips, both regressions: 6 such flips are needed (6 of 6: p = 0.031); at 2 flips per 6 rows, 18 rows
    line = (
        "to settle it: about 6 flips at this ratio (2:0) at 80% power, so about 18 matched (test, pair) rows: 12"
        " more (new tests, or 2 more repeats of each test on both sides if repeats are independent), about $0 for"
        " both sides"
    )
    assert f"  {line}\n" in res.stdout
    assert f"**Evidence** {line}" in (tmp_path / "r.md").read_text()
    doc = json.loads(wb("compare", "base", "head", "--db", db, "--json").stdout)
    assert doc["suites"][0]["evidence"]["flips_needed"] == 6 and doc["suites"][0]["evidence"]["more_rows"] == 12
