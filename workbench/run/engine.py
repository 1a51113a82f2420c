"""Run a suite: expand the matrix into cells, run each cell's steps, stream results to the store.

The engine only orchestrates. Each step lives elsewhere and is testable alone:
render (`render.py`, `templating.py`) -> variant (`variants.py`) -> call (`providers/`) ->
transform (`scripts/transforms.py`) -> grade (`assertions/`) -> store (`store/writer.py`).

Concurrency: a fixed pool of `max_concurrency` workers pulls cells from one iterator, each cell
with its test (a large suite's TestBank builds a test when the iteration reaches it), so memory
stays flat however large the matrix is: no table of all tests, rendered vars kept for the tests
in use, a resume's stored cells read a window at a time (`store.writer.DoneCells`). Results are committed in small batches (by count or by
time), so a killed run keeps every result of every committed batch and can be resumed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, TypeVar

from sqlite_utils import Database

from workbench.assertions.scoring import grade_test
from workbench.compression.variants import Variant, VariantContext, apply_variant
from workbench.errors import AssertionConfigError, ProviderError, SuiteError, UsageError
from workbench.providers.base import Provider
from workbench.providers.credentials import SKIPPED_PREFIX, missing_credentials
from workbench.providers.stack import build_provider, price_of, warm_up
from workbench.providers.test_doubles import test_double_reason
from workbench.render.conversation import conversation_turn, uses_conversation, with_conversation
from workbench.render.prompt import render_prompt
from workbench.render.templating import render_vars
from workbench.run.budget import Budget
from workbench.run.cells import count_cells, expand_with_tests
from workbench.run.config import RunConfig
from workbench.run.cross_output_groups import CrossOutputGroups
from workbench.run.interrupts import mark_interrupted, run_interruptibly
from workbench.run.resume import still_running
from workbench.run.suite_code import Hooks, install_filters
from workbench.runtimes import CodeNotAllowed
from workbench.runtimes.prompt_functions import call_prompt_function
from workbench.runtimes.transforms import apply_transform
from workbench.signal_hold import hold_signals
from workbench.store.error_cells import clear_error_cells
from workbench.store.run_claim import claim_run
from workbench.store.writer import DoneCells, RunTotals, RunWriter, flatten
from workbench.suite.test_bank import facts_for
from workbench.types import (
    JSON,
    Cell,
    CellResult,
    CompressionInfo,
    GradingResult,
    Prompt,
    ProviderRequest,
    ProviderResponse,
    ProviderSpec,
    Suite,
    TestCase,
)
from workbench.version import __version__

ProgressFn = Callable[[int, int], None]
T = TypeVar("T")


@dataclass
class RunOutcome:
    run_id: int
    status: str
    totals: RunTotals
    cells: int
    skipped: int = 0  # cells already stored (resume)
    wall_s: float = 0.0
    estimate: dict[str, Any] | None = None  # the pre-run estimate stored with the run


@dataclass(frozen=True)
class CellRenderer:
    """A cell's prompt rendering (the test's prefix and suffix), for a variant's compressed vars."""

    prompt: Prompt
    prefix: str
    suffix: str
    suite: Suite

    def __call__(self, vars: dict[str, Any], /) -> tuple[str, list[dict[str, Any]]]:
        return render_prompt(self.prompt, vars, prefix=self.prefix, suffix=self.suffix, base_dir=self.suite.base_dir)


