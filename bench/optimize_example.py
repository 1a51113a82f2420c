"""Optimizer on the example family: tokens saved, pass rate kept, candidates evaluated, $ spent.

    .venv/bin/python bench/optimize_example.py [--family order_number/v2] [--max-candidates 6]

Runs `workbench optimize FAMILY/VERSION --suite suites/<family>.yaml --model local:smollm2-135m`
as a user does (a subprocess, imports included) on a temporary copy of prompts/ and suites/, so the
version it writes never lands in the repository, then prints the search's figures from the
`optimizations` table. The embedded model answers on CPU, so each candidate costs one suite run
(24 tickets for order_number): budget minutes, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def pad(prompts: Path, target: str, sentences: list[str]) -> None:
    family, version = target.split("/")
    [path] = [p for p in (prompts / family).iterdir() if p.stem == version]
    extra = " " + " ".join(sentences)
    if path.suffix in (".yaml", ".yml", ".json"):
        messages = yaml.safe_load(path.read_text())
        system = next((m for m in messages if m.get("role") == "system"), None)
        if system is None:
            messages.insert(0, {"role": "system", "content": extra.strip()})
        else:
            system["content"] += extra
        path.write_text(yaml.safe_dump(messages, sort_keys=False, allow_unicode=True, width=1000))
    else:
        path.write_text(extra.strip() + "\n\n" + path.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", default="order_number/v2", help="FAMILY/VERSION [default: order_number/v2]")
    ap.add_argument("--model", default="local:smollm2-135m")
    ap.add_argument("--max-candidates", type=int, default=6)
    ap.add_argument("--requests-per-day", type=float, default=10000)
    ap.add_argument("--significance", type=float, help="Passed to optimize: accept non-significant regressions.")
    ap.add_argument(
        "--pad",
        action="append",
        default=[],
        metavar="SENTENCE",
        help="Bloat the version first: append SENTENCE to its system message (or text); repeatable. "
        "Shows whether the search finds and removes what the suite does not need.",
    )
    args = ap.parse_args()
    family = args.family.split("/")[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "prompts", work / "prompts")
        shutil.copytree(ROOT / "suites", work / "suites")
        if args.pad:
            pad(work / "prompts", args.family, args.pad)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        t0 = time.perf_counter()
        r = subprocess.run(
            [
                sys.executable, "-m", "workbench", "optimize", args.family,
                "--suite", f"suites/{family}.yaml", "--model", args.model,
                "--max-candidates", str(args.max_candidates),
                "--requests-per-day", str(args.requests_per_day), "--db", str(work / "opt.db"),
                *(["--significance", str(args.significance)] if args.significance else []),
            ],
            capture_output=True, text=True, env=env, cwd=work,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(f"optimize failed ({r.returncode}): {r.stderr[-2000:]}")
        with sqlite3.connect(work / "opt.db") as conn:
            (result,) = conn.execute("select result from optimizations order by id desc limit 1").fetchone()
    res = json.loads(result)
    o, w = res["original"], res["winner"]
    month = res.get("savings_per_month")
    padded = f" padded with {len(args.pad)} sentence(s)" if args.pad else ""
    print(f"{args.family}{padded} on {args.model}; load {os.getloadavg()[0]:.1f}; wall {wall:.0f} s")
    print(f"template tokens     {o['tokens']} -> {w['tokens']} ({o['tokens'] - w['tokens']} saved)")
    print(f"pass                {o['passes']}/{o['total']} -> {w['passes']}/{w['total']} ({w['broken']} broken)")
    print(
        f"candidates          {len(res['candidates'])} evaluated"
        + (f" (stopped: {res['stopped']})" if res["stopped"] else "")
    )
    print(f"spent               ${res['spent']:.6f}" + (" + unknown-price calls" if res["unpriced"] else ""))
    print(
        f"saved per month     {'unknown' if month is None else f'${month:.2f}'} at {args.requests_per_day:,.0f} requests/day"
    )
    print(f"written             {res['written'] or 'nothing (no cheaper version held)'}")
    for c in res["candidates"][1:]:
        verdict = "kept   " if c["accepted"] else "dropped"
        print(
            f"  #{c['n']:<2} {c['tokens']:>4} tokens  {c['passes']}/{c['total']}  {verdict}  {c['origin'][:60]}  ({c['reason']})"
        )


if __name__ == "__main__":
    main()
