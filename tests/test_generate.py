"""``mvcpy generate``: the trees written, refusals, --force, idempotent edits, bad input.

Every test generates into a fresh ``mvcpy new`` project in a temporary directory and
runs the command in-process through :func:`mvcpy.cli.main`. Running the generated code
(migrations, the project's own tests, a browser) is the job of ``tests/e2e/``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mvcpy.cli import main
from mvcpy.errors import ConfigurationError
from mvcpy.generate.fields import parse_fields
from mvcpy.generate.files import add_import, add_to_all, add_to_function, python_string
from mvcpy.generate.migrations import model_table
from mvcpy.generate.naming import ControllerNames, ResourceNames, pluralize, singular_of
from mvcpy.project import create_project

PACKAGE = "genproj"
RUFF = Path(sys.executable).parent / "ruff"
POST = ["scaffold", "post", "title:str", "body:text", "published:bool"]
SCAFFOLD_FILES = {
    f"{PACKAGE}/models/post.py",
    f"{PACKAGE}/forms/__init__.py",
    f"{PACKAGE}/forms/post.py",
    f"{PACKAGE}/controllers/posts.py",
    *(f"{PACKAGE}/views/posts/{v}.html" for v in ("index", "show", "new", "edit", "_form")),
    "tests/test_posts.py",
}


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(root.rglob("*"))
        if p.is_file() and not {"__pycache__", "instance"} & set(p.parts)
    }


def _migrations(project: Path) -> list[Path]:
    return sorted((project / PACKAGE / "migrations" / "versions").glob("*_create_*.py"))


def _make(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: bool) -> Iterator[Path]:
    project = create_project(PACKAGE, tmp_path / PACKAGE, api=api)
    monkeypatch.chdir(project)
    for name in [n for n in os.environ if n.startswith("MVCPY_")]:
        monkeypatch.delenv(name)
    yield project
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new HTML project; the cwd is its directory, as for a user typing the commands."""
    yield from _make(tmp_path, monkeypatch, api=False)


@pytest.fixture
def api_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new JSON API project (``mvcpy new --api``); the cwd is its directory."""
    yield from _make(tmp_path, monkeypatch, api=True)


def generate(*args: str) -> int:
    return main(["generate", *args])


# -- scaffold -----------------------------------------------------------------------------
def test_scaffold_writes_the_tree_and_says_so(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _tree(project)
    assert generate(*POST) == 0
    after = _tree(project)
    [migration] = _migrations(project)
    created = set(after) - set(before)
    assert created == SCAFFOLD_FILES | {migration.relative_to(project).as_posix()}
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {f"{PACKAGE}/routes.py", f"{PACKAGE}/models/__init__.py"}
    out = capsys.readouterr().out
    for name in sorted(SCAFFOLD_FILES):
        assert f"    create  {name}\n" in out
    assert f"    update  {PACKAGE}/routes.py\n" in out
    assert "mvcpy db upgrade" in out
    for name, text in after.items():
        if name.endswith(".py"):
            ast.parse(text, name)  # every Python file parses


def test_scaffold_registers_the_resource_and_imports_the_model(project: Path) -> None:
    assert generate(*POST) == 0
    routes = (project / PACKAGE / "routes.py").read_text()
    assert f"from {PACKAGE}.controllers.posts import PostsController\n" in routes
    assert '    app.resource("/posts", PostsController, param="id:int")\n' in routes
    # The import sits with the project's own imports, in order.
    assert routes.index("controllers.home import") < routes.index("controllers.posts import")
    models = (project / PACKAGE / "models" / "__init__.py").read_text()
    assert f"from {PACKAGE}.models.post import Post\n" in models
    assert '__all__ = ["Post"]\n' in models


def test_scaffold_writes_a_migration_of_the_table(project: Path) -> None:
    assert generate(*POST) == 0
    [migration] = _migrations(project)
    text = migration.read_text()
    assert text.startswith('"""create posts\n')
    assert "down_revision = None" in text  # the project starts with no revision
    assert 'op.create_table(\n        "posts",' in text  # formatted by ruff
    assert 'sa.Column("title", sa.String(length=200), nullable=False)' in text
    assert 'sa.Column("body", sa.Text(), nullable=False)' in text
    assert 'sa.Column("published", sa.Boolean(), nullable=False)' in text
    # Portable: sa.func.now() works on SQLite and PostgreSQL alike (not now()).
    assert "server_default=sa.func.now()" in text
    assert 'op.drop_table("posts")' in text


