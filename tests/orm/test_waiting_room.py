"""The async fast path's waiting room (mvcpy.orm.handoff): on PostgreSQL, with both
async drivers, requests queued for a pool of one connection get it handed on by the
request before, their writes stay all or nothing, the ORM's sessions are not starved,
a wait ends at ``pool_timeout`` with a 503, and no connection is lost on the way."""

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
    return app


class Checkouts:
    """Counts the checkouts of the async engine's pool (a handed connection is none)."""

    def __init__(self, app: App) -> None:
        self.count = 0
        event.listen(app.database.async_engine.sync_engine.pool, "checkout", self._seen)

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
    """The ORM's sessions wait in SQLAlchemy's pool; connections handed on among
    fast-path requests would leave them to time out (a 503 after ``pool_timeout``)."""
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


def _room_of(url: str, tmp_path: Path, **settings: Any) -> Database:
    options = {"url": url, "async_url": asyncpg_url(url), "pool_size": 1, "max_overflow": 0}
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
