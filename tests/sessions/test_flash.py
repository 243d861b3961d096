"""Flash messages: queued by one request, read once by the next, in code and templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mvcpy import App, Controller
from mvcpy.testing import TestClient


class PostsController(Controller):
    def create(self) -> Any:
        self.flash("Post created")
        self.flash("Check the title", "warning")
        return self.redirect("/posts")

    def index(self) -> None:
        self.tpl_name = "posts.html"


def test_flash_then_read_once_in_a_template(
    session_app: Callable[..., App], views: Callable[[str, str], Any]
) -> None:
    views(
        "posts.html",
        "{% for c, m in get_flashed_messages(with_categories=True) %}[{{ c }}:{{ m }}]"
        "{% endfor %}|{{ get_flashed_messages() | length }}",
    )
    app = session_app()
    app.router("/posts/new", PostsController, "get:create")
    app.router("/posts", PostsController, "get:index")
    with TestClient(app) as client:
        page = client.get("/posts/new", follow_redirects=True)
        assert page.text == "[info:Post created][warning:Check the title]|2"
        assert client.get("/posts").text == "|0"  # read once


def test_flash_in_controllers_with_a_category_filter(session_app: Callable[..., App]) -> None:
    class NotesController(Controller):
        def add(self) -> str:
            self.flash("saved", "success")
            self.flash("slow disk", "warning")
            return "ok"

        def show(self) -> dict[str, Any]:
            return {
                "warnings": self.get_flashed_messages(category_filter=("warning",)),
                "all": self.get_flashed_messages(with_categories=True),
            }

    app = session_app()
    app.router("/add", NotesController, "get:add")
    app.router("/show", NotesController, "get:show")
    with TestClient(app) as client:
        client.get("/add")
        assert client.get("/show").json() == {
            "warnings": ["slow disk"],
            "all": [["success", "saved"], ["warning", "slow disk"]],
        }
        assert client.get("/show").json() == {"warnings": [], "all": []}
