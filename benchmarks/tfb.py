"""The TechEmpower test types beside every peer, on PostgreSQL: ``python benchmarks/tfb.py``
(or ``python benchmarks/run.py --suite tfb``).

Each implementation (``benchmarks/apps/tfb_*.py``) serves ``/json``, ``/plaintext``,
``/db``, ``/queries?queries=N``, ``/fortunes`` and ``/updates?queries=N`` as the TFB rules
say (``benchmarks/apps/tfb_spec.py``), over a ``world`` table of 10,000 rows and the 12
fortunes, in a PostgreSQL schema of its own, dropped at the end. Every implementation is
checked before any load: exact bodies for json, plaintext and fortunes (the page compared
once entities are decoded, and the script tag must be escaped), the clamping of
``queries`` (0, 501 and text), and updates that the database really holds.

Then each test runs on each implementation in turn, the order shifted every round: one
uvicorn worker pinned to CPU 0 (Flask through uvicorn's WSGI interface), ``wrk -t1 -c32``
on CPU 1. Reported per test: req/s, the server's CPU time per request (utime + stime of
its process from ``/proc`` around the run, over the requests wrk counted), the
database's (every ``postgres`` process of the machine, the same way), and each ratio to
the raw asyncpg app. Medians of the rounds. No timing is ever asserted.
"""

from __future__ import annotations

import html
import json
import os
import re
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

from benchmarks.apps.tfb_spec import ADDED_FORTUNE, FORTUNES, MESSAGE, WORLD_ROWS, fortunes_html
from benchmarks.common import (
    load_average,
    markdown_table,
    median,
    process_cpu_seconds,
)
from benchmarks.orm import _free_port
from benchmarks.orm import _Server as OrmServer
from benchmarks.wire import HOST, _get, run_wrk

__all__ = ["IMPLEMENTATIONS", "TESTS", "TfbResult", "run"]

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BASELINE = "raw ASGI + asyncpg"
#: label -> (import string, uvicorn interface)
IMPLEMENTATIONS: dict[str, tuple[str, str]] = {
    BASELINE: ("benchmarks.apps.tfb_raw:app", "asgi3"),
    "BlackSheep (asyncpg)": ("benchmarks.apps.tfb_blacksheep:app", "asgi3"),
    "mvcpy async (fast path)": ("benchmarks.apps.tfb_mvcpy:fast_async_app", "asgi3"),
    "mvcpy sync (fast path)": ("benchmarks.apps.tfb_mvcpy:fast_app", "asgi3"),
    "mvcpy async (ORM)": ("benchmarks.apps.tfb_mvcpy:async_app", "asgi3"),
    "mvcpy async asyncpg (fast path)": ("benchmarks.apps.tfb_mvcpy:fast_asyncpg_app", "asgi3"),
    "mvcpy async asyncpg (ORM)": ("benchmarks.apps.tfb_mvcpy:asyncpg_app", "asgi3"),
    "mvcpy sync (ORM)": ("benchmarks.apps.tfb_mvcpy:app", "asgi3"),
    "FastAPI + SQLAlchemy": ("benchmarks.apps.tfb_fastapi:app", "asgi3"),
    "Litestar + SQLAlchemy": ("benchmarks.apps.tfb_litestar:app", "asgi3"),
    "Flask + SQLAlchemy": ("benchmarks.apps.tfb_flask:app", "wsgi"),
    "Django ORM": ("benchmarks.apps.tfb_django:app", "asgi3"),
}
#: mvcpy's async fast paths, judged against the raw app
FAST_PATHS = ("mvcpy async (fast path)", "mvcpy async asyncpg (fast path)")
#: test -> path
TESTS: dict[str, str] = {
    "json": "/json",
    "plaintext": "/plaintext",
    "db": "/db",
    "queries 1": "/queries?queries=1",
    "queries 20": "/queries?queries=20",
    "queries 500": "/queries?queries=500",
    "fortunes": "/fortunes",
    "updates 1": "/updates?queries=1",
    "updates 20": "/updates?queries=20",
    "updates 500": "/updates?queries=500",
}
CONNECTIONS = 32
#: the ORM-based peers the ORM path is measured against
PEERS = ("FastAPI + SQLAlchemy", "Litestar + SQLAlchemy", "Flask + SQLAlchemy", "Django ORM")


