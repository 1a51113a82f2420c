"""`compress_cached`: the async entry point the variants use.

Order of lookups: the SQLite `compressions` table (a warm rerun costs nothing), then a
compression already in flight for the same key (several providers share one test's context),
then the model in a worker thread so the event loop keeps serving other cells.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlite_utils import Database

import workbench.plugins as plugins
from workbench.compression import compression_cache as cache
from workbench.compression import lingua
from workbench.compression.compressor_registry import Compressed, Compressor, CompressorRegistry
from workbench.compression.fact_guard import dropped_facts, guard
from workbench.errors import UsageError
from workbench.tokens import count_tokens

_INFLIGHT: dict[str, asyncio.Future[Compressed]] = {}
compressors = plugins.RegistryLoader("register_compressors", CompressorRegistry, [lingua.register_compressors])
"""`compressors()`: the registry, filled on first use: built-ins, then outside plugins (`workbench.plugins`)."""


def compressor(method: str) -> Compressor:
    """The registered method; UsageError (exit 2) naming the known ones otherwise."""
    found = compressors().get(method)
    if found is None:
        raise UsageError(f"unknown compression method {method!r} (known: none, {', '.join(compressors().names())})")
    return found


def compress_text(text: str, method: str, rate: float, model: str, question: str = "") -> Compressed:
    """Run one registered compressor (blocking); a method that returns plain text is timed here."""
    start = time.perf_counter()
    out = compressor(method).compress(text, rate, model, question)
    return out if isinstance(out, Compressed) else Compressed(str(out), time.perf_counter() - start)


@dataclass(frozen=True)
class CompressionOutcome:
    text: str
    seconds: float  # compressor wall time of the original compression
    cached: bool  # served from the compressions table or a concurrent cell
    facts_dropped: tuple[str, ...] = ()  # facts the compressor dropped (the guard put them back)


def guarded_text(text: str, method: str, rate: float, model: str, question: str, keep_facts: bool) -> Compressed:
    """Compress, then (keep_facts) put back every fact the compressor dropped (`fact_guard`)."""
    result = compress_text(text, method, rate, model, question)
    out, dropped = guard(text, result.text) if keep_facts else (result.text, dropped_facts(text, result.text))
    return Compressed(out, result.seconds, tuple(dropped))


async def compress_cached(
    db: Database | None,
    text: str,
    method: str,
    rate: float,
    model: str,
    question: str = "",
    *,
    keep_facts: bool = True,
) -> CompressionOutcome:
    # Guarded and unguarded outputs differ, so they are cached apart (older unguarded rows are not reused).
    tag = method + ("+facts" if keep_facts else "")
    key = cache.cache_key(text, tag, rate, model, question if compressor(method).needs_question else "")
    if db is not None:
        hit = cache.lookup(db, key)
        if hit is not None:
            return CompressionOutcome(hit.compressed, hit.seconds, True, hit.facts_dropped)
    pending = _INFLIGHT.get(key)
    if pending is not None:
        done = await asyncio.shield(pending)
        return CompressionOutcome(done.text, done.seconds, True, done.facts_dropped)
    future: asyncio.Future[Compressed] = asyncio.get_running_loop().create_future()
    _INFLIGHT[key] = future
    try:
        result = await asyncio.to_thread(guarded_text, text, method, rate, model, question, keep_facts)
        if db is not None:
            cache.store(
                db,
                key,
                method=method,
                rate=rate,
                compressor_model=model,
                original=text,
                compressed=result.text,
                original_tokens=count_tokens(text),
                compressed_tokens=count_tokens(result.text),
                seconds=result.seconds,
                facts_dropped=result.facts_dropped,
            )
        future.set_result(result)
    except BaseException as e:
        future.set_exception(e)
        future.exception()  # mark retrieved: waiters re-raise it, nobody logs "never retrieved"
        raise
    finally:
        _INFLIGHT.pop(key, None)
    return CompressionOutcome(result.text, result.seconds, False, result.facts_dropped)
