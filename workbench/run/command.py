"""What `workbench run` does, as a library function: load, validate, run, summarize, write outputs.

Everything that can be validated is validated before the database is touched, so bad input
exits 2 with nothing written.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

import workbench.file_access as file_access
from workbench.ci.changed_since import select_changed
from workbench.ci.compare_inputs import check_baseline
from workbench.ci.gates import GateConfig
from workbench.compression.variants import parse_variant, validate_variants
from workbench.errors import DiskFullError, UsageError
from workbench.report import check_output_paths, write_outputs
from workbench.report.review_output import run_baseline
from workbench.report.summary import print_summary
from workbench.run.batch_mode import BatchOptions, run_batched
from workbench.run.cells import count_cells
from workbench.run.config import RunConfig
from workbench.run.engine import RunOutcome, RunSuiteArgs, run_suite
from workbench.run.estimate import dry_run, estimate_suite, estimate_vs_actual
from workbench.run.interrupts import interrupted_exit_code
from workbench.run.progress_lines import ProgressLines
from workbench.run.ray_executor import run_on_ray
from workbench.run.resume import find_run, matrix_options
from workbench.run.suite_code import Hooks, generate_tests
from workbench.store.db import is_disk_full, open_db, remove_database
from workbench.store.db_path import default_db_path
from workbench.suite import load
from workbench.suite.file_vars import check_file_vars
from workbench.suite.filters import TestFilter, select_tests
from workbench.suite.providers_loader import load_providers
from workbench.types import GradeConfig, Suite

if TYPE_CHECKING:
    from typing import Unpack  # Python 3.11; annotations are not evaluated at run time (3.10 works)

EXIT_OK = 0
EXIT_BELOW_THRESHOLD = 100
EXIT_INTERRUPTED = 130


@dataclass
class RunRequest:
    paths: list[Path]
    outputs: list[Path] = field(default_factory=list)
    db: Path | None = None
    max_concurrency: int | None = None
    repeat: int | None = None
    threshold: float = 100.0  # percent
    label: str | None = None
    shard: tuple[int, int] | None = None
    filter_providers: str | None = None
    filter_prompts: str | None = None
    resume: int | str | None = None  # a run id, or "latest"
    force: bool = False  # --force: resume even though the suite changed
    retry_errors: bool = False  # --retry-errors RUN: `resume` is RUN; its error cells run again
    allow_code: bool = True
    providers: list[str] = field(default_factory=list)  # --providers: replaces the suite's
    progress: bool = False  # a live bar (stderr is a terminal)
    progress_lines: bool = False  # a plain line every few seconds (stderr is a log)
    quiet: bool = False
    variants: list[str] = field(default_factory=list)  # --variants (else the suite's workbench.variants)
    use_cache: bool = True  # --no-cache
    max_cost: float | None = None  # --max-cost (else the suite's workbench.max_cost)
    dry_run: bool = False  # --dry-run: print the estimate, make no calls
    baseline: str | None = None  # --baseline: compare with this run/label/JSON and gate (cli/compare.py)
    gates: GateConfig | None = None  # --baseline gates (default: GateConfig())
    changed_since: str | None = None  # --changed-since REF: only the suites a change touches
    test_filter: TestFilter | None = None  # --filter-pattern/-metadata/-first-n/-failing
    grader: str | None = None  # --grader: provider for model-graded assertions
    allow_paths: list[Path] = field(default_factory=list)  # --allow-path: readable beyond the project root
    confine_files: bool = True  # file:// reads stay inside the project root (workbench/file_access.py)
    batch: bool = False  # --batch: calls go through the providers' batch APIs (run/batch_mode.py)
    executor: str = "local"  # --executor: local | ray (run/ray_executor.py)
    workers: int | None = None  # --workers: Ray shards
    ray_address: str | None = None  # --ray-address: an existing Ray cluster (default: start a local one)


def build_config(suite: Suite, req: RunRequest) -> RunConfig:
    opts = suite.evaluate_options or {}
    variants = req.variants or suite.settings.variants or ["none"]
    return RunConfig(
        max_concurrency=req.max_concurrency or int(opts.get("maxConcurrency") or 4),
        repeat=req.repeat or int(opts.get("repeat") or 1),
        variants=[str(v) for v in variants],
        label=req.label,
        resume_run_id=req.resume if isinstance(req.resume, int) else None,
        retry_errors=req.retry_errors,
        shard=req.shard,
        filter_providers=req.filter_providers,
        filter_prompts=req.filter_prompts,
        grade=GradeConfig(allow_code=req.allow_code, grader=req.grader),
        use_cache=req.use_cache,
        max_cost=req.max_cost,
    )


def output_paths(outputs: list[Path], suite: Suite, n_suites: int) -> list[Path]:
    """With several suites, each run's outputs get the suite's stem: out.json -> out-<stem>.json."""
    if n_suites == 1 or suite.path is None:
        return outputs
    stem = suite.path.stem
    out = []
    for p in outputs:
        name = p.name
        ext = ".junit.xml" if name.endswith(".junit.xml") else p.suffix
        out.append(p.with_name(f"{name[: len(name) - len(ext)]}-{stem}{ext}"))
    return out


def _with_providers(suite: Suite, ids: list[str]) -> Suite:
    """`--providers`: replace the suite's providers (promptfoo's `eval --providers`)."""
    import dataclasses

    return dataclasses.replace(suite, providers=load_providers(list(ids), Path.cwd(), "--providers", suite.warnings))


def _before_all(suite: Suite, req: RunRequest) -> Suite:
    """The suite after its extensions' beforeAll hook (hooks are code: off with --no-code-asserts)."""
    if not suite.extensions:
        return suite
    if not req.allow_code:
        print(f"warning: {suite.path}: extensions hooks not run (--no-code-asserts)", file=sys.stderr)
        return dataclasses.replace(suite, extensions=[])
    return Hooks(suite).before_all()


