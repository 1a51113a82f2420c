"""`workbench compat DIR`: agreement with stored promptfoo outputs (normalized or promptfoo's raw -o)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import COMPAT_DIR, PROMPTFOO

from workbench.run.compat_check import check_directory

COMPAT = COMPAT_DIR


def compat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "compat", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    )


def copy_cases(tmp: Path, *names: str) -> Path:
    root = tmp / "cases"
    for n in names:
        shutil.copytree(COMPAT / n, root / n)
    return root


def test_corpus_cases_agree_with_exact_output(tmp_path: Path) -> None:
    root = copy_cases(tmp_path, "contains", "meteor", "not_variants")
    proc = compat(str(root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected_rows = {
        n: len(json.loads((root / n / "expected.json").read_text())) for n in ("contains", "meteor", "not_variants")
    }
    assert proc.stdout.splitlines() == [
        f"ok   contains: {expected_rows['contains']}/{expected_rows['contains']} rows agree",
        f"ok   meteor: 0/{expected_rows['meteor']} rows agree ({expected_rows['meteor']} accepted differences)",
        f"ok   not_variants: {expected_rows['not_variants']}/{expected_rows['not_variants']} rows agree",
        f"compat: {expected_rows['contains'] + expected_rows['not_variants']}/{sum(expected_rows.values())} rows agree, "
        f"{expected_rows['meteor']} accepted differences, 3/3 cases ok (100.0%)",
    ]
    assert not list(root.rglob("*.db")), "compat must not write next to the cases"


def test_a_disagreeing_row_exits_100_and_is_shown(tmp_path: Path) -> None:
    root = copy_cases(tmp_path, "contains")
    path = root / "contains" / "expected.json"
    records = json.loads(path.read_text())
    records[0]["pass"] = not records[0]["pass"]
    path.write_text(json.dumps(records))
    proc = compat(str(root))
    assert proc.returncode == 100
    lines = proc.stdout.splitlines()
    assert lines[0] == f"FAIL contains: {len(records) - 1}/{len(records)} rows agree"
    t, p = records[0]["test_index"], records[0]["prompt_index"]
    assert lines[1] == f"       test {t} prompt {p}: pass: expected {records[0]['pass']}, got {not records[0]['pass']}"


def test_case_without_stored_output_and_empty_dir(tmp_path: Path) -> None:
    case = tmp_path / "cases" / "mine"
    case.mkdir(parents=True)
    (case / "promptfooconfig.yaml").write_text("prompts: ['{{x}}']\nproviders: [echo]\ntests: [{vars: {x: a}}]\n")
    reports = check_directory(tmp_path / "cases")
    assert [(r.case, r.ok, r.error) for r in reports] == [
        ("mine", False, "no stored promptfoo output (expected.json / oracle.json / output.json)")
    ]
    proc = compat(str(tmp_path / "cases"))
    assert proc.returncode == 100
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = compat(str(empty))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"Error: {empty}: no promptfooconfig.yaml here or in its subdirectories"


@pytest.mark.skipif(not PROMPTFOO, reason="the real promptfoo is not installed ($WORKBENCH_PROMPTFOO or on PATH)")
def test_against_promptfoo_raw_output(tmp_path: Path) -> None:
    root = copy_cases(tmp_path, "not_variants", "javascript_basic")
    for case in root.iterdir():
        (case / "expected.json").unlink()
        subprocess.run(
            [str(PROMPTFOO), "eval", "-c", "promptfooconfig.yaml", "--no-cache", "-o", "oracle.json"],
            cwd=case,
            capture_output=True,
            timeout=240,
            env={**os.environ, "PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1"},
        )
        assert (case / "oracle.json").exists(), f"promptfoo wrote no output for {case.name}"
        (case / "oracle.json").rename(case / "pf-out.json")
    proc = compat(str(root), "--expected", "pf-out.json")
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.splitlines()[-1].endswith("2/2 cases ok (100.0%)")
