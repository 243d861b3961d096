"""The ``mvcpy generate`` command: ``controller``, ``model``, ``migration``, ``scaffold``,
``auth``, ``jobs``, ``admin``, ``view``, ``filter`` and ``test``."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from mvcpy._help import examples
from mvcpy.cli.loader import add_app_option

__all__ = ["add_generate_command"]

_FIELDS_HELP = (
    "fields as name:type, type one of str (200 characters), text, int, float, decimal, "
    "bool, date, datetime, time, references (post:references: a post_id foreign key, its "
    "relationship and a select; the Post model must exist) (Rails' and Beego's string, "
    "integer, numeric, boolean, timestamp and belongs_to work too); add ? "
    "for an optional field (subtitle:str?); no type means str"
)


def _project() -> Any:
    from mvcpy.generate.layout import find_project

    return find_project(Path.cwd())


def _controller(args: argparse.Namespace) -> int:
    from mvcpy.generate.generators import generate_controller

    generate_controller(_project(), args.name, args.actions, force=args.force)
    return 0


def _model(args: argparse.Namespace) -> int:
    from mvcpy.generate.generators import generate_model

    generate_model(
        _project(),
        args.name,
        args.fields,
        plural=args.plural,
        force=args.force,
        migration=args.migration,
    )
    return 0


def _scaffold(args: argparse.Namespace) -> int:
    from mvcpy.generate.generators import generate_scaffold

    generate_scaffold(_project(), args.name, args.fields, plural=args.plural, force=args.force)
    print("next: mvcpy db upgrade, then mvcpy run and python -m pytest -q")
    return 0


def _auth(args: argparse.Namespace) -> int:
    from mvcpy.generate.auth import generate_auth

    generate_auth(_project(), force=args.force)
    print("next: mvcpy db upgrade, then mvcpy run (/sign-up) and python -m pytest -q")
    return 0


def _jobs(args: argparse.Namespace) -> int:
    from mvcpy.generate.jobs import generate_jobs

    generate_jobs(_project(), force=args.force)
    print("next: mvcpy db upgrade (the queue, on PostgreSQL), then mvcpy worker")
    return 0


def _admin(args: argparse.Namespace) -> int:
    from mvcpy.generate.admin import generate_admin

    generate_admin(_project(), args.models, force=args.force)
    print("next: mvcpy db upgrade, mvcpy admin grant EMAIL, then mvcpy run (/admin/)")
    return 0


def _view(args: argparse.Namespace) -> int:
    from mvcpy.generate.pieces import generate_view

    generate_view(_project(), args.controller, args.actions, force=args.force)
    return 0


def _filter(args: argparse.Namespace) -> int:
    from mvcpy.generate.pieces import generate_filter

    generate_filter(_project(), args.name, force=args.force)
    print(
        f"next: app.use({args.name}) in app.py (every request), or filters=[{args.name}] on a route"
    )
    return 0


def _test(args: argparse.Namespace) -> int:
    from mvcpy.generate.pieces import generate_test

    generate_test(_project(), args.name, force=args.force)
    return 0


def _migration(args: argparse.Namespace) -> int:
    from mvcpy.generate.migrations import generate_migration

    return generate_migration(args.message, empty=args.empty, app_spec=args.app)


def _wrap(text: str) -> str:
    """Wrap a description: the help formatter keeps line breaks as written."""
    return textwrap.fill(text, 80)


def _force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite files that exist (without it, nothing is written and the exit status is 2)",
    )


def add_generate_command(commands: Any) -> None:
    """Add ``mvcpy generate controller|model|migration|scaffold`` to the subparsers."""
    generate = commands.add_parser(
        "generate",
        help="write a controller, model, migration, scaffold, auth, jobs, admin, view, filter "
        "or test",
        description=_wrap(
            "Write code into the project made by `mvcpy new` (run it in the project "
            "directory). Existing files are never overwritten without --force; routes.py and "
            "models/__init__.py are edited once, whatever the number of runs."
        ),
        **examples(
            "mvcpy generate scaffold post title:str body:text published:bool",
            "mvcpy generate model comment body:text post_id:int",
            "mvcpy generate controller pages about contact",
            "mvcpy generate migration 'add slug to posts'",
        ),
    )
    kinds = generate.add_subparsers(dest="generator", required=True, metavar="GENERATOR")

    controller = kinds.add_parser(
        "controller",
        help="a controller with GET actions, their views, routes and tests",
        description=_wrap(
            "Write controllers/NAME.py with one GET action per ACTION (index when "
            "none is given), a view per action, the routes (/NAME for index, /NAME/ACTION "
            "for the others, named NAME.ACTION) and tests/test_NAME.py. In a JSON API "
            "project (mvcpy new --api) the actions return JSON and no view is written."
        ),
        **examples(
            "mvcpy generate controller pages about contact",
            "mvcpy generate controller dashboard     # just index, at /dashboard",
            "mvcpy generate controller pages about --force",
        ),
    )
    controller.add_argument("name", help="the controller's name: pages, admin_pages or AdminPages")
    controller.add_argument("actions", nargs="*", metavar="ACTION", help="action names")
    _force(controller)
    controller.set_defaults(func=_controller)

    model = kinds.add_parser(
        "model",
        help="a model, its import in models/__init__.py and the migration of its table",
        description=_wrap(
            "Write models/NAME.py (a SQLAlchemy model with id, created_at and "
            "updated_at), import it in models/__init__.py, and write the migration that "
            "creates its table (the plural of NAME: post -> posts)."
        ),
        **examples(
            "mvcpy generate model comment body:text post_id:int",
            "mvcpy generate model person name:str born:date? --plural people",
            "mvcpy generate model tag name --no-migration",
        ),
    )
    model.add_argument("name", help="the model's singular name: post, blog_post or BlogPost")
    model.add_argument("fields", nargs="*", metavar="FIELD", help=_FIELDS_HELP)
    model.add_argument("--plural", help="the plural when the rule (add s, es or ies) is wrong")
    model.add_argument(
        "--no-migration",
        dest="migration",
        action="store_false",
        help="do not write the migration that creates the table",
    )
    _force(model)
    model.set_defaults(func=_model)

    migration = kinds.add_parser(
        "migration",
        help="an Alembic revision: the models compared with the database, or empty",
        description=_wrap(
            "Write a revision into migrations/versions/. By default Alembic compares "
            "the models with the database, which must be at the latest revision (mvcpy db "
            "upgrade first); --empty writes a revision to fill in by hand."
        ),
        **examples(
            "mvcpy generate migration 'add slug to posts'",
            "mvcpy generate migration 'backfill slugs' --empty",
            "MVCPY_ENV=prod mvcpy generate migration 'add index'",
        ),
    )
    migration.add_argument("message", help="what the revision does")
    migration.add_argument("--empty", action="store_true", help="do not compare: an empty revision")
    add_app_option(migration)
    migration.set_defaults(func=_migration)

    scaffold = kinds.add_parser(
        "scaffold",
        help="model, migration, form, REST controller, views (not in an API), routes and tests",
        description=_wrap(
            "Write everything for listing, showing, creating, editing and deleting "
            "NAME through HTML forms: the model and its migration, a pydantic form, a "
            "controller with the seven REST actions routed by app.resource, the views, the "
            "routes and tests/test_PLURAL.py. Then run mvcpy db upgrade."
        )
        + "\n\n"
        + _wrap(
            "In a JSON API project (mvcpy new --api) no view is written, and the "
            "controller has five JSON actions instead: index (GET /PLURAL, a list, paged with "
            "a Link header), show (GET /PLURAL/ID), create (POST /PLURAL: 201 with a "
            "Location header), update (PUT or PATCH /PLURAL/ID, the whole record) and "
            "destroy (DELETE /PLURAL/ID: 204). The form validates the JSON bodies: "
            "malformed JSON is a 400, values that do not fit a 422 with each field's reason."
        ),
        **examples(
            "mvcpy generate scaffold post title:str body:text published:bool",
            "mvcpy generate scaffold event name:str starts_at:datetime seats:int? price:float",
            "mvcpy generate scaffold person name:str --plural people",
            "mvcpy generate scaffold post title:str body:text --force",
        ),
    )
    scaffold.add_argument("name", help="the model's singular name: post, blog_post or BlogPost")
    scaffold.add_argument("fields", nargs="*", metavar="FIELD", help=_FIELDS_HELP)
    scaffold.add_argument("--plural", help="the plural when the rule (add s, es or ies) is wrong")
    _force(scaffold)
    scaffold.set_defaults(func=_scaffold)

    auth = kinds.add_parser(
        "auth",
        help="accounts: users, sign-up, confirmation, login, password reset, API tokens",
        description=_wrap(
            "Write accounts into the project: the User model with roles, permissions and "
            "API tokens and the revision that creates their tables, accounts.py (the rules: "
            "who the user is, the links mailed to users), forms, controllers and views for "
            "sign-up, email confirmation, login (with remember me), logout, password reset "
            "by mail, password and email changes and personal API tokens, the mail "
            "templates, the routes, the login links in the layout, and "
            "tests/test_accounts.py. Then run mvcpy db upgrade. See docs/accounts.md."
        )
        + "\n\n"
        + _wrap(
            "In a JSON API project (mvcpy new --api) the same flows are JSON endpoints: "
            "POST /users (sign up), /users/confirm, /users/login (answers a token), "
            "/users/logout, /password/forgot, /password/reset; GET /user, PUT "
            "/user/password and /user/email, GET and POST /user/tokens, DELETE "
            "/user/tokens/ID. Clients send Authorization: Token TOKEN; the mail carries "
            "tokens (templates/mail/)."
        ),
        **examples("mvcpy generate auth", "mvcpy generate auth --force"),
    )
    _force(auth)
    auth.set_defaults(func=_auth)

    jobs = kinds.add_parser(
        "jobs",
        help="background jobs: jobs.py with a job and a cron, its test, the queue's revision",
        description=_wrap(
            "Write jobs.py (a job that mails a notice, retried with backoff, and a nightly "
            "cron), tests/test_jobs.py (the jobs fixture), and the revision that creates "
            "the job queue in the application's database on PostgreSQL (nothing on SQLite, "
            "where mvcpy run runs jobs itself). Then run mvcpy db upgrade, and mvcpy worker "
            "beside the web server. See docs/jobs.md."
        ),
        **examples("mvcpy generate jobs"),
    )
    _force(jobs)
    jobs.set_defaults(func=_jobs)

    admin = kinds.add_parser(
        "admin",
        help="the admin: register models in admin.py, its test, the audit log's revision",
        description=_wrap(
            "Register each MODEL (Post or post: models/post.py must exist) in admin.py, "
            "written when missing, with list columns, search and filters chosen from its "
            "fields; write tests/test_admin.py and the revision that creates the audit log "
            "(once). The admin lets in the project's users: run mvcpy generate auth first. "
            "Then run mvcpy db upgrade and mvcpy admin grant EMAIL. See docs/admin.md."
        ),
        **examples("mvcpy generate admin Post", "mvcpy generate admin post comment"),
    )
    admin.add_argument("models", nargs="+", metavar="MODEL", help="a model's name")
    _force(admin)
    admin.set_defaults(func=_admin)

    view = kinds.add_parser(
        "view",
        help="views of a controller's actions (views/CONTROLLER/ACTION.html)",
        description=_wrap(
            "Write views/CONTROLLER/ACTION.html for each ACTION, extending layout.html: the "
            "view an action of CONTROLLER renders when it returns nothing. Not in a JSON API "
            "project."
        ),
        **examples(
            "mvcpy generate view pages about contact", "mvcpy generate view admin_pages stats"
        ),
    )
    view.add_argument("controller", help="the controller's name: pages or AdminPages")
    view.add_argument("actions", nargs="+", metavar="ACTION", help="action names")
    _force(view)
    view.set_defaults(func=_view)

    filter_ = kinds.add_parser(
        "filter",
        help="a filter (code around actions) and its test",
        description=_wrap(
            "Write filters/NAME.py, an async filter that runs before the actions it is "
            "applied to and on their response, and tests/test_filter_NAME.py. Apply it with "
            "app.use(NAME), namespace.use(NAME) or filters=[NAME] on a route."
        ),
        **examples("mvcpy generate filter audit", "mvcpy generate filter require_api_key"),
    )
    filter_.add_argument("name", help="the filter's name, snake_case: audit")
    _force(filter_)
    filter_.set_defaults(func=_filter)

    test = kinds.add_parser(
        "test",
        help="a test module using the client and db fixtures",
        description=_wrap(
            "Write tests/test_NAME.py with a request through mvcpy's client fixture and a "
            "query through the db fixture, to start a test module from."
        ),
        **examples("mvcpy generate test checkout"),
    )
    test.add_argument("name", help="what the tests are about, snake_case: checkout")
    _force(test)
    test.set_defaults(func=_test)
