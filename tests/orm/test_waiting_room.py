"""The waiting room of the async engine's pool (mvcpy.orm.handoff): on PostgreSQL, with
both async drivers, requests queued for a pool of one connection, through the fast path
or the ORM's async sessions, get it handed on by the request before, their writes stay
all or nothing, a wait ends at ``pool_timeout`` with a 503, and no connection is lost
on the way."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.util import greenlet_spawn

from mvcpy import App, Controller
from mvcpy.orm import Database
from mvcpy.orm.settings import DatabaseSettings
from mvcpy.testing import TestClient

from .conftest import create_tables, isolated_url
from .models import Author
from .test_statements import AUTHORS, NEW_AUTHOR, asyncpg_url, rows_of


class Queued(Controller):
    async def read(self) -> Any:
        rows = await self.asql.all(AUTHORS)
        await asyncio.sleep(0.005)  # holds the connection: the others queue for it
        return {"authors": len(rows)}

    async def read_write(self) -> Any:
        await self.asql.all(AUTHORS)
        await asyncio.sleep(0.002)
        await self.asql.scalar(NEW_AUTHOR, email=self.get_string("email"), name="")
        if self.get_string("fail") == "yes":
            raise RuntimeError("boom after the insert")
        return {}

    async def orm(self) -> Any:
        return {"authors": await self.adb.scalar(select(func.count()).select_from(Author))}

    async def orm_read(self) -> Any:
        count = await self.adb.scalar(select(func.count()).select_from(Author))
        await asyncio.sleep(0.005)
        return {"authors": count}

    async def orm_write(self) -> Any:
        await self.adb.scalar(select(func.count()).select_from(Author))  # outside
        await asyncio.sleep(0.002)
        self.adb.add(Author(email=self.get_string("email")))
        await self.adb.flush()
        if self.get_string("fail") == "yes":
            raise RuntimeError("boom after the flush")
        return {}

    async def orm_commit(self) -> Any:
        pid = select(func.pg_backend_pid())
        before = await self.adb.scalar(pid)
        await asyncio.sleep(0.002)
        await self.adb.commit()  # the session's next transaction runs on it too
        return {"same": before == await self.adb.scalar(pid)}

    async def hold(self) -> Any:
        await self.asql.all(AUTHORS)
        await asyncio.sleep(float(self.get_string("seconds")))
        return {}


@pytest.fixture
def postgres_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from isolated_url("postgres", request, tmp_path)


@pytest.fixture(params=["psycopg", "asyncpg"])
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def build(make_app: Callable[..., App], url: str, driver: str, **db: Any) -> App:
    create_tables(url)
    if driver == "asyncpg":
        db["async_url"] = asyncpg_url(url)
    app = make_app(database={"url": url, "pool_size": 1, "max_overflow": 0, **db})
    app.router("/read", Queued, "get:read")
    app.router("/write", Queued, "post:read_write")
    app.router("/orm", Queued, "get:orm")
    app.router("/hold", Queued, "get:hold")
    app.router("/orm_read", Queued, "get:orm_read")
    app.router("/orm_write", Queued, "post:orm_write")
    app.router("/orm_commit", Queued, "get:orm_commit")
    return app


class Checkouts:
    """Counts the checkouts of the async engine's pool (a handed connection is none)."""

    def __init__(self, app_or_pool: App | Any) -> None:
        self.count = 0
        pool = app_or_pool
        if isinstance(pool, App):
            pool = pool.database.async_engine.sync_engine.pool
        event.listen(pool, "checkout", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


def settled(app: App) -> None:
    """Every connection is back in the pool and nobody waits in the room."""
    pool: Any = app.database.async_engine.sync_engine.pool
    room = app.database.waiting_room
    assert room is not None
    deadline = time.monotonic() + 5
    while pool.checkedout() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.checkedout() == 0
    assert room.waiting == 0


def test_queued_requests_get_the_connection_handed_on(
    make_app: Callable[..., App], postgres_db: str, driver: str
) -> None:
    app = build(make_app, postgres_db, driver, pool_timeout=5)
    with TestClient(app) as client, ThreadPoolExecutor(max_workers=12) as threads:
        client.get("/read")  # the engine exists before the counting starts
        checkouts = Checkouts(app)
        answers = list(threads.map(lambda _: client.get("/read"), range(36)))
        assert [a.status_code for a in answers] == [200] * 36
        assert [a.json() for a in answers] == [{"authors": 0}] * 36
        # queued requests took the connection from the one before, not from the pool
        assert checkouts.count < 36
        settled(app)


def test_writes_on_a_handed_connection_are_all_or_nothing(
    make_app: Callable[..., App], postgres_db: str, driver: str
) -> None:
    app = build(make_app, postgres_db, driver, pool_timeout=5)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/read")
        checkouts = Checkouts(app)

        def write(i: int) -> int:
            fail = "yes" if i % 2 else "no"
            params = {"email": f"w{i:02}@example.com", "fail": fail}
            return client.post("/write", params=params).status_code

        with ThreadPoolExecutor(max_workers=12) as threads:
            statuses = list(threads.map(write, range(24)))
        assert statuses == [200, 500] * 12
        assert checkouts.count < 24
        stored = [row[0] for row in rows_of(postgres_db, "SELECT email FROM orm_authors")]
        assert sorted(stored) == [f"w{i:02}@example.com" for i in range(0, 24, 2)]
        settled(app)


def test_sessions_are_served_while_fast_path_requests_keep_queuing(
    make_app: Callable[..., App], postgres_db: str, driver: str
) -> None:
    """The ORM's sessions wait in line with the fast path's requests; connections
    handed on among those alone would leave them to time out (a 503 after
    ``pool_timeout``)."""
    app = build(make_app, postgres_db, driver, pool_timeout=1)
    done = threading.Event()

    def keep_reading() -> list[int]:
        statuses = []
        deadline = time.monotonic() + 6
        while not done.is_set() and time.monotonic() < deadline:
            statuses.append(client.get("/read").status_code)
        return statuses

    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/read")
        with ThreadPoolExecutor(max_workers=12) as threads:
            readers = [threads.submit(keep_reading) for _ in range(8)]
            time.sleep(0.3)  # the readers queue for the connection
            started = time.monotonic()
            sessions = [threads.submit(client.get, "/orm") for _ in range(3)]
            answers = [s.result(timeout=30) for s in sessions]
            waited = time.monotonic() - started
            done.set()
            statuses = [status for reader in readers for status in reader.result(timeout=30)]
        assert [a.status_code for a in answers] == [200] * 3, answers[0].text
        assert waited < 6  # the readers still queued while the sessions were served
        assert statuses and set(statuses) == {200}
        settled(app)


def test_queued_sessions_get_the_connection_handed_on(
    make_app: Callable[..., App], postgres_db: str, driver: str
) -> None:
    app = build(make_app, postgres_db, driver, pool_timeout=5)
    with TestClient(app) as client, ThreadPoolExecutor(max_workers=12) as threads:
        client.get("/orm_read")
        checkouts = Checkouts(app)
        paths = ["/orm_read", "/read"] * 18  # the ORM and the fast path, interleaved
        answers = list(threads.map(client.get, paths))
        assert [a.status_code for a in answers] == [200] * 36
        assert [a.json() for a in answers] == [{"authors": 0}] * 36
        assert checkouts.count < 36
        settled(app)


def test_a_session_keeps_its_connection_after_a_commit_in_the_action(
    make_app: Callable[..., App], postgres_db: str, driver: str
) -> None:
    app = build(make_app, postgres_db, driver, pool_size=2, pool_timeout=5)
    with TestClient(app) as client, ThreadPoolExecutor(max_workers=12) as threads:
        client.get("/orm_read")
        answers = list(threads.map(client.get, ["/orm_commit", "/read"] * 12))
        assert [a.status_code for a in answers] == [200] * 24
        assert [a.json() for a in answers[::2]] == [{"same": True}] * 12
        settled(app)


@pytest.mark.parametrize("writer", ["/write", "/orm_write"])
def test_writes_after_a_session_handed_the_connection_on_are_all_or_nothing(
    make_app: Callable[..., App], postgres_db: str, driver: str, writer: str
) -> None:
    """A session that read outside a transaction hands the connection on as the fast
    path does: the next request's writes begin a transaction (asyncpg's adapter is
    out of autocommit), whether they run on the fast path or in a session."""
    app = build(make_app, postgres_db, driver, pool_timeout=5)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/orm_read")
        checkouts = Checkouts(app)

        def request(i: int) -> int:
            if i % 3 == 0:
                return client.get("/orm_read").status_code
            fail = "yes" if i % 3 == 2 else "no"
            params = {"email": f"w{i:02}@example.com", "fail": fail}
            return client.post(writer, params=params).status_code

        with ThreadPoolExecutor(max_workers=12) as threads:
            statuses = list(threads.map(request, range(36)))
        assert statuses == [200, 200, 500] * 12
        assert checkouts.count < 36
        stored = [row[0] for row in rows_of(postgres_db, "SELECT email FROM orm_authors")]
        assert sorted(stored) == [f"w{i:02}@example.com" for i in range(1, 36, 3)]
        settled(app)


def test_a_session_checks_out_of_the_room_and_hands_its_connection_on(
    postgres_db: str, tmp_path: Path, driver: str
) -> None:
    create_tables(postgres_db)
    database = _room_of(postgres_db, tmp_path, driver=driver)

    async def scenario() -> None:
        room = database.waiting_room
        assert room is not None
        lease = await room.acquire()  # the pool's one connection
        scope = database.request_scope()
        session = scope.async_session(None)  # type: ignore[arg-type]
        reading = asyncio.ensure_future(session.scalar(select(func.count(Author.id))))
        await asyncio.sleep(0.05)
        assert room.waiting == 1  # the session's first statement waits in the room
        assert room.hand_on(lease)
        assert await asyncio.wait_for(reading, 2) == 0
        own = session.sync_session.info["mvcpy.connection"]
        assert own.connection.dbapi_connection is lease.dbapi_connection
        waiting = asyncio.ensure_future(room.acquire())
        await asyncio.sleep(0.05)
        pool: Any = database.async_engine.sync_engine.pool
        checkouts = Checkouts(pool)
        await scope.end_async(True)
        handed = await asyncio.wait_for(waiting, 2)
        assert handed.dbapi_connection is lease.dbapi_connection
        assert checkouts.count == 0  # handed on, not through the pool
        assert pool.checkedout() == 1  # and not given back to it as well
        assert own.closed  # the session's connection is no way to the next request's
        assert "mvcpy.outside" not in handed.info
        if driver == "asyncpg":  # its transactions begin through the adapter
            assert handed.dbapi_connection.autocommit is False  # type: ignore[union-attr]
        await greenlet_spawn(handed.close)
        await database.dispose()

    asyncio.run(scenario())


def test_a_wait_in_the_room_ends_at_pool_timeout_with_a_503(
    make_app: Callable[..., App], postgres_db: str, driver: str
) -> None:
    app = build(make_app, postgres_db, driver, pool_timeout=0.5)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/read")
        with ThreadPoolExecutor(max_workers=2) as threads:
            holder = threads.submit(client.get, "/hold", params={"seconds": "2.5"})
            time.sleep(0.3)
            started = time.monotonic()
            waiting = client.get("/read")
            waited = time.monotonic() - started
            assert waiting.status_code == 503
            assert waiting.headers["retry-after"]
            assert 0.4 < waited < 2.0  # the timeout, not the holder's end
            assert holder.result(timeout=30).status_code == 200
        assert client.get("/read").status_code == 200
        settled(app)


def _room_of(url: str, tmp_path: Path, driver: str = "asyncpg", **settings: Any) -> Database:
    async_url = asyncpg_url(url) if driver == "asyncpg" else url
    options = {"url": url, "async_url": async_url, "pool_size": 1, "max_overflow": 0}
    return Database(DatabaseSettings(**options, **settings), root_path=tmp_path)


def test_a_connection_handed_to_a_cancelled_request_is_passed_on(
    postgres_db: str, tmp_path: Path
) -> None:
    database = _room_of(postgres_db, tmp_path)

    async def scenario() -> None:
        room = database.waiting_room
        assert room is not None
        pool: Any = database.async_engine.sync_engine.pool
        lease = await room.acquire()
        waiting = asyncio.ensure_future(room.acquire())
        await asyncio.sleep(0.05)
        assert room.waiting == 1
        assert room.hand_on(lease)
        waiting.cancel()  # as the connection reaches it
        with pytest.raises(asyncio.CancelledError):
            await waiting
        for _ in range(100):
            if not pool.checkedout():
                break
            await asyncio.sleep(0.01)
        assert pool.checkedout() == 0  # back in the pool, not lost
        again = await asyncio.wait_for(room.acquire(), 2)
        await greenlet_spawn(again.close)
        await database.dispose()

    asyncio.run(scenario())


@pytest.mark.parametrize("why", ["recycle", "soft invalidation"])
def test_a_connection_due_for_replacing_goes_back_to_the_pool(
    postgres_db: str, tmp_path: Path, why: str
) -> None:
    database = _room_of(postgres_db, tmp_path, pool_recycle=60)

    async def scenario() -> None:
        room = database.waiting_room
        assert room is not None
        lease = await room.acquire()
        old = lease.dbapi_connection
        waiting = asyncio.ensure_future(room.acquire())
        await asyncio.sleep(0.05)
        if why == "recycle":
            record: Any = lease._connection_record  # type: ignore[attr-defined]
            record.starttime -= 120  # opened two minutes ago: due
        else:
            await asyncio.sleep(0.02)  # SQLAlchemy compares times: let one pass
            lease.invalidate(soft=True)  # replaced at its next checkout
        assert not room.hand_on(lease)
        await greenlet_spawn(lease.close)  # the pool replaces it, and wakes the waiter
        fresh = await asyncio.wait_for(waiting, 2)
        assert fresh.dbapi_connection is not old  # a new connection, not the one due
        await greenlet_spawn(fresh.close)
        await database.dispose()

    asyncio.run(scenario())
