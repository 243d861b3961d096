"""A small app for the end-to-end tests: ``tests.e2e.apps.basic:app``.

The environment comes from ``MVCPY_ENV`` (``dev`` when unset) and the secret key from
``MVCPY_SECRET_KEY``, exactly as a deployed project would get them.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

from mvcpy import App, Context, Controller, PlainTextResponse, Response

app = App(__name__, config={"app_name": "e2e-basic"})

#: Set by the startup hook; reported by ``/startup`` to prove lifespan startup ran.
STATE: dict[str, Any] = {"started": False, "startup_pid": None}

#: Text of the exception ``/boom`` raises; it must never reach a client in prod.
BOOM_DETAIL = "e2e-secret-detail-7f3a"


@app.on_startup
async def mark_started() -> None:
    STATE["started"] = True
    STATE["startup_pid"] = os.getpid()


class GreetController(Controller):
    """Sync and async actions, a path parameter and a typed path parameter."""

    def hello(self) -> PlainTextResponse:
        return self.text(f"hello from {threading.current_thread().name}")

    async def hello_async(self) -> PlainTextResponse:
        await asyncio.sleep(0)
        return self.text(f"hello async from {threading.current_thread().name}")

    def user(self, name: str) -> dict[str, Any]:
        return {"name": name}

    async def item(self, id: int) -> dict[str, Any]:
        return {"id": id, "type": type(id).__name__}

    def boom(self) -> None:
        raise RuntimeError(BOOM_DETAIL)


app.router("/hello", GreetController, "get:hello", name="hello")
app.router("/hello-async", GreetController, "get:hello_async", name="hello_async")
app.router("/users/{name}", GreetController, "get:user", name="users.show")
app.router("/items/{id:int}", GreetController, "get:item")  # default name GreetController.item
app.router("/boom", GreetController, "get:boom", name="boom")


@app.get("/json", name="json")
def json_info(ctx: Context) -> dict[str, Any]:
    return {
        "app_name": ctx.app.config.get("app_name"),
        "env": ctx.app.env,
        "items": [1, 2, 3],
        "unicode": "h\u00e9llo \u2713",
    }


@app.get("/pid", name="pid")
def pid(ctx: Context) -> dict[str, int]:
    return {"pid": os.getpid()}


@app.get("/startup", name="startup")
async def startup_state(ctx: Context) -> dict[str, Any]:
    return dict(STATE)


@app.post("/submit", name="submit")
async def submit(ctx: Context) -> dict[str, bool]:
    return {"ok": True}


@app.post("/size", name="size")
async def size(ctx: Context) -> dict[str, int]:
    return {"bytes": len(await ctx.request.body())}


async def add_api_header(ctx: Context, call_next: Any) -> Response:
    """A namespace filter: marks every response of the ``/api`` namespace."""
    response: Response = await call_next(ctx)
    response.set_header("x-api-filter", "on")
    return response


with app.namespace("/api", filters=[add_api_header], name_prefix="api.") as api:
    api.get("/ping", lambda ctx: {"pong": True}, name="ping")
    api.router("/greet/{name}", GreetController, "get:user", name="greet")


class FilesController(Controller):
    """Two routes whose first segments overlap: the router must backtrack between them."""

    def latest_info(self) -> dict[str, str]:
        return {"route": "latest_info"}

    def raw(self, name: str) -> dict[str, str]:
        return {"route": "raw", "name": name}


app.router("/files/latest/info", FilesController, "get:latest_info", name="files.latest_info")
app.router("/files/{name}/raw", FilesController, "get:raw", name="files.raw")
