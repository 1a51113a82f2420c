"""Find the run to resume and check it still matches the suite.

`workbench run SUITE --resume [RUN_ID|latest]` completes the missing cells of a stored run. The
resumed run must expand to the same cells as the original, so the matrix options that shape the
cells (repeat, variants, shard, filters) come from the stored run, not from today's flags; and the
suite file must be byte-identical (its sha256 is stored on the run) unless `--force`. A run still
`running` under a live process (its owner, store/run_owners.py) is refused, `--force` or not: two
processes completing the same cells would store each result twice (`--retry-errors` goes through
here too). That check is a fast answer before any work; what decides is the claim the engine
makes before it writes anything (store/run_claim.py: one write transaction), so of two resumes
started at the same moment, both past this check, exactly one runs the run and the other is
refused with the same message (`still_running`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.errors import UsageError
from workbench.store.run_owners import live_owner_pid
from workbench.types import Suite

LATEST = "latest"
FINISHED = "completed"


def parse_resume(value: str | None) -> int | str | None:
    """The `--resume` value: None (not resuming), a run id, or "latest"."""
    if value is None:
        return None
    if value == LATEST:
        return LATEST
    try:
        run_id = int(value)
    except ValueError:
        raise UsageError(
            f"--resume {value!r}: expected a run id or 'latest' (put --resume after the suite: workbench run SUITE --resume)"
        ) from None
    if run_id < 1:
        raise UsageError(f"--resume {value!r}: a run id is a positive integer")
    return run_id


@dataclass
class ResumeTarget:
    run_id: int
    config: dict[str, Any]  # the stored RunConfig.public()
    owner: str | None = None  # runs.owner as this check read it (the claim compares it)


def still_running(run_id: int, pid: int) -> UsageError:
    """The one-line refusal of a run that process `pid` is running (exit 2)."""
    return UsageError(
        f"run {run_id}: still running in process {pid}; resuming it now would run its cells twice:"
        f" wait for it to finish or stop it (kill -INT {pid}), then resume"
    )


def _same_suite(stored: str | None, suite: Suite) -> bool:
    if not stored or suite.path is None:
        return False
    return Path(stored).resolve() == suite.path.resolve()


def find_run(db: Database, suite: Suite, wanted: int | str, *, force: bool = False) -> ResumeTarget:
    """The run to resume; UsageError (exit 2, one line) when there is none or the suite changed."""
    shown = str(suite.path) if suite.path else "suite"
    if wanted == LATEST:
        row = None
        for candidate in db.execute(
            "select id, suite_path, suite_sha256, status, config, owner from runs where status != ? order by id desc",
            [FINISHED],
        ):
            if _same_suite(candidate[1], suite):
                row = candidate
                break
        if row is None:
            raise UsageError(f"{shown}: no unfinished run of this suite to resume")
    else:
        row = db.execute(
            "select id, suite_path, suite_sha256, status, config, owner from runs where id = ?", [wanted]
        ).fetchone()
        if row is None:
            raise UsageError(f"--resume {wanted}: no such run in the database")
        if not _same_suite(row[1], suite) and not force:
            raise UsageError(
                f"--resume {wanted}: run {wanted} is of {row[1]}, not {shown} (pass --force to resume it anyway)"
            )
    run_id, _, sha, status, config, owner = row
    pid = live_owner_pid(owner) if status == "running" else None
    if pid is not None:
        raise still_running(int(run_id), pid)
    if sha != suite.sha256 and not force:
        raise UsageError(
            f"{shown}: changed since run {run_id} was made (sha256 differs); resuming would mix two suites"
            " (pass --force to resume anyway, or start a new run)"
        )
    try:
        stored = json.loads(config or "{}")
    except ValueError:
        stored = {}
    return ResumeTarget(int(run_id), stored if isinstance(stored, dict) else {}, owner)


def suite_of_run(db: Database, run_id: int, flag: str = "--retry-errors") -> Path:
    """The suite file a stored run was made of (`workbench run --retry-errors RUN` with no suite)."""
    row = db.execute("select suite_path from runs where id = ?", [run_id]).fetchone()
    if row is None:
        raise UsageError(f"{flag} {run_id}: no such run in the database")
    if not row[0]:
        raise UsageError(
            f"{flag} {run_id}: the run has no suite file (imported); give the suite: workbench run SUITE {flag} {run_id}"
        )
    return Path(row[0])


def matrix_options(stored: dict[str, Any]) -> dict[str, Any]:
    """The RunConfig fields that decide which cells exist, as the stored run had them."""
    out: dict[str, Any] = {}
    if isinstance(stored.get("repeat"), int):
        out["repeat"] = stored["repeat"]
    if isinstance(stored.get("variants"), list) and stored["variants"]:
        out["variants"] = [str(v) for v in stored["variants"]]
    shard = stored.get("shard")
    if isinstance(shard, list) and len(shard) == 2:
        out["shard"] = (int(shard[0]), int(shard[1]))
    for key in ("filter_providers", "filter_prompts"):
        if key in stored:
            out[key] = stored[key]
    return out
