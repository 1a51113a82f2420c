"""Model-graded assertions (promptfoo 0.121.20 src/matchers + src/assertions handlers).

llm-rubric, model-graded-closedqa, factuality, answer-relevance, context-faithfulness,
context-recall, context-relevance, g-eval, similar(:cosine|:dot|:euclidean), and the cross-output
select-best (`grade_select_best`, called by the engine once every output of a test exists).

`not-` follows promptfoo exactly: llm-rubric, g-eval and similar invert (score 1 - s); the other
handlers ignore the prefix in promptfoo 0.121.20 (their handlers never read `inverse`), so
`not-factuality` grades like `factuality` here too. A grader answer that cannot be parsed
fails the assertion and is never inverted (promptfoo's graderError). Grader resolution and
calls live in `grader.py`, prompt texts in `rubrics.py`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from workbench.assertions import grader, rubrics
from workbench.assertions.handler import AssertionContext, inverse_aware
from workbench.assertions.json_extract import extract_json_objects
from workbench.errors import AssertionConfigError
from workbench.runtimes import ScriptError
from workbench.runtimes.jsvalues import js_number_str, js_string
from workbench.runtimes.transforms import apply_transform
from workbench.types import GradingResult, ProviderSpec


# -- shared helpers -----------------------------------------------------------------------------------
def _text_spec(ctx: AssertionContext) -> ProviderSpec | None:
    raw = grader.grader_option(ctx.assertion, ctx.test.options, ctx.config.grader)
    return grader.pick(raw, "text")


def _embedding_spec(ctx: AssertionContext) -> ProviderSpec | None:
    raw = grader.grader_option(ctx.assertion, ctx.test.options, ctx.config.grader)
    return grader.pick(raw, "embedding")


def _rubric_prompt(ctx: AssertionContext) -> Any:
    return ctx.assertion.get("rubricPrompt") or ctx.test.options.get("rubricPrompt")


def _output_string(output: Any) -> str:
    if isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False)


def try_parse(text: Any) -> Any:
    """promptfoo's tryParse: JSON when the string is JSON, else the string."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _result(ok: bool, score: float, reason: str, usage: grader.Usage, **metadata: Any) -> GradingResult:
    return GradingResult(ok, score, reason, tokens_used=usage.tokens(), cost=usage.cost, metadata=dict(metadata))


def _grader_fail(reason: str, usage: grader.Usage) -> GradingResult:
    """A grader answer that could not be used: fails, and `not-` never flips it."""
    return _result(False, 0.0, reason, usage, graderError=True)


def _threshold(ctx: AssertionContext, default: float) -> float:
    t = ctx.assertion.get("threshold")
    if t is None:
        return default
    try:
        return float(t)
    except (TypeError, ValueError):
        raise AssertionConfigError(f"{ctx.assertion.get('type')}: threshold must be a number, got {t!r}") from None


def _num(x: float) -> str:
    return js_number_str(x)


def _ctx_vars(ctx: AssertionContext) -> dict[str, Any]:
    return dict(ctx.vars or {})


async def _ask_grader(
    ctx: AssertionContext, default_template: str, variables: dict[str, Any], usage: Any
) -> tuple[str, str | None]:
    """Render the assertion's rubric prompt (else `default_template`) with `variables` and ask the
    grader: (the prompt sent, the grader's text or None)."""
    prompt, out = await _ask_grader_output(ctx, default_template, variables, usage)
    return prompt, out if out is None or isinstance(out, str) else json.dumps(out)


async def _ask_grader_output(
    ctx: AssertionContext, default_template: str, variables: dict[str, Any], usage: Any
) -> tuple[str, Any]:
    """`_ask_grader` with the grader's output as it came (an object from a custom provider)."""
    template = grader.load_rubric_prompt(_rubric_prompt(ctx), default_template, ctx.base_dir)
    prompt = grader.render_rubric(template, variables)
    return prompt, await grader.call_output(_text_spec(ctx), prompt, usage)


