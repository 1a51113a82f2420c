"""Charts as self-contained inline SVG strings, drawn by the pages with `st.html`.

A Vega-Lite chart costs a page Streamlit's lazily loaded vega-embed chunk and ~0.3 s of browser
main-thread work on its first render; an SVG string is parsed with the page's HTML and costs a few
milliseconds. Every chart here is plain markup: no script, no style sheet, no font, no reference
to anything outside the string (nothing is fetched). Its text inherits the page's font; its width
follows the container (a `viewBox` and `width="100%"`); hovering a mark shows its fields (an SVG
`<title>`, the browser's own tooltip). Every text is escaped: names are user data.

Three kinds of chart, each a function of plain values (the pages map their rows to them):
`scatter` (points on two quantitative axes, linear or log x, error bars, labels placed to avoid
each other, a dashed line through some points, a target line), `bars` (horizontal bars, most
first) and `trend` (pass rate per run as a line, and cost per run as bars below it).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

# Marks in the hues of the pages' verdict colours (widgets.PASS_BG / FAIL_BG, GitHub's palette):
# the dark shades are those backgrounds' text colours, the others GitHub's green 5 and red 5.
PASS = "#1a7f37"
PASS_DARK = "#116329"
FAIL = "#cf222e"
FAIL_DARK = "#a40e26"
BLUE = "#0969da"
LIGHT_GREEN = "#4ac26b"
GREY = "#8c959f"
TEXT = "#31333f"  # Streamlit's light-theme text colour
MUTED = "#5c5f6b"
GRID = "#e4e6eb"
AXIS_LINE = "#9a9ca5"

# The viewBox's width: a chart scales with its column (~650-1000 px in the wide layout at common
# window sizes), text too, so 14 px text draws at ~11.5-15 px; it grows to at most 1.25x.
WIDTH = 780
FONT = 14.0
LABEL_FONT = 13.0

Kind = Literal["pct", "usd", "int", "num"]
Tip = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Axis:
    title: str
    kind: Kind = "num"
    log: bool = False
    domain: tuple[float, float] | None = None  # fixed; else from the data (a linear axis includes 0)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str = ""
    color: str = BLUE
    tooltip: Tip = ()
    low: float | None = None  # an error bar from low to high on the y axis
    high: float | None = None
    emphasis: bool = False  # larger, ringed, its label bold
    square: bool = False
    on_line: bool = False  # joined, in x order, by the dashed line


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown at the bar's end
    color: str = BLUE
    tooltip: Tip = ()


@dataclass(frozen=True)
class RunPoint:
    category: str  # the x tick (a run id)
    rate: float | None
    cost: float | None  # per request; None: unpriced
    color: str = BLUE  # of the pass-rate point
    rate_tip: Tip = ()
    cost_tip: Tip = ()


@dataclass(frozen=True)
class Legend:
    label: str
    color: str
    mark: Literal["circle", "square", "dash"] = "circle"


def verdict_color(rate: float | None, target: float | None) -> str:
    """A pass rate's mark: green at or above the target, red below (as widgets.rate_style colours
    the tables' bars); blue when there is no target to judge by."""
    if rate is None or rate != rate or target is None:
        return BLUE
    return PASS if rate + 1e-12 >= target else FAIL


# -- text ---------------------------------------------------------------------------------------


# Characters Markdown gives a meaning (an image `![`, a link `](`, emphasis, maths, a table cell),
# written as character references: the chart goes to the page through a Markdown raw HTML block,
# where they mean nothing, and as references they mean nothing anywhere else either.
_MARKDOWN_REFS = str.maketrans({c: f"&#{ord(c)};" for c in "!*[]()_`$~\\|"})


def esc(text: object) -> str:
    """Text for an SVG text node or a quoted attribute, on one line: a line break becomes a
    character reference (a tooltip keeps its lines, and the chart stays one Markdown HTML block,
    which a blank line would end), and so do Markdown's special characters (`_MARKDOWN_REFS`)."""
    escaped = html.escape(str(text), quote=True).translate(_MARKDOWN_REFS)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "&#10;")


# Glyph widths in em of a humanist sans-serif like the UI's (Source Sans), for layout estimates.
_NARROW = set("fijlrtI.,:;'!|()[]{} ")
_WIDE = set("mwMW@%&")