def execute(req: RunRequest) -> int:
    """Run every suite of the request; return the exit code."""
    with file_access.policy(file_access.current_policy()):  # whatever this run confines is undone after it
        return _execute(req)


def _execute(req: RunRequest) -> int:
    check_output_paths(req.outputs)
    if req.baseline and not req.dry_run:
        check_baseline(req.baseline, req.db)
    paths = req.paths  # the request is never modified
    if req.changed_since:
        paths = select_changed(paths, req.changed_since)
        if not paths:
            return EXIT_OK
    for d in req.allow_paths:
        if not Path(d).is_dir():
            raise UsageError(f"--allow-path {d}: not a directory")
    if req.confine_files:
        roots = file_access.project_roots(paths, req.allow_paths)
        file_access.set_policy(file_access.FilePolicy(roots, file_access.default_max_bytes()))
    suites = [load(p, generate=generate_tests if req.allow_code else None) for p in paths]
    suites = [_before_all(s, req) for s in suites]
    if req.providers:
        suites = [_with_providers(s, req.providers) for s in suites]
    if req.test_filter:
        suites = [select_tests(s, req.test_filter) for s in suites]
    for suite in suites:
        check_file_vars(suite)
    for suite in suites:
        for w in suite.warnings:
            print(f"warning: {w}", file=sys.stderr)
    configs = [build_config(s, req) for s in suites]  # one config per suite, built once
    for suite, config in zip(suites, configs, strict=True):
        for v in config.variants:
            parse_variant(v)
        validate_variants(suite, config.variants)
    if req.dry_run:
        return dry_run(suites, configs, req.db)
    if req.resume is not None and len(suites) > 1:
        flag = "--retry-errors" if req.retry_errors else "--resume"
        raise UsageError(f"{flag}: give exactly one suite (the one the run was made of)")
    db_path = req.db if req.db is not None else default_db_path()
    created = not db_path.exists()
    try:
        db = open_db(db_path)
    except KeyboardInterrupt:  # interrupted while creating the file: leave no half-made database
        if created:
            remove_database(db_path)
        raise
    run_ids: list[int] = []
    last_before = _last_run_id(db)
    try:
        return _execute_runs(req, suites, configs, db, run_ids)
    except (sqlite3.OperationalError, OSError) as e:
        if not is_disk_full(e):
            raise
        # A run's row and its tests are one transaction: the disk can fill before the run exists.
        stored = req.resume is not None or _last_run_id(db) != max([last_before, *run_ids])
        db.conn.close()
        if created:  # a database this run made and could not finish is removed, not left half-written
            remove_database(db_path)
            raise DiskFullError(f"{db_path}: disk full ({e}); removed the database this run created") from None
        if not stored:
            raise DiskFullError(
                f"{db_path}: disk full ({e}); the run was not stored, free space and run it again"
            ) from None
        raise DiskFullError(f"{db_path}: disk full ({e}); the run is incomplete, resume it with --resume") from None


