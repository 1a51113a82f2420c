"""Row grading with promptfoo 0.121.20 rules (src/assertions/index.ts, assertionsResult.ts).

For each assertion: apply its `transform`, render its value (Nunjucks; `file://` values are
loaded or, for .js/.py, computed), dispatch on the base type through the assertion registry (`table.lookup`), apply the
`not-` prefix (unless the handler is inverse-aware), force `pass` for `weight: 0`. Results are
aggregated like promptfoo's AssertionsResult: weighted mean score (0 when the total weight is
0), pass = no failure, or `score >= threshold` when a test threshold is set; named scores are
weight-normalized; `assert-set`s aggregate their children the same way and enter the row as
one weighted component. Anything a handler raises that is not a graded failure becomes
`AssertionConfigError`: the whole row is an ERROR (QUIRKS 1).
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import workbench.file_access as file_access
from workbench.assertions.assertion_registry import AssertionType
from workbench.assertions.handler import AssertionContext, SharedRow
from workbench.assertions.table import lookup
from workbench.assertions.user_code import grading_dict, is_grading_result
from workbench.errors import AssertionConfigError
from workbench.render.templating import render
from workbench.runtimes import ScriptError
from workbench.runtimes.javascript import run_file_function
from workbench.runtimes.jsvalues import js_number_str
from workbench.runtimes.python import run_file
from workbench.runtimes.transforms import apply_transform, is_js_file, split_file_ref
from workbench.suite.yaml12 import load_yaml
from workbench.types import GradeConfig, GradingResult, ProviderResponse, ProviderSpec, TestCase


class _Aggregate:
    """promptfoo's AssertionsResult."""

    __slots__ = ("components", "failed_reason", "named", "named_weights", "threshold", "total_score", "total_weight")

    def __init__(self, threshold: Any) -> None:
        self.threshold = threshold
        self.total_score = 0.0
        self.total_weight = 0.0
        self.failed_reason: str | None = None
        self.components: list[GradingResult] = []
        self.named: dict[str, float] = {}
        self.named_weights: dict[str, float] = {}

    def add(self, result: GradingResult, metric: str | None, weight: Any) -> None:
        w = 1 if weight is None else weight
        if not isinstance(w, (int, float)) or isinstance(w, bool):
            w = _js_num(w)
        self.total_score += result.score * w
        self.total_weight += w
        self.components.append(result)
        if metric:
            self.named[metric] = self.named.get(metric, 0.0) + result.score * w
            self.named_weights[metric] = self.named_weights.get(metric, 0.0) + w
        for name, score in result.named_scores.items():
            if name != metric:
                iw = result.metadata.get("namedScoreWeights", {}).get(name, 1) * w
                self.named[name] = self.named.get(name, 0.0) + score * iw
                self.named_weights[name] = self.named_weights.get(name, 0.0) + iw
        if not result.pass_:
            self.failed_reason = result.reason

    def result(self) -> GradingResult:
        score = self.total_score / self.total_weight if self.total_weight > 0 else 0.0
        passed = self.failed_reason is None
        reason = self.failed_reason or "All assertions passed"
        t = self.threshold
        if isinstance(t, (int, float)) and not isinstance(t, bool) and not math.isnan(t):
            passed = score >= t
            reason = f"Aggregate score {score:.2f} {'≥' if passed else '<'} {_num(t)} threshold"
        named = {
            k: (v / self.named_weights[k] if self.named_weights.get(k, 0) > 0 else 0.0) for k, v in self.named.items()
        }
        out = GradingResult(
            pass_=passed, score=score, reason=reason, named_scores=named, component_results=self.components
        )
        if self.named_weights:
            out.metadata["namedScoreWeights"] = dict(self.named_weights)
        return out


def _num(x: float) -> str:
    return js_number_str(x)


