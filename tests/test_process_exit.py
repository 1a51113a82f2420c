"""The CLI ends without the interpreter's teardown, and loses nothing by it.

`workbench.cli.process_exit` calls `os._exit` from the last exit hook once the command is done
(Python's teardown cost ~50-100 ms of CPU after a run). These tests pin what must still hold:
the exit code, every byte of stdout through a pipe, other exit hooks, and a database file that
holds every result on its own (the WAL checkpointed: `store/db.py` closes its connections at exit).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HOOKS = """
import atexit, sys
from workbench.cli import process_exit

class Noisy:
    def __del__(self):
        print("teardown ran", flush=True)

keep = Noisy()  # a module global: only the interpreter's teardown frees it
atexit.register(lambda: print("later hook ran", flush=True))
print("x" * 200_000)  # buffered output must reach the pipe
if sys.argv[1] != "none":
    process_exit.arm(int(sys.argv[1]))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _hooks(arg: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", HOOKS, arg], env=_env(), capture_output=True, text=True, timeout=60)


def test_armed_exit_keeps_code_output_and_hooks_and_skips_teardown() -> None:
    done = _hooks("7")
    assert done.returncode == 7
    lines = done.stdout.splitlines()
    assert lines[0] == "x" * 200_000
    assert "later hook ran" in lines
    assert "teardown ran" not in lines  # the interpreter's teardown was skipped


def test_unarmed_process_ends_as_python_does() -> None:
    done = _hooks("none")
    assert done.returncode == 0
    assert "later hook ran" in done.stdout.splitlines()
    assert "teardown ran" in done.stdout.splitlines()


def test_cli_run_exit_code_summary_and_database_file_alone(tmp_path: Path) -> None:
    tests = "\n".join(
        f"  - vars: {{q: 'item {i}'}}\n    assert: [{{type: contains, value: 'item'}}]" for i in range(40)
    )
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "prompts: ['Say {{q}}']\nproviders: [echo]\ntests:\n"
        + tests
        + "\n  - vars: {q: 'last'}\n    assert: [{type: contains, value: 'absent'}]\n"
    )
    db = tmp_path / "r.db"
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(db), "--no-progress"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 100, done.stderr  # one failure: below the 100 % threshold
    assert "pass rate" in done.stdout and done.stdout.rstrip().splitlines()[-1].startswith("Estimate:")
    wal = tmp_path / "r.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed into the file
    alone = tmp_path / "copy"
    alone.mkdir()
    shutil.copy(db, alone / "r.db")  # the database file without its companions
    conn = sqlite3.connect(alone / "r.db")
    assert conn.execute("select count(*), sum(success) from results").fetchone() == (41, 40)
    assert conn.execute("select status from runs").fetchall() == [("completed",)]
    # a usage error still exits 2 with its one line
    bad = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(tmp_path / "missing.yaml"), "--db", str(db)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


FREEZE_PROBE = """
import atexit, gc, sys
from workbench.cli import process_exit  # first, as workbench/__main__.py does
suite, db, mode = sys.argv[1:4]
if mode == "program":
    atexit.register(lambda: print("frozen", gc.get_freeze_count(), flush=True))
    sys.argv = ["workbench", "run", suite, "--db", db, "-q", "--no-progress"]
    from workbench.__main__ import run
    run()
else:
    from click.testing import CliRunner
    from workbench.cli.main import cli
    result = CliRunner().invoke(cli, ["run", suite, "--db", db, "-q", "--no-progress"])
    print("exit", result.exit_code, "frozen", gc.get_freeze_count(), flush=True)
"""


def test_collector_is_frozen_in_the_program_only(tmp_path: Path) -> None:
    """The program freezes what its imports made (fewer objects for each full collection); a test
    or library process that invokes the CLI in-process keeps its collector untouched."""
    suite = tmp_path / "s.yaml"
    suite.write_text("prompts: ['Say {{q}}']\nproviders: [echo]\ntests:\n  - vars: {q: hi}\n")

    def probe(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", FREEZE_PROBE, str(suite), str(tmp_path / f"{mode}.db"), mode],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )

    program = probe("program")
    assert program.returncode == 0, program.stderr
    assert int(program.stdout.split()[-1]) > 1000  # the imported modules' objects
    in_process = probe("in-process")
    assert in_process.stdout.split() == ["exit", "0", "frozen", "0"], in_process.stdout + in_process.stderr


def test_a_run_that_loaded_user_python_ends_normally_so_its_buffered_files_are_flushed(tmp_path: Path) -> None:
    """A user's module may keep a buffered file in a global that only the interpreter's teardown
    flushes: a process that loaded user Python code (or a plugin) is not ended early."""
    (tmp_path / "check.py").write_text(
        "LOG = open(__file__ + '.log', 'a')  # kept open, never flushed by the module\n"
        "def get_assert(output, context):\n"
        "    LOG.write('graded ' + output + '\\n')\n"
        "    return True\n"
    )
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "prompts: ['Say {{q}}']\nproviders: [echo]\n"
        "defaultTest:\n  assert: [{type: python, value: 'file://check.py'}]\n"
        "tests:\n  - vars: {q: one}\n  - vars: {q: two}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(tmp_path / "r.db"), "-q", "--no-progress"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert sorted((tmp_path / "check.py.log").read_text().splitlines()) == ["graded Say one", "graded Say two"]
