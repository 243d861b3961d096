"""Litestar's real-time app: ``ChannelsPlugin`` with the memory backend, as its docs show.

A member subscribes to the channel and runs the subscriber's sender in the background
while it waits on the socket; the publisher calls ``channels.publish``; the echo is a
``websocket_listener``.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, MediaType, WebSocket, get, websocket, websocket_listener
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.exceptions import WebSocketDisconnect

from benchmarks.apps.rt_spec import (
    DONE,
    ECHO_PATH,
    PUBLISH_PATH,
    READY,
    READY_PATH,
    ROOM,
    ROOM_PATH,
    message,
    parse_publish,
)

__all__ = ["app"]


@websocket(ROOM_PATH)
async def member(socket: WebSocket[Any, Any, Any], channels: ChannelsPlugin) -> None:
    """Subscribe to the room and forward its messages until the client leaves."""
    await socket.accept()
    async with (
        channels.start_subscription(ROOM) as subscriber,
        subscriber.run_in_background(socket.send_text),
    ):
        await socket.send_text(READY)
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            pass


@websocket(PUBLISH_PATH)
async def publisher(socket: WebSocket[Any, Any, Any], channels: ChannelsPlugin) -> None:
    """Publish ``count`` messages to the room for each command."""
    await socket.accept()
    try:
        while True:
            count, padding = parse_publish(await socket.receive_text())
            for number in range(count):
                channels.publish(message(number, padding), ROOM)
            await socket.send_text(DONE)
    except WebSocketDisconnect:
        pass


@websocket_listener(ECHO_PATH)
async def echo(data: str) -> str:
    """Send every text message back."""
    return data


@get(READY_PATH, media_type=MediaType.TEXT)
async def ready() -> str:
    """``GET /ready``."""
    return "ok"


app = Litestar(
    route_handlers=[member, publisher, echo, ready],
    plugins=[ChannelsPlugin(backend=MemoryChannelsBackend(), channels=[ROOM])],
)
