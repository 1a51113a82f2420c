"""The static HTML tables a page drew (`st.html`, workbench/ui/html_table.py), parsed as a browser
would: for the AppTest tests, which see each table as the HTML body of an `html` element."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Table:
    """One table: header texts and hover titles, and per row the cells' texts, links and styles
    keyed by column name."""

    headers: list[str] = field(default_factory=list)
    header_titles: dict[str, str | None] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)
    hrefs: list[dict[str, str]] = field(default_factory=list)
    styles: list[dict[str, str]] = field(default_factory=list)
    titles: list[dict[str, str]] = field(default_factory=list)

    def column(self, name: str) -> list[str]:
        return [r[name] for r in self.rows]

    def row(self, column: str, value: str) -> dict[str, str]:
        """The first row whose `column` shows `value`."""
        return next(r for r in self.rows if r[column] == value)

    def link_params(self, i: int, column: str) -> dict[str, str]:
        """The URL parameters of row `i`'s link in `column` (a same-page `?a=1&b=2` link)."""
        href = self.hrefs[i][column]
        assert urlsplit(href).path == "", href
        return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self._cell: tuple[str, dict[str, str | None]] | None = None
        self._text = ""
        self._href: str | None = None
        self._row: list[tuple[str, dict[str, str | None], str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(Table())
        elif tag in ("th", "td"):
            self._cell, self._text, self._href = (tag, dict(attrs)), "", None
        elif tag == "tr":
            self._row = []
        elif tag == "a" and self._cell is not None:
            self._href = dict(attrs).get("href")
        elif tag == "br" and self._cell is not None:
            self._text += "\n"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cell is not None:
            self._row.append((self._text, self._cell[1], self._href))
            self._cell = None
        elif tag == "tr" and self._row:
            t = self.tables[-1]
            if not t.headers:
                t.headers = [text for text, _, _ in self._row]
                t.header_titles = {text: a.get("title") for text, a, _ in self._row}
            else:
                names = t.headers
                t.rows.append({n: text for n, (text, _, _) in zip(names, self._row, strict=True)})
                t.hrefs.append({n: h for n, (_, _, h) in zip(names, self._row, strict=True) if h is not None})
                t.styles.append({n: a.get("style") or "" for n, (_, a, _) in zip(names, self._row, strict=True)})
                t.titles.append(
                    {n: a["title"] or "" for n, (_, a, _) in zip(names, self._row, strict=True) if "title" in a}
                )
            self._row = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text += data


def parse_tables(body: str) -> list[Table]:
    p = _Parser()
    p.feed(body)
    p.close()
    return p.tables


def html_tables(at: Any) -> list[Table]:
    """Every static table an AppTest run drew, in page order."""
    return [t for e in at.get("html") for t in parse_tables(e.proto.body)]


@dataclass
class ShownMetric:
    """One headline figure of a `metric_row` block: its texts, hover help and delta colour."""

    label: str
    value: str
    delta: str | None
    delta_kind: str | None  # "good", "bad" or "same"
    help: str | None


class _MetricParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.metrics: list[ShownMetric] = []
        self._part: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if "wb-metric" in classes:
            self.metrics.append(ShownMetric("", "", None, None, a.get("title")))
        elif self.metrics and classes[:1] in (["l"], ["v"], ["d"]):
            self._part = classes[0]
            if self._part == "d":
                self.metrics[-1].delta, self.metrics[-1].delta_kind = "", classes[1]

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self._part = None

    def handle_data(self, data: str) -> None:
        m = self.metrics[-1] if self.metrics else None
        if m is None or self._part is None:
            return
        if self._part == "l":
            m.label += data
        elif self._part == "v":
            m.value += data
        else:
            m.delta = (m.delta or "") + data


def parse_metrics(body: str) -> list[ShownMetric]:
    p = _MetricParser()
    p.feed(body)
    p.close()
    return p.metrics


def shown_metrics(at: Any) -> dict[str, ShownMetric]:
    """Every headline figure an AppTest run drew (workbench/ui/metric_row.py), by label."""
    return {m.label: m for e in at.get("html") for m in parse_metrics(e.proto.body)}
