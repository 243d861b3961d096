"""An app with sessions on the backend named by ``E2E_SESSION_BACKEND``, for gunicorn tests.

``E2E_REDIS_URL`` and ``E2E_SESSION_PREFIX`` configure the Redis store,
``E2E_DATABASE_URL`` the database store (the test creates its table). Every answer
carries the pid of the worker that gave it.
"""

from __future__ import annotations

import os
from typing import Any

from mvcpy import App

app = App(
    __name__,
    config={
        "app_name": "e2e-sessions",
        "session": {
            "enabled": True,
            "backend": os.environ.get("E2E_SESSION_BACKEND", "cookie"),
            "redis_url": os.environ.get("E2E_REDIS_URL", ""),
            "redis_prefix": os.environ.get("E2E_SESSION_PREFIX", "mvcpy:session:"),
        },
        "database": {"url": os.environ.get("E2E_DATABASE_URL", "")},
    },
)


async def worker_pid(ctx: Any, call_next: Any) -> Any:
    response = await call_next(ctx)
    response.set_header("x-worker-pid", str(os.getpid()))
    return response


app.use(worker_pid)


def write(ctx: Any) -> dict[str, Any]:
    ctx.session["value"] = ctx.request.query.get("value", "")
    return {"pid": os.getpid()}


def read(ctx: Any) -> dict[str, Any]:
    return {"pid": os.getpid(), "value": ctx.session.get("value")}


app.get("/write", write)
app.get("/read", read)
app.get("/ready", lambda ctx: {"ready": True})
