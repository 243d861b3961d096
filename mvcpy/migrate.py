"""Alembic behind ``mvcpy db``: migrations of the project's models, configured by the app.

``mvcpy db init`` copies the environment template (``migrations/`` of the framework)
into the project; every other subcommand calls Alembic's own command API with a
configuration that points at the project's ``migrations/`` and carries the app.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from mvcpy._resources import resource_dir
from mvcpy.errors import ConfigurationError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import MetaData

    from mvcpy.application import Application
    from mvcpy.orm.database import Database

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "applied_revisions",
    "check_on_startup",
    "configure_context",
    "current_revision",
    "describe_change",
    "init",
    "migration_status",
    "pending_migrations",
    "render_item",
    "reset_database",
    "revisions_config",
    "run_alembic",
    "seed_database",
    "target_metadata",
    "upgrade",
    "write_migrations",
]

#: The project's migrations directory, beside ``conf/``.
MIGRATIONS_DIR = "migrations"
_TEMPLATE_FILES = ("env.py", "script.py.mako", "README.md")
_APP_ATTRIBUTE = "mvcpy_app"

logger = logging.getLogger("mvcpy.migrate")


def target_metadata(app: Application) -> MetaData:
    """Import the modules of ``[database] models`` and return the models' metadata."""
    from mvcpy.orm.model import Model

    for name in app.database.settings.models:
        importlib.import_module(name)
    return Model.metadata


def init(app: Application, app_spec: str) -> Path:
    """Write ``migrations/`` and ``alembic.ini`` into the project; return the directory."""
    return write_migrations(app.root_path, app_spec, Path.cwd())


def write_migrations(root: Path, app_spec: str, import_root: Path) -> Path:
    """Copy the migrations template and ``alembic.ini`` into ``root``; return the directory.

    ``import_root`` is the directory put on ``sys.path`` to import ``app_spec``.
    """
    target = root / MIGRATIONS_DIR
    if target.exists():
        raise ConfigurationError(f"{target} already exists: the project has its migrations")
    template = resource_dir("migrations")
    (target / "versions").mkdir(parents=True)
    for name in _TEMPLATE_FILES:
        shutil.copyfile(template / name, target / name)
    ini = root / "alembic.ini"
    if not ini.exists():
        sys_path = os.path.relpath(import_root, root)
        text = (template / "alembic.ini").read_text(encoding="utf-8")
        ini.write_text(
            text.replace("{sys_path}", f"%(here)s/{sys_path}").replace("{app_spec}", app_spec),
            encoding="utf-8",
        )
    return target


def alembic_config(app: Application) -> AlembicConfig:
    """Return the Alembic configuration of the app's project (``migrations/`` must exist)."""
    config = revisions_config(app.root_path)
    config.attributes[_APP_ATTRIBUTE] = app
    return config


def revisions_config(root: Path) -> AlembicConfig:
    """Return the Alembic configuration of the project at ``root`` without loading its app.

    Enough to read and write revision files (``mvcpy generate``); running migrations
    needs :func:`alembic_config`, which carries the app.
    """
    from alembic.config import Config as AlembicConfig

    directory = root / MIGRATIONS_DIR
    if not (directory / "env.py").is_file():
        raise ConfigurationError(f"no migrations in {root}: run `mvcpy db init` first")
    ini = root / "alembic.ini"
    config = AlembicConfig(str(ini) if ini.is_file() else None)
    config.set_main_option("script_location", str(directory))
    return config