# -- llm-rubric ---------------------------------------------------------------------------------------
async def llm_rubric_core(ctx: AssertionContext, template_default: str, label: str) -> GradingResult:
    value = ctx.value
    if value is not None and not isinstance(value, (str, dict, list)):
        raise AssertionConfigError(f'"{label}" assertion type must have a string or object value')
    rubric = value if value not in (None, "") else ""
    usage = grader.Usage()
    prompt, out = await _ask_grader_output(
        ctx,
        template_default,
        {**_ctx_vars(ctx), "output": try_parse(_output_string(ctx.output)), "rubric": rubric},
        usage,
    )
    if out is None:
        return _grader_fail("No output", usage)
    # promptfoo's parseJsonGradingResponse: text is searched, an object answer is the verdict itself
    if isinstance(out, str):
        objects = extract_json_objects(out)
        if not objects:
            return _grader_fail(f"Could not extract JSON from {label} response", usage)
    elif isinstance(out, dict):
        objects = [out]
    else:
        return _grader_fail(
            f"{label} produced malformed response - output must be string or object. Output: {json.dumps(out)}",
            usage,
        )
    parsed = objects[0]
    if not isinstance(parsed, dict):
        return _grader_fail(f"{label} produced malformed response. Output: {json.dumps(out)}", usage)
    passed = parsed.get("pass", True)
    if passed is None:
        passed = True
    if not isinstance(passed, bool):
        passed = bool(re.fullmatch(r"true|yes|pass|y", str(passed), re.IGNORECASE))
    score = parsed.get("score")
    if not isinstance(score, (int, float)) or isinstance(score, bool):
        try:
            score = float(score)  # type: ignore[arg-type]
            if score != score or score in (float("inf"), float("-inf")):
                raise ValueError
        except (TypeError, ValueError):
            score = float(passed)
    t = ctx.assertion.get("threshold")
    if isinstance(t, str):
        try:
            t = float(t)
        except ValueError:
            t = None
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        passed = passed and score >= t
    reason = parsed.get("reason") or (
        "Grading passed"
        if passed
        else f"Score {_num(score)} below threshold {js_string(t) if 'threshold' in ctx.assertion else 'undefined'}"
    )
    return _result(bool(passed), float(score), str(reason), usage, renderedGradingPrompt=prompt)


@inverse_aware
async def handle_llm_rubric(ctx: AssertionContext) -> GradingResult:
    res = await llm_rubric_core(ctx, rubrics.LLM_RUBRIC, "llm-rubric")
    if res.metadata.get("graderError") or not ctx.inverse:
        return res
    res.pass_ = not res.pass_
    res.score = min(1.0, max(0.0, 1.0 - res.score))
    return res


# -- closed QA / factuality ---------------------------------------------------------------------------
def _require_prompt(ctx: AssertionContext, name: str) -> None:
    if not ctx.prompt:
        raise AssertionConfigError(f"{name} assertion type must have a prompt")


async def _grade_completion(
    ctx: AssertionContext, name: str, rubric: str, value_key: str
) -> tuple[grader.Usage, str | None]:
    """Ask the grader about the output given the prompt and the string value (as `value_key`)."""
    if not isinstance(ctx.value, str):
        raise AssertionConfigError(f"{name} assertion type must have a string value")
    _require_prompt(ctx, name)
    usage = grader.Usage()
    _prompt, out = await _ask_grader(
        ctx,
        rubric,
        {
            **_ctx_vars(ctx),
            "input": ctx.prompt,
            value_key: ctx.value,
            "completion": try_parse(_output_string(ctx.output)),
        },
        usage,
    )
    return usage, out


@inverse_aware  # promptfoo's handler ignores `not-`
async def handle_closed_qa(ctx: AssertionContext) -> GradingResult:
    usage, out = await _grade_completion(ctx, "model-graded-closedqa", rubrics.CLOSED_QA, "criteria")
    if out is None:
        return _grader_fail("No output", usage)
    tail = out.rstrip()
    passed = tail.endswith("Y")
    if passed:
        reason = f"The submission meets the criterion:\n{out}"
    elif tail.endswith("N"):
        reason = f"The submission does not meet the criterion:\n{out}"
    else:
        reason = f"Model grader produced a malformed response:\n{out}"
    return _result(passed, 1.0 if passed else 0.0, reason, usage)


def factuality_scores(options: dict[str, Any]) -> dict[str, float]:
    f = options.get("factuality") or {}
    return {
        "A": f.get("subset", 1),
        "B": f.get("superset", 1),
        "C": f.get("agree", 1),
        "D": f.get("disagree", 0),
        "E": f.get("differButFactual", 1),
    }


