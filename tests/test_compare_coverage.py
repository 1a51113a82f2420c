"""Coverage-aware gates: a comparison that matched nothing is an error, removed tests count."""

from __future__ import annotations

from pathlib import Path

from ci_project import ORIGINAL, TESTS, project, wb, write_prompt, write_suite


def test_runs_sharing_no_test_pair_are_an_error_not_a_pass(tmp_path: Path) -> None:
    """Defect 1: two suites pointing at different prompt files used to print `PASS`, exit 0."""
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "-q", "-o", tmp_path / "base.json")
    write_prompt(tmp_path, ORIGINAL, family="hello")
    write_suite(tmp_path, family="hello")
    wb("run", suite, "--db", db, "-q", "-o", tmp_path / "head.json")
    res = wb("compare", tmp_path / "base.json", tmp_path / "head.json", "--fail-on-regression")
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr == (
        f"Error: nothing to compare: BASE {tmp_path / 'base.json'} (run 1) and HEAD {tmp_path / 'head.json'} (run 2)"
        " share no (test, pair): no prompt in common (BASE: greet/v1; HEAD: hello/v1) (--allow-empty to accept)\n"
    )
    empty = wb("compare", tmp_path / "base.json", tmp_path / "head.json", "--fail-on-regression", "--allow-empty")
    assert "on 0 matched (test, pair) rows (3 only in BASE, 3 only in HEAD)" in empty.stdout
    assert empty.exit_code == 100  # accepted as empty, but every BASE pass is missing in HEAD
    assert empty.stderr.startswith("gate missing: 3 tests passed in BASE and are missing in HEAD")
    ok = wb("compare", tmp_path / "base.json", tmp_path / "head.json", "--allow-empty", "--missing", "ignore")
    assert ok.exit_code == 0, ok.output


def test_no_model_or_test_in_common_is_named(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "-q", "--label", "base")
    other = [{**t, "description": f"{t['description']}-renamed"} for t in TESTS]
    write_suite(tmp_path, tests=other, providers=[{"id": "echo", "label": "echo-b"}])
    assert wb("run", suite, "--db", db, "-q", "--label", "head").exit_code == 0
    res = wb("compare", "base", "head", "--db", db)
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1
    assert "no model in common (BASE: echo; HEAD: echo-b)" in res.stderr
    assert "no test in common (3 in BASE, 3 in HEAD; tests match by description + vars)" in res.stderr


def test_missing_policy_and_counts_in_json(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    suite = project(tmp_path)
    wb("run", suite, "--db", db, "-q", "--label", "base")
    write_suite(tmp_path, tests=TESTS[:1])  # bob and carol removed; both passed in BASE
    wb("run", suite, "--db", db, "-q", "--label", "head")
    res = wb("compare", "base", "head", "--db", db, "--fail-on-regression", "--json")
    assert res.exit_code == 100
    assert res.stderr == (
        'gate missing: 2 tests passed in BASE and are missing in HEAD: "bob", "carol" (--missing ignore to allow)\n'
    )
    import json

    c = json.loads(res.stdout)["suites"][0]["comparison"]
    assert (c["matched"], c["only_in_base_rows"], c["only_in_head_rows"], c["missing_passed"]) == (1, 2, 0, 2)
    assert wb("compare", "base", "head", "--db", db, "--fail-on-regression", "--missing", "ignore").exit_code == 0
    # without --fail-on-regression a removal is reported, not gated
    assert wb("compare", "base", "head", "--db", db).exit_code == 0
