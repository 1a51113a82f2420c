"""promptfoo's `http` provider against a real HTTP server on 127.0.0.1: body templating, headers,
transformRequest/transformResponse, validateStatus, 429 retries, session ids, token usage, and
secrets in headers that never reach the database."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from workbench.errors import ProviderError
from workbench.providers.resolution import resolve
from workbench.types import ProviderRequest, ProviderResponse, ProviderSpec

ROOT = Path(__file__).resolve().parent.parent
SECRET = "sk-planted-header-secret-1234"
ENV_SECRET = "tok-planted-env-secret-5678"


class Server:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.limited = 0  # how many 429s /limited still answers
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: str, ctype: str = "application/json", **headers: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k.replace("_", "-"), v)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                server.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": raw}
                )
                path = self.path.split("?")[0]
                if path == "/chat":
                    body = json.loads(raw) if raw else {}
                    text = body.get("messages", [{}])[-1].get("content", "") if isinstance(body, dict) else ""
                    reply = {"reply": f"echo: {text}", "tokenUsage": {"prompt": 7, "completion": 3, "total": 10}}
                    self._send(200, json.dumps(reply), x_session_id="sess-42")
                elif path == "/fail":
                    self._send(500, '{"detail": "backend exploded"}')
                elif path == "/limited":
                    if server.limited > 0:
                        server.limited -= 1
                        self._send(429, "slow down", "text/plain", retry_after="0")
                    else:
                        self._send(200, "finally", "text/plain")
                else:
                    self._send(200, f"plain {self.command} {self.path}", "text/plain")

            do_GET = do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    s.thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()
        s.thread.join(timeout=5)


def call(spec: ProviderSpec, vars: dict[str, Any] | None = None, prompt: str = "hi there") -> ProviderResponse:
    provider = resolve(spec, ROOT)
    return asyncio.run(provider.call(ProviderRequest(prompt=prompt, messages=[], vars=vars or {"topic": "cats"})))


CHAT_BODY = {"messages": [{"role": "user", "content": "{{prompt}}"}], "topic": "{{topic}}", "meta": "{{meta}}"}


def test_json_body_templating_headers_and_transform_response(server: Server) -> None:
    spec = ProviderSpec(
        "https",
        config={
            "url": server.url + "/chat",
            "method": "POST",
            "headers": {"X-Trace": "t-{{topic}}"},
            "queryParams": {"q": "{{topic}}"},
            "body": CHAT_BODY,
            "transformResponse": "json.reply",
            "sessionParser": "data.headers['x-session-id']",
        },
    )
    r = call(spec, {"topic": "cats", "meta": '{"k": [1, 2]}'})
    assert (r.output, r.error) == ("echo: hi there", None)
    assert (r.tokens_in, r.tokens_out, r.token_source) == (7, 3, "usage")  # the body's tokenUsage
    assert r.cost is None  # no price known: unknown, never $0
    assert r.metadata == {"http": {"status": 200, "statusText": "OK"}, "sessionId": "sess-42"}
    sent = server.requests[-1]
    assert sent["method"] == "POST" and sent["path"] == "/chat?q=cats"
    assert sent["headers"]["content-type"] == "application/json"  # promptfoo's default for an object body
    assert sent["headers"]["x-trace"] == "t-cats"
    # leaves rendered one by one; a rendered leaf that is JSON becomes JSON (promptfoo's processJsonBody)
    assert json.loads(sent["body"]) == {
        "messages": [{"role": "user", "content": "hi there"}],
        "topic": "cats",
        "meta": {"k": [1, 2]},
    }


def test_default_output_is_the_parsed_body_and_get_sends_no_body(server: Server) -> None:
    r = call(ProviderSpec(server.url + "/chat", config={"method": "POST", "body": CHAT_BODY}))
    assert r.output == {"reply": "echo: hi there", "tokenUsage": {"prompt": 7, "completion": 3, "total": 10}}
    g = call(ProviderSpec(server.url + "/page?x={{topic}}", config={"method": "GET"}))
    assert g.output == "plain GET /page?x=cats"
    assert server.requests[-1]["body"] == ""


def test_status_handling(server: Server) -> None:
    base = {"url": server.url + "/fail", "method": "POST", "body": "q={{prompt}}"}
    # promptfoo accepts every status by default: the error body is the output
    r = call(ProviderSpec("http", config=base))
    assert (r.output, r.error) == ({"detail": "backend exploded"}, None)
    assert server.requests[-1]["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert server.requests[-1]["body"] == "q=hi there"
    for validator in ("status >= 200 && status < 300", "(status) => status < 400", "s => s < 500"):
        r = call(ProviderSpec("http", config={**base, "validateStatus": validator}))
        assert (
            r.error == 'Error: HTTP call failed with status 500 Internal Server Error: {"detail": "backend exploded"}'
        )
        assert r.attempts == 1  # a refused status is not retried
    n = len(server.requests)
    assert call(ProviderSpec("http", config={**base, "validateStatus": "status < 600"})).error is None
    assert len(server.requests) == n + 1


def test_429_is_retried_then_answered(server: Server) -> None:
    server.limited = 2
    spec = ProviderSpec("http", config={"url": server.url + "/limited", "method": "POST", "body": "x"})
    r = call(spec)
    assert (r.output, r.error, r.attempts) == ("finally", None, 3)
    server.limited = 5
    r = call(ProviderSpec("http", config={**spec.config, "maxRetries": 1}))
    assert r.attempts == 2 and r.error == "Error: HTTP call failed with status 429 Too Many Requests: slow down"


def test_transform_request_and_transform_response_objects(server: Server, tmp_path: Path) -> None:
    (tmp_path / "parse.js").write_text(
        "module.exports = (json, text, context) => ({\n"
        "  output: json.reply + ' [' + context.response.status + ']',\n"
        "  tokenUsage: {prompt: 11, completion: 13},\n"
        "  cost: 0.25,\n"
        "});\n"
    )
    spec = ProviderSpec(
        "http",
        config={
            "url": server.url + "/chat",
            "method": "POST",
            "body": {"model": "mine"},
            "transformRequest": "({messages: [{role: 'user', content: prompt.toUpperCase() + '/' + vars.topic}]})",
            "transformResponse": "file://parse.js",
        },
    )
    r = asyncio.run(resolve(spec, tmp_path).call(ProviderRequest("hi", [], vars={"topic": "cats"})))
    assert (r.output, r.tokens_in, r.tokens_out, r.cost) == ("echo: HI/cats [200]", 11, 13, 0.25)
    # an object from transformRequest is merged into the JSON body (promptfoo's determineRequestBody)
    assert json.loads(server.requests[-1]["body"]) == {
        "model": "mine",
        "messages": [{"role": "user", "content": "HI/cats"}],
    }
    bad = call(ProviderSpec("http", config={**spec.config, "transformResponse": "json.nope.deeper"}))
    assert bad.error is not None and bad.error.startswith("Error: Failed to transform response:")
    flagged = call(
        ProviderSpec("http", config={**spec.config, "transformResponse": "({error: 'refused: ' + json.reply})"})
    )
    assert flagged.error == "refused: echo: HI THERE/cats"


def test_token_estimation_and_config_prices(server: Server) -> None:
    config = {
        "url": server.url + "/page",
        "method": "POST",
        "body": "x",
        "tokenEstimation": {"enabled": True, "multiplier": 2},
        "input_cost_per_1m": 1_000_000,
        "output_cost_per_1m": 1_000_000,
    }
    r = call(ProviderSpec("http", config=config), prompt="one two three")
    assert r.output == "plain POST /page"
    assert (r.tokens_in, r.tokens_out, r.cost) == (6, 6, pytest.approx(12.0))


def test_bad_configs_are_refused_at_load(server: Server) -> None:
    with pytest.raises(ProviderError, match=r"config\.url: the HTTP provider needs a url"):
        resolve(ProviderSpec("http", config={"body": "x"}), ROOT)
    with pytest.raises(ProviderError, match=r"to have a config containing \{body\}"):
        resolve(ProviderSpec(server.url), ROOT)
    with pytest.raises(ProviderError, match=r"config\.auth: the HTTP provider's `auth` option is not supported"):
        resolve(ProviderSpec(server.url, config={"body": "x", "auth": {"type": "bearer"}}), ROOT)
    with pytest.raises(ProviderError, match="Content-Type is not application/json, but body is an object"):
        resolve(ProviderSpec(server.url, config={"body": {"a": 1}, "headers": {"Content-Type": "text/plain"}}), ROOT)


SUITE = """
prompts: ["Question: {{{{topic}}}}"]
providers:
  - id: {url}/chat
    label: my-app
    config:
      method: POST
      headers:
        Authorization: "Bearer {{{{env.WB_HTTP_TEST_TOKEN}}}}"
        X-Api-Key: {secret}
      body:
        messages: [{{role: user, content: "{{{{prompt}}}}"}}]
      transformResponse: json.reply
