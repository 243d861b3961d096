import asyncio
import threading
from typing import Any

import pytest

from mvcpy import ConfigurationError, Controller, HTTPError
from mvcpy.testing import TestClient


class PostsController(Controller):
    def index(self) -> Any:
        return {"action": "index"}

    def create(self) -> Any:
        return self.json({"action": "create"}, 201)

    def show(self, id: int, full: bool = False) -> Any:
        return {"id": id, "full": full}

    def handle(self) -> Any:
        return {"method": self.request.method}


def test_mapping_strings(make_app) -> None:
    app = make_app()
    app.router("/posts", PostsController, "get:index;post:create", name="posts")
    app.router("/posts/{id:int}", PostsController, "get:show", name="posts.show")
    app.router("/both", PostsController, "get,post:handle")
    app.router("/any", PostsController, "*:handle", name="any")
    with TestClient(app) as client:
        assert client.get("/posts").json() == {"action": "index"}
        response = client.post("/posts")
        assert response.status_code == 201 and response.json() == {"action": "create"}
        assert client.get("/posts/7").json() == {"id": 7, "full": False}
        assert client.post("/both").json() == {"method": "POST"}
        assert client.put("/both").status_code == 405
        assert client.patch("/any").json() == {"method": "PATCH"}
        assert client.delete("/any").json() == {"method": "DELETE"}
    assert app.url_for("posts") == "/posts"
    assert app.url_for("PostsController.index") == "/posts"
    assert app.url_for("PostsController.create") == "/posts"
    assert app.url_for("posts.show", id=3) == "/posts/3"


class VerbController(Controller):
    def get(self) -> str:
        return "<p>get</p>"

    def post(self) -> str:
        return "post"

    def options(self) -> Any:
        return self.text("custom options", 200)


def test_http_verb_methods_without_mapping(make_app) -> None:
    app = make_app()
    app.router("/", VerbController, name="home")
    with TestClient(app) as client:
        response = client.get("/")
        assert response.text == "<p>get</p>"
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert client.post("/").text == "post"
        assert client.options("/").text == "custom options"
        assert client.delete("/").status_code == 405
    assert app.url_for("home") == "/"
    assert app.url_for("VerbController.post") == "/"


def test_bad_mappings_fail_at_registration(make_app) -> None:
    app = make_app()
    with pytest.raises(ConfigurationError, match=r"PostsController\.missing, which does not exist"):
        app.router("/x", PostsController, "get:missing")
    with pytest.raises(ConfigurationError, match="bad mapping rule"):
        app.router("/x", PostsController, "index")
    with pytest.raises(ConfigurationError, match="mapped twice"):
        app.router("/x", PostsController, "get:index;get:create")

    class Empty(Controller):
        pass

    with pytest.raises(ConfigurationError, match="has none of the methods"):
        app.router("/x", Empty)
    with pytest.raises(ConfigurationError, match="not a Controller"):
        app.router("/x", object)  # type: ignore[arg-type]


def test_path_and_query_binding(make_app) -> None:
    class Binding(Controller):
        def show(self, id: int, tags: str = "", page: int = 1, ratio: float = 1.0) -> Any:
            return {"id": id, "tags": tags, "page": page, "ratio": ratio}

        def required(self, q: str) -> Any:
            return {"q": q}

        def plain(self, slug: int) -> Any:
            return {"slug": slug}

    app = make_app()
    app.router("/b/{id:int}", Binding, "get:show")
    app.router("/r", Binding, "get:required")
    app.router("/p/{slug}", Binding, "get:plain")
    with TestClient(app) as client:
        assert client.get("/b/5", params={"page": "3", "tags": "a", "ratio": "2.5"}).json() == {
            "id": 5,
            "tags": "a",
            "page": 3,
            "ratio": 2.5,
        }
        bad = client.get("/b/5?page=three")
        assert bad.status_code == 400
        assert "page" in bad.json()["error"]["message"]
        missing = client.get("/r")
        assert missing.status_code == 400
        assert "Missing query parameter 'q'" in missing.json()["error"]["message"]
        assert client.get("/r?q=x").json() == {"q": "x"}
        # A plain {slug} annotated int: a conversion failure is a 404, not a 400 or 500.
        assert client.get("/p/12").json() == {"slug": 12}
        assert client.get("/p/twelve").status_code == 404
        # An int converter that does not match (or overflows 64 bits) is a 404.
        assert client.get("/b/abc").status_code == 404
        assert client.get("/b/99999999999999999999999").status_code == 404


