"""What `workbench optimize FAMILY/VERSION --suite S` does, as a library function."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.analysis.diff import word_diff
from workbench.compression.variants import parse_variant
from workbench.errors import UsageError
from workbench.format import fmt_cost
from workbench.optimize.search import Candidate, Search, select_prompt, select_providers
from workbench.optimize.version_file import write_version
from workbench.store.db import open_db
from workbench.store.optimizations import record_optimization
from workbench.suite import load
from workbench.types import ProviderSpec, SuiteSettings

DAYS_PER_MONTH = 30


@dataclass
class OptimizeRequest:
    target: str  # FAMILY/VERSION
    suite: Path
    models: list[str] = field(default_factory=list)
    pass_rate: float | None = None  # acceptance target; default: the suite's workbench.acceptance
    max_cost: float | None = None
    max_candidates: int = 40
    significance: float | None = None
    rewriter: str | None = None
    compress: str | None = None  # METHOD:RATE, e.g. llmlingua:0.7
    compressor_model: str = "smollm2-135m"
    requests_per_day: float | None = None
    db: Path | None = None
    write: bool = True
    max_concurrency: int = 4


@dataclass
class OptimizeResult:
    family: str
    version: str
    suite: str
    models: list[str]
    original: Candidate
    winner: Candidate
    candidates: list[Candidate]
    frontier: list[int]  # candidate numbers on the tokens x pass-rate Pareto frontier
    spent: float
    unpriced: bool
    stopped: str | None
    written: Path | None
    diff: list[tuple[str, str]]
    savings_per_request: float | None
    requests_per_day: float | None
    optimization_id: int = 0

    @property
    def savings_per_month(self) -> float | None:
        if self.savings_per_request is None or self.requests_per_day is None:
            return None
        return self.savings_per_request * self.requests_per_day * DAYS_PER_MONTH

    def to_dict(self) -> dict[str, Any]:
        def cand(c: Candidate) -> dict[str, Any]:
            return {
                "n": c.n,
                "origin": c.origin,
                "tokens": c.tokens,
                "run_id": c.run_id,
                "passes": c.passes,
                "total": c.total,
                "pass_rate": c.pass_rate,
                "broken": c.broken,
                "fixed": c.fixed,
                "errors": c.errors,
                "cost": c.cost,
                "accepted": c.accepted,
                "reason": c.reason,
            }

        return {
            "family": self.family,
            "version": self.version,
            "suite": self.suite,
            "models": self.models,
            "original": cand(self.original),
            "winner": cand(self.winner),
            "winner_text": self.winner.text,
            "candidates": [cand(c) for c in self.candidates],
            "frontier": self.frontier,
            "spent": self.spent,
            "unpriced": self.unpriced,
            "stopped": self.stopped,
            "written": str(self.written) if self.written else None,
            "diff": [list(d) for d in self.diff],
            "savings_per_request": self.savings_per_request,
            "requests_per_day": self.requests_per_day,
            "savings_per_month": self.savings_per_month,
        }


def pareto(candidates: list[Candidate]) -> list[int]:
    """Candidates no other beats on both fewer tokens and a higher pass rate."""
    scored = [c for c in candidates if c.pass_rate is not None]
    out = []
    for c in scored:
        rate = c.pass_rate or 0.0
        dominated = any(
            (o.tokens <= c.tokens and (o.pass_rate or 0.0) >= rate)
            and (o.tokens < c.tokens or (o.pass_rate or 0.0) > rate)
            for o in scored
        )
        if not dominated:
            out.append(c.n)
    return sorted(out, key=lambda n: candidates[n].tokens)


def compression_of(value: str, model: str) -> tuple[str, float, str]:
    """`--compress METHOD:RATE` (checked before any call: the method must be registered)."""
    method, rate = parse_variant(value)  # an unknown method is a UsageError naming the known ones
    if method == "none" or rate is None:
        raise UsageError(f"--compress: give METHOD:RATE, e.g. llmlingua:0.7 (got {value!r})")
    return method, rate, model


def rewriter_spec(providers: list[ProviderSpec], name: str) -> ProviderSpec:
    """The suite's provider with this id or label (its config included), else a bare provider id."""
    for spec in providers:
        if name in (spec.id, spec.label):
            return spec
    return ProviderSpec(id=name)


def _acceptance_target(settings: SuiteSettings, flag: float | None) -> float | None:
    if flag is not None:
        return flag
    acceptance = settings.acceptance
    value = acceptance.get("min_pass_rate", acceptance.get("target")) if isinstance(acceptance, dict) else None
    return float(value) if isinstance(value, (int, float)) else 0.9


