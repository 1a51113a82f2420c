"""Prompt families/versions: discovery, metadata, content hash, diff, git commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from workbench.errors import SuiteError
from workbench.suite.families import (
    discover_families,
    family_version_of,
    git_commit_of,
    normalized_sha256,
    unified_diff,
)

FIXTURE_PROMPTS = Path(__file__).parent / "fixtures" / "suites" / "full" / "prompts"


def test_discover_families_with_metadata_and_tokens() -> None:
    fams = discover_families(FIXTURE_PROMPTS)
    assert list(fams) == ["ticket_summary"]
    fam = fams["ticket_summary"]
    assert [v.version for v in fam.versions] == ["chat", "v1", "v2"]
    assert [v.is_chat for v in fam.versions] == [True, False, False]
    assert fam.description == "Summaries of support tickets"
    assert fam.compressible == ["ticket"] and fam.question_var == "ticket"
    assert fam.params == {"temperature": 0}
    v1 = fam.versions[1]
    assert v1.tokens > 3 and len(v1.sha256) == 64


def test_bad_family_metadata(tmp_path: Path) -> None:
    fam = tmp_path / "f"
    fam.mkdir()
    (fam / "v1.md").write_text("hi")
    (fam / "prompt.yaml").write_text("compressible: 3\n")
    with pytest.raises(SuiteError) as e:
        discover_families(tmp_path)
    assert str(e.value) == f"{fam / 'prompt.yaml'}: compressible: must be a list of var names"


def test_hash_ignores_line_endings_and_trailing_whitespace() -> None:
    assert normalized_sha256("a  \r\nb\r\n\n") == normalized_sha256("a\nb")
    assert normalized_sha256("a\nb") != normalized_sha256("a\nc")


def test_family_version_of() -> None:
    assert family_version_of(Path("repo/prompts/fam/v3.md")) == ("fam", "v3")
    assert family_version_of(Path("repo/other/fam/v3.md")) is None
    assert family_version_of(Path("repo/prompts/fam/prompt.yaml")) is None


def test_unified_diff() -> None:
    assert unified_diff("same\n", "same") == ""
    diff = unified_diff("a\nb\n", "a\nc\n", "v1", "v2")
    assert diff.splitlines() == ["--- v1", "+++ v2", "@@ -1,2 +1,2 @@", " a", "-b", "+c"]


def test_git_commit_of(tmp_path: Path) -> None:
    f = tmp_path / "p.md"
    f.write_text("x")
    assert git_commit_of(f) is None  # not a repository
    assert git_commit_of(tmp_path / "missing" / "file.md") is None
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}

    def run(*args: str) -> None:
        subprocess.run(
            ["git", *args], cwd=tmp_path, check=True, capture_output=True, env={**env, "PATH": "/usr/bin:/bin"}
        )

    run("init", "-q")
    assert git_commit_of(f) is None  # untracked
    run("add", "p.md")
    run("commit", "-q", "-m", "m")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    assert git_commit_of(f) == head
