"""The response cache: hits and misses against a real server, TTL, errors never cached, no
secrets in keys or rows, repeats cached per index, and `workbench cache stats|clear`."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_openai_server import FakeOpenAI, spec_for

from workbench.cli.main import cli
from workbench.providers.resolution import resolve
from workbench.providers.response_cache import CachedProvider, cache_key
from workbench.providers.stack import build_provider
from workbench.store.db import open_db
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

SECRET = "sk-test-SECRET-123"


def req(text: str = "hi", repeat: int = 0, **params: Any) -> ProviderRequest:
    return ProviderRequest(prompt=text, messages=[{"role": "user", "content": text}], params=params, repeat=repeat)


def run(provider: Any, *requests: ProviderRequest) -> list[ProviderResponse]:
    async def go() -> list[ProviderResponse]:
        return [await provider.call(r) for r in requests]

    return asyncio.run(go())


def test_miss_then_hit(fake_openai: FakeOpenAI, db_path: Path) -> None:
    db = open_db(db_path)
    fake_openai.default = {"usage": {"prompt_tokens": 100, "completion_tokens": 50}, "delay": 0.05}
    provider = build_provider(spec_for(fake_openai), None, db=db)
    first, second = run(provider, req(), req())
    assert fake_openai.count == 1
    assert not first.cached and first.cost == pytest.approx(100 * 1.5e-7 + 50 * 6e-7)
    assert second.cached and second.cost == 0.0
    assert second.cached_cost == first.cost
    assert second.latency_ms == first.latency_ms  # the original latency is kept
    assert second.attempts == 0 and second.output == first.output
    assert (second.tokens_in, second.tokens_out) == (100, 50)
    assert db.execute("select hits from cache").fetchone()[0] == 1


def test_what_makes_a_different_key(fake_openai: FakeOpenAI, db_path: Path) -> None:
    db = open_db(db_path)
    provider = build_provider(spec_for(fake_openai), None, db=db)
    run(provider, req(), req(repeat=1), req(temperature=0.5), req("other"), req(seed=3), req(seed=3))
    assert fake_openai.count == 5  # repeats are cached per index; params and seed are part of the key
    other_model = build_provider(spec_for(fake_openai, model="gpt-4o"), None, db=db)
    run(other_model, req())
    assert fake_openai.count == 6


def test_errors_are_never_cached(fake_openai: FakeOpenAI, db_path: Path) -> None:
    db = open_db(db_path)
    fake_openai.queue({"status": 400})
    provider = build_provider(spec_for(fake_openai), None, db=db)
    bad, good, cached = run(provider, req(), req(), req())
    assert bad.error and not good.error and cached.cached
    assert fake_openai.count == 2
    assert db.execute("select count(*) from cache").fetchone()[0] == 1


def test_ttl(fake_openai: FakeOpenAI, db_path: Path) -> None:
    db = open_db(db_path)

    class Opts:
        use_cache = True
        cache_ttl_s = 0.3
        provider_wrapper = None

    provider = build_provider(spec_for(fake_openai), None, db=db, run_options=Opts())
    run(provider, req(), req())
    assert fake_openai.count == 1
    time.sleep(0.4)
    (again,) = run(provider, req())
    assert not again.cached and fake_openai.count == 2


def test_no_cache_option(fake_openai: FakeOpenAI, db_path: Path) -> None:
    class Opts:
        use_cache = False
        cache_ttl_s = None
        provider_wrapper = None

    provider = build_provider(spec_for(fake_openai), None, db=open_db(db_path), run_options=Opts())
    assert not isinstance(provider, CachedProvider)
    run(provider, req(), req())
    assert fake_openai.count == 2


def test_secrets_are_not_in_the_key_or_the_row(fake_openai: FakeOpenAI, db_path: Path) -> None:
    db = open_db(db_path)
    a = resolve(spec_for(fake_openai))
    b = resolve(spec_for(fake_openai, apiKey="sk-another-key"))
    assert cache_key(a, req()) == cache_key(b, req())  # the key does not depend on the API key
    run(build_provider(spec_for(fake_openai), None, db=db), req())
    dump = "\n".join(db.iterdump())
    assert SECRET not in dump
    assert "sk-" not in dump


def test_echo_is_not_cached(db_path: Path) -> None:
    provider = build_provider(ProviderSpec(id="echo"), None, db=open_db(db_path))
    assert not isinstance(provider, CachedProvider)


def test_stored_response_round_trips(fake_openai: FakeOpenAI, db_path: Path) -> None:
    db = open_db(db_path)
    provider = build_provider(spec_for(fake_openai), None, db=db)
    first, hit = run(provider, req(), req())
    expected = dataclasses.replace(
        first, cached=True, cost=0.0, cached_cost=first.cost, attempts=0, wall_ms=hit.wall_ms
    )
    assert hit == expected


def test_cli_stats_and_clear(fake_openai: FakeOpenAI, db_path: Path) -> None:
    db = open_db(db_path)
    run(build_provider(spec_for(fake_openai), None, db=db), req("a"), req("b"), req("a"))
    runner = CliRunner()
    out = runner.invoke(cli, ["cache", "stats", "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0].startswith("entries: 2  hits: 1  size: ")
    assert "openai:chat:gpt-4o-mini  openai/gpt-4o-mini  entries: 2  hits: 1" in out.output
    out = runner.invoke(cli, ["cache", "clear", "--db", str(db_path), "--provider", "nope"])
    assert out.output == "Deleted 0 cached response(s).\n"
    out = runner.invoke(cli, ["cache", "clear", "--db", str(db_path)])
    assert out.exit_code == 0 and out.output == "Deleted 2 cached response(s).\n"
    assert db.execute("select count(*) from cache").fetchone()[0] == 0


def test_cli_rerun_is_cached_and_no_cache_calls_again(fake_openai: FakeOpenAI, tmp_path: Path, db_path: Path) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "prompts: ['Say {{w}}']\n"
        f"providers:\n  - {{id: 'openai:chat:gpt-4o-mini', config: {{apiBaseUrl: '{fake_openai.base_url}', price_as: gpt-4o-mini}}}}\n"
        "tests:\n  - vars: {w: a}\n  - vars: {w: b}\n"
    )
    runner = CliRunner()
    args = ["run", str(suite), "--db", str(db_path), "--no-progress"]
    assert runner.invoke(cli, args).exit_code == 0
    assert fake_openai.count == 2
    out = runner.invoke(cli, args)
    assert out.exit_code == 0 and fake_openai.count == 2
    assert "(2 cached)" in out.output
    db = open_db(db_path)
    assert db.execute("select cached, cache_hit_ratio, cost from runs order by id").fetchall() == [
        (0, 0.0, pytest.approx(2 * (11 * 1.5e-7 + 7 * 6e-7))),
        (2, 1.0, 0.0),
    ]
    assert db.execute("select count(*) from results where cached = 1 and cached_cost > 0").fetchone()[0] == 2
    assert runner.invoke(cli, [*args, "--no-cache"]).exit_code == 0
    assert fake_openai.count == 4


def test_writes_are_batched_and_flushed_when_the_loop_ends(fake_openai: FakeOpenAI, db_path: Path) -> None:
    db = open_db(db_path)
    provider = build_provider(spec_for(fake_openai), None, db=db)
    assert isinstance(provider, CachedProvider)
    provider.cache.flush_s = 3600  # only the batch size or the end of the loop flushes

    async def go() -> list[int]:
        counts = []
        for text in ("a", "b", "a"):
            await provider.call(req(text))
            counts.append(db.execute("select count(*) from cache").fetchone()[0])
        return counts

    assert asyncio.run(go()) == [0, 0, 0]  # pending in memory (and served from there: "a" hit)
    assert fake_openai.count == 2
    assert db.execute("select count(*), sum(hits) from cache").fetchone() == (2, 1)  # flushed at loop end
