#!/usr/bin/env python3
"""UI first render on a large database: every page, cold cache, in headless chromium.

Builds a suite of N tests x 2 prompt versions (family `bench`, files under DIR/prompts) x 2 echo
providers, with quality and guardrail assertions, and runs it twice with `workbench run` (the second
time with v2 edited, so Compare runs has regressions): 4N results per run (N=25,000: 100,000 per
run). Then starts `workbench ui` and times each page in chromium from navigation start to the
page's key content being visible and the script run finished (each page in a new tab = a new
session). Every round starts with cold server caches: the bench touches the database file, which
changes the cache token every cached query is keyed on, so each round's visits are first renders.
It prints each page's median and worst over the rounds. It also prints the server-side script time of each page (Streamlit AppTest,
caches cleared) and a hello-world Streamlit page as the browser's floor on this machine.
Target (issue 7): < 2 s per page.

Usage: bench/ui_first_render.py [--tests 25000] [--rounds 5] [--dir DIR] [--screenshots DIR] [-o out.json]
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
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from ui_browser import CHROMIUM, PageCheck, serve, visit

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


def server_times(db: Path) -> dict[str, float]:
    """Script time of each page with cold caches (Streamlit AppTest, in this process)."""
    os.environ["WORKBENCH_DB"] = str(db)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    app = ROOT / "workbench" / "ui" / "app.py"
    out: dict[str, float] = {}
    for c in checks():
        at = AppTest.from_file(str(app), default_timeout=120)
        at.run()
        st.cache_data.clear()
        path, _, query = c.path.partition("?")
        for kv in filter(None, query.split("&")):
            k, _, v = kv.partition("=")
            at.query_params[k] = v
        at.switch_page(f"routes/{path or 'overview'}.py")
        start = time.perf_counter()
        at.run()
        out[c.name] = time.perf_counter() - start
        if at.exception:
            raise RuntimeError(f"{c.name}: {at.exception[0].message}")
    return out


def hello_world_floor(tmp: Path, rounds: int) -> float:
    """A one-line Streamlit page in the same browser: what any page costs on this machine (median)."""
    from playwright.sync_api import sync_playwright
    from ui_browser import CHROMIUM_ARGS, free_port, serve_command

    app = tmp / "hello.py"
    app.write_text('import streamlit as st\nst.title("Hello bench")\n')
    port = free_port()
    args = ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), *args, "--browser.gatherUsageStats", "false"]
    with serve_command(cmd, port) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(base)  # warm the static bundle like the pages above
        page.get_by_text("Hello bench").first.wait_for()
        page.close()
        times = []
        for _ in range(rounds):
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(base, wait_until="domcontentloaded")
            page.get_by_text("Hello bench").first.wait_for()
            times.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=25_000, help="tests per run (results = 4 x tests)")
    ap.add_argument("--rounds", type=int, default=5, help="cold-cache visits of every page (median, worst)")
    ap.add_argument("--dir", type=Path, help="work directory (kept; an existing ui_bench.db is reused)")
    ap.add_argument("--screenshots", type=Path, default=ROOT / "results" / "screenshots" / "bench")
    ap.add_argument("-o", "--output", type=Path, help="write the numbers as JSON")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    root = args.dir or Path(tempfile.mkdtemp(prefix="wb-ui-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    db = build(root, args.tests)
    rounds: dict[str, list[float]] = {c.name: [] for c in checks()}
    with serve(db, log=root / "ui.log", timeout=180) as base:
        # One throwaway visit so the server process has imported its modules (a server start-up
        # cost, not a page's), then every page in a new tab, `--rounds` times.
        visit(base, [PageCheck("warmup", "?run=0", "Overview")])
        for i in range(args.rounds):
            os.utime(db)  # a new cache token: every query of this round runs against SQLite again
            shots = args.screenshots if i == 0 else None
            for v in visit(base, checks(), shots, warm_bundle=True):
                rounds[v.name].append(v.seconds)
    floor = hello_world_floor(root, args.rounds)
    server = server_times(db)
    import sqlite3

    with sqlite3.connect(db) as conn:
        results = int(conn.execute("select count(*) from results").fetchone()[0])
    print(f"\ndatabase: {db} ({results:,} results in 2 runs; {4 * args.tests:,} per run)")
    print(f"{'page':<16}{'first render: median':>22}{'worst':>9}{'server script':>16}   ({args.rounds} rounds)")
    for name, secs in rounds.items():
        med = statistics.median(secs)
        flag = "" if med < 2 else "  (over 2 s)"
        print(f"{name:<16}{med:>20.2f} s{max(secs):>7.2f} s{server[name]:>14.2f} s{flag}")
    print(f"hello-world Streamlit page in the same browser: {floor:.2f} s (the floor on this machine)")
    if args.output:
        args.output.write_text(
            json.dumps(
                {
                    "results": results,
                    "per_run": 4 * args.tests,
                    "browser_s": rounds,
                    "browser_median_s": {k: statistics.median(v) for k, v in rounds.items()},
                    "server_s": server,
                    "hello_world_s": floor,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