def _em(c: str) -> float:
    if c in _NARROW:
        return 0.3
    if c in _WIDE:
        return 0.85
    return 0.62 if c.isupper() else 0.52


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """An estimate (the browser picks the font), a little generous: labels are anchored at the
    side facing their point, so a generous estimate only leaves room, never a gap."""
    return sum(_em(c) for c in text) * size * (1.06 if bold else 1.0)


def clip(text: str, width: float, size: float = FONT) -> str:
    """`text` cut with an ellipsis to fit `width` pixels (the whole text stays in the tooltip)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def tip_text(tip: Tip) -> str:
    return "\n".join(f"{k}: {v}" for k, v in tip)


def _n(v: float) -> str:
    """A coordinate: one decimal, no trailing zero."""
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _text(x: float, y: float, s: str, *, anchor: str = "start", size: float = FONT, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" font-size="{_n(size)}"{extra}>{esc(s)}</text>'


def _title(tip: Tip) -> str:
    return f"<title>{esc(tip_text(tip))}</title>" if tip else ""


def _svg(width: float, height: float, label: str, body: Iterable[str]) -> str:
    return (
        f'<svg viewBox="0 0 {_n(width)} {_n(height)}" width="100%" role="img" aria-label="{esc(label)}"'
        f' style="display:block;height:auto;max-width:{_n(width * 1.25)}px;overflow:visible" fill="{TEXT}">'
        + "".join(body)
        + "</svg>"
    )


# -- numbers on axes ----------------------------------------------------------------------------


def nice_step(span: float, count: int) -> float:
    """1, 2 or 5 times a power of ten, near span / count."""
    raw = span / max(1, count)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if raw <= m * mag * (1 + 1e-9))


def _clean(v: float) -> float:
    return float(f"{v:.12g}")


def linear_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    step = nice_step(hi - lo, count)
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    return [_clean(k * step) for k in range(first, last + 1)]


def nice_domain(lo: float, hi: float, count: int = 5) -> tuple[float, float]:
    """[lo, hi] widened to whole steps (a flat or empty range becomes one step wide)."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    step = nice_step(hi - lo, count)
    return _clean(math.floor(lo / step + 1e-9) * step), _clean(math.ceil(hi / step - 1e-9) * step)


def log_domain(values: Sequence[float]) -> tuple[float, float]:
    """Positive values' range, padded on the log scale so the extreme points are not on the frame."""
    lo, hi = min(values), max(values)
    if hi <= lo:
        return lo / 2, hi * 2
    pad = max(1.25, (hi / lo) ** 0.06)
    return lo / pad, hi * pad


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten inside [lo, hi]; with fewer than three, also 2x and 5x, then every 1-9x; a
    range too narrow for any of those gets linear ticks."""
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mults in ((1,), (1, 2, 5), tuple(range(1, 10))):
        ticks = [_clean(m * 10.0**k) for k in range(k0, k1 + 1) for m in mults]
        ticks = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        if len(ticks) >= 3:
            every = math.ceil(len(ticks) / 10)  # many decades: every other (third...) power
            return ticks[::every]
    return [t for t in linear_ticks(lo, hi, 3) if t > 0]


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def tick_text(v: float, kind: Kind, step: float | None = None) -> str:
    """A tick's label: `40%`, `$0.00002`, `1,200`. `step` (a linear axis's) sets the decimals so
    neighbouring ticks agree; without it (log ticks) the value's own leading digit does."""
    if kind == "pct":
        decimals = max(0, -math.floor(math.log10(step * 100) + 1e-9)) if step else 0
        return _trim(f"{v * 100:.{decimals}f}") + "%"
    ref = step if step else abs(v)
    decimals = max(0, -math.floor(math.log10(ref) + 1e-9)) if ref else 0
    text = _trim(f"{abs(v):,.{decimals}f}")
    sign = "-" if v < 0 and text != "0" else ""
    return f"{sign}${text}" if kind == "usd" else f"{sign}{text}"


