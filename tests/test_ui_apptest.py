"""Every UI page rendered with Streamlit's AppTest on a small real database (tests/ui_data.py)."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_data import MODELS, PICK, build_ui_db
from ui_tables import html_tables, shown_metrics

from workbench.analysis.cost import cost_by
from workbench.analysis.pairs import pair_stats
from workbench.analysis.projection import project
from workbench.format import fmt_cost
from workbench.md_escape import md
from workbench.store.db import open_db
from workbench.ui.widgets import FAIL_BG, OPENED, PASS_BG

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "workbench" / "ui" / "app.py"


@pytest.fixture(scope="module")
def ui_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ui")
    path = root / "wb.db"
    assert build_ui_db(root, path) == [1, 2]
    return path


@pytest.fixture
def use_db(ui_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("WORKBENCH_DB", str(ui_db))
    yield ui_db


def render(page: str, **params: Any) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    for k, v in params.items():
        at.query_params[k] = str(v)
    at.switch_page(f"routes/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.get("vega_lite_chart") and not at.get("arrow_vega_lite_chart")  # charts are SVG
    return at


def charts(at: AppTest) -> list[ET.Element]:
    """The page's charts (`widgets.svg`: an inline SVG in one raw-HTML Markdown block), parsed."""
    out = []
    for m in at.markdown:
        body = str(m.value)
        if body.startswith("<div>\n<svg"):
            assert m.proto.allow_html and body.endswith("</svg>\n</div>")
            out.append(ET.fromstring(body.removeprefix("<div>\n").removesuffix("\n</div>")))
    return out


def chart_texts(chart: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in chart.iter("text")]


