"""A real HTTP server on 127.0.0.1 that speaks the OpenAI files/batches and Anthropic message-batches
protocols, for batch-mode tests and the scale-out benchmark.

Answers: the completion text is `answer: <last user message>`; usage counts words (+1 per message).
Behaviour knobs (attributes, set before or during a test):
- `polls_before_done`: polls that still say in_progress before a batch ends (default 1);
- a request whose last user message contains `FAIL` gets a per-item error (HTTP 500 in OpenAI's
  error file, `errored` for Anthropic);
- `expire`: batches end `expired` (OpenAI) / items `expired` (Anthropic), answering nothing
  after the first `expire_after` items;
- `fail_create`: creating a batch answers HTTP 400.
Every request is logged in `requests` as (method, path, time).
Standalone: `python tests/fake_batch_server.py` prints the base URL and serves until killed.
"""

from __future__ import annotations

import email.parser
import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

FIXED_USAGE: tuple[int, int] | None = None  # (in, out) for every answer, else counted words


def _answer(messages: list[dict[str, Any]]) -> tuple[str, int, int]:
    user = [str(m.get("content")) for m in messages if m.get("role") == "user"]
    last = user[-1] if user else ""
    text = f"answer: {last}"
    if FIXED_USAGE is not None:
        return text, FIXED_USAGE[0], FIXED_USAGE[1]
    tin = sum(len(str(m.get("content", "")).split()) + 1 for m in messages)
    return text, tin, len(text.split())


