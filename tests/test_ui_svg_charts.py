"""workbench/ui/svg_charts.py: the pages' charts as inline SVG strings (structure, escaping, scales,
ticks, labels, empty and degenerate data), and the pages' chart builders on a real database."""

from __future__ import annotations

import dataclasses
import math
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from workbench.ui import svg_charts as sc
from workbench.ui.svg_charts import Axis, Bar, Legend, Point, RunPoint

NASTY = "<script>alert(1)</script> & \"quoted\" 'single'"


def parse(svg: str) -> ET.Element:
    """The chart as XML: it must be well formed (so every text was escaped), one line, no script,
    no style sheet and no reference to anything outside it."""
    assert "\n" not in svg and "\r" not in svg  # one Markdown HTML block (a blank line would end it)
    for banned in ("<script", "<style", "http", "href", "url(", "@import", "<image", "<foreignObject"):
        assert banned not in svg, banned
    root = ET.fromstring(svg)
    assert root.tag == "svg" and root.get("width") == "100%"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox") or "")
    assert all(el.tag != "script" for el in root.iter())
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("text")]


def tooltips(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("title")]


def circles_x(root: ET.Element) -> list[float]:
    return sorted(float(c.get("cx") or 0) for g in root.iter("g") for c in g.iter("circle"))


# -- numbers ------------------------------------------------------------------------------------


def test_linear_ticks_and_domains_are_round() -> None:
    assert sc.linear_ticks(0, 1, 5) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert sc.nice_domain(0, 0.000324) == (0, 0.0004)
    assert sc.nice_domain(0, 0) == (0, 1)  # a flat range is one step wide
    assert sc.linear_ticks(0, 0.0004, 5) == [0, 0.0001, 0.0002, 0.0003, 0.0004]
    assert sc.nice_step(7, 5) == 2 and sc.nice_step(0.3, 6) == 0.05


def test_tick_text_percent_money_and_counts() -> None:
    assert [sc.tick_text(t, "pct", 0.2) for t in sc.linear_ticks(0, 1, 5)] == [
        "0%",
        "20%",
        "40%",
        "60%",
        "80%",
        "100%",
    ]
    assert sc.tick_text(0.125, "pct", 0.005) == "12.5%"
    # Small amounts in plain decimals, as many as the step needs, never 1e-05 or a rounded-away $0.
    assert sc.tick_text(0.00002, "usd", 0.00001) == "$0.00002"
    assert sc.tick_text(0.000015, "usd", 0.000005) == "$0.000015"
    assert sc.tick_text(0.0000188, "usd", 0.000001) == "$0.000019"
    assert sc.tick_text(0, "usd", 0.00001) == "$0"
    assert sc.tick_text(1200, "usd", 500) == "$1,200"
    assert sc.tick_text(2e-7, "usd") == "$0.0000002"  # a log tick: its own leading digit
    assert sc.tick_text(12000, "int", 2000) == "12,000"
    assert sc.tick_text(-0.5, "num", 0.5) == "-0.5"


def test_axis_ticks_for_per_request_costs() -> None:
    lo, hi, ticks = sc.axis_ticks(Axis("$", "usd"), [0.0000188, 0.000324])
    assert (lo, hi) == (0, 0.0004)
    assert [t for _, t in ticks] == ["$0", "$0.0001", "$0.0002", "$0.0003", "$0.0004"]
    # Counts: whole numbers only, however few.
    _, hi, ticks = sc.axis_ticks(Axis("n", "int"), [1])
    assert all(float(v).is_integer() for v, _ in ticks) and hi == 1


def test_log_ticks_decades_then_125_then_every_digit() -> None:
    assert sc.log_ticks(1e-6, 1e-2) == [1e-6, 1e-5, 1e-4, 1e-3, 1e-2]
    assert sc.log_ticks(1e-5, 5e-4) == [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4]
    assert sc.log_ticks(1.1e-5, 4.9e-5) == [2e-5, 3e-5, 4e-5]
    many = sc.log_ticks(1e-12, 1e3)  # 16 decades: every other power, at most 10 ticks
    assert len(many) <= 10 and many[0] == 1e-12 and all(math.log10(t) % 2 == 0 for t in many)
    lo, hi, ticks = sc.axis_ticks(Axis("$", "usd", log=True), [0.0000188, 0.000324])
    assert lo < 0.0000188 and hi > 0.000324
    assert [t for _, t in ticks] == ["$0.00002", "$0.00005", "$0.0001", "$0.0002"]


