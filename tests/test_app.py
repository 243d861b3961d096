import asyncio
from typing import Any

import pytest
from asgi_correlation_id import CorrelationIdMiddleware

from mvcpy import App
from mvcpy.testing import TestClient


def test_lifespan_hooks_sync_and_async(make_app) -> None:
    events: list[str] = []
    app = make_app()

    @app.on_startup
    def sync_start() -> None:
        events.append("sync start")

    @app.on_startup
    async def async_start() -> None:
        await asyncio.sleep(0)
        events.append("async start")

    app.on_shutdown(lambda: events.append("stop"))
    app.get("/", lambda ctx: {"events": list(events)})
    with TestClient(app) as client:
        assert client.get("/").json() == {"events": ["sync start", "async start"]}
    assert events == ["sync start", "async start", "stop"]


def test_failed_startup_is_reported(make_app) -> None:
    app = make_app()

    @app.on_startup
    def fail() -> None:
        raise RuntimeError("database unreachable")

    with pytest.raises(RuntimeError, match="database unreachable"), TestClient(app):
        pass


def test_third_party_asgi_middleware(make_app) -> None:
    app = make_app()
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    app.get("/", lambda ctx: {})
    with TestClient(app) as client:
        response = client.get("/")
        assert len(response.headers["x-request-id"]) == 32
        echoed = client.get("/", headers={"x-request-id": "a" * 32})
        assert echoed.headers["x-request-id"] == "a" * 32


def test_allowed_hosts(make_app) -> None:
    app = make_app(allowed_hosts=["example.com", ".example.org"])
    app.get("/", lambda ctx: {"ok": True})
    with TestClient(app) as client:
        assert client.get("/", headers={"host": "example.com"}).status_code == 200
        assert client.get("/", headers={"host": "www.example.org:8000"}).status_code == 200
        assert client.get("/", headers={"host": "example.org"}).status_code == 200
        bad = client.get("/", headers={"host": "evil.test"})
        assert bad.status_code == 400 and "Host" in bad.json()["error"]["message"]


def test_websocket_without_routes_is_closed_cleanly(make_app) -> None:
    app = make_app()
    app.start()
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        async def receive() -> Any:
            return {"type": "websocket.connect"}

        async def send(message: Any) -> None:
            sent.append(message)

        await app({"type": "websocket", "path": "/ws", "headers": []}, receive, send)

    asyncio.run(run())
    assert sent == [{"type": "websocket.close", "code": 1000}]


def test_first_request_without_lifespan_starts_the_app(tmp_path) -> None:
    app = App(root_path=tmp_path, env="test")
    app.get("/", lambda ctx: {"ok": True})
    client = TestClient(app)  # no "with": no lifespan
    try:
        assert client.get("/").json() == {"ok": True}
    finally:
        client.close()


def test_app_root_from_import_name() -> None:
    app = App(__name__, env="test")
    assert app.root_path.name == "tests"


@pytest.mark.parametrize(
    ("register", "what"),
    [
        (lambda app: app.error_handler(404, lambda ctx, exc: "gone"), "add an error handler"),
        (lambda app: app.template_filter("shout")(str.upper), "add a template filter"),
        (lambda app: app.template_global("year")(lambda: 2026), "add a template global"),
        (lambda app: app.template_test("even")(lambda n: n % 2 == 0), "add a template test"),
        (lambda app: app.user_loader(lambda user_id: None), "register the user loader"),
        (lambda app: app.use(lambda ctx, call_next: call_next(ctx)), "add a filter"),
        (lambda app: app.on_startup(lambda: None), "add a startup hook"),
        (lambda app: app.provide(1, "one"), "provide a dependency"),
        (lambda app: app.get("/late", lambda ctx: "late"), "add a route"),
    ],
)
def test_registrations_after_startup_are_refused(make_app: Any, register: Any, what: str) -> None:
    from mvcpy import ConfigurationError

    app = make_app()
    app.get("/", lambda ctx: "ok")
    with TestClient(app) as client:
        with pytest.raises(ConfigurationError, match=what):
            register(app)
        assert client.get("/").text == "ok"  # the app goes on serving as it was


def test_handlers_may_return_body_status_and_headers(make_app: Any) -> None:
    from mvcpy import Controller

    class ItemsController(Controller):
        def post(self) -> Any:
            return {"id": 3}, 201, {"location": "/items/3"}

    app = make_app()
    app.get("/conflict", lambda ctx: ({"error": "taken"}, 409))
    app.get("/teapot", lambda ctx: ("<p>short and stout</p>", 418, [("x-pot", "1")]))
    app.router("/items", ItemsController)
    app.get("/bad", lambda ctx: ("x", "200"))
    app.error_handler(404, lambda ctx, exc: ({"missing": ctx.request.path}, 404))
    with TestClient(app, raise_server_exceptions=False) as client:
        conflict = client.get("/conflict")
        assert (conflict.status_code, conflict.json()) == (409, {"error": "taken"})
        teapot = client.get("/teapot")
        assert (teapot.status_code, teapot.headers["x-pot"]) == (418, "1")
        assert teapot.headers["content-type"].startswith("text/html")
        created = client.post("/items")
        assert (created.status_code, created.headers["location"]) == (201, "/items/3")
        assert created.json() == {"id": 3}
        missing = client.get("/nowhere")
        assert (missing.status_code, missing.json()) == (404, {"missing": "/nowhere"})
        assert client.get("/bad").status_code == 500  # a bad status is the app's bug


def test_a_misspelt_http_method_is_refused_at_registration(make_app: Any) -> None:
    from mvcpy import ConfigurationError, Controller

    class Posts(Controller):
        def index(self) -> str:
            return "posts"

    app = make_app()
    with pytest.raises(
        ConfigurationError, match=r"unknown HTTP method 'GTE'; did you mean 'GET'\?"
    ):
        app.router("/posts", Posts, "gte:index")
    with pytest.raises(ConfigurationError, match="unknown HTTP method 'FETCH'"):
        app.route("/ping", lambda ctx: "pong", methods=["FETCH"])
    # HTTP's extension methods that servers do use are accepted, and "*" means any.
    app.router("/dav", Posts, "propfind:index")
    app.router("/any", Posts, "*:index")
    with TestClient(app) as client:
        assert client.request("PROPFIND", "/dav").text == "posts"
        assert client.request("DELETE", "/any").text == "posts"
