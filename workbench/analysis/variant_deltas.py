"""What each compression variant costs in quality and saves in tokens and dollars.

For each (prompt version, variant, model) of a run other than `none`, compare against the
`none` variant of the same prompt version and model in the same run: pass-rate and mean-score
deltas, tokens and $ saved per request, the compressor's own time (apart from model latency),
and whether the pair stays acceptable (pass rate >= target, no guardrail failures, no errors;
the DESIGN.md definition). Built on `analysis.pairs.pair_stats`, so the numbers match the
recommendation's. The CLI summary, the analysis engineer and the UI call `variant_deltas`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlite_utils import Database

from workbench.analysis.pairs import PairStats, pair_stats
from workbench.format import fmt_cost

DEFAULT_TARGET = 0.9


@dataclass
class VariantDelta:
    prompt: str  # "family/version" or the prompt label
    variant: str
    model: str
    n: int
    pass_rate: float
    baseline_pass_rate: float
    pass_rate_delta: float  # variant - none
    mean_score: float | None
    baseline_mean_score: float | None
    score_delta: float | None
    mean_tokens_in: float | None
    baseline_tokens_in: float | None
    tokens_saved_per_request: float | None  # none - variant, input tokens (provider usage or tiktoken)
    mean_cost: float | None  # uncached USD per request; None = unknown price
    baseline_cost: float | None
    cost_saved_per_request: float | None  # None when either price is unknown
    compression_ratio: float | None  # mean compressed/original prompt tokens (target tokenizer)
    compressor_seconds: float | None  # mean compressor wall time per compression (cache excluded)
    compressions_cached: int  # cells served by the compression cache
    acceptable: bool
    baseline_acceptable: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _compression_stats(db: Database, run_id: int) -> dict[tuple[int | None, str, str], dict[str, Any]]:
    """Per (prompt_version_id, variant, provider_label): mean ratio and compressor time."""
    acc: dict[tuple[int | None, str, str], dict[str, Any]] = {}
    sql = (
        "select prompt_version_id, variant, provider_label, compression from results "
        "where run_id = ? and compression is not null"
    )
    for pv, variant, label, raw in db.execute(sql, [run_id]).fetchall():
        try:
            info = json.loads(raw)
        except (TypeError, ValueError):
            continue
        a = acc.setdefault((pv, variant, label or "?"), {"ratios": [], "seconds": [], "cached": 0})
        if info.get("ratio") is not None:
            a["ratios"].append(float(info["ratio"]))
        if info.get("cached"):
            a["cached"] += 1
        else:
            a["seconds"].append(float(info.get("compressor_seconds", info.get("seconds")) or 0.0))
    return acc


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _acceptable(pair: PairStats, target: float, allow_errors: bool, allow_guardrail_failures: bool) -> bool:
    return (
        pair.n > 0
        and pair.pass_rate >= target - 1e-12
        and (allow_guardrail_failures or pair.guardrail_failures == 0)
        and (allow_errors or pair.errors == 0)
    )


def variant_deltas(
    db: Database,
    run_id: int,
    *,
    target: float = DEFAULT_TARGET,
    allow_errors: bool = False,
    allow_guardrail_failures: bool = False,
) -> list[VariantDelta]:
    """One row per non-`none` (prompt version, variant, model) whose `none` baseline ran too."""
    pairs = pair_stats(db, [run_id])
    baselines = {(p.prompt_version_id, p.prompt, p.model): p for p in pairs if p.variant == "none"}
    comp = _compression_stats(db, run_id)
    out: list[VariantDelta] = []
    for p in pairs:
        if p.variant == "none":
            continue
        base = baselines.get((p.prompt_version_id, p.prompt, p.model))
        if base is None:
            continue
        c = comp.get((p.prompt_version_id, p.variant, p.model), {})
        tokens_saved = (
            base.mean_tokens_in - p.mean_tokens_in
            if base.mean_tokens_in is not None and p.mean_tokens_in is not None
            else None
        )
        out.append(
            VariantDelta(
                prompt=p.prompt,
                variant=p.variant,
                model=p.model,
                n=p.n,
                pass_rate=p.pass_rate,
                baseline_pass_rate=base.pass_rate,
                pass_rate_delta=p.pass_rate - base.pass_rate,
                mean_score=p.mean_score,
                baseline_mean_score=base.mean_score,
                score_delta=(
                    p.mean_score - base.mean_score if p.mean_score is not None and base.mean_score is not None else None
                ),
                mean_tokens_in=p.mean_tokens_in,
                baseline_tokens_in=base.mean_tokens_in,
                tokens_saved_per_request=tokens_saved,
                mean_cost=p.mean_cost,
                baseline_cost=base.mean_cost,
                cost_saved_per_request=(
                    base.mean_cost - p.mean_cost if base.mean_cost is not None and p.mean_cost is not None else None
                ),
                compression_ratio=_mean(c.get("ratios", [])),
                compressor_seconds=_mean(c.get("seconds", [])),
                compressions_cached=int(c.get("cached", 0)),
                acceptable=_acceptable(p, target, allow_errors, allow_guardrail_failures),
                baseline_acceptable=_acceptable(base, target, allow_errors, allow_guardrail_failures),
            )
        )
    return out


def format_deltas(rows: list[VariantDelta]) -> list[str]:
    """Plain-text lines for a terminal summary (one per variant pair)."""
    lines = []
    for r in rows:
        cost = "unknown" if r.cost_saved_per_request is None else fmt_cost(r.cost_saved_per_request)
        tokens = "?" if r.tokens_saved_per_request is None else f"{r.tokens_saved_per_request:.0f}"
        score = "?" if r.score_delta is None else f"{r.score_delta:+.3f}"
        secs = "cached" if r.compressor_seconds is None else f"{r.compressor_seconds:.1f}s"
        lines.append(
            f"{r.prompt} · {r.variant} · {r.model}: pass {r.pass_rate:.0%} ({r.pass_rate_delta * 100:+.0f} pts vs none), "
            f"score {score}, saves {tokens} tokens / {cost} per request, compressor {secs}, "
            f"{'acceptable' if r.acceptable else 'NOT acceptable'}"
        )
    return lines
