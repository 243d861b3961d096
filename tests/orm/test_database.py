"""The engine from configuration: defaults, SQLite pragmas, pools, fork safety, bad input."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from mvcpy import App
from mvcpy.errors import ConfigurationError
from mvcpy.orm import async_url_for
from mvcpy.testing import TestClient


def test_the_default_is_a_sqlite_file_under_instance_with_wal_and_foreign_keys(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    app = make_app()
    assert app.database.url.database == str(tmp_path / "instance" / "app.sqlite3")
    with app.database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (tmp_path / "instance" / "app.sqlite3").is_file()


def test_relative_sqlite_paths_are_under_the_project(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    app = make_app(database={"url": "sqlite:///data/site.db"})
    assert app.database.url.database == str(tmp_path / "data" / "site.db")


def test_foreign_keys_are_enforced_on_sqlite(make_app: Callable[..., App]) -> None:
    app = make_app()
    with app.database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE p (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id))"))
    with (
        pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"),
        app.database.engine.begin() as conn,
    ):
        conn.execute(text("INSERT INTO c (p_id) VALUES (42)"))


def test_pool_settings_come_from_the_configuration(make_app: Callable[..., App]) -> None:
    app = make_app(database={"pool_size": 3, "max_overflow": 2, "pool_recycle": 60})
    pool = app.database.engine.pool
    assert pool.size() == 3  # type: ignore[attr-defined]
    assert pool._max_overflow == 2  # type: ignore[attr-defined]
    assert pool._recycle == 60


def test_echo_only_outside_prod(make_app: Callable[..., App]) -> None:
    assert make_app(env="dev", database={"echo": True}).database.engine.echo is True
    assert make_app(env="test", database={"echo": False}).database.engine.echo is False


def test_a_wrong_url_is_a_one_line_configuration_error(make_app: Callable[..., App]) -> None:
    with pytest.raises(ConfigurationError, match=r"is not a database URL; expected e\.g\.") as err:
        _ = make_app(database={"url": "not a url"}).database
    assert "\n" not in str(err.value)


def test_a_missing_driver_names_the_package_to_install(make_app: Callable[..., App]) -> None:
    app = make_app(database={"url": "mysql+aiomysql://root@127.0.0.1/test"})
    with pytest.raises(ConfigurationError, match=r"'aiomysql' .* is not installed: pip install"):
        _ = app.database.engine
    app = make_app(database={"url": "postgresql+nosuchdriver://x@127.0.0.1/test"})
    with pytest.raises(ConfigurationError, match="is not installed"):
        _ = app.database.engine


def test_an_unreachable_server_fails_the_request_not_the_process(
    make_app: Callable[..., App],
) -> None:
    app = make_app(database={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    app.get("/q", lambda ctx: {"one": ctx.db.scalar(text("SELECT 1"))})
    with TestClient(app) as client:
        assert client.get("/q").status_code == 503  # tests/orm/test_availability.py
    with pytest.raises(OperationalError):
        app.database.engine.connect()


def test_async_urls_follow_the_sync_ones() -> None:
    assert async_url_for(make_url("sqlite:///a.db")).drivername == "sqlite+aiosqlite"
    pg = async_url_for(make_url("postgresql://u@h/d"))
    assert pg.drivername == "postgresql+psycopg"
    assert async_url_for(make_url("mysql+pymysql://u@h/d")).drivername == "mysql+aiomysql"


def test_the_engine_is_disposed_at_shutdown_and_rebuilt_on_use(
    make_app: Callable[..., App],
) -> None:
    app = make_app()
    app.get("/q", lambda ctx: {"one": ctx.db.scalar(text("SELECT 1"))})
    with TestClient(app) as client:
        assert client.get("/q").json() == {"one": 1}
        first = app.database.engine
    assert app.database._engine is None  # shutdown disposed it
    assert app.database.engine is not first


def _engine_identity_in_child(app: App, queue: multiprocessing.Queue[tuple[bool, int]]) -> None:
    inherited = app.database._engine
    with app.database.engine.connect() as conn:
        value = int(conn.scalar(text("SELECT 7")) or 0)
    queue.put((app.database.engine is not inherited, value))


def test_a_forked_worker_builds_its_own_engine(make_app: Callable[..., App]) -> None:
    app = make_app()
    with app.database.engine.connect() as conn:  # the parent's pool holds a connection
        conn.scalar(text("SELECT 1"))
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[tuple[bool, int]] = context.Queue()
    child = context.Process(target=_engine_identity_in_child, args=(app, queue))
    child.start()
    rebuilt, value = queue.get(timeout=30)
    child.join(timeout=30)
    assert child.exitcode == 0 and value == 7
    assert rebuilt
    assert app.database._pid == os.getpid()
    with app.database.engine.connect() as conn:  # the parent's pool still works
        assert conn.scalar(text("SELECT 2")) == 2


def test_mariadb_connections_answer_the_time_in_utc(
    make_app: Callable[..., App], mariadb_url: str
) -> None:
    app = make_app(database={"url": mariadb_url})
    with app.database.engine.connect() as conn:
        zone, skew = conn.execute(
            text("SELECT @@session.time_zone, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())")
        ).one()
    assert zone == "+00:00"
    assert abs(skew) <= 1  # NOW() is UTC, whatever the server's own zone
