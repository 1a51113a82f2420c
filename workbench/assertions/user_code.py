"""javascript and python assertions (promptfoo's javascript.ts, python.ts, scriptResultNormalization.ts).

Code runs through `workbench.runtimes` (V8 for JavaScript, in-process Python with a deadline).
A script that raises, times out or returns the wrong type fails only its assertion (score 0),
except where promptfoo throws (a non-string python value, a .js file that cannot be loaded).
Scores are not clamped and `not-` keeps the raw score while flipping pass (QUIRKS 3, 7, 27, 28).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from workbench.assertions.handler import AssertionContext, SharedRow, inverse_aware
from workbench.assertions.strings import PASSED, invariant, is_js_string
from workbench.errors import AssertionConfigError
from workbench.runtimes import ScriptError
from workbench.runtimes import javascript as js
from workbench.runtimes import python as py
from workbench.runtimes.jsvalues import UNDEFINED, json_stringify
from workbench.runtimes.transforms import split_file_ref
from workbench.types import GradingResult

NO_CODE = "javascript/python assertions are disabled (--no-code-asserts)"


def is_grading_result(r: Any) -> bool:
    """promptfoo's isGradingResult."""
    return (
        isinstance(r, dict)
        and isinstance(r.get("pass"), bool)
        and _is_num(r.get("score"))
        and isinstance(r.get("reason"), str)
        and (r.get("namedScores") is None or isinstance(r.get("namedScores"), dict))
        and (r.get("componentResults") is None or isinstance(r.get("componentResults"), list))
    )


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def grading_dict(g: GradingResult) -> dict[str, Any]:
    d: dict[str, Any] = {"pass": g.pass_, "score": g.score, "reason": g.reason}
    if g.assertion is not None:
        d["assertion"] = g.assertion
    if g.named_scores:
        d["namedScores"] = g.named_scores
    return d


def _from_dict(d: dict[str, Any], passed: bool, reason: str) -> GradingResult:
    named = d.get("namedScores") if isinstance(d.get("namedScores"), dict) else {}
    return GradingResult(
        pass_=passed,
        score=float(d["score"]),
        reason=reason,
        named_scores={k: float(v) for k, v in (named or {}).items() if _is_num(v)},
    )


def _suffix(reason: str, rendered: Any) -> str:
    return f"{reason}\n{rendered}" if isinstance(rendered, str) and rendered else reason


def normalize_result(
    assertion: dict[str, Any], result: Any, inverse: bool, code_label: str, suffix: Any
) -> GradingResult:
    """normalizeScriptAssertionResult: bool, number or GradingResult dict."""
    if isinstance(result, bool):
        passed = result != inverse
        return GradingResult(
            passed,
            1.0 if passed else 0.0,
            PASSED if passed else _suffix(f"{code_label} returned {str(result).lower()}", suffix),
        )
    if _is_num(result):
        t = assertion.get("threshold")
        raw = result > 0 if t is None else result >= t
        passed = raw != inverse
        return GradingResult(
            passed, float(result), PASSED if passed else _suffix(f"{code_label} returned {str(raw).lower()}", suffix)
        )
    raw_pass = bool(result["pass"])
    passed = raw_pass != inverse
    if passed == raw_pass:
        reason = result.get("reason", "")
    else:
        reason = PASSED if passed else f"{code_label} returned {str(raw_pass).lower()}"
    return _from_dict(result, passed, reason)


# -- javascript -----------------------------------------------------------------------------------


def _find_last_statement_semicolon(code: str) -> int:
    single = double = template = False
    last = -1
    for i, ch in enumerate(code):
        esc = 0
        j = i - 1
        while j >= 0 and code[j] == "\\":
            esc += 1
            j -= 1
        if esc % 2 == 0:
            if ch == "'" and not double and not template:
                single = not single
            elif ch == '"' and not single and not template:
                double = not double
            elif ch == "`" and not single and not double:
                template = not template
        if ch == ";" and not single and not double and not template:
            last = i
    return last


def build_function_body(code: str) -> str:
    """promptfoo's buildFunctionBody for single-line javascript."""
    trimmed = re.sub(r";+\s*$", "", code.strip())
    if re.match(r"^(const|let|var)\s", trimmed):
        i = _find_last_statement_semicolon(trimmed)
        if i != -1:
            statements, expression = trimmed[: i + 1], trimmed[i + 1 :].strip()
            if expression:
                return f"{statements} return {expression}"
        return trimmed
    return f"return {trimmed}"


def _validate_js(r: Any, rtype: str) -> Any:
    if rtype == "boolean" or rtype == "number":
        return r
    if rtype == "object" and is_grading_result(r):
        return r
    shown = "undefined" if r is UNDEFINED else json_stringify(r)
    raise ScriptError(
        f"Custom function must return a boolean, number, or GradingResult object. Got type {rtype}: {shown}"
    )