def _js_num(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


async def grade_test(
    test: TestCase,
    output: Any,
    *,
    prompt: str,
    vars: dict[str, Any],
    response: ProviderResponse,
    provider: ProviderSpec | None,
    base_dir: Path,
    config: GradeConfig | None = None,
) -> GradingResult:
    """Grade one row; raises AssertionConfigError where promptfoo records an ERROR row."""
    if not test.asserts:
        return GradingResult(pass_=True, score=1.0, reason="No assertions")
    row = SharedRow(test, output, prompt, vars, response, provider, base_dir, config or GradeConfig())
    main = _Aggregate(test.threshold)
    sets: list[tuple[dict[str, Any], _Aggregate, int]] = []
    slots: list[GradingResult | None] = []
    main_items: list[tuple[int, GradingResult, dict[str, Any]]] = []
    for i, assertion in enumerate(test.asserts):
        if not isinstance(assertion, dict):
            raise AssertionConfigError(f"Assertion must be an object: {assertion!r}")
        if assertion.get("type") == "assert-set":
            sub = _Aggregate(assertion.get("threshold"))
            for child in assertion.get("assert") or []:
                res = _start(child, row)
                if res is not None and type(res) is not GradingResult:
                    res = await res  # type: ignore[misc]
                if res is not None:
                    sub.add(res, render_metric(child.get("metric"), vars), child.get("weight"))
            sets.append((assertion, sub, i))
            slots.append(None)
            continue
        res = _start(assertion, row)
        if res is not None and type(res) is not GradingResult:
            res = await res  # type: ignore[misc]
        slots.append(None)
        if res is None:
            continue
        main_items.append((i, res, assertion))
    # promptfoo adds plain assertions first (in order) and the sets afterwards; the failing reason
    # and named-score insertion order follow that, while components keep their index order.
    for i, res, assertion in main_items:
        if res.metadata.get("pending"):
            slots[i] = res
            continue
        main.add(res, render_metric(assertion.get("metric"), vars), assertion.get("weight"))
        slots[i] = res
    for assertion, sub, i in sets:
        set_result = sub.result()
        set_result.metadata["assertSet"] = True
        set_result.metadata["assertionSet"] = {
            k: assertion[k] for k in ("type", "metric", "threshold", "weight") if k in assertion
        } | {"assertionCount": len(assertion.get("assert") or [])}
        for child, c in zip(set_result.component_results, assertion.get("assert") or [], strict=False):
            if child.assertion is None:
                child.assertion = c
        main.add(set_result, render_metric(assertion.get("metric"), vars), assertion.get("weight"))
        slots[i] = set_result
    main.components = [s for s in slots if s is not None]
    result = main.result()
    if test.assert_scoring_function:
        result = await _apply_scoring_function(test.assert_scoring_function, result, main, row)
    return result


def render_metric(metric: Any, vars: dict[str, Any]) -> str | None:
    if not metric:
        return None
    if not isinstance(metric, str) or "{" not in metric:
        return str(metric)

    try:
        return render(metric, vars)
    except Exception:
        return metric


def render_value(value: Any, vars: dict[str, Any]) -> Any:
    """Strings and string members of lists are Nunjucks-rendered; objects are not (QUIRKS 11)."""
    if isinstance(value, str):
        if "{" not in value:
            return value

        if "{#" in value and "#}" not in value[value.index("{#") :]:
            # Nunjucks: an unterminated `{#` comment is a template error (QUIRKS 11, regex t34)
            raise AssertionConfigError(f"Template render error: expected end of comment, got end of file: {value}")
        try:
            return render(value, vars)
        except Exception as e:
            raise AssertionConfigError(str(e)) from e
    if isinstance(value, list):
        return [render_value(v, vars) if isinstance(v, str) and not v.startswith("file://") else v for v in value]
    return value


def _load_file_value(ref: str, base_dir: Path) -> Any:
    """promptfoo's processFileReference: .json/.yaml parsed, .txt and others as text."""
    path = base_dir / ref[len("file://") :]
    try:
        text = file_access.read_text(path)
    except file_access.FileAccessError as e:
        raise AssertionConfigError(f"File refused: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise AssertionConfigError(f"File does not exist: {path}") from e
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix in (".yaml", ".yml"):
        return load_yaml(text, str(path))
    return text.strip() if path.suffix == ".txt" else text


async def run_assertion(assertion: dict[str, Any], row: SharedRow) -> GradingResult | None:
    """Grade one assertion; None for types graded elsewhere (max-score, select-*)."""
    res = _start(assertion, row)
    if res is None or type(res) is GradingResult:
        return res
    return await res  # type: ignore[misc]


def _start(assertion: dict[str, Any], row: SharedRow) -> GradingResult | Awaitable[GradingResult] | None:
    """Synchronous up to the handler; an async handler's result is finished by `_finish_async`."""
    atype = assertion.get("type")
    if not atype or not isinstance(atype, str):
        raise AssertionConfigError(f"Assertion must have a type: {json.dumps(assertion, default=str)}")
    if atype.startswith("select-"):
        return None
    inverse = atype.startswith("not-")
    base = atype[4:] if inverse else atype
    kind = lookup(base)
    if kind is not None and kind.cross_output and not inverse:
        return None  # graded after all outputs of the test exist (cross_output.py)
    output = row.output
    if assertion.get("transform"):
        tctx: dict[str, Any] = {"vars": row.vars, "prompt": {"label": row.prompt}}
        if row.response.metadata:
            tctx["metadata"] = row.response.metadata
        try:
            output = apply_transform(assertion["transform"], output, tctx, row.base_dir, row.config)
        except ScriptError as e:
            raise AssertionConfigError(str(e)) from e

    value = assertion.get("value")
    if type(value) is str:
        if value.startswith("file://"):
            if kind is None or not kind.needs_code:
                value = _value_from_file(value, output, row, assertion)
        elif "{" in value:
            value = render_value(value, row.vars)
    elif value is not None:
        value = render_value(value, row.vars)

    handler = kind.handler if kind is not None else None
    if kind is None or handler is None:
        raise AssertionConfigError(f"Unknown assertion type: {atype}")
    ctx = AssertionContext(output, value, assertion, inverse, row.test, row.vars, row.prompt, row.response,
                           row.provider, row.base_dir, row.config)  # fmt: skip
    try:
        res = handler(ctx)
    except AssertionConfigError:
        raise
    except Exception as e:  # promptfoo: an assertion that throws errors the whole row
        raise AssertionConfigError(str(e) or type(e).__name__) from e
    if type(res) is not GradingResult:
        if inspect.isawaitable(res):
            return _finish_async(res, kind, assertion, inverse, base)
        raise AssertionConfigError(f"handler for {base} returned {type(res).__name__}, not a GradingResult")
    return _finish(res, kind, assertion, inverse, base)


async def _finish_async(
    pending: Awaitable[GradingResult], kind: AssertionType, assertion: dict[str, Any], inverse: bool, base: str
) -> GradingResult:
    try:
        res = await pending
    except AssertionConfigError:
        raise
    except Exception as e:
        raise AssertionConfigError(str(e) or type(e).__name__) from e
    return _finish(res, kind, assertion, inverse, base)


def _finish(
    res: GradingResult, kind: AssertionType, assertion: dict[str, Any], inverse: bool, base: str
) -> GradingResult:
    if inverse and not kind.handles_inverse:
        res.pass_ = not res.pass_
        res.score = 1.0 - res.score
        if not res.pass_:
            res.reason = f"Expected the output not to pass {base}: {res.reason}"
    if res.assertion is None:
        res.assertion = assertion
    if assertion.get("weight") == 0:
        res.pass_ = True
    return res


def _value_from_file(ref: str, output: Any, row: SharedRow, assertion: dict[str, Any]) -> Any:
    rel, fn = split_file_ref(ref)
    if not (is_js_file(rel) or rel.endswith(".py")):
        return _load_file_value(ref, row.base_dir)
    if not row.config.allow_code:
        raise AssertionConfigError(f"code is disabled by --no-code-asserts: {ref}")
    path = (row.base_dir / rel).resolve()
    args = [output, row.script_context(assertion)]
    try:
        if is_js_file(rel):
            value = run_file_function(path, fn, args, row.config.script_timeout_s).value
        else:
            value = run_file(path, fn or "get_assert", args, row.config.script_timeout_s)
    except ScriptError as e:
        raise AssertionConfigError(str(e)) from e
    if isinstance(value, bool):
        raise AssertionConfigError(
            f'Script for "{assertion["type"]}" assertion returned a boolean. Only javascript/python/ruby '
            "assertion types can return boolean values."
        )
    if isinstance(value, dict) and "pass" in value:
        raise AssertionConfigError(
            f'Script for "{assertion["type"]}" assertion returned a GradingResult. Only javascript/python/ruby '
            "assertion types can return GradingResult objects."
        )
    return value


async def _apply_scoring_function(ref: str, result: GradingResult, agg: _Aggregate, row: SharedRow) -> GradingResult:
    """`assertScoringFunction: file://scorer.py[:fn]` (or .js): replaces pass/score/reason."""
    rel, fn = split_file_ref(ref)
    context = {
        "threshold": agg.threshold,
        "componentResults": [grading_dict(c) for c in result.component_results],
        "tokensUsed": {},
    }
    try:
        if not row.config.allow_code:
            raise ScriptError("assertScoringFunction is disabled by --no-code-asserts")
        path = (row.base_dir / rel).resolve()
        if is_js_file(rel):
            out = run_file_function(path, fn, [result.named_scores, context], row.config.script_timeout_s).value
        elif rel.endswith(".py"):
            out = run_file(path, fn or "get_assert", [result.named_scores, context], row.config.script_timeout_s)
        else:
            raise ScriptError(f"Unsupported scoring function file: {ref}")
        if isinstance(out, dict):
            out = {"pass": out.get("pass", out.get("pass_")), **out}
        if not is_grading_result(out):
            raise ScriptError("assertion scoring function must return a GradingResult")
        result.pass_ = bool(out["pass"])
        result.score = float(out["score"])
        result.reason = out["reason"]
        if isinstance(out.get("namedScores"), dict):
            result.named_scores = {k: float(v) for k, v in out["namedScores"].items()}
    except ScriptError as e:
        result.pass_ = False
        result.score = 0.0
        result.reason = f"Scoring function error: {e}"
    return result
