"""``mvcpy new`` end to end: generate a project, then use it the way a new user does.

Every command is the venv's ``mvcpy`` script (or ``python -m pytest``) in a subprocess
with the generated project as its working directory and on ``PYTHONPATH``; the server
is ``mvcpy run`` on 127.0.0.1.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ._servers import PYTHON, VENV_BIN, ServerProcess, server_env

pytestmark = pytest.mark.e2e

MVCPY = str(VENV_BIN / "mvcpy")


def _run(argv: list[str], cwd: Path, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run a command in ``cwd`` with the project importable; fail with its output."""
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=server_env({"PYTHONPATH": str(cwd)}),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _new(tmp_path: Path, *args: str) -> Path:
    result = _run([MVCPY, "new", "demo", *args], tmp_path)
    project = tmp_path / "demo"
    assert f"in {project}" in result.stdout
    return project


def _check_project(project: Path) -> None:
    tests = _run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert "2 passed" in tests.stdout
    upgrade = _run([MVCPY, "db", "upgrade"], project)
    assert "0001_initial" in upgrade.stderr
    assert (project / "demo" / "instance" / "app.sqlite3").is_file()
    check = _run([MVCPY, "db", "check"], project)
    assert "models match the migrations" in check.stdout
    _run([MVCPY, "templates", "check"], project)


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
    project = _new(tmp_path)
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
    project = _new(tmp_path, "--api")
    assert not (project / "demo" / "views").exists()
    _check_project(project)
    server = _serve(start_server, project)
    with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        assert http.get("/").json() == {"name": "demo", "status": "ok"}
        assert http.get("/nowhere").json()["error"]["status"] == 404
