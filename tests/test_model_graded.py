"""Model-graded assertions against a scripted fake grader (registered like any provider plugin).

Each `scripted:<name>` provider answers from a queue of replies and records the prompts it got,
so parsing, thresholds, `not-` and grader resolution are checked exactly, with no model.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from workbench.assertions.model_graded import grade_select_best
from workbench.assertions.scoring import grade_test
from workbench.errors import AssertionConfigError
from workbench.providers.base import ProviderFactory
from workbench.providers.resolution import register
from workbench.types import GradeConfig, ProviderRequest, ProviderResponse, ProviderSpec, TestCase


class Scripted:
    """A grader with a queue of replies; `error:` replies are transport errors; embeds by lookup."""

    replies: dict[str, deque[Any]] = {}
    prompts: dict[str, list[list[dict[str, Any]]]] = {}
    vectors: dict[str, list[float]] = {}

    def __init__(self, spec: ProviderSpec, base: Path) -> None:
        self.spec = spec
        self.name = spec.id.split(":", 1)[1]

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        self.prompts.setdefault(self.name, []).append(request.messages)
        reply = self.replies[self.name].popleft()
        if isinstance(reply, str) and reply.startswith("error:"):
            return ProviderResponse(error=reply[6:])
        return ProviderResponse(output=reply, tokens_in=10, tokens_out=5, cost=0.001)

    async def embed(self, texts: list[str]) -> tuple[list[list[float]], ProviderResponse]:
        return [self.vectors[t] for t in texts], ProviderResponse(tokens_in=len(texts), tokens_out=0, cost=0.0)


register(ProviderFactory("scripted", lambda pid: pid.startswith("scripted:"), lambda s, b: Scripted(s, b)))


def script(name: str, *replies: Any) -> str:
    Scripted.replies[name] = deque(replies)
    Scripted.prompts[name] = []
    return f"scripted:{name}"


def grade(asserts: list[dict[str, Any]], output: Any = "Paris is the capital.", *, options: Any = None,
          vars: dict[str, Any] | None = None, grader: str | None = None, threshold: float | None = None):  # fmt: skip
    test = TestCase(index=0, vars=vars or {}, asserts=asserts, options=options or {}, threshold=threshold)
    return asyncio.run(
        grade_test(
            test,
            output,
            prompt="What is the capital of France?",
            vars=vars or {},
            response=ProviderResponse(output=output),
            provider=ProviderSpec("echo"),
            base_dir=Path("."),
            config=GradeConfig(grader=grader),
        )
    )


# -- llm-rubric ------------------------------------------------------------------------------------
def test_llm_rubric_parses_json_and_records_tokens_and_cost() -> None:
    g = script("r1", 'Sure. {"reason": "names Paris", "pass": true, "score": 0.9} trailing')
    res = grade([{"type": "llm-rubric", "value": "Names the capital", "provider": g}])
    c = res.component_results[0]
    assert (c.pass_, c.score, c.reason) == (True, 0.9, "names Paris")
    assert c.tokens_used == {"total": 15, "prompt": 10, "completion": 5, "cached": 0, "numRequests": 1}
    assert c.cost == pytest.approx(0.001)
    sent = Scripted.prompts["r1"][0]
    assert [m["role"] for m in sent] == ["system", "user"]
    assert sent[1]["content"] == "<Output>\nParis is the capital.\n</Output>\n<Rubric>\nNames the capital\n</Rubric>"


@pytest.mark.parametrize(
    ("reply", "threshold", "expected"),
    [
        ('{"pass": true, "score": 0.4}', 0.5, (False, 0.4, "Score 0.4 below threshold 0.5")),
        ('{"pass": true, "score": 0.6}', 0.5, (True, 0.6, "Grading passed")),
        ('{"pass": "yes"}', None, (True, 1.0, "Grading passed")),
        ('{"pass": "nope", "reason": "r"}', None, (False, 0.0, "r")),
        ('{"score": "0.3", "reason": "r"}', None, (True, 0.3, "r")),
        ("no json here", None, (False, 0.0, "Could not extract JSON from llm-rubric response")),
        # the answer is found as promptfoo finds it (extractJsonObjects, as contains-json): YAML
        # flow mappings, comments and trailing commas pass; a `}` inside a string ends the count
        ("Verdict: {pass: false, score: 0.25, reason: short}", None, (False, 0.25, "short")),
        ('{"pass": false, // because\n "score": 0.1, "reason": "r",}', None, (False, 0.1, "r")),
        ('{"pass": true, "reason": "smile :}"}', None, (False, 0.0, "Could not extract JSON from llm-rubric response")),
        ('{"pass": false, "pass": true, "reason": "last key wins"}', None, (True, 1.0, "last key wins")),
        ('{"pass": false, "score": 0.3', None, (False, 0.3, "Score 0.3 below threshold undefined")),
    ],
)
def test_llm_rubric_score_parsing_and_threshold(reply: str, threshold: float | None, expected: tuple) -> None:
    a: dict[str, Any] = {"type": "llm-rubric", "value": "x", "provider": script("r2", reply)}
    if threshold is not None:
        a["threshold"] = threshold
    c = grade([a]).component_results[0]
    assert (c.pass_, c.score, c.reason) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # an object answer (a custom grader provider) is the verdict itself, as in promptfoo's
        # parseJsonGradingResponse: not re-serialized and searched (a `}` in the reason broke that)
        ({"pass": False, "score": 0.2, "reason": "a } in it"}, (False, 0.2, "a } in it")),
        (
            [{"pass": True}],
            (
                False,
                0.0,
                'llm-rubric produced malformed response - output must be string or object. Output: [{"pass": true}]',
            ),
        ),
        (0, (False, 0.0, "No output")),  # promptfoo's `!resp.output`
    ],
)
def test_llm_rubric_object_answers(reply: Any, expected: tuple) -> None:
    c = grade([{"type": "llm-rubric", "value": "x", "provider": script("r-obj", reply)}]).component_results[0]
    assert (c.pass_, c.score, c.reason) == expected


def test_not_llm_rubric_inverts_but_not_grader_errors() -> None:
    c = grade([{"type": "not-llm-rubric", "value": "x", "provider": script("r3", '{"pass": true, "score": 0.8}')}])
    assert (c.component_results[0].pass_, c.component_results[0].score) == (False, pytest.approx(0.2))
    c = grade([{"type": "not-llm-rubric", "value": "x", "provider": script("r4", "garbage")}])
    assert (c.component_results[0].pass_, c.component_results[0].score) == (False, 0.0)


def test_grader_transport_error_is_an_error_row_with_reason() -> None:
    with pytest.raises(AssertionConfigError, match="grader scripted:r5 failed: connection refused"):
        grade([{"type": "llm-rubric", "value": "x", "provider": script("r5", "error:connection refused")}])


def test_unknown_grader_id_is_an_error_row() -> None:
    with pytest.raises(AssertionConfigError, match="grader 'nosuch:model' cannot be used"):
        grade([{"type": "llm-rubric", "value": "x", "provider": "nosuch:model"}])


def test_grader_resolution_order() -> None:
    a, t, cli = script("ga", '{"pass": true}'), script("gt", '{"pass": true}'), script("gc", '{"pass": true}')
    grade([{"type": "llm-rubric", "value": "x", "provider": a}], options={"provider": t}, grader=cli)
    grade([{"type": "llm-rubric", "value": "x"}], options={"provider": {"id": t}}, grader=cli)
    grade([{"type": "llm-rubric", "value": "x"}], grader=cli)
    assert [len(Scripted.prompts[n]) for n in ("ga", "gt", "gc")] == [1, 1, 1]


def test_custom_rubric_prompt_renders_vars() -> None:
    g = script("r6", '{"pass": true}')
    grade(
        [
            {
                "type": "llm-rubric",
                "value": "polite",
                "provider": g,
                "rubricPrompt": "Judge {{output}} for {{rubric}} ({{topic}})",
            }
        ],
        vars={"topic": "geo"},
    )
    assert Scripted.prompts["r6"][0] == [{"role": "user", "content": "Judge Paris is the capital. for polite (geo)"}]


# -- closed QA, factuality --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "ok", "start"),
    [
        ("It names Paris.\nY\nY", True, "The submission meets the criterion:"),
        ("Wrong.\nN\nN  ", False, "The submission does not meet the criterion:"),
        ("I cannot decide", False, "Model grader produced a malformed response:"),
    ],
)
def test_closedqa(reply: str, ok: bool, start: str) -> None:
    c = grade([{"type": "model-graded-closedqa", "value": "names Paris", "provider": script("q", reply)}])
    r = c.component_results[0]
    assert (r.pass_, r.score) == (ok, 1.0 if ok else 0.0) and r.reason.startswith(start)
    assert "[Task]: What is the capital of France?" in Scripted.prompts["q"][0][0]["content"]


def test_not_closedqa_is_not_inverted_like_promptfoo() -> None:
    r = grade([{"type": "not-model-graded-closedqa", "value": "v", "provider": script("q2", "Y")}]).component_results[0]
    assert (r.pass_, r.score) == (True, 1.0)


@pytest.mark.parametrize(
    ("reply", "ok", "score", "reason"),
    [
        ('{"category": "A", "reason": "subset"}', True, 1, "subset"),
        (
            '{"category": "d", "reason": ""}',
            False,
            0,
            "Category D: There is a disagreement between the submitted answer and the expert answer.",
        ),
        ("(C) same details", True, 1, "same details"),
        ('{"category": "Z"}', False, 0, "Invalid category value: Z"),
        ("no idea", False, 0, "Factuality checker output did not match expected format: no idea"),
    ],
)
def test_factuality(reply: str, ok: bool, score: float, reason: str) -> None:
    r = grade([{"type": "factuality", "value": "Paris", "provider": script("f", reply)}]).component_results[0]
    assert (r.pass_, r.score, r.reason) == (ok, score, reason)


def test_factuality_custom_scores() -> None:
    opts = {"factuality": {"subset": 0, "superset": 0.5}}
    r = grade([{"type": "factuality", "value": "P", "provider": script("f2", '{"category":"A"}')}], options=opts)
    assert (r.component_results[0].pass_, r.component_results[0].score) == (False, 0)
    r = grade([{"type": "factuality", "value": "P", "provider": script("f3", '{"category":"B"}')}], options=opts)
    assert (r.component_results[0].pass_, r.component_results[0].score) == (True, 0.5)


# -- g-eval -----------------------------------------------------------------------------------------
def test_g_eval_steps_then_score_over_ten() -> None:
    g = script("ge", '{"steps": ["a", "b"]}', '{"score": 8, "reason": "good"}')
    r = grade([{"type": "g-eval", "value": "coherent", "provider": g}]).component_results[0]
    assert (r.pass_, r.score, r.reason) == (True, 0.8, "good")
    assert r.tokens_used["numRequests"] == 2
    assert "- a\n- b" in Scripted.prompts["ge"][1][0]["content"]


def test_g_eval_default_threshold_and_not() -> None:
    g = script("ge2", '{"steps": ["a"]}', '{"score": 6, "reason": "meh"}')
    r = grade([{"type": "g-eval", "value": "c", "provider": g}]).component_results[0]
    assert (r.pass_, r.score) == (False, 0.6)  # default threshold 0.7
    g = script("ge3", '{"steps": ["a"]}', '{"score": 6, "reason": "meh"}')
    r = grade([{"type": "not-g-eval", "value": "c", "provider": g}]).component_results[0]
    assert (r.pass_, r.score) == (True, pytest.approx(0.4))


def test_g_eval_bad_steps_fail_without_inversion() -> None:
    r = grade([{"type": "not-g-eval", "value": "c", "provider": script("ge4", "no steps")}]).component_results[0]
    assert (r.pass_, r.score) == (False, 0.0)
    assert r.reason.startswith("LLM-proposed evaluation steps are not in JSON format")


# -- similar ----------------------------------------------------------------------------------------
def test_similar_cosine_threshold_and_not() -> None:
    Scripted.vectors = {"Paris": [1.0, 0.0], "Paris is the capital.": [0.8, 0.6], "dog": [0.0, 1.0]}
    emb = {"embedding": "scripted:emb"}
    r = grade([{"type": "similar", "value": "Paris", "provider": emb}]).component_results[0]
    assert (r.pass_, r.score) == (True, pytest.approx(0.8))  # default threshold 0.75
    assert r.reason == "Similarity 0.80 is greater than or equal to threshold 0.75"
    r = grade([{"type": "similar", "value": "Paris", "threshold": 0.9, "provider": emb}]).component_results[0]
    assert (r.pass_, r.reason) == (False, "Similarity 0.80 is less than threshold 0.9")
    r = grade([{"type": "not-similar", "value": "dog", "provider": emb}]).component_results[0]
    assert (r.pass_, r.score) == (True, pytest.approx(0.4))
    r = grade([{"type": "similar", "value": ["dog", "Paris"], "provider": emb}]).component_results[0]
    assert r.pass_


# -- RAG --------------------------------------------------------------------------------------------
def test_context_recall_counts_attributed_lines() -> None:
    g = script("cr", "1. a [Attributed]\n2. b [Not Attributed]\n3. c [Attributed]\nnoise")
    r = grade([{"type": "context-recall", "value": "truth", "threshold": 0.6, "provider": g}], vars={"context": "ctx"})
    c = r.component_results[0]
    assert (c.pass_, c.score, c.reason) == (True, pytest.approx(2 / 3), "Recall 0.67 is >= 0.6")


def test_context_relevance_and_faithfulness() -> None:
    vars = {"query": "q?", "context": "One. Two. Three. Four."}
    r = grade([{"type": "context-relevance", "provider": script("cl", "One.\nThree.")}], vars=vars).component_results[0]
    assert r.score == pytest.approx(0.5)
    g = script("cf", "s1\ns2\ns3\ns4", "... Final verdict for each statement in order: Yes. No. Yes. Yes.")
    r = grade([{"type": "context-faithfulness", "threshold": 0.8, "provider": g}], vars=vars).component_results[0]
    assert (r.pass_, r.score) == (False, pytest.approx(0.75))


def test_context_required() -> None:
    with pytest.raises(AssertionConfigError, match="Context is required"):
        grade([{"type": "context-relevance", "provider": script("cx", "x")}], vars={"query": "q"})


def test_answer_relevance_generates_three_questions() -> None:
    Scripted.vectors = {"What is the capital of France?": [1.0, 0.0], "Q1": [1.0, 0.0], "Q2": [0.0, 1.0]}
    g = script("ar", "Q1", "Q1", "Q2")
    r = grade([{"type": "answer-relevance", "threshold": 0.5, "provider": {"text": g, "embedding": "scripted:e"}}])
    c = r.component_results[0]
    assert (c.pass_, c.score) == (True, pytest.approx(2 / 3))
    assert c.tokens_used["numRequests"] == 4


# -- remote-only types, select-best ----------------------------------------------------------------------
@pytest.mark.parametrize(("atype", "needle"), [("moderation", "moderation API"), ("classifier", "text-classification")])
def test_remote_only_types_explain_what_to_configure(atype: str, needle: str) -> None:
    with pytest.raises(AssertionConfigError, match=needle):
        grade([{"type": atype}])


def test_select_best_picks_the_index() -> None:
    g = script("sb", "The best is 1")
    res = asyncio.run(
        grade_select_best(
            ["a", "b", "c"],
            {"type": "select-best", "provider": g},
            criteria="funny",
            test_options={},
            vars={},
            cli_grader=None,
        )
    )
    assert [(r.pass_, r.score) for r in res] == [(False, 0.0), (True, 1.0), (False, 0.0)]
    assert res[1].reason == "Output selected as the best: funny"
    assert '<Text index="2">\nc\n</Text>' in json.loads(json.dumps(Scripted.prompts["sb"][0]))[0]["content"]
    res = asyncio.run(
        grade_select_best(
            ["a", "b"],
            {"type": "select-best", "provider": script("sb2", "7")},
            criteria="x",
            test_options={},
            vars={},
            cli_grader=None,
        )
    )
    assert all(not r.pass_ and r.reason == "Invalid select-best verdict: 7" for r in res)