class FakeBatchServer:
    def __init__(self) -> None:
        self.polls_before_done = 1
        self.expire = False
        self.expire_after = 0
        self.fail_create = False
        self.fail_marker = "FAIL"  # a request whose last user message holds it gets a per-item error
        self.files: dict[str, str] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, float]] = []
        self.seen_keys: list[str | None] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, payload: Any, content_type: str = "application/json") -> None:
                body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def do_GET(self) -> None:
                server.requests.append(("GET", self.path, time.monotonic()))
                code, payload, ctype = server.get(self.path)
                self._send(code, payload, ctype)

            def do_POST(self) -> None:
                server.requests.append(("POST", self.path, time.monotonic()))
                server.seen_keys.append(self.headers.get("Authorization") or self.headers.get("x-api-key"))
                code, payload = server.post(self.path, self.headers.get("Content-Type") or "", self._body())
                self._send(code, payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def openai_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_{next(self._ids)}"

    # -- POST -----------------------------------------------------------------------------------
    def post(self, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
        if path == "/v1/files":
            msg = email.parser.BytesParser().parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
            content = ""
            for part in msg.get_payload():  # type: ignore[union-attr]
                if part.get_param("name", header="content-disposition") == "file":
                    content = part.get_payload(decode=True).decode()
            fid = self._new_id("file")
            self.files[fid] = content
            return 200, {"id": fid, "object": "file", "purpose": "batch"}
        if path == "/v1/batches":
            if self.fail_create:
                return 400, {"error": {"message": "batch creation refused"}}
            req = json.loads(body)
            lines = [json.loads(x) for x in self.files[req["input_file_id"]].splitlines() if x.strip()]
            bid = self._new_id("batch")
            self.batches[bid] = {"api": "openai", "items": lines, "polls": 0}
            return 200, self._openai_view(bid)
        if path == "/v1/messages/batches":
            if self.fail_create:
                return 400, {"error": {"message": "batch creation refused"}}
            req = json.loads(body)
            bid = self._new_id("msgbatch")
            self.batches[bid] = {"api": "anthropic", "items": req["requests"], "polls": 0}
            return 200, self._anthropic_view(bid)
        return 404, {"error": {"message": f"no route {path}"}}

    # -- GET ------------------------------------------------------------------------------------
    def get(self, path: str) -> tuple[int, Any, str]:
        if path.startswith("/v1/batches/"):
            bid = path.rsplit("/", 1)[1]
            self.batches[bid]["polls"] += 1
            return 200, self._openai_view(bid), "application/json"
        if path.startswith("/v1/messages/batches/") and path.endswith("/results"):
            bid = path.split("/")[4]
            return 200, self._anthropic_results(bid), "application/jsonl"
        if path.startswith("/v1/messages/batches/"):
            bid = path.rsplit("/", 1)[1]
            self.batches[bid]["polls"] += 1
            return 200, self._anthropic_view(bid), "application/json"
        if path.startswith("/v1/files/") and path.endswith("/content"):
            fid = path.split("/")[3]
            return 200, self.files.get(fid, ""), "application/jsonl"
        return 404, {"error": {"message": f"no route {path}"}}, "application/json"

    def _done(self, bid: str) -> bool:
        return bool(self.batches[bid]["polls"] > self.polls_before_done)

    def _openai_view(self, bid: str) -> dict[str, Any]:
        b = self.batches[bid]
        view: dict[str, Any] = {"id": bid, "object": "batch", "status": "in_progress", "request_counts": {}}
        if not self._done(bid):
            return view
        if "output_file_id" not in b:
            ok, bad = [], []
            for n, line in enumerate(b["items"]):
                if self.expire and n >= self.expire_after:
                    continue
                body = line["body"]
                text, tin, tout = _answer(body["messages"])
                last = text.removeprefix("answer: ")
                if self.fail_marker in last:
                    bad.append(
                        {
                            "custom_id": line["custom_id"],
                            "response": {"status_code": 500, "body": {"error": {"message": "planted failure"}}},
                            "error": None,
                        }
                    )
                    continue
                ok.append(
                    {
                        "custom_id": line["custom_id"],
                        "response": {
                            "status_code": 200,
                            "body": {
                                "choices": [
                                    {"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                                ],
                                "usage": {"prompt_tokens": tin, "completion_tokens": tout},
                                "model": body["model"],
                            },
                        },
                        "error": None,
                    }
                )
            out_id, err_id = self._new_id("file"), self._new_id("file")
            self.files[out_id] = "\n".join(json.dumps(x) for x in ok)
            self.files[err_id] = "\n".join(json.dumps(x) for x in bad)
            b.update(output_file_id=out_id, error_file_id=err_id if bad else None, ok=len(ok), bad=len(bad))
        view.update(
            status="expired" if self.expire else "completed",
            output_file_id=b["output_file_id"],
            error_file_id=b["error_file_id"],
            request_counts={"total": len(b["items"]), "completed": b["ok"], "failed": b["bad"]},
        )
        return view

    def _anthropic_view(self, bid: str) -> dict[str, Any]:
        done = self._done(bid)
        return {
            "id": bid,
            "type": "message_batch",
            "processing_status": "ended" if done else "in_progress",
            "request_counts": {"processing": 0 if done else len(self.batches[bid]["items"])},
            "results_url": f"{self.anthropic_base}/v1/messages/batches/{bid}/results" if done else None,
        }

    def _anthropic_results(self, bid: str) -> str:
        rows = []
        for n, item in enumerate(self.batches[bid]["items"]):
            params = item["params"]
            text, tin, tout = _answer(params["messages"])
            if self.expire and n >= self.expire_after:
                result: dict[str, Any] = {"type": "expired"}
            elif self.fail_marker in text:
                result = {"type": "errored", "error": {"type": "error", "error": {"message": "planted failure"}}}
            else:
                result = {
                    "type": "succeeded",
                    "message": {
                        "content": [{"type": "text", "text": text}],
                        "stop_reason": "end_turn",
                        "usage": {"input_tokens": tin, "output_tokens": tout},
                    },
                }
            rows.append({"custom_id": item["custom_id"], "result": result})
        return "\n".join(json.dumps(r) for r in rows)

    def __enter__(self) -> FakeBatchServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_batches() -> Iterator[FakeBatchServer]:
    with FakeBatchServer() as server:
        yield server


if __name__ == "__main__":
    import sys

    if "--usage" in sys.argv:  # --usage IN,OUT: the same usage as fake_openai_server's default answer
        tin, tout = sys.argv[sys.argv.index("--usage") + 1].split(",")
        FIXED_USAGE = (int(tin), int(tout))
    with FakeBatchServer() as s:
        print(s.openai_base, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
