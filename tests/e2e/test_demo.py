"""The README's first command: ``make demo`` generates, migrates and serves a project.

The test runs the Makefile's own recipes with the project written to a temporary
directory and served on a free port (``DEMO_DIR`` and ``PORT``): first
``make demo-project`` (generate and migrate), then ``make demo``, which runs those steps
again (they must be idempotent) and serves the project until it is stopped. Headless
Chromium then goes through what the demo shows: the start page, the posts, a comment that
belongs to a post, and the live page in two windows at once. The README's screenshots
are the ones this test takes: ``make screenshots`` runs it with ``MVCPY_SCREENSHOTS``
set to ``docs/images``, where it writes them.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ._browser import wait_for
from ._projects import project_pytest, run_in_project
from ._servers import REPO_ROOT, ServerProcess, run_command

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

MAKE = shutil.which("make")
VENV = Path(sys.executable).parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The pictures the README shows, by file name.
SCREENSHOTS = ("demo-start.png", "demo-posts.png", "demo-comment.png", "demo-live.png")


def _screenshot(browser: Chrome, directory: Path, name: str) -> None:
    assert browser.save_screenshot(str(directory / name)), name


def _heading(browser: Chrome) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "h1").text


def _tour(browser: Chrome, base_url: str, pictures: Path) -> None:
    """Click through the demo as a visitor would, taking the README's pictures."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(base_url + "/")
    assert "Welcome to demo" in browser.page_source
    _screenshot(browser, pictures, "demo-start.png")

    browser.find_element(By.LINK_TEXT, "/posts").click()
    wait_for(lambda: _heading(browser) == "Posts", what="the posts")
    assert "Welcome to the mvcpy demo" in browser.page_source
    _screenshot(browser, pictures, "demo-posts.png")

    # A comment belongs to a post: the form offers the posts by title.
    browser.get(base_url + "/comments/new")
    posts = Select(browser.find_element(By.ID, "post_id"))
    assert "Routes, controllers and views" in [o.text for o in posts.options]
    posts.select_by_visible_text("Routes, controllers and views")
    browser.find_element(By.ID, "body").send_keys("Written in Chromium, on the second post.")
    browser.find_element(By.XPATH, "//button[normalize-space()='Create comment']").click()
    wait_for(lambda: "Comment created." in browser.page_source, what="the comment's flash message")
    details = browser.find_element(By.TAG_NAME, "dl").text
    assert "Routes, controllers and views" in details and "Written in Chromium" in details
    _screenshot(browser, pictures, "demo-comment.png")

    # The live page in two windows: a note sent in one appears in both.
    browser.get(base_url + "/live")
    first = browser.current_window_handle
    wait_for(lambda: "1 here now" in browser.page_source, what="the first window connected")
    browser.switch_to.new_window("window")
    browser.get(base_url + "/live")
    second = browser.current_window_handle
    wait_for(lambda: "2 here now" in browser.page_source, what="the second window connected")
    browser.find_element(By.ID, "name").send_keys("Ann")
    browser.find_element(By.ID, "text").send_keys("Hello from the second window")
    browser.find_element(By.XPATH, "//button[normalize-space()='Send']").click()
    browser.switch_to.window(first)
    note = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#notes li"), what="the note in window 1"
    )
    assert note[0].text == "Ann: Hello from the second window"
    assert "2 here now" in browser.find_element(By.ID, "presence").text
    _screenshot(browser, pictures, "demo-live.png")
    browser.switch_to.window(second)
    browser.close()
    browser.switch_to.window(first)
    wait_for(
        lambda: browser.find_element(By.ID, "presence").text == "1 here now",
        what="the counter after the second window closed",
    )

    # Accounts (mvcpy generate auth): a short password is refused beside the field; the
    # seeded user logs in and makes an API token on the account page.
    browser.get(base_url + "/")
    browser.find_element(By.LINK_TEXT, "Sign up").click()
    wait_for(lambda: _heading(browser) == "Sign up", what="the sign-up form")
    browser.find_element(By.ID, "email").send_keys("ann@example.com")
    browser.find_element(By.ID, "password").send_keys("short")
    browser.find_element(By.XPATH, "//button[normalize-space()='Sign up']").click()
    wait_for(lambda: browser.find_elements(By.ID, "password-error"), what="the password error")
    _screenshot(browser, pictures, "demo-sign-up.png")
    browser.get(base_url + "/login")
    browser.find_element(By.ID, "email").send_keys("demo@example.com")
    browser.find_element(By.ID, "password").send_keys("mvcpy demo password")
    browser.find_element(By.XPATH, "//button[normalize-space()='Log in']").click()
    wait_for(lambda: "Welcome back." in browser.page_source, what="the login")
    browser.find_element(By.LINK_TEXT, "demo@example.com").click()
    wait_for(lambda: _heading(browser) == "Your account", what="the account page")
    browser.find_element(By.ID, "token-name").send_keys("laptop")
    browser.find_element(By.XPATH, "//button[normalize-space()='Create a token']").click()
    wait_for(lambda: browser.find_elements(By.ID, "new-token"), what="the new token")
    _screenshot(browser, pictures, "demo-account.png")

    # The admin (mvcpy generate admin post comment): the seeded user may use it, and a
    # comment's post shows by its title.
    browser.get(base_url + "/admin/")
    wait_for(lambda: _heading(browser) == "Administration", what="the admin")
    browser.find_element(By.LINK_TEXT, "Comments").click()
    wait_for(lambda: _heading(browser) == "Comments", what="the comments in the admin")
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "tbody tr[id^=row-]")]
    assert len(rows) == 3 and "Routes, controllers and views" in rows[0]  # Chromium's, above
    assert all("Welcome to the mvcpy demo" in row for row in rows[1:])


