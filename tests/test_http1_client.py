"""The light HTTP/1.1 client of the default transport for `http://` endpoints (providers/http1_client.py).

A raw asyncio server on 127.0.0.1 answers with scripted bytes, so every framing a real server
may use is exercised: Content-Length, chunked (split across writes), read-until-close, HTTP/1.0,
`Connection: close`, a 100 Continue before the answer; keep-alive reuse and an idle connection
the server closed; refused connections, a cut answer and a timeout, with aiohttp's error texts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from workbench.providers import http1_client
from workbench.providers.openai_compat import TransportError, chat_completion

Script = Callable[[bytes], list[bytes | float | None]]  # request -> chunks to write (float: sleep, None: close)

OK_BODY = json.dumps({"choices": [{"message": {"role": "assistant", "content": "hi"}}]}).encode()


def _length(body: bytes = OK_BODY, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode()
        + body
    )


async def _serve(script: Script, run: Callable[[str], Any]) -> tuple[Any, dict[str, Any]]:
    """Start the scripted server, await `run(url)`, return (its result, server stats)."""
    stats: dict[str, Any] = {"connections": 0, "requests": []}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stats["connections"] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                stats["requests"].append(head + body)
                for part in script(head + body):
                    if part is None:
                        writer.close()
                        return
                    if isinstance(part, float):
                        await asyncio.sleep(part)
                        continue
                    writer.write(part)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await run(f"http://127.0.0.1:{port}/v1"), stats
    finally:
        server.close()


def _call(
    script: Script, n: int = 1, timeout: float | None = 5.0, pause: float = 0.0
) -> tuple[list[Any], dict[str, Any]]:
    async def run(base: str) -> list[Any]:
        out = []
        for i in range(n):
            if i and pause:
                await asyncio.sleep(pause)
            try:
                out.append(await chat_completion(base, "sk-test", {"model": "m", "messages": []}, timeout))
            except Exception as e:
                out.append(e)
        return out

    return asyncio.run(_serve(script, run))


def test_content_length_keep_alive_reuses_one_connection_and_sends_a_json_post() -> None:
    results, stats = _call(lambda req: [_length()], n=3)
    assert results == [json.loads(OK_BODY)] * 3
    assert stats["connections"] == 1
    request = stats["requests"][0]
    head, _, body = request.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Bearer sk-test" in head and b"\r\nContent-Type: application/json" in head
    assert json.loads(body) == {"model": "m", "messages": []}


def test_chunked_answer_split_across_writes_and_interim_100_continue() -> None:
    def script(req: bytes) -> list[bytes | float | None]:
        half = len(OK_BODY) // 2
        return [
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            f"{half:x}\r\n".encode() + OK_BODY[:half] + b"\r\n",
            0.01,
            f"{len(OK_BODY) - half:x};ext=1\r\n".encode() + OK_BODY[half:] + b"\r\n0\r\n\r\n",
        ]

    results, stats = _call(script, n=2)
    assert results == [json.loads(OK_BODY)] * 2 and stats["connections"] == 1


def test_read_until_close_http_1_0_and_connection_close_open_new_connections() -> None:
    answers = iter(
        [
            [b"HTTP/1.1 200 OK\r\n\r\n" + OK_BODY, None],  # no length: the body ends with the connection
            [b"HTTP/1.0" + _length()[len(b"HTTP/1.1") :]],  # HTTP/1.0 without keep-alive
            [_length(extra="Connection: close\r\n")],
            [_length()],
        ]
    )
    results, stats = _call(lambda req: next(answers), n=4)
    assert results == [json.loads(OK_BODY)] * 4
    assert stats["connections"] == 4  # each of the first three answers ended its connection


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    # the server closes each connection 10 ms after answering; the next call comes 100 ms later
    results, stats = _call(lambda req: [_length(), 0.01, None], n=2, pause=0.1)
    assert results == [json.loads(OK_BODY)] * 2
    assert stats["connections"] == 2


def test_a_connection_that_sent_unasked_bytes_while_idle_is_not_reused() -> None:
    results, stats = _call(lambda req: [_length(), 0.01, b"HTTP/1.1 200 OK\r\n"], n=2, pause=0.1)
    assert results == [json.loads(OK_BODY)] * 2
    assert stats["connections"] == 2


def test_errors_read_as_aiohttps() -> None:
    cut, _ = _call(lambda req: [b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"ch', None])
    assert isinstance(cut[0], TransportError) and str(cut[0]) == "ServerDisconnectedError: Server disconnected"
    garbage, _ = _call(lambda req: [b"SSH-2.0-OpenSSH\r\n\r\n", None])
    assert isinstance(garbage[0], TransportError) and "ClientResponseError" in str(garbage[0])
    status, _ = _call(
        lambda req: [
            b'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 36\r\n\r\n{"error": {"message": "slow down!"}}'
        ]
    )
    assert type(status[0]).__name__ == "RateLimitError" and str(status[0]) == "HTTP 429: slow down!"
    assert status[0].headers["retry-after"] == "3"  # type: ignore[attr-defined]
    hung, _ = _call(lambda req: [5.0], timeout=0.2)
    assert isinstance(hung[0], TimeoutError)


def test_connection_refused_names_the_host_like_aiohttp() -> None:
    async def run() -> BaseException:
        try:
            await chat_completion("http://127.0.0.1:9/v1", None, {"model": "m", "messages": []}, 5.0)
        except BaseException as e:
            return e
        raise AssertionError("no error")

    err = asyncio.run(run())
    assert isinstance(err, TransportError)
    assert str(err).startswith("ClientConnectorError: Cannot connect to host 127.0.0.1:9 ssl:default [")


def test_a_compressed_answer_is_inflated() -> None:
    import gzip
    import zlib

    gz = gzip.compress(OK_BODY)
    raw = zlib.compressobj(wbits=-15)
    deflated = raw.compress(OK_BODY) + raw.flush()
    answers = iter([[_length(gz, "Content-Encoding: gzip\r\n")], [_length(deflated, "Content-Encoding: deflate\r\n")]])
    results, _ = _call(lambda req: next(answers), n=2)
    assert results == [json.loads(OK_BODY)] * 2


def test_charset_and_plain_http_detection() -> None:
    assert http1_client.decode("é".encode("latin-1"), {"content-type": "application/json; charset=latin-1"}) == "é"
    assert http1_client.decode("é".encode(), {}) == "é"
    assert http1_client.is_plain_http("HTTP://host:8000/v1") and not http1_client.is_plain_http("https://api.x/v1")
    assert not http1_client.is_plain_http("http://user:pw@host:8000/v1")  # credentials: aiohttp's path
    host, port, data = http1_client.request_bytes("http://[::1]:8080/v1/chat/completions?x=1", b"{}", {})
    assert (host, port) == ("::1", 8080) and data.startswith(
        b"POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: [::1]:8080\r\n"
    )
