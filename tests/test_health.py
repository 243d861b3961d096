"""The health check route: opt-in, 200 when the database answers, 503 naming what failed."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

import pytest

from mvcpy import App, ConfigurationError
from mvcpy.sessions.csrf import CSRFProtect
from mvcpy.testing import TestClient

SECRET = "s" * 40


def test_off_unless_enabled(make_app: Callable[..., App]) -> None:
    with TestClient(make_app()) as client:
        assert client.get("/healthz").status_code == 404


def test_enabled_answers_ok_with_the_database_and_sets_no_cookie(
    make_app: Callable[..., App],
) -> None:
    app = make_app(secret_key=SECRET, health={"enabled": True})
    app.use(CSRFProtect())
    assert app.url_for("health") == "/healthz"
    with TestClient(app) as client:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}
        assert response.headers["cache-control"] == "no-store"
        assert "set-cookie" not in response.headers
        assert client.head("/healthz").status_code == 200


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_database_that_is_down_is_a_503_naming_it(
    make_app: Callable[..., App], caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql+psycopg://app@127.0.0.1:{_closed_port()}/app"
    app = make_app(health={"enabled": True}, database={"url": url})
    with caplog.at_level(logging.ERROR, logger="mvcpy.health"), TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}
    assert "refused" not in response.text  # the reason stays in the log
    (record,) = [r for r in caplog.records if r.name == "mvcpy.health"]
    assert "'database' failed: OperationalError" in record.getMessage()


def test_own_checks_sync_async_and_timeouts_are_named(make_app: Callable[..., App]) -> None:
    app = make_app(health={"timeout": 0.2})
    calls: list[str] = []

    def queue(app: App) -> None:
        calls.append("queue")

    async def cache(app: App) -> None:
        raise ConnectionError("redis is down")

    async def slow(app: App) -> None:
        await asyncio.sleep(5)

    app.health_check("/up", name="up", database=False, checks={"queue": queue, "cache": cache})
    app.health_check("/slow", name="slow", database=False, checks={"slow": slow})
    with TestClient(app) as client:
        response = client.get("/up")
        assert response.status_code == 503
        assert response.json() == {"status": "error", "queue": "ok", "cache": "error"}
        slow_response = client.get("/slow")
        assert slow_response.status_code == 503
        assert slow_response.json() == {"status": "error", "slow": "timeout"}
    assert calls == ["queue"]


def test_answers_any_host_while_other_routes_check_it(make_app: Callable[..., App]) -> None:
    app = make_app(allowed_hosts=["example.com"], health={"enabled": True, "path": "/-/health"})
    app.get("/", lambda ctx: "home")
    with TestClient(app) as client:
        probe = client.get("/-/health", headers={"host": "10.0.0.7:8000"})
        assert probe.status_code == 200
        assert client.get("/", headers={"host": "10.0.0.7:8000"}).status_code == 400
        assert client.get("/", headers={"host": "example.com"}).status_code == 200


@pytest.mark.parametrize(
    ("health", "message"),
    [
        ({"enabled": True, "path": "healthz"}, "must start with '/'"),
        ({"enabled": True, "timeout": 0}, r"health\.timeout = 0 is not valid: expected float"),
        ({"enabled": True, "timeout": "soon"}, "health.timeout = 'soon' is not valid"),
    ],
)
def test_bad_settings_stop_the_app_with_the_reason(
    make_app: Callable[..., App], health: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_app(health=health)


def test_a_check_cannot_hide_the_status(make_app: Callable[..., App]) -> None:
    with pytest.raises(ConfigurationError, match="cannot be named 'status'"):
        make_app().health_check(checks={"status": lambda app: None})