def parse_factuality(text: str) -> tuple[str, str]:
    """(letter, reason) from the JSON answer, else the legacy `(A) ...` form; ValueError if neither."""
    for obj in extract_json_objects(text)[:1]:
        if isinstance(obj, dict) and isinstance(obj.get("category"), str) and obj["category"]:
            option = obj["category"].strip().upper()
            if not re.fullmatch(r"[A-E]", option):
                raise ValueError(f"Invalid category value: {option}")
            reason = (
                str(obj.get("reason") or "").strip() or f"Category {option}: {rubrics.FACTUALITY_CATEGORIES[option]}"
            )
            return option, reason
    m = re.search(r"\s*\(?([a-eA-E])\)", text)
    if not m:
        raise ValueError(f"Factuality checker output did not match expected format: {text}")
    rm = re.search(r"\)\s*(.*)", text, re.DOTALL)
    return m.group(1).upper(), (rm.group(1).strip() if rm and rm.group(1) else text)


@inverse_aware  # promptfoo's handler ignores `not-`
async def handle_factuality(ctx: AssertionContext) -> GradingResult:
    usage, out = await _grade_completion(ctx, "factuality", rubrics.FACTUALITY, "ideal")
    if out is None:
        return _grader_fail("No output", usage)
    try:
        option, reason = parse_factuality(out)
    except ValueError as e:
        return _grader_fail(str(e), usage)
    lookup = factuality_scores(ctx.test.options)
    passed = lookup[option] > 0
    return _result(passed, float(lookup[option]), reason, usage)


# -- g-eval -------------------------------------------------------------------------------------------
async def _geval_one(ctx: AssertionContext, criteria: str, threshold: float, usage: grader.Usage) -> GradingResult:
    if not ctx.prompt:
        raise AssertionConfigError("No source text to estimate reply")
    rp = _rubric_prompt(ctx)
    rp = rp if isinstance(rp, dict) else {}
    spec = _text_spec(ctx)
    steps_prompt = grader.render_rubric(
        grader.load_rubric_prompt(rp.get("steps"), rubrics.GEVAL_STEPS, ctx.base_dir), {"criteria": criteria}
    )
    out = await grader.call_text(spec, steps_prompt, usage)
    if out is None:
        return _grader_fail(
            f"G-Eval step-generation call to {(spec or grader.default_text_spec()).id} returned no output", usage
        )
    m = re.search(r'\{"steps".+\}', out)
    if not m:
        return _grader_fail(f"LLM-proposed evaluation steps are not in JSON format: {out}", usage)
    try:
        steps = json.loads(m.group(0)).get("steps")
    except (ValueError, AttributeError) as e:
        return _grader_fail(f"LLM-proposed evaluation steps are not in JSON format: {e}\n\n{out}", usage)
    if not isinstance(steps, list):
        return _grader_fail(f"G-Eval steps response has invalid or missing steps: {json.dumps(steps)}", usage)
    if not steps:
        return _grader_fail("LLM does not propose any evaluation step", usage)
    if not all(isinstance(s, str) and s.strip() for s in steps):
        return _grader_fail(f"G-Eval steps response contains invalid steps: {json.dumps(steps)}", usage)
    max_score = 10
    eval_prompt = grader.render_rubric(
        grader.load_rubric_prompt(rp.get("evaluate"), rubrics.GEVAL_EVALUATE, ctx.base_dir),
        {
            "criteria": criteria,
            "steps": "\n- ".join(steps),
            "maxScore": str(max_score),
            "input": try_parse(ctx.prompt),
            "output": try_parse(_output_string(ctx.output)),
        },
    )
    out = await grader.call_text(spec, eval_prompt, usage)
    if out is None:
        return _grader_fail(
            f"G-Eval evaluation call to {(spec or grader.default_text_spec()).id} returned no output", usage
        )
    m = re.search(r"\{.+\}", out)
    if not m:
        return _grader_fail(f"LLM-proposed evaluation result is not in JSON format: {out}", usage)
    try:
        result = json.loads(m.group(0))
    except ValueError as e:
        return _grader_fail(f"LLM-proposed evaluation result is not in JSON format: {e}\n\n{out}", usage)
    raw = result.get("score") if isinstance(result, dict) else None
    try:
        score = float(raw) if isinstance(raw, (int, float)) or (isinstance(raw, str) and raw.strip()) else float("nan")
    except ValueError:
        score = float("nan")
    if isinstance(raw, bool) or score != score or score in (float("inf"), float("-inf")):
        return _grader_fail(f"G-Eval result has invalid or missing score: {json.dumps(raw)}", usage)
    if score < 0 or score > max_score:
        return _grader_fail(f"G-Eval result score {_num(score)} is outside the expected 0-{max_score} range", usage)
    reason = result.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return _grader_fail(f"G-Eval result has invalid or missing reason: {json.dumps(reason)}", usage)
    return _result(score / max_score >= threshold, score / max_score, reason, usage)