def test_scales_linear_and_log() -> None:
    s = sc.Scale(0, 10, 100, 200)
    assert (s(0), s(5), s(10)) == (100, 150, 200)
    log = sc.Scale(1e-5, 1e-3, 0, 200, log=True)
    assert log(1e-4) == pytest.approx(100)
    y = sc.Scale(0, 1, 300, 0)  # y grows upwards
    assert y(1) == 0 and y(0.25) == 225


# -- escaping, structure ------------------------------------------------------------------------


def test_every_text_is_escaped() -> None:
    tip = [("pair", NASTY), ("two\nlines", "x")]
    charts = [
        sc.scatter(
            [Point(1e-5, 0.5, label=NASTY, tooltip=tip)],
            Axis(NASTY, "usd"),
            Axis("pass rate", "pct", domain=(0, 1)),
            title=NASTY,
            legend=[Legend(NASTY, sc.PASS)],
            target=0.9,
            target_label=NASTY,
        ),
        sc.bars([Bar(NASTY, 3, NASTY, tooltip=tip)], Axis(NASTY, "int"), title=NASTY),
        sc.trend([RunPoint(NASTY, 0.5, 1e-5, rate_tip=tip, cost_tip=tip)], x_title=NASTY, target_label=NASTY),
    ]
    for svg in charts:
        root = parse(svg)  # well formed: no tag, attribute or entity came from the data
        assert NASTY in texts(root) or any(NASTY in t for t in texts(root))
        assert any(NASTY in t for t in tooltips(root))
        assert any("two\nlines: x" in t for t in tooltips(root))  # a line break survives, as &#10;
        assert "&lt;script&gt;" in svg and "&amp;" in svg and "&quot;" in svg
    assert sc.esc('a"b<c>&\n') == "a&quot;b&lt;c&gt;&amp;&#10;"


def test_width_follows_the_container() -> None:
    root = parse(sc.bars([Bar("a", 1, "1")], Axis("n", "int")))
    assert root.get("width") == "100%" and "height:auto" in (root.get("style") or "")
    assert root.get("viewBox", "").startswith(f"0 0 {sc.WIDTH} ")


# -- scatter ------------------------------------------------------------------------------------


def test_scatter_labels_every_point_and_keeps_them_apart() -> None:
    # Six pairs in a tight cluster plus two on the same spot: every label drawn, none over another.
    pts = [Point(1e-5 * (1 + i * 0.02), 0.8 + i * 0.005, label=f"v{i} · gpt-4o-mini") for i in range(6)]
    pts += [Point(3e-4, 0.4, label="same spot A"), Point(3e-4, 0.4, label="same spot B", emphasis=True)]
    svg = sc.scatter(pts, Axis("$", "usd"), Axis("pass rate", "pct", domain=(0, 1)))
    root = parse(svg)
    assert {p.label for p in pts} <= set(texts(root))
    bold = [t for t in root.iter("text") if t.get("font-weight") == "700"]
    assert ["".join(b.itertext()) for b in bold] == ["same spot B"]
    # Placement itself: boxes inside the area and not overlapping each other.
    anchors = [(100.0 + i, 100.0 + i, 5.5) for i in range(6)]
    sizes = [(80.0, 14.0)] * 6
    placed = sc.place_labels(anchors, sizes, (0, 0, 400, 300))
    boxes = [b for b, _ in placed]
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= 400 and a[1] >= 0 and a[3] <= 300
        for b in boxes[i + 1 :]:
            assert sc._overlap(a, b) == 0
    # Labels avoid the other points too: a label never sits on a neighbour's marker.
    pair = sc.place_labels([(100, 100, 5.5), (115, 88, 5.5)], [(60, 14), (60, 14)], (0, 0, 400, 300))
    assert sc._overlap(pair[0][0], (109.5, 82.5, 120.5, 93.5)) == 0


