"""The postgres backend on a real PostgreSQL: jobs in the sending transaction, workers,
retries, dead letters, time limits, keys, delays, cron and dead workers."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from mvcpy import App
from mvcpy.jobs import JobContext, every, schema
from mvcpy.jobs.commands import _jobs
from mvcpy.jobs.engine import JobEngine
from mvcpy.testing import TestClient
from tests.jobs import jobs_app
from tests.jobs.jobs_app import attempts, effects, make_app, orders


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL schema with procrastinate's tables, dropped after the test; the URL
    that points at it."""
    name = f"jobs_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    url = f"{postgres_url}?options=-csearch_path%3D{name}"
    try:
        scoped = create_engine(url)
        with scoped.begin() as connection:
            assert schema.install(connection)
            assert not schema.install(connection)  # once
            jobs_app.metadata.create_all(connection)
        scoped.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_app(tmp_path: Path, pg_schema: str) -> Iterator[Callable[..., App]]:
    """Build started apps on the test's schema (``[jobs]`` options as keywords); their
    connections are closed when the test ends."""
    made: list[App] = []

    def build(async_driver: str = "", **jobs: Any) -> App:
        settings = {"backend": "postgres", "retry_backoff": 1, "heartbeat": 0.5, "stalled_after": 2}
        database = {"url": pg_schema}
        if async_driver:  # [database] async_url on another driver (asyncpg)
            database["async_url"] = pg_schema.replace("psycopg", async_driver, 1)
        app = make_app(tmp_path, database=database, jobs={**settings, **jobs})
        app.start()
        made.append(app)
        return app

    yield build
    for app in made:
        asyncio.run(app.database.dispose())


@pytest.fixture
def app(pg_app: Callable[..., App]) -> App:
    return pg_app()


def _engine(app: App) -> JobEngine:
    engine: JobEngine = app.services["jobs"]
    return engine


def burst(app: App) -> None:
    """Run a worker until no job is due (a job a job sends included)."""
    due = (
        "SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo' "
        "AND (scheduled_at IS NULL OR scheduled_at <= now())"
    )
    _burst(app)
    while _rows(app, due) != [(0,)]:
        _burst(app)


def _burst(app: App) -> None:

    async def work() -> None:
        try:
            await _engine(app).work(wait=False, install_signal_handlers=False)
        finally:
            await app.database.dispose()  # async jobs' connections belong to this loop

    asyncio.run(work())


def _rows(app: App, sql: str) -> list[Any]:
    with app.database.engine.connect() as connection:
        return list(connection.execute(text(sql)).all())


def _keys(app: App, table: Any = effects) -> list[str]:
    with app.database.engine.connect() as connection:
        return list(connection.scalars(select(table.c.key).order_by(table.c.key)))


