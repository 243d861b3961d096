"""The ORM's reads before the first write, outside a transaction, on PostgreSQL
(``[database] read_outside_transaction``, mvcpy.orm.outside): whatever the request does
first, its writes run in one transaction, all or nothing, and every connection goes back
to the pool out of autocommit. The sync session and the async one on both drivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from mvcpy import App, Controller
from mvcpy.orm import Database
from mvcpy.testing import TestClient

from .conftest import create_tables, isolated_url
from .models import Author
from .test_statements import AUTHORS, asyncpg_url, rows_of
from .test_statements import NEW_AUTHOR as INSERT_AUTHOR

NOW = select(func.now())
MARK = select(func.set_config("mvcpy.mark", "set", True))
MARKED = select(func.coalesce(func.current_setting("mvcpy.mark", True), ""))
NEW_AUTHOR = text("INSERT INTO orm_authors (email, name, created_at) VALUES (:e, '', now())")


def _author(ctx: Controller) -> Author:
    return Author(email=ctx.get_string("email") or "orm@example.com")


def _fail_if_asked(ctx: Controller) -> None:
    if ctx.get_string("fail") == "yes":
        raise RuntimeError("boom after the writes")


class AsyncOrm(Controller):
    async def warm(self) -> Any:
        return {"authors": await self.adb.scalar(select(func.count()).select_from(Author))}

    async def read_write(self) -> Any:
        await self.adb.scalar(NOW)
        self.adb.add(_author(self))
        await self.adb.flush()
        _fail_if_asked(self)
        return {}

    async def read_text(self) -> Any:
        await self.adb.scalar(NOW)
        await self.adb.execute(NEW_AUTHOR, {"e": self.get_string("email")})
        _fail_if_asked(self)
        return {}

    async def read_statement(self) -> Any:
        await self.adb.scalar(NOW)  # the session is open: the statement goes through it
        await self.asql.scalar(INSERT_AUTHOR, email=self.get_string("email"), name="")
        _fail_if_asked(self)
        return {}

    async def savepoint(self) -> Any:
        async with self.adb.begin_nested():
            self.adb.add(_author(self))
        _fail_if_asked(self)
        return {}

    async def locked(self) -> Any:
        await self.adb.scalar(NOW)
        await self.adb.scalars(select(Author).with_for_update())
        first = await self.adb.scalar(NOW)
        return {"one transaction": first == await self.adb.scalar(NOW)}

    async def streamed(self) -> Any:
        await self.adb.scalar(NOW)
        rows = await self.adb.stream_scalars(
            select(Author.email).order_by(Author.email).execution_options(yield_per=1)
        )
        return {"emails": [email async for email in rows]}

    async def set_local(self) -> Any:
        await self.adb.scalar(NOW)
        await self.adb.execute(MARK)
        return {"marked": await self.adb.scalar(MARKED)}

    async def text_first(self) -> Any:
        await self.adb.execute(text("SELECT 1"))
        first = await self.adb.scalar(NOW)
        return {"one transaction": first == await self.adb.scalar(NOW)}

    async def reads(self) -> Any:
        first = await self.adb.scalar(NOW)
        return {"one transaction": first == await self.adb.scalar(NOW)}

    async def statement_then_orm(self) -> Any:
        await self.asql.all(AUTHORS)  # on a connection held for the request's reads
        first = await self.adb.scalar(NOW)
        same = first == await self.adb.scalar(NOW)
        if self.get_string("email"):
            self.adb.add(_author(self))
            await self.adb.flush()
        _fail_if_asked(self)
        return {"one transaction": same}

    async def statement_then_idle_session(self) -> Any:
        await self.asql.all(AUTHORS)
        self.adb.add(_author(self))  # opens the session; nothing runs on it
        self.adb.expunge_all()
        return {}

    async def outside_a_request(self) -> Any:
        """A session of the app's own, after requests that read outside: on the pool's
        one connection, its rolled back insert must not stay."""
        database: Database = self.app.database
        async with database.async_session() as session:
            await session.scalar(NOW)
            await session.execute(NEW_AUTHOR, {"e": "rolled-back@example.com"})
            await session.rollback()
        return {}


class SyncOrm(Controller):
    def warm(self) -> Any:
        return {"authors": self.db.scalar(select(func.count()).select_from(Author))}

    def read_write(self) -> Any:
        self.db.scalar(NOW)
        self.db.add(_author(self))
        self.db.flush()
        _fail_if_asked(self)
        return {}

    def read_text(self) -> Any:
        self.db.scalar(NOW)
        self.db.execute(NEW_AUTHOR, {"e": self.get_string("email")})
        _fail_if_asked(self)
        return {}

    def read_statement(self) -> Any:
        self.db.scalar(NOW)
        self.sql.scalar(INSERT_AUTHOR, email=self.get_string("email"), name="")
        _fail_if_asked(self)
        return {}

    def savepoint(self) -> Any:
        with self.db.begin_nested():
            self.db.add(_author(self))
        _fail_if_asked(self)
        return {}

    def locked(self) -> Any:
        self.db.scalar(NOW)
        self.db.scalars(select(Author).with_for_update()).all()
        first = self.db.scalar(NOW)
        return {"one transaction": first == self.db.scalar(NOW)}

    def streamed(self) -> Any:
        self.db.scalar(NOW)
        statement = select(Author.email).order_by(Author.email)
        rows = self.db.scalars(statement.execution_options(yield_per=1))
        return {"emails": list(rows)}

    def set_local(self) -> Any:
        self.db.scalar(NOW)
        self.db.execute(MARK)
        return {"marked": self.db.scalar(MARKED)}

    def text_first(self) -> Any:
        self.db.execute(text("SELECT 1"))
        first = self.db.scalar(NOW)
        return {"one transaction": first == self.db.scalar(NOW)}

    def reads(self) -> Any:
        first = self.db.scalar(NOW)
        return {"one transaction": first == self.db.scalar(NOW)}

    def statement_then_orm(self) -> Any:
        self.sql.all(AUTHORS)
        first = self.db.scalar(NOW)
        same = first == self.db.scalar(NOW)
        if self.get_string("email"):
            self.db.add(_author(self))
            self.db.flush()
        _fail_if_asked(self)
        return {"one transaction": same}

    def statement_then_idle_session(self) -> Any:
        self.sql.all(AUTHORS)
        self.db.add(_author(self))
        self.db.expunge_all()
        return {}

    def outside_a_request(self) -> Any:
        database: Database = self.app.database
        with database.session() as session:
            session.scalar(NOW)
            session.execute(NEW_AUTHOR, {"e": "rolled-back@example.com"})
            session.rollback()
        return {}


#: (controller, async driver): the sync session, and the async one on both drivers
SESSIONS = [(SyncOrm, ""), (AsyncOrm, "psycopg"), (AsyncOrm, "asyncpg")]
IDS = ["sync", "async-psycopg", "async-asyncpg"]
ACTIONS = (
    "warm",
    "read_write",
    "read_text",
    "read_statement",
    "savepoint",
    "locked",
    "streamed",
    "set_local",
    "text_first",
    "reads",
    "statement_then_orm",
    "statement_then_idle_session",
    "outside_a_request",
)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, private PostgreSQL schema with the ORM tests' tables."""
    urls = isolated_url("postgres", request, tmp_path)
    url = next(urls)
    create_tables(url)
    yield url
    next(urls, None)


