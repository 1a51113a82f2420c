"""`workbench run --batch` end to end against a loopback server speaking OpenAI's files/batches and
Anthropic's message-batches protocols: answers mapped back to cells, batch prices, stored batch ids
(a restart resubmits nothing), partial failures, expiry, and `workbench batch status|collect`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fake_batch_server import FakeBatchServer

from workbench.providers.pricing import lookup

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-ant-test-secret-4242"


def _suite(tmp_path: Path, server: FakeBatchServer, topics: list[str], **batch: object) -> Path:
    suite = {
        "prompts": ["Summarize {{topic}}"],
        "providers": [
            {
                "id": "openai:chat:gpt-4o-mini",
                "config": {"apiBaseUrl": server.openai_base, "input_cost_per_1m": 2, "output_cost_per_1m": 4},
            },
            {
                "id": "anthropic:messages:claude-haiku-4-5",
                "config": {"apiBaseUrl": server.anthropic_base, "input_cost_per_1m": 2, "output_cost_per_1m": 4},
            },
        ],
        "tests": [{"vars": {"topic": t}, "assert": [{"type": "contains", "value": "answer"}]} for t in topics],
        "workbench": {"batch": {"poll_seconds": 0.05, **batch}},
    }
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANTHROPIC_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args, "--db", str(tmp_path / "r.db")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )


def _rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "r.db") as conn:
        return conn.execute(sql).fetchall()


def _creates(server: FakeBatchServer) -> int:
    return sum(1 for m, p, _ in server.requests if m == "POST" and p in ("/v1/batches", "/v1/messages/batches"))


def test_batch_run_answers_every_cell_at_half_price(fake_batches: FakeBatchServer, tmp_path: Path) -> None:
    suite = _suite(tmp_path, fake_batches, ["apples", "pears", "plums"])
    r = _run("run", "--batch", str(suite), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "batch: 6 requests, 0 already answered, 6 submitted in 2 new batches" in r.stderr
    rows = _rows(tmp_path, "select provider_id, output, tokens_in, tokens_out, cost, success, error from results")
    assert len(rows) == 6
    for _pid, output, tin, tout, cost, success, error in rows:
        assert error is None and success == 1
        assert str(output).startswith("answer: Summarize ")
        # the batch rate: half of the configured $2 / $4 per 1M tokens
        assert cost == pytest.approx(tin * 1e-6 + tout * 2e-6)
    # no synchronous chat call was made: only the batch protocol's routes
    assert not [p for _, p, _ in fake_batches.requests if "chat/completions" in p or p == "/v1/messages"]
    batches = _rows(tmp_path, "select api, provider_id, status, n_items from batches order by api")
    assert batches == [
        ("anthropic", "anthropic:messages:claude-haiku-4-5", "collected", 3),
        ("openai", "openai:chat:gpt-4o-mini", "collected", 3),
    ]
    # the Anthropic key went to the server and nowhere into the database
    assert KEY in fake_batches.seen_keys
    dump = "\n".join(sqlite3.connect(tmp_path / "r.db").iterdump())
    assert KEY not in dump


def test_rerun_submits_nothing_and_new_tests_only_the_new_requests(
    fake_batches: FakeBatchServer, tmp_path: Path
) -> None:
    suite = _suite(tmp_path, fake_batches, ["apples", "pears"])
    assert _run("run", "--batch", str(suite), tmp_path=tmp_path).returncode == 0
    assert _creates(fake_batches) == 2
    again = _run("run", "--batch", str(suite), tmp_path=tmp_path)
    assert again.returncode == 0, again.stderr
    assert _creates(fake_batches) == 2  # every request answered by the cache
    suite = _suite(tmp_path, fake_batches, ["apples", "pears", "figs"])
    more = _run("run", "--batch", str(suite), tmp_path=tmp_path)
    assert more.returncode == 0, more.stderr
    assert "batch: 6 requests, 4 already answered, 2 submitted in 2 new batches" in more.stderr
    items = _rows(tmp_path, "select count(*) from batch_items")
    assert items == [(6,)]


def test_partial_failures_are_error_rows_with_the_providers_reason(
    fake_batches: FakeBatchServer, tmp_path: Path
) -> None:
    suite = _suite(tmp_path, fake_batches, ["apples", "FAIL here"])
    r = _run("run", "--batch", str(suite), tmp_path=tmp_path)
    assert r.returncode == 100  # below the 100 % threshold: two error rows
    errors = _rows(tmp_path, "select provider_id, error from results where error is not null order by provider_id")
    assert errors == [
        ("anthropic:messages:claude-haiku-4-5", "batch item errored: planted failure"),
        ("openai:chat:gpt-4o-mini", "batch item failed (HTTP 500): planted failure"),
    ]
    assert _rows(tmp_path, "select count(*) from results where error is null and success = 1") == [(2,)]


def test_expired_batches_answer_what_they_finished(fake_batches: FakeBatchServer, tmp_path: Path) -> None:
    fake_batches.expire, fake_batches.expire_after = True, 1
    suite = _suite(tmp_path, fake_batches, ["apples", "pears", "plums"])
    r = _run("run", "--batch", str(suite), tmp_path=tmp_path)
    assert r.returncode == 100
    errors = sorted(str(e) for (e,) in _rows(tmp_path, "select error from results where error is not null"))
    assert errors == ["batch item expired"] * 2 + ["no answer: the batch ended expired"] * 2
    assert _rows(tmp_path, "select count(*) from results where error is null") == [(2,)]


def test_a_restart_collects_stored_batches_without_resubmitting(fake_batches: FakeBatchServer, tmp_path: Path) -> None:
    fake_batches.polls_before_done = 10**6  # never finishes while we wait
    suite = _suite(tmp_path, fake_batches, ["apples", "pears"], wait_seconds=0.2)
    first = _run("run", "--batch", str(suite), tmp_path=tmp_path)
    assert first.returncode == 75, first.stderr
    assert "still running" in first.stderr and "workbench batch collect" in first.stderr
    assert _rows(tmp_path, "select count(*) from results") == [(0,)]  # nothing graded yet
    status = _run("batch", "status", tmp_path=tmp_path)
    assert status.returncode == 0 and status.stdout.count("in_progress") == 2, status.stdout
    fake_batches.polls_before_done = 0
    collected = _run("batch", "collect", "--poll", "0.05", tmp_path=tmp_path)
    assert collected.returncode == 0, collected.stderr
    assert "Every batch is collected" in collected.stdout
    graded = _run("run", "--batch", str(suite), tmp_path=tmp_path)
    assert graded.returncode == 0, graded.stderr
    assert _creates(fake_batches) == 2  # the two batches of the first run, never submitted again
    assert _rows(tmp_path, "select count(*) from results where success = 1") == [(4,)]


def test_map_batch_rates_are_used_when_litellm_lists_them(fake_batches: FakeBatchServer, tmp_path: Path) -> None:
    found = lookup("openai/gpt-4o-mini")
    assert found is not None and "input_cost_per_token_batches" in found[1]
    suite = yaml.safe_load(_suite(tmp_path, fake_batches, ["apples"]).read_text())
    suite["providers"] = [
        {"id": "openai:chat:gpt-4o-mini", "config": {"apiBaseUrl": fake_batches.openai_base, "price_as": "gpt-4o-mini"}}
    ]
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite))
    r = _run("run", "--batch", str(tmp_path / "suite.yaml"), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    ((tin, tout, cost),) = _rows(tmp_path, "select tokens_in, tokens_out, cost from results")
    entry = found[1]
    assert cost == pytest.approx(
        tin * entry["input_cost_per_token_batches"] + tout * entry["output_cost_per_token_batches"]
    )
    assert cost < tin * entry["input_cost_per_token"] + tout * entry["output_cost_per_token"]


def test_batch_creation_refused_is_one_line_and_no_results(fake_batches: FakeBatchServer, tmp_path: Path) -> None:
    fake_batches.fail_create = True
    r = _run("run", "--batch", str(_suite(tmp_path, fake_batches, ["apples"])), tmp_path=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].startswith("Error: create batch: HTTP 400")
    assert _rows(tmp_path, "select count(*) from results") == [(0,)]


def test_dry_run_prices_the_batch_beside_the_sync_run(fake_batches: FakeBatchServer, tmp_path: Path) -> None:
    suite = _suite(tmp_path, fake_batches, ["apples", "pears"])
    r = _run("run", "--dry-run", str(suite), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("As a batch"))
    batch, now = (float(v.split()[0].lstrip("$")) for v in line.split(": ", 1)[1].split(" instead of "))
    assert batch == pytest.approx(now / 2, rel=0.02)  # configured $2/$4 per 1M -> $1/$2 as a batch
    assert not fake_batches.requests  # a dry run calls nothing


def test_retry_errors_resubmits_only_the_failed_items(fake_batches: FakeBatchServer, tmp_path: Path) -> None:
    suite = _suite(tmp_path, fake_batches, ["apples", "FAIL here"])
    assert _run("run", "--batch", str(suite), tmp_path=tmp_path).returncode == 100
    fake_batches.fail_marker = "never in a ticket"  # the provider recovers
    retry = _run("run", "--batch", "--retry-errors", "1", tmp_path=tmp_path)
    assert retry.returncode == 0, retry.stderr
    assert "batch: 4 requests, 2 already answered, 2 submitted in 2 new batches" in retry.stderr
    assert _rows(tmp_path, "select count(*), sum(success) from results where run_id = 1") == [(4, 4)]
    assert _rows(tmp_path, "select count(*) from runs") == [(1,)]
