import logging
from typing import Any

from mvcpy import HTTPError, JSONResponse
from mvcpy.filters.recovery import Recovery
from mvcpy.testing import TestClient


async def exploding_filter(ctx: Any, call_next: Any) -> Any:
    if ctx.request.query.get("explode"):
        raise KeyError("in a filter")
    return await call_next(ctx)


def sync_broken(ctx: Any) -> Any:
    raise ValueError("sync action")


async def async_broken(ctx: Any) -> Any:
    raise ValueError("async action")


def build(make_app: Any, recovery: Recovery) -> Any:
    app = make_app()
    app.use(recovery)
    app.use(exploding_filter)
    app.get("/sync", sync_broken)
    app.get("/async", async_broken)
    app.get("/ok", lambda ctx: {"ok": True})
    app.get("/gone", lambda ctx: (_ for _ in ()).throw(HTTPError(410, "gone")))
    return app


def tracebacks(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info]


def test_filter_and_action_errors_become_500s_and_serving_goes_on(
    make_app: Any, caplog: Any
) -> None:
    handled: list[str] = []
    app = build(make_app, Recovery())

    def on_500(ctx: Any, exc: BaseException) -> Any:
        handled.append(type(exc).__name__)
        return JSONResponse({"h": 1}, 500)

    app.error_handler(500)(on_500)
    with TestClient(app) as client:
        for path in ("/ok?explode=1", "/sync", "/async"):
            caplog.clear()
            response = client.get(path)
            assert response.status_code == 500 and response.json() == {"h": 1}
            assert len(tracebacks(caplog)) == 1
        assert client.get("/ok").json() == {"ok": True}
        assert client.get("/gone").status_code == 410
    assert handled == ["KeyError", "ValueError", "ValueError"]


def test_default_answer_is_the_error_page(make_app: Any) -> None:
    app = build(make_app, Recovery())
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/ok?explode=1")
    assert response.status_code == 500
    assert response.json() == {"error": {"status": 500, "message": "Internal Server Error"}}


def test_a_custom_handler_answers_every_unexpected_error_once(make_app: Any, caplog: Any) -> None:
    seen: list[str] = []

    async def handler(ctx: Any, exc: BaseException) -> Any:
        seen.append(str(exc))
        return JSONResponse({"oops": type(exc).__name__}, 503)

    app = build(make_app, Recovery(handler=lambda ctx, exc: {"plain": str(exc)}))
    custom = build(make_app, Recovery(handler=handler))
    with (
        TestClient(app, raise_server_exceptions=False) as client,
        TestClient(custom, raise_server_exceptions=False) as custom_client,
    ):
        plain = client.get("/sync")
        assert plain.status_code == 500 and plain.json() == {"plain": "sync action"}
        caplog.clear()
        filtered = custom_client.get("/ok?explode=1")
        assert filtered.status_code == 503 and filtered.json() == {"oops": "KeyError"}
        assert len(tracebacks(caplog)) == 1
        caplog.clear()
        action = custom_client.get("/async")
        assert action.status_code == 503 and action.json() == {"oops": "ValueError"}
        assert len(tracebacks(caplog)) == 1
        assert custom_client.get("/gone").status_code == 410
    assert seen == ["'in a filter'", "async action"]