def optimize(req: OptimizeRequest, *, log: Any = None) -> OptimizeResult:
    family, sep, version = req.target.partition("/")
    if not sep or not family or not version:
        raise UsageError(f"optimize: give FAMILY/VERSION (e.g. ticket_summary/v2), got {req.target!r}")
    if req.max_candidates < 1:
        raise UsageError("--max-candidates must be at least 1")
    loaded = load(req.suite)
    suite = select_providers(loaded, req.models)
    prompt = select_prompt(suite, family, version)
    suite = dataclasses.replace(suite, prompts=[prompt])
    db: Database = open_db(req.db)
    search = Search(
        suite=suite,
        prompt=prompt,
        db=db,
        target=_acceptance_target(suite.settings, req.pass_rate),
        max_cost=req.max_cost,
        max_candidates=req.max_candidates,
        significance=req.significance,
        rewriter=rewriter_spec(loaded.providers, req.rewriter) if req.rewriter else None,
        compress=compression_of(req.compress, req.compressor_model) if req.compress else None,
        label=f"optimize {family}/{version}",
        max_concurrency=req.max_concurrency,
        log=log,
    )
    winner = search.run()
    original = search.candidates[0]
    savings = (
        original.mean_cost - winner.mean_cost
        if original.mean_cost is not None and winner.mean_cost is not None
        else None
    )
    written = None
    models = [p.display for p in suite.providers]
    if req.write and winner is not original and prompt.path is not None:
        rate = winner.pass_rate
        written = write_version(
            prompt.path,
            winner.text,
            [
                f"from {family}/{version} (sha256 {prompt.sha256[:12]}), {original.tokens} -> {winner.tokens} template tokens",
                f"verified on {req.suite} with {', '.join(models)}: {winner.passes}/{winner.total} cells pass"
                + ("" if rate is None else f" ({rate:.0%})")
                + f", {winner.broken} broken vs the original (run {winner.run_id}, original run {original.run_id})",
                f"search: {len(search.candidates)} candidates, spent {fmt_cost(search.spent)}"
                + (" + unknown-price calls" if search.unpriced else ""),
            ],
            is_chat=prompt.is_chat,
        )
    result = OptimizeResult(
        family=family,
        version=version,
        suite=str(req.suite),
        models=models,
        original=original,
        winner=winner,
        candidates=search.candidates,
        frontier=pareto(search.candidates),
        spent=search.spent,
        unpriced=search.unpriced,
        stopped=search.stopped,
        written=written,
        diff=word_diff(original.text, winner.text),
        savings_per_request=savings,
        requests_per_day=req.requests_per_day,
    )
    result.optimization_id = record_optimization(
        db, family, version, str(req.suite), str(written) if written else None, result.to_dict()
    )
    return result


def _change_line(origin: str) -> str:
    if origin.startswith("without: "):
        return f"removed     {origin.removeprefix('without: ')}"
    if origin.startswith("compressed "):
        how, _, unit = origin.partition(": ")
        return f"compressed  {unit}  {how.removeprefix('compressed ')}"
    return f"rewritten   ({origin})"


def format_result(r: OptimizeResult) -> str:
    """The terminal report: the decision first, then the evidence."""
    lines = []
    saved = r.original.tokens - r.winner.tokens
    if r.written:
        lines.append(
            f"Wrote {r.written}: {r.original.tokens} -> {r.winner.tokens} template tokens (-{saved}, "
            f"{saved / max(r.original.tokens, 1):.0%}), pass {r.winner.passes}/{r.winner.total} "
            f"(original {r.original.passes}/{r.original.total}), {r.winner.broken} test cells broken."
        )
    elif r.winner is r.original:
        lines.append(f"No cheaper version of {r.family}/{r.version} held the suite; nothing written.")
    else:
        lines.append(f"A cheaper version was found ({r.winner.tokens} tokens) but not written (--no-write).")
    if r.savings_per_month is not None:
        lines.append(
            f"Saves {fmt_cost(r.savings_per_request)}/request, {fmt_cost(r.savings_per_month)}/month "
            f"at {r.requests_per_day:,.0f} requests/day."
        )
    elif r.savings_per_request is not None:
        lines.append(f"Saves {fmt_cost(r.savings_per_request)}/request (--requests-per-day for a monthly figure).")
    else:
        lines.append("Savings in $: unknown (a model's price is unknown).")
    lines.append(
        f"Search: {len(r.candidates)} candidates on {', '.join(r.models)}, spent {fmt_cost(r.spent)}"
        + (" + unknown-price calls" if r.unpriced else "")
        + (f"; stopped early: {r.stopped}" if r.stopped else "")
        + "."
    )
    lines.append("")
    lines.append("Frontier (template tokens vs pass rate):")
    for n in r.frontier:
        c = r.candidates[n]
        rate = "n/a" if c.pass_rate is None else f"{c.pass_rate:.0%}"
        lines.append(
            f"  #{c.n:<3} {c.tokens:>5} tokens  {rate:>5}  {c.origin}{'  <- written' if c is r.winner and r.written else ''}"
        )
    lines.append("")
    lines.append("Candidates:")
    for c in r.candidates[1:]:
        lines.append(
            f"  #{c.n:<3} {c.tokens:>5} tokens  {'kept   ' if c.accepted else 'dropped'}  {c.origin}  ({c.reason})"
        )
    changes = [c.origin for c in r.candidates[1 : r.winner.n + 1] if c.accepted]
    if changes and r.winner is not r.original:
        lines.append("")
        lines.append(f"What changed from {r.family}/{r.version} (the word diff is in the UI's Versions page):")
        lines.extend(f"  {_change_line(c)}" for c in changes)
    return "\n".join(lines)
