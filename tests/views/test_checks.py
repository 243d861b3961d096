"""Static checks: ``check_urls``, ``check_templates``, and what the app does at startup."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mvcpy import App, ConfigurationError, Controller
from mvcpy.views import check_templates, check_urls

CONTROLLER = """
from mvcpy import Controller


class PostsController(Controller):
    def show(self, id: int):
        return self.redirect("posts.show", id=id)

    def bad(self):
        self.url_for("posts.shwo")
        return self.redirect("posts.show")

    def fine(self, kwargs):
        self.redirect("/a/b")
        self.redirect("posts.show", **kwargs)
        return self.ctx.url_for("posts.show", id=1, page=2, _anchor="top")
"""


class PostsController(Controller):
    def show(self, id: int) -> None:
        return None


def _app(tmp_path: Path, env: str = "test", **config) -> App:
    app = App(root_path=tmp_path, env=env, config=config or None)
    app.router("/posts/{id:int}", PostsController, "get:show", name="posts.show")
    app.router("/posts", PostsController, "get:show", name="posts")
    return app


def test_check_urls_reports_template_and_python_calls(views, tmp_path: Path) -> None:
    views(
        "posts/index.html",
        "{{ url_for('posts.show', id=1) }}\n"
        "{{ urlfor('posts.shwo', id=1) }}\n"
        "{{ url_for('posts.show') }}\n"
        "{{ url_for('posts.show', id='abc') }}\n"
        "{{ url_for('posts.show', id=1, _externl=True) }}\n"
        "{{ url_for('posts.show', **args) }} {{ url_for(name) }} {{ url_for('posts', page=2) }}",
    )
    (tmp_path / "controllers").mkdir()
    (tmp_path / "controllers" / "posts.py").write_text(CONTROLLER)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("url_for('deliberately.unknown')\n")
    found = [str(p).replace(str(tmp_path), "") for p in check_urls(_app(tmp_path))]
    template = "/views/posts/index.html"
    assert found == [
        f"{template}:2: url_for: no route named 'posts.shwo'; did you mean 'posts.show', 'posts'?",
        f"{template}:3: url_for('posts.show'): missing parameter(s) id for /posts/{{id:int}}",
        f"{template}:4: url_for('posts.show'): id='abc' does not fit {{:int}}: "
        "expected int, got str",
        f"{template}:5: url_for('posts.show'): unknown option '_externl' "
        "(options are _anchor, _external, _request, _scheme)",
        "/controllers/posts.py:10: url_for: no route named 'posts.shwo'; did you mean "
        "'posts.show', 'posts'?",
        "/controllers/posts.py:11: url_for('posts.show'): missing parameter(s) id for "
        "/posts/{id:int}",
    ]


def test_check_urls_is_quiet_when_all_is_well(views, tmp_path: Path) -> None:
    views("ok.html", "{{ url_for('posts.show', id=post.id) }}")
    assert check_urls(_app(tmp_path)) == []


def test_check_templates_reports_file_and_line(views, tmp_path: Path) -> None:
    views("ok.html", "{% extends 'base.html' %}")
    views("base.html", "x")
    views("broken/page.html", "one\ntwo\n{% for x in %}")
    problems = check_templates(_app(tmp_path).templates)
    assert [(Path(p.file).name, p.line) for p in problems] == [("page.html", 3)]
    assert "syntax error" in problems[0].message


def test_prod_start_refuses_templates_that_do_not_compile(views, tmp_path: Path) -> None:
    views("ok.html", "fine")
    path = views("bad.html", "{% if x %}never closed")
    app = _app(tmp_path, env="prod", secret_key="k" * 32)
    with pytest.raises(
        ConfigurationError, match=r"templates do not compile:\n .*bad\.html, line 1: syntax"
    ):
        app.start()
    path.write_text("{% if x %}closed{% endif %}")
    _app(tmp_path, env="prod", secret_key="k" * 32).start()


def test_dev_start_warns_about_bad_url_for(views, tmp_path: Path, caplog) -> None:
    views("nav.html", "{{ url_for('post.show', id=1) }}")
    with caplog.at_level(logging.WARNING, logger="mvcpy.views"):
        _app(tmp_path, env="dev").start()
    assert any("nav.html:1: url_for: no route named 'post.show'" in m for m in caplog.messages)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mvcpy.views"):
        _app(tmp_path, env="test").start()
        _app(tmp_path, env="dev", templates={"check_urls_at_start": False}).start()
    assert caplog.messages == []