@contextmanager
def serving(
    make_app: Callable[..., App], url: str, controller: type[Controller], driver: str, **db: Any
) -> Iterator[TestClient]:
    """A client of the app on one pooled connection (a request that held a second would
    wait and fail), once its engine has connected: only then does it know the database
    reads at READ COMMITTED."""
    if driver == "asyncpg":
        db["async_url"] = asyncpg_url(url)
    app = make_app(
        database={"url": url, "pool_size": 1, "max_overflow": 0, "pool_timeout": 2, **db}
    )
    for action in ACTIONS:
        app.router(f"/{action}", controller, f"get,post:{action}")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/warm").json() == {"authors": 0}
        yield client


def emails(url: str) -> list[str]:
    return [email for (email,) in rows_of(url, "SELECT email FROM orm_authors ORDER BY email")]


@pytest.mark.parametrize(("controller", "driver"), SESSIONS, ids=IDS)
def test_reads_alone_run_outside_and_a_write_after_them_is_all_or_nothing(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    with serving(make_app, pg_url, controller, driver) as client:
        assert client.get("/reads").json() == {"one transaction": False}
        for action in ("read_write", "read_text", "read_statement"):
            failed = client.post(f"/{action}", data={"email": f"{action}@x.org", "fail": "yes"})
            assert failed.status_code == 500
            assert emails(pg_url) == []
        assert client.post("/read_write", data={"email": "a@x.org"}).is_success
        assert client.post("/read_text", data={"email": "b@x.org"}).is_success
        assert client.post("/read_statement", data={"email": "c@x.org"}).is_success
        assert emails(pg_url) == ["a@x.org", "b@x.org", "c@x.org"]


@pytest.mark.parametrize(("controller", "driver"), SESSIONS, ids=IDS)
def test_a_savepoint_first_begins_the_transaction(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    """SAVEPOINT needs a transaction: a request whose first statement is one begins it,
    and what the savepoint kept is still rolled back with the request."""
    with serving(make_app, pg_url, controller, driver) as client:
        assert (
            client.post("/savepoint", data={"email": "gone@x.org", "fail": "yes"}).status_code
            == 500
        )
        assert emails(pg_url) == []
        assert client.post("/savepoint", data={"email": "kept@x.org"}).is_success
        assert emails(pg_url) == ["kept@x.org"]


@pytest.mark.parametrize(("controller", "driver"), SESSIONS, ids=IDS)
def test_what_lasts_until_the_transaction_ends_runs_in_it(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    """A SELECT that locks rows, one that calls set_config(..., true), a server-side
    cursor (which PostgreSQL allows only in a transaction) and ``text()``, whose functions
    mvcpy cannot know, each begin the transaction."""
    with serving(make_app, pg_url, controller, driver) as client:
        assert client.post("/read_write", data={"email": "a@x.org"}).is_success
        assert client.post("/read_write", data={"email": "b@x.org"}).is_success
        assert client.get("/locked").json() == {"one transaction": True}
        assert client.get("/set_local").json() == {"marked": "set"}
        assert client.get("/streamed").json() == {"emails": ["a@x.org", "b@x.org"]}
        assert client.get("/text_first").json() == {"one transaction": True}


@pytest.mark.parametrize(("controller", "driver"), SESSIONS, ids=IDS)
def test_connections_go_back_to_the_pool_out_of_autocommit(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    """After requests that only read, the pool's one connection serves a session of the
    app's own: its insert, rolled back, is gone (in autocommit it would have stayed)."""
    with serving(make_app, pg_url, controller, driver) as client:
        for _ in range(2):
            assert client.get("/reads").json() == {"one transaction": False}
            assert client.get("/outside_a_request").is_success
        assert emails(pg_url) == []


@pytest.mark.parametrize(("controller", "driver"), SESSIONS, ids=IDS)
def test_read_outside_transaction_off_keeps_every_statement_in_one(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    with serving(make_app, pg_url, controller, driver, read_outside_transaction=False) as client:
        assert client.get("/reads").json() == {"one transaction": True}
        assert client.get("/streamed").json() == {"emails": []}


@pytest.mark.parametrize(("controller", "driver"), SESSIONS, ids=IDS)
def test_the_session_reads_on_the_connection_of_the_statements_before_it(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    """A request that reads through ``self.asql``/``self.sql`` and then through the ORM
    checks out one connection: the session goes on outside a transaction on the one the
    statements held, and a write after that is still all or nothing."""
    with serving(make_app, pg_url, controller, driver) as client:
        database: Database = client.app.database
        engine = database.engine if controller is SyncOrm else database.async_engine.sync_engine
        checkouts: list[object] = []
        event.listen(engine, "checkout", lambda *args: checkouts.append(args))
        assert client.get("/statement_then_orm").json() == {"one transaction": False}
        assert len(checkouts) == 1
        failed = client.post("/statement_then_orm", data={"email": "gone@x.org", "fail": "yes"})
        assert failed.status_code == 500
        assert client.post("/statement_then_orm", data={"email": "kept@x.org"}).is_success
        assert emails(pg_url) == ["kept@x.org"]
        # A session that never ran a statement gives the connection back out of
        # autocommit all the same: the app's own session after it rolls back for real.
        assert client.get("/statement_then_idle_session").is_success
        assert client.get("/outside_a_request").is_success
        assert emails(pg_url) == ["kept@x.org"]
