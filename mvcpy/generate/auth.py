"""``mvcpy generate auth``: accounts in a project, Rails' authentication generator style.

It writes the ``User`` model (with roles, permissions and API tokens) and the revision
that creates their tables, the project's ``accounts.py`` (the rules: loaders, links,
mail), forms, controllers, views and mail templates, the routes, and tests that pass as
written. Nothing is overwritten without ``force``.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, TextIO

from mvcpy._resources import resource_dir
from mvcpy.errors import ConfigurationError
from mvcpy.generate.files import (
    Change,
    Plan,
    add_import,
    add_to_all,
    add_to_function,
    call_lines,
    render,
)
from mvcpy.generate.layout import Project
from mvcpy.generate.migrations import TableMigration

if TYPE_CHECKING:
    from sqlalchemy import Table

__all__ = ["auth_tables", "generate_auth"]

_MODELS = ("ApiToken", "Permission", "Role", "User")
_INDENT = "    "


def auth_tables() -> list[Table]:
    """The tables the generated models declare, in creation order, in a metadata of their
    own (the revision is rendered from them without importing the project)."""
    from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, String, Table

    from mvcpy.orm import Model, UTCDateTime

    metadata = MetaData(naming_convention=Model.metadata.naming_convention)

    def stamps() -> list[Column[object]]:
        from sqlalchemy import func

        return [
            Column("created_at", UTCDateTime(), nullable=False, server_default=func.now()),
            Column("updated_at", UTCDateTime(), nullable=False, server_default=func.now()),
        ]

    def link(name: str, target: str) -> Column[int]:
        return Column(name, ForeignKey(f"{target}.id", ondelete="CASCADE"), primary_key=True)

    return [
        Table(
            "permissions", metadata,
            Column("id", Integer, primary_key=True),
            Column("name", String(120), nullable=False, unique=True),
        ),
        Table(
            "roles", metadata,
            Column("id", Integer, primary_key=True),
            Column("name", String(80), nullable=False, unique=True),
        ),
        Table(
            "users", metadata,
            Column("id", Integer, primary_key=True),
            Column("email", String(254), nullable=False, unique=True),
            Column("password_hash", String(255), nullable=False),
            Column("confirmed_at", UTCDateTime(), nullable=True),
            Column("is_active", Boolean(), nullable=False),
            Column("last_login_at", UTCDateTime(), nullable=True),
            *stamps(),
        ),
        Table(
            "role_permissions", metadata,
            link("role_id", "roles"), link("permission_id", "permissions"),
        ),
        Table("user_roles", metadata, link("user_id", "users"), link("role_id", "roles")),
        Table(
            "api_tokens", metadata,
            Column("id", Integer, primary_key=True),
            Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"),
                   nullable=False, index=True),
            Column("name", String(80), nullable=False),
            Column("digest", String(64), nullable=False, unique=True),
            Column("last_used_at", UTCDateTime(), nullable=True),
            *stamps(),
        ),
    ]  # fmt: skip


def _files(folder: str) -> list[str]:
    """The files under ``generators/auth/<folder>``, as paths relative to it."""
    base = resource_dir("app_skeleton") / "generators" / "auth" / folder
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


def _edit_app(project: Project, plan: Plan) -> None:
    """Call ``install_accounts(app)`` in app.py, before the routes are registered."""
    path = project.require("app.py")
    where = plan.show(path)
    text = plan.current(path)
    call = "install_accounts(app)"
    text = add_import(text, f"{project.package}.accounts", "install as install_accounts",
                      project.package, where)  # fmt: skip
    if re.search(rf"^{re.escape(call)}$", text, re.MULTILINE) is None:
        found = re.search(r"^register\(app\)$", text, re.MULTILINE)
        if found is None:
            raise ConfigurationError(
                f"{where} has no line `register(app)` to put `{call}` before: add "
                f"`from {project.package}.accounts import install as install_accounts` and "
                f"`{call}` yourself, then generate again"
            )
        text = text[: found.start()] + call + "\n" + text[found.start() :]
    plan.edit(path, text)


def _edit_layout(project: Project, plan: Plan, out: TextIO) -> None:
    """Show who is logged in in the layout's header (when it has one)."""
    path = project.path("views", "layout.html")
    if not path.exists():
        return
    text = plan.current(path)
    include = '{% include "accounts/_nav.html" %}'
    if include in text:
        return
    if "</header>" not in text:
        print(f"{'note':>10}  add {include} to your layout to show the login links", file=out)
        return
    plan.edit(path, text.replace("</header>", f"  {include}\n  </header>", 1))


