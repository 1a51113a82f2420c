"""Scripted runs with known answers for the analysis tests: real SQLite, written by RunWriter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.store.writer import RunWriter
from workbench.suite.settings import parse_settings
from workbench.types import (
    Cell,
    CellResult,
    GradingResult,
    ProviderResponse,
    ProviderSpec,
    Suite,
    TestCase,
)
from workbench.types import Prompt as PromptT


@dataclass
class R:
    """One scripted result: which cell, and what happened."""

    prompt: int
    provider: int
    test: int
    ok: bool = True
    variant: str = "none"
    repeat: int = 0
    cost: float | None = 0.001
    tokens_in: int = 100
    tokens_out: int = 20
    cached: bool = False
    cached_cost: float | None = None
    error: str | None = None
    guardrail_fail: bool = False
    latency: float = 100.0
    output: str | None = None
    score: float | None = None
    named: dict[str, float] = field(default_factory=dict)
    attempts: int = 1
    fallback: str | None = None


def prompt(family: str, version: str, text: str) -> PromptT:
    import hashlib

    return PromptT(
        raw=text,
        label=f"{family}/{version}",
        family=family,
        version=version,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def make_run(
    db: Database,
    results: list[R],
    *,
    prompts: list[PromptT] | None = None,
    providers: list[str] | None = None,
    tests: list[dict[str, Any]] | int | None = None,
    label: str | None = None,
    suite_path: str | None = None,
    workbench: dict[str, Any] | None = None,
) -> int:
    """Write a run whose results are exactly `results`; returns its id."""
    from pathlib import Path

    prompts = prompts or [prompt("summary", "v1", "Summarize: {{text}}")]
    specs = [ProviderSpec(id=f"echo:{p}", label=p) for p in (providers or ["model-a"])]
    if tests is None:
        tests = 1 + max((r.test for r in results), default=0)
    if isinstance(tests, int):
        tests = [{"description": f"test {i}", "vars": {"text": f"t{i}"}} for i in range(tests)]
    cases = [
        TestCase(index=i, vars=t.get("vars", {}), asserts=[], description=t.get("description"))
        for i, t in enumerate(tests)
    ]
    suite = Suite(
        path=Path(suite_path) if suite_path else None,
        description="scripted",
        prompts=prompts,
        providers=specs,
        tests=cases,
        settings=parse_settings(workbench, None),
        sha256="s",
    )
    writer = RunWriter.create(db, suite, config={}, cells_planned=len(results), label=label)
    pv_ids = {
        r[0]: r[1]
        for r in db.execute(
            "select prompt_idx, prompt_version_id from run_prompts where run_id = ?", [writer.run_id]
        ).fetchall()
    }
    writer.write_results([_cell(r) for r in results], specs, pv_ids)
    writer.finish("completed")
    return writer.run_id


def _cell(r: R) -> CellResult:
    components = [
        GradingResult(pass_=r.ok, score=1.0 if r.ok else 0.0, assertion={"type": "contains", "value": "x"}),
        GradingResult(
            pass_=not r.guardrail_fail,
            score=0.0 if r.guardrail_fail else 1.0,
            assertion={"type": "not-contains", "value": "ssn", "metric": "guardrail/pii"},
        ),
    ]
    ok = r.ok and not r.guardrail_fail and r.error is None
    score = r.score if r.score is not None else (1.0 if ok else 0.0)
    grading = None if r.error else GradingResult(pass_=ok, score=score, component_results=components)
    return CellResult(
        cell=Cell(prompt_idx=r.prompt, provider_idx=r.provider, test_idx=r.test, repeat=r.repeat, variant=r.variant),
        prompt_text=f"prompt {r.prompt} test {r.test}",
        response=ProviderResponse(
            output=r.output
            if r.output is not None
            else f"out p{r.prompt} m{r.provider} t{r.test} {'ok' if ok else 'bad'}",
            error=r.error,
            tokens_in=r.tokens_in,
            tokens_out=r.tokens_out,
            cost=0.0 if r.cached else r.cost,
            cached=r.cached,
            cached_cost=r.cost if r.cached else None,
            latency_ms=r.latency,
            attempts=r.attempts,
            fallback_used=r.fallback,
        ),
        success=ok,
        score=0.0 if r.error else score,
        error=r.error,
        grading=grading,
        named_scores=r.named,
    )


def pair_results(
    prompt: int, provider: int, passes: list[bool], *, variant: str = "none", cost: float | None = 0.001, **kw: Any
) -> list[R]:
    """One result per test: passes[i] says whether test i passed."""
    return [R(prompt, provider, i, ok=ok, variant=variant, cost=cost, **kw) for i, ok in enumerate(passes)]
