"""Jobs and an app that sends them, shared by the jobs tests (in memory, in process and
on PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, func, insert, select

from mvcpy import App
from mvcpy.jobs import JobContext, job
from mvcpy.orm import Statement

metadata = MetaData()
#: one row per side effect; ``key`` is the job's idempotency key
effects = Table(
    "job_effects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("value", Integer, nullable=False, default=0),
)
#: one row per attempt to run a job (what at-least-once looks like)
attempts = Table(
    "job_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False),
)
#: rows an action writes before it sends
orders = Table(
    "job_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(200), nullable=False),
)


class Point(BaseModel):
    """A pydantic model sent as a job argument."""

    x: int
    y: int


def _effect(ctx: JobContext, key: str, value: int = 0) -> None:
    ctx.db.execute(insert(effects).values(key=key, value=value))


@job
def record(ctx: JobContext, key: str, value: int = 0) -> None:
    """Record one side effect."""
    _effect(ctx, key, value)


@job
async def record_async(ctx: JobContext, key: str, value: int = 0) -> None:
    """Record one side effect from an async job."""
    await ctx.adb.execute(insert(effects).values(key=key, value=value))


#: a statement compiled once (mvcpy.orm.Statement), for the jobs' fast path
RECORD = Statement(insert(effects).values(key=bindparam("key"), value=bindparam("value")))


@job(retries=0)
def record_fast(ctx: JobContext, key: str, fail: bool = False) -> None:
    """Record through ``ctx.sql``; fail after the write when asked (it is rolled back)."""
    ctx.sql.execute(RECORD, key=key, value=1)
    if fail:
        raise RuntimeError(f"{key} fails after its write")


@job(retries=0)
async def record_fast_async(ctx: JobContext, key: str, fail: bool = False) -> None:
    """Record through ``ctx.asql``; fail after the write when asked."""
    await ctx.asql.execute(RECORD, key=key, value=1)
    if fail:
        raise RuntimeError(f"{key} fails after its write")


@job(retries=2)
def flaky(ctx: JobContext, key: str, failures: int) -> None:
    """Fail ``failures`` times, then record."""
    if ctx.attempts < failures:
        raise RuntimeError(f"attempt {ctx.attempts} fails")
    _effect(ctx, key, ctx.attempts)


@job(retries=0)
def doomed(key: str) -> None:
    """Always fail, with no retry: a dead letter at once."""
    raise ValueError(f"{key} cannot be done")


@job(timeout=0.5, retries=0)
def slow_sync(ctx: JobContext, key: str) -> None:
    """Write, then loop past the time limit (the write is rolled back)."""
    _effect(ctx, key)
    while True:
        time.sleep(0.01)


@job(timeout=0.5, retries=0)
async def slow_async(ctx: JobContext, key: str) -> None:
    """Write, then wait past the time limit (the write is rolled back)."""
    await ctx.adb.execute(insert(effects).values(key=key, value=0))
    await asyncio.sleep(30)


@job
def parent(ctx: JobContext, key: str, fail: bool = False) -> None:
    """Send a child job, record, and fail when asked: the child is queued only on success."""
    record.send(f"{key}-child")
    _effect(ctx, key)
    if fail:
        raise RuntimeError("the parent fails")


@job
def with_model(ctx: JobContext, point: Point, when: dt.datetime) -> None:
    """Receive a model and a datetime back from JSON."""
    assert isinstance(point, Point) and isinstance(when, dt.datetime)
    _effect(ctx, f"{point.x},{point.y}@{when.isoformat()}")


@job(unique=True)
def refresh(ctx: JobContext, key: str) -> None:
    """Idempotent by its arguments: one waits at a time."""
    _effect(ctx, key)


@job
def idempotent(ctx: JobContext, key: str) -> None:
    """Count the attempt, then record the effect once whatever the attempts."""
    with ctx.db.bind.connect() as own:  # the attempt is counted even if the job dies
        own.execute(insert(attempts).values(key=key))
        own.commit()
    if ctx.db.scalar(select(func.count()).where(effects.c.key == key)) == 0:
        _effect(ctx, key)


def make_app(root: Path, env: str = "test", **config: Any) -> App:
    """An app whose actions send jobs: sync and async, committing or failing."""
    # the jobs of tests/jobs/ are this app's, though its project folder is elsewhere
    jobs = config.pop("jobs", {})
    jobs = {**jobs, "modules": ["tests.jobs", *jobs.get("modules", [])]}
    app = App(root_path=root, env=env, config={**config, "jobs": jobs})

    def send(ctx: Any, key: str) -> dict[str, str]:
        ctx.db.execute(insert(orders).values(key=key))
        record.send(key)
        if key.startswith("fail"):
            raise RuntimeError("the action fails after sending")
        return {"sent": key}

    async def send_async(ctx: Any, key: str) -> dict[str, str]:
        await ctx.adb.execute(insert(orders).values(key=key))
        record_async.send(key)
        if key.startswith("fail"):
            raise RuntimeError("the action fails after sending")
        return {"sent": key}

    def send_many(ctx: Any, prefix: str, count: int) -> dict[str, int]:
        for n in range(count):
            idempotent.send(f"{prefix}-{n}")
        return {"sent": count}

    def send_refresh(ctx: Any, key: str) -> dict[str, str]:
        ctx.db.execute(insert(orders).values(key=key))
        refresh.send(key)  # unique: a second request while it waits sends nothing more
        record.send(f"{key}-{ctx.request.query.get('n', '')}")
        return {"sent": key}

    async def send_refresh_async(ctx: Any, key: str) -> dict[str, str]:
        await ctx.adb.execute(insert(orders).values(key=key))
        refresh.send(key)
        record.send(f"{key}-{ctx.request.query.get('n', '')}")
        return {"sent": key}

    app.post("/send/{key}", send, name="send")
    app.post("/send-refresh-async/{key}", send_refresh_async, name="send_refresh_async")
    app.post("/send-refresh/{key}", send_refresh, name="send_refresh")
    app.post("/send-async/{key}", send_async, name="send_async")
    app.post("/send-many/{prefix}/{count:int}", send_many, name="send_many")
    return app
