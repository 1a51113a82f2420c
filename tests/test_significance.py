"""The exact McNemar test on paired flips, and `--significance ALPHA` on the regression gate."""

from __future__ import annotations

import json
from pathlib import Path

from ci_project import ORIGINAL, wb, write_prompt, write_suite

from workbench.analysis.significance import exact_binomial_p, mcnemar, mcnemar_p


def test_exact_p_values_known_answers_and_scipy_agrees() -> None:
    assert exact_binomial_p(0, 0) == 1.0
    assert exact_binomial_p(2, 0) == 0.5  # 2 flips one way: a coin does that half the time (two-sided)
    assert exact_binomial_p(8, 0) == 2 / 256
    assert exact_binomial_p(5, 5) == 1.0
    # 9 vs 1: 2 * (1 + 10) / 1024
    assert exact_binomial_p(9, 1) == 22 / 1024
    for b in range(0, 25):
        for c in range(0, 25):
            assert abs(mcnemar_p(b, c) - exact_binomial_p(b, c)) < 1e-12, (b, c)


def test_verdicts() -> None:
    assert mcnemar(8, 0).verdict == "regressed"
    assert mcnemar(0, 8).verdict == "improved"
    assert mcnemar(2, 0).verdict == "inconclusive"
    assert mcnemar(5, 0, alpha=0.1).verdict == "regressed"  # p = 0.0625
    assert mcnemar(5, 0).verdict == "inconclusive"
    assert mcnemar(8, 0).line() == "regressed (8 regressed vs 0 improved, McNemar p = 0.0078 < 0.05)"


def _project(root: Path, n: int) -> Path:
    """n tests that each need the word `politely`: an edit that drops it flips every one."""
    tests = [
        {
            "description": f"t{i}",
            "vars": {"name": f"N{i}", "topic": "x"},
            "assert": [{"type": "contains", "value": "politely"}],
        }
        for i in range(n)
    ]
    write_prompt(root, ORIGINAL)
    return write_suite(root, tests=tests)


def test_significance_gate_trips_only_on_significant_regressions(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = _project(tmp_path, 8)
    wb("run", suite, "--db", db, "--label", "base", "-q")
    write_prompt(tmp_path, "Say hi to {{name}}. Mention {{topic}}.\n")
    wb("run", suite, "--db", db, "--label", "head", "-q")
    # 8 of 8 flipped: significant
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "--significance", "0.05")
    assert res.exit_code == 100
    assert res.stderr == (
        "gate regression: overall: regressed (8 regressed vs 0 improved, McNemar p = 0.0078 < 0.05) (2 significant)\n"
    )
    assert "  verdict: regressed (8 regressed vs 0 improved, McNemar p = 0.0078 < 0.05)" in res.stdout


def test_two_flips_are_inconclusive_default_gate_still_trips(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = _project(tmp_path, 8)
    wb("run", suite, "--db", db, "--label", "base", "-q")
    tests = json.loads(suite.read_text())["tests"]
    for t in tests[2:]:
        t["assert"] = [{"type": "contains", "value": "Mention"}]
    tests[0]["assert"] = tests[1]["assert"] = [{"type": "contains", "value": "politely"}]
    write_suite(tmp_path, tests=tests)
    write_prompt(tmp_path, "Say hi to {{name}}. Mention {{topic}}.\n")
    wb("run", suite, "--db", db, "--label", "head", "-q")
    # identities changed for t2..t7 (their asserts did not, identity is description + vars): 2 flips
    default = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "-o", tmp_path / "r.md")
    assert default.exit_code == 100 and default.stderr.startswith("gate regression: 2 tests passed in BASE")
    sig = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "--significance", "0.05")
    assert sig.exit_code == 0, sig.output
    assert "verdict: inconclusive (2 regressed vs 0 improved, McNemar p = 0.5 >= 0.05)" in sig.stdout
    md = (tmp_path / "r.md").read_text()
    assert "**Verdict** inconclusive (2 regressed vs 0 improved, McNemar p = 0.5 >= 0.05)" in md
    assert "| **2** | 0 | inconclusive (0.5) |" in md
