"""The handler contract shared by every assertion family.

A handler takes an `AssertionContext` and returns a `GradingResult` (or an awaitable of one, for
model-graded checks) for the *positive* form of its type. The `not-` prefix, weights, metrics,
thresholds on the row, and assert-set aggregation are applied once, in `scoring.py`, never in
handlers. A handler raises `AssertionConfigError` where promptfoo throws (the row becomes ERROR).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.types import GradeConfig, GradingResult, ProviderResponse, ProviderSpec, TestCase


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


class SharedRow:
    """What every assertion of one row shares (computed once)."""

    def __init__(
        self,
        test: TestCase,
        output: Any,
        prompt: str,
        vars: dict[str, Any],
        response: ProviderResponse,
        provider: ProviderSpec | None,
        base_dir: Path,
        config: GradeConfig,
    ) -> None:
        self.test = test
        self.output = output
        self.prompt = prompt
        self.vars = vars
        self.response = response
        self.provider = provider
        self.base_dir = base_dir
        self.config = config
        self._script_context: dict[str, Any] | None = None

    def script_context(self, assertion: dict[str, Any] | None = None) -> dict[str, Any]:
        """promptfoo's assertion `context` for javascript/python code (JSON-able)."""
        if self._script_context is None:
            t = self.test
            test_dict: dict[str, Any] = {"vars": self.vars, "assert": t.asserts, "options": t.options}
            if t.description is not None:
                test_dict["description"] = t.description
            if t.threshold is not None:
                test_dict["threshold"] = t.threshold
            if t.metadata:
                test_dict["metadata"] = t.metadata
            r = self.response
            provider = None
            if self.provider is not None:
                provider = {"id": self.provider.id, "label": self.provider.label, "config": self.provider.config}
            ctx: dict[str, Any] = {
                "prompt": self.prompt,
                "vars": self.vars,
                "test": test_dict,
                "logProbs": r.logprobs,
                "provider": provider,
                "providerResponse": {
                    "output": r.output,
                    "cost": r.cost,
                    "cached": r.cached,
                    "finishReason": r.finish_reason,
                    "tokenUsage": {"prompt": r.tokens_in, "completion": r.tokens_out},
                    "metadata": r.metadata,
                },
            }
            if r.metadata:
                ctx["metadata"] = r.metadata
            self._script_context = ctx
        if assertion and "config" in assertion:
            return {**self._script_context, "config": assertion["config"]}
        return self._script_context
