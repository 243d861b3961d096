"""Registering models: what the forms are made of, which mistakes stop the app, and when
the admin is on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mvcpy import App
from mvcpy.admin import Admin, audit
from mvcpy.errors import ConfigurationError
from mvcpy.testing import TestClient

from . import sites
from .conftest import build_app
from .models import Author, Base, Post, Status


class Pair(Base):
    __tablename__ = "pairs"

    left: Mapped[int] = mapped_column(Integer, primary_key=True)
    right: Mapped[int] = mapped_column(Integer, primary_key=True)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    heading: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, object]] = mapped_column(JSON)


def test_the_form_follows_the_columns() -> None:
    registered = Admin().register(Post)
    fields = {field.name: field for field in registered.fields}
    # the id and the timestamp (a default computed in Python) are not edited
    assert list(fields) == [
        "title", "body", "published", "rating", "price", "status", "author_id", "published_at",
    ]  # fmt: skip
    assert [(f.kind, f.input, f.required) for f in fields.values()] == [
        ("str", "text", True),
        ("text", "textarea", False),
        ("bool", "checkbox", False),
        ("int", "number", False),
        ("decimal", "number", False),
        ("choice", "select", True),
        ("reference", "select", True),
        ("datetime", "datetime-local", False),
    ]
    assert fields["title"].max_length == 200 and fields["author_id"].target is Author
    assert fields["price"].step == "0.01" and fields["status"].choices == ("draft", "live")

    form = registered.form
    good = form.model_validate(
        {"title": " Hi ", "rating": "", "price": "2.5", "status": "live", "author_id": "3"}
    )
    assert good.model_dump() == {
        "title": "Hi",
        "body": None,
        "published": False,
        "rating": None,
        "price": Decimal("2.5"),
        "status": Status.live,
        "author_id": 3,
        "published_at": None,
    }
    for bad in (
        {"title": "x" * 201},
        {"title": "a\x00b"},
        {"rating": str(2**31)},
        {"price": "1.001"},
        {"price": "1234567.00"},
        {"status": "gone"},
    ):
        with pytest.raises(ValidationError):
            form.model_validate(bad)


def test_defaults_of_a_registration() -> None:
    registered = Admin().register(Post)
    assert registered.slug == "posts" and registered.plural == "Posts"
    assert registered.list_display == ("id", "title", "body", "published", "rating")
    assert registered.ordering == ("-id",)
    assert registered.title(Post(id=4, title="")) == "Post 4"
    assert registered.title(Post(id=4, title="Hello")) == "Hello"
    assert registered.key("12") == 12 and registered.key("x") is None
    assert registered.key("9" * 30) is None
    site = Admin()
    site.register(Author)
    assert site.permissions() == [
        "authors.view",
        "authors.create",
        "authors.edit",
        "authors.delete",
    ]


@pytest.mark.parametrize(
    ("model", "options", "message"),
    [
        (Post, {"fields": ["nothing"]}, "no column 'nothing'"),
        (Post, {"list_display": ["nothing"]}, "no attribute 'nothing'"),
        (Post, {"search": ["rating"]}, "'rating' is no text column"),
        (Post, {"ordering": ["-nothing"]}, "no column '-nothing'"),
        (Post, {"filters": ["nothing"]}, "no column 'nothing'"),
        (Pair, {}, "one-column primary key"),
        (Document, {}, "JSON column, which the admin cannot edit"),
        (int, {}, "not a model"),
    ],
)
def test_a_mistaken_registration_says_what_is_wrong(
    model: type, options: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Admin().register(model, **options)


def test_a_model_is_registered_once() -> None:
    site = Admin()
    site.register(Author)
    with pytest.raises(ConfigurationError, match="registered with the admin already"):
        site.register(Author)
    assert site.of(Author) is site.get("authors") and site.of(Post) is None


def test_the_admin_is_off_without_an_admin_module(tmp_path: Path) -> None:
    app = App(root_path=tmp_path, env="test")
    assert "admin" not in app.services
    with TestClient(app) as client:
        assert client.get("/admin/").status_code == 404


def test_turned_on_without_registrations_the_app_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="has no admin module"):
        App(root_path=tmp_path, env="test", config={"admin": {"enabled": True}})


def test_a_site_that_is_not_an_admin_stops_the_app(tmp_path: Path) -> None:
    app = App(root_path=tmp_path, env="test", config={"admin": {"site": f"{Base.__module__}:Base"}})
    with pytest.raises(ConfigurationError, match="not an Admin"):
        app.start()


def test_the_admin_moves_with_its_path_and_can_be_turned_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    moved = build_app(tmp_path, url, path="/backoffice")
    assert moved.url_for("admin.list", model="posts") == "/backoffice/posts/"
    off = build_app(tmp_path, url, enabled=False)
    with TestClient(off) as client:
        client.login_as(1)
        assert client.get("/admin/").status_code == 404


def test_check_fails_until_the_audit_log_exists(tmp_path: Path) -> None:
    from mvcpy.readiness import run_checks

    app = App(
        root_path=tmp_path,
        env="test",
        config={
            "database": {"url": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
            "admin": {"site": f"{sites.__name__}:admin"},
        },
    )
    results = {result.name: result for result in run_checks(app)}
    assert results["admin"].ok is False and "mvcpy generate admin" in results["admin"].message
    with app.database.engine.begin() as connection:
        audit.create(connection)
    again = {result.name: result for result in run_checks(app)}
    assert again["admin"].ok is True and "2 model(s)" in again["admin"].message
