"""``mvcpy generate`` end to end: a new project, a scaffold, migrations, the project's tests.

The commands are what a user types, each in a subprocess in the project directory
(tests/e2e/_projects.py): ``mvcpy new demo``, ``mvcpy generate scaffold post ...``,
``mvcpy db upgrade``, ``python -m pytest``; then a second model, a hand-made change that
``mvcpy generate migration`` finds, and the database checked against the models after
each step.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ._projects import MVCPY, new_project, project_pytest, run_in_project

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
    assert "-> 0001_initial" in upgrade.stderr and ", create posts" in upgrade.stderr
    _check_database(project)  # the generated revision matches the generated model
    run_in_project([MVCPY, "templates", "check"], project)
    routes = run_in_project([MVCPY, "routes"], project).stdout
    for name in ("posts.index", "posts.new", "posts.create", "posts.show", "posts.edit",
                 "posts.update", "posts.destroy"):  # fmt: skip
        assert f" {name} " in routes

    tests = run_in_project(project_pytest(), project, timeout=120)
    assert re.search(r"\b12 passed\b", tests.stdout), tests.stdout  # 2 of the skeleton, 10 new
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
