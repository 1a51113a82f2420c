"""The built-in assertion types (promptfoo's, without `not-`) and the registry lookup.

`register_assertions` is the built-ins' hook: the same one an outside plugin defines. Each type's
facts (model-graded, guardrail, cross-output, needs code) sit next to its handler. Handlers take
an AssertionContext and return a GradingResult (or an awaitable); handlers marked with
`base.inverse_aware` apply `not-` themselves, for any other scoring.py flips pass and reports
`1 - score`.
"""

from __future__ import annotations

from typing import Any

import workbench.plugins as plugins
from workbench.assertions import jsonish, meta, model_graded, similarity, strings, structured
from workbench.assertions import user_code as scripts
from workbench.assertions.assertion_registry import AssertionRegistry, AssertionType
from workbench.assertions.handler import Handler

HANDLERS: dict[str, Handler] = {
    "equals": strings.handle_equals,
    "contains": strings.handle_contains,
    "icontains": strings.handle_icontains,
    "contains-any": strings.handle_contains_any,
    "contains-all": strings.handle_contains_all,
    "icontains-any": strings.handle_icontains_any,
    "icontains-all": strings.handle_icontains_all,
    "starts-with": strings.handle_starts_with,
    "regex": strings.handle_regex,
    "levenshtein": strings.handle_levenshtein,
    "word-count": strings.handle_word_count,
    "is-refusal": strings.handle_is_refusal,
    "is-json": jsonish.handle_is_json,
    "contains-json": jsonish.handle_contains_json,
    "is-xml": structured.handle_is_xml,
    "contains-xml": structured.handle_contains_xml,
    "is-html": structured.handle_is_html,
    "contains-html": structured.handle_contains_html,
    "is-sql": structured.handle_is_sql,
    "contains-sql": structured.handle_contains_sql,
    "rouge-n": similarity.handle_rouge_n,
    "bleu": similarity.handle_bleu,
    "gleu": similarity.handle_gleu,
    "meteor": similarity.handle_meteor,
    "javascript": scripts.handle_javascript,
    "python": scripts.handle_python,
    "cost": meta.handle_cost,
    "latency": meta.handle_latency,
    "finish-reason": meta.handle_finish_reason,
    "perplexity": meta.handle_perplexity,
    "perplexity-score": meta.handle_perplexity_score,
    "is-valid-openai-tools-call": meta.handle_is_valid_openai_tools_call,
    "tool-call-f1": meta.handle_tool_call_f1,
    "guardrails": meta.handle_guardrails,
    "webhook": meta.handle_webhook,
    "human": meta.handle_human,
    **model_graded.TABLE,  # llm-rubric, factuality, similar, ...
}
MODEL_GRADED = {*model_graded.TABLE, "select-best"}
GUARDRAIL = {"guardrails", "moderation"}
NEEDS_CODE = {"javascript", "python"}
CROSS_OUTPUT = ("select-best", "max-score")  # graded in cross_output.py, after every output of a test


def register_assertions(registry: AssertionRegistry) -> None:
    for name, handler in HANDLERS.items():
        registry.add(
            AssertionType(
                name,
                handler,
                model_graded=name in MODEL_GRADED,
                guardrail=name in GUARDRAIL,
                needs_code=name in NEEDS_CODE,
                handles_inverse=bool(getattr(handler, "handles_inverse", False)),
            )
        )
    for name in CROSS_OUTPUT:
        registry.add(AssertionType(name, None, model_graded=name in MODEL_GRADED, cross_output=True))


assertion_types = plugins.RegistryLoader("register_assertions", AssertionRegistry, [register_assertions])
"""`assertion_types()`: the registry, filled on first use: built-ins, then outside plugins (`workbench.plugins`)."""


def lookup(name: str) -> AssertionType | None:
    """The type for a name without `not-` (None when unknown)."""
    return assertion_types().get(name)


def base_type(assertion: dict[str, Any] | None) -> AssertionType | None:
    """The registered type of an assertion dict (`not-` stripped), None when unknown or missing."""
    atype = str((assertion or {}).get("type") or "")
    return lookup(atype[4:] if atype.startswith("not-") else atype)


def is_guardrail(assertion: dict[str, Any] | None) -> bool:
    """A guardrail assertion: its metric starts with `guardrail` or its type is a guardrail type."""
    if not assertion:
        return False
    if str(assertion.get("metric") or "").startswith("guardrail"):
        return True
    t = base_type(assertion)
    return t is not None and t.guardrail
