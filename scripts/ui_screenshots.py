#!/usr/bin/env python3
"""Regenerate the UI screenshots in docs/screenshots/ (the README's and docs/ui.md's UI tour).

Builds the small database the UI tests use (tests/ui_data.py: family `reply`, v1 and v2 on
gpt-4o-mini and gpt-4o through a local fake OpenAI server, run twice), serves `workbench ui` on a
loopback port and saves one full-page screenshot per page in headless chromium, with a detail view
opened where the page has one. Needs /usr/bin/chromium (make install puts it there as root).

Usage: scripts/ui_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from ui_browser import serve, visit  # noqa: E402
from ui_data import TOUR, build_ui_db  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wb-shots-") as tmp:
        db = Path(tmp) / "wb.db"
        build_ui_db(Path(tmp), db)
        with serve(db, log=Path(tmp) / "ui.log") as base:
            for v in visit(base, TOUR, args.out, width=1100, height=1500):
                print(f"{v.screenshot}  ({v.seconds:.2f} s)")


if __name__ == "__main__":
    main()
