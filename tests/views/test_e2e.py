"""Real servers: hot reload under uvicorn in dev, a shared bytecode cache under gunicorn,
and a prod deploy that a broken template stops."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e._servers import PROD_SECRET, PYTHON, REPO_ROOT, ServerProcess, run_command

pytestmark = pytest.mark.e2e

APP = """
from mvcpy import App, Controller

app = App(__name__)
compiled = []
_compile = app.templates.env.compile


def counting_compile(source, name=None, *args, **kwargs):
    compiled.append(name)
    return _compile(source, name, *args, **kwargs)


app.templates.env.compile = counting_compile


class PagesController(Controller):
    def show(self):
        self.data["who"] = "world"


app.router("/", PagesController, "get:show", name="home")
app.get("/compiled", lambda ctx: {"compiled": compiled})
"""


def _project(tmp_path: Path) -> Path:
    package = tmp_path / "viewsite_e2e"
    (package / "views" / "pages").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(APP)
    (package / "views" / "layout.html").write_text("<main>{% block body %}{% endblock %}</main>")
    (package / "views" / "pages" / "show.html").write_text(
        '{% extends "layout.html" %}{% block body %}v1 {{ who }}{% endblock %}'
    )
    return package


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO_ROOT}", **extra}


def _uvicorn(port: int) -> list[str]:
    return [PYTHON, "-m", "uvicorn", "viewsite_e2e.app:app", "--host", "127.0.0.1",
            "--port", str(port)]  # fmt: skip


def test_dev_server_picks_up_an_edited_template(tmp_path: Path) -> None:
    package = _project(tmp_path)
    page = package / "views" / "pages" / "show.html"
    server = ServerProcess("views-dev", _uvicorn, tmp_path, _env(tmp_path, MVCPY_ENV="dev"))
    with server, httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        assert http.get("/").text == "<main>v1 world</main>"
        stat = page.stat()
        page.write_text('{% extends "layout.html" %}{% block body %}v2 {{ who }}{% endblock %}')
        os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        assert http.get("/").text == "<main>v2 world</main>"
        assert server.proc is not None and server.proc.poll() is None  # no restart


def test_gunicorn_workers_load_compiled_templates_from_the_shared_cache(tmp_path: Path) -> None:
    package = _project(tmp_path)
    env = _env(tmp_path, MVCPY_ENV="prod", MVCPY_SECRET_KEY=PROD_SECRET)
    done = run_command(
        [PYTHON, "-m", "mvcpy.cli", "templates", "check", "--app", "viewsite_e2e.app:app"], env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    cache = package / "instance" / "jinja_cache"
    assert len(list(cache.glob("*.cache"))) == 2  # layout.html and pages/show.html

    def gunicorn(port: int) -> list[str]:
        return [PYTHON, "-m", "gunicorn", "-k", "uvicorn_worker.UvicornWorker", "-w", "2",
                "-b", f"127.0.0.1:{port}", "viewsite_e2e.app:app"]  # fmt: skip

    server = ServerProcess("views-gunicorn", gunicorn, tmp_path, env)
    with server, httpx.Client(base_url=server.base_url, timeout=10.0) as http:
        close = {"connection": "close"}
        for _ in range(6):  # fresh connections reach both workers
            assert http.get("/", headers=close).text == "<main>v1 world</main>"
            assert http.get("/compiled", headers=close).json() == {"compiled": []}


def test_prod_deploy_stops_on_a_broken_template(tmp_path: Path) -> None:
    package = _project(tmp_path)
    (package / "views" / "pages" / "broken.html").write_text("ok\n{% if x %}never closed")
    env = _env(tmp_path, MVCPY_ENV="prod", MVCPY_SECRET_KEY=PROD_SECRET)
    server = ServerProcess("views-broken", _uvicorn, tmp_path, env)
    server.launch()
    try:
        deadline = time.monotonic() + 30
        while server.proc is not None and server.proc.poll() is None:
            assert time.monotonic() < deadline, "the server kept running"
            time.sleep(0.1)
        assert server.proc is not None and server.proc.returncode != 0
        assert "broken.html, line 2: syntax error" in server.log()
    finally:
        server.stop()
