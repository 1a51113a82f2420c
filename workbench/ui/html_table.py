"""Static HTML tables for the pages: what a page shows first, drawn by the browser as plain HTML.

Streamlit's data grid (`st.dataframe`) is a canvas component fed with Arrow: on a page's first
render its JavaScript costs ~0.3 s of the browser's main thread (bench/ui_content_floor.py),
whatever the table's size. A page that must render within 1.5x a hello-world page (issue 18)
cannot afford it, so the pages show their tables as HTML (`st.html`): colours, wrapped headers,
right-aligned numbers, full text on hover, and links that open a row's details through the URL.

Every text is escaped here; callers pass plain values (str, int, float, None) or a `Cell`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

# Light backgrounds keep the text readable in the light theme (GitHub's palette, as the rest of
# the UI); the table scrolls inside its own box, so wide tables never scroll the page sideways.
TABLE_CSS = (
    "<style>"
    ".wb-table{max-width:100%;overflow:auto;border:1px solid rgba(49,51,63,.2);border-radius:.5rem;"
    "margin-bottom:1rem}"
    ".wb-table table{border-collapse:collapse;width:100%;font-size:.85rem;line-height:1.35}"
    ".wb-table th{position:sticky;top:0;background:#f0f2f6;text-align:left;font-weight:600;"
    "padding:.35rem .6rem;border-bottom:1px solid rgba(49,51,63,.2);vertical-align:bottom}"
    ".wb-table td{padding:.3rem .6rem;border-bottom:1px solid rgba(49,51,63,.08);vertical-align:top;"
    "max-width:32rem;overflow-wrap:break-word}"
    ".wb-table td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
    ".wb-table tr:hover td{filter:brightness(.97)}"
    ".wb-table a{text-decoration:none}"
    ".wb-table a:hover{text-decoration:underline}"
    ".wb-table td[style] a{color:inherit}"
    "</style>"
)
MISSING = "-"
# A sentence that must stay readable in a wide table (a reason, a change): its cell's style keeps
# the column this wide, so the table scrolls in its box instead of showing a word per line. Other
# texts wrap between words only (overflow-wrap:break-word), so a status or a file name stays whole.
PROSE = "min-width: 14rem"
# A short identifier or range that reads wrong when wrapped (a pair's name, `57%–100%`): one line.
NOWRAP = "white-space: nowrap"


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: its text, an optional inline CSS style, link (a URL, e.g. from `link`) and
    hover text (the full value when the text is shortened)."""

    text: str | int | float | None
    style: str = ""
    href: str | None = None
    title: str | None = None


Value = str | int | float | Cell | None


def _text(value: str | int | float | None) -> tuple[str, bool]:
    """The shown text of a plain value and whether it is a number (numbers align right)."""
    if value is None or (isinstance(value, float) and value != value):
        return MISSING, False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}", True
    return str(value), False


def _cell(value: Value) -> str:
    cell = value if isinstance(value, Cell) else Cell(value)
    text, numeric = _text(cell.text)
    body = html.escape(text).replace("\n", "<br>")
    if cell.href is not None:
        body = f'<a href="{html.escape(cell.href, quote=True)}" target="_self">{body}</a>'
    attrs = ' class="n"' if numeric else ""
    if cell.style:
        attrs += f' style="{html.escape(cell.style, quote=True)}"'
    if cell.title:
        attrs += f' title="{html.escape(cell.title, quote=True)}"'
    return f"<td{attrs}>{body}</td>"


def table_html(
    rows: Sequence[Mapping[str, Value]],
    columns: Sequence[str] | None = None,
    *,
    header_titles: Mapping[str, str] | None = None,
    max_height: int | None = 560,
) -> str:
    """`rows` (dicts keyed by column name) as one escaped HTML table in a scrolling box.

    `columns` fixes the columns and their order (default: the first row's keys); a row without
    a column shows `-`. `header_titles` gives a column header its hover text."""
    cols = list(columns) if columns is not None else list(rows[0]) if rows else []
    titles = header_titles or {}
    head = "".join(
        f'<th title="{html.escape(titles[c], quote=True)}">{html.escape(c)}</th>'
        if c in titles
        else f"<th>{html.escape(c)}</th>"
        for c in cols
    )
    body = "".join("<tr>" + "".join(_cell(r.get(c)) for c in cols) + "</tr>" for r in rows)
    height = f' style="max-height:{max_height}px"' if max_height else ""
    return f'{TABLE_CSS}<div class="wb-table"{height}><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def show_table(
    rows: Sequence[Mapping[str, Value]],
    columns: Sequence[str] | None = None,
    *,
    header_titles: Mapping[str, str] | None = None,
    max_height: int | None = 560,
) -> None:
    """Draw `table_html(rows, ...)` on the page (no data grid; see the module's docstring)."""
    if not rows and columns is None:
        st.caption("(no rows)")
        return
    st.html(table_html(rows, columns, header_titles=header_titles, max_height=max_height))


def link(params: Mapping[str, str], **changes: str | int | None) -> str:
    """A same-page link (`?a=1&b=2`) with the page's URL parameters `params` and `changes` applied
    (None drops a key): how a static table opens a row's details, and a link anyone can share."""
    merged = {k: v for k, v in params.items()}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return "?" + urlencode(merged)


def pager_html(params: Mapping[str, str], key: str, page: int, pages: int, total: int, size: int) -> str:
    """`Page 1 2 3 of 3 · rows 51-100 of 120`: each other page a same-page link with its number in
    the URL parameter `key` (page 1 drops it), the current page in bold. Links, not a widget: the
    pager of a static table costs the browser nothing to draw."""
    parts = [
        f"<b>{p}</b>"
        if p == page
        else f'<a href="{html.escape(link(params, **{key: p if p > 1 else None}), quote=True)}">{p}</a>'
        for p in range(1, pages + 1)
    ]
    first, last = (page - 1) * size + 1, min(total, page * size)
    return (
        '<div class="wb-pager" style="font-size:.85rem;margin:0 0 .4rem">Page '
        + " ".join(parts)
        + f" of {pages} · rows {first:,}-{last:,} of {total:,}</div>"
    )
