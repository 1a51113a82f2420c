#!/usr/bin/env python3
"""Regenerate a compat corpus' expected verdicts with the real promptfoo (the oracle).

For each case directory (a `promptfooconfig.yaml` with `echo` providers) this runs
`promptfoo eval -c promptfooconfig.yaml --no-cache -o oracle.json` in the case's directory and
writes `expected.json`: the normalized per-row records of tests/compat/differential/README.md
(case, prompt_index, prompt_label, test_index, description, vars, pass, score, per_assertion,
error, named_scores, output), plus `expected_metrics.json` with each prompt's
`metrics.namedScores` (where promptfoo writes derivedMetrics) when the config has derivedMetrics.

Usage: scripts/regen_compat_expected.py CORPUS_DIR [CASE ...] [--promptfoo PATH]
The promptfoo executable is --promptfoo, else $WORKBENCH_PROMPTFOO, else `promptfoo` on PATH
(0.123.1 needs Node >= 22 first on PATH). Everything runs offline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.run.compat_check import normalize_results


def records(case: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """promptfoo's raw `-o` output -> the corpus' normalized records, sorted by (test, prompt)."""
    verdicts = normalize_results(data)
    out = []
    for r in data["results"]["results"]:
        key = (int(r["testIdx"]), int(r["promptIdx"]))
        v = verdicts[key]
        out.append(
            {
                "case": case,
                "prompt_index": key[1],
                "prompt_label": (r.get("prompt") or {}).get("label"),
                "test_index": key[0],
                "description": (r.get("testCase") or {}).get("description"),
                "vars": r.get("vars") or {},
                "pass": v["pass"],
                "score": v["score"],
                "per_assertion": v["per_assertion"],
                "error": v["error"],
                "named_scores": r.get("namedScores") or {},
                "output": None if v["error"] else (r.get("response") or {}).get("output"),
            }
        )
    return sorted(out, key=lambda rec: (rec["test_index"], rec["prompt_index"]))


def prompt_metrics(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"prompt_index": i, "label": p.get("label"), "namedScores": (p.get("metrics") or {}).get("namedScores", {})}
        for i, p in enumerate(data["results"].get("prompts") or [])
    ]


def regen(case_dir: Path, promptfoo: str, home: Path) -> str:
    oracle = case_dir / "oracle.json"
    oracle.unlink(missing_ok=True)
    env = {
        **os.environ,
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_CONFIG_DIR": str(home),
        "PROMPTFOO_DISABLE_REMOTE_GENERATION": "1",
    }
    proc = subprocess.run(
        [promptfoo, "eval", "-c", "promptfooconfig.yaml", "--no-cache", "--no-table", "-o", "oracle.json"],
        cwd=case_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if not oracle.exists():
        return f"FAIL {case_dir.name}: promptfoo wrote no output (exit {proc.returncode})\n{proc.stderr[-1500:]}"
    data = json.loads(oracle.read_text(encoding="utf-8"))
    recs = records(case_dir.name, data)
    (case_dir / "expected.json").write_text(json.dumps(recs, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    metrics = case_dir / "expected_metrics.json"
    if (data.get("config") or {}).get("derivedMetrics"):
        metrics.write_text(json.dumps(prompt_metrics(data), indent=1) + "\n", encoding="utf-8")
    else:
        metrics.unlink(missing_ok=True)
    version = (data.get("metadata") or {}).get("promptfooVersion", "?")
    return f"ok   {case_dir.name}: {len(recs)} rows (promptfoo {version})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--promptfoo", default=os.environ.get("WORKBENCH_PROMPTFOO") or shutil.which("promptfoo"))
    args = ap.parse_args()
    if not args.promptfoo:
        sys.exit("promptfoo not found: pass --promptfoo PATH or set WORKBENCH_PROMPTFOO")
    cases = [args.corpus / c for c in args.cases] or sorted(
        p.parent for p in args.corpus.glob("*/promptfooconfig.yaml")
    )
    failed = 0
    with tempfile.TemporaryDirectory(prefix="promptfoo-home-") as home:
        for case in cases:
            line = regen(case.resolve(), args.promptfoo, Path(home))
            failed += line.startswith("FAIL")
            print(line, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
