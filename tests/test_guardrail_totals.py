"""Stored guardrail counts (m013, store/guardrail_totals.py) equal counting the assertions.

A planted run: three guardrail metrics (two `guardrail/...` metrics and a metric-less `moderation`
assertion, counted under its type), failures at known cells, a variant and two models. The
Guardrails summary read from the stored rows equals the one counted from the assertions, on a new
database, on an older database whose runs were written before m013 (the migration fills them), and
the stored rows are ignored once they no longer describe the run.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from analysis_data import R, make_run, prompt

from workbench.analysis import guardrails
from workbench.store import guardrail_totals
from workbench.store.db import open_db
from workbench.store.writer import RunWriter
from workbench.types import GradingResult

PROMPTS = [prompt("f", "v1", "a {{text}}"), prompt("f", "v2", "b {{text}}")]
# (prompt, model, test) -> the extra guardrails that fail there (besides R.guardrail_fail = pii)
CARD = {(0, 0, 1), (0, 1, 1), (1, 0, 2), (1, 1, 3)}
MODERATION = {(0, 0, 1), (1, 1, 0)}
PII = {(0, 0, 0), (0, 0, 1), (1, 1, 2)}
EXPECTED_BY_METRIC = [("guardrail/card", 4, 4), ("guardrail/pii", 3, 3), ("moderation", 2, 2)]


def _planted_run(db, monkeypatch: pytest.MonkeyPatch) -> int:
    """4 tests x 2 prompts x 2 models (x 2 variants for prompt 0); each result has the pii, card and
    moderation guardrails (and a quality check); failures at the cells in PII, CARD, MODERATION."""
    results = [
        R(p, m, t, variant=v, guardrail_fail=(p, m, t) in PII)
        for p in (0, 1)
        for v in (("none", "short") if p == 0 else ("none",))
        for m in (0, 1)
        for t in range(4)
    ]
    write = RunWriter.write_results

    def with_more_guardrails(self, cells, *args, **kwargs):  # type: ignore[no-untyped-def]
        for c in cells:
            key = (c.cell.prompt_idx, c.cell.provider_idx, c.cell.test_idx)
            if c.grading is not None:
                c.grading.component_results += [
                    GradingResult(
                        pass_=key not in CARD,
                        score=0.0 if key in CARD else 1.0,
                        assertion={"type": "not-regex", "value": r"\d{16}", "metric": "guardrail/card"},
                    ),
                    GradingResult(pass_=key not in MODERATION, score=1.0, assertion={"type": "moderation"}),
                ]
        return write(self, cells, *args, **kwargs)

    monkeypatch.setattr(RunWriter, "write_results", with_more_guardrails)
    return make_run(db, results, prompts=PROMPTS, providers=["small", "large"])


def _counted(db, run_id: int, monkeypatch: pytest.MonkeyPatch) -> guardrails.GuardrailSummary:
    with monkeypatch.context() as m:
        m.setattr(guardrail_totals, "load", lambda db, run_id: None)
        return guardrails.guardrail_summary(db, run_id)


def test_stored_summary_equals_the_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_db(tmp_path / "w.db")
    run = _planted_run(db, monkeypatch)
    stored = guardrail_totals.load(db, run)
    assert stored is not None and stored == guardrail_totals.compute(db, run)  # written by RunWriter.finish
    # 16 results of prompt 0 (2 variants), 8 of prompt 1; 3 guardrails each.
    assert sum(t.checks for t in stored) == 24 * 3
    s = guardrails.guardrail_summary(db, run)
    # Planted: pii fails at 3 cells (x2 variants for prompt 0 cells), card at 4 (same), moderation at 2.
    variants = {0: 2, 1: 1}
    by = {
        "guardrail/card": sum(variants[p] for p, _, _ in CARD),
        "guardrail/pii": sum(variants[p] for p, _, _ in PII),
        "moderation": sum(variants[p] for p, _, _ in MODERATION),
    }
    assert [(c.name, c.failures, c.results) for c in s.by_metric] == sorted(
        ((n, f, f) for n, f in by.items()), key=lambda c: (-c[1], c[0])
    )
    assert (s.checks, s.failures) == (72, sum(by.values()))
    failing_cells = PII | CARD | MODERATION
    assert s.failed_results == sum(variants[p] for p, _, _ in failing_cells)
    assert s == _counted(db, run, monkeypatch)
    with db.conn:  # the summary is read from the stored rows (not counted again)
        db.execute("update guardrail_totals set checks = checks + 1 where run_id = ? and metric = 'moderation'", [run])
    assert guardrails.guardrail_summary(db, run).checks == 72 + 6  # one moderation row per cell group
    with db.conn:
        db.execute("update guardrail_totals set checks = checks - 1 where run_id = ? and metric = 'moderation'", [run])
    # The offending-outputs total, unfiltered and by metric, agrees with the count too.
    for metric in (None, "guardrail/card", "moderation", "guardrail/other"):
        total, _ = guardrails.guardrail_failures(db, run, metric=metric)
        with monkeypatch.context() as m:
            m.setattr(guardrail_totals, "load", lambda db, run_id: None)
            assert guardrails.guardrail_failures(db, run, metric=metric)[0] == total
        assert total == (s.failures if metric is None else by.get(metric, 0))


def test_run_without_guardrails_is_stored_as_none(tmp_path: Path) -> None:
    db = open_db(tmp_path / "w.db")
    run = make_run(db, [R(0, 0, t) for t in range(3)])
    with db.conn:
        db.execute("delete from assertion_results where is_guardrail = 1")
        guardrail_totals.store(db, run)
    assert guardrail_totals.load(db, run) == []  # stored: no guardrail assertions (the marker row)
    s = guardrails.guardrail_summary(db, run)
    assert (s.checks, s.failures, s.by_metric) == (0, 0, [])


def test_stale_rows_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_db(tmp_path / "w.db")
    run = _planted_run(db, monkeypatch)
    assert guardrail_totals.load(db, run) is not None
    with db.conn:
        db.execute("update runs set status = 'running' where id = ?", [run])
    assert guardrail_totals.load(db, run) is None  # a resumed run: not trusted until it finishes
    with db.conn:
        db.execute("update runs set status = 'completed', results = results - 1 where id = ?", [run])
    assert guardrail_totals.load(db, run) is None  # written for another result count
    with db.conn:
        db.execute("update runs set results = results + 1 where id = ?", [run])
        db.execute("update guardrail_totals set version = version + 1 where run_id = ?", [run])
    assert guardrail_totals.load(db, run) is None  # written by another count definition
    # A wrong stored count would show: the summary then counts the assertions instead.
    with db.conn:
        db.execute("update guardrail_totals set failures = failures + 100 where run_id = ?", [run])
    assert guardrails.guardrail_summary(db, run) == _counted(db, run, monkeypatch)


def test_old_database_is_filled_by_the_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database written before m013 (its table and migration record removed, as an older
    workbench left it) gets the counts of its finished runs when opened, equal to the count; a run
    still running gets none."""
    path = tmp_path / "old.db"
    db = open_db(path)
    run = _planted_run(db, monkeypatch)
    running = make_run(db, [R(0, 0, 0, guardrail_fail=True)])
    expected = _counted(db, run, monkeypatch)
    db.conn.close()
    with sqlite3.connect(path) as conn:
        conn.execute("update runs set status = 'running' where id = ?", [running])
        conn.execute("drop table guardrail_totals")
        conn.execute("delete from _sqlite_migrations where name = 'm013_guardrail_totals'")
    db = open_db(path)
    assert guardrail_totals.load(db, run) == guardrail_totals.compute(db, run)
    assert guardrails.guardrail_summary(db, run) == expected
    assert db.execute("select count(*) from guardrail_totals where run_id = ?", [running]).fetchone()[0] == 0
    assert guardrail_totals.load(db, running) is None