def test_lifecycle_order_and_finish_after_error(make_app) -> None:
    calls: list[str] = []

    class Life(Controller):
        def prepare(self) -> None:
            calls.append("prepare")

        def ok(self) -> Any:
            calls.append("action")
            return {"ok": True}

        def boom(self) -> Any:
            calls.append("action")
            raise RuntimeError("boom")

        def finish(self) -> None:
            calls.append("finish")

    app = make_app()
    app.router("/ok", Life, "get:ok")
    app.router("/boom", Life, "get:boom")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/ok").json() == {"ok": True}
        assert calls == ["prepare", "action", "finish"]
        calls.clear()
        assert client.get("/boom").status_code == 500
        assert calls == ["prepare", "action", "finish"]


def test_prepare_can_end_the_request(make_app) -> None:
    class Guarded(Controller):
        def prepare(self) -> Any:
            mode = self.get_string("mode")
            if mode == "redirect":
                return self.redirect("home")
            if mode == "abort":
                self.abort(403, "members only")
            if mode == "response":
                return self.text("from prepare")
            return None

        def get(self) -> Any:
            return self.text("action")

    app = make_app()
    app.router("/", Guarded, name="home")
    with TestClient(app) as client:
        assert client.get("/").text == "action"
        redirect = client.get("/?mode=redirect")
        assert redirect.status_code == 302 and redirect.headers["location"] == "/"
        denied = client.get("/?mode=abort")
        assert denied.status_code == 403
        assert denied.json()["error"]["message"] == "members only"
        assert client.get("/?mode=response").text == "from prepare"


def test_sync_lifecycle_runs_on_one_worker_thread(make_app) -> None:
    seen: dict[str, Any] = {}

    class Blocking(Controller):
        def prepare(self) -> None:
            seen["prepare"] = threading.get_ident()

        def get(self) -> Any:
            seen["action"] = threading.get_ident()
            seen["action_thread"] = threading.current_thread().name
            return {}

        def finish(self) -> None:
            seen["finish"] = threading.get_ident()

    class NonBlocking(Controller):
        async def get(self) -> Any:
            asyncio.get_running_loop()  # raises when not on the loop
            seen["async"] = threading.current_thread().name
            return {}

    app = make_app(worker_threads=4)
    app.router("/sync", Blocking)
    app.router("/async", NonBlocking)
    with TestClient(app) as client:
        client.get("/sync")
        client.get("/async")
    assert seen["prepare"] == seen["action"] == seen["finish"]
    assert seen["action_thread"].startswith("mvcpy-worker")
    assert seen["async"] == "mvcpy-test-loop"


def test_mixed_sync_and_async_hooks(make_app) -> None:
    seen: dict[str, str] = {}

    class Mixed(Controller):
        def prepare(self) -> None:
            seen["prepare"] = threading.current_thread().name

        async def get(self) -> Any:
            seen["action"] = threading.current_thread().name
            return {"ok": True}

    app = make_app()
    app.router("/", Mixed)
    with TestClient(app) as client:
        assert client.get("/").json() == {"ok": True}
    assert seen["prepare"].startswith("mvcpy-worker")
    assert seen["action"] == "mvcpy-test-loop"


def test_input_helpers(make_app) -> None:
    class Inputs(Controller):
        def post(self) -> Any:
            return {
                "s": self.get_string("s", "default"),
                "i": self.get_int("i", 0),
                "f": self.get_float("f"),
                "b": self.get_bool("b", False),
                "many": self.get_strings("many"),
                "missing": self.get_int("missing", 42),
            }

    class AsyncInputs(Controller):
        async def post(self) -> Any:
            return {"s": self.get_string("s"), "i": self.get_int("i")}

    app = make_app()
    app.router("/sync", Inputs)
    app.router("/async", AsyncInputs)
    with TestClient(app) as client:
        form = {"s": "form wins", "i": "7", "f": "1.5", "b": "yes", "many": ["a", "b"]}
        data = client.post("/sync?s=query&many=c", data=form).json()
        assert data == {
            "s": "form wins",
            "i": 7,
            "f": 1.5,
            "b": True,
            "many": ["a", "b", "c"],
            "missing": 42,
        }
        assert client.post("/sync?s=q").json()["s"] == "q"
        bad = client.post("/sync", data={"i": "seven"})
        assert bad.status_code == 400
        assert "'i' must be an integer" in bad.json()["error"]["message"]
        assert client.post("/async", data={"s": "x", "i": "3"}).json() == {"s": "x", "i": 3}
        multipart = client.post("/async", data={"s": "m", "i": "1"}, files={"f": ("a.txt", b"x")})
        assert multipart.json() == {"s": "m", "i": 1}


