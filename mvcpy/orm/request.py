"""The per-request database sessions: opened on first use, ended when the action ends.

Nothing here runs for a request that never touches ``ctx.db`` or ``ctx.adb``: the
context's ``db_scope`` stays ``None`` and the endpoint's end step is one ``is None``
check.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.util import greenlet_spawn

from mvcpy.orm.handoff import ROOM_KEY
from mvcpy.orm.outside import READS_OUTSIDE, lend, may_read_outside
from mvcpy.orm.session import OWN_CONNECTION, REQUEST_KEY, AsyncDbSession, DbSession
from mvcpy.orm.sql import AsyncSql, Sql
from mvcpy.threads import in_thread

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.pool import PoolProxiedConnection

    from mvcpy.http.request import Request
    from mvcpy.orm.availability import UnavailableLog
    from mvcpy.orm.handoff import WaitingRoom

__all__ = ["RequestDB", "SessionSource"]


class SessionSource(Protocol):
    """Where the request's sessions come from (the app's :class:`~mvcpy.orm.Database`)."""

    autocommit: bool
    #: reads before a request's first write run outside a transaction (orm/outside.py)
    read_outside: bool
    #: a connection every per-request session joins (transactional tests), or None
    test_connection: Connection | None
    #: where the source logs that it is unavailable (mvcpy.orm.availability)
    unavailable_log: UnavailableLog

    @property
    def engine(self) -> Engine:
        """The process's engine."""
        ...

    @property
    def async_engine(self) -> AsyncEngine:
        """The process's async engine."""
        ...

    @property
    def waiting_room(self) -> WaitingRoom | None:
        """Where connections of the async engine are waited for and handed on."""
        ...

    def session(self, pooled: PoolProxiedConnection | None = None, **info: Any) -> DbSession:
        """Return a new session, on ``pooled`` if given."""
        ...

    def async_session(
        self, pooled: PoolProxiedConnection | None = None, **info: Any
    ) -> AsyncDbSession:
        """Return a new async session, on ``pooled`` if given."""
        ...


