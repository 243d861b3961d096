"""A WebSocket app for the end-to-end tests: ``tests.e2e.apps.ws_app:app``."""

from __future__ import annotations

from typing import Any

from mvcpy import App, Context, WebSocketController

app = App(
    __name__,
    config={
        "app_name": "e2e-ws",
        "websocket": {
            "allowed_origins": ["https://trusted.example"],
            "max_message_size": 1024,
        },
    },
)

#: Close codes seen by ``on_disconnect``, by connection tag; read back through ``/closes``.
CLOSES: dict[str, int] = {}


class Echo(WebSocketController):
    """Echo text; ``close:<code>`` makes the server close with that code."""

    supported_subprotocols = ("chat.v2", "chat.v1")

    async def on_connect(self) -> None:
        await self.accept(self.choose_subprotocol(), headers={"x-room": self.params["room"]})

    async def on_message(self, data: Any) -> None:
        if data.startswith("close:"):
            await self.close(int(data[6:]), "server says bye")
            return
        await self.send_text(f"{self.params['room']}:{data}")

    async def on_disconnect(self, code: int) -> None:
        CLOSES[self.query.get("tag", "")] = code


class BytesEcho(WebSocketController):
    """Echo binary messages reversed."""

    receive_mode = "bytes"

    async def on_message(self, data: Any) -> None:
        await self.send_bytes(bytes(reversed(data)))


class JSONEcho(WebSocketController):
    """Answer a JSON object with the sum of its numbers; uses ``handle`` for full control."""

    async def handle(self, ws: WebSocketController) -> None:
        await ws.accept()
        while True:
            value = await ws.receive_json()
            await ws.send_json({"sum": sum(value["numbers"]), "id": value.get("id")})


class Guarded(WebSocketController):
    """Refused in ``before`` unless the query carries ``token=letmein``."""

    async def before(self) -> bool | None:
        return self.query.get("token") == "letmein"

    async def on_message(self, data: Any) -> None:
        await self.send_text("welcome " + data)


api = app.namespace("/api", name_prefix="api.")
api.websocket("/rooms/{room}", Echo, name="room")
app.websocket("/bytes", BytesEcho, name="bytes")
app.websocket("/json", JSONEcho, name="json")
app.websocket("/guarded", Guarded, name="guarded")


@app.get("/")
async def index(ctx: Context) -> dict[str, str]:
    return {"room": ctx.url_for("api.room", room="lobby")}


@app.get("/closes")
async def closes(ctx: Context) -> dict[str, int]:
    return CLOSES