class Engine:
    def __init__(self, suite: Suite, config: RunConfig, db: Database) -> None:
        self.suite = suite
        self.config = config
        self.db = db
        # rendered vars of the tests in use (cells of a test are consecutive): bounded, not per suite
        self._vars_cache: OrderedDict[int, dict[str, Any] | Exception] = OrderedDict()
        self._vars_cache_size = 64 + 4 * max(1, config.max_concurrency)
        self._providers: dict[int, Provider] = {}
        self.skipped_providers: dict[int, str] = {}  # provider idx -> why (no API key): no call is made
        self.budget: Budget | None = None
        self._probe: asyncio.Lock | None = None
        self.budget_exceeded = False
        self.registers: dict[str, Any] = {}  # storeOutputAs: outputs kept as vars for later tests
        self.planned: int | None = None  # the matrix size, when the caller has counted it already
        # `_conversation`: earlier turns per (provider, prompt, test.metadata.conversationId)
        self.conversations: dict[tuple[int, int, Any], list[dict[str, Any]]] = {}
        self.hooks = Hooks(suite)  # extensions: beforeEach/afterEach per row, afterAll at the end
        self.hook_results: list[dict[str, Any]] = []
        self._hooked_tests: dict[str, TestCase] = {}  # cell key -> the test beforeEach returned
        self._variants: dict[str, Variant] = {}  # Cell.variant -> its parsed Variant

    def variant(self, name: str) -> Variant:
        parsed = self._variants.get(name)
        if parsed is None:
            parsed = self._variants[name] = Variant.parse(name)
        return parsed

    # -- setup ----------------------------------------------------------------------------------
    def resolve_providers(self) -> None:
        """Resolve every provider up front: an unknown id is a load error (exit 2), not N ERROR rows."""
        for idx, spec in enumerate(self.suite.providers):
            try:  # the suite's settings: retries, fallbacks, prices, cache ttl
                self._providers[idx] = build_provider(
                    spec, self.suite.base_dir, db=self.db, run_options=self.config, settings=self.suite.settings
                )
            except ProviderError as e:  # name the file and the key, like every other input error
                where = None if str(e).startswith("workbench.") else f"providers[{idx}]"
                raise SuiteError(str(self.suite.path) if self.suite.path else None, where, str(e)) from None
            notice = missing_credentials(self._providers[idx])
            if notice:
                self.skipped_providers[idx] = notice
            else:
                warm_up(self._providers[idx])  # heavy imports before the loop starts: Ctrl-C stays instant

    def provider_facts(self) -> list[dict[str, Any]]:
        """Per provider: the price this run charges it at (None = unknown) and why it is a test double."""
        listed = self.suite.settings.test_doubles
        out = []
        for idx, spec in enumerate(self.suite.providers):
            price = price_of(self._providers.get(idx))
            out.append(
                {
                    "price": price.to_dict() if price else None,
                    "test_double": test_double_reason(spec.id, spec.label, spec.config, listed),
                }
            )
        return out

    def test_vars(self, test: TestCase) -> dict[str, Any]:
        cached = self._vars_cache.get(test.index)
        if cached is None:
            try:
                cached = render_vars(self._input_vars(test), self.suite.base_dir)
            except Exception as e:  # a var that fails to render errors its rows, like promptfoo
                cached = e
            self._vars_cache[test.index] = cached
            if len(self._vars_cache) > self._vars_cache_size:
                self._vars_cache.popitem(last=False)  # a test whose cells have all started
        if isinstance(cached, Exception):
            raise cached
        return cached

    def _input_vars(self, test: TestCase) -> dict[str, Any]:
        """promptfoo's order: test vars, then `transformVars` merged in, then storeOutputAs registers."""
        raw = dict(test.vars)
        code = test.options.get("transformVars")
        if code:
            out = apply_transform(code, raw, {"prompt": {}}, self.suite.base_dir, self.config.grade, input_name="vars")
            if not isinstance(out, dict):
                raise ValueError("Transform function did not return a valid object")
            raw.update(out)
        return {**raw, **self.registers}

    # -- one cell ---------------------------------------------------------------------------------
    def test_at(self, index: int) -> TestCase:
        """The suite's test with this index (tests are numbered by position)."""
        tests = self.suite.tests
        if 0 <= index < len(tests) and tests[index].index == index:
            return tests[index]
        return next(t for t in tests if t.index == index)

    async def run_cell(self, cell: Cell, test: TestCase | None = None) -> CellResult:
        """One cell (`test`: the cell's test, when the caller has it). Under a budget, cells run one
        at a time until one output has been graded, so the grading cost is known (and held for
        every later call) before calls run in parallel."""
        if test is None:
            test = self.test_at(cell.test_idx)
        if self.budget is None:
            return await self._run_cell(cell, test)
        try:
            if self.budget.graded:
                return await self._run_cell(cell, test)
            if self._probe is None:
                self._probe = asyncio.Lock()
            async with self._probe:
                return await self._run_cell(cell, test)
        finally:
            self.budget.release(cell.key)

    async def _run_cell(self, cell: Cell, test: TestCase) -> CellResult:
        result = await self._run_row(cell, test)
        if self.hooks:  # afterEach sees every row, error rows too, with the test beforeEach gave
            self._after_each(self._hooked_tests.pop(cell.key, test), result)
        return result

    async def _run_row(self, cell: Cell, test: TestCase) -> CellResult:
        started = time.time()
        prompt = self.suite.prompts[cell.prompt_idx]
        spec = self.suite.providers[cell.provider_idx]
        response = ProviderResponse()
        text = ""
        compression = None
        conversation: list[dict[str, Any]] | None = None
        try:
            if self.hooks:
                test = self._hooked_tests[cell.key] = self.hooks.before_each(test)
            vars_: dict[str, Any] = (
                render_vars(self._input_vars(test), self.suite.base_dir) if self.hooks else self.test_vars(test)
            )
            prompt_vars = vars_
            if prompt.function is not None:
                prompt = self._from_function(prompt, vars_, spec)
            if uses_conversation(prompt.raw) and not test.options.get("disableConversationVar"):
                key = (cell.provider_idx, cell.prompt_idx, test.metadata.get("conversationId"))
                conversation = self.conversations.setdefault(key, [])
                prompt_vars = with_conversation(vars_, conversation)  # seen by the prompt, not stored
            opts = test.options
            text, messages = render_prompt(
                prompt,
                prompt_vars,
                prefix=opts.get("prefix") or "",
                suffix=opts.get("suffix") or "",
                base_dir=self.suite.base_dir,
            )
            if cell.variant != "none":
                text, messages, compression = await apply_variant(
                    self.variant(cell.variant),
                    text,
                    messages,
                    vars_,
                    VariantContext(
                        suite=self.suite,
                        prompt=prompt,
                        render=CellRenderer(prompt, opts.get("prefix") or "", opts.get("suffix") or "", self.suite),
                        provider=spec,
                        db=self.db,
                    ),
                )
        except Exception as e:
            return self._error(cell, text, response, f"Error rendering prompt: {e}", test, started)

        if test.provider_output is not None:
            response = ProviderResponse(output=test.provider_output, cost=0.0, token_source="none")
        elif cell.provider_idx in self.skipped_providers:  # no API key: recorded, never called or retried
            response = ProviderResponse(attempts=0, error=SKIPPED_PREFIX + self.skipped_providers[cell.provider_idx])
        else:
            params = dict(prompt.config)
            if self.budget is not None and not self.budget.reserve(spec, text, cell.key):
                self.budget_exceeded = True
                raise BudgetExceeded()
            try:
                response = await self._providers[cell.provider_idx].call(
                    ProviderRequest(prompt=text, messages=messages, params=params, repeat=cell.repeat, vars=vars_)
                )
            except Exception as e:  # a provider (plugin, local model, odd data) never crashes the run
                response = ProviderResponse(error=f"Provider error: {type(e).__name__}: {e}")
            if self.budget is not None:
                self.budget.settle(spec, text, response, cell.key)
        if conversation is not None:
            conversation.append(conversation_turn(text, response.output))
        if response.error:
            return self._error(cell, text, response, response.error, test, started, compression)

        output = response.output
        try:
            output = self._transform_output(output, test, spec, prompt.label, vars_)
        except Exception as e:
            return self._error(cell, text, response, f"Transform error: {e}", test, started, compression)
        response.output = output
        try:
            grading = await grade_test(
                test,
                output,
                prompt=text,
                vars=getattr(vars_, "prepared", vars_),  # promptfoo's assertions see unrendered vars
                response=response,
                provider=spec,
                base_dir=self.suite.base_dir,
                config=self.config.grade,
            )
        except AssertionConfigError as e:
            return self._error(cell, text, response, str(e), test, started, compression)
        except Exception as e:  # output a grader cannot digest is this row's error, not the run's end
            return self._error(
                cell, text, response, f"Grading error: {type(e).__name__}: {e}", test, started, compression
            )
        if self.budget is not None:
            self.budget.add_grading(grading_cost(grading), cell.key)
        if test.options.get("storeOutputAs") and output:
            self.registers[str(test.options["storeOutputAs"])] = output
        return CellResult(
            cell=cell,
            prompt_text=text,
            response=response,
            success=grading.pass_,
            score=grading.score,
            error=None,
            grading=grading,
            named_scores=grading.named_scores,
            vars=vars_,
            started_at=started,
            compression=compression,
        )

    def _after_each(self, test: TestCase, row: CellResult) -> None:
        result = {
            "success": row.success,
            "score": row.score,
            "error": row.error,
            "testIdx": row.cell.test_idx,
            "promptIdx": row.cell.prompt_idx,
            "response": {"output": row.response.output},
        }
        self.hooks.after_each(test, result)
        self.hook_results.append(result)

    def _from_function(self, prompt: Prompt, vars_: dict[str, Any], spec: ProviderSpec) -> Prompt:
        """This row's prompt from a prompt function (the template it returns, its config merged)."""
        if not self.config.grade.allow_code:
            raise CodeNotAllowed(f"prompt functions are disabled by --no-code-asserts: {prompt.label}")
        raw, extra = call_prompt_function(
            prompt, getattr(vars_, "prepared", vars_), spec, self.config.grade.script_timeout_s
        )
        return dataclasses.replace(prompt, raw=raw, config={**prompt.config, **extra}, function=None)

    def _transform_output(
        self, output: JSON, test: TestCase, spec: ProviderSpec, label: str, vars_: dict[str, Any]
    ) -> JSON:
        transforms = [spec.transform, test.options.get("transform")]
        if not any(transforms):
            return output

        context = {"vars": vars_, "prompt": {"label": label}, "test": {"vars": vars_, "description": test.description}}
        for code in transforms:
            if code:
                output = apply_transform(code, output, context, self.suite.base_dir, self.config.grade)
        return output

    @staticmethod
    def _error(
        cell: Cell,
        text: str,
        response: ProviderResponse,
        reason: str,
        test: TestCase,
        started: float,
        compression: CompressionInfo | None = None,
    ) -> CellResult:
        return CellResult(
            cell=cell,
            prompt_text=text,
            response=response,
            success=False,
            score=0.0,
            error=reason,
            grading=None,
            vars=test.vars,
            started_at=started,
            compression=compression,
        )

    # -- the loop -------------------------------------------------------------------------------
    async def run(self, writer: RunWriter, progress: ProgressFn | None = None) -> tuple[int, int, str]:
        """Run every cell not yet stored; returns (cells done now, cells skipped, status)."""
        # resume: stored cells are looked up a window of tests at a time, not all held
        done: DoneCells | set[str] = writer.done_cells() if self.config.resume_run_id else set()
        cells = ((c, t) for c, t in expand_with_tests(self.suite, self.config) if c.key not in done)
        total = self.planned if self.planned is not None else count_cells(self.suite, self.config)
        skipped = len(done)
        pending: list[CellResult] = []
        last_flush = time.monotonic()
        finished = skipped
        status = "completed"
        prompt_version_ids = {
            r[0]: r[1]
            for r in self.db.execute(
                "select prompt_idx, prompt_version_id from run_prompts where run_id = ?", [writer.run_id]
            )
        }

        def flush() -> None:
            nonlocal pending, last_flush
            writer.write_results(pending, self.suite.providers, prompt_version_ids)
            pending = []
            last_flush = time.monotonic()

        groups = CrossOutputGroups(self.suite, self.config, done)

        async def worker() -> None:
            nonlocal finished, status
            for cell, test in cells:  # a shared iterator: each cell goes to exactly one worker
                if status != "completed":
                    return
                try:
                    result = await self.run_cell(cell, test)
                except BudgetExceeded:
                    status = "budget_exceeded"
                    return
                pending.extend(await groups.add(result))  # select-best/max-score rows wait for their test
                finished += 1
                if len(pending) >= self.config.batch_size or time.monotonic() - last_flush > self.config.batch_seconds:
                    flush()
                if progress:
                    progress(finished, total)

        # promptfoo runs these one by one: later rows read what earlier ones produced
        serial = facts_for(self.suite.tests).store_output or any(uses_conversation(p.raw) for p in self.suite.prompts)
        workers = [asyncio.create_task(worker()) for _ in range(1 if serial else max(1, self.config.max_concurrency))]
        try:
            await asyncio.gather(*workers)
            pending.extend(await groups.drain())
        except asyncio.CancelledError:
            status = "interrupted"
            mark_interrupted()  # the loop closes without waiting for worker threads (run/interrupts.py)
            for w in workers:
                w.cancel()
            raise
        finally:
            flush()
        return finished - skipped, skipped, status