@inverse_aware
async def handle_g_eval(ctx: AssertionContext) -> GradingResult:
    value = ctx.value
    if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
        raise AssertionConfigError("G-Eval assertion type must have a string or array of strings value")
    threshold = _threshold(ctx, 0.7)
    usage = grader.Usage()
    if isinstance(value, str):
        res = await _geval_one(ctx, value, threshold, usage)
        if res.metadata.get("graderError"):
            return res
        res.pass_ = (res.score >= threshold) != ctx.inverse
        res.score = 1 - res.score if ctx.inverse else res.score
        return res
    if not value:
        return GradingResult(False, 0.0, "G-Eval assertion requires at least one criterion string in the value array.")
    results = []
    for i, criterion in enumerate(value):
        res = await _geval_one(ctx, criterion, threshold, usage)
        if res.metadata.get("graderError"):
            return _grader_fail(
                f"G-Eval criterion {i + 1}/{len(value)} ({json.dumps(criterion)}) failed: {res.reason}", usage
            )
        results.append(res)
    avg = sum(r.score for r in results) / len(results)
    return _result(
        (avg >= threshold) != ctx.inverse,
        1 - avg if ctx.inverse else avg,
        "\n\n".join(r.reason for r in results),
        usage,
    )


# -- similar ------------------------------------------------------------------------------------------
def _similarity_result(sim: float, threshold: float, inverse: bool, metric: str, usage: grader.Usage) -> GradingResult:
    eps = 2.220446049250313e-16
    if metric == "euclidean":
        passed = sim >= threshold - eps if inverse else sim <= threshold + eps
        norm = 1 / (1 + sim)
        below = f"Distance {sim:.2f} is less than or equal to threshold {_num(threshold)}"
        above = f"Distance {sim:.2f} is greater than threshold {_num(threshold)}"
        reason = (above if inverse else below) if passed else (below if inverse else above)
        return _result(passed, 1 - norm if inverse else norm, reason, usage)
    passed = sim <= threshold + eps if inverse else sim >= threshold - eps
    greater = f"Similarity {sim:.2f} is greater than or equal to threshold {_num(threshold)}"
    less = f"Similarity {sim:.2f} is less than threshold {_num(threshold)}"
    reason = (less if inverse else greater) if passed else (greater if inverse else less)
    return _result(passed, 1 - sim if inverse else sim, reason, usage)


async def _similarity(
    ctx: AssertionContext, expected: str, output: str, threshold: float, metric: str
) -> GradingResult:
    usage = grader.Usage()
    a, b = await grader.embed(_embedding_spec(ctx), [expected, output], usage)
    fn = {"cosine": grader.cosine, "dot_product": grader.dot_product, "euclidean": grader.euclidean}[metric]
    return _similarity_result(fn(a, b), threshold, ctx.inverse, metric, usage)


@inverse_aware
async def handle_similar(ctx: AssertionContext) -> GradingResult:
    value = ctx.value
    if not (isinstance(value, (str, list))):
        raise AssertionConfigError("Similarity assertion type must have a string or array of strings value")
    if isinstance(value, list) and not value:
        raise AssertionConfigError("Similarity assertion must have at least one value to compare against")
    threshold = _threshold(ctx, 0.75)
    atype = str(ctx.assertion.get("type", ""))
    metric = "cosine"
    if ":" in atype:
        suffix = atype.split(":")[1]
        metrics = {"cosine": "cosine", "dot": "dot_product", "euclidean": "euclidean"}
        if suffix not in metrics:
            raise AssertionConfigError(f"Unknown similarity metric: {suffix}")
        metric = metrics[suffix]
    out = _output_string(ctx.output)
    if isinstance(value, str):
        return await _similarity(ctx, value, out, threshold, metric)
    if ctx.inverse:
        closest: GradingResult | None = None
        for v in value:
            res = await _similarity(ctx, str(v), out, threshold, metric)
            if not res.pass_:
                return res
            if closest is None or res.score < closest.score:
                closest = res
        assert closest is not None
        return closest
    best = float("-inf")
    for v in value:
        res = await _similarity(ctx, str(v), out, threshold, metric)
        if res.pass_:
            return res
        best = max(best, res.score)
    return GradingResult(False, best, "None of the provided values met the similarity threshold")


