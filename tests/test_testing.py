from typing import Any

import pytest

from mvcpy import App, Controller
from mvcpy.testing import TestClient


class PagesController(Controller):
    def show(self, slug: str) -> None:
        self.data["slug"] = slug
        self.tpl_name = "page.html"

    def remember(self) -> Any:
        self.set_cookie("seen", "yes")
        return self.redirect("page", slug="home")

    def echo_cookie(self) -> Any:
        return {"seen": self.request.cookies.get("seen")}


@pytest.fixture
def app(make_app, views) -> App:
    views("page.html", "<h1>{{ slug }}</h1>")
    app = make_app()
    app.router("/pages/{slug}", PagesController, "get:show", name="page")
    app.router("/remember", PagesController, "post:remember")
    app.router("/cookie", PagesController, "get:echo_cookie")
    return app


def test_records_template_context_and_route(app: App) -> None:
    with TestClient(app) as client:
        response = client.get("/pages/about")
    assert response.status_code == 200 and response.text == "<h1>about</h1>"
    assert response.template == "page.html"
    assert response.context is not None and response.context["slug"] == "about"
    assert response.route_name == "page"


def test_cookies_persist_and_redirects_follow_on_request(app: App) -> None:
    with TestClient(app) as client:
        response = client.post("/remember")
        assert response.status_code == 302 and response.headers["location"] == "/pages/home"
        assert client.get("/cookie").json() == {"seen": "yes"}
        followed = client.post("/remember", follow_redirects=True)
        assert followed.text == "<h1>home</h1>" and followed.route_name == "page"


def test_request_options(app: App) -> None:
    with TestClient(app, cookies={"seen": "preset"}, headers={"x-default": "1"}) as client:
        assert client.get("/cookie").json() == {"seen": "preset"}
        assert client.get("/cookie", params={"a": "1"}).request.url.query == b"a=1"


def test_the_pytest_fixture_uses_the_app_fixture(client: TestClient) -> None:
    # `client` comes from mvcpy's pytest plugin, built from the `app` fixture above.
    assert client.get("/pages/fixture").text == "<h1>fixture</h1>"
