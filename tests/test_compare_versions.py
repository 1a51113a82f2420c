"""A prompt version present only in HEAD is gated against its predecessor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ci_project import BREAKING, HARMLESS, ORIGINAL, project, wb, write_prompt

from workbench.analysis.version_pairing import Predecessor, head_to_base, parse_predecessor, version_key
from workbench.errors import UsageError


def test_a_pr_adding_a_breaking_v2_trips_the_regression_gate(tmp_path: Path) -> None:
    """Defect 2: v2 fails 2 of the 3 tests v1 passes; `compare --fail-on-regression` used to exit 0."""
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "--label", "base", "-q")
    write_prompt(tmp_path, BREAKING, version="v2")
    wb("run", suite, "--db", db, "--label", "head", "-q", "--pass-rate-threshold", "0")
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "-o", tmp_path / "r.md")
    assert res.exit_code == 100
    assert res.stderr == 'gate regression: 2 tests passed in BASE and fail in HEAD: "alice", "bob"\n'
    assert "  greet/v2 · none · echo: new version v2 vs v1: 2 regressed, 0 improved; inconclusive" in res.stdout
    assert "  regressed: alice (greet/v2 · none · echo)" in res.stdout
    assert "greet/v2 · none · echo (new version v2 vs v1)" in (tmp_path / "r.md").read_text()
    # a harmless v2 passes the same gate
    write_prompt(tmp_path, HARMLESS, version="v2")
    wb("run", suite, "--db", db, "--label", "head2", "-q")
    assert wb("compare", "base", "head2", "--db", db, "--fail-on-regression").exit_code == 0


def test_new_version_with_repeats_takes_the_general_path_to_the_same_answer(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "--label", "base", "-q", "--repeat", "2")
    write_prompt(tmp_path, BREAKING, version="v2")
    wb("run", suite, "--db", db, "--label", "head", "-q", "--repeat", "2")
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "--json")
    assert res.exit_code == 100
    pairs = {p["name"]: p for p in json.loads(res.stdout)["suites"][0]["comparison"]["pairs"]}
    v2 = pairs["greet/v2 · none · echo"]
    assert (v2["predecessor"], v2["new_version"], v2["matched"], v2["regressed"]) == (
        "greet/v1",
        "new version v2 vs v1",
        3,
        2,
    )


def test_explicit_predecessor_and_the_v1_replaced_by_v2_case(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    write_prompt(tmp_path, BREAKING, version="v2")
    wb("run", suite, "--db", db, "--label", "base", "-q")  # v1 passes all, v2 fails alice and bob
    write_prompt(tmp_path, ORIGINAL, version="v3")
    wb("run", suite, "--db", db, "--label", "head", "-q")
    # natural order: v3 vs v2, so v3 fixed two tests
    natural = json.loads(wb("compare", "base", "head", "--db", db, "--json").stdout)
    v3 = next(p for p in natural["suites"][0]["comparison"]["pairs"] if p["prompt"] == "greet/v3")
    assert (v3["predecessor"], v3["improved"]) == ("greet/v2", 2)
    chosen = json.loads(wb("compare", "base", "head", "--db", db, "--json", "--predecessor", "greet/v3=v1").stdout)
    v3 = next(p for p in chosen["suites"][0]["comparison"]["pairs"] if p["prompt"] == "greet/v3")
    assert (v3["predecessor"], v3["improved"], v3["new_version"]) == ("greet/v1", 0, "new version v3 vs v1")
    bad = wb("compare", "base", "head", "--db", db, "--predecessor", "greet-v3")
    assert (bad.exit_code, bad.stderr) == (
        2,
        "Error: --predecessor 'greet-v3': expected FAMILY/NEW=OLD, e.g. greet/v2=v1\n",
    )
    # v1 replaced by v2 (v1 deleted): the v1 rows are compared through v2, so nothing is "missing"
    (tmp_path / "prompts" / "greet" / "v1.txt").unlink()
    (tmp_path / "prompts" / "greet" / "v3.txt").unlink()
    wb("run", suite, "--db", db, "--label", "only-v2", "-q")
    res = wb("compare", "base", "only-v2", "--db", db, "--fail-on-regression", "--json")
    c = json.loads(res.stdout)["suites"][0]["comparison"]
    assert (c["matched"], c["only_in_base_rows"], c["missing_passed"]) == (3, 3, 3)  # v1's rows are BASE-only
    assert res.exit_code == 100 and "gate missing: 3 tests passed in BASE" in res.stderr


def test_version_order_and_pairing_rules() -> None:
    assert sorted(["v10", "v2", "v1", "v9"], key=version_key) == ["v1", "v2", "v9", "v10"]
    assert version_key("2024-10-01") > version_key("2024-9-30")
    base = {"g/v2": ("g", "v2"), "g/v9": ("g", "v9"), "h/v1": ("h", "v1"), "free": None}
    head = {"g/v10": ("g", "v10"), "g/v1b": ("g", "v1b"), "h/v1": ("h", "v1"), "x/v5": ("x", "v5"), "free": None}
    assert head_to_base(base, head) == {"g/v10": "g/v9", "h/v1": "h/v1", "free": "free"}
    assert head_to_base(base, head, (Predecessor("g", "v10", "v2"),))["g/v10"] == "g/v2"
    assert parse_predecessor("team/greet/v2=v1") == Predecessor("team/greet", "v2", "v1")
    with pytest.raises(UsageError):
        parse_predecessor("greet/v2")


def test_html_report_names_the_new_version_and_the_verdict(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "--label", "base", "-q")
    write_prompt(tmp_path, BREAKING, version="v2")
    wb("run", suite, "--db", db, "--label", "head", "-q")
    out = tmp_path / "r.html"
    assert wb("compare", "base", "head", "--db", db, "--fail-on-regression", "-o", out).exit_code == 100
    page = out.read_text()
    assert "greet/v2 · none · echo (new version v2 vs v1)" in page
    assert "<p><b>Verdict</b> inconclusive (2 regressed vs 0 improved, McNemar p = 0.5 &gt;= 0.05)</p>" in page
    assert "on 6 matched rows (0 only in BASE, 0 only in HEAD)" in page
