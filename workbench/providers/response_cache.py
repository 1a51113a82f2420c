"""The response cache: a Provider wrapper backed by the `cache` table of the results database.

Key: sha256 of the canonical JSON of what determines an answer: provider id, resolved model,
endpoint, messages, parameters (seed included), repeat index. Secrets never enter it: parameters
pass through `strip_secrets`, and providers expose an `identity()` without keys. Errors are never
cached. A hit is returned with `cached=True`, cost 0 for this run, and in `cached_cost` what the
answer costs **at the current price** (the stored usage priced by the provider that answered it,
as configured now: a price change or an override added later re-prices every hit, so one pair
never mixes two prices); the original latency is kept; `attempts` is 0 (no call was made).

Reads and writes are short single statements on the shared connection: the engine runs on one
asyncio thread, and SQLite's busy timeout covers other processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from workbench.providers.base import Provider
from workbench.providers.loop_cleanup import on_loop_shutdown
from workbench.secrets import Redactor, strip_secrets
from workbench.store.cache_tables import delete_responses, write_responses
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


_FIELDS = tuple(f.name for f in dataclasses.fields(ProviderResponse))


def _to_json(response: ProviderResponse) -> str:
    # Shallow: dataclasses.asdict deep-copies every value, which costs more than the JSON itself.
    return canonical({name: getattr(response, name) for name in _FIELDS})


def _from_json(text: str) -> ProviderResponse | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return ProviderResponse(**{k: v for k, v in data.items() if k in _FIELDS})


PREFETCH_KEEP = 20_000  # answers held in memory between the estimate's probe and the calls


class ResponseCache:
    """get/put over the `cache` table. `ttl_s` None = entries never expire.

    Writes are batched (new entries and hit counters, one transaction per `batch` writes or
    `flush_s` seconds, and at the end of the run's event loop): one commit per call would cost
    more than the cached call itself. Unflushed entries are served from memory meanwhile; a
    killed run loses at most one batch of cache entries, never a result.
    """

    def __init__(self, db: Database, ttl_s: float | None = None, *, batch: int = 200, flush_s: float = 1.0) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self.batch = batch
        self.flush_s = flush_s
        self.hits = 0
        self.misses = 0
        self._redactors: dict[str, Redactor] = {}  # per provider id: secrets never reach the cache table
        self._pending: dict[str, tuple[str, str | None, str, float]] = {}
        self._pending_hits: dict[str, int] = {}
        self._last_flush = time.monotonic()
        self._prefetched: dict[str, tuple[str, float]] = {}  # key -> (response, created_at)
        self._absent: set[str] = set()  # keys a prefetch found missing

    def _live(self, created: float) -> bool:
        return self.ttl_s is None or time.time() - created <= self.ttl_s

    def prefetch(self, keys: list[str]) -> list[str]:
        """Look `keys` up in one query per 500; returns those with a live entry.

        Up to `PREFETCH_KEEP` answers (and the keys found missing) are kept in memory for `get`,
        so a run whose estimate probed the cache makes no second query per call.
        """
        found: list[str] = []
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"select key, response, created_at from cache where key in ({marks})", chunk)
            seen = set()
            for key, text, created in rows.fetchall():
                if not self._live(float(created)):
                    continue
                seen.add(key)
                found.append(key)
                if len(self._prefetched) < PREFETCH_KEEP:
                    self._prefetched[key] = (text, float(created))
            if len(self._absent) < PREFETCH_KEEP * 10:
                self._absent.update(k for k in chunk if k not in seen)
        return found

    def get(self, key: str) -> ProviderResponse | None:
        pending = self._pending.get(key)
        text: str | None
        if pending is not None:
            text, created = pending[2], pending[3]
        elif key in self._prefetched:
            text, created = self._prefetched.pop(key)
        elif key in self._absent:
            self._absent.discard(key)
            text, created = None, 0.0
        else:
            row = self.db.execute("select response, created_at from cache where key = ?", [key]).fetchone()
            text, created = (row[0], float(row[1])) if row else (None, 0.0)
        if text is None or not self._live(created):
            self.misses += 1
            return None
        response = _from_json(text)
        if response is None or response.error is not None:
            self.misses += 1
            return None
        self.hits += 1
        self._pending_hits[key] = self._pending_hits.get(key, 0) + 1
        self._maybe_flush()
        return response

    def put(self, key: str, spec: ProviderSpec, response: ProviderResponse) -> None:
        if response.error is not None or response.cached:
            return
        stored = (
            dataclasses.replace(response, metadata=strip_secrets(dict(response.metadata)))
            if response.metadata
            else response
        )
        red = self._redactors.get(spec.id)
        if red is None:
            red = self._redactors[spec.id] = Redactor([spec.config])
        self._pending[key] = (spec.id, response.model, red.text(_to_json(stored)), time.time())
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        n = len(self._pending) + len(self._pending_hits)
        if n >= self.batch or time.monotonic() - self._last_flush > self.flush_s:
            self.flush()

    def flush(self) -> None:
        """Write pending entries and hit counts in one transaction (never raises on a busy database)."""
        self._last_flush = time.monotonic()
        if not self._pending and not self._pending_hits:
            return
        rows = [(k, pid, model, text, created) for k, (pid, model, text, created) in self._pending.items()]
        hits = [(n, k) for k, n in self._pending_hits.items()]
        try:
            write_responses(self.db, rows, hits)
        except sqlite3.OperationalError:
            return  # failing to cache must not fail the run; keep the entries for the next flush
        self._pending.clear()
        self._pending_hits.clear()


def as_hit(
    original: ProviderResponse, wall_ms: float, reprice: Callable[[ProviderResponse], float | None] | None = None
) -> ProviderResponse:
    return dataclasses.replace(
        original,
        cached=True,
        cached_cost=reprice(original) if reprice is not None else original.cost,
        cost=0.0,
        attempts=0,
        wall_ms=wall_ms,
        fallback_used=original.fallback_used,
    )


class CachedProvider:
    """Wraps a Provider: answer from the cache when the same request was answered before."""

    def __init__(
        self,
        provider: Provider,
        db: Database,
        ttl_s: float | None = None,
        *,
        reprice: Callable[[ProviderResponse], float | None] | None = None,
    ) -> None:
        self.inner = provider
        self.reprice = reprice
        self.spec = provider.spec
        self.cache = ResponseCache(db, ttl_s)
        self._hooked = False

    async def _flush_async(self) -> None:
        self.cache.flush()
        self._hooked = False  # a later event loop (another run) hooks again

    @property
    def model(self) -> str | None:
        return getattr(self.inner, "model", None)

    def identity(self, request: ProviderRequest) -> dict[str, Any]:
        return identity_of(self.inner, request)

    async def call(self, request: ProviderRequest) -> ProviderResponse:
        start = time.perf_counter()
        if not self._hooked:
            await on_loop_shutdown(f"cache:{id(self)}", self._flush_async)
            self._hooked = True
        key = cache_key(self.inner, request)
        hit = self.cache.get(key)
        if hit is not None:
            return as_hit(hit, (time.perf_counter() - start) * 1000, self.reprice)
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
    created_before = None if older_than_s is None else time.time() - older_than_s
    return delete_responses(db, provider=provider, created_before=created_before)
