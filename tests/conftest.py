"""Shared fixtures: a fresh app rooted in a temporary project directory."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mvcpy import App


@pytest.fixture(autouse=True)
def _restore_mvcpy_env() -> Iterator[None]:
    """Undo MVCPY_ENV set in process by commands that load a project (mvcpy check, serve)."""
    saved = os.environ.get("MVCPY_ENV")
    yield
    if saved is None:
        os.environ.pop("MVCPY_ENV", None)
    else:
        os.environ["MVCPY_ENV"] = saved


@pytest.fixture(autouse=True)
def _jobs_registry_kept() -> Iterator[None]:
    """Jobs declared while a test runs (in a test, or in a docs example run outside any
    file, which every app owns) leave the process-wide registry when it ends."""
    from mvcpy.jobs.declare import REGISTRY

    before = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(before)


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., App]:
    """Build an App rooted at ``tmp_path`` (templates under ``tmp_path/views``)."""

    def build(**config: Any) -> App:
        env = config.pop("env", "test")
        return App(root_path=tmp_path, env=env, config=config)

    return build


_READY_APP = """\
from mvcpy import App, Controller
from mvcpy.sessions.csrf import CSRFProtect


class HomeController(Controller):
    def get(self):
        self.data["title"] = "home"


app = App(__name__)
app.use(CSRFProtect())
app.router("/", HomeController, name="home")
"""


@pytest.fixture
def ready_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package ``readyproj``: an app, ``conf/app.toml``, one view; the cwd is its parent.

    ``MVCPY_*`` variables are cleared, and ``MVCPY_ENV`` (which ``mvcpy check`` and
    ``mvcpy serve`` set) is restored afterwards, as are the imported modules.
    """
    package = tmp_path / "readyproj"
    (package / "conf").mkdir(parents=True)
    (package / "views" / "home").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(_READY_APP)
    (package / "conf" / "app.toml").write_text('[default]\napp_name = "readyproj"\n')
    (package / "views" / "home" / "get.html").write_text("<h1>{{ title }}</h1>")
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("MVCPY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MVCPY_ENV", "dev")
    yield package
    for name in [m for m in sys.modules if m.startswith("readyproj")]:
        del sys.modules[name]


@pytest.fixture
def views(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a template under the app's ``views/`` directory."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / "views" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _reachable(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip when a service is down; under CI (``MVCPYTEST_REQUIRE_SERVICES=1``) fail instead."""
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("MVCPYTEST_REQUIRE_SERVICES"):
        pytest.fail(f"{message}, and CI requires it (.ci/run starts it)")
    pytest.skip(f"{message}; start it to run this test")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the source tree, once a session (tests/e2e/_wheel.py)."""
    from tests.e2e._wheel import build_wheel

    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A new virtual environment (no system site-packages) with only the wheel installed."""
    from tests.e2e._wheel import make_venv

    return make_venv(tmp_path_factory.mktemp("venv") / "env", wheel)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """SQLAlchemy URL of the local PostgreSQL ``test`` database (psycopg 3)."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def mariadb_url() -> str:
    """SQLAlchemy URL of the local MariaDB ``test`` database (PyMySQL)."""
    require_service("MariaDB", "127.0.0.1", 3306)
    return "mysql+pymysql://root@127.0.0.1:3306/test"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the local Redis server."""
    require_service("Redis", "127.0.0.1", 6379)
    return "redis://127.0.0.1:6379/0"
