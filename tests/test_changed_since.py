"""`--changed-since REF`: only the suites whose files (suite, prompts, test files) changed, in a real git repo."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
from ci_project import BREAKING, ORIGINAL, TESTS, wb, write_prompt, write_suite

from workbench.ci.changed_since import affected_suites


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Three suites: greet (prompts/greet/*.txt), other (prompts/other/*.txt + tests/other.csv), plain."""
    root = tmp_path / "repo"
    write_prompt(root, ORIGINAL)
    write_prompt(root, ORIGINAL, family="other")
    write_suite(root)
    (root / "tests").mkdir()
    (root / "tests" / "other.csv").write_text("name,topic,__expected\nAlice,cats,contains:Alice\n")
    write_suite(root, name="other", family="other", tests="file://../tests/other.csv")  # type: ignore[arg-type]
    write_prompt(root, "Plain {{name}}\n", family="plain")
    write_suite(root, name="plain", family="plain", tests=TESTS[:1])
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "init")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def suites(root: Path) -> list[Path]:
    return sorted((root / "suites").glob("*.yaml"))


def names(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_nothing_changed(repo: Path) -> None:
    assert affected_suites(suites(repo), "main") == []
    res = wb("run", *suites(repo), "--changed-since", "main", "--db", repo / "r.db")
    assert res.exit_code == 0
    assert res.stderr == "No suite uses a file changed since main; nothing to run.\n"
    assert not (repo / "r.db").exists()


def test_edited_prompt_committed_or_not(repo: Path) -> None:
    write_prompt(repo, BREAKING)  # uncommitted edit
    assert names(affected_suites(suites(repo), "main")) == ["greet"]
    git(repo, "commit", "-qam", "edit greet")
    assert names(affected_suites(suites(repo), "main")) == ["greet"]


def test_test_file_suite_file_and_new_version(repo: Path) -> None:
    (repo / "tests" / "other.csv").write_text("name,topic,__expected\nBob,dogs,contains:Bob\n")
    assert names(affected_suites(suites(repo), "main")) == ["other"]
    git(repo, "commit", "-qam", "tests")
    write_prompt(repo, "Hey {{name}}\n", family="plain", version="v2")  # untracked, matched by the glob
    assert names(affected_suites(suites(repo), "main")) == ["other", "plain"]
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "v2")
    (repo / "prompts" / "greet" / "v1.txt").unlink()  # a deleted version still matches the glob
    write_prompt(repo, ORIGINAL, version="v0")
    assert names(affected_suites(suites(repo), "main")) == ["greet", "other", "plain"]


def test_run_runs_only_the_affected_suite(repo: Path) -> None:
    write_prompt(repo, "Plain, edited {{name}}\n", family="plain")
    db = repo / "r.db"
    res = wb("run", *suites(repo), "--changed-since", "main", "--db", db, "-q", "--pass-rate-threshold", "0")
    assert res.exit_code == 0, res.output
    assert res.stderr == f"Changed since main: running {repo / 'suites' / 'plain.yaml'} (2 unaffected suites skipped)\n"
    with sqlite3.connect(db) as conn:
        assert [Path(r[0]).name for r in conn.execute("select suite_path from runs")] == ["plain.yaml"]


def test_bad_ref_is_a_usage_error(repo: Path) -> None:
    res = wb("run", *suites(repo), "--changed-since", "no-such-ref", "--db", repo / "r.db")
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: --changed-since: git merge-base no-such-ref HEAD: ")
