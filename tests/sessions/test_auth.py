"""Authentication: the login flow end to end, guards, passwords, tokens, safe redirects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mvcpy import App, Controller
from mvcpy.auth import (
    JWTSigner,
    TokenSigner,
    hash_password,
    is_safe_url,
    login,
    login_required,
    password_needs_rehash,
    require,
    safe_next,
    verify_password,
)
from mvcpy.filters.auth import BearerAuth
from mvcpy.testing import TestClient
from tests.sessions.conftest import SERVER_SIDE

USERS = {
    1: {"id": 1, "name": "ann", "password": hash_password("s3cret!"), "admin": True},
    2: {"id": 2, "name": "bob", "password": hash_password("hunter2"), "admin": False},
}
LOADS: list[int] = []


def load_user(user_id: int) -> dict[str, Any] | None:
    LOADS.append(user_id)
    return USERS.get(user_id)


class SessionController(Controller):
    def new(self) -> None:
        self.tpl_name = "login.html"

    def create(self) -> Any:
        name, password = self.get_string("name"), self.get_string("password")
        user = next((u for u in USERS.values() if u["name"] == name), None)
        if user is None or not verify_password(user["password"], password):
            self.flash("Wrong name or password", "error")
            return self.redirect("login")
        self.login(user["id"])
        self.flash(f"Welcome, {user['name']}")
        target = safe_next(self.ctx, "/dashboard")
        return self.redirect(target)

    def destroy(self) -> Any:
        self.logout()
        return self.redirect("login")


class DashboardController(Controller):
    def get(self) -> None:
        assert self.current_user is self.current_user  # loaded once
        self.tpl_name = "dashboard.html"


def build(session_app: Callable[..., App], views: Callable[[str, str], Any]) -> App:
    views("login.html", "login|{{ get_flashed_messages() | join(',') }}")
    views(
        "dashboard.html",
        "hello {{ current_user.name }}|{{ get_flashed_messages() | join(',') }}",
    )
    app = session_app()
    app.user_loader(load_user)
    app.router("/login", SessionController, "get:new;post:create", name="login")
    app.router("/logout", SessionController, "post:destroy", name="logout")
    app.router("/dashboard", DashboardController, filters=[login_required])
    app.get("/admin", lambda ctx: "admin area", filters=[require(lambda u: u["admin"])])
    app.get("/api/me", lambda ctx: {"me": 1}, filters=[login_required])
    return app


def test_login_flow_end_to_end(
    session_app: Callable[..., App], views: Callable[[str, str], Any], backend: str
) -> None:
    with TestClient(build(session_app, views)) as client:
        refused = client.get("/dashboard?tab=1")
        assert refused.status_code == 302
        assert refused.headers["location"] == "/login?next=/dashboard%3Ftab%3D1"
        bad = client.post("/login", data={"name": "ann", "password": "nope"})
        assert client.get(bad.headers["location"]).text == "login|Wrong name or password"
        before = client.cookies.get("session")
        ok = client.post("/login?next=/dashboard", data={"name": "ann", "password": "s3cret!"})
        assert ok.headers["location"] == "/dashboard"
        assert client.cookies["session"] != before  # a new session id at login
        LOADS.clear()
        assert client.get("/dashboard").text == "hello ann|Welcome, ann"
        assert LOADS == [1]  # the loader ran once for the controller and the template
        assert client.get("/admin").text == "admin area"
        logged_in = client.cookies["session"]
        client.post("/logout")
        assert client.get("/dashboard").status_code == 302
        if backend in SERVER_SIDE:  # the old cookie, replayed, is refused too
            client.cookies.set("session", logged_in)
            assert client.get("/dashboard").status_code == 302


def test_api_clients_get_401_and_roles_get_403(
    session_app: Callable[..., App], views: Callable[[str, str], Any]
) -> None:
    with TestClient(build(session_app, views)) as client:
        response = client.get("/api/me", headers={"Accept": "application/json"})
        assert response.status_code == 401 and "login required" in response.text
        client.post("/login", data={"name": "bob", "password": "hunter2"})
        assert client.get("/api/me", headers={"Accept": "application/json"}).json() == {"me": 1}
        assert client.get("/admin").status_code == 403


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example/x", "/\\evil.example", "javascript:x()",
     "javascript:alert(1)/x", "data:text/html,<b>x</b>", "http:/evil.example",
     "https:evil.example", "\\\\evil.example", "/\t/evil.example", "dashboard", "evil"],
)  # fmt: skip
def test_off_site_next_is_ignored(
    session_app: Callable[..., App], views: Callable[[str, str], Any], target: str
) -> None:
    with TestClient(build(session_app, views)) as client:
        response = client.post(
            "/login", params={"next": target}, data={"name": "ann", "password": "s3cret!"}
        )
        assert response.headers["location"] == "/dashboard"


def test_redirect_to_another_host_is_refused_unless_allowed(make_app: Any) -> None:
    class GoController(Controller):
        def get(self) -> Any:
            return self.redirect(self.get_string("to"))

    app = make_app(auth={"redirect_hosts": ["pay.example"]})
    app.router("/go", GoController)
    with TestClient(app) as client:
        assert client.get("/go", params={"to": "https://evil.example/"}).status_code == 400
        assert client.get("/go", params={"to": "//evil.example"}).status_code == 400
        assert client.get("/go", params={"to": "https://pay.example/c"}).status_code == 302
        assert client.get("/go", params={"to": "http://testserver/x"}).status_code == 302
        assert client.get("/go", params={"to": "/local"}).status_code == 302
        hostile_targets = [
            "javascript:alert(1)",
            "javascript:alert(1)/x",
            "https:evil.example",
            "http:/evil.example",
            "\\\\evil.example",
            "data:text/html,x",
            "/\nx",
        ]
        for hostile in hostile_targets:
            refused = client.get("/go", params={"to": hostile})
            assert refused.status_code == 400, hostile
            assert "Refusing to redirect: " in refused.text


@pytest.mark.parametrize(
    "good",
    ["/a?b=1", "/", "?page=2", "#top", "https://shop.test/x", "http://shop.test",
     "HTTPS://SHOP.TEST/x", "https://cdn.test/", "https://cdn.test:8443/a",
     "https://me@shop.test/", "/%2F%2Fevil.example", "/posts/1#c-2"],
)  # fmt: skip
def test_safe_redirect_targets(good: str) -> None:
    assert is_safe_url(good, "shop.test", ("cdn.test",)), good


@pytest.mark.parametrize(
    "bad",
    ["//evil", "///evil", " //evil", "/\\evil.example", "\\\\evil.example", "https://evil",
     "http:evil", "http:/evil.example", "https:evil.example", "https:///evil.example",
     "data:x", "data:text/html,<script>alert(1)</script>", "javascript:alert(1)",
     "javascript:alert(1)/x", "JavaScript://shop.test/%0aalert(1)", "", "/\t/evil.example",
     "/x\r\nSet-Cookie: a=b", "/x\x00", "/x\x7f", "evil/x", "evil", "ftp://shop.test/",
     "https://shop.test@evil.example/", "https://shop.test.evil.example/",
     "https://shop.test:99999x/", "https://evil.example\\@shop.test/", "http://[::1/"],
)  # fmt: skip
def test_unsafe_redirect_targets(bad: str) -> None:
    assert not is_safe_url(bad, "shop.test", ("cdn.test",)), bad


def test_passwords_are_argon2id_and_verified() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$") and hashed != hash_password("correct horse")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "correct horsE")
    assert not verify_password("not a hash", "x")
    assert not password_needs_rehash(hashed)


def test_signed_bearer_tokens(make_app: Any) -> None:
    app = make_app()
    signer = TokenSigner.for_app(app, max_age=60)
    app.get("/api/data", lambda ctx: {"ok": True}, filters=[BearerAuth(check=signer.verify)])
    token = signer.issue({"user": 1})
    assert signer.verify(token) == {"user": 1}
    assert TokenSigner("other key").verify(token) is None
    assert TokenSigner(app.secret_key, max_age=-1).verify(token) is None  # expired
    with TestClient(app) as client:
        assert client.get("/api/data", headers={"Authorization": f"Bearer {token}"}).json() == {
            "ok": True
        }
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert (
            client.get("/api/data", headers={"Authorization": f"Bearer {forged}"}).status_code
            == 401
        )


def test_login_rotates_the_csrf_token(session_app: Callable[..., App]) -> None:
    app = session_app()
    app.get("/token", lambda ctx: ctx.session.csrf_token())

    def sign_in(ctx: Any) -> str:
        login(ctx, 7)
        return "in"

    app.get("/in", sign_in)
    with TestClient(app) as client:
        before = client.get("/token").text
        client.get("/in")
        after = client.get("/token").text
        assert before != after and client.get("/token").text == after


def test_jwt_bearer_tokens(make_app: Any) -> None:
    import jwt

    app = make_app(session={"old_secret_keys": ["retired-key-0123456789-0123456789-x"]})
    signer = JWTSigner.for_app(app, max_age=60, issuer="shop")
    app.get("/api/jwt", lambda ctx: {"ok": True}, filters=[BearerAuth(check=signer.verify)])
    token = signer.issue({"user": 1})
    assert signer.verify(token) == {"user": 1}
    old = JWTSigner("retired-key-0123456789-0123456789-x", 60, issuer="shop").issue({"user": 2})
    assert signer.verify(old) == {"user": 2}  # key rotation
    assert JWTSigner("another-key-0123456789-0123456789-xy").verify(token) is None
    assert JWTSigner(app.secret_key, issuer="elsewhere").verify(token) is None
    assert (
        JWTSigner(app.secret_key, max_age=-10, issuer="shop").verify(
            JWTSigner(app.secret_key, max_age=-10, issuer="shop").issue(1)
        )
        is None
    )  # expired
    unsigned = jwt.encode({"data": 1, "exp": 2**40, "iat": 0}, None, algorithm="none")
    assert signer.verify(unsigned) is None  # alg=none is refused
    with TestClient(app) as client:
        ok = client.get("/api/jwt", headers={"Authorization": f"Bearer {token}"})
        assert ok.json() == {"ok": True}
        refused = client.get("/api/jwt", headers={"Authorization": f"Bearer {token}x"})
        assert refused.status_code == 401
