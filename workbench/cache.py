"""The response cache: a Provider wrapper backed by the `cache` table of the results database.

Key: sha256 of the canonical JSON of what determines an answer: provider id, resolved model,
endpoint, messages, parameters (seed included), repeat index. Secrets never enter it: parameters
pass through `strip_secrets`, and providers expose an `identity()` without keys. Errors are never
cached. A hit is returned with `cached=True`, cost 0 for this run, the original cost in
`cached_cost`, and the original latency; `attempts` is 0 (no call was made).

Reads and writes are short single statements on the shared connection: the engine runs on one
asyncio thread, and SQLite's busy timeout covers other processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import time
from typing import Any

from sqlite_utils import Database

from workbench.providers.base import Provider
from workbench.secrets import strip_secrets
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def identity_of(provider: Provider, request: ProviderRequest) -> dict[str, Any]:
    ident = getattr(provider, "identity", None)
    if callable(ident):
        base: dict[str, Any] = dict(ident(request))
    else:
        base = {"provider": provider.spec.id, "model": getattr(provider, "model", None), "params": request.params}
    return base


def cache_key(provider: Provider, request: ProviderRequest) -> str:
    ident = identity_of(provider, request)
    params = strip_secrets(dict(ident.pop("params", None) or {}))
    doc = {
        **strip_secrets(ident),
        "messages": request.messages,
        "params": params,
        "seed": params.get("seed"),
        "repeat": request.repeat,
    }
    return hashlib.sha256(canonical(doc).encode()).hexdigest()


def _to_json(response: ProviderResponse) -> str:
    return canonical(dataclasses.asdict(response))


def _from_json(text: str) -> ProviderResponse | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    names = {f.name for f in dataclasses.fields(ProviderResponse)}
    return ProviderResponse(**{k: v for k, v in data.items() if k in names})


class ResponseCache:
    """get/put/stats/clear over the `cache` table. `ttl_s` None = entries never expire."""

    def __init__(self, db: Database, ttl_s: float | None = None) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> ProviderResponse | None:
        row = self.db.execute("select response, created_at from cache where key = ?", [key]).fetchone()
        if row is None or (self.ttl_s is not None and time.time() - float(row[1]) > self.ttl_s):
            self.misses += 1
            return None
        response = _from_json(row[0])
        if response is None or response.error is not None:
            self.misses += 1
            return None
        self.hits += 1
        try:
            with self.db.conn:
                self.db.execute("update cache set hits = hits + 1 where key = ?", [key])
        except sqlite3.OperationalError:
            pass  # the hit counter is a statistic; a busy database must not fail the call
        return response

    def put(self, key: str, spec: ProviderSpec, response: ProviderResponse) -> None:
        if response.error is not None or response.cached:
            return
        stored = dataclasses.replace(response, metadata=strip_secrets(dict(response.metadata)))
        try:
            with self.db.conn:
                self.db.execute(
                    "insert or replace into cache (key, provider_id, model, response, created_at, hits)"
                    " values (?, ?, ?, ?, ?, 0)",
                    [key, spec.id, response.model, _to_json(stored), time.time()],
                )
        except sqlite3.OperationalError:
            pass  # failing to cache must not fail the call


def as_hit(original: ProviderResponse, wall_ms: float) -> ProviderResponse:
    return dataclasses.replace(
        original,
        cached=True,
        cached_cost=original.cost,
        cost=0.0,
        attempts=0,
        wall_ms=wall_ms,
        fallback_used=original.fallback_used,
    )


class CachedProvider:
    """Wraps a Provider: answer from the cache when the same request was answered before."""

    def __init__(self, provider: Provider, db: Database, ttl_s: float | None = None) -> None:
        self.inner = provider
        self.spec = provider.spec
        self.cache = ResponseCache(db, ttl_s)

    @property
    def model(self) -> str | None:
        return getattr(self.inner, "model", None)

    def identity(self, request: ProviderRequest) -> dict[str, Any]:
        return identity_of(self.inner, request)

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        start = time.perf_counter()
        key = cache_key(self.inner, request)
        hit = self.cache.get(key)
        if hit is not None:
            return as_hit(hit, (time.perf_counter() - start) * 1000)
        response = await self.inner.call(request)
        self.cache.put(key, self.spec, response)
        return response


def stats(db: Database) -> dict[str, Any]:
    """Entries, total hits, per provider/model counts, age range and the stored size."""
    row = db.execute(
        "select count(*), coalesce(sum(hits), 0), min(created_at), max(created_at),"
        " coalesce(sum(length(response)), 0) from cache"
    ).fetchone()
    per = db.execute(
        "select provider_id, model, count(*), coalesce(sum(hits), 0) from cache"
        " group by provider_id, model order by count(*) desc"
    ).fetchall()
    return {
        "entries": row[0],
        "hits": row[1],
        "oldest": row[2],
        "newest": row[3],
        "bytes": row[4],
        "providers": [{"provider_id": p, "model": m, "entries": n, "hits": h} for p, m, n, h in per],
    }


def clear(db: Database, *, provider: str | None = None, older_than_s: float | None = None) -> int:
    """Delete entries (all, one provider's, or older than N seconds); returns how many."""
    where: list[str] = []
    args: list[Any] = []
    if provider:
        where.append("(provider_id = ? or model = ?)")
        args += [provider, provider]
    if older_than_s is not None:
        where.append("created_at < ?")
        args.append(time.time() - older_than_s)
    sql = "delete from cache" + (" where " + " and ".join(where) if where else "")
    with db.conn:
        cur = db.execute(sql, args)
    return int(cur.rowcount or 0)
