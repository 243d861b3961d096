"""The admin end to end: a project with accounts, a scaffolded ``Post`` and
``mvcpy generate admin Post``, served by uvicorn (prod), used in headless Chromium.

``mvcpy admin grant`` lets Ann in. She logs in through the project's login page, searches
and filters the posts, meets the error of a form sent without a title, creates a post,
edits it, deletes it after the confirmation page and deletes two more at once; the
audit log shows each change, by her; the operations page, in the project's layout, has
counted her requests. Bob, who has an account and no permission, gets 403 from both.
Its pictures are docs/admin.md's: ``make screenshots`` runs it with ``MVCPY_SCREENSHOTS``
set to ``docs/images``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ._browser import start_chromium, wait_for
from ._projects import MVCPY, new_project, project_pytest, run_in_project
from ._servers import PROD_SECRET, PYTHON, REPO_ROOT, ServerProcess, uvicorn_argv

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

PASSWORD = "correct horse battery"
SCREENSHOTS = ("admin-list.png", "admin-form-error.png", "admin-log.png", "ops-dashboard.png")

#: two users (confirmed) and four posts, written by the project's own models
SEED = f"""
from datetime import UTC, datetime
from demo.app import app
from demo.models.post import Post
from demo.models.user import User, grant
from sqlalchemy import select
with app.database.session() as db:
    for email in ("ann@example.com", "bob@example.com"):
        user = User(email=email, confirmed_at=datetime.now(UTC))
        user.set_password({PASSWORD!r})
        db.add(user)
    db.flush()
    grant(db, db.scalar(select(User).where(User.email == "ann@example.com")), "ops", "ops.view")
    db.add_all([
        Post(title="First post", body="Hello", published=True),
        Post(title="Second post", body="Again", published=False),
        Post(title="Third post", body="More", published=True),
        Post(title="Old notes", body="Drafts", published=False),
    ])
    db.commit()
"""


def _project(tmp_path: Path) -> Path:
    project = new_project(tmp_path)

    def run(*argv: str) -> str:
        return run_in_project(list(argv), project, timeout=180).stdout

    run(MVCPY, "generate", "auth")
    run(MVCPY, "generate", "scaffold", "post", "title:str", "body:text", "published:bool")
    run(MVCPY, "generate", "admin", "Post")
    run(MVCPY, "db", "upgrade")
    tests = run(*project_pytest())
    assert "failed" not in tests and " passed" in tests, tests
    run(PYTHON, "-c", SEED)
    assert "ann@example.com may use the admin" in run(MVCPY, "admin", "grant", "ann@example.com")
    return project


def _heading(browser: Chrome) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "h1").text


def _rows(browser: Chrome) -> list[str] | None:
    """The titles of the list's rows, or None while the page is being replaced (a wait
    then asks again)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    try:
        rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr[id^=row-]")
        return [row.find_elements(By.TAG_NAME, "td")[2].text for row in rows]
    except WebDriverException:  # a row of the page that was just left
        return None


def _click(browser: Chrome, text: str) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(
        By.XPATH, f"//*[self::a or self::button][normalize-space()='{text}']"
    ).click()


def _flash(browser: Chrome, text: str) -> None:
    from selenium.webdriver.common.by import By

    wait_for(
        lambda: any(text in e.text for e in browser.find_elements(By.CSS_SELECTOR, "p.flash")),
        what=f"the flash message {text!r}",
    )