def test_scatter_log_axis_spacing_and_dropped_points() -> None:
    pts = [Point(v, 0.5, label=str(v)) for v in (1e-5, 1e-4, 1e-3, 0.0)]
    log = parse(sc.scatter(pts, Axis("$", "usd", log=True), Axis("y", "pct", domain=(0, 1))))
    xs = circles_x(log)
    assert len(xs) == 3  # $0 has no place on a log axis
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.2)
    lin = parse(sc.scatter(pts, Axis("$", "usd"), Axis("y", "pct", domain=(0, 1))))
    xs = circles_x(lin)
    assert len(xs) == 4 and (xs[3] - xs[0]) > 9 * (xs[2] - xs[0])


def test_scatter_error_bars_line_target_and_legend() -> None:
    pts = [
        Point(1e-5, 0.9, low=0.6, high=0.98, on_line=True, square=True),
        Point(2e-5, 0.95, low=0.7, high=1.0, on_line=True),
        Point(3e-5, 0.5, low=0.2, high=0.8),
    ]
    svg = sc.scatter(
        pts,
        Axis("$", "usd"),
        Axis("pass rate", "pct", domain=(0, 1)),
        legend=[Legend("pick", sc.PASS_DARK), Legend("Pareto frontier", "#555555", "dash")],
        target=0.8,
        target_label="target 80.0%",
    )
    root = parse(svg)
    assert len([p for p in root.iter("path")]) == 3  # an error bar per point
    [line] = list(root.iter("polyline"))  # the frontier through the two `on_line` points
    assert len((line.get("points") or "").split()) == 2 and line.get("stroke-dasharray")
    assert "target 80.0%" in texts(root) and "pick" in texts(root) and "Pareto frontier" in texts(root)
    assert len(list(root.iter("rect"))) >= 1  # the square marker


def test_scatter_empty_and_one_point() -> None:
    root = parse(sc.scatter([], Axis("$", "usd"), Axis("y", "pct", domain=(0, 1))))
    assert "0%" in texts(root) and "$0" in texts(root)
    one = parse(sc.scatter([Point(0.0000188, 1.0, label="only")], Axis("$", "usd", log=True), Axis("y", "pct")))
    assert "only" in texts(one) and len(circles_x(one)) == 1
    assert all(math.isfinite(float(c.get("cx") or "nan")) for c in one.iter("circle"))


# -- bars, trend --------------------------------------------------------------------------------


def test_bars_most_first_with_values_and_tooltips() -> None:
    items = [Bar("small", 2, "2", tooltip=[("results affected", "2")]), Bar("big", 10, "10", color=sc.FAIL)]
    root = parse(sc.bars(items, Axis("failed guardrail checks", "int"), title="By metric"))
    t = texts(root)
    assert t.index("big") < t.index("small") and "By metric" in t and "failed guardrail checks" in t
    widths = {r.get("fill"): float(r.get("width") or 0) for r in root.iter("rect")}
    assert widths[sc.FAIL] == pytest.approx(5 * widths[sc.BLUE], rel=0.01)
    assert "name: small\nresults affected: 2" in tooltips(root)
    # A long name is cut to fit; the tooltip keeps it whole.
    long = "x" * 300
    root = parse(sc.bars([Bar(long, 1, "1")], Axis("n", "int")))
    assert any(s.endswith("…") and len(s) < 300 for s in texts(root)) and f"name: {long}" in tooltips(root)
    assert parse(sc.bars([], Axis("n", "int"))).tag == "svg"


def test_trend_two_panels_and_unpriced_runs() -> None:
    pts = [
        RunPoint("1", 0.5, 1.7e-4, color=sc.FAIL, rate_tip=[("run", "#1 base")], cost_tip=[("cost", "$0.0034")]),
        RunPoint("2", None, None),
        RunPoint("3", 0.95, 6e-5, color=sc.PASS),
    ]
    root = parse(sc.trend(pts, target=0.9, target_label="target 90.0%"))
    t = texts(root)
    assert "Pass rate" in t and "Cost per request" in t and "target 90.0%" in t
    assert t.count("run") == 2  # one run axis per panel
    assert len(list(root.iter("circle"))) == 2 and len(list(root.iter("rect"))) == 2
    assert "run: #1 base" in tooltips(root) and "cost: $0.0034" in tooltips(root)
    # No run priced: the pass-rate panel alone.
    root = parse(sc.trend([dataclasses.replace(p, cost=None) for p in pts]))
    assert "Cost per request" not in texts(root) and not list(root.iter("rect"))
    # Many runs: tick labels thinned so they fit, the newest always labelled.
    many = parse(sc.trend([RunPoint(str(1000 + i), 0.5, None) for i in range(150)]))
    shown = [s for s in texts(many) if s.isdigit()]
    assert 5 < len(shown) < 60 and shown[-1] == "1149"


