"""Compression throughput on CPU: a ~1,500-token context at rates 0.5 and 0.33, then a warm rerun.

Uses the kb_answer example's knowledge base (suites/kb_answer.yaml, defaultTest.vars.context) and
the embedded SmolLM2-135M compressor. Prints, per method and rate: context tokens (cl100k), the
compressor wall time and the process's CPU seconds for it, tokens/s (wall, and per CPU second / 2
for what two free cores would give), the achieved ratio and the load average; then the same calls
against a warm `compressions` cache. The compressor is the default int8 model (see
workbench/providers/local_model.py); llmlingua prunes the context in one model pass. Run: `.venv/bin/python bench/compression_throughput.py [--methods llmlingua,longllmlingua]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", default="llmlingua,longllmlingua")
    parser.add_argument("--rates", default="0.5,0.33")
    parser.add_argument("--model", default="smollm2-135m")
    args = parser.parse_args()

    import yaml

    from workbench.compression.service import compress_cached
    from workbench.providers.local_model import load_causal_lm
    from workbench.store.db import open_db
    from workbench.tokens import count_tokens

    suite = yaml.safe_load((ROOT / "suites" / "kb_answer.yaml").read_text())
    context = suite["defaultTest"]["vars"]["context"]
    question = suite["tests"][0]["vars"]["question"]
    n = count_tokens(context)
    t = time.perf_counter()
    load_causal_lm(args.model)
    print(f"compressor {args.model}: loaded in {time.perf_counter() - t:.1f} s; context {n} tokens (cl100k)")
    db = open_db(Path(tempfile.mkdtemp()) / "bench.db")
    cases = [(m, float(r)) for m in args.methods.split(",") for r in args.rates.split(",")]
    for method, rate in cases:
        t, c = time.perf_counter(), cpu_seconds()
        cold = asyncio.run(compress_cached(db, context, method, rate, args.model, question))
        wall, cpu = time.perf_counter() - t, cpu_seconds() - c
        after = count_tokens(cold.text)
        print(
            f"{method}:{rate}: {wall:6.1f} s cold ({cpu:.1f} s CPU), {n / wall:6.0f} tokens/s "
            f"({2 * n / cpu:.0f} per 2 CPU-seconds), {n} -> {after} tokens (ratio {after / n:.2f}), "
            f"facts dropped by the compressor and restored: {len(cold.facts_dropped)}; "
            f"load {os.getloadavg()[0]:.1f}"
        )
    t = time.perf_counter()
    for method, rate in cases:
        warm = asyncio.run(compress_cached(db, context, method, rate, args.model, question))
        assert warm.cached
    warm_ms = (time.perf_counter() - t) * 1000
    print(f"warm cache: {len(cases)} compressions in {warm_ms:.1f} ms ({warm_ms / len(cases):.2f} ms each)")


if __name__ == "__main__":
    main()
