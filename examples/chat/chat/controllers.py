"""The chat's controllers: the room page, its WebSocket, and a read-only watch page."""

from __future__ import annotations

from typing import Any

from mvcpy import Controller, WebSocketController
from mvcpy.http.sse import EventSourceResponse

MAX_NAME = 40
MAX_TEXT = 500


class RoomPage(Controller):
    """The page of a room: the messages so far are whatever arrives while it is open."""

    def lobby(self) -> Any:
        """Send visitors of ``/`` to the lobby."""
        return self.redirect("room", room="lobby")

    def show(self, room: str) -> None:
        """Render views/chat/show.html: the message list, the form and the socket."""
        self.data["room"] = room
        self.tpl_name = "chat/show.html"


class WatchPage(Controller):
    """Follow a room without taking part: the same messages, over server-sent events."""

    def show(self, room: str) -> None:
        """Render views/chat/watch.html."""
        self.data["room"] = room
        self.tpl_name = "chat/watch.html"

    def events(self, room: str) -> EventSourceResponse:
        """Stream the room's messages as server-sent events."""
        return self.event_stream(room)


class ChatSocket(WebSocketController):
    """One person in a room: every line they send is pushed to the room as HTML."""

    receive_mode = "json"

    async def on_connect(self) -> None:
        """Accept, join the room and tell the room how many are here."""
        await self.accept()
        await self.join(self.params["room"])
        await self._push_presence()

    async def on_message(self, data: Any) -> None:
        """Push ``{"name", "text"}`` to the room as a new message; ignore anything else."""
        if not isinstance(data, dict):
            return
        text = str(data.get("text", "")).strip()[:MAX_TEXT]
        if not text:
            return
        name = str(data.get("name", "")).strip()[:MAX_NAME] or "anonymous"
        await self.hub.push_fragment(
            self.params["room"],
            "chat/message.html",
            "message",
            target="messages",
            action="append",
            name=name,
            text=text,
        )

    async def on_disconnect(self, code: int) -> None:
        """Tell the room one fewer is here (this connection has left it by then)."""
        await self.leave(self.params["room"])
        await self._push_presence()

    async def _push_presence(self) -> None:
        room = self.params["room"]
        count = await self.hub.presence(room)
        await self.hub.push_fragment(room, "chat/presence.html", count=count)
