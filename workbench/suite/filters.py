"""Test selection like promptfoo's `eval` filters (src/commands/eval/filterTests.ts).

Applied to a loaded Suite before the run, in promptfoo's order: `--filter-metadata` (every
`key=value` must hold; the test's value, or any item of a list value, *contains* the text),
`--filter-failing previous.json` (tests whose vars match a failed or errored row of a
promptfoo-shaped JSON output), `--filter-pattern` (regex searched in the description; tests
without one are dropped), `-n/--filter-first-n`. The kept tests are renumbered 0..n-1, as
promptfoo's testIdx counts the filtered list. `--filter-providers` / `--filter-prompts` select
matrix columns and live in the engine's cell expansion.

One difference: promptfoo counts `-n` before expanding vars arrays into rows; workbench's suite
is already expanded, so `-n` counts rows.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import UsageError
from workbench.suite.test_bank import TestBank
from workbench.types import Suite, TestCase


@dataclass
class TestFilter:
    __test__ = False  # not a pytest class

    pattern: str | None = None  # --filter-pattern
    metadata: list[str] = field(default_factory=list)  # --filter-metadata k=v (repeatable, AND)
    first_n: int | None = None  # -n / --filter-first-n
    failing: Path | None = None  # --filter-failing previous.json

    def __bool__(self) -> bool:
        return bool(self.pattern or self.metadata or self.first_n is not None or self.failing)


def _parse_metadata(items: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, _, value = item.partition("=")
        if not key or not value:
            raise UsageError("--filter-metadata must be specified in key=value format")
        out.append((key, value))
    return out


def _js_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def metadata_matches(test: TestCase, conditions: list[tuple[str, str]]) -> bool:
    if not test.metadata:
        return False
    for key, value in conditions:
        actual = test.metadata.get(key)
        if isinstance(actual, list):
            ok = any(value in _js_str(v) for v in actual)
        else:
            ok = actual is not None and value in _js_str(actual)
        if not ok:
            return False
    return True


def _runtime_free(vars: Any) -> dict[str, Any]:
    """promptfoo's filterRuntimeVars: drop vars the run adds (`_conversation`, `sessionId`)."""
    if not isinstance(vars, dict):
        return {}
    return {k: v for k, v in vars.items() if k not in ("_conversation", "sessionId")}


def failed_vars(path: Path) -> list[dict[str, Any]]:
    """Vars of every failed or errored row of a promptfoo-shaped JSON output (`-o out.json`)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UsageError(f"--filter-failing {path}: cannot read a promptfoo JSON output: {e}") from None
    results = data.get("results") if isinstance(data, dict) else None
    rows = results.get("results") if isinstance(results, dict) else results
    if not isinstance(rows, list):
        raise UsageError(f"--filter-failing {path}: no results.results[] in this file")
    return [_runtime_free(r.get("vars")) for r in rows if isinstance(r, dict) and not r.get("success")]


def select_tests(suite: Suite, flt: TestFilter) -> Suite:
    """A copy of `suite` holding only the selected tests, renumbered from 0."""
    if not flt:
        return suite
    tests: Iterable[TestCase] = suite.tests  # filtered lazily: a large suite is never all in memory
    if flt.metadata:
        conditions = _parse_metadata(flt.metadata)
        tests = (t for t in tests if metadata_matches(t, conditions))
    if flt.failing:
        wanted = {json.dumps(v, sort_keys=True, default=str) for v in failed_vars(flt.failing)}
        tests = (t for t in tests if json.dumps(_runtime_free(t.vars), sort_keys=True, default=str) in wanted)
    if flt.pattern:
        try:
            rx = re.compile(flt.pattern)
        except re.error as e:
            raise UsageError(f'Invalid regex pattern "{flt.pattern}": {e}') from None
        tests = (t for t in tests if t.description and rx.search(t.description))
    if flt.first_n is not None:
        tests = itertools.islice(tests, max(0, flt.first_n))
    renumbered = TestBank(dataclasses.replace(t, index=i) for i, t in enumerate(tests)).finish()
    return dataclasses.replace(suite, tests=renumbered)
