import logging
from typing import Any

import pytest

from mvcpy.filters.request_id import RequestID, RequestIDLogFilter
from mvcpy.testing import TestClient


@pytest.fixture
def app(make_app: Any) -> Any:
    app = make_app()
    app.use(RequestID())
    app.get("/", lambda ctx: {"id": ctx.request_id})

    def broken(ctx: Any) -> Any:
        raise RuntimeError("boom")

    app.get("/broken", broken)
    return app


def test_a_fresh_id_is_made_echoed_and_given_to_the_action(app: Any) -> None:
    with TestClient(app) as client:
        first = client.get("/")
        second = client.get("/")
    rid = first.headers["x-request-id"]
    assert len(rid) == 32 and first.json() == {"id": rid}
    assert second.headers["x-request-id"] != rid


def test_a_well_formed_incoming_id_is_kept(app: Any) -> None:
    with TestClient(app) as client:
        response = client.get("/", headers={"x-request-id": "edge-7f3a:42/b"})
    assert response.headers["x-request-id"] == "edge-7f3a:42/b"
    assert response.json() == {"id": "edge-7f3a:42/b"}


@pytest.mark.parametrize("bad", ["x" * 129, "has space", "tab\there", "caf\u00e9", ""])
def test_a_long_or_unprintable_incoming_id_is_replaced(app: Any, bad: str) -> None:
    with TestClient(app) as client:
        response = client.get("/", headers={"x-request-id": bad.encode("utf-8")})
    rid = response.headers["x-request-id"]
    assert rid != bad and len(rid) == 32


def test_the_id_is_in_error_bodies_and_in_404s(app: Any) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        failed = client.get("/broken", headers={"x-request-id": "abc-123"})
        missing = client.get("/nowhere", headers={"x-request-id": "abc-456"})
    assert failed.status_code == 500
    assert failed.json()["error"]["request_id"] == "abc-123"
    assert failed.headers["x-request-id"] == "abc-123"
    assert missing.status_code == 404 and missing.json()["error"]["request_id"] == "abc-456"


def test_log_records_carry_the_request_id(make_app: Any, caplog: Any) -> None:
    log = logging.getLogger("tests.request_id")

    async def action(ctx: Any) -> Any:
        log.info("inside the action")
        return {}

    app = make_app()
    app.use(RequestID(header="X-Trace-ID"))
    app.get("/", action)
    handler_filter = RequestIDLogFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="tests.request_id"), TestClient(app) as client:
            response = client.get("/", headers={"x-trace-id": "trace-1"})
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert response.headers["x-trace-id"] == "trace-1"
    records = [r for r in caplog.records if r.name == "tests.request_id"]
    assert [r.request_id for r in records] == ["trace-1"]  # type: ignore[attr-defined]
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    handler_filter.filter(outside)
    assert outside.request_id == "-"  # type: ignore[attr-defined]
