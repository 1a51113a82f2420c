"""Multi-statement writes are all or nothing (issue 17): `store.transaction.transaction` and the
store's write sites that use it. Each site test plants a failure in the middle of a block (a
SQLite trigger that aborts a statement, an exception or a SIGKILL from a part being imported) on a
real database file and checks that nothing of the block is left. With `with db.conn:` (the old
code) sqlite-utils committed the block's first statements one by one, and they stayed.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlite_utils import Database

from workbench.store.batches import record_batch
from workbench.store.db import open_db
from workbench.store.error_cells import clear_error_cells
from workbench.store.run_import import RunPart, import_run, run_header, stored_part
from workbench.store.transaction import transaction


def _q(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read through a fresh connection: only what was committed."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _table_db(tmp_path: Path) -> tuple[Path, Database]:
    path = tmp_path / "t.db"
    db = open_db(path)
    db.execute("create table t (x integer)")
    return path, db


# -- the helper ------------------------------------------------------------------------------------


def test_a_block_of_sqlite_utils_writes_is_rolled_back_on_an_exception(tmp_path: Path) -> None:
    path, db = _table_db(tmp_path)
    with pytest.raises(RuntimeError), transaction(db):
        db.table("t").insert({"x": 1})  # sqlite-utils: committed at once outside a transaction
        db.execute("insert into t values (2)")
        db.conn.execute("insert into t values (3)")
        raise RuntimeError("planted")
    assert _q(path, "select count(*) from t") == [(0,)]
    assert not db.conn.in_transaction
    with transaction(db):
        db.table("t").insert({"x": 4})
        db.execute("insert into t values (5)")
    assert _q(path, "select x from t order by x") == [(4,), (5,)]


def test_with_conn_was_not_a_transaction_for_sqlite_utils_writes(tmp_path: Path) -> None:
    """The defect the helper replaces, kept as a check of the premise (sqlite-utils 4.2, Python's
    default transaction control): `with db.conn:` leaves sqlite-utils' first write committed."""
    path, db = _table_db(tmp_path)
    with pytest.raises(RuntimeError), db.conn:
        db.table("t").insert({"x": 1})
        raise RuntimeError("planted")
    assert _q(path, "select count(*) from t") == [(1,)]


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit], ids=["ctrl-c", "exit"])
def test_a_keyboard_interrupt_or_exit_rolls_back(tmp_path: Path, exc: type[BaseException]) -> None:
    path, db = _table_db(tmp_path)
    with pytest.raises(exc), transaction(db):
        db.table("t").insert({"x": 1})
        raise exc()
    assert _q(path, "select count(*) from t") == [(0,)]
    assert not db.conn.in_transaction


def test_nested_blocks_are_savepoints(tmp_path: Path) -> None:
    """An inner block that fails is undone alone; nothing is visible to others before the outer commit."""
    path, db = _table_db(tmp_path)
    with transaction(db):
        db.table("t").insert({"x": 1})
        with pytest.raises(ValueError), transaction(db):
            db.table("t").insert({"x": 2})
            raise ValueError("inner")
        with transaction(db):
            db.table("t").insert({"x": 3})
        assert _q(path, "select count(*) from t") == [(0,)]  # not committed yet
    assert _q(path, "select x from t order by x") == [(1,), (3,)]
    with pytest.raises(ValueError), transaction(db):
        with transaction(db):
            db.table("t").insert({"x": 4})
        raise ValueError("outer")
    assert _q(path, "select x from t order by x") == [(1,), (3,)]


def test_inside_sqlite_utils_atomic_the_block_joins_it(tmp_path: Path) -> None:
    path, db = _table_db(tmp_path)
    with pytest.raises(ValueError), db.atomic():
        with transaction(db):
            db.table("t").insert({"x": 1})
        raise ValueError("outer")
    assert _q(path, "select count(*) from t") == [(0,)]