def _jobs_command(app: App, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    from mvcpy.jobs.commands import configure_jobs

    configure_jobs(parser)
    return asyncio.run(_jobs(_engine(app), parser.parse_args(list(argv))))


@pytest.mark.parametrize("path", ["/send", "/send-async"])
def test_jobs_are_written_in_the_actions_transaction(app: App, path: str) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post(f"{path}/a").status_code == 200
        assert client.post(f"{path}/fail-b").status_code == 500
        assert client.post(f"{path}/c").status_code == 200
    assert _keys(app, orders) == ["a", "c"]
    queued = _rows(app, "SELECT args->>'key', status FROM procrastinate_jobs ORDER BY id")
    assert queued == [("a", "todo"), ("c", "todo")]  # the failed action left no job
    burst(app)
    assert _keys(app) == ["a", "c"]
    assert _rows(app, "SELECT DISTINCT status FROM procrastinate_jobs") == [("succeeded",)]


@pytest.mark.parametrize("path", ["/send-refresh", "/send-refresh-async"])
def test_a_waiting_key_skips_the_job_and_keeps_the_rest_of_the_transaction(
    app: App, path: str
) -> None:
    _a_waiting_key_skips_the_job(app, path)


def _a_waiting_key_skips_the_job(app: App, path: str) -> None:
    with TestClient(app) as client:
        assert client.post(f"{path}/r?n=1").status_code == 200
        assert client.post(f"{path}/r?n=2").status_code == 200
    assert _keys(app, orders) == ["r", "r"]
    queued = _rows(app, "SELECT task_name, args->>'key' FROM procrastinate_jobs ORDER BY 2")
    assert queued == [
        ("tests.jobs.jobs_app.refresh", "r"),
        ("tests.jobs.jobs_app.record", "r-1"),
        ("tests.jobs.jobs_app.record", "r-2"),  # sent beside the refused refresh: kept
    ]
    burst(app)
    assert _keys(app) == ["r", "r-1", "r-2"]


def test_jobs_sent_from_async_actions_on_asyncpg_are_written_in_their_transaction(
    pg_app: Callable[..., App],
) -> None:
    """With ``async_url`` on asyncpg (the documented fast path for async actions), a job
    sent from an async action is written through asyncpg in the action's transaction,
    for which procrastinate has no connector: kept with its rows, dropped with them, and
    a waiting key skips only its own job."""
    app = pg_app(async_driver="asyncpg")
    assert app.database.async_engine.dialect.driver == "asyncpg"
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/send-async/a").status_code == 200
        assert client.post("/send-async/fail-b").status_code == 500
    assert _keys(app, orders) == ["a"]
    queued = _rows(app, "SELECT args->>'key', status FROM procrastinate_jobs ORDER BY id")
    assert queued == [("a", "todo")]
    burst(app)
    assert _keys(app) == ["a"]
    with app.database.engine.begin() as connection:  # start again from empty tables
        tables = ", ".join(("procrastinate_jobs", orders.name, effects.name))
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    _a_waiting_key_skips_the_job(app, "/send-refresh-async")


def test_a_failing_job_is_retried_with_backoff(app: App) -> None:
    jobs_app.flaky.send("f", 2)  # fails twice, succeeds on the third attempt
    for _ in range(40):
        burst(app)
        if _keys(app):
            break
        asyncio.run(asyncio.sleep(0.25))
    rows = _rows(app, "SELECT status, attempts FROM procrastinate_jobs")
    assert rows == [("succeeded", 3)]  # procrastinate counts every attempt
    with app.database.engine.connect() as connection:
        assert connection.scalar(select(effects.c.value)) == 2  # the attempt that succeeded
    retries = _rows(
        app, "SELECT count(*) FROM procrastinate_events WHERE type = 'deferred_for_retry'"
    )
    assert retries == [(2,)]
    starts = [at for (at,) in _rows(
        app, "SELECT at FROM procrastinate_events WHERE type = 'started' ORDER BY at"
    )]  # fmt: skip
    # retry_backoff = 1: each retry waits 1 ** n = 1 s
    assert all((b - a).total_seconds() >= 0.9 for a, b in itertools.pairwise(starts))


def test_dead_letters_are_listed_and_retried(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    jobs_app.doomed.send("d")
    burst(app)
    ((job_id, status),) = _rows(app, "SELECT id, status FROM procrastinate_jobs")
    assert status == "failed"
    assert _jobs_command(app, "list", "--status", "failed") == 0
    out = capsys.readouterr().out
    assert f"{job_id:>8}  failed" in out and f"tests.jobs.jobs_app.doomed[{job_id}](key='d')" in out
    assert _jobs_command(app, "retry", str(job_id)) == 0
    assert _rows(app, "SELECT status FROM procrastinate_jobs") == [("todo",)]
    burst(app)  # it ran again, and failed again
    ((status, tries),) = _rows(app, "SELECT status, attempts FROM procrastinate_jobs")
    assert status == "failed" and tries > 1
    assert _rows(app, "SELECT count(*) FROM procrastinate_events WHERE type = 'started'") == [(2,)]
    assert _jobs_command(app, "retry", "999999") == 1


def test_a_delayed_job_waits_and_can_be_cancelled(
    app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    jobs_app.record.send_in(dt.timedelta(hours=1), "later")
    jobs_app.record.send_at(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1), "due")
    burst(app)
    assert _keys(app) == ["due"]
    assert _jobs_command(app, "list") == 0
    out = capsys.readouterr().out
    assert "scheduled" in out and "key='later'" in out and "key='due'" not in out
    (job_id,) = _rows(app, "SELECT id FROM procrastinate_jobs WHERE status = 'todo'")[0]
    assert _jobs_command(app, "cancel", str(job_id)) == 0
    assert _rows(app, f"SELECT status FROM procrastinate_jobs WHERE id = {job_id}") == [
        ("cancelled",)
    ]
    assert _jobs_command(app, "cancel", str(job_id)) == 1


@pytest.mark.parametrize("slow", [jobs_app.slow_sync, jobs_app.slow_async])
def test_a_job_past_its_time_limit_fails_and_writes_nothing(app: App, slow: Any) -> None:
    slow.send("late")
    burst(app)
    assert _rows(app, "SELECT status FROM procrastinate_jobs") == [("failed",)]
    assert _keys(app) == []


def test_a_job_sent_by_a_job_is_queued_only_if_the_job_commits(
    pg_app: Callable[..., App],
) -> None:
    app = pg_app(retries=0)  # [jobs] retries: the failure is final
    jobs_app.parent.send("bad", fail=True)
    jobs_app.parent.send("good")
    burst(app)
    assert _keys(app) == ["good", "good-child"]
    statuses = _rows(app, "SELECT task_name, status FROM procrastinate_jobs ORDER BY id")
    assert statuses == [
        ("tests.jobs.jobs_app.parent", "failed"),
        ("tests.jobs.jobs_app.parent", "succeeded"),
        ("tests.jobs.jobs_app.record", "succeeded"),
    ]


def test_the_jobs_of_a_dead_worker_go_back_to_the_queue(app: App) -> None:
    jobs_app.record.send("orphan")
    with app.database.engine.begin() as connection:
        worker = connection.scalar(
            text(
                "INSERT INTO procrastinate_workers (last_heartbeat) "
                "VALUES (now() - interval '1 hour') RETURNING id"
            )
        )
        connection.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w"), {"w": worker}
        )
    burst(app)  # a new worker finds the job of the one that stopped beating
    assert _keys(app) == ["orphan"]
    assert _rows(app, "SELECT status, attempts FROM procrastinate_jobs") == [("succeeded", 2)]


def test_each_cron_tick_runs_once_across_workers(pg_app: Callable[..., App]) -> None:
    @every(seconds=1)
    def tick(ctx: JobContext) -> None:
        assert ctx.scheduled_at is not None
        ctx.db.execute(attempts.insert().values(key=ctx.scheduled_at.isoformat()))

    first, second = pg_app(modules=[__name__]), pg_app(modules=[__name__])

    async def two_workers() -> None:
        workers = [
            asyncio.create_task(_engine(app).work(install_signal_handlers=False))
            for app in (first, second)
        ]
        await asyncio.sleep(3.5)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    asyncio.run(two_workers())
    ticks = [key for (key,) in _rows(first, "SELECT key FROM job_attempts ORDER BY key")]
    assert len(ticks) >= 3
    assert len(set(ticks)) == len(ticks)  # no tick twice
    seconds = [dt.datetime.fromisoformat(t) for t in ticks]
    assert all(b - a == dt.timedelta(seconds=1) for a, b in itertools.pairwise(seconds))


def test_mvcpy_check_wants_the_queue_in_the_database(
    tmp_path: Path, postgres_url: str, pg_schema: str
) -> None:
    from mvcpy.readiness import run_checks

    ready = make_app(tmp_path, database={"url": pg_schema}, jobs={"backend": "postgres"})
    (result,) = [r for r in run_checks(ready) if r.name == "jobs"]
    assert result.ok and "the queue in PostgreSQL" in result.message
    empty = f"jobs_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{empty}"'))
    try:
        url = f"{postgres_url}?options=-csearch_path%3D{empty}"
        bare = make_app(tmp_path, database={"url": url}, jobs={"backend": "postgres"})
        (result,) = [r for r in run_checks(bare) if r.name == "jobs"]
        assert result.ok is False and result.fatal
        assert "mvcpy generate jobs" in result.message
        asyncio.run(bare.database.dispose())
    finally:
        asyncio.run(ready.database.dispose())
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{empty}" CASCADE'))
        admin.dispose()
