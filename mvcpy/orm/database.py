"""One engine per process, built from ``[database]`` in the app's configuration."""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import PoolProxiedConnection, StaticPool

from mvcpy.errors import ConfigurationError
from mvcpy.orm import outside
from mvcpy.orm.availability import UnavailableLog
from mvcpy.orm.handoff import RoomSession, WaitingRoom
from mvcpy.orm.pool import FairAsyncPool
from mvcpy.orm.request import RequestDB
from mvcpy.orm.session import OWN_CONNECTION, AsyncDbSession, DbSession
from mvcpy.orm.settings import DatabaseSettings

__all__ = ["DEFAULT_SQLITE_PATH", "Database", "async_url_for"]

#: Where the database lives when ``[database] url`` is not set, under the project root.
DEFAULT_SQLITE_PATH = "instance/app.sqlite3"

_DRIVER_HINTS = {
    "psycopg": "pip install 'mvcpy-web[postgres]'",
    "psycopg2": "pip install 'mvcpy-web[postgres]' and use postgresql+psycopg://",
    "pymysql": "pip install 'mvcpy-web[mysql]'",
    "aiomysql": "pip install aiomysql, or set [database] async_url",
    "asyncmy": "pip install asyncmy, or set [database] async_url",
    "aiosqlite": "pip install aiosqlite",
    "asyncpg": "pip install 'mvcpy-web[postgres]'",
}
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+aiomysql",
    "mariadb": "mariadb+aiomysql",
}


def _is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def async_url_for(url: URL) -> URL:
    """Return the URL of the async driver for the same database as ``url``."""
    backend = url.get_backend_name()
    if url.get_driver_name() in ("aiosqlite", "psycopg_async", "aiomysql", "asyncmy"):
        return url
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")  # psycopg 3 is sync and async
    driver = _ASYNC_DRIVERS.get(backend)
    if driver is None:
        raise ConfigurationError(
            f"no async driver known for {backend!r}: set [database] async_url in conf/app.toml"
        )
    return url.set(drivername=driver)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside one writer; SQLite leaves foreign keys off by default.
    # The busy timeout is the driver's ``timeout`` connect argument (_timeouts).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _timeouts(url: URL, settings: DatabaseSettings) -> dict[str, Any]:
    """The driver's connect arguments for ``[database] connect_timeout`` and
    ``statement_timeout``: a server that is down, silent or slow costs a request seconds."""
    backend, driver = url.get_backend_name(), url.get_driver_name()
    connect, statement = settings.connect_timeout, settings.statement_timeout
    if backend == "sqlite":
        return {"timeout": statement or 5.0}  # seconds to wait for a lock
    if backend == "postgresql" and driver == "asyncpg":
        # asyncpg takes server settings as a dict, and no libpq ``options``
        settings_ = _libpq_options(url)
        if statement:
            settings_["statement_timeout"] = str(int(statement * 1000))
        return {"timeout": connect, "server_settings": settings_}
    if backend == "postgresql":
        args: dict[str, Any] = {"connect_timeout": max(1, math.ceil(connect))}
        if statement:
            options = url.query.get("options", "")
            options = options if isinstance(options, str) else " ".join(options)
            args["options"] = f"{options} -c statement_timeout={int(statement * 1000)}".strip()
        return args
    if backend in ("mysql", "mariadb"):
        args = {"connect_timeout": max(1, math.ceil(connect))}
        if statement and driver in ("pymysql", "mysqldb"):  # socket timeouts, client side
            args["read_timeout"] = args["write_timeout"] = max(1, math.ceil(statement))
        return args
    return {}


#: libpq's URL arguments that asyncpg takes as server settings instead
_SERVER_SETTINGS = ("options", "application_name")


def _libpq_options(url: URL) -> dict[str, str]:
    """The server settings of a libpq URL's ``options`` (``-c name=value``) and
    ``application_name``, as asyncpg takes them."""
    options = url.query.get("options", "")
    options = options if isinstance(options, str) else " ".join(options)
    found: dict[str, str] = {}
    name = url.query.get("application_name")
    if isinstance(name, str):
        found["application_name"] = name
    words = options.replace("-c ", "-c").split()
    for word in words:
        if word.startswith("-c") and "=" in word:
            name, _, value = word[2:].partition("=")
            found[name] = value
    return found


