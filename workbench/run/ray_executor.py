"""`workbench run --executor ray`: a run's shards as Ray tasks, merged exactly into the target database.

Each task runs shard i/N of the suite (the same `--shard` cells as a CI matrix job) with today's
engine and writer into a shard database of its own, and returns that database's bytes, so workers
need no shared filesystem. The driver merges the shards with `workbench merge`'s exact merge: the
union of the shards' results by cell key is the unsharded run.

- **A lost worker**: Ray re-runs its task (`max_retries`). On the same machine the retry resumes
  the shard database the lost attempt left (every committed result is kept, no cell is written
  twice); elsewhere it starts the shard afresh. Either way the merge sees each cell once.
- **One rate limit for all workers**: a provider's `rpm` (config) is enforced across the cluster by
  one `RateGate` actor that spaces calls 60/rpm seconds apart, on top of each worker's own limiter.
- **The response cache**: a shard database starts with a copy of the target database's cache when
  the worker can read it (same machine), and the shards' new entries are merged back.

The suite's files must be readable at the same path on every node (one machine, a shared checkout,
or Ray's `runtime_env={"working_dir": ...}` on a cluster).
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from workbench.ci.shard_merge import merge_runs, open_shard
from workbench.errors import UsageError
from workbench.providers.base import Provider
from workbench.run.engine import RunConfig, RunOutcome, run_suite
from workbench.store.cache_transfer import copy_cache
from workbench.store.db import open_db
from workbench.suite import load
from workbench.types import ProviderRequest, ProviderResponse, Suite

DEFAULT_WORKERS = 2
MAX_RETRIES = 2


class RateGate:
    """Spaces the calls of each rate-limited provider 60/rpm seconds apart, across every worker.

    Runs as one Ray actor; `acquire` is async, so waiting callers do not block each other.
    """

    def __init__(self, rpm: dict[str, float]) -> None:
        self.interval = {key: 60.0 / value for key, value in rpm.items() if value > 0}
        self.next_free: dict[str, float] = {}

    async def acquire(self, key: str) -> None:
        interval = self.interval.get(key)
        if interval is None:
            return
        now = time.monotonic()
        slot = max(now, self.next_free.get(key, now))
        self.next_free[key] = slot + interval
        if slot > now:
            await asyncio.sleep(slot - now)


class _Gated:
    """A provider whose calls first take a slot from the shared RateGate."""

    def __init__(self, inner: Provider, gate: Any, key: str) -> None:  # gate: a Ray actor handle
        self.inner = inner
        self.spec = inner.spec
        self.model = getattr(inner, "model", None)
        self.gate = gate
        self.key = key

    def identity(self, request: ProviderRequest) -> dict[str, Any]:
        ident = getattr(self.inner, "identity", None)
        if callable(ident):
            return dict(ident(request))
        return {"provider": self.spec.id, "model": self.model, "params": request.params}

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        await self.gate.acquire.remote(self.key)
        response: ProviderResponse = await self.inner.call(request)
        return response


def rate_limits(suite: Suite) -> dict[str, float]:
    """Provider id -> requests per minute, from each provider's `rpm` / `requests_per_minute`."""
    out: dict[str, float] = {}
    for spec in suite.providers:
        cfg = spec.config or {}
        rpm = cfg.get("rpm", cfg.get("requests_per_minute"))
        if rpm:
            try:
                out[spec.id] = float(rpm)
            except (TypeError, ValueError):
                raise UsageError(f"providers[{spec.display}].config.rpm: expected a number, got {rpm!r}") from None
    return out


def _gate_wrapper(gate: Any, limited: set[str]) -> Callable[[Provider], Provider]:
    def wrap(provider: Provider) -> Provider:
        return _Gated(provider, gate, provider.spec.id) if provider.spec.id in limited else provider

    return wrap


def run_shard(
    suite_path: str,
    index: int,
    total: int,
    config: RunConfig,
    token: str,
    gate: Any,
    limited: list[str],
    seed_db: str | None,
) -> bytes:
    """One Ray task: shard `index`/`total` into a shard database; returns the database's bytes.

    `token` names this run's shard directory, so a retried task (same arguments) finds what the
    lost attempt committed.
    """
    suite = load(Path(suite_path))
    shard_dir = Path(tempfile.gettempdir()) / "workbench-ray" / token
    shard_dir.mkdir(parents=True, exist_ok=True)
    path = shard_dir / f"shard-{index}-of-{total}.db"
    db = open_db(path)
    shard_config = dataclasses.replace(
        config, shard=(index, total), provider_wrapper=_gate_wrapper(gate, set(limited)) if limited else None
    )
    last = db.execute("select id, status from runs order by id desc limit 1").fetchone()
    if last is None:
        if seed_db and Path(seed_db).is_file():
            copy_cache(open_db(Path(seed_db), create=False), db)
        run_suite(suite, shard_config, db)
    elif last[1] != "completed":  # a retry after a lost worker: finish what the lost attempt started
        shard_config.resume_run_id = int(last[0])
        run_suite(suite, shard_config, db)
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()
    data = path.read_bytes()
    for p in shard_dir.glob(f"shard-{index}-of-{total}.db*"):
        p.unlink(missing_ok=True)
    return data


def run_on_ray(
    suite: Suite, config: RunConfig, db: Database, *, workers: int | None, address: str | None, batch: bool = False
) -> RunOutcome:
    """Run `suite` as `workers` shards on Ray and merge them into `db` (a new run)."""
    try:
        import ray
    except ImportError:
        raise UsageError("--executor ray needs Ray: pip install 'workbench[ray]'") from None
    if batch:
        raise UsageError("--executor ray and --batch do not combine: a batch API already runs the calls remotely")
    if suite.path is None:
        raise UsageError("--executor ray needs a suite file (workers load it by path)")
    if config.resume_run_id:
        raise UsageError("--executor ray: --resume is not supported (a lost worker's shard resumes by itself)")
    n = workers or DEFAULT_WORKERS
    start = time.perf_counter()
    if not ray.is_initialized():
        ray.init(
            address=address,
            num_cpus=None if address else n,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    limits = rate_limits(suite)
    gate = ray.remote(RateGate).options(max_concurrency=1000, num_cpus=0).remote(limits) if limits else None
    task = ray.remote(max_retries=MAX_RETRIES)(run_shard)
    seed = db_path(db)
    base = dataclasses.replace(config, provider_wrapper=None)
    token = uuid.uuid4().hex
    refs = [
        task.remote(str(suite.path.resolve()), i, n, base, token, gate, sorted(limits), seed) for i in range(1, n + 1)
    ]
    blobs: list[bytes] = ray.get(refs)
    with tempfile.TemporaryDirectory(prefix="workbench-ray-") as tmp:
        shards = []
        for i, blob in enumerate(blobs, start=1):
            p = Path(tmp) / f"shard-{i}.db"
            p.write_bytes(blob)
            shards.append(open_shard(p))
        merged = merge_runs(shards, db, label=config.label)
        for s in shards:
            copy_cache(s.db, db)
            s.db.close()
    status = str(db.execute("select status from runs where id = ?", [merged.run_id]).fetchone()[0])
    return RunOutcome(merged.run_id, status, merged.totals, merged.results, 0, time.perf_counter() - start)


def db_path(db: Database) -> str | None:
    """The file behind a database connection (None for an in-memory one)."""
    row = db.execute("pragma database_list").fetchone()
    return str(row[2]) if row and row[2] else None