class BudgetExceeded(Exception):
    pass


def grading_cost(grading: GradingResult | None) -> float | None:
    """What grading one output cost (model-graded assertions' calls), None when a grader's price is unknown."""
    total: float | None = 0.0
    for _, _, g in flatten(grading):
        if g.cost is None:
            if g.tokens_used.get("total"):
                return None
            continue
        total = (total or 0.0) + g.cost
    return total


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, on uvloop when it is installed (a third less event-loop CPU per HTTP call)."""
    try:
        import uvloop
    except ModuleNotFoundError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def git_info(path: Path | None) -> tuple[str | None, str | None]:
    """(sha, ref) of the repository holding `path`, or (None, None)."""
    import subprocess

    cwd = str(path.parent if path and path.is_file() else (path or Path.cwd()))
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        ref = subprocess.run(
            ["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        return sha or None, ref or None
    except (OSError, subprocess.SubprocessError):
        return None, None


Estimate = dict[str, Any] | Callable[[dict[int, Provider]], dict[str, Any]]


class RunSuiteArgs(TypedDict, total=False):
    """`run_suite`'s keywords, for the callers that pass them on (run/command.py, batch mode)."""

    progress: ProgressFn | None
    estimate: Estimate | None


def _claim(db: Database, config: RunConfig) -> RunWriter:
    """The writer of the run to resume, once this process has claimed it; UsageError (exit 2, one
    line naming the process that holds it) when another has, or when the run is gone."""
    run_id = config.resume_run_id
    assert run_id is not None
    claimed: list[RunWriter] = []  # kept as the claim commits, signals held: never a claim without its writer
    try:
        holder = claim_run(
            db, run_id, seen_owner=config.resume_owner, claimed=lambda: claimed.append(RunWriter(db, run_id))
        )
    except LookupError:
        raise UsageError(
            f"{'--retry-errors' if config.retry_errors else '--resume'} {run_id}: no such run in the database"
        ) from None
    if holder is not None:
        raise still_running(run_id, holder)
    return claimed[0]


