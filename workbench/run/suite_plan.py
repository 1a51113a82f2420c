"""`plan_suite`: the evidence plan of a suite before it runs, priced with the dry-run estimate.

The statistics (samples per side, intra-class correlation of repeats, tests x repeats) live in
`analysis/evidence_plan.py`; this module adds the estimate's cost per cell.
"""

from __future__ import annotations

from sqlite_utils import Database

from workbench.analysis.evidence_plan import (
    DEFAULT_RATE,
    MAX_REPEATS,
    REPEAT_OPTIONS,
    EvidencePlan,
    PlanOption,
    measured_icc,
    newest_run,
)
from workbench.analysis.sample_size import needed_tests, repeats_needed, samples_per_side
from workbench.run.config import RunConfig
from workbench.run.estimate import estimate_suite
from workbench.types import Suite


def plan_suite(
    suite: Suite,
    db: Database | None,
    *,
    drop: float,
    alpha: float = 0.05,
    power: float = 0.8,
    baseline_rate: float | None = None,
    icc: float | None = None,
) -> EvidencePlan:
    rate_source = "given"
    if baseline_rate is None:
        run = newest_run(db, suite, with_repeats=False)
        row = db.execute("select pass_rate from runs where id = ?", [run]).fetchone() if db and run else None
        if row and row[0] is not None and row[0] > drop:
            baseline_rate, rate_source = float(row[0]), f"run {run}"
        else:
            baseline_rate, rate_source = DEFAULT_RATE, "assumed; pass --baseline-rate"
    icc_source = "given"
    if icc is None:
        run = newest_run(db, suite, with_repeats=True)
        found = measured_icc(db, run) if db is not None and run is not None else None
        if found is not None:
            icc, icc_source = found, f"measured on run {run}"
        else:
            icc, icc_source = 1.0, "assumed: no stored run with repeats, so repeats are taken to agree; pass --icc"
    variants = suite.settings.variants or ["none"]
    config = RunConfig(repeat=1, variants=variants)
    est = estimate_suite(suite, config, db)
    calls = est.calls
    priced_calls = sum(r.calls for r in est.rows if r.cost is not None)
    cost_per_cell = est.cost / priced_calls if priced_calls else None
    n_tests = len(suite.tests)
    pairs = max(1, calls // n_tests) if n_tests else 1
    samples = samples_per_side(baseline_rate, drop, alpha, power)
    plan = EvidencePlan(
        suite=str(suite.path) if suite.path else "suite",
        drop=drop,
        alpha=alpha,
        power=power,
        baseline_rate=baseline_rate,
        rate_source=rate_source,
        icc=icc,
        icc_source=icc_source,
        samples=samples,
        suite_tests=n_tests,
        pairs=pairs,
        cost_per_cell=cost_per_cell,
        unpriced=est.unpriced_rows,
        suite_repeats=repeats_needed(samples, n_tests, icc, MAX_REPEATS) if n_tests else None,
    )
    for k in REPEAT_OPTIONS:
        t = needed_tests(samples, k, icc)
        plan.options.append(PlanOption(k, t, t * k, plan._cost(t * k)))
    return plan
