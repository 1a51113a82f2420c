"""`workbench run` test filters: --filter-pattern, --filter-metadata, -n, --filter-failing (promptfoo's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.suite import load
from workbench.suite.filters import TestFilter, select_tests

SUITE = """
prompts: ["{{text}}"]
providers: [echo]
tests:
  - description: greeting one
    vars: {text: hello}
    metadata: {lang: en, tags: [smoke, fast]}
    assert: [{type: contains, value: hello}]
  - description: farewell
    vars: {text: bye}
    metadata: {lang: en-GB}
    assert: [{type: contains, value: hello}]
  - description: greeting two
    vars: {text: hola}
    metadata: {lang: es}
    assert: [{type: contains, value: hola}]
  - vars: {text: no description}
    assert: [{type: contains, value: nope}]
"""


@pytest.fixture
def suite_path(tmp_path: Path) -> Path:
    p = tmp_path / "promptfooconfig.yaml"
    p.write_text(SUITE)
    return p


def descriptions(path: Path, flt: TestFilter) -> list[tuple[int, str | None]]:
    return [(t.index, t.description) for t in select_tests(load(path), flt).tests]


def test_no_filter_keeps_the_suite(suite_path: Path) -> None:
    suite = load(suite_path)
    assert select_tests(suite, TestFilter()) is suite


def test_pattern_searches_descriptions_and_drops_undescribed(suite_path: Path) -> None:
    assert descriptions(suite_path, TestFilter(pattern="greet")) == [(0, "greeting one"), (1, "greeting two")]
    assert descriptions(suite_path, TestFilter(pattern="two$")) == [(0, "greeting two")]
    assert descriptions(suite_path, TestFilter(pattern=".*")) == [
        (0, "greeting one"),
        (1, "farewell"),
        (2, "greeting two"),
    ]


def test_metadata_contains_and_all_must_hold(suite_path: Path) -> None:
    assert [d for _, d in descriptions(suite_path, TestFilter(metadata=["lang=en"]))] == ["greeting one", "farewell"]
    assert [d for _, d in descriptions(suite_path, TestFilter(metadata=["tags=smoke"]))] == ["greeting one"]
    assert descriptions(suite_path, TestFilter(metadata=["lang=en", "tags=fast"])) == [(0, "greeting one")]
    with pytest.raises(UsageError, match="key=value"):
        select_tests(load(suite_path), TestFilter(metadata=["lang"]))


def test_first_n_after_the_other_filters(suite_path: Path) -> None:
    assert descriptions(suite_path, TestFilter(first_n=2)) == [(0, "greeting one"), (1, "farewell")]
    assert descriptions(suite_path, TestFilter(pattern="greet", first_n=1)) == [(0, "greeting one")]
    assert descriptions(suite_path, TestFilter(first_n=0)) == []


def test_bad_regex_is_a_usage_error(suite_path: Path) -> None:
    with pytest.raises(UsageError, match='Invalid regex pattern "\\("'):
        select_tests(load(suite_path), TestFilter(pattern="("))


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "run", *args, "--db", str(cwd / "wb.db"), "-q"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    )


def test_cli_filter_failing_reruns_only_failed_rows_with_promptfoo_indices(suite_path: Path) -> None:
    tmp = suite_path.parent
    first = run(["-c", str(suite_path), "-o", str(tmp / "first.json")], tmp)
    assert first.returncode == 100, first.stderr
    rows = json.loads((tmp / "first.json").read_text())["results"]["results"]
    assert [r["success"] for r in rows] == [True, False, True, False]

    again = run(
        ["-c", str(suite_path), "--filter-failing", str(tmp / "first.json"), "-o", str(tmp / "again.json")], tmp
    )
    assert again.returncode == 100, again.stderr
    rows = json.loads((tmp / "again.json").read_text())["results"]["results"]
    assert [(r["testIdx"], r["vars"]["text"]) for r in rows] == [(0, "bye"), (1, "no description")]


def test_cli_pattern_metadata_and_first_n(suite_path: Path) -> None:
    tmp = suite_path.parent
    proc = run(
        [
            "-c",
            str(suite_path),
            "--filter-pattern",
            "greeting",
            "--filter-metadata",
            "lang=e",
            "-n",
            "1",
            "-o",
            "o.json",
        ],
        tmp,
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads((tmp / "o.json").read_text())["results"]["results"]
    assert [(r["testIdx"], r["vars"]["text"]) for r in rows] == [(0, "hello")]


def test_cli_bad_metadata_filter_exits_2(suite_path: Path) -> None:
    proc = run(["-c", str(suite_path), "--filter-metadata", "novalue"], suite_path.parent)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("--filter-metadata must be specified in key=value format")


def test_cli_filter_failing_missing_file_exits_2(suite_path: Path) -> None:
    proc = run(["-c", str(suite_path), "--filter-failing", "nope.json"], suite_path.parent)
    assert proc.returncode == 2
    assert "--filter-failing nope.json: cannot read a promptfoo JSON output" in proc.stderr
