"""The `compressions` table: keys, lookups, and `compress_cached` serving reruns without the model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from workbench.compression import compression_cache as cache
from workbench.compression import service
from workbench.compression.lingua import Compressed
from workbench.store.db import open_db


def test_key_depends_on_every_input() -> None:
    base = cache.cache_key("text", "llmlingua", 0.5, "smollm2-135m")
    assert base == cache.cache_key("text", "llmlingua", 0.5, "smollm2-135m")
    others = {
        cache.cache_key("text2", "llmlingua", 0.5, "smollm2-135m"),
        cache.cache_key("text", "longllmlingua", 0.5, "smollm2-135m"),
        cache.cache_key("text", "llmlingua", 0.33, "smollm2-135m"),
        cache.cache_key("text", "llmlingua", 0.5, "/models/other"),
        cache.cache_key("text", "llmlingua", 0.5, "smollm2-135m", "a question"),
    }
    assert base not in others and len(others) == 5


def test_store_and_lookup_roundtrip(db_path: Path) -> None:
    db = open_db(db_path)
    key = cache.cache_key("abc", "llmlingua", 0.5, "m")
    assert cache.lookup(db, key) is None
    kwargs = dict(method="llmlingua", rate=0.5, compressor_model="m", original="abc", original_tokens=1)
    cache.store(db, key, compressed="ab", compressed_tokens=1, seconds=2.5, **kwargs)
    cache.store(db, key, compressed="zz", compressed_tokens=1, seconds=9.0, **kwargs)  # duplicate ignored
    hit = cache.lookup(db, key)
    assert hit == cache.CachedCompression("ab", 2.5)
    row = db.execute("select method, rate, compressor_model, original from compressions").fetchall()
    assert row == [("llmlingua", 0.5, "m", "abc")]


def test_compress_cached_calls_the_model_once_per_key(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, float, str, str]] = []

    def fake_compress(text: str, method: str, rate: float, model: str, question: str = "") -> Compressed:
        calls.append((text, method, rate, model, question))
        return Compressed(text[: int(len(text) * rate)], 1.25)

    monkeypatch.setattr(service, "compress_text", fake_compress)
    db = open_db(db_path)

    async def go() -> list[service.CompressionOutcome]:
        # three concurrent cells share one compression; then a rerun hits the table
        first = await asyncio.gather(
            *[service.compress_cached(db, "abcdefgh", "llmlingua", 0.5, "m") for _ in range(3)]
        )
        again = await service.compress_cached(db, "abcdefgh", "llmlingua", 0.5, "m")
        return [*first, again]

    outcomes = asyncio.run(go())
    assert len(calls) == 1
    assert {o.text for o in outcomes} == {"abcd"}
    assert [o.cached for o in outcomes].count(False) == 1
    assert outcomes[-1] == service.CompressionOutcome("abcd", 1.25, True)
    # a fresh process (new connection) still hits
    assert cache.lookup(open_db(db_path), cache.cache_key("abcdefgh", "llmlingua+facts", 0.5, "m")) is not None


def test_question_only_keys_longllmlingua(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_compress(text: str, method: str, rate: float, model: str, question: str = "") -> Compressed:
        calls.append(question)
        return Compressed(text, 0.1)

    monkeypatch.setattr(service, "compress_text", fake_compress)
    db = open_db(db_path)
    for q in ("q1", "q2"):
        asyncio.run(service.compress_cached(db, "ctx", "llmlingua", 0.5, "m", q))
        asyncio.run(service.compress_cached(db, "ctx", "longllmlingua", 0.5, "m", q))
    assert calls == ["q1", "q1", "q2"]  # llmlingua ignores the question: one compression for both
