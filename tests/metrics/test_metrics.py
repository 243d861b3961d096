"""The Prometheus endpoint: requests by route name, durations, the allow-list, database
connections in use, and nothing at all when it is off."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from mvcpy import App
from mvcpy.errors import HTTPError
from mvcpy.testing import TestClient


def _app(tmp_path: Path, **metrics: object) -> App:
    config = {"metrics": {"enabled": True, **metrics}, "database": {"url": "sqlite://"}}
    app = App(root_path=tmp_path, env="test", config=config)

    def show(ctx: object, id: int) -> dict[str, int]:
        return {"id": id}

    def broken(ctx: object) -> None:
        raise HTTPError(409, "taken")

    def query(ctx: object) -> dict[str, int]:
        return {"one": ctx.db.scalar(text("SELECT 1"))}  # type: ignore[attr-defined]

    app.get("/items/{id:int}", show, name="items.show")
    app.post("/items", broken, name="items.create")
    app.get("/query", query, name="query")
    return app


def _value(body: str, sample: str) -> float:
    found = re.search(rf"^{re.escape(sample)} (\S+)$", body, re.MULTILINE)
    assert found, f"{sample} not in\n{body}"
    return float(found.group(1))


def test_requests_are_counted_by_route_name_method_and_status(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with TestClient(app) as client:
        for id in (1, 2, 3):
            assert client.get(f"/items/{id}").status_code == 200
        assert client.post("/items").status_code == 409
        assert client.get("/nowhere").status_code == 404
        assert client.request("BREW", "/nowhere").status_code in (400, 404, 405, 501)
        body = client.get("/metrics").text
    assert (
        _value(body, 'mvcpy_http_requests_total{method="GET",route="items.show",status="200"}') == 3
    )
    assert (
        _value(body, 'mvcpy_http_requests_total{method="POST",route="items.create",status="409"}')
        == 1
    )
    assert (
        _value(body, 'mvcpy_http_requests_total{method="GET",route="<unmatched>",status="404"}')
        == 1
    )
    assert "/items/1" not in body  # labels are route names, never raw paths
    assert 'method="OTHER",route="<unmatched>"' in body and "BREW" not in body
    assert (
        _value(body, 'mvcpy_http_request_duration_seconds_count{method="GET",route="items.show"}')
        == 3
    )
    assert (
        _value(
            body,
            'mvcpy_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="items.show"}',
        )
        == 3
    )
    assert _value(body, "mvcpy_http_requests_in_progress") == 1  # the scrape itself


def test_only_the_allowed_addresses_read_the_metrics(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path, allow=["10.0.0.0/8"])) as client:  # the client is 127.0.0.1
        refused = client.get("/metrics")
        assert refused.status_code == 403
        assert "[metrics] allow" in refused.text
    with TestClient(_app(tmp_path, allow=["10.0.0.0/8", "127.0.0.0/8"])) as client:
        assert client.get("/metrics").status_code == 200


def test_database_connections_in_use_are_counted(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with TestClient(app) as client:
        assert client.get("/query").json() == {"one": 1}
        body = client.get("/metrics").text
    assert _value(body, "mvcpy_db_connections_in_use") == 0  # checked out, then back


def test_off_by_default(tmp_path: Path) -> None:
    app = App(root_path=tmp_path, env="test")
    app.get("/", lambda ctx: "home", name="home")
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 404
    assert "metrics" not in app.services


def test_the_path_is_a_setting(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path, path="/-/metrics")) as client:
        assert client.get("/metrics").status_code == 404
        client.get("/items/1")
        scraped = client.get("/-/metrics")
    assert scraped.headers["content-type"].startswith("text/plain")
    assert "mvcpy_http_requests_total" in scraped.text


def test_jobs_are_counted_by_name_and_outcome(tmp_path: Path) -> None:
    from mvcpy.jobs import job
    from mvcpy.jobs.testing import EnqueuedJobs

    @job
    def tidy(n: int) -> None:
        if n < 0:
            raise ValueError("negative")

    app = App(
        root_path=tmp_path,
        env="test",
        config={"metrics": {"enabled": True}, "jobs": {"modules": [__name__]}},
    )
    with TestClient(app) as client:
        jobs = EnqueuedJobs(app.services["jobs"])
        tidy.send(1)
        tidy.send(2)
        jobs.run()
        tidy.send(-1)
        with pytest.raises(ValueError, match="negative"):
            jobs.run()
        body = client.get("/metrics").text
    name = f"{__name__}.test_jobs_are_counted_by_name_and_outcome.<locals>.tidy"
    assert _value(body, f'mvcpy_jobs_total{{job="{name}",outcome="succeeded"}}') == 2
    assert _value(body, f'mvcpy_jobs_total{{job="{name}",outcome="failed"}}') == 1
    assert _value(body, f'mvcpy_job_duration_seconds_count{{job="{name}"}}') == 3


def test_websocket_connections_and_hub_messages_are_counted(tmp_path: Path) -> None:
    from mvcpy.websocket import WebSocketController

    class Echo(WebSocketController):
        async def on_connect(self) -> None:
            await self.accept()
            await self.join("lobby")

        async def on_message(self, data: object) -> None:
            await self.hub.broadcast("lobby", data)

    app = _app(tmp_path)
    app.websocket("/ws", Echo, name="ws")
    with TestClient(app) as client:
        with client.websocket_connect("/ws") as first, client.websocket_connect("/ws") as second:
            open_now = _value(client.get("/metrics").text, "mvcpy_websocket_connections")
            first.send_text("hi")
            assert first.receive_text() == "hi" and second.receive_text() == "hi"
        body = client.get("/metrics").text
    assert open_now == 2
    assert _value(body, "mvcpy_websocket_connections") == 0
    assert _value(body, 'mvcpy_hub_messages_total{event="published"}') == 1
    assert _value(body, 'mvcpy_hub_messages_total{event="delivered"}') == 2