def run_suite(
    suite: Suite,
    config: RunConfig,
    db: Database,
    *,
    progress: ProgressFn | None = None,
    estimate: Estimate | None = None,
) -> RunOutcome:
    """Run one suite into `db` and return the stored run's id, status and totals.

    `estimate` is stored with the run: a dict, or a function of the built providers (by index)
    that makes it, so the estimate can ask the response cache which calls it will answer.
    """
    start = time.perf_counter()
    engine = Engine(suite, config, db)
    engine.resolve_providers()
    for notice in dict.fromkeys(engine.skipped_providers.values()):
        print(f"{notice}; skipped", file=sys.stderr)
    if callable(estimate):
        estimate = estimate(dict(engine._providers))
    max_cost = config.max_cost if config.max_cost is not None else suite.settings.max_cost
    if max_cost is not None:
        engine.budget = Budget(float(max_cost), prices=suite.settings.prices)
    engine.planned = planned = count_cells(suite, config)
    status = "failed"
    done = skipped = 0
    writer: RunWriter | None = None
    made: list[RunWriter] = []  # the new run's writer, kept as its row commits (signals held)
    totals: RunTotals | None = None
    # A signal can come at any moment, also while the run row is being created: once it exists,
    # the run is always finished (marked interrupted/failed), never left `running`. Its row is
    # committed and handed over here with signals held, and finishing it holds them too
    # (workbench/signal_hold.py), so no moment leaves a run this process made `running`.
    try:
        if config.resume_run_id:
            # After providers resolved (bad input writes nothing): the claim makes this process the
            # run's owner atomically, so of two resumes started together exactly one runs it
            # (store/run_claim.py); the other is refused here, having written nothing.
            writer = _claim(db, config)
            if config.retry_errors:
                cleared = clear_error_cells(db, config.resume_run_id)
                print(
                    f"Retrying {cleared} error cell{'s' * (cleared != 1)} of run {config.resume_run_id}",
                    file=sys.stderr,
                )
        else:
            sha, ref = git_info(suite.path)
            writer = RunWriter.create(
                db,
                suite,
                # The acceptance block is kept with the run, so its recommendation never re-reads the suite.
                config={
                    **config.public(),
                    "acceptance": suite.settings.acceptance,
                    "workbench_block": {"prompt_growth_warn": suite.settings.prompt_growth_warn},
                    "derived_metrics": suite.derived_metrics,  # computed where the output is written
                },
                cells_planned=planned,
                label=config.label,
                git_sha=sha,
                git_ref=ref,
                estimate=estimate,
                version=__version__,
                provider_facts=engine.provider_facts(),
                created=made.append,
            )
        install_filters(suite, config.grade.script_timeout_s)
        done, skipped, status = run_interruptibly(engine.run(writer, progress), run_async)
        engine.hooks.after_all(engine.hook_results)
    except KeyboardInterrupt:
        # Ctrl-C: asyncio.run cancelled the workers and engine.run flushed every finished result;
        # the caller reports the interruption and how to resume (exit 130; 143 for SIGTERM).
        status = "interrupted"
        writer = writer or (made[0] if made else None)  # interrupted as `create` returned
        if writer is None:  # interrupted before the run existed: nothing to finish or resume
            raise
    finally:
        with hold_signals():  # a second Ctrl-C waits until the run is finished
            writer = writer or (made[0] if made else None)
            if writer is not None:
                totals = writer.finish(status)
    assert writer is not None and totals is not None  # every path that reaches here created and finished it
    return RunOutcome(writer.run_id, status, totals, done, skipped, time.perf_counter() - start, estimate)
