"""Provider throughput: N calls to a loopback OpenAI-compatible server with fixed latency, cold then warm.

    .venv/bin/python bench/provider_throughput.py [--calls 2000] [-j 50] [--latency 0.1]
        [--transport default|litellm|openai-compatible|all] [--reps 1] [--promptfoo PATH]

Each measurement is `workbench run` in a subprocess, exactly as a user runs it (interpreter start,
imports, suite load, calls, store, summary). The generated suite has N tests, one prompt and one
`openai:chat:gpt-4o-mini` provider pointed at the server with `apiBaseUrl`, no assertions; the
`default` transport sets nothing else. Two runs against one database:
  cold: every call reaches the server.   Target: wall <= 1.2 x ideal (N / j x latency).
  warm: the same suite again.            Target: <= 0.6 s and zero HTTP requests.
With `--promptfoo PATH`, promptfoo runs the same file (`eval --no-cache -j N`) for comparison.
The server runs in its own process so its work does not share the client's GIL.
On a machine shared with other jobs, `chrt -f 10 <this command>` runs it (and its children) with
real-time scheduling, so it gets a core when it needs one, as on a quiet machine; the load
average printed is still the machine's.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from compile_first import compile_bytecode  # a sibling script

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
    extra = "" if transport == "default" else f", transport: {transport}"
    path = directory / "throughput.yaml"
    path.write_text(
        "prompts: ['Answer briefly: {{q}}']\n"
        "providers:\n"
        f"  - id: openai:chat:gpt-4o-mini\n    config: {{apiBaseUrl: '{base_url}', apiKey: sk-bench, timeout: 30{extra}}}\n"
        f"tests:\n{tests}\n"
    )
    return path


CPU = {"s": 0.0}  # CPU seconds (user + system) of the last timed child


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["s"] = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return wall, proc.returncode, proc.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("-j", "--concurrency", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--promptfoo", help="promptfoo executable to time on the same suite")
    ap.add_argument(
        "--transport",
        choices=["default", "litellm", "openai-compatible", "all"],
        default="default",
        help="`default` sets no transport (what users get); `all` runs the three [default: default]",
    )
    ap.add_argument(
        "--source-only", action="store_true", help="do not compile workbench's bytecode first (see compile_bytecode)"
    )
    args = ap.parse_args()
    compile_bytecode(args.source_only)

    proc, base_url = start_server(args.latency)
    ideal = args.calls / args.concurrency * args.latency
    try:
        transports = ["default", "litellm", "openai-compatible"] if args.transport == "all" else [args.transport]
        for transport in transports:
            for rep in range(args.reps):
                with tempfile.TemporaryDirectory() as tmp:
                    d = Path(tmp)
                    suite = write_suite(d, base_url, args.calls, transport)
                    cmd = [sys.executable, "-m", "workbench", "run", str(suite), "--db", str(d / "bench.db")]
                    cmd += ["-q", "--no-progress", "-j", str(args.concurrency)]
                    figures = {}
                    for phase in ("cold", "warm"):
                        before = request_count(base_url)
                        wall, code, err = timed(cmd, d)
                        if code not in (0, 100):
                            sys.exit(f"workbench exited {code}:\n{err}")
                        figures[phase] = wall
                        http = request_count(base_url) - before
                        print(
                            f"[{transport} #{rep + 1}] {phase}: {args.calls} calls at -j {args.concurrency},"
                            f" {args.latency * 1000:.0f} ms latency: wall {wall:.2f} s (CLI subprocess), CPU {CPU['s']:.2f} s,"
                            f" {http} HTTP requests; load average {os.getloadavg()[0]:.2f}"
                        )
                    print(
                        f"[{transport} #{rep + 1}] ideal {ideal:.2f} s; cold/ideal = {figures['cold'] / ideal:.2f}"
                        f" (target <= 1.20); warm {figures['warm']:.2f} s (target <= 0.60)"
                    )
        if args.promptfoo:
            for rep in range(args.reps):
                with tempfile.TemporaryDirectory() as tmp:
                    d = Path(tmp)
                    suite = write_suite(d, base_url, args.calls, "default")
                    cmd = [args.promptfoo, "eval", "-c", str(suite), "--no-cache", "-j", str(args.concurrency)]
                    cmd += ["-o", str(d / "pf.json")]
                    before = request_count(base_url)
                    wall, code, _ = timed(cmd, d)
                    http = request_count(base_url) - before
                    print(
                        f"[promptfoo #{rep + 1}] {args.calls} calls: wall {wall:.2f} s, CPU {CPU['s']:.2f} s,"
                        f" {http} HTTP requests,"
                        f" cold/ideal = {wall / ideal:.2f}, exit {code}"
                    )
    finally:
        proc.terminate()
        proc.wait(5)


if __name__ == "__main__":
    main()
