"""``self.sql`` and ``self.asql``: run :class:`~mvcpy.orm.statement.Statement`\\ s in the
request's unit of work, straight on the driver.

Where a statement runs:

- A statement that writes or locks (or calls a function that acts on the transaction,
  mvcpy.orm.statement.plain_select), and every statement once the request's session is
  open, runs on the session's connection: committed after the action, rolled back when
  it fails, like what the ORM did in the same request.
- A plain SELECT that comes before any of those runs on a connection taken from the
  pool for the request, outside a transaction, where that changes nothing a request can
  see (``[database] read_outside_transaction``, mvcpy.orm.outside): PostgreSQL at READ
  COMMITTED (its default), where every statement reads its own snapshot in a
  transaction too, and SQLite, whose driver begins a transaction only before a write.
  It saves the BEGIN and COMMIT round trips of a request that only reads. Other
  databases (MySQL and MariaDB read at REPEATABLE READ) run every statement in the
  transaction. The session's own reads do the same until the request's first write.
- The request's transaction then runs on that same connection: the session takes it
  over as it opens, so a request checks out one connection, not two. In async actions
  on PostgreSQL, ``asql``'s first write begins the transaction there itself, on the
  driver, and commits or rolls it back as the request ends; a session opened later goes
  on in it, or, before any write, reads outside a transaction on the held connection.
- Where a listener waits for SQLAlchemy's BEGIN on the engine (a ``SET LOCAL`` for each
  transaction), every statement runs in the session's transaction, which calls it.
- In async actions on a SQLite file, such a read runs on the app's worker threads,
  through the sync driver, in one hop: aiosqlite, the async driver, runs each of its
  calls on a thread of its own anyway, and took four hops and SQLAlchemy's greenlet for
  one read.

psycopg's statements are prepared on the server (``prepare=True``); asyncpg (reads
outside the transaction) and SQLite's driver cache their own. The sync drivers of
PostgreSQL (psycopg), SQLite and MySQL/MariaDB (PyMySQL, mysqlclient) are called
directly; any other driver through SQLAlchemy's connection. While the query inspector
or tracing watch the request's statements, they run through SQLAlchemy's connection, so
they are counted and traced like the others. Driver errors become SQLAlchemy's
(``IntegrityError`` is a 409, a lost connection a 503, as for the ORM).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.util import greenlet_spawn

from mvcpy.errors import HTTPError
from mvcpy.orm.handoff import WaitingRoom, idle
from mvcpy.orm.outside import begin_writes, begin_writes_async, may_read_outside
from mvcpy.orm.statement import CompiledStatement, Statement
from mvcpy.threads import in_thread
from mvcpy.types import CURRENT_QUERY_LOG, CURRENT_TRACER, QUERY_COUNTERS

if TYPE_CHECKING:
    from sqlalchemy.pool import PoolProxiedConnection

    from mvcpy.http.request import Request

__all__ = ["AsyncSql", "Sql"]

T = TypeVar("T")

_Result = tuple[Sequence[Any], int]


class Scope(Protocol):
    """The request's database scope, as the runners use it (mvcpy.orm.request.RequestDB)."""

    #: the app's Database: its engines and ``test_connection``
    database: Any
    #: the app's worker threads (None: asyncio's default executor)
    executor: Executor | None

    @property
    def session_open(self) -> bool:
        """Whether the request's session is open."""
        ...

    @property
    def async_session_open(self) -> bool:
        """Whether the request's async session is open."""
        ...

    def session(self, request: Request) -> Any:
        """The request's session, opened on first use."""
        ...

    def async_session(self, request: Request, lease: PoolProxiedConnection | None = None) -> Any:
        """The request's async session, opened on first use (on ``lease`` if given)."""
        ...


def _observed() -> bool:
    """Whether something watches this request's statements: the query inspector or
    tracing (their listeners are on every engine, and do nothing outside such requests)."""
    return (
        CURRENT_QUERY_LOG.get() is not None
        or bool(QUERY_COUNTERS)
        or CURRENT_TRACER.get() is not None
    )


#: the sync drivers statements run on directly (their DB-API calls are all SQLAlchemy
#: makes for them); others go through SQLAlchemy's connection, which may add to them
_DIRECT_DRIVERS = frozenset({"psycopg", "pysqlite", "pymysql", "mysqldb"})


