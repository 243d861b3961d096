"""Accounts end to end: a project with ``mvcpy generate auth``, served by gunicorn (two
workers, prod), mail over a real SMTP server on loopback, headless Chromium clicking.

Chromium signs up; the test reads the confirmation mail from the SMTP server and follows
its link; logs in and out; resets the password through the mailed link, after which the
old link no longer works and a second browser's session has ended. A JSON client uses an
API token made on the account page with the ``Token`` scheme, on a route where a user is
optional and on one where it is required. The same runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.smtp_server import Received, SmtpServer, smtp_server

from ._browser import start_chromium, wait_for
from ._projects import new_project, project_pytest, run_in_project
from ._servers import PROD_SECRET, PYTHON, ServerProcess

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

#: A JSON API beside the pages: who am I (a user required) and a greeting (optional).
API_CONTROLLER = '''\
"""JSON routes that API tokens open."""

from mvcpy import Controller


class ApiController(Controller):
    def me(self) -> dict[str, object]:
        return {"email": self.current_user.email}

    def greeting(self) -> dict[str, object]:
        user = self.current_user
        return {"hello": user.email if user else "stranger"}
'''

API_ROUTES = """
    app.router("/api/me", ApiController, "get:me", name="api.me", filters=[login_required])
    app.router("/api/greeting", ApiController, "get:greeting", name="api.greeting")
