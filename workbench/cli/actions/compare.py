"""The body of `workbench compare` (its flags and help: `workbench/cli/compare.py`)."""

from __future__ import annotations

import sys
from pathlib import Path

from workbench import compare
from workbench.analysis.version_pairing import parse_predecessor
from workbench.ci.gates import GateConfig
from workbench.errors import UsageError
from workbench.report import check_writable
from workbench.report.review_output import emit

COMPARE_FORMATS = (".md", ".html", ".junit.xml", ".json")


def gate_config(
    fail_on_regression: bool,
    max_pass_rate_drop: float | None,
    max_new_guardrail_failures: int | None,
    max_cost_increase: float | None,
    max_prompt_token_growth: float | None,
    significance: float | None = None,
    missing: str = "fail",
    allow_empty: bool = False,
    predecessors: tuple[str, ...] = (),
) -> GateConfig:
    for spec in predecessors:
        parse_predecessor(spec)  # bad input is refused before anything runs
    return GateConfig(
        fail_on_regression=fail_on_regression,
        max_pass_rate_drop=max_pass_rate_drop,
        max_new_guardrail_failures=None if max_new_guardrail_failures == -1 else max_new_guardrail_failures,
        max_cost_increase=max_cost_increase,
        max_prompt_token_growth=max_prompt_token_growth,
        significance=significance,
        missing=missing,
        allow_empty=allow_empty,
        predecessors=tuple(predecessors),
    )


def check_compare_outputs(paths: list[Path]) -> None:
    for p in paths:
        if not str(p).lower().endswith(COMPARE_FORMATS):
            raise UsageError(f"{p}: unsupported report format; use one of: {', '.join(COMPARE_FORMATS)}")
        check_writable(p)


def command(
    base: str,
    head: str,
    db: Path | None,
    fail_on_regression: bool,
    max_pass_rate_drop: float | None,
    max_new_guardrail_failures: int | None,
    max_cost_increase: float | None,
    max_prompt_token_growth: float | None,
    significance: float | None,
    missing: str,
    allow_empty: bool,
    predecessors: tuple[str, ...],
    outputs: tuple[Path, ...],
    as_json: bool,
) -> None:
    """`workbench compare` (help: the declaration)."""
    check_compare_outputs(list(outputs))
    config = gate_config(
        fail_on_regression,
        max_pass_rate_drop,
        max_new_guardrail_failures,
        max_cost_increase,
        max_prompt_token_growth,
        significance,
        missing,
        allow_empty,
        predecessors,
    )
    result = compare(base, head, db, config)
    sys.exit(emit(result, list(outputs), as_json))
