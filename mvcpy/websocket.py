"""WebSocket controllers: one instance per connection, checked and refused before the upgrade.

``app.websocket(path, Controller)`` routes a path to a :class:`WebSocketController`. Before
the handshake the browser ``Origin`` is checked (same host, or ``[websocket]
allowed_origins``) and ``before()`` runs; then either ``handle(ws)`` has full control, or
``on_connect`` / ``on_message`` / ``on_disconnect`` are called.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from mvcpy.errors import ConfigurationError, HTTPError
from mvcpy.http.datastructures import MultiDict
from mvcpy.types import Receive, Scope, Send

if TYPE_CHECKING:
    from mvcpy.app import App

__all__ = [
    "RECEIVE_MODES",
    "WebSocketController",
    "WebSocketDisconnect",
    "WebSocketEndpoint",
    "normalize_origins",
    "origin_allowed",
]

logger = logging.getLogger("mvcpy.websocket")

#: How ``on_message`` receives data: ``str``, ``bytes``, parsed JSON, or whatever arrived.
RECEIVE_MODES = ("text", "bytes", "json", "any")
_HOOKS = ("before", "on_connect", "on_message", "on_disconnect", "handle")


class WebSocketDisconnect(Exception):
    """The connection is closed; ``code`` is the close code."""

    def __init__(self, code: int = 1000, reason: str = "") -> None:
        self.code = code
        self.reason = reason
        super().__init__(code, reason)


class WebSocketController:
    """Handles one WebSocket connection; subclass it and route it with ``app.websocket()``.

    Attributes available in every hook: ``app``, ``scope``, ``params`` (converted path
    parameters), ``query`` (a MultiDict), ``headers`` (lower-case names), ``subprotocols``
    (offered by the client) and ``state`` (a dict for your own per-connection values).
    """

    #: ``"text"``, ``"bytes"``, ``"json"`` or ``"any"``: what ``on_message`` receives
    receive_mode: ClassVar[str] = "text"
    #: subprotocols the server speaks, preferred first; the default ``on_connect`` picks one
    supported_subprotocols: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, app: App, scope: Scope, receive: Receive, send: Send, params: dict[str, Any]
    ) -> None:
        self.app = app
        self.scope = scope
        self.params = params
        qs: bytes = scope.get("query_string", b"")
        self.query: MultiDict[str] = MultiDict(
            parse_qsl(qs.decode("latin-1"), keep_blank_values=True) if qs else ()
        )
        self.headers: dict[str, str] = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())
        }
        self.subprotocols: tuple[str, ...] = tuple(scope.get("subprotocols") or ())
        self.state: dict[str, Any] = {}
        self.accepted = False
        self.closed = False
        #: the close code once the connection is closed, by either side
        self.close_code: int | None = None
        self._receive = receive
        self._send = send
        self._max_size = 0

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
        """Complete the handshake, optionally with a subprotocol the client offered."""
        if self.accepted:
            return
        if subprotocol is not None and subprotocol not in self.subprotocols:
            raise ValueError(f"subprotocol {subprotocol!r} was not offered by the client")
        message: dict[str, Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers:
            message["headers"] = [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
            ]
        await self._send(message)
        self.accepted = True

    async def receive(self) -> str | bytes:
        """Return the next message as ``str`` or ``bytes``; raise WebSocketDisconnect at the end."""
        if self.closed:
            raise WebSocketDisconnect(1006)
        message = await self._receive()
        kind = message["type"]
        if kind == "websocket.disconnect":
            self.closed = True
            self.close_code = int(message.get("code") or 1005)
            raise WebSocketDisconnect(self.close_code, message.get("reason") or "")
        text = message.get("text")
        data: str | bytes = text if text is not None else (message.get("bytes") or b"")
        limit = self._max_size
        if limit and len(data) * 4 > limit:
            size = len(data.encode()) if isinstance(data, str) else len(data)
            if size > limit:
                await self.close(1009, "Message too big")
                raise WebSocketDisconnect(1009, "Message too big")
        return data

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
        await self._emit({"type": "websocket.close", "code": code, "reason": reason})
        self.closed = True
        self.close_code = code

    async def _emit(self, message: dict[str, Any]) -> None:
        if self.closed:
            raise WebSocketDisconnect(self.close_code or 1006)
        try:
            await self._send(message)
        except OSError:  # the server reports a client that went away (uvicorn: OSError)
            self.closed = True
            self.close_code = 1006
            raise WebSocketDisconnect(1006) from None


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
    """Runs a WebSocketController for one route: checks, ``before``, handshake, messages."""

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
        self.controller = controller
        self.label = label
        self.full_control = controller.handle is not WebSocketController.handle
        self.allowed_origins: frozenset[str] = frozenset()
        self.max_size = 0

    def prepare(self, app: App) -> None:
        """Read the ``[websocket]`` settings once, at startup."""
        origins = app.config.get("websocket.allowed_origins") or []
        self.allowed_origins = normalize_origins([origins] if isinstance(origins, str) else origins)
        self.max_size = int(app.config.get("websocket.max_message_size") or 0)

    async def __call__(
        self, app: App, scope: Scope, receive: Receive, send: Send, params: dict[str, Any]
    ) -> None:
        """Serve one connection from ``websocket.connect`` to the close."""
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        ws = self.controller(app, scope, receive, send, params)
        ws._max_size = self.max_size
        origin = ws.headers.get("origin")
        if origin is not None and not origin_allowed(
            origin, ws.headers.get("host", ""), self.allowed_origins
        ):
            await _deny(scope, send, 403, "Origin not allowed")
            return
        try:
            verdict = await ws.before()
        except HTTPError as exc:
            await _deny(scope, send, exc.status, exc.message)
            return
        except Exception:
            logger.exception("WebSocket %s: before() failed", self.label)
            await _deny(scope, send, 500, "Internal Server Error")
            return
        if verdict is False:
            await _deny(scope, send, 403, "Forbidden")
            return
        try:
            if self.full_control:
                await ws.handle(ws)
            else:
                await self._run_hooks(ws)
        except WebSocketDisconnect:
            pass
        except Exception:
            logger.exception("WebSocket %s failed", self.label)
            if not ws.accepted:
                await _deny(scope, send, 500, "Internal Server Error")
                return
            await _close_quietly(ws, 1011, "Internal error")
            return
        if not ws.closed:
            await _close_quietly(ws, 1000, "")

    async def _run_hooks(self, ws: WebSocketController) -> None:
        await ws.on_connect()
        if not ws.accepted:  # on_connect chose not to accept
            await _close_quietly(ws, 1008, "")
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


async def _close_quietly(ws: WebSocketController, code: int, reason: str) -> None:
    with contextlib.suppress(WebSocketDisconnect):  # the client is already gone
        await ws.close(code, reason)


async def _deny(scope: Scope, send: Send, status: int, message: str) -> None:
    """Refuse the handshake: an HTTP response when the server can send one, else close 1008."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = message.encode()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})
