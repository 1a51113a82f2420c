"""workbench: prompt regression and optimization workbench.

The public API: the four things the CLI and the UI do, as functions.

    import workbench

    code = workbench.run_suites(RunRequest(paths=[Path("suite.yaml")], db=Path("results.db")))
    db = workbench.open_results("results.db")
    rec = workbench.recommend(db, run="latest-label")  # the cheapest acceptable pair
    review = workbench.compare("main", "HEAD", db_path=Path("results.db"))  # gates applied

`import workbench` stays cheap: each function imports its stage when it is called (these are the
allowed function-level imports of tests/test_architecture.py). The types they take and return
are `workbench.run.command.RunRequest`, `sqlite_utils.Database`,
`workbench.analysis.recommend.Recommendation`, `workbench.ci.compare_inputs.Review` and
`workbench.ci.gates.GateConfig`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workbench.version import __version__

if TYPE_CHECKING:
    from typing import Unpack

    from sqlite_utils import Database

    from workbench.analysis.recommend import RecommendArgs, Recommendation
    from workbench.ci.compare_inputs import Review
    from workbench.ci.gates import GateConfig
    from workbench.run.command import RunRequest

__all__ = ["__version__", "compare", "open_results", "recommend", "run_suites"]


def run_suites(request: RunRequest) -> int:
    """Run every suite of `request` into its database, as `workbench run` does; returns the exit code.

    Loads and validates every suite first (bad input raises `workbench.errors.UsageError` /
    `SuiteError` before anything is written), runs the matrix, prints the summary unless
    `request.quiet`, writes `request.outputs`, and applies `request.baseline` gates. The exit
    code is 0, 100 (pass rate below `request.threshold`, or a gate tripped) or 130/143
    (interrupted; the run can be resumed).
    """
    from workbench.run.command import execute

    return execute(request)


def open_results(path: str | Path | None = None, *, create: bool = False) -> Database:
    """Open (and migrate) a results database: `path`, else `$WORKBENCH_DB`, else
    `results/workbench.db`. With `create=False` a missing file is a `StoreError` (exit 2)."""
    from workbench.store.db import open_db

    return open_db(path, create=create)


def recommend(db: Database, **args: Unpack[RecommendArgs]) -> Recommendation:
    """The cheapest acceptable (prompt version, variant, model) pair of a run, as `workbench recommend`.

    The keywords are `workbench.analysis.recommend.RecommendArgs`: the run is `run=` (id or label),
    else the newest run of `suite=`, else the newest run. The acceptance criteria come from the
    suite's `workbench: acceptance:` block, overridden by `min_pass_rate=`,
    `allow_guardrail_failures=`, `allow_errors=`. With `requests_per_day=` the result carries
    monthly projections; when a cost router was trained on the suite, `routing` holds its "single
    cheapest model vs routed" summary.
    """
    from workbench.analysis.recommend import recommend_for
    from workbench.routing.routed_recommendation import with_router

    return with_router(db, recommend_for(db, **args), args.get("requests_per_day"))


def compare(base: str, head: str, db_path: Path | None = None, gates: GateConfig | None = None) -> Review:
    """Compare BASE with HEAD (run ids, labels or promptfoo JSON files) and apply the gates, as
    `workbench compare`; `review.ok` is False when a gate tripped (`review.tripped` says which)."""
    from workbench.ci.compare_inputs import resolve_inputs, review
    from workbench.ci.gates import GateConfig

    return review(resolve_inputs(base, head, db_path), gates if gates is not None else GateConfig())
