"""get_or_404, first_or_404 and paginate, through real requests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mvcpy import App, Controller
from mvcpy.orm import Page
from mvcpy.testing import TestClient

from .conftest import create_tables
from .models import Author


def page_json(page: Page[Any]) -> dict[str, Any]:
    return {
        "items": [a.email for a in page.items],
        "total": page.total,
        "pages": page.pages,
        "has_next": page.has_next,
        "has_prev": page.has_prev,
        "next_url": page.next_url,
        "prev_url": page.prev_url,
    }


class AuthorsController(Controller):
    def show(self, id: int) -> Any:
        return {"email": self.db.get_or_404(Author, id).email}

    def by_email(self, email: str) -> Any:
        return {"id": self.db.first_or_404(select(Author).where(Author.email == email)).id}

    def index(self, page: int = 1, per_page: int = 3) -> Any:
        return page_json(self.db.paginate(select(Author).order_by(Author.id), page, per_page))

    async def async_index(self, page: int = 1) -> Any:
        stmt = select(Author).order_by(Author.id)
        return page_json(await self.adb.paginate(stmt, page, 3))

    async def async_show(self, id: int) -> Any:
        return {"email": (await self.adb.get_or_404(Author, id)).email}


def build(make_app: Callable[..., App], db_url: str, authors: int) -> App:
    create_tables(db_url)
    app = make_app(database={"url": db_url})
    app.router("/authors", AuthorsController, "get:index", name="authors")
    app.router("/authors/{id:int}", AuthorsController, "get:show")
    app.router("/by-email/{email}", AuthorsController, "get:by_email")
    app.router("/async/authors", AuthorsController, "get:async_index")
    app.router("/async/authors/{id:int}", AuthorsController, "get:async_show")
    with app.database.session() as db, db.begin():
        db.add_all(Author(email=f"a{i}@example.com") for i in range(1, authors + 1))
    return app


def test_get_and_first_or_404(make_app: Callable[..., App], db_url: str) -> None:
    app = build(make_app, db_url, 2)
    with TestClient(app) as client:
        assert client.get("/authors/2").json() == {"email": "a2@example.com"}
        missing = client.get("/authors/99")
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == "Author not found"
        assert client.get("/by-email/a1@example.com").json() == {"id": 1}
        assert client.get("/by-email/nobody").status_code == 404
        # Beyond the INTEGER key (PostgreSQL refuses the query): not found, not a 500.
        for beyond in (2**31, -(2**31) - 1, 2**63 - 1):
            assert client.get(f"/authors/{beyond}").status_code == 404, beyond


def test_paginate_counts_pages_and_links_neighbours(
    make_app: Callable[..., App], db_url: str
) -> None:
    app = build(make_app, db_url, 7)
    with TestClient(app) as client:
        first = client.get("/authors", params={"per_page": 3, "q": "x"}).json()
        assert first["items"] == ["a1@example.com", "a2@example.com", "a3@example.com"]
        assert (first["total"], first["pages"]) == (7, 3)
        assert (first["has_prev"], first["has_next"]) == (False, True)
        assert first["prev_url"] is None
        assert first["next_url"] == "/authors?per_page=3&q=x&page=2"
        last = client.get(first["next_url"].replace("page=2", "page=3")).json()
        assert last["items"] == ["a7@example.com"]
        assert (last["has_next"], last["next_url"]) == (False, None)
        assert last["prev_url"] == "/authors?per_page=3&q=x&page=2"
        beyond = client.get("/authors", params={"page": 9}).json()
        assert beyond["items"] == [] and beyond["total"] == 7


def test_paginate_refuses_bad_numbers(make_app: Callable[..., App], tmp_path: Path) -> None:
    app = build(make_app, f"sqlite:///{tmp_path / 'p.sqlite3'}", 1)
    with TestClient(app) as client:
        zero = client.get("/authors", params={"page": 0})
        assert zero.status_code == 400 and "page must be 1 or more" in zero.text
        huge = client.get("/authors", params={"per_page": 1000})
        assert huge.status_code == 400 and "per_page must be between 1 and 100" in huge.text
        # An offset past 64 bits would be a database error (a 500), not an empty page.
        far = client.get("/authors", params={"page": 2**63})
        assert far.status_code == 400 and "is too large" in far.text
        assert client.get("/authors", params={"page": 2**40}).json()["items"] == []


def test_async_helpers(make_app: Callable[..., App], async_db_url: str) -> None:
    app = build(make_app, async_db_url, 4)
    with TestClient(app) as client:
        second = client.get("/async/authors", params={"page": 2}).json()
        assert second["items"] == ["a4@example.com"]
        assert second["prev_url"] == "/async/authors?page=1"
        assert client.get("/async/authors/3").json() == {"email": "a3@example.com"}
        assert client.get("/async/authors/30").status_code == 404
        assert client.get(f"/async/authors/{2**31}").status_code == 404


def test_models_show_their_key_and_loaded_columns(tmp_path: Path) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from .models import Counter

    url = f"sqlite:///{tmp_path / 'repr.sqlite3'}"
    create_tables(url)
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            author = Author(email="ann@example.com", name="A" * 60)
            assert repr(author) == f"<Author email='ann@example.com' name='{'A' * 36}...>"
            session.add_all([author, Counter(name="visits", value=3)])
            session.commit()
            session.expire(author)
            assert repr(author) == "<Author>"  # nothing loaded, and no query to load it
            assert session.get(Author, 1) is author
            assert repr(author).startswith("<Author id=1 email='ann@example.com' name='AAA")
            assert " created_at=datetime.datetime(" in repr(author)
            assert repr(session.get(Counter, "visits")) == "<Counter name='visits' value=3>"
    finally:
        engine.dispose()