@pytest.mark.skipif(MAKE is None, reason="make is not installed (the README's commands need it)")
def test_make_demo_generates_migrates_and_serves_the_project(
    tmp_path: Path, start_server: Callable[..., ServerProcess], browser: Chrome
) -> None:
    assert MAKE is not None
    demo = tmp_path / "demo-project"
    make = [MAKE, "--no-print-directory", "-C", str(REPO_ROOT), f"VENV={VENV}", f"DEMO_DIR={demo}"]
    first = run_command([*make, "demo-project"], timeout=300)  # may (re)install the venv
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"created the project demo in {demo}" in first.stdout
    assert (demo / "demo" / "instance" / "app.sqlite3").is_file()
    assert "create posts" in first.stderr and "create comments" in first.stderr
    assert "create users, roles, permissions and api_tokens" in first.stderr
    assert "seeded the database from" in first.stdout
    # The demo's own tests pass: the scaffolds' and the live page's.
    tests = run_in_project(project_pytest(), demo, timeout=120).stdout
    assert re.search(r"\b[3-5][0-9] passed\b", tests) and "failed" not in tests, tests

    server = start_server("make-demo", lambda port: [*make, f"PORT={port}", "demo"])
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        home = http.get("/")
        assert home.status_code == 200
        assert "Welcome to demo" in home.text
        assert '<a href="/posts"><code>/posts</code></a>' in home.text  # the start page
        assert '<a href="/live"><code>/live</code></a>' in home.text
        posts = http.get("/posts")
        assert posts.status_code == 200
        assert "Welcome to the mvcpy demo" in posts.text and "A draft" in posts.text
        comments = http.get("/comments")
        assert "Deleting the post deletes its comments." in comments.text
        assert http.get("/-/docs/getting-started").status_code == 200
        assert http.get("/healthz").json() == {"status": "ok", "database": "ok"}

    wanted = os.environ.get("MVCPY_SCREENSHOTS")
    pictures = REPO_ROOT / wanted if wanted else tmp_path
    pictures.mkdir(parents=True, exist_ok=True)
    _tour(browser, server.base_url, pictures)
    for name in SCREENSHOTS:
        picture = (pictures / name).read_bytes()
        assert picture.startswith(PNG_SIGNATURE) and len(picture) > 5000, name

    log = server.log()
    assert "created the project" not in log  # the second run kept the project
    assert f"mvcpy new demo --dir {demo}" not in log
    assert "Traceback" not in log
