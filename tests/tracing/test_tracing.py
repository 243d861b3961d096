"""OpenTelemetry spans from the in-memory exporter: the request's span named after its
route, its statements as children, the caller's trace continued, the request id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from mvcpy import App
from mvcpy.testing import TestClient

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _app(tmp_path: Path, **config: Any) -> App:
    settings = {
        "tracing": {"enabled": True, "exporter": "memory"},
        "database": {"url": "sqlite://"},
    }
    app = App(root_path=tmp_path, env="test", config={**settings, **config})

    def show(ctx: Any, id: int) -> dict[str, int]:
        ctx.db.execute(text("SELECT 1"))
        ctx.db.execute(text("SELECT 2"))
        return {"id": id}

    async def fails(ctx: Any) -> None:
        raise RuntimeError("boom")

    app.get("/items/{id:int}", show, name="items.show")
    app.get("/fails", fails, name="fails")
    return app


def _spans(app: App) -> list[Any]:
    return list(app.services["tracing"].exporter.get_finished_spans())


def test_a_request_is_a_span_named_after_its_route_with_its_statements_inside(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path)
    with TestClient(app) as client:
        assert client.get("/items/7").status_code == 200
        spans = _spans(app)
    server = next(s for s in spans if s.name == "items.show")
    assert server.attributes["http.route"] == "/items/{id:int}"
    assert server.attributes["http.request.method"] == "GET"
    assert server.attributes["http.response.status_code"] == 200
    (action,) = [s for s in spans if s.name == "action"]
    assert action.parent.span_id == server.context.span_id  # the action runs inside
    statements = [s for s in spans if s.name == "SELECT"]
    assert [s.attributes["db.query.text"] for s in statements] == ["SELECT 1", "SELECT 2"]
    assert all(s.parent.span_id == action.context.span_id for s in statements)
    assert all(s.context.trace_id == server.context.trace_id for s in statements)
    assert server.resource.attributes["service.name"] == "mvcpy"


def test_the_action_and_each_template_are_spans_inside_the_request(tmp_path: Path) -> None:
    (tmp_path / "views" / "pages").mkdir(parents=True)
    (tmp_path / "views" / "pages" / "show.html").write_text("<p>{{ id }}</p>")
    app = _app(tmp_path)

    def page(ctx: Any, id: int) -> Any:
        ctx.db.execute(text("SELECT 3"))
        return app.templates.render("pages/show.html", {"id": id})

    async def async_page(ctx: Any, id: int) -> Any:
        return await app.templates.render_async("pages/show.html", {"id": id})

    app.get("/pages/{id:int}", page, name="pages.show")
    app.get("/async-pages/{id:int}", async_page, name="async_pages.show")
    with TestClient(app) as client:
        assert client.get("/pages/4").text == "<p>4</p>"
        assert client.get("/async-pages/5").text == "<p>5</p>"
        spans = _spans(app)
    by_id = {s.context.span_id: s for s in spans}

    def chain(span: Any) -> list[str]:
        names = [span.name]
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            names.append(span.name)
        return names

    renders = [s for s in spans if s.name == "render pages/show.html"]
    assert [chain(s) for s in renders] == [
        ["render pages/show.html", "action", "pages.show"],
        ["render pages/show.html", "action", "async_pages.show"],
    ]
    (select,) = [s for s in spans if s.attributes.get("db.query.text") == "SELECT 3"]
    assert chain(select) == ["SELECT", "action", "pages.show"]
    action = by_id[select.parent.span_id]
    assert action.attributes["code.function"].endswith("page")


def test_the_callers_trace_is_continued(tmp_path: Path) -> None:
    app = _app(tmp_path, filters={"request_id": True})
    with TestClient(app) as client:
        answer = client.get("/items/1", headers={"traceparent": TRACEPARENT})
        spans = _spans(app)
    server = next(s for s in spans if s.name == "items.show")
    assert f"{server.context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert f"{server.parent.span_id:016x}" == "b7ad6b7169203331"
    assert server.attributes["mvcpy.request_id"] == answer.headers["x-request-id"]


def test_errors_and_unmatched_requests(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/fails").status_code == 500
        assert client.get("/nowhere").status_code == 404
        spans = {s.name: s for s in _spans(app)}
    assert spans["fails"].status.status_code.name == "ERROR"
    assert spans["<unmatched>"].attributes["http.response.status_code"] == 404


def test_statements_outside_a_traced_request_make_no_span(tmp_path: Path) -> None:
    app = _app(tmp_path)
    app.start()
    with app.database.engine.connect() as connection:
        connection.execute(text("SELECT 3"))
    assert _spans(app) == []


def test_off_by_default(tmp_path: Path) -> None:
    app = App(root_path=tmp_path, env="test")
    assert "tracing" not in app.services


@pytest.mark.parametrize("exporter", ["console", "otlp"])
def test_the_exporter_is_a_setting(tmp_path: Path, exporter: str) -> None:
    app = _app(tmp_path, tracing={"enabled": True, "exporter": exporter, "service_name": "shop"})
    tracing = app.services["tracing"]
    assert (
        type(tracing.exporter).__name__
        == {"console": "ConsoleSpanExporter", "otlp": "OTLPSpanExporter"}[exporter]
    )
    tracing.shutdown()


def test_each_filter_is_a_span_around_the_ones_it_calls(tmp_path: Path) -> None:
    app = _app(tmp_path)

    async def outer(ctx: Any, call_next: Any) -> Any:
        return await call_next(ctx)

    def inner(ctx: Any, call_next: Any) -> Any:  # a sync filter: run with the sync action
        return call_next(ctx)

    app.use(outer)
    app.get("/filtered/{id:int}", lambda ctx, id: {"id": id}, name="filtered", filters=[inner])
    stats: list[Any] = []
    app.on_request_complete(stats.append)  # route stats see the filters' own names
    with TestClient(app) as client:
        assert client.get("/filtered/3").json() == {"id": 3}
        spans = {s.name: s for s in _spans(app)}
    server, action = spans["filtered"], spans["action"]
    local = "filter test_each_filter_is_a_span_around_the_ones_it_calls.<locals>."
    first, second = spans[local + "outer"], spans[local + "inner"]
    assert first.parent.span_id == server.context.span_id
    assert second.parent.span_id == first.context.span_id
    assert action.parent.span_id == second.context.span_id
    assert "filter TracingFilter" not in spans  # the filter that starts the trace
    names = [name.rsplit(".", 1)[-1] for name, _ in stats[0].filters]
    assert names == ["TracingFilter", "outer", "inner"]
