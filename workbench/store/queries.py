"""SQL helpers shared by the analysis modules.

Rules: parameterised SQL only; aggregate in SQLite (the `results` indexes cover `run_id` and the
pair columns) and bring back one row per pair or per test, never every result of a large run.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.errors import UsageError
from workbench.providers.test_doubles import test_double_reason
from workbench.store.json_columns import loads

# Expected cost of a request without the cache: a cache hit stores 0 in `cost` and the original
# price in `cached_cost`. NULL stays NULL (unknown price), never 0.
UNCACHED_COST = "(case when cached then cached_cost else cost end)"

# A pair is (prompt version, variant, model); the model is the provider's display label.
PAIR_COLUMNS = "prompt_version_id, variant, provider_label"


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def rows(db: Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = db.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=False)) for r in cur.fetchall()]


def resolve_run(db: Database, ref: str | int) -> int:
    """A run by id, else the newest run whose label or git ref equals `ref`."""
    text = str(ref).strip()
    if text.isdigit():
        row = db.execute("select id from runs where id = ?", [int(text)]).fetchone()
        if row:
            return int(row[0])
    row = db.execute(
        "select id from runs where label = ? or git_ref = ? order by id desc limit 1", [text, text]
    ).fetchone()
    if row:
        return int(row[0])
    raise UsageError(f"run {text!r} not found: pass a run id or label (list them with `workbench runs`)")


def latest_run(db: Database, suite_path: str | Path | None = None) -> int:
    """The newest run (with results) overall, or of the suite at `suite_path`."""
    candidates = rows(
        db,
        "select id, suite_path, suite_sha256 from runs where results > 0 or status = 'running'"
        " or exists (select 1 from results where results.run_id = runs.id) order by id desc",
    )
    if suite_path is None:
        if not candidates:
            raise UsageError("no runs in the database: run a suite first (`workbench run SUITE`)")
        return int(candidates[0]["id"])
    p = Path(suite_path)
    sha = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
    target = p.resolve()
    for c in candidates:
        stored = c["suite_path"]
        if stored and Path(stored).resolve() == target:
            return int(c["id"])
        if sha and c["suite_sha256"] == sha:
            return int(c["id"])
    raise UsageError(f"{suite_path}: no run of this suite in the database (run it with `workbench run {suite_path}`)")


def run_ids_where(run_ids: Sequence[int]) -> tuple[str, list[Any]]:
    return f"run_id in ({placeholders(run_ids)})", list(run_ids)


def pair_aggregates(db: Database, run_ids: Sequence[int]) -> list[dict[str, Any]]:
    """One row per pair with the sums every statistic is built from."""
    where, params = run_ids_where(run_ids)
    uc = UNCACHED_COST
    sql = f"""
        select {PAIR_COLUMNS},
          min(run_id) as run_id, min(prompt_idx) as prompt_idx,
          count(*) as n, coalesce(sum(success), 0) as passes,
          sum(error is not null) as errors,
          avg(score) as mean_score,
          coalesce(sum(guardrail_failures), 0) as guardrail_failures,
          sum(coalesce(guardrail_failures, 0) > 0) as guardrail_failed_results,
          avg(tokens_in) as mean_tokens_in, avg(tokens_out) as mean_tokens_out,
          coalesce(sum(tokens_in), 0) as sum_tokens_in, coalesce(sum(tokens_out), 0) as sum_tokens_out,
          avg(latency_ms) as mean_latency_ms, count(latency_ms) as n_latency,
          sum({uc}) as sum_cost, count({uc}) as priced,
          sum(error is null and {uc} is null) as unknown_cost,
          sum(cost) as actual_cost,
          avg(cached) as cache_hit_rate,
          avg(coalesce(attempts, 1) > 1) as retry_share,
          avg(fallback_used is not null) as fallback_share,
          sum(case when {uc} is not null then 1.0 * tokens_in * tokens_in end) as s_ii,
          sum(case when {uc} is not null then 1.0 * tokens_in * tokens_out end) as s_io,
          sum(case when {uc} is not null then 1.0 * tokens_out * tokens_out end) as s_oo,
          sum({uc} * tokens_in) as s_ci, sum({uc} * tokens_out) as s_co,
          sum(grader_cost) as grader_cost,
          sum(coalesce(grader_tokens, 0) > 0 and grader_cost is null) as grader_unknown,
          sum(case when fallback_used is not null then {uc} end) as fallback_cost
        from results where {where}
        group by {PAIR_COLUMNS}
    """
    return rows(db, sql, params)


def pair_p95_latency(
    db: Database, run_ids: Sequence[int], counts: dict[tuple[Any, ...], int] | None = None
) -> dict[tuple[Any, ...], float]:
    """Nearest-rank p95 latency per pair.

    For one run with the latency counts known, one index seek per pair: the covering index orders
    each pair's rows by latency, so `limit 1 offset rank-1` reads a slice of the index and sorts
    nothing. Otherwise a window function over the runs.
    """
    if len(run_ids) == 1 and counts is not None:
        out: dict[tuple[Any, ...], float] = {}
        for (pv, variant, label), n in counts.items():
            if not n:
                continue
            row = db.execute(
                "select latency_ms from results where run_id = ? and prompt_version_id is ? and variant is ?"
                " and provider_label is ? and latency_ms is not null order by latency_ms limit 1 offset ?",
                [run_ids[0], pv, variant, label, nearest_rank(0.95, n) - 1],
            ).fetchone()
            if row:
                out[(pv, variant, label)] = float(row[0])
        return out
    where, params = run_ids_where(run_ids)
    sql = f"""
        select {PAIR_COLUMNS}, latency_ms from (
          select {PAIR_COLUMNS}, latency_ms,
            row_number() over (partition by {PAIR_COLUMNS} order by latency_ms) as rn,
            count(*) over (partition by {PAIR_COLUMNS}) as cnt
          from results where {where} and latency_ms is not null
        ) where rn = max(1, (95 * cnt + 99) / 100)
    """
    return {(r[0], r[1], r[2]): float(r[3]) for r in db.execute(sql, params).fetchall()}


def pair_named_scores(db: Database, run_ids: Sequence[int]) -> dict[tuple[Any, ...], dict[str, float]]:
    where, params = run_ids_where(run_ids)
    sql = f"""
        select {PAIR_COLUMNS}, j.key, avg(j.value)
        from results, json_each(results.named_scores) as j
        where results.{where} and results.named_scores is not null
        group by {PAIR_COLUMNS}, j.key
    """
    out: dict[tuple[Any, ...], dict[str, float]] = {}
    for pv, variant, label, key, mean in db.execute(sql, params).fetchall():
        if mean is not None:
            out.setdefault((pv, variant, label), {})[key] = float(mean)
    return out


def prompt_names(db: Database, run_ids: Sequence[int]) -> dict[Any, dict[str, Any]]:
    """prompt_version_id -> {label, family, version, sha256, tokens} for the prompts of these runs."""
    sql = f"""
        select rp.prompt_version_id as id, rp.label as run_label, pv.label, pv.family, pv.version,
               pv.sha256, pv.tokens
        from run_prompts rp left join prompt_versions pv on pv.id = rp.prompt_version_id
        where rp.run_id in ({placeholders(run_ids)}) order by rp.run_id desc, rp.prompt_idx
    """
    out: dict[Any, dict[str, Any]] = {}
    for r in rows(db, sql, run_ids):
        out.setdefault(r["id"], r)
    return out


FACTS_SELECT = "select label, provider_id, config, price, test_double from run_providers"
FACTS_SELECT_BEFORE_M008 = "select label, provider_id, config, null, null from run_providers"


def provider_facts(db: Database, run_ids: Sequence[int]) -> dict[str, dict[str, Any]]:
    """provider label -> {provider_id, price (the dict the newest run recorded, None = unknown),
    test_double (why it is one, None for a real model)}. Runs stored before m005 recorded neither:
    their test-double verdict is derived from the provider id and config now."""
    cols = {c[1] for c in db.execute("pragma table_info(run_providers)").fetchall()}
    head = FACTS_SELECT if {"price", "test_double"} <= cols else FACTS_SELECT_BEFORE_M008
    sql = head + f" where run_id in ({placeholders(run_ids)}) order by run_id desc, provider_idx"
    out: dict[str, dict[str, Any]] = {}
    for label, pid, config, price, double in db.execute(sql, list(run_ids)).fetchall():
        if label in out:
            continue
        cfg = loads(config) if config else {}
        out[label] = {
            "provider_id": pid,
            "price": loads(price) if price else None,
            "test_double": double or test_double_reason(pid, label, cfg if isinstance(cfg, dict) else {}),
        }
    return out


def test_identities(db: Database, run_id: int) -> dict[int, dict[str, Any]]:
    return {
        r["test_idx"]: r
        for r in rows(db, "select test_idx, identity, description, vars from test_cases where run_id = ?", [run_id])
    }


def nearest_rank(q: float, n: int) -> int:
    """The 1-based nearest rank of percentile q among n values (what `percentile` picks)."""
    return max(1, math.ceil(q * n))


def run_has_repeats(db: Database, run_id: int) -> bool:
    """Whether any result of the run is a repeat (one seek on m004's partial index; SQLite's
    planner otherwise prefers the covering cell index and reads every result of the run)."""
    try:
        sql = "select 1 from results indexed by idx_results_repeats where run_id = ? and repeat != 0 limit 1"
        return bool(db.execute(sql, [run_id]).fetchone())
    except sqlite3.OperationalError:  # a database without the index (built by hand)
        return bool(db.execute("select 1 from results where run_id = ? and repeat != 0 limit 1", [run_id]).fetchone())