def _prepares(dialect: Dialect) -> bool:
    """Whether the driver is psycopg 3 (statements prepared with ``prepare=True``)."""
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def _asyncpg(dialect: Dialect) -> bool:
    """Whether the driver is asyncpg (statements prepared by its own cache)."""
    return dialect.name == "postgresql" and dialect.driver == "asyncpg"


def _may_read_outside(database: Any, engine: Engine) -> bool:
    """Whether plain SELECTs may run before the transaction on ``engine``, one of
    ``database``'s (mvcpy.orm.outside), and the async runner's first write begin the
    transaction on the driver."""
    return bool(database.read_outside) and may_read_outside(engine)


def _reads_on_threads(database: Any) -> bool:
    """Whether the async runner's reads before the transaction go to the worker threads
    (see above): a SQLite file (each engine has an in-memory database of its own), with
    no test connection that the sessions join."""
    engine = database.engine
    name = engine.url.database or ""
    return (
        engine.dialect.name == "sqlite"
        and _may_read_outside(database, engine)  # pysqlite, no BEGIN listener
        and name not in ("", ":memory:")
        and "mode=memory" not in name
        and database.test_connection is None
    )


def _read_pooled(engine: Engine, compiled: CompiledStatement, args: Any) -> _Result:
    """Run a read on a connection of ``engine``'s pool, given back at once."""
    lease = engine.raw_connection()
    try:
        return _run_direct(
            engine.dialect, lease.dbapi_connection, compiled, args, False, lease.invalidate
        )
    finally:
        lease.close()


def _driver_error(
    dialect: Dialect, exc: Exception, sql: str, args: Any, connection: Any
) -> tuple[DBAPIError, bool] | None:
    """``exc`` as SQLAlchemy raises it, and whether it lost the connection; None when
    it is not the driver's."""
    dbapi = dialect.loaded_dbapi
    if not isinstance(exc, dbapi.Error):
        return None
    lost = dialect.is_disconnect(exc, connection, None)
    wrapped = DBAPIError.instance(sql, args, exc, dbapi.Error, connection_invalidated=lost)
    return wrapped, lost  # type: ignore[return-value]  # a DBAPIError for a driver's error


def _asyncpg_error(
    exc: Exception, sql: str, args: Any, driver: Any
) -> tuple[DBAPIError, bool] | None:
    """An error of asyncpg's as SQLAlchemy raises it (SQLAlchemy translates asyncpg's
    errors in its own adapter, which these reads do not go through), and whether it lost
    the connection; None when it is not the driver's."""
    import asyncpg
    from asyncpg.exceptions import InternalClientError, PostgresConnectionError

    lost_kinds = (InternalClientError, PostgresConnectionError, OSError, TimeoutError)
    if isinstance(exc, lost_kinds) or driver.is_closed():
        return OperationalError(sql, args, exc, connection_invalidated=True), True
    if isinstance(exc, asyncpg.InterfaceError):  # a bad parameter (DataError), a misuse
        return InterfaceError(sql, args, exc), False
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        if state[:2] in ("57", "53"):  # a statement timeout, a shutdown, no resources
            return OperationalError(sql, args, exc), False
        if state[:2] == "23":  # a unique, foreign key, not null or check violation
            return IntegrityError(sql, args, exc), False
        return DBAPIError(sql, args, exc), False
    return None


def _returns_rows(compiled: CompiledStatement, cursor: Any) -> bool:
    known = compiled.returns_rows
    return cursor.description is not None if known is None else known


def _execute(
    dbapi: Any, compiled: CompiledStatement, args: Any, many: bool, prepare: bool
) -> _Result:
    cursor: Any = dbapi.cursor()
    try:
        if many:
            cursor.executemany(compiled.sql, args)
        elif prepare:
            cursor.execute(compiled.sql, args, prepare=True)
        else:
            cursor.execute(compiled.sql, args)
        rows = cursor.fetchall() if _returns_rows(compiled, cursor) else ()
        return rows, cursor.rowcount
    finally:
        cursor.close()


def _run_direct(
    dialect: Dialect,
    dbapi: Any,
    compiled: CompiledStatement,
    args: Any,
    many: bool,
    lost: Callable[[Exception], Any],
) -> _Result:
    """Run on a sync DB-API connection; a driver error raised as SQLAlchemy's, after
    ``lost(exc)`` when it lost the connection."""
    try:
        return _execute(dbapi, compiled, args, many, _prepares(dialect))
    except Exception as exc:
        error = _driver_error(dialect, exc, compiled.sql, args, dbapi)
        if error is None:
            raise
        if error[1]:
            lost(exc)
        raise error[0] from exc


