"""Crash safety and resume through the real CLI: kill -9 at several points, Ctrl-C, `--resume`.

A loopback OpenAI-compatible server answers every call after a delay, so the kills land mid-run.
After each kill the database must pass `PRAGMA integrity_check` and keep every committed row;
`--resume` must complete only the missing cells, and the finished run must equal an uninterrupted one.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fake_openai_server import FakeOpenAI
from reliability_helpers import (
    count_results,
    integrity,
    loopback_suite,
    query,
    results_of,
    run,
    start,
    wait_for,
    wait_for_run_row,
    wb_env,
)

N_TESTS = 48


@pytest.fixture(scope="module")
def baseline(slow_server: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[object, ...]]:
    """The uninterrupted run's results: cell_key -> (output, success, score, error)."""
    d = tmp_path_factory.mktemp("baseline")
    suite = loopback_suite(d / "suite.yaml", slow_server.base_url, N_TESTS)
    db = d / "base.db"
    proc = run([str(suite), "--db", str(db), "-q", "--no-progress", "-j", "4"], d, wb_env(db))
    assert proc.returncode == 0, proc.stderr
    rows = results_of(db, 1)
    assert len(rows) == N_TESTS
    return rows


@pytest.mark.slow
def test_kill_9_at_several_points_then_resume_equals_uninterrupted(
    slow_server: FakeOpenAI, baseline: dict[str, tuple[object, ...]], tmp_path: Path
) -> None:
    suite = loopback_suite(tmp_path / "suite.yaml", slow_server.base_url, N_TESTS)
    db = tmp_path / "crash.db"
    env = wb_env(db)
    args = [str(suite), "--db", str(db), "-q", "--no-progress", "-j", "2"]

    # 1: killed right after the run row is written (before or around the first batch).
    proc = start(args, tmp_path, env)
    wait_for_run_row(db, proc)
    proc.kill()
    proc.wait()
    assert integrity(db) == "ok"
    kept = [count_results(db)]
    assert query(db, "select id, status from runs") == [(1, "running")]  # kill -9 cannot mark it

    # 2 and 3: resume (no id: the latest unfinished run of this suite), killed mid-run each time.
    for target in (12, 30):
        proc = start([*args, "--resume"], tmp_path, env)
        seen = wait_for(db, target, proc)
        proc.kill()
        proc.wait()
        assert integrity(db) == "ok"
        n = count_results(db)
        assert n >= seen >= kept[-1]  # every committed row survives the kill
        kept.append(n)
        assert query(db, "select count(*) from runs") == [(1,)]  # resumed in place, no new run

    # 4: resume by id to the end.
    done = run([*args, "--resume", "1"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert integrity(db) == "ok"
    rows = results_of(db, 1)
    assert rows == baseline  # same cell keys, same outputs and verdicts
    assert query(db, "select count(*), count(distinct cell_key) from results") == [(N_TESTS, N_TESTS)]
    status, results, passes = query(db, "select status, results, passes from runs where id = 1")[0]
    assert (status, results, passes) == ("completed", N_TESTS, N_TESTS)


@pytest.mark.slow
@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_flushes_marks_interrupted_says_how_to_resume(
    slow_server: FakeOpenAI, baseline: dict[str, tuple[object, ...]], tmp_path: Path, sig: int, code: int
) -> None:
    """Ctrl-C, and SIGTERM the same way (exit 128 + signal number)."""
    suite = loopback_suite(tmp_path / "suite.yaml", slow_server.base_url, N_TESTS)
    db = tmp_path / "int.db"
    env = wb_env(db)
    args = [str(suite), "--db", str(db), "-q", "--no-progress", "-j", "2"]
    proc = start(args, tmp_path, env)
    seen = wait_for(db, 6, proc)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[-1] == f"Run 1 interrupted; resume with: workbench run {suite} --db {db} --resume 1"
    status, stored = query(db, "select status, results from runs where id = 1")[0]
    assert status == "interrupted"
    assert stored == count_results(db) >= seen  # finished results were flushed before exiting
    assert stored < N_TESTS
    # Resuming it is the same path as after a kill (tested above); every stored row is correct.
    mine = results_of(db, 1)
    assert mine == {k: baseline[k] for k in mine}


# Signals from 0.1 s to 1.5 s after start, every 0.05 s, SIGINT and SIGTERM alternating: this
# covers the imports, loading the suite, resolving providers, creating the database and the run
# row (~0.3-0.6 s idle, later under load) and the first calls. Two runs at a time keep it ~15 s.
SIGNAL_OFFSETS = [round(0.1 + 0.05 * i, 2) for i in range(29)]


def _catches_sigterm(pid: int) -> bool:
    """Whether the process has a SIGTERM handler yet (workbench's entry point installs one first;
    the interpreter does not). True where /proc cannot tell."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    caught = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), None)
    return caught is None or bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


def _signalled_run(tmp_path: Path, i: int, delay: float) -> str | None:
    """Start a run, signal it `delay` s after start; None when it ended as guaranteed, else why not."""
    sig, code = [(signal.SIGINT, 130), (signal.SIGTERM, 143)][i % 2]
    d = tmp_path / f"r{i}"
    d.mkdir()
    # nothing listens on port 9 and a retry waits 5-10 s: the run is still going when the signal comes
    suite = loopback_suite(d / "suite.yaml", "http://127.0.0.1:9/v1", 3, extra_provider_config={"retry_base_delay": 10})
    db = d / "s.db"
    t_start = time.monotonic()
    proc = start([str(suite), "--db", str(db), "-q", "--no-progress"], d, wb_env(db))
    time.sleep(max(0.0, delay - (time.monotonic() - t_start)))
    early = not _catches_sigterm(proc.pid)  # still in the interpreter's own start-up
    t0 = time.monotonic()
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    took = time.monotonic() - t0
    where = f"{signal.Signals(sig).name} at {delay:.2f} s"
    if early and proc.returncode in (-sig, 1) and not db.exists():
        return None  # before workbench's first line: Python's default action, nothing written (docs/guarantees.md)
    if proc.returncode != code:
        return f"{where}: exit {proc.returncode}, expected {code}: {err[-300:]!r}"
    # one second on an idle machine; CI runs tests on both cores at once, so scale by the load
    allowed = 1.0 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    if took >= allowed:
        return f"{where}: exited {took:.2f} s after the signal (allowed {allowed:.1f} s at this load)"
    lines = err.splitlines()
    if not (len(lines) == 1 and (lines[0] == "Interrupted." or " interrupted; resume with: " in lines[0])):
        return f"{where}: stderr is not one line: {err[-300:]!r}"
    if db.exists():  # a run that was created is finished; one interrupted before that leaves no row
        runs = query(db, "select id, status from runs")
        if runs not in ([], [(1, "interrupted")]):
            return f"{where}: runs {runs}"
        if runs and lines[0] == "Interrupted.":
            return f"{where}: run 1 was interrupted but the message does not say how to resume"
    return None


def test_a_signal_at_any_moment_of_start_up_exits_within_a_second_and_leaves_no_run_running(tmp_path: Path) -> None:
    """While the CLI starts (imports, loading the suite, creating the database and the run row,
    importing litellm for the first call), Ctrl-C or SIGTERM ends the process within a second:
    one line, the right code, and never a run left `running` (issue 17: the run row used to commit
    before its matrix, so a signal in between left it `running` about one time in two)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = list(pool.map(lambda a: _signalled_run(tmp_path, *a), enumerate(SIGNAL_OFFSETS)))
    bad = [p for p in problems if p]
    assert not bad, f"{len(bad)} of {len(problems)} signalled runs:\n" + "\n".join(bad)


def _signal_self() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(1000):  # Python runs the pending handler within a few bytecodes
        pass


def test_a_signal_while_the_run_row_is_written_leaves_no_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the run row is inserted, while its prompts/providers/tests are written: the
    row and its matrix are one transaction, so nothing is left (it was left `running` before)."""
    from workbench.store.writer import RunWriter

    write_matrix = RunWriter._write_matrix

    def matrix_then_ctrl_c(self: RunWriter, *args: object, **kwargs: object) -> None:
        write_matrix(self, *args, **kwargs)  # type: ignore[arg-type]
        _signal_self()

    monkeypatch.setattr(RunWriter, "_write_matrix", matrix_then_ctrl_c)
    suite = _echo_suite(tmp_path / "s.yaml")
    db = tmp_path / "r.db"
    code, _, err = _cli([str(suite), "--db", str(db), "-q", "--no-progress"])
    assert (code, err) == (130, "Interrupted.\n")
    assert query(db, "select count(*) from runs") == [(0,)]
    assert query(db, "select count(*) from test_cases") == [(0,)]


def test_a_signal_right_after_the_run_row_commits_finishes_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C between the commit of the run row and the engine holding its writer: held until the
    engine has it, then the run is marked interrupted with the resume line."""
    from workbench.store.writer import RunWriter

    create = RunWriter.create.__func__  # type: ignore[attr-defined]

    def create_then_ctrl_c(cls: type[RunWriter], *args: object, created: object = None, **kwargs: object) -> RunWriter:
        def signalled(writer: RunWriter) -> None:
            _signal_self()  # after the commit, before the engine is told
            created(writer)  # type: ignore[operator]

        return create(cls, *args, created=signalled, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(RunWriter, "create", classmethod(create_then_ctrl_c))
    suite = _echo_suite(tmp_path / "s.yaml")
    db = tmp_path / "r.db"
    code, _, err = _cli([str(suite), "--db", str(db), "-q", "--no-progress"])
    assert code == 130, err
    assert err == f"Run 1 interrupted; resume with: workbench run {suite} --db {db} --resume 1\n"
    assert query(db, "select id, status, results from runs") == [(1, "interrupted", 0)]


def test_a_signal_while_the_run_is_finished_waits_until_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C inside the transaction that closes a completed run: the run is still completed, with
    its totals and pair totals, and the Ctrl-C then ends the command (exit 130, one line)."""
    import workbench.store.run_close as run_close_module

    store_pair_totals = run_close_module.store_pair_totals

    def ctrl_c_then_pair_totals(db: object, run_id: int) -> None:
        _signal_self()
        store_pair_totals(db, run_id)  # type: ignore[arg-type]

    monkeypatch.setattr(run_close_module, "store_pair_totals", ctrl_c_then_pair_totals)
    suite = _echo_suite(tmp_path / "s.yaml")
    db = tmp_path / "r.db"
    code, _, err = _cli([str(suite), "--db", str(db), "-q", "--no-progress"])
    assert (code, err) == (130, "Interrupted.\n")
    assert query(db, "select id, status, results, passes from runs") == [(1, "completed", 3, 3)]
    assert query(db, "select count(*) from pair_totals where run_id = 1") == [(1,)]


# -- refusals: in-process CLI on `echo` (fast) ----------------------------------------------------


def _echo_suite(path: Path, n: int = 3) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "prompts": ["Say {{n}}"],
                "providers": ["echo"],
                "tests": [{"vars": {"n": i}, "assert": [{"type": "contains", "value": str(i)}]} for i in range(n)],
            }
        )
    )
    return path


def _cli(args: list[str]) -> tuple[int, str, str]:
    from workbench.cli.main import cli

    res = CliRunner().invoke(cli, ["run", *args], catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


def _interrupted_run(suite: Path, db: Path, keep: int) -> None:
    """A stored run of `suite` marked interrupted, with only its first `keep` results."""
    code, _, err = _cli([str(suite), "--db", str(db), "-q", "--no-progress"])
    assert code == 0, err
    import sqlite3

    conn = sqlite3.connect(db)
    with conn:
        ids = [r[0] for r in conn.execute("select id from results order by id")][keep:]
        conn.executemany("delete from assertion_results where result_id = ?", [(i,) for i in ids])
        conn.executemany("delete from results where id = ?", [(i,) for i in ids])
        conn.execute("update runs set status = 'interrupted'")
    conn.close()


def _dump(db: Path) -> list[str]:
    import sqlite3

    with closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())


def test_resume_refuses_a_changed_suite_unless_forced(tmp_path: Path) -> None:
    suite = _echo_suite(tmp_path / "s.yaml")
    db = tmp_path / "r.db"
    _interrupted_run(suite, db, keep=1)
    suite.write_text(suite.read_text() + "# edited\n")
    before = _dump(db)
    code, _, err = _cli([str(suite), "--db", str(db), "-q", "--resume", "1"])
    assert code == 2
    assert err == (
        f"Error: {suite}: changed since run 1 was made (sha256 differs); resuming would mix two suites"
        " (pass --force to resume anyway, or start a new run)\n"
    )
    assert query(db, "select count(*) from results") == [(1,)]
    # Content, not bytes: reading a WAL database may checkpoint a previous writer's WAL into the file.
    assert _dump(db) == before
    code, _out, err = _cli([str(suite), "--db", str(db), "-q", "--resume", "1", "--force"])
    assert code == 0, err
    assert query(db, "select count(*), count(distinct cell_key) from results") == [(3, 3)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--resume", "7"], "Error: --resume 7: no such run in the database"),
        (
            ["--resume", "x"],
            "Error: --resume 'x': expected a run id or 'latest' (put --resume after the suite: workbench run SUITE --resume)",
        ),
        (["--resume", "0"], "Error: --resume '0': a run id is a positive integer"),
    ],
)
def test_resume_refuses_bad_ids(tmp_path: Path, extra: list[str], message: str) -> None:
    suite = _echo_suite(tmp_path / "s.yaml")
    db = tmp_path / "r.db"
    _interrupted_run(suite, db, keep=1)
    code, _, err = _cli([str(suite), "--db", str(db), "-q", *extra])
    assert (code, err) == (2, message + "\n")


def test_resume_latest_picks_the_latest_unfinished_run_of_the_same_suite(tmp_path: Path) -> None:
    a = _echo_suite(tmp_path / "a.yaml", 4)
    b = _echo_suite(tmp_path / "b.yaml", 4)
    db = tmp_path / "r.db"
    _interrupted_run(a, db, keep=2)  # run 1 of a: unfinished
    code, _, err = _cli([str(b), "--db", str(db), "-q"])  # run 2 of b: completed
    assert code == 0, err
    code, _, err = _cli([str(a), "--db", str(db), "-q", "--resume"])
    assert code == 0, err
    assert query(db, "select id, status, results from runs order by id") == [(1, "completed", 4), (2, "completed", 4)]
    # Nothing left to resume: a clean refusal, not a new run.
    code, _, err = _cli([str(a), "--db", str(db), "-q", "--resume", "latest"])
    assert (code, err) == (2, f"Error: {a}: no unfinished run of this suite to resume\n")


def test_resume_keeps_the_stored_matrix(tmp_path: Path) -> None:
    """The stored run's --repeat shapes the cells, whatever today's flags say."""
    suite = _echo_suite(tmp_path / "s.yaml", 2)
    db = tmp_path / "r.db"
    code, _, err = _cli([str(suite), "--db", str(db), "-q", "--repeat", "3"])
    assert code == 0, err
    import sqlite3

    conn = sqlite3.connect(db)
    with conn:
        conn.execute("delete from assertion_results where result_id in (select id from results where repeat = 2)")
        conn.execute("delete from results where repeat = 2")
        conn.execute("update runs set status = 'interrupted'")
    conn.close()
    code, _, err = _cli([str(suite), "--db", str(db), "-q", "--resume"])
    assert code == 0, err
    assert query(db, "select count(*), count(distinct cell_key) from results") == [(6, 6)]
