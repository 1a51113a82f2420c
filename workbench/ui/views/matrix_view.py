"""Matrix: rows = test cases, columns = prompt version x variant x model; a cell opens its details."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from workbench.analysis.matrix import PAGE_SIZE, MatrixCell, MatrixColumn, MatrixFilters, MatrixRow
from workbench.errors import WorkbenchError
from workbench.format import fmt_cost, fmt_ms, fmt_rate
from workbench.md_escape import md
from workbench.ui import data, state, widgets
from workbench.ui.html_table import PROSE, Cell, Value, link, show_table

PAGE_SIZES = [25, 50, 100, 200]
COMPACT_FROM = 8  # columns: from here on the grid starts in compact mode (short headers, verdict only)


def cell_text(cells: list[MatrixCell], compact: bool = False) -> str:
    """One cell: verdict, score, tokens in/out, cost, latency (first repeat; verdict over all).
    Compact: the verdict and the score only."""
    if not cells:
        return ""
    c = cells[0]
    passes = sum(x.success for x in cells)
    if c.error and not c.success:
        mark = "⚠ error"
    elif len(cells) > 1:
        mark = f"{'✓' if passes == len(cells) else '✗'} {passes}/{len(cells)}"
    else:
        mark = "✓ pass" if c.success else "✗ fail"
    guard = f" · guardrail ✗{c.guardrail_failures}" if any(x.guardrail_failures for x in cells) else ""
    score = "" if c.score is None else f" · {c.score:.2f}"
    if compact:
        return f"{mark.split()[0] if len(cells) == 1 else mark}{score}{' · G✗' if guard else ''}"
    tokens = f" · {c.tokens_in or 0}→{c.tokens_out or 0} tok"
    cached = " (cached)" if c.cached else ""
    return f"{mark}{score}{guard}{tokens} · {fmt_cost(c.cost)}{cached} · {fmt_ms(c.latency_ms)}"


def cell_style(text: Any) -> str:
    """The verdict colour of a grid cell (pass green, fail red, error amber)."""
    if not isinstance(text, str) or not text:
        return ""
    if text.startswith("⚠"):
        return widgets.ERROR_BG
    return widgets.PASS_BG if text.startswith("✓") else widgets.FAIL_BG if text.startswith("✗") else ""


def column_names(columns: list[MatrixColumn], compact: bool = False) -> dict[str, str]:
    """Grid headers: the pair names, or in compact mode `C1`, `C2`, ... (the table above maps them)."""
    if compact:
        return {c.key: f"C{i}" for i, c in enumerate(columns, 1)}
    names: dict[str, str] = {}
    seen: set[str] = set()
    for c in columns:
        name = c.name if c.name not in seen else f"{c.name} [{c.key}]"
        seen.add(name)
        names[c.key] = name
    return names


def header_table(columns: list[MatrixColumn], target: float | None) -> list[dict[str, Value]]:
    """One row per grid column: C1.. (the compact headers), its pair and its totals; the pass rate
    as a bar coloured against the run's target."""
    return [
        {
            "": f"C{i}",
            "column": c.name,
            "results": c.n,
            "pass rate": widgets.rate_cell(c.pass_rate, target),
            "mean score": None if c.mean_score is None else f"{c.mean_score:.3f}",
            "cost / request": fmt_cost(c.mean_cost),
            "total cost": fmt_cost(c.total_cost),
            "errors": c.errors,
            "guardrail failures": c.guardrail_failures,
        }
        for i, c in enumerate(columns, 1)
    ]


def column_help(c: MatrixColumn) -> str:
    """A grid header's hover text: the pair and its totals."""
    return (
        f"{c.name} · pass rate {fmt_rate(c.pass_rate)} · mean score "
        f"{'-' if c.mean_score is None else f'{c.mean_score:.2f}'} · total cost {fmt_cost(c.total_cost)}"
    )


def grid_rows(
    page_rows: list[MatrixRow],
    columns: list[MatrixColumn],
    names: dict[str, str],
    compact: bool,
    params: dict[str, str],
    opened_id: int | None,
) -> list[dict[str, Value]]:
    """The grid: a row per test case, a cell per column coloured by verdict, each cell a link to
    this page with its result in `cell` (the page's other parameters kept), the opened one ringed."""
    rows: list[dict[str, Value]] = []
    for r in page_rows:
        row: dict[str, Value] = {"#": r.test_idx, "test": r.description or _vars_text(r.vars)}
        for c in columns:
            cells = r.cells.get(c.key, [])
            text = cell_text(cells, compact)
            if not cells:
                row[names[c.key]] = text
                continue
            rid = cells[0].result_id
            cell = Cell(text, style=cell_style(text), href=link(params, cell=rid))
            row[names[c.key]] = widgets.opened(cell) if rid == opened_id else cell
        rows.append(row)
    return rows


