"""``mvcpy new`` end to end: generate a project, then use it the way a new user does.

Every command is the venv's ``mvcpy`` script (or ``python -m pytest``) in a subprocess
with the generated project as its working directory and on ``PYTHONPATH``; the server
is ``mvcpy run`` on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ._projects import MVCPY, new_project, project_pytest, run_in_project
from ._servers import ServerProcess

pytestmark = pytest.mark.e2e


def _check_project(project: Path) -> None:
    tests = run_in_project(project_pytest(), project)
    assert "2 passed" in tests.stdout
    upgrade = run_in_project([MVCPY, "db", "upgrade"], project)
    assert "no migration is applied" in upgrade.stdout  # no sample model to delete
    assert (project / "demo" / "instance" / "app.sqlite3").is_file()
    check = run_in_project([MVCPY, "db", "check"], project)
    assert "models match the migrations" in check.stdout
    run_in_project([MVCPY, "templates", "check"], project)


def _serve(start_server: Callable[..., ServerProcess], project: Path) -> ServerProcess:
    # ServerProcess runs from the repository root: name the app, put the project on the path.
    argv = lambda port: [  # noqa: E731
        MVCPY, "run", "--app", "demo.app:app", "--no-reload", "--host", "127.0.0.1",
        "--port", str(port),
    ]  # fmt: skip
    return start_server("mvcpy-new", argv, env={"PYTHONPATH": str(project)})


def test_new_project_tests_migrations_templates_and_server(
    tmp_path: Path, start_server: Callable[..., ServerProcess]
) -> None:
    project = new_project(tmp_path)
    _check_project(project)
    server = _serve(start_server, project)
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        home = http.get("/")
        assert home.status_code == 200
        assert "<h1>Welcome to demo</h1>" in home.text
        css = http.get("/static/site.css")
        assert css.status_code == 200
        assert "font-family" in css.text
        missing = http.get("/nowhere", headers={"accept": "text/html"})
        assert missing.status_code == 404
        assert "There is no page at this address." in missing.text


def test_new_api_project_tests_migrations_and_server(
    tmp_path: Path, start_server: Callable[..., ServerProcess]
) -> None:
    project = new_project(tmp_path, "--api")
    assert not (project / "demo" / "views").exists()
    _check_project(project)
    server = _serve(start_server, project)
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        assert http.get("/").json() == {"name": "demo", "status": "ok"}
        assert http.get("/nowhere").json()["error"]["status"] == 404
