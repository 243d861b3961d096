"""A database that is down, silent or slow: 503 with Retry-After within seconds, one log
line, the other pages answering meanwhile, and recovery without a restart.

Real servers only: PostgreSQL and MariaDB for statement timeouts, a port where nothing
listens for a refused connection, a socket that accepts and never answers for a silent
server, and a TCP relay in front of PostgreSQL that the test switches on for recovery.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from mvcpy import App
from mvcpy.orm.availability import RETRY_AFTER, unavailable_reason
from mvcpy.testing import TestClient
from tests.silent_server import SilentServer, free_port


class Relay:
    """A TCP relay from a loopback port to ``target``, started when the test says so."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self.sock: socket.socket | None = None
        self.open: list[socket.socket] = []

    def start(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self.sock is not None
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        for end in self.open:
            end.close()


def build(make_app: Callable[..., App], url: str, **database: Any) -> App:
    """An app with a database page (sync and async) and pages that never touch it."""
    app = make_app(database={"url": url, **database}, health={"enabled": True})
    app.get("/db", lambda ctx: {"one": ctx.db.scalar(text("SELECT 1"))})
    app.get("/sleep", lambda ctx: {"slept": ctx.db.scalar(text(ctx.request.query["sql"]))})

    async def adb(ctx: Any) -> dict[str, Any]:
        return {"one": await ctx.adb.scalar(text("SELECT 1"))}

    async def plain(ctx: Any) -> str:
        return "no database here"

    app.get("/adb", adb)
    app.get("/plain", plain)
    app.get("/plain-sync", lambda ctx: "no database here either")
    return app


def assert_503(answer: Any) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == str(RETRY_AFTER)
    assert answer.json()["error"]["message"] == "The database is not answering; try again shortly"


def database_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mvcpy.database"]


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def test_a_refused_connection_is_a_503_logged_once_and_health_says_so(
    make_app: Callable[..., App], caplog: pytest.LogCaptureFixture
) -> None:
    app = build(make_app, f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        for path in ("/db", "/adb", "/db"):
            assert_503(client.get(path))
        assert client.get("/plain").text == "no database here"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["database"] == "error"
    lines = database_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]  # the repeats are counted later
    line = lines[0].getMessage()
    assert line.startswith("database unavailable: cannot connect to the database; answered 503")
    assert "GET /db (route " in line and lines[0].exc_info is None  # no traceback
    assert not [r for r in caplog.records if r.name == "mvcpy.errors"]


def test_a_filter_that_needs_the_database_gets_the_503_too(
    make_app: Callable[..., App],
) -> None:
    app = build(make_app, f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")

    async def load_user(ctx: Any, call_next: Any) -> Any:
        ctx.state.user = ctx.db.scalar(text("SELECT 1"))  # as a user loader would
        return await call_next(ctx)

    app.get("/account", lambda ctx: {"user": ctx.state.user}, filters=[load_user])
    with TestClient(app) as client:
        assert_503(client.get("/account"))


def test_sessions_kept_in_an_unavailable_database_get_the_503_too(
    make_app: Callable[..., App],
) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none"
    app = make_app(database={"url": url}, session={"enabled": True, "backend": "database"})

    def remember(ctx: Any) -> str:
        ctx.session["seen"] = True  # saved to the store after the action
        return "remembered"

    app.get("/remember", remember)
    with TestClient(app) as client:
        assert_503(client.get("/remember"))


def test_a_silent_server_costs_the_connect_timeout_and_other_pages_keep_answering(
    make_app: Callable[..., App], silent: SilentServer
) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{silent.port}/none"
    app = build(make_app, url, connect_timeout=1, pool_timeout=1, pool_size=2, max_overflow=0)
    with TestClient(app) as client, ThreadPoolExecutor(max_workers=12) as pool:
        started = time.monotonic()
        stuck = [pool.submit(client.get, "/db" if i % 2 else "/adb") for i in range(10)]
        time.sleep(0.2)
        # While ten requests wait on the silent database, pages without it answer at once.
        for path in ("/plain", "/plain-sync"):
            quick = time.monotonic()
            assert client.get(path).status_code == 200
            assert time.monotonic() - quick < 1.0, path
        for future in stuck:
            assert_503(future.result(timeout=30))
        assert time.monotonic() - started < 10  # seconds, not minutes


def test_a_slow_statement_on_postgresql_is_cut_off_and_the_next_one_works(
    make_app: Callable[..., App], postgres_url: str
) -> None:
    app = build(make_app, postgres_url, statement_timeout=0.5)
    with TestClient(app) as client:
        started = time.monotonic()
        assert_503(client.get("/sleep", params={"sql": "SELECT pg_sleep(5)"}))
        assert time.monotonic() - started < 3
        assert client.get("/db").json() == {"one": 1}  # the pool's connection still works
        assert client.get("/adb").json() == {"one": 1}


def test_a_slow_statement_on_mariadb_is_cut_off(
    make_app: Callable[..., App], mariadb_url: str
) -> None:
    app = build(make_app, mariadb_url, statement_timeout=1)
    with TestClient(app) as client:
        started = time.monotonic()
        assert_503(client.get("/sleep", params={"sql": "SELECT SLEEP(5)"}))
        assert time.monotonic() - started < 4
        assert client.get("/db").json() == {"one": 1}  # a new connection replaces the lost one


def test_a_locked_sqlite_database_is_a_503_after_the_busy_timeout(
    make_app: Callable[..., App], tmp_path: Path
) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    app = build(make_app, f"sqlite:///{path}", statement_timeout=0.3)
    app.post("/write", lambda ctx: {"n": ctx.db.execute(text("INSERT INTO t VALUES (1)")).rowcount})
    with TestClient(app) as client:
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        started = time.monotonic()
        assert_503(client.post("/write"))
        assert time.monotonic() - started < 3
        holder.execute("ROLLBACK")
        assert client.post("/write").json() == {"n": 1}
    holder.close()


def test_the_site_recovers_when_the_database_comes_back(
    make_app: Callable[..., App], postgres_url: str
) -> None:
    port = free_port()
    relay = Relay(port, ("127.0.0.1", 5432))
    url = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{port}")
    app = build(make_app, url, connect_timeout=1)
    try:
        with TestClient(app) as client:
            assert_503(client.get("/db"))  # nothing listens yet
            relay.start()
            assert client.get("/db").json() == {"one": 1}  # no restart
            assert client.get("/adb").json() == {"one": 1}
            assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    finally:
        relay.close()


def test_other_database_errors_stay_500s_with_their_traceback(
    make_app: Callable[..., App], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = build(make_app, f"sqlite:///{tmp_path / 'a.sqlite3'}")
    with caplog.at_level(logging.ERROR), TestClient(app, raise_server_exceptions=False) as c:
        answer = c.get("/sleep", params={"sql": "SELECT x FROM no_such_table"})
    assert answer.status_code == 500  # a bug to fix, not an outage to wait out
    [error] = [r for r in caplog.records if r.name == "mvcpy.errors"]
    assert error.exc_info is not None
    assert unavailable_reason(ValueError("database is locked")) is None