@dataclass(frozen=True)
class Scale:
    lo: float
    hi: float
    a: float  # pixel of lo
    b: float  # pixel of hi
    log: bool = False

    def __call__(self, v: float) -> float:
        if self.log:
            t = (math.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            t = (v - self.lo) / (self.hi - self.lo)
        return self.a + t * (self.b - self.a)


def axis_ticks(axis: Axis, values: Sequence[float], count: int = 5) -> tuple[float, float, list[tuple[float, str]]]:
    """The axis's domain and its ticks with their labels, for `values` (the data on it)."""
    if axis.log:
        lo, hi = axis.domain or log_domain([v for v in values if v > 0] or [1.0])
        ticks = log_ticks(lo, hi)
        return lo, hi, [(t, tick_text(t, axis.kind)) for t in ticks]
    if axis.domain:
        lo, hi = axis.domain
    else:
        lo, hi = nice_domain(min([0.0, *values]), max([0.0, *values]), count)
    step = nice_step(hi - lo, count)
    ticks = linear_ticks(lo, hi, count)
    if axis.kind == "int":
        step = max(step, 1.0)
        ticks = [t for t in ticks if float(t).is_integer()]
    return lo, hi, [(t, tick_text(t, axis.kind, step)) for t in ticks]


# -- shared pieces ------------------------------------------------------------------------------


def _y_axis(scale: Scale, ticks: list[tuple[float, str]], x0: float, x1: float, title: str) -> list[str]:
    out = []
    for v, label in ticks:
        y = scale(v)
        out.append(f'<line x1="{_n(x0)}" x2="{_n(x1)}" y1="{_n(y)}" y2="{_n(y)}" stroke="{GRID}"/>')
        out.append(_text(x0 - 6, y, label, anchor="end", dy="0.35em", fill=MUTED))
    if title:
        mid = (scale.a + scale.b) / 2
        out.append(
            f'<text transform="translate(14 {_n(mid)}) rotate(-90)" text-anchor="middle" font-size="{_n(FONT)}"'
            f' font-weight="600">{esc(title)}</text>'
        )
    return out


def _x_axis(scale: Scale, ticks: list[tuple[float, str]], y0: float, y1: float, title: str) -> list[str]:
    out = [f'<line x1="{_n(scale.a)}" x2="{_n(scale.b)}" y1="{_n(y1)}" y2="{_n(y1)}" stroke="{AXIS_LINE}"/>']
    for v, label in ticks:
        x = scale(v)
        out.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(y0)}" y2="{_n(y1)}" stroke="{GRID}"/>')
        out.append(_text(x, y1 + 16, label, anchor="middle", fill=MUTED))
    if title:
        out.append(_text((scale.a + scale.b) / 2, y1 + 36, title, anchor="middle", font_weight="600"))
    return out


def _chart_title(title: str, x: float) -> list[str]:
    return [_text(x, 18, title, size=14, font_weight="600")] if title else []


def _marker(x: float, y: float, r: float, color: str, square: bool, ring: bool) -> str:
    stroke = f' stroke="{TEXT}" stroke-width="2"' if ring else ' stroke="#ffffff" stroke-width="1"'
    if square:
        return (
            f'<rect x="{_n(x - r)}" y="{_n(y - r)}" width="{_n(2 * r)}" height="{_n(2 * r)}" fill="{color}"{stroke}/>'
        )
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{color}"{stroke}/>'


def _legend(items: Sequence[Legend], x: float, y: float, right: float) -> tuple[list[str], float]:
    """Legend entries in rows from (x, y); returns the markup and the height used."""
    out: list[str] = []
    cx, cy = x, y
    for item in items:
        w = 18 + text_width(item.label) + 18
        if cx + w > right and cx > x:
            cx, cy = x, cy + 18
        if item.mark == "dash":
            out.append(
                f'<line x1="{_n(cx)}" x2="{_n(cx + 14)}" y1="{_n(cy)}" y2="{_n(cy)}" stroke="{item.color}"'
                ' stroke-width="2" stroke-dasharray="5 3"/>'
            )
        else:
            out.append(_marker(cx + 7, cy, 5, item.color, item.mark == "square", False))
        out.append(_text(cx + 18, cy, item.label, dy="0.35em"))
        cx += w
    return out, (cy - y) + 18 if items else 0.0


# -- label placement ----------------------------------------------------------------------------

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _outside(box: Box, area: Box) -> float:
    """How much of `box` lies outside `area` (its area)."""
    inside = _overlap(box, area)
    return (box[2] - box[0]) * (box[3] - box[1]) - inside


# (dx, dy) of the label box's anchor corner from the point, per direction; scaled by the distance.
_DIRECTIONS = [(1, -1), (1, 1), (-1, -1), (-1, 1), (1, 0), (-1, 0), (0, -1), (0, 1)]


