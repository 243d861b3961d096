"""The migrations the generators write: one revision that creates a model's table (or
another generator's change, its code given).

The table is built from the same field specifications as the model file, on the
framework's own mixins and naming convention, and Alembic renders its ``create_table``
into a revision file through the project's ``script.py.mako``. Nothing is imported
from the project and no database is needed, so ``mvcpy generate scaffold`` works right
after ``mvcpy new``, before the first ``mvcpy db upgrade``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mvcpy._ruff import format_file
from mvcpy.errors import ConfigurationError
from mvcpy.generate.fields import Field
from mvcpy.generate.files import Plan
from mvcpy.generate.layout import Project
from mvcpy.generate.naming import ResourceNames
from mvcpy.migrate import MIGRATIONS_DIR, render_item, revisions_config

if TYPE_CHECKING:
    from sqlalchemy import Table

__all__ = ["Revision", "TableMigration", "generate_migration", "model_table"]


def model_table(names: ResourceNames, fields: Sequence[Field]) -> Table:
    """Return the table the generated model declares, in a metadata of its own."""
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table
    from sqlalchemy.orm import DeclarativeBase, mapped_column

    from mvcpy.orm import IdMixin, Model, TimestampMixin

    class Scratch(DeclarativeBase):
        metadata = MetaData(naming_convention=Model.metadata.naming_convention)

    columns: dict[str, Any] = {}
    for field in fields:
        if field.reference is None:
            columns[field.name] = mapped_column(field.sql_type(), nullable=field.optional)
            continue
        target = field.reference.table
        if target not in Scratch.metadata.tables:  # what the foreign key's name refers to
            Table(target, Scratch.metadata, Column("id", Integer, primary_key=True))
        columns[field.name] = mapped_column(
            Integer,
            ForeignKey(f"{target}.id", ondelete=field.on_delete),
            nullable=field.optional,
            index=True,
        )
    model = type(
        names.model_class,
        (IdMixin, TimestampMixin, Scratch),
        {"__tablename__": names.table, "__module__": __name__, **columns},
    )
    return model.__table__  # type: ignore[attr-defined,no-any-return]


def _render(tables: Sequence[Table]) -> tuple[str, str]:
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops

    steps: list[ops.MigrateOperation] = []
    for table in tables:  # in order: a table's foreign keys point at tables before it
        indexes = sorted(table.indexes, key=lambda index: str(index.name))
        steps.append(ops.CreateTableOp.from_table(table))
        steps.extend(ops.CreateIndexOp.from_index(index) for index in indexes)
    upgrade = ops.UpgradeOps(steps)
    return (
        render_python_code(upgrade, render_item=render_item),
        render_python_code(upgrade.reverse(), render_item=render_item),
    )


class Revision:
    """A revision a generator writes (its upgrade and downgrade code given), planned then
    written.

    An existing revision with that message means the change has its migration, and it is
    kept, with or without ``force``: revisions are history that a database may already
    have run, so later changes get a revision of their own (``mvcpy generate migration``).
    """

    def __init__(
        self,
        project: Project,
        message: str,
        plan: Plan,
        code: tuple[str, str] | None = None,
        imports: str = "",
    ) -> None:
        from alembic.script import ScriptDirectory

        project.require(MIGRATIONS_DIR, "env.py")
        self.config = revisions_config(project.package_dir)
        # Quiet: Alembic's own "Generating ..." line would repeat the plan's "create" line.
        self.config.cmd_opts = argparse.Namespace(quiet=True)
        self.message = message
        self.plan = plan
        self.code = code
        self.imports = imports
        script = ScriptDirectory.from_config(self.config)
        self.existing = next(
            (r for r in script.walk_revisions() if (r.doc or "").strip() == self.message), None
        )
        heads = script.get_heads()
        if self.existing is None and len(heads) > 1:
            raise ConfigurationError(
                f"the migrations have several heads ({', '.join(sorted(heads))}): merge them "
                "first (alembic merge heads -m merge), then generate again"
            )

    def render(self) -> tuple[str, str]:
        """The upgrade and downgrade code."""
        assert self.code is not None
        return self.code

    def kept_hint(self) -> str:
        """What to do for a later change, said when the revision exists already."""
        return "for later changes run mvcpy generate migration"

    def write(self, out: TextIO | None = None) -> Path:
        """Write the revision file (the plan was written); return its path."""
        from alembic.script import ScriptDirectory
        from alembic.util import rev_id

        stream = out or sys.stdout
        if self.existing is not None:
            path = Path(self.existing.path)
            self.plan.report("kept", path, stream)
            print(f"{'':>10}  {self.kept_hint()}", file=stream)
            return path
        upgrades, downgrades = self.render()
        made = ScriptDirectory.from_config(self.config).generate_revision(
            rev_id(),
            self.message,
            head="head",
            refresh=True,
            upgrades=upgrades,
            downgrades=downgrades,
            imports=self.imports,
        )
        assert made is not None
        path = Path(made.path)
        format_file(path)  # Alembic's layout, as the project's ruff format wants it
        self.plan.report("create", path, stream)
        return path


class TableMigration(Revision):
    """The revision that creates a generated model's table (or a generator's tables, in
    order)."""

    def __init__(self, project: Project, message: str, tables: Sequence[Table], plan: Plan) -> None:
        super().__init__(project, message, plan)
        self.tables = list(tables)

    def render(self) -> tuple[str, str]:
        """``create_table`` (and its indexes) for each table; the reverse to downgrade."""
        return _render(self.tables)

    def kept_hint(self) -> str:
        """New or changed columns get a revision of their own."""
        return (
            "the tables have their migration; for new or changed columns run "
            f"mvcpy db upgrade, then mvcpy generate migration 'change {self.tables[0].name}'"
        )


def generate_migration(
    message: str,
    *,
    empty: bool = False,
    app_spec: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Write a revision of the app's project (``app_spec``, else the app found in the cwd):
    compared with the database (autogenerate), or empty with ``empty``.

    Autogenerate needs the database at the latest revision; when it is behind or does not
    answer, nothing is written and the message says what to do (exit status 1).
    """
    from alembic import command
    from alembic.operations.ops import MigrationScript

    from mvcpy.loading import find_app_spec, load_app
    from mvcpy.migrate import pending_migrations, run_alembic

    stream = out or sys.stdout
    cwd = Path.cwd()
    app = load_app(app_spec or find_app_spec(cwd))
    plan = Plan(cwd, force=False)
    scripts: list[Any] = []
    found: list[MigrationScript] = []

    if not empty:
        problem = pending_migrations(app.root_path, app.database)
        if problem is not None:
            print(
                f"mvcpy: {problem} (autogenerate compares the models with an up-to-date "
                "database; or pass --empty for a revision to fill in by hand)",
                file=sys.stderr,
            )
            return 1

    def collect(context: Any, revision: Any, directives: list[MigrationScript]) -> None:
        found.extend(directives)

    def step(config: Any) -> None:
        config.cmd_opts = argparse.Namespace(quiet=True)  # the plan prints the "create" line
        if empty:
            scripts.append(command.revision(config, message=message))
        else:
            scripts.append(
                command.revision(
                    config,
                    message=message,
                    autogenerate=True,
                    process_revision_directives=collect,
                )
            )

    code = run_alembic(app, step)
    if code:
        return code
    for made in scripts:
        format_file(Path(os.fspath(made.path)))
        plan.report("create", Path(os.fspath(made.path)), stream)
    if not empty:
        changes = [
            op
            for script in found
            for op in (script.upgrade_ops.as_diffs() if script.upgrade_ops else [])
        ]
        if changes:
            from mvcpy.migrate import describe_change

            print("  changes: " + ", ".join(describe_change(c) for c in changes), file=stream)
        else:
            print(
                "  the models match the database: the revision is empty; fill in "
                "upgrade() and downgrade(), or delete it",
                file=stream,
            )
    return 0