def _mysql_utc(dbapi_connection: Any, _record: Any) -> None:
    # NOW() and CURRENT_TIMESTAMP answer in the session's time zone, the server's local
    # one unless set: UTC makes them agree with UTCDateTime, which stores naive UTC.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET time_zone = '+00:00'")
    cursor.close()


def _setup_engine(engine: Engine, url: URL) -> None:
    """Attach the per-connection settings of ``url``'s database to ``engine``."""
    outside.listen(engine)
    backend = url.get_backend_name()
    if backend == "sqlite":
        # PERF: the driver keeps beginning transactions itself (only before writes); an
        # explicit BEGIN per request cost ~35% of a one-row SQLite read. The test fixture
        # switches its own connection to explicit transactions, for savepoints.
        event.listen(engine, "connect", _sqlite_pragmas)
    elif backend in ("mysql", "mariadb"):
        event.listen(engine, "connect", _mysql_utc)


def _driver_error(url: URL, exc: Exception) -> ConfigurationError:
    driver = url.get_driver_name()
    hint = _DRIVER_HINTS.get(driver, f"install the driver for {url.drivername}")
    return ConfigurationError(
        f"database driver {driver!r} for {url.drivername}:// is not installed: {hint}"
    )


class Database:
    """The app's engines and session factories, created on first use in each process.

    A process forked after first use (gunicorn with ``--preload``) notices the new pid
    and builds its own engine instead of sharing the parent's sockets.
    """

    def __init__(
        self, settings: DatabaseSettings | None = None, *, root_path: Path, env: str = "dev"
    ) -> None:
        settings = settings if settings is not None else DatabaseSettings()
        self.settings = settings
        self.root_path = root_path
        self.url = self._resolve_url(settings.url)
        self._async_url_text = settings.async_url
        self.autocommit = settings.autocommit
        #: reads before a request's first write run outside a transaction (orm/outside.py)
        self.read_outside = settings.read_outside_transaction
        self.echo = settings.echo and env != "prod"
        self._lock = threading.Lock()
        self._pid = 0
        self._engine: Engine | None = None
        self._async_engine: AsyncEngine | None = None
        self._waiting_room: WaitingRoom | None = None
        self._sessions: sessionmaker[DbSession] | None = None
        self._async_sessions: async_sessionmaker[AsyncDbSession] | None = None
        #: a connection every per-request session joins (set by the test fixture)
        self.test_connection: Connection | None = None
        #: one line per reason the database was unavailable, not one per request
        self.unavailable_log = UnavailableLog()

    def _resolve_url(self, text: str) -> URL:
        if not text:
            text = f"sqlite:///{DEFAULT_SQLITE_PATH}"
        try:
            url = make_url(text)
        except ArgumentError:
            raise ConfigurationError(
                f"[database] url {text!r} is not a database URL; "
                "expected e.g. postgresql+psycopg://user@host/dbname or sqlite:///instance/app.db"
            ) from None
        if url.get_backend_name() == "sqlite" and not _is_memory(url):
            path = Path(url.database or "")
            if not path.is_absolute():
                url = url.set(database=str(self.root_path / path))
        return url

    # -- engines ----------------------------------------------------------------------
    def _engine_options(self, url: URL) -> dict[str, Any]:
        settings = self.settings
        options: dict[str, Any] = {"echo": self.echo}
        if _is_memory(url):
            # One shared in-memory database for every thread of the process.
            options["poolclass"] = StaticPool
            options["connect_args"] = {"check_same_thread": False}
            return options
        options.update(
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,
            pool_recycle=settings.pool_recycle,
            pool_pre_ping=settings.pool_pre_ping,
            connect_args=_timeouts(url, settings),
        )
        if url.get_backend_name() == "sqlite":
            options["connect_args"]["check_same_thread"] = False
            Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        return options

    def _check_process(self) -> None:
        pid = os.getpid()
        if self._pid != pid:
            if self._engine is not None:
                # Inherited from the parent: drop its pool without closing its sockets.
                self._engine.dispose(close=False)
            if self._async_engine is not None:
                self._async_engine.sync_engine.dispose(close=False)
            self._engine = self._async_engine = self._waiting_room = None
            self._sessions = self._async_sessions = None
            self._pid = pid

    @property
    def engine(self) -> Engine:
        """The process's engine (created on first use)."""
        engine = self._engine
        if engine is None or self._pid != os.getpid():
            with self._lock:
                self._check_process()
                if self._engine is None:
                    self._engine = self._create_engine()
                engine = self._engine
        return engine

    def _create_engine(self) -> Engine:
        url = self.url
        try:
            engine = create_engine(url, **self._engine_options(url))
        except (ModuleNotFoundError, NoSuchModuleError) as exc:
            raise _driver_error(url, exc) from None
        _setup_engine(engine, url)
        return engine

    @property
    def async_url(self) -> URL:
        """The URL of the async engine: ``[database] async_url`` or the async driver of ``url``."""
        if self._async_url_text:
            return self._resolve_url(self._async_url_text)
        return async_url_for(self.url)

    @property
    def async_engine(self) -> AsyncEngine:
        """The process's async engine (created on first use)."""
        engine = self._async_engine
        if engine is None or self._pid != os.getpid():
            with self._lock:
                self._check_process()
                if self._async_engine is None:
                    url = self.async_url
                    options = self._engine_options(url)
                    # connections to waiting requests in order of arrival (orm/pool.py)
                    options.setdefault("poolclass", FairAsyncPool)
                    if url.get_driver_name() == "asyncpg":  # taken into server_settings
                        url = url.difference_update_query(_SERVER_SETTINGS)
                    try:
                        self._async_engine = create_async_engine(url, **options)
                    except (ModuleNotFoundError, NoSuchModuleError) as exc:
                        raise _driver_error(url, exc) from None
                    _setup_engine(self._async_engine.sync_engine, url)
                engine = self._async_engine
        return engine

    @property
    def waiting_room(self) -> WaitingRoom | None:
        """Where the async fast path waits for a connection of the async engine's pool
        and hands it on (mvcpy.orm.handoff); None without mvcpy's pool (an in-memory
        SQLite database has one connection, in SQLAlchemy's StaticPool)."""
        engine = self.async_engine  # first: a new process drops the parent's room
        room = self._waiting_room
        if room is None and WaitingRoom.serves(engine):
            with self._lock:
                if self._waiting_room is None:
                    settings = self.settings
                    self._waiting_room = WaitingRoom(
                        engine,
                        max_overflow=settings.max_overflow,
                        timeout=settings.pool_timeout,
                        recycle=settings.pool_recycle,
                    )
                room = self._waiting_room
        return room

    # -- sessions ---------------------------------------------------------------------
    def session(self, pooled: PoolProxiedConnection | None = None, **info: Any) -> DbSession:
        """Open a new session (the caller closes it). ``pooled``: a connection checked out
        of the pool for the session to run on (a request's session takes over the connection
        its reads used); it goes back to the pool as the request ends."""
        connection = self.test_connection
        if connection is not None:
            return DbSession(
                bind=connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
                info=info,
            )
        factory = self._sessions
        if factory is None or self._pid != os.getpid():
            factory = self._sessions = sessionmaker(
                self.engine, class_=DbSession, expire_on_commit=False
            )
        if pooled is not None:
            own = Connection(self.engine, pooled)
            return factory(bind=own, info={**info, OWN_CONNECTION: own})
        return factory(info=info)

    def async_session(
        self, pooled: PoolProxiedConnection | None = None, **info: Any
    ) -> AsyncDbSession:
        """Open a new async session (the caller closes it); ``pooled`` as for
        :meth:`session`, from the async engine's pool."""
        factory = self._async_sessions
        engine = self.async_engine
        if factory is None or self._pid != os.getpid():
            factory = self._async_sessions = async_sessionmaker(
                engine,
                class_=AsyncDbSession,
                sync_session_class=RoomSession,
                expire_on_commit=False,
            )
        if pooled is not None:
            own = Connection(engine.sync_engine, pooled)
            return factory(bind=AsyncConnection(engine, own), info={**info, OWN_CONNECTION: own})
        return factory(info=info)

    def request_scope(self, executor: Executor | None = None) -> RequestDB:
        """Return the per-request holder of this request's sessions; ``executor``: the
        app's worker threads (None: asyncio's default executor)."""
        return RequestDB(self, executor)

    # -- shutdown ---------------------------------------------------------------------
    async def dispose(self) -> None:
        """Close every pooled connection (at shutdown); engines are rebuilt on next use."""
        with self._lock:
            engine, async_engine = self._engine, self._async_engine
            self._engine = self._async_engine = self._waiting_room = None
            self._sessions = self._async_sessions = None
        if async_engine is not None:
            await async_engine.dispose()
        if engine is not None:
            engine.dispose()

    def __repr__(self) -> str:
        return f"<Database {self.url.render_as_string(hide_password=True)}>"