def place_labels(
    anchors: Sequence[tuple[float, float, float]],
    sizes: Sequence[tuple[float, float]],
    area: Box,
    obstacles: Sequence[Box] = (),
) -> list[tuple[Box, bool]]:
    """A box for each label (anchored at a point (x, y, radius), of size (w, h)) that covers no other
    label, point or obstacle where one can be found near the point, greedily in the given order; else
    the least covered place. Also whether the box is far enough from its point to need a leader line."""
    points: list[Box] = [(x - r, y - r, x + r, y + r) for x, y, r in anchors]
    placed: list[Box] = []
    out: list[tuple[Box, bool]] = []
    for i, ((x, y, r), (w, h)) in enumerate(zip(anchors, sizes, strict=True)):
        best: tuple[float, Box, bool] | None = None
        for dist in (r + 3, r + 12, r + 24, r + 40, r + 60):
            for dx, dy in _DIRECTIONS:
                gap = dist * (0.75 if dx and dy else 1.0)
                bx = x + gap if dx > 0 else x - gap - w if dx < 0 else x - w / 2
                by = y - gap - h if dy < 0 else y + gap if dy > 0 else y - h / 2
                box = (bx, by, bx + w, by + h)
                cost = 100 * _outside(box, area)
                cost += 10 * sum(_overlap(box, o) for o in placed)
                cost += 5 * sum(_overlap(box, p) for j, p in enumerate(points) if j != i)
                cost += sum(_overlap(box, o) for o in obstacles)
                cost += dist * 0.01  # nearer is better among free places
                if best is None or cost < best[0]:
                    best = (cost, box, dist > r + 10)
            if best is not None and best[0] < 1:
                break
        assert best is not None
        placed.append(best[1])
        out.append((best[1], best[2]))
    return out


# -- scatter ------------------------------------------------------------------------------------


def scatter(
    points: Sequence[Point],
    x: Axis,
    y: Axis,
    *,
    title: str = "",
    legend: Sequence[Legend] = (),
    target: float | None = None,
    target_label: str = "target",
    height: float = 360,
    width: float = WIDTH,
) -> str:
    """Points on two quantitative axes, each labelled, with optional error bars, a dashed line
    through the `on_line` points in x order and a horizontal target line. Points a log x axis
    cannot place (x <= 0) are left out."""
    pts = [p for p in points if math.isfinite(p.x) and math.isfinite(p.y) and (not x.log or p.x > 0)]
    xlo, xhi, xticks = axis_ticks(x, [p.x for p in pts], count=6)
    ylo, yhi, yticks = axis_ticks(y, [v for p in pts for v in (p.y, p.low, p.high) if v is not None])
    left = 24 + max((text_width(t) for _, t in yticks), default=20) + 10
    # The legend sits between the title and the plot.
    legend_marks, legend_h = _legend(legend, left, (30 if title else 12) + 6, width - 20)
    top = (30 if title else 12) + (legend_h + 14 if legend else 0)
    bottom_axis = top + height
    xs = Scale(xlo, xhi, left, width - 24, log=x.log)
    ys = Scale(ylo, yhi, bottom_axis, top)
    out = _chart_title(title, left) + legend_marks
    out += _y_axis(ys, yticks, left, width - 24, y.title)
    out += _x_axis(xs, xticks, top, bottom_axis, x.title)
    obstacles: list[Box] = []  # error bars and the target's label, which labels should not cover
    if target is not None and ylo <= target <= yhi:
        ty = ys(target)
        obstacles.append((width - 26 - text_width(target_label, LABEL_FONT), ty - 4 - LABEL_FONT, width - 26, ty))
        out.append(
            f'<line x1="{_n(left)}" x2="{_n(width - 24)}" y1="{_n(ty)}" y2="{_n(ty)}" stroke="{PASS_DARK}"'
            ' stroke-width="1.5" stroke-dasharray="2 3"/>'
        )
        out.append(_text(width - 26, ty - 4, target_label, anchor="end", size=LABEL_FONT, fill=PASS_DARK))
    line = sorted((p for p in pts if p.on_line), key=lambda p: (p.x, p.y))
    if len(line) > 1:
        path = " ".join(f"{_n(xs(p.x))},{_n(ys(p.y))}" for p in line)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="#555555" stroke-width="1.5" stroke-dasharray="6 3"/>'
        )
    # Marks: the emphasised last, on top.
    order = sorted(range(len(pts)), key=lambda i: pts[i].emphasis)
    for i in order:
        p = pts[i]
        px, py = xs(p.x), ys(p.y)
        parts = [_title(p.tooltip)]
        if p.low is not None and p.high is not None:
            y0, y1 = ys(p.low), ys(p.high)
            obstacles.append((px - 4, min(y0, y1), px + 4, max(y0, y1)))
            parts.append(
                f'<path d="M{_n(px)},{_n(y0)}V{_n(y1)}M{_n(px - 4)},{_n(y0)}H{_n(px + 4)}M{_n(px - 4)},{_n(y1)}'
                f'H{_n(px + 4)}" stroke="{p.color}" stroke-width="1.5" fill="none"/>'
            )
        parts.append(_marker(px, py, 7 if p.emphasis else 5.5, p.color, p.square, p.emphasis))
        out.append("<g>" + "".join(parts) + "</g>")
    # Labels: the emphasised placed first, then left to right; each anchored on the side facing its
    # point (an estimated width that is off only moves its far end) and hovering it shows the
    # point's tooltip too.
    labelled = sorted((i for i in range(len(pts)) if pts[i].label), key=lambda i: (not pts[i].emphasis, pts[i].x))
    anchors = [(xs(pts[i].x), ys(pts[i].y), 7.0 if pts[i].emphasis else 5.5) for i in labelled]
    sizes = [(text_width(pts[i].label, LABEL_FONT, pts[i].emphasis), LABEL_FONT + 2) for i in labelled]
    area = (left, top - 4, width - 4, bottom_axis)
    for i, (box, leader) in zip(labelled, place_labels(anchors, sizes, area, obstacles), strict=True):
        p = pts[i]
        px, py = xs(p.x), ys(p.y)
        if leader:
            cx, cy = min(max(px, box[0]), box[2]), min(max(py, box[1]), box[3])
            out.append(f'<line x1="{_n(px)}" y1="{_n(py)}" x2="{_n(cx)}" y2="{_n(cy)}" stroke="{GREY}"/>')
        if box[2] <= px:
            tx, anchor = box[2], "end"
        elif box[0] >= px:
            tx, anchor = box[0], "start"
        else:
            tx, anchor = (box[0] + box[2]) / 2, "middle"
        weight = {"font_weight": "700"} if p.emphasis else {}
        text = _text(
            tx,
            box[3] - 3.5,
            p.label,
            anchor=anchor,
            size=LABEL_FONT,
            fill=PASS_DARK if p.emphasis else TEXT,
            stroke="#ffffff",
            stroke_width="3",
            paint_order="stroke",
            **weight,
        )
        out.append(f"<g>{_title(p.tooltip)}{text}</g>")
    label = " ".join(s for s in (title, f"{y.title} against {x.title}") if s)
    return _svg(width, bottom_axis + 44, label, out)


