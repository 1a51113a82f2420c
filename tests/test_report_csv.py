"""`-o out.csv`: one row per result, fixed columns plus one `var_<name>` column per test var."""

from __future__ import annotations

import csv
from pathlib import Path

from report_fixtures import sample_run

from workbench.report import write_outputs
from workbench.report.csv_out import BASE_COLUMNS
from workbench.store.db import open_db


def test_csv_columns_and_rows(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    run_id = sample_run(db)
    out = tmp_path / "out.csv"
    write_outputs(db, run_id, [out])
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
        fh.seek(0)
        header = next(csv.reader(fh))
    assert header == [*BASE_COLUMNS[:4], "var_order", "var_ticket", *BASE_COLUMNS[4:]]
    assert len(rows) == 12
    assert [r["status"] for r in rows].count("PASS") == 4
    assert [r["status"] for r in rows].count("FAIL") == 4
    assert [r["status"] for r in rows].count("ERROR") == 4
    first = rows[0]
    assert (first["test_idx"], first["prompt"], first["provider_id"], first["var_order"]) == (
        "0",
        "ticket_summary/v1",
        "echo",
        "A-1",
    )
    assert first["reason"] == "All assertions passed" and first["failed_assertions"] == ""
    fail = next(r for r in rows if r["status"] == "FAIL")
    assert fail["failed_assertions"] == "assert-set;not-regex"
    assert fail["guardrail_failures"] == "1"
    assert fail["description"] == 'pii <&> "quoted"'
    unknown = next(r for r in rows if r["status"] == "FAIL" and r["provider_label"] == "mini")
    assert unknown["cost"] == ""  # unknown price: empty, never 0
    err = next(r for r in rows if r["status"] == "ERROR" and r["provider_id"] == "openai:gpt-4o-mini")
    assert err["reason"] == "HTTP 500 from provider" and err["output"] == "" and err["attempts"] == "3"
