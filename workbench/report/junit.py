"""`-o out.junit.xml`: JUnit XML for CI test reporters, streamed.

Shaped like promptfoo 0.121.20's JUnit output: `<testsuites name="promptfoo">`, one
`<testsuite>` per (provider, prompt[, variant]) named `[provider] prompt N`, one `<testcase>` per
result named `test N: description`, `<failure type="assertion">` for assertion failures and
`<error type="error">` for ERROR rows. Unlike promptfoo, the messages carry the actual reason.
Suite counts come from SQL up front; test cases are written as rows are read.
"""

from __future__ import annotations

import re
from typing import IO

from sqlite_utils import Database

from workbench.report.promptfoo_json import iso_z, row_reason
from workbench.report.source import ORDER_BY_COLUMN, Column, Row, RunInfo, column_metrics, iter_rows, load_run

MAX_NAME = 512
MAX_MESSAGE = 1024
MAX_DETAIL = 8192
# Characters XML 1.0 cannot carry, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def attr(text: str) -> str:
    text = clean(text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def body(text: str) -> str:
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inline(text: str | None, fallback: str, limit: int = MAX_NAME) -> str:
    value = re.sub(r"\s+", " ", text or "").strip() or fallback
    return value if len(value) <= limit else value[: limit - 3] + "..."


def seconds(ms: float | None) -> str:
    return f"{max(ms or 0.0, 0.0) / 1000:.3f}"


def suite_name(col: Column) -> str:
    name = f"[{inline(col.provider.label, 'unknown provider')}] prompt {col.prompt.idx + 1}"
    if col.prompt.display and col.prompt.display != col.prompt.label:
        name += f" ({col.prompt.display})"
    if col.variant != "none":
        name += f" [{col.variant}]"
    return inline(name, "suite")


def testcase_xml(row: Row, info: RunInfo, classname: str) -> str:
    r = row.r
    name = f"test {r['test_idx'] + 1}"
    if info.repeats > 1:
        name += f" repeat {r['repeat'] + 1}"
    desc = inline(row.description, "")
    if desc:
        name += f": {desc}"
    head = (
        f'    <testcase classname="{attr(classname)}" name="{attr(inline(name, "test"))}"'
        f' time="{seconds(r["latency_ms"])}"'
    )
    error = r["error"]
    if error is not None:
        message = inline(error, "Evaluation error", MAX_MESSAGE)
        detail = f"Reason: {error}"[:MAX_DETAIL]
        return f'{head}>\n      <error message="{attr(message)}" type="error">{body(detail)}</error>\n    </testcase>\n'
    if r["success"]:
        return head + "/>\n"
    reason = row_reason(row)
    lines = [f"Score: {r['score']}", f"Reason: {reason}"]
    failed = [c for c in row.components if not c.pass_]
    if failed:
        lines.append("Failed assertions:")
        lines.extend(f"- {c.type}{f' ({c.metric})' if c.metric else ''}: {c.reason}" for c in failed)
    detail = "\n".join(lines)[:MAX_DETAIL]
    message = inline(reason, "Assertion failed", MAX_MESSAGE)
    return (
        f'{head}>\n      <failure message="{attr(message)}" type="assertion">{body(detail)}</failure>\n'
        "    </testcase>\n"
    )


def write_junit(db: Database, run_id: int, fh: IO[str]) -> None:
    info = load_run(db, run_id)
    metrics = column_metrics(db, info)
    totals = {"tests": 0, "failures": 0, "errors": 0, "latency": 0.0}
    for m in metrics.values():
        totals["tests"] += m["n"]
        totals["failures"] += m["fail"]
        totals["errors"] += m["error"]
        totals["latency"] += m["latency"]
    stamp = iso_z(info.run.get("started_at"))
    fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    fh.write(
        f'<testsuites errors="{totals["errors"]}" failures="{totals["failures"]}" name="promptfoo"'
        f' skipped="0" tests="{totals["tests"]}" time="{seconds(totals["latency"])}">\n'
    )
    current: tuple[int, int, str] | None = None
    classname = ""
    for row in iter_rows(db, info, order=ORDER_BY_COLUMN):
        key = (row.r["provider_idx"], row.r["prompt_idx"], row.r["variant"])
        if key != current:
            if current is not None:
                fh.write("  </testsuite>\n")
            current = key
            col = info.column(*key)
            m = metrics[key]
            classname = suite_name(col)
            fh.write(
                f'  <testsuite errors="{m["error"]}" failures="{m["fail"]}" name="{attr(classname)}" skipped="0"'
                f' tests="{m["n"]}" time="{seconds(m["latency"])}"' + (f' timestamp="{stamp}"' if stamp else "") + ">\n"
            )
        fh.write(testcase_xml(row, info, classname))
    if current is not None:
        fh.write("  </testsuite>\n")
    fh.write("</testsuites>\n")
