"""promptfoo's v3 output (`-o out.json`), written as a stream.

The document is promptfoo 0.121.20's `{evalId, results: {version: 3, timestamp, prompts, results,
stats}, config, shareableUrl, metadata}`. Each `results.results[]` entry is an EvaluateResult
built from one stored result (see `evaluate_result`); workbench-only facts ride in an extra
`workbench` object that promptfoo readers ignore. The header (prompts with their metrics) and the
stats come from SQL aggregates, and the results are written one line each as they are read, so a
100,000-result run never sits in memory.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import IO, Any

from sqlite_utils import Database

from workbench.analysis.derived_metrics import evaluate_derived_metrics
from workbench.report.source import (
    Column,
    Component,
    Row,
    RunInfo,
    column_metrics,
    iter_rows,
    load_run,
)
from workbench.store.json_columns import loads

# promptfoo's ResultFailureReason
NONE, ASSERT, ERROR = 0, 1, 2

# check_circular off: componentResults legitimately shares child entries (set + flattened).
_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"), default=str).encode


def iso_z(value: str | None) -> str | None:
    """`2026-01-02T03:04:05+00:00` -> `2026-01-02T03:04:05.000Z` (JavaScript's toISOString)."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return value
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def eval_id(info: RunInfo) -> str:
    started = (info.run.get("started_at") or "")[:19]
    return f"eval-wb{info.run['id']}-{started}"


def token_usage(tin: int, tout: int, cached: bool, requests: int) -> dict[str, int]:
    return {
        "total": tin + tout,
        "prompt": tin,
        "completion": tout,
        "cached": tin + tout if cached else 0,
        "numRequests": requests,
    }


def _empty_assertion_usage() -> dict[str, Any]:
    return {"total": 0, "prompt": 0, "completion": 0, "cached": 0, "numRequests": 0}


def grader_usage(r: dict[str, Any]) -> dict[str, Any]:
    """A result's grading token usage (promptfoo's `tokensUsed`): the model-graded assertions' calls."""
    stored = json.loads(r["grader_usage"]) if r.get("grader_usage") else None
    return {**_empty_assertion_usage(), **stored} if isinstance(stored, dict) else _empty_assertion_usage()


def grader_usage_sums(db: Database, run_id: int, where: str = "", params: list[Any] | None = None) -> dict[str, Any]:
    """tokensUsed summed over a run's results (promptfoo's `tokenUsage.assertions`)."""
    if "grader_usage" not in {c[1] for c in db.execute("pragma table_info(results)")}:
        return _empty_assertion_usage()
    sums = [
        f"coalesce(sum(json_extract(grader_usage, '$.{k}')), 0)"
        for k in ("total", "prompt", "completion", "cached", "numRequests")
    ]
    row = db.execute(
        f"select {', '.join(sums)} from results where run_id = ? and grader_usage is not null{where}",
        [run_id, *(params or [])],
    ).fetchone()
    return dict(zip(("total", "prompt", "completion", "cached", "numRequests"), (int(v) for v in row), strict=True))


def flatten_asserts(asserts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The test's assertion configs in componentResults order: a set, then its children."""
    out: list[dict[str, Any]] = []
    for a in asserts:
        if not isinstance(a, dict):
            continue
        out.append(a)
        if a.get("type") == "assert-set":
            out.extend(c for c in a.get("assert") or [] if isinstance(c, dict))
    return out


def _assertion_of(comp: Component, config: dict[str, Any] | None) -> tuple[dict[str, Any], Any]:
    """(the assertion as written in the suite, the rendered value when it differs)."""
    if config is not None and config.get("type") == comp.type:
        raw = config.get("value")
        # Only a templated string value can differ from what the grader saw.
        if isinstance(raw, str) and ("{{" in raw or "{%" in raw):
            rendered = comp.value
            return config, rendered if rendered != raw else None
        return config, None
    # No matching config (e.g. a test file changed since): rebuild from what the store holds.
    assertion: dict[str, Any] = {"type": comp.type}
    if comp.value is not None:
        assertion["value"] = comp.value
    if comp.metric:
        assertion["metric"] = comp.metric
    if comp.weight != 1.0:
        assertion["weight"] = comp.weight
    return assertion, None


def component_results(row: Row) -> list[dict[str, Any]]:
    """promptfoo's flattened componentResults.

    An assert-set contributes its own entry (no `assertion` field; its type lives in
    `metadata.assertionSet`, with its children nested in its own `componentResults`) followed by
    its children (QUIRKS.md 31).
    """
    configs = row.test.cache.get("flat")
    if configs is None:
        configs = row.test.cache["flat"] = flatten_asserts(row.asserts)
    if len(configs) != len(row.components):
        configs = []
    entries: list[dict[str, Any]] = []
    children: dict[int, list[dict[str, Any]]] = {}
    for comp in row.components:
        if comp.type == "assert-set":
            count = sum(1 for c in row.components if c.parent_idx == comp.idx)
            entry: dict[str, Any] = {
                "pass": comp.pass_,
                "score": comp.score,
                "reason": comp.reason,
                "namedScores": {},
                "tokensUsed": _empty_assertion_usage(),
                "componentResults": children.setdefault(comp.idx, []),
                "metadata": {"assertionSet": {"type": "assert-set", "assertionCount": count}},
            }
        else:
            assertion, rendered = _assertion_of(comp, configs[comp.idx] if configs else None)
            entry = {"pass": comp.pass_, "score": comp.score, "reason": comp.reason, "assertion": assertion}
            if rendered is not None:
                entry["metadata"] = {"renderedAssertionValue": rendered}
            if comp.parent_idx is not None:
                children.setdefault(comp.parent_idx, []).append(entry)
        entries.append(entry)
    return entries


def row_reason(row: Row) -> str:
    """The row-level gradingResult.reason (promptfoo: the last failing top-level reason)."""
    stored = row.r.get("reason")
    if stored:
        return str(stored)
    top = [c for c in row.components if c.parent_idx is None]
    if not top:
        return "No assertions"
    failed = [c for c in top if not c.pass_]
    success = bool(row.r["success"])
    if success and not failed:
        return "All assertions passed"
    if not success and failed:
        return failed[-1].reason
    # Passing despite failures, or failing without one: a test threshold decided it. The
    # threshold value itself is not stored, so the message names the score only.
    return f"Aggregate score {row.r['score']:.2f} {'≥' if success else '<'} threshold"


def test_case(row: Row) -> dict[str, Any]:
    """promptfoo's `testCase`: the test as run (after defaultTest merge)."""
    out: dict[str, Any] = {}
    if row.description is not None:
        out["description"] = row.description
    out.update({"vars": row.vars, "assert": row.asserts, "options": {}, "metadata": row.metadata})
    return out


def encode_result(row: Row, info: RunInfo) -> str:
    """`json.dumps(evaluate_result(row, info))`, with the test's parts encoded once per test."""
    cache = row.test.cache
    parts = cache.get("json")
    if parts is None:
        parts = cache["json"] = (_dumps(test_case(row)), _dumps(row.vars), _dumps(row.metadata))
    head = _dumps(evaluate_result(row, info, with_test=False))
    # The per-test parts go last (key order means nothing to a JSON reader).
    return f'{head[:-1]},"testCase":{parts[0]},"vars":{parts[1]},"metadata":{parts[2]}}}'


def evaluate_result(row: Row, info: RunInfo, *, with_test: bool = True) -> dict[str, Any]:
    """One promptfoo EvaluateResult (`results.results[]` entry).

    `with_test=False` leaves out `testCase`, `vars` and `metadata` (see `encode_result`).
    """
    r = row.r
    col: Column = info.column(r["provider_idx"], r["prompt_idx"], r["variant"])
    error = r["error"]
    success = bool(r["success"])
    tin, tout = r["tokens_in"] or 0, r["tokens_out"] or 0
    cached = bool(r["cached"])
    named = json.loads(r["named_scores"]) if r["named_scores"] else {}
    latency = round(r["latency_ms"] or 0)

    out: dict[str, Any] = {
        "id": f"wb-{r['id']}",
        "promptIdx": col.index,
        "testIdx": r["test_idx"] * info.repeats + r["repeat"],
        "promptId": col.prompt.sha256,
        "provider": {"id": col.provider.id, "label": col.provider.promptfoo_label},
        "prompt": {"raw": r["prompt"] or "", "label": col.prompt.label, "config": {}},
    }
    if with_test:
        out["testCase"] = test_case(row)
        out["vars"] = row.vars
        out["metadata"] = row.metadata
    output = loads(r["output"]) if r.get("output_json") else r["output"]  # objects stay objects
    if error is None or output is None:
        # An assertion that threw leaves promptfoo's row without a response; a provider error
        # keeps the response with its error.
        response: dict[str, Any] = {
            "output": output,
            "tokenUsage": token_usage(tin, tout, cached, 1),
            "cost": r["cost"],
            "cached": cached,
        }
        if error is not None:
            response["error"] = error
        out["response"] = response
    grading: dict[str, Any] | None = None
    if error is None:
        reason = row_reason(row)
        grading = {
            "pass": success,
            "score": r["score"],
            "reason": reason,
            "namedScores": named,
            "tokensUsed": grader_usage(r),
            "componentResults": component_results(row),
        }
        failure = NONE if success else ASSERT
        err_field: str | None = None if success else reason
    else:
        failure, err_field = ERROR, error
    out.update(
        {
            "success": success and error is None,
            "score": r["score"] if error is None else 0,
            "namedScores": named if error is None else {},
            "error": err_field,
            "failureReason": failure,
            "gradingResult": grading,
            "latencyMs": latency,
            "cost": r["cost"],
            "tokenUsage": token_usage(tin, tout, cached, 1),
            "workbench": {
                "runId": info.run["id"],
                "resultId": r["id"],
                "cellKey": r["cell_key"],
                "testIdx": r["test_idx"],
                "repeat": r["repeat"],
                "variant": r["variant"],
                "providerIdx": r["provider_idx"],
                "promptIdx": r["prompt_idx"],
                "promptVersion": col.prompt.display,
                "model": r["model"],
                "attempts": r["attempts"],
                "cachedCost": r["cached_cost"],
                "graderCost": r.get("grader_cost"),
                "tokenSource": r["token_source"],
                "latencyMs": r["latency_ms"],
                "wallMs": r["wall_ms"],
                "fallbackUsed": r["fallback_used"],
                "finishReason": r["finish_reason"],
                "guardrailFailures": r["guardrail_failures"] or 0,
                "compression": json.loads(r["compression"]) if r["compression"] else None,
            },
        }
    )
    return out


def prompts_header(db: Database, info: RunInfo) -> list[dict[str, Any]]:
    """`results.prompts[]`: one CompletedPrompt per (provider, prompt, variant), with metrics."""
    metrics = column_metrics(db, info)
    derived = run_config(info).get("derived_metrics") or []
    out = []
    for col in info.columns:
        m = metrics.get((col.provider.idx, col.prompt.idx, col.variant))
        if m is None:
            m = column_metrics_empty()
        usage = token_usage(m["tokens_in"], m["tokens_out"], False, m["n"] - m["error"])
        usage["cached"] = m["cached_tokens"]
        entry: dict[str, Any] = {
            "id": col.prompt.sha256,
            "raw": col.prompt.raw,
            "label": col.prompt.label,
            "provider": col.provider.label,
            "metrics": {
                "score": m["score"],
                "testPassCount": m["pass"],
                "testFailCount": m["fail"],
                "testErrorCount": m["error"],
                "assertPassCount": m["assert_pass"],
                "assertFailCount": m["assert_fail"],
                "totalLatencyMs": round(m["latency"]),
                "tokenUsage": {**usage, "assertions": _empty_assertion_usage()},
                # promptfoo writes derivedMetrics next to the named scores they are computed from
                "namedScores": {**m["named"], **evaluate_derived_metrics(m["named"], m["n"], derived)}
                if derived
                else m["named"],
                "namedScoresCount": m["named_count"],
                "namedScoreWeights": {},
                "cost": m["cost"],
            },
        }
        if col.variant != "none":
            entry["workbench"] = {"variant": col.variant}
        out.append(entry)
    return out


def column_metrics_empty() -> dict[str, Any]:
    return {
        "n": 0,
        "score": 0.0,
        "pass": 0,
        "fail": 0,
        "error": 0,
        "latency": 0.0,
        "tokens_in": 0,
        "tokens_out": 0,
        "cached_tokens": 0,
        "cost": 0.0,
        "assert_pass": 0,
        "assert_fail": 0,
        "named": {},
        "named_count": {},
    }


def stats(db: Database, info: RunInfo) -> dict[str, Any]:
    row = db.execute(
        "select sum(success and error is null), sum(case when error is null and success = 0 then 1 else 0 end),"
        " sum(case when error is not null then 1 else 0 end), sum(tokens_in), sum(tokens_out),"
        " sum(case when cached then coalesce(tokens_in, 0) + coalesce(tokens_out, 0) else 0 end),"
        " sum(case when error is null then 1 else 0 end)"
        " from results where run_id = ?",
        [info.run["id"]],
    ).fetchone()
    ok, fail, err, tin, tout, cached_tok, requests = (v or 0 for v in row)
    usage = token_usage(tin, tout, False, requests)
    usage["cached"] = cached_tok
    out: dict[str, Any] = {
        "successes": ok,
        "failures": fail,
        "errors": err,
        "tokenUsage": {**usage, "assertions": grader_usage_sums(db, int(info.run["id"]))},
    }
    duration = _duration_ms(info.run.get("started_at"), info.run.get("finished_at"))
    if duration is not None:
        out["durationMs"] = duration
    return out


def _duration_ms(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    try:
        return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000)
    except ValueError:
        return None


def config_block(info: RunInfo) -> dict[str, Any]:
    """A sensible stand-in for promptfoo's `config` (the suite itself is not stored)."""
    out: dict[str, Any] = {}
    if info.run.get("description"):
        out["description"] = info.run["description"]
    out["prompts"] = [p.raw for p in info.prompts]
    out["providers"] = [{"id": p.id, "label": p.label} if p.promptfoo_label else p.id for p in info.providers]
    out["workbench"] = {"suitePath": info.run.get("suite_path"), "runConfig": run_config(info) or None}
    return out


def run_config(info: RunInfo) -> dict[str, Any]:
    """The run's stored options (RunConfig.public() plus acceptance and derivedMetrics)."""
    try:
        value = json.loads(info.run.get("config") or "null")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def write_json(db: Database, run_id: int, fh: IO[str]) -> None:
    info = load_run(db, run_id)
    fh.write('{\n  "evalId": ' + _dumps(eval_id(info)) + ',\n  "results": {\n    "version": 3,\n')
    fh.write('    "timestamp": ' + _dumps(iso_z(info.run.get("started_at"))) + ",\n")
    fh.write('    "prompts": ' + _dumps(prompts_header(db, info)) + ',\n    "results": [')
    first = True
    for row in iter_rows(db, info):
        fh.write("\n      " if first else ",\n      ")
        fh.write(encode_result(row, info))
        first = False
    fh.write("\n    ],\n" if not first else "],\n")
    fh.write('    "stats": ' + _dumps(stats(db, info)) + "\n  },\n")
    fh.write('  "config": ' + _dumps(config_block(info)) + ",\n")
    fh.write('  "shareableUrl": null,\n')
    fh.write('  "metadata": ' + _dumps(run_metadata(info)) + "\n}\n")


def run_metadata(info: RunInfo) -> dict[str, Any]:
    return {
        "producer": "workbench",
        "workbenchVersion": info.run.get("workbench_version"),
        "runId": info.run["id"],
        "status": info.run.get("status"),
        "gitSha": info.run.get("git_sha"),
        "exportedAt": iso_z(datetime.now().astimezone().isoformat()),
        "evaluationCreatedAt": iso_z(info.run.get("started_at")),
    }
