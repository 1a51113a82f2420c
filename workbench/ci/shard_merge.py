"""Merge shard runs into one run (written by `store.run_import.import_run`).

`workbench run --shard i/n` keeps cell number k (in `engine.expand_cells` order) when
k % n == i - 1, and stores each result under its cell key (prompt_idx:variant:provider_idx:
test_idx:repeat), which does not depend on the shard. So the union of the shards' results, keyed
by cell key, is exactly the unsharded run, and the merged run's totals are recomputed from those
results with the same `run_totals` the engine uses.

Rules: the shards must be runs of the same suite (same suite sha256, prompts, providers and tests);
a cell stored by two shards is kept once (the first) and reported as a duplicate; shards missing
from the set (say 2 of 3 given) are reported, never silently ignored. Provenance (each shard's
database, run id and shard) is recorded in the merged run's `config.merged_from`.

A shard still `running` under a live process is refused (`refuse_live_shards`). The check and
every read of the shards happen in one read snapshot per shard (`shard_snapshots`,
store/read_snapshot.py): a resume that claims a shard meanwhile (store/run_claim.py) is either
before the snapshot (the shard reads `running` under it: refused) or after it (the merge is of the
shard as it was, header and results alike), never half of each.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.ci.compare_inputs import import_json
from workbench.errors import UsageError
from workbench.store.db import open_db, open_memory
from workbench.store.queries import resolve_run
from workbench.store.read_snapshot import read_snapshot
from workbench.store.run_import import import_run, run_header, stored_part
from workbench.store.run_owners import live_owner_pid, owner_gone
from workbench.store.writer import RunTotals, now_iso


@dataclass
class ShardRun:
    source: str  # the database or JSON file it came from
    db: Database
    run_id: int

    def row(self) -> dict[str, Any]:
        return run_header(self.db, self.run_id)

    def shard(self) -> tuple[int, int] | None:
        config = json.loads(self.row().get("config") or "{}")
        s = config.get("shard")
        return (int(s[0]), int(s[1])) if s else None


@dataclass
class MergeOutcome:
    run_id: int
    results: int
    duplicates: int
    shards: list[tuple[int, int] | None]
    missing_shards: list[int] = field(default_factory=list)
    totals: RunTotals = field(default_factory=RunTotals)

    def summary(self) -> str:
        t = self.totals
        rate = t.pass_rate
        line = (
            f"Merged {len(self.shards)} runs into run {self.run_id}: {self.results} results"
            f" ({t.passes} passed, {t.failures} failed,"
            f" {t.errors} errors; pass rate {'n/a' if rate is None else f'{rate:.1%}'})"
        )
        if self.duplicates:
            line += f"; {self.duplicates} duplicate cells kept once"
        return line


def _signature(shard: ShardRun) -> dict[str, dict[Any, Any]]:
    """What must agree between shards of one run: prompts, providers and tests by index."""
    db, rid = shard.db, shard.run_id
    prompts = db.execute(
        "select rp.prompt_idx, rp.label, pv.sha256 from run_prompts rp"
        " left join prompt_versions pv on pv.id = rp.prompt_version_id where rp.run_id = ?",
        [rid],
    ).fetchall()
    providers = db.execute("select provider_idx, provider_id, label from run_providers where run_id = ?", [rid])
    tests = db.execute("select test_idx, identity from test_cases where run_id = ?", [rid]).fetchall()
    return {
        "prompts": {r[0]: r[1:] for r in prompts},
        "providers": {r[0]: r[1:] for r in providers.fetchall()},
        "tests": {r[0]: r[1] for r in tests},
    }


def check_shards(shards: list[ShardRun]) -> list[int]:
    """Raise UsageError when the shards are not parts of one run; return the missing shard numbers.

    Shards from databases carry the whole matrix; shards from JSON only the tests they ran, so
    the check is that no index means two different things."""
    if not shards:
        raise UsageError("nothing to merge: pass at least one shard database or JSON file")
    seen: dict[str, dict[Any, Any]] = {"prompts": {}, "providers": {}, "tests": {}}
    suites = {s.row().get("suite_sha256") for s in shards} - {None, ""}
    if len(suites) > 1:
        raise UsageError("the shards are runs of different suites (suite sha256 differs); merge shards of one run")
    for s in shards:
        for what, table in _signature(s).items():
            for idx, value in table.items():
                if seen[what].setdefault(idx, value) != value:
                    raise UsageError(
                        f"{s.source}: run {s.run_id} is not a shard of the same run as {shards[0].source}"
                        f" ({what.rstrip('s')} {idx} differs)"
                    )
    numbers = [s.shard() for s in shards]
    ns = {n[1] for n in numbers if n}
    if len(ns) > 1:
        raise UsageError(f"shards of different splits cannot be merged: {sorted(ns)}")
    if not ns:
        return []
    n = ns.pop()
    have = {i for i, _ in (x for x in numbers if x)}
    return [i for i in range(1, n + 1) if i not in have]


@contextmanager
def shard_snapshots(shards: list[ShardRun]) -> Iterator[None]:
    """Every read of the shards inside the block sees each shard's database as of one moment."""
    with ExitStack() as stack:
        for s in shards:
            stack.enter_context(read_snapshot(s.db))
        yield


