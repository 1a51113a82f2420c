"""Bad input: every kind is a SuiteError with an exact one-line `file: key.path: message`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.errors import SuiteError
from workbench.suite import load
from workbench.suite.yaml12 import FAST_PATH_BYTES

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    (
        "type_missing",
        "prompts: [x]\nproviders: [echo]\ntests:\n  - vars: {a: 1}\n  - vars: {a: 1}\n  - vars: {a: 1}\n  - vars: {a: 1}\n    assert: [{value: 1}]\n",
        "x.yaml: tests[3].assert[0]: 'type' is required",
    ),
    (
        "missing_prompt_file",
        "prompts: [x, file://../prompts/x.md]\nproviders: [echo]\n",
        "x.yaml: prompts[1]: file not found: ../prompts/x.md",
    ),
    (
        "malformed_yaml",
        "prompts: [x\nproviders: [echo]\n",
        "x.yaml: line 2: invalid YAML: did not find expected ',' or ']'",
    ),
    (
        "glob_nothing",
        "prompts: [file://nothing/*.md]\nproviders: [echo]\n",
        "x.yaml: prompts[0]: no files match nothing/*.md",
    ),
    (
        "provider_number",
        "prompts: [x]\nproviders: [echo, 42]\n",
        "x.yaml: providers[1]: must be a provider id string or a mapping with 'id', got a number",
    ),
    (
        "provider_list",
        "prompts: [x]\nproviders: [[echo]]\n",
        "x.yaml: providers[0]: must be a provider id string or a mapping with 'id', got a list",
    ),
    ("providers_missing", "prompts: [x]\n", "x.yaml: providers: is required (e.g. providers: [echo])"),
    ("prompts_number", "prompts: 3\nproviders: [echo]\n", "x.yaml: prompts: must be a list, got a number"),
    (
        "tests_number",
        "prompts: [x]\nproviders: [echo]\ntests: 5\n",
        "x.yaml: tests: must be a list of tests or a file:// path, got a number",
    ),
    (
        "test_not_mapping",
        "prompts: [x]\nproviders: [echo]\ntests: [[1]]\n",
        "x.yaml: tests[0]: must be a test mapping or a file:// path, got a list",
    ),
    (
        "assert_not_list",
        "prompts: [x]\nproviders: [echo]\ntests: [{assert: {type: equals}}]\n",
        "x.yaml: tests[0].assert: must be a list, got a mapping",
    ),
    (
        "threshold_string",
        "prompts: [x]\nproviders: [echo]\ntests: [{vars: {a: 1}, threshold: high}]\n",
        "x.yaml: tests[0].threshold: must be a number, got a string",
    ),
    (
        "vars_number",
        "prompts: [x]\nproviders: [echo]\ntests: [{vars: 3}]\n",
        "x.yaml: tests[0].vars: must be a mapping or file:// paths, got a number",
    ),
    (
        "empty_test",
        "prompts: [x]\nproviders: [echo]\ntests: [{description: nothing}]\n",
        "x.yaml: tests[0]: a test needs at least one of: assert, vars, options, metadata, provider, providerOutput, threshold",
    ),
    (
        "csv_columns",
        "prompts: [x]\nproviders: [echo]\ntests: file://bad.csv\n",
        "bad.csv: row 1: invalid CSV: 3 fields, the header has 2 columns",
    ),
    (
        "csv_quote",
        "prompts: [x]\nproviders: [echo]\ntests: file://bad2.csv\n",
        "bad2.csv: line 1: invalid CSV: unexpected end of data",
    ),
    (
        "tests_file_missing",
        "prompts: [x]\nproviders: [echo]\ntests: file://nope.csv\n",
        "x.yaml: tests: file not found: nope.csv",
    ),
    ("not_mapping", "- a\n- b\n", "x.yaml: a suite must be a mapping, got a list"),
    ("empty", "", "x.yaml: the suite file is empty"),
    (
        "var_file_missing",
        "prompts: [x]\nproviders: [echo]\ntests: [{vars: {a: file://nope.txt}}]\n",
        "x.yaml: tests[0].vars.a: no files found for file://nope.txt",
    ),
    (
        "default_test_list",
        "prompts: [x]\nproviders: [echo]\ndefaultTest: [1]\n",
        "x.yaml: defaultTest: must be a mapping or a file:// path, got a list",
    ),
    (
        "unsupported_prompt",
        "prompts: [file://p.docx]\nproviders: [echo]\n",
        "x.yaml: prompts[0]: unsupported prompt file type '.docx': p.docx (use .txt, .md, .j2, .json, .jsonl, .yaml, .yml)",
    ),
    (
        "python_prompt_without_function",
        "prompts: [file://p.py]\nproviders: [echo]\n",
        "x.yaml: prompts[0]: a Python prompt needs its function name: file://p.py:function_name",
    ),
    (
        "options_string",
        "prompts: [x]\nproviders: [echo]\ntests: [{vars: {a: 1}, options: fast}]\n",
        "x.yaml: tests[0].options: must be a mapping, got a string",
    ),
    (
        "assert_type_number",
        "prompts: [x]\nproviders: [echo]\ntests: [{assert: [{type: 3}]}]\n",
        "x.yaml: tests[0].assert[0].type: must be a string, got a number",
    ),
    (
        "nested_set",
        "prompts: [x]\nproviders: [echo]\ntests: [{assert: [{type: assert-set, assert: [{type: assert-set, assert: []}]}]}]\n",
        "x.yaml: tests[0].assert[0].assert[0]: an assert-set cannot contain another assert-set",
    ),
    (
        "evaluate_neg",
        "prompts: [x]\nproviders: [echo]\nevaluateOptions: {maxConcurrency: -1}\n",
        "x.yaml: evaluateOptions.maxConcurrency: must be a non-negative number, got -1",
    ),
    (
        "scenario_no_config",
        "prompts: [x]\nproviders: [echo]\nscenarios: [{tests: []}]\n",
        "x.yaml: scenarios[0]: 'config' is required (a list of vars/asserts entries)",
    ),
    (
        "workbench_list",
        "prompts: [x]\nproviders: [echo]\nworkbench: [1]\n",
        "x.yaml: workbench: must be a mapping, got a list",
    ),
    (
        "provider_no_id",
        "prompts: [x]\nproviders: [{label: x, id: 5}]\n",
        "x.yaml: providers[0].id: must be a string, got a number",
    ),
    (
        "dup_key",
        "prompts: [x]\nproviders: [echo]\nprompts: [y]\n",
        "x.yaml: line 3: invalid YAML: duplicated mapping key 'prompts'",
    ),
    (
        "description_num",
        "description: 5\nprompts: [x]\nproviders: [echo]\n",
        "x.yaml: description: must be a string, got a number",
    ),
    (
        "metric_num",
        "prompts: [x]\nproviders: [echo]\ntests: [{assert: [{type: equals, metric: 5}]}]\n",
        "x.yaml: tests[0].assert[0].metric: must be a string, got a number",
    ),
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text("not json\n")
    (tmp_path / "bad.csv").write_text("a,b\n1,2,3\n")
    (tmp_path / "bad2.csv").write_text('a,"b\n')
    return tmp_path


@pytest.mark.parametrize(("name", "text", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(workdir: Path, name: str, text: str, message: str) -> None:
    (workdir / "x.yaml").write_text(text)
    with pytest.raises(SuiteError) as e:
        load(Path("x.yaml"))
    assert str(e.value) == message
    assert "\n" not in str(e.value)
    assert e.value.exit_code == 2


def test_missing_suite_file(workdir: Path) -> None:
    with pytest.raises(SuiteError) as e:
        load(Path("nope.yaml"))
    assert str(e.value) == "nope.yaml: file not found"


def test_error_inside_a_tests_file_names_that_file(workdir: Path) -> None:
    (workdir / "t.yaml").write_text("- vars: {a: 1}\n  assert: [{value: 2}]\n")
    (workdir / "x.yaml").write_text("prompts: [x]\nproviders: [echo]\ntests: [file://t.yaml]\n")
    with pytest.raises(SuiteError) as e:
        load(Path("x.yaml"))
    assert str(e.value) == "t.yaml: [0].assert[0]: 'type' is required"


# A large suite is streamed: its `tests:` items are read from the file batch by batch after the
# check, and the file is read once more for its digest. A read failing there (the file removed or
# rewritten in between) is the same one-line error as any other unreadable suite, exit 2.
_STREAMED_READ = """
import os, sys
import workbench.suite.yaml12 as y
from workbench.cli.main import main