def test_verdict_colours_match_the_tables() -> None:
    pytest.importorskip("streamlit")
    from workbench.ui import widgets

    assert sc.verdict_color(0.9, 0.9) == sc.PASS and sc.verdict_color(0.89, 0.9) == sc.FAIL
    assert sc.verdict_color(0.5, None) == sc.BLUE == sc.verdict_color(None, 0.9)
    assert sc.PASS_DARK in widgets.PASS_BG and sc.FAIL_DARK in widgets.FAIL_BG


# -- the pages' charts on a real database -------------------------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Any:
    pytest.importorskip("streamlit")
    from ui_data import build_ui_db

    from workbench.store.db import open_db

    root = tmp_path_factory.mktemp("ui")
    assert build_ui_db(root, root / "wb.db") == [1, 2]
    return open_db(root / "wb.db")


@pytest.mark.parametrize("log_x", [False, True])
def test_recommendation_chart(db: Any, log_x: bool) -> None:
    from ui_data import PICK

    from workbench.analysis.recommend import recommend, run_acceptance
    from workbench.ui.views.recommendation_view import ROLE_COLORS, scatter

    acceptance = run_acceptance(db, 1)
    rec = recommend(db, [1], acceptance, None, None)
    svg = scatter(rec, log_x, acceptance.min_pass_rate)
    assert svg is not None
    root = parse(svg)
    t = texts(root)
    # Every point labelled with its short name (family and variant common to all: left out), the
    # pick in bold, the target dotted, the axes titled.
    assert {"v1 · gpt-4o", "v1 · gpt-4o-mini", "v2 · gpt-4o", "v2 · gpt-4o-mini"} <= set(t)
    [bold] = [b for b in root.iter("text") if b.get("font-weight") == "700"]
    assert "".join(bold.itertext()) == "v2 · gpt-4o-mini"
    assert "target 90.0%" in t and "$ per request (uncached)" in t and "pass rate" in t
    # Tooltips carry the fields Vega's did: pair, cost, pass rate, the interval, n, role.
    [tip] = [x for x in tooltips(root) if x.startswith(f"pair: {PICK}")][:1]
    assert [line.split(": ")[0] for line in tip.split("\n")] == [
        "pair",
        "cost",
        "pass rate",
        "95% low",
        "95% high",
        "n",
        "role",
    ]
    assert "pass rate: 100.0%\n95% low: 56.6%" in tip  # Wilson, 5 of 5 and tip.endswith("n: 5\nrole: pick")
    fills = {c.get("fill") for c in root.iter("circle")} | {r.get("fill") for r in root.iter("rect")}
    assert {ROLE_COLORS["pick"], ROLE_COLORS["runner-up"], ROLE_COLORS["excluded"]} <= fills
    ticks = [s for s in t if s.startswith("$")]
    assert ticks and all("e-" not in s for s in ticks)


def test_recommendation_chart_without_prices_is_none(db: Any) -> None:
    from workbench.analysis.recommend import recommend, run_acceptance
    from workbench.ui.views.recommendation_view import scatter, unplotted_note

    rec = recommend(db, [1], run_acceptance(db, 1), None, None)
    assert unplotted_note(rec, True) is None  # every pair priced and above $0
    unpriced = dataclasses.replace(rec, pairs=[dataclasses.replace(p, mean_cost=None) for p in rec.pairs])
    assert scatter(unpriced, False) is None
    assert unplotted_note(unpriced, False) == "Not plotted: 4 pairs with an unknown price."
    # A free pair ($0, e.g. a local model priced at nothing) has no place on a log axis: said so.
    mixed = dataclasses.replace(
        rec, pairs=[dataclasses.replace(rec.pairs[0], mean_cost=0.0), dataclasses.replace(rec.pairs[1], mean_cost=None)]
    )
    assert unplotted_note(mixed, False) == "Not plotted: 1 pair with an unknown price."
    assert unplotted_note(mixed, True) == (
        "Not plotted: 1 pair with an unknown price and 1 pair at $0 per request (no place on a log axis)."
    )
    assert scatter(mixed, True) is None and scatter(mixed, False) is not None


