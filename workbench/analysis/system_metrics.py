"""The system metrics of each pair: what a pair costs beyond its list price, and where the money goes.

Per pair (from `pairs.pair_stats`): tokens per successful output, cost per passing test, retry
rate, fallback rate and the fallbacks' share of the pair's spend, cache hit ratio, the grader's
share of what evaluating the pair cost, and the prompt-token growth against the previous version
of the same family (same variant and model, in the same runs; else the previous version's
template tokens). Growth above `DEFAULT_GROWTH_WARN` (20 %, `workbench: prompt_growth_warn`)
is a warning by default; `compare --max-prompt-token-growth` stays the gate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database

from workbench.analysis.pairs import PairStats
from workbench.format import fmt_cost, fmt_rate

DEFAULT_GROWTH_WARN = 0.2


@dataclass
class SystemMetrics:
    pair: str
    tokens_per_pass: float | None
    cost_per_pass: float | None
    retry_rate: float
    fallback_rate: float
    fallback_spend_share: float | None
    cache_hit_ratio: float
    grader_share: float | None  # grading spend / (model spend + grading spend) of the evaluation
    prompt_growth: float | None  # mean input tokens vs the previous version (0.25 = +25 %)
    previous_version: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _version_key(version: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", version))


def _family_version(p: PairStats) -> tuple[str, str] | None:
    if "/" not in p.prompt:
        return None
    family, version = p.prompt.rsplit("/", 1)
    return family, version


def previous_versions(
    db: Database, pairs: Sequence[PairStats]
) -> dict[tuple[str, str, str, str], PairStats | tuple[str, int]]:
    """(family, version, variant, model) -> the previous version's pair in the same runs, else its template tokens."""
    by_key: dict[tuple[str, str, str], dict[str, PairStats]] = {}
    for p in pairs:
        fv = _family_version(p)
        if fv:
            by_key.setdefault((fv[0], p.variant, p.model), {})[fv[1]] = p
    out: dict[tuple[str, str, str, str], PairStats | tuple[str, int]] = {}
    templates: dict[str, list[tuple[str, int]]] = {}
    for (family, variant, model), versions in by_key.items():
        if family not in templates:
            rows = db.execute(
                "select version, max(tokens) from prompt_versions where family = ? and tokens is not null group by version",
                [family],
            ).fetchall()
            templates[family] = sorted(((str(v), int(t)) for v, t in rows if v), key=lambda vt: _version_key(vt[0]))
        ordered = sorted(versions, key=_version_key)
        for version in versions:
            earlier = [v for v in ordered if _version_key(v) < _version_key(version)]
            if earlier:
                out[(family, version, variant, model)] = versions[earlier[-1]]
                continue
            older = [(v, t) for v, t in templates[family] if _version_key(v) < _version_key(version)]
            if older:
                out[(family, version, variant, model)] = (f"{family}/{older[-1][0]}", older[-1][1])
    return out


def system_metrics(db: Database, pairs: Sequence[PairStats]) -> list[SystemMetrics]:
    prev = previous_versions(db, pairs)
    out: list[SystemMetrics] = []
    for p in pairs:
        fv = _family_version(p)
        before = prev.get((fv[0], fv[1], p.variant, p.model)) if fv else None
        growth: float | None = None
        previous: str | None = None
        if isinstance(before, PairStats) and before.mean_tokens_in and p.mean_tokens_in is not None:
            growth, previous = p.mean_tokens_in / before.mean_tokens_in - 1, before.prompt
        elif isinstance(before, tuple) and before[1] and p.prompt_tokens is not None:
            growth, previous = p.prompt_tokens / before[1] - 1, f"{before[0]} (template)"
        spend = p.actual_cost
        grader_share = None
        if spend is not None and p.grader_cost is not None and (spend + p.grader_cost) > 0:
            grader_share = p.grader_cost / (spend + p.grader_cost)
        out.append(
            SystemMetrics(
                pair=p.name,
                tokens_per_pass=p.tokens_per_pass,
                cost_per_pass=p.cost_per_pass,
                retry_rate=p.retry_share,
                fallback_rate=p.fallback_share,
                fallback_spend_share=p.fallback_cost_share,
                cache_hit_ratio=p.cache_hit_rate,
                grader_share=grader_share,
                prompt_growth=growth,
                previous_version=previous,
            )
        )
    return out


def growth_warnings(metrics: Sequence[SystemMetrics], threshold: float = DEFAULT_GROWTH_WARN) -> list[str]:
    """One line per pair whose prompt tokens grew more than `threshold` against the previous version."""
    return [
        f"warning: prompt tokens of {m.pair} grew {m.prompt_growth:+.0%} vs {m.previous_version}"
        f" (warns above {threshold:.0%}; gate with compare --max-prompt-token-growth)"
        for m in metrics
        if m.prompt_growth is not None and m.prompt_growth > threshold
    ]


def metric_line(m: SystemMetrics) -> str:
    tokens = "-" if m.tokens_per_pass is None else f"{m.tokens_per_pass:,.0f}"
    parts = [
        f"tokens/pass {tokens}",
        f"$/pass {fmt_cost(m.cost_per_pass, unknown='-')}",
        f"retries {fmt_rate(m.retry_rate)}",
        f"fallbacks {fmt_rate(m.fallback_rate)}"
        + ("" if not m.fallback_rate else f" ({fmt_rate(m.fallback_spend_share)} of spend)"),
        f"cache hits {fmt_rate(m.cache_hit_ratio)}",
        f"grading {fmt_rate(m.grader_share)} of spend",
    ]
    if m.prompt_growth is not None:
        parts.append(f"prompt tokens {m.prompt_growth:+.0%} vs {m.previous_version}")
    return f"{m.pair}: " + " · ".join(parts)


def growth_threshold(workbench_block: dict[str, Any] | None) -> float:
    value = (workbench_block or {}).get("prompt_growth_warn")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else DEFAULT_GROWTH_WARN
