"""`workbench run`: load suites, run them into the database, print a summary, write outputs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from workbench import run_suites
from workbench.cli.compare import gate_config, gate_options
from workbench.cli.options import FiniteFloatRange, db_option, outputs_option
from workbench.cli.plan import print_plan
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


@click.command("run")
@click.argument("suites", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-c",
    "--config",
    "configs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Suite file (promptfoo's -c); repeatable.",
)
@outputs_option(
    "Write results: .json (promptfoo v3), .jsonl, .csv, .junit.xml, .md, .html (static report); repeatable."
)
@click.option(
    "-r",
    "--providers",
    "providers",
    multiple=True,
    metavar="ID",
    help="Run these providers instead of the suite's (promptfoo's --providers); repeatable.",
)
@db_option
@click.option(
    "-j",
    "--max-concurrency",
    type=click.IntRange(min=1),
    help="Concurrent calls [default: suite's evaluateOptions.maxConcurrency, else 4].",
)
@click.option(
    "--repeat", type=click.IntRange(min=1), help="Run each cell N times [default: evaluateOptions.repeat, else 1]."
)
@click.option(
    "--pass-rate-threshold",
    type=FiniteFloatRange(0, 100),
    help="Exit 100 when the pass rate (percent) is below this [default: $PROMPTFOO_PASS_RATE_THRESHOLD or 100].",
)
@click.option("--label", help="Label the run (e.g. the git ref) so `compare` can find it.")
@click.option("--shard", "shard", metavar="I/N", help="Run only shard I of N of the cells (deterministic).")
@click.option("--filter-providers", metavar="REGEX", help="Only providers whose id or label matches.")
@click.option("--filter-prompts", metavar="REGEX", help="Only prompts whose label matches.")
@click.option("--filter-pattern", metavar="REGEX", help="Only tests whose description matches.")
@click.option(
    "--filter-metadata",
    multiple=True,
    metavar="KEY=VALUE",
    help="Only tests whose metadata KEY contains VALUE; repeatable (all must hold).",
)
@click.option("-n", "--filter-first-n", type=click.IntRange(min=0), metavar="N", help="Only the first N tests.")
@click.option(
    "--filter-failing",
    type=click.Path(path_type=Path),
    metavar="JSON",
    help="Only tests that failed or errored in a previous promptfoo-shaped JSON output.",
)
@click.option(
    "--grader",
    metavar="PROVIDER",
    help="Provider id for model-graded assertions [default: local:smollm2-135m offline].",
)
@click.option(
    "--resume",
    "resume",
    is_flag=False,
    flag_value="latest",
    metavar="[RUN_ID]",
    help="Complete the missing cells of an unfinished run: RUN_ID, or with no value (or 'latest') the latest"
    " unfinished run of the same suite. Put it after the suite.",
)
@click.option("--force", is_flag=True, help="With --resume: resume even though the suite file changed since the run.")
@click.option(
    "--retry-errors",
    "retry_errors",
    type=click.IntRange(min=1),
    metavar="RUN_ID",
    help="Run the error cells of run RUN_ID again, into the same run (resume's checks: same suite, same cells);"
    " the suite defaults to the run's.",
)
@click.option(
    "--no-code-asserts", is_flag=True, help="Refuse python/javascript assertions and transforms (untrusted suites)."
)
@click.option(
    "--variants",
    metavar="LIST",
    help="Comma-separated prompt variants, e.g. none,llmlingua:0.5 [default: the suite's workbench.variants, else none].",
)
@click.option(
    "--batch",
    is_flag=True,
    help="Send OpenAI/Anthropic calls through the providers' batch APIs (about half price, answers within 24 h); "
    "batch ids are stored, so a re-run or `workbench batch collect` picks them up.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="ray: run shards as Ray tasks (pip install workbench[ray]) and merge them into --db.",
)
@click.option("--workers", type=click.IntRange(1, 1024), help="With --executor ray: number of shards [default: 2].")
@click.option("--ray-address", metavar="ADDR", help="With --executor ray: an existing cluster (default: a local one).")
@click.option(
    "--allow-path",
    "allow_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Let file:// references read DIR too (by default only the suite's project root: its git root, else its"
    " directory); repeatable.",
)
@click.option("--no-cache", is_flag=True, help="Call every provider; neither read nor write the response cache.")
@click.option(
    "--max-cost",
    type=FiniteFloatRange(min=0),
    metavar="USD",
    help="Stop scheduling calls before spending would pass USD [default: the suite's workbench.max_cost].",
)
@click.option("--dry-run", is_flag=True, help="Print the estimated tokens and cost per prompt x provider; no calls.")
@click.option(
    "--plan",
    is_flag=True,
    help="Print how many tests x repeats detect a 10-point pass-rate drop and their cost; no calls"
    " (`workbench plan` for the knobs).",
)
@click.option(
    "--baseline",
    metavar="BASE",
    help="Then compare with BASE (run id, label or JSON file) and apply the gate flags (exit 100 when one trips).",
)
@gate_options
@click.option("--changed-since", metavar="REF", help="Run only the suites that use files changed since git REF.")
@click.option(
    "--no-progress",
    is_flag=True,
    help="No progress bar (on a terminal) and no progress lines (every 5 s on stderr otherwise;"
    " $WORKBENCH_PROGRESS_SECONDS sets the interval).",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary table.")
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
    fail_on_regression: bool,
    max_pass_rate_drop: float | None,
    max_new_guardrail_failures: int | None,
    max_cost_increase: float | None,
    max_prompt_token_growth: float | None,
    significance: float | None,
    missing: str,
    allow_empty: bool,
    predecessors: tuple[str, ...],
    changed_since: str | None,
    no_progress: bool,
    quiet: bool,
) -> None:
    """Run suites: every prompt x provider x test (x repeat), results to SQLite.

    SUITES are promptfoo-compatible YAML files; with none given, ./promptfooconfig.yaml is used,
    so existing promptfoo projects run unchanged. Exit codes: 0 pass rate at or above the
    threshold, 100 below it, 2 invalid input, 1 internal error.
    """
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
        gates=gate_config(
            fail_on_regression,
            max_pass_rate_drop,
            max_new_guardrail_failures,
            max_cost_increase,
            max_prompt_token_growth,
            significance,
            missing,
            allow_empty,
            predecessors,
        ),
        changed_since=changed_since,
        batch=batch,
        executor=executor,
        workers=workers,
        ray_address=ray_address,
    )
    sys.exit(run_suites(request))
