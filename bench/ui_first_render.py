#!/usr/bin/env python3
"""UI first render on a large database: every page, cold cache, in headless chromium.

Builds a suite of N tests x 2 prompt versions (family `bench`, files under DIR/prompts) x 2 echo
providers, with quality and guardrail assertions, and runs it twice with `workbench run` (the second
time with v2 edited, so Compare runs has regressions): 4N results per run (N=25,000: 100,000 per
run). Then starts `workbench ui` and times each page in chromium from navigation start to the
page's key content being visible and the script run finished (each page in a new tab = a new
session). Every round starts with cold server caches: the bench touches the database file, which
changes the cache token every cached query is keyed on, so each round's visits are first renders.
Streamlit's JavaScript, including the chunks loaded lazily for tables and charts, is in the
browser's cache (untimed visits of every page first, as for a user who has the UI open;
`--cold-chunks` leaves the chunks out, so each round's first page with a table or a chart also
downloads them).

It prints, per page, the median and worst wall time over the rounds and the server's CPU time
(user+sys of the `workbench ui` process) and the CPU time of chromium's renderer process for the page
(CDP `ProcessTime`) during each visit, next to a hello-world Streamlit page
measured the same way in the same browser: the floor on this machine. CPU time is what other jobs
on a shared machine do not inflate; the targets (issue 18) are <= 1.5x the hello-world page. It
also prints the page script's own CPU time (Streamlit AppTest, caches cleared) and the first page
of a new server: `workbench ui` started, then Overview opened in an open browser (target <= 3 s).

Usage: bench/ui_first_render.py [--tests 25000] [--rounds 5] [--new-server 3] [--cold-chunks] [--dir DIR]
       [--screenshots DIR] [-o out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import psutil
from ui_browser import CHROMIUM, CHROMIUM_ARGS, SCRIPT_DONE, PageCheck, free_port, serve, serve_command, visit

V1 = "Summarize ticket {{id}} for {{name}} ({{email}}): {{ticket}}\n"
V2 = "Ticket {{id}} from {{name}}. Summary of the issue: {{ticket}}\n"
V2_EDITED = "From {{name}}. Summary of the issue: {{ticket}}\n"
WORDS = ["refund", "login", "invoice", "parcel", "broken", "late", "charged", "password", "size", "strap"]


def write_suite(root: Path, n_tests: int, v2: str) -> Path:
    fam = root / "prompts" / "bench"
    fam.mkdir(parents=True, exist_ok=True)
    (fam / "v1.md").write_text(V1, encoding="utf-8")
    (fam / "v2.md").write_text(v2, encoding="utf-8")
    rnd = random.Random(7)
    tests = []
    for i in range(n_tests):
        words = " ".join(rnd.choice(WORDS) for _ in range(12))
        tests.append(
            {
                "description": f"ticket {i}",
                "vars": {
                    "id": f"T-{i}",
                    "name": f"Customer {i % 500}",
                    "email": f"c{i}@example.com",
                    # 1 in 20 tickets carries a card number: a guardrail failure for every version.
                    "ticket": words + (" card 4111 1111 1111 1111" if i % 20 == 0 else ""),
                },
                "assert": [{"type": "contains", "value": f"T-{i}", "metric": "quality/id"}],
            }
        )
    suite = {
        "description": "UI first-render benchmark",
        "prompts": ["file://prompts/bench/v1.md", "file://prompts/bench/v2.md"],
        "providers": [{"id": "echo", "label": "echo-a"}, {"id": "echo", "label": "echo-b"}],
        "defaultTest": {
            "assert": [
                {"type": "icontains", "value": "summar", "metric": "quality/summary"},
                {"type": "not-regex", "value": r"[a-z0-9.]+@[a-z]+\.com", "metric": "guardrail/pii"},
                {"type": "not-regex", "value": r"\b(?:\d[ -]?){13,16}\b", "metric": "guardrail/card"},
            ]
        },
        "tests": tests,
    }
    path = root / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False), encoding="utf-8")
    return path


def build(root: Path, n_tests: int) -> Path:
    db = root / "ui_bench.db"
    if db.exists():
        print(f"reusing {db}", flush=True)
        return db
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    for label, v2 in (("bench-a", V2), ("bench-b", V2_EDITED)):
        suite = write_suite(root, n_tests, v2)
        start = time.perf_counter()
        cmd = [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(db), "--label", label]
        subprocess.run([*cmd, "--pass-rate-threshold", "0"], env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"run {label}: {4 * n_tests:,} results in {time.perf_counter() - start:.1f} s", flush=True)
    return db


def checks() -> list[PageCheck]:
    return [
        PageCheck("overview", "", "Trend across runs of a suite"),
        PageCheck("matrix", "matrix?run=1", "test cases match"),
        PageCheck("versions", "versions?family=bench&v1=v1&v2=v2&run=1", "Flipped tests"),
        PageCheck("guardrails", "guardrails?run=1", "failed guardrail checks match"),
        # Every pair fails a guardrail on the card-number tickets, so the verdict is "no pair meets...".
        PageCheck("recommendation", "recommendation?run=1", "no pair meets the criteria"),
        PageCheck("cost", "cost?run=1", "Monthly projection"),
        PageCheck("compare", "compare?base=1&head=2", "Regressions ("),
    ]


def server_times(db: Path, reps: int) -> dict[str, tuple[float, float]]:
    """Median (CPU, wall) seconds of each page script with cold caches (Streamlit AppTest, in this
    process): the script's own work, without the browser session around it."""
    os.environ["WORKBENCH_DB"] = str(db)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    app = ROOT / "workbench" / "ui" / "app.py"
    out: dict[str, tuple[float, float]] = {}
    for c in checks():
        cpu, wall = [], []
        for _ in range(reps):
            at = AppTest.from_file(str(app), default_timeout=120)
            at.run()
            st.cache_data.clear()
            path, _, query = c.path.partition("?")
            for kv in filter(None, query.split("&")):
                k, _, v = kv.partition("=")
                at.query_params[k] = v
            at.switch_page(f"routes/{path or 'overview'}.py")
            start, start_cpu = time.perf_counter(), time.process_time()
            at.run()
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start)
            if at.exception:
                raise RuntimeError(f"{c.name}: {at.exception[0].message}")
        out[c.name] = (statistics.median(cpu), statistics.median(wall))
    return out


