"""Failure clusters recover planted failure modes and break them down by version and model."""

from __future__ import annotations

from pathlib import Path

import pytest
from routing_data import Outcome, Scenario, write_scenario

from workbench.errors import UsageError
from workbench.routing.clusters import failure_clusters
from workbench.store.db import open_db

NAMES = ["Alice", "Bob", "Carol", "Dan", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Oscar"]


def planted(tmp_path: Path) -> tuple[object, int]:
    """12 "missing order id" failures (cheap model, both versions) and 8 "leaked e-mail" (strong, v2)."""
    tests = [{"description": f"t{i}", "vars": {"ticket": f"ticket {i}"}} for i in range(12)]
    outcomes = []
    for i in range(12):
        outcomes.append(
            Outcome(
                i, 0, ok=False, prompt=i % 2,
                output=f"Dear {NAMES[i]}, thanks for reaching out, we are looking into it.",
                reason="Expected output to contain the order id (ORD-####)",
            )
        )  # fmt: skip
        outcomes.append(Outcome(i, 1, ok=i >= 8, prompt=1, output=f"Write to {NAMES[i].lower()}@example.com",
                                reason="" if i >= 8 else "guardrail/pii: output leaks an e-mail address"))  # fmt: skip
        outcomes.append(Outcome(i, 1, ok=True, prompt=0, output="Order ORD-1234 ships today."))
    db = open_db(tmp_path / "wb.db")
    sc = Scenario(tests, outcomes, prompts=["Reply: {{ticket}}", "Reply politely: {{ticket}}"])
    return db, write_scenario(db, sc)


def test_clusters_recover_the_planted_failure_modes(tmp_path: Path) -> None:
    db, run = planted(tmp_path)
    report = failure_clusters(db, run=run)  # type: ignore[arg-type]
    assert (report.results, report.failures) == (36, 20)
    assert report.k == 2 and report.method == "tfidf+kmeans (silhouette)"
    assert report.silhouette is not None and report.silhouette > 0.3
    order, email = report.clusters
    assert order.size == 12 and email.size == 8
    assert order.by_group == {"ticket/v1 · none · cheap": 6, "ticket/v2 · none · cheap": 6}
    assert email.by_group == {"ticket/v2 · none · strong": 8}
    # labels come from what the cluster's failures share, never from one failure's name
    shared_order = set(["expected", "output", "contain", "order", "id", "ord", "dear", "thanks", "reaching", "looking"])
    shared_email = set(["guardrail", "pii", "output", "leaks", "mail", "address", "write", "example", "com"])
    assert len(order.terms) == 5 and set(" ".join(order.terms).split()) <= shared_order
    assert len(email.terms) == 5 and set(" ".join(email.terms).split()) <= shared_email
    assert "order id" in order.example.reason
    assert "@example.com" in email.example.output


def test_filters_by_version_and_model(tmp_path: Path) -> None:
    db, run = planted(tmp_path)
    only = failure_clusters(db, family="ticket", version="v2", model="strong")  # type: ignore[arg-type]
    assert only.run_ids == [run]
    assert (only.results, only.failures) == (12, 8)
    assert [c.size for c in only.clusters] == [8]
    cheap_v1 = failure_clusters(db, run=run, family="ticket", version="v1", model="cheap")  # type: ignore[arg-type]
    assert cheap_v1.failures == 6 and cheap_v1.k == 1  # 6 near-identical failures: one mode


def test_no_failures_and_bad_filters(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    run = write_scenario(db, Scenario([{"description": "a", "vars": {"ticket": "x"}}], [Outcome(0, 0, ok=True)]))
    report = failure_clusters(db, run=run)
    assert report.failures == 0 and report.clusters == []
    with pytest.raises(UsageError, match="--family and --version go together"):
        failure_clusters(db, family="ticket")
    with pytest.raises(UsageError, match="no results match run 1 gpt-9"):
        failure_clusters(db, run=run, model="gpt-9")


def test_unstructured_failures_stay_one_cluster(tmp_path: Path) -> None:
    db = open_db(tmp_path / "wb.db")
    words = [
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
        "foxtrot",
        "golf",
        "hotel",
        "india",
        "juliet",
        "kilo",
        "lima",
        "mike",
        "november",
    ]
    tests = [{"description": f"t{i}", "vars": {"ticket": str(i)}} for i in range(len(words))]
    outcomes = [Outcome(i, 0, ok=False, output=w, reason="") for i, w in enumerate(words)]
    run = write_scenario(db, Scenario(tests, outcomes))
    report = failure_clusters(db, run=run)
    # every failure shares only the generic reason "failed": no structure beyond that
    assert report.failures == len(words)
    assert report.k == 1 and report.method == "tfidf+kmeans (no structure)"
    assert [c.size for c in report.clusters] == [len(words)]
    assert report.silhouette is not None and report.silhouette < 0.05


def test_groups_name_the_variant(tmp_path: Path) -> None:
    """A compressed variant's failures are a group of their own, named like every pair elsewhere."""
    from report_fixtures import grade, make_run

    from workbench.types import Cell, CellResult, Prompt, ProviderResponse, ProviderSpec, Suite, TestCase

    asserts = [{"type": "contains", "value": "ORD-"}]
    tests = [TestCase(index=i, vars={"t": str(i)}, asserts=asserts, description=f"t{i}") for i in range(6)]
    suite = Suite(
        path=None,
        description="s",
        prompts=[Prompt(raw="Reply: {{t}}", label="p", sha256="sha-p")],
        providers=[ProviderSpec(id="echo")],
        tests=tests,
    )
    results = []
    for t in tests:
        for variant in ("none", "llmlingua:0.5"):
            ok = variant == "none" or t.index < 2  # the compressed variant loses the order id in 4 of 6
            g = grade(asserts, [ok])
            out = f"Order ORD-{t.index} ships" if ok else f"Order {t.index} ships"
            results.append(
                CellResult(
                    cell=Cell(prompt_idx=0, provider_idx=0, test_idx=t.index, variant=variant),
                    prompt_text=out,
                    response=ProviderResponse(output=out, tokens_in=3, tokens_out=3, cost=0.0, latency_ms=1.0),
                    success=g.pass_,
                    score=g.score,
                    error=None,
                    grading=g,
                )
            )
    db = open_db(tmp_path / "wb.db")
    run = make_run(db, suite, results)
    report = failure_clusters(db, run=run)
    assert report.failures == 4
    assert [c.by_group for c in report.clusters] == [{"p · llmlingua:0.5 · echo": 4}]
    assert report.clusters[0].example.pair == "p · llmlingua:0.5 · echo"
