"""The routing training table, built from stored results.

One row ("input") per (test identity, prompt version, variant): the rendered prompt that was sent,
the test's vars, and for each model (`results.provider_label`) the number of results, of passes
and the mean uncached cost per request. Repeats of a test, and the same test in several runs, fold
into the same row, so a test's repeats can never land on both sides of a cross-validation split;
the CV groups are the test identities, so even the same test under two prompt versions stays on
one side.

A row's label for a model is its pass fraction (passes / results). An ERROR result counts as a
failure: the model did not serve an acceptable answer. Cost is `UNCACHED_COST` (what a cache hit
originally cost); a model with any un-priced non-error result has an unknown cost (None), never 0.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.errors import UsageError
from workbench.store.queries import UNCACHED_COST as uc
from workbench.store.queries import latest_run, resolve_run


@dataclass
class RoutingInput:
    identity: str  # test identity (the CV group)
    prompt_version_id: int | None
    variant: str
    text: str  # the rendered prompt sent
    vars: dict[str, Any]
    description: str | None
    n: dict[str, int] = field(default_factory=dict)  # model -> results
    passes: dict[str, int] = field(default_factory=dict)  # model -> passing results
    cost: dict[str, float | None] = field(default_factory=dict)  # model -> mean uncached $/request

    def pass_fraction(self, model: str) -> float | None:
        n = self.n.get(model, 0)
        return self.passes.get(model, 0) / n if n else None

    def record(self) -> dict[str, Any]:
        """What the feature pipeline sees (the same shape `predict` builds from a live input)."""
        return {"text": self.text, "vars": self.vars}


@dataclass
class RoutingDataset:
    run_ids: list[int]
    suite_path: str | None
    models: list[str]  # cheapest mean cost first; unknown costs last
    inputs: list[RoutingInput]
    model_cost: dict[str, float | None]  # mean uncached $/request; None = unknown price

    def restrict(self, models: Sequence[str]) -> RoutingDataset:
        """Only the given models, and only inputs that have results for all of them."""
        missing = [m for m in models if m not in self.models]
        if missing:
            known = ", ".join(self.models) or "none"
            raise UsageError(f"model {missing[0]!r} has no results in runs {self.run_ids} (models: {known})")
        keep = [i for i in self.inputs if all(i.n.get(m, 0) > 0 for m in models)]
        return RoutingDataset(
            self.run_ids, self.suite_path, list(models), keep, {m: self.model_cost[m] for m in models}
        )

    def take(self, index: Sequence[int]) -> RoutingDataset:
        """The inputs at `index` (a cross-validation fold), same runs, models and prices."""
        return RoutingDataset(
            self.run_ids, self.suite_path, self.models, [self.inputs[i] for i in index], self.model_cost
        )

    def pass_fractions(self, models: Sequence[str]) -> list[list[float]]:
        """inputs x `models` pass fractions, 0.0 where a model has no result (an ERROR counts as a fail)."""
        return [[i.pass_fraction(m) or 0.0 for m in models] for i in self.inputs]

    def costs(self, models: Sequence[str]) -> list[list[float | None]]:
        """inputs x `models` mean uncached $/request (None: unknown price)."""
        return [[i.cost.get(m) for m in models] for i in self.inputs]

    def records(self) -> list[dict[str, Any]]:
        return [i.record() for i in self.inputs]

    def groups(self) -> list[str]:
        return [i.identity for i in self.inputs]

    def pass_matrix(self) -> list[list[float | None]]:
        """inputs x models pass fractions (None where a model has no result for the input)."""
        return [[i.pass_fraction(m) for m in self.models] for i in self.inputs]

    def expanded(self, model: str) -> tuple[list[dict[str, Any]], list[int], list[str]]:
        """One training row per stored result of `model`: (records, 0/1 labels, groups).

        Repeats become separate rows with the same features, so the classifier learns the pass
        *probability* of a flaky input instead of a majority vote.
        """
        records: list[dict[str, Any]] = []
        labels: list[int] = []
        groups: list[str] = []
        for inp in self.inputs:
            n, p = inp.n.get(model, 0), inp.passes.get(model, 0)
            rec = inp.record()
            for k in range(n):
                records.append(rec)
                labels.append(1 if k < p else 0)
                groups.append(inp.identity)
        return records, labels, groups


def suite_runs(db: Database, suite_path: str | Path) -> list[int]:
    """Every run of the suite at `suite_path` (by resolved path, else by the file's sha256)."""
    import hashlib

    p = Path(suite_path)
    target = p.resolve()
    sha = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
    out = []
    for run_id, stored, stored_sha in db.execute("select id, suite_path, suite_sha256 from runs order by id"):
        if (stored and Path(stored).resolve() == target) or (sha and stored_sha == sha):
            out.append(int(run_id))
    if not out:
        raise UsageError(
            f"{suite_path}: no run of this suite in the database (run it with `workbench run {suite_path}`)"
        )
    return out


def resolve_runs(db: Database, suite_path: str | Path | None, runs: Sequence[str | int] | None) -> list[int]:
    """Run ids from `--runs` (ids or labels), else every run of the suite, else the latest run."""
    if runs:
        return sorted({resolve_run(db, r) for r in runs})
    if suite_path is not None:
        return suite_runs(db, suite_path)
    return [latest_run(db)]


def load_dataset(db: Database, run_ids: Sequence[int], suite_path: str | None = None) -> RoutingDataset:
    """Build the training table from the results of `run_ids` (all models present)."""
    if not run_ids:
        raise UsageError("no runs to learn from")
    marks = ", ".join("?" for _ in run_ids)
    sql = f"""
        select tc.identity, r.prompt_version_id, r.variant, r.provider_label,
               min(r.prompt), min(tc.vars), min(tc.description),
               count(*), coalesce(sum(r.success), 0),
               sum(case when r.error is null then {uc} end),
               sum(r.error is null and {uc} is not null),
               sum(r.error is null and {uc} is null)
        from results r join test_cases tc on tc.run_id = r.run_id and tc.test_idx = r.test_idx
        where r.run_id in ({marks})
        group by tc.identity, r.prompt_version_id, r.variant, r.provider_label
        order by tc.identity, r.prompt_version_id, r.variant, r.provider_label
    """
    inputs: dict[tuple[Any, ...], RoutingInput] = {}
    totals: dict[str, list[float]] = {}  # model -> [sum cost, priced, unknown]
    for ident, pv, variant, model, text, vars_json, desc, n, passes, csum, priced, unknown in db.execute(
        sql, list(run_ids)
    ):
        key = (ident, pv, variant)
        inp = inputs.get(key)
        if inp is None:
            inp = inputs[key] = RoutingInput(
                identity=str(ident),
                prompt_version_id=pv,
                variant=str(variant or "none"),
                text=text or "",
                vars=_vars(vars_json),
                description=desc,
            )
        inp.n[model] = int(n)
        inp.passes[model] = int(passes)
        inp.cost[model] = float(csum) / priced if priced else None
        t = totals.setdefault(model, [0.0, 0.0, 0.0])
        t[0] += float(csum or 0.0)
        t[1] += int(priced or 0)
        t[2] += int(unknown or 0)
    model_cost: dict[str, float | None] = {
        m: (s / priced if priced and not unknown else None) for m, (s, priced, unknown) in totals.items()
    }
    for inp in inputs.values():
        for m in inp.n:
            if model_cost[m] is None:
                inp.cost[m] = None  # one un-priced result makes the model's $ unknown everywhere
            elif inp.cost[m] is None:
                inp.cost[m] = model_cost[m]  # only errors for this input: use the model's mean
    models = sorted(model_cost, key=lambda m: (model_cost[m] is None, model_cost[m] or 0.0, m))
    return RoutingDataset(sorted(run_ids), suite_path, models, list(inputs.values()), model_cost)


def _vars(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
