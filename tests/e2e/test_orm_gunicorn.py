"""gunicorn, two workers, PostgreSQL: concurrent writes lose nothing, failures leave nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from orm.conftest import isolated_url
from sqlalchemy import create_engine, func, select

from ._servers import PROD_SECRET, PYTHON, ServerProcess
from .apps.orm_app import Counter, Hit, Model
from .test_gunicorn import wait_for_children

pytestmark = pytest.mark.e2e

WORKERS = 2
WRITES = 500
CONCURRENCY = 50
APP = "tests.e2e.apps.orm_app:app"


def gunicorn_argv(port: int) -> list[str]:
    return [
        PYTHON, "-m", "gunicorn",
        "-k", "uvicorn_worker.UvicornWorker",
        "-w", str(WORKERS),
        "-b", f"127.0.0.1:{port}",
        "--graceful-timeout", "10",
        APP,
    ]  # fmt: skip


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    for url in isolated_url("postgres", request, tmp_path):
        engine = create_engine(url)
        Model.metadata.create_all(engine, tables=[Counter.__table__, Hit.__table__])
        with engine.begin() as conn:
            conn.execute(Counter.__table__.insert().values(name="c", value=0))
        engine.dispose()
        yield url


async def _fire(base_url: str, paths: list[str]) -> list[int]:
    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:

        async def post(path: str) -> int:
            async with limit:
                return (await client.post(path)).status_code

        return await asyncio.gather(*(post(p) for p in paths))


def test_two_workers_lose_no_write(start_server: Callable[..., ServerProcess], pg_url: str) -> None:
    server = start_server(
        "gunicorn-orm",
        gunicorn_argv,
        {
            "MVCPY_ENV": "prod",
            "MVCPY_SECRET_KEY": PROD_SECRET,
            "MVCPY_DATABASE__URL": pg_url,
            # Requests queue for a connection: the shared server keeps room for others.
            "MVCPY_DATABASE__POOL_SIZE": "4",
            "MVCPY_DATABASE__MAX_OVERFLOW": "0",
        },
    )
    workers = wait_for_children(server.pid, WORKERS)
    assert len(workers) == WORKERS

    paths = ["/counters/c"] * WRITES + ["/hits"] * WRITES + ["/hits/async"] * (WRITES // 5)
    paths += ["/hits/fail"] * 20
    statuses = asyncio.run(_fire(server.base_url, paths))
    assert statuses.count(200) == len(paths) - 20
    assert statuses.count(500) == 20

    # Counted afterwards, through a connection of our own.
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(Counter.value).where(Counter.name == "c")) == WRITES
            tags = dict(conn.execute(select(Hit.tag, func.count()).group_by(Hit.tag)).all())
            pids = set(conn.scalars(select(Hit.pid).distinct()))
    finally:
        engine.dispose()
    assert tags == {"sync": WRITES, "async": WRITES // 5}
    assert pids <= workers  # every write came through a worker's own engine
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        assert http.get("/counters/c").json() == {"value": WRITES}
        assert http.get("/hits").json() == tags
