"""The body of `workbench compare` (its flags and help: `workbench/cli/compare.py`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from workbench import compare
from workbench.analysis.version_pairing import parse_predecessor
from workbench.ci.gates import GateConfig
from workbench.errors import UsageError
from workbench.report import check_writable
from workbench.report.review_output import emit

COMPARE_FORMATS = (".md", ".html", ".junit.xml", ".json")


def gate_config(max_new_guardrail_failures: int = 0, predecessors: tuple[str, ...] = (), **flags: Any) -> GateConfig:
    """The gate flags of `compare` and `run --baseline` (cli/options.gate_options, named as
    GateConfig's fields) as a GateConfig: -1 guardrail failures is "off"; bad predecessors refused."""
    for spec in predecessors:
        parse_predecessor(spec)  # bad input is refused before anything runs
    return GateConfig(
        max_new_guardrail_failures=None if max_new_guardrail_failures == -1 else max_new_guardrail_failures,
        predecessors=tuple(predecessors),
        **flags,
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
    gates: GateConfig,
    outputs: tuple[Path, ...],
    as_json: bool,
) -> None:
    """`workbench compare` (help: the declaration)."""
    check_compare_outputs(list(outputs))
    result = compare(base, head, db, gates)
    sys.exit(emit(result, list(outputs), as_json))