def refuse_live_shards(shards: list[ShardRun], rows: list[dict[str, Any]] | None = None) -> None:
    """UsageError (exit 2) for a shard run still `running` under a live process: its results are
    still coming, and the merged run would miss them for good (and read `running` forever).
    `rows`: the shards' run rows as the caller read them (the ones it merges)."""
    for s, r in zip(shards, rows if rows is not None else [s.row() for s in shards], strict=True):
        pid = live_owner_pid(r.get("owner")) if r.get("status") == "running" else None
        if pid is not None:
            raise UsageError(
                f"{s.source}: run {s.run_id} is still running in process {pid};"
                f" wait for it to finish or stop it (kill -INT {pid}), then merge"
            )


def merge_runs(
    shards: list[ShardRun], dst: Database, *, label: str | None = None, allow_partial: bool = False
) -> MergeOutcome:
    """Merge the shard runs into one new run of `dst` (exact: the union of their results by cell key)."""
    with shard_snapshots(shards):  # the live check, the headers and the results: one moment per shard
        return _merge(shards, dst, label=label, allow_partial=allow_partial)


def _merge(shards: list[ShardRun], dst: Database, *, label: str | None, allow_partial: bool) -> MergeOutcome:
    missing = check_shards(shards)
    if missing and not allow_partial:
        raise UsageError(
            f"shard{'s' * (len(missing) != 1)} {', '.join(map(str, missing))} of {shards[0].shard()[1]}"  # type: ignore[index]
            " missing (pass --allow-partial to merge anyway)"
        )
    rows = [s.row() for s in shards]
    refuse_live_shards(shards, rows)  # the rows merged below: a shard claimed since the caller's check is seen
    header = dict(rows[0])
    config = json.loads(header.get("config") or "{}")
    config["shard"] = None
    config["merged_from"] = [
        {"source": s.source, "run_id": s.run_id, "shard": list(s.shard() or []) or None, "label": r.get("label")}
        for s, r in zip(shards, rows, strict=True)
    ]
    labels = {r.get("label") for r in rows}
    # a shard left `running` by a process that is gone (kill -9) was interrupted (store/run_owners.py)
    statuses = {
        "interrupted" if r.get("status") == "running" and owner_gone(r.get("owner")) else r.get("status") for r in rows
    }
    header.update(
        label=label if label is not None else (labels.pop() if len(labels) == 1 else None),
        config=json.dumps(config),
        started_at=min((r.get("started_at") or "" for r in rows), default=None) or now_iso(),
        cells_planned=sum(int(r.get("cells_planned") or 0) for r in rows),
        status="completed" if statuses == {"completed"} else sorted(str(s) for s in statuses if s != "completed")[0],
    )
    finished = max((r.get("finished_at") or "" for r in rows), default="") or now_iso()
    out = import_run(dst, header, (stored_part(s.db, s.run_id) for s in shards), finished_at=finished)
    assert out.totals is not None  # recomputed (import_run's default)
    return MergeOutcome(out.run_id, out.results, out.duplicates, [s.shard() for s in shards], missing, out.totals)


def open_shard(path: Path, run: str | None = None) -> ShardRun:
    """A shard from a database (its newest run, or `run` by id/label) or a promptfoo-shaped JSON file."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        mem = open_memory()
        return ShardRun(str(path), mem, import_json(mem, path))
    db = open_db(path, create=False)
    if run is not None:
        return ShardRun(str(path), db, resolve_run(db, run))
    row = db.execute("select max(id) from runs").fetchone()
    if not row or row[0] is None:
        raise UsageError(f"{path}: no runs in this database")
    return ShardRun(str(path), db, int(row[0]))