@inverse_aware
def handle_javascript(ctx: AssertionContext) -> GradingResult:
    a = ctx.assertion
    value = ctx.value
    if not ctx.config.allow_code:
        raise AssertionConfigError(NO_CODE)
    context = _context(ctx)
    timeout = ctx.config.script_timeout_s
    if isinstance(value, str) and value.startswith("file://"):
        rel, fn = split_file_ref(value)
        try:  # a file that cannot be loaded or throws errors the row in promptfoo
            res = js.run_file_function((ctx.base_dir / rel).resolve(), fn, [ctx.output, context], timeout)
        except ScriptError as e:
            raise AssertionConfigError(str(e)) from e
        try:
            if res.type not in ("boolean", "number", "object", "null", "array"):
                raise ScriptError(f"Javascript assertion script must return a boolean, number, or object ({value})")
            result = _validate_js(res.value, "object" if res.type in ("null", "array") else res.type)
            return normalize_result(a, result, ctx.inverse, "Custom function", value)
        except ScriptError as e:
            return GradingResult(False, 0.0, _suffix(f"Custom function threw error: {e}", value))
    rendered = value
    try:
        if not is_js_string(rendered):
            raise ScriptError("Invariant failed: javascript assertion must have a string value")
        rendered = rendered.rstrip()  # trimEnd
        body = rendered if "\n" in rendered else build_function_body(rendered)
        res = js.run_function_body(body, ["output", "context"], [ctx.output, context], timeout)
        result = _validate_js(res.value, "object" if res.type in ("null", "array") else res.type)
        if _is_num(result) and math.isnan(result):
            result = float("nan")
        return normalize_result(a, result, ctx.inverse, "Custom function", rendered)
    except ScriptError as e:
        return GradingResult(False, 0.0, _suffix(f"Custom function threw error: {e}", rendered))


def _context(ctx: AssertionContext) -> dict[str, Any]:
    row = SharedRow(ctx.test, ctx.output, ctx.prompt, ctx.vars, ctx.response, ctx.provider, ctx.base_dir, ctx.config)
    return row.script_context(ctx.assertion)


# -- python ---------------------------------------------------------------------------------------


def _snake_to_camel(obj: dict[str, Any]) -> dict[str, Any]:
    r = dict(obj)
    for snake, camel in (
        ("pass_", "pass"),
        ("named_scores", "namedScores"),
        ("component_results", "componentResults"),
        ("tokens_used", "tokensUsed"),
    ):
        if snake in r and camel not in r:
            r[camel] = r[snake]
    if isinstance(r.get("componentResults"), list):
        r["componentResults"] = [_snake_to_camel(c) if isinstance(c, dict) else c for c in r["componentResults"]]
    return r


_FLOAT_PREFIX = re.compile(r"^\s*[+-]?(Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)")


def js_parse_float(s: str) -> float:
    m = _FLOAT_PREFIX.match(s)
    if not m:
        return math.nan
    t = m.group(0).strip()
    return float(t.replace("Infinity", "inf"))


def normalize_python_result(assertion: dict[str, Any], result: Any, inverse: bool, suffix: Any) -> GradingResult:
    """normalizeScriptResult with the Python labels."""
    import json

    lower = result.lower() if isinstance(result, str) else None
    if result is True or lower == "true":
        return normalize_result(assertion, True, inverse, "Python code", suffix)
    if result is False or lower == "false":
        return normalize_result(assertion, False, inverse, "Python code", suffix)
    if isinstance(result, str) and result.startswith("{"):
        try:
            parsed = json.loads(result)
        except ValueError as e:
            raise ScriptError(f"Invalid JSON: {e} when parsing result: {result}") from e
        if not isinstance(parsed, dict):
            raise ScriptError(
                f"Python assertion must return a boolean, number, or {{pass, score, reason}} object. Got instead: {result}"
            )
        result = parsed
    if isinstance(result, dict):
        mapped = _snake_to_camel(result)
        if not is_grading_result(mapped):
            raise ScriptError(
                f"Python assertion must return a boolean, number, or {{pass, score, reason}} object. Got instead:\n{json_stringify(mapped, 2)}"
            )
        t = assertion.get("threshold")
        if t is not None and mapped["score"] < t:
            mapped["pass"] = False
            msg = f"Python score {mapped['score']} is less than threshold {t}"
            mapped["reason"] = f"{msg}: {mapped['reason']}" if mapped["reason"] else msg
        return normalize_result(assertion, mapped, inverse, "Python code", suffix)
    if isinstance(result, list):
        text = ",".join("" if x is None else str(x) for x in result)
    elif result is None:
        text = "null"
    else:
        text = str(result)
    score = js_parse_float(text)
    if math.isnan(score):
        raise ScriptError(
            f"Python assertion must return a boolean, number, or {{pass, score, reason}} object. Instead got:\n{text}"
        )
    return normalize_result(assertion, score, inverse, "Python code", suffix)


@inverse_aware
def handle_python(ctx: AssertionContext) -> GradingResult:
    value = ctx.value
    if not ctx.config.allow_code:
        raise AssertionConfigError(NO_CODE)
    invariant(is_js_string(value), "python assertion must have a string value")
    context = _context(ctx)
    timeout = ctx.config.script_timeout_s
    try:
        if value.startswith("file://"):
            rel, fn = split_file_ref(value)
            result = py.run_file((ctx.base_dir / rel).resolve(), fn or "get_assert", [ctx.output, context], timeout)
        else:
            result = py.run_inline(value, ctx.output, context, timeout)
        return normalize_python_result(ctx.assertion, result, ctx.inverse, ctx.assertion.get("value"))
    except ScriptError as e:
        if value.startswith("file://"):
            return GradingResult(False, 0.0, str(e))
        return GradingResult(False, 0.0, f"Python code execution failed: {e}")


def file_path(base_dir: Path, ref: str) -> Path:
    return (base_dir / split_file_ref(ref)[0]).resolve()
