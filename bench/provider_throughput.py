"""Provider throughput: N calls to a loopback OpenAI-compatible server with fixed latency, cold then warm.

    .venv/bin/python bench/provider_throughput.py [--calls 2000] [-j 50] [--latency 0.1]

For each transport (litellm, the default; and the lean `openai-compatible` one) it runs a
generated suite (N tests, one prompt, one `openai:chat:` provider pointed at the server,
no assertions) through the real engine (`run_suite`: render -> build_provider stack -> litellm ->
store), twice against one database:
  cold: every call reaches the server.   Target: wall <= 1.2 x ideal (N / j x latency).
  warm: the same suite again.            Target: <= 10 % of cold wall and zero HTTP requests.
The server runs in its own process so its work does not share the client's GIL.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fake_openai_server.py"), "--delay", str(latency), "--stats"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def request_count(base_url: str) -> int:
    with urllib.request.urlopen(base_url.rsplit("/v1", 1)[0] + "/stats", timeout=5) as r:
        return int(r.read().decode())


def write_suite(directory: Path, base_url: str, n: int, transport: str) -> Path:
    tests = "\n".join(f"  - vars: {{q: 'question {i}'}}" for i in range(n))
    path = directory / "throughput.yaml"
    path.write_text(
        "prompts: ['Answer briefly: {{q}}']\n"
        "providers:\n"
        f"  - id: openai:chat:gpt-4o-mini\n    config: {{apiBaseUrl: '{base_url}', apiKey: sk-bench, timeout: 30, transport: {transport}}}\n"
        f"tests:\n{tests}\n"
    )
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("-j", "--concurrency", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument(
        "--transport",
        choices=["litellm", "openai-compatible", "both"],
        default="both",
        help="litellm (the default transport) or the lean openai-compatible one [default: both]",
    )
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT))
    from workbench.providers.litellm_provider import litellm_module
    from workbench.run.engine import RunConfig, run_suite
    from workbench.store.db import open_db
    from workbench.suite import load

    litellm_module()  # import cost is paid once per process, not per run: keep it out of the timing
    proc, base_url = start_server(args.latency)
    try:
        transports = ["litellm", "openai-compatible"] if args.transport == "both" else [args.transport]
        ideal = args.calls / args.concurrency * args.latency
        for transport in transports:
            with tempfile.TemporaryDirectory() as tmp:
                suite = load(write_suite(Path(tmp), base_url, args.calls, transport))
                db = open_db(Path(tmp) / "bench.db")
                figures = {}
                for phase in ("cold", "warm"):
                    before = request_count(base_url)
                    t0 = time.perf_counter()
                    outcome = run_suite(suite, RunConfig(max_concurrency=args.concurrency), db)
                    wall = time.perf_counter() - t0
                    http = request_count(base_url) - before
                    figures[phase] = wall
                    print(
                        f"[{transport}] {phase}: {args.calls} calls at -j {args.concurrency},"
                        f" {args.latency * 1000:.0f} ms latency: wall {wall:.2f} s, {args.calls / wall:.0f} calls/s,"
                        f" {http} HTTP requests, {outcome.totals.get('cached')} cached,"
                        f" {outcome.totals.get('errors')} errors"
                    )
                cold, warm = figures["cold"], figures["warm"]
                print(f"[{transport}] ideal {ideal:.2f} s; cold/ideal = {cold / ideal:.2f} (target <= 1.20)")
                print(f"[{transport}] warm/cold = {warm / cold:.1%} (target <= 10%)")
    finally:
        proc.terminate()
        proc.wait(5)


if __name__ == "__main__":
    main()
