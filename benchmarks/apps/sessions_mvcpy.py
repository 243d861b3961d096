"""mvcpy with the session backend named by ``BENCH_SESSION_BACKEND`` (sync and async)."""

from __future__ import annotations

from typing import Any

from benchmarks.apps.sessions_spec import PATH, SECRET, env
from mvcpy import App

CONFIG = {
    "secret_key": SECRET,
    "session": {
        "enabled": True,
        "backend": env("SESSION_BACKEND", "cookie"),
        "redis_url": env("REDIS_URL"),
        "redis_prefix": env("REDIS_PREFIX", "mvcpy-bench:"),
    },
    "database": {"url": env("DB_URL"), "pool_size": 10},
}
app = App(__name__, config=CONFIG, env="prod")
async_app = App(__name__, config=CONFIG, env="prod")


def counter(ctx: Any) -> dict[str, int]:
    session = ctx.session
    n = session.get("n", 0) + 1
    session["n"] = n
    return {"n": n}


async def counter_async(ctx: Any) -> dict[str, int]:
    session = await ctx.session.load()
    n = session.get("n", 0) + 1
    session["n"] = n
    return {"n": n}


app.get(PATH, counter)
async_app.get(PATH, counter_async)
