"""A database that does not answer becomes a 503 with ``Retry-After``, and one log line.

The request's unit of work (:mod:`mvcpy.unit_of_work`) asks :func:`unavailable` about
what an action raised. Errors that say the database cannot be reached or did not answer
in time (a refused or lost connection, a connect or statement timeout, no free
connection in the pool, a lock wait that timed out) are answered 503 for clients to
retry; every other database error stays a 500 with its traceback, since it is a bug to
fix (a missing table, bad SQL). The log gets one line per reason, then at most one line
every :data:`QUIET_SECONDS` that counts the repeats, instead of a traceback per request.
"""

from __future__ import annotations

import logging
import threading
import time

from mvcpy.errors import HTTPError

__all__ = ["QUIET_SECONDS", "RETRY_AFTER", "UnavailableLog", "unavailable", "unavailable_reason"]

logger = logging.getLogger("mvcpy.database")

#: What ``Retry-After`` asks clients to wait, in seconds.
RETRY_AFTER = 5
#: After a reason is logged, the same reason is logged again at most this often.
QUIET_SECONDS = 10.0

#: PostgreSQL SQLSTATEs: statement timeout or cancel, lock timeout, server shutting down
#: or starting, too many connections.
_PG_STATES = frozenset({"57014", "55P03", "57P01", "57P02", "57P03", "53300"})
#: MySQL/MariaDB error numbers: cannot connect, gone away, lost connection, lock wait
#: timeout, statement time limits (MySQL 3024, MariaDB 1969), too many connections.
_MYSQL_CODES = frozenset({2002, 2003, 2006, 2013, 1205, 3024, 1969, 1040})


def unavailable_reason(exc: BaseException) -> str | None:
    """Why ``exc`` means the database is unavailable for now; None for other errors."""
    from sqlalchemy import exc as sa

    if isinstance(exc, sa.TimeoutError):
        return "no free connection in the pool within [database] pool_timeout"
    if not isinstance(exc, sa.DBAPIError):
        return None
    original = exc.orig
    if exc.connection_invalidated:
        return "the connection to the database was lost"
    # Before the class: SQLAlchemy's asyncpg adapter raises a statement timeout as a
    # plain DBAPIError, psycopg as an OperationalError.
    state = getattr(original, "sqlstate", None)
    if state in _PG_STATES:
        return "the database did not answer in time" if state == "57014" else str(original)
    if not isinstance(exc, sa.OperationalError | sa.InterfaceError):
        return None
    if exc.statement is None:  # raised while connecting
        return "cannot connect to the database"
    code = original.args[0] if original is not None and original.args else None
    if code in _MYSQL_CODES:
        return "the database did not answer in time" if code != 1040 else str(original)
    message = str(original).lower()
    if "database is locked" in message or "database is busy" in message:
        return "the database is locked (SQLite's busy timeout passed)"
    return None


class UnavailableLog:
    """A database's log of unavailability: a reason once, then once per quiet period
    with the count of repeats (each :class:`~mvcpy.orm.Database` has its own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, tuple[float, int]] = {}

    def log(self, reason: str, where: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            last, repeats = self._last.get(reason, (-QUIET_SECONDS, 0))
            if now - last < QUIET_SECONDS:
                self._last[reason] = (last, repeats + 1)
                return
            self._last[reason] = (now, 0)
        since = f" ({repeats} more since the last line)" if repeats else ""
        logger.error(
            "database unavailable: %s; answered 503 to %s%s [%s: %s]",
            reason,
            where,
            since,
            type(exc).__name__,
            " ".join(str(getattr(exc, "orig", None) or exc).split())[:200],
        )


def unavailable(exc: BaseException, where: str, log: UnavailableLog) -> HTTPError | None:
    """The 503 to answer ``exc`` with (in ``log`` once per reason and quiet period), or
    None when ``exc`` is not about the database's availability. ``where`` names the
    request in the log line (``GET /posts (route posts.index)``)."""
    reason = unavailable_reason(exc)
    if reason is None:
        return None
    log.log(reason, where, exc)
    return HTTPError(
        503,
        "The database is not answering; try again shortly",
        {"retry-after": str(RETRY_AFTER)},
    )
