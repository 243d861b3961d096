"""The chat app: ``mvcpy run --app chat.app:app``, then open two tabs on the same room."""

from __future__ import annotations

from chat.controllers import ChatSocket, RoomPage, WatchPage
from mvcpy import App

app = App(__name__)
app.serve_live_script()  # /mvcpy/live.js: connects the page and applies the fragments

app.router("/", RoomPage, "get:lobby", name="home")
app.router("/rooms/{room:slug}", RoomPage, "get:show", name="room")
app.router("/rooms/{room:slug}/watch", WatchPage, "get:show", name="watch")
app.router("/rooms/{room:slug}/events", WatchPage, "get:events", name="events")
app.websocket("/ws/rooms/{room:slug}", ChatSocket, name="socket")
