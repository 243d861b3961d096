"""One app and one set of clients per session backend: every session test runs on each."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mvcpy import App
from mvcpy.sessions.database import DatabaseStore

BACKENDS = ["cookie", "memory", "redis", "sqlite", "postgres", "mariadb"]
SERVER_SIDE = {"memory", "redis", "sqlite", "postgres", "mariadb"}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The session backend under test (redis is skipped when no server answers)."""
    return str(request.param)


@pytest.fixture
def app_config(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The app configuration for ``backend`` (a private Redis prefix, a database URL)."""
    session: dict[str, Any] = {"enabled": True, "backend": backend}
    config: dict[str, Any] = {"session": session}
    if backend == "redis":
        session["redis_url"] = request.getfixturevalue("redis_url")
        session["redis_prefix"] = f"mvcpytest:{uuid.uuid4().hex}:"
    elif backend in ("sqlite", "postgres", "mariadb"):
        session["backend"] = "database"
        url = (
            f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
            if backend == "sqlite"
            else request.getfixturevalue(f"{backend}_url")
        )
        config["database"] = {"url": url}
    return config


@pytest.fixture
def session_app(
    make_app: Callable[..., App], app_config: dict[str, Any]
) -> Iterator[Callable[..., App]]:
    """Build an app with sessions on the backend under test (extra ``[session]`` keys merge)."""
    built: list[App] = []

    def build(top: dict[str, Any] | None = None, **session: Any) -> App:
        config = {**app_config, **(top or {})}
        app = make_app(**{**config, "session": {**app_config["session"], **session}})
        if "database" in app_config:
            DatabaseStore(app.database).create_table()
        built.append(app)
        return app

    yield build
    for app in built:
        if app.sessions is not None and app.sessions.backend == "redis":
            store: Any = app.sessions.store
            keys = store._client.keys(store.prefix + "*")
            if keys:
                store._client.delete(*keys)
            store.close()
        if "database" in app_config:
            app.database.engine.dispose()