# -- RAG checks ---------------------------------------------------------------------------------------
def _resolve_context(ctx: AssertionContext, fallback: str | None) -> str | list[str]:
    """promptfoo's resolveContext: vars.context, else the fallback, then `contextTransform`."""
    value: Any = None
    raw = (ctx.vars or {}).get("context")
    if raw:
        if isinstance(raw, str):
            value = raw
        elif isinstance(raw, list):
            for i, v in enumerate(raw):
                if not isinstance(v, str):
                    raise AssertionConfigError(
                        f"Invalid context: expected an array of strings, but found {type(v).__name__} at index {i}"
                    )
            value = raw
    elif fallback:
        value = fallback
    code = ctx.assertion.get("contextTransform")
    if code:
        tctx: dict[str, Any] = {"vars": ctx.vars, "prompt": {"label": ctx.prompt}}
        if ctx.response.metadata:
            tctx["metadata"] = ctx.response.metadata
        try:
            value = apply_transform(code, ctx.output, tctx, ctx.base_dir, ctx.config)
        except ScriptError as e:
            raise AssertionConfigError(f"Failed to transform context using expression '{code}': {e}") from e
        if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
            raise AssertionConfigError(
                f"Failed to transform context using expression '{code}': contextTransform must return a string or array of strings."
            )
    ok = (isinstance(value, str) and value) or (isinstance(value, list) and value and all(value))
    if not ok:
        raise AssertionConfigError(
            'Context is required for context-based assertions. Provide either a "context" variable (string or '
            'array of strings) in your test case or use "contextTransform" to extract context from the provider response.'
        )
    return value


def _serialize(context: str | list[str]) -> str:
    return "\n\n".join(context) if isinstance(context, list) else context


def _lines(text: str) -> list[str]:
    return [s for s in text.split("\n") if s.strip()]


def _query(ctx: AssertionContext, name: str) -> str:
    q = (ctx.vars or {}).get("query")
    if not isinstance(q, str):
        raise AssertionConfigError(f'{name} assertion requires a "query" variable with the user question')
    return q


@inverse_aware  # promptfoo's handler ignores `not-`
async def handle_context_recall(ctx: AssertionContext) -> GradingResult:
    if not isinstance(ctx.value, str):
        raise AssertionConfigError(
            "context-recall assertion requires a string value (expected answer or fact to verify)"
        )
    _require_prompt(ctx, "context-recall")
    context = _resolve_context(ctx, ctx.prompt)
    threshold = _threshold(ctx, 0)
    usage = grader.Usage()
    _prompt, out = await _ask_grader(
        ctx, rubrics.CONTEXT_RECALL, {**_ctx_vars(ctx), "context": _serialize(context), "groundTruth": ctx.value}, usage
    )
    if out is None:
        return _grader_fail("No output", usage)
    att, nat = rubrics.CONTEXT_RECALL_ATTRIBUTED.lower(), rubrics.CONTEXT_RECALL_NOT_ATTRIBUTED.lower()
    sentences = [s for s in _lines(out) if att in s.lower() or nat in s.lower()]
    attributed = sum(1 for s in sentences if nat not in s.lower() and att in s.lower())
    score = attributed / len(sentences) if sentences else 0.0
    passed = score >= threshold - 2.220446049250313e-16
    reason = f"Recall {score:.2f} is {'>=' if passed else '<'} {_num(threshold)}"
    return _result(
        passed, score, reason, usage, context=context, totalSentences=len(sentences), attributedSentences=attributed
    )


def _sentences(text: str) -> list[str]:
    """A plain sentence splitter (promptfoo's splitTextIntoSentences: on . ! ? followed by space)."""
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return [p.strip() for p in parts if p.strip()]