def upgrade(app: Application, revision: str = "head") -> None:
    """Migrate the app's database to ``revision``, as ``mvcpy db upgrade`` does (tests use it)."""
    from alembic import command

    command.upgrade(alembic_config(app), revision)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render what a revision must spell portably, leaving the rest to Alembic.

    A server default that calls a SQL function becomes ``sa.func.NAME()``: Alembic
    writes the function as the connected database spells it (``now()`` on PostgreSQL),
    which another database refuses, so a revision made against PostgreSQL still migrates
    the SQLite test database. :class:`~mvcpy.orm.types.UTCDateTime` becomes the column
    type it stores, ``sa.DateTime(timezone=True)``, so a revision needs no mvcpy import.
    """
    from sqlalchemy.sql.functions import FunctionElement

    from mvcpy.orm.types import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    function = getattr(obj, "arg", None)
    if (
        type_ == "server_default"
        and isinstance(function, FunctionElement)
        and not function.clauses.clauses
    ):
        return f"sa.func.{function.name}()"
    return False


def _app_for(config: AlembicConfig) -> Application:
    app = config.attributes.get(_APP_ATTRIBUTE)
    if app is not None:
        return app  # type: ignore[no-any-return]
    # The plain ``alembic`` command: find the app named in alembic.ini, or discover it.
    from mvcpy.loading import find_app_spec, load_app

    spec = config.get_main_option(_APP_ATTRIBUTE) or find_app_spec(Path.cwd())
    return load_app(spec)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's filter: leave out the tables that live in the application's database
    without being its models (the job queue's, mvcpy.jobs.schema; the admin's audit log),
    so autogenerate never drops them and ``mvcpy db status`` does not count them."""
    from mvcpy.admin.audit import TABLE
    from mvcpy.jobs.schema import TABLES

    return not (type_ == "table" and (name in TABLES or name == TABLE.name))


