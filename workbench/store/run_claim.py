"""Claim a stored run for this process (`--resume`, `--retry-errors`): one write transaction.

Resuming a run checks first that no live process runs it (run/resume.py), then does seconds of
work (loading providers) before it writes anything. Two resumes of one interrupted run started
together both passed that check, and both ran every remaining cell. The claim closes the gap: in
one `BEGIN IMMEDIATE` transaction (SQLite's write lock, so claims are serialised) it reads the
run's status and owner again, and makes this process the owner (`status = 'running'`,
`owner = current_owner()`, a conditional UPDATE on the status and owner it just read) unless
another process holds the run. Exactly one of two simultaneous claims wins; the other gets the
winner's pid and writes nothing.

A run is held by another process when it is `running` under an owner other than this process
that is either certainly alive (store/run_owners.py), or not the owner the caller saw at its check
and not certainly gone: a process whose liveness this one cannot tell (another PID namespace) that
claimed the run since. The claim is held while the run is `running`: finishing the run (completed,
interrupted, failed; `RunWriter.finish`) releases it, and a `kill -9` leaves an owner that is gone,
so readers close the run as `interrupted` (store/orphaned_runs.py) and the next resume claims it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from workbench.signal_hold import hold_signals
from workbench.store.busy_retry import with_retry
from workbench.store.run_owners import current_owner, live_owner_pid, owner_gone, owner_pid


def holder_pid(status: str | None, owner: str | None, seen_owner: str | None, me: str) -> int | None:
    """The pid of the process that holds a run with this status and owner, against a claimant
    (`me`) that saw `seen_owner` at its check; None when the run is free to claim."""
    if status != "running" or owner == me:
        return None
    pid = live_owner_pid(owner)
    if pid is None and owner != seen_owner and not owner_gone(owner):
        pid = owner_pid(owner)  # claimed since the check by a process this one cannot look up
    return pid


def claim_run(
    db: Database,
    run_id: int,
    *,
    seen_owner: str | None,
    claimed: Callable[[], None] | None = None,
    owner: str | None = None,
) -> int | None:
    """Make this process the owner of run `run_id` and mark it `running`, atomically; None when
    claimed, else the pid of the process that holds it (nothing written). `seen_owner`: the owner
    the caller read at its check. `claimed()` is called as the claim commits, with SIGINT/SIGTERM
    held until it returns (as `RunWriter.create`'s `created`), so a caller that keeps the run there
    always knows it has a run to finish. `owner`: the claimant, this process unless given (tests
    claim for two processes from one). LookupError when there is no such run."""
    me = owner or current_owner()

    def attempt() -> int | None:
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")  # the write lock first: the read below is the one that counts
        try:
            row = conn.execute("select status, owner from runs where id = ?", [run_id]).fetchone()
            if row is None:
                raise LookupError(f"run {run_id}: no such run")
            status, held_by = row
            holder = holder_pid(status, held_by, seen_owner, me)
            if holder is None:
                cur = conn.execute(
                    "update runs set owner = ?, status = 'running' where id = ? and status is ? and owner is ?",
                    [me, run_id, status, held_by],
                )
                if cur.rowcount != 1:  # cannot happen under the write lock; never claim on a guess
                    raise RuntimeError(f"run {run_id}: changed while its claim held the write lock")
        except BaseException:
            conn.rollback()
            raise
        if holder is not None:
            conn.rollback()
            return holder
        with hold_signals():
            try:
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            if claimed is not None:
                claimed()
        return None

    result: int | None = with_retry(attempt)
    return result
