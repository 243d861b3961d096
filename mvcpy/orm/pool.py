"""The async engine's pool: a connection given back goes to the request that has waited
longest for one.

SQLAlchemy's asyncio pool lets a request that asks for a connection just as one comes
back take it ahead of the requests already waiting, which then wait again at the back
of the line. Under load the same requests can lose that race until ``[database]
pool_timeout`` ends their wait with a 503 while the others are served: measured in
process, 32 concurrent callers of an ORM read on a pool of 4 met such a 503 within a
few thousand requests. mvcpy's async engines use :class:`FairAsyncPool`, SQLAlchemy's
pool over :class:`FairQueue`, whose ``put`` hands the connection to the first waiter
itself, so no newcomer can take it first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any, Generic, TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import await_only
from sqlalchemy.util.queue import Empty, Full, QueueCommon

__all__ = ["FairAsyncPool", "FairQueue"]

T = TypeVar("T")


class FairQueue(QueueCommon[T], Generic[T]):
    """The idle connections of an asyncio pool, and the requests waiting for one, in
    order of arrival. ``get`` is called in SQLAlchemy's greenlet, as its own queue's."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        self.maxsize = maxsize
        self.use_lifo = use_lifo
        self._items: deque[T] = deque()
        self._waiters: deque[asyncio.Future[T]] = deque()

    @property
    def waiting(self) -> bool:
        """Whether a request waits for a connection (a waiter that is served, cancelled
        or timed out leaves the line at once)."""
        return bool(self._waiters)

    def empty(self) -> bool:
        """Whether no connection is idle."""
        return not self._items

    def full(self) -> bool:
        """Whether the pool holds all the idle connections it keeps."""
        return 0 < self.maxsize <= len(self._items)

    def qsize(self) -> int:
        """How many connections are idle."""
        return len(self._items)

    def put_nowait(self, item: T) -> None:
        """Give ``item`` to the request waiting longest, else keep it (``Full`` when the
        pool keeps no more: SQLAlchemy then closes it)."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        if self.full():
            raise Full()
        self._items.append(item)

    def put(self, item: T, block: bool = True, timeout: float | None = None) -> None:
        """As :meth:`put_nowait` (the pool never waits for room: it closes what it
        cannot keep)."""
        self.put_nowait(item)

    def get_nowait(self) -> T:
        """An idle connection, or ``Empty``."""
        if not self._items:
            raise Empty()
        return self._items.pop() if self.use_lifo else self._items.popleft()

    def get(self, block: bool = True, timeout: float | None = None) -> T:
        """An idle connection, else (``block``) the next one given back within
        ``timeout`` seconds, else ``Empty``. Idle connections and waiters are never both
        there: a connection given back goes to a waiter first."""
        if self._items or not block:
            return self.get_nowait()
        return await_only(self._wait(timeout))

    async def _wait(self, timeout: float | None) -> T:
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                item = waiter.result()
                if isinstance(exc, TimeoutError):
                    return item  # given as the time ran out: it is this request's
                self.put_nowait(item)  # cancelled as it arrived: to the next one
            else:
                waiter.cancel()
                _forget(self._waiters, waiter)
            if isinstance(exc, TimeoutError):
                raise Empty() from None
            raise


def _forget(waiters: deque[Any], waiter: Any) -> None:
    with contextlib.suppress(ValueError):  # already handed an item, or removed
        waiters.remove(waiter)


class FairAsyncPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio pool with connections handed out in order of arrival
    (:class:`FairQueue`)."""

    _queue_class = FairQueue[ConnectionPoolEntry]

    @property
    def waiting(self) -> bool:
        """Whether a request waits in the pool for a connection."""
        queue: FairQueue[Any] = self._pool  # type: ignore[assignment]
        return queue.waiting