@dataclass
class TfbResult:
    """Samples by (implementation, test): req/s, server µs/request, database µs/request."""

    rps: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    server_us: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    db_us: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    implementations: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    rounds: int = 0
    duration: int = 0
    warnings: list[str] = field(default_factory=list)
    load: list[str] = field(default_factory=list)

    def cell(self, table: dict[tuple[str, str], list[float]], name: str, test: str) -> float:
        """The median of one measure."""
        return median(table[(name, test)])

    def markdown(self) -> str:
        """One table per test."""
        parts = [
            f"{self.rounds} rounds x {self.duration} s per implementation and test, "
            f"`wrk -t1 -c{CONNECTIONS}`, one uvicorn worker; medians. CPU is µs per request "
            f"(server: its process; database: every postgres process); x raw is the ratio "
            f"to {BASELINE}."
        ]
        for test in self.tests:
            rows = []
            raw_server = self.cell(self.server_us, BASELINE, test)
            raw_db = self.cell(self.db_us, BASELINE, test)
            for name in self.implementations:
                server = self.cell(self.server_us, name, test)
                db = self.cell(self.db_us, name, test)
                rows.append([
                    name,
                    f"{self.cell(self.rps, name, test):,.0f}",
                    f"{server:,.0f}",
                    f"{server / raw_server:.2f}",
                    f"{db:,.0f}",
                    f"{db / raw_db:.2f}" if raw_db >= 1 else "",
                ])  # fmt: skip
            headers = ["implementation", "req/s", "server µs/req", "x raw", "db µs/req", "x raw"]
            parts.append(f"### {test}\n\n" + markdown_table(headers, rows))
        verdicts = self.targets()
        if verdicts:
            parts.append(
                "Targets (server CPU per request):\n" + "\n".join(f"- {v}" for v in verdicts)
            )
        if self.warnings:
            parts.append("Warnings:\n" + "\n".join(f"- {w}" for w in self.warnings))
        parts.append("Load average per round: " + "; ".join(self.load))
        return "\n\n".join(parts)

    def targets(self) -> list[str]:
        """The issue's targets that this run's figures decide."""
        cpu = self.server_us
        have = set(self.implementations)
        lines = []
        for test in [t for t in ("db", "queries 20", "fortunes", "updates 20") if t in self.tests]:
            raw = self.cell(cpu, BASELINE, test)
            for ours in ("mvcpy async (ORM)", "mvcpy async asyncpg (ORM)", "mvcpy sync (ORM)"):
                if ours not in have:
                    continue
                mine = self.cell(cpu, ours, test)
                peers = [p for p in PEERS if p in have]
                if peers:
                    cheapest = min(peers, key=lambda p: self.cell(cpu, p, test))
                    gain = self.cell(cpu, cheapest, test) / mine
                    verdict = "reached" if gain >= 1.5 else "NOT reached"
                    lines.append(
                        f"{test}: {ours} {mine:,.0f} µs, {mine / raw:.2f}x raw; the cheapest "
                        f"ORM peer ({cheapest}) costs {gain:.2f}x as much (target 1.5x): "
                        f"{verdict}"
                    )
            for fast in FAST_PATHS:
                if fast in have:
                    mine = self.cell(cpu, fast, test)
                    verdict = "reached" if mine <= 1.5 * raw else "NOT reached"
                    lines.append(
                        f"{test}: {fast} {mine:,.0f} µs, {mine / raw:.2f}x raw "
                        f"(target within 1.5x): {verdict}"
                    )
            for a_label, s_label in (
                ("mvcpy async (ORM)", "mvcpy sync (ORM)"),
                ("mvcpy async asyncpg (ORM)", "mvcpy sync (ORM)"),
                ("mvcpy async (fast path)", "mvcpy sync (fast path)"),
                ("mvcpy async asyncpg (fast path)", "mvcpy sync (fast path)"),
            ):
                if {a_label, s_label} <= have:
                    a = self.cell(cpu, a_label, test)
                    b = self.cell(cpu, s_label, test)
                    verdict = "reached" if a <= b else "NOT reached"
                    lines.append(
                        f"{test}: {a_label} {a:,.0f} µs vs {s_label} {b:,.0f} µs "
                        f"(async no costlier): {verdict}"
                    )
        if "plaintext" in self.tests and {"mvcpy async (ORM)", "mvcpy sync (ORM)"} <= have:
            a = self.cell(cpu, "mvcpy async (ORM)", "plaintext")
            b = self.cell(cpu, "mvcpy sync (ORM)", "plaintext")
            verdict = "reached" if b <= 1.5 * a else "NOT reached"
            lines.append(
                f"plaintext: a sync action {b:,.0f} µs vs async {a:,.0f} µs, {b / a:.2f}x "
                f"(target at most 1.5x): {verdict}"
            )
        return lines


