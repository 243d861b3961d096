"""The async engine's pool hands connections out in order of arrival (mvcpy.orm.pool):
no request that asks as a connection comes back takes it from those already waiting,
so none waits out ``pool_timeout`` while the others are served."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.util.queue import Empty

from mvcpy.orm import Database
from mvcpy.orm.pool import FairAsyncPool, FairQueue
from mvcpy.orm.settings import DatabaseSettings

from .conftest import isolated_url
from .test_statements import asyncpg_url


def _get(queue: FairQueue[str], timeout: float | None = 5) -> Any:
    return greenlet_spawn(queue.get, True, timeout)  # as SQLAlchemy's pool calls it


def test_waiters_are_served_in_order_of_arrival_and_newcomers_wait_behind_them() -> None:
    async def scenario() -> None:
        queue: FairQueue[str] = FairQueue(2)
        first = asyncio.ensure_future(_get(queue))
        second = asyncio.ensure_future(_get(queue))
        await asyncio.sleep(0.01)
        assert queue.waiting
        queue.put_nowait("a")
        # a request asking now finds nothing idle: "a" is the first waiter's already
        with pytest.raises(Empty):
            queue.get_nowait()
        queue.put_nowait("b")
        assert await first == "a"
        assert await second == "b"
        assert not queue.waiting
        queue.put_nowait("c")  # no one waits: kept for the next request
        assert queue.qsize() == 1
        assert await _get(queue) == "c"

    asyncio.run(scenario())


def test_a_wait_ends_at_its_timeout_and_leaves_the_line() -> None:
    async def scenario() -> None:
        queue: FairQueue[str] = FairQueue(1)
        with pytest.raises(Empty):
            await _get(queue, timeout=0.05)
        assert not queue.waiting
        queue.put_nowait("a")  # kept, not given to the request that left
        assert queue.qsize() == 1

    asyncio.run(scenario())


def test_a_connection_given_to_a_cancelled_request_goes_to_the_next() -> None:
    async def scenario() -> None:
        queue: FairQueue[str] = FairQueue(1)
        first = asyncio.ensure_future(_get(queue))
        second = asyncio.ensure_future(_get(queue))
        await asyncio.sleep(0.01)
        queue.put_nowait("a")
        first.cancel()  # as "a" reaches it
        with pytest.raises(asyncio.CancelledError):
            await first
        assert await second == "a"

    asyncio.run(scenario())


@pytest.fixture
def postgres_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from isolated_url("postgres", request, tmp_path)


def test_a_request_asking_as_a_connection_comes_back_waits_behind_those_waiting(
    postgres_db: str, tmp_path: Path
) -> None:
    """SQLAlchemy's own asyncio pool gave the connection to the request that asked the
    moment it came back; the one already waiting waited again, here until its timeout."""
    settings = DatabaseSettings(
        url=postgres_db,
        async_url=asyncpg_url(postgres_db),
        pool_size=1,
        max_overflow=0,
        pool_timeout=1,
    )
    database = Database(settings, root_path=tmp_path)

    async def scenario() -> None:
        engine = database.async_engine
        assert isinstance(engine.sync_engine.pool, FairAsyncPool)
        held = await engine.raw_connection()
        waiting = asyncio.ensure_future(engine.raw_connection())
        await asyncio.sleep(0.05)

        def give_back_and_ask_again() -> Any:
            held.close()
            return engine.sync_engine.raw_connection()

        again = asyncio.ensure_future(greenlet_spawn(give_back_and_ask_again))
        served = await asyncio.wait_for(waiting, 5)  # the one that waited first
        await asyncio.sleep(0.05)
        assert not again.done()
        await greenlet_spawn(served.close)
        await greenlet_spawn((await asyncio.wait_for(again, 5)).close)
        await database.dispose()

    asyncio.run(scenario())
