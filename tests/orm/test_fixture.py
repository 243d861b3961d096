"""The ``db`` fixture: each test's writes, its requests' included, vanish at its end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mvcpy import App, Controller
from mvcpy.orm.session import DbSession
from mvcpy.orm.testing import transactional_session
from mvcpy.testing import TestClient

from .conftest import create_tables
from .models import Author
from .test_request_session import count_authors


class AuthorsController(Controller):
    def create(self) -> Any:
        self.db.add(Author(email=self.get_string("email")))
        return {"ok": True}

    def fail(self) -> Any:
        self.db.add(Author(email="never@example.com"))
        self.db.flush()
        raise RuntimeError("boom")

    def index(self) -> Any:
        return [a.email for a in self.db.scalars(select(Author).order_by(Author.email))]


def build(make_app: Callable[..., App], url: str) -> App:
    create_tables(url)
    app = make_app(database={"url": url})
    app.router("/authors", AuthorsController, "get:index;post:create")
    app.router("/fail", AuthorsController, "post:fail")
    return app


def test_requests_join_the_test_transaction_and_everything_is_rolled_back(
    make_app: Callable[..., App], db_url: str
) -> None:
    app = build(make_app, db_url)
    with TestClient(app, raise_server_exceptions=False) as client:
        with transactional_session(app.database) as db:
            db.add(Author(email="fixture@example.com"))
            db.flush()
            assert client.post("/authors", data={"email": "req@example.com"}).status_code == 200
            # The failing request rolls back to its savepoint, not the test's writes.
            assert client.post("/fail").status_code == 500
            assert client.get("/authors").json() == ["fixture@example.com", "req@example.com"]
            assert sorted(db.scalars(select(Author.email)).all()) == [
                "fixture@example.com",
                "req@example.com",
            ]
        # Outside, nothing was ever committed.
        assert count_authors(db_url) == 0
        assert client.get("/authors").json() == []
        assert app.database.engine.pool.checkedout() == 0


@pytest.fixture
def app(make_app: Callable[..., App], tmp_path: Path) -> App:
    return build(make_app, f"sqlite:///{tmp_path / 'plugin.sqlite3'}")


def test_the_plugin_fixtures_work_together(app: App, client: TestClient, db: DbSession) -> None:
    db.add(Author(email="seed@example.com"))
    db.flush()
    assert client.post("/authors", data={"email": "new@example.com"}).status_code == 200
    assert client.get("/authors").json() == ["new@example.com", "seed@example.com"]
    assert db.get(Author, 1) is not None
