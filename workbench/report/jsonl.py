"""`-o out.jsonl`: one promptfoo EvaluateResult per line (promptfoo's JSONL output), streamed."""

from __future__ import annotations

from typing import IO

from sqlite_utils import Database

from workbench.report.promptfoo_json import encode_result
from workbench.report.source import iter_rows, load_run


def write_jsonl(db: Database, run_id: int, fh: IO[str]) -> None:
    info = load_run(db, run_id)
    for row in iter_rows(db, info):
        fh.write(encode_result(row, info))
        fh.write("\n")
