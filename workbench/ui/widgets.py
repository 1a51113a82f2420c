"""Shared page pieces: the empty-database message, the run picker, small formatters."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import replace

import streamlit as st

from workbench.analysis.trend import RunSummary
from workbench.format import fmt_cost, fmt_rate
from workbench.ui import data, state
from workbench.ui.html_table import Cell, Value, link, pager_html, table_html

GETTING_STARTED = """
**No runs yet.** Results appear here once a suite has been run into this database:

```
workbench run suites/ticket_summary.yaml --db {db} --pass-rate-threshold 0
workbench ui --db {db}
```

`make demo` runs the example suites offline (echo provider, no API key needed).
"""


def token() -> str:
    return data.db_token()


def require_runs() -> list[RunSummary] | None:
    """The runs, or None after showing how to get started (no database, or no runs in it)."""
    path = data.db_path()
    try:
        db = data.get_db()
    except Exception as e:  # an unreadable file: say what is wrong, not a traceback
        st.error(f"Cannot open {path}: {e}")
        return None
    if db is None:
        st.info(f"Database {path} does not exist yet.")
        st.markdown(GETTING_STARTED.format(db=path))
        return None
    runs = data.runs(token())
    if not runs:
        st.markdown(GETTING_STARTED.format(db=path))
        return None
    return runs


def run_label(r: RunSummary) -> str:
    when = (r.started_at or "")[:16].replace("T", " ")
    rate = fmt_rate(r.pass_rate)
    return f"{r.name} · {r.suite} · {when} · {rate}"


def pick_run(runs: list[RunSummary], key: str = "run", label: str = "Run", default_index: int = 0) -> RunSummary:
    """A run selectbox bound to the URL parameter `key` (default: the newest run)."""
    ids = [r.id for r in runs]
    wanted = state.get_int(key)
    index = state.index_of(ids, wanted, default_index)
    by_id = {r.id: r for r in runs}
    chosen = st.selectbox(label, ids, index=index, format_func=lambda i: run_label(by_id[i]), key=f"w_{key}")
    state.put(key, chosen, None if key != "run" else ids[0])
    return by_id[int(chosen)]


# Verdict colours, shared by the Matrix cells and every pass-rate bar (light backgrounds: the text
# stays readable in the light theme; GitHub's diff palette).
PASS_BG = "background-color: #dafbe1; color: #116329"
FAIL_BG = "background-color: #ffebe9; color: #a40e26"
ERROR_BG = "background-color: #fff8c5; color: #7d4e00"
BAR_CELLS = 10


def rate_bar(rate: float | None) -> str:
    """A pass rate as a text bar, `▰▰▰▰▰▰▰▰▱▱  86.4%` (its colour comes from `rate_style`)."""
    if rate is None or rate != rate:  # None or NaN
        return "-"
    full = max(0, min(BAR_CELLS, round(rate * BAR_CELLS)))
    return "▰" * full + "▱" * (BAR_CELLS - full) + f"  {rate * 100:.1f}%"


def rate_style(rate: float | None, target: float | None) -> str:
    """Green at or above the target, red below it (no target: no colour)."""
    if rate is None or rate != rate or target is None:
        return ""
    return PASS_BG if rate + 1e-12 >= target else FAIL_BG


def rate_cell(rate: float | None, target: float | None) -> Cell:
    """A pass rate as a static table cell: the text bar of `rate_bar`, green at or above the
    target and red below it."""
    return Cell(rate_bar(rate), style=rate_style(rate, target))


def delta_text(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "rate":
        return f"{value * 100:+.1f} pp"
    if kind == "cost":
        return ("+" if value > 0 else "-" if value < 0 else "±") + fmt_cost(abs(value))
    if kind == "int":
        return f"{value:+.0f}"
    return f"{value:+.2f}"


def svg(chart: str) -> None:
    """Draw a chart of `svg_charts` (an inline SVG string).

    Through Markdown, not `st.html`: Streamlit 1.67 sanitizes `st.html` with DOMPurify's HTML-only
    profile, which drops every SVG element (nothing would show). The SVG goes in as one raw HTML
    block (`<div>` on its own line starts one; the SVG has no line break, so no blank line ends it
    early), so Markdown reads nothing inside it (a `$` in a tick is not taken for math)."""
    st.markdown(f"<div>\n{chart}\n</div>", unsafe_allow_html=True)


# An opened row or cell of a static table (its details show below the table): a blue ring inside
# the cell keeps a verdict colour readable; GitHub's accent blue.
TABLE_PAGE = 50  # rows of a paged detail table (`table_with_details`)
OPENED = "box-shadow: inset 0 0 0 2px #0969da; font-weight: 600"
OPENED_ROW = "background-color: #ddf4ff; font-weight: 600"


def opened(cell: Value, row: bool = False) -> Cell:
    """`cell` marked as the opened one: a ring inside it (a Matrix cell), or, `row=True`, a blue
    background (each cell of an opened table row; a coloured cell keeps its colour and gets the ring)."""
    c = cell if isinstance(cell, Cell) else Cell(cell)
    mark = OPENED if "background" in c.style or not row else OPENED_ROW
    return replace(c, style=f"{c.style}; {mark}" if c.style else mark)


def table_with_details(
    rows: Sequence[Mapping[str, Value]],
    *,
    key: str,
    url_key: str,
    hint: str,
    link_column: str,
    columns: Sequence[str] | None = None,
    header_titles: Mapping[str, str] | None = None,
    page_key: str | None = None,
    page_size: int = TABLE_PAGE,
) -> int | None:
    """A static table whose rows open their details: each row's `link_column` cell links to this
    page with the row's index in the URL parameter `url_key` (a link anyone can share), and the
    opened row is highlighted. Returns the index named by the URL, else None (also when the URL
    names no row of this table: a stale or out-of-range link never applies).

    With `page_key`, more than `page_size` rows are shown a page at a time (page links above the
    table, the page in the URL as `page_key`; a link to a row opens on that row's page): the browser lays out
    every row of a static table on first render, 0.1 s for 200 rows of excerpts. Row indexes are
    over all `rows`, so a link names the same row whatever the page.

    Details render only once asked for, so a page's first render draws no detail blocks. `key` must
    change whenever the rows do (a run, filter or page): an opened row closes then. Call it after
    every widget above has written its state to the URL: the links carry the page's parameters."""
    st.caption(hint)
    # Other rows (another run, filter, list or page) than the opened row belonged to: close it. A
    # new session (a clicked link, a shared link) has no previous table, so its URL row opens.
    shown_key = f"_table_of_{url_key}"
    if st.session_state.get(shown_key, key) != key:
        state.put(url_key, None)
    st.session_state[shown_key] = key
    i = state.get_int(url_key)
    if i is None or not 0 <= i < len(rows):
        state.put(url_key, None)
        i = None
    first, last, pager = 0, len(rows), ""
    if page_key is not None and len(rows) > page_size:
        pages = -(-len(rows) // page_size)
        wanted = state.get_int(page_key, 1 if i is None else i // page_size + 1) or 1
        page = max(1, min(wanted, pages))
        state.put(page_key, page, 1)
        first, last = (page - 1) * page_size, min(len(rows), page * page_size)
        pager = pager_html(st.query_params.to_dict(), page_key, page, pages, len(rows), page_size)
    elif page_key is not None:
        state.put(page_key, None)
    params = st.query_params.to_dict()
    shown: list[dict[str, Value]] = []
    for n in range(first, last):
        r = dict(rows[n])
        cell = r.get(link_column)
        r[link_column] = replace(cell if isinstance(cell, Cell) else Cell(cell), href=link(params, **{url_key: n}))
        if n == i:
            r = {c: opened(v, row=True) for c, v in r.items()}
        shown.append(r)
    st.html(pager + table_html(shown, columns, header_titles=header_titles))
    return i


def close_button(url_key: str, key: str) -> None:
    """Close an opened detail (drop its row from the URL)."""
    if st.button("Close", key=key):
        state.put(url_key, None)
        st.rerun()


DIFF_BOX = (
    "white-space: pre-wrap; font-family: 'Source Code Pro', monospace; font-size: 0.85rem; line-height: 1.6;"
    " border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; padding: 0.75rem 1rem; margin-bottom: 1rem"
)
DIFF_STYLE = {
    "-": "background: #ffebe9; color: #82071e; text-decoration: line-through",
    "+": "background: #dafbe1; color: #116329; text-decoration: none",
}


def diff_html(runs: list[tuple[str, str]]) -> str:
    """A word diff (`analysis.diff.word_diff`) as one line of HTML for `st.markdown`: removed words
    struck through in red, inserted ones in green. One line, because a blank line would end the
    Markdown HTML block; newlines become <br>, and every text is escaped."""
    parts = []
    for op, text in runs:
        t = html.escape(text).replace("\r\n", "\n").replace("\n", "<br>")
        parts.append(f'<span style="{DIFF_STYLE[op]}">{t}</span>' if op in DIFF_STYLE else t)
    return f'<div style="{DIFF_BOX}">{"".join(parts) or "(empty)"}</div>'
