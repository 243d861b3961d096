"""A person signs in through the login form on a real server: CSRF, flash, guard, sign out."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from tests.e2e._servers import PROD_SECRET, ServerProcess, uvicorn_argv

pytestmark = pytest.mark.e2e

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def test_sign_in_see_flash_reach_protected_page_sign_out(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(
        "uvicorn-login",
        uvicorn_argv("tests.e2e.apps.login_app:app"),
        # Plain HTTP on loopback: the prod default (Secure cookies) would keep the
        # client from sending the session back, which is the point of it.
        {"MVCPY_ENV": "prod", "MVCPY_SECRET_KEY": PROD_SECRET, "MVCPY_SESSION__SECURE": "false"},
        ready_path="/login",
    )
    with httpx.Client(base_url=server.base_url, timeout=10.0) as browser:
        refused = browser.get("/dashboard", headers={"accept": "text/html"})
        assert refused.status_code == 302
        assert refused.headers["location"].startswith("/login?next=/dashboard")

        page = browser.get("/login")
        token = form_token(page)
        forged = browser.post("/login", data={"name": "ann", "password": "s3cret!"})
        assert forged.status_code == 403  # no CSRF token

        wrong = browser.post(
            "/login", data={"name": "ann", "password": "nope", "csrf_token": token}
        )
        assert wrong.status_code == 302
        assert "Wrong name or password" in browser.get("/login").text

        token = form_token(browser.get("/login"))
        signed_in = browser.post(
            "/login?next=/dashboard",
            data={"name": "ann", "password": "s3cret!", "csrf_token": token},
        )
        assert signed_in.status_code == 302 and signed_in.headers["location"] == "/dashboard"
        dashboard = browser.get("/dashboard")
        assert dashboard.status_code == 200
        assert "Hello ann" in dashboard.text and "Welcome, ann" in dashboard.text
        assert "Welcome, ann" not in browser.get("/dashboard").text  # flashed once

        cookie = dashboard.request.headers["cookie"]
        assert "HttpOnly" in signed_in.headers["set-cookie"]
        assert "SameSite=Lax" in signed_in.headers["set-cookie"]
        signed_out = browser.post("/logout", data={"csrf_token": form_token(dashboard)})
        assert signed_out.status_code == 302
        assert "Signed out" in browser.get("/login").text
        assert browser.get("/dashboard", headers={"accept": "text/html"}).status_code == 302
        assert cookie  # the session travelled as a cookie the whole way
