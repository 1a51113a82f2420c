"""Checks on the response rather than its text: cost, latency, finish-reason, perplexity,
perplexity-score, is-valid-openai-tools-call, tool-call-f1, guardrails, webhook, human, and the
cross-output max-score (graded by `grade_max_score` once every output of a test exists).
"""

from __future__ import annotations

import json
import math
from typing import Any

from workbench.assertions.handler import AssertionContext, inverse_aware
from workbench.assertions.strings import PASSED, binary, invariant, is_js_string
from workbench.runtimes.jsvalues import js_string, json_stringify
from workbench.types import GradingResult


def _precision2(x: float) -> str:
    """Number.prototype.toPrecision(2)."""
    if x == 0:
        return "0.0"
    e = math.floor(math.log10(abs(x)))
    if e < -6 or e >= 2:
        m = f"{x:.1e}"
        mant, exp = m.split("e")
        return f"{mant}e{'+' if int(exp) >= 0 else '-'}{abs(int(exp))}"
    return f"{x:.{max(0, 1 - e)}f}"


@inverse_aware
def handle_cost(ctx: AssertionContext) -> GradingResult:
    t = ctx.assertion.get("threshold")
    if t is None:
        raise ValueError("Cost assertion must have a threshold")
    cost = ctx.response.cost
    if cost is None:
        raise ValueError("Cost assertion does not support providers that do not return cost")
    cmp = "less than or equal to" if ctx.inverse else "greater than"
    return binary(ctx, cost <= t, f"Cost {_precision2(cost)} is {cmp} threshold {js_string(t)}")


@inverse_aware
def handle_latency(ctx: AssertionContext) -> GradingResult:
    t = ctx.assertion.get("threshold")
    if t is None:
        raise ValueError("Latency assertion must have a threshold in milliseconds")
    lat = ctx.response.latency_ms
    if lat is None or ctx.response.cached:
        raise ValueError("Latency assertion does not support cached results. Rerun the eval with --no-cache")
    cmp = "less than or equal to" if ctx.inverse else "greater than"
    return binary(ctx, lat <= t, f"Latency {js_string(round(lat))}ms is {cmp} threshold {js_string(t)}ms")


@inverse_aware
def handle_finish_reason(ctx: AssertionContext) -> GradingResult:
    v = ctx.value if ctx.value is not None else ctx.assertion.get("value")
    invariant(is_js_string(v), '"finish-reason" assertion type must have a string value')
    fr = ctx.response.finish_reason
    if not fr:
        passed = ctx.inverse
        return GradingResult(
            passed, 1.0 if passed else 0.0, PASSED if passed else "Provider did not supply stop/finish reason"
        )
    return binary(
        ctx,
        str(v).lower() == fr.lower(),
        f'Expected finish reason {"not " if ctx.inverse else ""}"{v}" but got "{fr}"',
    )


def _avg_logprob(ctx: AssertionContext, name: str) -> float:
    lp = ctx.response.logprobs
    if not lp:
        raise ValueError(f"{name} assertion does not support providers that do not return logProbs")
    return sum(lp) / len(lp)


@inverse_aware
def handle_perplexity(ctx: AssertionContext) -> GradingResult:
    ppl = math.exp(-_avg_logprob(ctx, "Perplexity"))
    t = ctx.assertion.get("threshold")
    passed = True if t is None else (ppl <= t) != ctx.inverse
    cmp = "less than or equal to" if ctx.inverse else "greater than"
    return GradingResult(
        passed, 1.0 if passed else 0.0, PASSED if passed else f"Perplexity {ppl:.2f} is {cmp} threshold {js_string(t)}"
    )


@inverse_aware
def handle_perplexity_score(ctx: AssertionContext) -> GradingResult:
    norm = 1 / (1 + math.exp(-_avg_logprob(ctx, "perplexity-score")))
    t = ctx.assertion.get("threshold")
    passed = True if t is None else (norm >= t) != ctx.inverse
    cmp = "greater than or equal to" if ctx.inverse else "less than"
    return GradingResult(
        passed,
        1 - norm if ctx.inverse else norm,
        PASSED if passed else f"Perplexity score {norm:.2f} is {cmp} threshold {js_string(t)}",
    )


def _parse_output_json(output: Any) -> Any:
    if isinstance(output, str):
        try:
            return json.loads(output)
        except ValueError:
            return output
    return output


def _validate_args(call: dict[str, Any], functions: list[dict[str, Any]]) -> None:
    name = call.get("name")
    fn = next((f for f in functions if f.get("name") == name), None)
    if fn is None:
        raise ValueError(f'Called "{name}", but there is no function with that name')
    try:
        args = json.loads(call.get("arguments") or "{}")
    except ValueError as e:
        raise ValueError(f"Function call arguments are not valid JSON: {e}") from e
    schema = fn.get("parameters")
    if schema:
        import jsonschema

        errors = list(jsonschema.Draft7Validator(schema).iter_errors(args))
        if errors:
            raise ValueError(
                f'Call to "{name}":\n{json_stringify(args)}\ndoes not match schema:\n{json_stringify(schema)}\n{errors[0].message}'
            )