def test_the_write_lock_is_taken_at_begin(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: while a block is open another connection cannot start writing."""
    path, db = _table_db(tmp_path)
    other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        with transaction(db), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("begin immediate")
        other.execute("begin immediate")
        other.execute("rollback")
    finally:
        other.close()


# -- the store's write sites ----------------------------------------------------------------------


def _stored_run(tmp_path: Path, name: str = "r.db", n: int = 6) -> Path:
    """A completed run of `n` echo cells, written by the CLI."""
    from workbench.cli.main import cli

    suite = tmp_path / "s.yaml"
    suite.write_text(
        yaml.safe_dump(
            {
                "prompts": ["Say {{n}}"],
                "providers": ["echo"],
                "tests": [{"vars": {"n": i}, "assert": [{"type": "contains", "value": str(i)}]} for i in range(n)],
            }
        )
    )
    db = tmp_path / name
    res = CliRunner().invoke(cli, ["run", str(suite), "--db", str(db), "-q", "--no-progress"], catch_exceptions=False)
    assert res.exit_code == 0, res.stderr
    return db


def _plant_abort(path: Path, table: str, event: str = "insert") -> None:
    """A trigger that makes any `event` on `table` fail (RAISE(ABORT) fails the statement only)."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(f"create trigger planted before {event} on {table} begin select raise(abort, 'planted'); end")
    conn.close()


def test_clearing_error_cells_is_all_or_nothing(tmp_path: Path) -> None:
    """`--retry-errors`: results, their assertion rows and the pair totals go together. Before,
    the error results and assertion rows were deleted (committed) when the pair totals failed."""
    path = _stored_run(tmp_path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("update results set error = 'boom', success = 0 where test_idx in (1, 3)")
    conn.close()
    before = [_q(path, f"select count(*) from {t}") for t in ("results", "assertion_results", "pair_totals")]
    assert before == [[(6,)], [(6,)], [(1,)]]
    _plant_abort(path, "pair_totals", "delete")
    db = open_db(path)
    with pytest.raises(sqlite3.IntegrityError, match="planted"):
        clear_error_cells(db, 1)
    assert [_q(path, f"select count(*) from {t}") for t in ("results", "assertion_results", "pair_totals")] == before
    _q(path, "select 1")  # the database is usable: drop the trigger and clear for real
    db.execute("drop trigger planted")
    assert clear_error_cells(db, 1) == 2
    assert _q(path, "select count(*), count(error) from results") == [(4, 0)]
    assert _q(path, "select count(*) from pair_totals") == [(0,)]


def test_a_batch_is_recorded_with_its_items_or_not_at_all(tmp_path: Path) -> None:
    """The batch row was committed before its items: a failure left a batch with no pending items."""
    path = tmp_path / "b.db"
    db = open_db(path)
    _plant_abort(path, "batch_items")
    with pytest.raises(sqlite3.IntegrityError, match="planted"):
        record_batch(db, "batch_1", "openai", "openai:gpt", "http://127.0.0.1:9/v1", ["a", "b"])
    assert _q(path, "select count(*) from batches") == [(0,)]
    db.execute("drop trigger planted")
    record_batch(db, "batch_1", "openai", "openai:gpt", "http://127.0.0.1:9/v1", ["a", "b"])
    assert _q(path, "select batch_id, n_items from batches") == [("batch_1", 2)]
    assert _q(path, "select custom_id, state from batch_items order by custom_id") == [
        ("a", "pending"),
        ("b", "pending"),
    ]


def _failing_part(part: RunPart, exc: BaseException) -> RunPart:
    def results() -> Iterator[list[tuple[dict[str, Any], list[dict[str, Any]]]]]:
        for batch in part.results:
            yield batch  # one batch is written, then the source fails
            raise exc

    return dataclasses.replace(part, results=results())


@pytest.mark.parametrize("exc", [OSError("source read failed"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_an_import_that_fails_part_way_leaves_no_run(tmp_path: Path, exc: BaseException) -> None:
    """`merge` / JSON import: the run header, matrix, results and totals are one transaction.
    Before, the header (status from the sources, e.g. `completed`), the matrix and the first batch
    of results stayed, with no totals."""
    src_path = _stored_run(tmp_path, "src.db")
    src = open_db(src_path, create=False)
    dst_path = tmp_path / "dst.db"
    dst = open_db(dst_path)
    with pytest.raises(type(exc)):
        import_run(dst, run_header(src, 1), [_failing_part(stored_part(src, 1), exc)])
    for table in ("runs", "run_prompts", "run_providers", "test_cases", "results", "assertion_results"):
        assert _q(dst_path, f"select count(*) from {table}") == [(0,)], table
    out = import_run(dst, run_header(src, 1), [stored_part(src, 1)])
    assert (out.run_id, out.results, out.duplicates) == (1, 6, 0)
    assert _q(dst_path, "select status, results, passes from runs") == [("completed", 6, 6)]


KILLED_IMPORT = """
import os, signal, sys
from workbench.store.db import open_db
from workbench.store.run_import import import_run, run_header, stored_part
src = open_db(sys.argv[1], create=False)
part = stored_part(src, 1)
source = part.results
def results():
    for batch in source:
        yield batch
        os.kill(os.getpid(), signal.SIGKILL)
part.results = results()
import_run(open_db(sys.argv[2]), run_header(src, 1), [part])
"""


def test_an_import_killed_part_way_leaves_no_run(tmp_path: Path) -> None:
    """SIGKILL of the importing process after a batch of results was written: the database holds
    no trace of the run (before: the header, matrix and that batch)."""
    src_path = _stored_run(tmp_path, "src.db")
    dst_path = tmp_path / "dst.db"
    open_db(dst_path).conn.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_IMPORT, str(src_path), str(dst_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -9, proc.stderr
    assert _q(dst_path, "pragma integrity_check") == [("ok",)]
    for table in ("runs", "run_prompts", "test_cases", "results", "assertion_results"):
        assert _q(dst_path, f"select count(*) from {table}") == [(0,)], table


def test_finishing_a_run_is_all_or_nothing(tmp_path: Path) -> None:
    """The run's totals, status and pair tables are one transaction: a failure while the pair
    outcomes are written leaves the run as it was (status, no totals, no pair totals)."""
    from workbench.store.writer import RunWriter

    path = _stored_run(tmp_path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("update runs set status = 'running', results = null, finished_at = null")
        conn.execute("delete from pair_totals")
        conn.execute("delete from pair_outcomes")
    conn.close()
    _plant_abort(path, "pair_outcomes")
    db = open_db(path)
    with pytest.raises(sqlite3.IntegrityError, match="planted"):
        RunWriter(db, 1).finish("completed")
    assert _q(path, "select status, results, finished_at from runs") == [("running", None, None)]
    assert _q(path, "select count(*) from pair_totals") == [(0,)]
    db.execute("drop trigger planted")
    totals = RunWriter(db, 1).finish("completed")
    assert totals.results == 6
    assert _q(path, "select status, results from runs") == [("completed", 6)]
    assert _q(path, "select count(*) from pair_totals") == [(1,)]


def test_comparing_runs_leaves_no_transaction_open(tmp_path: Path) -> None:
    """`compare_runs` on runs with repeats fills a temp table; a raw executemany there opened an
    implicit transaction that nothing committed: the connection stayed on its old snapshot (a
    long-lived reader such as the UI no longer saw new runs) and a later `transaction()` on it
    became a savepoint that never committed."""
    from workbench.analysis.comparison import compare_runs
    from workbench.cli.main import cli

    suite = tmp_path / "s.yaml"
    suite.write_text(
        yaml.safe_dump(
            {
                "prompts": ["Say {{n}}"],
                "providers": ["echo"],
                "tests": [{"vars": {"n": i}, "assert": [{"type": "contains", "value": "1"}]} for i in range(3)],
            }
        )
    )
    path = tmp_path / "r.db"
    for _ in range(2):
        res = CliRunner().invoke(cli, ["run", str(suite), "--db", str(path), "-q", "--no-progress", "--repeat", "2"])
        assert res.exit_code in (0, 100), res.stderr
    db = open_db(path)
    comparison = compare_runs(db, 1, 2)
    assert (comparison.matched, comparison.regressed) == (3, 0)
    assert not db.conn.in_transaction
    other = sqlite3.connect(path)
    with other:
        other.execute("update runs set label = 'seen' where id = 1")
    other.close()
    assert db.execute("select label from runs where id = 1").fetchone() == ("seen",)
