import logging
import uuid
from typing import Any

import pytest

from mvcpy import ConfigurationError, Controller, JSONResponse, URLBuildError
from mvcpy.testing import TestClient


def echo(ctx: Any) -> Any:
    return {"route": ctx.route_name, "params": {k: str(v) for k, v in ctx.params.items()}}


def test_precedence_and_backtracking_through_the_app(make_app) -> None:
    app = make_app()
    app.get("/users/new", echo, name="new")
    app.get("/users/{id:int}", echo, name="by_id")
    app.get("/users/{name}", echo, name="by_name")
    app.get("/users/{name}/posts", echo, name="posts")
    app.get("/files/readme", echo, name="readme")
    app.get("/files/*path", echo, name="file")
    app.get("/a/:x/b", echo, name="shorthand")
    app.get("/codes/{code:[0-9]{3}}", echo, name="code")
    app.get("/ids/{u:uuid}", echo, name="uuid")
    with TestClient(app) as client:
        assert client.get("/users/new").json()["route"] == "new"
        assert client.get("/users/12").json()["route"] == "by_id"
        assert client.get("/users/ann").json()["route"] == "by_name"
        assert client.get("/users/new/posts").json() == {
            "route": "posts",
            "params": {"name": "new"},
        }
        assert client.get("/files/readme").json()["route"] == "readme"
        assert client.get("/files/docs/a b.txt").json() == {
            "route": "file",
            "params": {"path": "docs/a b.txt"},
        }
        assert client.get("/a/1/b").json() == {"route": "shorthand", "params": {"x": "1"}}
        assert client.get("/codes/404").json()["route"] == "code"
        assert client.get("/codes/40").status_code == 404
        u = uuid.uuid4()
        assert client.get(f"/ids/{u}").json() == {"route": "uuid", "params": {"u": str(u)}}
        # %2F inside a segment stays inside that segment
        assert client.get("/users/a%2Fb").json() == {"route": "by_name", "params": {"name": "a/b"}}


def test_ambiguous_registration_names_both_routes(make_app) -> None:
    app = make_app()
    app.get("/users/{id}", echo, name="one")
    with pytest.raises(ConfigurationError) as info:
        app.get("/users/{name}", echo, name="two")
        app.start()
    assert "/users/{id}" in str(info.value) and "/users/{name}" in str(info.value)


def test_duplicate_names_are_refused(make_app) -> None:
    app = make_app()
    app.get("/a", echo, name="same")
    with pytest.raises(ConfigurationError, match="route name 'same' is used twice"):
        app.get("/b", echo, name="same")