@inverse_aware
def handle_is_valid_openai_tools_call(ctx: AssertionContext) -> GradingResult:
    out = _parse_output_json(ctx.output)
    text = out if isinstance(out, str) else (json_stringify(out) or "")
    if "MCP Tool Result" in text or "MCP Tool Error" in text:
        return GradingResult("MCP Tool Error" not in text, 0.0 if "MCP Tool Error" in text else 1.0, "MCP tool call")
    if isinstance(out, dict) and "tool_calls" in out:
        out = out["tool_calls"]
    bad = (
        not isinstance(out, list)
        or not out
        or any(
            not isinstance((c or {}).get("function", {}).get("name"), str)
            or not isinstance((c or {}).get("function", {}).get("arguments"), str)
            for c in out
            if isinstance(c, dict)
        )
        or any(not isinstance(c, dict) for c in out)
    )
    if bad:
        return GradingResult(False, 0.0, f"OpenAI did not return a valid-looking tools response: {json_stringify(out)}")
    tools = (ctx.provider.config.get("tools") if ctx.provider else None) or None
    if not tools:
        return GradingResult(False, 0.0, "No tools configured in provider, but output contains tool calls")
    functions = [
        t["function"] for t in tools if isinstance(t, dict) and t.get("type") == "function" and "function" in t
    ]
    try:
        for call in out:
            _validate_args(call["function"], functions)
    except ValueError as e:
        return GradingResult(False, 0.0, str(e))
    return GradingResult(True, 1.0, PASSED)


def _tool_names(output: Any) -> list[str]:
    out = _parse_output_json(output)
    names: list[str] = []
    items = out.get("tool_calls", [out]) if isinstance(out, dict) else out if isinstance(out, list) else []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = (item.get("function") or {}).get("name") if isinstance(item.get("function"), dict) else item.get("name")
        if isinstance(name, str):
            names.append(name)
    return names


@inverse_aware
def handle_tool_call_f1(ctx: AssertionContext) -> GradingResult:
    v = ctx.value
    expected = [s.strip() for s in v.split(",")] if is_js_string(v) else v
    invariant(
        isinstance(expected, list) and expected,
        '"tool-call-f1" assertion requires a value with the expected tool names',
    )
    exp_set = {str(x) for x in expected}
    act_set = set(_tool_names(ctx.output))
    tp = len(exp_set & act_set)
    precision = tp / len(act_set) if act_set else 0.0
    recall = tp / len(exp_set) if exp_set else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    t = ctx.assertion.get("threshold")
    t = 1.0 if t is None else t
    passed = (f1 >= t) != ctx.inverse
    reason = f"Tool call F1 {f1:.3f} (precision {precision:.3f}, recall {recall:.3f}); expected [{', '.join(sorted(exp_set))}], got [{', '.join(sorted(act_set))}]"
    return GradingResult(passed, 1 - f1 if ctx.inverse else f1, PASSED if passed else reason)


@inverse_aware
def handle_guardrails(ctx: AssertionContext) -> GradingResult:
    g = ctx.response.metadata.get("guardrails") or {"flagged": False}
    if g.get("flagged"):
        reason = "Content failed safety checks"
        if g.get("flaggedInput"):
            reason = "Prompt failed safety checks"
        elif g.get("flaggedOutput"):
            reason = "Output failed safety checks"
        reason = g.get("reason") or reason
        passed = ctx.inverse
        return GradingResult(
            passed, 1.0 if passed else 0.0, f"Guardrail correctly blocked: {reason}" if ctx.inverse else reason
        )
    passed = not ctx.inverse
    return GradingResult(
        passed,
        1.0 if passed else 0.0,
        "Content was not blocked by guardrails (expected to be blocked)"
        if ctx.inverse
        else "Content passed safety checks",
    )


async def handle_webhook_async(ctx: AssertionContext) -> GradingResult:
    import os

    import httpx

    url = ctx.value
    invariant(url, '"webhook" assertion type must have a URL value')
    invariant(is_js_string(url), '"webhook" assertion type must have a URL value')
    timeout = float(os.environ.get("WEBHOOK_TIMEOUT", "5000")) / 1000
    body = {"output": ctx.output, "context": {"prompt": ctx.prompt, "vars": ctx.vars}}
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            resp = await client.post(url, content=json_stringify(body), headers={"Content-Type": "application/json"})
        if resp.status_code >= 400:
            raise ValueError(f"Webhook response status: {resp.status_code}")
        data = resp.json()
    except Exception as e:
        return GradingResult(False, 0.0, f"Webhook error: {e}")
    passed = bool(data.get("pass")) != ctx.inverse
    score = data.get("score")
    if score is None:
        score = 1.0 if passed else 0.0
    elif ctx.inverse:
        score = 1 - score
    reason = data.get("reason") or (PASSED if passed else f"Webhook returned {'true' if ctx.inverse else 'false'}")
    return GradingResult(passed, float(score), reason)


handle_webhook = inverse_aware(handle_webhook_async)


@inverse_aware
def handle_human(ctx: AssertionContext) -> GradingResult:
    """A human review: stored as pending, left out of the row's score and pass/fail."""
    return GradingResult(True, 0.0, "Pending human review", metadata={"pending": True})


def grade_max_score(outputs: list[Any], scores: list[float], assertion: dict[str, Any]) -> list[GradingResult]:
    """max-score over one test's outputs: the highest average score of the other assertions wins.

    `scores[i]` is output i's mean score over its non-max-score assertions; ties go to the first.
    `value.threshold` (or `threshold`) is the minimum score the winner needs.
    """
    if not outputs:
        return []
    raw = assertion.get("value")
    value: dict[str, Any] = raw if isinstance(raw, dict) else {}
    threshold = value.get("threshold", assertion.get("threshold", 0)) or 0
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    results = []
    for i, s in enumerate(scores):
        win = i == best and s >= threshold
        reason = (
            f"Selected as highest scoring output (score: {s:.3f})"
            if win
            else f"Not selected (score: {s:.3f}, max: {scores[best]:.3f})"
        )
        results.append(GradingResult(win, 1.0 if win else 0.0, reason, assertion=assertion))
    return results