def _log_in(browser: Chrome, base: str, email: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(base + "/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.XPATH, "//button[normalize-space()='Log in']").click()
    wait_for(lambda: "Welcome back." in browser.page_source, what="the login")


def test_the_admin_in_a_browser(
    tmp_path: Path, browser: Chrome, start_server: Callable[..., ServerProcess]
) -> None:
    from selenium.webdriver.common.by import By

    wanted = os.environ.get("MVCPY_SCREENSHOTS")
    pictures = REPO_ROOT / wanted if wanted else tmp_path
    pictures.mkdir(parents=True, exist_ok=True)
    project = _project(tmp_path)
    server = start_server(
        "admin-uvicorn",
        uvicorn_argv("demo.app:app"),
        env={
            "MVCPY_ENV": "prod",
            "MVCPY_SECRET_KEY": PROD_SECRET,
            "MVCPY_SESSION__SECURE": "false",  # plain HTTP on loopback
            "MVCPY_OPS__ENABLED": "true",  # the operations page, for Ann (ops.view)
        },
        cwd=project,
    )
    base = server.base_url
    browser.set_window_size(1200, 800)

    # A visitor is sent to the login page; Ann logs in and comes back.
    browser.get(base + "/admin/")
    wait_for(lambda: _heading(browser) == "Log in", what="the login page")
    _log_in(browser, base, "ann@example.com")
    browser.get(base + "/admin/")
    wait_for(lambda: _heading(browser) == "Administration", what="the admin's index")

    # The list: newest first; a search, then a filter on top of it.
    browser.find_element(By.LINK_TEXT, "Posts").click()
    wait_for(lambda: _heading(browser) == "Posts", what="the list of posts")
    wait_for(
        lambda: _rows(browser) == ["Old notes", "Third post", "Second post", "First post"],
        what="the posts, newest first",
    )
    search = browser.find_element(By.ID, "q")
    search.send_keys("post")
    _click(browser, "Search")
    wait_for(lambda: _rows(browser) == ["Third post", "Second post", "First post"], what="search")
    browser.find_element(By.CSS_SELECTOR, "aside.filters").find_element(By.LINK_TEXT, "yes").click()
    wait_for(lambda: _rows(browser) == ["Third post", "First post"], what="the filter")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Title").click()  # order by title
    wait_for(lambda: _rows(browser) == ["First post", "Third post"], what="the order")
    browser.save_screenshot(str(pictures / "admin-list.png"))

    # Create: without a title, the error is beside the field; then with one.
    browser.get(base + "/admin/posts/")
    _click(browser, "Add Post")
    wait_for(lambda: _heading(browser) == "Add Post", what="the form")
    browser.find_element(By.ID, "body").send_keys("Written in the admin")
    _click(browser, "Save")
    error = wait_for(lambda: browser.find_elements(By.ID, "title-error"), what="the error")
    assert error[0].text == "This field is required."
    assert browser.find_element(By.ID, "body").get_attribute("value") == "Written in the admin"
    browser.save_screenshot(str(pictures / "admin-form-error.png"))
    browser.find_element(By.ID, "title").send_keys("From the admin")
    browser.find_element(By.ID, "published").click()
    _click(browser, "Save")
    _flash(browser, "Post From the admin created.")

    # Edit it, then delete it after the confirmation page.
    browser.find_element(By.XPATH, "//tr[td[3][normalize-space()='From the admin']]//a").click()
    wait_for(lambda: _heading(browser) == "Post: From the admin", what="the edit form")
    title = browser.find_element(By.ID, "title")
    title.clear()
    title.send_keys("From the admin, edited")
    _click(browser, "Save")
    _flash(browser, "Post From the admin, edited saved.")
    browser.find_element(
        By.XPATH, "//tr[td[3][normalize-space()='From the admin, edited']]//a"
    ).click()
    _click(browser, "Delete")
    wait_for(lambda: _heading(browser) == "Delete Post", what="the confirmation")
    _click(browser, "Yes, delete")
    _flash(browser, "Post From the admin, edited deleted.")

    # Two at once: check them, confirm, gone.
    for name in ("Old notes", "Second post"):
        row = browser.find_element(By.XPATH, f"//tr[td[3][normalize-space()='{name}']]")
        row.find_element(By.NAME, "ids").click()
    _click(browser, "Delete selected")
    wait_for(lambda: "These 2 rows will be deleted" in browser.page_source, what="the question")
    _click(browser, "Yes, delete")
    _flash(browser, "2 posts deleted.")
    wait_for(lambda: _rows(browser) == ["Third post", "First post"], what="the two left")

    # The audit log: every change, by Ann, newest first.
    _click(browser, "Audit log")
    wait_for(lambda: _heading(browser) == "Audit log", what="the audit log")
    lines = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "table.log tbody tr")]
    assert len(lines) == 5 and all("ann@example.com" in line for line in lines)
    assert "deleted" in lines[0] and "Old notes" in lines[0]  # deleted in the order of ids
    assert "deleted" in lines[1] and "Second post" in lines[1]
    assert "deleted" in lines[2] and "From the admin, edited" in lines[2]
    assert "edited" in lines[3] and "From the admin → From the admin, edited" in lines[3]
    assert "created" in lines[4]
    browser.save_screenshot(str(pictures / "admin-log.png"))

    # The operations page, in the project's layout: the admin's routes counted.
    browser.get(base + "/-/ops/")
    wait_for(lambda: _heading(browser) == "Operations", what="the operations page")
    routes = browser.find_element(By.ID, "routes").text
    assert "admin.list GET" in routes and "admin.create POST" in routes
    assert browser.find_elements(By.CSS_SELECTOR, "header a")  # the project's header
    browser.save_screenshot(str(pictures / "ops-dashboard.png"))

    # Bob has an account and no permission: 403, in his browser and to a script.
    other = start_chromium(tmp_path / "bob-profile")
    try:
        _log_in(other, base, "bob@example.com")
        other.get(base + "/admin/posts/")
        assert "403" in other.title or "Forbidden" in other.page_source
        other.get(base + "/-/ops/")
        assert "403" in other.title or "Forbidden" in other.page_source
    finally:
        other.quit()
    with httpx.Client(base_url=base) as http:
        assert http.get("/admin/posts/").status_code == 302  # nobody logged in
    for name in SCREENSHOTS:
        assert (pictures / name).read_bytes().startswith(b"\x89PNG")
