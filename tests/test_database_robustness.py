"""The --db file as hostile input, and a disk that fills up mid-run.

A database from a newer schema, a directory, a file that is not SQLite and a truncated file each
exit 2 with one line and stay byte-identical. A full disk ends the run with one line (exit 1);
a database the run created is removed, an existing one stays intact (integrity ok) and resumable.
The disk fills up two ways: RLIMIT_FSIZE on the child (works everywhere) and a 600 KB tmpfs
(only where this process may mount one; skipped otherwise).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from reliability_helpers import ROOT, WB, integrity, query, wb_env

SMALL = "prompts: ['hi {{n}}']\nproviders: [echo]\ntests: [{vars: {n: 1}}]\n"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("stored")
    (d / "s.yaml").write_text(SMALL)
    proc = subprocess.run(
        [*WB, "s.yaml", "--db", "r.db", "-q"], cwd=d, env=wb_env(d / "r.db"), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    query(d / "r.db", "pragma wal_checkpoint(truncate)")
    return d / "r.db"


def _run(cwd: Path, db: str, *cmd: str) -> subprocess.CompletedProcess[str]:
    (cwd / "s.yaml").write_text(SMALL)
    args = list(cmd) or [*WB, "s.yaml", "-q"]
    return subprocess.run(
        [*args, "--db", db], cwd=cwd, env=wb_env(cwd / db), capture_output=True, text=True, timeout=120
    )


def test_newer_schema_is_refused_and_left_alone(stored: Path, tmp_path: Path) -> None:
    from workbench.store.schema import migrations

    db = tmp_path / "new.db"
    shutil.copy(stored, db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "insert into _sqlite_migrations (migration_set, name, applied_at) values ('workbench', 'm999_x', 'x')"
        )
    conn.close()
    before = db.read_bytes()
    m = len(migrations._migrations)
    for cmd in ([*WB, "s.yaml", "-q"], [sys.executable, "-m", "workbench", "runs"]):
        proc = _run(tmp_path, "new.db", *cmd)
        expected = f"Error: new.db: created by a newer workbench (schema {m + 1} > {m}); upgrade workbench or use another --db\n"
        assert (proc.returncode, proc.stderr, proc.stdout) == (2, expected, "")
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    "name,make,message",
    [
        ("directory", lambda p, s: p.mkdir(), "is a directory, not a database file"),
        ("text file", lambda p, s: p.write_text("hello, not a database\n" * 10), "not a SQLite database"),
        ("truncated", lambda p, s: p.write_bytes(s.read_bytes()[:5000]), "truncated (5,000 of"),
    ],
)
def test_unusable_database_exits_2_with_one_line(
    stored: Path, tmp_path: Path, name: str, make: object, message: str
) -> None:
    db = tmp_path / "x.db"
    make(db, stored)  # type: ignore[operator]
    (tmp_path / "s.yaml").write_text(SMALL)
    (tmp_path / "wb-home").mkdir(exist_ok=True)
    before = sorted(os.listdir(tmp_path))
    snapshot = db.read_bytes() if db.is_file() else None
    proc = _run(tmp_path, "x.db")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("Error: x.db: ") and message in proc.stderr and proc.stderr.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == before  # no -wal, -shm or .lock beside it
    if snapshot is not None:
        assert db.read_bytes() == snapshot


def _big_suite(d: Path) -> Path:
    tests = [{"vars": {"n": i, "doc": "x" * 4000}} for i in range(400)]  # ~1.6 MB of stored prompts
    (d / "big.yaml").write_text(yaml.safe_dump({"prompts": ["{{doc}} {{n}}"], "providers": ["echo"], "tests": tests}))
    return d / "big.yaml"


def _big_results_suite(d: Path) -> Path:
    """Small tests (the run is stored) whose 400 results hold ~3 MB of prompts and outputs: the
    disk fills during the run. Written as big.yaml, over the other one."""
    tests = [{"vars": {"n": i}} for i in range(400)]
    prompt = "x" * 4000 + " {{n}}"
    (d / "big.yaml").write_text(yaml.safe_dump({"prompts": [prompt], "providers": ["echo"], "tests": tests}))
    return d / "big.yaml"


def _run_limited(cwd: Path, db: Path, fsize: int | None) -> subprocess.CompletedProcess[str]:
    """`workbench run big.yaml` with the file size limit set in the child before exec."""
    argv = [sys.executable, "-m", "workbench", "run", "big.yaml", "--db", str(db), "--no-progress", "-q"]
    code = "import os, resource, sys\n"
    if fsize is not None:
        code += f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize}))\n"
    code += f"os.execv(sys.executable, {argv!r})\n"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=wb_env(db), capture_output=True, text=True, timeout=180
    )


def _check_full(proc: subprocess.CompletedProcess[str], db: Path, created: bool, run_stored: bool = False) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {db}: disk full ("), proc.stderr
    assert "Traceback" not in proc.stderr and "Internal error" not in proc.stderr
    if created:
        assert lines[0].endswith("removed the database this run created")
        assert not [p for p in db.parent.iterdir() if p.name.startswith(db.name)]
    elif run_stored:  # the disk filled during the run: it is stored, with every committed batch
        assert lines[0].endswith("the run is incomplete, resume it with --resume")
        assert integrity(db) == "ok"
        assert query(db, "select id, status from runs where id = 1") == [(1, "completed")]
        assert query(db, "select count(*) from runs where id = 2 and status in ('failed', 'interrupted')") == [(1,)]
    else:
        # _big_suite's 1.6 MB of tests do not fit: the run's row and its tests are one transaction,
        # so the new run is not stored at all (never a run row without its tests)
        assert lines[0].endswith("the run was not stored, free space and run it again")
        assert integrity(db) == "ok"
        assert query(db, "select id, status from runs") == [(1, "completed")]


def test_disk_full_by_file_size_limit(stored: Path, tmp_path: Path) -> None:
    _big_suite(tmp_path)
    new = tmp_path / "new.db"
    _check_full(_run_limited(tmp_path, new, 600_000), new, created=True)  # over the ~400 KB WAL of setting up
    old = tmp_path / "old.db"
    shutil.copy(stored, old)
    _check_full(_run_limited(tmp_path, old, 600_000), old, created=False)


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root here")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mnt)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {res.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_on_a_small_tmpfs(stored: Path, tmp_path: Path, small_tmpfs: Path) -> None:
    _big_suite(tmp_path)
    new = small_tmpfs / "new.db"
    _check_full(_run_limited(tmp_path, new, None), new, created=True)
    old = small_tmpfs / "old.db"
    shutil.copy(stored, old)
    _check_full(_run_limited(tmp_path, old, None), old, created=False)
    # the space is free again: the same run, started again on a roomier disk, completes
    roomy = tmp_path / "roomy.db"
    shutil.copy(old, roomy)
    proc = subprocess.run(
        [*WB, "big.yaml", "--db", str(roomy), "--no-progress", "-q"],
        cwd=tmp_path,
        env=wb_env(roomy),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert query(roomy, "select status, results from runs where id = 2") == [("completed", 400)]
    # results that do not fit: the run is stored, then resumes to completion on a roomier disk
    _big_results_suite(tmp_path)
    old = small_tmpfs / "old2.db"
    shutil.copy(stored, old)
    (small_tmpfs / "old.db").unlink()
    _check_full(_run_limited(tmp_path, old, None), old, created=False, run_stored=True)
    roomy = tmp_path / "roomy2.db"
    for part in ("", "-wal"):  # the committed batches may still be in the write-ahead log
        if Path(f"{old}{part}").exists():
            shutil.copy(f"{old}{part}", f"{roomy}{part}")
    proc = subprocess.run(
        [*WB, "big.yaml", "--db", str(roomy), "--resume", "--no-progress", "-q"],
        cwd=tmp_path,
        env=wb_env(roomy),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert query(roomy, "select status, results from runs where id = 2") == [("completed", 400)]


assert ROOT.is_dir()
