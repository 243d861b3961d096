"""Calling an ASGI app in process: synthetic scopes, lifespan start-up, a timed request loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["Captured", "call_once", "make_scope", "start_lifespan", "time_requests_ns"]

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

_REQUEST = {"type": "http.request", "body": b"", "more_body": False}


def make_scope(path: str, method: str = "GET") -> dict[str, Any]:
    """Return an HTTP scope like uvicorn's for ``GET path`` with a few common headers."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": method,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"user-agent", b"wrk"),
            (b"accept", b"*/*"),
        ],
        "state": {},
    }


async def _receive() -> dict[str, Any]:
    return _REQUEST


async def _discard(message: dict[str, Any]) -> None:
    return None


class Captured:
    """A ``send`` that keeps the status and the body."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def call_once(app: ASGIApp, path: str) -> Captured:
    """Send one ``GET path`` through ``app`` and return what it answered."""
    captured = Captured()
    await app(make_scope(path), _receive, captured)
    return captured


async def start_lifespan(app: ASGIApp) -> Callable[[], Awaitable[None]]:
    """Run the lifespan start-up as a server would; return a coroutine function that shuts down.

    Like uvicorn's ``--lifespan auto``, an app that returns or raises on the lifespan
    scope is taken not to support it.
    """
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    reply = asyncio.ensure_future(outbox.get())
    await asyncio.wait((task, reply), return_when=asyncio.FIRST_COMPLETED)

    async def nothing() -> None:
        return None

    if not reply.done():  # the app does not speak lifespan
        reply.cancel()
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it
        return nothing
    if reply.result()["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"lifespan start-up failed: {reply.result()}")

    async def shutdown() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task

    return shutdown


async def time_requests_ns(
    app: ASGIApp, path: str, iterations: int, headers: list[tuple[bytes, bytes]] | None = None
) -> float:
    """Send ``GET path`` ``iterations`` times (a fresh scope each) and return ns per request.

    Each request gets a shallow copy of one scope, as frameworks may write into it; the
    copy is part of the cost for every framework alike. ``headers`` are sent too.
    """
    template = make_scope(path)
    template["headers"] = [*template["headers"], *(headers or ())]
    copy = dict
    receive = _receive
    send = _discard
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(iterations):
        await app(copy(template), receive, send)
    return (clock() - start) / iterations
