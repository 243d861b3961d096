"""A scaffolded project from the installed wheel, served by gunicorn, used in Chromium.

The wheel is built once a session and installed alone into a fresh venv (the
``fresh_venv`` fixture; its dependencies come from the test environment). In that venv:
``mvcpy new demo``, ``mvcpy generate scaffold post title:str body:text published:bool``,
``mvcpy db upgrade`` and the project's own tests; then gunicorn serves the project with
its ``gunicorn.conf.py`` (two workers, prod) and headless Chromium lists, creates, edits
and deletes a post through the forms, meeting the validation errors and the flash
messages on the way; broken and hostile requests get a 4xx, never a 500. The same flow
runs on SQLite and on PostgreSQL (a schema of its own, dropped afterwards).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ._browser import wait_for
from ._projects import new_project, project_pytest, run_in_project
from ._servers import PROD_SECRET, ServerProcess
from ._wheel import with_test_dependencies

if TYPE_CHECKING:
    from selenium.webdriver import Chrome
    from selenium.webdriver.remote.webelement import WebElement

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _check_bad_input(base_url: str) -> None:
    """Hostile or broken requests get a 4xx from the served project, never a 500."""
    with httpx.Client(base_url=base_url, timeout=10.0) as http:
        page = http.get("/posts/new")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, page.text
        token = match.group(1)
        answers = {
            "no token": http.post("/posts", data={"title": "t", "body": "b"}).status_code,
            "NUL": http.post(
                "/posts", data={"title": "a\x00b", "body": "b", "csrf_token": token}
            ).status_code,
            "not a bool": http.post(
                "/posts",
                data={"title": "t", "body": "b", "published": "maybe", "csrf_token": token},
            ).status_code,
            "too long": http.post(
                "/posts", data={"title": "x" * 201, "body": "b", "csrf_token": token}
            ).status_code,
            "bad page": http.get("/posts?page=abc").status_code,
            "far page": http.get(f"/posts?page={2**63}").status_code,
            "huge id": http.get(f"/posts/{2**70}").status_code,
            "missing": http.get("/posts/424242").status_code,
            "bad method": http.post(
                "/posts/1", data={"_method": "TRACE", "csrf_token": token}
            ).status_code,
            "method bytes": http.post(
                "/posts/1?_method=%ff", data={"csrf_token": token}
            ).status_code,
            "past INTEGER": http.get(f"/posts/{2**31}").status_code,
            "bad bytes": http.post(
                "/posts/1",
                content=f"_method=PUT&title=%ff&csrf_token={token}".encode(),
                headers={"content-type": "application/x-www-form-urlencoded"},
            ).status_code,
            "long boundary": http.post(
                "/posts",
                content=b"--" + b"b" * 300 + b"\r\n",
                headers={"content-type": "multipart/form-data; boundary=" + "b" * 300},
            ).status_code,
        }
    assert answers == {
        "no token": 403,
        "NUL": 422,
        "not a bool": 422,
        "too long": 422,
        "bad page": 400,
        "far page": 400,
        "huge id": 404,
        "missing": 404,
        "bad method": 400,  # _method must be PUT, PATCH or DELETE
        "method bytes": 400,
        "past INTEGER": 404,  # PostgreSQL would refuse the query
        "bad bytes": 400,  # a form field that is not UTF-8
        "long boundary": 400,
    }
    _check_security_headers(base_url)
    _check_declared_body_is_refused(base_url)
    _check_request_heads(base_url)


#: What every response of a generated project carries in production (docs/security.md).
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def _check_security_headers(base_url: str) -> None:
    """Pages, 404s and static files carry the security headers and the CSP."""
    with httpx.Client(base_url=base_url, timeout=10.0) as http:
        for path in ("/posts", "/posts/new", "/no/such/page", "/static/site.css"):
            answer = http.get(path)
            for name, value in SECURITY_HEADERS.items():
                assert answer.headers.get(name) == value, (path, name, answer.headers)
            csp = answer.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
            assert "strict-transport-security" not in answer.headers  # plain HTTP


#: Request heads that RFC 9112 (and allowed_hosts) refuse, each answered 400.
BAD_HEADS = {
    "port not digits": b"GET /posts HTTP/1.1\r\nHost: 127.0.0.1:99999x\r\n\r\n",
    "negative port": b"GET /posts HTTP/1.1\r\nHost: 127.0.0.1:-1\r\n\r\n",
    "two hosts": b"GET /posts HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n",
    "other host": b"GET /posts HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    "no host": b"GET /posts HTTP/1.1\r\n\r\n",
    "absolute form": b"GET http://evil.example/posts HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "two spaces": b"GET  /posts HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "no version": b"GET /posts\r\n\r\n",
    "star": b"GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
}


def _check_request_heads(base_url: str) -> None:
    """Malformed request lines and Host headers get a 400 from the served project."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(base_url)
    answers = {}
    for name, head in BAD_HEADS.items():
        with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
            sock.sendall(head)
            answers[name] = sock.recv(4096).split(b"\r\n", 1)[0]
    assert answers == dict.fromkeys(BAD_HEADS, b"HTTP/1.1 400 Bad Request"), answers


