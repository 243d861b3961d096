"""The example guestbook app (examples/guestbook) works as a user clicks through it."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mvcpy.testing import TestClient

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "guestbook"


@pytest.fixture
def guestbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.setenv("MVCPY_ENV", "test")
    monkeypatch.setenv("MVCPY_DATABASE__PATH", str(tmp_path / "guestbook.sqlite3"))
    for name in [m for m in sys.modules if m.startswith("guestbook")]:
        del sys.modules[name]
    from guestbook.app import app

    with TestClient(app) as client:
        yield client
    for name in [m for m in sys.modules if m.startswith("guestbook")]:
        del sys.modules[name]


def test_sign_and_read_the_guestbook(guestbook: TestClient) -> None:
    home = guestbook.get("/")
    assert home.status_code == 200 and home.template == "home/index.html"
    assert "0 entries" in home.text
    posted = guestbook.post("/", data={"name": "Ann", "message": "Hello <script>"})
    assert posted.status_code == 302 and posted.headers["location"] == "/"
    page = guestbook.get("/")
    assert "Hello &lt;script&gt;" in page.text and "1 entry" in page.text
    entries = guestbook.get("/api/entries").json()["entries"]
    assert [(e["name"], e["message"]) for e in entries] == [("Ann", "Hello <script>")]


def test_invalid_entry_is_refused_without_writing(guestbook: TestClient) -> None:
    refused = guestbook.post("/", data={"name": "", "message": "x"})
    assert refused.status_code == 422 and "Please give a name" in refused.text
    assert guestbook.get("/api/entries").json() == {"entries": []}


def test_pagination_links(guestbook: TestClient) -> None:
    for i in range(12):
        guestbook.post("/", data={"name": f"n{i}", "message": "m"})
    first = guestbook.get("/")
    assert 'href="/?page=2"' in first.text
    second = guestbook.get("/?page=2")
    assert second.context is not None and len(second.context["entries"]) == 2
