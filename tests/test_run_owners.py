"""A run killed with `kill -9` reads as `interrupted`, not `running` forever (store/run_owners.py).

A real `workbench run` against a slow loopback server is killed with SIGKILL mid-run: every reader
(`workbench runs`, its JSON, one run's summary, a reader that had the database open before the
kill, as the UI does) then shows it `interrupted` with the totals of its committed results, and
`--resume` completes it. A run whose owner is alive, or on another machine, stays `running`.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAI
from reliability_helpers import count_results, dead_pid, loopback_suite, query, run, start, wait_for, wb_env, workbench
from sqlite_utils import Database

from workbench.analysis.trend import list_run_summaries
from workbench.store import run_owners
from workbench.store.db import open_db
from workbench.store.orphaned_runs import close_orphaned_runs

N_TESTS = 40


def _slow_run(server: FakeOpenAI, tmp_path: Path) -> tuple[Path, dict[str, str], list[str], subprocess.Popen[str]]:
    """A `workbench run` of N_TESTS slow calls, started: (db, env, its args, the process)."""
    suite = loopback_suite(tmp_path / "suite.yaml", server.base_url, N_TESTS)
    db = tmp_path / "kill.db"
    env = wb_env(db)
    args = [str(suite), "--db", str(db), "-q", "--no-progress", "-j", "2"]
    return db, env, args, start(args, tmp_path, env)


def test_a_run_killed_with_sigkill_reads_interrupted_everywhere_and_resumes(
    slow_server: FakeOpenAI, tmp_path: Path
) -> None:
    db, env, args, proc = _slow_run(slow_server, tmp_path)
    wait_for(db, 4, proc)
    reader = open_db(db, create=False)  # open before the kill, as the UI's connection is
    assert [r.status for r in list_run_summaries(reader)] == ["running"]  # its owner is alive
    proc.kill()
    proc.wait()
    kept = count_results(db)
    assert 4 <= kept < N_TESTS
    assert query(db, "select status from runs") == [("running",)]  # kill -9 cannot mark it itself

    # the long-lived reader's next listing closes it
    summaries = list_run_summaries(reader)
    assert [(r.status, r.results) for r in summaries] == [("interrupted", kept)]
    reader.conn.close()
    status, results, finished = query(db, "select status, results, finished_at from runs where id = 1")[0]
    assert (status, results) == ("interrupted", kept) and finished  # the totals a Ctrl-C would leave

    listed = workbench(["runs", "--db", str(db)], tmp_path, env)
    assert listed.returncode == 0, listed.stderr
    assert "interrupted" in listed.stdout and "running" not in listed.stdout
    as_json = workbench(["runs", "--db", str(db), "--json"], tmp_path, env)
    assert [r["status"] for r in json.loads(as_json.stdout)] == ["interrupted"]
    one = workbench(["runs", "1", "--db", str(db)], tmp_path, env)
    assert f"Run 1 (interrupted): {kept} results" in one.stdout, one.stdout

    done = run([*args, "--resume"], tmp_path, env)  # the latest unfinished run of this suite
    assert done.returncode == 0, done.stderr
    assert query(db, "select id, status, results from runs") == [(1, "completed", N_TESTS)]


def test_the_next_workbench_runs_closes_a_killed_run(slow_server: FakeOpenAI, tmp_path: Path) -> None:
    """No reader open at the kill: the next `workbench runs` closes it."""
    db, env, _args, proc = _slow_run(slow_server, tmp_path)
    wait_for(db, 2, proc)
    proc.kill()
    proc.wait()
    listed = workbench(["runs", "--db", str(db), "--json"], tmp_path, env)
    assert listed.returncode == 0, listed.stderr
    assert [r["status"] for r in json.loads(listed.stdout)] == ["interrupted"]


def _owner(**changes: object) -> str:
    return json.dumps({**json.loads(run_owners.current_owner()), **changes})


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="pid start times come from /proc")
def test_owner_gone_only_when_certain() -> None:
    me = run_owners.current_owner()
    assert not run_owners.owner_gone(me)  # alive
    assert run_owners.owner_gone(_owner(pid=dead_pid()))  # no such process
    assert run_owners.owner_gone(_owner(start="1"))  # this pid, but started at another time: reused
    assert run_owners.owner_gone(_owner(boot="another-boot"))  # the machine rebooted since
    # unknown: left running
    assert not run_owners.owner_gone(_owner(host=socket.gethostname() + "-elsewhere", pid=dead_pid()))
    assert not run_owners.owner_gone(_owner(machine="another-machine-id", pid=dead_pid()))
    assert not run_owners.owner_gone(_owner(pidns="pid:[1]", pid=dead_pid()))  # another container
    for unreadable in (None, "", "not json", "[]", '{"host": "x"}'):
        assert not run_owners.owner_gone(unreadable)


@pytest.mark.skipif(not Path("/etc/machine-id").exists(), reason="no machine id here")
def test_owner_never_holds_the_raw_machine_id() -> None:
    machine_id = Path("/etc/machine-id").read_text().strip()
    owner = json.loads(run_owners.current_owner())
    assert machine_id and machine_id not in run_owners.current_owner()
    assert len(owner["machine"]) == 32 and owner["machine"] != machine_id


def test_only_runs_whose_owner_is_gone_are_closed(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    gone, elsewhere = _owner(pid=dead_pid()), _owner(host="another-host", pid=dead_pid())
    rows = [
        {"id": 1, "status": "running", "owner": gone, "started_at": "2026-01-01T00:00:00+00:00"},
        {"id": 2, "status": "running", "owner": elsewhere},
        {"id": 3, "status": "running", "owner": run_owners.current_owner()},
        {"id": 4, "status": "running", "owner": None},  # made before owners were recorded
        {"id": 5, "status": "completed", "owner": gone},
    ]
    db.table("runs").insert_all(rows)
    assert close_orphaned_runs(db) == [1]
    assert query(tmp_path / "w.db", "select id, status, results, finished_at from runs order by id") == [
        (1, "interrupted", 0, "2026-01-01T00:00:00+00:00"),  # no results: closed at its start
        (2, "running", None, None),
        (3, "running", None, None),
        (4, "running", None, None),
        (5, "completed", None, None),
    ]
    db.conn.close()


def test_a_read_only_database_is_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    db = open_db(path)
    db.table("runs").insert({"id": 1, "status": "running", "owner": _owner(pid=dead_pid())})
    db.conn.close()
    if os.geteuid() == 0:  # root writes through file modes: a read-only connection instead
        ro = Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
        assert close_orphaned_runs(ro) == []
        ro.conn.close()
    else:
        path.chmod(0o444)
        tmp_path.chmod(0o555)
        try:
            assert [r.status for r in list_run_summaries(open_db(path, create=False))] == ["running"]
        finally:
            tmp_path.chmod(0o755)
    assert query(path, "select status from runs") == [("running",)]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="pid start times come from /proc")
def test_live_owner_pid_only_when_certainly_alive() -> None:
    assert run_owners.live_owner_pid(run_owners.current_owner()) == os.getpid()
    for not_live in (
        _owner(pid=dead_pid()),  # gone
        _owner(start="1"),  # this pid, reused
        _owner(boot="another-boot"),
        _owner(host=socket.gethostname() + "-elsewhere"),  # unknown: not refused on a guess
        _owner(pidns="pid:[1]"),
        None,
        "",
        "not json",
        "[]",
        '{"pid": "x"}',
    ):
        assert run_owners.live_owner_pid(not_live) is None, not_live


def test_a_run_whose_owner_is_alive_is_not_resumed_retried_or_merged(slow_server: FakeOpenAI, tmp_path: Path) -> None:
    """`--resume` (latest or by id, `--force` too), `--retry-errors` and `workbench merge` of a run a
    live process is running are refused (exit 2, one line naming the run and the pid) before anything
    is written; once the owner is gone, `--resume` completes the run with each cell stored once."""
    n = 400  # one call at a time, 80 ms each: the owner runs for ~30 s, longer than the checks below
    suite = loopback_suite(tmp_path / "suite.yaml", slow_server.base_url, n)
    db = tmp_path / "live.db"
    env = wb_env(db)
    args = [str(suite), "--db", str(db), "-q", "--no-progress"]
    proc = start([*args, "-j", "1"], tmp_path, env)
    try:
        wait_for(db, 3, proc)
        refused = [
            [*args, "--resume"],
            [*args, "--resume", "1"],
            [*args, "--resume", "1", "--force"],
            [*args, "--retry-errors", "1"],
            ["--retry-errors", "1", "--db", str(db), "-q"],
        ]
        for argv in refused:
            out = run(argv, tmp_path, env)
            lines = out.stderr.strip().splitlines()
            assert out.returncode == 2, (argv, out.stderr)
            assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
            assert f"run 1: still running in process {proc.pid}" in lines[0], lines[0]
            assert "Retrying" not in out.stderr
        merged = workbench(["merge", str(tmp_path / "merged.db"), str(db)], tmp_path, env)
        assert merged.returncode == 2, merged.stderr
        assert f"run 1 is still running in process {proc.pid}" in merged.stderr.strip(), merged.stderr
        assert len(merged.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "merged.db").exists()  # nothing written
        assert proc.poll() is None  # the owner ran on, alone
        assert query(db, "select id, status from runs") == [(1, "running")]
    finally:
        proc.kill()
        proc.wait()
    assert count_results(db) < n
    done = run([*args, "-j", "16", "--resume", "1"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert query(db, "select id, status, results from runs") == [(1, "completed", n)]
    assert query(db, "select count(*), count(distinct cell_key) from results") == [(n, n)]
