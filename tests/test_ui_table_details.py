"""widgets.table_with_details: a static table whose rows link to their details through the URL,
paged when long (Streamlit's AppTest runs a real script around it)."""

from __future__ import annotations

from typing import Any

import pytest
from ui_tables import html_tables, parse_tables

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest


def _page() -> None:
    """120 rows, 50 a page; the opened row's index shows below the table."""
    import streamlit as st

    from workbench.ui import widgets

    rows = [{"name": f"row {n}", "value": n * 10} for n in range(st.session_state.get("rows", 120))]
    i = widgets.table_with_details(
        rows,
        key=st.session_state.get("table_key", "a"),
        url_key="item",
        hint="Click a name.",
        link_column="name",
        page_key="tpage",
    )
    st.markdown(f"opened: {i}")


def run(rows: int = 120, **params: Any) -> AppTest:
    at = AppTest.from_function(_page, default_timeout=30)
    at.session_state["rows"] = rows
    for k, v in params.items():
        at.query_params[k] = str(v)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def opened(at: AppTest) -> str:
    return str(at.markdown[-1].value)


def test_first_page_links_every_row_and_the_other_pages() -> None:
    at = run(x="keep")
    [table] = html_tables(at)
    assert table.column("name") == [f"row {n}" for n in range(50)]
    assert table.column("value")[49] == "490"
    assert [table.link_params(n, "name") for n in (0, 49)] == [{"x": "keep", "item": "0"}, {"x": "keep", "item": "49"}]
    assert not table.hrefs[0].get("value")  # one link per row, on its name
    pager = at.get("html")[0].proto.body.split("<style>")[0]
    assert "Page <b>1</b>" in pager and "of 3 · rows 1-50 of 120" in pager
    assert '<a href="?x=keep&amp;tpage=2">2</a>' in pager and '<a href="?x=keep&amp;tpage=3">3</a>' in pager
    assert opened(at) == "opened: None"


def test_a_page_from_the_url_and_its_links_keep_it() -> None:
    at = run(tpage=2)
    [table] = html_tables(at)
    assert table.column("name") == [f"row {n}" for n in range(50, 100)]
    assert table.link_params(0, "name") == {"tpage": "2", "item": "50"}  # indexes over all rows
    pager = at.get("html")[0].proto.body
    assert '<a href="?">1</a> <b>2</b>' in pager  # page 1 drops the key
    at = run(tpage=99)  # out of range: the last page
    assert html_tables(at)[0].column("name") == [f"row {n}" for n in range(100, 120)]
    assert at.query_params["tpage"] == "3"


def test_a_link_to_a_row_opens_it_on_its_page_highlighted() -> None:
    at = run(item=117)  # on page 3
    [table] = html_tables(at)
    assert table.column("name")[0] == "row 100"
    assert opened(at) == "opened: 117"
    marked = [n for n, st in enumerate(table.styles) if "#ddf4ff" in st["name"]]
    assert marked == [17] and "#ddf4ff" in table.styles[17]["value"]
    assert at.query_params["tpage"] == "3"


@pytest.mark.parametrize("stale", ["120", "-1", "x"])
def test_a_stale_row_is_ignored_and_leaves_the_url(stale: str) -> None:
    at = run(item=stale)
    assert opened(at) == "opened: None"
    assert "item" not in at.query_params
    assert html_tables(at)[0].column("name")[0] == "row 0"


def test_other_rows_close_the_opened_one() -> None:
    at = run(item=3)
    assert opened(at) == "opened: 3"
    at.session_state["table_key"] = "b"  # the table now holds other rows (another run, filter...)
    at.run()
    assert opened(at) == "opened: None" and "item" not in at.query_params


def test_a_short_table_has_no_pager_and_drops_a_stale_page() -> None:
    at = run(rows=50, tpage=2, item=49)
    [body] = [e.proto.body for e in at.get("html")]
    assert "wb-pager" not in body
    [table] = parse_tables(body)
    assert len(table.rows) == 50 and "#ddf4ff" in table.styles[49]["name"]
    assert "tpage" not in at.query_params and table.link_params(0, "name") == {"item": "0"}
