"""The end-of-run summary table: counts, pass rate, tokens, cost (unknown != $0), latency percentiles."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from report_fixtures import sample_run

from workbench.report.summary import print_summary, summary_rows
from workbench.store.db import open_db


def test_summary_rows(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    run_id = sample_run(db)
    rows = summary_rows(db, run_id)
    assert [(r.prompt, r.provider) for r in rows] == [
        ("ticket_summary/v1", "echo"),
        ("ticket_summary/v2", "echo"),
        ("ticket_summary/v1", "mini"),
        ("ticket_summary/v2", "mini"),
    ]
    echo_v1, _, mini_v1, _ = rows
    assert (echo_v1.passes, echo_v1.failures, echo_v1.errors, echo_v1.results) == (1, 1, 1, 3)
    assert echo_v1.pass_rate == pytest.approx(1 / 3)
    assert (echo_v1.tokens_in, echo_v1.tokens_out) == (30, 24)
    assert echo_v1.cost == 0.0
    assert mini_v1.cost is None  # one call with an unknown price
    assert echo_v1.latency_p50 == pytest.approx(200.0)  # 100, 200, 300
    assert echo_v1.latency_p95 == pytest.approx(290.0)  # linear interpolation
    assert mini_v1.latency_p50 == pytest.approx(150.0)  # 100, 200 (the provider error has none)
    assert mini_v1.cache_hits == 1
    assert mini_v1.retries == 3  # attempts 2 and 3 -> 1 + 2 retries
    assert echo_v1.guardrail_failures == 1


def test_plain_text_summary_when_not_a_tty(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    run_id = sample_run(db)
    buf = io.StringIO()
    print_summary(db, run_id, wall_s=2.5, file=buf)
    lines = buf.getvalue().splitlines()
    assert lines[0].split() == [
        "prompt", "variant", "provider", "pass", "fail", "error", "pass", "rate", "guardrail", "fails", "tokens", "in",
        "tokens", "out", "cost", "p50", "p95", "cache", "hits", "retries",
    ]  # fmt: skip
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == [
        "ticket_summary/v1",
        "none",
        "echo",
        "1",
        "1",
        "1",
        "33.3%",
        "1",
        "30",
        "24",
        "$0",
        "200",
        "ms",
        "290",
        "ms",
        "0",
        "0",
    ]
    assert lines[4].split()[10] == "unknown"
    assert "\x1b[" not in buf.getvalue()
    totals = next(i for i, line in enumerate(lines) if line.startswith("Run 1 "))
    assert (
        lines[totals]
        == "Run 1 (completed): 12 results, 4 passed, 4 failed, 4 errors; pass rate 33.3%; cost unknown; 6 retries, 0 fallbacks; 2.5 s"
    )
    assert lines[totals + 1] == "Errors:"  # every ERROR row's reason is printed with its count
    assert sum(int(line.split(" × ")[0]) for line in lines[totals + 2 :] if " × " in line) == 4


def test_rich_table_on_a_tty(tmp_path: Path) -> None:
    db = open_db(tmp_path / "r.db")
    run_id = sample_run(db)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    buf = Tty()
    print_summary(db, run_id, file=buf)
    text = buf.getvalue()
    assert "┏" in text and "Run 1" in text  # a rich table
    assert "cost unknown" in text
