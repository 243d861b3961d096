"""The framework's log handler: JSON lines in prod, text elsewhere, installed at startup."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest

from mvcpy import App, ConfigurationError
from mvcpy.filters.access_log import AccessLog
from mvcpy.filters.request_id import RequestID
from mvcpy.logs import configure_logging
from mvcpy.testing import TestClient

SECRET = "k" * 40


@pytest.fixture
def bare_logging(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Make this process one without a logging setup of its own (no root handlers), as servers are.

    Call it in the test body: pytest adds its capture handler to the root logger when the
    test's call phase starts. The framework's handler is removed afterwards.
    """
    logger = logging.getLogger("mvcpy")
    monkeypatch.setattr(logger, "handlers", list(logger.handlers))
    monkeypatch.setattr(logger, "level", logger.level)
    return lambda: monkeypatch.setattr(logging.getLogger(), "handlers", [])


def build(make_app: Callable[..., App], **config: Any) -> App:
    app = make_app(secret_key=SECRET, **config)
    app.use(RequestID())
    app.use(AccessLog())

    def boom(ctx: Any) -> None:
        raise RuntimeError("the disk is full")

    app.get("/items/{id:int}", lambda ctx: {"id": ctx.params["id"]}, name="item")
    app.get("/boom", boom)
    return app


def json_lines(err: str) -> list[dict[str, Any]]:
    lines = [line for line in err.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_prod_writes_one_json_object_per_line(
    make_app: Callable[..., App], capsys: pytest.CaptureFixture[str], bare_logging: Any
) -> None:
    bare_logging()
    app = build(make_app, env="prod")
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/items/7", headers={"x-request-id": "req-7"})
        assert client.get("/boom", headers={"x-request-id": "req-8"}).status_code == 500
    records = json_lines(capsys.readouterr().err)
    access = [r for r in records if r["logger"] == "mvcpy.access"]
    assert [a["request_id"] for a in access] == ["req-7", "req-8"]
    first = access[0]
    assert first["level"] == "INFO"
    assert first["message"].startswith('127.0.0.1 "GET /items/7" 200 ')  # readable, not JSON
    assert first["access"]["status"] == 200 and first["access"]["route"] == "item"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", first["timestamp"])
    (error,) = [r for r in records if r["level"] == "ERROR"]
    assert error["logger"].startswith("mvcpy")
    assert error["request_id"] == "req-8"
    assert (
        "Traceback" in error["exception"] and "RuntimeError: the disk is full" in error["exception"]
    )
    assert all(
        "request_id" not in r for r in records if r["logger"] == "mvcpy" and not r.get("exception")
    )  # outside a request there is no id, not a placeholder


def test_dev_writes_text_lines(
    make_app: Callable[..., App], capsys: pytest.CaptureFixture[str], bare_logging: Any
) -> None:
    bare_logging()
    app = build(make_app, env="dev")
    with TestClient(app) as client:
        client.get("/items/3", headers={"x-request-id": "req-3"})
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "mvcpy.access" in line)
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.match(stamp + r" INFO mvcpy.access \[-\] 127\.0\.0\.1 ", line)
    assert "id=req-3" in line


def test_json_can_be_chosen_anywhere_and_configure_false_leaves_logging_alone(
    make_app: Callable[..., App], capsys: pytest.CaptureFixture[str], bare_logging: Any
) -> None:
    bare_logging()
    with TestClient(build(make_app, logging={"format": "json"})) as client:
        client.get("/items/1")
    assert json_lines(capsys.readouterr().err)[-1]["logger"] == "mvcpy.access"
    off = make_app(logging={"configure": False})
    assert configure_logging(off) is False


def test_an_existing_logging_configuration_wins(make_app: Callable[..., App]) -> None:
    # pytest's own capture handlers sit on the root logger here, as a user's would.
    assert logging.getLogger().handlers
    assert configure_logging(make_app(env="prod", secret_key=SECRET)) is False
    assert not [h for h in logging.getLogger("mvcpy").handlers if h.get_name() == "mvcpy"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"level": "LOUD"}, "level 'LOUD' is not a level"),
    ],
)
def test_bad_settings_stop_the_startup(
    make_app: Callable[..., App], settings: dict[str, str], message: str
) -> None:
    app = make_app(logging=settings)
    with pytest.raises(RuntimeError, match=message), TestClient(app):
        pass


def test_an_unknown_format_stops_the_app(make_app: Callable[..., App]) -> None:
    with pytest.raises(ConfigurationError, match="expected 'text' or 'json'"):
        make_app(logging={"format": "yaml"})
