"""WebSocket controllers: one instance per connection, checked and refused before the upgrade.

``app.websocket(path, Controller)`` routes a path to a :class:`WebSocketController`. The
handshake is an HTTP request like any other: the app's, namespaces' and route's filters
run around it (authentication, rate limits, request ids), the session is loaded, the
browser ``Origin`` is checked (same host, or ``[websocket] allowed_origins``) and
``before()`` runs. A refusal anywhere is an HTTP answer sent before the upgrade. Then
either ``handle(ws)`` has full control, or ``on_connect`` / ``on_message`` /
``on_disconnect`` are called. Session changes made after the upgrade are saved to a
server-side store when the connection ends, or at once by ``save_session()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, NonNegativeFloat, NonNegativeInt

from mvcpy.components import Component, Setup
from mvcpy.config.section import Section, StrList
from mvcpy.errors import ConfigurationError, HTTPError
from mvcpy.http.datastructures import MultiDict
from mvcpy.http.response import Response, encode_header
from mvcpy.hub.subscriber import POLICIES, Payload, Subscriber, SubscriberClosed
from mvcpy.sessions.manager import SessionNotSaved
from mvcpy.types import Receive, Scope, Send
from mvcpy.unit_of_work import end_late_session

if TYPE_CHECKING:
    from mvcpy.application import Application
    from mvcpy.context import Context
    from mvcpy.hub import Hub
    from mvcpy.routing.router import Route
    from mvcpy.sessions.session import Session

__all__ = [
    "RECEIVE_MODES",
    "OpenConnections",
    "WebSocketComponent",
    "WebSocketController",
    "WebSocketDisconnect",
    "WebSocketEndpoint",
    "WebSocketSettings",
    "WebSocketUpgrade",
    "normalize_origins",
    "origin_allowed",
    "serve_websocket",
]

logger = logging.getLogger("mvcpy.websocket")

#: How ``on_message`` receives data: ``str``, ``bytes``, parsed JSON, or whatever arrived.
RECEIVE_MODES = ("text", "bytes", "json", "any")
_HOOKS = ("before", "on_connect", "on_message", "on_disconnect", "handle")
# Filter headers that describe the (empty) upgrade body, not the handshake.
_BODY_HEADERS = frozenset((b"content-type", b"content-length"))


class WebSocketSettings(Section):
    """``[websocket]``: limits of WebSocket connections and the server's pings."""

    #: browser origins allowed besides the request's own host
    allowed_origins: StrList = Field(default_factory=list)
    #: bytes; a larger message closes with 1009 (0: no limit)
    max_message_size: NonNegativeInt = 1024 * 1024
    #: seconds without a message from the client before 1001 (0: never)
    idle_timeout: NonNegativeFloat = 0
    #: e.g. "20/second": more from one connection closes with 1008
    message_rate: str = ""
    #: seconds between the server's pings, passed to uvicorn (0: no pings)
    ping_interval: NonNegativeFloat = 20.0
    #: seconds to wait for the pong before closing
    ping_timeout: NonNegativeFloat = 20.0


class OpenConnections:
    """How many WebSocket connections the app holds in this process (the ``websockets``
    service); ``observers`` are told ``+1`` or ``-1`` as they open and close (metrics)."""

    __slots__ = ("count", "observers")

    def __init__(self) -> None:
        self.count = 0
        self.observers: list[Callable[[int], Any]] = []

    def changed(self, delta: int) -> None:
        """One connection opened (``+1``) or closed (``-1``)."""
        self.count += delta
        for observer in self.observers:
            observer(delta)


class WebSocketComponent(Component):
    """Declare ``[websocket]`` (each WebSocket route reads it when the app starts) and
    publish the ``websockets`` service: the connections open in this process."""

    name = "websocket"
    sections = {"websocket": WebSocketSettings}

    def install(self, setup: Setup) -> None:
        """Publish the count of open connections."""
        setup.service("websockets", OpenConnections())


class WebSocketDisconnect(Exception):
    """The connection is closed; ``code`` is the close code."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(code, reason)


class _Limits:
    """A route's per-connection limits, read once at startup."""

    __slots__ = (
        "idle_timeout",
        "max_size",
        "queue_size",
        "rate_capacity",
        "rate_refill",
        "slow_consumer",
    )

    def __init__(self) -> None:
        self.max_size = 0
        self.idle_timeout = 0.0
        self.rate_capacity = 0
        self.rate_refill = 0.0
        self.queue_size = 0  # 0: the hub's
        self.slow_consumer = ""  # "": the hub's


