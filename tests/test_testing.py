from typing import Any

import pytest

from mvcpy import App, Controller, HTTPError, WebSocketController
from mvcpy.testing import TestClient, WebSocketRefused
from mvcpy.websocket import WebSocketDisconnect


class PagesController(Controller):
    def show(self, slug: str) -> None:
        self.data["slug"] = slug
        self.tpl_name = "page.html"

    def remember(self) -> Any:
        self.set_cookie("seen", "yes")
        return self.redirect("page", slug="home")

    def echo_cookie(self) -> Any:
        return {"seen": self.request.cookies.get("seen")}


@pytest.fixture
def app(make_app, views) -> App:
    views("page.html", "<h1>{{ slug }}</h1>")
    app = make_app()
    app.router("/pages/{slug}", PagesController, "get:show", name="page")
    app.router("/remember", PagesController, "post:remember")
    app.router("/cookie", PagesController, "get:echo_cookie")
    return app


def test_records_template_context_and_route(app: App) -> None:
    with TestClient(app) as client:
        response = client.get("/pages/about")
    assert response.status_code == 200 and response.text == "<h1>about</h1>"
    assert response.template == "page.html"
    assert response.context is not None and response.context["slug"] == "about"
    assert response.route_name == "page"


def test_cookies_persist_and_redirects_follow_on_request(app: App) -> None:
    with TestClient(app) as client:
        response = client.post("/remember")
        assert response.status_code == 302 and response.headers["location"] == "/pages/home"
        assert client.get("/cookie").json() == {"seen": "yes"}
        followed = client.post("/remember", follow_redirects=True)
        assert followed.text == "<h1>home</h1>" and followed.route_name == "page"


def test_request_options(app: App) -> None:
    with TestClient(app, cookies={"seen": "preset"}, headers={"x-default": "1"}) as client:
        assert client.get("/cookie").json() == {"seen": "preset"}
        assert client.get("/cookie", params={"a": "1"}).request.url.query == b"a=1"


def test_the_pytest_fixture_uses_the_app_fixture(client: TestClient) -> None:
    # `client` comes from mvcpy's pytest plugin, built from the `app` fixture above.
    assert client.get("/pages/fixture").text == "<h1>fixture</h1>"


# -- WebSockets in process ---------------------------------------------------------


class Room(WebSocketController):
    """Join the path's room, greet with the session's name, relay what is said."""

    receive_mode = "json"
    supported_subprotocols = ("chat.v1",)

    async def before(self) -> bool | None:
        self.session["visits"] = int(self.session.get("visits", 0)) + 1
        return None

    async def on_connect(self) -> None:
        await self.accept(self.choose_subprotocol())
        await self.join(self.params["room"])
        name = self.session.get("name", "stranger")
        await self.send_json({"hello": name, "visits": self.session["visits"]})

    async def on_message(self, data: Any) -> None:
        if data == "bye":
            await self.close(4000, "see you")
            return
        await self.hub.broadcast(self.params["room"], {"said": data}, exclude=self.connection_id)


class NameController(Controller):
    def set(self) -> dict[str, bool]:
        self.session["name"] = self.get_string("name")
        return {"ok": True}


def refuse_without_token(ctx: Any, call_next: Any) -> Any:
    if ctx.request.query.get("token") != "t":
        raise HTTPError(401, "token required")
    return call_next(ctx)


@pytest.fixture
def ws_app(make_app) -> App:
    app = make_app(websocket={"idle_timeout": 0})
    app.router("/name", NameController, "get:set")
    app.websocket("/rooms/{room}", Room, name="room")
    with app.namespace("/secure", filters=[refuse_without_token]) as secure:
        secure.websocket("/rooms/{room}", Room, name="secure.room")
    return app


def test_websocket_connect_carries_cookies_and_keeps_the_handshake_cookie(ws_app: App) -> None:
    with TestClient(ws_app) as client:
        client.get("/name", params={"name": "ann"})
        with client.websocket_connect("/rooms/a", subprotocols=("x", "chat.v1")) as ws:
            assert ws.subprotocol == "chat.v1"
            assert ws.receive_json() == {"hello": "ann", "visits": 1}
            assert "set-cookie" in ws.headers  # before() changed the session
        with client.websocket_connect("/rooms/a") as ws:
            assert ws.receive_json() == {"hello": "ann", "visits": 2}


def test_two_connections_share_a_room_and_closes_are_reported(ws_app: App) -> None:
    with TestClient(ws_app) as client:
        with (
            client.websocket_connect("/rooms/r") as ann,
            client.websocket_connect("/rooms/r") as bob,
        ):
            ann.receive_json(), bob.receive_json()
            ann.send_json("hi bob")
            assert bob.receive_json() == {"said": "hi bob"}
            bob.send_json("bye")
            with pytest.raises(WebSocketDisconnect) as closed:
                bob.receive()
            assert (closed.value.code, closed.value.reason) == (4000, "see you")
        assert ws_app.hub.rooms() == []  # both left the room when they closed


def test_a_refused_handshake_raises_with_the_answer(ws_app: App) -> None:
    with TestClient(ws_app) as client:
        with pytest.raises(WebSocketRefused) as refused:
            client.websocket_connect("/secure/rooms/r").__enter__()
        assert refused.value.status == 401
        assert refused.value.json()["error"]["message"] == "token required"
        with client.websocket_connect("/secure/rooms/r?token=t") as ws:
            assert ws.receive_json()["hello"] == "stranger"
        with pytest.raises(WebSocketRefused) as refused:
            client.websocket_connect("/nowhere").__enter__()
        assert refused.value.status == 403
