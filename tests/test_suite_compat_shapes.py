"""Every compat config loads; (test_index, prompt_index, vars, description, label) match promptfoo's,
and echo output (the rendered prompt) matches expected.json's `output`."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from conftest import COMPAT_DIR

from workbench.jsjson import js_json, js_json_parse
from workbench.render.prompt import render_prompt
from workbench.render.templating import TemplateError, render_vars
from workbench.suite import load
from workbench.types import Suite
from workbench.types import TestCase as Case

COMPAT = COMPAT_DIR
CASES = sorted(p.parent.name for p in COMPAT.glob("*/promptfooconfig.yaml"))


def _norm(value: Any) -> Any:
    """expected.json stores JSON-looking strings compacted (JSON.stringify(JSON.parse(s)))."""
    if isinstance(value, str):
        try:
            parsed = js_json_parse(value)
        except ValueError:
            return value
        if isinstance(parsed, float) and not math.isfinite(parsed):
            return value
        return js_json(parsed)
    if isinstance(value, float):
        return value  # compared as floats below (big integers lose precision like JS)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and type(a) is type(b)


def _cells(suite: Suite) -> dict[tuple[int, int], Case]:
    cells = {}
    for t in suite.tests:
        for pi, p in enumerate(suite.prompts):
            if t.prompts is not None and p.label not in t.prompts and p.id not in t.prompts:
                continue
            cells[(t.index, pi)] = t
    return cells


@pytest.mark.parametrize("case", CASES)
def test_compat_shapes(case: str) -> None:
    suite = load(COMPAT / case / "promptfooconfig.yaml")
    expected = json.loads((COMPAT / case / "expected.json").read_text())
    cells = _cells(suite)
    assert set(cells) == {(r["test_index"], r["prompt_index"]) for r in expected}
    for r in expected:
        test = cells[(r["test_index"], r["prompt_index"])]
        where = f"{case} t{r['test_index']} p{r['prompt_index']}"
        assert _same(_norm(test.vars), _norm(r["vars"])), where
        assert test.description == r["description"], where
        assert suite.prompts[r["prompt_index"]].label == r["prompt_label"], where


def _echo_records() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for case in CASES:
        for r in json.loads((COMPAT / case / "expected.json").read_text()):
            out.append((case, r))
    return out


def test_render_matches_echo_output_everywhere() -> None:
    """Rows without a transform: echo's output is the rendered prompt; error rows from a template
    error (nunjucks t14) must raise TemplateError."""
    checked = 0
    suites = {case: load(COMPAT / case / "promptfooconfig.yaml") for case in CASES}
    for case, r in _echo_records():
        suite = suites[case]
        test = _cells(suite)[(r["test_index"], r["prompt_index"])]
        if test.options.get("transform") or r["output"] is None:
            continue
        prompt = suite.prompts[r["prompt_index"]]
        text, _ = render_prompt(prompt, test.vars, base_dir=suite.base_dir)
        assert text == r["output"], f"{case} t{r['test_index']} p{r['prompt_index']}"
        checked += 1
    assert checked > 300


def test_nunjucks_prompt_cases() -> None:
    suite = load(COMPAT / "nunjucks_prompt" / "promptfooconfig.yaml")
    expected = json.loads((COMPAT / "nunjucks_prompt" / "expected.json").read_text())
    for r in expected:
        test = suite.tests[r["test_index"]]
        if r["output"] is None:
            with pytest.raises(TemplateError):
                render_prompt(suite.prompts[0], test.vars)
        else:
            assert render_prompt(suite.prompts[0], test.vars)[0] == r["output"], r["description"]


def test_chat_json_prompt_messages() -> None:
    suite = load(COMPAT / "multi_prompts" / "promptfooconfig.yaml")
    chat = suite.prompts[3]
    assert chat.is_chat
    text, messages = render_prompt(chat, {"output": "Paris"})
    assert messages == [
        {"role": "system", "content": "You are an echo."},
        {"role": "user", "content": "Paris"},
    ]
    assert text == json.dumps(messages, indent=2)
    assert render_prompt(suite.prompts[0], {"output": "Paris"}) == ("Paris", [{"role": "user", "content": "Paris"}])


def test_render_vars_then_render_prompt_is_not_double_rendered() -> None:
    """The engine caches render_vars per test and passes the result to render_prompt."""
    for case in ("equals", "regex", "nunjucks_prompt", "multi_prompts"):
        suite = load(COMPAT / case / "promptfooconfig.yaml")
        for t in suite.tests:
            for p in suite.prompts:
                try:
                    direct = render_prompt(p, t.vars)
                except TemplateError:
                    continue
                rendered = render_vars(t.vars)
                assert render_prompt(p, rendered) == direct, f"{case} t{t.index}"
    prepared = render_vars({"a": "x\n\n", "b": "{{ 1 + 1 }}"}).prepared
    assert prepared == {"a": "x\n", "b": "{{ 1 + 1 }}"}
