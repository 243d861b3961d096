import threading
from typing import Any

from mvcpy import Controller, JSONResponse
from mvcpy.testing import TestClient


def test_filter_can_answer_by_itself_and_change_the_response(make_app) -> None:
    async def gate(ctx: Any, call_next: Any) -> Any:
        if ctx.request.headers.get("x-token") != "ok":
            return JSONResponse({"denied": True}, 401)
        response = await call_next(ctx)
        response.set_header("x-gated", "yes")
        return response

    app = make_app()
    app.get("/", lambda ctx: {"secret": 1}, filters=[gate])
    with TestClient(app) as client:
        denied = client.get("/")
        assert denied.status_code == 401 and denied.json() == {"denied": True}
        allowed = client.get("/", headers={"x-token": "ok"})
        assert allowed.json() == {"secret": 1} and allowed.headers["x-gated"] == "yes"


def test_filters_see_error_responses_from_the_action(make_app) -> None:
    seen: list[Any] = []

    async def observe(ctx: Any, call_next: Any) -> Any:
        response = await call_next(ctx)
        seen.append((response.status, type(ctx.error).__name__ if ctx.error else None))
        return response

    def broken(ctx: Any) -> Any:
        raise ValueError("bad")

    app = make_app()
    app.use(observe)
    app.get("/broken", broken)
    app.get("/ok", lambda ctx: {})
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/broken").status_code == 500
        client.get("/ok")
        client.get("/missing")
    assert seen == [(500, "ValueError"), (200, None), (404, "HTTPError")]


def test_exception_in_a_filter_goes_to_the_error_handlers(make_app) -> None:
    class Denied(Exception):
        pass

    async def explode(ctx: Any, call_next: Any) -> Any:
        raise Denied()

    def explode_sync(ctx: Any, call_next: Any) -> Any:
        raise Denied()

    app = make_app()
    app.error_handler(Denied, lambda ctx, exc: JSONResponse({"handled": True}, 403))
    app.get("/a", lambda ctx: {}, filters=[explode])
    app.get("/s", lambda ctx: {}, filters=[explode_sync])
    with TestClient(app) as client:
        for path in ("/a", "/s"):
            response = client.get(path)
            assert (response.status_code, response.json()) == (403, {"handled": True})


def test_sync_filters_run_off_the_loop(make_app) -> None:
    threads: dict[str, str] = {}

    def sync_outer(ctx: Any, call_next: Any) -> Any:
        threads["sync_outer"] = threading.current_thread().name
        response = call_next(ctx)
        response.set_header("x-outer", "1")
        return response

    async def async_middle(ctx: Any, call_next: Any) -> Any:
        threads["async_middle"] = threading.current_thread().name
        return await call_next(ctx)

    def sync_inner(ctx: Any, call_next: Any) -> Any:
        threads["sync_inner"] = threading.current_thread().name
        return call_next(ctx)

    class Blocking(Controller):
        def get(self) -> Any:
            threads["action"] = threading.current_thread().name
            threads["inner_same"] = str(threads["sync_inner"] == threads["action"])
            return {"ok": True}

    app = make_app()
    app.router("/", Blocking, filters=[sync_outer, async_middle, sync_inner])
    with TestClient(app) as client:
        response = client.get("/")
        assert response.json() == {"ok": True} and response.headers["x-outer"] == "1"
    assert threads["sync_outer"].startswith("mvcpy-worker")
    assert threads["async_middle"] == "mvcpy-test-loop"
    # The sync tail (sync_inner + the sync controller) runs in one thread hop.
    assert threads["inner_same"] == "True"


def test_callable_objects_and_partials_are_filters(make_app) -> None:
    import functools

    class Stamp:
        def __init__(self, value: str) -> None:
            self.value = value

        async def __call__(self, ctx: Any, call_next: Any) -> Any:
            response = await call_next(ctx)
            response.add_header("x-stamp", self.value)
            return response

    async def tagged(ctx: Any, call_next: Any, tag: str) -> Any:
        response = await call_next(ctx)
        response.add_header("x-stamp", tag)
        return response

    app = make_app()
    app.use(Stamp("obj"), functools.partial(tagged, tag="partial"))
    app.get("/", lambda ctx: {})
    with TestClient(app) as client:
        assert client.get("/").headers.get_list("x-stamp") == ["partial", "obj"]


def test_context_variables_reach_sync_code(make_app) -> None:
    import contextvars

    current_user: contextvars.ContextVar[str] = contextvars.ContextVar("current_user")

    async def set_user(ctx: Any, call_next: Any) -> Any:
        current_user.set(ctx.request.headers.get("x-user", "anonymous"))
        return await call_next(ctx)

    class Who(Controller):
        def get(self) -> Any:
            return {"user": current_user.get("unset")}

    app = make_app()
    app.use(set_user)
    app.router("/", Who)
    with TestClient(app) as client:
        assert client.get("/", headers={"x-user": "ann"}).json() == {"user": "ann"}
