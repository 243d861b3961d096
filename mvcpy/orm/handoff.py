"""The async fast path's waiting room: a connection given back goes straight to the
request waiting longest for one.

When every pooled connection is in use, ``self.asql`` (mvcpy.orm.sql) waits for one here
rather than in SQLAlchemy's pool, and a request that gives its connection back hands it
to the first request waiting here, as it is: outside a transaction, ready for the next
request's reads, as psycopg's pool hands a returned connection to a waiting client.
PERF: under load, where requests queue for the pool's few connections, this saves
SQLAlchemy's checkin (the reset, the events, the queue) and its checkout (a greenlet, a
timed wait) for each request: a third of the fast path's server CPU for a one-row
read (BENCHMARKS.md).

What keeps it fair and safe:

- A connection goes back to the pool, not to a waiter, when the pool has waiters of
  its own (the ORM's sessions; mvcpy.orm.pool says), when it is due for ``[database]
  pool_recycle`` or was opened before the pool was invalidated, or when it is not
  ready (a transaction no one ended, a closed driver). Every connection checked in to
  the pool, by anyone, wakes one waiter here to check out from the pool, unless the
  pool has waiters of its own, which it serves first.
- A request waits here at most ``[database] pool_timeout``, then gets SQLAlchemy's own
  ``TimeoutError`` (a 503, like a wait in the pool). One timer serves every waiter:
  they wait in order, so the first one always times out first.
- A handed connection skips ``pool_pre_ping``: it has just answered the last request.
- A request cancelled as a connection reaches it passes the connection on.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from mvcpy.orm.outside import lend, unlend
from mvcpy.orm.pool import FairAsyncPool
from mvcpy.orm.session import OWN_CONNECTION

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.pool import PoolProxiedConnection

__all__ = ["ROOM_KEY", "RoomSession", "WaitingRoom", "idle"]

#: ``Session.info`` key: the room a request's async session checks out of, and hands its
#: connection on through as the request ends
ROOM_KEY = "mvcpy.room"

#: what a waiter is given: a connection, or None to check one out of the pool
_Waiter = asyncio.Future["PoolProxiedConnection | None"]


class WaitingRoom:
    """Where the async fast path's requests wait for a connection of ``engine``'s pool
    (mvcpy's :class:`~mvcpy.orm.pool.FairAsyncPool`), and how they give one back."""

    __slots__ = ("_engine", "_max_overflow", "_recycle", "_timeout", "_timer", "_waiters")

    def __init__(
        self, engine: AsyncEngine, *, max_overflow: int, timeout: float, recycle: int
    ) -> None:
        self._engine = engine
        self._max_overflow = max_overflow
        self._timeout = timeout
        self._recycle = recycle
        #: (waiter, its deadline on the loop's clock), oldest first
        self._waiters: deque[tuple[_Waiter, float]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        event.listen(engine.sync_engine.pool, "checkin", self._checked_in)

    @staticmethod
    def serves(engine: AsyncEngine) -> bool:
        """Whether ``engine``'s pool is one a room can stand in front of (mvcpy's
        :class:`~mvcpy.orm.pool.FairAsyncPool`, which says who waits in it)."""
        return isinstance(engine.sync_engine.pool, FairAsyncPool)

    @property
    def engine(self) -> Engine:
        """The (sync) engine whose pool this room stands in front of."""
        return self._engine.sync_engine

    @property
    def waiting(self) -> int:
        """How many requests wait here (cancelled ones not yet cleared included)."""
        return len(self._waiters)

    async def acquire(self) -> PoolProxiedConnection:
        """A connection of the pool: an idle one, a new one while the pool may grow,
        else the next one given back (waiting at most ``pool_timeout``)."""
        if self._full():
            lease = await self._wait()
            if lease is not None:
                return lease
        try:
            return await self._engine.raw_connection()
        except BaseException:
            self._wake_one()  # a connection that could not be opened frees its place
            raise

    def checkout(self) -> PoolProxiedConnection:
        """:meth:`acquire` from inside SQLAlchemy's greenlet (a request session's first
        statement; PERF: no second greenlet to check out of the pool)."""
        if self._full():
            lease = await_only(self._wait())
            if lease is not None:
                return lease
        try:
            return self._engine.sync_engine.raw_connection()
        except BaseException:
            self._wake_one()
            raise

    async def _wait(self) -> PoolProxiedConnection | None:
        """Wait in line: the connection handed on, or None to check out of the pool."""
        loop = asyncio.get_running_loop()
        waiter: _Waiter = loop.create_future()
        self._waiters.append((waiter, loop.time() + self._timeout))
        if self._timer is None:
            self._timer = loop.call_at(self._waiters[0][1], self._expire)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                given = waiter.result()
                if given is not None:
                    self._pass_on(given)
                else:
                    self._wake_one()
            raise

    def hand_on(self, lease: PoolProxiedConnection) -> bool:
        """Give ``lease`` (outside a transaction, its driver open) to the request waiting
        longest, if one waits and the pool has no waiters of its own; False if it is for
        the caller to give back to the pool."""
        waiters = self._waiters
        if not waiters or self._pool().waiting or not self._fresh(lease):
            return False
        while waiters:
            waiter = waiters.popleft()[0]
            if not waiter.done():
                waiter.set_result(lease)
                return True
        return False

    def hand_on_session(self, connection: Connection) -> bool:
        """Hand on the connection a request session ran on (from inside SQLAlchemy's
        greenlet, the session closed), as :meth:`hand_on` does: taken out of the
        session's reads outside a transaction (mvcpy.orm.outside), and ``connection``
        closed without giving it back to the pool. False: the caller closes it."""
        if not self._waiters or connection.closed or connection.invalidated:
            return False
        lease = connection.connection
        if connection.in_transaction() or not idle(lease.driver_connection):
            return False
        marked = unlend(lease)
        if not self.hand_on(lease):  # every waiter had been cancelled
            if marked:
                lend(lease)
            return False
        # closed without a checkin: the connection is the next request's now
        connection._dbapi_connection = None
        connection.close()
        return True

    def _pass_on(self, lease: PoolProxiedConnection) -> None:
        """Give on a connection that reached a cancelled request: to the next waiter,
        else back to the pool (in a task: the pool's checkin may await)."""
        if self.hand_on(lease):
            return
        from sqlalchemy.util import greenlet_spawn

        asyncio.get_running_loop().create_task(greenlet_spawn(lease.close))

    def _full(self) -> bool:
        """Whether the pool has no idle connection and may not open another."""
        if self._waiters:
            return True  # behind those already waiting
        pool = self._pool()
        if self._max_overflow < 0 or pool.checkedin() > 0:
            return False
        return bool(pool.overflow() >= self._max_overflow)

    def _fresh(self, lease: PoolProxiedConnection) -> bool:
        """Whether ``lease`` may be handed on as it is: not due for recycling, not opened
        before the pool or the connection was invalidated (what SQLAlchemy checks at
        checkout)."""
        record: Any = getattr(lease, "_connection_record", None)
        if record is None or not lease.is_valid:
            return False
        started = record.starttime
        pool: Any = self._pool()
        if started < getattr(pool, "_invalidate_time", 0):
            return False
        if started < getattr(record, "_soft_invalidate_time", 0):
            return False  # lease.invalidate(soft=True)
        return self._recycle < 0 or time.time() - started < self._recycle

    def _checked_in(self, _dbapi_connection: Any, _record: Any) -> None:
        """The pool's ``checkin`` event: one waiter here may now check out (unless the
        pool's own waiters take the connection)."""
        if self._waiters and not self._pool().waiting:
            self._wake_one()

    def _wake_one(self) -> None:
        """Send the request waiting longest to check out of the pool itself."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()[0]
            if not waiter.done():
                loop = waiter.get_loop()
                try:
                    on_loop = asyncio.get_running_loop() is loop
                except RuntimeError:
                    on_loop = False
                if on_loop:
                    waiter.set_result(None)
                else:  # a checkin from another thread (a connection collected there)
                    loop.call_soon_threadsafe(_release_waiter, waiter)
                return

    def _expire(self) -> None:
        """The timer: time out the waiters whose ``pool_timeout`` has passed; set the
        timer again for the first one left."""
        self._timer = None
        waiters = self._waiters
        if not waiters:
            return
        loop = waiters[0][0].get_loop()
        now = loop.time()
        while waiters and (waiters[0][0].done() or waiters[0][1] <= now):
            waiter = waiters.popleft()[0]
            if not waiter.done():
                waiter.set_exception(PoolTimeout(self._message(), code="3o7r"))
        if waiters:
            self._timer = loop.call_at(waiters[0][1], self._expire)

    def _pool(self) -> FairAsyncPool:
        pool: FairAsyncPool = self._engine.sync_engine.pool  # type: ignore[assignment]
        return pool

    def _message(self) -> str:
        pool = self._pool()
        return (
            f"QueuePool limit of size {pool.size()} overflow {max(self._max_overflow, 0)} "
            f"reached, connection timed out, timeout {self._timeout:.2f}"
        )


class RoomSession(Session):
    """The sync half of mvcpy's async sessions: one with a room in its ``info``
    (:data:`ROOM_KEY`, a request's session that reads outside a transaction) checks its
    connection out of the room at its first statement, and runs every transaction on it
    (the request ends by handing it on or closing it, mvcpy.orm.request)."""

    def get_bind(self, mapper: Any = None, **kw: Any) -> Any:
        """The session's bind; for a session with a room, the connection it checked out
        of the room, checking it out when SQLAlchemy's greenlet first asks (a flush, a
        statement), so every transaction of the session runs on it."""
        bind = super().get_bind(mapper, **kw)
        info = self.info
        room = info.get(ROOM_KEY)
        if room is None or bind is not room.engine:
            return bind
        own = info.get(OWN_CONNECTION)
        if own is None:
            if not in_greenlet():  # asked for the dialect, say, from the event loop
                return bind
            lease = room.checkout()
            try:
                own = info[OWN_CONNECTION] = Connection(bind, lease)
            except BaseException:
                lease.close()
                raise
        return own


def idle(driver: Any) -> bool:
    """Whether the driver's connection is open and outside a transaction (asyncpg's,
    psycopg's AsyncConnection)."""
    if hasattr(driver, "is_in_transaction"):
        return not driver.is_closed() and not driver.is_in_transaction()
    status = driver.info.transaction_status  # psycopg's TransactionStatus (an optional package)
    return not driver.closed and status is type(status).IDLE


def _release_waiter(waiter: _Waiter) -> None:
    if not waiter.done():
        waiter.set_result(None)
