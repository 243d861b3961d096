"""A session deleted (a logout in another tab) or expired before a save is not brought back."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from mvcpy import App
from mvcpy.sessions.database import DatabaseStore, SessionRecord
from mvcpy.sessions.memory import MemoryStore
from mvcpy.sessions.redis import RedisStore
from mvcpy.sessions.store import SessionStore
from mvcpy.testing import TestClient
from tests.sessions.conftest import BACKENDS, SERVER_SIDE

server_side = pytest.mark.parametrize("backend", [b for b in BACKENDS if b in SERVER_SIDE])
ENDINGS = ["deleted", "expired"]


def store_of(app: App) -> SessionStore:
    assert app.sessions is not None and app.sessions.store is not None
    return app.sessions.store


def end(store: SessionStore, sid: str, how: str) -> None:
    """End session ``sid``: delete it, or let its expiry pass while its data stays stored."""
    if how == "deleted":
        store.delete(sid)
    elif isinstance(store, MemoryStore):
        with store._lock:
            store._data[sid] = (time.monotonic() - 1, store._data[sid][1])
    elif isinstance(store, RedisStore):
        assert store._client.pexpire(store.prefix + sid, 1)
        time.sleep(0.01)
    else:
        assert isinstance(store, DatabaseStore)
        table = SessionRecord.__table__
        with store.engine.begin() as connection:
            connection.execute(
                table.update()  # type: ignore[attr-defined]
                .where(table.c.sid == sid)  # type: ignore[attr-defined]
                .values(expires_at=int(time.time()) - 1)
            )


def live_rows(store: SessionStore, sid: str) -> Any:
    """What the backend holds for ``sid`` that has not expired, read around load()."""
    if isinstance(store, MemoryStore):
        entry = store._data.get(sid)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None
    if isinstance(store, RedisStore):
        return store._client.hgetall(store.prefix + sid) or None
    assert isinstance(store, DatabaseStore)
    table = SessionRecord.__table__
    query = select(table.c.key, table.c.value).where(  # type: ignore[attr-defined]
        table.c.sid == sid,  # type: ignore[attr-defined]
        table.c.expires_at > int(time.time()),  # type: ignore[attr-defined]
    )
    with store.engine.connect() as connection:
        return {key: value for key, value in connection.execute(query)} or None


def routes(app: App) -> App:
    def put(ctx: Any) -> dict[str, Any]:
        for key, value in ctx.request.query.items():
            ctx.session[key] = value
        return {"data": dict(ctx.session)}

    def end_then_change(ctx: Any, how: str) -> dict[str, Any]:
        assert ctx.session["user"] == "ann"  # loaded: the session was alive
        end(store_of(ctx.app), ctx.session.sid, how)  # another tab logs out meanwhile
        ctx.session["theme"] = "dark"
        del ctx.session["cart"]
        return {"sid": ctx.session.sid}

    app.get("/put", put)
    app.get("/read", lambda ctx: {"data": dict(ctx.session)})
    app.get("/end-then-change/{how}", end_then_change)
    return app


def session_cookie(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("session="):
            return header
    return None


@server_side
@pytest.mark.parametrize("how", ENDINGS)
def test_a_request_does_not_bring_back_a_session_that_ended_before_its_save(
    session_app: Callable[..., App], backend: str, how: str
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"user": "ann", "cart": "tea"})
        old = client.cookies["session"]
        response = client.get(f"/end-then-change/{how}")
        assert response.status_code == 200
        sid = response.json()["sid"]
        store = store_of(client.app)
        assert store.load(sid) is None
        assert live_rows(store, sid) is None  # nothing written, no expiry renewed
        # The response logs the client out instead of re-issuing the old id.
        cleared = session_cookie(response)
        assert cleared is not None and "max-age=0" in cleared.lower()
        assert old not in cleared
        assert "session" not in client.cookies
        client.cookies.set("session", old)  # a copy of the old cookie finds nothing
        read = client.get("/read")
        assert read.json() == {"data": {}}
        assert session_cookie(read) is None
        assert store.load(sid) is None
        client.cookies.clear()
        created = client.get("/put", params={"theme": "light"})  # a new session still starts
        assert created.json() == {"data": {"theme": "light"}}
        assert client.cookies["session"] != old
        assert client.get("/read").json() == {"data": {"theme": "light"}}


@server_side
def test_a_change_to_a_live_session_keeps_its_other_keys_and_its_cookie(
    session_app: Callable[..., App], backend: str
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put", params={"user": "ann", "cart": "tea"})
        old = client.cookies["session"]
        changed = client.get("/put", params={"theme": "dark"})
        assert session_cookie(changed) is None  # the client already holds the id
        assert client.get("/read").json() == {
            "data": {"user": "ann", "cart": "tea", "theme": "dark"}
        }
        assert client.cookies["session"] == old


@server_side
@pytest.mark.parametrize("how", ["unknown", *ENDINGS])
def test_update_writes_nothing_for_a_session_that_is_gone(
    session_app: Callable[..., App], backend: str, how: str
) -> None:
    app = session_app()
    app.start()
    store = store_of(app)
    live, sid = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store.save(live, {"user": "ann", "cart": "tea"}, (), 60)
    assert store.update(live, {"theme": "dark"}, {"cart"}, 60) is True
    assert store.load(live) == {"user": "ann", "theme": "dark"}
    assert store.update(live, {}, {"theme", "user"}, 60) is True  # empty, still there
    assert store.load(live) == {}
    if how != "unknown":
        store.save(sid, {"user": "ann"}, (), 60)
        end(store, sid, how)
    assert store.update(sid, {"theme": "dark"}, {"user"}, 60) is False
    assert store.load(sid) is None
    assert live_rows(store, sid) is None
    assert store.load(live) == {}  # the other session is untouched


@server_side
def test_a_websocket_save_does_not_bring_back_an_expired_session(
    session_app: Callable[..., App], backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.sessions.test_websocket_sessions import ask
    from tests.sessions.test_websocket_sessions import routes as ws_routes

    with TestClient(ws_routes(session_app())) as client:
        client.get("/put", params={"user": "ann"})
        store = store_of(client.app)
        sid = client.app.sessions._sid(client.cookies["session"])  # type: ignore[union-attr]
        assert sid is not None
        with (
            caplog.at_level(logging.WARNING, "mvcpy.websocket"),
            client.websocket_connect("/ws") as ws,
        ):
            assert ask(ws, {}) == {"ok": True}  # loaded while alive
            end(store, sid, "expired")
            answer = ask(ws, {"set": {"room": 7}, "save": True})
            assert "destroyed or expired elsewhere" in answer["error"]
        assert "elsewhere" in caplog.text  # warned once more when the connection ended
        assert store.load(sid) is None
        assert live_rows(store, sid) is None
        assert client.get("/read").json() == {"data": {}}
