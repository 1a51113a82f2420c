"""Dry-run estimate: what a run would cost, per prompt x provider, before any call is made.

Input tokens are exact: every cell's prompt is rendered and counted with the model's tiktoken
encoding (OpenAI's chat framing included). Cells the response cache will answer cost $0 and are
not counted as calls. Output tokens are estimated, and the source is stated per row:

- `history`: the mean output tokens of earlier results (cached answers included: their tokens are
  the original call's) of the same prompt version (sha256) and provider id in the database, capped
  by `max_tokens`. This is the measured figure; on the same tests it is expected within 10 %.
- `max_tokens`: no history; the provider's cap, an upper bound (real outputs are often much
  shorter: the estimate can be several times the actual).
- `default`: no history and no cap; DEFAULT_OUTPUT_TOKENS per call, a guess.

Prices are resolved as the run resolves them (provider config, the suite's `workbench.prices`,
litellm's map within the provider family, an own endpoint unpriced) and applied per call with
`Price.cost`, so tiers apply as in the run; a compute price (local models) uses the mean busy time
of the history, and is unknown without one. Unknown stays None.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlite_utils import Database

from workbench.errors import ProviderError, StoreError
from workbench.format import fmt_cost
from workbench.providers.base import Provider
from workbench.providers.pricing import Price, default_local_price, resolve_price
from workbench.providers.response_cache import CachedProvider, cache_key
from workbench.providers.stack import build_provider
from workbench.render.prompt import render_prompt
from workbench.render.templating import render_vars
from workbench.run.batch_mode import batch_estimate_line
from workbench.run.budget import DEFAULT_OUTPUT_TOKENS, api_base_of, model_for, output_tokens_cap
from workbench.run.cells import expand_with_tests
from workbench.run.config import RunConfig
from workbench.store.db import open_db
from workbench.store.writer import RunTotals
from workbench.suite.test_bank import facts_for
from workbench.tokens import count_message_tokens, encoding_name_for
from workbench.types import Cell, Prompt, ProviderRequest, ProviderSpec, Suite, TestCase

FREE_IDS = {"echo"}


@dataclass
class EstimateRow:
    prompt_idx: int
    prompt: str
    provider_idx: int
    provider: str
    model: str | None
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    out_per_call: float = 0.0
    out_source: str = "default"  # max_tokens | history | default | none (echo)
    input_cost_per_1m: float | None = None
    output_cost_per_1m: float | None = None
    cost: float | None = None  # None: unknown price
    cached: int = 0  # calls the response cache will answer (not in `calls`)
    tokens_counted: bool = True  # False: unpriced and not tokenized (skip_unpriced)


@dataclass
class Estimate:
    rows: list[EstimateRow] = field(default_factory=list)
    default_output_tokens: int = DEFAULT_OUTPUT_TOKENS
    render_errors: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(r.calls for r in self.rows)

    @property
    def cost(self) -> float:
        """Total over the rows whose price is known."""
        return sum(r.cost for r in self.rows if r.cost is not None)

    @property
    def unpriced_rows(self) -> int:
        return sum(1 for r in self.rows if r.cost is None and r.calls)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": [asdict(r) for r in self.rows],
            "calls": self.calls,
            "cached": sum(r.cached for r in self.rows),
            "tokens_in": sum(r.tokens_in for r in self.rows),
            "tokens_out": sum(r.tokens_out for r in self.rows),
            "counted_calls": sum(r.calls for r in self.rows if r.tokens_counted),
            "cost": self.cost,
            "unpriced_rows": self.unpriced_rows,
            "default_output_tokens": self.default_output_tokens,
            "render_errors": self.render_errors,
            "notes": self.notes,
        }


def prompt_name(prompt: Prompt) -> str:
    if prompt.family and prompt.version:
        return f"{prompt.family}/{prompt.version}"
    label = " ".join(prompt.label.split())
    return label if len(label) <= 40 else label[:39] + "…"


def history_output_tokens(db: Database | None, prompt: Prompt, spec: ProviderSpec) -> float | None:
    """Mean tokens_out of earlier successful results (cached ones included) of this prompt version x provider."""
    return history(db, prompt, spec)[0]


def history(db: Database | None, prompt: Prompt, spec: ProviderSpec) -> tuple[float | None, float | None]:
    """(mean output tokens, mean busy ms) of earlier successful results of this prompt version x provider."""
    if db is None or not prompt.sha256:
        return None, None
    try:
        row = db.execute(
            "select avg(r.tokens_out), count(*), avg(r.latency_ms) from results r"
            " join prompt_versions pv on pv.id = r.prompt_version_id"
            " where pv.sha256 = ? and r.provider_id = ? and r.error is null and r.tokens_out is not null",
            [prompt.sha256, spec.id],
        ).fetchone()
    except Exception:  # an older or foreign database: no history
        return None, None
    if not row or not row[1]:
        return None, None
    return float(row[0]), (float(row[2]) if row[2] is not None else None)


def estimate_suite(
    suite: Suite,
    config: RunConfig,
    db: Database | None = None,
    *,
    default_output_tokens: int = DEFAULT_OUTPUT_TOKENS,
    providers: dict[int, Provider] | None = None,
    skip_unpriced: bool = False,
) -> Estimate:
    """The estimate for running `suite` with `config` (the engine's RunConfig). Makes no calls.

    `providers` (the run's built provider stack, by index): cells the response cache will answer
    are found with one query per batch and counted as `cached` (no tokens, no cost, never
    tokenized). `skip_unpriced`: rows whose price is unknown are not tokenized (their cost is
    unknown whatever the count), so a run against unpriced models never loads a tokenizer.
    """
    prices = suite.settings.prices
    est = Estimate(default_output_tokens=default_output_tokens)
    rows: dict[tuple[int, int], EstimateRow] = {}
    pricing: dict[int, tuple[Price | None, float | None]] = {}  # id(row) -> (price, busy ms per call)
    # token counts by (prompt, test, encoding, variant): a test's cells are consecutive, so only
    # the last test's counts are kept from one batch to the next
    tokens: dict[tuple[int, int, str, str], int | None] = {}
    variants = set()
    batch: list[tuple[Cell, EstimateRow, TestCase]] = []
    probe = _CacheProbe(suite, providers) if providers else None

    def settle() -> None:
        hits, rendered = probe.hits(batch) if probe else (set(), {})
        for i, (cell, row, test) in enumerate(batch):
            if i in hits:
                row.cached += 1
                continue
            _count(est, suite, test, cell, row, tokens, rendered.get(i), pricing.get(id(row)))
        if batch:
            last = batch[-1][0].test_idx
            for key in [k for k in tokens if k[1] != last]:
                del tokens[key]
        batch.clear()

    for cell, test in expand_with_tests(suite, config):
        variants.add(cell.variant)
        if test.provider_output is not None:
            continue  # no call: the test supplies the output
        prompt = suite.prompts[cell.prompt_idx]
        spec = suite.providers[cell.provider_idx]
        model = model_for(spec)
        row = rows.get((cell.prompt_idx, cell.provider_idx))
        if row is None:
            row = EstimateRow(cell.prompt_idx, prompt_name(prompt), cell.provider_idx, spec.display, model)
            cap = output_tokens_cap({**(spec.config or {}), **(prompt.config or {})})
            hist, busy = history(db, prompt, spec)
            row.out_per_call, row.out_source = (
                (min(hist, float(cap)) if cap else hist, "history")
                if hist is not None
                else (float(cap), "max_tokens")
                if cap
                else (float(default_output_tokens), "default")
            )
            if spec.id in FREE_IDS:
                row.out_per_call, row.out_source = 0.0, "none"
            base = api_base_of(spec.config)
            price = resolve_price(model, spec.config, prices, spec.label or spec.id, base) or resolve_price(
                model, None, prices, spec.id, base
            )
            if spec.id.startswith("local:") and price is None:
                price = default_local_price()
            if spec.id in FREE_IDS:
                price = Price(0.0, 0.0, "free")
            if price is not None and (price.per_hour is None or busy is not None):
                row.input_cost_per_1m, row.output_cost_per_1m = price.per_1m
                row.cost = 0.0
                pricing[id(row)] = (price, busy)
            rows[(cell.prompt_idx, cell.provider_idx)] = row
        if spec.id in FREE_IDS:  # no tokens, no cost: counting would only slow big echo suites down
            row.calls += 1
            row.tokens_counted = False
            continue
        if skip_unpriced and row.cost is None:
            row.calls += 1
            row.tokens_counted = False
            continue
        batch.append((cell, row, test))
        if len(batch) >= PROBE_BATCH:
            settle()
    settle()
    est.rows = sorted(rows.values(), key=lambda r: (r.prompt_idx, r.provider_idx))
    if variants - {"none"}:
        est.notes.append("input tokens are counted before compression variants (an upper bound for them)")
    if any(r.out_source == "default" for r in est.rows):
        est.notes.append(
            f"output tokens default to {default_output_tokens} per call where no history or max_tokens: a guess"
        )
    if any(r.out_source in ("max_tokens", "default") and r.calls for r in est.rows):
        est.notes.append(
            "error model: without history the output estimate is a bound (max_tokens) or a guess (the default),"
            " not a forecast, and can be several times the actual; after one run of a prompt version and"
            " provider the measured mean output is used (expected within 10 % on the same tests)"
        )
    if any(not r.tokens_counted and r.cost is None for r in est.rows):  # echo is free, not unknown
        est.notes.append("input tokens are not counted for providers with an unknown price")
    if any(r.cached for r in est.rows):
        est.notes.append("calls the response cache will answer cost nothing and are not counted as calls")
    return est


PROBE_BATCH = 500  # cells per cache query (SQLite's default limit is 32,766 bound parameters)


def _render(suite: Suite, test: TestCase, cell: Cell) -> tuple[str, list[dict[str, Any]]]:
    """The prompt as the engine renders it (test prefix/suffix, the suite's base directory)."""
    opts = test.options
    return render_prompt(
        suite.prompts[cell.prompt_idx],
        render_vars(test.vars, suite.base_dir),
        prefix=opts.get("prefix") or "",
        suffix=opts.get("suffix") or "",
        base_dir=suite.base_dir,
    )


def _count(
    est: Estimate,
    suite: Suite,
    test: TestCase,
    cell: Cell,
    row: EstimateRow,
    tokens: dict[tuple[int, int, str, str], int | None],
    messages: list[dict[str, Any]] | None = None,
    priced: tuple[Any, float | None] | None = None,
) -> None:
    key = (cell.prompt_idx, cell.test_idx, encoding_name_for(row.model), cell.variant)
    if key not in tokens:
        try:
            tokens[key] = count_message_tokens(messages or _render(suite, test, cell)[1], row.model)
        except Exception:
            tokens[key] = None
            est.render_errors += 1
    n_in = tokens[key]
    if n_in is None:
        return
    row.calls += 1
    row.tokens_in += n_in
    row.tokens_out += round(row.out_per_call)
    if priced is not None and row.cost is not None:
        price, busy = priced
        call = price.cost(n_in, round(row.out_per_call), None, busy)
        row.cost = None if call is None else row.cost + call


class _CacheProbe:
    """Which cells of a batch the response cache holds a live answer for (one query per batch).

    The keys are computed exactly as `CachedProvider` computes them, from the same rendering; a
    cell whose request cannot be known before the run (compression variants, transformVars,
    storeOutputAs) counts as a miss. Found answers are handed to the provider's cache, so the
    engine does not look them up a second time.
    """

    def __init__(self, suite: Suite, providers: dict[int, Any]) -> None:
        self.suite = suite
        self.cached = {i: p for i, p in providers.items() if isinstance(p, CachedProvider)}
        facts = facts_for(suite.tests)
        if facts.store_output or facts.transform_vars:
            self.cached = {}  # prompts depend on earlier outputs or code: unknown before the run

    def hits(self, batch: list[tuple[Cell, EstimateRow, TestCase]]) -> tuple[set[int], dict[int, list[dict[str, Any]]]]:
        """(positions the cache answers, the messages rendered for the others)."""
        rendered: dict[int, list[dict[str, Any]]] = {}
        if not self.cached:
            return set(), rendered
        keys: dict[int, dict[str, list[int]]] = {}  # provider idx -> key -> batch positions
        for i, (cell, _, test) in enumerate(batch):
            provider = self.cached.get(cell.provider_idx)
            if provider is None or cell.variant != "none":
                continue
            try:
                text, messages = _render(self.suite, test, cell)
            except Exception:
                continue
            rendered[i] = messages
            params = dict(self.suite.prompts[cell.prompt_idx].config)
            request = ProviderRequest(prompt=text, messages=messages, params=params, repeat=cell.repeat)
            keys.setdefault(cell.provider_idx, {}).setdefault(cache_key(provider.inner, request), []).append(i)
        found: set[int] = set()
        for idx, by_key in keys.items():
            for k in self.cached[idx].cache.prefetch(list(by_key)):
                found.update(by_key[k])
        return found, rendered


def format_estimate(est: Estimate) -> str:
    """A plain table: one line per prompt x provider, then the total."""
    header = ["prompt", "provider", "calls", "tokens in", "tokens out (est)", "out source", "est. cost"]
    lines = [header]
    for r in est.rows:
        lines.append(
            [
                r.prompt,
                r.provider,
                str(r.calls),
                str(r.tokens_in),
                str(r.tokens_out),
                r.out_source,
                fmt_cost(r.cost),
            ]
        )
    total = fmt_cost(est.cost)
    if est.unpriced_rows:
        total += f" (+ {est.unpriced_rows} row(s) with unknown price)"
    lines.append(
        [
            "total",
            "",
            str(est.calls),
            str(sum(r.tokens_in for r in est.rows)),
            str(sum(r.tokens_out for r in est.rows)),
            "",
            total,
        ]
    )
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.insert(len(out) - 1, "  ".join("-" * w for w in widths))
    out.extend(f"note: {n}" for n in est.notes)
    if est.render_errors:
        out.append(f"note: {est.render_errors} prompt(s) failed to render and are not counted")
    return "\n".join(out)


def estimate_json(est: Estimate) -> str:
    return json.dumps(est.to_dict())


def estimate_vs_actual(estimate: dict[str, Any] | None, totals: RunTotals) -> str | None:
    """One summary line comparing the pre-run estimate with what the run cost."""
    if not estimate or not (estimate.get("calls") or estimate.get("cached")):
        return None
    est = fmt_cost(estimate.get("cost"))
    if estimate.get("cached"):
        est += f" (+ {estimate['cached']} from the cache)"
    if estimate.get("unpriced_rows"):
        est += " + unknown"
    actual = fmt_cost(totals.cost)
    grading = totals.grader_cost
    if grading != 0.0:  # the estimate covers the model calls, not grading
        actual += f" (+ grading {fmt_cost(grading)}, not estimated)"
    cached = totals.cached
    tail = f" ({cached} cached)" if cached else ""
    calls = estimate["calls"]
    counted = estimate.get("counted_calls", calls)  # older stored estimates counted every call
    if not counted:  # echo / unpriced only: nothing was tokenized, so there is no token estimate
        tokens = " (free or unpriced providers: tokens not estimated)"
    else:
        tokens = f", {estimate.get('tokens_in', 0)} tokens in, ~{estimate.get('tokens_out', 0)} out"
        if counted < calls:
            tokens += f" for the {counted} priced calls"
    return (
        f"Estimate: {est} for {calls} calls{tokens}; actual: {actual}, {totals.tokens_in} in,"
        f" {totals.tokens_out} out{' for all calls' if 0 < counted < calls else ''}{tail}"
    )


def dry_run(
    suites: list[Suite], configs: list[RunConfig], db_path: Path | None = None, *, file: TextIO | None = None
) -> int:
    """`workbench run --dry-run`: print each suite's estimate; no calls, nothing written. Exit 0."""
    import sys

    out = file or sys.stdout
    try:
        db = open_db(db_path, create=False)  # earlier runs give the output-token history
    except StoreError:
        db = None
    for suite, config in zip(suites, configs, strict=True):
        est = estimate_suite(suite, config, db, providers=_probe_providers(suite, config, db))
        name = str(suite.path) if suite.path else "suite"
        out.write(f"Dry run: {name} (no calls made)\n{format_estimate(est)}\n")
        line = batch_estimate_line(suite, est.rows)
        if line:
            out.write(line + "\n")
    return 0


def _probe_providers(suite: Suite, config: RunConfig, db: Database | None) -> dict[int, Provider] | None:
    """The run's provider stack (for finding the cells the cache will answer); None when unavailable."""
    if db is None:
        return None
    try:
        return {
            i: build_provider(spec, suite.base_dir, db=db, run_options=config, settings=suite.settings)
            for i, spec in enumerate(suite.providers)
        }
    except ProviderError:
        return None