def _check_declared_body_is_refused(base_url: str) -> None:
    """A POST that declares a 10 GB form body is answered 413 at once, not waited on."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(base_url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(
            b"POST /posts/1 HTTP/1.1\r\nHost: " + where.netloc.encode() + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 10000000000\r\n\r\n_method=DELETE"
        )
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 413 "), head[:200]


def _submit(browser: Chrome, label: str) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.XPATH, f"//button[normalize-space()='{label}']").click()


def _flash(browser: Chrome, message: str) -> WebElement:
    from selenium.webdriver.common.by import By

    def shown() -> WebElement | None:
        for element in browser.find_elements(By.CSS_SELECTOR, "p.flash"):
            if element.text == message:
                return element
        return None

    return wait_for(shown, what=f"the flash message {message!r}")


#: A body with one unbroken word far wider than the page (a URL, a hash, a paste).
BODY = "Written in Chromium. " + "x" * 300


def _fits(browser: Chrome) -> bool:
    """Whether the page is no wider than the window (nothing scrolls sideways)."""
    return bool(
        browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    )


def _alert(browser: Chrome) -> Any:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        return browser.switch_to.alert
    except NoAlertPresentException:
        return None


def _heading(browser: Chrome) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "h1").text


def test_scaffold_in_a_browser(
    tmp_path: Path,
    fresh_venv: Path,
    browser: Chrome,
    start_server: Callable[..., ServerProcess],
    project_database: dict[str, str],
) -> None:
    from selenium.webdriver.common.by import By

    bin_dir = fresh_venv / "bin"
    python, mvcpy = str(bin_dir / "python"), str(bin_dir / "mvcpy")
    with with_test_dependencies(fresh_venv):
        project = new_project(tmp_path, mvcpy=mvcpy, installed=True)

        def run(argv: list[str], env: dict[str, str] | None = None) -> str:
            return run_in_project(argv, project, env, timeout=120, installed=True).stdout

        where = run([python, "-c", "import mvcpy; print(mvcpy.__file__)"])
        assert Path(where.strip()).is_relative_to(fresh_venv)  # the wheel, not the checkout
        run([mvcpy, "generate", "scaffold", "post", "title:str", "body:text", "published:bool"])
        run([mvcpy, "db", "upgrade"], project_database)
        tests = run(project_pytest(python), project_database)
        assert re.search(r"\b13 passed\b", tests), tests

        gunicorn = [python, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        environment = {
            "MVCPY_ENV": "prod",
            "MVCPY_SECRET_KEY": PROD_SECRET,
            "MVCPY_SESSION__SECURE": "false",  # plain HTTP on loopback
            "MVCPY_ALLOWED_HOSTS": '["127.0.0.1"]',  # as mvcpy check requires in prod
            "WEB_CONCURRENCY": "2",
            "PYTHONPATH": "",  # the installed mvcpy, not the checkout
            **project_database,
        }
        server = start_server(
            "scaffold-gunicorn",
            lambda port: [*gunicorn, "--bind", f"127.0.0.1:{port}"],
            env=environment,
            cwd=project,
        )
        wait_for(lambda: server.log().count("Booting worker with pid") >= 2, what="two workers")

    _check_bad_input(server.base_url)
    posts = server.base_url + "/posts"
    browser.get(posts)
    assert _heading(browser) == "Posts"
    assert "No posts yet." in browser.page_source

    # New post: an empty title is refused beside the field, the body typed is kept.
    browser.find_element(By.LINK_TEXT, "New post").click()
    wait_for(lambda: _heading(browser) == "New post", what="the new post form")
    browser.find_element(By.ID, "body").send_keys(BODY)
    _submit(browser, "Create post")
    error = wait_for(lambda: browser.find_elements(By.ID, "title-error"), what="the title's error")
    assert error[0].text == "String should have at least 1 character"
    assert browser.find_element(By.ID, "title").get_attribute("aria-invalid") == "true"
    assert browser.find_element(By.ID, "body").get_attribute("value") == BODY
    assert "The post was not saved" in browser.find_element(By.CSS_SELECTOR, "p.error").text
    assert browser.save_screenshot(str(tmp_path / "scaffold-form-errors.png"))

    browser.find_element(By.ID, "title").send_keys("Hello from Chromium")
    browser.find_element(By.ID, "published").click()
    _submit(browser, "Create post")
    _flash(browser, "Post created.")
    assert _heading(browser) == "Hello from Chromium"
    details = browser.find_element(By.TAG_NAME, "dl").text
    assert "Written in Chromium." in details and "yes" in details
    assert _fits(browser), "a long unbroken word widens the post's page"
    assert browser.save_screenshot(str(tmp_path / "scaffold-post-created.png"))

    # The list shows it (another worker may answer: the state is in the database).
    browser.find_element(By.LINK_TEXT, "Back to posts").click()
    rows = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "tbody tr"), what="a row")
    assert len(rows) == 1
    assert "Hello from Chromium" in rows[0].text and "yes" in rows[0].text
    assert _fits(browser), "a long unbroken word widens the list"

    # Edit: a bad value first, then a good one; unchecking the box stores False.
    rows[0].find_element(By.LINK_TEXT, "Edit").click()
    title = wait_for(lambda: browser.find_elements(By.ID, "title"), what="the edit form")[0]
    assert title.get_attribute("value") == "Hello from Chromium"
    assert browser.find_element(By.ID, "published").is_selected()
    title.clear()
    title.send_keys("   ")
    _submit(browser, "Save post")
    wait_for(lambda: browser.find_elements(By.ID, "title-error"), what="the edit error")
    title = browser.find_element(By.ID, "title")
    title.clear()
    title.send_keys("Edited in Chromium")
    browser.find_element(By.ID, "published").click()
    _submit(browser, "Save post")
    _flash(browser, "Post updated.")
    assert _heading(browser) == "Edited in Chromium"
    assert "no" in browser.find_element(By.TAG_NAME, "dl").text.split()

    # Delete, from the post's page: it asks first; "Cancel" keeps the post.
    _submit(browser, "Delete post")
    alert = wait_for(lambda: _alert(browser), what="the confirmation")
    assert alert.text == "Delete this post? This cannot be undone."
    alert.dismiss()
    assert _heading(browser) == "Edited in Chromium"
    _submit(browser, "Delete post")
    wait_for(lambda: _alert(browser), what="the confirmation").accept()
    _flash(browser, "Post deleted.")
    assert _heading(browser) == "Posts"
    assert "No posts yet." in browser.page_source
    # A flash message is shown once.
    browser.get(posts)
    assert not browser.find_elements(By.CSS_SELECTOR, "p.flash")

    for name in ("scaffold-form-errors.png", "scaffold-post-created.png"):
        picture = (tmp_path / name).read_bytes()
        assert picture.startswith(PNG_SIGNATURE) and len(picture) > 5000, name
