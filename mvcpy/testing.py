"""A synchronous test client that calls the app in-process, and records what it rendered.

``TestClient(app)`` is an :class:`httpx.Client`: ``get/post/put/patch/delete/head/
options/request`` with ``params``, ``json``, ``data``, ``files``, ``headers``,
``cookies`` and ``follow_redirects``; cookies persist across requests. Used as a
context manager it runs the app's startup and shutdown hooks. Each response also
carries ``template``, ``context`` and ``route_name``. ``websocket_connect(path)`` opens
an in-process WebSocket connection (:class:`TestWebSocket`) with the client's cookies.
``make_row(db, Model)`` stores a row with a sample value in every required column.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

import httpx

from mvcpy.orm.inspector import assert_queries
from mvcpy.orm.sample_rows import make_row
from mvcpy.templating import RECORD_EXTENSION
from mvcpy.testing_session import ClientSession
from mvcpy.types import Message

if TYPE_CHECKING:
    from mvcpy.app import App
    from mvcpy.sessions.session import Session

__all__ = [
    "TestClient",
    "TestResponse",
    "TestWebSocket",
    "WebSocketRefused",
    "assert_queries",
    "make_row",
]

T = TypeVar("T")


class _LoopThread:
    """An event loop running on a daemon thread; coroutines are submitted from outside."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, daemon=True, name="mvcpy-test-loop"
        )
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

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