def configure_context(context: Any) -> None:
    """Run the migrations of ``env.py``: URL from the app's configuration, models' metadata."""
    app = _app_for(context.config)
    metadata = target_metadata(app)
    database = app.database
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "compare_type": True,
        "render_item": render_item,
        "include_name": include_name,
    }
    if context.is_offline_mode():
        url = database.url
        context.configure(
            url=url.render_as_string(hide_password=False),
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            render_as_batch=url.get_backend_name() == "sqlite",
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    with database.engine.connect() as connection:
        context.configure(
            connection=connection,
            render_as_batch=connection.dialect.name == "sqlite",
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()


def pending_migrations(root: Path, database: Database) -> str | None:
    """Return a one-line problem when the database is not at the migrations' head, else None."""
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import DBAPIError

    heads = set(ScriptDirectory.from_config(revisions_config(root)).get_heads())
    try:
        current = _current_heads(database)
    except DBAPIError as exc:
        reason = _one_line(exc.orig) if exc.orig is not None else _one_line(exc)
        url = database.url.render_as_string(hide_password=True)
        return (
            f"cannot use the database at {url}: {reason}; "
            "check [database] url in conf/app.toml and that the server is running"
        )
    if current == heads:
        return None
    at = ", ".join(sorted(current)) or "empty"
    return (
        f"the database ({at}) is behind the migrations (head {', '.join(sorted(heads))}): "
        "run `mvcpy db upgrade`"
    )


def _current_heads(database: Database) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def current_revision(app: Application) -> str:
    """The database's revision in words: ``8ee5c1e044f7 (create posts)``; ``""`` when no
    migration is applied."""
    from alembic.script import ScriptDirectory

    heads = sorted(_current_heads(app.database))
    if not heads:
        return ""
    script = ScriptDirectory.from_config(revisions_config(app.root_path))
    named = []
    for head in heads:
        revision = script.get_revision(head)
        doc = (revision.doc or "").strip() if revision is not None else ""
        named.append(f"{head} ({doc})" if doc else head)
    return ", ".join(named)


def applied_revisions(app: Application, config: AlembicConfig) -> list[str]:
    """The revisions applied to the app's database, newest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    current = tuple(_current_heads(app.database))
    return [r.revision for r in script.iterate_revisions(current, "base")] if current else []


def migration_status(app: Application, config: AlembicConfig) -> list[str]:
    """``mvcpy db status``: the database, each revision oldest first with ``up`` (applied)
    or ``down``, and whether the models match the migrations."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(config)
    applied = set(applied_revisions(app, config))
    url = app.database.url.render_as_string(hide_password=True)
    lines = [f"database: {url}"]
    revisions = list(reversed(list(script.walk_revisions())))
    for revision in revisions:
        state = "up  " if revision.revision in applied else "down"
        lines.append(f"  {state}  {revision.revision}  {(revision.doc or '').strip()}")
    if not revisions:
        lines.append("  no migrations yet: `mvcpy generate model NAME field:type ...` writes one")
    pending = [r for r in revisions if r.revision not in applied]
    if pending:
        lines.append(f"{len(pending)} migration(s) to apply: run `mvcpy db upgrade`")
        return lines
    with app.database.engine.connect() as connection:
        migration = MigrationContext.configure(connection, opts={"include_name": include_name})
        diffs = compare_metadata(migration, target_metadata(app))
    if diffs:
        changes = ", ".join(describe_change(diff) for diff in diffs)
        lines.append(
            f"the models differ from the migrations ({changes}): "
            'run `mvcpy generate migration "what changed"`'
        )
    else:
        lines.append("the database is at head and the models match the migrations")
    return lines


def seed_database(app: Application) -> int:
    """``mvcpy db seed``: run ``seed(db)`` of the project's ``seeds.py`` (beside ``app.py``)
    in one transaction, committed when it returns; 1 with a message when it is missing or
    fails (nothing is kept then)."""
    import importlib.util

    path = app.root_path / "seeds.py"
    if not path.is_file():
        print(
            f"mvcpy: no {path.name} in {app.root_path}: write one with def seed(db): ... "
            "(db is a database session; mvcpy db seed commits it)",
            file=sys.stderr,
        )
        return 1
    spec = importlib.util.spec_from_file_location(f"{app.root_path.name}_seeds", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a syntax error, an import that fails: one line, no traceback
        print(
            f"mvcpy: {path.name} cannot be loaded: {type(exc).__name__}: {_one_line(exc)}",
            file=sys.stderr,
        )
        return 1
    seed = getattr(module, "seed", None)
    if not callable(seed):
        print(f"mvcpy: {path} has no seed(db) function", file=sys.stderr)
        return 1
    db = app.database.session()
    try:
        seed(db)
        db.commit()
    except Exception as exc:
        db.rollback()
        print(f"mvcpy: {path.name} failed, nothing was kept: {_one_line(exc)}", file=sys.stderr)
        return 1
    finally:
        db.close()
    print(f"seeded the database from {path}")
    return 0


def reset_database(app: Application) -> None:
    """Drop every table of the app's database (all of them, models' or not) and the
    record of applied migrations; ``mvcpy db reset`` migrates again afterwards."""
    from sqlalchemy import MetaData

    engine = app.database.engine
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)


def check_on_startup(root: Path, database: Database) -> None:
    """Log one error line at startup when the project's database is not at head."""
    directory = root / MIGRATIONS_DIR
    if not (directory / "env.py").is_file() or not (directory / "versions").is_dir():
        return  # not a project's migrations (the framework's own template has no versions/)
    problem = pending_migrations(root, database)
    if problem is not None:
        logger.error("mvcpy: %s", problem)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def describe_change(diff: Any) -> str:
    """Name one autogenerate difference: ``add_table tags``, ``add_column posts.body``."""
    if isinstance(diff, list):  # a group of column modifications
        diff = diff[0]
    op = diff[0]
    if op.startswith("modify_"):
        return f"{op} {diff[2]}.{diff[3]}"
    if op in ("add_column", "remove_column"):
        return f"{op} {diff[2]}.{diff[3].name}"
    names = [getattr(part, "name", None) for part in diff[1:]]
    return f"{op} {next((n for n in names if n), '?')}"


def run_alembic(app: Application, step: Callable[[AlembicConfig], object]) -> int:
    """Run ``step`` with the app's Alembic configuration: 0, or 1 after one line on stderr.

    Alembic's and the database's errors become a sentence that says what to do.
    """
    from alembic.util.exc import AutogenerateDiffsDetected, CommandError
    from sqlalchemy.exc import DBAPIError

    try:
        step(alembic_config(app))
    except AutogenerateDiffsDetected as exc:
        changes = ", ".join(describe_change(diff) for diff in exc.diffs)
        print(
            f"mvcpy: the models and the migrations disagree ({changes}); "
            'run `mvcpy generate migration "what changed"`',
            file=sys.stderr,
        )
        return 1
    except CommandError as exc:
        message = _one_line(exc)
        if "not up to date" in message:
            message = "the database is behind the migrations: run `mvcpy db upgrade`"
        print(f"mvcpy: {message}", file=sys.stderr)
        return 1
    except DBAPIError as exc:
        url = app.database.url.render_as_string(hide_password=True)
        reason = _one_line(exc.orig) if exc.orig is not None else _one_line(exc)
        print(
            f"mvcpy: cannot use the database at {url}: {reason}; "
            "check [database] url in conf/app.toml and that the server is running",
            file=sys.stderr,
        )
        return 1
    return 0
