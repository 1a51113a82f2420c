#!/usr/bin/env python3
"""What content alone costs a Streamlit first render here: the hello-world page of
bench/ui_first_render.py, then the same page plus one 20-row data grid, one small Vega-Lite chart,
and both, and the same 20 points as the pages draw charts now (an inline SVG of
workbench/ui/svg_charts.py in a raw-HTML Markdown block, as `widgets.svg` sends it), each served
and visited exactly as that bench visits the workbench pages (same browser, same wait, warm
JavaScript bundle). The ratio of "grid+chart" to "hello" is the floor of any page
that shows a table and a chart, whatever its server does (issue 18's <= 1.5x target is measured
against the bare hello-world page).

"table" and "table+csv" are what the pages draw instead of the grid (issue 18): the same 20 rows as
a static HTML table (workbench/ui/html_table.py), and with a download-as-CSV button.

Usage: bench/ui_content_floor.py [--rounds 5] [--pages grid chart grid+chart table table+csv]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ui_first_render as bench

from workbench.ui import svg_charts

TITLE = 'import streamlit as st\nst.title("Hello bench")\n'
GRID = 'import pandas as pd\nst.dataframe(pd.DataFrame({"a": range(20), "b": [str(i) for i in range(20)]}))\n'
CHART = (
    'st.vega_lite_chart({"data": {"values": [{"x": i, "y": i * i} for i in range(20)]}, "mark": "point",'
    ' "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}})\n'
)
# What the pages draw instead of the grid (issue 18): the same 20 rows as a static HTML table, and
# that table with a download-as-CSV button (`--pages` picks a subset).
TABLE = (
    "from workbench.ui.html_table import show_table\n"
    'rows = [{"a": i, "b": str(i)} for i in range(20)]\nshow_table(rows)\n'
)
CSV = 'st.download_button("Download CSV", "a,b\\n" + "".join(f"{i},{i}\\n" for i in range(20)), "rows.csv")\n'
SVG = svg_charts.scatter(
    [svg_charts.Point(i, i * i, label=f"p{i}", tooltip=[("x", str(i)), ("y", str(i * i))]) for i in range(20)],
    svg_charts.Axis("x", "int"),
    svg_charts.Axis("y", "int"),
)
SVG_CHART = f"st.markdown({chr(10).join(['<div>', SVG, '</div>'])!r}, unsafe_allow_html=True)\n"
PAGES = {
    "hello": TITLE,
    "grid": TITLE + GRID,
    "chart": TITLE + CHART,
    "grid+chart": TITLE + GRID + CHART,
    "table": TITLE + TABLE,
    "table+csv": TITLE + TABLE + CSV,
    "svg chart": TITLE + SVG_CHART,
}


def page_cost(directory: Path, name: str, source: str, rounds: int) -> tuple[float, float, float]:
    """Median (wall, server CPU, browser CPU) seconds of a visit to a one-file Streamlit page."""
    app = directory / f"{name.replace('+', '_')}.py"
    app.write_text(source)
    port = bench.free_port()
    args = ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), *args, "--browser.gatherUsageStats", "false"]
    check = bench.PageCheck(name, "", "Hello bench")
    with bench.serve_command(cmd, port) as base:
        cpu = bench.server_cpu(port)
        bench.visit(base, [check])  # the server's first session (imports), as the bench warms up
        visits = [v for _ in range(rounds) for v in bench.visit(base, [check], warm_bundle=True, server_cpu=cpu)]
    return (
        statistics.median(v.seconds for v in visits),
        statistics.median(v.server_cpu or 0.0 for v in visits),
        statistics.median(v.browser_cpu or 0.0 for v in visits),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pages", nargs="+", choices=list(PAGES), default=list(PAGES), help="hello is always measured")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        hello_wall = hello_cpu = hello_browser = 0.0
        for name, source in PAGES.items():
            if name != "hello" and name not in args.pages:
                continue
            wall, cpu, browser = page_cost(Path(tmp), name, source, args.rounds)
            if name == "hello":
                hello_wall, hello_cpu, hello_browser = wall, cpu, browser
            print(
                f"{name:<12} wall median {wall:.2f} s ({wall / hello_wall:.2f}x hello)"
                f"  server CPU {cpu:.3f} s ({cpu / hello_cpu:.2f}x)"
                f"  browser CPU {browser:.3f} s ({browser / hello_browser:.2f}x)  load {os.getloadavg()[0]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
