"""``mvcpy generate admin``: admin.py registers the models, its tests pass in the new
project (ruff, mypy and the migrations agree), a second run changes nothing, and
``mvcpy admin grant`` lets a user in."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mvcpy.cli import main
from tests.test_generate_auth import PACKAGE, _checked, _make, _run

MVCPY = str(Path(sys.executable).parent / "mvcpy")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from _make(tmp_path, monkeypatch)


def test_generate_admin_registers_models_whose_admin_tests_pass(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "admin", "Post"]) == 2  # accounts first
    assert "run mvcpy generate auth first" in capsys.readouterr().err
    assert main(["generate", "auth"]) == 0
    argv = ["generate", "scaffold", "post", "title:str", "body:text", "published:bool"]
    assert main(argv) == 0
    assert main(["generate", "scaffold", "comment", "post:references", "body:text"]) == 0
    capsys.readouterr()
    assert main(["generate", "admin", "Post", "comment"]) == 0
    out = capsys.readouterr().out
    for written in ("shop/admin.py", "tests/test_admin.py"):
        assert f"    create  {written}\n" in out
    source = (project / PACKAGE / "admin.py").read_text()
    assert "from shop.models.comment import Comment\nfrom shop.models.post import Post\n" in source
    assert (
        'admin.register(\n    Post,\n    list_display=["id", "title", "body", "published"],\n'
        '    search=["title", "body"],\n    filters=["published"],\n)'
    ) in source
    assert 'filters=["post_id"]' in source
    (revision,) = (project / PACKAGE / "migrations" / "versions").glob("*_audit_log.py")
    assert "audit.create(op.get_bind())" in revision.read_text()

    assert main(["generate", "admin", "post"]) == 0  # again: nothing changes
    again = capsys.readouterr().out
    assert (project / PACKAGE / "admin.py").read_text() == source
    assert "identical  shop/admin.py" in again and "kept" in again
    assert (project / PACKAGE / "admin.py").read_text() == source

    # the home page's 2, accounts' 15, the scaffolds' and the admin's 4 (2 models)
    summary = _checked(project)
    assert " failed" not in summary and " error" not in summary, summary

    _run(
        project,
        sys.executable,
        "-c",
        "from shop.app import app\nfrom shop.models.user import User\n"
        "with app.database.session() as db:\n"
        "    user = User(email='ann@example.com', is_active=True)\n"
        "    user.set_password('correct horse battery')\n"
        "    db.add(user)\n    db.commit()\n",
    )
    said = _run(project, MVCPY, "admin", "grant", "Ann@Example.com")
    assert "ann@example.com may use the admin (9 permissions, role admin)" in said
    listed = _run(project, MVCPY, "admin", "models")
    assert "comments.view, comments.create, comments.edit, comments.delete" in listed
    granted = _run(
        project,
        sys.executable,
        "-c",
        "from shop.app import app\nfrom shop.models.user import User\n"
        "from sqlalchemy import select\n"
        "with app.database.session() as db:\n"
        "    user = db.scalar(select(User))\n"
        "    print(user.has_permission('admin.access'), user.has_permission('posts.delete'))\n",
    )
    assert granted.strip() == "True True"


def test_an_unknown_model_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "auth"]) == 0
    capsys.readouterr()
    assert main(["generate", "admin", "Nothing"]) == 2
    assert "nothing.py" in capsys.readouterr().err
    assert not (project / PACKAGE / "admin.py").exists()
