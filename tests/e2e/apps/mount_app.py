"""An mvcpy app with a Starlette app mounted under /shop (HTTP and WebSocket), for the
e2e test of app.mount under uvicorn."""

from __future__ import annotations

from mvcpy import App
from tests.routing.test_mount import starlette_app

app = App(__name__, config={"app_name": "e2e-mount"})
app.get("/", lambda ctx: "mvcpy home", name="home")
app.mount("/shop", starlette_app, name="shop")
