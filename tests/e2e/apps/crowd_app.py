"""Many connections in one room, for the load test: ``tests.e2e.apps.crowd_app:app``.

One uvicorn worker, the memory hub. Members of ``/ws/crowd/{room}`` get their
connection id once they are in the room; ``{"say": text}`` broadcasts to the room and
``{"fill": n, "size": bytes}`` starts sending ``n`` messages of ``size`` bytes straight to
the sender itself, in the background (a way to clog a connection that has stopped
reading: the hub's messages for it then wait behind them in its bounded queue). Over HTTP,
``POST /crowd/{room}/say`` broadcasts one message and ``POST /crowd/{room}/stream``
broadcasts a steady stream of numbered messages, ``GET /crowd/{room}/memory`` counts the
room's members in the hub and those still in memory, and ``POST /gc`` turns Python's
cyclic garbage collector off or on (so that what reference counting alone frees shows).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import weakref
from typing import Any

from mvcpy import App, Controller, WebSocketController
from mvcpy.websocket import WebSocketDisconnect

__all__ = ["MEMBERS", "QUEUE_SIZE", "app"]

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
        MEMBERS.add(self)
        await self.accept()
        await self.join(self.params["room"])
        await self.send_json({"id": self.connection_id})

    async def on_message(self, data: Any) -> None:
        if "say" in data:
            await self.hub.broadcast(self.params["room"], {"text": data["say"], "from": "ws"})
        elif "fill" in data:
            fill = self.fill(int(data["fill"]), "f" * int(data["size"]))
            self.state["fill"] = asyncio.get_running_loop().create_task(fill)

    async def fill(self, count: int, chunk: str) -> None:
        """Send ``count`` copies of ``chunk``, at the client's pace, until it leaves."""
        with contextlib.suppress(WebSocketDisconnect):
            for _ in range(count):
                await self.send_text(chunk)


#: Every member still in memory (a weak set: it keeps none alive).
MEMBERS: weakref.WeakSet[Member] = weakref.WeakSet()


class Memory(Controller):
    """How many members a room has in the hub, and how many of its members are in memory."""

    async def get(self, room: str) -> dict[str, int]:
        alive = sum(1 for member in list(MEMBERS) if member.params["room"] == room)
        return {"in_room": self.app.hub.local_presence(room), "alive": alive}


class Collector(Controller):
    """``{"enabled": false}`` turns the cyclic garbage collector off, ``true`` back on."""

    async def post(self) -> dict[str, bool]:
        if (await self.request.json())["enabled"]:
            gc.enable()
        else:
            gc.disable()
        return {"enabled": gc.isenabled()}


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
app.router("/crowd/{room}/memory", Memory, name="memory")
app.router("/gc", Collector, name="gc")
app.get("/ready", lambda ctx: {"pid": PID}, name="ready")