def test_return_conventions(make_app) -> None:
    class Returns(Controller):
        def as_dict(self) -> Any:
            return {"a": 1}

        def as_list(self) -> Any:
            return [1, 2]

        def as_str(self) -> Any:
            return "<h1>hi</h1>"

        def as_bytes(self) -> Any:
            return b"\x00\x01"

        def as_text(self) -> Any:
            return self.text("plain", 202)

        def as_html(self) -> Any:
            return self.html("<i>x</i>")

        def as_int(self) -> Any:
            return 5

    app = make_app()
    for action in ("as_dict", "as_list", "as_str", "as_bytes", "as_text", "as_html", "as_int"):
        app.router(f"/{action}", Returns, f"get:{action}")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/as_dict").json() == {"a": 1}
        assert client.get("/as_list").json() == [1, 2]
        response = client.get("/as_str")
        assert response.headers["content-type"].startswith("text/html")
        assert client.get("/as_bytes").headers["content-type"] == "application/octet-stream"
        text = client.get("/as_text")
        assert text.status_code == 202 and text.headers["content-type"].startswith("text/plain")
        assert client.get("/as_html").text == "<i>x</i>"
        assert client.get("/as_int").status_code == 500


def test_auto_render_by_convention(make_app, views) -> None:
    views(
        "layout.html",
        "<title>{% block title %}{% endblock %}</title>{% block body %}{% endblock %}",
    )
    views(
        "user_profile/show.html",
        '{% extends "layout.html" %}{% block title %}{{ name }}{% endblock %}'
        "{% block body %}<a href=\"{{ url_for('profile', id=1) }}\">"
        "{{ urlfor('profile', id=2) }}</a>{% endblock %}",
    )
    views("custom.html", "custom {{ name }}")

    class UserProfileController(Controller):
        def show(self, id: int) -> None:
            self.data["name"] = "<Ann>"

        def chosen(self) -> None:
            self.data["name"] = "B"
            self.tpl_name = "custom.html"

        def missing(self) -> None:
            return None

    app = make_app()
    app.router("/profiles/{id:int}", UserProfileController, "get:show", name="profile")
    app.router("/chosen", UserProfileController, "get:chosen")
    app.router("/missing", UserProfileController, "get:missing")
    with TestClient(app) as client:
        response = client.get("/profiles/1")
        assert response.text == '<title>&lt;Ann&gt;</title><a href="/profiles/1">/profiles/2</a>'
        assert response.template == "user_profile/show.html"
        assert response.context is not None and response.context["name"] == "<Ann>"
        assert client.get("/chosen").text == "custom B"
        with pytest.raises(Exception, match=r"user_profile/missing\.html.*looked for"):
            client.get("/missing")


def test_headers_and_cookies_apply_to_any_response(make_app) -> None:
    class Cookies(Controller):
        def get(self) -> Any:
            self.set_header("X-Frame", "deny")
            self.set_cookie("theme", "dark", max_age=60, secure=True, samesite="strict")
            self.delete_cookie("old")
            return {"ok": True}

    app = make_app()
    app.router("/", Cookies)
    with TestClient(app) as client:
        response = client.get("/")
        assert response.headers["x-frame"] == "deny"
        cookies = response.headers.get_list("set-cookie")
        theme = next(c for c in cookies if c.startswith("theme="))
        assert "Max-Age=60" in theme and "Secure" in theme and "HttpOnly" in theme
        assert "SameSite=Strict" in theme
        old = next(c for c in cookies if c.startswith("old="))
        assert "Max-Age=0" in old
        assert client.cookies.get("theme") == "dark"


def test_controller_and_request_accept_user_attributes(make_app) -> None:
    class Attrs(Controller):
        def get(self) -> Any:
            self.request.user = "ann"  # type: ignore[attr-defined]
            self.extra = 1  # type: ignore[attr-defined]
            return {"user": self.request.user, "extra": self.extra}  # type: ignore[attr-defined]

    app = make_app()
    app.router("/", Attrs)
    with TestClient(app) as client:
        assert client.get("/").json() == {"user": "ann", "extra": 1}


def test_abort_raises_http_error() -> None:
    from mvcpy import abort

    with pytest.raises(HTTPError) as info:
        abort(418, "teapot", {"x-a": "b"})
    assert info.value.status == 418 and info.value.message == "teapot"
    assert info.value.headers == {"x-a": "b"}
    assert HTTPError(404).message == "Not Found"