@inverse_aware  # promptfoo's handler ignores `not-`
async def handle_context_relevance(ctx: AssertionContext) -> GradingResult:
    query = _query(ctx, "context-relevance")
    context = _resolve_context(ctx, None)
    threshold = _threshold(ctx, 0)
    usage = grader.Usage()
    _prompt, out = await _ask_grader(
        ctx, rubrics.CONTEXT_RELEVANCE, {"context": _serialize(context), "query": query}, usage
    )
    if out is None:
        return _grader_fail("No output", usage)
    presegmented = isinstance(context, list) or len(_lines(context)) > 1
    units = [c for c in context if c.strip()] if isinstance(context, list) else _sentences(context)
    insufficient = rubrics.CONTEXT_RELEVANCE_BAD in out
    relevant = [] if insufficient else list(dict.fromkeys(_lines(out) if presegmented else _sentences(out)))
    numerator = min(len(relevant), len(units))
    score = numerator / len(units) if units else 0.0
    passed = score >= threshold - 2.220446049250313e-16
    reason = f"Context relevance {score:.2f} is {'>=' if passed else '<'} {_num(threshold)}"
    return _result(passed, score, reason, usage, context=context, relevantSentenceCount=numerator)


def faithfulness_score(verdict_text: str, n_statements: int) -> float:
    """promptfoo's verdict parsing: the final-verdict line if present, else `verdict: no/yes` counts."""
    final = "final verdict for each statement in order:"
    verdicts = verdict_text.lower().strip()
    score = 0.0
    if n_statements > 0:
        if final in verdicts:
            verdicts = verdicts[verdicts.index(final) + len(final) :]
            parsed = [a for a in verdicts.split(".") if a.strip()]
            if parsed:
                bad = sum(1 for a in parsed if "yes" not in a) + max(0, n_statements - len(parsed))
                score = 1 - bad / n_statements
        else:
            no = verdicts.count("verdict: no")
            yes = verdicts.count("verdict: yes")
            if no + yes > 0:
                score = 1 - (no + max(0, n_statements - no - yes)) / n_statements
    return min(1.0, max(0.0, score))


@inverse_aware  # promptfoo's handler ignores `not-`
async def handle_context_faithfulness(ctx: AssertionContext) -> GradingResult:
    query = _query(ctx, "context-faithfulness")
    if not isinstance(ctx.output, str):
        raise AssertionConfigError("context-faithfulness assertion requires string output from the provider")
    context = _resolve_context(ctx, None)
    threshold = _threshold(ctx, 0)
    rp = _rubric_prompt(ctx)
    if rp and not isinstance(rp, list):
        raise AssertionConfigError("rubricPrompt must be an array")
    rp = rp or []

    def part(i: int) -> Any:
        if len(rp) <= i:
            return None
        return rp[i] if isinstance(rp[i], str) else (rp[i] or {}).get("content")

    usage = grader.Usage()
    spec = _text_spec(ctx)
    longform = grader.load_rubric_prompt(part(0), rubrics.CONTEXT_FAITHFULNESS_LONGFORM, ctx.base_dir)
    prompt = grader.render_rubric(longform, {**_ctx_vars(ctx), "question": query, "answer": try_parse(ctx.output)})
    out = await grader.call_text(spec, prompt, usage)
    if out is None:
        return _grader_fail("No output", usage)
    statements = _lines(out)
    nli = grader.load_rubric_prompt(part(1), rubrics.CONTEXT_FAITHFULNESS_NLI, ctx.base_dir)
    prompt = grader.render_rubric(nli, {**_ctx_vars(ctx), "context": _serialize(context), "statements": statements})
    out = await grader.call_text(spec, prompt, usage)
    if out is None:
        return _grader_fail("No output", usage)
    score = faithfulness_score(out, len(statements))
    passed = score >= threshold - 2.220446049250313e-16
    reason = f"Faithfulness {score:.2f} is {'>=' if passed else '<'} {_num(threshold)}"
    return _result(passed, score, reason, usage, context=context)


