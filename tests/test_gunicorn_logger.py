"""gunicorn's own lines in the app's logging format, read from the project's configuration."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gunicorn.config import Config as GunicornConfig

from mvcpy.gunicorn_logger import GunicornLogger, project_log_format


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An importable package ``logdemo`` with ``app.py`` and ``conf/app.toml``."""
    package = tmp_path / "logdemo"
    (package / "conf").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text("raise RuntimeError('the app must not be imported')\n")
    (package / "conf" / "app.toml").write_text('[default]\napp_name = "logdemo"\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("MVCPY_ENV", raising=False)
    monkeypatch.delenv("MVCPY_LOGGING__FORMAT", raising=False)
    yield package
    for name in [name for name in sys.modules if name.startswith("logdemo")]:
        del sys.modules[name]


def test_the_format_follows_the_environment_and_the_project(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project_log_format("logdemo.app:app") == "text"  # dev
    monkeypatch.setenv("MVCPY_ENV", "prod")
    assert project_log_format("logdemo.app:app") == "json"
    (project / "conf" / "app.toml").write_text('[prod.logging]\nformat = "text"\n')
    assert project_log_format("logdemo.app:app") == "text"
    monkeypatch.setenv("MVCPY_LOGGING__FORMAT", "json")
    assert project_log_format("logdemo.app:app") == "json"


def test_a_configuration_that_does_not_load_leaves_text(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MVCPY_ENV", "prod")
    (project / "conf" / "app.toml").write_text("[prod\n")
    assert project_log_format("logdemo.app:app") == "text"
    # A module that cannot be found: the working directory is the root (no app.toml there).
    monkeypatch.chdir(project.parent)
    assert project_log_format("no_such_package.app:app") == "json"


def emitted(logger: GunicornLogger, message: str) -> str:
    """What ``gunicorn.error`` writes for ``message``, through the logger's own handler."""
    (handler,) = [h for h in logger.error_log.handlers if getattr(h, "_gunicorn", False)]
    stream = io.StringIO()
    handler.setStream(stream)
    logger.info(message, 4121)
    return stream.getvalue()


def test_gunicorn_lines_are_json_objects_in_prod(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MVCPY_ENV", "prod")
    cfg = GunicornConfig()
    cfg.set("wsgi_app", "logdemo.app:app")
    logger = GunicornLogger(cfg)
    line = json.loads(emitted(logger, "Booting worker with pid: %s"))
    assert line["level"] == "INFO"
    assert line["logger"] == "gunicorn.error"
    assert line["message"] == "Booting worker with pid: 4121"
    assert line["timestamp"].endswith("+00:00")


def test_gunicorn_lines_stay_text_in_development(project: Path) -> None:
    cfg = GunicornConfig()
    cfg.set("wsgi_app", "logdemo.app:app")
    logger = GunicornLogger(cfg)
    line = emitted(logger, "Booting worker with pid: %s")
    assert line.rstrip().endswith("[INFO] Booting worker with pid: 4121")