def render() -> None:
    st.title("Matrix")
    runs = widgets.require_runs()
    if runs is None:
        return
    run = widgets.pick_run(runs)
    tok = widgets.token()
    columns = data.columns(tok, run.id)
    if not columns:
        st.info(f"Run {md(run.name)} has no results yet.")
        return
    target = data.suite_acceptance(tok, run.id).min_pass_rate
    show_table(header_table(columns, target), max_height=None)

    f = st.columns([1, 1, 1, 1, 3])
    filters = MatrixFilters(
        failures=f[0].checkbox("Failures", value=state.get_bool("fail"), key="w_fail"),
        errors=f[1].checkbox("Errors", value=state.get_bool("err"), key="w_err"),
        guardrails=f[2].checkbox("Guardrail failures", value=state.get_bool("guard"), key="w_guard"),
        different=f[3].checkbox("Different across columns", value=state.get_bool("diff"), key="w_diff"),
        search=f[4].text_input("Regex search (description, vars, outputs)", value=state.get_str("q", ""), key="w_q")
        or None,
    )
    for key, value in (
        ("fail", filters.failures),
        ("err", filters.errors),
        ("guard", filters.guardrails),
        ("diff", filters.different),
    ):
        state.put(key, value, False)
    state.put("q", filters.search)

    p = st.columns([1, 1, 4])
    size = p[1].selectbox(
        "Rows per page", PAGE_SIZES, index=state.index_of(PAGE_SIZES, state.get_int("size", PAGE_SIZE), 1), key="w_size"
    )
    state.put("size", size, PAGE_SIZE)
    page_no = p[0].number_input("Page", min_value=1, value=state.get_int("page", 1) or 1, step=1, key="w_page")
    try:
        page = data.matrix_page(tok, run.id, filters, int(page_no), int(size))
    except WorkbenchError as e:
        st.error(md(str(e)))
        return
    state.put("page", page.page, 1)
    p[2].markdown(f"&nbsp;  \n**{page.total:,}** test cases match · page {page.page} of {page.pages}")

    compact = p[2].toggle(
        "Compact (short headers C1, C2, ... and the verdict only)",
        value=state.get_bool("compact", len(columns) >= COMPACT_FROM),
        key="w_compact",
    )
    state.put("compact", compact, len(columns) >= COMPACT_FROM)
    names = column_names(columns, compact)
    opened_id = state.get_int("cell")
    st.caption(
        "Click a cell to open its details (failed checks first, then output, prompt and every assertion)."
        " Green: passed, red: failed, amber: error."
    )
    # The links carry the page's URL (filters, page, size, compact), written by the widgets above.
    show_table(
        grid_rows(page.rows, columns, names, compact, st.query_params.to_dict(), opened_id),
        ["#", "test", *names.values()],
        header_titles={names[c.key]: column_help(c) for c in columns},
    )
    if opened_id is not None:
        show_cell(tok, opened_id, run.id)


def _vars_text(vars: dict[str, Any]) -> str:
    text = json.dumps(vars, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def show_cell(tok: str, result_id: int, run_id: int) -> None:
    d = data.cell_detail(tok, result_id)
    if d is None or d.run_id != run_id:
        state.put("cell", None)
        return
    st.divider()
    head = st.columns([6, 1])
    head[0].subheader(f"Test #{d.test_idx}: {md(d.description or '')}")
    if head[1].button("Close", key="close_cell"):
        state.put("cell", None)
        st.rerun()
    verdict = "⚠ error" if d.error else ("✓ pass" if d.success else "✗ fail")
    st.markdown(
        f"**{md(d.prompt_name)} · {md(d.variant)} · {md(d.model)}** (repeat {d.repeat}) — {verdict} · score "
        f"{'-' if d.score is None else f'{d.score:.3f}'} · {d.tokens_in or 0}→{d.tokens_out or 0} tokens · "
        f"{fmt_cost(d.cost)}{' (cached)' if d.cached else ''} · {fmt_ms(d.latency_ms)}"
    )
    if d.error:
        st.error(md(d.error))  # provider text: shown, never rendered as Markdown (no images load)
    failed = [a for a in d.assertions if not a.passed and a.type != "assert-set"]
    if failed:  # what went wrong comes first, each reason in full
        st.markdown(f"**Failed checks ({len(failed)})**")
        for a in failed:
            what = f"{a.type}" + (f" · {a.metric}" if a.metric else "") + (" · guardrail" if a.is_guardrail else "")
            st.error(f"**{md(what)}**: {md(a.reason or 'failed')}")  # suite/provider text: never Markdown
    left, right = st.columns(2)
    right.markdown("**Rendered prompt**")
    right.code(d.prompt or "", language=None, wrap_lines=True)
    left.markdown("**Output**")
    left.code(d.output or "", language=None, wrap_lines=True)
    st.markdown("**All assertions**")
    show_table(
        [
            {
                "": Cell("✓", style=widgets.PASS_BG) if a.passed else Cell("✗", style=widgets.FAIL_BG),
                "type": ("  ↳ " if a.parent_idx is not None else "") + str(a.type),
                "metric": a.metric or "",
                "guardrail": "yes" if a.is_guardrail else "",
                "score": a.score,
                "reason": Cell(a.reason or "", style=PROSE),
                "value": a.value if isinstance(a.value, str) else json.dumps(a.value, ensure_ascii=False),
            }
            for a in d.assertions
        ],
        ["", "type", "metric", "guardrail", "score", "reason", "value"],
    )
    if d.vars:
        with st.expander("Vars"):
            st.json(d.vars)
