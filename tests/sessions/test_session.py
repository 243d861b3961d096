"""The session API on every backend: lazy loading, saving only changes, ids and bad tokens."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from itsdangerous import Signer, TimestampSigner, URLSafeTimedSerializer

from mvcpy import App, Controller
from mvcpy.testing import TestClient
from tests.sessions.conftest import SERVER_SIDE


class CounterController(Controller):
    def get(self) -> dict[str, Any]:
        self.session["n"] = self.session.get("n", 0) + 1
        return {"n": self.session["n"]}


def routes(app: App) -> App:
    app.router("/count", CounterController)
    app.get("/read", lambda ctx: {"data": dict(ctx.session)})
    app.get("/plain", lambda ctx: "no session here")

    def put(ctx: Any) -> dict[str, Any]:
        for key, value in ctx.request.query.items():
            ctx.session[key] = value
        return {"data": dict(ctx.session)}

    def remove(ctx: Any, key: str) -> str:
        del ctx.session[key]
        return "ok"

    def login(ctx: Any) -> str:
        ctx.session.regenerate()
        ctx.session["user"] = "ann"
        return "in"

    def logout(ctx: Any) -> str:
        ctx.session.destroy()
        return "out"

    app.get("/put", put)
    app.get("/remove/{key}", remove)
    app.get("/login", login)
    app.get("/logout", logout)
    return app


def token(response: httpx.Response) -> str | None:
    """Return the session cookie value that ``response`` set, if any."""
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == "session":
            return rest.split(";", 1)[0]
    return None


def test_a_session_lives_across_requests(session_app: Callable[..., App]) -> None:
    with TestClient(routes(session_app())) as client:
        assert client.get("/count").json() == {"n": 1}
        assert client.get("/count").json() == {"n": 2}
        assert client.get("/read").json() == {"data": {"n": 2}}


def test_set_cookie_only_when_the_session_changed(session_app: Callable[..., App]) -> None:
    with TestClient(routes(session_app())) as client:
        assert "set-cookie" not in client.get("/plain").headers
        assert "set-cookie" not in client.get("/read").headers  # loaded, empty, unchanged
        assert token(client.get("/put?a=1")) is not None
        assert "set-cookie" not in client.get("/read").headers  # loaded, unchanged


def test_untouched_session_is_never_loaded(session_app: Callable[..., App]) -> None:
    seen: list[bool] = []
    app = routes(session_app())

    def peek(ctx: Any) -> str:
        seen.append(ctx._session is None)
        return "x"

    app.get("/peek", peek)
    with TestClient(app) as client:
        client.get("/put?a=1")
        client.get("/peek")
    assert seen == [True]


def test_deleting_a_key(session_app: Callable[..., App]) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put?a=1&b=2")
        assert client.get("/remove/a").text == "ok"
        assert client.get("/read").json() == {"data": {"b": "2"}}


def test_cookie_attributes_are_safe_by_default(session_app: Callable[..., App]) -> None:
    with TestClient(routes(session_app())) as client:
        header = client.get("/put?a=1").headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header
    assert "max-age=1209600" in header and "secure" not in header


def test_secure_cookie_on_https_and_in_prod(session_app: Callable[..., App]) -> None:
    with TestClient(routes(session_app()), base_url="https://testserver") as client:
        assert "secure" in client.get("/put?a=1").headers["set-cookie"].lower()
    app = routes(session_app(cookie_name="sid", domain="example.test", max_age=60))
    with TestClient(app) as client:
        header = client.get("/put?a=1").headers["set-cookie"].lower()
    assert header.startswith("sid=") and "domain=example.test" in header
    assert "max-age=60" in header


def test_regenerate_keeps_data_under_a_new_token(
    session_app: Callable[..., App], backend: str
) -> None:
    with TestClient(routes(session_app())) as client:
        first = token(client.get("/put?cart=3"))
        second = token(client.get("/login"))
        assert first and second and first != second
        assert client.get("/read").json() == {"data": {"cart": "3", "user": "ann"}}
        if backend in SERVER_SIDE:  # the pre-login id is gone: fixation cannot work
            client.cookies.set("session", first)
            assert client.get("/read").json() == {"data": {}}


def test_destroy_clears_the_cookie_and_refuses_replay(
    session_app: Callable[..., App], backend: str
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/login")
        before = client.cookies["session"]
        response = client.get("/logout")
        assert "max-age=0" in response.headers["set-cookie"].lower()
        assert client.get("/read").json() == {"data": {}}
        if backend in SERVER_SIDE:  # a copied cookie replayed after logout finds nothing
            client.cookies.set("session", before)
            assert client.get("/read").json() == {"data": {}}


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),  # tampered
        lambda t: t[: len(t) // 2],  # truncated
        lambda t: "",
        lambda t: "not-a-token",
        lambda t: secrets.token_urlsafe(32),  # an id guessed at random
    ],
    ids=["tampered", "truncated", "empty", "garbage", "guessed"],
)
def test_bad_tokens_are_an_empty_session(
    session_app: Callable[..., App], forge: Callable[[str], str]
) -> None:
    with TestClient(routes(session_app())) as client:
        client.get("/put?user=ann")
        client.cookies.set("session", forge(client.cookies["session"]))
        response = client.get("/read")
        assert response.status_code == 200 and response.json() == {"data": {}}


def test_token_signed_with_another_key_is_ignored(
    session_app: Callable[..., App], backend: str
) -> None:
    app = routes(session_app())
    with TestClient(app) as client:
        client.get("/put?user=ann")
        sid_or_data = client.cookies["session"]
        if backend in SERVER_SIDE:
            sid = Signer(app.secret_key, salt="mvcpy.session.id").unsign(sid_or_data).decode()
            forged = Signer("another key", salt="mvcpy.session.id").sign(sid).decode()
        else:
            forged = URLSafeTimedSerializer("another key", salt="mvcpy.session").dumps(
                {"user": "admin"}
            )
        client.cookies.set("session", forged)
        assert client.get("/read").json() == {"data": {}}


def test_old_secret_keys_are_still_accepted(session_app: Callable[..., App]) -> None:
    old = routes(session_app({"secret_key": "old-key"}))
    with TestClient(old) as client:
        client.get("/put?user=ann")
        cookie = client.cookies["session"]
        store = old.sessions.store if old.sessions else None
    new = routes(session_app({"secret_key": "new-key"}, old_secret_keys=["old-key"]))
    with TestClient(new) as client:
        if store is not None and new.sessions is not None:
            new.sessions.store = store  # same server-side data, as after a rolling deploy
        client.cookies.set("session", cookie)
        assert client.get("/read").json() == {"data": {"user": "ann"}}


def test_expired_cookie_session_is_empty(make_app: Callable[..., App]) -> None:
    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 120

    app = routes(make_app(session={"enabled": True, "max_age": 60}))
    stale = URLSafeTimedSerializer(app.secret_key, salt="mvcpy.session", signer=PastSigner)
    stale_token = stale.dumps({"user": "ann"})
    with TestClient(app) as client:
        client.cookies.set("session", stale_token)
        assert client.get("/read").json() == {"data": {}}


def test_session_id_from_a_header_for_api_clients(session_app: Callable[..., App]) -> None:
    with TestClient(routes(session_app(header="X-Session-Id"))) as client:
        response = client.get("/put?user=ann")
        sid = response.headers["x-session-id"]
        assert "set-cookie" not in response.headers
        read = client.get("/read", headers={"X-Session-Id": sid})
        assert read.json() == {"data": {"user": "ann"}}
        assert client.get("/read").json() == {"data": {}}


def test_async_action_loads_without_blocking(session_app: Callable[..., App]) -> None:
    app = routes(session_app())

    async def visit(ctx: Any) -> dict[str, Any]:
        session = await ctx.session.load()
        session["visits"] = session.get("visits", 0) + 1
        return {"visits": session["visits"]}

    app.get("/visit", visit)
    with TestClient(app) as client:
        client.get("/visit")
        assert client.get("/visit").json() == {"visits": 2}


def test_parallel_requests_keep_each_others_keys(
    session_app: Callable[..., App], backend: str
) -> None:
    if backend not in SERVER_SIDE:
        pytest.skip("a cookie session is one value: the last response wins (documented)")
    app = routes(session_app())
    both_loaded = asyncio.Event()
    loaded: list[str] = []

    async def tab(ctx: Any, key: str) -> str:
        session = await ctx.session.load()
        loaded.append(key)
        if len(loaded) == 2:
            both_loaded.set()
        await asyncio.wait_for(both_loaded.wait(), 5)
        session[key] = "done"
        return key

    app.get("/tab/{key}", tab)

    async def run() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/put", params={"start": "1"})  # the jar keeps the cookie
            await asyncio.gather(client.get("/tab/left"), client.get("/tab/right"))
            return (await client.get("/read")).json()  # type: ignore[no-any-return]

    assert asyncio.run(run()) == {"data": {"start": "1", "left": "done", "right": "done"}}


def test_sessions_off_explain_themselves(make_app: Callable[..., App]) -> None:
    app = make_app(session={"enabled": False})
    app.get("/s", lambda ctx: str(ctx.session))
    with (
        TestClient(app, raise_server_exceptions=True) as client,
        pytest.raises(RuntimeError, match="sessions are off"),
    ):
        client.get("/s")


def test_a_cookie_session_over_the_size_limit_names_the_limit(
    make_app: Callable[..., App],
) -> None:
    from mvcpy.http.request import Request
    from mvcpy.http.response import Response
    from mvcpy.sessions import SessionTooLarge

    app = make_app(session={"enabled": True})
    app.start()
    assert app.sessions is not None
    request = Request({"type": "http", "method": "GET", "headers": [], "path": "/"}, None)
    session = app.sessions.open(request)
    session["blob"] = secrets.token_hex(3000)
    with pytest.raises(SessionTooLarge, match=r"4093-byte limit.*backend = 'redis'"):
        app.sessions.commit(session, Response(b""))


def test_sliding_expiry_renews_on_every_request(session_app: Callable[..., App]) -> None:
    with TestClient(routes(session_app(sliding=True))) as client:
        client.get("/put?a=1")
        assert token(client.get("/read")) is not None  # renewed though unchanged
        assert "set-cookie" not in client.get("/plain").headers