def texts(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("markdown", "caption", "success", "warning", "info", "error", "subheader", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [e.label for e in at.expander]
    parts += [f"{m.label}={m.value}" for m in shown_metrics(at).values()]
    return "\n".join(parts)


def frames(at: AppTest) -> str:
    return "\n".join(df.value.to_string() for df in at.dataframe)


def test_overview_lists_runs_and_trend(use_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.ui.widgets import FAIL_BG, PASS_BG

    at = render("overview")
    assert not at.dataframe  # static HTML tables, no data grid (issue 18)
    [runs] = html_tables(at)
    assert runs.headers == [
        "run",
        "label",
        "pass rate",
        "suite",
        "started",
        "status",
        "git sha",
        "results",
        "cost",
        "tokens in",
        "tokens out",
        "errors",
        "guardrail failures",
        "cache hit ratio",
    ]
    assert runs.column("run") == ["2", "1"]  # newest first
    assert "acceptance target" in str(runs.header_titles["pass rate"])  # the header's hover help
    assert runs.column("label") == ["head", "base"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d\n\d\d:\d\d:\d\d", t) for t in runs.column("started"))  # date over time
    assert runs.column("results") == ["20", "20"]
    assert runs.column("pass rate") == ["▱▱▱▱▱▱▱▱▱▱  0.0%", "▰▰▰▰▰▱▱▱▱▱  50.0%"]
    assert runs.column("guardrail failures") == ["10", "10"]
    db = open_db(use_db)
    tokens_in, hits = db.execute("select tokens_in, cache_hit_ratio from runs where id = 1").fetchone()
    assert tokens_in > 0 and runs.row("run", "1")["tokens in"] == f"{tokens_in:,}"
    assert runs.row("run", "1")["cache hit ratio"] == f"{hits * 100:.1f}%"
    assert runs.row("run", "1")["cost"].startswith("$")
    # Both runs are below the default 90 % target: red. A copy whose run 1 was made with a 50 %
    # target shows run 1 green (at the target) and run 2 still red.
    assert [r["pass rate"] for r in runs.styles] == [FAIL_BG, FAIL_BG]
    copy = tmp_path / "target.db"
    copy.write_bytes(use_db.read_bytes())
    conn = sqlite3.connect(copy)
    conn.execute(
        """update runs set config = json_set(config, '$.acceptance', json('{"min_pass_rate": 0.5}')) where id = 1"""
    )
    conn.commit()
    conn.close()
    monkeypatch.setenv("WORKBENCH_DB", str(copy))
    [runs] = html_tables(render("overview"))
    assert [r["pass rate"] for r in runs.styles] == [FAIL_BG, PASS_BG]
    assert "Trend across runs of a suite" in texts(at)
    [trend] = charts(at)  # pass rate and cost per request: two panels of one chart
    assert {"Pass rate", "Cost per request", "target 90.0%"} <= set(chart_texts(trend))


def test_matrix_columns_filters_and_cell_details(use_db: Path) -> None:
    at = render("matrix", run=1)
    assert not at.dataframe  # static HTML tables, no data grid (issue 18)
    header, grid = html_tables(at)
    assert set(header.column("column")) == {
        f"reply/{v} · none · {m}" for v in ("v1", "v2") for m in ("gpt-4o-mini", "gpt-4o")
    }
    row = header.row("column", PICK)
    assert row["pass rate"] == "▰▰▰▰▰▰▰▰▰▰  100.0%"
    assert row["results"] == "5"
    assert len(grid.rows) == 5
    assert all(v.startswith("✓ pass") for v in grid.column(PICK))
    assert all(v.startswith("✗ fail") for v in grid.column("reply/v1 · none · gpt-4o"))
    # Each header names its pair's totals on hover.
    assert grid.header_titles[PICK] == f"{PICK} · pass rate 100.0% · mean score 1.00 · total cost $0.00009"
    assert "5** test cases match" in texts(at)

    # Filters from the URL: a regex over descriptions/vars/outputs narrows the rows.
    at = render("matrix", run=1, q="charged|parcel")
    assert html_tables(at)[1].column("test") == ["charged twice", "parcel stuck"]
    assert at.text_input[0].value == "charged|parcel"
    # "different across columns": every test differs in run 1 (v1 fails, v2 passes), none in run 2.
    assert len(html_tables(render("matrix", run=1, diff=1))[1].rows) == 5
    assert len(html_tables(render("matrix", run=2, diff=1))[1].rows) == 0
    # An invalid regex is a message, not a traceback.
    assert "invalid regular expression" in texts(render("matrix", run=1, q="("))

    rid = _result_id(use_db, 1, "refund for a torn backpack", "gpt-4o", 0)
    at = render("matrix", run=1, cell=rid)
    out = texts(at)
    assert "Test #0: refund for a torn backpack" in out
    codes = [c.value for c in at.code]
    assert (
        "Write a reply to Maria <maria@example.com> about this ticket: The strap is torn, I want my money back."
        in codes
    )
    assert any(c.startswith("echo: Write a reply to Maria") for c in codes)
    # The failed checks lead, each with its full reason (before the output and the prompt).
    assert [e.value for e in at.error] == [
        "**not-regex · guardrail/pii · guardrail**: " + md(_reason(use_db, rid, "guardrail/pii")),
        '**contains · quality/order-id**: Expected output to contain "NW-1"',
    ]
    header, grid, assertions = html_tables(at)
    assert assertions.column("metric") == ["quality/name", "guardrail/pii", "quality/order-id"]
    assert assertions.column("") == ["✓", "✗", "✗"]
    assert [s[""] for s in assertions.styles] == [PASS_BG, FAIL_BG, FAIL_BG]
    assert assertions.rows[2]["reason"] == 'Expected output to contain "NW-1"'
    # The opened cell is ringed in the grid; no other is.
    ringed = [(i, c) for i, st in enumerate(grid.styles) for c, v in st.items() if OPENED in v]
    assert ringed == [(0, "reply/v1 · none · gpt-4o")]
    assert grid.styles[0]["reply/v1 · none · gpt-4o"].startswith(FAIL_BG)  # the verdict colour stays


def test_matrix_cells_link_to_their_details_keeping_the_page_state(use_db: Path) -> None:
    """Every grid cell links to this page with its result in `cell` and every filter, the page and
    the page size kept: the link a click follows, and one anyone can share."""
    at = render("matrix", run=1, fail=1, q="torn|login", size=25)
    grid = html_tables(at)[1]
    assert grid.column("test") == ["refund for a torn backpack", "login loop"]
    for i, desc in enumerate(grid.column("test")):
        for model in MODELS:
            for v in ("v1", "v2"):
                params = grid.link_params(i, f"reply/{v} · none · {model}")
                assert params == {
                    "run": "1",
                    "fail": "1",
                    "q": "torn|login",
                    "size": "25",
                    "cell": str(_result_id(use_db, 1, desc, model, 0 if v == "v1" else 1)),
                }
    assert grid.hrefs[0].keys() == {f"reply/{v} · none · {m}" for v in ("v1", "v2") for m in MODELS}
    # Following a link: the same filters, the details of that cell.
    at = render("matrix", **grid.link_params(1, "reply/v2 · none · gpt-4o-mini"))
    assert "Test #1: login loop" in texts(at)
    assert "**Output**" in texts(at) and len(html_tables(at)) == 3
    assert html_tables(at)[1].column("test") == ["refund for a torn backpack", "login loop"]
    # A stale link (a result of another run, or none at all) opens nothing and leaves the URL.
    for stale in (_result_id(use_db, 2, "login loop", "gpt-4o", 0), 10**9):
        at = render("matrix", run=1, cell=stale)
        assert len(html_tables(at)) == 2 and not at.code
        assert "cell" not in at.query_params


def _result_id(db_path: Path, run_id: int, description: str, model: str, prompt_idx: int) -> int:
    row = (
        open_db(db_path)
        .execute(
            "select r.id from results r join test_cases t on t.run_id = r.run_id and t.test_idx = r.test_idx"
            " where r.run_id = ? and t.description = ? and r.provider_label = ? and r.prompt_idx = ?",
            [run_id, description, model, prompt_idx],
        )
        .fetchone()
    )
    return int(row[0])


def _reason(db_path: Path, result_id: int, metric: str) -> str:
    row = (
        open_db(db_path)
        .execute("select reason from assertion_results where result_id = ? and metric = ?", [result_id, metric])
        .fetchone()
    )
    return str(row[0])


def test_matrix_compact_mode_and_verdict_colours(use_db: Path) -> None:
    """Compact mode (the default from 8 columns; forced here) shows C1.. headers and the verdict;
    the header table maps C1.. to the pairs; cells are coloured by verdict."""
    from workbench.ui.views.matrix_view import cell_style
    from workbench.ui.widgets import ERROR_BG, rate_bar, rate_style

    at = render("matrix", run=1, compact=1)
    header, grid = html_tables(at)
    assert header.column("") == ["C1", "C2", "C3", "C4"]
    assert grid.headers == ["#", "test", "C1", "C2", "C3", "C4"]
    pick = header.row("column", PICK)[""]
    assert all(re.match(r"^✓ · \d\.\d\d$", v) for v in grid.column(pick))
    # A short header names its pair on hover; every cell carries its verdict's colour.
    assert grid.header_titles[pick].startswith(f"{PICK} · pass rate 100.0%")
    assert {st[pick] for st in grid.styles} == {PASS_BG}
    v1 = header.row("column", "reply/v1 · none · gpt-4o")[""]
    assert {st[v1] for st in grid.styles} == {FAIL_BG}
    assert [st["pass rate"] for st in header.styles] == [FAIL_BG, FAIL_BG, PASS_BG, PASS_BG]
    assert grid.link_params(0, pick)["compact"] == "1"  # links keep the mode
    assert (cell_style("✓ · 1.00"), cell_style("✗ 1/3"), cell_style("⚠ error")) == (PASS_BG, FAIL_BG, ERROR_BG)
    assert rate_bar(0.864) == "▰▰▰▰▰▰▰▰▰▱  86.4%"
    assert (rate_style(0.9, 0.9), rate_style(0.86, 0.9), rate_style(0.86, None)) == (PASS_BG, FAIL_BG, "")


def test_versions_diff_deltas_and_flips(use_db: Path) -> None:
    at = render("versions", family="reply", v1="v1", v2="v2", run=1)
    assert not at.dataframe
    versions, deltas, flips = html_tables(at)
    assert versions.column("version") == ["v1", "v2"]
    assert versions.column("tokens (template)") == ["18", "11"]
    # The text diff, word by word: removed words struck through, inserted ones highlighted.
    [diff] = [m.value for m in at.markdown if "line-through" in str(m.value)]
    assert '<span style="background: #ffebe9; color: #82071e; text-decoration: line-through">Write a reply' in diff
    assert "&lt;" in diff and "<{{" not in diff  # the template's own text, escaped
    assert ">Reply</span>" in diff and "about" in diff
    assert set(deltas.column("model")) == {"gpt-4o-mini", "gpt-4o"}
    assert deltas.column("Δ pass rate") == ["+100.0 pp", "+100.0 pp"]
    assert deltas.column("Δ guardrail failures") == ["-5", "-5"]
    out = texts(at)
    assert "Flipped tests: 0 broke, 10 fixed" in out
    assert flips.column("") == ["fixed"] * 10
    # The excerpts show the part that changed, marked like `workbench diff` marks it.
    assert all("[-" in v for v in flips.column("v1 output"))
    assert all("{+" in v for v in flips.column("v2 output"))
    assert flips.rows[0]["v1 output"].startswith("echo: [-Write a reply-] to Maria [-<maria@example.com> -]about")
    # Outputs in full open from the table: each test links to its row (`flip`), the page kept.
    assert not at.code
    assert "Click a test to see both outputs in full." in texts(at)
    assert [flips.link_params(i, "test") for i in (0, 9)] == [
        {"v1": "v1", "v2": "v2", "run": "1", "flip": "0"},
        {"v1": "v1", "v2": "v2", "run": "1", "flip": "9"},
    ]
    assert not any("#ddf4ff" in v for st in flips.styles for v in st.values())  # nothing opened: no highlight
    at = render("versions", **flips.link_params(0, "test"))
    codes = [c.value for c in at.code]
    assert codes[0].startswith("echo: Write a reply to Maria <maria@example.com>")
    assert codes[1] == "echo: Reply to Maria about order NW-1. Ticket: The strap is torn, I want my money back."
    flips = html_tables(at)[2]
    assert ["#ddf4ff" in st["test"] for st in flips.styles] == [True] + [False] * 9  # the opened row is highlighted
    # A stale row (out of range) opens nothing and leaves the URL.
    at = render("versions", family="reply", v1="v1", v2="v2", run=1, flip=10)
    assert not at.code and "flip" not in at.query_params


def test_guardrails_by_metric_prompt_model_with_outputs(use_db: Path) -> None:
    at = render("guardrails", run=1)
    out = texts(at)
    assert "Guardrail checks=20" in out
    assert "Failed checks=10" in out
    assert not at.dataframe
    [failures] = html_tables(at)
    assert len(failures.rows) == 10
    assert set(failures.column("metric")) == {"guardrail/pii"}
    assert set(failures.column("prompt")) == {"reply/v1"}
    assert failures.rows[0]["output"].startswith("echo: Write a reply to Maria <maria@example.com>")
    assert not at.code  # the whole output opens from its row's link
    assert failures.link_params(3, "test") == {"run": "1", "item": "3"}
    at = render("guardrails", **failures.link_params(3, "test"))
    assert failures.rows[3]["test"] == "#1 login loop"
    assert "tom@example.com" in at.code[0].value
    assert [bool(st["test"]) for st in html_tables(at)[0].styles] == [i == 3 for i in range(10)]
    # One chart, grouped by metric unless the URL asks for prompt version or model.
    [chart] = charts(at)
    assert {"By metric", "guardrail/pii"} <= set(chart_texts(chart))
    for by, title, name in (("prompt", "By prompt version", "reply/v1"), ("model", "By model", "gpt-4o")):
        [chart] = charts(render("guardrails", run=1, by=by))
        assert {title, name} <= set(chart_texts(chart))
    at = render("guardrails", run=1, model="gpt-4o", metric="guardrail/pii", item=1)
    [failures] = html_tables(at)
    assert failures.column("model") == ["gpt-4o"] * 5
    assert "tom@example.com" in at.code[0].value
    # The links keep the filters.
    assert failures.link_params(4, "test") == {"run": "1", "model": "gpt-4o", "metric": "guardrail/pii", "item": "4"}


def test_recommendation_pick_warning_and_controls(use_db: Path) -> None:
    from workbench.ui.widgets import FAIL_BG, PASS_BG

    at = render("recommendation", run=1)
    assert PICK in at.success[0].value
    assert "$0.000018 per request" in at.success[0].value
    assert "not clearly better than the runner-up" in at.warning[0].value
    assert not at.dataframe
    [table] = html_tables(at)
    assert table.headers == [
        "pair",
        "role",
        "pass rate",
        "95% interval",
        "n",
        "cost / request",
        "cost / pass",
        "mean score",
        "guardrail failures",
        "errors",
        "why excluded",
    ]
    # The acceptable pairs first, cheapest first (the pick, then the runner-up), then the excluded by name.
    names = [PICK, "reply/v2 · none · gpt-4o", "reply/v1 · none · gpt-4o", "reply/v1 · none · gpt-4o-mini"]
    assert [t["pair"] for t in table.titles] == names  # the full name on hover
    assert table.column("pair") == [n.replace(" · gpt", "\ngpt") for n in names]  # the model on its own line
    assert table.column("role") == ["pick", "runner-up", "excluded", "excluded"]
    pick, excluded = table.rows[0], table.rows[2]
    assert pick["pass rate"] == "▰▰▰▰▰▰▰▰▰▰  100.0%" and table.styles[0]["pass rate"] == PASS_BG
    assert excluded["pass rate"] == "▱▱▱▱▱▱▱▱▱▱  0.0%" and table.styles[2]["pass rate"] == FAIL_BG
    assert table.styles[0]["role"].startswith(PASS_BG) and PASS_BG not in table.styles[2]["role"]
    assert pick["n"] == "5" and pick["95% interval"] == "57%–100%"
    assert pick["cost / request"] == "$0.000018" and pick["why excluded"] == ""
    assert "5 guardrail failures" in excluded["why excluded"]
    assert excluded["cost / pass"] == "- (no passes)"
    [chart] = charts(at)
    # Every point carries a short label (the family and the variant are common to all: left out).
    labels = {"v1 · gpt-4o", "v1 · gpt-4o-mini", "v2 · gpt-4o", "v2 · gpt-4o-mini"}
    assert labels <= set(chart_texts(chart)) and "target 90.0%" in chart_texts(chart)
    # The log axis (`logx` in the URL) places the same points.
    [chart] = charts(render("recommendation", run=1, logx=1))
    assert labels <= set(chart_texts(chart)) and at.toggle[0].value is False
    # Run 2 fails the target everywhere: no pick, and the page says why.
    at = render("recommendation", run=2)
    assert "no pair meets the criteria" in at.error[0].value
    # Lower the target and tolerate guardrail failures: v1 on the small model becomes acceptable.
    at = render("recommendation", run=2, target=0.0, guardok=1)
    assert "reply/v2 · none · gpt-4o-mini" in at.success[0].value
    assert at.slider[0].value == 0.0
    assert at.checkbox[0].value is True


def test_cost_breakdowns_and_projection(use_db: Path) -> None:
    from workbench.ui.widgets import FAIL_BG, PASS_BG

    at = render("cost", run=1, rpd=1000)
    assert not at.dataframe
    by_model, proj, prices, metrics = html_tables(at)
    assert by_model.headers == [
        "name",
        "results",
        "pass rate",
        "cost / request",
        "cost / passing test",
        "spent",
        "tokens in",
        "tokens out",
        "cache hits",
    ]
    db = open_db(use_db)
    expected = {g.name: g for g in cost_by(db, 1, "model")}
    assert by_model.column("name") == ["gpt-4o", "gpt-4o-mini"]  # the most expensive per request first
    for row, style in zip(by_model.rows, by_model.styles, strict=True):
        name = row["name"]
        assert row["cost / request"] == fmt_cost(expected[name].mean_cost)
        assert row["spent"] == fmt_cost(expected[name].spent)
        assert row["tokens in"] == f"{expected[name].tokens_in:,}"
        assert row["results"] == "10"
        # Each model passes half its tests (v2 all, v1 none): red against the 90 % target.
        assert row["pass rate"] == "▰▰▰▰▰▱▱▱▱▱  50.0%" and style["pass rate"] == FAIL_BG
    assert expected["gpt-4o"].mean_cost > expected["gpt-4o-mini"].mean_cost > 0
    [chart] = charts(at)  # $ per request by model, dearest first, each bar with its amount
    shown = chart_texts(chart)
    assert [t for t in shown if t in expected] == ["gpt-4o", "gpt-4o-mini"]
    assert fmt_cost(expected["gpt-4o-mini"].mean_cost) in shown
    pick = next(p for p in pair_stats(db, [1]) if p.name == PICK)
    assert proj.column("pair")[0] == f"{PICK}  ★ recommended"  # acceptable pairs first, cheapest first
    assert proj.row("pair", f"{PICK}  ★ recommended")["per month (30 days), no cache"] == fmt_cost(
        project(pick, 1000).monthly_cost
    )
    assert set(prices.column("model")) == {"gpt-4o-mini", "gpt-4o"}
    assert all(p.startswith("litellm:") for p in prices.column("price"))
    assert len(metrics.rows) == 4 and "retry rate" in metrics.headers
    assert at.number_input[0].value == 1000.0
    assert "has no variants besides `none`" in texts(at)
    at = render("cost", run=1, by="version")
    by_version = html_tables(at)[0]
    styles = dict(zip(by_version.column("name"), (s["pass rate"] for s in by_version.styles), strict=True))
    assert by_version.column("name") == [g.name for g in cost_by(db, 1, "version")]
    assert set(by_version.column("name")) == {"reply/v1", "reply/v2"}
    # v2 passes every test: green; v1 none: red.
    assert styles == {"reply/v2": PASS_BG, "reply/v1": FAIL_BG}


def test_compare_runs_counts_and_drilldown(use_db: Path) -> None:
    at = render("compare", base=1, head=2)
    out = texts(at)
    assert "Regressed=10" in out
    assert "Improved=0" in out
    assert not at.dataframe
    pairs, regressions = html_tables(at)  # one list of changed tests at a time: the regressions first
    assert pairs.column("pair")[:2] == ["reply/v2 · none · gpt-4o", "reply/v2 · none · gpt-4o-mini"]
    assert pairs.column("regressed") == ["5", "5", "0", "0"]
    # the exact McNemar verdict: 10 flips one way is significant overall, 5 per pair is not
    assert "**Verdict:** regressed (10 regressed vs 0 improved, McNemar p = 0.002 < 0.05)" in out
    assert pairs.column("verdict")[:2] == ["inconclusive", "inconclusive"]
    assert pairs.column("McNemar p")[0] == "0.0625"
    assert at.get("button_group")[0].proto.label == "Changed tests"
    assert len(regressions.rows) == 10
    assert set(regressions.column("pass rate baseline")) == {"100.0%"}
    assert set(regressions.column("pass rate newer")) == {"0.0%"}
    assert not at.code  # both outputs open from a row's link
    assert regressions.link_params(0, "test") == {"base": "1", "head": "2", "item": "0"}
    at = render("compare", **regressions.link_params(0, "test"))
    codes = [c.value for c in at.code]
    assert codes[0].startswith("echo: Reply to") and "about order NW-" in codes[0]
    assert codes[1].startswith("echo: Reply to") and "about order" not in codes[1]
    assert [bool(st["pair"]) for st in html_tables(at)[1].styles] == [True] + [False] * 9
    # The improvements list (empty here) is one click away, and the choice is in the URL.
    at = render("compare", base=1, head=2, show="improved", item=0)
    assert len(html_tables(at)) == 1
    assert "None." in texts(at)
    assert not at.code
    # A stale row (out of range) opens nothing and leaves the URL.
    at = render("compare", base=1, head=2, item=10)
    assert not at.code and "item" not in at.query_params


def test_empty_and_missing_database_show_how_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.db"
    monkeypatch.setenv("WORKBENCH_DB", str(missing))
    for page in ("overview", "matrix", "recommendation", "compare"):
        out = texts(render(page))
        assert "does not exist yet" in out
        assert "workbench run suites/ticket_summary.yaml" in out
    assert not missing.exists()  # the UI never creates a database
    open_db(missing).conn.close()
    for page in ("overview", "versions", "guardrails", "cost"):
        assert "No runs yet" in texts(render(page))


def test_older_schema_is_migrated(ui_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "old.db"
    old.write_bytes(ui_db.read_bytes())
    conn = sqlite3.connect(old)
    conn.execute("drop table routers")
    conn.execute("drop index idx_results_pair_stats")
    conn.execute("drop index idx_results_named_scores")
    conn.execute("delete from _sqlite_migrations where name != 'm001_initial'")
    conn.commit()
    conn.close()
    monkeypatch.setenv("WORKBENCH_DB", str(old))
    at = render("recommendation", run=1)
    assert PICK in at.success[0].value
    conn = sqlite3.connect(old)
    names = {r[0] for r in conn.execute("select name from _sqlite_migrations")}
    assert {"m002_routers", "m003_analysis_indexes"} <= names


def test_diff_html_escapes_and_stays_one_markdown_block() -> None:
    from workbench.analysis.diff import word_diff
    from workbench.ui.widgets import diff_html

    runs = word_diff("Hi <b>{{name}}</b>\n\nold", "Hi <script>x</script>\n\nnew")
    out = diff_html(runs)
    assert "<script" not in out and "<b>" not in out and "</b" not in out
    assert out.count("&lt;") == sum(t.count("<") for _, t in runs) > 0  # every bracket escaped
    assert "\n" not in out and out.count("<br>") == 2  # a blank line would end the HTML block
    assert "line-through" in out and ">old</span>" in out and ">new</span>" in out


def test_an_opened_row_closes_when_its_table_changes(use_db: Path) -> None:
    """The `item` in the URL names a row of one table (run, filters, page): filtering to other rows
    closes it instead of opening whatever row now has that index."""
    at = render("guardrails", run=1, item=0)
    assert "maria@example.com" in at.code[0].value
    at.selectbox(key="w_gmodel").select("gpt-4o").run()
    assert not at.exception
    assert html_tables(at)[0].column("model") == ["gpt-4o"] * 5
    assert not at.code
    assert "item" not in at.query_params