def _postgres_cpu_seconds() -> float:
    """CPU seconds used so far by PostgreSQL: its live processes' own, plus what the
    postmaster holds of its children that have exited (a backend per connection comes
    and goes: Django opens one per request), so the total only grows."""
    clock = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, list[str]]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            stats[int(entry.name)] = (int(fields[1]), fields)  # (parent pid, fields)
    total = 0
    for parent, fields in stats.values():
        total += int(fields[11]) + int(fields[12])  # utime + stime
        if parent not in stats:  # the postmaster: its reaped children's time too
            total += int(fields[13]) + int(fields[14])  # cutime + cstime
    return total / clock


@contextmanager
def _database() -> Iterator[str]:
    import random

    from sqlalchemy import create_engine, text

    schema = f"mvcpy_tfb_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(
                text("CREATE TABLE world (id integer PRIMARY KEY, randomnumber integer NOT NULL)")
            )
            connection.execute(
                text(
                    "CREATE TABLE fortune (id integer PRIMARY KEY, message varchar(2048) NOT NULL)"
                )
            )
            connection.execute(
                text("INSERT INTO world VALUES (:id, :n)"),
                [{"id": i, "n": random.randint(1, WORLD_ROWS)} for i in range(1, WORLD_ROWS + 1)],
            )
            connection.execute(
                text("INSERT INTO fortune VALUES (:id, :message)"),
                [{"id": i, "message": m} for i, m in FORTUNES],
            )
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _canonical(page: str) -> str:
    """A page with whitespace between tags dropped and entities decoded."""
    return html.unescape(re.sub(r">\s+<", "><", page.strip()))


