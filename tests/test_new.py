"""``mvcpy new``: what the generator writes, what it refuses, and how it says so."""

from __future__ import annotations

import runpy
import tomllib
from pathlib import Path

import pytest

from mvcpy._resources import resource_dir
from mvcpy.cli import main
from mvcpy.errors import ConfigurationError
from mvcpy.project import create_project, validate_name

PACKAGE_FILES = {
    "__init__.py", "app.py", "routes.py", "alembic.ini", "conf/app.toml",
    "controllers/__init__.py", "controllers/home.py", "models/__init__.py",
    "migrations/env.py", "migrations/script.py.mako", "migrations/README.md",
    "migrations/versions/.gitkeep",
}  # fmt: skip
HTML_FILES = {
    "views/layout.html", "views/home/get.html", "views/errors/404.html", "views/errors/error.html",
    "views/errors/500.html", "static/site.css", "static/site.js",
}  # fmt: skip
ROOT_FILES = {
    ".gitignore", "README.md", "pyproject.toml", "gunicorn.conf.py", "worker.service",
    "tests/conftest.py", "tests/test_home.py",
}  # fmt: skip


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_new_writes_the_full_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "site"
    assert main(["new", "blog", "--dir", str(target)]) == 0
    expected = ROOT_FILES | {f"blog/{name}" for name in PACKAGE_FILES | HTML_FILES}
    assert _tree(target) == expected
    out = capsys.readouterr().out
    assert f"created the project blog in {target.resolve()}" in out
    assert "mvcpy db upgrade" in out
    # Placeholders are replaced everywhere; the Jinja expressions of the views stay.
    for path in target.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "{{ project }}" not in text, path
    assert "{{ url_for('home') }}" in (target / "blog/views/layout.html").read_text()
    assert 'href="{{ manual_url }}"' in (target / "blog/views/home/get.html").read_text()
    assert "from blog.routes import register" in (target / "blog/app.py").read_text()
    for path in target.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_configuration_has_every_environment(tmp_path: Path) -> None:
    project = create_project("shop", tmp_path / "shop")
    conf = tomllib.loads((project / "shop/conf/app.toml").read_text())
    assert set(conf) == {"default", "dev", "test", "prod"}
    assert conf["default"]["app_name"] == "shop"
    assert conf["default"]["database"]["models"] == ["shop.models"]
    assert conf["dev"]["debug"] is True and conf["prod"]["debug"] is False
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "shop"
    assert pyproject["project"]["dependencies"] == ["mvcpy-web"]


def test_migrations_come_from_the_db_init_template(tmp_path: Path) -> None:
    project = create_project("shop", tmp_path / "shop")
    template = resource_dir("migrations")
    env_py = (project / "shop/migrations/env.py").read_text()
    assert env_py == (template / "env.py").read_text()
    ini = (project / "shop/alembic.ini").read_text()
    assert "mvcpy_app = shop.app:app" in ini
    assert "prepend_sys_path = %(here)s/.." in ini


def test_gunicorn_conf_takes_workers_from_web_concurrency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = create_project("shop", tmp_path / "shop")
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    settings = runpy.run_path(str(project / "gunicorn.conf.py"))
    assert settings["workers"] == 5
    assert settings["worker_class"] == "mvcpy.workers.UvicornWorker"
    assert settings["accesslog"] is None  # the app's access_log filter logs requests
    assert settings["wsgi_app"] == "shop.app:app"
    assert settings["graceful_timeout"] > 0
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert runpy.run_path(str(project / "gunicorn.conf.py"))["workers"] == 2


def test_api_project_has_no_views_or_static(tmp_path: Path) -> None:
    project = create_project("svc", tmp_path / "svc", api=True)
    expected = ROOT_FILES | {f"svc/{name}" for name in PACKAGE_FILES}
    assert _tree(project) == expected
    assert 'return {"name": "svc"' in (project / "svc/controllers/home.py").read_text()
    assert "answer.json()" in (project / "tests/test_home.py").read_text()


def test_every_skeleton_file_is_used(tmp_path: Path) -> None:
    skeleton = resource_dir("app_skeleton")
    html = _tree(create_project("aa", tmp_path / "html"))
    api = _tree(create_project("aa", tmp_path / "api", api=True))
    for name in _tree(skeleton) - {"README.md"}:
        layer, _, rest = name.partition("/")
        if layer == "generators":  # the templates of `mvcpy generate` (tests/test_generate.py)
            continue
        if layer == "api":
            layer, _, rest = rest.partition("/")
        rest = rest.replace("dot-", ".")
        written = rest if layer == "root" else f"aa/{rest}"
        assert written in html | api, name


def test_default_directory_is_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "blog", "--api"]) == 0
    assert (tmp_path / "blog/blog/app.py").is_file()
    assert "created the JSON API project blog" in capsys.readouterr().out


def test_empty_directory_is_filled(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    create_project("blog", tmp_path / "empty")
    assert (tmp_path / "empty/blog/app.py").is_file()


@pytest.mark.parametrize("name", ["9lives", "my-blog", "class", "os", "mvcpy", "tests", "café"])
def test_bad_names_exit_2_with_a_reason(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", name, "--dir", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mvcpy: project name {name!r}")
    assert not (tmp_path / "p").exists()
    with pytest.raises(ConfigurationError):
        validate_name(name)


def test_refuses_a_non_empty_directory_and_leaves_it_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert main(["new", "blog", "--dir", str(target)]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert _tree(target) == {"notes.txt"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]  # no scratch left behind
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ConfigurationError, match="is a file"):
        create_project("blog", file)


_START_PAGE = """
import json
from blog.app import app
from mvcpy.testing import TestClient
with TestClient(app) as client:
    page = client.get("/").text
    docs = client.get("/-/docs/getting-started")
print(json.dumps({"page": page, "docs": docs.status_code}))
"""


@pytest.mark.parametrize("env", ["dev", "test"])
def test_the_start_page_shows_the_project_in_development(tmp_path: Path, env: str) -> None:
    import json
    import os
    import subprocess
    import sys

    project = create_project("blog", tmp_path / "blog")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MVCPY_")}
    done = subprocess.run(
        [sys.executable, "-c", _START_PAGE],
        cwd=project,
        env={**environ, "MVCPY_ENV": env, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(done.stdout)
    page = answer["page"]
    if env == "test":  # not development: the home page only, no docs
        assert "Welcome to blog" in page and "This project" not in page
        assert answer["docs"] == 404
        return
    from mvcpy import __version__

    assert f"<tr><th>mvcpy</th><td>{__version__} (Python " in page
    assert "<tr><th>Environment</th><td><code>dev</code>" in page
    assert "blog/instance/app.sqlite3</code>" in page
    assert '<td class="ok">no migration yet' in page
    assert '<td><code>home</code></td><td>GET</td><td><a href="/"><code>/</code></a></td>' in page
    assert "<code>mvcpy generate scaffold post title:string body:text</code>" in page
    assert '<a href="/-/docs/">Read the mvcpy documentation</a>' in page
    assert answer["docs"] == 200  # the link works: this version's docs, served locally
