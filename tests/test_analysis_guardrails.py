"""Guardrail failures by metric, prompt version and model, with the offending outputs."""

from __future__ import annotations

from pathlib import Path

from analysis_data import R, make_run, prompt

from workbench.analysis.guardrails import guardrail_failures, guardrail_summary
from workbench.analysis.pairs import pair_stats
from workbench.store.db import open_db


def test_counts_and_outputs(db_path: Path) -> None:
    db = open_db(db_path)
    prompts = [prompt("f", "v1", "a {{text}}"), prompt("f", "v2", "b {{text}}")]
    results = [
        R(p, m, t, guardrail_fail=(p, m, t) in {(0, 0, 0), (0, 0, 1), (0, 1, 1), (1, 1, 2)}, output=f"o{p}{m}{t}")
        for p in (0, 1)
        for m in (0, 1)
        for t in range(3)
    ]
    rid = make_run(db, results, prompts=prompts, providers=["small", "large"])
    s = guardrail_summary(db, rid)
    assert (s.checks, s.failures, s.failed_results) == (12, 4, 4)
    assert [(c.name, c.failures) for c in s.by_metric] == [("guardrail/pii", 4)]
    assert [(c.name, c.failures) for c in s.by_prompt] == [("f/v1", 3), ("f/v2", 1)]
    assert [(c.name, c.failures) for c in s.by_model] == [("small", 2), ("large", 2)] or [
        (c.name, c.failures) for c in s.by_model
    ] == [("large", 2), ("small", 2)]
    # Same count as the pair statistics the recommendation uses.
    assert sum(p.guardrail_failures for p in pair_stats(db, [rid])) == s.failures

    total, rows = guardrail_failures(db, rid)
    assert total == 4
    assert [(g.test_idx, g.prompt, g.model, g.output) for g in rows] == [
        (0, "f/v1", "small", "o000"),
        (1, "f/v1", "small", "o001"),
        (1, "f/v1", "large", "o011"),
        (2, "f/v2", "large", "o112"),
    ]
    assert rows[0].metric == "guardrail/pii" and rows[0].type == "not-contains"
    assert rows[0].description == "test 0"
    total, rows = guardrail_failures(db, rid, prompt="f/v1", model="large")
    assert total == 1 and rows[0].output == "o011"
    total, rows = guardrail_failures(db, rid, limit=2, offset=2)
    assert total == 4 and [g.output for g in rows] == ["o011", "o112"]
    assert guardrail_failures(db, rid, metric="guardrail/other") == (0, [])
