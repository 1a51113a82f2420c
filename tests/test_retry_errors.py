"""`workbench run --retry-errors RUN`: only the error cells run again, into the same run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml
from ci_project import wb
from fake_openai_server import FakeOpenAI
from reliability_helpers import API_KEY, loopback_suite


def _two_model_suite(path: Path, base_url: str, n: int) -> Path:
    """The loopback suite with a second model: gpt-4o-mini answers, gpt-4o is made to fail."""
    loopback_suite(path, base_url, n)
    suite = yaml.safe_load(path.read_text())
    config = {"apiBaseUrl": base_url, "apiKey": API_KEY, "retry_base_delay": 0.01}
    suite["providers"].append({"id": "openai:chat:gpt-4o", "config": config})
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


def _rows(db: Path) -> dict[str, tuple[int, str | None, int]]:
    with sqlite3.connect(db) as conn:
        return {k: (i, e, s) for k, i, e, s in conn.execute("select cell_key, id, error, success from results")}


def test_retry_errors_reruns_only_the_error_cells_into_the_same_run(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    db = tmp_path / "r.db"
    suite = _two_model_suite(tmp_path / "suite.yaml", fake_openai.base_url, 4)
    fake_openai.by_model["gpt-4o"] = {"status": 400, "message": "bad request today"}  # not retried
    first = wb("run", suite, "--db", db, "-q", "--no-progress", "--pass-rate-threshold", "0", "-j", "1")
    assert first.exit_code == 0, first.output
    before = _rows(db)
    errors = {k for k, (_, e, _) in before.items() if e}
    assert len(before) == 8 and len(errors) == 4
    calls_before = len(fake_openai.requests)
    fake_openai.by_model.clear()  # the outage is over
    res = wb("run", "--retry-errors", "1", "--db", db, "-q", "--no-progress")  # the suite comes from the run
    assert res.exit_code == 0, res.output
    assert "Retrying 4 error cells of run 1" in res.stderr
    after = _rows(db)
    assert set(after) == set(before)
    assert all(after[k][1] is None and after[k][2] == 1 for k in errors)  # retried and now passing
    assert all(after[k] == before[k] for k in set(before) - errors)  # untouched: same row, same id
    assert len(fake_openai.requests) - calls_before == 4  # nothing else was called
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*), max(id) from runs").fetchone() == (1, 1)
        run = conn.execute("select status, errors, passes, results from runs").fetchone()
        assert run == ("completed", 0, 8, 8)
        assert conn.execute(
            "select count(*) from assertion_results a left join results r on r.id = a.result_id where r.id is null"
        ).fetchone() == (0,)
    # nothing left to retry: a no-op that still finishes the run
    again = wb("run", suite, "--retry-errors", "1", "--db", db, "-q", "--no-progress")
    assert again.exit_code == 0 and "Retrying 0 error cells of run 1" in again.stderr
    assert _rows(db) == after


def test_retry_errors_keeps_resumes_checks(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    db = tmp_path / "r.db"
    suite = _two_model_suite(tmp_path / "suite.yaml", fake_openai.base_url, 2)
    fake_openai.by_model["gpt-4o"] = {"status": 400}
    wb("run", suite, "--db", db, "-q", "--no-progress", "--pass-rate-threshold", "0")
    errors = {k for k, (_, e, _) in _rows(db).items() if e}
    suite.write_text(suite.read_text() + "\n# edited\n")
    res = wb("run", suite, "--retry-errors", "1", "--db", db, "-q")
    assert res.exit_code == 2
    assert "changed since run 1 was made" in res.stderr and res.stderr.count("\n") == 1
    assert {k for k, (_, e, _) in _rows(db).items() if e} == errors  # nothing was deleted
    res = wb("run", "--retry-errors", "9", "--db", db)
    assert (res.exit_code, res.stderr) == (2, "Error: --retry-errors 9: no such run in the database\n")
    res = wb("run", suite, "--retry-errors", "1", "--resume", "1", "--db", db)
    assert res.exit_code == 2 and "give one of them" in res.stderr
