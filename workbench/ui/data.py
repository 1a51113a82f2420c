"""Cached access to the results database for the pages.

Every number comes from a library function (`workbench.analysis.*`); this module
only opens the database (one connection per server thread) and memoizes results with
`st.cache_data`. Cache keys include a token that changes when the database file changes (its and
its WAL's size and mtime), so a new run shows up on the next rerun without a manual refresh.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import streamlit as st
from sqlite_utils import Database

from workbench import open_results
from workbench.analysis import cost, guardrails, matrix, trend
from workbench.analysis.comparison import RunComparison, compare_runs
from workbench.analysis.diff import VersionDiff, diff_versions
from workbench.analysis.pairs import PairStats, pair_stats
from workbench.analysis.recommend import Acceptance, Recommendation, recommend, run_acceptance
from workbench.analysis.router_figures import RouterSummary
from workbench.analysis.variant_deltas import variant_deltas
from workbench.routing.clusters import failure_clusters as clusters
from workbench.routing.router_summary import routing_summary
from workbench.store.db_path import default_db_path
from workbench.store.optimizations import StoredOptimization, list_optimizations
from workbench.ui import pickers as queries

_local = threading.local()
TTL = 600


def db_path() -> Path:
    """`WORKBENCH_DB` (set by `workbench ui --db`), else results/workbench.db."""
    return default_db_path()


def db_token(path: Path | None = None) -> str:
    """Changes whenever the database or its WAL is written."""
    p = path or db_path()
    parts = []
    for f in (p, Path(f"{p}-wal")):
        try:
            s = f.stat()
            parts.append(f"{s.st_size}:{s.st_mtime_ns}")
        except OSError:
            parts.append("-")
    return f"{p}|{'|'.join(parts)}"


def get_db() -> Database | None:
    """This thread's connection to the database; None when the file does not exist yet."""
    p = db_path()
    if not p.exists():
        return None
    conns: dict[str, Database] = getattr(_local, "conns", None) or {}
    _local.conns = conns
    key = str(p.resolve())
    if key not in conns:
        conns[key] = open_results(p)  # migrates an older schema
    return conns[key]


def _db() -> Database:
    db = get_db()
    if db is None:
        raise FileNotFoundError(str(db_path()))
    return db


@st.cache_data(ttl=TTL, show_spinner=False)
def runs(token: str) -> list[trend.RunSummary]:
    return trend.list_run_summaries(_db())


@st.cache_data(ttl=TTL, show_spinner=False)
def suite_trend(token: str, suite_path: str) -> list[trend.RunSummary]:
    return trend.suite_trend(_db(), suite_path)


@st.cache_data(ttl=TTL, show_spinner=False)
def pairs(token: str, run_id: int) -> list[PairStats]:
    return pair_stats(_db(), [run_id], with_named_scores=False)


@st.cache_data(ttl=TTL, show_spinner=False)
def columns(token: str, run_id: int) -> list[matrix.MatrixColumn]:
    return matrix.matrix_columns(_db(), run_id)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=200)
def matrix_page(token: str, run_id: int, filters: matrix.MatrixFilters, page: int, page_size: int) -> matrix.MatrixPage:
    return matrix.matrix_page(_db(), run_id, filters, page, page_size)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=200)
def cell_detail(token: str, result_id: int) -> matrix.CellDetail | None:
    return matrix.cell_detail(_db(), result_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def families(token: str) -> dict[str, list[dict[str, Any]]]:
    return queries.families(_db())


@st.cache_data(ttl=TTL, show_spinner=False)
def version_diff(token: str, family: str, v1: str, v2: str, run_id: int | None = None) -> VersionDiff:
    return diff_versions(_db(), family, v1, v2, run_id=run_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def runs_with_versions(token: str, family: str, v1: str, v2: str) -> list[int]:
    return queries.runs_with_versions(_db(), family, v1, v2)


@st.cache_data(ttl=TTL, show_spinner=False)
def guardrail_summary(token: str, run_id: int) -> guardrails.GuardrailSummary:
    return guardrails.guardrail_summary(_db(), run_id)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=200)
def guardrail_failures(
    token: str, run_id: int, metric: str | None, prompt: str | None, model: str | None, limit: int, offset: int
) -> tuple[int, list[guardrails.GuardrailFailure]]:
    return guardrails.guardrail_failures(
        _db(), run_id, metric=metric, prompt=prompt, model=model, limit=limit, offset=offset
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def suite_acceptance(token: str, run_id: int) -> Acceptance:
    """The acceptance defaults the run was made with (its suite's `workbench: acceptance:` block)."""
    try:
        return run_acceptance(_db(), run_id)
    except Exception:  # a broken suite file must not break the page: fall back to the defaults
        return Acceptance()


@st.cache_data(ttl=TTL, show_spinner=False)
def recommendation(
    token: str,
    run_id: int,
    acceptance: Acceptance,
    requests_per_day: float | None,
    cache_hit_rate: float | None = None,
) -> Recommendation:
    return recommend(_db(), [run_id], acceptance, requests_per_day, cache_hit_rate)


@st.cache_data(ttl=TTL, show_spinner=False)
def cost_by(token: str, run_id: int, dimension: str) -> list[cost.CostGroup]:
    return cost.cost_by(_db(), run_id, dimension)


@st.cache_data(ttl=TTL, show_spinner=False)
def variant_savings(token: str, run_id: int) -> list[cost.VariantSaving]:
    return cost.variant_savings(_db(), run_id, pairs(token, run_id))


@st.cache_data(ttl=TTL, show_spinner=False)
def compression_deltas(token: str, run_id: int) -> list[Any]:
    """`workbench.analysis.variant_deltas.variant_deltas` (compression ratio, compressor time)."""
    return list(variant_deltas(_db(), run_id))


@st.cache_data(ttl=TTL, show_spinner=False)
def run_cache_hit_rate(token: str, run_id: int) -> float:
    return cost.run_cache_hit_rate(_db(), run_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def comparison(token: str, base: int, head: int) -> RunComparison:
    return compare_runs(_db(), base, head)


@st.cache_data(ttl=TTL, show_spinner=False)
def routers(token: str) -> list[str]:
    return queries.router_names(_db())


@st.cache_data(ttl=TTL, show_spinner=False)
def routing(token: str, name: str, requests_per_day: float) -> RouterSummary:
    return routing_summary(_db(), name, requests_per_day)


@st.cache_data(ttl=TTL, show_spinner=False)
def failure_clusters(token: str, run_id: int, family: str | None, version: str | None) -> Any:
    if family and version:
        return clusters(_db(), run=run_id, family=family, version=version)
    return clusters(_db(), run=run_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def optimizations(token: str, family: str) -> list[StoredOptimization]:
    return list_optimizations(_db(), family)
