"""The jobs benchmark's app: an action that writes a row, and the same action sending a
job too; two no-op jobs (sync and async) for the worker's throughput."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, insert

from mvcpy import App
from mvcpy.jobs import job

metadata = MetaData()
orders = Table("bench_orders", metadata, Column("id", Integer, primary_key=True),
               Column("n", Integer, nullable=False))  # fmt: skip


@job(retries=0)
def noop_sync(n: int) -> None:
    """Nothing: the worker's own cost per job."""


@job(retries=0)
async def noop_async(n: int) -> None:
    """Nothing, on the event loop."""


def order(ctx: Any) -> dict[str, int]:
    """Write one row."""
    ctx.db.execute(insert(orders).values(n=1))
    return {"ok": 1}


def order_two_rows(ctx: Any) -> dict[str, int]:
    """Write two rows: one more statement in the transaction, for comparison."""
    ctx.db.execute(insert(orders).values(n=1))
    ctx.db.execute(insert(orders).values(n=2))
    return {"ok": 2}


def order_with_job(ctx: Any) -> dict[str, int]:
    """Write one row and send a job in the same transaction."""
    ctx.db.execute(insert(orders).values(n=1))
    noop_sync.send(1)
    return {"ok": 1}


def make_app(root: Path, url: str) -> App:
    """The app on the PostgreSQL database at ``url``."""
    config = {"database": {"url": url, "pool_size": 4}, "jobs": {"backend": "postgres",
              "modules": [__name__]}}  # fmt: skip
    app = App(root_path=root, env="test", config=config)
    app.get("/order", order)
    app.get("/order-two-rows", order_two_rows)
    app.get("/order-with-job", order_with_job)
    return app
