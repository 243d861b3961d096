"""``mvcpy templates check`` and ``mvcpy check urls``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mvcpy.cli import main

APP = """
from mvcpy import App

app = App(__name__, env="test")
app.get("/posts/{id:int}", lambda ctx: "x", name="posts.show")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "viewproj"
    (root / "views").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MVCPY_APP", raising=False)
    yield root
    for name in [m for m in sys.modules if m.startswith("viewproj")]:
        del sys.modules[name]


def test_templates_check(project: Path, capsys) -> None:
    (project / "views" / "ok.html").write_text("{{ 1 }}")
    assert main(["templates", "check"]) == 0
    assert "1 template(s) compiled, no errors" in capsys.readouterr().out
    (project / "views" / "bad.html").write_text("a\n{% endblock %}")
    assert main(["templates", "check", "--app", "viewproj.app:app"]) == 1
    out = capsys.readouterr().out
    assert "bad.html:2: syntax error: " in out and "1 problem(s)" in out


def test_check_urls(project: Path, capsys) -> None:
    (project / "views" / "ok.html").write_text("{{ url_for('posts.show', id=1) }}")
    assert main(["check", "urls"]) == 0
    assert "every url_for is valid" in capsys.readouterr().out
    (project / "views" / "nav.html").write_text("\n{{ urlfor('posts.show') }}")
    (project / "helpers.py").write_text("def f(app):\n    return app.url_for('gone')\n")
    assert main(["check", "urls"]) == 1
    out = capsys.readouterr().out
    assert "nav.html:2: url_for('posts.show'): missing parameter(s) id" in out
    assert "helpers.py:2: url_for: no route named 'gone'" in out
    assert main(["check", "urls", "--templates-only"]) == 1
    assert "helpers.py" not in capsys.readouterr().out
