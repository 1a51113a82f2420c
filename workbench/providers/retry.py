"""Retries with an exact attempt count: exponential backoff, full jitter, `Retry-After` honoured.

litellm's own `num_retries` gives 2N+1 attempts on a direct call and hides them; we call it with
retries off and count every attempt that really happened here. Retried: 429, 408, 409, 5xx,
timeouts, connection errors and malformed bodies (litellm reports those as 500s). Not retried:
other 4xx (bad request, auth, not found): trying again cannot help.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

RETRY_STATUS = {408, 409, 429}


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # total attempts, first one included
    base_delay: float = 0.5  # seconds; attempt n waits up to base * 2**(n-1)
    max_delay: float = 30.0
    max_retry_after: float = 60.0  # a longer Retry-After ends the retries instead of stalling the run
    timeout: float | None = 60.0  # per attempt, seconds
    jitter: bool = True

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Delay after failed attempt number `attempt` (1-based): full jitter on an exponential cap."""
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        if not self.jitter:
            return cap
        return (rng or random).uniform(cap / 2, cap)


@dataclass
class Outcome(Generic[T]):
    value: T | None
    error: BaseException | None
    attempts: int
    latency_ms: float | None  # of the last attempt (the successful one, when any)
    wall_ms: float


def status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "status"):
        v = getattr(exc, attr, None)
        if isinstance(v, int):
            return v
    return None


def headers_of(exc: BaseException) -> Any:
    for attr in ("litellm_response_headers", "headers"):
        h = getattr(exc, attr, None)
        if h:
            return h
    resp = getattr(exc, "response", None)
    return getattr(resp, "headers", None)


def retry_after(exc: BaseException) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header on the error, when any."""
    headers = headers_of(exc)
    if not headers:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
    except (AttributeError, TypeError, ValueError):
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # an HTTP date
        when = email.utils.parsedate_to_datetime(str(value))
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, ConnectionError)):
        return True
    name = type(exc).__name__
    if any(s in name for s in ("Timeout", "Connection", "RateLimit", "ServiceUnavailable", "InternalServer")):
        return True
    if isinstance(exc, ValueError):  # a body we could not parse
        return True
    status = status_of(exc)
    return status is not None and (status in RETRY_STATUS or status >= 500)


async def call_with_retries(
    attempt_fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> Outcome[T]:
    """Run `attempt_fn` until it succeeds, fails for good, or `policy.max_attempts` is used up.

    `attempt_fn` bounds its own attempt by `policy.timeout` (after it has a concurrency slot, so
    time spent queueing never counts). Never raises for the call's own errors.
    """
    start = time.perf_counter()
    attempts = 0
    last: BaseException | None = None
    latency: float | None = None
    while attempts < max(1, policy.max_attempts):
        attempts += 1
        t0 = time.perf_counter()
        try:
            value = await attempt_fn()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            latency = (time.perf_counter() - t0) * 1000
            last = e
            if attempts >= policy.max_attempts or not is_retryable(e):
                break
            wait = retry_after(e)
            if wait is not None and wait > policy.max_retry_after:
                break
            await sleep(wait if wait is not None else policy.backoff(attempts, rng))
            continue
        latency = (time.perf_counter() - t0) * 1000
        return Outcome(value, None, attempts, latency, (time.perf_counter() - start) * 1000)
    return Outcome(None, last, attempts, latency, (time.perf_counter() - start) * 1000)


def describe(exc: BaseException) -> str:
    """A one-line error for the result row (no headers, no request: nothing secret)."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) and not msg:
        msg = "request timed out"
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
