"""An app rate-limited through Redis, for the two-worker gunicorn test.

``E2E_REDIS_URL`` points at the Redis server, ``E2E_RATE_NAME`` names the budget (a
fresh one per test run) and ``E2E_RATE`` sets it. Every answer, 429s included,
carries the pid of the worker that gave it.
"""

from __future__ import annotations

import os
from typing import Any

from mvcpy import App
from mvcpy.filters.ratelimit import RateLimit
from mvcpy.filters.ratelimit_redis import RedisBackend

app = App(__name__, config={"app_name": "e2e-ratelimit"})


async def worker_pid(ctx: Any, call_next: Any) -> Any:
    response = await call_next(ctx)
    response.set_header("x-worker-pid", str(os.getpid()))
    return response


app.use(worker_pid)
limit = RateLimit(
    os.environ.get("E2E_RATE", "5/hour"),
    backend=RedisBackend(os.environ["E2E_REDIS_URL"]),
    name=os.environ["E2E_RATE_NAME"],
)
app.get("/", lambda ctx: {"pid": os.getpid()}, filters=[limit])
app.get("/ready", lambda ctx: {"ready": True})  # not limited: the readiness probe
