"""The client script of live updates, served by ``app.serve_live_script()``."""

from __future__ import annotations

from collections.abc import Callable

from mvcpy import App
from mvcpy.testing import TestClient


def test_the_script_is_served_with_validators(make_app: Callable[..., App]) -> None:
    app = make_app()
    app.serve_live_script()
    assert app.url_for("mvcpy.live") == "/mvcpy/live.js"
    with TestClient(app) as client:
        script = client.get("/mvcpy/live.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert "data-mvcpy-live" in script.text and "mvcpy:message" in script.text
        again = client.get("/mvcpy/live.js", headers={"if-none-match": script.headers["etag"]})
        assert again.status_code == 304


def test_the_path_and_name_can_be_chosen(make_app: Callable[..., App]) -> None:
    app = make_app()
    app.serve_live_script("/assets/live.js", name="live")
    with TestClient(app) as client:
        assert client.get(app.url_for("live")).status_code == 200