class WebSocketRefused(Exception):
    """The app refused the handshake: ``status``, ``headers`` and ``body`` of its answer."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
        self.body = body
        super().__init__(status, body[:200])

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return json.loads(self.body)


class TestWebSocket:
    """An in-process WebSocket connection to the app: ``with client.websocket_connect(p) as ws``.

    Entering performs the handshake (raising :class:`WebSocketRefused` when the app
    answers with an HTTP response instead); ``receive*`` raise
    :class:`~mvcpy.websocket.WebSocketDisconnect` once the app has closed the
    connection, and fail after ``timeout`` seconds without a message.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        client: TestClient,
        path: str,
        headers: dict[str, str] | None = None,
        subprotocols: tuple[str, ...] = (),
        timeout: float = 5.0,
    ) -> None:
        self.client = client
        self.url = client.base_url.join(path)
        self.timeout = timeout
        self._headers = dict(headers or {})
        self._subprotocols = list(subprotocols)
        #: the subprotocol the app accepted, and the headers of its ``101`` answer
        self.subprotocol: str | None = None
        self.headers: dict[str, str] = {}
        #: the close code once either side closed
        self.close_code: int | None = None
        self._to_app: asyncio.Queue[Message] | None = None
        self._from_app: asyncio.Queue[Message] | None = None
        self._task: asyncio.Future[None] | None = None

    # -- the handshake ----------------------------------------------------------------
    def __enter__(self) -> TestWebSocket:
        loop = self.client._loop()
        request = self.client.build_request("GET", self.url, headers=self._headers)
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if self.url.scheme == "https" else "ws",
            "path": unquote(self.url.raw_path.split(b"?", 1)[0].decode("ascii")),
            "raw_path": self.url.raw_path.split(b"?", 1)[0],
            "query_string": self.url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": (self.url.host, self.url.port or 80),
            "subprotocols": self._subprotocols,
            "extensions": {"websocket.http.response": {}},
        }
        first = loop.run(self._start(scope), self.timeout)
        kind = first["type"]
        if kind == "websocket.accept":
            self.subprotocol = first.get("subprotocol")
            headers = list(first.get("headers") or [])
            self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
            answer = httpx.Response(101, headers=headers, request=request)
            self.client.cookies.extract_cookies(answer)  # a session saved at the handshake
            return self
        if kind == "websocket.http.response.start":
            body = loop.run(self._denial_body(), self.timeout)
            self._finish()
            raise WebSocketRefused(first["status"], list(first.get("headers") or []), body)
        self._finish()
        raise WebSocketRefused(403, [], b"")  # closed before accepting: servers answer 403

    async def _start(self, scope: dict[str, Any]) -> Message:
        self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
        self._task = asyncio.ensure_future(
            self.client.app(scope, self._to_app.get, self._from_app.put)
        )
        await self._to_app.put({"type": "websocket.connect"})
        return await self._next()

    async def _next(self) -> Message:
        assert self._from_app is not None and self._task is not None
        getter = asyncio.ensure_future(self._from_app.get())
        await asyncio.wait((getter, self._task), return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        self._task.result()  # the app failed: raise its error here
        return {"type": "websocket.close", "code": 1006}

    async def _denial_body(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            message = await self._next()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)

    # -- messages ---------------------------------------------------------------------
    def send_text(self, text: str) -> None:
        """Send a text message to the app."""
        self._put({"type": "websocket.receive", "text": text})

    def send_bytes(self, data: bytes) -> None:
        """Send a binary message to the app."""
        self._put({"type": "websocket.receive", "bytes": data})

    def send_json(self, value: Any) -> None:
        """Send ``value`` as a JSON text message."""
        self.send_text(json.dumps(value))

    def receive(self) -> str | bytes:
        """Return the app's next message; raise WebSocketDisconnect once it closed."""
        from mvcpy.websocket import WebSocketDisconnect

        if self.close_code is not None:
            raise WebSocketDisconnect(self.close_code)
        message = self.client._loop().run(self._next(), self.timeout)
        if message["type"] == "websocket.close":
            self.close_code = int(message.get("code") or 1000)
            self._finish()
            raise WebSocketDisconnect(self.close_code, message.get("reason") or "")
        text = message.get("text")
        return text if text is not None else bytes(message.get("bytes") or b"")

    def receive_text(self) -> str:
        """Return the next message, which must be text."""
        data = self.receive()
        assert isinstance(data, str), f"expected a text message, got {data!r}"
        return data

    def receive_bytes(self) -> bytes:
        """Return the next message, which must be binary."""
        data = self.receive()
        assert isinstance(data, bytes), f"expected a binary message, got {data!r}"
        return data

    def receive_json(self) -> Any:
        """Return the next message parsed as JSON."""
        return json.loads(self.receive())

    def close(self, code: int = 1000) -> None:
        """Close the connection from the client's side and wait for the app to finish."""
        if self.close_code is None:
            self.close_code = code
            self._deliver({"type": "websocket.disconnect", "code": code})
        self._finish()

    def _put(self, message: Message) -> None:
        from mvcpy.websocket import WebSocketDisconnect

        if self.close_code is not None:
            raise WebSocketDisconnect(self.close_code)
        self._deliver(message)

    def _deliver(self, message: Message) -> None:
        if self._to_app is not None:
            self.client._loop().loop.call_soon_threadsafe(self._to_app.put_nowait, message)

    def _finish(self) -> None:
        """Wait for the app's side of the connection to end (it has been told, or it closed)."""
        task = self._task
        if task is None:
            return
        self._task = None
        if self.close_code is None:  # refused, or the app never closed: the client goes away
            self.close_code = 1006
            self._deliver({"type": "websocket.disconnect", "code": 1006})
        self.client._loop().run(_wait_for_app(task), self.timeout)

    def __exit__(self, *exc: object) -> None:
        self.close()


async def _wait_for_app(task: asyncio.Future[None]) -> None:
    await asyncio.wait((task,))
    task.result()


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

    # -- the session ------------------------------------------------------------------
    @property
    def _session(self) -> ClientSession:
        return ClientSession(self.app, self)

    def session_data(self) -> dict[str, Any]:
        """A copy of this client's session as the app would load it."""
        return self._session.data()

    def session_transaction(self) -> AbstractContextManager[Session]:
        """Change this client's session: ``with client.session_transaction() as s: s["k"] = 1``;
        it is saved, and the cookie set, when the block ends."""
        return self._session.transaction()

    def login_as(self, user: Any, *, remember: bool = True) -> None:
        """Start this client logged in as ``user`` (an object with ``id``, or an id)."""
        self._session.login_as(user, remember=remember)

    def flashes(self) -> list[tuple[str, str]]:
        """The flash messages waiting for the next page, as ``(category, message)``."""
        return self._session.flashes()

    def websocket_connect(
        self,
        path: str,
        headers: dict[str, str] | None = None,
        subprotocols: tuple[str, ...] = (),
        timeout: float = 5.0,
    ) -> TestWebSocket:
        """Return an in-process WebSocket connection to ``path``; use it as a context manager."""
        return TestWebSocket(self, path, headers, subprotocols, timeout)

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