def server_cpu(port: int) -> Callable[[], float]:
    """CPU seconds (user+sys) so far of the Streamlit server this process started on `port`."""
    procs = [
        p for p in psutil.Process().children(recursive=True) if f"--server.port\x00{port}" in "\x00".join(p.cmdline())
    ]
    if len(procs) != 1:
        raise RuntimeError(f"expected one server process on port {port}, found {len(procs)}")
    proc = procs[0]

    def cpu() -> float:
        t = proc.cpu_times()
        return float(t.user + t.system)

    return cpu


def hello_world_floor(tmp: Path, rounds: int) -> tuple[float, float, float]:
    """A one-line Streamlit page, visited and timed exactly as the pages are (`visit`, same browser
    settings): what any page costs on this machine. Median (wall, server CPU, browser CPU)
    seconds of a visit."""
    app = tmp / "hello.py"
    app.write_text('import streamlit as st\nst.title("Hello bench")\n')
    port = free_port()
    args = ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), *args, "--browser.gatherUsageStats", "false"]
    hello = PageCheck("hello", "", "Hello bench")
    with serve_command(cmd, port) as base:
        cpu = server_cpu(port)
        visit(base, [hello])  # the server's first session (imports), like the pages' warm-up visit
        visits = [v for _ in range(rounds) for v in visit(base, [hello], warm_bundle=True, server_cpu=cpu)]
    return (
        statistics.median(v.seconds for v in visits),
        statistics.median(v.server_cpu or 0.0 for v in visits),
        statistics.median(v.browser_cpu or 0.0 for v in visits),
    )


