"""A minimal HTTP/1.1 client for `http://` OpenAI-compatible endpoints (local servers, vLLM, Ollama).

aiohttp costs ~0.09 s to import (a third of it loading the CA store for its TLS contexts) and
~0.12 ms of CPU per request; at `-j 50` against a 100 ms server that CPU delays each next request.
This client speaks what one JSON POST needs, over keep-alive connections of the running event
loop: `Content-Length`, chunked or read-until-close bodies, `Connection: close`, 1xx interim
answers skipped; an idle connection the server closed is never reused. Nothing is re-sent on its
own: a failed exchange is the caller's to retry, as with aiohttp. `https://` endpoints keep
aiohttp (TLS is not this module's business). Errors carry aiohttp's names and messages
(`ServerDisconnectedError: Server disconnected`, `ClientConnectorError: Cannot connect to host
...`), so a row reads the same on both.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
import zlib
from typing import Any
from urllib.parse import urlsplit

from workbench.providers.loop_cleanup import on_loop_shutdown
from workbench.version import __version__


class ClientError(Exception):
    """Any transport failure of this client (the caller maps it to TransportError)."""


class ServerDisconnectedError(ClientError):
    def __init__(self) -> None:
        super().__init__("Server disconnected")


class ClientConnectorError(ClientError):
    pass


class ClientResponseError(ClientError):
    """The server's bytes are not an HTTP/1.x response."""


