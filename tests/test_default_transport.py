"""The lean OpenAI-compatible transport is the default wherever the endpoint speaks OpenAI's
protocol (litellm is then never imported); the pre-run estimate asks the response cache which
calls it will answer and tokenizes only the rest; tiktoken's table loads from a marshal file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAI

from workbench import tokens
from workbench.providers.resolution import resolve
from workbench.providers.response_cache import ResponseCache
from workbench.providers.stack import build_provider
from workbench.run.config import RunConfig
from workbench.run.engine import run_suite
from workbench.run.estimate import estimate_suite
from workbench.store.db import open_db
from workbench.suite import load
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("pid", "config", "transport", "base"),
    [
        ("openai:chat:gpt-4o-mini", {}, "openai-compatible", "https://api.openai.com/v1"),
        ("openai:gpt-4o-mini", {"apiBaseUrl": "http://127.0.0.1:9/v1"}, "openai-compatible", "http://127.0.0.1:9/v1"),
        ("groq:llama-3.1-8b-instant", {}, "openai-compatible", "https://api.groq.com/openai/v1"),
        ("togetherai:meta-llama/Llama-3-8b", {}, "openai-compatible", "https://api.together.xyz/v1"),
        ("litellm:hosted_vllm/qwen", {"apiBaseUrl": "http://127.0.0.1:8000/v1"}, "openai-compatible", None),
        ("ollama:chat:llama3", {"apiBaseUrl": "http://127.0.0.1:11434"}, "openai-compatible", None),
        ("openai:o3-mini", {}, "litellm", None),  # litellm rewrites reasoning models' parameters
        ("anthropic:messages:claude-3-5-haiku-20241022", {}, "litellm", None),
        ("ollama:llama3", {}, "litellm", None),  # /api/generate is not the chat protocol
        ("litellm:hosted_vllm/qwen", {}, "litellm", None),  # no endpoint known
        ("openai:gpt-4o-mini", {"transport": "litellm"}, "litellm", None),
    ],
)
def test_transport_chosen_by_endpoint(pid: str, config: dict[str, str], transport: str, base: str | None) -> None:
    provider = resolve(ProviderSpec(id=pid, config=config))
    assert provider.transport == transport  # type: ignore[attr-defined]
    if base:
        assert provider.lean_base == base  # type: ignore[attr-defined]
    if pid == "ollama:chat:llama3":
        assert provider.lean_base == "http://127.0.0.1:11434/v1"  # type: ignore[attr-defined]


def test_lean_transport_reads_the_providers_key_variable(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-planted-key")
    provider = resolve(ProviderSpec(id="groq:llama-3.1-8b-instant", config={"apiBaseUrl": fake_openai.base_url}))
    fake_openai.queue({"content": "pong", "usage": {"prompt_tokens": 3, "completion_tokens": 1}})
    r = asyncio.run(provider.call(ProviderRequest(prompt="ping", messages=[{"role": "user", "content": "ping"}])))
    assert r.error is None and r.output == "pong" and r.token_source == "usage"
    sent = fake_openai.requests[-1]
    assert sent["headers"]["authorization"] == "Bearer gsk-planted-key"
    assert sent["body"]["model"] == "llama-3.1-8b-instant"


def test_cli_run_against_loopback_server_never_imports_litellm(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    suite = tmp_path / "s.yaml"
    suite.write_text(
        "prompts: ['Say {{w}}']\n"
        f"providers:\n  - id: openai:chat:gpt-4o-mini\n    config: {{apiBaseUrl: '{fake_openai.base_url}', apiKey: sk-t}}\n"
        "tests:\n  - vars: {w: one}\n  - vars: {w: two}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKBENCH_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-X", "importtime", "-m", "workbench", "run", str(suite), "--db", str(tmp_path / "r.db")]
    proc = subprocess.run([*cmd, "--no-progress"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert fake_openai.count == 2
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
    assert "workbench.providers.http1_client" in imported
    # an http:// endpoint goes through http1_client.py: neither litellm nor aiohttp is imported
    # (httpx: the http and batch providers only)
    assert not {m for m in imported if m.split(".")[0] in ("litellm", "httpx", "aiohttp")}


def _suite(tmp_path: Path, base_url: str, extra: str = "") -> Path:
    path = tmp_path / "est.yaml"
    path.write_text(
        "prompts: ['Q: {{q}}']\n"
        f"providers:\n  - id: openai:chat:gpt-4o-mini\n    config: {{apiBaseUrl: '{base_url}', apiKey: sk-t}}\n"
        "tests:\n" + "".join(f"  - vars: {{q: 'question {i}'}}\n" for i in range(6)) + extra
    )
    return path


def test_estimate_counts_cache_hits_without_tokenizing(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    suite = load(_suite(tmp_path, fake_openai.base_url))
    db = open_db(tmp_path / "r.db")
    run_suite(suite, RunConfig(max_concurrency=2), db)
    assert fake_openai.count == 6
    # One more test: 6 cells are cached, 1 is new.
    suite = load(_suite(tmp_path, fake_openai.base_url, "  - vars: {q: brand new}\n"))
    config = RunConfig()
    providers = {0: build_provider(suite.providers[0], suite.base_dir, db=db, run_options=config)}
    tokens._encoding.cache_clear()
    est = estimate_suite(suite, config, db, providers=providers)
    row = est.rows[0]
    assert (row.cached, row.calls) == (6, 1)
    assert row.tokens_in == tokens.count_message_tokens([{"role": "user", "content": "Q: brand new"}], "gpt-4o-mini")
    # Fully cached: no tokenizer is loaded at all.
    suite = load(_suite(tmp_path, fake_openai.base_url))
    tokens._encoding.cache_clear()
    est = estimate_suite(suite, config, db, providers=providers)
    assert (est.rows[0].cached, est.rows[0].calls) == (6, 0)  # an own endpoint: its price is unknown
    assert tokens._encoding.cache_info().misses == 0


def test_estimate_skips_tokenizing_unpriced_providers(tmp_path: Path) -> None:
    path = tmp_path / "u.yaml"
    path.write_text("prompts: ['Q: {{q}}']\nproviders: ['openai:no-such-priced-model']\ntests:\n  - vars: {q: a}\n")
    tokens._encoding.cache_clear()
    est = estimate_suite(load(path), RunConfig(), skip_unpriced=True)
    assert est.rows[0].calls == 1 and est.rows[0].cost is None and est.rows[0].tokens_in == 0
    assert tokens._encoding.cache_info().misses == 0
    assert any("not counted" in n for n in est.notes)
    echo = tmp_path / "e.yaml"
    echo.write_text("prompts: ['Q: {{q}}']\nproviders: [echo]\ntests:\n  - vars: {q: a}\n")
    est = estimate_suite(load(echo), RunConfig(), skip_unpriced=True)
    assert est.rows[0].cost == 0.0 and not any("unknown price" in n for n in est.notes)  # free, not unknown


def test_prefetched_answers_are_served_without_another_query(tmp_path: Path) -> None:
    db = open_db(tmp_path / "c.db")
    cache = ResponseCache(db)
    cache.put("k1", ProviderSpec(id="openai:x"), ProviderResponse(output="stored", cost=0.1))
    cache.flush()
    fresh = ResponseCache(db)
    assert fresh.prefetch(["k1", "k2"]) == ["k1"]
    with db.conn:
        db.execute("delete from cache")  # only the prefetched copy can answer now
    hit = fresh.get("k1")
    assert hit is not None and hit.output == "stored"
    assert fresh.get("k2") is None and (fresh.hits, fresh.misses) == (1, 1)


def test_tiktoken_table_is_reloaded_from_the_marshal_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    tokens._encoding.cache_clear()
    text = "Ticket 42: refund for order 1009, e-mail a.b@example.com"
    first = tokens.count_tokens(text, "gpt-4o-mini")
    files = list(tmp_path.glob("tiktoken-o200k_base-*.marshal"))
    assert len(files) == 1 and files[0].stat().st_size > 1_000_000
    tokens._encoding.cache_clear()
    assert tokens.count_tokens(text, "gpt-4o-mini") == first
    files[0].write_bytes(b"garbage")  # an unreadable blob is rebuilt, never an error
    tokens._encoding.cache_clear()
    assert tokens.count_tokens(text, "gpt-4o-mini") == first
    tokens._encoding.cache_clear()
