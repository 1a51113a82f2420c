"""The handler contract shared by every assertion family.

A handler takes an `AssertionContext` and returns a `GradingResult` (or an awaitable of one, for
model-graded checks) for the *positive* form of its type. The `not-` prefix, weights, metrics,
thresholds on the row, and assert-set aggregation are applied once, in `scoring.py`, never in
handlers. A handler raises `AssertionConfigError` where promptfoo throws (the row becomes ERROR).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.types import GradingResult, ProviderResponse, ProviderSpec, TestCase


@dataclass
class GradeConfig:
    """Run-wide grading options (grader override, code-assert policy, timeouts)."""

    grader: str | None = None  # --grader provider id
    allow_code: bool = True  # False with --no-code-asserts: python/javascript/transforms refused
    script_timeout_s: float = 10.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AssertionContext:
    output: Any  # what the assertion sees (after test- and assertion-level transforms)
    value: Any  # the assertion's value, already template-rendered
    assertion: dict[str, Any]  # the raw assertion dict (type without `not-`, threshold, config, ...)
    inverse: bool  # True for `not-` types; handlers usually ignore it
    test: TestCase
    vars: dict[str, Any]
    prompt: str  # the rendered prompt
    response: ProviderResponse
    provider: ProviderSpec | None
    base_dir: Path
    config: GradeConfig


Handler = Callable[[AssertionContext], "GradingResult | Awaitable[GradingResult]"]


def inverse_aware(handler: Handler) -> Handler:
    """Mark a handler that applies the `not-` prefix itself (promptfoo's per-type rules)."""
    handler.handles_inverse = True  # type: ignore[attr-defined]
    return handler
