"""The per-request database sessions: opened on first use, ended when the action ends.

Nothing here runs for a request that never touches ``ctx.db`` or ``ctx.adb``: the
context's ``db_scope`` stays ``None`` and the endpoint's end step is one ``is None``
check.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Protocol

from mvcpy.orm.session import REQUEST_KEY, AsyncDbSession, DbSession

if TYPE_CHECKING:
    from mvcpy.http.request import Request
    from mvcpy.orm.availability import UnavailableLog

__all__ = ["RequestDB", "SessionSource"]


class SessionSource(Protocol):
    """Where the request's sessions come from (the app's :class:`~mvcpy.orm.Database`)."""

    autocommit: bool
    #: where the source logs that it is unavailable (mvcpy.orm.availability)
    unavailable_log: UnavailableLog

    def session(self, **info: Any) -> DbSession:
        """Return a new session."""
        ...

    def async_session(self, **info: Any) -> AsyncDbSession:
        """Return a new async session."""
        ...


class RequestDB:
    """This request's ``Session`` and ``AsyncSession``, each opened lazily."""

    __slots__ = ("_async", "_sync", "database")

    def __init__(self, database: SessionSource) -> None:
        self.database = database
        self._sync: DbSession | None = None
        self._async: AsyncDbSession | None = None

    def session(self, request: Request) -> DbSession:
        """Return the request's session, opening it on first use."""
        session = self._sync
        if session is None:
            session = self._sync = self.database.session(**{REQUEST_KEY: request})
        return session

    def async_session(self, request: Request) -> AsyncDbSession:
        """Return the request's async session, opening it on first use."""
        session = self._async
        if session is None:
            session = self._async = self.database.async_session(**{REQUEST_KEY: request})
        return session

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
        session = self._sync
        if session is None:
            return
        self._sync = None
        try:
            if ok and self.database.autocommit:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()

    async def end_async(self, ok: bool, executor: Executor | None) -> None:
        """End both sessions from the event loop; the sync one on a worker thread."""
        if self._sync is not None:
            await asyncio.get_running_loop().run_in_executor(executor, self.end, ok)
        session = self._async
        if session is None:
            return
        self._async = None
        try:
            if ok and self.database.autocommit:
                await session.commit()
            else:
                await session.rollback()
        finally:
            await session.close()

    @property
    def is_open(self) -> bool:
        """Whether a session is still open."""
        return self._sync is not None or self._async is not None
