"""The query inspector: counts per request, the N+1 warning, the debug page, assert_queries."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from mvcpy import App, Controller
from mvcpy.testing import TestClient, assert_queries


class Base(DeclarativeBase):
    pass


class Shelf(Base):
    __tablename__ = "inspect_shelves"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    books: Mapped[list[Book]] = relationship(back_populates="shelf")


class Book(Base):
    __tablename__ = "inspect_books"

    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("inspect_shelves.id"))
    title: Mapped[str] = mapped_column(String(40))
    shelf: Mapped[Shelf] = relationship(back_populates="books")


class Shelves(Controller):
    def lazy(self) -> dict[str, Any]:
        """One query for the shelves, then one per shelf for its books: N+1."""
        shelves = self.db.scalars(select(Shelf).order_by(Shelf.id)).all()
        return {s.name: [b.title for b in s.books] for s in shelves}

    def loaded(self) -> dict[str, Any]:
        """The books come with the shelves: two queries, however many shelves."""
        query = select(Shelf).options(selectinload(Shelf.books)).order_by(Shelf.id)
        return {s.name: [b.title for b in s.books] for s in self.db.scalars(query)}

    async def per_shelf(self) -> dict[str, Any]:
        """An async action querying once per shelf: counted the same way."""
        shelves = (await self.adb.scalars(select(Shelf).order_by(Shelf.id))).all()
        return {
            s.name: (await self.adb.scalars(select(Book.title).where(Book.shelf_id == s.id))).all()
            for s in shelves
        }

    def broken(self) -> None:
        self.db.scalars(select(Shelf)).all()
        raise RuntimeError("after one query")


def _app(tmp_path: Path, env: str = "dev", **database: Any) -> App:
    config: dict[str, Any] = {
        "database": {"url": f"sqlite:///{tmp_path / 'db.sqlite3'}", **database}
    }
    if env == "prod":
        config["secret_key"] = "s" * 40
    app = App(root_path=tmp_path, env=env, config=config)
    Base.metadata.create_all(app.database.engine)
    with app.database.session() as db:
        for n in range(5):
            db.add(Shelf(name=f"shelf {n}", books=[Book(title=f"book {n}")]))
        db.commit()
    app.router("/lazy", Shelves, "get:lazy")
    app.router("/loaded", Shelves, "get:loaded")
    app.router("/broken", Shelves, "get:broken")
    app.router("/per-shelf", Shelves, "get:per_shelf")
    return app


def test_development_counts_each_requests_queries_and_flags_n_plus_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "mvcpy.queries"), TestClient(_app(tmp_path)) as client:
        lazy = client.get("/lazy")
        loaded = client.get("/loaded")
    assert lazy.headers["x-query-count"] == "6"  # the shelves, then 5 x their books
    assert lazy.headers["server-timing"].startswith('db;desc="6 queries";dur=')
    assert loaded.headers["x-query-count"] == "2"
    assert lazy.json() == loaded.json()
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "mvcpy.queries"]
    assert warning.startswith("GET /lazy (route Shelves.lazy) ran one query 5 times, an N+1")
    assert "FROM inspect_books" in warning and "selectinload" in warning


def test_the_debug_page_lists_the_queries_before_the_error(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path), raise_server_exceptions=False) as client:
        page = client.get("/broken", headers={"Accept": "text/html"})
    assert page.status_code == 500
    assert "SQL (1 query before the error)" in page.text
    assert "FROM inspect_shelves" in page.text


def test_production_and_tests_inspect_nothing_unless_asked(tmp_path: Path) -> None:
    for env in ("prod", "test"):
        with TestClient(_app(tmp_path / env, env)) as client:
            assert "x-query-count" not in client.get("/lazy").headers
    with TestClient(_app(tmp_path / "on", "test", inspect_queries=True)) as client:
        assert client.get("/lazy").headers["x-query-count"] == "6"


def test_assert_queries_counts_the_requests_of_a_block(tmp_path: Path) -> None:
    expected = r"6 SQL statement\(s\) ran, 2 expected"
    with TestClient(_app(tmp_path, "test")) as client:
        with assert_queries(2):
            client.get("/loaded")
        with pytest.raises(AssertionError, match=expected) as failed, assert_queries(2):
            client.get("/lazy")
    assert "FROM inspect_books" in str(failed.value)  # the statements are listed


def test_async_sessions_are_inspected_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "mvcpy.queries"), TestClient(_app(tmp_path)) as client:
        answer = client.get("/per-shelf")
        with assert_queries(6):
            client.get("/per-shelf")
    assert answer.headers["x-query-count"] == "6"
    assert any("ran one query 5 times" in r.getMessage() for r in caplog.records)