"""

PASSWORD = "first password 1"
NEW_PASSWORD = "second password 2"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def _project(tmp_path: Path, database: dict[str, str]) -> Path:
    project = new_project(tmp_path)
    run_in_project([str(Path(PYTHON).parent / "mvcpy"), "generate", "auth"], project)
    (project / "demo" / "controllers" / "api.py").write_text(API_CONTROLLER)
    routes = project / "demo" / "routes.py"
    text = routes.read_text()
    text = text.replace(
        "from demo.controllers.home import HomeController\n",
        "from mvcpy.auth import login_required\n\nfrom demo.controllers.api import "
        "ApiController\nfrom demo.controllers.home import HomeController\n",
    )
    routes.write_text(text.rstrip("\n") + "\n" + API_ROUTES)
    run_in_project([str(Path(PYTHON).parent / "mvcpy"), "db", "upgrade"], project, database)
    tests = run_in_project(project_pytest(), project, database, timeout=180).stdout
    assert re.search(r"\b17 passed\b", tests), tests  # the home page's 2 and accounts' 15
    return project


def _link(mail: Received) -> str:
    match = re.search(r"http://\S+", mail.part("plain"))
    assert match, mail.part("plain")
    return match.group(0)


def _flash(browser: Chrome, text: str) -> None:
    from selenium.webdriver.common.by import By

    wait_for(
        lambda: any(text in e.text for e in browser.find_elements(By.CSS_SELECTOR, "p.flash")),
        what=f"the flash message {text!r}",
    )


def _fill(browser: Chrome, button: str, **fields: str) -> None:
    from selenium.webdriver.common.by import By

    for name, value in fields.items():
        element = browser.find_element(By.ID, name)
        element.clear()
        element.send_keys(value)
    browser.find_element(By.XPATH, f"//button[normalize-space()='{button}']").click()


def _heading(browser: Chrome) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "h1").text


def _log_in(browser: Chrome, base: str, password: str) -> None:
    browser.get(base + "/login")
    _fill(browser, "Log in", email="ann@example.com", password=password)
    wait_for(lambda: "Welcome back." in browser.page_source, what="the login")


def test_accounts_in_a_browser_with_real_mail(
    tmp_path: Path,
    browser: Chrome,
    start_server: Callable[..., ServerProcess],
    project_database: dict[str, str],
    smtp: SmtpServer,
) -> None:
    from selenium.webdriver.common.by import By

    project = _project(tmp_path, project_database)
    environment = {
        "MVCPY_ENV": "prod",
        "MVCPY_SECRET_KEY": PROD_SECRET,
        "MVCPY_SESSION__SECURE": "false",  # plain HTTP on loopback
        "MVCPY_ALLOWED_HOSTS": '["127.0.0.1"]',
        "MVCPY_MAIL__HOST": smtp.host,
        "MVCPY_MAIL__PORT": str(smtp.port),
        "MVCPY_MAIL__SECURITY": "none",  # a loopback test server without TLS
        "WEB_CONCURRENCY": "2",
        **project_database,
    }
    server = start_server(
        "accounts-gunicorn",
        lambda port: [
            PYTHON,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        env=environment,
        cwd=project,
    )
    wait_for(lambda: server.log().count("Booting worker with pid") >= 2, what="two workers")
    base = server.base_url

    # Sign up: a refused password first, then a good one; the confirmation comes by mail.
    browser.get(base + "/")
    browser.find_element(By.LINK_TEXT, "Sign up").click()
    wait_for(lambda: _heading(browser) == "Sign up", what="the sign-up form")
    _fill(browser, "Sign up", email="Ann@Example.com", password="short")
    wait_for(lambda: browser.find_elements(By.ID, "password-error"), what="the password error")
    _fill(browser, "Sign up", email="Ann@Example.com", password=PASSWORD)
    _flash(browser, "Check your inbox")
    (confirmation,) = smtp.wait_for(1)
    assert confirmation.recipients == ["ann@example.com"]
    assert confirmation.message["From"] == "demo <noreply@demo.example.com>"
    assert confirmation.part("html")  # both parts left the process

    # Not confirmed yet: no login. Then the mailed link confirms.
    browser.get(base + "/login")
    _fill(browser, "Log in", email="ann@example.com", password=PASSWORD)
    wait_for(lambda: "Confirm your email address first" in browser.page_source, what="refusal")
    browser.get(_link(confirmation))
    _flash(browser, "Your email address is confirmed.")

    # Log in, see the account, log out.
    _log_in(browser, base, PASSWORD)
    browser.find_element(By.LINK_TEXT, "ann@example.com").click()
    wait_for(lambda: _heading(browser) == "Your account", what="the account page")
    browser.find_element(By.XPATH, "//button[normalize-space()='Log out']").click()
    _flash(browser, "You are logged out.")
    browser.get(base + "/account")
    wait_for(lambda: _heading(browser) == "Log in", what="the login page")

    # A second browser logs in; it will be logged out by the reset.
    second = start_chromium(tmp_path / "second-profile")
    try:
        _log_in(second, base, PASSWORD)
        second.get(base + "/account")
        assert _heading(second) == "Your account"

        # Reset the password through the mailed link.
        browser.get(base + "/login")
        browser.find_element(By.LINK_TEXT, "Forgot your password?").click()
        _fill(browser, "Send the link", email="ann@example.com")
        _flash(browser, "a link to reset its password is on its way")
        reset = smtp.wait_for(2)[1]
        assert reset.message["Subject"] == "Reset your password"
        browser.get(_link(reset))
        wait_for(lambda: _heading(browser) == "Choose a new password", what="the reset form")
        _fill(browser, "Change my password", password=NEW_PASSWORD)
        _flash(browser, "Your password is changed")
        browser.get(_link(reset))
        assert _heading(browser) == "This link does not work"

        second.get(base + "/account")
        wait_for(lambda: _heading(second) == "Log in", what="the second browser logged out")
    finally:
        second.quit()

    # The new password works; the account page makes an API token.
    _log_in(browser, base, NEW_PASSWORD)
    browser.get(base + "/account")
    _fill(browser, "Create a token", **{"token-name": "script"})
    token = wait_for(lambda: browser.find_elements(By.ID, "new-token"), what="the token")[0].text
    assert browser.save_screenshot(str(tmp_path / "accounts-token.png"))

    with httpx.Client(base_url=base, timeout=10.0) as api:
        headers = {"Authorization": f"Token {token}"}
        assert api.get("/api/greeting").json() == {"hello": "stranger"}
        assert api.get("/api/greeting", headers=headers).json() == {"hello": "ann@example.com"}
        assert api.get("/api/me", headers=headers).json() == {"email": "ann@example.com"}
        refused = api.get("/api/me", headers={"Accept": "application/json"})
        assert refused.status_code == 401 and refused.json()["error"]["message"] == "login required"
        forged = api.get("/api/greeting", headers={"Authorization": "Token forged"})
        assert forged.status_code == 401
        assert "invalid_token" in forged.headers["www-authenticate"]
