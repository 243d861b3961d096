"""Session changes made during a WebSocket connection, after the upgrade, on every backend.

Server-side stores (memory, Redis, the database) save them per key when the connection
ends, or at once with ``save_session()``; the cookie backend, a session without an id
and a new id from ``regenerate()`` cannot reach the client without a cookie, so
``save_session()`` raises ``SessionNotSaved`` and the end of the connection warns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from mvcpy import App, WebSocketController
from mvcpy.auth import login
from mvcpy.sessions import SessionNotSaved
from mvcpy.testing import TestClient, TestWebSocket, WebSocketRefused
from mvcpy.websocket import WebSocketDisconnect
from tests.sessions.conftest import BACKENDS, SERVER_SIDE


class SessionSocket(WebSocketController):
    """Change the session as each JSON message asks, and answer what happened.

    ``{"set": {...}}``, ``{"delete": [...]}``, ``{"regenerate": true}``,
    ``{"destroy": true}``, ``{"login": user}`` change it; ``{"save": true}`` calls
    ``save_session()``; ``{"fail": true}`` raises; ``{"bye": true}`` closes. Every
    message is answered (``{"saved": true}``, ``{"error": ...}`` or ``{"ok": true}``),
    so a test knows the server has handled it.
    """

    receive_mode = "json"

    async def on_message(self, data: Any) -> None:
        session = self.session
        for key, value in data.get("set", {}).items():
            session[key] = value
        for key in data.get("delete", []):
            del session[key]
        if data.get("regenerate"):
            session.regenerate()
        if data.get("destroy"):
            session.destroy()
        if "login" in data:
            login(self.ctx, data["login"])
        if data.get("fail"):
            raise RuntimeError("the handler failed")
        if data.get("bye"):
            await self.close()
            return
        if data.get("save"):
            try:
                await self.save_session()
            except SessionNotSaved as exc:
                await self.send_json({"error": str(exc)})
                return
            await self.send_json({"saved": True})
            return
        await self.send_json({"ok": True})


class Greeter(WebSocketController):
    """Set ``greeted`` before the upgrade (it goes with the 101), ``after`` once connected."""

    async def before(self) -> bool | None:
        self.session["greeted"] = True
        return None

    async def on_connect(self) -> None:
        await self.accept()
        self.session["after"] = "connected"
        await self.send_text("hello")


class LoginFirst(WebSocketController):
    """Log in before the upgrade (a new id, sent with the 101), then change the session."""

    async def before(self) -> bool | None:
        login(self.ctx, "ann")
        return None

    async def on_connect(self) -> None:
        await self.accept()
        self.session["room"] = "lobby"
        await self.send_text("hello")


class Driver(WebSocketController):
    """``handle()`` instead of the hooks: store each text message under ``last``."""

    async def handle(self, ws: WebSocketController) -> None:
        await ws.accept()
        while True:
            ws.session["last"] = await ws.receive_text()
            await ws.send_text("noted")


class FailingConnect(WebSocketController):
    """Change the session, then fail before accepting: the handshake is refused with 500."""

    async def on_connect(self) -> None:
        self.session["half"] = "done"
        raise RuntimeError("no accept")


def routes(app: App) -> App:
    app.websocket("/ws", SessionSocket)
    app.websocket("/greet", Greeter)
    app.websocket("/login-first", LoginFirst)
    app.websocket("/drive", Driver)
    app.websocket("/failing", FailingConnect)

    def put(ctx: Any) -> dict[str, Any]:
        for key, value in ctx.request.query.items():
            ctx.session[key] = value
        return {"data": dict(ctx.session)}

    def logout(ctx: Any) -> str:
        ctx.session.destroy()
        return "out"

    app.get("/put", put)
    app.get("/read", lambda ctx: {"data": dict(ctx.session)})
    app.get("/logout", logout)
    return app


#: The tests of what a server-side store keeps; the cookie backend has its own test.
server_side = pytest.mark.parametrize("backend", [b for b in BACKENDS if b in SERVER_SIDE])


def record_writes(app: App) -> list[tuple[str, str, tuple[Any, ...]]]:
    """Record the store's writes: (method, thread name, arguments), as they happen.

    An ``update`` that found the session gone wrote nothing and is not recorded.
    """
    assert app.sessions is not None and app.sessions.store is not None
    store = app.sessions.store
    calls: list[tuple[str, str, tuple[Any, ...]]] = []
    for name in ("save", "update", "touch", "delete"):
        original = getattr(store, name)

        def record(*args: Any, _name: str = name, _original: Any = original) -> Any:
            thread = threading.current_thread().name
            result = _original(*args)
            if _name != "update" or result:
                calls.append((_name, thread, args))
            return result

        setattr(store, name, record)
    return calls


def ask(ws: TestWebSocket, message: dict[str, Any]) -> Any:
    ws.send_json(message)
    return ws.receive_json()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "mvcpy.websocket" and r.levelno == logging.WARNING
    ]


@server_side
def test_changes_in_on_message_are_saved_when_the_connection_ends(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"theme": "light", "draft": "x"})
        cookie = client.cookies["session"]
        writes = record_writes(client.app)
        with client.websocket_connect("/ws") as ws:
            assert "set-cookie" not in ws.headers  # nothing changed before the upgrade
            assert ask(ws, {"set": {"theme": "dark", "room": 7}}) == {"ok": True}
            assert ask(ws, {"delete": ["draft"]}) == {"ok": True}
            assert writes == []  # nothing saved while the connection lives
        assert [(name, args[1], set(args[2])) for name, _, args in writes] == [
            ("update", {"theme": "dark", "room": 7}, {"draft"})  # one save, per key
        ]
        read = client.get("/read")
        assert read.json() == {"data": {"theme": "dark", "room": 7}}
        assert client.cookies["session"] == cookie and "set-cookie" not in read.headers
    assert warnings_of(caplog) == []


@server_side
def test_save_session_is_seen_over_http_while_the_socket_is_open(
    session_app: Callable[..., App], backend: str
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"theme": "light"})
        writes = record_writes(client.app)
        with client.websocket_connect("/ws") as ws:
            assert ask(ws, {"set": {"step": 1}, "save": True}) == {"saved": True}
            assert client.get("/read").json() == {"data": {"theme": "light", "step": 1}}
            assert ask(ws, {"save": True}) == {"saved": True}  # nothing new: nothing written
            assert len(writes) == 1
            assert ask(ws, {"set": {"step": 2}, "delete": ["theme"], "save": True}) == {
                "saved": True
            }
            assert client.get("/read").json() == {"data": {"step": 2}}
        assert len(writes) == 2  # the close had nothing left to save
        blocking = client.app.sessions.store.blocking  # type: ignore[union-attr]
        threads = {thread for _, thread, _ in writes}
        # A blocking store (Redis, the database) is written from the worker pool, never
        # from the event loop's thread; the memory store does not block.
        assert (threads.isdisjoint({"mvcpy-test-loop"})) is blocking
        assert client.get("/read").json() == {"data": {"step": 2}}


@server_side
def test_two_connections_of_one_user_keep_each_others_keys(
    session_app: Callable[..., App], backend: str
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"theme": "light", "cart": "empty"})
        # Both connections load the session before either changes it.
        with client.websocket_connect("/ws") as left, client.websocket_connect("/ws") as right:
            assert ask(left, {"set": {"theme": "dark"}, "save": True}) == {"saved": True}
            assert ask(right, {"set": {"cart": "tea"}, "save": True}) == {"saved": True}
            assert client.get("/read").json() == {"data": {"theme": "dark", "cart": "tea"}}
            assert ask(right, {"set": {"seen": "right"}}) == {"ok": True}
            assert ask(left, {"set": {"lang": "fr"}}) == {"ok": True}
            left.close()  # left saves lang at its close; right still holds theme=light
        assert client.get("/read").json() == {
            "data": {"theme": "dark", "cart": "tea", "seen": "right", "lang": "fr"}
        }


@pytest.mark.parametrize("backend", ["cookie"])
def test_the_cookie_backend_refuses_save_session_and_warns_once_at_close(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"theme": "light"})
        with caplog.at_level(logging.WARNING, "mvcpy.websocket"):
            with client.websocket_connect("/ws") as ws:
                answer = ask(ws, {"set": {"theme": "dark"}, "save": True})
                assert "cookie backend" in answer["error"]
                assert "server-side store" in answer["error"]
                assert ask(ws, {"set": {"room": 7}}) == {"ok": True}
                assert warnings_of(caplog) == []  # not until the connection ends
            (warning,) = warnings_of(caplog)  # once for the whole connection
        assert "(room, theme)" in warning and "cookie backend" in warning
        assert client.get("/read").json() == {"data": {"theme": "light"}}


@server_side
def test_a_session_without_an_id_is_not_saved(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        writes = record_writes(client.app)
        with caplog.at_level(logging.WARNING, "mvcpy.websocket"):
            with client.websocket_connect("/ws") as ws:  # no cookie: a new session
                answer = ask(ws, {"set": {"name": "ann"}, "save": True})
                assert "no id the client knows" in answer["error"]
            (warning,) = warnings_of(caplog)
        assert "(name)" in warning and "no id" in warning
        assert writes == []
        assert "session" not in client.cookies
        assert client.get("/read").json() == {"data": {}}


@server_side
def test_a_session_given_an_id_in_before_saves_later_changes_too(
    session_app: Callable[..., App], backend: str
) -> None:
    with TestClient(routes(session_app())) as client:
        with client.websocket_connect("/greet") as ws:  # a new session, saved at the upgrade
            assert "session=" in ws.headers["set-cookie"]
            assert ws.receive_text() == "hello"
        assert client.get("/read").json() == {"data": {"greeted": True, "after": "connected"}}


@server_side
def test_a_login_in_before_does_not_stop_later_changes_being_saved(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"seen": "1"})
        old_cookie = client.cookies["session"]
        with (
            caplog.at_level(logging.WARNING, "mvcpy.websocket"),
            client.websocket_connect("/login-first") as ws,  # the new id goes with the 101
        ):
            assert ws.receive_text() == "hello"
        assert warnings_of(caplog) == []
        assert client.cookies["session"] != old_cookie
        data = client.get("/read").json()["data"]
        assert data["seen"] == "1" and data["room"] == "lobby"


@server_side
@pytest.mark.parametrize("change", [{"regenerate": True}, {"login": "ann"}])
def test_a_new_id_inside_the_connection_is_not_saved(
    session_app: Callable[..., App],
    backend: str,
    change: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"theme": "light"})
        writes = record_writes(client.app)
        with caplog.at_level(logging.WARNING, "mvcpy.websocket"):
            with client.websocket_connect("/ws") as ws:
                answer = ask(ws, {"set": {"theme": "dark"}, **change, "save": True})
                assert "regenerate() (or login()) gave the session a new id" in answer["error"]
            (warning,) = warnings_of(caplog)
        assert "new id" in warning
        assert writes == []  # the old id keeps its session: nothing half done
        assert client.get("/read").json() == {"data": {"theme": "light"}}


@server_side
def test_destroy_inside_the_connection_deletes_the_stored_session(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"user": "ann"})
        with caplog.at_level(logging.WARNING, "mvcpy.websocket"):
            with client.websocket_connect("/ws") as ws:
                assert ask(ws, {"destroy": True, "save": True}) == {"saved": True}
                assert client.get("/read").json() == {"data": {}}  # logged out at once
                # A value set after destroy() would be a new session: it needs a new id.
                answer = ask(ws, {"set": {"user": "mallory"}, "save": True})
                assert "destroy() ended it" in answer["error"]
            (warning,) = warnings_of(caplog)
        assert "(user)" in warning
        assert client.get("/read").json() == {"data": {}}


@server_side
def test_destroy_with_values_after_it_still_deletes_at_close(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"user": "ann"})
        with caplog.at_level(logging.WARNING, "mvcpy.websocket"):
            with client.websocket_connect("/ws") as ws:
                assert ask(ws, {"destroy": True}) == {"ok": True}
                assert ask(ws, {"set": {"after": 1}}) == {"ok": True}
            assert len(warnings_of(caplog)) == 1
        assert client.get("/read").json() == {"data": {}}


@server_side
def test_a_session_logged_out_over_http_is_not_brought_back(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"user": "ann"})
        cookie = client.cookies["session"]
        writes = record_writes(client.app)
        with caplog.at_level(logging.WARNING, "mvcpy.websocket"):
            with client.websocket_connect("/ws") as ws:
                client.get("/logout")  # another tab logs out while the socket is open
                answer = ask(ws, {"set": {"room": 7}, "save": True})
                assert "destroyed or expired elsewhere" in answer["error"]
            (warning,) = warnings_of(caplog)
        assert "elsewhere" in warning
        assert [name for name, _, _ in writes] == ["delete"]  # the logout's, nothing else
        client.cookies.set("session", cookie)  # a copy of the old cookie finds nothing
        assert client.get("/read").json() == {"data": {}}


@server_side
def test_changes_are_saved_when_the_handler_fails_or_the_client_goes(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"n": "0"})
        with (
            caplog.at_level(logging.ERROR, "mvcpy.websocket"),
            client.websocket_connect("/ws") as ws,
        ):
            ws.send_json({"set": {"failed": True}, "fail": True})
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive()
            assert closed.value.code == 1011
        assert "the handler failed" in caplog.text
        with client.websocket_connect("/ws") as ws:
            assert ask(ws, {"set": {"gone": True}}) == {"ok": True}
            ws.close(1006)  # the client went away without a closing handshake
        with client.websocket_connect("/drive") as ws:  # handle() instead of the hooks
            ws.send_text("hello")
            assert ws.receive_text() == "noted"
        with client.websocket_connect("/ws") as ws:  # the server closes
            ws.send_json({"set": {"bye": True}, "bye": True})
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive()
            assert closed.value.code == 1000
        assert client.get("/read").json() == {
            "data": {"n": "0", "failed": True, "gone": True, "last": "hello", "bye": True}
        }


@server_side
def test_sliding_expiry_saves_changes_without_a_warning(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app(sliding=True))) as client:
        client.get("/put", params={"theme": "light"})
        with caplog.at_level(logging.WARNING, "mvcpy.websocket"):
            with client.websocket_connect("/ws") as ws:
                assert "session=" in ws.headers["set-cookie"]  # renewed with the 101
                assert ask(ws, {"set": {"theme": "dark"}, "save": True}) == {"saved": True}
            with client.websocket_connect("/ws") as ws:  # read only: nothing to save
                assert ask(ws, {}) == {"ok": True}
        assert warnings_of(caplog) == []
        assert client.get("/read").json() == {"data": {"theme": "dark"}}


def test_a_connection_that_changes_nothing_writes_nothing(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"theme": "light"})
        writes = record_writes(client.app) if backend in SERVER_SIDE else []
        with (
            caplog.at_level(logging.WARNING, "mvcpy.websocket"),
            client.websocket_connect("/ws") as ws,
        ):
            assert ask(ws, {"save": True}) == {"saved": True}  # nothing to save: fine
        assert writes == [] and warnings_of(caplog) == []


@server_side
def test_a_handshake_refused_by_an_error_saves_nothing(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"theme": "light"})
        writes = record_writes(client.app)
        with pytest.raises(WebSocketRefused) as refused:
            client.websocket_connect("/failing").__enter__()
        assert refused.value.status == 500  # like a 5xx answer: the session is not saved
        assert writes == [] and warnings_of(caplog) == []
        assert client.get("/read").json() == {"data": {"theme": "light"}}
