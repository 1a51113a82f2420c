"""The one dispatch table: promptfoo assertion type (without `not-`) -> handler.

Handlers take an AssertionContext and return a GradingResult (or an awaitable). Handlers marked
with `scoring.inverse_aware` apply `not-` themselves (promptfoo's rules differ per type); for
any other handler scoring.py flips pass and reports `1 - score`. Model-graded types register
here too (`workbench/assertions/model_graded.py`).
"""

from __future__ import annotations

from workbench.assertions import jsonish, meta, model_graded, similarity, strings, structured
from workbench.assertions import user_code as scripts
from workbench.assertions.base import Handler

TABLE: dict[str, Handler] = {
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
}
TABLE.update(model_graded.TABLE)  # llm-rubric, factuality, similar, ... (select-best: engine)
