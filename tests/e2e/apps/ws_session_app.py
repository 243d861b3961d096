"""Session changes over a WebSocket, saved to Redis: ``tests.e2e.apps.ws_session_app:app``.

``E2E_REDIS_URL`` and ``E2E_SESSION_PREFIX`` configure the Redis session store. HTTP
routes write (``/put?key=value``) and read (``/read``) the session; the WebSocket
routes change it after the upgrade.
"""

from __future__ import annotations

import os
from typing import Any

from mvcpy import App, WebSocketController
from mvcpy.sessions import SessionNotSaved

app = App(
    __name__,
    config={
        "app_name": "e2e-ws-sessions",
        "session": {
            "enabled": True,
            "backend": "redis",
            "redis_url": os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "redis_prefix": os.environ.get("E2E_SESSION_PREFIX", "mvcpy-e2e:ws-session:"),
        },
    },
)


class SessionSocket(WebSocketController):
    """``{"set": {...}}`` changes the session; ``"save": true`` saves it at once."""

    receive_mode = "json"

    async def on_message(self, data: Any) -> None:
        for key, value in data.get("set", {}).items():
            self.session[key] = value
        if not data.get("save"):
            await self.send_json({"ok": True})
            return
        try:
            await self.save_session()
        except SessionNotSaved as exc:
            await self.send_json({"error": str(exc)})
            return
        await self.send_json({"saved": True})


class Once(WebSocketController):
    """Store one message's JSON in the session and return: the server closes."""

    async def handle(self, ws: WebSocketController) -> None:
        await ws.accept()
        for key, value in (await ws.receive_json()).items():
            ws.session[key] = value


def put(ctx: Any) -> dict[str, Any]:
    for key, value in ctx.request.query.items():
        ctx.session[key] = value
    return {"data": dict(ctx.session)}


def read(ctx: Any) -> dict[str, Any]:
    return {"data": dict(ctx.session)}


app.websocket("/ws/session", SessionSocket, name="session")
app.websocket("/ws/once", Once, name="once")
app.get("/put", put)
app.get("/read", read)
app.get("/ready", lambda ctx: {"ready": True})