class _Handle:
    """What ``Sql`` and ``AsyncSql`` share: the reading of results."""

    __slots__ = ("_lease", "_request", "_scope")

    def __init__(self, scope: Scope, request: Request) -> None:
        self._scope = scope
        self._request = request
        #: the pooled connection plain SELECTs run on before the transaction begins
        self._lease: PoolProxiedConnection | None = None

    @staticmethod
    def _args(
        compiled: CompiledStatement,
        params: Mapping[str, Any],
        many: Iterable[Mapping[str, Any]] | None,
    ) -> Any:
        if many is None:
            return compiled.parameters(params)
        if params:
            raise TypeError("execute_many takes its rows' values as mappings, not keywords")
        return [compiled.parameters(row) for row in many]

    @property
    def leased(self) -> bool:
        """Whether a connection is held outside the transaction."""
        return self._lease is not None


class Sql(_Handle):
    """``self.sql`` in sync actions: run statements on the request's connection."""

    __slots__ = ()

    def all(self, statement: Statement[T], **params: Any) -> list[T]:
        """Every row the statement returns."""
        compiled, rows, _ = self._run(statement, params, None)
        return statement.build(compiled, rows)

    def first(self, statement: Statement[T], **params: Any) -> T | None:
        """The first row, or None."""
        compiled, rows, _ = self._run(statement, params, None)
        return statement.build(compiled, rows[:1])[0] if rows else None

    def first_or_404(self, statement: Statement[T], message: str | None = None, **params: Any) -> T:
        """The first row, or answer 404."""
        row = self.first(statement, **params)
        if row is None:
            raise HTTPError(404, message or "Not found")
        return row

    def scalar(self, statement: Statement[Any], **params: Any) -> Any:
        """The first column of the first row, or None."""
        compiled, rows, _ = self._run(statement, params, None)
        return compiled.rows(rows[:1])[0][0] if rows else None

    def execute(self, statement: Statement[Any], **params: Any) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        return self._run(statement, params, None)[2]

    def execute_many(self, statement: Statement[Any], rows: Iterable[Mapping[str, Any]]) -> int:
        """Run a statement once per mapping of ``rows`` (psycopg pipelines them)."""
        return self._run(statement, {}, rows)[2]

    def _run(
        self,
        statement: Statement[Any],
        params: Mapping[str, Any],
        many: Iterable[Mapping[str, Any]] | None,
    ) -> tuple[CompiledStatement, Sequence[Any], int]:
        database = self._scope.database
        engine = database.engine
        dialect = engine.dialect
        compiled = statement.compiled(dialect)
        args = self._args(compiled, params, many)
        observed = _observed()
        if (
            compiled.reads
            and many is None
            and not self._scope.session_open
            and database.test_connection is None
            and not observed
            and _may_read_outside(database, engine)
        ):
            lease = self._lease
            if lease is None:
                lease = self._lease = engine.raw_connection()
                if _prepares(dialect):
                    lease.dbapi_connection.autocommit = True
            return compiled, *_run_direct(
                dialect, lease.dbapi_connection, compiled, args, False, self._lose
            )
        connection = self._scope.session(self._request).connection()
        if many is not None or not compiled.reads:
            begin_writes(connection)  # the session read outside until now
        if observed or dialect.driver not in _DIRECT_DRIVERS:
            result = connection.exec_driver_sql(compiled.sql, args)
            rows = result.fetchall() if result.returns_rows else ()
            return compiled, rows, result.rowcount
        dbapi = connection.connection.dbapi_connection
        lost = connection.invalidate
        return compiled, *_run_direct(dialect, dbapi, compiled, args, many is not None, lost)

    def _lose(self, exc: Exception) -> None:
        """Drop the held connection: the database lost it."""
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.invalidate(exc)

    def hand_over(self) -> PoolProxiedConnection | None:
        """Give up the connection held outside the transaction, ready for one (psycopg's
        out of autocommit), for the request's session to run on; None if none is held."""
        lease = self._lease
        if lease is None:
            return None
        self._lease = None
        if _prepares(self._scope.database.engine.dialect):
            lease.dbapi_connection.autocommit = False  # type: ignore[union-attr]
        return lease

    def release(self) -> None:
        """Give the connection held outside the transaction back to the pool."""
        lease = self.hand_over()
        if lease is not None:
            lease.close()