@inverse_aware  # promptfoo's handler ignores `not-`
async def handle_answer_relevance(ctx: AssertionContext) -> GradingResult:
    if not isinstance(ctx.output, str):
        raise AssertionConfigError("answer-relevance assertion type must evaluate a string output")
    _require_prompt(ctx, "answer-relevance")
    q = (ctx.vars or {}).get("query")
    question = q if isinstance(q, str) else ctx.prompt
    threshold = _threshold(ctx, 0)
    usage = grader.Usage()
    template = grader.load_rubric_prompt(_rubric_prompt(ctx), rubrics.ANSWER_RELEVANCY_GENERATE, ctx.base_dir)
    prompt = grader.render_rubric(template, {"answer": try_parse(ctx.output)})
    spec = _text_spec(ctx)
    candidates = []
    for _ in range(3):
        out = await grader.call_text(spec, prompt, usage)
        if out is None:
            return _grader_fail("No output", usage)
        candidates.append(out)
    vectors = await grader.embed(_embedding_spec(ctx), [question, *candidates], usage)
    sims = [grader.cosine(vectors[0], v) for v in vectors[1:]]
    sim = sum(sims) / len(sims)
    passed = sim >= threshold - 2.220446049250313e-16
    reason = f"Relevance {sim:.2f} is {'greater' if passed else 'less'} than threshold {_num(threshold)}"
    return _result(
        passed,
        sim,
        reason,
        usage,
        generatedQuestions=[{"question": c, "similarity": s} for c, s in zip(candidates, sims, strict=True)],
    )


# -- remote-only types ----------------------------------------------------------------------------------
def handle_moderation(ctx: AssertionContext) -> GradingResult:
    raise AssertionConfigError(
        "moderation needs a remote moderation API (OpenAI moderation or Llama Guard on Replicate), which "
        "workbench does not call; use a guardrails provider and the `guardrails` assertion, or an "
        "llm-rubric with a configured grader (`--grader` or options.provider)"
    )


def handle_classifier(ctx: AssertionContext) -> GradingResult:
    raise AssertionConfigError(
        "classifier needs a HuggingFace text-classification model (`provider: huggingface:text-classification:"
        "<model>`), which workbench does not download; use llm-rubric or a python assertion with a local classifier"
    )


# -- select-best (cross-output) ---------------------------------------------------------------------------
async def grade_select_best(
    outputs: list[Any],
    assertion: dict[str, Any],
    *,
    criteria: str,
    test_options: dict[str, Any],
    vars: dict[str, Any],
    cli_grader: str | None,
    base_dir: Any = None,
) -> list[GradingResult]:
    """promptfoo's matchesSelectBest: one grader call picks the index of the best output."""
    if len(outputs) < 2:
        raise AssertionConfigError("select-best assertion must have at least two outputs to compare between")
    usage = grader.Usage()
    spec = grader.pick(grader.grader_option(assertion, test_options, cli_grader), "text")
    rp = assertion.get("rubricPrompt") or test_options.get("rubricPrompt")
    template = grader.load_rubric_prompt(rp, rubrics.SELECT_BEST, base_dir)
    prompt = grader.render_rubric(
        template, {**vars, "criteria": criteria, "outputs": [try_parse(_output_string(o)) for o in outputs]}
    )
    out = await grader.call_text(spec, prompt, usage)
    if out is None:
        return [_with(_grader_fail("No output", usage), assertion) for _ in outputs]
    m = re.search(r"\d", out.strip())
    verdict = int(m.group(0)) if m else -1
    if verdict < 0 or verdict >= len(outputs):
        shown = "NaN" if not m else str(verdict)
        return [_with(_grader_fail(f"Invalid select-best verdict: {shown}", usage), assertion) for _ in outputs]
    return [
        _with(
            _result(True, 1.0, f"Output selected as the best: {criteria}", usage)
            if i == verdict
            else _result(False, 0.0, f"Output not selected: {criteria}", usage),
            assertion,
        )
        for i in range(len(outputs))
    ]


def _with(res: GradingResult, assertion: dict[str, Any]) -> GradingResult:
    res.assertion = assertion
    return res


TABLE = {
    "llm-rubric": handle_llm_rubric,
    "model-graded-closedqa": handle_closed_qa,
    "factuality": handle_factuality,
    "model-graded-factuality": handle_factuality,
    "answer-relevance": handle_answer_relevance,
    "context-faithfulness": handle_context_faithfulness,
    "context-recall": handle_context_recall,
    "context-relevance": handle_context_relevance,
    "g-eval": handle_g_eval,
    "similar": handle_similar,
    "similar:cosine": handle_similar,
    "similar:dot": handle_similar,
    "similar:euclidean": handle_similar,
    "moderation": handle_moderation,
    "classifier": handle_classifier,
}
