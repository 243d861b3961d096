"""WebSocket controllers in process: an ASGI conversation scripted message by message."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from mvcpy import App, ConfigurationError, HTTPError, WebSocketController
from mvcpy.testing import TestClient
from mvcpy.websocket import normalize_origins, origin_allowed

DENIAL = {"websocket.http.response": {}}


def converse(
    app: App,
    path: str,
    incoming: list[dict[str, Any]],
    *,
    headers: dict[str, str] | None = None,
    query: bytes = b"",
    subprotocols: tuple[str, ...] = (),
    extensions: dict[str, Any] | None = None,
    gone_after: int | None = None,
) -> list[dict[str, Any]]:
    """Run one connection: the client sends ``incoming`` after connecting; return what was sent."""
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [
            (k.encode(), v.encode()) for k, v in {"host": "example.test", **(headers or {})}.items()
        ],
        "subprotocols": list(subprotocols),
        "extensions": extensions if extensions is not None else {},
    }
    inbox = [{"type": "websocket.connect"}, *incoming]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop(0)
        return {"type": "websocket.disconnect", "code": 1006}

    async def send(message: dict[str, Any]) -> None:
        if gone_after is not None and len(sent) >= gone_after:
            raise OSError("client disconnected")  # what uvicorn raises once the client left
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope, receive, send), 5))
    return sent


def text(value: str) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": value}


class Echo(WebSocketController):
    """Echo text messages; record the close code."""

    supported_subprotocols = ("v2", "v1")
    seen: list[Any] = []

    async def on_message(self, data: Any) -> None:
        await self.send_text(f"{self.params.get('room', '-')}:{self.query.get('q', '')}:{data}")

    async def on_disconnect(self, code: int) -> None:
        Echo.seen.append(code)


class Refusing(WebSocketController):
    """Refuse with an HTTPError in ``before``."""

    async def before(self) -> bool | None:
        raise HTTPError(401, "Log in first")


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    app = make_app(websocket={"max_message_size": 8, "allowed_origins": ["https://ok.test"]})
    with app.namespace("/chat", name_prefix="chat.") as chat:
        chat.websocket("/{room:int}", Echo, name="room")
    app.websocket("/refusing", Refusing)
    app.get("/page", lambda ctx: "page")
    Echo.seen.clear()
    return app


def test_url_for_and_bound_params(app: App) -> None:
    assert app.url_for("chat.room", room=7, q="x") == "/chat/7?q=x"
    sent = converse(
        app, "/chat/7", [text("hi"), {"type": "websocket.disconnect", "code": 4002}], query=b"q=z"
    )
    assert sent == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.send", "text": "7:z:hi"},
    ]
    assert Echo.seen == [4002]  # the path parameter came through its int converter too


def test_subprotocol_choice_follows_the_server_preference(app: App) -> None:
    sent = converse(app, "/chat/1", [], subprotocols=("v1", "v2", "x"))
    assert sent[0] == {"type": "websocket.accept", "subprotocol": "v2"}
    sent = converse(app, "/chat/1", [], subprotocols=("x",))
    assert sent[0] == {"type": "websocket.accept", "subprotocol": None}


def test_oversized_message_closes_with_1009(app: App) -> None:
    sent = converse(app, "/chat/1", [text("12345678"), text("ééééé")])  # 5 chars, 10 bytes
    assert sent[1] == {"type": "websocket.send", "text": "1::12345678"}
    assert sent[2] == {"type": "websocket.close", "code": 1009, "reason": "Message too big"}
    assert Echo.seen == [1009]


def test_refusals_use_the_denial_response_when_the_server_has_it(app: App) -> None:
    sent = converse(app, "/refusing", [], extensions=DENIAL)
    assert sent[0]["type"] == "websocket.http.response.start"
    assert sent[0]["status"] == 401
    # The app's error answer, as for any request: JSON for a client that asks for no HTML.
    assert sent[1]["type"] == "websocket.http.response.body"
    assert json.loads(sent[1]["body"]) == {"error": {"status": 401, "message": "Log in first"}}
    sent = converse(app, "/chat/1", [], headers={"origin": "https://evil.test"}, extensions=DENIAL)
    assert sent[0]["status"] == 403
    assert json.loads(sent[1]["body"])["error"]["message"] == "Origin not allowed"


def test_refusals_close_with_1008_without_the_extension(app: App) -> None:
    assert converse(app, "/refusing", []) == [{"type": "websocket.close", "code": 1008}]
    sent = converse(app, "/chat/1", [], headers={"origin": "https://evil.test"})
    assert sent == [{"type": "websocket.close", "code": 1008}]
    assert Echo.seen == []  # refused connections never reach the hooks


@pytest.mark.parametrize("origin", ["http://example.test", "https://ok.test", "HTTPS://OK.TEST/"])
def test_own_host_and_allowed_origins_are_accepted(app: App, origin: str) -> None:
    sent = converse(app, "/chat/1", [], headers={"origin": origin})
    assert sent[0]["type"] == "websocket.accept"


def test_origin_allowed() -> None:
    none: frozenset[str] = frozenset()
    assert origin_allowed("http://a.test:8000", "a.test:8000", none)
    assert not origin_allowed("http://a.test:9000", "a.test:8000", none)
    assert not origin_allowed("null", "a.test", none)
    assert origin_allowed("https://x.test", "a.test", normalize_origins(["*"]))
    assert origin_allowed("https://x.test", "a.test", normalize_origins([" HTTPS://X.test/"]))


def test_paths_without_a_websocket_route_close_before_accept(app: App) -> None:
    for path in ("/page", "/nowhere", "/chat/notanint"):
        assert converse(app, path, []) == [{"type": "websocket.close", "code": 1000}]


def test_http_on_a_websocket_path_is_404_and_http_routes_work(app: App) -> None:
    client = TestClient(app)
    assert client.get("/chat/1").status_code == 404
    assert client.get("/page").text == "page"


def test_errors_after_accept_close_with_1011(
    make_app: Callable[..., App], caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(WebSocketController):
        async def on_message(self, data: Any) -> None:
            raise RuntimeError("boom")

    class BadAccept(WebSocketController):
        async def on_connect(self) -> None:
            await self.accept("not-offered")

    app = make_app()
    app.websocket("/broken", Broken)
    app.websocket("/bad-accept", BadAccept)
    with caplog.at_level(logging.ERROR, "mvcpy.websocket"):
        sent = converse(app, "/broken", [text("x")])
        assert sent[-1] == {"type": "websocket.close", "code": 1011, "reason": "Internal error"}
        sent = converse(app, "/bad-accept", [], extensions=DENIAL)
        assert sent[0]["status"] == 500
    assert "boom" in caplog.text and "not offered" in caplog.text


def test_receive_modes(make_app: Callable[..., App]) -> None:
    class Anything(WebSocketController):
        receive_mode = "any"

        async def on_message(self, data: Any) -> None:
            await self.send_text(type(data).__name__)

    class Jsonish(WebSocketController):
        receive_mode = "json"

        async def on_message(self, data: Any) -> None:
            await self.send_json({"got": data})

    app = make_app()
    app.websocket("/any", Anything)
    app.websocket("/json", Jsonish)
    sent = converse(app, "/any", [text("a"), {"type": "websocket.receive", "bytes": b"b"}])
    assert [m.get("text") for m in sent[1:3]] == ["str", "bytes"]
    sent = converse(app, "/json", [text('{"a": [1]}'), text("nope")])
    assert sent[1] == {"type": "websocket.send", "text": '{"got":{"a":[1]}}'}
    assert sent[2] == {"type": "websocket.close", "code": 1007, "reason": "Invalid JSON"}


def test_registration_errors(make_app: Callable[..., App]) -> None:
    class Sync(WebSocketController):
        def on_message(self, data: Any) -> None:  # type: ignore[override]
            pass

    class BadMode(WebSocketController):
        receive_mode = "xml"

    app = make_app()
    with pytest.raises(ConfigurationError, match="on_message must be async"):
        app.websocket("/sync", Sync)
    with pytest.raises(ConfigurationError, match="receive_mode 'xml'"):
        app.websocket("/mode", BadMode)
    with pytest.raises(ConfigurationError, match="not a WebSocketController"):
        app.websocket("/x", object)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="must start with '/'"):
        app.websocket("x", Echo)


def test_a_client_gone_while_sending_is_a_quiet_disconnect(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "mvcpy.websocket"):
        sent = converse(app, "/chat/3", [text("a"), text("b")], gone_after=1)
    assert sent == [{"type": "websocket.accept", "subprotocol": None}]
    assert Echo.seen == [1006]
    assert caplog.text == ""


def test_session_changes_are_saved_when_the_client_is_gone_mid_send(
    make_app: Callable[..., App], caplog: pytest.LogCaptureFixture
) -> None:
    class Noting(WebSocketController):
        async def on_message(self, data: Any) -> None:
            self.session["last"] = data
            await self.send_text("noted")  # the client has gone: the server raises OSError

    app = make_app(session={"enabled": True, "backend": "memory"})
    app.websocket("/note", Noting)
    app.start()
    manager = app.sessions
    assert manager is not None and manager.store is not None
    manager.store.save("known-id", {"n": 1}, (), 60)
    cookie = "session=" + manager._signer.sign("known-id").decode()
    with caplog.at_level(logging.WARNING, "mvcpy.websocket"):
        sent = converse(app, "/note", [text("hi")], headers={"cookie": cookie}, gone_after=1)
    assert sent == [{"type": "websocket.accept", "subprotocol": None}]
    assert manager.store.load("known-id") == {"n": 1, "last": "hi"}
    assert caplog.text == ""


def test_an_error_in_before_refuses_with_500(
    make_app: Callable[..., App], caplog: pytest.LogCaptureFixture
) -> None:
    class Failing(WebSocketController):
        async def before(self) -> bool | None:
            raise KeyError("no-such-user")

    app = make_app()
    app.websocket("/failing", Failing)
    with caplog.at_level(logging.ERROR, "mvcpy.websocket"):
        sent = converse(app, "/failing", [], extensions=DENIAL)
    assert sent[0]["status"] == 500
    # The detail stays in the log.
    assert json.loads(sent[1]["body"])["error"]["message"] == "Internal Server Error"
    assert "no-such-user" in caplog.text


def test_a_path_with_http_and_websocket_routes_serves_both(make_app: Callable[..., App]) -> None:
    app = make_app()
    app.get("/live", lambda ctx: "live page", name="live_page")
    app.websocket("/live", Echo, name="live")
    client = TestClient(app)
    assert client.get("/live").text == "live page"
    refused = client.post("/live")
    assert refused.status_code == 405
    assert "WEBSOCKET" not in refused.headers["allow"]
    sent = converse(app, "/live", [text("x")])
    assert sent[1] == {"type": "websocket.send", "text": "-::x"}


def test_the_access_log_has_a_line_per_handshake(
    make_app: Callable[..., App], caplog: pytest.LogCaptureFixture
) -> None:
    from mvcpy.filters.access_log import AccessLog
    from mvcpy.testing import WebSocketRefused

    app = make_app(websocket={"allowed_origins": []})
    app.use(AccessLog(format="text"))
    app.websocket("/chat/{room}", Echo, name="room")
    with caplog.at_level(logging.INFO, "mvcpy.access"), TestClient(app) as client:
        with client.websocket_connect("/chat/a") as ws:
            ws.send_text("x")
            assert ws.receive_text() == "a::x"
            assert "/chat/a" not in caplog.text  # written when the connection ends
        with pytest.raises(WebSocketRefused):
            client.websocket_connect("/chat/b", headers={"origin": "https://evil.test"}).__enter__()
    lines = [r.getMessage() for r in caplog.records if r.name == "mvcpy.access"]
    assert len(lines) == 2
    assert '"GET /chat/a" 101' in lines[0] and "route=room" in lines[0]
    assert '"GET /chat/b" 403' in lines[1]


def test_built_in_filters_guard_the_handshake(make_app: Callable[..., App]) -> None:
    from mvcpy.filters.auth import BearerAuth
    from mvcpy.filters.ratelimit import RateLimit
    from mvcpy.testing import WebSocketRefused

    app = make_app()
    app.websocket("/chat/{room}", Echo, name="room", filters=[RateLimit("2/minute")])
    with app.namespace("/private", filters=[BearerAuth(tokens={"s3cret"})]) as private:
        private.websocket("/chat/{room}", Echo, name="private.room")
    with TestClient(app) as client:
        for _ in range(2):
            with client.websocket_connect("/chat/a") as ws:
                ws.send_text("hi")
                assert ws.receive_text() == "a::hi"
        with pytest.raises(WebSocketRefused) as refused:
            client.websocket_connect("/chat/a").__enter__()
        assert refused.value.status == 429 and "retry-after" in refused.value.headers
        with pytest.raises(WebSocketRefused) as refused:
            client.websocket_connect("/private/chat/b").__enter__()
        assert refused.value.status == 401
        with client.websocket_connect(
            "/private/chat/b", headers={"authorization": "Bearer s3cret"}
        ) as ws:
            ws.send_text("in")
            assert ws.receive_text() == "b::in"
