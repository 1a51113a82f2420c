"""Response-level assertions: cost, latency, finish-reason, perplexity(-score), tools, guardrails,
webhook (against a real loopback HTTP server), and max-score's grading helper."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from assertion_helpers import grade, one

from workbench.assertions.meta import grade_max_score
from workbench.errors import AssertionConfigError
from workbench.types import ProviderResponse, ProviderSpec


def resp(**kw: object) -> ProviderResponse:
    return ProviderResponse(output="x", **kw)  # type: ignore[arg-type]


def test_cost_and_latency() -> None:
    r = resp(cost=0.002, latency_ms=120.0)
    assert one({"type": "cost", "threshold": 0.01}, "x", response=r) == (True, 1.0)
    assert one({"type": "cost", "threshold": 0.001}, "x", response=r) == (False, 0.0)
    assert one({"type": "not-cost", "threshold": 0.001}, "x", response=r) == (True, 1.0)
    assert one({"type": "latency", "threshold": 200}, "x", response=r) == (True, 1.0)
    assert one({"type": "not-latency", "threshold": 200}, "x", response=r) == (False, 0.0)
    for bad in ({"type": "cost"}, {"type": "latency"}):
        with pytest.raises(AssertionConfigError):
            grade(bad, "x", response=r)
    with pytest.raises(AssertionConfigError, match="do not return cost"):
        grade({"type": "cost", "threshold": 1}, "x", response=resp())
    with pytest.raises(AssertionConfigError, match="cached"):
        grade({"type": "latency", "threshold": 1}, "x", response=resp(latency_ms=1.0, cached=True))


def test_finish_reason() -> None:
    assert one({"type": "finish-reason", "value": "STOP"}, "x", response=resp(finish_reason="stop")) == (True, 1.0)
    assert one({"type": "finish-reason", "value": "length"}, "x", response=resp(finish_reason="stop")) == (False, 0.0)
    assert one({"type": "not-finish-reason", "value": "length"}, "x", response=resp(finish_reason="stop")) == (
        True,
        1.0,
    )
    assert one({"type": "finish-reason", "value": "stop"}, "x", response=resp()) == (False, 0.0)
    assert one({"type": "not-finish-reason", "value": "stop"}, "x", response=resp()) == (True, 1.0)


def test_perplexity() -> None:
    r = resp(logprobs=[-0.1, -0.3])
    ppl = math.exp(0.2)
    assert one({"type": "perplexity", "threshold": ppl + 0.01}, "x", response=r) == (True, 1.0)
    assert one({"type": "perplexity", "threshold": ppl - 0.01}, "x", response=r) == (False, 0.0)
    assert one({"type": "perplexity"}, "x", response=r) == (True, 1.0)  # no threshold: pass
    norm = 1 / (1 + math.exp(0.2))
    assert one({"type": "perplexity-score", "threshold": 0.4}, "x", response=r) == (True, pytest.approx(norm))
    assert one({"type": "not-perplexity-score", "threshold": 0.4}, "x", response=r) == (False, pytest.approx(1 - norm))
    with pytest.raises(AssertionConfigError, match="logProbs"):
        grade({"type": "perplexity"}, "x", response=resp())


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}},
        },
    }
]


def test_openai_tools_call() -> None:
    p = ProviderSpec(id="openai:gpt-4o-mini", config={"tools": TOOLS})
    good = [{"function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]
    bad = [{"function": {"name": "get_weather", "arguments": '{"town": "Paris"}'}}]
    assert one({"type": "is-valid-openai-tools-call"}, good, provider=p) == (True, 1.0)
    assert one({"type": "is-valid-openai-tools-call"}, {"tool_calls": good}, provider=p) == (True, 1.0)
    assert one({"type": "is-valid-openai-tools-call"}, bad, provider=p) == (False, 0.0)
    assert one({"type": "is-valid-openai-tools-call"}, "plain text", provider=p) == (False, 0.0)
    # promptfoo's handler ignores `not-` for this type; so do we
    assert one({"type": "not-is-valid-openai-tools-call"}, "plain text", provider=p) == (False, 0.0)
    assert one({"type": "is-valid-openai-tools-call"}, good, provider=ProviderSpec(id="echo")) == (False, 0.0)


def test_tool_call_f1() -> None:
    out = [{"function": {"name": "a", "arguments": "{}"}}, {"function": {"name": "b", "arguments": "{}"}}]
    assert one({"type": "tool-call-f1", "value": ["a", "b"]}, out) == (True, 1.0)
    p, s = one({"type": "tool-call-f1", "value": "a, c"}, out)
    assert p is False and s == pytest.approx(0.5)
    assert one({"type": "tool-call-f1", "value": "a, c", "threshold": 0.5}, out)[0] is True
    assert one({"type": "not-tool-call-f1", "value": "a, c"}, out) == (True, pytest.approx(0.5))


def test_guardrails() -> None:
    flagged = resp(metadata={"guardrails": {"flagged": True, "flaggedOutput": True}})
    assert one({"type": "guardrails"}, "x", response=resp()) == (True, 1.0)
    assert one({"type": "guardrails"}, "x", response=flagged) == (False, 0.0)
    assert one({"type": "not-guardrails"}, "x", response=flagged) == (True, 1.0)


@pytest.fixture
def webhook() -> Iterator[str]:
    class H(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/fail":
                self.send_response(500)
                self.end_headers()
                return
            ok = body["output"] == "good" and body["context"]["vars"]["k"] == "v"
            data = json.dumps({"pass": ok, "score": 0.9 if ok else 0.1}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_webhook(webhook: str) -> None:
    v = {"k": "v"}
    assert one({"type": "webhook", "value": f"{webhook}/grade"}, "good", vars=v) == (True, 0.9)
    assert one({"type": "webhook", "value": f"{webhook}/grade"}, "bad", vars=v) == (False, 0.1)
    assert one({"type": "not-webhook", "value": f"{webhook}/grade"}, "bad", vars=v) == (True, pytest.approx(0.9))
    p, s = one({"type": "webhook", "value": f"{webhook}/fail"}, "good", vars=v)
    assert (p, s) == (False, 0.0)
    r = grade({"type": "webhook", "value": f"{webhook}/fail"}, "good", vars=v).component_results[0]
    assert "Webhook error" in r.reason


def test_max_score_helper() -> None:
    res = grade_max_score(["a", "b", "c"], [0.2, 0.9, 0.9], {"type": "max-score"})
    assert [r.pass_ for r in res] == [False, True, False]
    res = grade_max_score(["a", "b"], [0.2, 0.4], {"type": "max-score", "value": {"threshold": 0.5}})
    assert [r.pass_ for r in res] == [False, False]