_HTML_ROUTES = [
    ('"/sign-up"', "RegistrationsController", '"get:new;post:create"', 'name="sign_up"'),
    ('"/confirm"', "ConfirmationsController", '"get:new;post:create"', 'name="confirmation"'),
    ('"/confirm/{token}"', "ConfirmationsController", '"get:show"',
     'name="confirmation.show"'),
    ('"/login"', "SessionsController", '"get:new"', 'name="login"'),
    ('"/login"', "SessionsController", '"post:create"', 'name="login.create"',
     "filters=LOGIN_THROTTLES"),
    ('"/logout"', "SessionsController", '"post:destroy"', 'name="logout"'),
    ('"/password/forgot"', "PasswordResetsController", '"get:new"', 'name="password_reset"'),
    ('"/password/forgot"', "PasswordResetsController", '"post:create"',
     'name="password_reset.create"', "filters=RESET_THROTTLES"),
    ('"/password/reset/{token}"', "PasswordResetsController", '"get:edit"',
     'name="password_reset.edit"'),
    ('"/password/reset/{token}"', "PasswordResetsController", '"post:update"',
     'name="password_reset.update"', "filters=RESET_THROTTLES[1:]"),
    ('"/account"', "AccountController", '"get:show"', 'name="account"'),
    ('"/account/password"', "AccountController", '"post:change_password"',
     'name="account.password"'),
    ('"/account/email"', "AccountController", '"post:change_email"', 'name="account.email"'),
    ('"/account/tokens"', "AccountController", '"post:create_token"', 'name="account.tokens"'),
    ('"/account/tokens/{id:int}"', "AccountController", '"delete:revoke_token"',
     'name="account.token"'),
]  # fmt: skip

_API_ROUTES = [
    ('"/users"', "UsersController", '"post:create"', 'name="sign_up"'),
    ('"/users/confirm"', "UsersController", '"post:confirm"', 'name="confirmation"'),
    ('"/users/confirm/resend"', "UsersController", '"post:resend"',
     'name="confirmation.resend"'),
    ('"/users/login"', "SessionsController", '"post:create"', 'name="login"',
     "filters=LOGIN_THROTTLES"),
    ('"/users/logout"', "SessionsController", '"post:destroy"', 'name="logout"',
     "filters=USER_REQUIRED"),
    ('"/password/forgot"', "PasswordResetsController", '"post:create"',
     'name="password_reset"', "filters=RESET_THROTTLES"),
    ('"/password/reset"', "PasswordResetsController", '"post:update"',
     'name="password_reset.update"', "filters=RESET_THROTTLES[1:]"),
    ('"/user"', "UserController", '"get:show"', 'name="account"', "filters=USER_REQUIRED"),
    ('"/user/password"', "UserController", '"put:change_password"', 'name="account.password"',
     "filters=USER_REQUIRED"),
    ('"/user/email"', "UserController", '"put:change_email"', 'name="account.email"',
     "filters=USER_REQUIRED"),
    ('"/user/tokens"', "UserController", '"get:tokens;post:create_token"',
     'name="account.tokens"', "filters=USER_REQUIRED"),
    ('"/user/tokens/{id:int}"', "UserController", '"delete:revoke_token"',
     'name="account.token"', "filters=USER_REQUIRED"),
]  # fmt: skip


#: the style of the header's account links, added to the project's static/site.css
NAV_CSS = (
    "/* Who is logged in, in the header (mvcpy generate auth). */\n"
    "header nav.account { display: flex; gap: 1rem; align-items: center; font-weight: normal; }\n"
    "header nav.account form { margin: 0; }\n"
)


