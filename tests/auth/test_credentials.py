"""One user for every credential: session, token loader, BearerAuth; session binding,
"remember me", permissions, throttles, link tokens and the test client's session helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mvcpy import App, Controller
from mvcpy.auth import (
    AuthThrottle,
    LinkTokens,
    hash_password,
    login_required,
    require,
    verify_password,
)
from mvcpy.filters.auth import BearerAuth
from mvcpy.testing import TestClient


@dataclass
class User:
    id: int
    name: str
    password_hash: str = field(default_factory=lambda: hash_password("old password"))
    permissions: frozenset[str] = frozenset()

    def has_permission(self, name: str) -> bool:
        return name in self.permissions


@dataclass
class Post:
    id: int
    user_id: int


USERS = {1: User(1, "ann", permissions=frozenset({"posts.edit"})), 2: User(2, "bob")}
TOKENS = {"ann-token": 1, "bob-token": 2}


class Account(Controller):
    def whoami(self) -> dict[str, Any]:
        user = self.current_user
        return {"name": user.name if user else None}

    def log_in(self, id: int, remember: bool = True) -> str:
        self.login(USERS[id], remember=remember)
        return "in"

    def change_password(self) -> str:
        user = self.current_user
        user.password_hash = hash_password("new password")
        self.login(user)  # this session goes on, under a new id, bound to the new hash
        return "changed"

    def edit_post(self, id: int) -> str:
        self.authorize("posts.edit", owner_of=Post(id, user_id=id))
        return "editing"

    def post_page(self) -> Any:
        return self.render("post.html", post=Post(7, user_id=2))

    def notice(self) -> str:
        self.flash("Saved.", "success")
        return "flashed"


def _app(tmp_path: Path, **config: Any) -> App:
    (tmp_path / "views").mkdir(exist_ok=True)
    (tmp_path / "views" / "post.html").write_text(
        "{% if can('posts.edit') %}edit{% else %}read{% endif %}"
        "|{% if can(owner_of=post) %}mine{% endif %}"
    )
    app = App(root_path=tmp_path, env="test", config=config)

    @app.user_loader
    def load_user(user_id: int, ctx: Any) -> User | None:
        assert ctx.request is not None  # the loader gets the request context
        return USERS.get(user_id)

    @app.token_loader
    async def load_token(token: str, ctx: Any) -> User | None:
        user_id = TOKENS.get(token)
        return USERS.get(user_id) if user_id else None

    app.router("/whoami", Account, "get:whoami")
    app.router("/login/{id:int}", Account, "post:log_in")
    app.router("/password", Account, "post:change_password", filters=[login_required])
    app.router("/posts/{id:int}/edit", Account, "get:edit_post")
    app.router("/notice", Account, "post:notice")
    app.route("/private", lambda ctx: {"ok": True}, ("GET",), "private", filters=[login_required])
    app.route("/editors", lambda ctx: {"ok": True}, ("GET",), "editors",
              filters=[require("posts.edit")])  # fmt: skip
    app.route("/login", lambda ctx: "the login page", ("GET",), "login")
    app.router("/post", Account, "get:post_page")
    return app


@pytest.fixture(autouse=True)
def _fresh_users() -> None:
    for user in USERS.values():
        user.password_hash = hash_password("old password")


def test_a_token_with_either_scheme_is_the_current_user_everywhere(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path)) as client:
        assert client.get("/whoami").json() == {"name": None}  # optional: anonymous is fine
        for scheme in ("Token", "Bearer", "token"):
            headers = {"Authorization": f"{scheme} ann-token"}
            assert client.get("/whoami", headers=headers).json() == {"name": "ann"}
            assert client.get("/private", headers=headers).json() == {"ok": True}
            assert client.get("/editors", headers=headers).json() == {"ok": True}
        bob = {"Authorization": "Token bob-token"}
        refused = client.get("/editors", headers=bob)
        assert refused.status_code == 403 and refused.json()["error"]["message"] == "not allowed"
        assert client.get("/posts/2/edit", headers=bob).text == "editing"  # his own
        assert client.get("/posts/1/edit", headers=bob).status_code == 403
        assert client.get("/private", headers={"Accept": "application/json"}).status_code == 401
        # A token the loader refuses is a 401 wherever it is sent, optional routes too.
        for path in ("/whoami", "/private"):
            bad = client.get(path, headers={"Authorization": "Token forged"})
            assert bad.status_code == 401
            assert bad.headers["www-authenticate"] == 'Bearer realm="mvcpy", error="invalid_token"'
        # Other schemes are left to other filters: Basic is no token here.
        basic = client.get("/whoami", headers={"Authorization": "Basic YTpi"})
        assert basic.json() == {"name": None}


def test_the_schemes_are_configurable(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path, auth={"token_schemes": ["Token"]})) as client:
        assert client.get("/whoami", headers={"Authorization": "Token ann-token"}).json() == {
            "name": "ann"
        }
        bearer = client.get("/whoami", headers={"Authorization": "Bearer ann-token"})
        assert bearer.json() == {"name": None}


def test_permissions_refuse_html_and_json_clients_alike(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path)) as client:
        page = client.get("/editors", headers={"Accept": "text/html"})
        assert page.status_code == 302 and page.headers["location"] == "/login?next=/editors"
        client.post("/login/2")
        html = client.get("/editors", headers={"Accept": "text/html"})
        assert html.status_code == 403 and "text/html" in html.headers["content-type"]
        assert client.get("/editors").status_code == 403
        assert client.get("/post").text == "read|mine"
        client.post("/login/1")
        assert client.get("/editors").json() == {"ok": True}
        assert client.get("/post").text == "edit|"
        anonymous = TestClient(client.app)
        assert anonymous.get("/posts/1/edit").status_code == 401


def test_a_password_change_ends_every_other_session(tmp_path: Path) -> None:
    app = _app(tmp_path, session={"backend": "memory"})
    with TestClient(app) as laptop, TestClient(app) as phone:
        laptop.post("/login/1")
        phone.post("/login/1")
        assert phone.get("/whoami").json() == {"name": "ann"}
        old_cookie = laptop.cookies["session"]
        assert laptop.post("/password").text == "changed"
        assert laptop.cookies["session"] != old_cookie  # rotated
        assert laptop.get("/whoami").json() == {"name": "ann"}
        assert phone.get("/whoami").json() == {"name": None}  # logged out
        assert phone.get("/private", headers={"Accept": "text/html"}).status_code == 302


def test_the_binding_holds_with_the_cookie_backend_too(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path)) as laptop, TestClient(laptop.app) as phone:
        laptop.post("/login/1")
        phone.cookies = laptop.cookies  # a copied cookie: the same login elsewhere
        USERS[1].password_hash = hash_password("reset by mail")
        assert phone.get("/whoami").json() == {"name": None}


def test_remember_me_decides_whether_the_cookie_outlives_the_browser(tmp_path: Path) -> None:
    for backend in ("cookie", "memory"):
        with TestClient(_app(tmp_path, session={"backend": backend})) as client:
            remembered = client.post("/login/1").headers["set-cookie"]
            assert "Max-Age=1209600" in remembered
            transient = client.post("/login/1?remember=false").headers["set-cookie"]
            assert "Max-Age" not in transient and "Expires" not in transient
            assert client.get("/whoami").json() == {"name": "ann"}


def test_bearer_auth_takes_schemes_an_optional_mode_and_the_context(tmp_path: Path) -> None:
    seen: list[str] = []

    def check(token: str, ctx: Any) -> User | None:
        seen.append(ctx.request.path)
        return USERS[1] if token == "t0ken" else None

    class Feed(Controller):
        def get(self) -> dict[str, Any]:
            user = self.current_user
            return {"for": user.name if user else "everyone"}

    app = App(root_path=tmp_path, env="test")
    app.router(
        "/feed", Feed, filters=[BearerAuth(check, scheme=("Token", "Bearer"), optional=True)]
    )
    with TestClient(app) as client:
        assert client.get("/feed").json() == {"for": "everyone"}
        assert client.get("/feed", headers={"Authorization": "Token t0ken"}).json() == {
            "for": "ann"
        }
        assert client.get("/feed", headers={"Authorization": "Token nope"}).status_code == 401
        assert client.get("/feed", headers={"Authorization": "Token "}).status_code == 401
    assert seen == ["/feed", "/feed"]


def test_throttles_count_per_account_and_per_address(tmp_path: Path) -> None:
    app = App(root_path=tmp_path, env="test", config={"auth": {"throttle_rate": "3/minute"}})
    by_email, by_ip = AuthThrottle("email"), AuthThrottle("ip")
    app.route("/session", lambda ctx: "wrong password", ("POST",), "s1", filters=[by_email])
    app.route("/other", lambda ctx: "wrong password", ("POST",), "s2", filters=[by_ip])
    with TestClient(app) as client:
        codes = [client.post("/session", data={"email": " Ann@Example.com"}).status_code
                 for _ in range(4)]  # fmt: skip
        assert codes == [200, 200, 200, 429]
        again = client.post("/session", json={"user": {"email": "ann@example.com"}})
        assert again.status_code == 429 and int(again.headers["retry-after"]) >= 1
        assert client.post("/session", data={"email": "bob@example.com"}).status_code == 200
        codes = [client.post("/other", data={"email": f"{n}@example.com"}).status_code
                 for n in range(4)]  # fmt: skip
        assert codes == [200, 200, 200, 429]


def test_a_wrong_throttle_rate_stops_startup(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a rate"):
        App(root_path=tmp_path, env="test", config={"auth": {"throttle_rate": "often"}})


def test_link_tokens_die_when_forged_expired_reused_or_misdirected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = LinkTokens("k" * 32)
    token = tokens.issue("reset", 7, "hash-1")
    claim = tokens.verify("reset", token, max_age=3600)
    assert claim is not None and claim.user_id == 7 and claim.matches("hash-1")
    assert not claim.matches("hash-2")  # the password changed: the link is used up
    assert tokens.verify("confirm", token, max_age=3600) is None  # another purpose
    assert tokens.verify("reset", token[:-2] + "xx", max_age=3600) is None  # forged
    assert LinkTokens("other key" * 4).verify("reset", token, max_age=3600) is None
    later = time.time() + 7200
    monkeypatch.setattr(time, "time", lambda: later)
    assert tokens.verify("reset", token, max_age=3600) is None  # expired


def test_an_unknown_user_costs_a_password_check_and_never_matches() -> None:
    assert verify_password(None, "mvcpy: no such user") is False
    assert verify_password(None, "anything") is False


@pytest.mark.parametrize("backend", ["cookie", "memory"])
def test_the_test_client_logs_in_reads_and_writes_the_session(tmp_path: Path, backend: str) -> None:
    with TestClient(_app(tmp_path, session={"backend": backend})) as client:
        assert client.session_data() == {}
        client.login_as(USERS[2])
        assert client.get("/whoami").json() == {"name": "bob"}
        assert client.session_data()["_user_id"] == 2
        with client.session_transaction() as session:
            session["cart"] = [3, 4]
        assert client.session_data()["cart"] == [3, 4]
        assert client.get("/whoami").json() == {"name": "bob"}  # still logged in
        client.post("/notice")
        assert client.flashes() == [("success", "Saved.")]
        client.login_as(1)
        assert client.get("/whoami").json() == {"name": "ann"}


def test_the_session_helpers_say_when_sessions_are_off(make_app: Callable[..., App]) -> None:
    app = make_app(session={"enabled": False})
    with TestClient(app) as client, pytest.raises(RuntimeError, match="sessions are off"):
        client.login_as(1)


def test_openapi_shows_the_token_scheme_where_routes_need_or_accept_it(tmp_path: Path) -> None:
    from openapi_spec_validator import validate

    app = _app(tmp_path)
    app.start()
    document = app.openapi()
    validate(document)
    scheme = document["components"]["securitySchemes"]["token"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    private = document["paths"]["/private"]["get"]
    assert private["security"] == [{"token": []}] and "401" in private["responses"]
    assert document["paths"]["/editors"]["get"]["security"] == [{"token": []}]
    optional = document["paths"]["/whoami"]["get"]
    assert optional["security"] == [{}, {"token": []}] and "401" not in optional["responses"]


def test_throttles_share_one_budget_through_redis(tmp_path: Path, redis_url: str) -> None:
    import uuid

    config = {"auth": {"throttle_rate": "3/minute", "throttle_redis_url": redis_url}}
    name = f"test-{uuid.uuid4().hex[:8]}"  # a budget of this test's own in the shared Redis
    workers = []
    for _ in range(2):  # two apps, as two gunicorn workers
        app = App(root_path=tmp_path, env="test", config=config)
        app.route("/session", lambda ctx: "wrong password", ("POST",), "session",
                  filters=[AuthThrottle("email", name=name)])  # fmt: skip
        workers.append(app)
    with TestClient(workers[0]) as one, TestClient(workers[1]) as two:
        form = {"email": "ann@example.com"}
        codes = [client.post("/session", data=form).status_code for client in (one, two, one, two)]
    assert codes == [200, 200, 200, 429]


def test_rotating_the_secret_key_keeps_users_logged_in(tmp_path: Path) -> None:
    old, new = "o" * 40, "n" * 40
    with TestClient(_app(tmp_path, secret_key=old)) as before:
        before.post("/login/1")
        cookies = before.cookies
    rotated = _app(tmp_path, secret_key=new, session={"old_secret_keys": [old]})
    with TestClient(rotated, cookies=cookies) as after:
        assert after.get("/whoami").json() == {"name": "ann"}


def test_mvcpy_check_warns_when_workers_count_attempts_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mvcpy.readiness import run_checks

    monkeypatch.setenv("WEB_CONCURRENCY", "3")

    def check(**auth: Any) -> Any:
        config = {"secret_key": "s" * 40, "auth": auth}
        app = App(root_path=tmp_path, env="prod", config=config)
        app.route("/login", lambda ctx: "", ("POST",), "login", filters=[AuthThrottle("email")])
        app.start()
        (result,) = [r for r in run_checks(app) if r.name == "auth_throttle"]
        return result

    apart = check()
    assert apart.warning and "3 x 10/minute" in apart.message
    shared = check(throttle_redis_url="redis://127.0.0.1:6379/0")
    assert not shared.warning and "shared in Redis" in shared.message


def test_without_a_user_loader_the_id_is_the_user_whatever_was_logged_in(tmp_path: Path) -> None:
    class Plain(Controller):
        def post(self) -> str:
            self.login(USERS[1])  # an object: its id is kept, and its binding
            return "in"

        def get(self) -> Any:
            return {"user": self.current_user}

    app = App(root_path=tmp_path, env="test")
    app.router("/me", Plain)
    with TestClient(app) as client:
        client.post("/me")
        assert client.get("/me").json() == {"user": 1}
