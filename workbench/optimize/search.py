"""The optimizer's search: cheaper versions of one prompt, each verified on the suite.

1. The original is run on the suite (the chosen models) through the normal engine: its results are
   the reference, and they fix what "acceptable" means for this search.
2. **Ablation**: every unprotected instruction unit (optimize/units.py), largest first, is removed
   from the current best; the candidate is kept when it is acceptable. Greedy, one pass.
3. **Rewrite** (with `rewriter`): a model is asked for a shorter version of the current best that
   keeps its constraints and placeholders; kept when acceptable and shorter.

Every candidate is a stored run (label `optimize FAMILY/VERSION`), cached and resumable like any
run, so re-running an optimization costs only the candidates it has not seen.

**Acceptable** means, against the original's results on the same (test, model, repeat) cells:
no test that passed now fails (or, with `significance`, no regression that an exact McNemar test
calls significant at that alpha), no new error or guardrail failure, and the pass rate at or above
the target when the original reached it. The spend (model + grader) is checked before every
candidate: the search stops when the next candidate could pass `max_cost`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from workbench.analysis.significance import mcnemar
from workbench.compression.service import compress_cached
from workbench.errors import UsageError
from workbench.optimize.units import Unit, join, split_units
from workbench.providers.stack import build_provider
from workbench.run.config import RunConfig
from workbench.run.engine import run_suite
from workbench.suite.families import normalized_sha256
from workbench.tokens import count_message_tokens, count_tokens
from workbench.types import Prompt, ProviderRequest, ProviderSpec, Suite

MIN_COMPRESS_WORDS = 8  # shorter units have nothing a compressor could safely drop
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)")
REWRITE_INSTRUCTION = (
    "Rewrite the prompt template below to be as short as possible while keeping every instruction, "
    "constraint and output format it asks for. Keep these placeholders exactly as written: {placeholders}. "
    "Return only the rewritten template, nothing else.\n\n---\n{template}\n---"
)

CellKey = tuple[int, int, int]  # (test_idx, provider_idx, repeat)


@dataclass
class CellOutcome:
    success: bool
    error: bool
    guardrail: bool


@dataclass
class Candidate:
    n: int
    origin: str  # "original" | "without: <unit>" | "rewrite"
    text: str
    tokens: int  # template tokens (what every request pays on top of its inputs)
    run_id: int | None = None
    passes: int = 0
    total: int = 0
    errors: int = 0
    guardrail_failures: int = 0
    broken: int = 0  # passed with the original, fail here
    fixed: int = 0
    cost: float | None = 0.0  # model + grader spend of this candidate's run (None: unknown price)
    mean_cost: float | None = None  # per request, cached calls at their original cost
    accepted: bool = False
    reason: str = ""
    removed: list[int] = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        return self.passes / self.total if self.total else None


@dataclass
class Search:
    """Everything one optimization needs; `run` fills `candidates`."""

    suite: Suite
    prompt: Prompt
    db: Database
    target: float | None = None
    max_cost: float | None = None
    max_candidates: int = 40
    significance: float | None = None
    rewriter: ProviderSpec | None = None
    compress: tuple[str, float, str] | None = None  # (method, rate, compressor model) for unit compression
    label: str = ""
    max_concurrency: int = 4
    log: Callable[[str], None] | None = None
    candidates: list[Candidate] = field(default_factory=list)
    spent: float = 0.0
    unpriced: bool = False
    stopped: str | None = None  # why the search ended early
    _reference: dict[CellKey, CellOutcome] = field(default_factory=dict)

    # -- running one candidate ------------------------------------------------------------------
    def _suite_for(self, text: str) -> Suite:
        """The suite with `text` as its one prompt. The original keeps its family/version (the
        Versions page lists it); candidates are anonymous until one is written as a version."""
        if text == self.prompt.raw:
            return dataclasses.replace(self.suite, prompts=[self.prompt])
        prompt = dataclasses.replace(
            self.prompt, raw=text, path=None, family=None, version=None, sha256=normalized_sha256(text)
        )
        return dataclasses.replace(self.suite, prompts=[prompt])

    def template_tokens(self, text: str) -> int:
        """What every request pays for the template: its text, or for a chat prompt its messages
        with OpenAI's chat framing (never the JSON layout, which differs between versions)."""
        if self.prompt.is_chat:
            try:
                messages = json.loads(text)
            except ValueError:
                return count_tokens(text)
            if isinstance(messages, list) and all(isinstance(m, dict) for m in messages):
                return count_message_tokens(messages)
        return count_tokens(text)

    def _budget_left(self) -> float | None:
        return None if self.max_cost is None else self.max_cost - self.spent

    def _next_estimate(self) -> float:
        runs = [c.cost for c in self.candidates if c.cost is not None]
        return max(runs, default=0.0)

    def evaluate(self, origin: str, text: str, removed: list[int]) -> Candidate | None:
        """Run `text` on the suite; None when the budget cannot cover another candidate."""
        left = self._budget_left()
        if left is not None and self.candidates and self._next_estimate() > left:
            self.stopped = (
                f"max cost: ${self.spent:.4f} spent, the next candidate may cost ${self._next_estimate():.4f}"
            )
            return None
        if len(self.candidates) >= self.max_candidates:
            self.stopped = f"candidate budget: {self.max_candidates} evaluated"
            return None
        cand = Candidate(len(self.candidates), origin, text, self.template_tokens(text), removed=list(removed))
        config = RunConfig(
            label=self.label,
            max_concurrency=self.max_concurrency,
            max_cost=left,
            variants=["none"],
        )
        outcome = run_suite(self._suite_for(text), config, self.db)
        cand.run_id = outcome.run_id
        cells, cost, mean_cost = read_run(self.db, outcome.run_id)
        cand.cost, cand.mean_cost = cost, mean_cost
        if cost is None:
            self.unpriced = True
        else:
            self.spent += cost
        self.candidates.append(cand)
        if outcome.status != "completed":
            cand.reason = f"run {outcome.run_id} ended {outcome.status}"
            self.stopped = (
                f"max cost: the budget stopped run {outcome.run_id} before it finished"
                if outcome.status == "budget_exceeded"
                else cand.reason
            )
            return cand
        self._score(cand, cells)
        if self.log:
            rate = cand.pass_rate
            self.log(
                f"  #{cand.n} {origin}: {cand.tokens} tokens, pass {cand.passes}/{cand.total}"
                f"{'' if rate is None else f' ({rate:.0%})'} -> {'kept' if cand.accepted else cand.reason}"
            )
        return cand

    def _score(self, cand: Candidate, cells: dict[CellKey, CellOutcome]) -> None:
        cand.total = len(cells)
        cand.passes = sum(1 for c in cells.values() if c.success)
        cand.errors = sum(1 for c in cells.values() if c.error)
        cand.guardrail_failures = sum(1 for c in cells.values() if c.guardrail)
        if not self._reference:  # the original defines the reference
            self._reference = cells
            cand.accepted, cand.reason = True, "original"
            return
        ref = self._reference
        cand.broken = sum(1 for k, c in ref.items() if c.success and not cells.get(k, _MISSING).success)
        cand.fixed = sum(1 for k, c in ref.items() if not c.success and cells.get(k, _MISSING).success)
        new_errors = sum(1 for k, c in cells.items() if c.error and not ref.get(k, _MISSING).error)
        new_guardrails = sum(1 for k, c in cells.items() if c.guardrail and not ref.get(k, _MISSING).guardrail)
        original = self.candidates[0]
        target = self.target
        reasons = []
        if set(cells) != set(ref):
            reasons.append("a different set of cells than the original")
        if new_errors:
            reasons.append(f"{new_errors} new error(s)")
        if new_guardrails:
            reasons.append(f"{new_guardrails} new guardrail failure(s)")
        if self.significance is None:
            if cand.broken:
                reasons.append(f"breaks {cand.broken} passing test cell(s)")
        else:
            verdict = mcnemar(cand.broken, cand.fixed, self.significance)
            if verdict.verdict == "regressed":
                reasons.append(f"a significant regression ({cand.broken} broken, p={verdict.p_value:.3g})")
        rate, orig_rate = cand.pass_rate, original.pass_rate
        if target is not None and orig_rate is not None and orig_rate >= target and (rate or 0.0) < target:
            reasons.append(f"pass rate {rate:.0%} below the {target:.0%} target")
        cand.accepted = not reasons
        cand.reason = "; ".join(reasons) if reasons else "kept"

    # -- the search -----------------------------------------------------------------------------
    def run(self) -> Candidate:
        """The search; returns the best acceptable candidate (the original when nothing is cheaper)."""
        original = self.evaluate("original", self.prompt.raw, [])
        if original is None or not original.accepted:
            raise UsageError(f"optimize: the original prompt could not be run ({original.reason if original else ''})")
        best = original
        units = split_units(self.prompt.raw, self.prompt.is_chat)
        removable = sorted((u for u in units if not u.protected and u.text.strip()), key=lambda u: -len(u.text))
        removed: set[int] = set()
        for unit in removable:
            text = join(self.prompt.raw, self.prompt.is_chat, units, removed | {unit.index})
            cand = self.evaluate(f"without: {unit.label}", text, sorted(removed | {unit.index}))
            if cand is None or self.stopped:
                break
            if cand.accepted and cand.tokens < best.tokens:
                removed.add(unit.index)
                best = cand
        if self.compress is not None and not self.stopped:
            best = self._compress_units(units, removed, best)
        if self.rewriter is not None and not self.stopped:
            shorter = self.rewrite(best.text)
            if shorter is not None and self.template_tokens(shorter) < best.tokens:
                cand = self.evaluate("rewrite", shorter, sorted(removed))
                if cand is not None and cand.accepted and cand.tokens < best.tokens:
                    best = cand
        return best

    def _compress_units(self, units: list[Unit], removed: set[int], best: Candidate) -> Candidate:
        """Each remaining unit of 8+ words replaced by its compression (fact guard on), kept when acceptable."""
        assert self.compress is not None
        method, rate, model = self.compress
        replaced: dict[int, str] = {}
        for unit in sorted(units, key=lambda u: -len(u.text)):
            if unit.protected or unit.index in removed or unit.turns or len(unit.text.split()) < MIN_COMPRESS_WORDS:
                continue
            short = asyncio.run(compress_cached(self.db, unit.text, method, rate, model, keep_facts=True)).text
            if not short.strip() or count_tokens(short) >= count_tokens(unit.text):
                continue
            text = join(self.prompt.raw, self.prompt.is_chat, units, removed, {**replaced, unit.index: short})
            cand = self.evaluate(f"compressed ({method}:{rate:g}): {unit.label}", text, sorted(removed))
            if cand is None or self.stopped:
                break
            if cand.accepted and cand.tokens < best.tokens:
                replaced[unit.index] = short
                best = cand
        return best

    def rewrite(self, template: str) -> str | None:
        """A shorter template from the rewriter model; None when it drops a placeholder or fails."""
        assert self.rewriter is not None
        names = sorted(set(PLACEHOLDER.findall(template)))
        shown = ", ".join("{{" + n + "}}" for n in names) or "(none)"
        message = REWRITE_INSTRUCTION.format(placeholders=shown, template=template)
        provider = build_provider(self.rewriter, self.suite.base_dir, db=self.db)
        response = asyncio.run(
            provider.call(ProviderRequest(prompt=message, messages=[{"role": "user", "content": message}]))
        )
        if response.cost is not None:
            self.spent += response.cost
        if response.error or not isinstance(response.output, str):
            if self.log:
                self.log(f"  rewrite: {response.error or 'no text'}")
            return None
        text = response.output.strip()
        if text.startswith("---"):
            text = text.strip("-").strip()
        missing = [n for n in names if n not in set(PLACEHOLDER.findall(text))]
        if missing:
            if self.log:
                self.log(f"  rewrite dropped placeholder(s) {', '.join(missing)}: not evaluated")
            return None
        return text + ("\n" if template.endswith("\n") else "")


