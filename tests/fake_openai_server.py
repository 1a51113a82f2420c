"""A real OpenAI-compatible HTTP server on 127.0.0.1 for provider tests and benchmarks.

It answers `POST /v1/chat/completions` (and `/chat/completions`); `GET /stats` returns the number
of chat requests so far (for benchmarks that run it in another process). Each request takes the next
scripted behaviour (a queue), else the behaviour set for its model, else the default. Behaviours:

    {"delay": 0.1}                         sleep before answering
    {"status": 429, "retry_after": 1}      error status, optional Retry-After header (seconds)
    {"status": 500, "message": "..."}        (the error body's message defaults to `fake error <status>`)
    {"hang": 5}                            sleep past the client's timeout, then close
    {"drop": True}                         close the connection without a response
    {"malformed": True}                    200 with a body that is not JSON
    {"body": {...}}                        200 with exactly this JSON body (e.g. {"choices": []})
    {"content": "text", "usage": {...} | None, "finish_reason": "stop"}

Use it as a pytest fixture (`fake_openai`, exposed from this module through `pytest_plugins`) or
standalone: `python tests/fake_openai_server.py --port 0 --delay 0.1` prints the base URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import pytest

Behaviour = dict[str, Any]


class FakeOpenAI:
    def __init__(self, default: Behaviour | None = None) -> None:
        self.default: Behaviour = default or {}
        self.script: deque[Behaviour] = deque()
        self.by_model: dict[str, Behaviour] = {}
        self.requests: list[dict[str, Any]] = []  # {"body": ..., "headers": ..., "t": ...}
        self.responder: Callable[[dict[str, Any]], str | Behaviour] | None = None
        self._lock = threading.Lock()
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hang: asyncio.Event
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------
    def queue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self.script.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self.script.clear()
            self.by_model.clear()
            self.requests.clear()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def _next(self, body: dict[str, Any], headers: dict[str, str]) -> Behaviour:
        with self._lock:
            self.requests.append({"body": body, "headers": headers, "t": time.monotonic()})
            if self.script:
                return self.script.popleft()
            model = str(body.get("model", ""))
            behaviour = self.by_model.get(model, self.default)
        if self.responder is not None:  # a scripted model: the answer is a function of the request
            answer = self.responder(body)
            behaviour = {**behaviour, **(answer if isinstance(answer, dict) else {"content": answer})}
        return behaviour

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/v1"

    def start(self, port: int = 0) -> FakeOpenAI:
        """Serve on a private asyncio loop in a daemon thread (threads per connection stall on the GIL)."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._hang = asyncio.Event()

            async def serve() -> None:
                self._server = await asyncio.start_server(self._handle, "127.0.0.1", port, backlog=512)
                ready.set()

            loop.run_until_complete(serve())
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            self._hang.set()
            if self._server is not None:
                self._server.close()
            for w in list(self._writers):
                w.transport.abort()
            # Let handlers finish on their own (the hang event is set, transports are aborted):
            # cancelling them makes asyncio's stream callback log a CancelledError traceback.
            tasks = [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
            if tasks:
                await asyncio.wait(tasks, timeout=2)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        if self._thread is not None:
            self._thread.join(5)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                if lines[0].startswith("GET /stats"):
                    data = str(self.count).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
                    await writer.drain()
                    continue
                raw = await reader.readexactly(int(headers.get("content-length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                b = self._next(body, headers)
                if b.get("delay"):
                    await asyncio.sleep(float(b["delay"]))
                if b.get("hang"):
                    try:
                        await asyncio.wait_for(self._hang.wait(), float(b["hang"]))
                    except asyncio.TimeoutError:
                        pass
                    writer.transport.abort()
                    return
                if b.get("drop"):
                    writer.transport.abort()
                    return
                status = int(b.get("status", 200))
                extra: dict[str, str] = {}
                if status != 200:
                    message = b.get("message", f"fake error {status}")
                    data = json.dumps({"error": {"message": message, "type": "server_error"}}).encode()
                    if "retry_after" in b:
                        extra["Retry-After"] = str(b["retry_after"])
                elif b.get("malformed"):
                    data = b'{"id": "x", "choices": [ {"message": '
                elif "body" in b:
                    data = json.dumps(b["body"]).encode()
                else:
                    data = json.dumps(completion(body, b)).encode()
                reason = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "Error")
                head_out = [
                    f"HTTP/1.1 {status} {reason}",
                    "Content-Type: application/json",
                    f"Content-Length: {len(data)}",
                ]
                head_out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(head_out) + "\r\n\r\n").encode() + data)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except ConnectionError:
            return
        finally:
            self._writers.discard(writer)
            writer.close()


def completion(body: dict[str, Any], b: Behaviour) -> dict[str, Any]:
    """An OpenAI chat.completion; content defaults to `echo: <last message>`."""
    messages = body.get("messages") or [{}]
    last = messages[-1].get("content", "") if isinstance(messages[-1], dict) else ""
    content = b.get("content", f"echo: {last}")
    usage = b.get("usage", {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18})
    out: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": b.get("finish_reason", "stop"),
            }
        ],
    }
    if usage is not None:
        out["usage"] = usage
    return out


def spec_for(server: FakeOpenAI, model: str = "gpt-4o-mini", **config: Any) -> Any:
    """A provider spec pointing litellm at the server (fast retries unless overridden).

    The server stands in for `model`: when litellm's map knows it, it is priced as that model
    (`price_as`), since an apiBaseUrl of your own is otherwise unpriced."""
    from workbench.providers.pricing import model_price
    from workbench.types import ProviderSpec

    cfg = {"apiBaseUrl": server.base_url, "apiKey": "sk-test-SECRET-123", "retry_base_delay": 0.01, **config}
    if model_price(model) is not None and not any("cost" in k for k in config):
        cfg.setdefault("price_as", model)
    return ProviderSpec(id=f"openai:chat:{model}", config=cfg)


def _serving(default: Behaviour | None = None) -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(default).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    yield from _serving()


@pytest.fixture(scope="module")
def slow_server() -> Iterator[FakeOpenAI]:
    """A loopback OpenAI-compatible server answering every call after 80 ms: runs last long
    enough for a signal or a kill to land mid-run (test_crash_resume.py, test_run_owners.py)."""
    yield from _serving({"delay": 0.08})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--stats", action="store_true", help="(always on) GET /stats returns the request count")
    args = ap.parse_args()
    server = FakeOpenAI({"delay": args.delay} if args.delay else None).start(args.port)
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
