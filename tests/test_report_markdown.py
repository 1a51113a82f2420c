"""Markdown reports: `workbench run -o report.md` and the comparison report's sections."""

from __future__ import annotations

from pathlib import Path

from ci_project import BREAKING, ORIGINAL, project, wb, write_prompt

from workbench.report.markdown import cell, excerpt, fenced


def test_run_report(tmp_path: Path) -> None:
    suite = project(tmp_path, BREAKING)
    out = tmp_path / "run.md"
    res = wb("run", suite, "--db", tmp_path / "r.db", "-q", "-o", out)
    assert res.exit_code == 100  # below the default 100 % threshold, as before
    md = out.read_text()
    lines = md.splitlines()
    assert lines[0] == "## ❌ workbench run 1: greet.yaml"
    assert lines[2].startswith("**Pass rate** 33.3% · 1 passed, 2 failed, 0 errors of 3 · **cost** $0 · tokens ")
    assert "| greet/v1 · none · echo | 33.3% | 1/3 | 0 | 0 | 9 | 9 | $0 |" in lines
    assert "#### Failures (2)" in lines
    assert any(
        line.startswith('- **alice · greet/v1 · none · echo**: Expected output to contain "politely"') for line in lines
    )
    assert any(line.startswith("- **bob · greet/v1 · none · echo**: ") for line in lines)
    assert "  ```\n  Say hi to Alice. Talk about cats.\n  ```" in md


def test_passing_run_report(tmp_path: Path) -> None:
    suite = project(tmp_path)
    out = tmp_path / "run.md"
    assert wb("run", suite, "--db", tmp_path / "r.db", "-q", "-o", out, "--label", "main").exit_code == 0
    md = out.read_text()
    assert md.startswith("## ✅ workbench run 1: greet.yaml\n")
    assert "label `main`" in md and "Failures" not in md


def test_comparison_report_sections_with_a_new_version(tmp_path: Path) -> None:
    """HEAD adds v2 next to v1: the diff comes from analysis.diff (v1 -> v2 in the HEAD run)."""
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "--label", "base", "-q")
    write_prompt(tmp_path, BREAKING, version="v2")
    wb("run", suite, "--db", db, "--label", "head", "-q")
    out = tmp_path / "r.md"
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "-o", out)
    assert res.exit_code == 100  # v1 did not change; v2 is gated against v1 and broke alice and bob
    md = out.read_text()
    assert (
        "| greet/v1 · none · echo | 100.0% → 100.0% | +0.0 pts | 0 | 0 | inconclusive (1) | 0 | 0 | +0 (+0.0%)"
        " | $0 → $0 |" in md
    )
    assert (
        "| greet/v2 · none · echo (new version v2 vs v1) | 100.0% → 33.3% | -66.7 pts | **2** | 0"
        " | inconclusive (0.5) | 0 | 0 | +0 (+0.0%) | $0 → $0 |" in md
    )
    assert (
        "<details><summary>greet/v2 (new version, vs greet/v1); in HEAD it broke 2 and fixed 0 results: +0 tokens"
        "</summary>" in md
    )
    assert "--- greet/v1 (13 tokens)\n+++ greet/v2 (13 tokens)\n" in md
    assert (
        "#### Cheapest acceptable pair\n\n- BASE: none (no pair meets the criteria (pass rate &gt;= 90%, no guardrail"
        " failures, no errors, a known price, not a test double): every pair runs on a test double"
        " (test double: echo returns the rendered prompt))"
        in md  # echo is a test double: never the cheapest acceptable pair
    )


def test_removed_prompt_and_text_helpers(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    write_prompt(tmp_path, ORIGINAL, version="v2")
    wb("run", suite, "--db", db, "--label", "base", "-q")
    (tmp_path / "prompts" / "greet" / "v2.txt").unlink()
    wb("run", suite, "--db", db, "--label", "head", "-q")
    wb("compare", "base", "head", "--db", db, "-o", tmp_path / "r.md")
    assert "Removed in HEAD: `greet/v2`" in (tmp_path / "r.md").read_text()
    assert cell("a|b\nc") == "a\\|b c"
    assert fenced("x ``` y") == "````\nx ``` y\n````"
    assert excerpt("abcdef", 3) == "abc …"