def _edit_css(project: Project, plan: Plan) -> None:
    path = project.path("static", "site.css")
    if not path.exists():
        return
    text = plan.current(path)
    if "nav.account" not in text:
        plan.edit(path, text.rstrip("\n") + "\n" + NAV_CSS)


def _edit_routes(project: Project, plan: Plan) -> None:
    routes = project.require("routes.py")
    where = plan.show(routes)
    text = plan.current(routes)
    registrations = _API_ROUTES if project.api else _HTML_ROUTES
    names = {args[1] for args in registrations} | {"LOGIN_THROTTLES", "RESET_THROTTLES"}
    if project.api:
        names.add("USER_REQUIRED")
    module = f"{project.package}.controllers.accounts"
    text = add_import(text, module, sorted(names), project.package, where)
    lines = [_INDENT + "# Accounts (mvcpy generate auth): url_for and [auth] use these names."]
    for args in registrations:
        lines.extend(call_lines("app.router", list(args), _INDENT))
    text = add_to_function(text, "register", lines, where)
    plan.edit(routes, text)


def _edit_config(project: Project, plan: Plan) -> None:
    path = project.path("conf", "app.toml")
    if not path.exists():
        return
    text = plan.current(path)
    if re.search(r"^\[default\.mail\]", text, re.MULTILINE):
        return
    block = (
        (
            "\n[default.auth]\n"
            "# An API has no login page: a route behind login_required answers 401.\n"
            'login_route = ""\n'
        )
        if project.api
        else ""
    )
    block += (
        "\n[default.mail]\n"
        "# Who account mail comes from. Development prints mail to the log (console), tests\n"
        "# keep it in memory (the outbox fixture), production sends it over SMTP:\n"
        f'default_from = "{project.package} <noreply@{project.package}.example.com>"\n'
        "\n[prod.mail]\n"
        '# host = "smtp.example.com"  # port 587 with STARTTLS by default (docs/mail.md)\n'
        '# username = "..."  # the password comes from MVCPY_MAIL__PASSWORD\n'
    )
    plan.edit(path, text.rstrip("\n") + "\n" + block)


def generate_auth(
    project: Project, *, force: bool = False, out: TextIO | None = None
) -> list[Change]:
    """Write accounts into ``project`` (see the module's docstring): pages in an HTML
    project, JSON endpoints and tokens in an API project (``mvcpy new --api``)."""
    stream = out or sys.stdout
    api = project.api
    plan = Plan(project.root, force)
    context = {"project": project.package, "api": api}
    models = project.require("models", "__init__.py")
    plan.add(project.path("models", "user.py"), render("auth/user.py.jinja", **context))
    where = plan.show(models)
    text = plan.current(models)
    text = add_import(text, f"{project.package}.models.user", _MODELS, project.package, where)
    for name in _MODELS:
        text = add_to_all(text, name, where)
    plan.edit(models, text)
    plan.add(project.path("accounts.py"), render("auth/accounts.py.jinja", **context))
    forms = project.path("forms", "__init__.py")
    if not forms.exists():
        docstring = f"The forms of {project.package}: pydantic models that controllers bind."
        plan.add(forms, render("package_init.py.jinja", docstring=docstring))
    plan.add(project.path("forms", "accounts.py"), render("auth/forms.py.jinja", **context))
    kind = "api_" if api else ""
    plan.add(
        project.require("controllers") / "accounts.py",
        render(f"auth/{kind}controllers.py.jinja", **context),
    )
    # An API's mail lives in templates/ (views/ would make it an HTML project).
    folder, target = ("api_templates", "templates") if api else ("views", "views")
    for name in _files(folder):
        plan.add(project.path(target, *name.split("/")), render(f"auth/{folder}/{name}", **context))
    plan.add(
        project.root / "tests" / "test_accounts.py",
        render(f"auth/{kind}test_accounts.py.jinja", **context),
    )
    _edit_routes(project, plan)
    _edit_app(project, plan)
    if not api:
        _edit_layout(project, plan, stream)
        _edit_css(project, plan)
    _edit_config(project, plan)
    migration = TableMigration(project, "create users, roles, permissions and api_tokens",
                               auth_tables(), plan)  # fmt: skip
    changes = plan.write(stream)
    migration.write(stream)
    return changes
