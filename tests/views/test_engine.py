"""The Jinja environment: convention, helpers, inheritance, layouts, caches, errors."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest

from mvcpy import App, Controller
from mvcpy.testing import TestClient
from mvcpy.views import SessionsNotEnabled, TemplateRenderError


class BlogPostsController(Controller):
    def index(self) -> None:
        self.data["posts"] = [{"id": 1, "title": "<One>"}, {"id": 2, "title": "Two"}]

    def show(self, id: int) -> None:
        self.data["id"] = id
        self.tpl_name = "shared/post.html"

    def explicit(self) -> Any:
        return self.render("shared/post.html", id=7)

    def as_string(self) -> Any:
        return self.text(self.render_string("shared/post.html", id=8))


def _blog(make_app, views, **config: Any) -> App:
    views("base.html", "<html>{% block body %}{% endblock %}</html>")
    views(
        "layout.html",
        '{% extends "base.html" %}{% block body %}<nav>{% block nav %}{% endblock %}</nav>'
        "<main>{% block content %}{% endblock %}</main>{% endblock %}",
    )
    views(
        "macros.html",
        "{% macro link(p) %}<a href=\"{{ url_for('posts.show', id=p.id) }}\">"
        "{{ p.title }}</a>{% endmacro %}",
    )
    views("_footer.html", "<footer>{{ current_route.name }}</footer>")
    views(
        "blog_posts/index.html",
        '{% extends "layout.html" %}{% from "macros.html" import link %}'
        "{% block nav %}{{ super() }}home{% endblock %}"
        "{% block content %}{% for p in posts %}{{ link(p) }}{% endfor %}"
        '{% include "_footer.html" %}{% endblock %}',
    )
    views("shared/post.html", "post {{ id }} at {{ url_for('posts.show', id=id) }}")
    app = make_app(**config)
    app.router("/posts", BlogPostsController, "get:index", name="posts")
    app.router("/posts/{id:int}", BlogPostsController, "get:show", name="posts.show")
    app.router("/explicit", BlogPostsController, "get:explicit")
    app.router("/string", BlogPostsController, "get:as_string")
    return app


def test_convention_inheritance_macros_include_and_escaping(make_app, views) -> None:
    app = _blog(make_app, views)
    with TestClient(app) as client:
        page = client.get("/posts")
        assert page.text == (
            '<html><nav>home</nav><main><a href="/posts/1">&lt;One&gt;</a>'
            '<a href="/posts/2">Two</a><footer>posts</footer></main></html>'
        )
        assert page.template == "blog_posts/index.html"
        assert client.get("/posts/3").text == "post 3 at /posts/3"
        assert client.get("/explicit").text == "post 7 at /posts/7"
        string = client.get("/string")
        assert string.text == "post 8 at /posts/8"
        assert string.headers["content-type"].startswith("text/plain")


def test_autoescape_only_for_markup_extensions(make_app, views) -> None:
    for ext in ("html", "htm", "xml", "jinja", "txt"):
        views(f"e.{ext}", "{{ v }}")
    app = make_app()
    for ext in ("html", "htm", "xml", "jinja"):
        assert app.templates.render(f"e.{ext}", {"v": "<b>"}) == "&lt;b&gt;"
    assert app.templates.render("e.txt", {"v": "<b>"}) == "<b>"


def test_helpers_in_every_template(make_app, views) -> None:
    views(
        "h.html",
        "{{ request.path }}|{{ current_route.name }}|{{ current_route.params.id }}|"
        "{{ current_route.is_('item', id=5) }}|{{ current_route.is_('item', id=6) }}|"
        "{{ config.app_name }}|{{ session.get('cart', 'empty') }}|"
        "{{ urlfor('item', id=2, q='a b') }}|"
        "{{ url_for('item', id=1, _external=True) }}",
    )

    class ItemController(Controller):
        def show(self, id: int) -> None:
            self.tpl_name = "h.html"

    app = make_app(app_name="shop")
    app.router("/items/{id:int}", ItemController, "get:show", name="item")
    with TestClient(app) as client:
        assert client.get("/items/5").text == (
            "/items/5|item|5|True|False|shop|empty|/items/2?q=a+b|http://testserver/items/1"
        )


@pytest.mark.parametrize("helper", ["csrf_token()", "csrf_input()", "get_flashed_messages()"])
def test_session_helpers_explain_that_sessions_are_off(make_app, views, helper: str) -> None:
    views("s.html", "{{ " + helper + " }}")
    app = make_app(session={"enabled": False})
    with pytest.raises(TemplateRenderError, match=r"s\.html, line 1: .*needs sessions") as info:
        app.templates.render("s.html", {})
    assert isinstance(info.value.__cause__, SessionsNotEnabled)


def test_context_provider_makes_session_helpers_live(make_app, views) -> None:
    views("s.html", "{{ session.user }} {{ csrf_token() }} {{ csrf_input() }} {{ x }}")

    class PageController(Controller):
        def get(self) -> None:
            self.tpl_name = "s.html"
            self.data["x"] = "data wins"

    app = make_app()
    app.get("/f", lambda ctx: "x")
    app.router("/", PageController)

    @app.templates.add_context_provider
    def sessions(ctx: Any) -> dict[str, Any]:
        return {
            "session": {"user": "ann"},
            "csrf_token": lambda: "tok",
            "csrf_input": lambda: jinja2.filters.Markup('<input value="tok">'),
            "x": "provider",
        }

    with TestClient(app) as client:
        assert client.get("/").text == 'ann tok <input value="tok"> data wins'


def test_strict_undefined_by_environment(make_app, views, tmp_path: Path) -> None:
    views("u.html", "a{{ typo }}b")
    for env in ("dev", "test"):
        app = App(root_path=tmp_path, env=env)
        with pytest.raises(TemplateRenderError, match=r"u\.html, line 1: .*'typo' is undefined"):
            app.templates.render("u.html", {})
    lax = make_app(templates={"strict": False})
    assert lax.templates.render("u.html", {}) == "ab"


def test_registered_filters_globals_and_tests(make_app, views) -> None:
    views(
        "r.html",
        "{{ 'ab' | shout }} {{ 'x' | twice }} {{ answer() }} {{ pi }} "
        "{{ 4 is even_number }} {{ 3 is odd_number }}",
    )
    app = make_app()

    @app.template_filter
    def shout(s: str) -> str:
        return s.upper() + "!"

    @app.template_filter("twice")
    def double(s: str) -> str:
        return s * 2

    @app.template_global
    def answer() -> int:
        return 42

    app.templates.add_global(3.14, "pi")  # type: ignore[type-var]

    @app.template_test("even_number")
    def even(n: int) -> bool:
        return n % 2 == 0

    views("other.html", "x")
    app.templates.render("other.html", {})  # the environment exists now; registering still works

    @app.template_test
    def odd_number(n: int) -> bool:
        return n % 2 == 1

    assert app.templates.render("r.html", {}) == "AB! xx 42 3.14 True True"


def test_a_global_added_after_a_template_loaded_reaches_it(make_app, views) -> None:
    """Templates hold their globals as one flat dict (cheaper to copy per render), so a
    global registered once a template is cached must still reach that template."""
    views("g.html", "{{ motto | default('none') }}")
    app = make_app(env="prod")
    assert app.templates.render("g.html", {}) == "none"
    app.templates.add_global("ship it", "motto")  # type: ignore[type-var]
    assert app.templates.render("g.html", {}) == "ship it"
    assert app.templates.render("g.html", {"motto": "mine"}) == "mine"  # the context wins


def test_one_templates_own_globals_stay_its_own(make_app, views) -> None:
    views("a.html", "{{ colour | default('unset') }}")
    views("b.html", "{{ colour | default('unset') }}")
    env = make_app().templates.env
    assert env.get_template("a.html", globals={"colour": "red"}).render() == "red"
    assert env.get_template("b.html").render() == "unset"
    assert "colour" not in env.globals


def test_layout_and_sections(make_app, views) -> None:
    views(
        "layouts/main.html", "<body>{% block content %}{% endblock %}{{ sections.scripts }}</body>"
    )
    views("layouts/admin.html", "<admin>{% block content %}{% endblock %}</admin>")
    views("dash/index.html", "{% extends layout %}{% block content %}hi {{ who }}{% endblock %}")
    views("dash/scripts.html", "<script>var who = {{ who | tojson }};</script>")

    class DashController(Controller):
        def prepare(self) -> None:
            self.layout = "layouts/main.html"
            self.layout_sections = {"scripts": "dash/scripts.html"}

        def index(self) -> None:
            self.data["who"] = "<ann>"

        def admin(self) -> Any:
            self.layout = "layouts/admin.html"
            self.layout_sections = None
            return self.render("dash/index.html", who="root")

    app = make_app()
    app.router("/", DashController, "get:index")
    app.router("/admin", DashController, "get:admin")
    with TestClient(app) as client:
        assert client.get("/").text == (
            '<body>hi &lt;ann&gt;<script>var who = "\\u003cann\\u003e";</script></body>'
        )
        assert client.get("/admin").text == "<admin>hi root</admin>"


def test_templates_from_installed_packages(make_app, views, tmp_path: Path, monkeypatch) -> None:
    package = tmp_path / "site" / "shop_theme"
    (package / "views" / "theme").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "views" / "theme" / "card.html").write_text("card {{ n }}")
    (package / "views" / "shadowed.html").write_text("from the package")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    views("shadowed.html", "from the project")
    app = make_app(templates={"packages": ["shop_theme"]})
    assert app.templates.render("theme/card.html", {"n": 1}) == "card 1"
    assert app.templates.render("shadowed.html", {}) == "from the project"
    sys.modules.pop("shop_theme", None)


def test_several_view_directories(make_app, tmp_path: Path) -> None:
    for directory, text in (("views", "first"), ("more_views", "second")):
        (tmp_path / directory).mkdir()
        (tmp_path / directory / "a.html").write_text(text)
    (tmp_path / "more_views" / "b.html").write_text("only here")
    app = make_app(views=["views", "more_views"])
    assert app.templates.render("a.html", {}) == "first"
    assert app.templates.render("b.html", {}) == "only here"


def _touch_later(path: Path, text: str) -> None:
    stat = path.stat()
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_dev_picks_up_an_edited_template_without_restart(views, tmp_path: Path) -> None:
    path = views("page.html", "version 1")

    class PageController(Controller):
        def get(self) -> None:
            self.tpl_name = "page.html"

    app = App(root_path=tmp_path, env="dev")
    app.router("/", PageController)
    with TestClient(app) as client:
        assert client.get("/").text == "version 1"
        _touch_later(path, "version 2")
        assert client.get("/").text == "version 2"


def test_prod_never_rereads_a_template(views, tmp_path: Path) -> None:
    path = views("page.html", "version 1")
    app = App(root_path=tmp_path, env="prod", config={"secret_key": "s" * 32})
    app.start()  # compiles every template
    _touch_later(path, "version 2")
    path.unlink()  # not even there any more: served from memory
    assert app.templates.render("page.html", {}) == "version 1"


def test_bytecode_cache_spares_a_cold_worker_the_compile(views, tmp_path: Path) -> None:
    views("page.html", "{% for i in range(3) %}{{ i }}{% endfor %}")
    first = App(root_path=tmp_path, env="test")
    assert first.templates.render("page.html", {}) == "012"
    cache = tmp_path / "instance" / "jinja_cache"
    assert [p.suffix for p in cache.iterdir()] == [".cache"]

    cold = App(root_path=tmp_path, env="test")  # a second worker process, in effect
    compiled: list[str] = []
    original = cold.templates.env.compile

    def spy(source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(str(name))
        return original(source, name, *args, **kwargs)

    cold.templates.env.compile = spy  # type: ignore[method-assign]
    assert cold.templates.render("page.html", {}) == "012"
    assert compiled == []

    views("page.html", "changed")  # the cache is keyed on the source: a change recompiles
    fresh = App(root_path=tmp_path, env="test")
    fresh.templates.env.compile = spy  # type: ignore[method-assign]
    assert fresh.templates.render("page.html", {}) == "changed"
    assert compiled == ["page.html"]


def test_bytecode_cache_can_be_turned_off(views, make_app, tmp_path: Path) -> None:
    views("page.html", "x")
    app = make_app(templates={"bytecode_cache": ""})
    assert app.templates.render("page.html", {}) == "x"
    assert not (tmp_path / "instance").exists()


@pytest.mark.parametrize(
    ("files", "pattern"),
    [
        ({"p.html": "ok"}, r"template 'nope\.html' not found; looked for .*views/nope\.html"),
        ({"nope.html": "a\n{% if %}"}, r"nope\.html, line 2: syntax error"),
        ({"nope.html": "a\n\n{{ who }}"}, r"nope\.html, line 3: UndefinedError: 'who'"),
        ({"nope.html": "a\n{{ url_for('item') }}"}, r"nope\.html, line 2: .*missing parameter.*id"),
        (
            {"nope.html": "{% extends 'b.html' %}", "b.html": "{% extends 'nope.html' %}"},
            r"recursive \{% extends %\}.*nope\.html -> b\.html -> nope\.html",
        ),
        (
            {"nope.html": "{% extends 'base.html' %}", "base.html": "x\n{{ y.z }}"},
            r"base\.html, line 2: UndefinedError.*\(rendering nope\.html\)",
        ),
        ({"nope.html": "x\n{% include 'gone.html' %}"}, r"nope\.html, line 2: .*gone\.html"),
    ],
    ids=["missing", "syntax", "undefined", "url_for", "recursive", "in-parent", "include"],
)
def test_bad_templates_name_the_template_and_line(
    make_app, views, files: dict[str, str], pattern: str
) -> None:
    for name, text in files.items():
        views(name, text)
    app = make_app()
    app.get("/items/{id:int}", lambda ctx: "x", name="item")
    app.start()
    with pytest.raises(jinja2.TemplateError, match=pattern):
        app.templates.render("nope.html", {})


def test_async_action_renders_a_long_page_and_lets_others_run(make_app, views) -> None:
    views("long.html", "{% for i in rows %}<p>{{ i }}</p>{% endfor %}")
    ticks: list[int] = []

    class LongController(Controller):
        async def get(self) -> None:
            self.data["rows"] = range(3000)
            self.tpl_name = "long.html"

    app = make_app()
    app.router("/", LongController)

    async def main() -> str:
        async def ticker() -> None:
            while True:
                ticks.append(1)
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        controller_html = await app.templates.render_async("long.html", {"rows": range(3000)}, None)
        task.cancel()
        return controller_html

    html = asyncio.run(main())
    assert html == "".join(f"<p>{i}</p>" for i in range(3000))
    assert len(ticks) > 5  # the loop ran other tasks while the page rendered
    with TestClient(app) as client:
        response = client.get("/")
        assert response.text == html and response.template == "long.html"


def test_stream_template_sends_chunks(make_app, views) -> None:
    views("big.html", "<ul>{% for i in rows %}<li>{{ i }} {{ pad }}</li>{% endfor %}</ul>")

    class BigController(Controller):
        def get(self) -> Any:
            return self.stream_template("big.html", rows=range(2000), pad="x" * 20)

    app = make_app()
    app.router("/", BigController)
    expected = "<ul>" + "".join(f"<li>{i} {'x' * 20}</li>" for i in range(2000)) + "</ul>"
    chunks = list(app.templates.stream("big.html", {"rows": range(2000), "pad": "x" * 20}))
    assert len(chunks) > 3 and "".join(chunks) == expected
    with TestClient(app) as client:
        response = client.get("/")
        assert response.status_code == 200 and response.text == expected
        assert response.headers["content-type"].startswith("text/html")


def test_stream_template_error_near_the_top_is_an_error_response(make_app, views) -> None:
    views("bad.html", "<h1>{{ title }}</h1>{{ missing }}")

    class BadController(Controller):
        def get(self) -> Any:
            return self.stream_template("bad.html", title="t")

    app = make_app()
    app.router("/", BadController)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/")
    assert response.status_code == 500
    with pytest.raises(TemplateRenderError, match=r"bad\.html, line 1: UndefinedError"):
        app.templates.stream("bad.html", {"title": "t"})


def test_session_and_current_user_are_loaded_only_by_pages_that_use_them(make_app, views) -> None:
    views("plain.html", "<p>{{ title }}</p>")
    views("who.html", "<p>{{ current_user or 'nobody' }} {{ current_user }}</p>")
    loads: list[Any] = []

    class PageController(Controller):
        def plain(self) -> None:
            self.data["title"] = "hello"
            self.tpl_name = "plain.html"

        def who(self) -> None:
            self.tpl_name = "who.html"

        def login(self) -> str:
            self.session["_user_id"] = 7
            return "in"

    app = make_app()
    app.router("/plain", PageController, "get:plain")
    app.router("/who", PageController, "get:who")
    app.router("/login", PageController, "get:login")

    @app.user_loader
    def load(user_id: int) -> str:
        loads.append(user_id)
        return f"user {user_id}"

    seen: list[Any] = []

    async def watch(ctx: Any, call_next: Any) -> Any:
        response = await call_next(ctx)
        seen.append(ctx._session)  # the session object, if anything created it
        return response

    app.use(watch)
    with TestClient(app) as client:
        client.get("/login")
        assert client.get("/plain").text == "<p>hello</p>"
        assert seen[-1] is None and loads == []  # no session object, no user loaded
        assert client.get("/who").text == "<p>user 7 user 7</p>"
        assert loads == [7]  # once for the request, however often the page names it
