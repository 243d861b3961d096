"""``mvcpy generate auth``: the files, their edits, the revision, and the project's own tests."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mvcpy.cli import main
from mvcpy.project import create_project

PACKAGE = "shop"
RUFF = Path(sys.executable).parent / "ruff"


def _make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: bool = False) -> Iterator[Path]:
    project = create_project(PACKAGE, tmp_path / PACKAGE, api=api)
    monkeypatch.chdir(project)
    for name in [n for n in os.environ if n.startswith("MVCPY_")]:
        monkeypatch.delenv(name)
    yield project
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from _make(tmp_path, monkeypatch)


def _run(project: Path, *argv: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        argv,
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project), **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _checked(project: Path) -> str:
    """ruff and mypy are content with the project, its models agree with its revisions, and
    its tests pass; return their summary."""
    for command in (["check"], ["format", "--check"]):
        _run(project, str(RUFF), *command, "--no-cache", ".")
    # mypy too (not strict): mvcpy ships py.typed, and the generated code keeps to its types.
    _run(project, str(Path(sys.executable).parent / "mypy"), PACKAGE, "tests")
    mvcpy = str(Path(sys.executable).parent / "mvcpy")
    _run(project, mvcpy, "db", "upgrade")
    assert "the models match the migrations" in _run(project, mvcpy, "db", "check")
    return _run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "-p", "no:hypothesispytest", "-p", "no:schemathesis")  # fmt: skip


def test_generate_auth_writes_accounts_whose_tests_pass(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "auth"]) == 0
    out = capsys.readouterr().out
    for written in ("shop/models/user.py", "shop/accounts.py", "shop/forms/accounts.py",
                    "shop/controllers/accounts.py", "shop/views/sessions/new.html",
                    "shop/views/mail/reset_password.txt", "tests/test_accounts.py"):  # fmt: skip
        assert f"    create  {written}\n" in out
    for edited in ("shop/routes.py", "shop/app.py", "shop/views/layout.html",
                   "shop/conf/app.toml", "shop/models/__init__.py"):  # fmt: skip
        assert f"    update  {edited}\n" in out
    app_py = (project / PACKAGE / "app.py").read_text()
    assert app_py.index("install_accounts(app)") < app_py.index("register(app)")
    assert (
        '{% include "accounts/_nav.html" %}'
        in (project / PACKAGE / "views/layout.html").read_text()
    )
    assert (
        'default_from = "shop <noreply@shop.example.com>"'
        in (project / PACKAGE / "conf/app.toml").read_text()
    )
    (revision,) = (project / PACKAGE / "migrations" / "versions").glob("*_create_users_*.py")
    source = revision.read_text()
    for table in ("users", "roles", "permissions", "user_roles", "role_permissions", "api_tokens"):
        assert f'"{table}",' in source
    assert "17 passed" in _checked(project)  # the home page's 2 and accounts' 15
    # Again: nothing changes; an edited file is never overwritten without --force.
    assert main(["generate", "auth"]) == 0
    assert "update" not in capsys.readouterr().out
    controllers = project / PACKAGE / "controllers" / "accounts.py"
    controllers.write_text(controllers.read_text() + "# mine\n")
    assert main(["generate", "auth"]) == 2
    assert "not overwriting shop/controllers/accounts.py" in capsys.readouterr().err
    assert main(["generate", "auth", "--force"]) == 0
    assert "# mine" not in controllers.read_text()
    assert len(list((project / PACKAGE / "migrations" / "versions").glob("*_create_users_*"))) == 1


def _upgrade_and_check(project: Path, url: str) -> None:
    """Run the revisions on the database at ``url``; the models agree with the result."""
    env = {"MVCPY_DATABASE__URL": url}
    mvcpy = str(Path(sys.executable).parent / "mvcpy")
    _run(project, mvcpy, "db", "upgrade", env=env)
    assert "the models match the migrations" in _run(project, mvcpy, "db", "check", env=env)


def test_the_revision_matches_the_models_on_postgresql(project: Path, postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    assert main(["generate", "auth"]) == 0
    schema = f"auth_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        _upgrade_and_check(project, f"{postgres_url}?options=-csearch_path%3D{schema}")
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_in_an_api_project_accounts_are_json_and_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for project in _make(tmp_path, monkeypatch, api=True):
        assert main(["generate", "auth"]) == 0
        out = capsys.readouterr().out
        assert "    create  shop/templates/mail/confirm_email.txt\n" in out
        assert not (project / PACKAGE / "views").exists()  # still an API project
        assert 'login_route = ""' in (project / PACKAGE / "conf" / "app.toml").read_text()
        routes = (project / PACKAGE / "routes.py").read_text()
        assert '"/users/login",' in routes and 'name="login",' in routes
        assert "15 passed" in _checked(project)  # the home page's 2 and the accounts API's 13
        # A later scaffold still sees a JSON API project.
        assert main(["generate", "scaffold", "article", "title:str"]) == 0
        assert not (project / PACKAGE / "views").exists()


def test_the_revision_matches_the_models_on_mariadb(project: Path, mariadb_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    assert main(["generate", "auth"]) == 0
    name = f"auth_{uuid.uuid4().hex[:12]}"
    engine = create_engine(mariadb_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        _upgrade_and_check(
            project, make_url(mariadb_url).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name}"))
        engine.dispose()
