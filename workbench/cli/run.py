"""`workbench run`: load suites, run them into the database, print a summary, write outputs."""

from __future__ import annotations

from pathlib import Path

import click

from workbench.cli.lazy_command import LazyCommand
from workbench.cli.options import FiniteFloatRange, db_option, gate_options, outputs_option


@click.command("run", cls=LazyCommand, action="workbench.cli.actions.run:command")
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
    "Write results: .json (promptfoo v3), .jsonl, .csv, .junit.xml, .yaml, .md, .html (static report); repeatable."
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
def command() -> None:
    """Run suites: every prompt x provider x test (x repeat), results to SQLite.

    SUITES are promptfoo-compatible YAML files; with none given, ./promptfooconfig.yaml is used,
    so existing promptfoo projects run unchanged. Exit codes: 0 pass rate at or above the
    threshold, 100 below it, 2 invalid input, 1 internal error.
    """