class WebSocketController:
    """Handles one WebSocket connection; subclass it and route it with ``app.websocket()``.

    Attributes available in every hook: ``app``, ``ctx`` (the handshake's request
    context), ``scope``, ``params`` (converted path parameters), ``query`` (a
    MultiDict), ``headers`` (lower-case names), ``subprotocols`` (offered by the client),
    ``session`` (loaded before the upgrade), ``connection_id`` (reachable through
    ``app.hub.send_to``) and ``state`` (a dict for your own per-connection values).
    """

    #: ``"text"``, ``"bytes"``, ``"json"`` or ``"any"``: what ``on_message`` receives
    receive_mode: ClassVar[str] = "text"
    #: subprotocols the server speaks, preferred first; the default ``on_connect`` picks one
    supported_subprotocols: ClassVar[tuple[str, ...]] = ()
    #: bytes; a larger message closes with 1009 (``None``: ``[websocket] max_message_size``)
    max_message_size: ClassVar[int | None] = None
    #: seconds without a message before closing with 1001 (``None``: ``[websocket]``)
    idle_timeout: ClassVar[float | None] = None
    #: e.g. ``"20/second"``; more closes with 1008 (``None``: ``[websocket] message_rate``)
    message_rate: ClassVar[str | None] = None
    #: hub messages queued for this connection (``None``: ``[hub] queue_size``)
    queue_size: ClassVar[int | None] = None
    #: ``"drop_oldest"`` or ``"disconnect"`` when the queue is full (``None``: ``[hub]``)
    slow_consumer: ClassVar[str | None] = None

    def __init__(self, ctx: Context) -> None:
        scope = ctx.scope
        self.ctx = ctx
        self.app: Application = ctx.app
        self.scope = scope
        self.params: dict[str, Any] = ctx.params
        self.query: MultiDict[str] = ctx.request.query
        self.subprotocols: tuple[str, ...] = tuple(scope.get("subprotocols") or ())
        self.state: dict[str, Any] = {}
        self.accepted = False
        self.closed = False
        #: the close code once the connection is closed, by either side
        self.close_code: int | None = None
        self._receive = ctx.receive
        self._send = ctx.send
        self._limits = _Limits()
        self._tokens = 0.0
        self._stamp = 0.0
        self._accept_headers: list[tuple[bytes, bytes]] = []
        self._outbox: _Outbox | None = None
        self._connection_id: str | None = None

    @functools.cached_property
    def headers(self) -> dict[str, str]:
        """The handshake's headers, lower-case names (decoded on first use)."""
        return {k.decode("latin-1"): v.decode("latin-1") for k, v in self.scope.get("headers", ())}

    # -- hooks ------------------------------------------------------------------------
    async def before(self) -> bool | None:
        """Run before the handshake; return ``False`` (403) or raise HTTPError to refuse."""
        return None

    async def on_connect(self) -> None:
        """Accept the connection, with the first supported subprotocol the client offers."""
        await self.accept(self.choose_subprotocol())

    async def on_message(self, data: Any) -> None:
        """Handle one message (``str``, ``bytes`` or JSON, per ``receive_mode``)."""

    async def on_disconnect(self, code: int) -> None:
        """Run once the connection is closed, by either side, with the close code."""

    async def handle(self, ws: WebSocketController) -> None:
        """Take full control of the connection (override instead of the ``on_*`` hooks)."""
        raise NotImplementedError  # pragma: no cover - never called unless overridden

    # -- the request ------------------------------------------------------------------
    @property
    def session(self) -> Session:
        """The user's session, loaded before the upgrade.

        Changes made in ``before()`` go out with the ``101`` answer. With a server-side
        store, later ones are saved when the connection ends, or at once by
        :meth:`save_session`; with the cookie backend they cannot be (a warning says so).
        """
        return self.ctx.session

    async def save_session(self) -> None:
        """Save the session's changes now, so that other requests see them at once.

        With a server-side store (memory, database, Redis) the keys set and deleted since
        the upgrade (or the last save) are written per key, as after an HTTP request,
        under the id the client's cookie already holds; ``destroy()`` deletes the stored
        session. Whatever is left unsaved is saved when the connection ends, so call
        this only when another request or connection must see a change sooner. Blocking
        stores run in the worker pool.

        Raises :class:`~mvcpy.sessions.SessionNotSaved` when the change would need a
        new cookie, which cannot be sent after the upgrade: the cookie backend, a
        session that had no id at the upgrade (or values set after ``destroy()``), a
        new id from ``regenerate()`` or ``login()``, or a session that was logged out
        or expired elsewhere meanwhile. Sessions turned off raise ``SessionsNotEnabled``.
        """
        session = self.session
        manager = self.app.sessions
        if manager is not None:  # always set when self.session did not raise
            await manager.commit_to_store_async(session)

    @property
    def current_user(self) -> Any:
        """The logged-in user (``app.user_loader``), or ``None``."""
        from mvcpy.auth import current_user

        return current_user(self.ctx)

    def url_for(self, name: str, /, **params: Any) -> str:
        """Build the URL of route ``name``."""
        return self.ctx.url_for(name, **params)

    # -- rooms ------------------------------------------------------------------------
    @property
    def hub(self) -> Hub:
        """The app's hub (``[hub]``): broadcast, send_to, presence, push_fragment."""
        hub: Hub = self.app.hub
        return hub

    @property
    def connection_id(self) -> str:
        """This connection's id, unique across workers: ``app.hub.send_to(id, message)``."""
        if self._connection_id is None:
            self._connection_id = self.app.hub.new_id()
        return self._connection_id

    @property
    def rooms(self) -> frozenset[str]:
        """The rooms this connection is in."""
        return frozenset(self._outbox.rooms) if self._outbox is not None else frozenset()

    async def join(self, room: str) -> None:
        """Join ``room``: broadcasts to it from any worker reach this connection."""
        if not self.accepted:
            raise RuntimeError("accept the connection before joining a room")
        await self.app.hub.join(self._attach(), room)

    async def leave(self, room: str) -> None:
        """Leave ``room`` (nothing happens when the connection is not in it)."""
        if self._outbox is not None:
            await self.app.hub.leave(self._outbox, room)

    # -- helpers ----------------------------------------------------------------------
    def choose_subprotocol(self) -> str | None:
        """Return the first of ``supported_subprotocols`` the client offered, or ``None``."""
        for name in self.supported_subprotocols:
            if name in self.subprotocols:
                return name
        return None

    async def accept(
        self, subprotocol: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Complete the handshake, optionally with a subprotocol the client offered.

        The answer carries ``headers`` and those the filters set on the handshake's
        response (a request id, a session cookie set in ``before()``).
        """
        if self.accepted:
            return
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"subprotocol {subprotocol!r} was not offered by the client")
        message: dict[str, Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        extra = self._accept_headers
        if headers:
            extra = [
                *extra,
                *(encode_header(k, v) for k, v in headers.items()),
            ]
        if extra:
            message["headers"] = extra
        await self._send(message)
        self.accepted = True
        self._attach()  # reachable by hub.send_to from now on
        if self._limits.rate_capacity:
            self._tokens = float(self._limits.rate_capacity)
            self._stamp = time.monotonic()

    async def receive(self) -> str | bytes:
        """Return the next message as ``str`` or ``bytes``; raise WebSocketDisconnect at the end.

        The connection is closed with 1001 after ``idle_timeout`` seconds without a
        message, with 1008 when messages come faster than ``message_rate``, and with
        1009 when one is larger than ``max_message_size``.
        """
        if self.closed:
            raise WebSocketDisconnect(self.close_code or 1006)
        limits = self._limits
        if limits.idle_timeout:
            try:
                async with asyncio.timeout(limits.idle_timeout):
                    message = await self._receive()
            except TimeoutError:
                await self.close(1001, "Idle timeout")
                raise WebSocketDisconnect(1001, "Idle timeout") from None
        else:
            message = await self._receive()
        kind = message["type"]
        if kind == "websocket.disconnect":
            self.closed = True
            self.close_code = int(message.get("code") or 1005)
            raise WebSocketDisconnect(self.close_code, message.get("reason") or "")
        if limits.rate_capacity and not self._take_token(limits):
            await self.close(1008, "Too many messages")
            raise WebSocketDisconnect(1008, "Too many messages")
        text = message.get("text")
        data: str | bytes = text if text is not None else (message.get("bytes") or b"")
        limit = limits.max_size
        if limit and len(data) * 4 > limit:
            size = len(data.encode()) if isinstance(data, str) else len(data)
            if size > limit:
                await self.close(1009, "Message too big")
                raise WebSocketDisconnect(1009, "Message too big")
        return data

    def _take_token(self, limits: _Limits) -> bool:
        now = time.monotonic()
        tokens = min(
            float(limits.rate_capacity), self._tokens + (now - self._stamp) * limits.rate_refill
        )
        self._stamp = now
        if tokens < 1.0:
            self._tokens = tokens
            return False
        self._tokens = tokens - 1.0
        return True

    async def receive_text(self) -> str:
        """Return the next text message; a binary one closes with 1003."""
        data = await self.receive()
        if not isinstance(data, str):
            await self.close(1003, "Expected a text message")
            raise WebSocketDisconnect(1003, "Expected a text message")
        return data

    async def receive_bytes(self) -> bytes:
        """Return the next binary message; a text one closes with 1003."""
        data = await self.receive()
        if not isinstance(data, bytes):
            await self.close(1003, "Expected a binary message")
            raise WebSocketDisconnect(1003, "Expected a binary message")
        return data

    async def receive_json(self) -> Any:
        """Return the next message parsed as JSON; invalid JSON closes with 1007."""
        data = await self.receive()
        try:
            return json.loads(data)
        except ValueError:
            await self.close(1007, "Invalid JSON")
            raise WebSocketDisconnect(1007, "Invalid JSON") from None

    async def send_text(self, text: str) -> None:
        """Send a text message."""
        await self._emit({"type": "websocket.send", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        await self._emit({"type": "websocket.send", "bytes": data})

    async def send_json(self, value: Any) -> None:
        """Send ``value`` as a JSON text message."""
        await self.send_text(json.dumps(value, separators=(",", ":"), ensure_ascii=False))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection with ``code`` and ``reason`` (once; later calls do nothing)."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        with contextlib.suppress(OSError):  # the client is gone: closed all the same
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def _emit(self, message: dict[str, Any]) -> None:
        if self.closed:
            raise WebSocketDisconnect(self.close_code or 1006)
        try:
            await self._send(message)
        except OSError:  # the server reports a client that went away (uvicorn: OSError)
            self.closed = True
            self.close_code = 1006
            raise WebSocketDisconnect(1006) from None

    # -- the hub's outbox -------------------------------------------------------------
    def _attach(self) -> _Outbox:
        outbox = self._outbox
        if outbox is None:
            hub = self.app.hub
            limits = self._limits
            outbox = self._outbox = _Outbox(
                self,
                limits.queue_size or hub.queue_size,
                limits.slow_consumer or hub.slow_consumer,
            )
            hub.register(outbox)
        return outbox

    async def _detach(self) -> None:
        outbox = self._outbox
        if outbox is None:
            return
        self._outbox = None
        await self.app.hub.unregister(outbox)
        task = outbox.task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        # Break the outbox's cycles (its bound overflow callback; the cancelled sender's
        # traceback holding its frame), so reference counting frees the closed connection
        # at once instead of leaving it to a full garbage collection.
        outbox.on_overflow = None
        outbox.task = None

    async def _drain(self, outbox: _Outbox) -> None:
        """Send what the hub queued for this connection, at the client's pace."""
        send = self._send
        try:
            while True:
                payload = await outbox.get()
                if self.closed:
                    return
                # PERF: straight to the server's send, not through send_text and _emit
                # (a tenth of a fan-out's CPU time; BENCHMARKS.md, real time).
                if isinstance(payload, str):
                    await send({"type": "websocket.send", "text": payload})
                else:
                    await send({"type": "websocket.send", "bytes": payload})
        except SubscriberClosed:
            await self.close(1008, "Slow consumer")
        except OSError:  # the client went away (uvicorn: OSError)
            self.closed = True
            self.close_code = 1006


class _Outbox(Subscriber):
    """A connection's hub subscription; its sender task starts with the first message."""

    __slots__ = ("task", "ws")

    def __init__(self, ws: WebSocketController, queue_size: int, policy: str) -> None:
        super().__init__(ws.connection_id, queue_size, policy, self._overflowed)
        self.ws = ws
        self.task: asyncio.Task[None] | None = None

    def offer(self, payload: Payload) -> int:
        """Queue ``payload`` for the connection; start its sender on the first one."""
        if self.task is None and not self.closed:
            self.task = asyncio.get_running_loop().create_task(self.ws._drain(self))
        return super().offer(payload)

    def _overflowed(self) -> None:
        # The sender is stuck in a send to this client: stop it and close instead.
        if self.task is not None:
            self.task.cancel()
        self.task = asyncio.get_running_loop().create_task(self.ws.close(1008, "Slow consumer"))


class WebSocketUpgrade(Response):
    """What the handshake's filter chain returns when the connection may be accepted.

    Headers that filters add to it (a request id, a session cookie) are sent with the
    ``101 Switching Protocols`` answer.
    """

    __slots__ = ("controller",)

    def __init__(self, controller: WebSocketController) -> None:
        super().__init__(b"", 101)
        self.controller = controller


def normalize_origins(origins: Iterable[str]) -> frozenset[str]:
    """Return origins as compared: lower case, without surrounding spaces or a trailing slash."""
    return frozenset(o.strip().lower().rstrip("/") for o in origins)


def origin_allowed(origin: str, host: str, allowed: frozenset[str]) -> bool:
    """Whether a browser ``Origin`` is the request's own ``Host`` or in ``allowed`` (normalized)."""
    origin = origin.strip().lower().rstrip("/")
    if origin in allowed or "*" in allowed:
        return True
    netloc = urlsplit(origin).netloc
    return bool(netloc) and netloc == host.strip().lower()


class WebSocketEndpoint:
    """A WebSocket route's endpoint: the handshake inside the filter chain, then the session.

    As the end of the chain (``call_async``) it checks the origin, loads the session and
    runs ``before()``, and answers :class:`WebSocketUpgrade` or raises a refusal;
    :meth:`serve` then runs the accepted connection.
    """

    is_sync = False

    def __init__(self, controller: type[WebSocketController], label: str) -> None:
        if not (isinstance(controller, type) and issubclass(controller, WebSocketController)):
            raise ConfigurationError(f"{label}: {controller!r} is not a WebSocketController")
        if controller.receive_mode not in RECEIVE_MODES:
            raise ConfigurationError(
                f"{label}: receive_mode {controller.receive_mode!r} is not one of "
                + ", ".join(RECEIVE_MODES)
            )
        for hook in _HOOKS:
            if not inspect.iscoroutinefunction(getattr(controller, hook)):
                raise ConfigurationError(f"{label}: {controller.__name__}.{hook} must be async")
        if controller.slow_consumer is not None and controller.slow_consumer not in POLICIES:
            raise ConfigurationError(
                f"{label}: slow_consumer {controller.slow_consumer!r} is not one of "
                + ", ".join(POLICIES)
            )
        self.controller = controller
        self.label = label
        self.full_control = controller.handle is not WebSocketController.handle
        self.allowed_origins: frozenset[str] = frozenset()
        self.limits = _Limits()

    def prepare(self, app: Application) -> None:
        """Read the ``[websocket]`` settings and the controller's overrides once, at startup."""
        from mvcpy.filters.ratelimit import parse_rate

        settings = app.config.section_of(WebSocketSettings)
        controller = self.controller
        self.allowed_origins = normalize_origins(settings.allowed_origins)
        limits = self.limits
        limits.max_size = int(_pick(controller.max_message_size, settings.max_message_size))
        limits.idle_timeout = float(_pick(controller.idle_timeout, settings.idle_timeout))
        rate = _pick(controller.message_rate, settings.message_rate)
        if rate:
            try:
                count, seconds = parse_rate(str(rate))
            except ValueError as exc:
                raise ConfigurationError(f"{self.label}: message_rate: {exc}") from exc
            limits.rate_capacity = count
            limits.rate_refill = count / seconds
        limits.queue_size = int(controller.queue_size or 0)
        limits.slow_consumer = controller.slow_consumer or ""

    def call_sync(self, ctx: Context) -> Response:  # pragma: no cover - never sync
        raise NotImplementedError

    async def call_async(self, ctx: Context) -> Response:
        """Check the handshake: origin, session, ``before()``; answer the upgrade or refuse."""
        ws = self.controller(ctx)
        ws._limits = self.limits
        origin = ws.headers.get("origin")
        if origin is not None and not origin_allowed(
            origin, ws.headers.get("host", ""), self.allowed_origins
        ):
            raise HTTPError(403, "Origin not allowed")
        if ctx.app.sessions is not None:
            await ctx.session.load()  # bound before the upgrade, without blocking the loop
        if await ws.before() is False:
            raise HTTPError(403, "Forbidden")
        return WebSocketUpgrade(ws)

    async def serve(self, ws: WebSocketController) -> None:
        """Run an accepted handshake's connection, from ``on_connect`` to the close.

        Once ``handle`` or ``on_disconnect`` has returned (or failed, or the client has
        gone), the session's unsaved changes are saved: before the closing frame when
        the handler returned without closing, after it otherwise.
        """
        refused = False
        try:
            if self.full_control:
                await ws.handle(ws)
            else:
                await self._run_hooks(ws)
        except WebSocketDisconnect:
            pass
        except Exception as exc:
            if not ws.accepted:  # still a handshake: refuse it like any failed request
                refused = True  # and, as after a 5xx, the session is not saved
                await _refuse(ws.ctx, exc)
                return
            logger.exception("WebSocket %s failed", self.label)
            await ws.close(1011, "Internal error")
        finally:
            await ws._detach()
            if not refused:
                await self._save_session(ws)
        if not ws.closed:
            await ws.close(1000, "")

    async def _save_session(self, ws: WebSocketController) -> None:
        """Save what the connection changed in the session; warn (once) when it cannot be."""
        session = ws.ctx._session
        manager = ws.app.sessions
        if session is None or manager is None or not manager.has_unsaved(session):
            return
        try:
            await manager.commit_to_store_async(session)
        except SessionNotSaved as exc:
            keys = sorted(session.changed_keys | session.deleted_keys)
            logger.warning(
                "WebSocket %s: session changes made after the upgrade were not saved (%s): %s",
                self.label,
                ", ".join(keys) if keys else "a new id",
                exc,
            )
        except Exception:
            logger.exception("WebSocket %s: saving the session when it ended failed", self.label)

    async def _run_hooks(self, ws: WebSocketController) -> None:
        await ws.on_connect()
        if not ws.accepted:  # on_connect chose not to accept
            await ws.close(1008, "")
            return
        mode = self.controller.receive_mode
        receive = {
            "text": ws.receive_text,
            "bytes": ws.receive_bytes,
            "json": ws.receive_json,
            "any": ws.receive,
        }[mode]
        try:
            while not ws.closed:
                await ws.on_message(await receive())
        except WebSocketDisconnect as exc:
            await ws.on_disconnect(exc.code)
            return
        await ws.on_disconnect(ws.close_code or 1000)


def _pick(override: Any, configured: Any) -> Any:
    return override if override is not None else (configured or 0)


async def serve_websocket(app: Application, ctx: Context, route: Route) -> None:
    """Run a WebSocket route: the handshake through the filter chain, then the connection.

    Callbacks registered with ``ctx.after_response`` (the access log's line) run once
    the refusal is sent, or once the accepted connection has ended.
    """
    from mvcpy.error_handling import handle_error

    try:
        try:
            response = await route.handler(ctx)  # type: ignore[misc]
        except Exception as exc:
            response = await handle_error(ctx, exc, route.error_handlers, app.debug)
        upgrade = response if isinstance(response, WebSocketUpgrade) else None
        # A filter that used ctx.db around the handshake: kept only if it was accepted.
        await end_late_session(ctx, upgrade is not None)
        if upgrade is None:
            if response is not None:
                await deny(ctx.scope, ctx.receive, ctx.send, response)
            return
        session = ctx._session
        manager = app.sessions
        if session is not None and manager is not None and manager.needs_commit(session):
            await manager.commit_async(session, upgrade)  # the cookie goes out with the 101
            session._mark_saved()  # what the connection changes from now on is tracked afresh
        ws = upgrade.controller
        ws._accept_headers = [(k, v) for k, v in upgrade.raw_headers if k not in _BODY_HEADERS]
        endpoint: WebSocketEndpoint = route.endpoint
        connections: OpenConnections | None = app.services.get("websockets")
        if connections is None:
            await endpoint.serve(ws)
            return
        connections.changed(1)
        try:
            await endpoint.serve(ws)
        finally:
            connections.changed(-1)
    finally:
        if ctx._after_response is not None:
            await ctx.run_after_response()


async def _refuse(ctx: Context, exc: Exception) -> None:
    from mvcpy.error_handling import handle_error

    route = ctx.route
    registries = route.error_handlers if route is not None else (ctx.app.error_handlers,)
    response = await handle_error(ctx, exc, registries, ctx.app.debug)
    if response is not None:
        await deny(ctx.scope, ctx.receive, ctx.send, response)


async def deny(scope: Scope, receive: Receive, send: Send, response: Response) -> None:
    """Refuse the handshake with ``response`` when the server can send one, else close 1008."""
    if "websocket.http.response" not in (scope.get("extensions") or {}):
        await send({"type": "websocket.close", "code": 1008})
        return

    async def as_denial(message: MutableMapping[str, Any]) -> None:
        kind = message["type"]
        if kind in ("http.response.start", "http.response.body"):
            await send({**message, "type": "websocket." + kind})

    with contextlib.suppress(OSError):  # the client left before hearing why
        await response(scope, receive, as_denial)
