"""``mvcpy db`` (Alembic: init, revision, upgrade, downgrade, current, history, check) and
``mvcpy shell``."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING, Any

from mvcpy._help import examples
from mvcpy.cli.loader import add_app_option, app_spec, load_app
from mvcpy.migrate import init, run_alembic

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

__all__ = ["add_commands"]


def _logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.INFO)


def _run(args: argparse.Namespace) -> int:
    from alembic import command

    spec = app_spec(args)
    app = load_app(spec)
    action = args.db_command
    _logging()
    if action == "init":
        print(f"created {init(app, spec)}; next: mvcpy db revision --autogenerate -m 'init'")
        return 0

    def step(config: AlembicConfig) -> None:
        if action == "revision":
            command.revision(config, message=args.message, autogenerate=args.autogenerate)
        elif action == "upgrade":
            command.upgrade(config, args.revision, sql=args.sql)
        elif action == "downgrade":
            command.downgrade(config, args.revision, sql=args.sql)
        elif action == "current":
            command.current(config, verbose=args.verbose)
        elif action == "history":
            command.history(config, verbose=args.verbose, indicate_current=True)
        elif action == "heads":
            command.heads(config, verbose=args.verbose)
        elif action == "check":
            command.check(config)
            print("the database is at head and the models match the migrations")
        elif action == "stamp":
            command.stamp(config, args.revision)

    return run_alembic(app, step)


def _shell(args: argparse.Namespace) -> int:
    from mvcpy.cli.shell import run_shell

    return run_shell(args)


def add_commands(commands: Any) -> None:
    """Add ``mvcpy db ...`` and ``mvcpy shell`` to the ``mvcpy`` command's subparsers."""
    db = commands.add_parser(
        "db",
        help="database migrations (Alembic): init, revision, upgrade, downgrade, ...",
        description="Migrations of the project's models, run by Alembic with the app's "
        "[database] settings.",
        **examples(
            "mvcpy db upgrade",
            "mvcpy db revision --autogenerate -m 'add posts'",
            "MVCPY_ENV=prod mvcpy db upgrade --sql > upgrade.sql",
            "mvcpy db --app blog.app:app current",
        ),
    )
    add_app_option(db)
    db.set_defaults(func=_run)
    actions = db.add_subparsers(dest="db_command", required=True)

    def action(name: str, text: str, *lines: str) -> Any:
        description = text[0].upper() + text[1:] + "."
        return actions.add_parser(name, help=text, description=description, **examples(*lines))

    action("init", "create migrations/ and alembic.ini in the project", "mvcpy db init")
    revision = action(
        "revision",
        "create a new revision file",
        "mvcpy db revision --autogenerate -m 'add posts'",
        "mvcpy db revision -m 'backfill slugs'   # an empty revision to fill in",
    )
    revision.add_argument("-m", "--message", required=True, help="what the revision does")
    revision.add_argument(
        "--autogenerate", action="store_true", help="compare the models with the database"
    )
    for name, default, text, sample in (
        ("upgrade", "head", "upgrade to REVISION (default head)", "+1"),
        ("downgrade", "-1", "downgrade to REVISION (default -1; 'base' for empty)", "base"),
    ):
        step = action(
            name, text, f"mvcpy db {name}", f"mvcpy db {name} {sample}", f"mvcpy db {name} --sql"
        )
        step.add_argument("revision", nargs="?", default=default)
        step.add_argument("--sql", action="store_true", help="print the SQL instead of running it")
    for name, text in (
        ("current", "show the database's revision"),
        ("history", "list the revisions"),
        ("heads", "show the latest revisions"),
    ):
        action(name, text, f"mvcpy db {name}", f"mvcpy db {name} -v").add_argument(
            "-v", "--verbose", action="store_true"
        )
    action(
        "check",
        "fail when the database or the models differ from head",
        "mvcpy db check",
        "MVCPY_ENV=prod mvcpy db check",
    )
    stamp = action(
        "stamp",
        "set the database's revision without migrating",
        "mvcpy db stamp head",
        "mvcpy db stamp 0001_initial",
    )
    stamp.add_argument("revision")

    shell = commands.add_parser(
        "shell",
        help="a Python REPL with the app, a database session and the models",
        description="Start a Python REPL with app, db (a database session) and the models "
        "of [database] models; db.commit() keeps changes.",
        **examples("mvcpy shell", "MVCPY_ENV=test mvcpy shell --app blog.app:app"),
    )
    add_app_option(shell)
    shell.set_defaults(func=_shell)