# -- horizontal bars ----------------------------------------------------------------------------


def bars(items: Sequence[Bar], axis: Axis, *, title: str = "", row: float = 28, width: float = WIDTH) -> str:
    """Horizontal bars, the largest value first, each with its value written at its end."""
    rows = sorted(items, key=lambda b: -b.value)
    names = [clip(b.label, width * 0.35) for b in rows]
    left = 12 + max((text_width(n) for n in names), default=0) + 8
    right = width - 12 - max((text_width(b.text) for b in rows), default=0) - 8
    top = 30 if title else 8
    lo, hi, ticks = axis_ticks(axis, [b.value for b in rows])
    xs = Scale(lo, hi, left, right, log=axis.log)
    bottom = top + row * len(rows)
    out = _chart_title(title, 12)
    out += _x_axis(xs, ticks, top, bottom, axis.title)
    for i, (b, name) in enumerate(zip(rows, names, strict=True)):
        y = top + i * row
        x0, x1 = xs(max(lo, 0.0)), xs(b.value)
        out.append(
            f"<g>{_title([('name', b.label), *b.tooltip])}"
            f'<rect x="{_n(min(x0, x1))}" y="{_n(y + row * 0.15)}" width="{_n(max(abs(x1 - x0), 1.0))}"'
            f' height="{_n(row * 0.7)}" fill="{b.color}"/>'
            + _text(left - 8, y + row / 2, name, anchor="end", dy="0.35em")
            + _text(max(x0, x1) + 5, y + row / 2, b.text, dy="0.35em", fill=MUTED)
            + "</g>"
        )
    label = " ".join(s for s in (title, axis.title) if s)
    return _svg(width, bottom + 44, label, out)


# -- trend over runs ----------------------------------------------------------------------------


