"""``mvcpy db`` (Alembic: init, revision, upgrade, downgrade, current, history, check) and
``mvcpy shell``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mvcpy._help import examples
from mvcpy._ruff import format_file
from mvcpy.cli.loader import add_app_option, app_spec, load_app
from mvcpy.migrate import (
    applied_revisions,
    current_revision,
    init,
    migration_status,
    reset_database,
    run_alembic,
    seed_database,
)

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

__all__ = ["add_commands"]


class _StepsOnly(logging.Filter):
    """Alembic's lines that say what changed ("Running upgrade  -> 8ee5c1e044f7, ..."),
    not how it set itself up ("Context impl", "setting up autogenerate plugin")."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.getMessage().startswith("Running ")


def _logging(verbose: bool) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
    alembic = logging.getLogger("alembic")
    alembic.setLevel(logging.INFO)
    for handler in logging.getLogger().handlers:
        for found in [f for f in handler.filters if isinstance(f, _StepsOnly)]:
            handler.removeFilter(found)
        if not verbose:
            handler.addFilter(_StepsOnly())


def _run(args: argparse.Namespace) -> int:
    from alembic import command

    spec = app_spec(args)
    app = load_app(spec)
    action = args.db_command
    _logging(args.log_verbose)
    if action == "init":
        print(f"created {init(app, spec)}; next: mvcpy generate model NAME field:type ...")
        return 0

    def step(config: AlembicConfig) -> None:
        if action == "revision":
            made = command.revision(config, message=args.message, autogenerate=args.autogenerate)
            for script in made if isinstance(made, list) else [made]:
                if script is not None:
                    format_file(Path(script.path))
        elif action == "upgrade":
            command.upgrade(config, args.revision, sql=args.sql_only)
        elif action == "downgrade":
            command.downgrade(config, args.revision, sql=args.sql_only)
        elif action == "current":
            command.current(config, verbose=args.log_verbose)
        elif action == "history":
            command.history(config, verbose=args.log_verbose, indicate_current=True)
        elif action == "heads":
            command.heads(config, verbose=args.log_verbose)
        elif action == "check":
            command.check(config)
            print("the database is at head and the models match the migrations")
        elif action == "stamp":
            command.stamp(config, args.revision)
        elif action == "rollback":  # more steps than applied: back to empty, as Rails does
            applied = len(applied_revisions(app, config))
            if applied:
                command.downgrade(config, "base" if args.steps >= applied else f"-{args.steps}")
        elif action == "status":
            print("\n".join(migration_status(app, config)))
        elif action == "reset":
            reset_database(app)
            command.upgrade(config, "head")

    if action == "seed":
        return seed_database(app)
    if action == "reset" and not _confirm_reset(app, args.yes):
        return 1
    status = run_alembic(app, step)
    if status == 0 and action in ("upgrade", "rollback", "reset") and not args.sql_only:
        revision = current_revision(app)
        print(f"the database is at {revision}" if revision else "no migration is applied")
    return status


def _confirm_reset(app: Any, yes: bool) -> bool:
    if app.env != "dev":
        print(
            f"mvcpy: db reset drops every table: it runs in dev only, and this is {app.env} "
            "(MVCPY_ENV)",
            file=sys.stderr,
        )
        return False
    url = app.database.url.render_as_string(hide_password=True)
    if yes:
        return True
    if not sys.stdin.isatty():
        print("mvcpy: db reset asks before it drops every table: add --yes", file=sys.stderr)
        return False
    answer = input(f"Drop every table of {url} and migrate again? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _shell(args: argparse.Namespace) -> int:
    from mvcpy.cli.shell import run_shell

    return run_shell(args)


def add_commands(commands: Any) -> None:
    """Add ``mvcpy db ...`` and ``mvcpy shell`` to the ``mvcpy`` command's subparsers."""
    db = commands.add_parser(
        "db",
        help="database migrations (Alembic): upgrade, rollback, status, reset, check, ...",
        description="Migrations of the project's models, run by Alembic with the app's "
        "[database] settings.",
        **examples(
            "mvcpy db upgrade",
            "mvcpy db status",
            "mvcpy db rollback",
            "MVCPY_ENV=prod mvcpy db upgrade --sql > upgrade.sql",
            "mvcpy db --app blog.app:app current",
        ),
    )
    add_app_option(db)
    db.set_defaults(func=_run)
    actions = db.add_subparsers(dest="db_command", required=True)

    def action(name: str, text: str, *lines: str) -> Any:
        description = text[0].upper() + text[1:] + "."
        parser = actions.add_parser(name, help=text, description=description, **examples(*lines))
        parser.add_argument(
            "-v",
            "--verbose",
            dest="log_verbose",
            action="store_true",
            help="also show how Alembic sets itself up (its INFO lines)",
        )
        parser.set_defaults(sql_only=False)
        return parser

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
        step.add_argument(
            "--sql",
            action="store_true",
            dest="sql_only",
            help="print the SQL instead of running it",
        )
    for name, text in (
        ("current", "show the database's revision"),
        ("history", "list the revisions"),
        ("heads", "show the latest revisions"),
    ):
        action(name, text, f"mvcpy db {name}", f"mvcpy db {name} -v  # the long form")
    rollback = action(
        "rollback",
        "undo the last migration (or the last N)",
        "mvcpy db rollback",
        "mvcpy db rollback 3",
    )
    rollback.add_argument("steps", nargs="?", type=_positive, default=1, help="how many")
    action(
        "status",
        "list the migrations, applied or not, and whether the models match them",
        "mvcpy db status",
    )
    reset = action(
        "reset",
        "drop every table and migrate from scratch (dev only; asks first)",
        "mvcpy db reset",
        "mvcpy db reset --yes",
    )
    reset.add_argument("--yes", action="store_true", help="do not ask")
    action(
        "seed",
        "fill the database with the project's seeds.py (seed(db), then commit)",
        "mvcpy db seed",
        "MVCPY_ENV=test mvcpy db seed",
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