tests:
  - vars: {{topic: cats}}
    assert: [{{type: contains, value: "echo: Question: cats"}}]
  - vars: {{topic: dogs}}
"""


def test_suite_through_the_cli_cached_rerun_and_no_secret_stored(server: Server, tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text(SUITE.format(url=server.url, secret=SECRET))
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "WB_HTTP_TEST_TOKEN": ENV_SECRET}

    def run(out: str) -> dict[str, Any]:
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", "run", "suite.yaml", "--db", "wb.db", "-o", out],
            cwd=tmp_path, capture_output=True, text=True, timeout=180, env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert SECRET not in proc.stdout + proc.stderr and ENV_SECRET not in proc.stdout + proc.stderr
        data: dict[str, Any] = json.loads((tmp_path / out).read_text())
        return data

    rows = run("first.json")["results"]["results"]
    assert sorted(r["response"]["output"] for r in rows) == ["echo: Question: cats", "echo: Question: dogs"]
    assert len(server.requests) == 2
    assert {r["headers"]["authorization"] for r in server.requests} == {f"Bearer {ENV_SECRET}"}
    assert {r["headers"]["x-api-key"] for r in server.requests} == {SECRET}
    again = run("second.json")["results"]["results"]
    assert len(server.requests) == 2  # the rerun is served from the response cache
    assert all(r["response"]["cached"] for r in again)
    for f in tmp_path.iterdir():  # the database (WAL included) and both outputs
        if f.is_file() and f.suffix != ".yaml":
            data = f.read_bytes()
            assert SECRET.encode() not in data and ENV_SECRET.encode() not in data, f.name
