"""Assertions graded across all outputs of one test: `select-best` and `max-score`.

promptfoo grades these after the whole eval, over every result of a test index (all prompts x
providers), and merges the verdict into each row (evaluator.ts mergeSelectBestGradingResult /
mergeMaxScoreGradingResult): the comparison's component is appended, the row passes only if it
passed before and the comparison passed, and a failed comparison sets the row's score and reason.
The engine holds back a test's rows until every cell of that (test, repeat) group has finished,
calls `apply_cross_output`, then stores them; rows never need rewriting.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workbench.assertions.meta import grade_max_score
from workbench.assertions.model_graded import grade_select_best
from workbench.assertions.table import lookup
from workbench.errors import AssertionConfigError
from workbench.types import CellResult, GradeConfig, GradingResult, TestCase


def _is_cross(assertion: dict[str, Any] | None) -> bool:
    name = (assertion or {}).get("type")
    kind = lookup(name) if isinstance(name, str) else None
    return kind is not None and kind.cross_output


def any_cross_type(types: Iterable[str]) -> bool:
    """Whether any of these assertion types is graded across outputs."""
    return any(_is_cross({"type": t}) for t in types)


def cross_assertions(test: TestCase) -> list[dict[str, Any]]:
    return [a for a in test.asserts if isinstance(a, dict) and _is_cross(a)]


def needs_cross(test: TestCase) -> bool:
    return bool(cross_assertions(test))


def _merge(row: CellResult, g: GradingResult) -> None:
    grading = row.grading
    if grading is None:
        return
    was_pass = grading.pass_
    grading.component_results.append(g)
    grading.pass_ = was_pass and g.pass_
    if not g.pass_:
        if was_pass or (g.assertion and g.assertion.get("type") == "select-best"):
            grading.reason = g.reason
        grading.score = g.score
    grading.named_scores = {**grading.named_scores, **g.named_scores}  # the row's namedScores stay as they were
    row.success, row.score = grading.pass_, grading.score


def max_score_grades(rows: list[CellResult], assertion: dict[str, Any]) -> list[GradingResult]:
    """promptfoo's selectMaxScore: weighted average (or sum) of each row's other assertion scores."""
    if len(rows) < 2:
        raise AssertionConfigError("max-score assertion must have at least two outputs to compare between")
    raw = assertion.get("value")
    value: dict[str, Any] = raw if isinstance(raw, dict) else {}
    weights = value.get("weights") or {}
    scores, counts, totals = [], [], []
    for row in rows:
        comps = [
            c
            for c in (row.grading.component_results if row.grading else [])
            if c.assertion and not _is_cross(c.assertion)
        ]
        if not comps:
            raise AssertionConfigError(
                "max-score requires at least one other assertion (besides max-score or select-best) to aggregate scores from"
            )
        ws = [float(weights.get((c.assertion or {}).get("type"), 1.0)) for c in comps]
        total_w = sum(ws)
        weighted = sum(c.score * w for c, w in zip(comps, ws, strict=True))
        scores.append(weighted if value.get("method") == "sum" else (weighted / total_w if total_w > 0 else 0.0))
        counts.append(len(comps))
        totals.append(total_w)
    grades = grade_max_score([r.response.output for r in rows], scores, {**assertion, "threshold": None})
    threshold = value.get("threshold")
    best = max(scores)
    for g, s, n, w in zip(grades, scores, counts, totals, strict=True):
        if not g.pass_ and s == best and threshold and best < threshold:
            g.reason = f"Not selected - score {s:.3f} below threshold {threshold}"
        g.named_scores = {"maxScore": s, "assertionCount": float(n), "totalWeight": w}
        g.assertion = assertion
    return grades


async def apply_cross_output(rows: list[CellResult], test: TestCase, config: GradeConfig, base_dir: Any) -> None:
    """Grade `rows` (one test's outputs, promptfoo's promptIdx order) and merge into each row."""
    graded = [r for r in rows if r.grading is not None]
    if not graded:
        return
    graded.sort(key=lambda r: (r.cell.prompt_idx, r.cell.variant, r.cell.provider_idx))
    for assertion in cross_assertions(test):
        try:
            if assertion["type"] == "select-best":
                if not isinstance(assertion.get("value"), str):
                    raise AssertionConfigError("select-best must have a string value")
                grades = await grade_select_best(
                    [r.response.output or "" for r in graded],
                    assertion,
                    criteria=assertion["value"],
                    test_options=test.options,
                    vars=dict(test.vars),
                    cli_grader=config.grader,
                    base_dir=base_dir,
                )
            else:
                grades = max_score_grades(graded, assertion)
        except AssertionConfigError as e:
            for r in graded:  # promptfoo: the comparison throws -> each row records the failure
                _merge(r, GradingResult(False, 0.0, str(e), assertion=assertion))
            continue
        for r, g in zip(graded, grades, strict=True):
            _merge(r, g)
