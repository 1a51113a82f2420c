"""Drive the real UI: start `workbench ui` on a free loopback port and visit pages in headless chromium.

Shared by tests/test_ui_browser.py and bench/ui_first_render.py. Installs nothing: chromium is the
Debian package at /usr/bin/chromium, driven by Playwright for Python (never `playwright install`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


# The app's script run has ended (Streamlit sets this attribute on its root element).
SCRIPT_DONE = (
    "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state') === 'notRunning'"
)


@dataclass
class PageCheck:
    name: str
    path: str  # url path + query string, e.g. "recommendation?run=1"
    expect: str  # text that must appear once the page has rendered


@dataclass
class PageVisit:
    name: str
    url: str
    seconds: float  # navigation start -> expected text visible, script run finished, chunks loaded
    screenshot: Path | None
    external: list[str]  # requests to anywhere but 127.0.0.1 (blocked, never sent)
    server_cpu: float | None = None  # the server's CPU seconds (user+sys) during the visit, when asked
    # CPU seconds of the page's renderer process in chromium (CDP `Performance.getMetrics`
    # ProcessTime; each visit is a new tab, so a new process): the browser's share of the render,
    # which other jobs on the machine do not inflate as they do wall time.
    browser_cpu: float | None = None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(db_path: Path, *, timeout: float = 90.0, log: Path | None = None) -> Iterator[str]:
    """Run `workbench ui --db DB --port N` on loopback; yields the base URL once /_stcore/health is ok."""
    port = free_port()
    cmd = [sys.executable, "-m", "workbench", "ui", "--db", str(db_path), "--port", str(port)]
    with serve_command(cmd, port, env={"WORKBENCH_DB": str(db_path)}, timeout=timeout, log=log) as base:
        yield base


@contextmanager
def serve_command(
    cmd: list[str],
    port: int,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 90.0,
    log: Path | None = None,
    poll: float = 0.2,
) -> Iterator[str]:
    """Run a Streamlit server command listening on loopback `port`; yields its base URL once
    /_stcore/health answers, and stops its whole process group afterwards."""
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stopping it stops exactly what we started
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[2:4]} exited with {proc.returncode} before serving")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{base}/_stcore/health did not answer within {timeout:.0f} s")
            time.sleep(poll)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def visit(
    base: str,
    checks: list[PageCheck],
    screenshots: Path | None = None,
    *,
    timeout_ms: int = 60_000,
    width: int = 1400,
    height: int = 1000,
    warm_bundle: bool = False,
    server_cpu: Callable[[], float] | None = None,
    warm_pages: list[PageCheck] | None = None,
    after_warm: Callable[[], None] | None = None,
) -> list[PageVisit]:
    """Open each page in a fresh tab; time until its expected text shows and the script run ends.

    `warm_bundle` first loads the app once in the same browser, so the timings exclude the one-time
    download of Streamlit's static JavaScript (as for a user who has the UI open already).
    `warm_pages` are opened (untimed) the same way first, so the lazily loaded chunks of their
    elements (tables, charts) are in the browser's cache too; `after_warm` runs after them (the
    bench invalidates the server's caches there). `server_cpu` returns the server's CPU seconds so
    far; each visit records its difference."""
    from playwright.sync_api import sync_playwright

    visits: list[PageVisit] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            external: list[str] = []

            def _loopback_only(route: Any, request: Any) -> None:
                """The network is blocked: only the UI's own server on 127.0.0.1 is reachable."""
                host = urlsplit(request.url).hostname
                if request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                    route.continue_()
                else:
                    external.append(request.url)
                    route.abort()

            context.route("**/*", _loopback_only)
            if warm_bundle:
                warm = context.new_page()
                warm.goto(base, wait_until="networkidle", timeout=timeout_ms)
                warm.close()
            for check in warm_pages or []:
                warm = context.new_page()
                warm.goto(f"{base}/{check.path}", wait_until="domcontentloaded", timeout=timeout_ms)
                warm.get_by_text(check.expect, exact=False).first.wait_for(state="visible", timeout=timeout_ms)
                warm.wait_for_load_state("networkidle", timeout=timeout_ms)
                warm.close()
            if after_warm is not None:
                after_warm()
            for check in checks:
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Performance.enable")
                url = f"{base}/{check.path}"
                last_network = [0.0]  # when the last HTTP request of the page finished

                def _done(_request: object, mark: list[float] = last_network) -> None:
                    mark[0] = time.perf_counter()

                page.on("requestfinished", _done)
                page.on("requestfailed", _done)
                no_skeleton = "() => !document.querySelector('[data-testid^=\"stSkeleton\"]')"
                cpu_start = server_cpu() if server_cpu else 0.0
                start = time.perf_counter()
                page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
                # Polled on every animation frame: a locator's `wait_for` polls at growing intervals
                # (up to 500 ms apart), which added up to half a second to a page whose text came late.
                page.wait_for_function(
                    "t => document.body && document.body.innerText.includes(t)",
                    arg=check.expect,
                    polling="raf",
                    timeout=timeout_ms,
                )
                # The script run is over when the app says so (`data-test-script-state`, which
                # Streamlit's own end-to-end tests wait on: the status widget shows only after a
                # delay, so its absence right after the text appears proves nothing), and elements
                # whose code is still loading show as skeletons.
                page.wait_for_function(SCRIPT_DONE, polling="raf", timeout=timeout_ms)
                page.wait_for_function(no_skeleton, polling="raf", timeout=timeout_ms)
                rendered = time.perf_counter()
                # Tables and charts are lazily loaded JS chunks: the page is complete when the last of
                # them has arrived. `networkidle` only fires after 500 ms of quiet, which is not render
                # time, so the render ends at the later of the script's end and the last request.
                page.wait_for_load_state("networkidle", timeout=timeout_ms)
                if page.evaluate(no_skeleton) is False:
                    page.wait_for_function(no_skeleton, timeout=timeout_ms)
                    rendered = time.perf_counter()
                seconds = max(rendered, last_network[0]) - start
                cpu = server_cpu() - cpu_start if server_cpu else None
                metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
                renderer = float(metrics["ProcessTime"]) if "ProcessTime" in metrics else None
                shot = None
                if screenshots is not None:
                    screenshots.mkdir(parents=True, exist_ok=True)
                    page.wait_for_timeout(600)  # let charts finish drawing
                    shot = screenshots / f"{check.name}.png"
                    page.screenshot(path=str(shot), full_page=True)
                visits.append(PageVisit(check.name, url, seconds, shot, list(external), cpu, renderer))
                external.clear()
                page.close()
        finally:
            browser.close()
    return visits
