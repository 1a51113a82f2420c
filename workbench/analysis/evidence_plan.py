"""The evidence planner: how many tests x repeats a verdict needs, and what they cost.

Before a run (`workbench plan SUITE`, `workbench run SUITE --plan`): the independent samples per
pair and side that detect a `drop`-point pass-rate drop at the chosen power and significance
(`sample_size.samples_per_side`), turned into tests x repeats with the intra-class correlation of
repeats (measured on the newest stored run of the suite with repeats, else 1: a deterministic
model's repeats add nothing), and priced with the dry-run estimate (`run/suite_plan.py`, which runs `run.estimate`).

After an inconclusive comparison (`settle`): how many more flips the exact McNemar test needs at
the observed regressed:improved ratio, how many matched rows that is at the observed flip rate,
and what running them on both sides costs at the measured cost per request.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.analysis import repeat_clusters
from workbench.analysis.comparison import RunComparison
from workbench.analysis.sample_size import (
    discordant_needed,
    estimate_icc,
)
from workbench.format import fmt_cost
from workbench.types import Suite

DEFAULT_RATE = 0.9
REPEAT_OPTIONS = (1, 2, 3, 5, 10)
MAX_REPEATS = 50


@dataclass
class PlanOption:
    repeats: int
    tests: int  # tests needed at this many repeats
    cells_per_pair: int
    cost_per_run: float | None  # every pair of the suite, one side; None: a price is unknown


@dataclass
class EvidencePlan:
    suite: str
    drop: float
    alpha: float
    power: float
    baseline_rate: float
    rate_source: str
    icc: float
    icc_source: str
    samples: int  # independent samples per pair and side
    suite_tests: int
    pairs: int  # prompt x variant x provider combinations the suite runs
    cost_per_cell: float | None  # mean over the suite's cells (all pairs), from the dry-run estimate
    unpriced: int  # prompt x provider rows with an unknown price (their cost is left out)
    suite_repeats: int | None  # repeats of the suite's own tests that reach `samples`, None: cannot
    options: list[PlanOption] = field(default_factory=list)

    def _cost(self, cells_per_pair: int) -> float | None:
        return None if self.cost_per_cell is None else cells_per_pair * self.pairs * self.cost_per_cell

    def lines(self) -> list[str]:
        out = [
            f"Plan for {self.suite}: detect a {self.drop * 100:g}-point pass-rate drop below"
            f" {self.baseline_rate:.1%} ({self.rate_source}) with power {self.power:.0%} at two-sided"
            f" alpha {self.alpha:g}",
            f"Needs {self.samples} independent samples per pair on each side (BASE and HEAD);"
            f" {self.pairs} pair{'s' * (self.pairs != 1)}; repeats correlate within a test with ICC"
            f" {self.icc:.2f} ({self.icc_source}).",
            "  repeats  tests needed  cells per pair  cost per run (all pairs)",
        ]
        for o in self.options:
            cost = "unknown" if o.cost_per_run is None else fmt_cost(o.cost_per_run)
            out.append(f"  {o.repeats:>7}  {o.tests:>12}  {o.cells_per_pair:>14}  {cost}")
        if self.suite_repeats is not None:
            cells = self.suite_tests * self.suite_repeats
            price = self._cost(cells)
            out.append(
                f"This suite's {self.suite_tests} tests reach it with --repeat {self.suite_repeats}"
                f" ({cells} cells per pair, {'unknown' if price is None else fmt_cost(price)} per run; run BASE and"
                " HEAD)."
            )
        else:
            limit = (
                f"worth at most {self.suite_tests / self.icc:.1f} samples per pair at ICC {self.icc:.2f}, however"
                " many repeats"
                if self.icc > 0
                else f"more than {MAX_REPEATS} repeats"
            )
            out.append(
                f"This suite's {self.suite_tests} tests cannot reach it by repeating ({limit}): add tests, at least"
                f" {self.options[0].tests} at 1 repeat."
            )
        if self.unpriced:
            out.append(f"Costs leave out {self.unpriced} prompt x provider row(s) with an unknown price.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def newest_run(db: Database | None, suite: Suite, *, with_repeats: bool) -> int | None:
    if db is None or suite.path is None:
        return None
    for run_id, path in db.execute(
        "select id, suite_path from runs where status = 'completed' order by id desc"
    ).fetchall():
        if not path or Path(path).resolve() != suite.path.resolve():
            continue
        if not with_repeats or repeat_clusters.has_repeats(db, [int(run_id)]):
            return int(run_id)
    return None


def measured_icc(db: Database, run_id: int) -> float | None:
    """Pooled over the run's pairs (tests of every pair, their pass fractions)."""
    clusters = repeat_clusters.pair_clusters(db, [run_id]).values()
    values = [
        (c.tests, icc) for c in clusters if (icc := estimate_icc(c.tests, c.max_repeats, c.sum_f, c.sum_f2)) is not None
    ]
    if not values:
        return None
    return sum(t * v for t, v in values) / sum(t for t, _ in values)


# -- after an inconclusive comparison ---------------------------------------------------------------


@dataclass
class Settle:
    regressed: int
    improved: int
    flips_needed: int | None  # None: as many flips each way, nothing to settle
    rows_needed: int | None
    more_rows: int | None
    more_repeats: int | None
    price: float | None

    def line(self) -> str:
        if self.flips_needed is None or self.rows_needed is None:
            return (
                f"to settle it: {self.regressed} regressed and {self.improved} improved point both ways; more"
                " evidence would not show a direction"
            )
        price = "at an unknown price" if self.price is None else f"about {fmt_cost(self.price)} for both sides"
        return (
            f"to settle it: about {self.flips_needed} flips at this ratio ({self.regressed}:{self.improved}) at 80%"
            f" power, so about {self.rows_needed} matched (test, pair) rows: {self.more_rows} more (new tests, or"
            f" {self.more_repeats} more repeat{'s' * (self.more_repeats != 1)} of each test on both sides if"
            f" repeats are independent), {price}"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"line": self.line()}


def settle(c: RunComparison, power: float = 0.8) -> Settle | None:
    """What would turn an inconclusive McNemar verdict into a conclusive one; None otherwise."""
    sig = c.significance
    b, imp = sig.regressed, sig.improved
    if sig.verdict != "inconclusive" or b + imp == 0 or not c.matched:
        return None
    needed = discordant_needed(b / (b + imp), sig.alpha, power)
    if needed is None:
        return Settle(b, imp, None, None, None, None, None)
    rows = math.ceil(needed * c.matched / (b + imp))
    more = max(0, rows - c.matched)
    repeats = max(1, math.ceil(rows / c.matched) - 1) if more else 0
    costs = (c.base.cost_per_request, c.head.cost_per_request)
    price = None if costs[0] is None or costs[1] is None else more * (costs[0] + costs[1])
    return Settle(b, imp, needed, rows, more, repeats, price)
