"""Mounted ASGI applications: every request under a prefix goes to another ASGI app.

``app.mount("/metrics", metrics_app, name="metrics")`` registers two routes, the prefix
itself and everything under it, whose endpoint hands the request on. The mounted app
gets the ASGI scope with ``root_path`` extended by the prefix and ``path`` kept whole
(what Starlette's ``Mount`` and uvicorn's ``--root-path`` do, so Starlette, FastAPI,
Litestar and Django apps find their own routes), the original ``receive`` (the body
unread) and ``send``. It sits behind the app's ASGI middleware and host checks, and
before the filters: a mounted app brings its own. WebSocket scopes are handed on too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mvcpy.http.response import Response

if TYPE_CHECKING:
    from mvcpy.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MountEndpoint"]


class _Sent(Response):
    """The mounted app has answered through ``send`` itself: nothing more to send."""

    __slots__ = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


SENT = _Sent(b"")


class MountEndpoint:
    """The endpoint of a mount's routes: forwards the raw ASGI scope to the mounted app."""

    __slots__ = ("app", "prefix")

    is_sync = False

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")

    def scope_for(self, scope: Scope) -> dict[str, Any]:
        """The mounted app's scope: ``root_path`` extended by the prefix."""
        return {**scope, "root_path": scope.get("root_path", "") + self.prefix}

    async def serve(self, ctx: Any) -> Response:
        """The route's handler: the mounted app answers the request."""
        await self.app(self.scope_for(ctx.scope), ctx.receive, ctx.send)
        return SENT

    async def serve_websocket(
        self, scope: Scope, connect: Message, receive: Receive, send: Send
    ) -> None:
        """Hand a WebSocket on; ``connect`` is the first message, already received."""
        pending = [connect]

        async def replay() -> Message:
            if pending:
                return pending.pop()
            return await receive()

        await self.app(self.scope_for(scope), replay, send)
