"""``views/errors/<status>.html`` for HTML clients, with a safe fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mvcpy import App, Controller
from mvcpy.testing import TestClient

HTML = {"accept": "text/html"}


class ShopController(Controller):
    def gone(self) -> Any:
        self.abort(410, "That product was withdrawn")

    def broken(self) -> None:
        self.tpl_name = "broken.html"


def _app(tmp_path: Path, env: str = "test", **config: Any) -> App:
    app = App(root_path=tmp_path, env=env, config={"secret_key": "k" * 32, **config})
    app.router("/gone", ShopController, "get:gone", name="gone")
    app.router("/broken", ShopController, "get:broken", name="broken")
    return app


def test_project_error_pages_for_html_clients(views, tmp_path: Path) -> None:
    views("layout.html", "<html>{% block body %}{% endblock %}</html>")
    views(
        "errors/404.html",
        "{% extends 'layout.html' %}{% block body %}{{ status }} {{ reason }}: {{ message }} "
        "<a href=\"{{ url_for('gone') }}\">x</a>{% endblock %}",
    )
    views("errors/410.html", "<h1>{{ status }}</h1><p>{{ message }}</p>")
    with TestClient(_app(tmp_path)) as client:
        missing = client.get("/nowhere", headers=HTML)
        assert missing.status_code == 404
        assert missing.text.startswith("<html>404 Not Found: ") and 'href="/gone"' in missing.text
        assert missing.template == "errors/404.html"
        gone = client.get("/gone", headers=HTML)
        assert gone.status_code == 410
        assert gone.text == "<h1>410</h1><p>That product was withdrawn</p>"
        as_json = client.get("/gone")  # an API client still gets JSON
        assert as_json.json()["error"]["message"] == "That product was withdrawn"


def test_status_without_a_page_uses_the_built_in_one(views, tmp_path: Path) -> None:
    views("errors/404.html", "custom")
    with TestClient(_app(tmp_path)) as client:
        response = client.get("/gone", headers=HTML)
        assert response.status_code == 410 and "custom" not in response.text
        assert "That product was withdrawn" in response.text


def test_broken_error_page_falls_back_to_the_built_in_page(views, tmp_path: Path, caplog) -> None:
    views("errors/404.html", "{{ undefined_thing.attr }}")
    with TestClient(_app(tmp_path)) as client:
        response = client.get("/nowhere", headers=HTML)
    assert response.status_code == 404
    assert "<html" in response.text.lower() and "undefined_thing" not in response.text
    assert any("errors/404.html failed" in r.getMessage() for r in caplog.records)


def test_prod_user_sees_the_500_page_for_a_broken_template(views, tmp_path: Path, caplog) -> None:
    views("broken.html", "line one\n{{ no_such_variable.x }}")
    views("errors/500.html", "<h1>Sorry</h1>{{ message }}")
    app = _app(tmp_path, env="prod", templates={"strict": True})
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken", headers=HTML)
    assert response.status_code == 500
    assert response.text == "<h1>Sorry</h1>Internal Server Error"
    logged = [r for r in caplog.records if r.exc_info is not None]
    assert any("broken.html, line 2: UndefinedError" in str(r.exc_info[1]) for r in logged)


def test_prod_never_shows_a_traceback_when_the_500_page_fails(views, tmp_path: Path) -> None:
    views("broken.html", "{{ 1 // 0 }}")
    views("errors/500.html", "{{ 1 // 0 }}")
    with TestClient(_app(tmp_path, env="prod"), raise_server_exceptions=False) as client:
        response = client.get("/broken", headers=HTML)
    assert response.status_code == 500
    assert "Traceback" not in response.text and "ZeroDivision" not in response.text
    assert "Internal Server Error" in response.text


def test_the_projects_generic_error_page_serves_every_other_status(views, tmp_path: Path) -> None:
    views("layout.html", "<html><title>{% block title %}{% endblock %}</title>"
                         "{% block content %}{% endblock %}</html>")  # fmt: skip
    views("errors/error.html", '{% extends "layout.html" %}{% block title %}{{ status }}'
                               "{% endblock %}{% block content %}{{ status }} {{ reason }}: "
                               "{{ message }}{% endblock %}")  # fmt: skip
    views("errors/404.html", "<p>no such page</p>")
    app = _app(tmp_path)
    app.post("/only-post", lambda ctx: "ok")
    with TestClient(app, raise_server_exceptions=False) as client:
        wrong_method = client.get("/only-post", headers=HTML)
        missing = client.get("/nowhere", headers=HTML)
        api = client.get("/only-post", headers={"accept": "application/json"})
    assert wrong_method.status_code == 405
    assert wrong_method.text == (
        "<html><title>405</title>405 Method Not Allowed: Method GET not allowed</html>"
    )
    assert missing.text == "<p>no such page</p>"  # its own page first
    assert api.json()["error"]["status"] == 405  # API clients still get JSON
