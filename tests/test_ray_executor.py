"""`workbench run --executor ray` on a real local Ray cluster (2 CPUs, no dashboard) against a
loopback OpenAI-compatible server: the merged run equals a single-process run cell for cell, a
worker killed mid-run loses nothing and duplicates nothing, and one provider `rpm` holds across
workers (requests per second measured at the server)."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from fake_openai_server import FakeOpenAI

pytest.importorskip("ray")
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _suite(tmp_path: Path, server: FakeOpenAI, n_tests: int, **config: object) -> Path:
    suite = {
        "prompts": ["Reply about {{topic}}", "Say {{topic}} twice"],
        "providers": [
            {
                "id": "openai:chat:gpt-4o-mini",
                "config": {"apiBaseUrl": server.base_url, "transport": "openai-compatible", **config},
            },
            "echo",
        ],
        "tests": [
            {"vars": {"topic": f"topic-{i}"}, "assert": [{"type": "contains", "value": f"topic-{i % 3}"}]}
            for i in range(n_tests)
        ],
    }
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def _run(suite: Path, db: Path, *extra: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_DISABLE_USAGE_STATS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(db), "--pass-rate-threshold", "0", *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=suite.parent,
    )


def _cells(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        (run_id,) = conn.execute("select max(id) from runs").fetchone()
        return conn.execute(
            "select cell_key, output, success, score, tokens_in, tokens_out, error from results"
            " where run_id = ? order by cell_key",
            [run_id],
        ).fetchall()


def test_ray_run_equals_a_single_process_run(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    suite = _suite(tmp_path, fake_openai, 12)
    single = _run(suite, tmp_path / "single.db")
    assert single.returncode == 0, single.stderr
    fake_openai.reset()
    ray = _run(suite, tmp_path / "ray.db", "--executor", "ray", "--workers", "2")
    assert ray.returncode == 0, ray.stderr
    cells = _cells(tmp_path / "ray.db")
    assert len(cells) == 12 * 2 * 2
    assert cells == _cells(tmp_path / "single.db")
    assert len(fake_openai.requests) == 24  # each openai cell called once, across both workers
    with sqlite3.connect(tmp_path / "ray.db") as conn:
        (config,) = conn.execute("select config from runs order by id desc limit 1").fetchone()
    assert '"merged_from"' in config and "shard-1.db" in config and "shard-2.db" in config


def _kill_a_shard_worker(server: FakeOpenAI, after: int, killed: list[int]) -> None:
    deadline = time.monotonic() + 120
    while len(server.requests) < after and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith("ray::run_shard"):
            os.kill(int(pid), signal.SIGKILL)
            killed.append(int(pid))
            return


def test_a_killed_worker_loses_and_duplicates_nothing(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.default = {"delay": 0.05}
    suite = _suite(tmp_path, fake_openai, 30)
    killed: list[int] = []
    killer = threading.Thread(target=_kill_a_shard_worker, args=(fake_openai, 12, killed), daemon=True)
    killer.start()
    ray = _run(suite, tmp_path / "ray.db", "--executor", "ray", "--workers", "2", "-j", "2")
    killer.join(5)
    assert killed, "no Ray worker was running a shard"
    assert ray.returncode == 0, ray.stderr
    cells = _cells(tmp_path / "ray.db")
    assert len(cells) == 30 * 2 * 2 == len({c[0] for c in cells})
    fake_openai.default = {}
    single = _run(suite, tmp_path / "single.db")
    assert single.returncode == 0
    assert cells == _cells(tmp_path / "single.db")


def test_one_rate_limit_holds_across_workers(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    suite = _suite(tmp_path, fake_openai, 10, rpm=300)  # 5 requests/s for the whole cluster
    ray = _run(suite, tmp_path / "ray.db", "--executor", "ray", "--workers", "2", "-j", "8")
    assert ray.returncode == 0, ray.stderr
    times = sorted(r["t"] for r in fake_openai.requests)
    assert len(times) == 20
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # slots are 60/300 = 0.2 s apart across both workers; arrival adds the first connection's jitter
    assert sorted(gaps)[len(gaps) // 2] == pytest.approx(0.2, abs=0.03), gaps
    # the gate spaces the 20 slots over 3.8 s; arrival jitter at a loaded machine shifts the ends (without
    # the gate the two workers would send all 20 within about 1 s)
    assert times[-1] - times[0] >= 19 * 0.2 - 1.0
    # without the shared gate each worker's own 5/s limiter (burst 5) lets ~10 through per second
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 7