path, how = sys.argv[1], sys.argv[2]
original = y.StreamedTests.batches

def batches(self):
    if how == "removed":
        os.remove(self.path)
    elif how == "rewritten":  # the same size, a byte in the first batch no longer UTF-8
        with open(self.path, "r+b") as fh:
            fh.seek(self.spans[0][0] + 4)
            fh.write(b"\\xff")
    yield from original(self)
    if how == "removed-after":
        os.remove(self.path)

y.StreamedTests.batches = batches
sys.argv = ["workbench", "plan", "--db", os.path.join(os.path.dirname(path), "wb.db"), path]
main()
"""


@pytest.mark.parametrize(
    ("how", "message"),
    [("removed", "file not found"), ("rewritten", "not a UTF-8 text file"), ("removed-after", "file not found")],
)
def test_streamed_suite_read_failure_is_one_line(tmp_path: Path, how: str, message: str) -> None:
    suite = tmp_path / "promptfooconfig.yaml"
    items = "".join(f"- vars: {{q: question number {i} of a large suite}}\n" for i in range(4000))
    suite.write_text("prompts: ['{{q}}']\nproviders: [echo]\ntests:\n" + items)
    assert suite.stat().st_size > FAST_PATH_BYTES  # the streamed load, not the whole-file one
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", _STREAMED_READ, str(suite), how],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "promptfooconfig.yaml" in lines[0] and message in lines[0]
    assert not (tmp_path / "wb.db").exists()