def new_server_first_page(db: Path, root: Path, reps: int) -> list[dict[str, float]]:
    """`workbench ui` started with a browser already open, then Overview opened: seconds from the
    command's start to the server answering its health check, to Overview rendered, and the
    server's CPU seconds at that point."""
    from playwright.sync_api import sync_playwright

    overview = checks()[0]
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(reps):
                port = free_port()
                cmd = [sys.executable, "-m", "workbench", "ui", "--db", str(db), "--port", str(port)]
                start = time.perf_counter()
                with serve_command(cmd, port, timeout=180, log=root / "ui-new.log", poll=0.05) as base:
                    healthy = time.perf_counter() - start
                    page = browser.new_page()
                    page.goto(f"{base}/{overview.path}", wait_until="domcontentloaded")
                    page.wait_for_function(
                        "t => document.body && document.body.innerText.includes(t)",
                        arg=overview.expect,
                        polling="raf",
                        timeout=120_000,
                    )
                    page.wait_for_function(SCRIPT_DONE, polling="raf", timeout=120_000)
                    rendered = time.perf_counter() - start
                    cpu = server_cpu(port)()
                    page.close()
                out.append({"healthy_s": healthy, "first_page_s": rendered, "server_cpu_s": cpu})
        finally:
            browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=25_000, help="tests per run (results = 4 x tests)")
    ap.add_argument("--rounds", type=int, default=5, help="cold-cache visits of every page (median, worst)")
    ap.add_argument("--new-server", type=int, default=3, help="new servers started for the first-page time")
    ap.add_argument(
        "--cold-chunks",
        action="store_true",
        help="do not preload the lazily loaded JavaScript chunks (the first page of a round that draws a table or"
        " chart then also downloads its chunk)",
    )
    ap.add_argument("--dir", type=Path, help="work directory (kept; an existing ui_bench.db is reused)")
    ap.add_argument("--screenshots", type=Path, default=ROOT / "results" / "screenshots" / "bench")
    ap.add_argument("-o", "--output", type=Path, help="write the numbers as JSON")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    root = args.dir or Path(tempfile.mkdtemp(prefix="wb-ui-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    db = build(root, args.tests)
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    first = new_server_first_page(db, root, args.new_server)
    rounds: dict[str, list[float]] = {c.name: [] for c in checks()}
    cpus: dict[str, list[float]] = {c.name: [] for c in checks()}
    browsers: dict[str, list[float]] = {c.name: [] for c in checks()}
    with serve(db, log=root / "ui.log", timeout=180) as base:
        cpu = server_cpu(int(base.rsplit(":", 1)[1]))
        # One throwaway visit so the server process has imported its modules (a server start-up
        # cost, not a page's), then every page in a new tab, `--rounds` times.
        visit(base, [PageCheck("warmup", "?run=0", "Overview")])
        for i in range(args.rounds):
            shots = args.screenshots if i == 0 else None
            # Each round is a new browser: Streamlit's JavaScript, with the lazily loaded chunks of
            # tables and charts (`--cold-chunks`: without them), is loaded by untimed visits first,
            # then the database file is touched: a new cache token, so every query of the round's
            # visits runs against SQLite again.
            warm = [] if args.cold_chunks else checks()
            for v in visit(
                base,
                checks(),
                shots,
                warm_bundle=True,
                server_cpu=cpu,
                warm_pages=warm,
                after_warm=lambda: os.utime(db),
            ):
                rounds[v.name].append(v.seconds)
                cpus[v.name].append(v.server_cpu or 0.0)
                browsers[v.name].append(v.browser_cpu or 0.0)
    floor, floor_cpu, floor_browser = hello_world_floor(root, args.rounds)
    script = server_times(db, 3)
    load = os.getloadavg()[0]
    import sqlite3

    with sqlite3.connect(db) as conn:
        results = int(conn.execute("select count(*) from results").fetchone()[0])
    print(f"\ndatabase: {db} ({results:,} results in 2 runs; {4 * args.tests:,} per run)")
    print(
        f"{'page':<16}{'wall median':>12}{'worst':>8}{'x hello':>8}"
        f"{'server CPU':>12}{'x hello':>8}{'browser':>10}{'x hello':>8}{'script CPU':>12}   ({args.rounds} rounds)"
    )
    for name, secs in rounds.items():
        med, cpu_med, browser_med = (
            statistics.median(secs),
            statistics.median(cpus[name]),
            statistics.median(browsers[name]),
        )
        print(
            f"{name:<16}{med:>10.2f} s{max(secs):>6.2f} s{med / floor:>8.2f}"
            f"{cpu_med:>10.3f} s{cpu_med / floor_cpu:>8.2f}{browser_med:>8.3f} s{browser_med / floor_browser:>8.2f}"
            f"{script[name][0]:>10.3f} s"
        )
    print(
        f"{'hello-world':<16}{floor:>10.2f} s{'':>8}{'':>8}{floor_cpu:>10.3f} s{'':>8}{floor_browser:>8.3f} s"
        "   (a one-line Streamlit page)"
    )
    print("browser: CPU seconds of chromium's renderer process for the page (CDP ProcessTime)")
    for f in first:
        print(
            f"new server: healthy {f['healthy_s']:.2f} s, Overview rendered {f['first_page_s']:.2f} s"
            f" after `workbench ui` started (server CPU {f['server_cpu_s']:.2f} s)"
        )
    print(f"load average at end: {load:.1f}")
    if args.output:
        args.output.write_text(
            json.dumps(
                {
                    "results": results,
                    "per_run": 4 * args.tests,
                    "browser_s": rounds,
                    "browser_median_s": {k: statistics.median(v) for k, v in rounds.items()},
                    "server_cpu_s": cpus,
                    "server_cpu_median_s": {k: statistics.median(v) for k, v in cpus.items()},
                    "script_cpu_s": {k: v[0] for k, v in script.items()},
                    "hello_world_s": floor,
                    "hello_world_cpu_s": floor_cpu,
                    "browser_cpu_s": browsers,
                    "browser_cpu_median_s": {k: statistics.median(v) for k, v in browsers.items()},
                    "hello_world_browser_cpu_s": floor_browser,
                    "new_server": first,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
