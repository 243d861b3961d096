"""The memory backend (tests): atomic enqueue, jobs' own units of work, time limits,
keys, and the ``jobs`` fixture."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from mvcpy import App
from mvcpy.jobs.engine import JobEngine, JobTimeout
from mvcpy.jobs.testing import EnqueuedJobs
from mvcpy.testing import TestClient
from tests.jobs import jobs_app
from tests.jobs.jobs_app import effects, make_app, orders


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    app = make_app(tmp_path)
    jobs_app.metadata.create_all(app.database.engine)
    yield app
    asyncio.run(app.database.dispose())


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _keys(app: App, table: object = effects) -> list[str]:
    with app.database.engine.connect() as connection:
        return list(connection.scalars(select(table.c.key).order_by(table.c.id)))  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/send", "/send-async"])
def test_a_job_is_queued_only_when_the_action_commits(
    app: App, client: TestClient, jobs: EnqueuedJobs, path: str
) -> None:
    assert client.post(f"{path}/ok").status_code == 200
    assert client.post(f"{path}/fail-1").status_code == 500
    assert [q.arguments["key"] for q in jobs.queued] == ["ok"]  # the failed one never queued
    assert _keys(app, orders) == ["ok"]  # ... like the row it wrote
    jobs.run()
    assert _keys(app) == ["ok"]
    assert len(jobs) == 0


def test_a_job_sent_from_a_job_joins_its_unit_of_work(app: App, jobs: EnqueuedJobs) -> None:
    app.start()
    jobs_app.parent.send("p1", fail=True)
    with pytest.raises(RuntimeError, match="the parent fails"):
        jobs.run()
    assert _keys(app) == []  # the parent's write was rolled back, its child never queued
    assert jobs.names() == []
    jobs_app.parent.send("p2")
    ran = jobs.run()
    assert [item.name for item in ran] == [
        "tests.jobs.jobs_app.parent",
        "tests.jobs.jobs_app.record",
    ]
    assert _keys(app) == ["p2", "p2-child"]


@pytest.mark.parametrize("fast", [jobs_app.record_fast, jobs_app.record_fast_async])
def test_a_jobs_statements_commit_with_it_or_roll_back(
    app: App, jobs: EnqueuedJobs, fast: jobs_app.Job
) -> None:
    app.start()
    fast.send("kept")
    fast.send("dropped", fail=True)
    with pytest.raises(RuntimeError, match="dropped fails after its write"):
        jobs.run()
    assert _keys(app) == ["kept"]


def test_models_and_datetimes_reach_the_job(app: App, jobs: EnqueuedJobs) -> None:
    app.start()
    when = dt.datetime(2026, 12, 5, 9, 30, tzinfo=dt.UTC)
    jobs_app.with_model.send(jobs_app.Point(x=3, y=4), when)
    jobs.run()
    assert _keys(app) == ["3,4@2026-12-05T09:30:00+00:00"]


@pytest.mark.parametrize("slow", [jobs_app.slow_sync, jobs_app.slow_async])
def test_a_job_past_its_time_limit_is_stopped_and_rolled_back(
    app: App, jobs: EnqueuedJobs, slow: jobs_app.Job
) -> None:
    app.start()
    engine: JobEngine = app.services["jobs"]
    stored = slow.arguments(("late",), {})

    async def perform() -> None:
        try:
            await engine.perform(slow, stored)
        finally:
            await app.database.dispose()  # the async job's connections belong to this loop

    with pytest.raises(JobTimeout, match=r"ran longer than 0\.5 s"):
        asyncio.run(perform())
    assert _keys(app) == []


def test_a_key_keeps_one_job_waiting(app: App, jobs: EnqueuedJobs) -> None:
    app.start()
    jobs_app.refresh.send("r")
    jobs_app.refresh.send("r")  # the same arguments: the same key
    jobs_app.refresh.send("s")
    jobs_app.record.using(key="order-1").send("o1")
    jobs_app.record.using(key="order-1").send("o1-again")
    assert [q.arguments["key"] for q in jobs.queued] == ["r", "s", "o1"]
    jobs.run()
    jobs_app.refresh.send("r")  # the first one ran: the key is free again
    assert [q.arguments["key"] for q in jobs.queued] == ["r"]


def test_delays_priorities_and_queues_are_recorded(app: App, jobs: EnqueuedJobs) -> None:
    app.start()
    before = dt.datetime.now(dt.UTC)
    jobs_app.record.send_in(60, "later")
    at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    jobs_app.record.using(queue="mail", priority=5).send_at(at, "then")
    later, then = jobs.queued
    assert later.run_at is not None and 59 <= (later.run_at - before).total_seconds() <= 61
    assert (then.run_at, then.queue, then.priority) == (at, "mail", 5)


def test_a_failing_job_stops_the_run_and_the_rest_stay_queued(app: App, jobs: EnqueuedJobs) -> None:
    app.start()
    jobs_app.doomed.send("d")
    jobs_app.record.send("after")
    with pytest.raises(ValueError, match="d cannot be done"):
        jobs.run()
    assert jobs.names() == ["tests.jobs.jobs_app.record"]
    jobs.clear()
    assert len(jobs) == 0


def test_the_jobs_fixture_is_the_plugins(jobs: EnqueuedJobs, app: App) -> None:
    # ``jobs`` above is mvcpy.pytest_plugin's fixture, over this module's ``app``
    assert jobs.engine is app.services["jobs"]
