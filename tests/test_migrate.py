"""``mvcpy db``: a project's migrations from empty to head and back, on every database.

Each command runs as a real ``mvcpy`` process in a project written to a temporary
directory, against a database (a PostgreSQL schema, a MariaDB database, a SQLite file)
that only this test uses.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from orm.conftest import isolated_url
from sqlalchemy import create_engine, inspect

from mvcpy import App
from mvcpy.migrate import alembic_config, init
from mvcpy.testing import TestClient

VENV_BIN = Path(sys.executable).parent

APP = """\
from mvcpy import App

import models  # noqa: F401

app = App(__name__)
"""

MODELS_V1 = """\
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from mvcpy.orm import IdMixin, Model, TimestampMixin


class Post(IdMixin, TimestampMixin, Model):
    __tablename__ = "mig_posts"

    title: Mapped[str] = mapped_column(String(100))
"""

MODELS_V2 = """\
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mvcpy.orm import IdMixin, Model, TimestampMixin


class Post(IdMixin, TimestampMixin, Model):
    __tablename__ = "mig_posts"

    title: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), index=True, default="")


class Comment(IdMixin, Model):
    __tablename__ = "mig_comments"
    __table_args__ = (UniqueConstraint("post_id", "author"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("mig_posts.id"))
    author: Mapped[str] = mapped_column(String(80))
"""


class Project:
    """A project directory and the database URL its commands use."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url
        root.mkdir()
        (root / "app.py").write_text(APP)
        (root / "models.py").write_text(MODELS_V1)

    def run(
        self, *argv: str, tool: str = "mvcpy", mvcpy_env: str = "test"
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MVCPY_")}
        env.update(MVCPY_ENV=mvcpy_env, MVCPY_DATABASE__URL=self.url)
        return subprocess.run(
            [str(VENV_BIN / tool), *argv],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def ok(self, *argv: str, tool: str = "mvcpy", mvcpy_env: str = "test") -> str:
        done = self.run(*argv, tool=tool, mvcpy_env=mvcpy_env)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    def tables(self) -> set[str]:
        engine = create_engine(self.url)
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    for url in isolated_url(request.param, request, tmp_path):
        yield Project(tmp_path / "blog", url)


def test_migrations_from_empty_to_head_and_back(project: Project) -> None:
    project.ok("db", "init")
    assert (project.root / "migrations" / "env.py").is_file()
    assert (project.root / "alembic.ini").is_file()
    project.ok("db", "revision", "--autogenerate", "-m", "create posts")
    [first] = (project.root / "migrations" / "versions").glob("*create_posts.py")
    assert "Revises: nothing (the first revision)\n" in first.read_text()  # no trailing space
    project.ok("db", "upgrade")
    assert project.tables() == {"alembic_version", "mig_posts"}
    assert "the models match" in project.ok("db", "check")

    # New model, column, index and unique constraint: check fails and names them.
    (project.root / "models.py").write_text(MODELS_V2)
    refused = project.run("db", "check")
    assert refused.returncode == 1
    line = refused.stderr.strip().splitlines()[-1]
    assert line.startswith("mvcpy: the models and the migrations disagree (")
    for change in ("add_table mig_comments", "add_column mig_posts.slug", "add_index"):
        assert change in line
    project.ok("db", "revision", "--autogenerate", "-m", "comments")
    project.ok("db", "upgrade")
    assert "the models match" in project.ok("db", "check")  # no difference after upgrade

    engine = create_engine(project.url)
    try:
        inspector = inspect(engine)
        assert {c["name"] for c in inspector.get_columns("mig_posts")} >= {"slug", "created_at"}
        assert "ix_mig_posts_slug" in {i["name"] for i in inspector.get_indexes("mig_posts")}
        uniques = inspector.get_unique_constraints("mig_comments")
        assert [u["name"] for u in uniques] == ["uq_mig_comments_post_id_author"]
        fks = inspector.get_foreign_keys("mig_comments")
        assert [f["name"] for f in fks] == ["fk_mig_comments_post_id_mig_posts"]
    finally:
        engine.dispose()

    project.ok("db", "downgrade", "base")
    assert project.tables() == {"alembic_version"}

    # The plain alembic command works inside the project too.
    project.ok("upgrade", "head", tool="alembic")
    assert project.tables() == {"alembic_version", "mig_posts", "mig_comments"}
    assert "(head)" in project.ok("db", "current")


def test_status_rollback_and_reset(project: Project) -> None:
    project.ok("db", "init")
    project.ok("db", "revision", "--autogenerate", "-m", "create posts")
    project.ok("db", "upgrade")
    (project.root / "models.py").write_text(MODELS_V2)
    project.ok("db", "revision", "--autogenerate", "-m", "comments")
    project.ok("db", "downgrade", "base")
    first, second = (
        next((project.root / "migrations" / "versions").glob(f"*{slug}.py")).name.split("_")[1]
        for slug in ("create_posts", "comments")
    )
    upgraded = project.ok("db", "upgrade")
    assert f"the database is at {second} (comments)" in upgraded
    assert "Context impl" not in upgraded  # Alembic's set-up lines only with -v
    assert f"-> {second}, comments" in upgraded  # what changed is said
    assert "Context impl" in project.ok("db", "upgrade", "-v")

    status = project.ok("db", "status").splitlines()
    assert status[1:] == [
        f"  up    {first}  create posts",
        f"  up    {second}  comments",
        "the database is at head and the models match the migrations",
    ]
    assert f"the database is at {first} (create posts)" in project.ok("db", "rollback")
    assert project.tables() == {"alembic_version", "mig_posts"}
    status = project.ok("db", "status").splitlines()
    assert status[2:] == [
        f"  down  {second}  comments",
        "1 migration(s) to apply: run `mvcpy db upgrade`",
    ]
    assert "no migration is applied" in project.ok("db", "rollback", "5")
    assert project.tables() == {"alembic_version"}
    refused = project.run("db", "rollback", "0")
    assert refused.returncode == 2 and "must be 1 or more" in refused.stderr

    # A model change no revision holds: status names it and the command to run.
    project.ok("db", "upgrade")
    (project.root / "models.py").write_text(MODELS_V2.replace("mig_comments", "mig_notes"))
    status = project.ok("db", "status").splitlines()
    assert status[-1].startswith("the models differ from the migrations (")
    assert status[-1].endswith('run `mvcpy generate migration "what changed"`')
    (project.root / "models.py").write_text(MODELS_V2)

    # reset: dev only, asks first (or --yes), drops every table (a hand-made one too).
    engine = create_engine(project.url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
    finally:
        engine.dispose()
    refused = project.run("db", "reset", "--yes")
    assert refused.returncode == 1 and "it runs in dev only, and this is test" in refused.stderr
    refused = project.run("db", "reset", mvcpy_env="dev")
    assert refused.returncode == 1 and "add --yes" in refused.stderr  # stdin is not a terminal
    assert "scratch" in project.tables()
    reset = project.ok("db", "reset", "--yes", mvcpy_env="dev")
    assert f"the database is at {second} (comments)" in reset
    assert project.tables() == {"alembic_version", "mig_posts", "mig_comments"}


def test_pending_migrations_stamp_and_heads(tmp_path: Path) -> None:
    project = Project(tmp_path / "blog", f"sqlite:///{tmp_path / 'blog.sqlite3'}")
    project.ok("db", "init")
    project.ok("db", "revision", "--autogenerate", "-m", "first")
    pending = project.run("db", "check")
    assert pending.returncode == 1
    assert pending.stderr.strip().splitlines()[-1] == (
        "mvcpy: the database is behind the migrations: run `mvcpy db upgrade`"
    )
    assert "first" in project.ok("db", "history")
    heads = project.ok("db", "heads")
    head = heads.split()[0]
    project.ok("db", "stamp", head)
    assert head in project.ok("db", "current")
    assert project.tables() == {"alembic_version"}  # stamped, not migrated
    again = project.run("db", "init")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_sqlite_migrations_run_in_batch_mode(tmp_path: Path) -> None:
    # Changing a column's type on SQLite needs a table copy (batch mode).
    project = Project(tmp_path / "blog", f"sqlite:///{tmp_path / 'blog.sqlite3'}")
    project.ok("db", "init")
    project.ok("db", "revision", "--autogenerate", "-m", "first")
    project.ok("db", "upgrade")
    models = project.root / "models.py"
    models.write_text(models.read_text().replace("String(100)", "String(300)"))
    project.ok("db", "revision", "--autogenerate", "-m", "longer titles")
    revision = next((project.root / "migrations" / "versions").glob("*longer_titles.py"))
    assert "batch_alter_table" in revision.read_text()
    project.ok("db", "upgrade")
    assert "the models match" in project.ok("db", "check")
    project.ok("db", "downgrade", "base")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not-a-url", "is not a database URL; expected e.g."),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot use the database at"),
        ("mysql+aiomysql://root@127.0.0.1/test", "is not installed: pip install aiomysql"),
    ],
)
def test_database_errors_are_one_line(tmp_path: Path, url: str, expected: str) -> None:
    project = Project(tmp_path / "blog", url)
    project.ok("db", "init")  # needs no database
    done = project.run("db", "current")
    assert done.returncode != 0
    message = done.stderr.strip()
    assert "\n" not in message and message.startswith("mvcpy: ") and expected in message
    assert "Traceback" not in done.stderr


def test_commands_need_init_first(tmp_path: Path) -> None:
    project = Project(tmp_path / "blog", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    done = project.run("db", "upgrade")
    assert done.returncode == 2 and "run `mvcpy db init` first" in done.stderr


REVISION = '''\
"""first"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("boot_items", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("boot_items")
'''


def _startup_errors(app: App, caplog: pytest.LogCaptureFixture) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="mvcpy.migrate"), TestClient(app):
        pass
    return [r.getMessage() for r in caplog.records if r.name == "mvcpy.migrate"]


def test_startup_says_in_one_line_when_the_database_is_behind(
    make_app: Callable[..., App], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(database={"url": f"sqlite:///{tmp_path / 'boot.sqlite3'}"})
    assert _startup_errors(app, caplog) == []  # no migrations/: nothing to check
    init(app, "app:app")
    (tmp_path / "migrations" / "versions" / "0001_first.py").write_text(REVISION)
    assert _startup_errors(app, caplog) == [
        "mvcpy: the database (empty) is behind the migrations (head 0001): run `mvcpy db upgrade`"
    ]
    command.upgrade(alembic_config(app), "head")
    assert _startup_errors(app, caplog) == []


def test_startup_says_in_one_line_when_the_database_is_unreachable(
    make_app: Callable[..., App], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(database={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    init(app, "app:app")
    (errors,) = _startup_errors(app, caplog)
    assert errors.startswith("mvcpy: cannot use the database at postgresql+psycopg://")
    assert errors.endswith("check [database] url in conf/app.toml and that the server is running")
    assert "\n" not in errors


def test_seed_runs_the_projects_seeds_in_one_transaction(tmp_path: Path) -> None:
    project = Project(tmp_path / "blog", f"sqlite:///{tmp_path / 'blog.sqlite3'}")
    project.ok("db", "init")
    project.ok("db", "revision", "--autogenerate", "-m", "create posts")
    project.ok("db", "upgrade")
    missing = project.run("db", "seed")
    assert missing.returncode == 1 and "write one with def seed(db)" in missing.stderr
    (project.root / "seeds.py").write_text(
        "from models import Post\n\n\n"
        "def seed(db):\n"
        "    db.add_all([Post(title='first'), Post(title='second')])\n"
    )
    assert "seeded the database from" in project.ok("db", "seed")
    (project.root / "seeds.py").write_text(
        "from models import Post\n\n\n"
        "def seed(db):\n"
        "    db.add(Post(title='third'))\n"
        "    db.flush()\n"
        "    raise RuntimeError('half way')\n"
    )
    failed = project.run("db", "seed")
    assert failed.returncode == 1 and "failed, nothing was kept: half way" in failed.stderr
    (project.root / "seeds.py").write_text("def seed(db)\n    pass\n")
    broken = project.run("db", "seed")
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert "seeds.py cannot be loaded: SyntaxError" in broken.stderr
    engine = create_engine(project.url)
    try:
        with engine.connect() as connection:
            titles = connection.exec_driver_sql("SELECT title FROM mig_posts ORDER BY id").all()
    finally:
        engine.dispose()
    assert [row[0] for row in titles] == ["first", "second"]
