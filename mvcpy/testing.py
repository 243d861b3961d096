"""A synchronous test client that calls the app in-process, and records what it rendered.

``TestClient(app)`` is an :class:`httpx.Client`: ``get/post/put/patch/delete/head/
options/request`` with ``params``, ``json``, ``data``, ``files``, ``headers``,
``cookies`` and ``follow_redirects``; cookies persist across requests. Used as a
context manager it runs the app's startup and shutdown hooks. Each response also
carries ``template``, ``context`` and ``route_name``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

import httpx

from mvcpy.templating import RECORD_EXTENSION
from mvcpy.types import Message

if TYPE_CHECKING:
    from mvcpy.app import App

__all__ = ["TestClient", "TestResponse"]

T = TypeVar("T")


class _LoopThread:
    """An event loop running on a daemon thread; coroutines are submitted from outside."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, daemon=True, name="mvcpy-test-loop"
        )
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


class TestResponse(httpx.Response):
    """An httpx response plus what the request rendered and which route answered."""

    template: str | None
    context: dict[str, Any] | None
    route_name: str | None


class _Transport(httpx.BaseTransport):
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        client = self.client
        app = client.app
        url = request.url
        raw_path = url.raw_path.split(b"?", 1)[0]
        record: dict[str, Any] = {}
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "query_string": url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "extensions": {RECORD_EXTENSION: record},
        }
        body = request.read()
        status, headers, content = client._loop().run(_call(app, scope, body))
        exception = record.get("exception")
        if exception is not None and client.raise_server_exceptions:
            raise exception
        response = httpx.Response(status, headers=headers, content=content, request=request)
        response.template = record.get("template")  # type: ignore[attr-defined]
        response.context = record.get("context")  # type: ignore[attr-defined]
        host = url.host
        route, _, _ = app.route_table.match(
            request.method, raw_path.decode("ascii"), host if app.route_table.has_hosts else None
        )
        response.route_name = route.name if route is not None else None  # type: ignore[attr-defined]
        return response


async def _call(
    app: App, scope: dict[str, Any], body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    done = asyncio.Event()
    sent_body = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return status, headers, b"".join(chunks)


class TestClient(httpx.Client):
    """Call an mvcpy app in-process with a real HTTP client API."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: App,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        follow_redirects: bool = False,
        **kwargs: Any,
    ) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self._thread: _LoopThread | None = None
        self._lifespan: asyncio.Task[None] | None = None
        self._lifespan_queue: asyncio.Queue[Message] | None = None
        self._lifespan_events: asyncio.Queue[Message] | None = None
        super().__init__(
            base_url=base_url,
            transport=_Transport(self),
            follow_redirects=follow_redirects,
            **kwargs,
        )

    def _loop(self) -> _LoopThread:
        if self._thread is None:
            self._thread = _LoopThread()
        return self._thread

    def __enter__(self) -> TestClient:
        super().__enter__()
        self._loop().run(self._startup())
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._lifespan is not None:
                self._loop().run(self._shutdown())
                self._lifespan = None
        finally:
            super().__exit__(*exc)

    def close(self) -> None:
        """Close the client and stop its event loop thread."""
        super().close()
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    async def _startup(self) -> None:
        incoming: asyncio.Queue[Message] = asyncio.Queue()
        outgoing: asyncio.Queue[Message] = asyncio.Queue()

        async def send(message: Message) -> None:
            await outgoing.put(message)

        self._lifespan_queue, self._lifespan_events = incoming, outgoing
        self._lifespan = asyncio.ensure_future(
            self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, incoming.get, send)
        )
        await incoming.put({"type": "lifespan.startup"})
        message = await outgoing.get()
        if message["type"] == "lifespan.startup.failed":
            await self._lifespan
            raise RuntimeError(f"app startup failed: {message.get('message')}")

    async def _shutdown(self) -> None:
        assert self._lifespan_queue is not None and self._lifespan_events is not None
        await self._lifespan_queue.put({"type": "lifespan.shutdown"})
        await self._lifespan_events.get()
        assert self._lifespan is not None
        await self._lifespan
