"""The fast path's transaction on PostgreSQL: where ``self.asql``'s writes begin the
request's transaction on the driver itself (psycopg and asyncpg), and where the session
takes it over, the request still commits once, all or nothing, and gives its connection
back. The sync runner, whose writes open the session, is held to the same."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    String,
    bindparam,
    column,
    create_engine,
    event,
    func,
    insert,
    select,
    table,
    text,
)

from mvcpy import App, Controller
from mvcpy.orm import Statement
from mvcpy.testing import TestClient

from .conftest import create_tables, isolated_url
from .models import Author
from .test_statements import (
    AUTHORS,
    MARKED,
    NEW_AUTHOR,
    RENAME,
    RENAME_ALL,
    asyncpg_url,
    rows_of,
)

TICKETS = table("orm_tickets", column("code", String))
#: a ticket whose code is unique only at COMMIT (a deferred constraint)
NEW_TICKET = Statement(insert(TICKETS).values(code=bindparam("code", type_=String)))
AUTHOR_ID = Statement(select(Author.id).where(Author.id == bindparam("id")))
COUNT = select(func.count()).select_from(Author)
SLEEP = Statement(select(func.pg_sleep(5)), writes=True)


class AsyncWrites(Controller):
    async def orm_then_fail(self) -> Any:
        await self.asql.scalar(NEW_AUTHOR, email="fast@example.com", name="")
        self.adb.add(Author(email="orm@example.com"))
        await self.adb.flush()
        raise RuntimeError("boom after both writes")

    async def orm(self) -> Any:
        await self.asql.scalar(NEW_AUTHOR, email="fast@example.com", name="")
        self.adb.add(Author(email="orm@example.com"))
        await self.adb.flush()
        return {"seen": await self.adb.scalar(COUNT)}

    async def text_after(self) -> Any:
        changed = await self.asql.execute(RENAME, old="fast@example.com", new="fast@example")
        await self.asql.execute(RENAME_ALL, suffix=".net")  # through the session
        return {"changed": changed, "rows": await self.asql.all(AUTHORS)}

    async def twice(self) -> Any:
        await self.asql.execute(NEW_TICKET, code="A-1")
        await self.asql.execute(NEW_TICKET, code=self.get_string("second"))
        return {"written": 2}

    async def warm(self) -> Any:
        return {"authors": await self.adb.scalar(COUNT)}

    async def by_hand(self) -> Any:
        await self.asql.scalar(NEW_AUTHOR, email=self.get_string("email"), name="")
        if self.get_string("commit") == "yes":
            await self.adb.commit()
        return {}

    async def bad_id(self) -> Any:
        return {"found": await self.asql.first(AUTHOR_ID, id="not a number")}

    async def marked_write(self) -> Any:
        before = await self.asql.scalar(MARKED)
        await self.asql.execute(NEW_TICKET, code=self.get_string("code"))
        return {"before": before, "after": await self.asql.scalar(MARKED)}

    async def give_up(self) -> Any:
        await self.asql.execute(NEW_TICKET, code="B-1")
        # the statement is abandoned on the wire: its connection is mid-query
        return await asyncio.wait_for(self.asql.scalar(SLEEP), 0.2)


class SyncWrites(Controller):
    def orm_then_fail(self) -> Any:
        self.sql.scalar(NEW_AUTHOR, email="fast@example.com", name="")
        self.db.add(Author(email="orm@example.com"))
        self.db.flush()
        raise RuntimeError("boom after both writes")

    def orm(self) -> Any:
        self.sql.scalar(NEW_AUTHOR, email="fast@example.com", name="")
        self.db.add(Author(email="orm@example.com"))
        self.db.flush()
        return {"seen": self.db.scalar(COUNT)}

    def text_after(self) -> Any:
        changed = self.sql.execute(RENAME, old="fast@example.com", new="fast@example")
        self.sql.execute(RENAME_ALL, suffix=".net")
        return {"changed": changed, "rows": self.sql.all(AUTHORS)}

    def twice(self) -> Any:
        self.sql.execute(NEW_TICKET, code="A-1")
        self.sql.execute(NEW_TICKET, code=self.get_string("second"))
        return {"written": 2}

    def warm(self) -> Any:
        return {"authors": self.db.scalar(COUNT)}

    def by_hand(self) -> Any:
        self.sql.scalar(NEW_AUTHOR, email=self.get_string("email"), name="")
        if self.get_string("commit") == "yes":
            self.db.commit()
        return {}

    def bad_id(self) -> Any:
        return {"found": self.sql.first(AUTHOR_ID, id="not a number")}

    def marked_write(self) -> Any:
        before = self.sql.scalar(MARKED)
        self.sql.execute(NEW_TICKET, code=self.get_string("code"))
        return {"before": before, "after": self.sql.scalar(MARKED)}


#: (controller, async driver): the sync runner, and the async one on both drivers
RUNNERS = [(SyncWrites, ""), (AsyncWrites, "psycopg"), (AsyncWrites, "asyncpg")]
IDS = ["sync", "async-psycopg", "async-asyncpg"]


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, private PostgreSQL schema with a table of tickets whose codes are
    checked at COMMIT."""
    urls = isolated_url("postgres", request, tmp_path)
    url = next(urls)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("CREATE TABLE orm_tickets (code text UNIQUE DEFERRABLE INITIALLY DEFERRED)")
            )
    finally:
        engine.dispose()
    yield url
    next(urls, None)


