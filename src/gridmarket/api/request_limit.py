"""At most as many requests in progress as the database pool has connections.

A request takes a pooled connection in one worker thread (authentication)
and needs another worker thread later (the route). With more requests in
progress than connections, every worker thread can end up waiting for a
connection that is held by a request waiting for a thread, until the pool
times out. Admitting at most the pool's capacity at once means an admitted
request always finds a connection, and there are more threads than admitted
requests; the others wait here, holding neither.
"""

from __future__ import annotations

import anyio
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Receive, Scope, Send

UNBOUNDED_POOL_LIMIT = 64


def pool_capacity(engine: Engine) -> int:
    """Connections the engine's pool can hand out at once.

    Example::

        >>> from sqlalchemy import create_engine
        >>> pool_capacity(create_engine("sqlite:///x.db", pool_size=3, max_overflow=2))
        5
    """
    pool = engine.pool
    if isinstance(pool, QueuePool):
        return pool.size() + max(pool._max_overflow, 0)
    return UNBOUNDED_POOL_LIMIT


class RequestLimit:
    """ASGI middleware admitting at most ``limit`` HTTP requests at once."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # Made inside the event loop that uses it.
            self._slots = anyio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)
