"""Rooms over WebSockets and server-sent events: ``tests.e2e.apps.live_app:app``.

The hub's backend comes from the environment (``MVCPY_HUB__BACKEND=redis`` and
``MVCPY_HUB__REDIS_URL``), so the same app runs on one uvicorn worker or on several
gunicorn workers.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from mvcpy import App, Context, Controller, HTTPError, WebSocketController
from mvcpy.filters.chain import CallNext
from mvcpy.http.response import Response

app = App(
    __name__,
    root_path=Path(__file__).parent / "live",
    config={"app_name": "e2e-live", "websocket": {"idle_timeout": 30}},
)
PID = str(os.getpid())


class Room(WebSocketController):
    """Join the room of the path; relay what each message asks for.

    ``{"say": text}`` broadcasts to the room (``"others": true`` leaves the sender
    out), ``{"to": id, "text": ...}`` sends to one connection, ``{"presence": true}``
    answers the room's count, ``{"fragment": text}`` pushes an HTML fragment, and
    ``{"big": n, "count": k, "pause": s}`` broadcasts ``k`` messages of ``n`` bytes,
    ``s`` seconds apart.
    """

    receive_mode = "json"

    async def on_connect(self) -> None:
        await self.accept(headers={"x-worker-pid": PID})
        await self.join(self.params["room"])
        await self.send_json({"id": self.connection_id, "pid": PID})

    async def on_message(self, data: Any) -> None:
        room = self.params["room"]
        hub = self.hub
        if "say" in data:
            exclude = self.connection_id if data.get("others") else None
            message = {"from": self.connection_id, "text": data["say"], "pid": PID}
            await hub.broadcast(room, message, exclude=exclude)
        elif "to" in data:
            delivered = await hub.send_to(
                data["to"], {"from": self.connection_id, "text": data["text"]}
            )
            await self.send_json({"delivered": delivered})
        elif "presence" in data:
            await self.send_json({"presence": await hub.presence(room)})
        elif "fragment" in data:
            await hub.push_fragment(
                room, "live/message.html", "item", text=data["fragment"], n=data.get("n", 0)
            )
        elif "big" in data:
            chunk = "x" * int(data["big"])
            for n in range(int(data["count"])):
                await hub.broadcast(room, f"{n}:{chunk}")
                await asyncio.sleep(float(data.get("pause", 0)))  # a steady producer
            await self.send_json({"sent": data["count"]})


class Lossy(Room):
    """A room with a short queue per connection: a slow reader loses the oldest messages."""

    queue_size = 4


class Strict(Room):
    """A room whose slow consumers are disconnected instead of losing messages."""

    slow_consumer = "disconnect"
    queue_size = 4


class Chatty(WebSocketController):
    """At most 5 messages a second per connection; echoes each."""

    message_rate = "5/second"
    idle_timeout = 0.5

    async def on_message(self, data: Any) -> None:
        await self.send_text(data)


class Greeter(WebSocketController):
    """Greets by the session's name; ``before()`` counts visits in the session."""

    async def before(self) -> bool | None:
        self.session["visits"] = int(self.session.get("visits", 0)) + 1
        return None

    async def on_connect(self) -> None:
        await self.accept()
        name = self.session.get("name", "stranger")
        await self.send_text(f"hello {name}, visit {self.session['visits']}")


def require_token(ctx: Context, call_next: CallNext) -> Any:
    """A filter: the handshake needs ``?token=secret``, like any request under /secure."""
    if ctx.request.query.get("token") != "secret":
        raise HTTPError(401, "token required")
    return call_next(ctx)


async def tag(ctx: Context, call_next: CallNext) -> Response:
    """A filter that marks its answer: the header reaches the WebSocket handshake too."""
    response: Response = await call_next(ctx)
    response.set_header("x-filtered", "yes")
    return response


class Events(Controller):
    """Server-sent events from a room: the same broadcasts WebSocket clients get."""

    def get(self, room: str) -> Any:
        return self.event_stream(room, ping=1.0)


class Say(Controller):
    """An HTTP action that broadcasts to a room."""

    async def post(self, room: str) -> dict[str, str]:
        text = (await self.request.json())["text"]
        await self.app.hub.broadcast(room, {"from": "http", "text": text, "pid": PID})
        return {"pid": PID}


class Login(Controller):
    """Put a name in the session (an ordinary HTTP request)."""

    def get(self) -> dict[str, str]:
        self.session["name"] = self.get_string("name", "ann")
        return {"ok": "yes"}


app.use(tag)
app.websocket("/ws/rooms/{room}", Room, name="room")
app.websocket("/ws/lossy/{room}", Lossy, name="lossy")
app.websocket("/ws/strict/{room}", Strict, name="strict")
app.websocket("/ws/chatty", Chatty, name="chatty")
app.websocket("/ws/greet", Greeter, name="greet")
with app.namespace("/secure", filters=[require_token], name_prefix="secure.") as secure:
    secure.websocket("/ws", Greeter, name="ws")
app.router("/events/{room}", Events, name="events")
app.router("/rooms/{room}/say", Say, name="say")
app.router("/login", Login, name="login")
app.get("/ready", lambda ctx: {"pid": PID}, name="ready")
