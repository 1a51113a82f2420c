"""Per-provider concurrency and an optional requests-per-minute limit.

One `Limiter` per built provider. Its asyncio primitives are made on first use in the running
loop (and remade if a later `asyncio.run` uses another loop). Requests-per-minute is a token bucket that starts full: a burst of
`rpm / 60 * burst_seconds` requests, then one every 60/rpm seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Limiter:
    def __init__(self, concurrency: int | None = None, rpm: float | None = None, burst: float = 1.0) -> None:
        self.concurrency = concurrency
        self.rpm = rpm
        self._capacity = max(1.0, (rpm or 0) / 60.0 * burst)
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sem: asyncio.Semaphore | None = None
        self._lock = asyncio.Lock()

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            n = self.concurrency
            self._sem = asyncio.Semaphore(n) if n and n > 0 else None
            self._lock = asyncio.Lock()

    async def _take_token(self) -> None:
        if not self.rpm:
            return
        rate = self.rpm / 60.0
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self._capacity, self._tokens + (now - self._updated) * rate)
                self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / rate)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one concurrency slot for one attempt (retries re-acquire, so waiting frees it)."""
        self._bind()
        if self._sem is None:
            await self._take_token()
            yield
            return
        async with self._sem:
            await self._take_token()
            yield
