"""Mounted ASGI applications: a Starlette app and a raw ASGI app under prefixes, their
paths, bodies, WebSockets and reverse URLs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from mvcpy import App
from mvcpy.errors import ConfigurationError
from mvcpy.testing import TestClient


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "path": request.url.path,
            "root_path": request.scope["root_path"],
            "method": request.method,
            "body": (await request.body()).decode(),
            "users_url": str(request.url_for("users")),
        }
    )


async def _users(request: Request) -> PlainTextResponse:
    return PlainTextResponse("users of the mounted app")


async def _ws(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_text(f"mounted: {await socket.receive_text()}")
    await socket.close()


starlette_app = Starlette(
    routes=[
        Route("/", _echo, methods=["GET", "POST", "DELETE"]),
        Route("/users", _users, name="users"),
        Route("/echo/{rest:path}", _echo, methods=["GET", "POST"]),
        WebSocketRoute("/ws", _ws),
    ]
)


async def raw_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app: answers its scope's path and root_path."""
    body = json.dumps({"path": scope["path"], "root_path": scope["root_path"]}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def app() -> App:
    app = App(env="test")
    app.get("/", lambda ctx: "mvcpy home", name="home")
    app.mount("/shop", starlette_app, name="shop")
    app.mount("/raw/", raw_app)
    api = app.namespace("/api", name_prefix="api.")
    api.mount("/v1", raw_app, name="v1")
    return app


def test_requests_under_the_prefix_reach_the_mounted_app(app: App) -> None:
    with TestClient(app) as client:
        echoed = client.post("/shop/echo/a/b?x=1", content=b"the body").json()
        assert echoed == {
            "path": "/shop/echo/a/b",
            "root_path": "/shop",
            "method": "POST",
            "body": "the body",  # the body reaches it unread
            "users_url": "http://testserver/shop/users",  # its own url_for knows the prefix
        }
        assert client.get("/shop/users").text == "users of the mounted app"
        assert client.delete("/shop/").json()["method"] == "DELETE"
        assert client.get("/shop/nothing").status_code == 404  # the mounted app's 404
        assert client.get("/").text == "mvcpy home"  # the app's own routes are untouched
        assert client.get("/raw/x/y").json() == {"path": "/raw/x/y", "root_path": "/raw"}
        assert client.get("/raw").json() == {"path": "/raw", "root_path": "/raw"}
        assert client.get("/api/v1/z").json() == {"path": "/api/v1/z", "root_path": "/api/v1"}


def test_websockets_under_the_prefix_reach_the_mounted_app(app: App) -> None:
    with TestClient(app) as client, client.websocket_connect("/shop/ws") as socket:
        socket.send_text("hello")
        assert socket.receive_text() == "mounted: hello"


def test_url_for_builds_the_prefix_and_paths_under_it(app: App) -> None:
    app.start()
    assert app.url_for("shop") == "/shop"
    assert app.url_for("shop.path", path="users/7") == "/shop/users/7"
    assert app.url_for("api.v1") == "/api/v1"
    assert app.url_for("mount /raw") == "/raw"


def test_a_mount_needs_a_plain_prefix() -> None:
    app = App(env="test")
    with pytest.raises(ConfigurationError, match="not the root"):
        app.mount("/", raw_app)
    with pytest.raises(ConfigurationError, match="cannot hold parameters"):
        app.mount("/{tenant}", raw_app)
