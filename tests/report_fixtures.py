"""Build real result databases for the report tests (and the writer benchmark) with RunWriter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.store.db import open_db
from workbench.store.writer import RunWriter
from workbench.types import (
    Cell,
    CellResult,
    GradingResult,
    Prompt,
    ProviderResponse,
    ProviderSpec,
    Suite,
    TestCase,
)


def grade(asserts: list[dict[str, Any]], passes: list[bool]) -> GradingResult:
    """A row GradingResult with one component per assertion (pass/fail given in order)."""
    comps = [
        GradingResult(
            pass_=p, score=1.0 if p else 0.0, reason="Assertion passed" if p else f"{a['type']} failed", assertion=a
        )
        for a, p in zip(asserts, passes, strict=True)
    ]
    ok = all(passes)
    return GradingResult(
        pass_=ok,
        score=sum(c.score for c in comps) / len(comps) if comps else 1.0,
        reason="All assertions passed" if ok else comps[[c.pass_ for c in comps].index(False)].reason,
        component_results=comps,
    )


def make_run(
    db: Database,
    suite: Suite,
    results: list[CellResult],
    *,
    status: str = "completed",
    config: dict[str, Any] | None = None,
) -> int:
    writer = RunWriter.create(db, suite, config=config or {}, cells_planned=len(results), version="test")
    pv = {
        r[0]: r[1]
        for r in db.execute("select prompt_idx, prompt_version_id from run_prompts where run_id = ?", [writer.run_id])
    }
    for i in range(0, len(results), 500):
        writer.write_results(results[i : i + 500], suite.providers, pv)
    writer.finish(status)
    return writer.run_id


def bench_db(path: Path, n_tests: int, n_prompts: int = 2) -> tuple[Database, int]:
    """A run shaped like the engine benchmark: tests x prompts on echo, 5 assertions each."""
    db = open_db(path)
    prompts = [
        Prompt(raw=f"Prompt {p}: summarize {{{{text}}}}", label=f"p{p}", sha256=f"sha{p}") for p in range(n_prompts)
    ]
    asserts = [
        {"type": "contains", "value": "summarize"},
        {"type": "icontains", "value": "PROMPT"},
        {"type": "not-contains", "value": "zzz", "metric": "guardrail/pii"},
        {"type": "regex", "value": "\\d+"},
        {"type": "word-count", "value": {"min": 2, "max": 50}},
    ]
    tests = [
        TestCase(index=i, vars={"text": f"ticket number {i} about a refund"}, asserts=asserts, description=f"case {i}")
        for i in range(n_tests)
    ]
    suite = Suite(path=None, description="bench", prompts=prompts, providers=[ProviderSpec(id="echo")], tests=tests)
    writer = RunWriter.create(db, suite, config={}, cells_planned=n_tests * n_prompts, version="bench")
    pv = {
        r[0]: r[1]
        for r in db.execute("select prompt_idx, prompt_version_id from run_prompts where run_id = ?", [writer.run_id])
    }
    batch: list[CellResult] = []
    for t in tests:
        for p in range(n_prompts):
            text = f"Prompt {p}: summarize {t.vars['text']}"
            passes = [True, True, True, True, (t.index + p) % 7 != 0]
            g = grade(asserts, passes)
            batch.append(
                CellResult(
                    cell=Cell(prompt_idx=p, provider_idx=0, test_idx=t.index),
                    prompt_text=text,
                    response=ProviderResponse(
                        output=text, tokens_in=12, tokens_out=12, token_source="tiktoken", cost=0.0, latency_ms=0.2
                    ),
                    success=g.pass_,
                    score=g.score,
                    error=None,
                    grading=g,
                )
            )
            if len(batch) >= 1000:
                writer.write_results(batch, suite.providers, pv)
                batch = []
    writer.write_results(batch, suite.providers, pv)
    writer.finish("completed")
    return db, writer.run_id


SET_ASSERTS: list[dict[str, Any]] = [
    {"type": "contains", "value": "{{order}}", "metric": "quality"},
    {
        "type": "assert-set",
        "threshold": 0.5,
        "assert": [{"type": "icontains", "value": "refund"}, {"type": "contains", "value": "mars"}],
    },
    {"type": "not-regex", "value": "\\S+@\\S+", "metric": "guardrail/pii"},
]


def set_grading(order: str, refund: bool, pii: bool) -> GradingResult:
    """Components in the shape the assertions engine produces (assert-set with children)."""
    first = GradingResult(True, 1.0, "Assertion passed", assertion={**SET_ASSERTS[0], "value": order})
    kids = [
        GradingResult(
            refund,
            1.0 if refund else 0.0,
            "Assertion passed" if refund else 'Expected output to contain "refund"',
            assertion=SET_ASSERTS[1]["assert"][0],
        ),
        GradingResult(False, 0.0, 'Expected output to contain "mars"', assertion=SET_ASSERTS[1]["assert"][1]),
    ]
    set_score = sum(k.score for k in kids) / 2
    aset = GradingResult(
        set_score >= 0.5,
        set_score,
        "All assertions passed" if set_score >= 0.5 else kids[1].reason,
        assertion=SET_ASSERTS[1],
        component_results=kids,
        metadata={"assertSet": True},
    )
    guard = GradingResult(
        not pii,
        0.0 if pii else 1.0,
        "Output matched the regex" if pii else "Assertion passed",
        assertion=SET_ASSERTS[2],
    )
    comps = [first, aset, guard]
    score = sum(c.score for c in comps) / 3
    ok = all(c.pass_ for c in comps)
    return GradingResult(
        ok,
        score,
        "All assertions passed" if ok else [c for c in comps if not c.pass_][-1].reason,
        named_scores={"quality": 1.0, "guardrail/pii": 0.0 if pii else 1.0},
        component_results=comps,
    )


def sample_run(db: Database) -> int:
    """2 prompts x 2 providers x 3 tests: passes, an assert failure, an assertion error, a provider error."""
    prompts = [
        Prompt(
            raw="Summarize order {{order}}: {{ticket}}", label="v1", sha256="aaa", family="ticket_summary", version="v1"
        ),
        Prompt(raw="Short: {{ticket}}", label="v2", sha256="bbb", family="ticket_summary", version="v2"),
    ]
    providers = [ProviderSpec(id="echo"), ProviderSpec(id="openai:gpt-4o-mini", label="mini")]
    tests = [
        TestCase(index=0, vars={"order": "A-1", "ticket": "refund please"}, asserts=SET_ASSERTS, description="refund"),
        TestCase(
            index=1,
            vars={"order": "B-2", "ticket": "mail me at x@y.com"},
            asserts=SET_ASSERTS,
            description='pii <&> "quoted"',
        ),
        TestCase(index=2, vars={"order": "C-3", "ticket": "login broken"}, asserts=[{"type": "contains", "value": ""}]),
    ]
    suite = Suite(path=None, description="sample", prompts=prompts, providers=providers, tests=tests)
    results: list[CellResult] = []
    for t in tests:
        for p in range(2):
            for v in range(2):
                text = f"{'Summarize order ' + t.vars['order'] + ': ' if p == 0 else 'Short: '}{t.vars['ticket']}"
                cell = Cell(prompt_idx=p, provider_idx=v, test_idx=t.index)
                if v == 1 and t.index == 2:  # provider error
                    resp = ProviderResponse(output=None, error="HTTP 500 from provider", attempts=3, latency_ms=None)
                    results.append(CellResult(cell, text, resp, False, 0.0, "HTTP 500 from provider", None))
                    continue
                resp = ProviderResponse(
                    output=text,
                    tokens_in=10 + p,
                    tokens_out=8,
                    token_source="usage" if v else "tiktoken",
                    cost=0.0 if v == 0 else (None if t.index == 1 else 0.000125),
                    latency_ms=100.0 * (t.index + 1) + 10 * p,
                    cached=(v == 1 and t.index == 0),
                    attempts=2 if (v == 1 and t.index == 1) else 1,
                )
                if t.index == 2:  # the assertion throws: an ERROR row with output
                    results.append(
                        CellResult(cell, text, resp, False, 0.0, "contains: 'value' must be a non-empty string", None)
                    )
                    continue
                g = set_grading(t.vars["order"], refund="refund" in text, pii="@" in text)
                results.append(
                    CellResult(cell, text, resp, g.pass_, g.score, None, g, named_scores=g.named_scores, vars=t.vars)
                )
    return make_run(db, suite, results)