def test_overview_trend_chart(db: Any) -> None:
    from workbench.analysis.trend import list_run_summaries, suite_trend
    from workbench.ui.views.overview_view import trend_svg

    [suite] = {r.suite_path for r in list_run_summaries(db)}
    points = suite_trend(db, suite)
    root = parse(trend_svg(points, {1: 0.9, 2: 0.9}))
    t = texts(root)
    assert "Pass rate" in t and "Cost per request" in t and "target 90.0%" in t
    rate_tips = [x for x in tooltips(root) if "started: " in x]
    assert len(rate_tips) == 2
    assert [line.split(": ")[0] for line in rate_tips[0].split("\n")] == [
        "run",
        "started",
        "pass rate",
        "target",
        "cost",
        "errors",
        "guardrail failures",
    ]
    # Both runs are below their 90 % target: red points.
    assert {c.get("fill") for c in root.iter("circle")} == {sc.FAIL}
    unpriced = [dataclasses.replace(p, cost=None) for p in points]
    assert "Cost per request" not in texts(parse(trend_svg(unpriced, {})))


def test_guardrails_and_cost_bars(db: Any) -> None:
    from workbench.analysis.cost import cost_by
    from workbench.analysis.guardrails import guardrail_summary
    from workbench.format import fmt_cost
    from workbench.ui.views.cost_view import cost_svg
    from workbench.ui.views.guardrails_view import failures_svg

    s = guardrail_summary(db, 1)
    root = parse(failures_svg(s.by_model, "By model"))
    assert {"By model", "gpt-4o", "gpt-4o-mini", "failed guardrail checks"} <= set(texts(root))
    assert "name: gpt-4o\nfailures: 5\nresults affected: 5" in tooltips(root)
    assert {r.get("fill") for r in root.iter("rect")} == {sc.FAIL}

    groups = cost_by(db, 1, "model")
    svg = cost_svg(groups)
    assert svg is not None
    root = parse(svg)
    t = texts(root)
    assert [n for n in t if n in ("gpt-4o", "gpt-4o-mini")] == ["gpt-4o", "gpt-4o-mini"]  # dearest first
    assert fmt_cost(groups[0].mean_cost) in t
    assert any(x.startswith("name: gpt-4o-mini\ncost / request: $0.0000") for x in tooltips(root))
    # An unpriced group is left out; none priced: no chart.
    unpriced = [dataclasses.replace(g, mean_cost=None) for g in groups]
    root = parse(cost_svg(groups[:1] + unpriced[1:]) or "")
    assert len(list(root.iter("rect"))) == 1
    assert cost_svg(unpriced) is None


def test_optimize_candidates_chart() -> None:
    pytest.importorskip("streamlit")
    from workbench.ui.views.optimize_view import candidates_svg

    cands = [
        {"n": 0, "tokens": 120, "pass_rate": 1.0, "accepted": True, "origin": "original"},
        {"n": 1, "tokens": 80, "pass_rate": 1.0, "accepted": True, "origin": "drop <b>examples</b>"},
        {"n": 2, "tokens": 40, "pass_rate": 0.25, "accepted": False, "origin": "rewrite"},
        {"n": 3, "tokens": 30, "pass_rate": None, "accepted": False, "origin": "broken"},
    ]
    root = parse(candidates_svg(cands, {0, 1}) or "")
    assert {"#0", "#1", "#2", "template tokens", "kept", "dropped"} <= set(texts(root))
    assert "#3" not in texts(root)
    assert "candidate: #1\ntokens: 80\npass rate: 100%\nchange: drop <b>examples</b>" in tooltips(root)
    assert {c.get("fill") for c in root.iter("circle") if c.get("stroke") == "#ffffff"} >= {sc.PASS, sc.FAIL}
    assert candidates_svg(cands[3:], set()) is None
