"""``mvcpy generate`` end to end: a new project, a scaffold, migrations, the project's tests.

The commands are what a user types, each in a subprocess in the project directory
(tests/e2e/_projects.py): ``mvcpy new demo``, ``mvcpy generate scaffold post ...``,
``mvcpy db upgrade``, ``python -m pytest``; then a second model, a hand-made change that
``mvcpy generate migration`` finds, and the database checked against the models after
each step. In a JSON API project (``mvcpy new demo --api``) the scaffold's own tests pass
too, and a real uvicorn serves its JSON actions to httpx.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ._projects import MVCPY, new_project, project_pytest, run_in_project
from ._servers import PROD_SECRET, ServerProcess, uvicorn_argv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCAFFOLD = ["generate", "scaffold", "post", "title:str", "body:text", "published:bool"]


def _check_database(project: Path) -> None:
    check = run_in_project([MVCPY, "db", "check"], project)
    assert "the database is at head and the models match the migrations" in check.stdout


def test_scaffold_migrates_and_passes_its_own_tests(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    out = run_in_project([MVCPY, *SCAFFOLD], project).stdout
    assert "    create  demo/controllers/posts.py\n" in out
    assert re.search(r"    create  demo/migrations/versions/\d{8}_\w+_create_posts\.py\n", out)

    upgrade = run_in_project([MVCPY, "db", "upgrade"], project)
    assert ", create posts" in upgrade.stderr and "Context impl" not in upgrade.stderr
    assert "the database is at " in upgrade.stdout
    _check_database(project)  # the generated revision matches the generated model
    run_in_project([MVCPY, "templates", "check"], project)
    routes = run_in_project([MVCPY, "routes"], project).stdout
    for name in ("posts.index", "posts.new", "posts.create", "posts.show", "posts.edit",
                 "posts.update", "posts.destroy"):  # fmt: skip
        assert f" {name} " in routes

    tests = run_in_project(project_pytest(), project, timeout=120)
    assert re.search(r"\b13 passed\b", tests.stdout), tests.stdout  # 2 of the skeleton, 11 new
    assert "failed" not in tests.stdout and "error" not in tests.stdout


def test_generate_model_and_migrations_follow_the_models(tmp_path: Path) -> None:
    project = new_project(tmp_path)
    run_in_project([MVCPY, *SCAFFOLD], project)
    run_in_project([MVCPY, "db", "upgrade"], project)

    # A second model comes with the revision of its table.
    out = run_in_project(
        [MVCPY, "generate", "model", "comment", "body:text", "post_id:int"], project
    )
    assert "    create  demo/models/comment.py\n" in out.stdout
    run_in_project([MVCPY, "db", "upgrade"], project)
    _check_database(project)

    # A column added by hand: autogenerate (the database is at head) writes the revision.
    model = project / "demo" / "models" / "post.py"
    model.write_text(
        model.read_text() + "    slug: Mapped[str | None] = mapped_column(String(200))\n"
    )
    stale = run_in_project([MVCPY, "db", "check"], project, check=False)
    assert stale.returncode == 1 and "add_column posts.slug" in stale.stderr
    added = run_in_project([MVCPY, "generate", "migration", "add slug to posts"], project)
    assert re.search(r"create  demo/migrations/versions/\w+_add_slug_to_posts\.py\n", added.stdout)
    assert "  changes: add_column posts.slug\n" in added.stdout
    # Behind head, autogenerate refuses and says why; nothing is written.
    versions = sorted((project / "demo" / "migrations" / "versions").iterdir())
    behind = run_in_project([MVCPY, "generate", "migration", "again"], project, check=False)
    assert behind.returncode == 1
    assert "run `mvcpy db upgrade`" in behind.stderr and "--empty" in behind.stderr
    assert sorted((project / "demo" / "migrations" / "versions").iterdir()) == versions

    run_in_project([MVCPY, "db", "upgrade"], project)
    _check_database(project)
    same = run_in_project([MVCPY, "generate", "migration", "nothing new"], project)
    assert "the models match the database: the revision is empty" in same.stdout


def _check_api(http: httpx.Client) -> None:
    """List, create, show, update and delete a post through the JSON API; bad bodies get a
    4xx with the reason and write nothing."""
    assert http.get("/posts").json() == []
    created = http.post("/posts", json={"title": "Hello", "body": "From httpx.", "published": True})
    assert created.status_code == 201, created.text
    post = created.json()
    location = created.headers["location"]
    assert location == f"/posts/{post['id']}"
    assert (post["title"], post["body"], post["published"]) == ("Hello", "From httpx.", True)
    assert post["created_at"] and post["updated_at"]

    listed = http.get("/posts")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()] == [post["id"]]
    shown = http.get(location)
    assert shown.status_code == 200 and shown.json()["title"] == "Hello"

    updated = http.put(location, json={"title": "Edited", "body": "Again.", "published": False})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["title"], updated.json()["published"]) == ("Edited", False)
    patched = http.patch(location, json={"title": "Patched", "body": "Again.", "published": True})
    assert patched.status_code == 200, patched.text
    shown = http.get(location).json()  # a new request: the change was committed
    assert (shown["title"], shown["body"], shown["published"]) == ("Patched", "Again.", True)

    empty = http.post("/posts", json={"title": "  ", "body": "Spaces only."})
    assert empty.status_code == 422
    [error] = empty.json()["error"]["errors"]
    assert (error["field"], error["message"]) == (
        "title",
        "String should have at least 1 character",
    )
    not_bool = http.put(location, json={"title": "t", "body": "b", "published": "maybe"})
    assert not_bool.status_code == 422
    assert [e["field"] for e in not_bool.json()["error"]["errors"]] == ["published"]
    malformed = http.post(
        "/posts", content=b'{"title": "Hello", ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["message"].startswith("Malformed JSON")
    as_text = http.post("/posts", content=b"title", headers={"content-type": "text/plain"})
    assert as_text.status_code == 415
    assert [item["id"] for item in http.get("/posts").json()] == [post["id"]]  # nothing added
    assert http.get(location).json()["title"] == "Patched"  # nor changed
    assert http.get("/posts/new").status_code == 404  # no HTML pages in an API

    deleted = http.delete(location)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = http.get(location)
    assert gone.status_code == 404 and gone.json()["error"]["status"] == 404
    assert http.get("/posts").json() == []


def test_api_scaffold_passes_its_tests_and_serves_json(
    tmp_path: Path, start_server: Callable[..., ServerProcess]
) -> None:
    project = new_project(tmp_path, "--api")
    out = run_in_project([MVCPY, *SCAFFOLD], project).stdout
    assert "    create  demo/controllers/posts.py\n" in out
    assert "    create  demo/forms/post.py\n" in out and "views" not in out
    assert not (project / "demo" / "views").exists()

    run_in_project([MVCPY, "db", "upgrade"], project)
    _check_database(project)
    routes = run_in_project([MVCPY, "routes"], project).stdout
    assert set(re.findall(r" (posts\.\w+) ", routes)) == {
        "posts.index", "posts.create", "posts.show", "posts.update", "posts.destroy"
    }  # fmt: skip
    tests = run_in_project(project_pytest(), project, timeout=120)
    assert re.search(r"\b14 passed\b", tests.stdout), tests.stdout  # 2 of the skeleton, 12 new
    assert "failed" not in tests.stdout and "error" not in tests.stdout

    # The database `mvcpy db upgrade` migrated is the one prod uses (SQLite in demo/instance).
    server = start_server(
        "api-scaffold-uvicorn",
        uvicorn_argv("demo.app:app"),
        env={"MVCPY_ENV": "prod", "MVCPY_SECRET_KEY": PROD_SECRET},
        cwd=project,
    )
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        _check_api(http)
    assert "Traceback" not in server.log()


#: One field of every type, optional where a type allows it, aliases included.
EVERY_TYPE = [
    "name:string", "body:text?", "qty:integer?", "ratio:float", "price:decimal",
    "cost:numeric?", "ok:boolean", "day:date?", "at:timestamp", "opens:time?",
]  # fmt: skip


@pytest.mark.parametrize("flavour", ["html", "api"])
def test_every_field_type_passes_the_projects_own_tests_and_ruff(
    tmp_path: Path, flavour: str
) -> None:
    project = new_project(tmp_path, *(["--api"] if flavour == "api" else []))
    run_in_project([MVCPY, "generate", "scaffold", "item", *EVERY_TYPE], project)
    run_in_project([MVCPY, "db", "upgrade"], project)
    tests = run_in_project(project_pytest(), project, timeout=120).stdout
    assert re.search(r"\b1[34] passed\b", tests) and "failed" not in tests, tests
    ruff = str(Path(sys.executable).parent / "ruff")
    run_in_project([ruff, "check", "--no-cache", "."], project)
    run_in_project([ruff, "format", "--check", "--no-cache", "."], project)


@pytest.mark.parametrize("flavour", ["html", "api"])
def test_references_migrate_and_pass_the_projects_own_tests(tmp_path: Path, flavour: str) -> None:
    project = new_project(tmp_path, *(["--api"] if flavour == "api" else []))
    run_in_project([MVCPY, *SCAFFOLD], project)
    run_in_project([MVCPY, "generate", "model", "tag", "label:string", "weight:int"], project)
    made = run_in_project(
        [MVCPY, "generate", "scaffold", "comment", "post:references", "tag:belongs_to?", "body"],
        project,
    )
    assert "    create  demo/controllers/comments.py\n" in made.stdout
    run_in_project([MVCPY, "db", "upgrade"], project)
    _check_database(project)  # the foreign keys and the index of the revision match the model
    tests = run_in_project(project_pytest(), project, timeout=120).stdout
    # HTML: 2 of the skeleton, 11 of the posts, 11 + 6 of the comments (per reference: the
    # select, a missing row refused, deleting it); API: 2, 12, and 12 + 4 (no select)
    assert re.search(r"\b30 passed\b", tests) and "failed" not in tests, tests
    ruff = str(Path(sys.executable).parent / "ruff")
    run_in_project([ruff, "check", "--no-cache", "."], project)
    run_in_project([ruff, "format", "--check", "--no-cache", "."], project)