Response = tuple[int, dict[str, str], bytes]  # status, headers (lower-case names), body


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    """(body, end offset) of a complete chunked body starting at `pos`, or None if incomplete."""
    parts: list[bytes] = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        try:
            size = int(bytes(buf[pos:eol]).split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ClientResponseError("invalid chunk size") from None
        pos = eol + 2
        if size == 0:  # trailers (usually none) end with an empty line
            if buf[pos : pos + 2] == b"\r\n":
                return b"".join(parts), pos + 2
            end = buf.find(b"\r\n\r\n", pos)
            return None if end < 0 else (b"".join(parts), end + 4)
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self.keep_alive = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            self._complete(eof=False)

    def eof_received(self) -> bool:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            self._complete(eof=True)
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done() and not self._complete(eof=True):
            waiter.set_exception(ServerDisconnectedError())  # the answer was cut short

    def _complete(self, eof: bool) -> bool:
        """Resolve the waiter if the buffer holds a whole response; True when resolved."""
        waiter = self.waiter
        assert waiter is not None
        try:
            done = self._parse(eof)
        except ClientError as e:
            waiter.set_exception(e)
            return True
        if done is None:
            return False
        waiter.set_result(done)
        return True

    def _parse(self, eof: bool) -> Response | None:
        buf = self.buf
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return None
            lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
            version, _, rest = lines[0].partition(" ")
            code = rest.partition(" ")[0]
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise ClientResponseError(f"not an HTTP/1.x response: {lines[0][:60]!r}")
            status = int(code)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            start = end + 4
            if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
                del buf[:start]
                continue
            framed = True
            if "chunked" in headers.get("transfer-encoding", "").lower():
                got = _dechunk(buf, start)
                if got is None:
                    return None
                body, consumed = got
            elif "content-length" in headers:
                try:
                    n = int(headers["content-length"])
                except ValueError:
                    raise ClientResponseError("invalid Content-Length") from None
                if len(buf) - start < n:
                    return None
                body, consumed = bytes(buf[start : start + n]), start + n
            elif status in (204, 304):
                body, consumed = b"", start
            else:  # the body ends when the server closes the connection
                if not eof:
                    return None
                body, consumed, framed = bytes(buf[start:]), len(buf), False
            del buf[:consumed]
            connection = headers.get("connection", "").lower()
            self.keep_alive = (
                framed and not buf and (connection == "keep-alive" if version == "HTTP/1.0" else connection != "close")
            )
            return status, headers, body

    async def exchange(self, data: bytes) -> Response:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.keep_alive = False
        self.transport.write(data)
        try:
            return await self.waiter
        finally:
            self.waiter = None

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()
        self.closed = True

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        self.closed = True


class _Pool:
    def __init__(self) -> None:
        self.idle: dict[tuple[str, int], list[_Connection]] = {}

    def take(self, key: tuple[str, int]) -> _Connection | None:
        conns = self.idle.get(key)
        while conns:
            conn = conns.pop()
            if not conn.closed and not conn.buf:
                return conn
            conn.abort()  # closed by the server, or it sent bytes nobody asked for
        return None

    def give_back(self, key: tuple[str, int], conn: _Connection) -> None:
        if conn.keep_alive and not conn.closed:
            self.idle.setdefault(key, []).append(conn)
        else:
            conn.close()

    async def close(self) -> None:
        for conns in self.idle.values():
            for conn in conns:
                conn.close()
        self.idle.clear()


_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = weakref.WeakKeyDictionary()


async def _pool() -> _Pool:
    loop = asyncio.get_running_loop()
    pool = _POOLS.get(loop)
    if pool is None:
        pool = _POOLS[loop] = _Pool()
        await on_loop_shutdown(f"http1-client:{id(pool)}", pool.close)
    return pool


async def _connect(host: str, port: int) -> _Connection:
    loop = asyncio.get_running_loop()
    try:
        _, conn = await loop.create_connection(_Connection, host, port)
    except OSError as e:
        raise ClientConnectorError(f"Cannot connect to host {host}:{port} ssl:default [{e.strerror or e}]") from None
    return conn


def request_bytes(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, int, bytes]:
    """(host, port, the whole request) for a POST of `body` to an http:// `url`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    authority = host if port == 80 else f"{host}:{port}"
    if ":" in host:  # an IPv6 literal
        authority = f"[{host}]" if port == 80 else f"[{host}]:{port}"
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {authority}",
        f"User-Agent: workbench/{__version__}",
        "Accept: application/json",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def post(url: str, body: bytes, headers: dict[str, str], timeout: float | None) -> Response:
    """POST `body` (JSON) to an http:// `url`; (status, headers, body) or a ClientError/TimeoutError.

    `timeout` bounds the whole exchange (connecting included), as aiohttp's total timeout does."""
    host, port, data = request_bytes(url, body, headers)
    pool = await _pool()
    if timeout is None:
        return await _exchange(pool, host, port, data)
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(timeout):
            return await _exchange(pool, host, port, data)
    return await asyncio.wait_for(_exchange(pool, host, port, data), timeout)  # pragma: no cover


async def _exchange(pool: _Pool, host: str, port: int, data: bytes) -> Response:
    key = (host, port)
    conn = pool.take(key) or await _connect(host, port)
    try:
        response = await conn.exchange(data)
    except BaseException:
        conn.abort()
        raise
    pool.give_back(key, conn)
    return response


def decode(body: bytes, headers: dict[str, str]) -> str:
    """The body as text: the Content-Type's charset, else UTF-8 (as aiohttp's `text()` does for JSON).

    A gzip or deflate body (sent although no Accept-Encoding asked for it) is inflated first."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        try:
            body = zlib.decompress(body, 47)  # 32 + 15: a gzip or zlib header, detected
        except zlib.error:
            if encoding != "deflate":
                raise ClientResponseError("invalid gzip body") from None
            try:
                body = zlib.decompress(body, -15)  # a raw deflate stream
            except zlib.error:
                raise ClientResponseError("invalid deflate body") from None
    charset = "utf-8"
    for param in headers.get("content-type", "").split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        return body.decode(charset)
    except LookupError:
        return body.decode("utf-8")


def is_plain_http(url: Any) -> bool:
    """An http:// URL this client serves (credentials in the URL stay aiohttp's business)."""
    return isinstance(url, str) and url[:7].lower() == "http://" and "@" not in url[7:].split("/", 1)[0]
