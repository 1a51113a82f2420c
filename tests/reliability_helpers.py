"""Helpers for the reliability tests: run the real CLI in a subprocess, write suites, read results."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WB = [sys.executable, "-m", "workbench", "run"]
API_KEY = "sk-test-reliability-0000"


def wb_env(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        {
            "WORKBENCH_DB": str(db),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


# A test process started from a shell job may have SIGINT ignored, which its children would
# inherit; the Ctrl-C test needs Python's handler in the child. Restore it here, at import (in the
# main thread), rather than in a preexec_fn: Python code between fork and exec can deadlock (a
# garbage-collected V8 context closing in the child).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*WB, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`workbench run ARGS` to its end."""
    return workbench(["run", *args], cwd, env, timeout)


def workbench(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`workbench ARGS` (any command) to its end."""
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def count_results(db: Path) -> int:
    """Rows committed so far (a fresh read-only connection; 0 while the database does not exist)."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return int(conn.execute("select count(*) from results").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.OperationalError:  # not migrated yet
        return 0


def wait_for(db: Path, at_least: int, proc: subprocess.Popen[str], timeout: float = 120) -> int:
    """Poll until `at_least` results are committed; fails if the process ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = count_results(db)
        if n >= at_least:
            return n
        if proc.poll() is not None:
            _out, err = proc.communicate()
            raise AssertionError(f"run ended (exit {proc.returncode}) before {at_least} results:\n{err}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"timed out waiting for {at_least} results")


def wait_for_run_row(db: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
                try:
                    if conn.execute("select count(*) from runs").fetchone()[0]:
                        return
                finally:
                    conn.close()
            except sqlite3.OperationalError:
                pass
        if proc.poll() is not None:
            raise AssertionError(f"run ended (exit {proc.returncode}) before creating its run row")
        time.sleep(0.02)
    raise AssertionError("timed out waiting for the run row")


def results_of(db: Path, run_id: int) -> dict[str, tuple[Any, ...]]:
    """cell_key -> (output, success, score, error) for one run."""
    conn = sqlite3.connect(db)
    try:
        return {
            r[0]: tuple(r[1:])
            for r in conn.execute(
                "select cell_key, output, success, score, error from results where run_id = ?", [run_id]
            )
        }
    finally:
        conn.close()


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql, params or []))
    finally:
        conn.close()


def integrity(db: Path) -> str:
    return str(query(db, "pragma integrity_check")[0][0])


def loopback_suite(
    path: Path,
    base_url: str,
    n_tests: int,
    *,
    api_key: str = API_KEY,
    extra_provider_config: dict[str, Any] | None = None,
    workbench: dict[str, Any] | None = None,
    prompt: str = "Question {{n}}",
) -> Path:
    """A suite whose one provider is the loopback server; test i asserts the echo contains `Question i`."""
    config: dict[str, Any] = {
        "apiBaseUrl": base_url,
        "apiKey": api_key,
        "retry_base_delay": 0.01,
        **(extra_provider_config or {}),
    }
    suite: dict[str, Any] = {
        "description": "reliability",
        "prompts": [prompt],
        "providers": [{"id": "openai:chat:gpt-4o-mini", "config": config}],
        "tests": [
            {"vars": {"n": i}, "assert": [{"type": "contains", "value": f"Question {i}"}]} for i in range(n_tests)
        ],
    }
    if workbench:
        suite["workbench"] = workbench
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def dead_pid() -> int:
    """A pid that names no process now (a child that ran and was reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
