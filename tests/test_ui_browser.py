"""The real UI in a real browser: `workbench ui` on a loopback port, every page in headless chromium.

Installs nothing at test time: chromium is the Debian package (`make install` / CI installs it) and
Playwright for Python drives it through `executable_path`. Screenshots go to results/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_browser import CHROMIUM, PageCheck, serve, visit
from ui_data import PICK, build_ui_db

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"),
]

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "results" / "screenshots"

CHECKS = [
    PageCheck("overview", "", "Trend across runs of a suite"),
    PageCheck("matrix", "matrix?run=1", "test cases match"),
    PageCheck("versions", "versions?family=reply&v1=v1&v2=v2&run=1", "Flipped tests: 0 broke, 10 fixed"),
    PageCheck("guardrails", "guardrails?run=1", "10 failed guardrail checks match"),
    PageCheck("recommendation", "recommendation?run=1", f"Recommended: {PICK}"),
    PageCheck("cost", "cost?run=1&rpd=1000", "Monthly projection"),
    PageCheck("compare", "compare?base=1&head=2", "Regressions (10)"),
]


def test_every_page_renders_in_chromium(tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    db = tmp_path / "wb.db"
    build_ui_db(tmp_path, db)
    with serve(db, log=tmp_path / "ui.log") as base:
        assert base.startswith("http://127.0.0.1:")
        visits = visit(base, CHECKS, SHOTS)
    assert [v.name for v in visits] == [c.name for c in CHECKS]
    for v in visits:
        assert v.screenshot is not None and v.screenshot.stat().st_size > 10_000, v.name
        print(f"first render {v.name}: {v.seconds:.2f} s")
    # Generous bound for a loaded CI machine; bench/ui_first_render.py measures the 100k-result target.
    assert max(v.seconds for v in visits) < 30


def test_ui_serves_on_loopback_only(tmp_path: Path) -> None:
    db = tmp_path / "wb.db"
    build_ui_db(tmp_path, db)
    with serve(db, log=tmp_path / "ui.log") as base:
        port = int(base.rsplit(":", 1)[1])
        import socket

        # Not reachable through a non-loopback address of this host (when it has one).
        addrs = {ai[4][0] for ai in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
        for addr in addrs - {"127.0.0.1"}:
            if addr.startswith("127."):
                continue
            with socket.socket() as s, pytest.raises(OSError):
                s.settimeout(1)
                s.connect((addr, port))
    log = (tmp_path / "ui.log").read_text()
    assert f"http://127.0.0.1:{port}" in log
