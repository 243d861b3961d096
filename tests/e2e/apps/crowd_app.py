"""Many connections in one room, for the load test: ``tests.e2e.apps.crowd_app:app``.

One uvicorn worker, the memory hub. Members of ``/ws/crowd/{room}`` get their
connection id once they are in the room; ``{"say": text}`` broadcasts to the room and
``{"fill": n, "size": bytes}`` queues ``n`` direct messages of ``size`` bytes for the
sender itself (a way to clog a connection that has stopped reading). Over HTTP,
``POST /crowd/{room}/say`` broadcasts one message and ``POST /crowd/{room}/stream``
broadcasts a steady stream of numbered messages.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from mvcpy import App, Controller, WebSocketController

__all__ = ["QUEUE_SIZE", "app"]

#: Hub messages queued per member before the oldest is dropped.
QUEUE_SIZE = 8

app = App(__name__, config={"app_name": "e2e-crowd"})
PID = os.getpid()


class Member(WebSocketController):
    """A member of the path's room; held open without an idle timeout."""

    receive_mode = "json"
    idle_timeout = 0
    queue_size = QUEUE_SIZE
    slow_consumer = "drop_oldest"

    async def on_connect(self) -> None:
        await self.accept()
        await self.join(self.params["room"])
        await self.send_json({"id": self.connection_id})

    async def on_message(self, data: Any) -> None:
        if "say" in data:
            await self.hub.broadcast(self.params["room"], {"text": data["say"], "from": "ws"})
        elif "fill" in data:
            chunk = "f" * int(data["size"])
            for _ in range(int(data["fill"])):
                await self.hub.send_to(self.connection_id, chunk)


class Say(Controller):
    """Broadcast one message to a room from an HTTP request."""

    async def post(self, room: str) -> dict[str, int]:
        text = (await self.request.json())["text"]
        await self.app.hub.broadcast(room, {"text": text, "from": "http"})
        return {"members": self.app.hub.local_presence(room)}


class Stream(Controller):
    """Broadcast ``count`` numbered messages to a room, ``pause`` seconds apart."""

    async def post(self, room: str) -> dict[str, int]:
        body = await self.request.json()
        count, pause = int(body["count"]), float(body["pause"])
        for n in range(count):
            await self.app.hub.broadcast(room, f"{n}")
            await asyncio.sleep(pause)
        return {"sent": count}


app.websocket("/ws/crowd/{room}", Member, name="crowd")
app.router("/crowd/{room}/say", Say, name="say")
app.router("/crowd/{room}/stream", Stream, name="stream")
app.get("/ready", lambda ctx: {"pid": PID}, name="ready")
