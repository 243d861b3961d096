"""Routes told apart by headers, query parameters and the scheme (Gorilla Mux's matchers):
one path and methods, several routes, the conditional ones tried first."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mvcpy import App, Controller
from mvcpy.errors import ConfigurationError
from mvcpy.routing import When
from mvcpy.testing import TestClient


class Pages(Controller):
    def partial(self) -> dict[str, Any]:
        return {"fragment": True}


def _app() -> App:
    app = App(env="test")
    app.route(
        "/search",
        lambda ctx: {"as": "json"},
        when=When(headers={"Accept": re.compile(r"\bjson\b")}),
        name="search.json",
    )
    app.route("/search", lambda ctx: "<p>results</p>", name="search")
    app.get("/feed", lambda ctx: {"version": 2}, name="feed.v2", when=When(query={"v": "2"}))
    app.get("/feed", lambda ctx: {"version": 1}, name="feed")
    app.get("/admin", lambda ctx: {"secure": True}, name="admin", when=When(scheme="https"))
    app.router(
        "/page",
        Pages,
        "get:partial",
        name="page.partial",
        when=When(headers={"X-Requested-With": "XMLHttpRequest"}, query={"fragment": None}),
    )
    app.get("/page", lambda ctx: {"fragment": False}, name="page")
    return app


@pytest.mark.parametrize(
    ("path", "headers", "status", "body"),
    [
        ("/search", {"accept": "application/json"}, 200, {"as": "json"}),
        ("/search", {"accept": "text/html"}, 200, "<p>results</p>"),
        ("/search", {}, 200, "<p>results</p>"),
        ("/feed?v=2", {}, 200, {"version": 2}),
        ("/feed?v=3", {}, 200, {"version": 1}),
        ("/admin", {}, 404, None),  # plain HTTP: no route's conditions hold
        ("/page?fragment", {"x-requested-with": "XMLHttpRequest"}, 200, {"fragment": True}),
        ("/page", {"x-requested-with": "XMLHttpRequest"}, 200, {"fragment": False}),  # no query
        ("/page?fragment=1", {}, 200, {"fragment": False}),  # no header
    ],
)
def test_the_first_route_whose_conditions_hold_answers(
    path: str, headers: dict[str, str], status: int, body: Any
) -> None:
    with TestClient(_app()) as client:
        answer = client.get(path, headers=headers)
    assert answer.status_code == status
    if body is not None:
        assert (answer.json() if isinstance(body, dict) else answer.text) == body


def test_the_scheme_condition_sees_https(make_app: Any) -> None:
    app = _app()
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/admin").json() == {"secure": True}


def test_every_route_keeps_its_name_and_explain_lists_the_conditions() -> None:
    app = _app()
    assert app.url_for("search.json") == app.url_for("search") == "/search"
    app.start()
    lines = app.route_table.explain("GET", "/search")
    assert lines[-3] == "=> the first of these whose conditions the request meets:"
    assert lines[-2].strip().startswith("GET /search when header accept~\\bjson\\b (")
    assert lines[-1].strip().endswith("name 'search'")


def test_conditions_are_checked_at_startup() -> None:
    app = App(env="test")
    app.get("/x", lambda ctx: 1, when=When(query={"a": "1"}))
    with pytest.raises(ConfigurationError, match="same path, methods and conditions"):
        app.get("/x", lambda ctx: 2, when=When(query={"a": "1"}))
    app.get("/x", lambda ctx: 3)
    with pytest.raises(ConfigurationError, match="same path, methods and conditions"):
        app.get("/x", lambda ctx: 4)  # a second route without conditions
    with pytest.raises(ValueError, match="needs headers, query or scheme"):
        When()
    with pytest.raises(ValueError, match="use http, https"):
        When(scheme="ftp")


def test_mvcpy_routes_shows_the_conditions(
    ready_project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from mvcpy.cli import main

    app_py = ready_project / "app.py"
    app_py.write_text(
        app_py.read_text()
        + "\nfrom mvcpy.routing import When\n"
        + "app.get('/feed', lambda ctx: {'v': 2}, name='feed.v2', when=When(query={'v': '2'}))\n"
        + "app.get('/feed', lambda ctx: {'v': 1}, name='feed')\n"
    )
    assert main(["routes"]) == 0
    out = capsys.readouterr().out
    assert "/feed [when query v=2]" in out and "feed.v2" in out