class AsyncSql(_Handle):
    """``self.asql`` in async actions: the same as :class:`Sql`, awaited."""

    __slots__ = ("_plan", "_releasing", "_writing")

    def __init__(self, scope: Scope, request: Request) -> None:
        super().__init__(scope, request)
        self._releasing: asyncio.Task[None] | None = None
        self._plan: _AsyncPlan | None = None
        #: whether a write began the request's transaction on the held connection
        self._writing = False

    async def all(self, statement: Statement[T], **params: Any) -> list[T]:
        """Every row the statement returns."""
        compiled, rows, _ = await self._run(statement, params, None)
        return statement.build(compiled, rows)

    async def first(self, statement: Statement[T], **params: Any) -> T | None:
        """The first row, or None."""
        compiled, rows, _ = await self._run(statement, params, None)
        return statement.build(compiled, rows[:1])[0] if rows else None

    async def first_or_404(
        self, statement: Statement[T], message: str | None = None, **params: Any
    ) -> T:
        """The first row, or answer 404."""
        row = await self.first(statement, **params)
        if row is None:
            raise HTTPError(404, message or "Not found")
        return row

    async def scalar(self, statement: Statement[Any], **params: Any) -> Any:
        """The first column of the first row, or None."""
        compiled, rows, _ = await self._run(statement, params, None)
        return compiled.rows(rows[:1])[0][0] if rows else None

    async def execute(self, statement: Statement[Any], **params: Any) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        return (await self._run(statement, params, None))[2]

    async def execute_many(
        self, statement: Statement[Any], rows: Iterable[Mapping[str, Any]]
    ) -> int:
        """Run a statement once per mapping of ``rows`` (psycopg pipelines them)."""
        return (await self._run(statement, {}, rows))[2]

    async def _run(
        self,
        statement: Statement[Any],
        params: Mapping[str, Any],
        many: Iterable[Mapping[str, Any]] | None,
    ) -> tuple[CompiledStatement, Sequence[Any], int]:
        plan = self._plan
        if plan is None:
            plan = self._plan = _AsyncPlan(self._scope.database)
        dialect = plan.dialect
        observed = _observed()
        #: a statement that may run before the transaction, on a connection of its own
        before = many is None and not observed and not self._scope.async_session_open
        if before and plan.threads:
            sync_engine = self._scope.database.engine
            compiled = statement.compiled(sync_engine.dialect)
            if compiled.reads:
                args = self._args(compiled, params, None)
                return compiled, *await in_thread(
                    self._scope.executor, _read_pooled, sync_engine, compiled, args
                )
        compiled = statement.compiled(dialect)
        args = self._args(compiled, params, many)
        native = plan.native  # psycopg's AsyncConnection; others through SQLAlchemy
        writes = many is not None or not compiled.reads
        if (
            plan.outside
            and not observed
            and not self._scope.async_session_open
            and (native or compiled.returns_rows is not None)
        ):
            return compiled, *await self._on_lease(plan, compiled, args, many, writes)
        if self._scope.async_session_open:
            await self.release()  # one being given back as the session opened
            session = self._scope.async_session(self._request)
        else:
            session = self._scope.async_session(self._request, await self.hand_over())
        connection = await session.connection()
        if observed or not native:
            result = await connection.exec_driver_sql(compiled.sql, args)
            rows = result.fetchall() if result.returns_rows else ()
            return compiled, rows, result.rowcount
        if writes:
            await begin_writes_async(connection)  # the session read outside until now
        raw = await connection.get_raw_connection()
        try:
            return (
                compiled,
                *await _execute_async(raw.driver_connection, compiled, args, many is not None),
            )
        except Exception as exc:
            error = _driver_error(dialect, exc, compiled.sql, args, raw.dbapi_connection)
            if error is None:
                raise
            if error[1]:
                await connection.invalidate(exc)
            raise error[0] from exc

    async def _on_lease(
        self,
        plan: _AsyncPlan,
        compiled: CompiledStatement,
        args: Any,
        many: Iterable[Mapping[str, Any]] | None,
        writes: bool,
    ) -> _Result:
        """Run on the connection held for the request, on the driver: a read outside a
        transaction until the first write, which begins the request's transaction there
        (PERF: no session, no greenlet; the session takes the connection over if the
        request opens one)."""
        lease = self._lease
        new = lease is None
        if lease is None:
            room = plan.room
            if room is None:
                lease = await plan.async_engine.raw_connection()
            else:  # from the pool, or handed on by the request before (handoff.py)
                lease = await room.acquire()
            self._lease = lease
        driver: Any = lease.driver_connection
        # psycopg reads outside a transaction in autocommit (a connection handed on
        # after reads still is); asyncpg does unless asked
        if new and plan.native and not driver.autocommit:
            await driver.set_autocommit(True)
        try:
            if writes and not self._writing:
                await _begin(lease)
                self._writing = True
            if plan.native:
                return await _execute_async(driver, compiled, args, many is not None)
            return await _asyncpg_execute(driver, compiled, args, many)
        except Exception as exc:
            await self._fail(plan.dialect, exc, compiled.sql, args)
            raise

    async def _fail(self, dialect: Dialect, exc: Exception, sql: str, args: Any) -> None:
        """Raise ``exc`` of the held connection as SQLAlchemy would; drop the connection
        if it is lost. Returns only when ``exc`` is not the driver's."""
        lease = self._lease
        assert lease is not None
        error = _lease_error(dialect, exc, sql, args, lease)
        if error is None:
            return
        if error[1]:
            self._lease = None
            self._writing = False
            await greenlet_spawn(lease.invalidate, exc)
        raise error[0] from exc

    async def hand_over(self) -> PoolProxiedConnection | None:
        """Give up the connection held for the request, for its session to run on: in
        the transaction its writes began, else ready for one (psycopg's out of
        autocommit); None if none is held."""
        lease = self.take_transaction()
        if lease is not None:
            return lease
        lease = self._lease
        if lease is None:
            return None
        self._lease = None
        driver: Any = lease.driver_connection
        if hasattr(driver, "set_autocommit"):  # psycopg; asyncpg was left as it was
            try:
                await driver.set_autocommit(False)
            except Exception as exc:
                await greenlet_spawn(lease.invalidate, exc)
                raise
        return lease

    def take_transaction(self) -> PoolProxiedConnection | None:
        """Give up the held connection if a write began the request's transaction on it,
        for the session to go on with; else None."""
        if not self._writing:
            return None
        lease, self._lease = self._lease, None
        self._writing = False
        return lease

    def take_reading(self) -> PoolProxiedConnection | None:
        """Give up the connection held for reads, as it is (outside a transaction), for
        a session that reads outside a transaction too (mvcpy.orm.outside); None if none
        is held."""
        lease, self._lease = self._lease, None
        return lease

    async def end(self, commit: bool) -> None:
        """Commit (``commit``) or roll back the transaction the writes began on the held
        connection, then give the connection back. A failing commit raises as the
        session's would (an ``IntegrityError`` is a 409); the connection goes back all
        the same."""
        lease = self._lease
        try:
            if self._writing and lease is not None:
                try:
                    await _end(lease, commit)
                except Exception as exc:
                    sql = "COMMIT" if commit else "ROLLBACK"
                    await self._fail(self._scope.database.async_engine.dialect, exc, sql, ())
                    raise
                self._writing = False
        finally:
            await self.release()

    async def release(self) -> None:
        """Give the held connection back to the pool (a transaction the writes began on
        it and no one ended is rolled back by the pool's reset)."""
        pending = self._releasing
        if pending is not None:
            self._releasing = None
            await pending
        lease = self._lease
        if lease is not None:
            self._lease = None
            settled = not self._writing  # else a transaction was begun and not ended
            self._writing = False
            await _give_back(lease, self._pool(), settled, self._room())

    def release_soon(self) -> None:
        """Give the connection back from code on the event loop that cannot await (the
        async session opening): in a task, awaited at the request's end at the latest."""
        lease = self._lease
        if lease is not None:
            self._lease = None
            self._releasing = asyncio.get_running_loop().create_task(
                _give_back(lease, self._pool(), room=self._room())
            )

    def _pool(self) -> Any:
        return self._scope.database.async_engine.sync_engine.pool

    def _room(self) -> WaitingRoom | None:
        plan = self._plan
        return plan.room if plan is not None else None

    @property
    def leased(self) -> bool:
        """Whether a connection is held for the request, or being given back."""
        return self._lease is not None or self._releasing is not None


