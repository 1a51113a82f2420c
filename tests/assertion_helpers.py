"""Grade one row in-process for the assertion tests (no engine, no provider)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from workbench.assertions.scoring import grade_test
from workbench.types import GradeConfig, GradingResult, ProviderResponse, ProviderSpec, TestCase


def grade(
    asserts: list[dict[str, Any]] | dict[str, Any],
    output: Any,
    *,
    vars: dict[str, Any] | None = None,
    threshold: float | None = None,
    response: ProviderResponse | None = None,
    provider: ProviderSpec | None = None,
    base_dir: Path | None = None,
    config: GradeConfig | None = None,
    scoring_function: str | None = None,
) -> GradingResult:
    if isinstance(asserts, dict):
        asserts = [asserts]
    test = TestCase(
        index=0, vars=vars or {}, asserts=asserts, threshold=threshold, assert_scoring_function=scoring_function
    )
    return asyncio.run(
        grade_test(
            test,
            output,
            prompt="the prompt",
            vars=vars or {},
            response=response or ProviderResponse(output=output),
            provider=provider,
            base_dir=base_dir or Path.cwd(),
            config=config,
        )
    )


def one(assertion: dict[str, Any], output: Any, **kw: Any) -> tuple[bool, float]:
    """(pass, score) of a single assertion."""
    r = grade([assertion], output, **kw).component_results[0]
    return r.pass_, r.score
