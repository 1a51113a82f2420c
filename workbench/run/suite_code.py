"""The suite's own code that shapes a run: test generators, `extensions` hooks, Nunjucks filters.

- `generate_tests`: the loader's `generate` (`tests: file://gen.py:fn` gets `config` when given,
  Python's default function is `generate_tests`; a JavaScript file may export the list itself).
- `Hooks`: promptfoo's extension hooks. A hook named after one stage (`file://h.js:beforeAll`)
  runs only there, called `(context, {hookName})`; any other runs at every stage, called
  `(hookName, context)`. beforeAll gets `{suite}` with the tests as written and may edit them
  (and defaultTest); beforeEach gets `{test}` (after defaultTest merge) per row and may edit it;
  afterEach gets `{test, result}`, afterAll `{results, suite}`; their return values are ignored.
- `install_filters`: `nunjucksFilters` (JavaScript files) made available to every template.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.errors import SuiteError
from workbench.render.templating import set_custom_filters
from workbench.runtimes import ScriptError
from workbench.runtimes.calls import call_file, call_ref
from workbench.runtimes.transforms import split_file_ref
from workbench.suite import rebuild_tests
from workbench.types import Suite, TestCase

HOOK_NAMES = ("beforeAll", "beforeEach", "afterEach", "afterAll")


def generate_tests(path: Path, fn: str | None, config: Any) -> Any:
    args = [] if config is None else [config]
    return call_file(path, fn, args, python_default="generate_tests", style="value", timeout_s=60.0)


def test_dict(test: TestCase) -> dict[str, Any]:
    """A test as promptfoo hands it to hooks."""
    out: dict[str, Any] = {"vars": dict(test.vars), "assert": [dict(a) for a in test.asserts]}
    if test.description is not None:
        out["description"] = test.description
    if test.options:
        out["options"] = dict(test.options)
    if test.metadata:
        out["metadata"] = dict(test.metadata)
    if test.threshold is not None:
        out["threshold"] = test.threshold
    return out


class Hooks:
    def __init__(self, suite: Suite, timeout_s: float = 60.0) -> None:
        self.suite = suite
        self.timeout_s = timeout_s

    def __bool__(self) -> bool:
        return bool(self.suite.extensions)

    def _run(self, stage: str, context: dict[str, Any]) -> dict[str, Any]:
        for ext in self.suite.extensions:
            _, fn = split_file_ref(ext)
            if fn in HOOK_NAMES and fn != stage:
                continue
            args: list[Any] = [context, {"hookName": stage}] if fn in HOOK_NAMES else [stage, context]
            try:
                result = call_ref(
                    ext, self.suite.base_dir, args, python_default="get_transform", timeout_s=self.timeout_s
                )
            except ScriptError as e:
                raise ScriptError(f'Extension hook "{stage}" failed for {ext}: {e}') from e
            if isinstance(result, dict) and stage in ("beforeAll", "beforeEach"):
                context = {**context, **result}
        return context

    def before_all(self) -> Suite:
        """The suite after beforeAll (its tests rebuilt when the hook edited them)."""
        if not self.suite.extensions:
            return self.suite
        raw_tests, default_test, _ = self.suite.test_source or ([], None, [])
        tests = [dict(t.data) for t in raw_tests]
        context: dict[str, Any] = {
            "suite": {
                "description": self.suite.description,
                "prompts": [{"raw": p.raw, "label": p.label} for p in self.suite.prompts],
                "providers": [{"id": p.id, "label": p.label} for p in self.suite.providers],
                "tests": tests,
                "defaultTest": default_test,
                "derivedMetrics": self.suite.derived_metrics,
            }
        }
        try:
            out = self._run("beforeAll", context)
        except ScriptError as e:
            raise SuiteError(str(self.suite.path), "extensions", str(e)) from None
        returned = out.get("suite")
        new: dict[str, Any] = returned if isinstance(returned, dict) else context["suite"]
        if new.get("tests") == tests and new.get("defaultTest") == default_test:
            return self.suite
        rebuilt = rebuild_tests(self.suite, list(new.get("tests") or []), new.get("defaultTest"))
        return dataclasses.replace(self.suite, tests=rebuilt)

    def before_each(self, test: TestCase) -> TestCase:
        if not self.suite.extensions:
            return test
        given = test_dict(test)
        out = self._run("beforeEach", {"test": given})
        new = out.get("test")
        if not isinstance(new, dict) or new == given:
            return test
        return dataclasses.replace(
            test,
            vars=dict(new.get("vars") or {}),
            asserts=[dict(a) for a in new.get("assert") or [] if isinstance(a, dict)],
            description=new.get("description"),
            options=dict(new.get("options") or {}),
            metadata=dict(new.get("metadata") or {}),
            threshold=new.get("threshold"),
        )

    def after_each(self, test: TestCase, result: dict[str, Any]) -> None:
        if self.suite.extensions:
            self._run("afterEach", {"test": test_dict(test), "result": result})

    def after_all(self, results: list[dict[str, Any]]) -> None:
        if self.suite.extensions:
            self._run("afterAll", {"results": results, "suite": {"description": self.suite.description}})


def install_filters(suite: Suite, timeout_s: float = 10.0) -> None:
    """Make the suite's `nunjucksFilters` (JavaScript files) available to every template."""

    def make(path: Path) -> Callable[..., Any]:
        def js_filter(value: Any, *args: Any) -> Any:
            return call_file(path, None, [value, *args], python_default="", timeout_s=timeout_s)

        return js_filter

    set_custom_filters({name: make(path) for name, path in suite.nunjucks_filters.items()})
