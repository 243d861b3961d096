"""CSRF: forms and scripts must send the session's token on unsafe methods."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from mvcpy import App, Controller
from mvcpy.sessions import CSRFProtect, csrf_exempt
from mvcpy.testing import TestClient


class FormController(Controller):
    def get(self) -> None:
        self.tpl_name = "form.html"

    def post(self) -> str:
        return f"saved {self.get_string('title')}"


def build(session_app: Callable[..., App], views: Callable[[str, str], Any]) -> App:
    views("form.html", '<form method="post">{{ csrf_input() }}</form>|{{ csrf_token() }}')
    app = session_app()
    app.use(CSRFProtect(exempt=["hook", "api.*"]))
    app.router("/form", FormController)
    app.post("/hook", lambda ctx: "hooked", name="hook")
    api = app.namespace("/api", name_prefix="api.")
    api.post("/items", lambda ctx: "created", name="items")
    free = csrf_exempt(app.namespace("/free"))
    free.post("/x", lambda ctx: "free")
    app.post("/marked", csrf_exempt(lambda ctx: "marked"))
    app.post("/guarded", lambda ctx: "guarded")
    return app


def form_token(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/form").text)
    assert match is not None
    return match.group(1)


def test_form_post_needs_the_sessions_token(
    session_app: Callable[..., App], views: Callable[[str, str], Any]
) -> None:
    app = build(session_app, views)
    with TestClient(app) as client, TestClient(app) as other:
        token = form_token(client)
        missing = client.post("/form", data={"title": "a"})
        assert missing.status_code == 403 and "CSRF token missing" in missing.text
        wrong = client.post("/form", data={"title": "a", "csrf_token": "x" * 43})
        assert wrong.status_code == 403 and "CSRF token invalid" in wrong.text
        theirs = form_token(other)  # a real token, but from another session
        assert client.post("/form", data={"csrf_token": theirs}).status_code == 403
        ok = client.post("/form", data={"title": "a", "csrf_token": token})
        assert ok.status_code == 200 and ok.text == "saved a"


def test_scripts_send_the_token_in_a_header(
    session_app: Callable[..., App], views: Callable[[str, str], Any]
) -> None:
    with TestClient(build(session_app, views)) as client:
        token = client.get("/form").text.rsplit("|", 1)[1]
        assert client.post("/guarded", json={}).status_code == 403
        bad = client.post("/guarded", headers={"X-CSRF-Token": "nope"})
        assert bad.status_code == 403
        good = client.post("/guarded", headers={"X-CSRF-Token": token})
        assert good.status_code == 200 and good.text == "guarded"


def test_a_session_without_a_token_is_refused(
    session_app: Callable[..., App], views: Callable[[str, str], Any]
) -> None:
    with TestClient(build(session_app, views)) as client:
        response = client.post("/guarded", headers={"X-CSRF-Token": "anything"})
        assert response.status_code == 403
        assert response.headers["content-type"].startswith(("text/html", "application/json"))


@pytest.mark.parametrize(
    ("path", "body"),
    [("/hook", "hooked"), ("/api/items", "created"), ("/free/x", "free"), ("/marked", "marked")],
)
def test_exempt_routes_and_namespaces(
    session_app: Callable[..., App], views: Callable[[str, str], Any], path: str, body: str
) -> None:
    with TestClient(build(session_app, views)) as client:
        response = client.post(path)
        assert response.status_code == 200 and response.text == body


def test_safe_methods_pass(
    session_app: Callable[..., App], views: Callable[[str, str], Any]
) -> None:
    with TestClient(build(session_app, views)) as client:
        assert client.get("/form").status_code == 200
        assert client.options("/guarded").status_code in (200, 204)


def stored_sessions(app: App) -> int:
    """How many sessions the app's server-side store holds. In a database, only those
    that last another hour: the table is shared, and a save now and then purges the
    expired sessions other tests left, which must not count as this test's change."""
    store: Any = app.sessions.store
    if app.sessions.backend == "memory":
        return len(store._data)
    if app.sessions.backend == "redis":
        return len(store._client.keys(store.prefix + "*"))
    from sqlalchemy import func, select

    from mvcpy.sessions.database import SessionRecord

    lasting = SessionRecord.expires_at > int(time.time()) + 3600
    with app.database.engine.connect() as connection:
        count = select(func.count(func.distinct(SessionRecord.sid))).where(lasting)
        return int(connection.execute(count).scalar_one())


def test_a_page_that_only_renders_a_form_stores_no_session(
    session_app: Callable[..., App], views: Callable[[str, str], Any], backend: str
) -> None:
    """Crawlers that fetch form pages must not fill Redis or the sessions table: a session
    holding only its CSRF token stays in its signed cookie until something else is put in
    it; the token works the same."""
    if backend == "cookie":
        pytest.skip("the cookie backend stores nothing on the server anyway")
    app = build(session_app, views)

    def remember(ctx: Any) -> str:
        ctx.session["seen"] = True
        return "remembered"

    app.post("/remember", remember)
    with TestClient(app) as client:
        before = stored_sessions(app)  # a shared database may hold other tests' rows
        for _ in range(5):
            with TestClient(app) as crawler:
                form_token(crawler)
                assert crawler.cookies["session"].startswith("c.")
        assert stored_sessions(app) == before
        token = form_token(client)
        cookie = client.cookies["session"]
        assert form_token(client) == token  # the same token on the next page
        assert client.cookies["session"] == cookie  # and no new cookie
        ok = client.post("/form", data={"title": "a", "csrf_token": token})
        assert ok.status_code == 200 and stored_sessions(app) == before
        # The first other key moves the session to the store, token and all.
        assert client.post("/remember", data={"csrf_token": token}).text == "remembered"
        assert stored_sessions(app) == before + 1
        assert not client.cookies["session"].startswith("c.")
        assert client.post("/form", data={"title": "b", "csrf_token": token}).text == "saved b"
        # A forged cookie-held session is an empty one: its token is refused.
        client.cookies.set("session", "c." + cookie[2:-4] + "AAAA")
        assert client.post("/form", data={"title": "c", "csrf_token": token}).status_code == 403