class _AsyncPlan:
    """What a request's async statements need to know of the database, worked out at its
    first statement (PERF: not again for each of its statements)."""

    __slots__ = ("async_engine", "dialect", "native", "outside", "room", "threads")

    def __init__(self, database: Any) -> None:
        self.async_engine = database.async_engine
        engine = self.async_engine.sync_engine
        self.dialect: Dialect = engine.dialect
        #: psycopg: its AsyncConnection is called directly
        self.native = _prepares(self.dialect)
        #: reads before the transaction run on a connection of their own, on the driver
        self.outside = (self.native or _asyncpg(self.dialect)) and _may_read_outside(
            database, engine
        )
        #: where held connections are waited for and handed on (mvcpy.orm.handoff)
        self.room: WaitingRoom | None = database.waiting_room if self.outside else None
        #: reads before the transaction run on the worker threads (a SQLite file)
        self.threads = self.dialect.name == "sqlite" and _reads_on_threads(database)


async def _begin(lease: PoolProxiedConnection) -> None:
    """Begin a transaction on ``lease``: psycopg's BEGIN goes with the next statement;
    asyncpg's through SQLAlchemy's adapter, so that the adapter knows of it, and commits
    it, if the request's session takes the connection over."""
    driver: Any = lease.driver_connection
    if hasattr(driver, "set_autocommit"):
        await driver.set_autocommit(False)
    else:
        await lease.dbapi_connection._start_transaction()  # type: ignore[union-attr]


