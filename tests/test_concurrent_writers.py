"""Concurrent writers: four processes on one SQLite file, new or existing, lose nothing and fail never."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from reliability_helpers import WB, integrity, query, wb_env

N_PROC = 4
N_TESTS = 400


def _open(path: str, barrier: Any, out: Any) -> None:
    try:
        from workbench.store.db import open_db

        barrier.wait()
        db = open_db(path)
        db.execute("select count(*) from runs").fetchone()
        out.put("ok")
    except BaseException as e:  # report anything, the parent asserts
        out.put(f"{type(e).__name__}: {e}")


@pytest.mark.slow
def test_four_processes_create_and_migrate_a_new_database_at_once(tmp_path: Path) -> None:
    # spawn, not fork: forking a test process that runs server and asyncio threads can deadlock.
    ctx = mp.get_context("spawn")
    for trial in range(3):
        path = tmp_path / f"new{trial}.db"
        barrier = ctx.Barrier(N_PROC)
        out = ctx.Queue()
        procs = [ctx.Process(target=_open, args=(str(path), barrier, out)) for _ in range(N_PROC)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [out.get(timeout=60) for _ in procs] == ["ok"] * N_PROC
        applied = query(path, "select name from _sqlite_migrations order by id")
        assert len(applied) == len({a for (a,) in applied})  # each migration applied once
        assert query(path, "pragma journal_mode") == [("wal",)]


def _suite(path: Path, tag: int) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "description": f"writer {tag}",
                "prompts": [f"writer {tag} says {{{{n}}}}"],
                "providers": ["echo"],
                "tests": [
                    {"vars": {"n": i}, "assert": [{"type": "contains", "value": f"says {i}"}]} for i in range(N_TESTS)
                ],
            }
        )
    )
    return path


@pytest.mark.slow
def test_four_workbench_runs_write_one_new_database_at_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    env = wb_env(db)
    procs = [
        subprocess.Popen(
            [*WB, str(_suite(tmp_path / f"s{i}.yaml", i)), "--db", str(db), "-q", "--no-progress"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(N_PROC)
    ]
    outcomes = [(p.wait(300), p.stderr.read() if p.stderr else "") for p in procs]
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert outcomes == [(0, "")] * N_PROC
    assert integrity(db) == "ok"
    assert query(db, "select count(*), count(distinct run_id || ':' || cell_key) from results") == [
        (N_PROC * N_TESTS, N_PROC * N_TESTS)
    ]
    runs = query(db, "select status, results, passes, description from runs order by description")
    assert runs == [("completed", N_TESTS, N_TESTS, f"writer {i}") for i in range(N_PROC)]
    # every result belongs to its own run's suite
    wrong = query(
        db,
        "select count(*) from results r join runs u on u.id = r.run_id"
        " where substr(r.prompt, 1, 8) != substr(u.description, 1, 8)",
    )
    assert wrong == [(0,)]
    assert query(db, "select count(*) from assertion_results") == [(N_PROC * N_TESTS,)]


def test_a_busy_database_is_waited_for_not_failed(tmp_path: Path) -> None:
    """A writer holding the lock for a while delays a run's batch; the batch still commits."""
    from workbench.store.db import open_db
    from workbench.store.writer import with_retry

    path = tmp_path / "busy.db"
    open_db(path)
    holder = sqlite3.connect(path, timeout=1, check_same_thread=False)
    holder.execute("begin immediate")
    other = sqlite3.connect(path, timeout=0.05)  # a tiny busy timeout: with_retry must cover it

    def write() -> None:
        with other:
            other.execute("insert into cache (key, provider_id, created_at, hits) values ('k', 'p', 0, 0)")

    import threading

    release = threading.Timer(0.4, holder.rollback)
    release.start()
    with_retry(write)
    release.join()
    assert query(path, "select key from cache") == [("k",)]
