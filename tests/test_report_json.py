"""`-o out.json` / `.jsonl`: promptfoo v3 shape, built from a real store written by RunWriter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import make_run, sample_run

from workbench.report import write_outputs
from workbench.store.db import open_db
from workbench.types import Cell, CellResult, Prompt, ProviderResponse, ProviderSpec, Suite
from workbench.types import TestCase as Case

ENTRY_KEYS = {
    "id", "promptIdx", "testIdx", "testCase", "promptId", "provider", "prompt", "vars", "success", "score",
    "namedScores", "error", "failureReason", "gradingResult", "latencyMs", "cost", "tokenUsage", "metadata",
    "workbench",
}  # fmt: skip


@pytest.fixture
def doc(tmp_path: Path) -> dict[str, Any]:
    db = open_db(tmp_path / "r.db")
    run_id = sample_run(db)
    out = tmp_path / "out.json"
    write_outputs(db, run_id, [out])
    return dict(json.loads(out.read_text(encoding="utf-8")))


def by_cell(doc: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    return {(r["testIdx"], r["promptIdx"]): r for r in doc["results"]["results"]}


def test_top_level_shape(doc: dict[str, Any]) -> None:
    assert set(doc) == {"evalId", "results", "config", "shareableUrl", "metadata"}
    assert doc["shareableUrl"] is None
    res = doc["results"]
    assert list(res) == ["version", "timestamp", "prompts", "results", "stats"]
    assert res["version"] == 3
    assert res["timestamp"].endswith("Z")
    assert res["stats"]["successes"] == 4
    assert res["stats"]["failures"] == 4
    assert res["stats"]["errors"] == 4
    assert res["stats"]["tokenUsage"]["numRequests"] == 8  # provider errors make no request
    assert doc["config"]["description"] == "sample"
    assert doc["config"]["providers"] == ["echo", {"id": "openai:gpt-4o-mini", "label": "mini"}]


def test_prompts_are_provider_major_with_metrics(doc: dict[str, Any]) -> None:
    prompts = doc["results"]["prompts"]
    assert [(p["label"], p["provider"]) for p in prompts] == [
        ("v1", "echo"),
        ("v2", "echo"),
        ("v1", "mini"),
        ("v2", "mini"),
    ]
    m = prompts[2]["metrics"]
    assert (m["testPassCount"], m["testFailCount"], m["testErrorCount"]) == (1, 1, 1)
    assert (m["assertPassCount"], m["assertFailCount"]) == (5, 5)  # flattened: set entry + children
    assert m["cost"] is None  # one call had an unknown price: never reported as $0
    assert prompts[0]["metrics"]["cost"] == 0
    assert m["namedScores"] == {"quality": 2.0, "guardrail/pii": 1.0}
    assert m["namedScoresCount"] == {"quality": 2, "guardrail/pii": 2}
    # promptIdx of every result points at its (provider, prompt) entry
    for r in doc["results"]["results"]:
        p = prompts[r["promptIdx"]]
        assert p["label"] == r["prompt"]["label"]
        assert p["provider"] == (r["provider"]["label"] or r["provider"]["id"])


def test_results_order_and_keys(doc: dict[str, Any]) -> None:
    rows = doc["results"]["results"]
    assert len(rows) == 12
    keys = [(r["workbench"]["testIdx"], r["workbench"]["promptIdx"], r["workbench"]["providerIdx"]) for r in rows]
    assert keys == sorted(keys)
    for r in rows:
        assert set(r) >= ENTRY_KEYS, ENTRY_KEYS - set(r)
        assert r["prompt"]["raw"] and r["prompt"]["label"] in ("v1", "v2")
        assert r["vars"] == r["testCase"]["vars"]
    assert {r["provider"]["label"] for r in rows} == {"", "mini"}  # promptfoo: "" when unlabelled


def test_pass_row(doc: dict[str, Any]) -> None:
    r = by_cell(doc)[(0, 0)]
    assert r["success"] is True and r["failureReason"] == 0 and r["error"] is None
    assert r["response"] == {
        "output": "Summarize order A-1: refund please",
        "tokenUsage": {"total": 18, "prompt": 10, "completion": 8, "cached": 0, "numRequests": 1},
        "cost": 0.0,
        "cached": False,
    }
    g = r["gradingResult"]
    assert g["pass"] is True and g["reason"] == "All assertions passed"
    assert g["score"] == pytest.approx(5 / 6)
    assert r["namedScores"] == {"quality": 1.0, "guardrail/pii": 1.0}
    assert r["workbench"]["variant"] == "none" and r["workbench"]["tokenSource"] == "tiktoken"


def test_component_results_flatten_assert_sets_like_promptfoo(doc: dict[str, Any]) -> None:
    comps = by_cell(doc)[(0, 0)]["gradingResult"]["componentResults"]
    assert [c.get("assertion", {}).get("type") for c in comps] == [
        "contains",
        None,
        "icontains",
        "contains",
        "not-regex",
    ]
    first, aset, kid1, kid2, guard = comps
    # the assertion as written (templated value), the rendered value in metadata
    assert first["assertion"] == {"type": "contains", "value": "{{order}}", "metric": "quality"}
    assert first["metadata"] == {"renderedAssertionValue": "A-1"}
    # the set's own entry: no `assertion`, its type in metadata.assertionSet, children nested too
    assert "assertion" not in aset
    assert aset["metadata"] == {"assertionSet": {"type": "assert-set", "assertionCount": 2}}
    assert aset["componentResults"] == [kid1, kid2]
    assert (aset["pass"], aset["score"]) == (True, 0.5)
    assert kid2 == {
        "pass": False,
        "score": 0.0,
        "reason": 'Expected output to contain "mars"',
        "assertion": {"type": "contains", "value": "mars"},
    }
    assert guard["assertion"]["metric"] == "guardrail/pii"


def test_failure_row_reason_is_last_failing_assertion(doc: dict[str, Any]) -> None:
    r = by_cell(doc)[(1, 0)]
    assert r["success"] is False and r["failureReason"] == 1
    assert r["error"] == r["gradingResult"]["reason"] == "Output matched the regex"
    assert r["workbench"]["guardrailFailures"] == 1


def test_error_rows(doc: dict[str, Any]) -> None:
    cells = by_cell(doc)
    threw = cells[(2, 0)]  # an assertion threw: promptfoo keeps no response
    assert threw["failureReason"] == 2 and threw["success"] is False and threw["score"] == 0
    assert threw["error"] == "contains: 'value' must be a non-empty string"
    assert threw["gradingResult"] is None and "response" not in threw
    provider = cells[(2, 2)]  # the provider failed: the response carries the error
    assert provider["failureReason"] == 2 and provider["gradingResult"] is None
    assert provider["response"]["error"] == "HTTP 500 from provider"
    assert provider["response"]["output"] is None
    assert provider["workbench"]["attempts"] == 3


def test_unknown_cost_is_null_not_zero(doc: dict[str, Any]) -> None:
    r = by_cell(doc)[(1, 2)]
    assert r["cost"] is None and r["response"]["cost"] is None
    assert by_cell(doc)[(0, 2)]["cost"] == pytest.approx(0.000125)


def test_jsonl_lines_equal_json_results(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    run_id = sample_run(db)
    write_outputs(db, run_id, [tmp_path / "o.json", tmp_path / "o.jsonl"])
    full = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))["results"]["results"]
    lines = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines == full


def test_repeats_and_variants_get_promptfoo_indices(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    suite = Suite(
        path=None,
        description=None,
        prompts=[Prompt(raw="{{x}}", label="p", sha256="s")],
        providers=[ProviderSpec(id="echo")],
        tests=[Case(index=i, vars={"x": str(i)}, asserts=[]) for i in range(2)],
    )
    results = [
        CellResult(Cell(0, 0, t, repeat=k, variant=v), str(t), ProviderResponse(output=str(t)), True, 1.0, None, None)
        for t in range(2)
        for k in range(2)
        for v in ("none", "llmlingua:0.5")
    ]
    run_id = make_run(db, suite, results)
    write_outputs(db, run_id, [tmp_path / "o.json"])
    doc = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    prompts = doc["results"]["prompts"]
    assert len(prompts) == 2 and prompts[1]["workbench"] == {"variant": "llmlingua:0.5"}
    got = sorted((r["testIdx"], r["promptIdx"], r["workbench"]["variant"]) for r in doc["results"]["results"])
    assert got == sorted(
        (t * 2 + k, vi, v) for t in range(2) for k in range(2) for vi, v in enumerate(("none", "llmlingua:0.5"))
    )
    assert all(r["gradingResult"]["reason"] == "No assertions" for r in doc["results"]["results"])


def test_empty_run_is_valid_json(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    suite = Suite(
        path=None,
        description=None,
        prompts=[Prompt(raw="x", label="x", sha256="s")],
        providers=[ProviderSpec(id="echo")],
        tests=[],
    )
    run_id = make_run(db, suite, [], status="interrupted")
    write_outputs(db, run_id, [tmp_path / "o.json", tmp_path / "o.jsonl"])
    doc = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))
    assert doc["results"]["results"] == []
    assert doc["metadata"]["status"] == "interrupted"
    assert (tmp_path / "o.jsonl").read_text(encoding="utf-8") == ""
