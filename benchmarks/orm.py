"""Database endpoints over the wire: mvcpy beside Flask, FastAPI and Django (SQLite,
PostgreSQL, MariaDB).

Each app (``benchmarks/apps/orm_*.py``) answers ``GET /items/42`` (one row by primary
key) and ``GET /items`` (20 rows as a JSON list) from a table of 200 rows, with its
framework's usual per-request session; mvcpy also on its fast path (statements compiled
once, ``self.sql``/``self.asql``). Every server is one uvicorn worker pinned to CPU 0
(Flask through uvicorn's WSGI interface); ``wrk`` runs on CPU 1. The frameworks run in a
different order each round; the median req/s and server CPU per request (utime + stime
of the server from ``/proc`` around the run, over the requests) are reported.
PostgreSQL runs need the local server (127.0.0.1:5432, database ``test``), MariaDB runs
the local one (127.0.0.1:3306, root); the tables live in a schema or database of their
own, dropped at the end. On MariaDB only the apps whose drivers the install has run
(PyMySQL, sync: no aiomysql, and Django would need mysqlclient). No timing is ever
asserted.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.apps.orm_spec import ENDPOINTS, LIST_SIZE, ROWS, TABLE, row_values
from benchmarks.common import (
    REPO_ROOT,
    load_average,
    markdown_table,
    median,
    process_cpu_seconds,
)
from benchmarks.wire import HOST, SERVER_CPU, _get, run_wrk

__all__ = ["FRAMEWORKS", "OrmResult", "run"]

#: Label -> (import string, uvicorn interface).
FRAMEWORKS: dict[str, tuple[str, str]] = {
    "mvcpy (sync)": ("benchmarks.apps.orm_mvcpy:app", "asgi3"),
    "mvcpy (async)": ("benchmarks.apps.orm_mvcpy:async_app", "asgi3"),
    "mvcpy fast path (sync)": ("benchmarks.apps.orm_mvcpy:fast_app", "asgi3"),
    "mvcpy fast path (async)": ("benchmarks.apps.orm_mvcpy:fast_async_app", "asgi3"),
    "Flask + SQLAlchemy": ("benchmarks.apps.orm_flask:app", "wsgi"),
    "FastAPI + SQLAlchemy": ("benchmarks.apps.orm_fastapi:app", "asgi3"),
    "Django ORM": ("benchmarks.apps.orm_django:app", "asgi3"),
}
PEERS = ("Flask + SQLAlchemy", "FastAPI + SQLAlchemy", "Django ORM")
#: each fast path and the ORM path it is measured against
FAST_PATHS = {"mvcpy fast path (sync)": "mvcpy (sync)", "mvcpy fast path (async)": "mvcpy (async)"}
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"
DATABASES = ("SQLite", "PostgreSQL", "MariaDB")
#: the frameworks that run on MariaDB: PyMySQL's sync ones
MARIADB_FRAMEWORKS = (
    "mvcpy (sync)",
    "mvcpy fast path (sync)",
    "Flask + SQLAlchemy",
    "FastAPI + SQLAlchemy",
)


def frameworks_on(database: str) -> list[str]:
    """The frameworks that run on ``database``."""
    return list(MARIADB_FRAMEWORKS if database == "MariaDB" else FRAMEWORKS)


@dataclass
class OrmResult:
    """req/s samples, and server µs per request, by (database, framework, endpoint)."""

    samples: dict[tuple[str, str, str], list[float]]
    databases: list[str]
    frameworks: list[str]
    rounds: int
    duration: int
    warnings: list[str] = field(default_factory=list)
    load: list[str] = field(default_factory=list)
    server_us: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)

    def rps(self, database: str, framework: str, endpoint: str) -> float:
        """Median requests per second."""
        return median(self.samples[(database, framework, endpoint)])

    def us(self, database: str, framework: str, endpoint: str) -> float:
        """Median server CPU µs per request."""
        return median(self.server_us[(database, framework, endpoint)])

    def fast_path_lines(self) -> list[str]:
        """What each fast path saves over its ORM path, per database and endpoint."""
        lines = []
        for database in self.databases:
            for fast, orm in FAST_PATHS.items():
                if fast not in frameworks_on(database):
                    continue
                for endpoint in ENDPOINTS:
                    ours = self.us(database, fast, endpoint)
                    theirs = self.us(database, orm, endpoint)
                    lines.append(
                        f"{database} {endpoint}: {fast} {ours:,.0f} µs vs {orm} {theirs:,.0f}"
                        f" µs of server CPU per request: {theirs / ours:.2f}x cheaper"
                    )
        return lines

    def targets(self) -> list[str]:
        """mvcpy (sync) against every peer, per database and endpoint."""
        lines = []
        for database in self.databases:
            for endpoint in ENDPOINTS:
                ours = self.rps(database, "mvcpy (sync)", endpoint)
                peers = [p for p in PEERS if p in frameworks_on(database)]
                best = max(peers, key=lambda p: self.rps(database, p, endpoint))
                theirs = self.rps(database, best, endpoint)
                verdict = "reached" if ours > theirs else "NOT reached"
                lines.append(
                    f"ORM {database} {endpoint}: mvcpy (sync) {ours:,.0f} req/s vs the best "
                    f"peer, {best}, {theirs:,.0f}: {ours / theirs:.2f}x (target: ahead of "
                    f"all three): {verdict}"
                )
        return lines

    def markdown(self) -> str:
        """The report section."""
        parts = [
            f"{self.rounds} rounds x {self.duration} s per framework and endpoint, "
            f"`wrk -t1 -c32`; median req/s.",
        ]
        for database in self.databases:
            rows = []
            for framework in frameworks_on(database):
                row = [framework]
                for e in ENDPOINTS:
                    row += [f"{self.rps(database, framework, e):,.0f}"]
                    row += [f"{self.us(database, framework, e):,.0f}"]
                rows.append(row)
            headers = ["framework"]
            for e in ENDPOINTS:
                headers += [f"{e} req/s", f"{e} server µs/req"]
            parts.append(f"### {database}\n\n" + markdown_table(headers, rows))
        parts.append("\n".join(f"- {line}" for line in self.targets() + self.fast_path_lines()))
        if self.warnings:
            parts.append("Warnings:\n" + "\n".join(f"- {w}" for w in self.warnings))
        parts.append("Load average per round: " + "; ".join(self.load))
        return "\n\n".join(parts)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _fill(url: str) -> None:
    from sqlalchemy import Column, Float, Integer, MetaData, String, Table, create_engine

    metadata = MetaData()
    table = Table(
        TABLE,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(80), nullable=False),
        Column("price", Float, nullable=False),
        Column("stock", Integer, nullable=False),
    )
    engine = create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(table.insert(), [row_values(n) for n in range(1, ROWS + 1)])
    finally:
        engine.dispose()


@contextmanager
def _databases(tmp: Path, names: list[str]) -> Iterator[dict[str, str]]:
    from sqlalchemy import create_engine, text

    urls: dict[str, str] = {}
    schema = f"mvcpy_bench_{uuid.uuid4().hex[:8]}"
    admin = None
    try:
        if "SQLite" in names:
            urls["SQLite"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
        if "MariaDB" in names:
            admin_my = create_engine(MARIADB, isolation_level="AUTOCOMMIT")
            with admin_my.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {schema}"))
            admin_my.dispose()
            urls["MariaDB"] = MARIADB.rsplit("/", 1)[0] + f"/{schema}"
        if "PostgreSQL" in names:
            admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            urls["PostgreSQL"] = f"{POSTGRES}?options=-csearch_path%3D{schema}"
        for url in urls.values():
            _fill(url)
        yield urls
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
        if "MariaDB" in urls:
            admin_my = create_engine(MARIADB, isolation_level="AUTOCOMMIT")
            with admin_my.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {schema}"))
            admin_my.dispose()


class _Server:
    def __init__(self, label: str, url: str, log_dir: Path) -> None:
        self.label = label
        self.target, self.interface = FRAMEWORKS[label]
        self.url = url
        self.port = _free_port()
        self.log = log_dir / f"orm-{abs(hash((label, url)))}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            "taskset", "-c", SERVER_CPU,
            sys.executable, "-m", "uvicorn", self.target, "--interface", self.interface,
            "--host", HOST, "--port", str(self.port),
            "--loop", "uvloop", "--http", "httptools", "--workers", "1",
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "BENCH_DB_URL": self.url}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def check(self, timeout: float = 60.0) -> None:
        """Wait until the server answers, then check both endpoints' bodies."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                status, body = _get(self.port, ENDPOINTS["one row"], timeout=2.0)
                break
            except OSError:
                if time.monotonic() > deadline or self.process is None or self.process.poll():
                    raise RuntimeError(
                        f"{self.label} did not start:\n{self.log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        if status != 200 or json.loads(body) != row_values(42):
            raise RuntimeError(f"{self.label} /items/42: {status} {body[:200]!r}")
        status, body = _get(self.port, ENDPOINTS["20 rows"])
        if status != 200 or json.loads(body) != [row_values(n) for n in range(1, LIST_SIZE + 1)]:
            raise RuntimeError(f"{self.label} /items: {status} {body[:200]!r}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def run(quick: bool = False, databases: list[str] | None = None, log: bool = True) -> OrmResult:
    """Run every framework on every database, interleaved, and return the samples."""
    names = databases or list(DATABASES)
    labels = list(FRAMEWORKS)
    rounds = 3 if quick else 5
    duration = 1 if quick else 2
    result = OrmResult({}, names, labels, rounds, duration)
    with (
        tempfile.TemporaryDirectory(prefix="mvcpy-orm-bench-") as tmp,
        _databases(Path(tmp), names) as urls,
    ):
        for database, url in urls.items():
            servers = [_Server(label, url, Path(tmp)) for label in frameworks_on(database)]
            try:
                for server in servers:
                    server.start()
                for server in servers:
                    server.check()
                    for path in ENDPOINTS.values():  # warm up: connections, caches
                        run_wrk(f"http://{HOST}:{server.port}{path}", 1, 32)
                for index in range(rounds):
                    result.load.append(load_average())
                    shift = index % len(servers)
                    for endpoint, path in ENDPOINTS.items():
                        for server in servers[shift:] + servers[:shift]:
                            assert server.process is not None
                            cpu = process_cpu_seconds(server.process.pid)
                            got = run_wrk(f"http://{HOST}:{server.port}{path}", duration, 32)
                            cpu = process_cpu_seconds(server.process.pid) - cpu
                            if got.non_2xx or got.socket_errors or not got.requests:
                                result.warnings.append(
                                    f"{database} {server.label} {endpoint} round {index + 1}: "
                                    f"{got.requests} requests answered, {got.non_2xx} non-2xx, "
                                    f"{got.socket_errors} socket errors"
                                )
                            key = (database, server.label, endpoint)
                            result.samples.setdefault(key, []).append(got.requests_per_second)
                            per_request = cpu / max(got.requests, 1) * 1e6
                            result.server_us.setdefault(key, []).append(per_request)
                            if log:
                                print(
                                    f"   {database:10} {server.label:22} {endpoint:8} "
                                    f"{got.requests_per_second:9,.0f} req/s "
                                    f"{per_request:7,.0f} µs/req",
                                    file=sys.stderr,
                                    flush=True,
                                )
            finally:
                for server in servers:
                    server.stop()
    return result


if __name__ == "__main__":
    chosen = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--databases=")), "")
    report = run(quick="--quick" in sys.argv, databases=chosen.split(",") if chosen else None)
    print(report.markdown())
