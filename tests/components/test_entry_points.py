"""A third-party component installed through the ``mvcpy.components`` entry point.

``extra_dist/`` holds a distribution as pip leaves it in site-packages: the package and
its ``.dist-info`` with ``entry_points.txt``. Putting it on ``sys.path`` installs it;
the framework finds it the way it finds any installed distribution.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mvcpy import App, ConfigurationError
from mvcpy.cli import main
from mvcpy.components import refresh_entry_points
from mvcpy.testing import TestClient

EXTRA = Path(__file__).parent / "extra_dist"


def _forget_extra() -> None:
    refresh_entry_points()
    for name in [m for m in sys.modules if m.startswith("mvcpy_extra")]:
        del sys.modules[name]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Install the ``mvcpy-extra`` distribution for this test."""
    monkeypatch.syspath_prepend(str(EXTRA))
    _forget_extra()
    yield
    monkeypatch.undo()
    _forget_extra()


def test_the_component_adds_a_route_a_filter_and_a_template_global(
    installed: None, make_app: Callable[..., App], views: Callable[[str, str], Path]
) -> None:
    views("hello.html", "<p>{{ extra_greeting }}, {{ name }}</p>")
    app = make_app(extra={"greeting": "bonjour"})
    assert [c.name for c in app.components][-1] == "extra"
    app.get("/hello", lambda ctx: ctx.app.templates.render("hello.html", {"name": "ann"}))
    with TestClient(app) as client:
        extra = client.get("/-/extra")
        assert extra.json() == {"greeting": "bonjour"}
        assert extra.headers["x-extra"] == "1"
        page = client.get("/hello")
        assert page.text == "<p>bonjour, ann</p>"
        assert page.headers["x-extra"] == "1"  # the filter runs for the app's own routes too
        assert app.url_for("extra") == "/-/extra"
        component = app.components[-1]
        assert component.started and not component.stopped  # type: ignore[attr-defined]
    assert component.stopped  # type: ignore[attr-defined]


def test_its_settings_are_checked_like_the_frameworks(
    installed: None, make_app: Callable[..., App]
) -> None:
    with pytest.raises(ConfigurationError, match="unknown key 'greting' in \\[extra\\]; did you"):
        make_app(extra={"greting": "hi"})


def test_without_the_distribution_its_section_is_unknown(make_app: Callable[..., App]) -> None:
    with pytest.raises(ConfigurationError, match="unknown section 'extra'"):
        make_app(extra={"greeting": "hi"})


def test_a_project_can_list_a_component_that_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, make_app: Callable[..., App], tmp_path: Path
) -> None:
    # Importable, but without its dist-info: found through the configuration's list.
    shutil.copytree(EXTRA / "mvcpy_extra", tmp_path / "lib" / "mvcpy_extra")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    _forget_extra()
    try:
        app = make_app(components=["mvcpy_extra:ExtraComponent"])
        with TestClient(app) as client:
            assert client.get("/-/extra").json() == {"greeting": "hello"}
    finally:
        _forget_extra()


def test_listing_something_that_is_not_a_component_is_refused(
    make_app: Callable[..., App],
) -> None:
    with pytest.raises(ConfigurationError, match="is not a subclass of"):
        make_app(components=["mvcpy.app:App"])
    with pytest.raises(ConfigurationError, match="cannot be imported"):
        make_app(components=["no_such_module:Thing"])


def test_mvcpy_check_runs_the_components_check(
    installed: None, ready_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = ready_project / "conf" / "app.toml"
    conf.write_text(conf.read_text() + "\n[default.extra]\nready = false\n")
    assert main(["check", "--env", "dev"]) == 1
    out = capsys.readouterr().out
    assert "set [extra] ready = true" in out


def test_the_components_command_runs_from_the_mvcpy_command(ready_project: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(EXTRA), str(ready_project.parent)]),
        "MVCPY_ENV": "dev",
    }
    done = subprocess.run(
        [sys.executable, "-m", "mvcpy.cli", "greet", "ann"],
        cwd=ready_project.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello, ann from readyproj"
    helped = subprocess.run(
        [sys.executable, "-m", "mvcpy.cli", "--help"],
        cwd=ready_project.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "greet someone" in helped.stdout
