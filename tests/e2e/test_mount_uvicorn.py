"""app.mount under a real uvicorn: a Starlette app's pages, its POST body and its
WebSocket, through real HTTP and WebSocket clients."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from websockets.sync.client import connect

from ._servers import ServerProcess, uvicorn_argv

pytestmark = pytest.mark.e2e


def test_a_mounted_starlette_app_serves_http_and_websockets(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server("uvicorn-mount", uvicorn_argv("tests.e2e.apps.mount_app:app"))
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        assert http.get("/").text == "mvcpy home"
        echoed = http.post("/shop/echo/x", content=b"over the wire").json()
        assert echoed["path"] == "/shop/echo/x" and echoed["root_path"] == "/shop"
        assert echoed["body"] == "over the wire"
        assert echoed["users_url"] == f"{server.base_url}/shop/users"
        assert http.get("/shop/users").text == "users of the mounted app"
    ws_url = server.base_url.replace("http://", "ws://") + "/shop/ws"
    with connect(ws_url, open_timeout=10) as socket:
        socket.send("hi")
        assert socket.recv(timeout=10) == "mounted: hi"
