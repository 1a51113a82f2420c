"""`workbench compare` and `workbench run --baseline`: real echo runs, gates and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ci_project import BLOATED, BREAKING, HARMLESS, ORIGINAL, TESTS, project, wb, write_prompt, write_suite
from conftest import PROMPTFOO


def base_and_head(tmp_path: Path, head_text: str) -> tuple[Path, Path]:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    assert wb("run", suite, "--db", db, "--label", "base", "-q").exit_code == 0
    write_prompt(tmp_path, head_text)
    wb("run", suite, "--db", db, "--label", "head", "-q", "--pass-rate-threshold", "0")
    return db, suite


def test_breaking_edit_trips_fail_on_regression_and_names_both_tests(tmp_path: Path) -> None:
    db, _ = base_and_head(tmp_path, BREAKING)
    report = tmp_path / "report.md"
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "-o", report)
    assert res.exit_code == 100
    assert res.stderr.splitlines() == [
        'gate regression: 2 tests passed in BASE and fail in HEAD: "alice", "bob"',
    ]
    assert "2 regressed, 0 improved" in res.stdout
    md = report.read_text()
    assert md.startswith("## ❌ workbench: 1 regression gate tripped\n")
    assert "**alice · greet/v1 · none · echo**" in md and "**bob · greet/v1 · none · echo**" in md
    assert "carol · greet/v1" not in md  # carol still passes
    # excerpts: BASE output and HEAD output of a regression, and the prompt diff with its token delta
    assert "Say hello to Alice politely. Mention cats." in md and "Say hi to Alice. Talk about cats." in md
    assert "-Say hello to {{name}} politely. Mention {{topic}}.\n+Say hi to {{name}}. Talk about {{topic}}." in md
    assert "greet/v1 (edited): +0 tokens" in md and "BASE greet/v1 (13 tokens)" in md
    # without the gate flag nothing trips (the breaking edit has no guardrail failure)
    assert wb("compare", "base", "head", "--db", db).exit_code == 0


def test_token_heavier_version_trips_the_bloat_gate(tmp_path: Path) -> None:
    db, _ = base_and_head(tmp_path, BLOATED)
    ok = wb("compare", "base", "head", "--db", db, "--fail-on-regression")
    assert ok.exit_code == 0, ok.output  # every test still passes
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "--max-prompt-token-growth", "50")
    assert res.exit_code == 100
    assert res.stderr == (
        "gate prompt-tokens: greet/v1 · none · echo: prompt tokens per request 9 -> 135 (+1400.0%),"
        " more than the allowed +50%\n"
    )


def test_harmless_edit_passes_every_gate(tmp_path: Path) -> None:
    db, _ = base_and_head(tmp_path, HARMLESS)
    res = wb(
        "compare",
        "base",
        "head",
        "--db",
        db,
        "--fail-on-regression",
        "--max-pass-rate-drop",
        "0",
        "--max-prompt-token-growth",
        "25",
        "--max-cost-increase",
        "0",
        "-o",
        tmp_path / "r.md",
    )
    assert res.exit_code == 0, res.output
    assert res.stderr == ""
    assert res.stdout.splitlines()[-1] == "PASS: no gate tripped"
    assert (tmp_path / "r.md").read_text().startswith("## ✅ workbench: no regression gate tripped\n")


def test_new_guardrail_failure_trips_by_default(tmp_path: Path) -> None:
    db, _ = base_and_head(tmp_path, ORIGINAL.rstrip() + " SECRET\n")
    res = wb("compare", "base", "head", "--db", db)
    assert res.exit_code == 100
    assert res.stderr == "gate guardrails: 1 new guardrail failure (allowed 0) in greet/v1 · none · echo\n"
    assert wb("compare", "base", "head", "--db", db, "--max-new-guardrail-failures", "-1").exit_code == 0


def test_pass_rate_drop_gate(tmp_path: Path) -> None:
    db, _ = base_and_head(tmp_path, BREAKING)
    assert wb("compare", "base", "head", "--db", db, "--max-pass-rate-drop", "70").exit_code == 0
    res = wb("compare", "base", "head", "--db", db, "--max-pass-rate-drop", "50")
    assert res.exit_code == 100
    assert res.stderr == (
        "gate pass-rate-drop: overall: pass rate 100.0% -> 33.3% (-66.7 pts), more than the allowed -50 pts\n"
    )


def test_run_with_baseline_gates_in_one_step(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    assert wb("run", suite, "--db", db, "--label", "base", "-q").exit_code == 0
    write_prompt(tmp_path, BREAKING)
    res = wb("run", suite, "--db", db, "-q", "--baseline", "base", "--fail-on-regression", "-o", tmp_path / "pr.md")
    assert res.exit_code == 100
    assert 'gate regression: 2 tests passed in BASE and fail in HEAD: "alice", "bob"' in res.stderr
    assert "**alice · greet/v1" in (tmp_path / "pr.md").read_text()
    # with --baseline the pass-rate threshold no longer decides: a harmless HEAD exits 0
    write_prompt(tmp_path, HARMLESS)
    assert wb("run", suite, "--db", db, "-q", "--baseline", "base", "--fail-on-regression").exit_code == 0


def test_json_inputs_from_workbench_runs(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "-q", "-o", tmp_path / "base.json")
    write_prompt(tmp_path, BREAKING)
    wb("run", suite, "--db", db, "-q", "-o", tmp_path / "head.json", "--pass-rate-threshold", "0")
    res = wb("compare", tmp_path / "base.json", tmp_path / "head.json", "--fail-on-regression", "--json")
    assert res.exit_code == 100
    doc = json.loads(res.stdout)
    (s,) = doc["suites"]
    c = s["comparison"]
    assert c["matched"] == 3 and c["regressed"] == 2
    assert sorted(r["description"] for r in c["regressions"]) == ["alice", "bob"]
    assert c["pairs"][0]["name"] == "greet/v1 · none · echo"
    assert doc["verdict"] == "fail" and doc["tripped"][0]["gate"] == "regression"
    # a JSON side and a stored run side; the user's database gains nothing
    runs_before = wb("runs", "--db", db).output
    mixed = wb("compare", tmp_path / "base.json", "2", "--db", db, "--fail-on-regression")
    assert mixed.exit_code == 100 and '"alice", "bob"' in mixed.stderr
    assert wb("runs", "--db", db).output == runs_before


def test_cost_gate_on_priced_json(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "-q", "-o", tmp_path / "base.json")
    doc = json.loads((tmp_path / "base.json").read_text())
    for side, price in (("base", 0.001), ("head", 0.0013)):
        for r in doc["results"]["results"]:
            r["cost"] = r["response"]["cost"] = price
        (tmp_path / f"{side}.json").write_text(json.dumps(doc))
    ok = wb("compare", tmp_path / "base.json", tmp_path / "head.json", "--max-cost-increase", "40")
    assert ok.exit_code == 0
    res = wb("compare", tmp_path / "base.json", tmp_path / "head.json", "--max-cost-increase", "20")
    assert res.exit_code == 100
    assert res.stderr == (
        "gate cost: greet/v1 · none · echo: cost per request $0.001 -> $0.0013 (+30.0%), more than the allowed +20%\n"
    )


@pytest.mark.skipif(
    not PROMPTFOO or not shutil.which("node"),
    reason="the real promptfoo is not installed ($WORKBENCH_PROMPTFOO or on PATH)",
)
def test_promptfoo_written_json_as_base(tmp_path: Path) -> None:
    suite = project(tmp_path)
    out = tmp_path / "pf.json"
    subprocess.run(
        [str(PROMPTFOO), "eval", "-c", str(suite), "--no-cache", "-o", str(out)],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=True,
        env={
            "PATH": str(Path(shutil.which("node") or "node").parent) + ":/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PROMPTFOO_DISABLE_TELEMETRY": "1",
            "PROMPTFOO_DISABLE_UPDATE": "1",
        },
    )
    db = tmp_path / "r.db"
    write_prompt(tmp_path, BREAKING)
    wb("run", suite, "--db", db, "--label", "head", "-q", "--pass-rate-threshold", "0")
    res = wb("compare", out, "head", "--db", db, "--fail-on-regression", "-o", tmp_path / "r.md")
    assert res.exit_code == 100, res.output
    assert res.stderr == 'gate regression: 2 tests passed in BASE and fail in HEAD: "alice", "bob"\n'
    md = (tmp_path / "r.md").read_text()
    assert "| greet/v1 · none · echo | 100.0% → 33.3% |" in md


def test_step_summary_is_appended(tmp_path: Path) -> None:
    db, _ = base_and_head(tmp_path, BREAKING)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert res.exit_code == 100
    text = summary.read_text()
    assert text.startswith("earlier step\n## ❌ workbench: 1 regression gate tripped\n")
    assert "**alice · greet/v1 · none · echo**" in text


def test_different_tests_are_reported_not_counted(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "--label", "base", "-q")
    extra = {
        "description": "dave",
        "vars": {"name": "Dave", "topic": "owls"},
        "assert": [{"type": "contains", "value": "Dave"}],
    }
    write_suite(tmp_path, tests=[*TESTS[1:], extra])
    wb("run", suite, "--db", db, "--label", "head", "-q")
    res = wb(
        "compare", "base", "head", "--db", db, "--fail-on-regression", "--missing", "ignore", "-o", tmp_path / "r.md"
    )
    assert res.exit_code == 0
    md = (tmp_path / "r.md").read_text()
    assert "⚠️ BASE and HEAD ran different tests: 1 only in BASE, 1 only in HEAD" in md
    assert "Tests only in BASE (not compared): `alice`" in md and "Tests only in HEAD (not compared): `dave`" in md
    # by default alice, removed from the suite after passing in BASE, counts as a failure
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression")
    assert res.exit_code == 100
    assert res.stderr == (
        'gate missing: 1 test passed in BASE and is missing in HEAD: "alice" (--missing ignore to allow)\n'
    )
    assert "on 2 matched (test, pair) rows (1 only in BASE, 1 only in HEAD)" in res.stdout


def test_labels_over_several_suites_pair_by_suite(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    a = project(tmp_path)
    write_prompt(tmp_path, ORIGINAL, family="other")
    b = write_suite(tmp_path, name="other", family="other")
    assert wb("run", a, b, "--db", db, "--label", "base", "-q").exit_code == 0
    write_prompt(tmp_path, BREAKING, family="other")
    wb("run", a, b, "--db", db, "--label", "head", "-q")
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "-o", tmp_path / "r.md")
    assert res.exit_code == 100
    assert res.stderr == 'gate regression: [other.yaml] 2 tests passed in BASE and fail in HEAD: "alice", "bob"\n'
    md = (tmp_path / "r.md").read_text()
    assert "### greet.yaml" in md and "### other.yaml" in md


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    db, _ = base_and_head(tmp_path, HARMLESS)
    res = wb("compare", "base", "nope", "--db", db)
    assert res.exit_code == 2
    assert res.stderr == "Error: run 'nope' not found: pass a run id or label (list them with `workbench runs`)\n"
    res = wb("compare", tmp_path / "missing.json", "head", "--db", db)
    assert res.exit_code == 2 and res.stderr == f"Error: {tmp_path / 'missing.json'}: no such file\n"
    bad = tmp_path / "bad.json"
    bad.write_text('{"results": []}')
    res = wb("compare", bad, "head", "--db", db)
    assert res.exit_code == 2 and "results.results: expected promptfoo output" in res.stderr
    res = wb("compare", "base", "head", "--db", db, "-o", tmp_path / "r.csv")
    assert res.exit_code == 2 and "unsupported report format" in res.stderr


def test_compare_junit(tmp_path: Path) -> None:
    from xml.etree import ElementTree

    db, _ = base_and_head(tmp_path, BREAKING)
    out = tmp_path / "cmp.junit.xml"
    assert wb("compare", "base", "head", "--db", db, "--fail-on-regression", "-o", out).exit_code == 100
    root = ElementTree.parse(out).getroot()
    assert root.get("failures") == "4"  # the regression gate, the pair, alice, bob
    names = [(c.get("name"), c.find("failure") is not None) for c in root.iter("testcase")]
    assert ("regression (fail_on_regression=True)", True) in names
    assert ("guardrails (max_new_guardrail_failures=0)", False) in names
    assert ("alice · greet/v1 · none · echo", True) in names
