"""Each promptfoo feature workbench does not implement is named in one line at load time, and
docs/promptfoo-support.md lists them; the features this push added fail clearly when they can't run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from workbench.assertions.table import lookup
from workbench.suite import load
from workbench.suite.validate import PROMPTFOO_ONLY_ASSERTIONS, TOP_LEVEL_PROMPTFOO_ONLY

PROMPTFOO_TYPES = ROOT / "tests" / "fixtures" / "promptfoo_assertion_types.txt"


def promptfoo_types() -> set[str]:
    lines = PROMPTFOO_TYPES.read_text(encoding="utf-8").splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


def test_the_unimplemented_list_is_promptfoos_types_minus_workbenchs() -> None:
    types = promptfoo_types()
    assert len(types) == 65
    missing = {t for t in types if t != "assert-set" and lookup(t) is None}
    assert missing == PROMPTFOO_ONLY_ASSERTIONS


def test_support_table_names_every_unimplemented_feature() -> None:
    doc = (ROOT / "docs" / "promptfoo-support.md").read_text(encoding="utf-8")
    for name in sorted(PROMPTFOO_ONLY_ASSERTIONS | TOP_LEVEL_PROMPTFOO_ONLY):
        assert f"`{name}`" in doc, name


def write(tmp: Path, text: str) -> Path:
    path = tmp / "promptfooconfig.yaml"
    path.write_text(text)
    return path


def test_each_unimplemented_feature_is_one_load_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "scan.png").write_bytes(b"PNG")
    suite = load(
        write(
            tmp_path,
            "prompts: ['langfuse://support-prompt@production', '{{q}} {{doc}}']\n"
            "providers: [echo]\n"
            "tracing: {enabled: true}\n"
            "tests:\n"
            "  - vars: {q: a, doc: file://doc.pdf}\n"
            "    assert: [{type: 'trajectory:tool-used', value: search}, {type: not-pi}]\n"
            "  - vars: {q: b, doc: file://scan.png}\n"
            "    assert: [{type: 'trajectory:tool-used', value: lookup}]\n",
        )
    )
    assert suite.warnings == [
        "promptfooconfig.yaml: 'tracing' is a promptfoo option workbench ignores",
        "promptfooconfig.yaml: prompts[0]: langfuse:// prompts are a promptfoo feature workbench does not"
        " implement (the text is used as a literal prompt)",
        "promptfooconfig.yaml: tests[0].assert[0] (and 1 more): assertion type 'trajectory:tool-used' is a"
        " promptfoo feature workbench does not implement (those rows are ERROR rows)",
        "promptfooconfig.yaml: tests[0].assert[1]: assertion type 'not-pi' is a promptfoo feature workbench"
        " does not implement (those rows are ERROR rows)",
        "promptfooconfig.yaml: tests[0].vars.doc: PDF vars (text extraction) are a promptfoo feature workbench"
        " does not implement (the file is read as text)",
        "promptfooconfig.yaml: tests[1].vars.doc: image vars (base64) are a promptfoo feature workbench does"
        " not implement (the file is read as text)",
    ]


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "run", "-c", "promptfooconfig.yaml", "--db", str(cwd / "w.db"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    )


def test_generators_and_hooks_are_code_so_no_code_asserts_refuses_them(tmp_path: Path) -> None:
    (tmp_path / "gen.py").write_text("def generate_tests():\n    return [{'vars': {'q': 'x'}}]\n")
    write(tmp_path, "prompts: ['{{q}}']\nproviders: [echo]\ntests: file://gen.py:generate_tests\n")
    proc = run_cli(tmp_path, "--no-code-asserts")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "Error: promptfooconfig.yaml: tests: test generators run code: only `workbench run` without"
        " --no-code-asserts runs them: gen.py:generate_tests"
    )
    proc = run_cli(tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_a_generator_that_raises_is_a_load_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "gen.py").write_text("def generate_tests():\n    raise ValueError('no data file')\n")
    write(tmp_path, "prompts: ['{{q}}']\nproviders: [echo]\ntests: file://gen.py:generate_tests\n")
    proc = run_cli(tmp_path)
    assert proc.returncode == 2
    assert "tests: test generator gen.py:generate_tests failed: ValueError: no data file" in proc.stderr
    assert "Traceback" not in proc.stderr