async def _end(lease: PoolProxiedConnection, commit: bool) -> None:
    """Commit or roll back the transaction :func:`_begin` began on ``lease``."""
    driver: Any = lease.driver_connection
    if hasattr(driver, "set_autocommit"):
        await (driver.commit() if commit else driver.rollback())
        return
    adapter: Any = lease.dbapi_connection
    transaction = adapter._transaction
    if transaction is not None:  # the adapter forgets it, whatever the outcome
        await adapter._call_and_discard(transaction.commit if commit else transaction.rollback)


async def _asyncpg_execute(
    driver: Any, compiled: CompiledStatement, args: Any, many: Iterable[Any] | None
) -> _Result:
    """Run on asyncpg's connection (its statement cache prepares the SQL once)."""
    if many is not None:
        await driver.executemany(compiled.sql, args)
        return (), -1  # asyncpg does not say how many rows changed
    if compiled.returns_rows:
        rows = await driver.fetch(compiled.sql, *args)
        return rows, len(rows)
    status = await driver.execute(compiled.sql, *args)  # "UPDATE 3", "INSERT 0 1"
    count = status.rpartition(" ")[2]
    return (), int(count) if count.isdigit() else -1


def _lease_error(
    dialect: Dialect, exc: Exception, sql: str, args: Any, lease: PoolProxiedConnection
) -> tuple[DBAPIError, bool] | None:
    """``exc`` of a connection held for the request as SQLAlchemy raises it, and whether
    it lost the connection; None when it is not the driver's (or the adapter's)."""
    error = _driver_error(dialect, exc, sql, args, lease.dbapi_connection)
    if error is None and _asyncpg(dialect):
        error = _asyncpg_error(exc, sql, args, lease.driver_connection)
    return error


async def _give_back(
    lease: PoolProxiedConnection,
    pool: Any,
    settled: bool = True,
    room: WaitingRoom | None = None,
) -> None:
    """Give ``lease`` back: to the request waiting for it in ``room``, as it is, if it is
    ready for that request's reads, else to ``pool``. One that is not ``settled``, in a
    transaction no one ended (a cancelled request, a failed ROLLBACK), goes back through
    SQLAlchemy's greenlet, where the pool's reset rolls it back, or drops it if that
    fails."""
    driver: Any = lease.driver_connection
    if settled and room is not None and idle(driver) and room.hand_on(lease):
        return
    try:
        if settled and hasattr(driver, "set_autocommit"):  # psycopg; asyncpg as it was
            await driver.set_autocommit(False)
    finally:
        if settled and _returns_without_io(driver, pool):
            lease.close()
        else:
            await greenlet_spawn(lease.close)  # the pool's reset awaits through SQLAlchemy


def _returns_without_io(driver: Any, pool: Any) -> bool:
    """Whether giving a connection back does no I/O, so it needs no hop into
    SQLAlchemy's greenlet (PERF: about 20 µs a request): asyncpg outside a transaction
    (the pool's reset does nothing) into a pool with room for it (nothing to close)."""
    return (
        hasattr(driver, "is_closed")
        and not driver.is_closed()
        and hasattr(pool, "overflow")
        and pool.overflow() <= 0
    )


async def _execute_async(
    driver: Any, compiled: CompiledStatement, args: Any, many: bool
) -> _Result:
    cursor = driver.cursor()
    try:
        if many:
            await cursor.executemany(compiled.sql, args)
        else:
            await cursor.execute(compiled.sql, args, prepare=True)
        rows = await cursor.fetchall() if _returns_rows(compiled, cursor) else ()
        return rows, cursor.rowcount
    finally:
        await cursor.close()