class RequestDB:
    """This request's ``Session`` and ``AsyncSession``, each opened lazily, and its
    statement runners ``sql``/``asql`` (mvcpy.orm.sql)."""

    __slots__ = ("_asql", "_async", "_sql", "_sync", "database", "executor")

    def __init__(self, database: SessionSource, executor: Executor | None = None) -> None:
        self.database = database
        #: the app's worker threads, for what must not run on the event loop
        self.executor = executor
        self._sync: DbSession | None = None
        self._async: AsyncDbSession | None = None
        self._sql: Sql | None = None
        self._asql: AsyncSql | None = None

    def session(self, request: Request) -> DbSession:
        """Return the request's session, opening it on first use."""
        session = self._sync
        if session is None:
            # PERF: the transaction runs on the connection the reads before it used
            lease = self._sql.hand_over() if self._sql is not None else None
            session = self._sync = self.database.session(lease, **self._info(request))
        return session

    def _info(self, request: Request, begun: bool = False) -> dict[str, Any]:
        """The ``info`` of a request session: its request, and whether it reads outside
        a transaction until its first write (not in one a runner's write began)."""
        database = self.database
        if begun or not database.read_outside or database.test_connection is not None:
            return {REQUEST_KEY: request}
        return {REQUEST_KEY: request, READS_OUTSIDE: True}

    def async_session(
        self, request: Request, lease: PoolProxiedConnection | None = None
    ) -> AsyncDbSession:
        """Return the request's async session, opening it on first use.

        A request holds one connection at a time: the session runs on ``lease``, the
        connection ``asql`` held (handed over as a statement of its opens the session),
        on the one where ``asql``'s writes began the transaction, or on the one it held
        for reads, when the session reads outside a transaction too; else that one is
        given back as the session opens.
        """
        session = self._async
        if session is None:
            runner = self._asql if lease is None else None
            # its writes so far: the session goes on in their transaction
            begun = runner.take_transaction() if runner is not None else None
            info = self._info(request, begun=begun is not None)
            if runner is not None and begun is None:
                if READS_OUTSIDE in info:
                    lease = runner.take_reading()
                    if lease is not None:
                        lend(lease)
                else:
                    runner.release_soon()
            if READS_OUTSIDE in info:
                room = self._room()
                if room is not None:  # waits there, and hands its connection on
                    info[ROOM_KEY] = room
            pooled = lease or begun
            session = self._async = self.database.async_session(pooled, **info)
            if begun is not None:
                # The session's commit must commit the writes even if the session itself
                # runs nothing: their transaction is made the session's own at once. No
                # listener waits for BEGIN when the runner begins one (mvcpy.orm.sql), so
                # this does no I/O and needs no greenlet.
                session.sync_session.connection()
        return session

    def _room(self) -> WaitingRoom | None:
        """The room of the async engine's pool, where reads may run outside a
        transaction (as for the async runner, mvcpy.orm.sql)."""
        room = self.database.waiting_room
        if room is not None and may_read_outside(room.engine):
            return room
        return None

    @property
    def session_open(self) -> bool:
        """Whether the request's (sync) session is open."""
        return self._sync is not None

    @property
    def async_session_open(self) -> bool:
        """Whether the request's async session is open."""
        return self._async is not None

    def sql(self, request: Request) -> Sql:
        """Return the request's runner of statements (sync)."""
        runner = self._sql
        if runner is None:
            runner = self._sql = Sql(self, request)
        return runner

    def async_sql(self, request: Request) -> AsyncSql:
        """Return the request's runner of statements (async)."""
        runner = self._asql
        if runner is None:
            runner = self._asql = AsyncSql(self, request)
        return runner

    def answer_for(self, exc: BaseException, where: str) -> Exception | None:
        """The 503 to answer ``exc`` with when it says the database is unavailable (a
        refused or lost connection, a timeout), else None (mvcpy.orm.availability)."""
        from mvcpy.orm.availability import unavailable

        return unavailable(exc, where, self.database.unavailable_log)

    def end(self, ok: bool) -> None:
        """Commit (when ``ok`` and autocommit is on) or roll back, then close the session.

        A failing commit rolls back, closes and raises (an ``IntegrityError`` becomes
        a 409 through the error handlers).
        """
        runner = self._sql
        if runner is not None and runner.leased:
            runner.release()
        session = self._sync
        if session is None:
            return
        self._sync = None
        _finish(session, ok and self.database.autocommit)

    async def end_async(self, ok: bool) -> None:
        """End both sessions from the event loop; the sync one on a worker thread."""
        if self._sync is not None or (self._sql is not None and self._sql.leased):
            await in_thread(self.executor, self.end, ok)
        commit = ok and self.database.autocommit
        runner = self._asql
        if runner is not None and runner.leased:
            await runner.end(commit)  # the transaction its writes began, if any
        session = self._async
        if session is None:
            return
        self._async = None
        # PERF: one hop into SQLAlchemy's greenlet for the commit and the close, not two.
        await greenlet_spawn(_finish, session.sync_session, commit)

    @property
    def is_open(self) -> bool:
        """Whether a session, or a connection held for reads, is still open."""
        return (
            self._sync is not None
            or self._async is not None
            or (self._sql is not None and self._sql.leased)
            or (self._asql is not None and self._asql.leased)
        )


def _finish(session: Any, commit: bool) -> None:
    """Commit or roll back ``session``, then close it, and the connection it was opened
    on if it owns one: handed on to the next request waiting in its room, if it has
    one (mvcpy.orm.handoff), else given back to the pool."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        try:
            session.close()
        finally:
            info = session.info
            own = info.pop(OWN_CONNECTION, None)
            room = info.pop(ROOM_KEY, None)
            if own is not None:
                handed = False
                try:
                    handed = room is not None and room.hand_on_session(own)
                finally:
                    if not handed:
                        own.close()