_MISSING = CellOutcome(success=False, error=False, guardrail=False)


def read_run(db: Database, run_id: int) -> tuple[dict[CellKey, CellOutcome], float | None, float | None]:
    """A run's cells, its spend (model + grader; None when a price is unknown) and mean cost/request."""
    cols = {r[1] for r in db.execute("pragma table_info(results)")}
    grader = "coalesce(grader_cost, 0)" if "grader_cost" in cols else "0"
    cells: dict[CellKey, CellOutcome] = {}
    spend = 0.0
    unknown = False
    full: list[float] = []
    for test_idx, provider_idx, repeat, success, error, guardrails, cost, cached_cost, gcost in db.execute(
        "select test_idx, provider_idx, repeat, success, error, guardrail_failures, cost, cached_cost,"
        f" {grader} from results where run_id = ?",
        [run_id],
    ):
        cells[(int(test_idx), int(provider_idx), int(repeat))] = CellOutcome(
            bool(success) and error is None, error is not None, bool(guardrails)
        )
        if error is None and cost is None and not cached_cost:
            unknown = True
        spend += float(cost or 0.0) + float(gcost or 0.0)
        per_request = cost if cost else cached_cost
        if error is None and per_request is not None:
            full.append(float(per_request))
    mean = sum(full) / len(full) if full and not unknown else None
    return cells, (None if unknown else spend), mean


def unit_list(prompt: Prompt) -> list[Unit]:
    return split_units(prompt.raw, prompt.is_chat)


def select_prompt(suite: Suite, family: str, version: str) -> Prompt:
    for p in suite.prompts:
        if p.family == family and p.version == version:
            return p
    known = sorted({f"{p.family}/{p.version}" for p in suite.prompts if p.family})
    raise UsageError(
        f"optimize: {family}/{version} is not a prompt of {suite.path}"
        + (f" (it has {', '.join(known)})" if known else " (it has no prompts/<family>/<version> files)")
    )


def select_providers(suite: Suite, models: list[str]) -> Suite:
    if not models:
        return suite
    chosen = [p for p in suite.providers if p.id in models or (p.label and p.label in models)]
    missing = [m for m in models if not any(p.id == m or p.label == m for p in chosen)]
    chosen += [ProviderSpec(id=m) for m in missing]
    return dataclasses.replace(suite, providers=chosen)


def describe(value: Any) -> str:
    return "n/a" if value is None else f"{value:.0%}"
