"""An app serving the admin of tests/admin/sites.py over a private database, and users
with the permissions each test needs."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from orm.conftest import isolated_url
from sqlalchemy import create_engine

from mvcpy import App
from mvcpy.admin import audit
from mvcpy.testing import TestClient

from . import sites
from .models import Base

EVERYTHING = {"admin.access"} | {
    f"{table}.{action}"
    for table in ("posts", "authors")
    for action in ("view", "create", "edit", "delete")
}


class User:
    """A user holding a fixed set of permissions."""

    def __init__(self, id: int, email: str, permissions: set[str]) -> None:
        self.id, self.email, self.permissions = id, email, permissions

    def has_permission(self, name: str) -> bool:
        return name in self.permissions


USERS = {
    1: User(1, "root@example.com", EVERYTHING),
    2: User(2, "reader@example.com", {"admin.access", "posts.view"}),
    3: User(3, "outsider@example.com", {"posts.view"}),
}


def build_app(tmp_path: Path, url: str, **admin: Any) -> App:
    """The app: the admin of tests.admin.sites, a login route, the users above."""
    engine = create_engine(url)
    try:
        Base.metadata.create_all(engine)
        with engine.begin() as connection:
            audit.create(connection)
    finally:
        engine.dispose()
    app = App(
        root_path=tmp_path,
        env="test",
        # the site by the name its module was imported under (as this test package's)
        config={"database": {"url": url}, "admin": {"site": f"{sites.__name__}:admin", **admin}},
    )
    app.user_loader(lambda user_id: USERS.get(user_id))
    app.route("/login", lambda ctx: "the login page", name="login")
    return app


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def admin_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    """The admin app on each database."""
    for url in isolated_url(request.param, request, tmp_path):
        yield build_app(tmp_path, url)


@pytest.fixture
def sqlite_app(tmp_path: Path) -> App:
    """The admin app on SQLite."""
    return build_app(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}")


def token_of(client: TestClient, path: str = "/admin/") -> str:
    """The CSRF token of the session, read from an admin page's form."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


Poster = Callable[..., Any]


def poster(client: TestClient) -> Poster:
    """``post(path, **fields)`` with the CSRF token added."""
    token = token_of(client, "/admin/authors/new")

    def post(path: str, data: dict[str, Any] | None = None, **fields: Any) -> Any:
        return client.post(path, data={**(data or {}), **fields, "csrf_token": token})

    return post


def errors_of(html: str) -> dict[str, str]:
    """The messages beside the fields of a form page, by field."""
    return dict(re.findall(r'<span class="error" id="([a-z_]+)-error">([^<]*)</span>', html))
