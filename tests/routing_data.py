"""Synthetic runs with a planted structure for the routing and failure-cluster tests.

Results are written to a real SQLite file through RunWriter, with hand-made Suite / TestCase /
CellResult objects, so the routing code reads exactly what `workbench run` stores.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.store.writer import RunWriter
from workbench.types import Cell, CellResult, GradingResult, Prompt, ProviderResponse, ProviderSpec, Suite, TestCase

TEMPLATE = "Answer the customer ticket: {{ticket}}"
TOPICS = [
    "billing invoice refund",
    "password reset login",
    "shipping delay parcel",
    "account upgrade plan",
    "cancel subscription renewal",
    "broken device warranty",
    "change delivery address",
    "coupon code discount",
]


@dataclass
class Outcome:
    test: int
    provider: int
    ok: bool
    repeat: int = 0
    cost: float | None = 0.001
    output: str = "fine"
    reason: str = ""
    error: str | None = None
    prompt: int = 0


@dataclass
class Scenario:
    tests: list[dict[str, Any]]
    outcomes: list[Outcome]
    providers: list[str] = field(default_factory=lambda: ["cheap", "strong"])
    prompts: list[str] = field(default_factory=lambda: [TEMPLATE])


def ticket_text(i: int, marker: bool, rng: random.Random) -> str:
    words = [*rng.choice(TOPICS).split(), *rng.sample(["please", "help", "today", "urgent", "thanks", "soon"], 3)]
    rng.shuffle(words)
    text = f"ticket {i}: " + " ".join(words)
    return text + (" contains legal clause arbitration" if marker else "")


def marker_scenario(
    n_tests: int = 60, *, repeats: int = 1, seed: int = 0, cheap_cost: float = 0.001, strong_cost: float = 0.01
) -> Scenario:
    """The cheap model fails exactly the inputs with the marker; the strong model passes all."""
    rng = random.Random(seed)
    tests, outcomes = [], []
    for i in range(n_tests):
        marker = i % 3 == 0
        tests.append({"description": f"t{i}", "vars": {"ticket": ticket_text(i, marker, rng)}})
        for r in range(repeats):
            outcomes.append(Outcome(i, 0, ok=not marker, repeat=r, cost=cheap_cost))
            outcomes.append(Outcome(i, 1, ok=True, repeat=r, cost=strong_cost))
    return Scenario(tests, outcomes)


def support_scenario(n_tests: int = 60, *, repeats: int = 2, seed: int = 0) -> Scenario:
    """docs/routing.md's synthetic suite: `marker_scenario` (the cheap model fails every ticket with a
    legal clause, one in three) where the strong model also fails 3 results by leaking an e-mail."""
    sc = marker_scenario(n_tests, repeats=repeats, seed=seed)
    leaks = [o for o in sc.outcomes if o.provider == 1 and o.test % 3 != 0 and o.repeat == 0][:3]
    for o in leaks:
        o.ok, o.output, o.reason = False, "write to jane.doe@example.com", "leaked an e-mail address"
    return sc


CASCADE_MODELS = ["cheap", "mid", "strong"]
CASCADE_COSTS = [0.001, 0.004, 0.01]


def three_tier_scenario(n_tests: int = 60, seed: int = 0) -> Scenario:
    """cheap fails 'arbitration' and 'lawsuit' tickets; mid fails only 'lawsuit'; strong passes all."""
    rng = random.Random(seed)
    tests, outcomes = [], []
    for i in range(n_tests):
        kind = i % 4  # 0: lawsuit, 1: arbitration, 2-3: plain
        text = ticket_text(i, kind == 1, rng) + (" threatens a lawsuit in court" if kind == 0 else "")
        tests.append({"description": f"t{i}", "vars": {"ticket": text}})
        outcomes += [
            Outcome(i, 0, ok=kind >= 2, cost=CASCADE_COSTS[0]),
            Outcome(i, 1, ok=kind != 0, cost=CASCADE_COSTS[1]),
            Outcome(i, 2, ok=True, cost=CASCADE_COSTS[2]),
        ]
    return Scenario(tests, outcomes, providers=CASCADE_MODELS)


def random_cascade_scenario(
    n_tests: int = 60, *, seed: int = 1, rates: tuple[float, ...] = (0.6, 0.8, 0.95)
) -> Scenario:
    """Three models whose pass/fail is independent of the input (pass rates `rates`): nothing to learn."""
    rng = random.Random(seed)
    tests, outcomes = [], []
    for i in range(n_tests):
        tests.append({"description": f"t{i}", "vars": {"ticket": ticket_text(i, False, rng)}})
        outcomes += [Outcome(i, k, ok=rng.random() < rate, cost=CASCADE_COSTS[k]) for k, rate in enumerate(rates)]
    return Scenario(tests, outcomes, providers=CASCADE_MODELS)


def random_scenario(n_tests: int = 60, *, seed: int = 1) -> Scenario:
    """Pass/fail of the cheap model independent of the input: nothing to learn."""
    rng = random.Random(seed)
    tests, outcomes = [], []
    for i in range(n_tests):
        tests.append({"description": f"t{i}", "vars": {"ticket": ticket_text(i, False, rng)}})
        outcomes.append(Outcome(i, 0, ok=rng.random() < 0.6, cost=0.001))
        outcomes.append(Outcome(i, 1, ok=rng.random() < 0.95, cost=0.01))
    return Scenario(tests, outcomes)


def render(template: str, vars: dict[str, Any]) -> str:
    text = template
    for k, v in vars.items():
        text = text.replace("{{" + k + "}}", str(v))
    return text


def write_scenario(db: Database, sc: Scenario, *, suite_path: Path | None = None, label: str | None = None) -> int:
    prompts = []
    for k, raw in enumerate(sc.prompts):
        p = Prompt(raw=raw, label=f"ticket/v{k + 1}", family="ticket", version=f"v{k + 1}",
                   sha256=hashlib.sha256(raw.encode()).hexdigest())  # fmt: skip
        prompts.append(p)
    specs = [ProviderSpec(id=f"echo:{p}", label=p) for p in sc.providers]
    cases = [
        TestCase(index=i, vars=t["vars"], asserts=[{"type": "contains", "value": "ok"}], description=t["description"])
        for i, t in enumerate(sc.tests)
    ]
    suite = Suite(
        path=suite_path, description="synthetic", prompts=prompts, providers=specs, tests=cases, sha256="synthetic"
    )
    writer = RunWriter.create(db, suite, config={}, cells_planned=len(sc.outcomes), label=label)
    pv_ids = {
        int(a): int(b)
        for a, b in db.execute(
            "select prompt_idx, prompt_version_id from run_prompts where run_id = ?", [writer.run_id]
        )
    }
    cells = [
        _cell(o, render(sc.prompts[o.prompt], sc.tests[o.test]["vars"]), sc.tests[o.test]["vars"]) for o in sc.outcomes
    ]
    writer.write_results(cells, specs, pv_ids)
    writer.finish("completed")
    return writer.run_id


def _cell(o: Outcome, prompt_text: str, vars: dict[str, Any]) -> CellResult:
    component = GradingResult(
        pass_=o.ok, score=1.0 if o.ok else 0.0, reason=o.reason or ("ok" if o.ok else "failed"),
        assertion={"type": "contains", "value": "ok"},
    )  # fmt: skip
    grading = None if o.error else GradingResult(pass_=o.ok, score=float(o.ok), component_results=[component])
    return CellResult(
        cell=Cell(prompt_idx=o.prompt, provider_idx=o.provider, test_idx=o.test, repeat=o.repeat),
        prompt_text=prompt_text,
        response=ProviderResponse(output=o.output, error=o.error, tokens_in=50, tokens_out=10, cost=o.cost),
        success=o.ok and o.error is None,
        score=float(o.ok),
        error=o.error,
        grading=grading,
        vars=vars,
    )
