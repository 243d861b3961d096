"""Reads before the first write, outside a transaction (``[database]
read_outside_transaction``, on by default).

On PostgreSQL at READ COMMITTED, its default, every statement reads its own snapshot,
in a transaction or not: a request's SELECTs see the same rows either way. A request
that only reads then needs no BEGIN and no COMMIT, two round trips out of three on a
one-row read; Django and Rails run such reads the same way. A write still begins the
one transaction of the request, and everything after it runs in that transaction,
committed after the action or rolled back when it fails.

How, for the request's session (the runners of :mod:`mvcpy.orm.sql` do the same on the
connection they hold):

- As the session begins (``after_begin``), its connection is put in the driver's
  autocommit mode and marked.
- The first statement that is not a plain SELECT (a write, DDL, ``text()``, a SAVEPOINT,
  a SELECT that locks rows, a server-side cursor) takes the connection out of autocommit
  just before it runs (the dialect's execution context, which sees every statement's
  SQL), so the driver begins the transaction with it. What mvcpy runs on the driver
  itself (``self.sql``'s writes, the job queue's inserts) calls :func:`begin_writes`
  first.
- A connection still marked goes back to the pool out of autocommit (the pool's
  ``reset``).

Not where a listener waits for SQLAlchemy's BEGIN on the engine (a ``SET LOCAL`` for
each transaction, as for row-level security): only a transaction SQLAlchemy begins calls
it, so every statement runs in one (:func:`may_read_outside`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, event

from mvcpy.orm.events import listen_once
from mvcpy.orm.statement import plain_select

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.ext.asyncio import AsyncConnection
    from sqlalchemy.orm import Session, SessionTransaction
    from sqlalchemy.pool import PoolProxiedConnection

__all__ = [
    "READS_OUTSIDE",
    "begin_writes",
    "begin_writes_async",
    "lend",
    "listen",
    "may_read_outside",
    "unlend",
]

#: ``Session.info`` key: this request session reads outside a transaction until it writes
READS_OUTSIDE = "mvcpy.reads_outside"
#: in a connection's ``info`` (and its SQLAlchemy ``Connection``): put in autocommit here
_MARK = "mvcpy.outside"


def may_read_outside(engine: Engine) -> bool:
    """Whether a plain SELECT may run before the transaction on ``engine``: PostgreSQL
    (psycopg, asyncpg) at READ COMMITTED, and SQLite's driver, which begins a transaction
    only before a write; not where a listener waits for SQLAlchemy's BEGIN, which only a
    transaction SQLAlchemy begins calls."""
    if engine.dispatch.begin:
        return False
    dialect = engine.dialect
    if dialect.name == "sqlite":
        return dialect.driver == "pysqlite"
    # known once the engine has connected (until then, everything runs in a transaction)
    level = getattr(dialect, "default_isolation_level", None)
    return _postgres_driver(engine) and level == "READ COMMITTED"


def _postgres_driver(engine: Engine) -> bool:
    dialect = engine.dialect
    return dialect.name == "postgresql" and dialect.driver in ("psycopg", "asyncpg")


def listen(engine: Engine) -> None:
    """Watch ``engine``'s statements and returns for sessions that read outside (on
    PostgreSQL through psycopg or asyncpg; other engines need nothing)."""
    if _postgres_driver(engine):
        dialect = engine.dialect
        # PERF: a dialect's execution context sees every statement's SQL, as an engine
        # event does, without SQLAlchemy's event path (4 µs a statement, measured)
        dialect.execution_ctx_cls = _watching(dialect.execution_ctx_cls)
        event.listen(engine, "reset", _on_reset)
    listen_once("mvcpy.outside", _session_class(), {"after_begin": _after_begin})


#: the watching subclass of each dialect's execution context, made once
_WATCHING: dict[type[Any], type[Any]] = {}


def _watching(context_class: type[Any]) -> type[Any]:
    """``context_class`` that takes a connection reading outside out of autocommit
    before a statement that is not a plain SELECT runs on it."""
    if context_class in _WATCHING.values():  # an engine of a dialect already watched
        return context_class
    known = _WATCHING.get(context_class)
    if known is not None:
        return known

    class WatchingContext(context_class):  # type: ignore[misc]
        def pre_exec(self) -> None:
            connection = self.root_connection
            if connection.__dict__.get(_MARK) and not _reads(self.statement, self):
                _leave(connection)
            super().pre_exec()

    WatchingContext.__name__ = WatchingContext.__qualname__ = f"Watching{context_class.__name__}"
    _WATCHING[context_class] = WatchingContext
    return WatchingContext


def _session_class() -> type[Session]:
    from sqlalchemy.orm import Session

    return Session


def _after_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    """A request session that reads outside: its connection into autocommit, marked."""
    if transaction.nested or not session.info.get(READS_OUTSIDE):
        return
    engine = connection.engine
    if not (_postgres_driver(engine) and may_read_outside(engine)):
        return
    # SQLAlchemy's BEGIN sent nothing (the drivers begin with the first statement); the
    # adapters of the async drivers set this inside SQLAlchemy's greenlet
    connection.connection.dbapi_connection.autocommit = True  # type: ignore[union-attr]
    connection.info[_MARK] = True
    connection.__dict__[_MARK] = True


def _reads(sql: str, context: Any) -> bool:
    """Whether the statement about to run is a plain SELECT that may run outside."""
    compiled = getattr(context, "compiled", None)
    return (
        compiled is not None
        and isinstance(compiled.statement, Select)
        and not getattr(context, "_is_server_side", True)  # a named cursor needs one
        and plain_select(sql)
    )


def _leave(conn: Connection) -> None:
    del conn.__dict__[_MARK]
    conn.info.pop(_MARK, None)
    conn.connection.dbapi_connection.autocommit = False  # type: ignore[union-attr]


def _on_reset(dbapi_connection: Any, record: Any, state: Any) -> None:
    """A connection given back still marked: out of autocommit (no I/O: it is idle). One
    being dropped (detached, or collected outside SQLAlchemy's greenlet) needs nothing."""
    if record is None or not record.info.pop(_MARK, None):
        return
    if state.asyncio_safe and not state.terminate_only:
        dbapi_connection.autocommit = False


def lend(pooled: PoolProxiedConnection) -> None:
    """Mark ``pooled``, in autocommit for reads outside a transaction, as it goes to a
    session that reads outside too: it goes back to the pool out of autocommit, whether
    or not the session ever begins on it."""
    pooled.info[_MARK] = True


def unlend(pooled: PoolProxiedConnection) -> bool:
    """Unmark ``pooled``, idle after a session that read outside a transaction on it, as
    it is handed on to the next request as it is (mvcpy.orm.handoff): asyncpg's adapter
    out of autocommit (the async runner begins its transactions through the adapter,
    which begins none in autocommit); psycopg's connection stays in it, where the runner
    reads. Returns whether it was marked (:func:`lend` marks it again)."""
    if not pooled.info.pop(_MARK, None):
        return False
    if not hasattr(pooled.driver_connection, "set_autocommit"):  # not psycopg's
        pooled.dbapi_connection.autocommit = False  # type: ignore[union-attr]
    return True


def begin_writes(conn: Connection) -> None:
    """Make the next statement on ``conn`` begin the transaction, if it reads outside
    (for statements run on the driver itself, which no listener sees)."""
    if conn.__dict__.get(_MARK):
        _leave(conn)


async def begin_writes_async(conn: AsyncConnection) -> None:
    """:func:`begin_writes` from the event loop."""
    sync = conn.sync_connection
    if sync is not None and sync.__dict__.get(_MARK):
        await conn.run_sync(_leave)
