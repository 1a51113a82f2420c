"""Two resumes (or retries) of one interrupted run started at the same moment: exactly one runs it.

`--resume` and `--retry-errors` check that no live process runs the run (run/resume.py), and then
take it over with an atomic claim (store/run_claim.py: one BEGIN IMMEDIATE transaction that makes
this process the run's owner only while no other live process holds it). Before the claim, two
processes started together both passed the check and both ran every remaining cell.

The race is real: two `python -m workbench run --resume` processes are started back to back on a
planted interrupted run whose provider takes seconds to set up (the litellm transport imports
litellm between the check and the claim), so both pass the check before either claims. Exactly one
completes the run; the other exits 2 with one line naming the run and the winner's pid, having
written nothing, and the loopback server sees each remaining cell called once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAI
from reliability_helpers import (
    count_results,
    dead_pid,
    loopback_suite,
    query,
    run,
    start,
    wait_for,
    wb_env,
    workbench,
)
from sqlite_utils import Database

from workbench.store.db import open_db
from workbench.store.read_snapshot import read_snapshot
from workbench.store.run_claim import claim_run
from workbench.store.run_owners import current_owner, owner_pid

N_TESTS = 60  # 80 ms a call, one at a time: the winner runs ~4 s, long after the loser's claim


def _interrupted_run(
    server: FakeOpenAI, tmp_path: Path, transport: str = "litellm"
) -> tuple[Path, dict[str, str], list[str]]:
    """A real run of the loopback suite stopped with Ctrl-C after a few results: (db, env, args).
    The litellm transport imports litellm while loading the provider (seconds): a resume spends
    them between its check and its claim."""
    suite = loopback_suite(
        tmp_path / "suite.yaml", server.base_url, N_TESTS, extra_provider_config={"transport": transport}
    )
    db = tmp_path / "claim.db"
    env = wb_env(db)
    # no response cache: each call the server counts is a cell the run stores
    args = [str(suite), "--db", str(db), "-q", "--no-progress", "--no-cache", "-j", "1"]
    proc = start(args, tmp_path, env)
    wait_for(db, 3, proc)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert query(db, "select id, status from runs") == [(1, "interrupted")]
    return db, env, args


@pytest.mark.parametrize("flag", ["--resume", "--retry-errors"])
def test_two_resumes_started_together_run_the_run_once(slow_server: FakeOpenAI, tmp_path: Path, flag: str) -> None:
    db, env, args = _interrupted_run(slow_server, tmp_path)
    if flag == "--retry-errors":  # three planted error cells, to be run again once
        with sqlite3.connect(db) as conn:
            conn.execute("update results set error = 'planted outage', success = 0 where test_idx < 3")
    kept = count_results(db)
    errors = 3 if flag == "--retry-errors" else 0
    to_call = N_TESTS - kept + errors
    calls_before = slow_server.count

    procs = [start([*args, flag, "1"], tmp_path, env) for _ in range(2)]
    outs = []
    try:
        for p in procs:
            outs.append(p.communicate(timeout=150))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], [(p.returncode, err) for p, (_, err) in zip(procs, outs, strict=True)]
    winner, loser = (0, 1) if procs[0].returncode == 0 else (1, 0)
    lines = outs[loser][1].strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in outs[loser][1], outs[loser][1]
    assert f"run 1: still running in process {procs[winner].pid}" in lines[0], lines[0]
    assert "Retrying" not in outs[loser][1]  # refused before clearing anything
    if errors:
        assert f"Retrying {errors} error cells of run 1" in outs[winner][1]

    # every remaining cell called once and stored once; the run completed by the winner
    assert slow_server.count - calls_before == to_call
    assert query(db, "select count(*), count(distinct cell_key), sum(error is not null) from results") == [
        (N_TESTS, N_TESTS, 0)
    ]
    status, results, owner = query(db, "select status, results, owner from runs where id = 1")[0]
    assert (status, results) == ("completed", N_TESTS)
    assert owner_pid(owner) == procs[winner].pid  # the claim made the winner the owner


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_resumed_run_stopped_reads_interrupted_and_resumes(
    slow_server: FakeOpenAI, tmp_path: Path, sig: signal.Signals
) -> None:
    """The claim makes the resumer the owner, and stopping it releases the run: SIGTERM (as Ctrl-C)
    finishes it `interrupted` (exit 143); `kill -9` leaves it `running` under an owner that is gone,
    which the next reader closes as `interrupted`. Either way the next `--resume` claims and completes it."""
    db, env, args = _interrupted_run(slow_server, tmp_path, transport="openai-compatible")
    kept = count_results(db)
    proc = start([*args, "--resume", "1"], tmp_path, env)
    wait_for(db, kept + 3, proc)
    owner = query(db, "select owner from runs where id = 1")[0][0]
    assert owner_pid(owner) == proc.pid and query(db, "select status from runs") == [("running",)]
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    if sig == signal.SIGTERM:
        assert proc.returncode == 143, err
        assert query(db, "select status from runs") == [("interrupted",)]  # finished by the resumer itself
    else:
        assert query(db, "select status from runs") == [("running",)]  # kill -9 cannot mark it
    listed = workbench(["runs", "--db", str(db), "--json"], tmp_path, env)
    assert [r["status"] for r in json.loads(listed.stdout)] == ["interrupted"], listed.stderr
    done = run([*args, "-j", "8", "--resume", "1"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert query(db, "select status, results from runs") == [("completed", N_TESTS)]
    assert query(db, "select count(*), count(distinct cell_key) from results") == [(N_TESTS, N_TESTS)]


# -- the claim itself, with two connections --------------------------------------------------------


def _planted(tmp_path: Path, status: str, owner: str | None) -> tuple[Database, Database]:
    path = tmp_path / "c.db"
    a = open_db(path)
    a.table("runs").insert({"id": 1, "status": status, "owner": owner, "started_at": "2026-01-01T00:00:00+00:00"})
    return a, open_db(path, create=False)


def _owner(**changes: object) -> str:
    return json.dumps({**json.loads(current_owner()), **changes})


def _live_process() -> tuple[subprocess.Popen[bytes], str]:
    """Another live process and the owner JSON it would record."""
    proc = subprocess.Popen(["sleep", "60"])
    stat = Path(f"/proc/{proc.pid}/stat").read_text()
    return proc, _owner(pid=proc.pid, start=stat[stat.rfind(")") + 2 :].split()[19])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="pid start times come from /proc")
def test_of_two_claims_at_the_same_moment_exactly_one_wins(tmp_path: Path) -> None:
    """Two connections (as two processes: this one and a live `sleep`) claim one interrupted run
    from two threads released together, both having seen the same stale owner at their check."""
    gone = _owner(pid=dead_pid())
    other, other_owner = _live_process()
    try:
        for _ in range(5):
            got, row = _claims_together(tmp_path, gone, other_owner)
            if got["me"] is None:  # this process won; the other was refused naming it
                assert got["other"] == os.getpid() and row == ("running", current_owner())
            else:
                assert got["me"] == other.pid and got["other"] is None and row == ("running", other_owner)
    finally:
        other.kill()
        other.wait()


def _claims_together(tmp_path: Path, gone: str, other_owner: str) -> tuple[dict[str, int | None], tuple[str, str]]:
    """One round: a planted run claimed from two connections in two threads released at once."""
    a, b = _planted(tmp_path, "interrupted", gone)
    barrier = threading.Barrier(2)
    got: dict[str, int | None] = {}

    def claim(name: str, db: Database, owner: str | None) -> None:
        barrier.wait()
        got[name] = claim_run(db, 1, seen_owner=gone, owner=owner)

    threads = [
        threading.Thread(target=claim, args=("me", a, None)),
        threading.Thread(target=claim, args=("other", b, other_owner)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    row = query(tmp_path / "c.db", "select status, owner from runs")[0]
    a.conn.close()
    b.conn.close()
    for f in tmp_path.glob("c.db*"):
        f.unlink()
    return got, (str(row[0]), str(row[1]))


def test_a_claim_after_another_refuses_and_writes_nothing(tmp_path: Path) -> None:
    gone = _owner(pid=dead_pid())
    a, b = _planted(tmp_path, "interrupted", gone)
    assert claim_run(a, 1, seen_owner=gone) is None  # this process claims it
    assert query(tmp_path / "c.db", "select status, owner from runs") == [("running", current_owner())]
    # another process, which saw the same stale owner at its check: refused, naming this one
    assert claim_run(b, 1, seen_owner=gone, owner=_owner(pid=dead_pid())) == os.getpid()
    assert query(tmp_path / "c.db", "select status, owner from runs") == [("running", current_owner())]
    a.conn.close()
    b.conn.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="pid start times come from /proc")
def test_a_claim_is_refused_while_another_live_process_holds_the_run(tmp_path: Path) -> None:
    live, holder = _live_process()
    try:
        a, b = _planted(tmp_path, "running", holder)
        assert claim_run(b, 1, seen_owner=holder) == live.pid  # seen at the check or not: a live holder keeps it
        assert claim_run(b, 1, seen_owner=None) == live.pid
        assert query(tmp_path / "c.db", "select owner from runs") == [(holder,)]  # nothing written
        live.kill()
        live.wait()
        assert claim_run(b, 1, seen_owner=holder) is None  # its owner is gone (kill -9): taken over
        assert query(tmp_path / "c.db", "select status, owner from runs") == [("running", current_owner())]
        a.conn.close()
        b.conn.close()
    finally:
        if live.poll() is None:
            live.kill()
            live.wait()


def test_a_run_claimed_since_the_check_by_an_unknown_process_is_refused(tmp_path: Path) -> None:
    """A holder whose liveness cannot be told (another PID namespace) that was not the owner seen
    at the check has claimed the run meanwhile: refused. The same owner as at the check (a run made
    in another container, left `running`) is taken over as before the claim existed."""
    elsewhere = _owner(pidns="pid:[1]", pid=4242)
    a, b = _planted(tmp_path, "running", elsewhere)
    assert claim_run(b, 1, seen_owner=_owner(pid=dead_pid())) == 4242
    assert claim_run(b, 1, seen_owner=elsewhere) is None
    a.conn.close()
    b.conn.close()


def test_a_finished_run_is_claimed_whatever_owner_it_had(tmp_path: Path) -> None:
    """A run completed since the check (a resume that won and finished) holds no claim."""
    a, b = _planted(tmp_path, "completed", _owner(pid=4242, pidns="pid:[1]"))
    assert claim_run(b, 1, seen_owner=None) is None
    assert query(tmp_path / "c.db", "select status from runs") == [("running",)]
    a.conn.close()
    b.conn.close()


def test_a_missing_run_is_not_claimed(tmp_path: Path) -> None:
    a, b = _planted(tmp_path, "interrupted", None)
    with pytest.raises(LookupError):
        claim_run(b, 2, seen_owner=None)
    a.conn.close()
    b.conn.close()


def test_a_read_snapshot_does_not_see_a_claim_made_after_it(tmp_path: Path) -> None:
    """`workbench merge` reads a shard's header, owner and results in one snapshot: a resume that
    claims the shard meanwhile is either wholly before it (refused: live) or wholly after it."""
    gone = _owner(pid=dead_pid())
    a, b = _planted(tmp_path, "interrupted", gone)
    with read_snapshot(a):
        assert a.execute("select status from runs").fetchall() == [("interrupted",)]
        assert claim_run(b, 1, seen_owner=gone) is None  # another connection claims it (WAL: not blocked)
        assert a.execute("select status, owner from runs").fetchall() == [("interrupted", gone)]
    assert a.execute("select status from runs").fetchall() == [("running",)]
    a.conn.close()
    b.conn.close()
