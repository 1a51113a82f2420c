"""Why a comparison matched nothing: the one line `workbench compare` exits 2 with.

A gate over zero matched (test, pair) rows can only pass, so an empty comparison is an error
unless `--allow-empty`. The reasons say what differs between the runs: the suite file, the prompt
names (different files or families), the models, the variants or the tests (matched by
description + vars).
"""

from __future__ import annotations

from sqlite_utils import Database

from workbench.analysis.version_pairing import Predecessor, predecessor_map, run_prompt_versions


def _shown(names: set[str], limit: int = 3) -> str:
    ordered = sorted(names)
    more = f" and {len(ordered) - limit} more" if len(ordered) > limit else ""
    return ", ".join(ordered[:limit]) + more if ordered else "none"


def _column(db: Database, sql: str, run_id: int) -> set[str]:
    return {str(r[0]) for r in db.execute(sql, [run_id]).fetchall() if r[0] is not None}


def unmatched_reasons(db: Database, base_id: int, head_id: int, predecessors: tuple[Predecessor, ...] = ()) -> str:
    """What keeps every (test, pair) of HEAD from a counterpart in BASE, e.g.
    `no prompt in common (BASE: greet/v1; HEAD: hello/v1)`."""
    reasons: list[str] = []
    paths = [db.execute("select suite_path from runs where id = ?", [r]).fetchone()[0] for r in (base_id, head_id)]
    counts = [
        db.execute("select count(*) from results where run_id = ?", [r]).fetchone()[0] for r in (base_id, head_id)
    ]
    for side, n in zip(("BASE", "HEAD"), counts, strict=True):
        if not n:
            reasons.append(f"{side} has no results")
    if paths[0] != paths[1]:
        reasons.append(f"different suites ({paths[0]} vs {paths[1]})")
    base_prompts, head_prompts = run_prompt_versions(db, base_id), run_prompt_versions(db, head_id)
    if not predecessor_map(db, base_id, head_id, predecessors):
        reasons.append(f"no prompt in common (BASE: {_shown(set(base_prompts))}; HEAD: {_shown(set(head_prompts))})")
    checks = (
        ("model", "select label from run_providers where run_id = ?"),
        ("variant", "select distinct variant from results where run_id = ?"),
    )
    for what, sql in checks:
        b, h = _column(db, sql, base_id), _column(db, sql, head_id)
        if b and h and not b & h:
            reasons.append(f"no {what} in common (BASE: {_shown(b)}; HEAD: {_shown(h)})")
    tb = _column(db, "select identity from test_cases where run_id = ?", base_id)
    th = _column(db, "select identity from test_cases where run_id = ?", head_id)
    if tb and th and not tb & th:
        reasons.append(f"no test in common ({len(tb)} in BASE, {len(th)} in HEAD; tests match by description + vars)")
    if not reasons:
        reasons.append("no (prompt, variant, model, test) combination ran on both sides")
    return "; ".join(reasons)
