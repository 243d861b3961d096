"""The demo's live page: notes that appear in every open browser, and who is here.

The page opens a WebSocket (``data-mvcpy-live`` in views/live/show.html); each note sent
through it is rendered once on the server and pushed to everyone on the page by the hub
(``push_fragment``), and the count of people here follows connections and departures.
"""

from typing import Any

from mvcpy import Controller, WebSocketController

#: The hub room every visitor of the page joins.
ROOM = "live"
MAX_NAME = 40
MAX_TEXT = 280


class LiveController(Controller):
    """The page itself: the form, the list the notes go into, the counter."""

    def show(self) -> None:
        """Render views/live/show.html."""
        self.data["title"] = "Live"


class LiveSocket(WebSocketController):
    """One visitor on the page: what they send goes to everyone, as HTML."""

    receive_mode = "json"

    async def on_connect(self) -> None:
        """Accept, join the room and tell it how many are here now."""
        await self.accept()
        await self.join(ROOM)
        await self.push_presence()

    async def on_message(self, data: Any) -> None:
        """Push ``{"name", "text"}`` to the room as a new note; ignore anything else."""
        if not isinstance(data, dict):
            return
        text = str(data.get("text", "")).strip()[:MAX_TEXT]
        if not text:
            return
        name = str(data.get("name", "")).strip()[:MAX_NAME] or "someone"
        await self.hub.push_fragment(
            ROOM,
            "live/note.html",
            target="notes",
            action="prepend",
            name=name,
            text=text,
        )

    async def on_disconnect(self, code: int) -> None:
        """Tell the room one fewer is here."""
        await self.leave(ROOM)
        await self.push_presence()

    async def push_presence(self) -> None:
        """Replace the counter on every open page (#presence)."""
        count = await self.hub.presence(ROOM)
        await self.hub.push_fragment(ROOM, "live/presence.html", count=count)
