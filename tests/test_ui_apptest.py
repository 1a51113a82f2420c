"""Every UI page rendered with Streamlit's AppTest on a small real database (tests/ui_data.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_data import PICK, build_ui_db

from workbench.analysis.cost import cost_by
from workbench.analysis.pairs import pair_stats
from workbench.analysis.projection import project
from workbench.format import fmt_cost
from workbench.md_escape import md
from workbench.store.db import open_db

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
    validate_charts(at)
    return at


def validate_charts(at: AppTest) -> None:
    """Every chart a page draws is valid Vega-Lite (the pages skip Altair's own validation for speed)."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    for chart in at.get("vega_lite_chart"):
        validate_jsonschema(json.loads(chart.proto.spec), load_schema())


def texts(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("markdown", "caption", "success", "warning", "info", "error", "subheader", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [e.label for e in at.expander]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)


def frames(at: AppTest) -> str:
    return "\n".join(df.value.to_string() for df in at.dataframe)


def test_overview_lists_runs_and_trend(use_db: Path) -> None:
    at = render("overview")
    runs = at.dataframe[0].value
    assert list(runs["run"]) == [2, 1]
    assert list(runs["label"]) == ["head", "base"]
    assert runs["results"].tolist() == [20, 20]
    assert runs["pass rate"].tolist() == ["▱▱▱▱▱▱▱▱▱▱  0.0%", "▰▰▰▰▰▱▱▱▱▱  50.0%"]
    assert runs["guardrail failures"].tolist() == [10, 10]
    assert "Trend across runs of a suite" in texts(at)
    [trend] = at.get("vega_lite_chart")  # pass rate and cost per request: two panels of one chart
    panels = json.loads(trend.proto.spec)["vconcat"]
    assert [panel["title"] for panel in panels] == ["Pass rate", "Cost per request"]


def test_matrix_columns_filters_and_cell_details(use_db: Path) -> None:
    at = render("matrix", run=1)
    header = at.dataframe[0].value
    assert set(header["column"]) == {f"reply/{v} · none · {m}" for v in ("v1", "v2") for m in ("gpt-4o-mini", "gpt-4o")}
    row = header[header["column"] == PICK].iloc[0]
    assert row["pass rate"] == "▰▰▰▰▰▰▰▰▰▰  100.0%"
    assert row["results"] == 5
    grid = at.dataframe[1].value
    assert len(grid) == 5
    assert grid[PICK].str.startswith("✓ pass").all()
    assert grid["reply/v1 · none · gpt-4o"].str.startswith("✗ fail").all()
    assert "5** test cases match" in texts(at)

    # Filters from the URL: a regex over descriptions/vars/outputs narrows the rows.
    at = render("matrix", run=1, q="charged|parcel")
    assert at.dataframe[1].value["test"].tolist() == ["charged twice", "parcel stuck"]
    assert at.text_input[0].value == "charged|parcel"
    # "different across columns": every test differs in run 1 (v1 fails, v2 passes), none in run 2.
    assert len(render("matrix", run=1, diff=1).dataframe[1].value) == 5
    assert len(render("matrix", run=2, diff=1).dataframe[1].value) == 0
    # An invalid regex is a message, not a traceback.
    assert "invalid regular expression" in texts(render("matrix", run=1, q="("))

    db = open_db(use_db)
    rid = db.execute(
        "select r.id from results r join test_cases t on t.run_id = r.run_id and t.test_idx = r.test_idx"
        " where r.run_id = 1 and t.description = 'refund for a torn backpack' and r.provider_label = 'gpt-4o'"
        " and r.prompt_idx = 0"
    ).fetchone()[0]
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
    assertions = at.dataframe[2].value
    assert assertions["metric"].tolist() == ["quality/name", "guardrail/pii", "quality/order-id"]
    assert assertions[""].tolist() == ["✓", "✗", "✗"]
    assert assertions["reason"].iloc[2] == 'Expected output to contain "NW-1"'


def _chart_rows(chart: Any) -> list[list[dict[str, Any]]]:
    """The rows of a chart's dataset (sent beside the spec as Arrow)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    return [convert_arrow_bytes_to_pandas_df(d.data.data).to_dict("records") for d in chart.proto.datasets]


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
    from workbench.ui.widgets import ERROR_BG, FAIL_BG, PASS_BG, rate_bar, rate_style

    at = render("matrix", run=1, compact=1)
    header = at.dataframe[0].value
    assert header[""].tolist() == ["C1", "C2", "C3", "C4"]
    grid = at.dataframe[1].value
    assert list(grid.columns) == ["#", "test", "C1", "C2", "C3", "C4"]
    pick = header[header["column"] == PICK][""].iloc[0]
    assert grid[pick].str.match(r"^✓ · \d\.\d\d$").all()
    assert (cell_style("✓ · 1.00"), cell_style("✗ 1/3"), cell_style("⚠ error")) == (PASS_BG, FAIL_BG, ERROR_BG)
    assert rate_bar(0.864) == "▰▰▰▰▰▰▰▰▰▱  86.4%"
    assert (rate_style(0.9, 0.9), rate_style(0.86, 0.9), rate_style(0.86, None)) == (PASS_BG, FAIL_BG, "")


def test_versions_diff_deltas_and_flips(use_db: Path) -> None:
    at = render("versions", family="reply", v1="v1", v2="v2", run=1)
    versions = at.dataframe[0].value
    assert versions["version"].tolist() == ["v1", "v2"]
    # The text diff, word by word: removed words struck through, inserted ones highlighted.
    [diff] = [m.value for m in at.markdown if "line-through" in str(m.value)]
    assert '<span style="background: #ffebe9; color: #82071e; text-decoration: line-through">Write a reply' in diff
    assert "&lt;" in diff and "<{{" not in diff  # the template's own text, escaped
    assert ">Reply</span>" in diff and "about" in diff
    deltas = at.dataframe[1].value
    assert set(deltas["model"]) == {"gpt-4o-mini", "gpt-4o"}
    assert deltas["Δ pass rate"].tolist() == ["+100.0 pp", "+100.0 pp"]
    assert deltas["Δ guardrail failures"].tolist() == ["-5", "-5"]
    out = texts(at)
    assert "Flipped tests: 0 broke, 10 fixed" in out
    flips = at.dataframe[2].value
    assert flips[""].tolist() == ["fixed"] * 10
    # The excerpts show the part that changed, marked like `workbench diff` marks it.
    assert flips["v1 output"].str.contains(r"\[-", regex=True).all()
    assert flips["v2 output"].str.contains(r"\{\+", regex=True).all()
    # Outputs in full open from the table (a clicked row, or `flip` in a shared URL).
    assert not at.code
    assert "Click a row to see both outputs in full." in texts(at)
    at = render("versions", family="reply", v1="v1", v2="v2", run=1, flip=0)
    codes = [c.value for c in at.code]
    assert codes[0].startswith("echo: Write a reply to Maria <maria@example.com>")
    assert codes[1] == "echo: Reply to Maria about order NW-1. Ticket: The strap is torn, I want my money back."


def test_guardrails_by_metric_prompt_model_with_outputs(use_db: Path) -> None:
    at = render("guardrails", run=1)
    out = texts(at)
    assert "Guardrail checks=20" in out
    assert "Failed checks=10" in out
    failures = at.dataframe[0].value
    assert len(failures) == 10
    assert set(failures["metric"]) == {"guardrail/pii"}
    assert set(failures["prompt"]) == {"reply/v1"}
    assert not at.code  # the whole output opens from its row
    assert "maria@example.com" in render("guardrails", run=1, item=0).code[0].value
    # One chart, grouped by metric unless the URL asks for prompt version or model.
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1 and '"By metric"' in charts[0].proto.spec
    for by, title in (("prompt", "By prompt version"), ("model", "By model")):
        charts = render("guardrails", run=1, by=by).get("vega_lite_chart")
        assert len(charts) == 1 and f'"title": "{title}"' in charts[0].proto.spec
    at = render("guardrails", run=1, model="gpt-4o", metric="guardrail/pii", item=1)
    failures = at.dataframe[0].value
    assert failures["model"].tolist() == ["gpt-4o"] * 5
    assert "tom@example.com" in at.code[0].value


def test_recommendation_pick_warning_and_controls(use_db: Path) -> None:
    at = render("recommendation", run=1)
    assert PICK in at.success[0].value
    assert "$0.000018 per request" in at.success[0].value
    assert "not clearly better than the runner-up" in at.warning[0].value
    table = at.dataframe[0].value
    assert table.set_index("pair").loc[PICK, "role"] == "pick"
    why = table.set_index("pair").loc["reply/v1 · none · gpt-4o", "why excluded"]
    assert "5 guardrail failures" in why
    [chart] = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    # Every point carries a short label (the family and the variant are common to all: left out).
    text_layers = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(text_layers) == 2 and {t["encoding"]["text"]["field"] for t in text_layers} == {"label"}
    rows = max(_chart_rows(chart), key=len)  # the points' dataset (the frontier line has its own)
    assert sorted(r["label"] for r in rows) == ["v1 · gpt-4o", "v1 · gpt-4o-mini", "v2 · gpt-4o", "v2 · gpt-4o-mini"]
    # Run 2 fails the target everywhere: no pick, and the page says why.
    at = render("recommendation", run=2)
    assert "no pair meets the criteria" in at.error[0].value
    # Lower the target and tolerate guardrail failures: v1 on the small model becomes acceptable.
    at = render("recommendation", run=2, target=0.0, guardok=1)
    assert "reply/v2 · none · gpt-4o-mini" in at.success[0].value
    assert at.slider[0].value == 0.0
    assert at.checkbox[0].value is True


def test_cost_breakdowns_and_projection(use_db: Path) -> None:
    at = render("cost", run=1, rpd=1000)
    by_model = at.dataframe[0].value.set_index("name")
    db = open_db(use_db)
    expected = {g.name: g for g in cost_by(db, 1, "model")}
    for name in ("gpt-4o-mini", "gpt-4o"):
        assert by_model.loc[name, "cost / request"] == fmt_cost(expected[name].mean_cost)
        assert by_model.loc[name, "spent"] == fmt_cost(expected[name].spent)
    assert expected["gpt-4o"].mean_cost > expected["gpt-4o-mini"].mean_cost > 0
    proj = at.dataframe[1].value.set_index("pair")
    pick = next(p for p in pair_stats(db, [1]) if p.name == PICK)
    assert proj.loc[f"{PICK}  ★ recommended", "per month (30 days), no cache"] == fmt_cost(
        project(pick, 1000).monthly_cost
    )
    assert at.number_input[0].value == 1000.0
    assert "has no variants besides `none`" in texts(at)
    at = render("cost", run=1, by="version")
    assert set(at.dataframe[0].value["name"]) == {"reply/v1", "reply/v2"}


def test_compare_runs_counts_and_drilldown(use_db: Path) -> None:
    at = render("compare", base=1, head=2)
    out = texts(at)
    assert "Regressed=10" in out
    assert "Improved=0" in out
    pairs = at.dataframe[0].value
    assert pairs["pair"].tolist()[:2] == ["reply/v2 · none · gpt-4o", "reply/v2 · none · gpt-4o-mini"]
    assert pairs["regressed"].tolist() == [5, 5, 0, 0]
    # the exact McNemar verdict: 10 flips one way is significant overall, 5 per pair is not
    assert "**Verdict:** regressed (10 regressed vs 0 improved, McNemar p = 0.002 < 0.05)" in out
    assert pairs["verdict"].tolist()[:2] == ["inconclusive", "inconclusive"]
    assert pairs["McNemar p"].tolist()[0] == 0.0625
    # One list of changed tests at a time: the regressions first.
    assert at.get("button_group")[0].proto.label == "Changed tests"
    assert len(at.dataframe) == 2
    regressions = at.dataframe[1].value
    assert len(regressions) == 10
    assert set(regressions["pass rate baseline"]) == {"100.0%"}
    assert set(regressions["pass rate newer"]) == {"0.0%"}
    assert not at.code  # both outputs open from a row
    at = render("compare", base=1, head=2, item=0)
    codes = [c.value for c in at.code]
    assert codes[0].startswith("echo: Reply to") and "about order NW-" in codes[0]
    assert codes[1].startswith("echo: Reply to") and "about order" not in codes[1]
    # The improvements list (empty here) is one click away, and the choice is in the URL.
    at = render("compare", base=1, head=2, show="improved", item=0)
    assert len(at.dataframe) == 1
    assert "None." in texts(at)
    assert not at.code


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
    assert at.dataframe[0].value["model"].tolist() == ["gpt-4o"] * 5
    assert not at.code
    assert "item" not in at.query_params
