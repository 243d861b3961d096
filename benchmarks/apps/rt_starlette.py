"""Starlette's real-time app: ``WebSocketEndpoint`` classes and a broadcast of its own.

Starlette has no rooms: the room is a set of connected WebSockets, and a broadcast is a
loop that awaits ``send_text`` on each, the straightforward way to write it.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from benchmarks.apps.rt_spec import (
    DONE,
    ECHO_PATH,
    PUBLISH_PATH,
    READY,
    READY_PATH,
    ROOM_PATH,
    message,
    parse_publish,
)

__all__ = ["app"]

#: The room's members.
MEMBERS: set[WebSocket] = set()


async def broadcast(text: str) -> None:
    """Send ``text`` to every member; forget those that are gone."""
    for member in list(MEMBERS):
        try:
            await member.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            MEMBERS.discard(member)


class Member(WebSocketEndpoint):
    """Joins the room on connect, leaves it on disconnect."""

    encoding = "text"

    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()
        MEMBERS.add(websocket)
        await websocket.send_text(READY)

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        MEMBERS.discard(websocket)


class Publisher(WebSocketEndpoint):
    """Broadcasts ``count`` messages to the room for each command."""

    encoding = "text"

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        count, padding = parse_publish(data)
        for number in range(count):
            await broadcast(message(number, padding))
        await websocket.send_text(DONE)


class Echo(WebSocketEndpoint):
    """Sends every text message back."""

    encoding = "text"

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        await websocket.send_text(data)


async def ready(request: Request) -> Response:
    """``GET /ready``."""
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        WebSocketRoute(ROOM_PATH, Member),
        WebSocketRoute(PUBLISH_PATH, Publisher),
        WebSocketRoute(ECHO_PATH, Echo),
        Route(READY_PATH, ready),
    ]
)
