"""Close HTTP sessions when the event loop that made them shuts down.

Sessions (aiohttp, litellm's cached clients) belong to one event loop, and the engine runs one
`asyncio.run` per run. `asyncio.run` finalizes async generators before closing its loop, so a
parked generator per loop whose `finally` awaits the registered closers is a clean shutdown hook:
no "Unclosed client session" noise at exit, no session outliving its loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

Closer = Callable[[], Awaitable[object]]
_CLOSERS: dict[int, dict[str, Closer]] = {}
_KEEPERS: dict[int, AsyncIterator[None]] = {}


async def _keeper(loop_id: int) -> AsyncIterator[None]:
    try:
        yield
    finally:
        _KEEPERS.pop(loop_id, None)
        for closer in _CLOSERS.pop(loop_id, {}).values():
            try:
                await closer()
            except Exception:
                pass  # cleanup must never fail a finished run


async def on_loop_shutdown(name: str, closer: Closer) -> None:
    """Run `closer` when the running loop shuts down (once per name and loop)."""
    loop_id = id(asyncio.get_running_loop())
    closers = _CLOSERS.setdefault(loop_id, {})
    if name in closers:
        return
    closers[name] = closer
    if loop_id not in _KEEPERS:
        keeper = _keeper(loop_id)
        await keeper.__anext__()
        _KEEPERS[loop_id] = keeper