def _last_run_id(db: Database) -> int:
    try:
        return int(db.execute("select coalesce(max(id), 0) from runs").fetchone()[0])
    except sqlite3.Error:  # the read failed too: say the run may be there (resume finds out)
        return -1


def _execute_runs(
    req: RunRequest, suites: list[Suite], configs: list[RunConfig], db: Database, run_ids: list[int]
) -> int:
    """Run each suite; `run_ids` gets each finished run's id."""
    exit_code = EXIT_OK
    for suite, config in zip(suites, configs, strict=True):
        if req.resume is not None:
            _apply_resume(db, suite, config, req)
        outcome = _run_one(suite, config, db, req)
        run_ids.append(outcome.run_id)
        if outcome.status == "interrupted":
            db_flag = f" --db {req.db}" if req.db else ""
            print(
                f"Run {outcome.run_id} interrupted; resume with: workbench run {suite.path}{db_flag} --resume {outcome.run_id}",
                file=sys.stderr,
            )
            return interrupted_exit_code()
        write_outputs(db, outcome.run_id, output_paths(req.outputs, suite, len(suites)))
        rate = outcome.totals.pass_rate
        if rate is None or rate * 100 < req.threshold - 1e-9:
            exit_code = EXIT_BELOW_THRESHOLD
    if req.baseline and run_baseline(req.baseline, req.db, run_ids, req.gates or GateConfig(), req.outputs):
        exit_code = EXIT_BELOW_THRESHOLD
    return exit_code


def _apply_resume(db: Database, suite: Suite, config: RunConfig, req: RunRequest) -> None:
    """Point `config` at the run to resume, with the stored run's matrix options (same cells)."""
    if req.resume is None:
        return
    target = find_run(db, suite, req.resume, force=req.force)
    config.resume_run_id = target.run_id
    config.resume_owner = target.owner
    for key, value in matrix_options(target.config).items():
        setattr(config, key, value)


def _run_one(suite: Suite, config: RunConfig, db: Database, req: RunRequest) -> RunOutcome:
    def estimate(providers: dict[int, Any]) -> dict[str, Any]:
        # Cells the cache will answer and unpriced providers are not tokenized (no tokenizer load).
        return estimate_suite(suite, config, db, providers=providers, skip_unpriced=True).to_dict()

    if req.progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as bar:
            task = bar.add_task(suite.path.name if suite.path else "suite", total=count_cells(suite, config))

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done)

            outcome = _engine_run(suite, config, db, req, progress=progress, estimate=estimate)
    elif req.progress_lines:
        lines = ProgressLines(suite.path.name if suite.path else "suite")
        outcome = _engine_run(suite, config, db, req, progress=lines, estimate=estimate)
    else:
        outcome = _engine_run(suite, config, db, req, estimate=estimate)
    if not req.quiet:
        print_summary(db, outcome.run_id, wall_s=outcome.wall_s)
        line = estimate_vs_actual(outcome.estimate, outcome.totals)
        if line:
            print(line)
    return outcome


def _engine_run(
    suite: Suite, config: RunConfig, db: Database, req: RunRequest, **kwargs: Unpack[RunSuiteArgs]
) -> RunOutcome:
    """The run itself: in this process, through provider batch APIs, or as shards on Ray."""
    if req.executor == "ray":
        return run_on_ray(suite, config, db, workers=req.workers, address=req.ray_address, batch=req.batch)
    if req.batch:
        options = BatchOptions.from_settings(suite.settings.batch)
        return run_batched(suite, config, db, options, **kwargs)
    return run_suite(suite, config, db, **kwargs)
