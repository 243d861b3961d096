"""The example guestbook app (examples/guestbook) works as a user clicks through it.

The app runs on a SQLite file migrated by the example's own migrations, as
``mvcpy db upgrade`` does; each test runs in the ``db`` fixture's transaction, rolled
back afterwards, and reads what its requests wrote back from the database.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from mvcpy import App
from mvcpy.migrate import upgrade
from mvcpy.orm import DbSession
from mvcpy.testing import TestClient

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "guestbook"
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The guestbook, its [test] database a migrated SQLite file of its own.

    Imported once: its model is declared on the shared ``Model`` base, which cannot
    declare the ``entries`` table twice.
    """
    database = tmp_path_factory.mktemp("guestbook") / "guestbook.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(EXAMPLE))
        patch.setenv("MVCPY_ENV", "test")
        patch.setenv("MVCPY_DATABASE__URL", f"sqlite:///{database}")
        from guestbook.app import app as guestbook_app

        assert guestbook_app.database.url.database == str(database)
        upgrade(guestbook_app)
        yield guestbook_app


def stored(db: DbSession) -> list[tuple[str, str]]:
    """The (name, message) rows of the entries table, oldest first."""
    rows = db.execute(text("SELECT name, message FROM entries ORDER BY id"))
    return [(name, message) for name, message in rows]


def test_sign_and_read_the_guestbook(client: TestClient, db: DbSession) -> None:
    home = client.get("/")
    assert home.status_code == 200 and home.template == "home/index.html"
    assert "0 entries" in home.text
    posted = client.post("/", data={"name": "Ann", "message": "Hello <script>"})
    assert posted.status_code == 302 and posted.headers["location"] == "/"
    assert stored(db) == [("Ann", "Hello <script>")]
    page = client.get("/")
    assert "Hello &lt;script&gt;" in page.text and "1 entry" in page.text
    entries = client.get("/api/entries").json()["entries"]
    assert [(e["name"], e["message"]) for e in entries] == [("Ann", "Hello <script>")]
    assert entries[0]["created_at"].endswith("+00:00")  # TimestampMixin: aware, in UTC


def test_invalid_entry_is_refused_without_writing(client: TestClient, db: DbSession) -> None:
    refused = client.post("/", data={"name": "", "message": "x"})
    assert refused.status_code == 422 and "Please give a name" in refused.text
    too_long = client.post("/", data={"name": "n" * 81, "message": "x"})
    assert too_long.status_code == 422 and 'value="' + "n" * 81 in too_long.text
    assert stored(db) == []
    assert client.get("/api/entries").json() == {"entries": []}


def test_pagination_links(client: TestClient, db: DbSession) -> None:
    for i in range(12):
        client.post("/", data={"name": f"n{i}", "message": "m"})
    assert len(stored(db)) == 12
    first = client.get("/")
    assert 'href="/?page=2"' in first.text and "12 entries" in first.text
    assert first.context is not None and first.context["entries"][0].name == "n11"
    second = client.get("/?page=2")
    assert second.context is not None
    assert [e.name for e in second.context["entries"]] == ["n1", "n0"]
    assert 'href="/?page=1"' in second.text and 'href="/?page=3"' not in second.text
    clamped = client.get("/?page=0")
    assert clamped.status_code == 200 and clamped.context is not None
    assert clamped.context["page"] == 1


def test_db_upgrade_in_the_example_directory_matches_the_model(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MVCPY_")}
    env["MVCPY_DATABASE__URL"] = f"sqlite:///{tmp_path / 'guestbook.sqlite3'}"

    def mvcpy(*argv: str) -> str:
        done = subprocess.run(
            [str(VENV_BIN / "mvcpy"), *argv],
            cwd=EXAMPLE,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    assert "create entries" in mvcpy("db", "upgrade")
    # Fails when the model and the migrations disagree.
    assert "the models match the migrations" in mvcpy("db", "check")
