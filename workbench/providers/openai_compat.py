"""A lean transport for OpenAI-compatible servers (vLLM, llama.cpp, LM Studio, Ollama's /v1, loopback).

The default for every endpoint that speaks OpenAI's protocol (`openai_endpoints.py`); `config:
{transport: litellm}` forces litellm. litellm costs ~4 s of CPU to import and ~5 ms of CPU per
call on logging, cost and response objects; at high concurrency that, not the server, bounds
throughput. This transport posts the same JSON body to
`{api_base}/chat/completions` over one shared aiohttp session per event loop and returns the
parsed body. Retries, limits, tokens and prices stay in LiteLLMProvider, so both transports
produce identical results.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

from workbench.providers.http1_client import ClientError, decode, is_plain_http, post
from workbench.providers.loop_cleanup import on_loop_shutdown


class HTTPStatusError(Exception):
    """A non-200 answer; `status_code` and `headers` drive the retry decision (429, 5xx, Retry-After)."""

    def __init__(self, status_code: int, message: str, headers: Any) -> None:
        super().__init__(f"HTTP {status_code}: {message}")
        self.status_code = status_code
        self.headers = headers


# OpenAI's (and litellm's) names for error statuses, so a row's error reads the same on both transports.
STATUS_NAMES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    408: "Timeout",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
}
_STATUS_CLASSES: dict[int, type[HTTPStatusError]] = {
    code: type(name, (HTTPStatusError,), {"__module__": __name__}) for code, name in STATUS_NAMES.items()
}


def status_error(status_code: int, message: str, headers: Any) -> HTTPStatusError:
    """The typed error for a status (`RateLimitError` for 429, ...), HTTPStatusError otherwise."""
    return _STATUS_CLASSES.get(status_code, HTTPStatusError)(status_code, message, headers)


class TransportError(ConnectionError):
    """Connection refused, reset or dropped mid-response (retried)."""


class MalformedResponse(ValueError):
    """A 200 whose body is not a chat completion (retried)."""


_SESSIONS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


async def _session() -> Any:
    import aiohttp

    loop = asyncio.get_running_loop()
    session = _SESSIONS.get(loop)
    if session is None or session.closed:
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
        session = aiohttp.ClientSession(connector=connector, json_serialize=json.dumps)
        _SESSIONS[loop] = session
        await on_loop_shutdown(f"openai-compatible:{id(session)}", session.close)
    return session


async def chat_completion(
    api_base: str, api_key: str | None, body: dict[str, Any], timeout: float | None
) -> dict[str, Any]:
    """POST one chat completion; the parsed JSON body, or a typed error."""
    url = api_base.rstrip("/") + "/chat/completions"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    if is_plain_http(url):  # a local or LAN server: the light client, no aiohttp (http1_client.py)
        try:
            status, resp_headers, raw = await post(url, json.dumps(body).encode(), headers, timeout)
            text = decode(raw, resp_headers)
        except ClientError as e:
            raise TransportError(f"{type(e).__name__}: {e}") from None
        if status != 200:
            raise status_error(status, _error_message(text), resp_headers)
        return _parsed(text)
    import aiohttp

    try:
        session = await _session()
        async with session.post(url, json=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            text = await resp.text()
            if resp.status != 200:
                raise status_error(resp.status, _error_message(text), resp.headers)
    except aiohttp.ClientError as e:
        raise TransportError(f"{type(e).__name__}: {e}") from None
    return _parsed(text)


def _error_message(text: str) -> str:
    try:
        return str(json.loads(text)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return text[:200]


def _parsed(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise MalformedResponse(f"not a chat completion: {text[:120]!r}") from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"not a chat completion: {text[:120]!r}")
    return data  # its shape is checked by litellm_provider.extract, the same for both transports
