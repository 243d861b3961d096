"""mvcpy's real-time app: WebSocket controllers and the hub (memory broker, its defaults)."""

from __future__ import annotations

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
from mvcpy import App, Controller, WebSocketController

__all__ = ["app"]


class Member(WebSocketController):
    """Joins the room; the hub sends it every broadcast."""

    async def on_connect(self) -> None:
        await self.accept()
        await self.join(ROOM)
        await self.send_text(READY)


class Publisher(WebSocketController):
    """Broadcasts ``count`` messages to the room for each command."""

    async def on_message(self, data: str) -> None:
        count, padding = parse_publish(data)
        hub = self.hub
        for number in range(count):
            await hub.broadcast(ROOM, message(number, padding))
        await self.send_text(DONE)


class Echo(WebSocketController):
    """Sends every text message back."""

    async def on_message(self, data: str) -> None:
        await self.send_text(data)


class Ready(Controller):
    """``GET /ready``."""

    async def get(self) -> object:
        return self.text("ok")


app = App(__name__, config={"app_name": "rt-bench"})
app.websocket(ROOM_PATH, Member, name="room")
app.websocket(PUBLISH_PATH, Publisher, name="publish")
app.websocket(ECHO_PATH, Echo, name="echo")
app.router(READY_PATH, Ready, name="ready")
