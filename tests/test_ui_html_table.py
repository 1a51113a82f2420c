"""Static HTML tables of the UI (workbench/ui/html_table.py): escaping, numbers, links, colours."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from workbench.ui import widgets
from workbench.ui.html_table import Cell, link, table_html


class _Cells(HTMLParser):
    """The table's header texts, cell texts and cell attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.cells: list[str] = []
        self.attrs: list[dict[str, str | None]] = []
        self.hrefs: list[str | None] = []
        self.scripts = 0
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        if tag in ("th", "td"):
            self._in = tag
            (self.headers if tag == "th" else self.cells).append("")
            if tag == "td":
                self.attrs.append(dict(attrs))
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "th":
            self.headers[-1] += data
        elif self._in == "td":
            self.cells[-1] += data


def parse(text: str) -> _Cells:
    p = _Cells()
    p.feed(text)
    return p


def test_user_text_is_escaped_everywhere() -> None:
    hostile = '<script>alert(1)</script> & "quoted" <img src=x onerror=y>'
    t = parse(
        table_html(
            [{hostile: hostile, "b": Cell(hostile, style='color: red" onmouseover="x', title=hostile, href=hostile)}],
            header_titles={hostile: hostile},
        )
    )
    assert t.scripts == 0
    assert t.headers == [hostile, "b"]
    assert t.cells == [hostile, hostile]
    assert t.attrs[1]["style"] == 'color: red" onmouseover="x'  # one attribute value, not a new attribute
    assert "onmouseover" not in t.attrs[1]
    assert t.attrs[1]["title"] == hostile


def test_numbers_align_right_and_missing_values_show_a_dash() -> None:
    t = parse(table_html([{"n": 12345, "x": 0.5, "s": "7", "none": None, "nan": float("nan"), "flag": True}]))
    assert t.cells == ["12,345", "0.5", "7", "-", "-", "yes"]
    assert [a.get("class") for a in t.attrs] == ["n", "n", None, None, None, None]


def test_columns_fix_order_and_fill_gaps() -> None:
    t = parse(table_html([{"b": 1}, {"a": "x", "b": 2}], columns=["a", "b"]))
    assert t.headers == ["a", "b"]
    assert t.cells == ["-", "1", "x", "2"]


def test_newlines_become_line_breaks() -> None:
    assert "line one<br>line two" in table_html([{"a": "line one\nline two"}])


def test_link_keeps_the_page_parameters_and_applies_changes() -> None:
    href = link({"run": "3", "q": "a&b=c", "cell": "9"}, cell=12, q=None, page=2)
    parts = urlsplit(href)
    assert parts.path == ""
    assert parse_qs(parts.query) == {"run": ["3"], "cell": ["12"], "page": ["2"]}
    t = parse(table_html([{"open": Cell("details", href=href)}]))
    assert t.hrefs == [href]


def test_rate_cell_is_coloured_against_the_target() -> None:
    passing, failing, untargeted = (
        widgets.rate_cell(0.9, 0.8),
        widgets.rate_cell(0.5, 0.8),
        widgets.rate_cell(0.5, None),
    )
    assert passing.style == widgets.PASS_BG and "90.0%" in str(passing.text)
    assert failing.style == widgets.FAIL_BG
    assert untargeted.style == ""
    assert widgets.rate_cell(None, 0.8).text == "-"