def test_shadowed_route_is_reported(make_app, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app()
    app.get("/s/{x:[a-z0-9]+}", echo, name="wide")
    app.get("/s/{n:int}", echo, name="narrow")
    with caplog.at_level(logging.WARNING, logger="mvcpy.routing"):
        app.start()
    assert any("can never match" in r.getMessage() for r in caplog.records)
    assert app.route_table.shadowed()


def test_404_405_head_options(make_app) -> None:
    app = make_app()
    app.get("/thing", lambda ctx: JSONResponse({"x": 1}, headers={"x-custom": "1"}), name="thing")
    app.post("/thing", lambda ctx: {"posted": True}, name="thing.post")
    with TestClient(app) as client:
        missing = client.get("/nothing")
        assert missing.status_code == 404
        assert missing.json() == {"error": {"status": 404, "message": "Not Found"}}
        wrong = client.delete("/thing")
        assert wrong.status_code == 405
        assert wrong.headers["allow"] == "GET, HEAD, OPTIONS, POST"
        head = client.head("/thing")
        get = client.get("/thing")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == get.headers["content-length"]
        assert head.headers["x-custom"] == "1"
        options = client.options("/thing")
        assert options.status_code == 204 and options.headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_custom_not_found_method_not_allowed_and_options_handlers(make_app) -> None:
    app = make_app()
    app.get("/x", echo)
    app.error_handler(404, lambda ctx, exc: JSONResponse({"nope": ctx.request.path}, 404))
    app.error_handler(405, lambda ctx, exc: JSONResponse({"allowed": exc.headers["allow"]}, 405))
    app.options_handler(lambda ctx, allowed: JSONResponse({"methods": list(allowed)}))
    with TestClient(app) as client:
        assert client.get("/y").json() == {"nope": "/y"}
        response = client.post("/x")
        assert response.json() == {"allowed": "GET, HEAD, OPTIONS"}
        assert response.headers["allow"] == "GET, HEAD, OPTIONS"
        assert client.options("/x").json() == {"methods": ["GET", "HEAD", "OPTIONS"]}


def test_trailing_slash_redirects_and_strict_mode(make_app) -> None:
    app = make_app()
    app.get("/a", echo, name="a")
    app.route("/b/", echo, methods=["POST"], name="b")
    with TestClient(app) as client:
        response = client.get("/a/?q=1")
        assert response.status_code == 301 and response.headers["location"] == "/a?q=1"
        response = client.post("/b")
        assert response.status_code == 308 and response.headers["location"] == "/b/"
        assert client.get("/a/", follow_redirects=True).json()["route"] == "a"
    strict = make_app(strict_slashes=True)
    strict.get("/a", echo)
    with TestClient(strict) as client:
        assert client.get("/a/").status_code == 404


def test_fixed_path_redirect_is_opt_in(make_app) -> None:
    app = make_app(redirect_fixed_path=True)
    app.get("/Users/{id:int}/Profile", echo, name="profile")
    app.get("/docs/intro", echo, name="intro")
    with TestClient(app) as client:
        assert client.get("/docs//intro").headers["location"] == "/docs/intro"
        response = client.get("/users/5/profile")
        assert response.status_code == 301 and response.headers["location"] == "/Users/5/Profile"
    # httpx removes dot segments itself, so ask the route table directly for those.
    for path in ("/docs/./intro", "/docs/x/../intro"):
        route, _, miss = app.route_table.match("GET", path)
        assert route is None and miss is not None
        assert (miss.status, miss.location) == (301, "/docs/intro")
    plain = make_app()
    plain.get("/docs/intro", echo)
    with TestClient(plain) as client:
        assert client.get("/docs//intro").status_code == 404


def test_malformed_escapes_are_400(make_app) -> None:
    app = make_app()
    app.get("/x/{v}", echo)
    with TestClient(app) as client:
        assert client.get("/x/%zz").status_code == 400
        assert client.get("/x/%").status_code == 400
        assert client.get("/x/%ff").status_code == 400  # not UTF-8
        assert client.get("/x/%C3%A9").json()["params"] == {"v": "é"}


class ArticlesController(Controller):
    def index(self) -> Any:
        return {"a": "index"}

    def new(self) -> Any:
        return {"a": "new"}

    def create(self) -> Any:
        return {"a": "create"}

    def show(self, id: int) -> Any:
        return {"a": "show", "id": id}

    def edit(self, id: int) -> Any:
        return {"a": "edit", "id": id}

    def update(self, id: int) -> Any:
        return {"a": "update", "id": id}

    def destroy(self, id: int) -> Any:
        return {"a": "destroy", "id": id}


def test_resource_routes_and_names(make_app) -> None:
    app = make_app()
    app.resource("/articles", ArticlesController, param="id:int")
    with TestClient(app) as client:
        assert client.get("/articles").json() == {"a": "index"}
        assert client.get("/articles/new").json() == {"a": "new"}
        assert client.post("/articles").json() == {"a": "create"}
        assert client.get("/articles/3").json() == {"a": "show", "id": 3}
        assert client.get("/articles/3/edit").json() == {"a": "edit", "id": 3}
        assert client.put("/articles/3").json() == {"a": "update", "id": 3}
        assert client.patch("/articles/3").json() == {"a": "update", "id": 3}
        assert client.delete("/articles/3").json() == {"a": "destroy", "id": 3}
    assert app.url_for("articles.index") == "/articles"
    assert app.url_for("articles.new") == "/articles/new"
    assert app.url_for("articles.create") == "/articles"
    assert app.url_for("articles.show", id=3) == "/articles/3"
    assert app.url_for("articles.edit", id=3) == "/articles/3/edit"
    assert app.url_for("articles.update", id=3) == "/articles/3"
    assert app.url_for("articles.destroy", id=3) == "/articles/3"


def test_namespaces_nest_prefixes_names_and_filters(make_app) -> None:
    order: list[str] = []

    def tag(label: str) -> Any:
        async def record(ctx: Any, call_next: Any) -> Any:
            order.append(label)
            response = await call_next(ctx)
            order.append("/" + label)
            return response

        record.__name__ = f"record_{label}"
        return record

    app = make_app()
    app.use(tag("app"))
    with (
        app.namespace("/api", filters=[tag("api")], name_prefix="api.") as api,
        api.namespace("/v1", filters=[tag("v1")], name_prefix="v1.") as v1,
    ):
        v1.get("/items/{id:int}", echo, name="item", filters=[tag("route")])
    app.get("/plain", echo, name="plain")
    with TestClient(app) as client:
        assert client.get("/api/v1/items/4").json()["route"] == "api.v1.item"
        assert order == ["app", "api", "v1", "route", "/route", "/v1", "/api", "/app"]
        order.clear()
        client.get("/plain")
        assert order == ["app", "/app"]
        order.clear()
        client.get("/missing")  # app filters run for 404s too
        assert order == ["app", "/app"]
    assert app.url_for("api.v1.item", id=4) == "/api/v1/items/4"


def test_namespace_error_handlers_take_precedence(make_app) -> None:
    app = make_app()

    def fail(ctx: Any) -> Any:
        raise KeyError("k")

    app.get("/outer", fail)
    admin = app.namespace("/admin")
    admin.get("/inner", fail)
    admin.error_handler(KeyError, lambda ctx, exc: JSONResponse({"by": "admin"}, 409))
    app.error_handler(LookupError, lambda ctx, exc: JSONResponse({"by": "app"}, 410))
    with TestClient(app) as client:
        inner = client.get("/admin/inner")
        assert (inner.status_code, inner.json()) == (409, {"by": "admin"})
        outer = client.get("/outer")
        assert (outer.status_code, outer.json()) == (410, {"by": "app"})


def test_host_routing(make_app) -> None:
    app = make_app()
    with app.namespace(host="api.example.com", name_prefix="api.") as api:
        api.get("/status", echo, name="status")
    with app.namespace(host="{tenant}.shop.test", name_prefix="shop.") as shop:
        shop.get("/", echo, name="home")
    app.get("/status", echo, name="status")
    with TestClient(app) as client:
        assert client.get("/status", headers={"host": "api.example.com"}).json()["route"] == (
            "api.status"
        )
        assert (
            client.get("/status", headers={"host": "www.example.com"}).json()["route"] == "status"
        )
        tenant = client.get("/", headers={"host": "acme.shop.test:8080"})
        assert tenant.json() == {"route": "shop.home", "params": {"tenant": "acme"}}
        assert client.get("/", headers={"host": "shop.test"}).status_code == 404
    assert app.url_for("shop.home", tenant="acme", _external=True) == "http://acme.shop.test/"
    assert app.url_for("api.status", _external=True, _scheme="https") == (
        "https://api.example.com/status"
    )


def test_auto_router(make_app) -> None:
    class ObjectController(Controller):
        def login(self) -> Any:
            return {"action": "login", "method": self.request.method}

        def logout(self, splat: str = "") -> Any:
            return {"action": "logout", "rest": splat}

        def _private(self) -> Any:
            return {}

    app = make_app()
    app.auto_router(ObjectController)
    with TestClient(app) as client:
        assert client.post("/object/login").json() == {"action": "login", "method": "POST"}
        assert client.get("/object/logout/a/b").json() == {"action": "logout", "rest": "a/b"}
        assert client.get("/object/_private").status_code == 404
        assert client.get("/object/prepare").status_code == 404
    assert app.url_for("ObjectController.login") == "/object/login"


def test_url_for(make_app) -> None:
    app = make_app(server_name="example.org")
    app.get("/users/{id:int}/files/*path", echo, name="file")
    app.get("/tags/{tag}", echo, name="tag")
    assert app.url_for("file", id=3, path="a b/c.txt") == "/users/3/files/a%20b/c.txt"
    assert app.url_for("tag", tag="a/b c") == "/tags/a%2Fb%20c"
    assert app.url_for("tag", tag="x", page=2, sort=["a", "b"], skip=None) == (
        "/tags/x?page=2&sort=a&sort=b"
    )
    assert app.url_for("tag", tag="x", _anchor="top part") == "/tags/x#top%20part"
    assert app.url_for("tag", tag="x", _external=True) == "http://example.org/tags/x"
    with pytest.raises(URLBuildError, match=r"no route named 'tags'.*did you mean 'tag'"):
        app.url_for("tags")
    with pytest.raises(URLBuildError, match=r"route 'file'.*missing parameter.*id"):
        app.url_for("file", path="x")
    with pytest.raises(URLBuildError, match="'id'='three'"):
        app.url_for("file", id="three", path="x")


def test_url_for_external_uses_the_request_host(make_app) -> None:
    app = make_app()
    app.get("/me", lambda ctx: {"url": ctx.url_for("me", _external=True)}, name="me")
    with TestClient(app, base_url="https://site.test") as client:
        assert client.get("/me").json() == {"url": "https://site.test/me"}
    with pytest.raises(URLBuildError, match="server_name"):
        app.url_for("me", _external=True)


def test_explain(make_app) -> None:
    app = make_app()
    app.get("/users/new", echo, name="new")
    app.get("/users/{id:int}", echo, name="by_id")
    app.get("/users/{name}", echo, name="by_name")
    app.start()
    text = "\n".join(app.route_table.explain("GET", "/users/ann"))
    assert "by_name" in text and "=>" in text
    assert "ann" in text  # the int conversion failure names the value
    text = "\n".join(app.route_table.explain("POST", "/users/new"))
    assert "405" in text


def test_routes_cannot_change_after_start(make_app) -> None:
    app = make_app()
    app.get("/", echo)
    app.start()
    with pytest.raises(ConfigurationError, match="after the app has started"):
        app.get("/late", echo)
    with pytest.raises(ConfigurationError, match="after the app has started"):
        app.use(lambda ctx, call_next: call_next(ctx))
    with pytest.raises(ConfigurationError, match="after the app has started"):
        app.add_middleware(lambda inner: inner)
