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


def _ensure_prompt_versions(db: Database, suite: Suite) -> None:
    """Register the suite's prompts ahead of RunWriter when `workbench.prompts` has not landed yet."""
    try:
        import workbench.prompts  # noqa: F401
    except ImportError:
        for p in suite.prompts:
            if not db.execute(
                "select 1 from prompt_versions where sha256 = ? and label = ? and path is ?", [p.sha256, p.label, None]
            ).fetchone():
                db["prompt_versions"].insert(
                    {
                        "sha256": p.sha256,
                        "family": p.family,
                        "version": p.version,
                        "label": p.label,
                        "path": None,
                        "text": p.raw,
                        "is_chat": 0,
                        "tokens": 0,
                    }
                )


def make_run(
    db: Database,
    suite: Suite,
    results: list[CellResult],
    *,
    status: str = "completed",
    config: dict[str, Any] | None = None,
) -> int:
    _ensure_prompt_versions(db, suite)
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
    _ensure_prompt_versions(db, suite)
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
