"""An app on the Redis cache, for the gunicorn tests: sets, reads, tags, and a slow value.

``E2E_REDIS_URL`` and ``E2E_CACHE_PREFIX`` configure the cache. Every answer carries the
pid of the worker that gave it. ``/slow`` computes its value once per key across every
worker (the cache's ``aget_or_set``); each computation is counted in Redis, so a test can
read how many ran in all the workers together.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from mvcpy import App

app = App(
    __name__,
    config={
        "app_name": "e2e-cache",
        "cache": {
            "backend": "redis",
            "url": os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "prefix": os.environ.get("E2E_CACHE_PREFIX", "mvcpy-e2e:cache:"),
        },
    },
)


async def worker_pid(ctx: Any, call_next: Any) -> Any:
    response = await call_next(ctx)
    response.set_header("x-worker-pid", str(os.getpid()))
    return response


app.use(worker_pid)
app.get("/ready", lambda ctx: "ok")


async def put(ctx: Any) -> dict[str, Any]:
    query = ctx.request.query
    tags = [query["tag"]] if "tag" in query else []
    await ctx.app.cache.aset(query["key"], query["value"], tags=tags)
    return {"stored": True}


async def read(ctx: Any) -> dict[str, Any]:
    return {"value": await ctx.app.cache.aget(ctx.request.query["key"])}


async def invalidate(ctx: Any) -> dict[str, Any]:
    await ctx.app.cache.ainvalidate_tags(ctx.request.query["tag"])
    return {"invalidated": True}


async def slow(ctx: Any) -> dict[str, Any]:
    key = ctx.request.query["key"]
    cache = ctx.app.cache

    async def compute() -> str:
        await cache.aincr(f"computations:{key}")
        await asyncio.sleep(0.5)
        return f"computed by {os.getpid()}"

    return {"value": await cache.aget_or_set(key, compute, 60)}


async def count(ctx: Any) -> dict[str, Any]:
    key = ctx.request.query["key"]
    return {"computations": await ctx.app.cache.aget(f"computations:{key}", 0)}


app.post("/put", put)
app.get("/read", read)
app.post("/invalidate", invalidate)
app.get("/slow", slow)
app.get("/count", count)