def writes_app(
    make_app: Callable[..., App], url: str, controller: type[Controller], driver: str, **db: Any
) -> App:
    """The app, on one pooled connection: a request that asked for a second would wait
    for it and fail, and one that kept it would starve the next."""
    if driver == "asyncpg":
        db["async_url"] = asyncpg_url(url)
    create_tables(url)
    app = make_app(
        database={"url": url, "pool_size": 1, "max_overflow": 0, "pool_timeout": 2, **db}
    )
    for action in ("orm_then_fail", "orm", "text_after", "twice", "by_hand"):
        app.router(f"/{action}", controller, f"post:{action}")
    app.router("/bad_id", controller, "get:bad_id")
    app.router("/warm", controller, "get:warm")
    return app


@contextmanager
def warmed(app: App) -> Iterator[TestClient]:
    """A client of ``app`` whose engine has connected once: only then does it know the
    database reads at READ COMMITTED, where reads and writes run on the driver."""
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/warm").json() == {"authors": 0}
        yield client


def checked_out(app: App, controller: type[Controller]) -> int:
    """The connections the app's pool has handed out and not got back."""
    database = app.database
    engine = database.engine if controller is SyncWrites else database.async_engine.sync_engine
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]


@pytest.mark.parametrize(("controller", "driver"), RUNNERS, ids=IDS)
def test_a_write_and_the_orm_commit_together_or_not_at_all(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    app = writes_app(make_app, pg_url, controller, driver)
    with warmed(app) as client:
        assert client.post("/orm_then_fail").status_code == 500
        assert rows_of(pg_url, "SELECT count(*) FROM orm_authors") == [(0,)]
        # The session goes on in the transaction the statement began: it sees the row.
        assert client.post("/orm").json() == {"seen": 2}
        assert rows_of(pg_url, "SELECT email FROM orm_authors ORDER BY email") == [
            ("fast@example.com",),
            ("orm@example.com",),
        ]
        # A statement that goes through the session after a write: one transaction.
        assert client.post("/text_after").json() == {
            "changed": 1,
            "rows": [["fast@example.net"], ["orm@example.com.net"]],
        }
        assert checked_out(app, controller) == 0


@pytest.mark.parametrize(("controller", "driver"), RUNNERS, ids=IDS)
def test_a_commit_that_fails_is_a_409_and_writes_nothing(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    """The constraint is checked at COMMIT, after the action returned: the answer is
    the 409 of a conflict, not the action's 200, and the connection goes back."""
    app = writes_app(make_app, pg_url, controller, driver)
    with warmed(app) as client:
        failed = client.post("/twice", data={"second": "A-1"})
        assert failed.status_code == 409, failed.text
        assert rows_of(pg_url, "SELECT count(*) FROM orm_tickets") == [(0,)]
        # The same writes, no conflict: committed before the response went out.
        assert client.post("/twice", data={"second": "A-2"}).json() == {"written": 2}
        assert rows_of(pg_url, "SELECT code FROM orm_tickets ORDER BY code") == [
            ("A-1",),
            ("A-2",),
        ]
        assert checked_out(app, controller) == 0
        assert client.post("/orm").json() == {"seen": 2}


@pytest.mark.parametrize(("controller", "driver"), RUNNERS, ids=IDS)
def test_without_autocommit_only_a_commit_by_hand_writes(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    app = writes_app(make_app, pg_url, controller, driver, autocommit=False)
    with warmed(app) as client:
        for email, commit in (("kept@example.com", "yes"), ("lost@example.com", "no")):
            assert client.post("/by_hand", data={"email": email, "commit": commit}).is_success
        assert rows_of(pg_url, "SELECT email FROM orm_authors") == [("kept@example.com",)]
        assert checked_out(app, controller) == 0


@pytest.mark.parametrize(("controller", "driver"), RUNNERS, ids=IDS)
def test_a_bad_parameter_is_a_500_that_keeps_the_connection(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    """A value the driver refuses is the action's bug (a 500), not a lost database (a
    503): the connection is sound and serves the next request."""
    app = writes_app(make_app, pg_url, controller, driver)
    with warmed(app) as client:
        assert client.get("/bad_id").status_code == 500
        assert client.post("/orm").json() == {"seen": 2}
        assert checked_out(app, controller) == 0


@pytest.mark.parametrize("driver", ["psycopg", "asyncpg"])
def test_a_transaction_left_mid_statement_is_rolled_back_and_the_pool_recovers(
    make_app: Callable[..., App], pg_url: str, driver: str
) -> None:
    """An action that gives up on a statement leaves the connection in the middle of
    it, in the transaction its write began: the request fails, the write is not kept,
    and the one pooled connection serves the next request."""
    app = writes_app(make_app, pg_url, AsyncWrites, driver)
    app.router("/give_up", AsyncWrites, "post:give_up")
    with warmed(app) as client:
        assert client.post("/give_up").status_code == 500
        assert checked_out(app, AsyncWrites) == 0
        assert rows_of(pg_url, "SELECT count(*) FROM orm_tickets") == [(0,)]
        assert client.post("/orm").json() == {"seen": 2}


@pytest.mark.parametrize("driver", ["psycopg", "asyncpg"])
def test_a_transaction_no_one_ended_is_rolled_back_as_its_connection_goes_back(
    make_app: Callable[..., App],
    pg_url: str,
    driver: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A request cancelled between its write and its end gives the connection back with
    the transaction still open: the pool's reset rolls it back, with nothing logged."""
    app = writes_app(make_app, pg_url, AsyncWrites, driver)
    with warmed(app) as client:

        async def abandon() -> None:
            runner = app.database.request_scope().async_sql(None)  # type: ignore[arg-type]
            await runner.execute(NEW_TICKET, code="C-1")  # begins the transaction
            await runner.release()  # never ended

        client._loop().run(abandon())
        assert checked_out(app, AsyncWrites) == 0
        assert rows_of(pg_url, "SELECT count(*) FROM orm_tickets") == [(0,)]
        assert client.post("/orm").json() == {"seen": 2}
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(("controller", "driver"), RUNNERS, ids=IDS)
def test_a_begin_listener_runs_for_every_statement(
    make_app: Callable[..., App], pg_url: str, controller: type[Controller], driver: str
) -> None:
    """A listener on SQLAlchemy's BEGIN (a ``SET LOCAL`` for each transaction, as for
    row-level security) runs for the statements' reads and writes alike: with one on
    the engine, none runs outside the session's transaction."""
    app = writes_app(make_app, pg_url, controller, driver)
    app.router("/marked_write", controller, "post:marked_write")
    database = app.database
    engine = database.engine if controller is SyncWrites else database.async_engine.sync_engine
    with warmed(app) as client:
        no_listener = client.post("/marked_write", data={"code": "M-1"})
        assert no_listener.json() == {"before": "", "after": ""}

        def mark(connection: Any) -> None:
            connection.exec_driver_sql("SELECT set_config('mvcpy.mark', 'begun', true)")

        event.listen(engine, "begin", mark)
        try:
            listened = client.post("/marked_write", data={"code": "M-2"})
            assert listened.json() == {"before": "begun", "after": "begun"}
        finally:
            event.remove(engine, "begin", mark)
        assert rows_of(pg_url, "SELECT count(*) FROM orm_tickets") == [(2,)]
        assert checked_out(app, controller) == 0
