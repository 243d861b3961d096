import json
import logging
from typing import Any

import pytest

from mvcpy import StreamingResponse
from mvcpy.filters.access_log import AccessLog
from mvcpy.filters.request_id import RequestID
from mvcpy.testing import TestClient


def build(make_app: Any, **options: Any) -> Any:
    app = make_app(env=options.pop("env", "test"), secret_key="k" * 40)
    app.use(AccessLog(**options))
    app.use(RequestID())
    app.get("/items/{id:int}", lambda ctx: {"id": ctx.params["id"]}, name="item")

    async def stream(ctx: Any) -> Any:
        async def chunks() -> Any:
            for _ in range(3):
                yield b"x" * 100

        return StreamingResponse(chunks(), media_type="text/plain")

    app.get("/stream", stream)
    return app


def access_records(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mvcpy.access"]


def test_text_line_has_every_field(make_app: Any, caplog: Any) -> None:
    app = build(make_app)
    with caplog.at_level(logging.INFO, logger="mvcpy.access"), TestClient(app) as client:
        client.get("/items/7?full=1", headers={"user-agent": "probe/1", "x-request-id": "r-1"})
    (record,) = access_records(caplog)
    line = record.getMessage()
    assert line.startswith('127.0.0.1 "GET /items/7?full=1" 200 8B ')
    assert "route=item" in line and "id=r-1" in line and 'ua="probe/1"' in line
    fields = record.access  # type: ignore[attr-defined]
    assert fields["latency_ms"] >= 0 and fields["bytes"] == len(b'{"id":7}')


def test_prod_writes_one_json_object_per_line(make_app: Any, caplog: Any) -> None:
    app = build(make_app, env="prod")
    with caplog.at_level(logging.INFO, logger="mvcpy.access"), TestClient(app) as client:
        client.get("/missing", headers={"user-agent": "probe/2"})
        client.head("/items/1")
    first, second = (json.loads(r.getMessage()) for r in access_records(caplog))
    assert first["status"] == 404 and first["route"] == "-" and first["user_agent"] == "probe/2"
    assert first["bytes"] > 0 and len(first["request_id"]) == 32
    assert second["method"] == "HEAD" and second["bytes"] == 0 and second["route"] == "item"


def test_streamed_bytes_are_counted_as_sent(make_app: Any, caplog: Any) -> None:
    app = build(make_app, format="json")
    with caplog.at_level(logging.INFO, logger="mvcpy.access"), TestClient(app) as client:
        assert len(client.get("/stream").content) == 300
    (record,) = access_records(caplog)
    assert json.loads(record.getMessage())["bytes"] == 300


def test_nothing_is_logged_when_the_logger_is_off(make_app: Any, caplog: Any) -> None:
    app = build(make_app)
    with caplog.at_level(logging.WARNING, logger="mvcpy.access"), TestClient(app) as client:
        client.get("/items/1")
    assert access_records(caplog) == []


def test_bad_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        AccessLog(format="xml")  # type: ignore[arg-type]


def test_after_response_callbacks_run_after_sending(make_app: Any) -> None:
    events: list[str] = []

    async def observe(ctx: Any, call_next: Any) -> Any:
        response = await call_next(ctx)
        ctx.after_response(lambda ctx: events.append(f"sent {ctx.route_name}"))

        async def later(ctx: Any) -> None:
            events.append("async callback")

        ctx.after_response(later)
        ctx.after_response(lambda ctx: 1 / 0)  # logged, does not stop the others
        ctx.after_response(lambda ctx: events.append("last"))
        events.append("filter returns")
        return response

    app = make_app()
    app.use(observe)
    app.get("/", lambda ctx: {}, name="home")
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
    assert events == ["filter returns", "sent home", "async callback", "last"]


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\x00b", "a\x7fb", "a\rb"])
def test_a_header_value_with_control_characters_is_a_logged_500(
    make_app: Any, caplog: Any, value: str
) -> None:
    """Servers drop the connection on such a value without an answer; the app refuses to
    send it instead, and says so in the error log and the access log."""
    app = build(make_app)
    from mvcpy import Controller

    class Sets(Controller):
        def get(self) -> str:
            self.set_header("x-echo", value)
            return "sent"

    app.router("/sets", Sets)
    app.get("/direct", lambda ctx: ("body", 200, {"x-echo": value}))
    with caplog.at_level(logging.INFO), TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/sets", "/direct"):
            answer = client.get(path)
            assert answer.status_code == 500 and "x-echo" not in answer.headers
    lines = [r.getMessage() for r in access_records(caplog)]
    assert [line.split('" ')[1].split()[0] for line in lines] == ["500", "500"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "mvcpy.errors"]
    assert len(errors) == 2 and "holds a control character" in errors[0].getMessage() + str(
        errors[0].exc_info
    )
