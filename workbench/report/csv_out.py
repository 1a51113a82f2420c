"""`-o out.csv`: one row per result (long format, for spreadsheets and pandas), streamed.

promptfoo's CSV is its wide web table (one row per test, one column group per prompt); a long
table with one fact per column is what analysis tools want, so workbench writes that instead.
Each test var gets its own `var_<name>` column (the union over the run's tests).
"""

from __future__ import annotations

import csv
import json
from typing import IO, Any

from sqlite_utils import Database

from workbench.report.promptfoo_json import row_reason
from workbench.report.source import iter_rows, load_run

BASE_COLUMNS = [
    "run_id",
    "test_idx",
    "repeat",
    "description",
    "prompt_idx",
    "prompt",
    "variant",
    "provider_idx",
    "provider_id",
    "provider_label",
    "status",
    "success",
    "score",
    "named_scores",
    "reason",
    "failed_assertions",
    "guardrail_failures",
    "output",
    "tokens_in",
    "tokens_out",
    "cost",
    "grader_cost",
    "latency_ms",
    "cached",
    "attempts",
]


def status_of(success: Any, error: Any) -> str:
    if error is not None:
        return "ERROR"
    return "PASS" if success else "FAIL"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def var_names(db: Database, run_id: int) -> list[str]:
    rows = db.execute(
        "select distinct j.key from test_cases t, json_each(t.vars) j where t.run_id = ? and json_valid(t.vars)",
        [run_id],
    )
    return sorted(str(r[0]) for r in rows)


def write_csv(db: Database, run_id: int, fh: IO[str]) -> None:
    info = load_run(db, run_id)
    names = var_names(db, run_id)
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(BASE_COLUMNS[:4] + [f"var_{n}" for n in names] + BASE_COLUMNS[4:])
    for row in iter_rows(db, info):
        r = row.r
        col = info.column(r["provider_idx"], r["prompt_idx"], r["variant"])
        error = r["error"]
        failed = [c.type for c in row.components if not c.pass_ and c.parent_idx is None]
        writer.writerow(
            [
                run_id,
                r["test_idx"],
                r["repeat"],
                _cell(row.description),
                *(_cell(row.vars.get(n)) for n in names),
                r["prompt_idx"],
                col.prompt.display,
                r["variant"],
                r["provider_idx"],
                col.provider.id,
                col.provider.label,
                status_of(r["success"], error),
                int(bool(r["success"]) and error is None),
                r["score"] if error is None else 0,
                _cell(r["named_scores"]),
                error if error is not None else row_reason(row),
                ";".join(failed),
                r["guardrail_failures"] or 0,
                _cell(r["output"]),
                _cell(r["tokens_in"]),
                _cell(r["tokens_out"]),
                _cell(r["cost"]),
                _cell(r.get("grader_cost")),
                _cell(r["latency_ms"]),
                int(bool(r["cached"])),
                _cell(r["attempts"]),
            ]
        )
