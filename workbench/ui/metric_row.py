"""A row of headline figures (label, value, optional delta), drawn as one static HTML block.

Streamlit's `st.metric` is a React widget with its own lazily loaded code (number formatting,
tooltips): a row of five cost a page's first render ~0.06 s of chromium's CPU, measured on toy
pages (bench/ui_content_floor.py). The pages show the same figures as one `st.html` block: the
label, the value, a delta coloured green when it is good and red when it is bad, and the help
text on hover. Every text is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

ROW_CSS = (
    "<style>"
    ".wb-metrics{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:.25rem 0 1rem}"
    ".wb-metric{flex:1 1 auto;min-width:6rem}"
    ".wb-metric .l{font-size:.875rem;color:rgba(49,51,63,.75);overflow-wrap:break-word}"
    ".wb-metric .v{font-size:1.9rem;line-height:1.3;white-space:nowrap}"
    ".wb-metric .d{font-size:.875rem;display:inline-block;padding:0 .4rem;border-radius:.5rem}"
    ".wb-metric .d.good{color:#116329;background:#dafbe1}"
    ".wb-metric .d.bad{color:#a40e26;background:#ffebe9}"
    ".wb-metric .d.same{color:rgba(49,51,63,.75);background:#f0f2f6}"
    "</style>"
)


@dataclass(frozen=True, slots=True)
class Metric:
    """One headline figure. `delta` is shown under the value; `good` colours it (None: from its
    sign, a leading "-" being bad), and `help` is the hover text."""

    label: str
    value: str | int | float | None
    delta: str | None = None
    good: bool | None = None
    help: str | None = None


def _value(value: str | int | float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _delta(m: Metric) -> str:
    if not m.delta:
        return ""
    good = m.good if m.good is not None else not m.delta.lstrip().startswith("-")
    kind = "same" if m.delta.lstrip().startswith("±") else "good" if good else "bad"
    arrow = "" if kind == "same" else "↑ " if not m.delta.lstrip().startswith("-") else "↓ "
    return f'<div class="d {kind}">{html.escape(arrow + m.delta)}</div>'


def metrics_html(items: Sequence[Metric]) -> str:
    cards = []
    for m in items:
        title = f' title="{html.escape(m.help, quote=True)}"' if m.help else ""
        value = html.escape(_value(m.value))
        cards.append(
            f'<div class="wb-metric"{title}><div class="l">{html.escape(m.label)}</div>'
            f'<div class="v" title="{value}">{value}</div>{_delta(m)}</div>'
        )
    return f'{ROW_CSS}<div class="wb-metrics">{"".join(cards)}</div>'


def show_metrics(items: Sequence[Metric]) -> None:
    """Draw `items` as one row of figures (see the module's docstring)."""
    st.html(metrics_html(items))