def test_scaffold_views_have_csrf_errors_and_method_override(project: Path) -> None:
    assert generate(*POST) == 0
    views = project / PACKAGE / "views" / "posts"
    form = (views / "_form.html").read_text()
    assert "{{ csrf_input() }}" in form
    assert '<input type="text" id="title" name="title"' in form
    assert '<textarea id="body" name="body"' in form
    assert '<input type="checkbox" id="published" name="published" value="true"' in form
    assert '<span class="error" id="title-error">' in form
    assert "{{ form.get('title', '') }}" in form  # the value sent is shown again
    assert '<input type="hidden" name="_method" value="PUT">' in (views / "edit.html").read_text()
    show = (views / "show.html").read_text()
    assert '<input type="hidden" name="_method" value="DELETE">' in show
    assert "{{ csrf_input() }}" in show
    index = (views / "index.html").read_text()
    assert "{% for post in posts.items %}" in index
    assert "url_for('posts.new')" in index


def _passes_ruff(project: Path) -> None:
    """Generate one of everything into ``project``; ruff finds nothing to say about it."""
    assert generate(*POST) == 0
    assert generate("scaffold", "event", "name:str", "starts_at:datetime", "seats:int?",
                    "price:float", "day:date", "summary:text?", "subtitle:str?") == 0  # fmt: skip
    assert generate("scaffold", "BlogPost", "title") == 0
    assert generate("controller", "admin_pages", "about", "contact_us") == 0
    assert generate("model", "person", "name:str", "born:date?", "--plural", "people") == 0
    assert generate("scaffold", "comment", "post:references", "who:belongs_to?", "body") == 2
    assert generate("model", "who", "name:str") == 0
    assert generate("scaffold", "comment", "post:references", "who:belongs_to?", "body") == 0
    check = subprocess.run(
        [str(RUFF), "check", "--no-cache", "."], cwd=project, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # The revisions too: Alembic writes its own layout, and ruff formats it when it is there.
    fmt = subprocess.run(
        [str(RUFF), "format", "--check", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_generated_code_passes_ruff(project: Path) -> None:
    _passes_ruff(project)


def test_generated_api_code_passes_ruff(api_project: Path) -> None:
    _passes_ruff(api_project)


def test_every_field_type_reaches_the_model_form_and_views(project: Path) -> None:
    fields = ["name:str", "starts_at:datetime", "seats:int?", "price:float", "day:date",
              "summary:text?", "subtitle:str?"]  # fmt: skip
    assert generate("scaffold", "event", *fields) == 0
    model = (project / PACKAGE / "models" / "event.py").read_text()
    assert "from datetime import date, datetime\n" in model
    assert "    starts_at: Mapped[datetime] = mapped_column(DateTime)\n" in model
    assert "    seats: Mapped[int | None] = mapped_column(Integer)\n" in model
    assert "    subtitle: Mapped[str | None] = mapped_column(String(200))\n" in model
    form = (project / PACKAGE / "forms" / "event.py").read_text()
    # What the columns can store is checked in the form: no database error (500) later.
    assert "INT_MIN, INT_MAX = -(2**31), 2**31 - 1\n" in form
    assert (
        '    seats: int | None = Field(default=None, title="Seats", ge=INT_MIN, le=INT_MAX)\n'
        in (form)
    )
    assert '    price: float = Field(title="Price", allow_inf_nan=False)\n' in form
    assert '    name: str = Field(title="Name", min_length=1, max_length=200)\n' in form
    assert '@field_validator("name", "summary", "subtitle")\n' in form  # no NUL characters
    # An optional text left empty is stored as NULL.
    assert '@field_validator("summary", "subtitle", mode="before")' in form
    inputs = (project / PACKAGE / "views" / "events" / "_form.html").read_text()
    for kind in ("datetime-local", "number", "date", "text"):
        assert f'<input type="{kind}"' in inputs
    assert 'step="any"' in inputs and 'step="1"' in inputs
    assert '{% trans %}Seats{% endtrans %} <small>{{ _("(optional)") }}</small>' in inputs
    show = (project / PACKAGE / "views" / "events" / "show.html").read_text()
    assert '{{ event.starts_at | dateformat("2006-01-02 15:04") }}' in show
    assert '{{ "" if event.seats is none else event.seats }}' in show


def test_decimal_and_time_fields(project: Path) -> None:
    assert generate("scaffold", "shop", "name", "price:decimal", "opens:time?", "tax:numeric?") == 0
    model = (project / PACKAGE / "models" / "shop.py").read_text()
    assert "from datetime import time\nfrom decimal import Decimal\n" in model
    assert "    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))\n" in model
    assert "    opens: Mapped[time | None] = mapped_column(Time)\n" in model
    form = (project / PACKAGE / "forms" / "shop.py").read_text()
    assert (
        '    price: Decimal = Field(\n        title="Price", max_digits=12, decimal_places=2, '
        "allow_inf_nan=False\n    )\n"
    ) in form  # wrapped by ruff, as the project formats it
    inputs = (project / PACKAGE / "views" / "shops" / "_form.html").read_text()
    assert '<input type="time" id="opens"' in inputs and 'step="0.01"' in inputs
    show = (project / PACKAGE / "views" / "shops" / "show.html").read_text()
    assert '{{ shop.opens | dateformat("15:04") }}' in show
    controller = (project / PACKAGE / "controllers" / "shops.py").read_text()
    assert "isinstance(value, time):  # as time inputs take it" in controller
    tests = (project / "tests" / "test_shops.py").read_text()
    assert 'price=Decimal("9.99")' in tests and "opens=time(10, 30)" in tests


def test_references_give_a_foreign_key_a_relationship_and_a_select(project: Path) -> None:
    assert generate(*POST) == 0
    assert generate("scaffold", "comment", "post:references", "body:text", "note:belongs_to?") == 2
    assert generate("model", "note", "stars:int?", "pinned:bool") == 0  # no text: "Note 3"
    assert generate("scaffold", "comment", "post:references", "body:text", "note:belongs_to?") == 0
    model = (project / PACKAGE / "models" / "comment.py").read_text()
    assert "from sqlalchemy.orm import Mapped, mapped_column, relationship\n" in model
    assert f"from {PACKAGE}.models.note import Note\nfrom {PACKAGE}.models.post import Post\n" in (
        model
    )
    assert '        ForeignKey("posts.id", ondelete="CASCADE"), index=True\n' in model
    assert "    post: Mapped[Post] = relationship()\n" in model
    assert '        ForeignKey("notes.id", ondelete="SET NULL"), index=True\n' in model
    assert "    note: Mapped[Note | None] = relationship()\n" in model
    form = (project / PACKAGE / "forms" / "comment.py").read_text()
    assert '    post_id: int = Field(title="Post", ge=1, le=INT_MAX)\n' in form
    assert '    note_id: int | None = Field(default=None, title="Note", ge=1, le=INT_MAX)\n' in form
    inputs = (project / PACKAGE / "views" / "comments" / "_form.html").read_text()
    assert '<select id="post_id" name="post_id"' in inputs
    assert "{% for choice in post_choices %}" in inputs
    assert ">{{ choice.title }}</option>" in inputs  # Post has a title
    assert "{% trans id=choice.id %}Note {{ id }}{% endtrans %}</option>" in inputs
    show = (project / PACKAGE / "views" / "comments" / "show.html").read_text()
    # Posts have their scaffold's pages: a comment links to its post. Notes have none.
    assert (
        "<dd><a href=\"{{ url_for('posts.show', id=comment.post_id) }}\">"
        "{{ comment.post.title }}</a></dd>"
    ) in show
    assert (
        "{% if comment.note_id is not none %}{% trans id=comment.note_id %}Note {{ id }}"
        "{% endtrans %}{% endif %}"
    ) in show
    controller = (project / PACKAGE / "controllers" / "comments.py").read_text()
    assert "query = query.options(joinedload(Comment.post))\n" in controller
    assert "check_references(self.db, form)\n" in controller
    assert '"post_choices": db.scalars(select(Post).order_by(Post.title)).all(),' in controller
    assert "select(Note).order_by(Note.id)" in controller
    [migration] = [m for m in _migrations(project) if m.name.endswith("_create_comments.py")]
    text = migration.read_text()
    assert 'name=op.f("fk_comments_post_id_posts"),\n            ondelete="CASCADE",' in text
    assert 'op.create_index(op.f("ix_comments_post_id"), "comments", ["post_id"]' in text
    assert 'op.drop_index(op.f("ix_comments_note_id"), table_name="comments")' in text
    tests = (project / "tests" / "test_comments.py").read_text()
    assert "def test_create_refuses_a_post_that_does_not_exist(" in tests
    assert "def test_deleting_its_post_deletes_the_comment(db):" in tests
    assert "def test_deleting_its_note_empties_the_note_id(db):" in tests


def test_names_with_two_words(project: Path) -> None:
    assert generate("scaffold", "BlogPost", "title") == 0
    routes = (project / PACKAGE / "routes.py").read_text()
    assert (
        '    app.resource("/blog-posts", BlogPostsController, name="blog_posts", param="id:int")\n'
    ) in routes
    controller = (project / PACKAGE / "controllers" / "blog_posts.py").read_text()
    assert "class BlogPostsController(Controller):" in controller
    assert 'self.redirect("blog_posts.show", 303, id=blog_post.id)' in controller
    assert (project / PACKAGE / "views" / "blog_posts" / "index.html").is_file()
    model = (project / PACKAGE / "models" / "blog_post.py").read_text()
    assert "class BlogPost(IdMixin, TimestampMixin, Model):" in model
    assert '__tablename__ = "blog_posts"' in model


# -- never overwrite, --force, idempotent edits -------------------------------------------
def test_a_changed_file_is_not_overwritten_without_force(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(*POST) == 0
    model = project / PACKAGE / "models" / "post.py"
    model.write_text(model.read_text() + "# my change\n")
    before = _tree(project)
    capsys.readouterr()
    assert generate(*POST, "subtitle:str?") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mvcpy: not overwriting {PACKAGE}/models/post.py, ")
    assert f"{PACKAGE}/forms/post.py" in err and "--force" in err
    assert _tree(project) == before  # nothing was written, not even the edits


def test_the_same_scaffold_twice_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(*POST) == 0
    before = _tree(project)
    capsys.readouterr()
    assert generate(*POST) == 0
    assert _tree(project) == before
    out = capsys.readouterr().out
    assert " identical  tests/test_posts.py\n" in out
    assert " identical  genproj/routes.py\n" in out
    assert "      kept  genproj/migrations/versions/" in out


def test_force_overwrites_and_edits_routes_and_models_once(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(*POST) == 0
    [migration] = _migrations(project)
    first = migration.read_text()
    for _ in range(2):
        assert generate(*POST, "subtitle:str?", "--force") == 0
    out = capsys.readouterr().out
    assert f" overwrite  {PACKAGE}/models/post.py\n" in out
    model = (project / PACKAGE / "models" / "post.py").read_text()
    assert "    subtitle: Mapped[str | None] = mapped_column(String(200))\n" in model
    routes = (project / PACKAGE / "routes.py").read_text()
    assert routes.count("PostsController") == 2  # one import, one resource line
    models = (project / PACKAGE / "models" / "__init__.py").read_text()
    assert models.count("import Post\n") == 1
    assert '__all__ = ["Post"]' in models
    # The revision is history: kept as it was, with the way to add the new column.
    assert _migrations(project) == [migration]
    assert migration.read_text() == first
    assert "mvcpy generate migration 'change posts'" in out


def test_edits_keep_the_users_own_lines(project: Path) -> None:
    routes = project / PACKAGE / "routes.py"
    routes.write_text(
        routes.read_text() + '    app.router("/about", HomeController, name="about")  # mine\n'
    )
    assert generate(*POST) == 0
    text = routes.read_text()
    assert text.endswith(
        '    app.router("/about", HomeController, name="about")  # mine\n'
        '    app.resource("/posts", PostsController, param="id:int")\n'
    )


def test_routes_without_register_is_refused_before_writing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = project / PACKAGE / "routes.py"
    routes.write_text("from mvcpy import App\n\n\ndef setup(app: App) -> None:\n    pass\n")
    before = _tree(project)
    assert generate(*POST) == 2
    err = capsys.readouterr().err
    assert "routes.py has no function register(app)" in err
    assert 'app.resource("/posts", PostsController, param="id:int")' in err
    assert _tree(project) == before


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scaffold", "9post", "title"], "name '9post' is not a Python identifier"),
        (["scaffold", "my-post", "title"], "name 'my-post' is not a Python identifier"),
        (["scaffold", "class", "title"], "'class' is a Python keyword"),
        (["scaffold", "model", "title"], "would make a class Model"),
        (["scaffold", "form", "title"], "uses 'form' for a variable"),
        (["scaffold", "post"], "give at least one field"),
        (["scaffold", "post", "title:varchar"], "unknown type 'varchar'; use one of str, text"),
        (["scaffold", "post", "title:str", "title:text"], "field 'title' is given twice"),
        (["scaffold", "post", "id:int"], "'id' is taken"),
        (["scaffold", "post", "date:date"], "'date' is taken"),
        (["scaffold", "post", "json:str"], "a method of pydantic or SQLAlchemy models"),
        (["scaffold", "post", "Title:str"], "snake_case"),
        (["scaffold", "post", "on:bool?"], "cannot be optional"),
        (["scaffold", "post", ":str"], "has no name"),
        (["scaffold", "post", "x", "--plural", "post"], "must differ"),
        (["model", "post", "title:uuid"], "time, references, or string (str), integer (int)"),
        (["scaffold", "comment", "post:references"], "there is no Post model"),
        (["scaffold", "comment", "posts:references"], "its name is singular: post:references"),
        (["scaffold", "comment", "post:references", "post_id:int"], "'post_id' is given twice"),
        (["scaffold", "comment", "comment:references"], "points to the model being generated"),
        (["controller", "pages", "render"], "'render' is a method or attribute"),
        (["controller", "pages", "about", "about"], "'about' is given twice"),
        (["controller", "pages", "About"], "snake_case"),
        (["controller", "my pages"], "not a Python identifier"),
    ],
)
def test_bad_names_and_types_exit_2_and_write_nothing(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = _tree(project)
    assert generate(*args) == 2
    err = capsys.readouterr().err
    assert err.startswith("mvcpy: ") and message in err, err
    assert "Traceback" not in err
    assert _tree(project) == before


def test_outside_a_project_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MVCPY_APP", raising=False)
    assert generate(*POST) == 2
    assert "no project in" in capsys.readouterr().err
    assert generate("migration", "add slugs", "--empty") == 2
    assert "no app found" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unknown_generator_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        generate("view", "x")
    assert exit_info.value.code == 2
    for words in ([], ["scaffold"], ["model"], ["controller"], ["migration"]):
        with pytest.raises(SystemExit):
            generate(*words, "--help")
        text = capsys.readouterr().out
        assert "\nexamples:\n  mvcpy generate " in text
    with pytest.raises(SystemExit):
        generate("scaffold", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "type one of str (200 characters), text, int, float, decimal, bool, date, datetime, time"
        in text
    )
    assert "In a JSON API project (mvcpy new --api) no view is written" in text
    assert "destroy (DELETE /PLURAL/ID: 204)" in text


# -- controller, model, migration ---------------------------------------------------------
def test_controller_writes_actions_views_routes_and_tests(project: Path) -> None:
    assert generate("controller", "pages", "about", "contact_us") == 0
    controller = (project / PACKAGE / "controllers" / "pages.py").read_text()
    assert "class PagesController(Controller):" in controller
    assert "    def about(self) -> None:" in controller
    assert "    def contact_us(self) -> None:" in controller
    view = (project / PACKAGE / "views" / "pages" / "contact_us.html").read_text()
    assert view.startswith('{% extends "layout.html" %}')
    routes = (project / PACKAGE / "routes.py").read_text()
    assert '    app.router("/pages/about", PagesController, "get:about", name="pages.about")\n' in (
        routes
    )
    assert '"/pages/contact-us", PagesController, "get:contact_us", name="pages.contact_us"' in (
        routes
    )
    tests = (project / "tests" / "test_pages.py").read_text()
    assert 'assert page.template == "pages/contact_us.html"' in tests


def test_controller_without_actions_has_index(project: Path) -> None:
    assert generate("controller", "Dashboard") == 0
    routes = (project / PACKAGE / "routes.py").read_text()
    assert (
        '    app.router("/dashboard", DashboardController, "get:index", name="dashboard.index")\n'
        in routes
    )
    assert (project / PACKAGE / "views" / "dashboard" / "index.html").is_file()


def test_controller_in_an_api_project_answers_json(api_project: Path) -> None:
    assert generate("controller", "status", "ping") == 0
    controller = (api_project / PACKAGE / "controllers" / "status.py").read_text()
    assert 'return {"controller": "status", "action": "ping"}' in controller
    assert not (api_project / PACKAGE / "views").exists()
    assert "answer.json() ==" in (api_project / "tests" / "test_status.py").read_text()


def test_scaffold_in_an_api_project_writes_no_views(
    api_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _tree(api_project)
    assert generate(*POST) == 0
    after = _tree(api_project)
    [migration] = _migrations(api_project)
    created = set(after) - set(before)
    api_files = {name for name in SCAFFOLD_FILES if "/views/" not in name}
    assert created == api_files | {migration.relative_to(api_project).as_posix()}
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {f"{PACKAGE}/routes.py", f"{PACKAGE}/models/__init__.py"}
    assert not (api_project / PACKAGE / "views").exists()
    out = capsys.readouterr().out
    for name in sorted(api_files):
        assert f"    create  {name}\n" in out
    assert "views" not in out
    assert 'op.create_table(\n        "posts",' in migration.read_text()
    for name, text in after.items():
        if name.endswith(".py"):
            ast.parse(text, name)


def _without_docstrings(source: str) -> str:
    """Return the AST of ``source`` with every docstring left out, dumped."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                del body[0]
    return ast.dump(tree)


def test_api_scaffold_model_and_form_are_the_html_scaffolds(
    api_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    html = create_project(PACKAGE, tmp_path / "html" / PACKAGE)
    monkeypatch.chdir(html)
    assert generate(*POST) == 0
    monkeypatch.chdir(api_project)
    assert generate(*POST) == 0
    for name in ("models/post.py", "models/__init__.py", "forms/__init__.py"):
        assert (api_project / PACKAGE / name).read_text() == (html / PACKAGE / name).read_text()
    # The same fields and validators; only the docstrings say JSON rather than forms.
    api_form = (api_project / PACKAGE / "forms" / "post.py").read_text()
    html_form = (html / PACKAGE / "forms" / "post.py").read_text()
    assert _without_docstrings(api_form) == _without_docstrings(html_form)
    assert "JSON body" in api_form and "CSRF" not in api_form
    assert "CSRF" in html_form


def test_api_scaffold_controller_has_the_five_json_actions(api_project: Path) -> None:
    assert generate(*POST) == 0
    source = (api_project / PACKAGE / "controllers" / "posts.py").read_text()
    tree = ast.parse(source)
    [controller] = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    actions = [n.name for n in controller.body if isinstance(n, ast.FunctionDef)]
    assert actions == ["index", "show", "create", "update", "destroy"]
    assert "    def create(self, form: PostForm) -> JSONResponse:\n" in source
    assert "    def update(self, id: int, form: PostForm) -> dict[str, Any]:\n" in source
    assert "return JSONResponse(post_json(post), 201)" in source
    assert 'self.set_header("location", self.url_for("posts.show", id=post.id))' in source
    assert "return Response(status=204)" in source
    assert "self.bind(" not in source  # the form parameter is bound (400, 415, 422) by mvcpy
    assert '        "published": post.published,\n' in source
    tests = (api_project / "tests" / "test_posts.py").read_text()
    assert "csrf" not in tests.lower()  # API projects have no CSRF check
    assert '    "published": True,\n' in tests  # JSON values, not form strings
    assert "json=VALID" in tests and "answer.status_code == 422" in tests


#: Print the generated app's posts routes as JSON. It runs in its own interpreter: the
#: generated models would otherwise join this process's shared Model.metadata.
PRINT_ROUTES = f"""
import json
from {PACKAGE}.app import app
print(json.dumps({{
    route.name: [route.pattern, sorted(route.methods)]
    for route in app.route_table.routes
    if route.name.startswith("posts.")
}}))
"""


def test_api_scaffold_routes_only_the_actions_it_has(api_project: Path) -> None:
    assert generate(*POST) == 0
    routes = (api_project / PACKAGE / "routes.py").read_text()
    assert f"from {PACKAGE}.controllers.posts import PostsController\n" in routes
    assert '    app.resource("/posts", PostsController, param="id:int")\n' in routes
    # app.resource routes the actions the controller defines: no new and edit pages.
    done = subprocess.run(
        [sys.executable, "-c", PRINT_ROUTES],
        cwd=api_project,
        env={**os.environ, "MVCPY_ENV": "test", "PYTHONPATH": str(api_project)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    table = {
        name: (pattern, methods) for name, (pattern, methods) in json.loads(done.stdout).items()
    }
    assert table == {
        "posts.index": ("/posts", ["GET"]),
        "posts.create": ("/posts", ["POST"]),
        "posts.show": ("/posts/{id:int}", ["GET"]),
        "posts.update": ("/posts/{id:int}", ["PATCH", "PUT"]),
        "posts.destroy": ("/posts/{id:int}", ["DELETE"]),
    }


def test_api_scaffold_json_values_of_every_type(api_project: Path) -> None:
    fields = ["name:str", "starts_at:datetime", "seats:int?", "price:float", "day:date",
              "on:bool"]  # fmt: skip
    assert generate("scaffold", "event", *fields) == 0
    tests = (api_project / "tests" / "test_events.py").read_text()
    valid = tests.split("VALID = {\n")[1].split("}\n")[0]
    assert valid == (
        '    "name": "First value",\n'
        '    "starts_at": "2024-05-01T10:30:00",\n'  # with seconds, as the API answers it
        '    "seats": 42,\n'
        '    "price": 1.5,\n'
        '    "day": "2024-05-01",\n'
        '    "on": True,\n'
    )
    assert '    "on": False,\n' in tests.split("CHANGED = {\n")[1]
    controller = (api_project / PACKAGE / "controllers" / "events.py").read_text()
    assert '        "starts_at": event.starts_at,\n' in controller


def test_api_scaffold_is_not_overwritten_without_force(
    api_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(*POST) == 0
    controller = api_project / PACKAGE / "controllers" / "posts.py"
    controller.write_text(controller.read_text() + "# my change\n")
    before = _tree(api_project)
    capsys.readouterr()
    assert generate(*POST, "subtitle:str?") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mvcpy: not overwriting {PACKAGE}/models/post.py, ")
    assert f"{PACKAGE}/controllers/posts.py" in err and "--force" in err
    assert _tree(api_project) == before  # nothing was written, not even the edits
    assert generate(*POST, "subtitle:str?", "--force") == 0
    assert f" overwrite  {PACKAGE}/controllers/posts.py\n" in capsys.readouterr().out
    assert '"subtitle": post.subtitle' in controller.read_text()
    assert not (api_project / PACKAGE / "views").exists()
    routes = (api_project / PACKAGE / "routes.py").read_text()
    assert routes.count("PostsController") == 2  # one import, one resource line


@pytest.mark.parametrize(
    ("api", "name"),
    [
        (True, "response"),
        (True, "Any"),
        (True, "controller"),
        (False, "any"),
        (False, "validation_error"),
        (False, "redirect_response"),
    ],
)
def test_scaffold_refuses_the_names_its_controller_imports(
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str], api: bool, name: str
) -> None:
    root: Path = request.getfixturevalue("api_project" if api else "project")
    before = _tree(root)
    assert generate("scaffold", name, "text:text") == 2
    err = capsys.readouterr().err
    assert "which the generated code imports" in err, err
    assert _tree(root) == before


def test_model_writes_the_model_and_its_migration(
    api_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate("model", "comment", "body:text", "post_id:int") == 0
    model = (api_project / PACKAGE / "models" / "comment.py").read_text()
    assert "    post_id: Mapped[int] = mapped_column(Integer)\n" in model
    [migration] = _migrations(api_project)
    assert 'op.create_table(\n        "comments",' in migration.read_text()
    assert not (api_project / PACKAGE / "controllers" / "comments.py").exists()
    assert generate("model", "tag", "name", "--no-migration") == 0
    assert _migrations(api_project) == [migration]
    assert (api_project / PACKAGE / "models" / "tag.py").is_file()


def test_empty_migration(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert generate("migration", "backfill slugs", "--empty") == 0
    [revision] = (project / PACKAGE / "migrations" / "versions").glob("*_backfill_slugs.py")
    text = revision.read_text()
    assert "down_revision = None" in text
    assert "def upgrade() -> None:\n    pass\n" in text
    assert f"    create  {revision.relative_to(project).as_posix()}" in capsys.readouterr().out


def test_autogenerate_needs_an_up_to_date_database(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A revision the database has not run (empty: no model joins this process's metadata).
    assert generate("migration", "first", "--empty") == 0
    before = _tree(project)
    assert generate("migration", "add slugs") == 1
    err = capsys.readouterr().err
    assert "run `mvcpy db upgrade`" in err and "--empty" in err
    assert _tree(project) == before


# -- the parts ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("word", "plural"),
    [("post", "posts"), ("box", "boxes"), ("church", "churches"), ("bus", "buses"),
     ("category", "categories"), ("day", "days"), ("blog_entry", "blog_entries"),
     ("wish", "wishes"), ("quiz", "quizes")],
)  # fmt: skip
def test_pluralize(word: str, plural: str) -> None:
    assert pluralize(word) == plural


def test_resource_names() -> None:
    names = ResourceNames.parse("BlogPost")
    assert (names.singular, names.plural, names.model_class) == (
        "blog_post",
        "blog_posts",
        "BlogPost",
    )
    assert (names.controller_class, names.route, names.path) == (
        "BlogPostsController", "blog_posts", "/blog-posts"
    )  # fmt: skip
    assert (names.label, names.plural_label, names.form_class) == (
        "Blog post", "Blog posts", "BlogPostForm"
    )  # fmt: skip
    assert ResourceNames.parse("person", "people").table == "people"
    assert ControllerNames.parse("AdminPagesController").controller_class == "AdminPagesController"
    with pytest.raises(ConfigurationError, match="single underscores"):
        ResourceNames.parse("blog__post")


def test_model_table_matches_the_fields() -> None:
    table = model_table(ResourceNames.parse("post"), parse_fields(["title", "at:datetime?"]))
    assert [c.name for c in table.columns] == ["title", "at", "id", "created_at", "updated_at"]
    assert table.c.title.type.length == 200 and not table.c.title.nullable  # type: ignore[attr-defined]
    assert table.c.at.nullable and table.primary_key.name == "pk_posts"


def test_source_edits_are_idempotent() -> None:
    source = '"""Doc."""\n\nfrom app.a import A\nfrom app.c import C\n\n__all__ = ["A", "C"]\n'
    once = add_import(source, "app.b", "B", "app", "x.py")
    assert once == (
        '"""Doc."""\n\nfrom app.a import A\nfrom app.b import B\nfrom app.c import C\n\n'
        '__all__ = ["A", "C"]\n'
    )
    assert add_import(once, "app.b", "B", "app", "x.py") == once
    listed = add_to_all(once, "B", "x.py")
    assert listed.endswith('__all__ = ["A", "B", "C"]\n')
    assert add_to_all(listed, "B", "x.py") == listed
    bare = add_import('"""Doc."""\n', "app.b", "B", "app", "x.py")
    assert bare == '"""Doc."""\n\nfrom app.b import B\n'
    body = "def register(app):\n    app.a()\n\n\nother = 1\n"
    added = add_to_function(body, "register", ["    app.b()"], "r.py")
    assert added == "def register(app):\n    app.a()\n    app.b()\n\n\nother = 1\n"
    assert add_to_function(added, "register", ["    app.b()"], "r.py") == added
    with pytest.raises(ConfigurationError, match="does not parse"):
        add_import("def (:\n", "app.b", "B", "app", "x.py")


def test_python_string_quotes_like_ruff() -> None:
    assert python_string("a") == '"a"'
    assert python_string('value="1"') == "'value=\"1\"'"
    assert python_string('it\'s "x"') == '"it\'s \\"x\\""'


def test_alembic_revisions_pass_ruff_as_the_project_configures_it(project: Path) -> None:
    # An empty revision (nothing to import but op, kept for the user's operations) and an
    # autogenerated one (sa and op both used) are both clean.
    assert generate("migration", "backfill slugs", "--empty") == 0
    assert generate("model", "tag", "name:str") == 0

    def mvcpy(*args: str) -> None:  # in the project's own interpreter: fresh models
        done = subprocess.run(
            [sys.executable, "-m", "mvcpy.cli", *args],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(project)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    mvcpy("db", "upgrade")
    model = project / PACKAGE / "models" / "tag.py"
    text = model.read_text()
    model.write_text(
        text.replace(
            "    name: Mapped[str] = mapped_column(String(200))\n",
            "    name: Mapped[str] = mapped_column(String(200))\n"
            "    slug: Mapped[str | None] = mapped_column(String(50))\n",
        )
    )
    assert "slug" in model.read_text()
    mvcpy("generate", "migration", "add tag slugs")
    versions = project / PACKAGE / "migrations" / "versions"
    [added] = versions.glob("*_add_tag_slugs.py")
    assert 'sa.Column("slug"' in added.read_text()  # formatted by ruff: double quotes
    for command in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [str(RUFF), *command, "--no-cache", str(versions)],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_rails_and_beego_type_names_are_aliases() -> None:
    aliased = parse_fields(["a:string", "b:integer?", "c:boolean", "d:timestamp", "e:belongs_to"])
    plain = parse_fields(["a:str", "b:int?", "c:bool", "d:datetime", "e_id:references"])
    assert [(f.name, f.type, f.optional) for f in aliased] == [
        (f.name, f.type, f.optional) for f in plain
    ]


@pytest.mark.parametrize(
    ("word", "singular"),
    [("posts", "post"), ("categories", "category"), ("boxes", "box"), ("churches", "church"),
     ("blog_entries", "blog_entry"), ("photos", "photo"), ("days", "day"),
     ("status", None), ("address", None), ("analysis", None), ("news", None),
     ("series", None), ("canvas", None), ("post", None), ("people", None)],
)  # fmt: skip
def test_plural_looking_names(word: str, singular: str | None) -> None:
    assert singular_of(word) == singular


def test_a_plural_scaffold_name_is_made_singular_with_a_note(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate("scaffold", "posts", "title:str") == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "    note  'posts' looks plural: the model is 'Post' and 'posts' names its table, "
        "routes and controller (to keep 'posts' as the singular, pass --plural)\n"
    )
    assert (project / PACKAGE / "controllers" / "posts.py").is_file()
    assert "class PostsController" in (project / PACKAGE / "controllers" / "posts.py").read_text()
    assert '__tablename__ = "posts"' in (project / PACKAGE / "models" / "post.py").read_text()
    # With --plural the name is the singular as given.
    assert generate("model", "news_items", "title:str", "--plural", "news_itemses") == 0
    assert "note" not in capsys.readouterr().out
    assert (project / PACKAGE / "models" / "news_items.py").is_file()


def _project_tests(project: Path, *files: str) -> str:
    """Run some of the project's own tests in its own interpreter; return the summary."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_generate_filter_writes_a_working_filter_and_its_tests(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate("filter", "audit") == 0
    out = capsys.readouterr().out
    assert f"    create  {PACKAGE}/filters/__init__.py\n" in out
    assert f"    create  {PACKAGE}/filters/audit.py\n" in out
    assert "    create  tests/test_filter_audit.py\n" in out
    assert "next: app.use(audit) in app.py" in out
    source = (project / PACKAGE / "filters" / "audit.py").read_text()
    assert "async def audit(ctx: Context, call_next: CallNext) -> Response:" in source
    assert "2 passed" in _project_tests(project, "tests/test_filter_audit.py")
    assert generate("filter", "audit") == 0  # the same files: identical, nothing written
    (project / PACKAGE / "filters" / "audit.py").write_text(source + "# mine\n")
    assert generate("filter", "audit") == 2  # an edited file is never overwritten
    assert generate("filter", "Bad-Name") == 2


def test_generate_view_and_test(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert generate("controller", "pages", "about") == 0
    assert generate("view", "pages", "contact_us") == 0
    view = (project / PACKAGE / "views" / "pages" / "contact_us.html").read_text()
    assert view.startswith('{% extends "layout.html" %}\n')
    assert "{% trans %}Contact us{% endtrans %}" in view
    assert "PagesController.contact_us" in view
    assert generate("view", "pages", "about") == 2  # the controller's own view exists
    assert generate("test", "checkout") == 0
    assert (project / "tests" / "test_checkout.py").is_file()
    assert "2 passed" in _project_tests(project, "tests/test_checkout.py")
    capsys.readouterr()


def test_an_api_project_has_no_views_to_generate(api_project: Path) -> None:
    assert generate("view", "pages", "about") == 2
    assert not (api_project / PACKAGE / "views").exists()