def _band_ticks(categories: Sequence[str], x0: float, x1: float) -> tuple[float, list[int]]:
    """The band width and which categories get a tick label: every k-th, as many as fit side by
    side, and the last (the newest run) whenever it fits beside the one before it."""
    n = len(categories)
    band = (x1 - x0) / max(1, n)
    widest = max((text_width(c) for c in categories), default=0) + 8
    every = max(1, math.ceil(widest / band))
    shown = list(range(0, n, every))
    if shown and shown[-1] != n - 1:
        if (n - 1 - shown[-1]) * band < widest:
            shown.pop()
        shown.append(n - 1)
    return band, shown


def trend(
    points: Sequence[RunPoint],
    *,
    x_title: str = "run",
    target: float | None = None,
    target_label: str = "target",
    width: float = WIDTH,
) -> str:
    """Pass rate per run (a line with a point per run, 0-100 %) and, when any run is priced, $ per
    request per run as bars in a second panel below, both on the same run axis."""
    cats = [p.category for p in points]
    left = 24 + text_width("100%") + 10
    if any(p.cost is not None for p in points):
        costs = [p.cost for p in points if p.cost is not None]
        _, _, cticks = axis_ticks(Axis("", "usd"), costs, count=4)
        left = max(left, 24 + max(text_width(t) for _, t in cticks) + 10)
    right = width - 24
    band, shown = _band_ticks(cats, left, right)

    def cx(i: int) -> float:
        return left + band * (i + 0.5)

    def run_axis(y: float) -> list[str]:
        out = [f'<line x1="{_n(left)}" x2="{_n(right)}" y1="{_n(y)}" y2="{_n(y)}" stroke="{AXIS_LINE}"/>']
        out += [_text(cx(i), y + 16, cats[i], anchor="middle", fill=MUTED) for i in shown]
        out.append(_text((left + right) / 2, y + 36, x_title, anchor="middle", font_weight="600"))
        return out

    out = _chart_title("Pass rate", left)
    top, h = 30.0, 240.0
    ys = Scale(0.0, 1.0, top + h, top)
    out += _y_axis(ys, [(t, tick_text(t, "pct", 0.2)) for t in linear_ticks(0, 1, 5)], left, right, "pass rate")
    out += run_axis(top + h)
    if target is not None and 0 <= target <= 1:
        out.append(
            f'<line x1="{_n(left)}" x2="{_n(right)}" y1="{_n(ys(target))}" y2="{_n(ys(target))}" stroke="{PASS_DARK}"'
            ' stroke-width="1.5" stroke-dasharray="2 3"/>'
        )
        out.append(_text(right - 2, ys(target) - 4, target_label, anchor="end", size=LABEL_FONT, fill=PASS_DARK))
    segment: list[str] = []
    for i, p in enumerate(points):  # the line breaks at a run without a pass rate
        if p.rate is None:
            if len(segment) > 1:
                out.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
            segment = []
            continue
        segment.append(f"{_n(cx(i))},{_n(ys(p.rate))}")
    if len(segment) > 1:
        out.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
    for i, p in enumerate(points):
        if p.rate is not None:
            out.append(f"<g>{_title(p.rate_tip)}{_marker(cx(i), ys(p.rate), 5, p.color, False, False)}</g>")
    bottom = top + h + 44
    if any(p.cost is not None for p in points):
        out += [_text(left, bottom + 24, "Cost per request", size=14, font_weight="600")]
        ctop, ch = bottom + 36, 160.0
        lo, hi, cticks = axis_ticks(Axis("", "usd"), [p.cost for p in points if p.cost is not None], count=4)
        cs = Scale(lo, hi, ctop + ch, ctop)
        out += _y_axis(cs, cticks, left, right, "$ per request")
        out += run_axis(ctop + ch)
        for i, p in enumerate(points):
            if p.cost is None:
                continue
            y0, y1 = cs(0.0), cs(p.cost)
            out.append(
                f"<g>{_title(p.cost_tip)}"
                f'<rect x="{_n(cx(i) - band * 0.4)}" y="{_n(min(y0, y1))}" width="{_n(band * 0.8)}"'
                f' height="{_n(max(abs(y0 - y1), 1.0))}" fill="{BLUE}" fill-opacity="0.6"/></g>'
            )
        bottom = ctop + ch + 44
    return _svg(width, bottom, "Pass rate and cost per request across runs", out)