class _Server(OrmServer):
    """One implementation's uvicorn process (started and stopped as the orm suite's)."""

    def __init__(self, label: str, url: str, log_dir: Path) -> None:
        self.label = label
        self.target, self.interface = IMPLEMENTATIONS[label]
        self.url = url
        self.port = _free_port()
        self.log = log_dir / f"tfb-{abs(hash(label))}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        return _get(self.port, path, timeout=10.0)

    def check(self, timeout: float = 60.0) -> None:
        """Wait until the server answers, then check every test type's answers."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                status, body = self.get("/json")
                break
            except OSError:
                if time.monotonic() > deadline or self.process is None or self.process.poll():
                    raise RuntimeError(
                        f"{self.label} did not start:\n{self.log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        self._expect(status == 200 and json.loads(body) == {"message": MESSAGE}, "/json", body)
        status, body = self.get("/plaintext")
        self._expect(status == 200 and body == MESSAGE.encode(), "/plaintext", body)
        status, body = self.get("/db")
        self._expect(status == 200 and _is_world(json.loads(body)), "/db", body)
        for raw, count in (("1", 1), ("20", 20), ("0", 1), ("501", 500), ("foo", 1), ("", 1)):
            status, body = self.get(f"/queries?queries={raw}")
            rows = json.loads(body) if status == 200 else None
            ok = isinstance(rows, list) and len(rows) == count and all(map(_is_world, rows))
            self._expect(ok, f"/queries?queries={raw}", body)
        status, body = self.get("/fortunes")
        expected = sorted([*FORTUNES, (0, ADDED_FORTUNE)], key=lambda row: row[1])
        page = body.decode()
        self._expect(
            status == 200
            and "<script>" not in page
            and _canonical(page) == _canonical(fortunes_html(expected)),
            "/fortunes",
            body,
        )
        status, body = self.get("/updates?queries=20")
        rows = json.loads(body) if status == 200 else []
        self._expect(len(rows) == 20 and all(map(_is_world, rows)), "/updates", body)
        self._check_stored(rows)

    def _check_stored(self, rows: list[dict[str, int]]) -> None:
        from sqlalchemy import create_engine, text

        once = {
            row["id"]: row["randomNumber"]
            for row in rows
            if sum(r["id"] == row["id"] for r in rows) == 1
        }
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                stored = dict(
                    connection.execute(
                        text("SELECT id, randomnumber FROM world WHERE id = ANY(:ids)"),
                        {"ids": list(once)},
                    ).all()
                )
        finally:
            engine.dispose()
        wrong = {k: (v, stored.get(k)) for k, v in once.items() if stored.get(k) != v}
        self._expect(not wrong, "/updates (stored)", json.dumps(wrong).encode())

    def _expect(self, ok: bool, what: str, body: bytes) -> None:
        if not ok:
            raise RuntimeError(f"{self.label} {what}: {body[:300]!r}")


def _settle(server: _Server, timeout: float = 10.0) -> None:
    """Wait until the server has answered what was still queued when wrk stopped (its
    CPU idle for 50 ms)."""
    assert server.process is not None
    deadline = time.monotonic() + timeout
    before = process_cpu_seconds(server.process.pid)
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = process_cpu_seconds(server.process.pid)
        if now - before < 0.005:
            return
        before = now


def _is_world(row: object) -> bool:
    return (
        isinstance(row, dict)
        and set(row) == {"id", "randomNumber"}
        and 1 <= row["id"] <= WORLD_ROWS
        and 1 <= row["randomNumber"] <= WORLD_ROWS
    )


def run(
    quick: bool = False,
    implementations: list[str] | None = None,
    tests: list[str] | None = None,
    log: bool = True,
) -> TfbResult:
    """Check every implementation, then measure every test, interleaved."""
    labels = implementations or list(IMPLEMENTATIONS)
    if BASELINE not in labels:
        labels.insert(0, BASELINE)
    chosen = tests or list(TESTS)
    rounds = 1 if quick else 3
    duration = 1 if quick else 2
    result = TfbResult(implementations=labels, tests=chosen, rounds=rounds, duration=duration)
    with tempfile.TemporaryDirectory(prefix="mvcpy-tfb-") as tmp, _database() as url:
        servers = [_Server(label, url, Path(tmp)) for label in labels]
        try:
            for server in servers:
                server.start()
            for server in servers:  # all checked before any load
                server.check()
            for server in servers:
                for path in TESTS.values():  # warm up: pools, statement caches
                    run_wrk(f"http://{HOST}:{server.port}{path}", 1, CONNECTIONS)
                    _settle(server)
            for index in range(rounds):
                result.load.append(load_average())
                shift = index % len(servers)
                for test in chosen:
                    for server in servers[shift:] + servers[:shift]:
                        _measure(result, server, test, duration, index, log)
        finally:
            for server in servers:
                server.stop()
    return result


def _measure(
    result: TfbResult, server: _Server, test: str, duration: int, index: int, log: bool
) -> None:
    assert server.process is not None
    pid = server.process.pid
    cpu, db = process_cpu_seconds(pid), _postgres_cpu_seconds()
    got = run_wrk(f"http://{HOST}:{server.port}{TESTS[test]}", duration, CONNECTIONS)
    cpu, db = process_cpu_seconds(pid) - cpu, _postgres_cpu_seconds() - db
    if got.non_2xx or got.socket_errors:
        result.warnings.append(
            f"{server.label} {test} round {index + 1}: {got.non_2xx} non-2xx, "
            f"{got.socket_errors} socket errors"
        )
    _settle(server)  # its backlog done before the next run counts the database's CPU
    requests = max(got.requests, 1)
    key = (server.label, test)
    result.rps.setdefault(key, []).append(got.requests_per_second)
    result.server_us.setdefault(key, []).append(cpu / requests * 1e6)
    result.db_us.setdefault(key, []).append(db / requests * 1e6)
    if log:
        print(
            f"   {server.label:24} {test:12} {got.requests_per_second:9,.0f} req/s "
            f"{cpu / requests * 1e6:7,.0f} µs server {db / requests * 1e6:7,.0f} µs db",
            file=sys.stderr,
            flush=True,
        )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of 1 s")
    parser.add_argument("--only", default="", help="comma-separated implementations")
    parser.add_argument("--tests", default="", help="comma-separated tests")
    args = parser.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()] or None
    picked = [s.strip() for s in args.tests.split(",") if s.strip()] or None
    print(run(args.quick, only, picked).markdown())
