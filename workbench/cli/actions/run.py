"""The body of `workbench run` (its flags and help: `workbench/cli/run.py`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from workbench import run_suites
from workbench.ci.gates import GateConfig
from workbench.cli.actions.plan import print_plan
from workbench.errors import UsageError
from workbench.run.command import RunRequest
from workbench.run.resume import parse_resume, suite_of_run
from workbench.store.db import open_db
from workbench.suite.filters import TestFilter


def _threshold(flag: float | None) -> float:
    """Pass-rate threshold in percent: the flag, else PROMPTFOO_PASS_RATE_THRESHOLD, else 100."""
    if flag is not None:
        return flag
    env = os.environ.get("PROMPTFOO_PASS_RATE_THRESHOLD")
    if env:
        try:
            value = float(env)
        except ValueError:
            raise UsageError(f"PROMPTFOO_PASS_RATE_THRESHOLD={env!r}: expected a number (percent)") from None
        if not 0 <= value <= 100:  # also false for nan
            raise UsageError(f"PROMPTFOO_PASS_RATE_THRESHOLD={env!r}: expected a percentage between 0 and 100")
        return value
    return 100.0


def _regex(flag: str, value: str | None) -> str | None:
    if value is not None:
        import re

        try:
            re.compile(value)
        except re.error as e:
            raise UsageError(f"{flag} {value!r}: invalid regular expression ({e})") from None
    return value


def _shard(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        i, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise UsageError(f"--shard {value!r}: expected I/N, e.g. 1/3") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard {value!r}: I must be between 1 and N")
    return i, n


def command(
    suites: tuple[Path, ...],
    configs: tuple[Path, ...],
    outputs: tuple[Path, ...],
    providers: tuple[str, ...],
    db: Path | None,
    max_concurrency: int | None,
    repeat: int | None,
    pass_rate_threshold: float | None,
    label: str | None,
    shard: str | None,
    filter_providers: str | None,
    filter_prompts: str | None,
    filter_pattern: str | None,
    filter_metadata: tuple[str, ...],
    filter_first_n: int | None,
    filter_failing: Path | None,
    grader: str | None,
    allow_paths: tuple[Path, ...],
    resume: str | None,
    force: bool,
    retry_errors: int | None,
    no_code_asserts: bool,
    variants: str | None,
    batch: bool,
    executor: str,
    workers: int | None,
    ray_address: str | None,
    no_cache: bool,
    max_cost: float | None,
    dry_run: bool,
    plan: bool,
    baseline: str | None,
    gates: GateConfig,
    changed_since: str | None,
    no_progress: bool,
    quiet: bool,
) -> None:
    """`workbench run` (help: the declaration)."""
    paths = list(suites) + list(configs)
    if plan:
        for path in paths or [Path("promptfooconfig.yaml")]:
            print_plan(path, db, 10.0, 0.8, 0.05, None, None)
        sys.exit(0)
    if retry_errors is not None:
        if resume is not None:
            raise UsageError("--retry-errors and --resume: give one of them (--retry-errors RUN resumes RUN)")
        if not paths:
            paths = [suite_of_run(open_db(db, create=False), retry_errors)]
    if not paths:
        default = Path("promptfooconfig.yaml")
        if not default.exists():
            raise UsageError("no suite given and no promptfooconfig.yaml here (usage: workbench run SUITE.yaml)")
        paths = [default]
    request = RunRequest(
        paths=paths,
        outputs=list(outputs),
        providers=list(providers),
        db=db,
        max_concurrency=max_concurrency,
        repeat=repeat,
        # with --baseline the gates decide; the pass-rate threshold applies only when asked for
        threshold=0.0
        if baseline and pass_rate_threshold is None and not os.environ.get("PROMPTFOO_PASS_RATE_THRESHOLD")
        else _threshold(pass_rate_threshold),
        label=label,
        shard=_shard(shard),
        filter_providers=_regex("--filter-providers", filter_providers),
        filter_prompts=_regex("--filter-prompts", filter_prompts),
        test_filter=TestFilter(filter_pattern, list(filter_metadata), filter_first_n, filter_failing),
        grader=grader,
        allow_paths=list(allow_paths),
        resume=retry_errors if retry_errors is not None else parse_resume(resume),
        retry_errors=retry_errors is not None,
        force=force,
        allow_code=not no_code_asserts,
        progress=not no_progress and sys.stderr.isatty(),
        progress_lines=not no_progress and not sys.stderr.isatty(),
        quiet=quiet,
        variants=[v.strip() for v in variants.split(",") if v.strip()] if variants else [],
        use_cache=not no_cache,
        max_cost=max_cost,
        dry_run=dry_run,
        baseline=baseline,
        gates=gates,
        changed_since=changed_since,
        batch=batch,
        executor=executor,
        workers=workers,
        ray_address=ray_address,
    )
    sys.exit(run_suites(request))
