"""The compression cache: the `compressions` table (see workbench/store/schema.py).

Compression is deterministic (greedy perplexity ranking, no sampling), so one row per
(text, method, rate, compressor model, question) serves every later run: a rerun costs a
primary-key lookup instead of a model pass. The question is part of the key because
LongLLMLingua conditions on it; the other methods get "".
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from workbench.store.cache_tables import insert_compression


@dataclass(frozen=True)
class CachedCompression:
    compressed: str
    seconds: float  # what the compression originally took
    facts_dropped: tuple[str, ...] = ()  # what the compressor dropped before the fact guard


def cache_key(text: str, method: str, rate: float, compressor_model: str, question: str = "") -> str:
    payload = json.dumps([text, method, round(rate, 6), compressor_model, question], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def lookup(db: Database, key: str) -> CachedCompression | None:
    row = db.execute("select compressed, seconds, facts_dropped from compressions where key = ?", [key]).fetchone()
    if row is None:
        return None
    dropped = json.loads(row[2]) if row[2] else []
    return CachedCompression(row[0], float(row[1] or 0.0), tuple(str(d) for d in dropped))


def store(
    db: Database,
    key: str,
    *,
    method: str,
    rate: float,
    compressor_model: str,
    original: str,
    compressed: str,
    original_tokens: int,
    compressed_tokens: int,
    seconds: float,
    facts_dropped: list[str] | tuple[str, ...] = (),
) -> None:
    """Insert one compression (cl100k token counts); a concurrent duplicate is ignored."""
    row: dict[str, Any] = {
        "key": key,
        "method": method,
        "rate": rate,
        "compressor_model": compressor_model,
        "original": original,
        "compressed": compressed,
        "original_tokens": original_tokens,
        "compressed_tokens": compressed_tokens,
        "seconds": seconds,
        "created_at": time.time(),
        "facts_dropped": json.dumps(list(facts_dropped), ensure_ascii=False),
    }
    insert_compression(db, row)
